import type { MemberError } from './lists-queries.js';

/**
 * A cell as RFC 4180 writes it. Values came from someone's file, so a leading =, +, - or @ is
 * prefixed with ' first: a spreadsheet opening the download must not run it as a formula
 * (OWASP "CSV injection"), the same rule the server's exports follow.
 */
function cell(v: string): string {
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The rows a change could not apply, as CSV (row, value, reason), to fix and upload again. */
export function errorsCsv(errors: MemberError[]): string {
  const lines = [
    'row,value,reason',
    ...errors.map((e) => [e.row === undefined ? '' : String(e.row), cell(e.value), cell(e.reason)].join(',')),
  ];
  return `${lines.join('\r\n')}\r\n`;
}

/** Saves text as a file through a temporary object URL (nothing leaves the browser). */
export function downloadText(text: string, fileName: string, type = 'text/csv;charset=utf-8'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** "Webinar attendees" -> "webinar-attendees": a file name from a list's name. */
export function fileSlug(name: string): string {
  return (
    name
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^\p{L}\p{N}]+/gu, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) || 'list'
  );
}
