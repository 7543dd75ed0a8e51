import { useQuery } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import type { ReactNode } from 'react';
import type { TimelineEntry } from '../../../../src/modules/crm/records.schema.js';
import { api } from '../../lib/api.js';
import { formatDateTime, formatRelative } from '../../lib/format.js';
import { useCursorList } from '../../lib/use-cursor-list.js';
import { Badge } from '../../ui/Badge.js';
import { Button } from '../../ui/Button.js';
import { ErrorState } from '../../ui/EmptyState.js';
import { Icon, type IconName } from '../../ui/Icon.js';
import { LoadingState } from '../../ui/Spinner.js';
import { formatValue, OwnerName } from './FieldValue.js';
import { isEmpty, type FieldCatalog } from './fields.js';
import { contactKind, type RecordKind } from './record-kinds.js';
import { recordQuery, timelinePageSchema, useAccountName, userLabel, useUsers } from './record-queries.js';

const PAGE = 20;

function isChange(v: unknown): v is { from?: unknown; to?: unknown } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && ('from' in v || 'to' in v);
}

function AccountName({ id }: { id: string }) {
  const name = useAccountName(id);
  return (
    <Link to="/accounts/$id" params={{ id }}>
      {name ?? 'an account'}
    </Link>
  );
}

function ContactName({ id }: { id: string }) {
  const { data } = useQuery({ ...recordQuery(contactKind, id), staleTime: 60_000 });
  return (
    <Link to="/contacts/$id" params={{ id }}>
      {data ? contactKind.displayName(data) : 'a contact'}
    </Link>
  );
}

/** One value in a sentence: owners and accounts by name, money as money, nothing as an em dash. */
function Value({ catalog, field, value }: { catalog: FieldCatalog; field: string; value: unknown }) {
  const f = catalog.get(field);
  if (isEmpty(value)) return <span className="tl-empty">—</span>;
  if (f?.kind === 'owner' && typeof value === 'string')
    return (
      <span className="tl-value">
        <OwnerName id={value} />
      </span>
    );
  if (f?.kind === 'account' && typeof value === 'string')
    return (
      <span className="tl-value">
        <AccountName id={value} />
      </span>
    );
  return <span className="tl-value">{formatValue(value, f)}</span>;
}

/** The field changes of an entry, in the order the record page lists the fields. */
function fieldChanges(entry: TimelineEntry, catalog: FieldCatalog): Array<[string, { from?: unknown; to?: unknown }]> {
  const order = (k: string) => {
    const i = catalog.all.findIndex((f) => f.key === k);
    return i === -1 ? catalog.all.length : i;
  };
  return Object.entries(entry.changes)
    .filter((e): e is [string, { from?: unknown; to?: unknown }] => e[0] !== '_meta' && isChange(e[1]))
    .sort((a, b) => order(a[0]) - order(b[0]) || a[0].localeCompare(b[0]));
}

