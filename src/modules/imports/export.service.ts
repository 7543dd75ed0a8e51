import type { Writable } from 'node:stream';
import { once } from 'node:events';
import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import { AppError } from '../../platform/errors.js';
import type { ObjectDef } from '../crm/crm-objects.js';
import { activeFields } from '../crm/custom-fields.service.js';
import { columnsOf, externalIdsFor, toRecordView, type RecordRowTextTimes } from '../crm/records.repo.js';
import { filtersSchema, type Filter } from '../crm/records.schema.js';
import { listConditions } from '../crm/records.service.js';
import { neutraliseFormula } from './csv-safety.js';
import { importTargets, type ImportTarget } from './import-targets.js';
import { formatMinorUnits } from './value-parsers.js';

const PAGE = 5000;

export interface ExportOptions {
  format: 'csv' | 'jsonl';
  columns?: string[];
  q?: string;
  filter?: Filter[];
  deleted?: 'exclude' | 'only';
}

export function parseFilterParam(filter: string | undefined): Filter[] | undefined {
  if (!filter) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(filter);
  } catch {
    throw new AppError('validation_failed', 'filter must be a JSON array of {field, op, value}');
  }
  const r = filtersSchema.safeParse(parsed);
  if (!r.success) throw new AppError('validation_failed', `filter: ${r.error.issues[0]?.message ?? 'not valid'}`);
  return r.data;
}

/** A cell as the importer reads it back: money as 1234.50, lists joined with ;, formulas defused. */
function cellText(t: ImportTarget | undefined, v: unknown): string {
  if (v === null || v === undefined) return '';
  if (t?.type === 'currency' && typeof v === 'number') return formatMinorUnits(v);
  if (Array.isArray(v)) return neutraliseFormula(v.join(';'));
  if (typeof v === 'object') return neutraliseFormula(JSON.stringify(v));
  return neutraliseFormula(String(v));
}

