import { useId, type ReactNode } from 'react';
import { api } from '../../lib/api.js';
import { Combobox, type ComboOption } from '../../ui/Combobox.js';
import { SelectField, TextField } from '../../ui/Field.js';
import type { FieldInfo } from './fields.js';
import type { DraftValue } from './form-values.js';
import { currencyDigits } from './money.js';
import { accountKind, type RecordKind } from './record-kinds.js';
import { recordsPage, useAccountName, userLabel, useUsers } from './record-queries.js';

// Common values, offered (not enforced: the field is free text) so lists stay consistent.
const suggestions: Record<string, readonly string[]> = {
  lifecycleStage: ['subscriber', 'lead', 'mql', 'sql', 'opportunity', 'customer', 'evangelist', 'other'],
  size: ['1-10', '11-50', '51-200', '201-500', '501-1000', '1001-5000', '5000+'],
};

export interface FieldInputProps {
  field: FieldInfo;
  value: DraftValue;
  onChange: (value: DraftValue) => void;
  onBlur?: () => void;
  error?: string | undefined;
  /** Hide the label visually (filters and bulk edits name the field elsewhere). */
  hideLabel?: boolean;
  id?: string;
}

function Label({ field, hide }: { field: FieldInfo; hide?: boolean }): ReactNode {
  if (hide) return <span className="sr-only">{field.label}</span>;
  return (
    <>
      {field.label}
      {field.required && (
        <span className="field-required" aria-hidden="true">
          {' '}
          *
        </span>
      )}
    </>
  );
}

/** Searches records of a kind for a combobox: name and, under it, email or domain. */
export function searchRecords(kind: RecordKind) {
  return async (q: string): Promise<ComboOption[]> => {
    const page = await api.get(`/${kind.plural}`, recordsPage(kind), { q: q || undefined, limit: 8, sort: q ? undefined : '-updatedAt' });
    return page.data.map((r) => ({ id: r.id, label: kind.displayName(r), detail: kind.subtitle(r) ?? kind.def.label }));
  };
}

export function AccountPicker({
  label,
  value,
  onChange,
  error,
  hideLabel,
  id,
}: {
  label: ReactNode;
  value: string;
  onChange: (id: string) => void;
  error?: string | undefined;
  hideLabel?: boolean;
  id?: string;
}) {
  const name = useAccountName(value || null);
  return (
    <Combobox
      id={id}
      label={label}
      hideLabel={hideLabel}
      value={value || null}
      valueLabel={value ? (name ?? 'Loading…') : null}
      onChange={(o) => onChange(o?.id ?? '')}
      queryKey={['accounts', 'pick']}
      search={searchRecords(accountKind)}
      placeholder="Search accounts"
      error={error}
    />
  );
}

export function OwnerSelect({
  label,
  value,
  onChange,
  error,
  hideLabel,
  emptyLabel = 'No owner',
  id,
}: {
  label: ReactNode;
  value: string;
  onChange: (id: string) => void;
  error?: string | undefined;
  hideLabel?: boolean;
  emptyLabel?: string;
  id?: string;
}) {
  const { users, byId } = useUsers();
  const options = [
    { value: '', label: emptyLabel },
    ...users.filter((u) => !u.disabled || u.id === value).map((u) => ({ value: u.id, label: userLabel(u) })),
  ];
  // An owner this person cannot list (or not loaded yet) still shows as chosen.
  if (value && !byId.has(value)) options.push({ value, label: 'Another user' });
  return (
    <SelectField
      id={id}
      label={hideLabel ? <span className="sr-only">{label}</span> : label}
      value={value}
      onChange={onChange}
      options={options}
      error={error}
    />
  );
}

/** One input fitting a field's type, with its label and error. */
export function FieldInput({ field, value, onChange, onBlur, error, hideLabel, id: givenId }: FieldInputProps) {
  const autoId = useId();
  const id = givenId ?? autoId;
  const label = <Label field={field} hide={hideLabel} />;
  const text = typeof value === 'string' ? value : '';
  const common = { id, label, value: text, onChange, onBlur, error, 'aria-required': field.required || undefined };

  switch (field.kind) {
    case 'owner':
      return <OwnerSelect id={id} label={label} value={text} onChange={onChange} error={error} />;
    case 'account':
      return <AccountPicker id={id} label={label} value={text} onChange={onChange} error={error} />;
    case 'boolean':
      return (
        <div className={`field field-check${error ? ' field-invalid' : ''}`}>
          {!hideLabel && <span className="field-label">{label}</span>}
          <label className="switch">
            <input type="checkbox" id={id} checked={value === true} onChange={(e) => onChange(e.target.checked)} onBlur={onBlur} />
            <span className="switch-track" aria-hidden="true" />
            <span>{hideLabel ? field.label : value === true ? 'Yes' : 'No'}</span>
          </label>
          {error && <p className="field-error">{error}</p>}
        </div>
      );
    case 'select':
      return (
        <SelectField
          {...common}
          options={[{ value: '', label: '—' }, ...field.options.map((o) => ({ value: o, label: o }))]}
          onChange={(v) => onChange(v)}
        />
      );
    case 'multiselect': {
      const chosen = Array.isArray(value) ? value : [];
      return (
        <fieldset className={`field choice-group${error ? ' field-invalid' : ''}`} onBlur={onBlur}>
          <legend className={hideLabel ? 'sr-only' : 'field-label'}>{label}</legend>
          <div className="choice-chips">
            {field.options.map((o) => (
              <label key={o} className={`choice-chip${chosen.includes(o) ? ' on' : ''}`}>
                <input
                  type="checkbox"
                  checked={chosen.includes(o)}
                  onChange={(e) => onChange(e.target.checked ? [...chosen, o] : chosen.filter((c) => c !== o))}
                />
                <span>{o}</span>
              </label>
            ))}
          </div>
          {error && <p className="field-error">{error}</p>}
        </fieldset>
      );
    }
    case 'currency': {
      const cur = field.currency ?? 'USD';
      const d = currencyDigits(cur);
      return (
        <div className="input-affix">
          <TextField {...common} inputMode="decimal" placeholder={d ? `0.${'0'.repeat(d)}` : '0'} autoComplete="off" />
          <span className="input-affix-text" aria-hidden="true">
            {cur}
          </span>
        </div>
      );
    }
    case 'number':
      return <TextField {...common} inputMode="decimal" autoComplete="off" />;
    case 'date':
      return <TextField {...common} type="date" />;
    case 'datetime':
      return <TextField {...common} type="datetime-local" />;
    case 'email':
      return <TextField {...common} type="email" autoComplete="off" spellCheck={false} />;
    case 'url':
      return <TextField {...common} type="url" placeholder="https://" autoComplete="off" spellCheck={false} />;
    case 'phone':
      return <TextField {...common} type="tel" autoComplete="off" />;
    case 'timestamp':
      return null;
    default: {
      const list = field.core ? suggestions[field.core.key] : undefined;
      return (
        <>
          <TextField {...common} autoComplete="off" list={list ? `${id}-suggest` : undefined} maxLength={field.core?.maxLength} />
          {list && (
            <datalist id={`${id}-suggest`}>
              {list.map((s) => (
                <option key={s} value={s} />
              ))}
            </datalist>
          )}
        </>
      );
    }
  }
}
