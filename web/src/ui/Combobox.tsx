import { useQuery } from '@tanstack/react-query';
import { useId, useState, type KeyboardEvent, type ReactNode } from 'react';
import { useDebounced } from '../lib/use-debounced.js';
import { Icon } from './Icon.js';
import { Spinner } from './Spinner.js';
import './controls.css';

export interface ComboOption {
  id: string;
  label: string;
  detail?: string | null;
}

export interface ComboboxProps {
  label: ReactNode;
  /** The chosen option's id, or null. */
  value: string | null;
  /** What the input shows for the chosen option (the caller knows its name). */
  valueLabel: string | null;
  onChange: (option: ComboOption | null) => void;
  /** Options for what was typed; cached under `queryKey` + the text. */
  queryKey: readonly unknown[];
  search: (q: string) => Promise<ComboOption[]>;
  placeholder?: string;
  hint?: ReactNode;
  error?: string | undefined;
  /** Leave out the label (it is given by the surrounding form). */
  hideLabel?: boolean;
  id?: string;
}

/**
 * A searchable picker (ARIA 1.2 combobox with a listbox): type to search the server, arrows to
 * move, Enter to choose, Escape to close. The × clears the choice.
 */
export function Combobox({
  label,
  value,
  valueLabel,
  onChange,
  queryKey,
  search,
  placeholder,
  hint,
  error,
  hideLabel,
  id: givenId,
}: ComboboxProps) {
  const autoId = useId();
  const id = givenId ?? autoId;
  const listId = `${id}-list`;
  const [open, setOpen] = useState(false);
  const [text, setText] = useState('');
  const [active, setActive] = useState(0);
  const q = useDebounced(text.trim(), 200);
  const options = useQuery({ queryKey: [...queryKey, q], queryFn: () => search(q), enabled: open, staleTime: 30_000 });
  const items = options.data ?? [];

  const choose = (o: ComboOption | null) => {
    onChange(o);
    setOpen(false);
    setText('');
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      if (!open) setOpen(true);
      else setActive((a) => Math.min(a + 1, items.length - 1));
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      setActive((a) => Math.max(a - 1, 0));
    } else if (e.key === 'Enter' && open) {
      e.preventDefault();
      const o = items[active];
      if (o) choose(o);
    } else if (e.key === 'Escape' && open) {
      e.preventDefault();
      e.stopPropagation();
      setOpen(false);
      setText('');
    }
  };

  const describedBy = error ? `${id}-error` : hint ? `${id}-hint` : undefined;
  const activeId = open && items[active] ? `${id}-opt-${active}` : undefined;

  return (
    <div className={`field combobox${error ? ' field-invalid' : ''}`}>
      <label className={hideLabel ? 'sr-only' : 'field-label'} htmlFor={id}>
        {label}
      </label>
      <div className="combobox-control">
        <Icon name="search" size={15} className="combobox-icon" />
        <input
          id={id}
          className="input"
          role="combobox"
          aria-expanded={open}
          aria-controls={listId}
          aria-autocomplete="list"
          aria-activedescendant={activeId}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy}
          autoComplete="off"
          placeholder={valueLabel ?? placeholder}
          value={open ? text : (valueLabel ?? '')}
          onFocus={() => setOpen(true)}
          onClick={() => setOpen(true)}
          onBlur={() => {
            // Let a click on an option land first.
            setTimeout(() => {
              setOpen(false);
              setText('');
            }, 150);
          }}
          onChange={(e) => {
            setText(e.target.value);
            setActive(0);
            setOpen(true);
          }}
          onKeyDown={onKeyDown}
        />
        {value && (
          <button type="button" className="icon-btn icon-btn-sm combobox-clear" aria-label="Clear" onClick={() => choose(null)}>
            <Icon name="x" size={14} />
          </button>
        )}
        {open && (
          <ul className="combobox-list" id={listId} role="listbox" aria-label={typeof label === 'string' ? label : undefined}>
            {options.isPending ? (
              <li className="combobox-status">
                <Spinner size={14} /> Searching…
              </li>
            ) : options.isError ? (
              <li className="combobox-status">Could not search. Try again.</li>
            ) : items.length === 0 ? (
              <li className="combobox-status">{q ? `Nothing matches “${q}”` : 'Nothing to choose yet'}</li>
            ) : (
              items.map((o, i) => (
                <li
                  key={o.id}
                  id={`${id}-opt-${i}`}
                  role="option"
                  aria-selected={i === active}
                  className={`combobox-option${i === active ? ' active' : ''}${o.id === value ? ' chosen' : ''}`}
                  onMouseDown={(e) => e.preventDefault()}
                  onMouseEnter={() => setActive(i)}
                  onClick={() => choose(o)}
                >
                  <span className="combobox-option-label">{o.label}</span>
                  {o.detail && <span className="combobox-option-detail">{o.detail}</span>}
                </li>
              ))
            )}
          </ul>
        )}
      </div>
      {hint && !error && (
        <p className="field-hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}
