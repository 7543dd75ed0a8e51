import { createHash } from 'node:crypto';
import { normaliseRulesFor } from '../quality/normalise-rules.js';
import { createReadStream } from 'node:fs';
import { mkdir, open, rm, stat, truncate } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setImmediate as yieldToIo } from 'node:timers/promises';
import type { Readable } from 'node:stream';
import { createWriteStream } from 'node:fs';
import type { Selectable } from 'kysely';
import { sql } from 'kysely';
import { stringify } from 'csv-stringify/sync';
import type { Actor } from '../../platform/actor.js';
import { recordAudit, triggerContext } from '../../platform/audit/audit.service.js';
import type { Clock } from '../../platform/clock.js';
import type { Db, DbOrTx } from '../../platform/db/database.js';
import type { ImportsTable } from '../../platform/db/schema.js';
import { AppError, notFound } from '../../platform/errors.js';
import { decodeCursor, toPage, type Page } from '../../platform/http/pagination.js';
import { newId } from '../../platform/ids.js';
import type { Jobs } from '../../platform/jobs/jobs.js';
import { objectDefs, type ObjectDef } from '../crm/crm-objects.js';
import { activeFields } from '../crm/custom-fields.service.js';
import type { ObjectName } from '../crm/field-types.js';
import { planBatch, prenormalise, writeBatch, type BatchContext, type Outcome, type PreparedRow } from './import-batch.js';
import { importTargets, parseCell, suggestTargets, READ_ONLY_COLUMNS, type ImportTarget } from './import-targets.js';
import { readCsv, readHead, sniffFormat, type FileFormat } from './csv-reader.js';
import { SeenKeys } from './seen-keys.js';
import type { DryRun, ImportView, UpdateImportInput } from './imports.schema.js';
import { detectDateFormat, type DateFormat } from './value-parsers.js';

export interface ImportCtx {
  db: Db;
  clock: Clock;
  /** Where uploaded files and error files live (KEEL_DATA_DIR/files). */
  filesDir: string;
}

type Row = Selectable<ImportsTable>;
export type ImportProgress = {
  rowsDone: number;
  bytesDone: number;
  fileSize: number;
  created: number;
  updated: number;
  skipped: number;
  errors: number;
};

const BATCH = 2000;
/** At most this many characters of cells in a batch (a row may hold up to 1M). */
const BATCH_CHARS = 16_000_000;
const PREVIEW_ROWS = 20;
/** A 'running' import whose heartbeat is older than this has lost its process and may be resumed. */
const STALE_MS = 60_000;
/** The extra columns of an error file; ignored when the fixed file is imported again. */
const ERROR_COLUMNS = ['Import error', 'Source line'];
for (const c of ERROR_COLUMNS) READ_ONLY_COLUMNS.add(c);

export function importDir(filesDir: string): string {
  return path.join(filesDir, 'imports');
}

export function toImportView(r: Row, now: Date): ImportView {
  const rowsDone = Number(r.rows_done);
  const bytesDone = Number(r.bytes_done);
  const size = Number(r.file_size);
  const elapsed = r.started_at ? ((r.finished_at ?? now).getTime() - r.started_at.getTime()) / 1000 : 0;
  const rate = elapsed > 0.5 && rowsDone > 0 ? rowsDone / elapsed : null;
  const share = size > 0 ? Math.min(1, bytesDone / size) : 0;
  const running = r.status === 'running';
  return {
    id: r.id,
    object: r.object as ObjectName,
    status: r.status as ImportView['status'],
    fileName: r.file_name,
    fileSize: size,
    fileHash: r.file_hash,
    encoding: r.encoding,
    delimiter: r.delimiter,
    headers: r.headers,
    sample: r.sample,
    mapping: r.mapping,
    mode: r.mode as ImportView['mode'],
    matchKey: r.match_key,
    dateFormat: r.date_format as ImportView['dateFormat'],
    dryRun: (r.dry_run as DryRun | null) ?? null,
    progress: {
      rowsDone,
      bytesDone,
      percent: r.status === 'completed' ? 100 : Math.round(share * 1000) / 10,
      rowsPerSecond: rate === null ? null : Math.round(rate),
      etaSeconds: running && share > 0.01 && elapsed > 0 ? Math.round((elapsed / share) * (1 - share)) : null,
    },
    counts: {
      created: Number(r.created_count),
      updated: Number(r.updated_count),
      skipped: Number(r.skipped_count),
      errors: Number(r.error_count),
    },
    errorFileUrl: r.error_file && Number(r.error_count) > 0 ? `/api/v1/imports/${r.id}/errors.csv` : null,
    failure: r.failure,
    actor: r.actor_label,
    createdAt: r.created_at.toISOString(),
    startedAt: r.started_at?.toISOString() ?? null,
    finishedAt: r.finished_at?.toISOString() ?? null,
    durationMs: r.duration_ms === null ? null : Number(r.duration_ms),
    undoneAt: r.undone_at?.toISOString() ?? null,
    undoResult: (r.undo_result as Record<string, number> | null) ?? null,
  };
}

async function hashFile(file: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(file), h);
  return h.digest('hex');
}

