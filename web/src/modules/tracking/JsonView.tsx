import { useMemo, type ReactNode } from 'react';

// One JSON token: a string (a key when a colon follows), a literal, or a number.
const TOKEN = /("(?:\\.|[^"\\])*")(\s*:)?|\b(true|false|null)\b|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;

/** JSON.stringify output with keys, strings, numbers and literals coloured; text stays selectable as plain JSON. */
function highlight(json: string): ReactNode[] {
  const out: ReactNode[] = [];
  let last = 0;
  for (const m of json.matchAll(TOKEN)) {
    const at = m.index;
    if (at > last) out.push(json.slice(last, at));
    const [text, str, colon, literal] = m;
    if (str !== undefined && colon !== undefined) {
      out.push(
        <span key={at} className="json-key">
          {str}
        </span>,
        colon,
      );
    } else {
      const cls =
        str !== undefined ? 'json-string' : literal !== undefined ? `json-${literal === 'null' ? 'null' : 'bool'}` : 'json-number';
      out.push(
        <span key={at} className={cls}>
          {text}
        </span>,
      );
    }
    last = at + text.length;
  }
  if (last < json.length) out.push(json.slice(last));
  return out;
}

export function JsonView({ value, label }: { value: unknown; label: string }) {
  const json = useMemo(() => JSON.stringify(value, null, 2), [value]);
  const nodes = useMemo(() => highlight(json), [json]);
  return (
    <pre className="json-view" tabIndex={0} aria-label={label}>
      <code>{nodes}</code>
    </pre>
  );
}
