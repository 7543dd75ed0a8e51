import { useId } from 'react';
import { roleDescriptions, roleLabels, roles, type Role } from '../../lib/roles.js';

/** Radio cards: each role with what it is for, so the choice is an informed one. */
export function RolePicker({
  value,
  onChange,
  error,
  legend = 'Role',
}: {
  value: Role | '';
  onChange: (r: Role) => void;
  error?: string | undefined;
  legend?: string;
}) {
  const name = useId();
  return (
    <fieldset className={`role-picker${error ? ' field-invalid' : ''}`} aria-describedby={error ? `${name}-error` : undefined}>
      <legend className="field-label">{legend}</legend>
      <div className="role-options">
        {roles.map((r) => (
          <label key={r} className={`role-option${value === r ? ' selected' : ''}`}>
            <input type="radio" name={name} value={r} checked={value === r} onChange={() => onChange(r)} />
            <span className="role-option-text">
              <span className="role-option-label">{roleLabels[r]}</span>
              <span className="role-option-desc">{roleDescriptions[r]}</span>
            </span>
          </label>
        ))}
      </div>
      {error && (
        <p className="field-error" id={`${name}-error`}>
          {error}
        </p>
      )}
    </fieldset>
  );
}