/** Saves an upload stream to the files folder, refusing it past `maxBytes`. Returns its path. */
export async function saveUpload(filesDir: string, body: Readable, maxBytes: number): Promise<string> {
  await mkdir(importDir(filesDir), { recursive: true });
  const file = path.join(importDir(filesDir), `${newId()}.upload`);
  let size = 0;
  try {
    await pipeline(
      body,
      async function* (src: AsyncIterable<Buffer>) {
        for await (const chunk of src) {
          size += chunk.length;
          if (size > maxBytes) {
            throw new AppError(
              'payload_too_large',
              `The file is larger than ${Math.round(maxBytes / 1024 / 1024).toLocaleString('en')} MB, the limit set by KEEL_IMPORT_MAX_BYTES`,
            );
          }
          yield chunk;
        }
      },
      createWriteStream(file),
    );
  } catch (err) {
    await rm(file, { force: true });
    throw err;
  }
  return file;
}

async function targetsFor(db: DbOrTx, workspaceId: string, def: ObjectDef): Promise<ImportTarget[]> {
  const fields = await activeFields(db, workspaceId, def.object);
  const names = await db
    .selectFrom('external_ids')
    .select('key')
    .distinct()
    .where('workspace_id', '=', workspaceId)
    .where('object', '=', def.object)
    .limit(50)
    .execute();
  return importTargets(
    def,
    fields,
    names.map((n) => n.key),
  );
}

export async function listTargets(ctx: ImportCtx, workspaceId: string, object: ObjectName): Promise<ImportTarget[]> {
  return targetsFor(ctx.db, workspaceId, objectDefs[object]);
}

/**
 * Registers a file for import: checks it is a CSV we can read, records its format, header and
 * first rows, and suggests a mapping. `file` is taken over (an upload) or read in place (the CLI).
 */
export async function createImport(
  ctx: ImportCtx,
  actor: Actor,
  input: {
    object: ObjectName;
    file: string;
    fileName: string;
    mode?: 'create' | 'update' | 'upsert';
    matchKey?: string;
    dateFormat?: ImportView['dateFormat'];
    /** Already computed by the caller (the CLI hashes first to find an unfinished import). */
    fileHash?: string;
  },
): Promise<ImportView> {
  const def = objectDefs[input.object];
  const format = await sniffFormat(input.file);
  const { headers, sample } = await readHead(input.file, format);
  const fileHash = input.fileHash ?? (await hashFile(input.file));
  const targets = await targetsFor(ctx.db, actor.workspaceId, def);
  const mapping = suggestTargets(def, headers, targets).map((s) => s.field);
  const id = newId();
  return ctx.db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('imports')
      .values({
        id,
        workspace_id: actor.workspaceId,
        object: def.object,
        status: 'uploaded',
        file_name: input.fileName,
        file_path: input.file,
        file_size: format.size,
        file_hash: fileHash,
        encoding: format.encoding,
        bom_length: format.bomLength,
        delimiter: format.delimiter,
        headers: JSON.stringify(headers),
        sample: JSON.stringify(sample),
        mapping: JSON.stringify(mapping),
        mode: input.mode ?? 'upsert',
        match_key: input.matchKey ?? def.naturalKey,
        date_format: input.dateFormat ?? 'auto',
        actor_label: actor.label,
        actor_id: actor.id,
        created_at: ctx.clock.now(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, ctx.clock, actor, {
      action: 'import.created',
      entityType: 'import',
      entityId: id,
      after: { object: def.object, file: input.fileName, size: format.size, hash: fileHash },
    });
    return toImportView(row, ctx.clock.now());
  });
}

async function loadImport(db: Db, workspaceId: string, id: string): Promise<Row> {
  const row = await db.selectFrom('imports').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('Import');
  return row;
}

export async function getImport(ctx: ImportCtx, workspaceId: string, id: string): Promise<ImportView> {
  return toImportView(await loadImport(ctx.db, workspaceId, id), ctx.clock.now());
}

export async function listImports(
  ctx: ImportCtx,
  workspaceId: string,
  q: { limit: number; cursor?: string; object?: ObjectName },
): Promise<Page<ImportView>> {
  const before = decodeCursor(q.cursor);
  let query = ctx.db.selectFrom('imports').selectAll().where('workspace_id', '=', workspaceId);
  if (q.object) query = query.where('object', '=', q.object);
  if (before) query = query.where('id', '<', before);
  const rows = await query
    .orderBy('id', 'desc')
    .limit(q.limit + 1)
    .execute();
  const now = ctx.clock.now();
  return toPage(
    rows.map((r) => toImportView(r, now)),
    q.limit,
  );
}