const NEEDS_QUOTES = /[",\r\n]/;

/**
 * One CSV field (RFC 4180) exactly as csv-stringify writes it with its defaults: quoted only when
 * it holds a comma, a double quote, CR or LF, with quotes doubled. Written here because building
 * the line directly is a sixth of the time of an export (BENCHMARKS.md, export-contacts).
 */
export function csvField(s: string): string {
  return NEEDS_QUOTES.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function csvLine(cells: readonly string[]): string {
  let line = '';
  for (let i = 0; i < cells.length; i++) line += (i === 0 ? '' : ',') + csvField(cells[i] ?? '');
  return `${line}\n`;
}

export interface ExportPlan {
  db: Db;
  def: ObjectDef;
  opts: ExportOptions;
  columns: string[];
  byKey: Map<string, ImportTarget>;
  liveKeys: Set<string>;
  owners: Map<string, string>;
  where: ReturnType<typeof listConditions>;
}

/** Checks an export request (columns, filter) before any byte is sent; throws a 400 on bad input. */
export async function planExport(db: Db, workspaceId: string, def: ObjectDef, opts: ExportOptions): Promise<ExportPlan> {
  const fields = await activeFields(db, workspaceId, def.object);
  const names = await db
    .selectFrom('external_ids')
    .select('key')
    .distinct()
    .where('workspace_id', '=', workspaceId)
    .where('object', '=', def.object)
    .execute();
  const targets = importTargets(
    def,
    fields,
    names.map((n) => n.key),
  ).filter((t) => t.group !== 'trait');
  const byKey = new Map(targets.map((t) => [t.key, t]));
  const all = ['id', ...targets.map((t) => t.key), 'createdAt', 'updatedAt'];
  const columns = opts.columns?.length ? opts.columns : all;
  for (const c of columns) if (!all.includes(c)) throw new AppError('validation_failed', `Unknown column "${c}"`);
  const liveKeys = new Set(fields.map((f) => f.key));
  const owners = new Map(
    (await db.selectFrom('users').select(['id', 'email']).where('workspace_id', '=', workspaceId).execute()).map((u) => [u.id, u.email]),
  );
  const where = listConditions(def, fields, workspaceId, { q: opts.q, filter: opts.filter, deleted: opts.deleted ?? 'exclude' });
  return { db, def, opts, columns, byKey, liveKeys, owners, where };
}

/** An exported row: the record's columns, timestamps as `toISOString` text from PostgreSQL. */
type ExportRow = RecordRowTextTimes;

const TIMESTAMPS = new Set(['created_at', 'updated_at', 'deleted_at']);

function exportColumns(def: ObjectDef): RawBuilder<unknown> {
  return sql.join(
    columnsOf(def).map((c) =>
      TIMESTAMPS.has(c)
        ? // to_char's MS truncates to milliseconds, as node-postgres's Date does.
          sql`to_char(${sql.ref(`r.${c}`)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as ${sql.id(c)}`
        : sql.ref(`r.${c}`),
    ),
  );
}

type CellOf = (r: ExportRow, externalIds: Record<string, string>) => string;

/** How each CSV column is read from a row, decided once per export rather than per cell. */
function csvCells(plan: ExportPlan): CellOf[] {
  const { def, byKey, liveKeys, owners } = plan;
  return plan.columns.map((c): CellOf => {
    if (c === 'id') return (r) => csvField(r.id);
    if (c === 'createdAt') return (r) => r.created_at;
    if (c === 'updatedAt') return (r) => r.updated_at;
    if (c === 'ownerEmail') return (r) => csvField(cellText(undefined, r.owner_id ? owners.get(String(r.owner_id)) : null));
    if (c.startsWith('custom.')) {
      const key = c.slice(7);
      const t = byKey.get(c);
      const live = liveKeys.has(key);
      return (r) => (live ? csvField(cellText(t, r.custom?.[key])) : '');
    }
    if (c.startsWith('externalIds.')) {
      const key = c.slice(12);
      return (_r, ext) => csvField(cellText(undefined, ext[key]));
    }
    const f = def.fields.find((x) => x.key === c);
    if (!f) throw new Error(`export: no column for ${c}`);
    const t = byKey.get(c);
    const column = f.column;
    if (f.type === 'number') return (r) => csvField(cellText(t, r[column] === null || r[column] === undefined ? null : Number(r[column])));
    return (r) => csvField(cellText(t, r[column]));
  });
}

/**
 * Streams records as CSV or JSON Lines into `out`, page by page in id order (keyset pages, so the
 * cost per page stays flat however deep the export goes), honouring backpressure. CSV headers are
 * the import's target keys, so an export imports back unchanged. Returns the number of rows.
 *
 * For speed on a million records (BENCHMARKS.md, export-contacts): timestamps come as text, CSV
 * cells straight from the row (no RecordView, no csv-stringify), and the next page is read while
 * this one is written. The output is byte for byte what a RecordView per row and csv-stringify
 * gave (export.service.test.ts checks one against the other).
 */
export async function writeExport(plan: ExportPlan, out: Writable): Promise<number> {
  const { db, def, opts, columns, liveKeys, where } = plan;
  const write = async (chunk: string) => {
    if (!out.write(chunk)) await once(out, 'drain');
  };
  type Page = { rows: ExportRow[]; ext: Map<string, Record<string, string>> };
  const fetchPage = (after: string | null): Promise<Page> => {
    const p = readPage(after);
    // Awaited only after this page is written: until then a failure must not count as unhandled.
    p.catch(() => undefined);
    return p;
  };
  const readPage = async (after: string | null): Promise<Page> => {
    const rows = (
      await sql<ExportRow>`select ${exportColumns(def)} from ${sql.table(def.table)} r
        where ${sql.join([...where, ...(after ? [sql`r.id > ${after}`] : [])], sql` and `)} order by r.id limit ${PAGE}`.execute(db)
    ).rows;
    const ext = await externalIdsFor(
      db,
      rows.map((r) => r.id),
    );
    return { rows, ext };
  };
  const cells = opts.format === 'csv' ? csvCells(plan) : [];
  if (opts.format === 'csv') await write(`\uFEFF${csvLine(columns)}`);
  let n = 0;
  let next: Promise<Page> | null = fetchPage(null);
  while (next) {
    const { rows, ext }: Page = await next;
    const last = rows[rows.length - 1];
    next = rows.length === PAGE && last ? fetchPage(last.id) : null;
    let chunk = '';
    for (const r of rows) {
      const x = ext.get(r.id) ?? {};
      if (opts.format === 'jsonl') {
        chunk += `${JSON.stringify(toRecordView(def, r, x, liveKeys))}\n`;
        continue;
      }
      let line = '';
      for (let i = 0; i < cells.length; i++) line += (i === 0 ? '' : ',') + (cells[i] as CellOf)(r, x);
      chunk += `${line}\n`;
    }
    if (chunk) await write(chunk);
    n += rows.length;
  }
  return n;
}

export async function exportRecords(db: Db, workspaceId: string, def: ObjectDef, opts: ExportOptions, out: Writable): Promise<number> {
  return writeExport(await planExport(db, workspaceId, def, opts), out);
}
