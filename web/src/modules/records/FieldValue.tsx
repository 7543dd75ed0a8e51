import { Link } from '@tanstack/react-router';
import { formatDate, formatDateTime } from '../../lib/format.js';
import { Badge } from '../../ui/Badge.js';
import { isEmpty, type FieldInfo } from './fields.js';
import { formatMoney } from './money.js';
import { useAccountName, userLabel, useUsers } from './record-queries.js';

const numberFormat = new Intl.NumberFormat();

/** A calendar date (YYYY-MM-DD) without the time zone moving it a day. */
function formatCalendarDate(v: string): string {
  return formatDate(`${v}T12:00:00Z`);
}

/**
 * A value as plain text, for chips, the timeline and titles. Owners and accounts are ids here;
 * `names` turns them into names where the caller knows them.
 */
export function formatValue(
  value: unknown,
  field: FieldInfo | undefined,
  names?: (kind: 'owner' | 'account', id: string) => string,
): string {
  if (isEmpty(value)) return '—';
  const kind = field?.kind;
  // Big integers (annual revenue) come back from the audit log as digit strings.
  if ((kind === 'number' || kind === 'currency') && typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) {
    return formatValue(Number(value), field, names);
  }
  if ((kind === 'owner' || kind === 'account') && typeof value === 'string') return names ? names(kind, value) : value;
  if (kind === 'currency' && typeof value === 'number') return formatMoney(value, field?.currency ?? null);
  if (typeof value === 'number') return numberFormat.format(value);
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (Array.isArray(value)) return value.map(String).join(', ');
  if (typeof value === 'string') {
    if (kind === 'date') return formatCalendarDate(value);
    if (kind === 'datetime' || kind === 'timestamp') return formatDateTime(value);
    return value;
  }
  return JSON.stringify(value);
}

export function Dash() {
  return (
    <span className="muted" aria-label="Empty">
      —
    </span>
  );
}

export function OwnerName({ id }: { id: string }) {
  const { byId } = useUsers();
  const u = byId.get(id);
  return <>{u ? userLabel(u) : <span className="muted">Unknown user</span>}</>;
}

export function AccountLink({ id }: { id: string }) {
  const name = useAccountName(id);
  return (
    <Link to="/accounts/$id" params={{ id }} className="record-link">
      {name ?? 'Account'}
    </Link>
  );
}

/**
 * A field's value for reading: formatted by type, links where they help, an em dash when empty.
 * `compact` (table cells) shows dates without the time; the full value is in the tooltip.
 */
export function FieldValue({ field, value, compact = false }: { field: FieldInfo | undefined; value: unknown; compact?: boolean }) {
  if (isEmpty(value)) return <Dash />;
  if (field?.core?.key === 'domain' && typeof value === 'string') {
    return (
      <a href={`https://${value}`} className="record-link" target="_blank" rel="noopener noreferrer">
        {value}
      </a>
    );
  }
  switch (field?.kind) {
    case 'owner':
      return typeof value === 'string' ? <OwnerName id={value} /> : <Dash />;
    case 'account':
      return typeof value === 'string' ? <AccountLink id={value} /> : <Dash />;
    case 'email':
      return typeof value === 'string' ? (
        <a href={`mailto:${value}`} className="record-link">
          {value}
        </a>
      ) : (
        <Dash />
      );
    case 'url':
      return typeof value === 'string' ? (
        <a href={value} className="record-link" target="_blank" rel="noopener noreferrer">
          {value.replace(/^https?:\/\//, '')}
        </a>
      ) : (
        <Dash />
      );
    case 'multiselect':
      return Array.isArray(value) ? (
        <span className="value-tags">
          {value.map((v) => (
            <Badge key={String(v)}>{String(v)}</Badge>
          ))}
        </span>
      ) : (
        <Dash />
      );
    case 'select':
      return <Badge>{String(value)}</Badge>;
    case 'timestamp':
    case 'datetime':
      return typeof value === 'string' ? (
        <span title={formatDateTime(value, true)}>{compact ? formatDate(value) : formatDateTime(value)}</span>
      ) : (
        <Dash />
      );
    case 'currency':
    case 'number':
      return <span className="value-number">{formatValue(value, field)}</span>;
    default:
      return <>{formatValue(value, field)}</>;
  }
}