/** Checks a mapping and match key against the object's targets; returns the normalised mapping. */
function checkMapping(
  def: ObjectDef,
  targets: ImportTarget[],
  headers: string[],
  mapping: Array<string | null>,
  matchKey: string,
  mode: string,
): void {
  if (mapping.length !== headers.length)
    throw new AppError('validation_failed', `The mapping has ${mapping.length} entries; the file has ${headers.length} columns`);
  const keys = new Set(targets.map((t) => t.key));
  const used = new Set<string>();
  for (const [i, m] of mapping.entries()) {
    if (m === null) continue;
    const known =
      keys.has(m) || /^externalIds\.[a-z][a-z0-9_]{0,62}$/.test(m) || (def.hasTraits && /^traits\.[A-Za-z][A-Za-z0-9_]{0,62}$/.test(m));
    if (!known)
      throw new AppError('validation_failed', `Column "${headers[i]}": there is no field "${m}"`, [
        { path: `mapping.${i}`, message: `No field ${m}` },
      ]);
    if (used.has(m))
      throw new AppError('validation_failed', `Two columns map to ${m}: map each field once`, [
        { path: `mapping.${i}`, message: 'Mapped twice' },
      ]);
    used.add(m);
  }
  if (matchKey !== def.naturalKey && !/^externalIds\.[a-z][a-z0-9_]{0,62}$/.test(matchKey)) {
    throw new AppError('validation_failed', `Match on ${def.naturalKey} or an external id (externalIds.<name>)`);
  }
  if (mode !== 'create' && !used.has(matchKey)) {
    throw new AppError('validation_failed', `To ${mode}, map a column to ${matchKey}: it is what rows are matched on`);
  }
}

export async function updateImport(ctx: ImportCtx, actor: Actor, id: string, input: UpdateImportInput): Promise<ImportView> {
  const row = await loadImport(ctx.db, actor.workspaceId, id);
  if (!['uploaded', 'ready'].includes(row.status))
    throw new AppError('conflict', `This import is ${row.status}: its settings can no longer change`);
  const def = objectDefs[row.object as ObjectName];
  const mapping = input.mapping ?? row.mapping;
  const matchKey = input.matchKey ?? row.match_key;
  const mode = input.mode ?? row.mode;
  checkMapping(def, await targetsFor(ctx.db, actor.workspaceId, def), row.headers, mapping, matchKey, mode);
  const after = await ctx.db
    .updateTable('imports')
    .set({
      mapping: JSON.stringify(mapping),
      match_key: matchKey,
      mode,
      date_format: input.dateFormat ?? row.date_format,
      status: 'uploaded',
      dry_run: null,
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return toImportView(after, ctx.clock.now());
}

/** Queues a dry run or the import itself (or the undo) as a job; the caller polls the record. */
export async function queueImport(
  ctx: ImportCtx,
  jobs: Jobs,
  actor: Actor,
  id: string,
  what: 'dry-run' | 'run' | 'undo',
): Promise<ImportView> {
  return ctx.db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('imports')
      .selectAll()
      .where('workspace_id', '=', actor.workspaceId)
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    if (!row) throw notFound('Import');
    const allowed = what === 'undo' ? ['completed', 'failed'] : ['uploaded', 'ready'];
    if (!allowed.includes(row.status))
      throw new AppError('conflict', `This import is ${row.status}: it cannot ${what === 'run' ? 'start' : what}`);
    const def = objectDefs[row.object as ObjectName];
    if (what !== 'undo')
      // Inside the transaction, on its connection: the embedded database has only one.
      checkMapping(def, await targetsFor(trx, actor.workspaceId, def), row.headers, row.mapping, row.match_key, row.mode);
    const status = what === 'dry-run' ? 'dry_running' : what === 'run' ? 'queued' : 'undoing';
    const after = await trx
      .updateTable('imports')
      .set({ status, failure: null })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await jobs.enqueue(what === 'undo' ? 'imports.undo' : 'imports.run', { id, dryRun: what === 'dry-run' }, { tx: trx });
    if (what !== 'dry-run') {
      await recordAudit(trx, ctx.clock, actor, {
        action: what === 'run' ? 'import.started' : 'import.undo_requested',
        entityType: 'import',
        entityId: id,
      });
    }
    return toImportView(after, ctx.clock.now());
  });
}

interface Compiled {
  def: ObjectDef;
  columns: Array<{ index: number; target: ImportTarget; dateFormat: DateFormat | 'auto' }>;
  matchIndex: number | null;
  users: Map<string, string>;
  requiredCustom: string[];
}

async function compile(ctx: ImportCtx, row: Row): Promise<Compiled> {
  const def = objectDefs[row.object as ObjectName];
  const targets = await targetsFor(ctx.db, row.workspace_id, def);
  checkMapping(def, targets, row.headers, row.mapping, row.match_key, row.mode);
  const byKey = new Map(targets.map((t) => [t.key, t]));
  const columns: Compiled['columns'] = [];
  for (const [index, m] of row.mapping.entries()) {
    if (m === null) continue;
    const target = byKey.get(m) ?? {
      key: m,
      label: m,
      type: 'text' as const,
      maxLength: 2000,
      required: false,
      group: m.startsWith('traits.') ? ('trait' as const) : ('external' as const),
    };
    let dateFormat = row.date_format as DateFormat | 'auto';
    if ((target.type === 'date' || target.type === 'datetime') && dateFormat === 'auto') {
      dateFormat = await detectColumnDates(row, index);
    }
    columns.push({ index, target, dateFormat });
  }
  const users = new Map(
    (await ctx.db.selectFrom('users').select(['id', 'email']).where('workspace_id', '=', row.workspace_id).execute()).map((u) => [
      u.email,
      u.id,
    ]),
  );
  const matchIndex = row.mapping.indexOf(row.match_key);
  const requiredCustom = targets.filter((t) => t.group === 'custom' && t.required).map((t) => t.key.slice(7));
  return { def, columns, matchIndex: matchIndex >= 0 ? matchIndex : null, users, requiredCustom };
}

