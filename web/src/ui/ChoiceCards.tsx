import { useId, type ReactNode } from 'react';
import './choice-cards.css';

export interface Choice<T extends string> {
  value: T;
  label: ReactNode;
  description?: ReactNode;
  disabled?: boolean;
}

/**
 * Radio cards: each choice with a line on what it means, so the choice is an informed one (field
 * types, import modes, export formats). Arrow keys move between them as with any radio group.
 */
export function ChoiceCards<T extends string>({
  legend,
  value,
  onChange,
  choices,
  error,
  hint,
  columns,
  hideLegend = false,
  compact = false,
}: {
  legend: ReactNode;
  value: T | '';
  onChange: (value: T) => void;
  choices: ReadonlyArray<Choice<T>>;
  error?: string | undefined;
  hint?: ReactNode;
  /** Cards per row at full width; by default as many as fit at 230px. */
  columns?: number;
  hideLegend?: boolean;
  /** Tighter cards, for long lists of short choices. */
  compact?: boolean;
}) {
  const name = useId();
  const describedBy = error ? `${name}-error` : hint ? `${name}-hint` : undefined;
  return (
    <fieldset className={`role-picker${compact ? ' choice-compact' : ''}${error ? ' field-invalid' : ''}`} aria-describedby={describedBy}>
      <legend className={hideLegend ? 'sr-only' : 'field-label'}>{legend}</legend>
      <div
        className="role-options"
        style={
          columns
            ? { gridTemplateColumns: `repeat(auto-fill, minmax(max(180px, calc((100% - ${(columns - 1) * 8}px) / ${columns})), 1fr))` }
            : undefined
        }
      >
        {choices.map((c) => (
          <label key={c.value} className={`role-option${value === c.value ? ' selected' : ''}${c.disabled ? ' disabled' : ''}`}>
            <input
              type="radio"
              name={name}
              value={c.value}
              checked={value === c.value}
              disabled={c.disabled}
              onChange={() => onChange(c.value)}
            />
            <span className="role-option-text">
              <span className="role-option-label">{c.label}</span>
              {/* A space, so the accessible name reads "Date A calendar day…", not "DateA calendar day…". */}
              {c.description && (
                <>
                  {' '}
                  <span className="role-option-desc">{c.description}</span>
                </>
              )}
            </span>
          </label>
        ))}
      </div>
      {hint && !error && (
        <p className="field-hint" id={`${name}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p className="field-error" id={`${name}-error`}>
          {error}
        </p>
      )}
    </fieldset>
  );
}
