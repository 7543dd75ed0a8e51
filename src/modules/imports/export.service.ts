import type { Writable } from 'node:stream';
import { once } from 'node:events';
import { sql } from 'kysely';
import { stringify } from 'csv-stringify/sync';
import type { Db } from '../../platform/db/database.js';
import { AppError } from '../../platform/errors.js';
import type { ObjectDef } from '../crm/crm-objects.js';
import { activeFields } from '../crm/custom-fields.service.js';
import { externalIdsFor, selectList, toRecordView, type RecordRow } from '../crm/records.repo.js';
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
function cell(t: ImportTarget | undefined, v: unknown): string {
  if (v === null || v === undefined) return '';
  if (t?.type === 'currency' && typeof v === 'number') return formatMinorUnits(v);
  if (Array.isArray(v)) return neutraliseFormula(v.join(';'));
  if (typeof v === 'object') return neutraliseFormula(JSON.stringify(v));
  return neutraliseFormula(String(v));
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

/**
 * Streams records as CSV or JSON Lines into `out`, page by page in id order (keyset pages, so the
 * cost per page stays flat however deep the export goes), honouring backpressure. CSV headers are
 * the import's target keys, so an export imports back unchanged. Returns the number of rows.
 */
export async function writeExport(plan: ExportPlan, out: Writable): Promise<number> {
  const { db, def, opts, columns, byKey, liveKeys, owners, where } = plan;
  const write = async (chunk: string) => {
    if (!out.write(chunk)) await once(out, 'drain');
  };
  if (opts.format === 'csv') await write(`\uFEFF${stringify([columns])}`);
  let after: string | null = null;
  let n = 0;
  for (;;) {
    const page: RecordRow[] = (
      await sql<RecordRow>`select ${selectList(def)} from ${sql.table(def.table)} r
        where ${sql.join([...where, ...(after ? [sql`r.id > ${after}`] : [])], sql` and `)} order by r.id limit ${PAGE}`.execute(db)
    ).rows;
    if (page.length === 0) break;
    const ext = await externalIdsFor(
      db,
      page.map((r) => r.id),
    );
    const lines: string[] = [];
    const rows: string[][] = [];
    for (const r of page) {
      const v = toRecordView(def, r, ext.get(r.id) ?? {}, liveKeys);
      if (opts.format === 'jsonl') {
        lines.push(JSON.stringify(v));
        continue;
      }
      rows.push(
        columns.map((c) => {
          if (c === 'ownerEmail') return cell(undefined, v.ownerId ? owners.get(String(v.ownerId)) : null);
          if (c.startsWith('custom.')) return cell(byKey.get(c), v.custom[c.slice(7)]);
          if (c.startsWith('externalIds.')) return cell(undefined, v.externalIds[c.slice(12)]);
          return cell(byKey.get(c), v[c]);
        }),
      );
    }
    await write(opts.format === 'jsonl' ? `${lines.join('\n')}\n` : stringify(rows));
    n += page.length;
    after = page[page.length - 1]?.id ?? null;
    if (page.length < PAGE) break;
  }
  return n;
}

export async function exportRecords(db: Db, workspaceId: string, def: ObjectDef, opts: ExportOptions, out: Writable): Promise<number> {
  return writeExport(await planExport(db, workspaceId, def, opts), out);
}
