import { useId, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes } from 'react';

interface FieldShellProps {
  id: string;
  label: ReactNode;
  hint?: ReactNode;
  error?: string | undefined;
  children: ReactNode;
  className?: string;
}

function FieldShell({ id, label, hint, error, children, className }: FieldShellProps) {
  return (
    <div className={`field${error ? ' field-invalid' : ''}${className ? ` ${className}` : ''}`}>
      <label className="field-label" htmlFor={id}>
        {label}
      </label>
      {children}
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

export interface TextFieldProps extends Omit<InputHTMLAttributes<HTMLInputElement>, 'onChange' | 'value'> {
  label: ReactNode;
  value: string;
  onChange: (value: string) => void;
  hint?: ReactNode;
  error?: string | undefined;
  fieldClassName?: string;
}

export function TextField({ label, value, onChange, hint, error, fieldClassName, id: givenId, ...rest }: TextFieldProps) {
  const autoId = useId();
  const id = givenId ?? autoId;
  const describedBy = error ? `${id}-error` : hint ? `${id}-hint` : undefined;
  return (
    <FieldShell id={id} label={label} hint={hint} error={error} className={fieldClassName}>
      <input
        {...rest}
        id={id}
        className="input"
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy}
      />
    </FieldShell>
  );
}

export interface SelectFieldProps extends Omit<SelectHTMLAttributes<HTMLSelectElement>, 'onChange' | 'value'> {
  label: ReactNode;
  value: string;
  onChange: (value: string) => void;
  options: ReadonlyArray<{ value: string; label: string }>;
  hint?: ReactNode;
  error?: string | undefined;
  fieldClassName?: string;
}

export function SelectField({ label, value, onChange, options, hint, error, fieldClassName, id: givenId, ...rest }: SelectFieldProps) {
  const autoId = useId();
  const id = givenId ?? autoId;
  return (
    <FieldShell id={id} label={label} hint={hint} error={error} className={fieldClassName}>
      <select
        {...rest}
        id={id}
        className="input select"
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : hint ? `${id}-hint` : undefined}
      >
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </FieldShell>
  );
}

export interface NewPasswordFieldsProps {
  /** "Password" on set-up, "New password" when changing one. */
  label: string;
  password: string;
  confirm: string;
  onPassword: (v: string) => void;
  onConfirm: (v: string) => void;
  passwordError?: string;
  confirmError?: string;
}

/** A new password and its confirmation, side by side, with the length hint. */
export function NewPasswordFields({
  label,
  password,
  confirm,
  onPassword,
  onConfirm,
  passwordError,
  confirmError,
}: NewPasswordFieldsProps) {
  return (
    <div className="form-row">
      <TextField
        label={label}
        type="password"
        autoComplete="new-password"
        value={password}
        onChange={onPassword}
        error={passwordError}
        hint="At least 12 characters."
      />
      <TextField
        label={`Confirm ${label.toLowerCase()}`}
        type="password"
        autoComplete="new-password"
        value={confirm}
        onChange={onConfirm}
        error={confirmError}
      />
    </div>
  );
}

/** The confirmation error, or undefined when the two match (or no password was typed yet). */
export function passwordMismatch(password: string, confirm: string): string | undefined {
  return password && confirm !== password ? 'The passwords do not match' : undefined;
}
