import type { CliIO } from './main.js';

/** Prints a result: one JSON document with --json, else aligned columns for people. */
export function printTable(io: CliIO, rows: Array<Record<string, unknown>>, columns: string[]): void {
  if (rows.length === 0) {
    io.out('(none)');
    return;
  }
  const cell = (v: unknown) => (v === null || v === undefined ? '-' : String(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  io.out(
    columns
      .map((c, i) => c.toUpperCase().padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
  for (const r of rows)
    io.out(
      columns
        .map((c, i) => cell(r[c]).padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    );
}

export function printJson(io: CliIO, value: unknown): void {
  io.out(JSON.stringify(value));
}
