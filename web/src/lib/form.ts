import { useCallback, useState } from 'react';
import type { z } from 'zod';
import { ApiError } from './api.js';

export type FieldErrors = Partial<Record<string, string>>;

/** First message per top-level field, from a failed zod parse. */
export function zodFieldErrors(error: z.ZodError): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of error.issues) {
    const key = String(issue.path[0] ?? '_form');
    out[key] ??= issue.message;
  }
  return out;
}

/** Field messages from a validation_failed problem (paths look like "body.email"). */
export function problemFieldErrors(err: unknown): FieldErrors {
  const out: FieldErrors = {};
  if (!(err instanceof ApiError)) return out;
  for (const e of err.problem.errors ?? []) {
    const key = (e.path ?? '').replace(/^body\.?/, '').split('.')[0] ?? '';
    if (key) out[key] ??= e.message;
  }
  return out;
}

/**
 * Validates with the same zod schema the API uses. Returns the parsed value, or null after
 * handing the per-field messages to `setErrors`.
 */
export function validate<S extends z.ZodType>(schema: S, input: unknown, setErrors: (e: FieldErrors) => void): z.infer<S> | null {
  const parsed = schema.safeParse(input);
  if (parsed.success) {
    setErrors({});
    return parsed.data;
  }
  setErrors(zodFieldErrors(parsed.error));
  return null;
}

/**
 * A form's values and per-field errors. Editing a field clears its error, so a message never
 * lingers beside a value that may already be right; the next submit validates everything again.
 */
export function useFormState<T extends Record<string, unknown>>(initial: T) {
  const [values, setValues] = useState(initial);
  const [errors, setErrors] = useState<FieldErrors>({});
  const set = useCallback(
    <K extends keyof T & string>(key: K) =>
      (value: T[K]) => {
        setValues((v) => ({ ...v, [key]: value }));
        setErrors((e) => (e[key] ? { ...e, [key]: undefined } : e));
      },
    [],
  );
  const reset = useCallback(() => setValues(initial), [initial]);
  return { values, set, errors, setErrors, reset };
}