/**
 * A date column's day/month order, from its first thousand values. When they cannot tell (every
 * value like 03/04/2024) the import refuses to guess: the user must choose US or EU.
 */
async function detectColumnDates(row: Row, index: number): Promise<DateFormat | 'auto'> {
  const values: string[] = [];
  for await (const r of readCsv(row.file_path, formatOf(row))) {
    if (r.index === 0) continue;
    const v = r.cells[index]?.trim();
    if (v) values.push(v);
    if (values.length >= 1000) break;
  }
  const d = detectDateFormat(values);
  if (d === 'ambiguous') {
    throw new AppError(
      'validation_failed',
      `Column "${row.headers[index]}" has dates such as ${values.find((v) => /^\d{1,2}\D\d{1,2}\D/.test(v)) ?? values[0]} that read differently as US (month first) and EU (day first) dates: choose a date format`,
      [{ path: 'dateFormat', message: 'Choose us or eu' }],
    );
  }
  return d ?? 'auto';
}

function formatOf(row: Row): FileFormat {
  return { encoding: row.encoding as FileFormat['encoding'], delimiter: row.delimiter, bomLength: row.bom_length };
}

/** Turns one CSV row into a prepared row, or a reason it cannot be imported. */
function prepare(c: Compiled, cells: string[], line: number, headerCount: number): PreparedRow | string {
  if (cells.length !== headerCount) return `has ${cells.length} cells; the header has ${headerCount}`;
  if (cells.some((x) => x.includes('\uFFFD'))) return 'contains bytes that are not valid text in this encoding';
  const p: PreparedRow = { line, cells, key: null, core: {}, custom: {}, traits: {}, ext: {} };
  const problems: string[] = [];
  for (const col of c.columns) {
    const raw = cells[col.index] ?? '';
    if (raw.trim() === '') continue;
    const t = col.target;
    if (t.group === 'owner') {
      const email = raw.trim().toLowerCase();
      const id = c.users.get(email);
      if (!id) problems.push(`Owner: no Keel user with email ${email}`);
      else p.core.owner_id = id;
      continue;
    }
    if (t.group === 'external' || t.group === 'trait') {
      const v = raw.trim();
      if (v.length > 2000) problems.push(`${t.label} is too long`);
      else if (t.group === 'external') p.ext[t.key.slice('externalIds.'.length)] = v.slice(0, 200);
      else p.traits[t.key.slice('traits.'.length)] = v;
      continue;
    }
    const r = parseCell(t, raw, col.dateFormat);
    if (!r.ok) {
      problems.push(r.reason);
      continue;
    }
    if (t.group === 'custom') p.custom[t.key.slice(7)] = r.value;
    else p.core[c.def.fields.find((f) => f.key === t.key)?.column ?? t.key] = r.value;
  }
  if (problems.length) return problems.join('; ');
  if (c.matchIndex !== null) {
    const mk = c.columns.find((x) => x.index === c.matchIndex);
    if (mk) {
      const t = mk.target;
      p.key =
        t.group === 'external'
          ? (p.ext[t.key.slice('externalIds.'.length)] ?? null)
          : ((p.core[c.def.fields.find((f) => f.key === t.key)?.column ?? ''] as string | undefined) ?? null);
    }
  }
  return p;
}

export interface RunOptions {
  onProgress?: (p: ImportProgress) => void;
  /** Stop after this many batches (tests use it to simulate a crash mid-import). */
  stopAfterBatches?: number;
  /** Characters of cells that end a batch (default BATCH_CHARS; tests make it small). */
  batchChars?: number;
}

/**
 * Runs a dry run or the import. Streams the file, validates each row, plans and writes batches.
 * Each batch is one transaction that also advances the checkpoint (rows done, counts, error-file
 * length), so after a crash the import resumes where it stopped: rows before the checkpoint are
 * parsed but not written again, and the error file is cut back to its checkpointed length.
 */
