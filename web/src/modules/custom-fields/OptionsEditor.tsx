import { useId, useState, type ClipboardEvent, type KeyboardEvent } from 'react';
import { Button } from '../../ui/Button.js';
import { Icon } from '../../ui/Icon.js';

function splitOptions(text: string): string[] {
  return text
    .split(/[\n,;\t]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Adds options not already present (compared without case, as the API does). */
function addUnique(list: readonly string[], more: readonly string[]): string[] {
  const seen = new Set(list.map((o) => o.toLowerCase()));
  const out = [...list];
  for (const o of more) {
    if (seen.has(o.toLowerCase())) continue;
    seen.add(o.toLowerCase());
    out.push(o);
  }
  return out;
}

/**
 * The choices of a select field: type one and press Enter, or paste a list (one per line, or
 * comma-separated) to add them all. Each can be edited in place or removed.
 */
export function OptionsEditor({
  value,
  onChange,
  error,
  hint,
}: {
  value: readonly string[];
  onChange: (options: string[]) => void;
  error?: string | undefined;
  hint?: string;
}) {
  const id = useId();
  const [draft, setDraft] = useState('');
  const duplicate = draft.trim() !== '' && value.some((o) => o.toLowerCase() === draft.trim().toLowerCase());

  const add = () => {
    const more = splitOptions(draft);
    if (more.length === 0 || duplicate) return;
    onChange(addUnique(value, more));
    setDraft('');
  };
  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    // Enter adds the option rather than submitting the dialog around it.
    if (e.key === 'Enter') {
      e.preventDefault();
      add();
    }
  };
  const onPaste = (e: ClipboardEvent<HTMLInputElement>) => {
    const text = e.clipboardData.getData('text');
    if (!/[\n,;\t]/.test(text)) return;
    e.preventDefault();
    onChange(addUnique(value, splitOptions(text)));
    setDraft('');
  };
  const rename = (i: number, next: string) => onChange(value.map((o, k) => (k === i ? next : o)));
  const remove = (i: number) => onChange(value.filter((_, k) => k !== i));
  const move = (i: number, by: -1 | 1) => {
    const j = i + by;
    if (j < 0 || j >= value.length) return;
    const next = [...value];
    [next[i], next[j]] = [next[j] ?? '', next[i] ?? ''];
    onChange(next);
  };

  const describedBy = error ? `${id}-error` : `${id}-hint`;
  return (
    <fieldset className={`fieldset options-editor${error ? ' field-invalid' : ''}`} aria-describedby={describedBy}>
      <legend className="field-label">Options</legend>
      {value.length > 0 && (
        <ol className="options-list">
          {value.map((o, i) => (
            <li key={i} className="options-item">
              <span className="options-index" aria-hidden="true">
                {i + 1}
              </span>
              <label className="sr-only" htmlFor={`${id}-opt-${i}`}>
                Option {i + 1}
              </label>
              <input id={`${id}-opt-${i}`} className="input" value={o} maxLength={100} onChange={(e) => rename(i, e.target.value)} />
              <button
                type="button"
                className="icon-btn icon-btn-sm"
                aria-label={`Move ${o || `option ${i + 1}`} up`}
                disabled={i === 0}
                onClick={() => move(i, -1)}
              >
                <Icon name="chevronDown" size={15} className="flip" />
              </button>
              <button
                type="button"
                className="icon-btn icon-btn-sm"
                aria-label={`Move ${o || `option ${i + 1}`} down`}
                disabled={i === value.length - 1}
                onClick={() => move(i, 1)}
              >
                <Icon name="chevronDown" size={15} />
              </button>
              <button
                type="button"
                className="icon-btn icon-btn-sm"
                aria-label={`Remove ${o || `option ${i + 1}`}`}
                onClick={() => remove(i)}
              >
                <Icon name="x" size={15} />
              </button>
            </li>
          ))}
        </ol>
      )}
      <div className="options-add">
        <label className="sr-only" htmlFor={`${id}-new`}>
          New option
        </label>
        <input
          id={`${id}-new`}
          className="input"
          placeholder={value.length ? 'Add another option' : 'Type an option and press Enter'}
          value={draft}
          maxLength={2000}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={onKeyDown}
          onPaste={onPaste}
          aria-invalid={duplicate || undefined}
        />
        <Button icon="plus" onClick={add} disabled={!draft.trim() || duplicate}>
          Add
        </Button>
      </div>
      {error ? (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      ) : duplicate ? (
        <p className="field-error" id={`${id}-hint`}>
          “{draft.trim()}” is already an option
        </p>
      ) : (
        <p className="field-hint" id={`${id}-hint`}>
          {hint ?? 'Paste a list to add many at once: one per line, or separated by commas.'}
        </p>
      )}
    </fieldset>
  );
}
