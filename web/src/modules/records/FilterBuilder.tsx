import { useId, useState, type FormEvent } from 'react';
import { Button } from '../../ui/Button.js';
import { Icon } from '../../ui/Icon.js';
import { Popover } from '../../ui/Popover.js';
import { AccountPicker, OwnerSelect } from './FieldInput.js';
import { formatValue } from './FieldValue.js';
import { opInfo, opsFor, type FilterOp } from './filter-ops.js';
import type { FieldCatalog, FieldInfo } from './fields.js';
import type { Filter } from './list-search.js';
import { minorToInput, parseMoney } from './money.js';
import { useAccountName, userLabel, useUsers } from './record-queries.js';

interface EditorDraft {
  field: string;
  op: FilterOp;
  one: string;
  many: string[];
}

function draftFrom(f: Filter | null, catalog: FieldCatalog): EditorDraft {
  if (!f) {
    const first = catalog.all[0];
    return { field: first?.key ?? '', op: first ? (opsFor(first)[0] ?? 'eq') : 'eq', one: '', many: [] };
  }
  const field = catalog.get(f.field);
  const v = f.value;
  const one =
    field?.kind === 'currency' && typeof v === 'number'
      ? minorToInput(v, field.currency)
      : (field?.kind === 'timestamp' || field?.kind === 'datetime') && typeof v === 'string'
        ? v.slice(0, 10)
        : v === undefined || Array.isArray(v)
          ? ''
          : String(v);
  return { field: f.field, op: f.op, one, many: Array.isArray(v) ? v.map(String) : [] };
}

/** The editor's draft as the API's filter, or what is missing. */
function toFilter(d: EditorDraft, field: FieldInfo): Filter | { error: string } {
  const need = opInfo(d.op, field).value;
  if (need === 'none') return { field: d.field, op: d.op };
  if (need === 'many') return d.many.length ? { field: d.field, op: d.op, value: d.many } : { error: 'Choose at least one value' };
  const s = d.one.trim();
  if (!s) return { error: 'Enter a value' };
  switch (field.kind) {
    case 'number': {
      const n = Number(s.replace(/[\s,]/g, ''));
      return Number.isFinite(n) ? { field: d.field, op: d.op, value: n } : { error: 'Enter a number' };
    }
    case 'currency': {
      const m = parseMoney(s, field.currency);
      return 'minor' in m ? { field: d.field, op: d.op, value: m.minor } : { error: m.error };
    }
    case 'boolean':
      return { field: d.field, op: d.op, value: s === 'true' };
    default:
      return { field: d.field, op: d.op, value: s };
  }
}

function FilterEditor({
  catalog,
  initial,
  onApply,
  onCancel,
}: {
  catalog: FieldCatalog;
  initial: Filter | null;
  onApply: (f: Filter) => void;
  onCancel: () => void;
}) {
  const id = useId();
  const [d, setD] = useState<EditorDraft>(() => draftFrom(initial, catalog));
  const [error, setError] = useState<string | null>(null);
  const field = catalog.get(d.field);
  const ops = field ? opsFor(field) : [];
  const need = field ? opInfo(d.op, field).value : 'none';

  const pickField = (key: string) => {
    const f = catalog.get(key);
    if (!f) return;
    const nextOps = opsFor(f);
    setD({ field: key, op: nextOps.includes(d.op) ? d.op : (nextOps[0] ?? 'eq'), one: '', many: [] });
    setError(null);
  };

  const apply = (e: FormEvent) => {
    e.preventDefault();
    if (!field) return;
    const r = toFilter(d, field);
    if ('error' in r) setError(r.error);
    else onApply(r);
  };

  const groups: Array<[string, FieldInfo[]]> = [
    ['Fields', catalog.core],
    ['Custom fields', catalog.custom],
    ['Record', catalog.system],
    ['Data quality', catalog.quality],
  ];

  return (
    <form className="filter-editor" onSubmit={apply} noValidate>
      <div className="field">
        <label className="field-label" htmlFor={`${id}-field`}>
          Field
        </label>
        <select id={`${id}-field`} className="input select" value={d.field} onChange={(e) => pickField(e.target.value)}>
          {groups
            .filter(([, fs]) => fs.length > 0)
            .map(([g, fs]) => (
              <optgroup key={g} label={g}>
                {fs.map((f) => (
                  <option key={f.key} value={f.key}>
                    {f.label}
                  </option>
                ))}
              </optgroup>
            ))}
        </select>
      </div>
      <div className="field">
        <label className="field-label" htmlFor={`${id}-op`}>
          Condition
        </label>
        <select
          id={`${id}-op`}
          className="input select"
          value={d.op}
          onChange={(e) => {
            const op = ops.find((o) => o === e.target.value);
            if (op) setD({ ...d, op });
            setError(null);
          }}
        >
          {ops.map((o) => (
            <option key={o} value={o}>
              {opInfo(o, field).label}
            </option>
          ))}
        </select>
      </div>
      {field && need === 'one' && (
        <OneValue
          id={`${id}-value`}
          field={field}
          value={d.one}
          onChange={(one) => {
            setD({ ...d, one });
            setError(null);
          }}
        />
      )}
      {field && need === 'many' && (
        <fieldset className="field choice-group">
          <legend className="field-label">Values</legend>
          <div className="choice-list">
            {field.options.map((o) => (
              <label key={o} className="check-row">
                <input
                  type="checkbox"
                  checked={d.many.includes(o)}
                  onChange={(e) => {
                    setD({ ...d, many: e.target.checked ? [...d.many, o] : d.many.filter((x) => x !== o) });
                    setError(null);
                  }}
                />
                <span>{o}</span>
              </label>
            ))}
          </div>
        </fieldset>
      )}
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      <div className="popover-actions">
        <Button size="sm" variant="ghost" onClick={onCancel}>
          Cancel
        </Button>
        <Button size="sm" variant="primary" type="submit">
          {initial ? 'Update filter' : 'Apply filter'}
        </Button>
      </div>
    </form>
  );
}