export async function runImport(ctx: ImportCtx, id: string, dryRun: boolean, opts: RunOptions = {}): Promise<ImportView> {
  const row = await ctx.db.selectFrom('imports').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('Import');
  if (dryRun ? row.status !== 'dry_running' : !['queued', 'running'].includes(row.status)) return toImportView(row, ctx.clock.now());
  const actor: Actor = {
    workspaceId: row.workspace_id,
    type: row.actor_id ? 'user' : 'cli',
    id: row.actor_id,
    label: row.actor_label,
    role: 'admin',
  };
  let c: Compiled;
  try {
    c = await compile(ctx, row);
  } catch (err) {
    return fail(ctx, row, err, dryRun);
  }
  const batchCtx: BatchContext = {
    def: c.def,
    workspaceId: row.workspace_id,
    mode: row.mode as BatchContext['mode'],
    matchKey: row.match_key,
    requiredCustom: c.requiredCustom,
    now: ctx.clock.now(),
    rules: await normaliseRulesFor(ctx.db, row.workspace_id),
  };
  let lease = ctx.clock.now();
  const claimed = dryRun ? row : await claim(ctx, row, lease);
  if (!claimed) return toImportView(await loadImport(ctx.db, row.workspace_id, id), ctx.clock.now());
  const resume = !dryRun && row.status === 'running';
  const skip = resume ? Number(claimed.rows_done) : 0;
  const counts = resume
    ? {
        created: Number(claimed.created_count),
        updated: Number(claimed.updated_count),
        skipped: Number(claimed.skipped_count),
        errors: Number(claimed.error_count),
      }
    : { created: 0, updated: 0, skipped: 0, errors: 0 };
  const errorFile = claimed.error_file ?? path.join(importDir(ctx.filesDir), `${row.id}.errors.csv`);
  let errorBytes = resume ? Number(claimed.error_bytes) : 0;
  if (!dryRun) {
    await mkdir(path.dirname(errorFile), { recursive: true });
    if (resume) await truncateTo(errorFile, errorBytes);
    else await rm(errorFile, { force: true });
  }
  // Keys seen earlier in the file: a second row for the same email is a duplicate, not an update.
  const seen = new SeenKeys();
  if (resume) {
    for (const k of await keysWrittenBy(ctx, row, c.def)) seen.set(k, 0);
  }
  const preview: DryRun['preview'] = [];
  const errorSamples: DryRun['errorSamples'] = [];
  let pending: PreparedRow[] = [];
  let pendingErrors: Array<{ cells: string[]; line: number; reason: string }> = [];
  let rowsDone = skip;
  let bytesDone = Number(row.bytes_done);
  let batches = 0;
  /** Blank rows since the last batch: counted as skipped with it (the counts belong to the batch in flight). */
  let blank = 0;
  /**
   * Characters in the batch being read: a batch also ends at BATCH_CHARS, so that its rows, sent as
   * one JSON value, stay far below PostgreSQL's 256 MB limit for one jsonb (rows of long text).
   */
  let pendingChars = 0;
  const headerCount = row.headers.length;

  // Node reads and checks batch N+1 while PostgreSQL writes batch N: one write in flight at a time,
  // so batches still commit in file order and each plan sees every earlier batch's records.
  let inflight: Promise<unknown> | null = null;
  const settle = async () => {
    const result = await inflight;
    inflight = null;
    if (result) throw result;
  };
  const flush = async () => {
    const batch = { rows: pending, errors: pendingErrors, blank, rowsDone, bytesDone };
    pending = [];
    pendingErrors = [];
    blank = 0;
    pendingChars = 0;
    // Done while the batch before is still in its transaction, so that transaction waits less for Node.
    if (!dryRun && row.mode !== 'update') prenormalise(batchCtx, batch.rows);
    await settle();
    const write = writeOne(batch);
    // Settled by the next flush (or at the end); the error is kept until then, never unhandled.
    inflight =
      dryRun || opts.stopAfterBatches !== undefined
        ? null
        : write.then(
            () => null,
            (err: unknown) => err ?? new Error('import batch failed'),
          );
    if (!inflight) await write;
  };
  const writeOne = async (b: { rows: PreparedRow[]; errors: typeof pendingErrors; blank: number; rowsDone: number; bytesDone: number }) => {
    const { rows, errors: rowErrors } = b;
    if (dryRun) {
      const plan = rows.length ? await planBatch(ctx.db, batchCtx, rows, false) : [];
      for (const o of plan) if (o.action === 'error') rowErrors.push({ cells: o.row.cells, line: o.row.line, reason: o.reason });
      for (const o of plan) if (o.action === 'create') counts.created++;
      for (const o of plan) if (o.action === 'update') counts.updated++;
      counts.skipped += b.blank + plan.filter((o) => o.action === 'skip').length;
      counts.errors += rowErrors.length;
      collectPreview(c.def, preview, plan, rowErrors);
      for (const e of rowErrors) if (errorSamples.length < 50) errorSamples.push({ row: e.line, reason: e.reason });
    } else {
      await ctx.db.transaction().execute(async (trx) => {
        // Planned under row locks, in the transaction that writes: nothing can change in between.
        const plan = rows.length ? await planBatch(trx, batchCtx, rows, true) : [];
        const errors = [
          ...rowErrors,
          ...plan.flatMap((o) => (o.action === 'error' ? [{ cells: o.row.cells, line: o.row.line, reason: o.reason }] : [])),
        ];
        // Appended before the commit; a crash before it leaves bytes past error_bytes, cut on resume.
        const bytes = errors.length ? await appendErrors(errorFile, errorBytes, row.headers, errors) : errorBytes;
        const done = await writeBatch(trx, ctx.clock, actor, batchCtx, row.id, plan);
        const next = {
          created: counts.created + done.created,
          updated: counts.updated + done.updated,
          skipped: counts.skipped + b.blank + plan.filter((o) => o.action === 'skip').length,
          errors: counts.errors + errors.length,
        };
        const beat = nextBeat(lease);
        const moved = await trx
          .updateTable('imports')
          .set({
            rows_done: b.rowsDone,
            bytes_done: b.bytesDone,
            created_count: next.created,
            updated_count: next.updated,
            skipped_count: next.skipped,
            error_count: next.errors,
            error_bytes: bytes,
            heartbeat_at: beat,
          })
          .where('id', '=', id)
          .where('heartbeat_at', '=', lease)
          .executeTakeFirst();
        // Another process took the import over (we looked dead to it): stop, writing nothing.
        if (Number(moved.numUpdatedRows) !== 1) throw new LeaseLost();
        lease = beat;
        errorBytes = bytes;
        Object.assign(counts, next);
      });
    }
    batches++;
    if (!dryRun && (batches & (batches - 1)) === 0) await refreshStatistics(ctx.db, c.def);
    opts.onProgress?.({ rowsDone: b.rowsDone, bytesDone: b.bytesDone, fileSize: Number(row.file_size), ...counts });
  };

  try {
    let first: number | undefined;
    for await (const r of readCsv(row.file_path, formatOf(row), skip)) {
      if (r.index === 0) continue;
      // Rows of a read chunk arrive as microtasks: let the batch in flight hear from its database
      // now and then, or its transaction would wait for the next chunk (the two sides took turns).
      if (inflight && (r.index & 15) === 0) await yieldToIo();
      rowsDone = r.index;
      bytesDone = r.bytes;
      if (r.cells.every((x) => x.trim() === '')) {
        blank++;
        continue;
      }
      const p = prepare(c, r.cells, r.line, headerCount);
      if (typeof p === 'string') pendingErrors.push({ cells: r.cells, line: r.line, reason: p });
      else if (p.key !== null && (first = seen.get(p.key)) !== undefined) {
        pendingErrors.push({
          cells: r.cells,
          line: r.line,
          reason: `duplicate of ${first ? `line ${first}` : 'a row imported earlier'} in this file (same ${row.match_key})`,
        });
      } else {
        if (p.key !== null) seen.set(p.key, r.line);
        else if (row.mode !== 'create') {
          pendingErrors.push({ cells: r.cells, line: r.line, reason: `no ${row.match_key} to match on` });
          continue;
        }
        pending.push(p);
      }
      for (const cell of r.cells) pendingChars += cell.length;
      if (pending.length + pendingErrors.length >= BATCH || pendingChars >= (opts.batchChars ?? BATCH_CHARS)) {
        await flush();
        if (opts.stopAfterBatches !== undefined && batches >= opts.stopAfterBatches) {
          return toImportView(await loadImport(ctx.db, row.workspace_id, id), ctx.clock.now());
        }
      }
    }
    bytesDone = Number(row.file_size);
    await flush();
    await settle();
  } catch (err) {
    // A write still in flight finishes (or fails) before the import is failed and undone; if it
    // found the import taken over by another process, this one stops without touching it.
    const pendingErr: unknown = await (inflight as Promise<unknown> | null);
    const lost = pendingErr instanceof LeaseLost;
    inflight = null;
    if (err instanceof LeaseLost || lost) return toImportView(await loadImport(ctx.db, row.workspace_id, id), ctx.clock.now());
    return fail(ctx, row, err, dryRun);
  }
  const finished = ctx.clock.now();
  if (dryRun) {
    const result: DryRun = { rows: rowsDone, ...counts, preview, errorSamples };
    await ctx.db
      .updateTable('imports')
      .set({ status: 'ready', dry_run: JSON.stringify(result) })
      .where('id', '=', id)
      .execute();
  } else {
    const startedAt = (await loadImport(ctx.db, row.workspace_id, id)).started_at ?? finished;
    await ctx.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('imports')
        .set({
          status: 'completed',
          finished_at: finished,
          duration_ms: finished.getTime() - startedAt.getTime(),
          bytes_done: Number(row.file_size),
        })
        .where('id', '=', id)
        .execute();
      await recordAudit(trx, ctx.clock, actor, {
        action: 'import.completed',
        entityType: 'import',
        entityId: id,
        meta: { ...counts, rows: rowsDone },
      });
    });
  }
  return toImportView(await loadImport(ctx.db, row.workspace_id, id), ctx.clock.now());
}

