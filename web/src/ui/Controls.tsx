import type { InputHTMLAttributes, SelectHTMLAttributes } from 'react';

/**
 * Bare form controls for editors that lay out many small inputs in a line (rule rows, condition
 * builders), where a labelled field (`TextField`, `SelectField`) would take too much room: the
 * accessible name comes from `aria-label` or a wrapping `<label>`, and the change comes back as a
 * value rather than an event.
 */
export interface TextInputProps extends Omit<InputHTMLAttributes<HTMLInputElement>, 'onChange' | 'value' | 'type'> {
  value: string;
  onChange: (value: string) => void;
}

export function TextInput({ value, onChange, className = 'input', ...rest }: TextInputProps) {
  return <input {...rest} className={className} value={value} onChange={(e) => onChange(e.target.value)} />;
}

export interface EnumSelectProps<T extends string> extends Omit<
  SelectHTMLAttributes<HTMLSelectElement>,
  'onChange' | 'value' | 'children'
> {
  /** The values, in the order shown. */
  options: readonly T[];
  labels: Readonly<Record<NoInfer<T>, string>>;
  value: T;
  onChange: (value: T) => void;
}

/** A select over a fixed set of values (an enum), each shown by its label; the change comes back typed. */
export function EnumSelect<T extends string>({
  options,
  labels,
  value,
  onChange,
  className = 'input select',
  ...rest
}: EnumSelectProps<T>) {
  return (
    <select
      {...rest}
      className={className}
      value={value}
      onChange={(e) => {
        const picked = options.find((o) => o === e.target.value);
        if (picked !== undefined) onChange(picked);
      }}
    >
      {options.map((o) => (
        <option key={o} value={o}>
          {labels[o]}
        </option>
      ))}
    </select>
  );
}