function OneValue({ id, field, value, onChange }: { id: string; field: FieldInfo; value: string; onChange: (v: string) => void }) {
  if (field.kind === 'owner') return <OwnerSelect id={id} label="Value" value={value} onChange={onChange} emptyLabel="Choose a user" />;
  if (field.kind === 'account') return <AccountPicker id={id} label="Value" value={value} onChange={onChange} />;
  if (field.kind === 'boolean') {
    return (
      <div className="field">
        <label className="field-label" htmlFor={id}>
          Value
        </label>
        <select id={id} className="input select" value={value} onChange={(e) => onChange(e.target.value)}>
          <option value="">Choose</option>
          <option value="true">Yes</option>
          <option value="false">No</option>
        </select>
      </div>
    );
  }
  const type = field.kind === 'date' || field.kind === 'datetime' || field.kind === 'timestamp' ? 'date' : 'text';
  return (
    <div className="field">
      <label className="field-label" htmlFor={id}>
        Value{field.kind === 'currency' && field.currency ? ` (${field.currency})` : ''}
      </label>
      <input
        id={id}
        className="input"
        type={type}
        inputMode={field.kind === 'number' || field.kind === 'currency' ? 'decimal' : undefined}
        autoComplete="off"
        value={value}
        onChange={(e) => onChange(e.target.value)}
      />
    </div>
  );
}

/** "Add filter": a field, a condition fitting its type, and a value fitting both. */
export function AddFilter({ catalog, onAdd }: { catalog: FieldCatalog; onAdd: (f: Filter) => void }) {
  return (
    <Popover label="Filter" title="Add filter" icon="filter" className="toolbar-popover">
      {(close) => (
        <FilterEditor
          catalog={catalog}
          initial={null}
          onCancel={close}
          onApply={(f) => {
            onAdd(f);
            close();
          }}
        />
      )}
    </Popover>
  );
}

function FilterValueText({ filter, field }: { filter: Filter; field: FieldInfo | undefined }) {
  const { byId } = useUsers();
  const accountName = useAccountName(field?.kind === 'account' && typeof filter.value === 'string' ? filter.value : null);
  const v = filter.value;
  if (v === undefined) return null;
  if (field?.kind === 'owner' && typeof v === 'string') {
    const u = byId.get(v);
    return <>{u ? userLabel(u) : 'a user'}</>;
  }
  if (field?.kind === 'account') return <>{accountName ?? 'an account'}</>;
  if (field?.kind === 'timestamp' && typeof v === 'string') return <>{formatValue(v, { ...field, kind: 'date' })}</>;
  return <>{formatValue(v, field)}</>;
}

/** The active filters as chips: click one to change it, × to remove it. */
export function FilterChips({
  catalog,
  filters,
  onChange,
  onClear,
}: {
  catalog: FieldCatalog;
  filters: readonly Filter[];
  onChange: (next: Filter[]) => void;
  onClear: () => void;
}) {
  if (filters.length === 0) return null;
  return (
    <ul className="filter-chips" aria-label="Active filters">
      {filters.map((f, i) => {
        const field = catalog.get(f.field);
        const label = (
          <>
            <span className="filter-chip-field">{catalog.label(f.field)}</span> {opInfo(f.op, field).label}{' '}
            {f.value !== undefined && (
              <span className="filter-chip-value">
                <FilterValueText filter={f} field={field} />
              </span>
            )}
          </>
        );
        return (
          <li key={`${f.field}-${i}`} className="filter-chip">
            <Popover label={label} title="Edit filter" buttonClassName="filter-chip-button">
              {(close) => (
                <FilterEditor
                  catalog={catalog}
                  initial={f}
                  onCancel={close}
                  onApply={(next) => {
                    onChange(filters.map((x, j) => (j === i ? next : x)));
                    close();
                  }}
                />
              )}
            </Popover>
            <button
              type="button"
              className="filter-chip-remove"
              aria-label={`Remove filter ${catalog.label(f.field)}`}
              onClick={() => onChange(filters.filter((_, j) => j !== i))}
            >
              <Icon name="x" size={13} />
            </button>
          </li>
        );
      })}
      {filters.length > 1 && (
        <li>
          <Button size="sm" variant="ghost" onClick={onClear}>
            Clear all
          </Button>
        </li>
      )}
    </ul>
  );
}