class LeaseLost extends Error {}

/**
 * ANALYZE the table after batches 1, 2, 4, 8…: a bulk load outruns autovacuum (or runs where it is
 * off), and without fresh statistics the planner looks a batch's emails up by scanning the whole
 * workspace instead of the unique email index (350 ms against 3 ms per batch at a million rows,
 * measured in bench/import-contacts.ts --explain-lookup). Doubling keeps the cost to a few runs.
 */
async function refreshStatistics(db: Db, def: ObjectDef): Promise<void> {
  try {
    await sql`analyze ${sql.table(def.table)}`.execute(db);
  } catch {
    /* not the table's owner: the import still works, with whatever plan the statistics give */
  }
}

/** The next heartbeat: strictly later than the last, so a lease is never renewed to itself. */
function nextBeat(last: Date): Date {
  const now = Date.now();
  return new Date(Math.max(now, last.getTime() + 1));
}

/**
 * Takes the import for this process: a queued one, or a running one whose heartbeat is older than
 * a minute (its process died). The heartbeat doubles as a lease: every checkpoint moves it only if
 * it still holds our last value, so two processes can never both write one import.
 */
async function claim(ctx: ImportCtx, row: Row, lease: Date): Promise<Row | undefined> {
  const stale = new Date(lease.getTime() - STALE_MS);
  return ctx.db
    .updateTable('imports')
    .set({
      status: 'running',
      started_at: row.started_at ?? lease,
      heartbeat_at: lease,
      error_file: row.error_file ?? path.join(importDir(ctx.filesDir), `${row.id}.errors.csv`),
    })
    .where('id', '=', row.id)
    .where((eb) =>
      eb.or([
        eb('status', '=', 'queued'),
        eb.and([eb('status', '=', 'running'), eb.or([eb('heartbeat_at', 'is', null), eb('heartbeat_at', '<', stale)])]),
      ]),
    )
    .returningAll()
    .executeTakeFirst();
}

