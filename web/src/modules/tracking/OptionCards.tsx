import { useId } from 'react';

export interface CardOption<T extends string> {
  value: T;
  label: string;
  description: string;
}

/** Radio cards (the role picker's look): each choice says what it means. */
export function OptionCards<T extends string>({
  legend,
  options,
  value,
  onChange,
  columns = 'auto',
}: {
  legend: string;
  options: ReadonlyArray<CardOption<T>>;
  value: T;
  onChange: (v: T) => void;
  columns?: 'auto' | 'two';
}) {
  const name = useId();
  return (
    <fieldset className="role-picker">
      <legend className="field-label">{legend}</legend>
      <div className={`role-options${columns === 'two' ? ' option-cards-two' : ''}`}>
        {options.map((o) => (
          <label key={o.value} className={`role-option${value === o.value ? ' selected' : ''}`}>
            <input type="radio" name={name} value={o.value} checked={value === o.value} onChange={() => onChange(o.value)} />
            <span className="role-option-text">
              <span className="role-option-label">{o.label}</span>
              <span className="role-option-desc">{o.description}</span>
            </span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}