function Entry({ entry, kind, catalog }: { entry: TimelineEntry; kind: RecordKind; catalog: FieldCatalog }) {
  const { byEmail } = useUsers();
  const user = byEmail.get(entry.actor);
  const actor = <strong className="tl-actor">{user ? userLabel(user) : entry.actor}</strong>;
  const verb = entry.action.slice(entry.action.indexOf('.') + 1);
  const meta = entry.changes._meta;
  const viaBulk = typeof meta === 'object' && meta !== null && 'bulkOperation' in meta;
  const changes = fieldChanges(entry, catalog);
  const label = (k: string) => <strong>{catalog.label(k)}</strong>;

  let icon: IconName = 'edit';
  let title: ReactNode;
  let details: ReactNode = null;

  if (entry.kind === 'import') {
    const file = typeof entry.changes.file === 'string' ? entry.changes.file : 'a file';
    icon = 'upload';
    title = (
      <>
        {verb.startsWith('created') ? 'Created' : 'Updated'} by import of <strong>{file}</strong>
        {entry.changes.undone === true && (
          <>
            {' '}
            <Badge tone="warning">Undone</Badge>
          </>
        )}
      </>
    );
  } else if (verb === 'created') {
    icon = 'plus';
    title = (
      <>
        {actor} created this {kind.noun}
      </>
    );
    const set = changes.filter(([, c]) => !isEmpty(c.to));
    if (set.length)
      details = (
        <dl className="tl-fields">
          {set.map(([k, c]) => (
            <div key={k}>
              <dt>{catalog.label(k)}</dt>
              <dd>
                <Value catalog={catalog} field={k} value={c.to} />
              </dd>
            </div>
          ))}
        </dl>
      );
  } else if (verb === 'updated') {
    const first = changes[0];
    if (changes.length === 1 && first) {
      const [k, c] = first;
      title = (
        <>
          {actor} changed {label(k)} from <Value catalog={catalog} field={k} value={c.from} /> to{' '}
          <Value catalog={catalog} field={k} value={c.to} />
        </>
      );
    } else {
      title = (
        <>
          {actor} changed {changes.length} fields
        </>
      );
      details = (
        <ul className="tl-changes">
          {changes.map(([k, c]) => (
            <li key={k}>
              {label(k)} from <Value catalog={catalog} field={k} value={c.from} /> to <Value catalog={catalog} field={k} value={c.to} />
            </li>
          ))}
        </ul>
      );
    }
  } else if (verb === 'deleted') {
    icon = 'trash';
    title = (
      <>
        {actor} moved this {kind.noun} to the trash
      </>
    );
  } else if (verb === 'restored') {
    icon = 'refresh';
    title = (
      <>
        {actor} restored this {kind.noun}
      </>
    );
  } else if (verb === 'contact_linked' || verb === 'contact_unlinked') {
    icon = 'link';
    const c = entry.changes.contactId;
    const id = isChange(c) ? (typeof c.to === 'string' ? c.to : typeof c.from === 'string' ? c.from : null) : null;
    title = (
      <>
        {actor} {verb === 'contact_linked' ? 'linked' : 'unlinked'} {id ? <ContactName id={id} /> : 'a contact'}
      </>
    );
  } else if (entry.action === 'consent.granted' || entry.action === 'consent.withdrawn') {
    // The audit entry holds the purpose as its one key: {"email_marketing": {status, source, ...}}.
    const [purpose] = Object.keys(entry.changes);
    icon = 'check';
    title = (
      <>
        {actor} recorded consent {entry.action === 'consent.granted' ? 'given' : 'withdrawn'}
        {purpose ? (
          <>
            {' '}
            for <strong>{purpose.replace(/_/g, ' ')}</strong>
          </>
        ) : null}
      </>
    );
  } else {
    title = (
      <>
        {actor} <code>{entry.action}</code>
      </>
    );
  }

  return (
    <li className={`tl-item tl-${entry.kind}`}>
      <span className="tl-icon" aria-hidden="true">
        <Icon name={icon} size={14} />
      </span>
      <div className="tl-body">
        <p className="tl-title">
          {title}
          {viaBulk && <span className="muted"> (bulk action)</span>}
        </p>
        {details}
        <p className="tl-meta">
          {entry.kind === 'import' && <>{user ? userLabel(user) : entry.actor} · </>}
          <time dateTime={entry.at} title={formatDateTime(entry.at, true)}>
            {formatRelative(entry.at)}
          </time>
        </p>
      </div>
    </li>
  );
}

/** Everything that happened to a record, newest first, a page at a time. */
export function RecordTimeline({ kind, id, catalog }: { kind: RecordKind; id: string; catalog: FieldCatalog }) {
  const list = useCursorList([kind.plural, 'timeline', id], (cursor) =>
    api.get(`/${kind.plural}/${id}/timeline`, timelinePageSchema, { limit: PAGE, cursor }),
  );
  return (
    <section className="card record-section timeline" aria-labelledby={`tl-${id}`}>
      <div className="record-section-head">
        <h2 className="record-section-title" id={`tl-${id}`}>
          Timeline
        </h2>
      </div>
      {list.isPending ? (
        <LoadingState label="Loading history…" />
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : list.items.length === 0 ? (
        <p className="muted record-section-empty">Nothing has happened yet.</p>
      ) : (
        <ol className="tl-list" aria-label="Timeline">
          {list.items.map((e) => (
            <Entry key={e.id} entry={e} kind={kind} catalog={catalog} />
          ))}
        </ol>
      )}
      {list.hasMore && (
        <div className="tl-more">
          <Button size="sm" onClick={list.loadMore} busy={list.isLoadingMore}>
            Show older
          </Button>
        </div>
      )}
    </section>
  );
}