/** Imports whose process died: queued again so a worker resumes them at their checkpoint. */
export async function requeueStaleImports(ctx: Pick<ImportCtx, 'db' | 'clock'>, jobs: Jobs): Promise<number> {
  const cutoff = new Date(ctx.clock.now().getTime() - STALE_MS);
  const stale = await ctx.db
    .selectFrom('imports')
    .select(['id', 'heartbeat_at'])
    .where('status', '=', 'running')
    .where((eb) => eb.or([eb('heartbeat_at', '<', cutoff), eb('heartbeat_at', 'is', null)]))
    .execute();
  for (const s of stale) {
    await jobs.enqueue(
      'imports.run',
      { id: s.id, dryRun: false },
      { idempotencyKey: `resume:${s.id}:${s.heartbeat_at?.toISOString() ?? ''}` },
    );
  }
  return stale.length;
}

function collectPreview(
  def: ObjectDef,
  preview: DryRun['preview'],
  plan: Outcome[],
  errors: Array<{ line: number; reason: string }>,
): void {
  const items: DryRun['preview'] = [
    ...plan.map((o) => ({
      row: o.row.line,
      action: o.action,
      reason: o.action === 'skip' || o.action === 'error' ? o.reason : null,
      values: o.action === 'create' || o.action === 'update' ? previewValues(def, o) : {},
    })),
    ...errors
      .filter((e) => !plan.some((o) => o.row.line === e.line))
      .map((e) => ({ row: e.line, action: 'error' as const, reason: e.reason, values: {} })),
  ].sort((a, b) => a.row - b.row);
  for (const it of items) if (preview.length < PREVIEW_ROWS) preview.push(it);
}

function previewValues(def: ObjectDef, o: Extract<Outcome, { action: 'create' | 'update' }>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // By target key (what the mapping names), not by column.
  for (const [col, v] of Object.entries(o.row.core)) out[def.fields.find((f) => f.column === col)?.key ?? col] = v;
  for (const [k, v] of Object.entries(o.row.custom)) out[`custom.${k}`] = v;
  for (const [k, v] of Object.entries(o.row.ext)) out[`externalIds.${k}`] = v;
  for (const [k, v] of Object.entries(o.row.traits)) out[`traits.${k}`] = v;
  return out;
}

async function appendErrors(
  file: string,
  at: number,
  headers: string[],
  rows: Array<{ cells: string[]; line: number; reason: string }>,
): Promise<number> {
  const lines = at === 0 ? [[...headers, ...ERROR_COLUMNS]] : [];
  for (const r of rows) lines.push([...r.cells, r.reason, String(r.line)]);
  const text = (at === 0 ? '\uFEFF' : '') + stringify(lines);
  const fh = await open(file, 'a');
  try {
    await fh.write(text);
  } finally {
    await fh.close();
  }
  return at + Buffer.byteLength(text);
}

async function truncateTo(file: string, bytes: number): Promise<void> {
  try {
    if ((await stat(file)).size > bytes) await truncate(file, bytes);
  } catch {
    /* no file yet: nothing to cut */
  }
}

async function keysWrittenBy(ctx: ImportCtx, row: Row, def: ObjectDef): Promise<string[]> {
  if (row.match_key.startsWith('externalIds.')) {
    const r = await sql<{
      k: string;
    }>`select e.value as k from import_changes ch join external_ids e on e.record_id = ch.record_id and e.key = ${row.match_key.slice(12)}
      where ch.import_id = ${row.id}`.execute(ctx.db);
    return r.rows.map((x) => x.k);
  }
  const col = def.fields.find((f) => f.key === def.naturalKey)?.column ?? def.naturalKey;
  const r = await sql<{
    k: string;
  }>`select ${sql.ref(`r.${col}`)} as k from import_changes ch join ${sql.table(def.table)} r on r.id = ch.record_id
    where ch.import_id = ${row.id}`.execute(ctx.db);
  return r.rows.map((x) => x.k).filter(Boolean);
}

/**
 * A fatal error (the file is not CSV after all, a quote never closes): nothing half-written may
 * stay, so what the import wrote so far is undone before it is marked failed.
 */
async function fail(ctx: ImportCtx, row: Row, err: unknown, dryRun: boolean): Promise<ImportView> {
  if (!(err instanceof AppError)) throw err;
  if (!dryRun) await undoChanges(ctx, row);
  await ctx.db
    .updateTable('imports')
    .set({
      status: dryRun ? 'uploaded' : 'failed',
      failure: dryRun ? err.message : `${err.message}. Nothing was kept: the rows written before this point were rolled back.`,
      finished_at: dryRun ? null : ctx.clock.now(),
    })
    .where('id', '=', row.id)
    .execute();
  return toImportView(await loadImport(ctx.db, row.workspace_id, row.id), ctx.clock.now());
}

/**
 * Undoes an import record by record, in batches: records it created are moved to the trash,
 * records it updated get their earlier values back, unless someone changed them since (their
 * version moved on): those are kept and counted.
 */
async function undoChanges(ctx: ImportCtx, row: Row): Promise<{ deleted: number; restored: number; kept: number }> {
  const def = objectDefs[row.object as ObjectName];
  const actor: Actor = {
    workspaceId: row.workspace_id,
    type: row.actor_id ? 'user' : 'cli',
    id: row.actor_id,
    label: row.actor_label,
    role: 'admin',
  };
  const result = { deleted: 0, restored: 0, kept: 0 };
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const done = await ctx.db.transaction().execute(async (trx) => {
      const changes = await trx
        .selectFrom('import_changes')
        .selectAll()
        .where('import_id', '=', row.id)
        .where('record_id', '>', after)
        .orderBy('record_id')
        .limit(1000)
        .execute();
      if (changes.length === 0) return true;
      after = changes[changes.length - 1]?.record_id ?? after;
      if (def.object === 'contact') await triggerContext(trx, { actor, reason: 'import undone', route: false });
      const now = ctx.clock.now();
      const created = changes.filter((c) => c.op === 'created').map((c) => c.record_id);
      if (created.length) {
        const r = await sql<{
          id: string;
        }>`update ${sql.table(def.table)} r set deleted_at = ${now}, version = r.version + 1, updated_at = ${now}
          from import_changes ch where ch.import_id = ${row.id} and ch.record_id = r.id and ch.op = 'created'
            and r.id = any(${created}::uuid[]) and r.version = ch.after_version and r.deleted_at is null returning r.id`.execute(trx);
        result.deleted += r.rows.length;
        result.kept += created.length - r.rows.length;
        if (r.rows.length)
          await trx
            .deleteFrom('external_ids')
            .where(
              'record_id',
              'in',
              r.rows.map((x) => x.id),
            )
            .execute();
      }
      const updated = changes.filter((c) => c.op === 'updated');
      for (const ch of updated) {
        const before = ch.before as Record<string, unknown>;
        const set = def.fields.map((f) => sql`${sql.id(f.column)} = ${before[f.column] ?? null}`);
        const extra = [
          sql`custom = ${JSON.stringify(before.custom ?? {})}::jsonb`,
          ...(def.hasTraits ? [sql`traits = ${JSON.stringify(before.traits ?? {})}::jsonb`] : []),
        ];
        const r = await sql`update ${sql.table(def.table)} set ${sql.join([...set, ...extra])}, version = version + 1, updated_at = ${now}
          where id = ${ch.record_id} and version = ${ch.after_version}`.execute(trx);
        if (Number(r.numAffectedRows ?? 0) > 0) result.restored++;
        else result.kept++;
      }
      await recordAudit(trx, ctx.clock, actor, {
        action: `${def.object}.import_undone`,
        entityType: 'import',
        entityId: row.id,
        meta: { records: changes.length },
      });
      return false;
    });
    if (done) break;
  }
  return result;
}

export async function runUndo(ctx: ImportCtx, id: string): Promise<ImportView> {
  const row = await ctx.db.selectFrom('imports').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('Import');
  if (row.status !== 'undoing') return toImportView(row, ctx.clock.now());
  const result = await undoChanges(ctx, row);
  await ctx.db
    .updateTable('imports')
    .set({ status: 'undone', undone_at: ctx.clock.now(), undo_result: JSON.stringify(result) })
    .where('id', '=', id)
    .execute();
  return toImportView(await loadImport(ctx.db, row.workspace_id, id), ctx.clock.now());
}

/** An import whose process died mid-run (no heartbeat for a minute) for the same file, if any. */
export async function findResumable(ctx: ImportCtx, workspaceId: string, object: ObjectName, fileHash: string): Promise<Row | undefined> {
  const cutoff = new Date(ctx.clock.now().getTime() - STALE_MS);
  return ctx.db
    .selectFrom('imports')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('object', '=', object)
    .where('file_hash', '=', fileHash)
    .where('status', '=', 'running')
    .where((eb) => eb.or([eb('heartbeat_at', '<', cutoff), eb('heartbeat_at', 'is', null)]))
    .orderBy('id', 'desc')
    .executeTakeFirst();
}

export async function errorFileOf(ctx: ImportCtx, workspaceId: string, id: string): Promise<{ path: string; name: string }> {
  const row = await loadImport(ctx.db, workspaceId, id);
  if (!row.error_file || Number(row.error_count) === 0) throw new AppError('not_found', 'This import has no error file');
  return { path: row.error_file, name: `${row.file_name.replace(/\.[^.]+$/, '')}-errors.csv` };
}

export { hashFile };
