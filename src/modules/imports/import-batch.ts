import { sql } from 'kysely';
import type { Actor } from '../../platform/actor.js';
import { recordAudit, triggerContext } from '../../platform/audit/audit.service.js';
import type { Clock } from '../../platform/clock.js';
import type { DbOrTx } from '../../platform/db/database.js';
import { newId } from '../../platform/ids.js';
import type { ObjectDef } from '../crm/crm-objects.js';
import { columnsOf, selectList, type RecordRow } from '../crm/records.repo.js';
import { namesConflict } from '../dedupe/matching.js';
import type { NormaliseRules } from '../quality/normalise-rules.js';
import { mergeQuality, mergeRaw, normaliseRecordInput } from '../quality/record-normalise.js';
import { erasureLock, suppressedEmails } from '../privacy/suppression.js';

/** One data row, parsed and validated, ready to be matched and written. */
export interface PreparedRow {
  line: number;
  cells: string[];
  /** The value matched on (normalised email/domain or external id), or null. */
  key: string | null;
  core: Record<string, unknown>;
  custom: Record<string, unknown>;
  traits: Record<string, unknown>;
  ext: Record<string, string>;
  /**
   * The row as a new record (normalised with no record to read a country from), its id and its
   * JSON for the insert: worked out before the batch's transaction, used if the row is a create.
   */
  created?: { id: string; values: Record<string, unknown>; json: string };
}

export type Outcome =
  | { action: 'create'; row: PreparedRow; values: Record<string, unknown> }
  | { action: 'update'; row: PreparedRow; before: RecordRow; values: Record<string, unknown> }
  | { action: 'skip'; row: PreparedRow; reason: string }
  | { action: 'error'; row: PreparedRow; reason: string };

export interface BatchPlan {
  outcomes: Outcome[];
}

export interface BatchContext {
  def: ObjectDef;
  workspaceId: string;
  mode: 'create' | 'update' | 'upsert';
  /** `email`/`domain`, or `externalIds.<name>`. */
  matchKey: string;
  requiredCustom: readonly string[];
  now: Date;
  /** The workspace's normalisation rules (quality/normalise-rules.ts), read once per import. */
  rules?: NormaliseRules;
}

const naturalColumn = (def: ObjectDef) => def.fields.find((f) => f.key === def.naturalKey)?.column ?? def.naturalKey;

/** Existing live records for the batch's keys, locked when writing. */
async function findExisting(db: DbOrTx, c: BatchContext, keys: string[], lock: boolean): Promise<Map<string, RecordRow>> {
  const out = new Map<string, RecordRow>();
  if (keys.length === 0) return out;
  const table = sql.table(c.def.table);
  const forUpdate = lock ? sql`for update of r` : sql``;
  if (c.matchKey.startsWith('externalIds.')) {
    const name = c.matchKey.slice('externalIds.'.length);
    const r = await sql<RecordRow & { match_value: string }>`select ${selectList(c.def)}, e.value as match_value
      from external_ids e join ${table} r on r.id = e.record_id
      where e.workspace_id = ${c.workspaceId} and e.object = ${c.def.object} and e.key = ${name} and e.value = any(${keys}::text[])
        and r.deleted_at is null ${forUpdate}`.execute(db);
    for (const row of r.rows) out.set(row.match_value, row);
  } else {
    const col = naturalColumn(c.def);
    const r = await sql<RecordRow>`select ${selectList(c.def)} from ${table} r
      where r.workspace_id = ${c.workspaceId} and r.deleted_at is null and ${sql.ref(`r.${col}`)} = any(${keys}::text[]) ${forUpdate}`.execute(
      db,
    );
    for (const row of r.rows) out.set(String(row[col]), row);
  }
  return out;
}

function same(a: unknown, b: unknown): boolean {
  if (a === null || a === undefined) return b === null || b === undefined;
  if (typeof a === 'string' && typeof b === 'number') return Number(a) === b;
  if (typeof a === 'object') return JSON.stringify(a) === JSON.stringify(b);
  return a === b;
}

/**
 * Decides what happens to each row: create, update (only when something differs: importing
 * the same file twice changes nothing), skip, or error. Blank cells never overwrite.
 */
/**
 * The same normalisation as the API's (phone to E.164 in the row's or the record's country,
 * country to ISO, names): core values by column, the raw values that changed, quality facts.
 */
/**
 * Prepares the batch's rows as new records ahead of its transaction (the import does this while
 * the batch before is being written); a row that turns out to match a record is normalised again with it.
 */
export function prenormalise(c: BatchContext, rows: PreparedRow[]): void {
  for (const row of rows) row.created = asCreate(c, row);
}

/** The columns an import's insert takes from each row; the rest are the same for the whole batch. */
const SHARED_COLUMNS = new Set(['id', 'workspace_id', 'version', 'created_at', 'updated_at', 'deleted_at']);
const ownColumns = new Map<ObjectDef, string[]>();
function rowColumns(def: ObjectDef): string[] {
  let cols = ownColumns.get(def);
  if (!cols) {
    cols = columnsOf(def).filter((col) => !SHARED_COLUMNS.has(col));
    ownColumns.set(def, cols);
  }
  return cols;
}

function asCreate(c: BatchContext, row: PreparedRow): NonNullable<PreparedRow['created']> {
  const n = normaliseCore(c.def, row.core, undefined, c.rules);
  const values: Record<string, unknown> = {
    ...n.core,
    custom: row.custom,
    raw: mergeRaw({}, n.raw),
    ...(c.def.object === 'contact' && { quality: mergeQuality({}, n.quality) }),
    ...(c.def.hasTraits && { traits: { ...(n.derived ?? {}), ...row.traits } }),
  };
  const id = newId();
  const record: Record<string, unknown> = { id };
  for (const col of rowColumns(c.def)) record[col] = values[col] ?? (pgType(c.def, col) === 'jsonb' ? {} : null);
  return { id, values, json: JSON.stringify(record) };
}

function normaliseCore(def: ObjectDef, core: Record<string, unknown>, before?: RecordRow, rules?: NormaliseRules) {
  const byKey: Record<string, unknown> = {};
  for (const f of def.fields) if (f.column in core) byKey[f.key] = core[f.column];
  const n = normaliseRecordInput(def.object, byKey, { country: before?.country }, rules);
  const out: Record<string, unknown> = { ...core };
  const raw: Record<string, string | null> = {};
  for (const f of def.fields) {
    if (!(f.column in core)) continue;
    out[f.column] = n.input[f.key];
    const r = n.raw[f.key];
    // Unchanged values keep the raw value they were first normalised from.
    if (r !== undefined && (!before || !same(before[f.column], out[f.column]))) raw[f.key] = r;
  }
  const derived = (n.input.traits as Record<string, unknown> | undefined) ?? null;
  return { core: out, raw, quality: n.quality, derived };
}

export async function planBatch(db: DbOrTx, c: BatchContext, rows: PreparedRow[], lock: boolean): Promise<Outcome[]> {
  const existing = await findExisting(
    db,
    c,
    rows.map((r) => r.key).filter((k): k is string => k !== null),
    lock,
  );
  const currentExt = await externalIdsOf(
    db,
    [...existing.values()].map((r) => r.id),
  );
  const out: Outcome[] = [];
  for (const row of rows) {
    const before = row.key === null ? undefined : existing.get(row.key);
    if (before) {
      if (c.mode === 'create') {
        out.push({ action: 'skip', row, reason: 'already exists' });
        continue;
      }
      // Same email, another person's name (a shared or recycled address): reported, not written over.
      if (c.def.object === 'contact' && c.matchKey === 'email') {
        const was = { firstName: before.first_name as string | null, lastName: before.last_name as string | null };
        const now = {
          firstName: row.core.first_name as string | null | undefined,
          lastName: row.core.last_name as string | null | undefined,
        };
        if (namesConflict(was, now)) {
          out.push({
            action: 'error',
            row,
            reason: `same email as ${was.firstName} ${was.lastName}, but the row names ${now.firstName} ${now.lastName}: fix the name, or update that contact by id if the address changed hands`,
          });
          continue;
        }
      }
      const values: Record<string, unknown> = {};
      let changed = false;
      const n = normaliseCore(c.def, row.core, before, c.rules);
      for (const [col, v] of Object.entries(n.core)) {
        values[col] = v;
        if (!same(before[col], v)) changed = true;
      }
      const raw = mergeRaw(before.raw, n.raw);
      if (!same(before.raw ?? {}, raw)) changed = true;
      values.raw = raw;
      if (c.def.object === 'contact') {
        const quality = mergeQuality(before.quality, n.quality);
        if (!same(before.quality ?? {}, quality)) changed = true;
        values.quality = quality;
      }
      const custom = { ...before.custom, ...row.custom };
      if (!same(before.custom, custom)) changed = true;
      values.custom = custom;
      if (c.def.hasTraits) {
        const prev = (before.traits as Record<string, unknown>) ?? {};
        const traits = { ...prev, ...(n.derived ?? {}), ...row.traits };
        if (!same(prev, traits)) changed = true;
        values.traits = traits;
      }
      const ext = currentExt.get(before.id) ?? {};
      if (Object.entries(row.ext).some(([k, v]) => ext[k] !== v)) changed = true;
      out.push(changed ? { action: 'update', row, before, values } : { action: 'skip', row, reason: 'unchanged' });
    } else {
      if (c.mode === 'update') {
        out.push({ action: 'skip', row, reason: 'no matching record' });
        continue;
      }
      const missing = [...c.def.required.filter((k) => row.core[c.def.fields.find((f) => f.key === k)?.column ?? k] === undefined)];
      const missingCustom = c.requiredCustom.filter((k) => row.custom[k] === undefined);
      if (missing.length || missingCustom.length) {
        out.push({ action: 'error', row, reason: `Missing required ${[...missing, ...missingCustom].join(', ')}` });
        continue;
      }
      row.created ??= asCreate(c, row);
      out.push({ action: 'create', row, values: row.created.values });
    }
  }
  await markConflicts(db, c, out);
  await refuseErased(db, c, out, lock);
  return out;
}

/**
 * Rows that would create an erased person (email on the suppression list) become row errors. When
 * writing, the batch holds the erasure lock shared, so an erasure running meanwhile waits for it
 * and every later batch sees the new suppression.
 */
async function refuseErased(db: DbOrTx, c: BatchContext, out: Outcome[], lock: boolean): Promise<void> {
  if (c.def.object !== 'contact') return;
  if (lock) await erasureLock(db, c.workspaceId, 'shared');
  const emails = out.flatMap((o) => (o.action === 'create' && typeof o.values.email === 'string' ? [o.values.email] : []));
  const erased = await suppressedEmails(db, c.workspaceId, emails);
  if (erased.size === 0) return;
  for (const o of [...out]) {
    if (o.action === 'create' && typeof o.values.email === 'string' && erased.has(o.values.email)) {
      replace(out, o, 'This person asked to be erased: their email cannot be imported again');
    }
  }
}

async function externalIdsOf(db: DbOrTx, ids: string[]): Promise<Map<string, Record<string, string>>> {
  const out = new Map<string, Record<string, string>>();
  if (ids.length === 0) return out;
  const rows = await db.selectFrom('external_ids').select(['record_id', 'key', 'value']).where('record_id', 'in', ids).execute();
  for (const r of rows) out.set(r.record_id, { ...out.get(r.record_id), [r.key]: r.value });
  return out;
}

/**
 * Rows whose natural key (when matching on an external id) or external ids are already held by
 * another live record become errors, instead of failing the whole batch on a unique index.
 */
async function markConflicts(db: DbOrTx, c: BatchContext, out: Outcome[]): Promise<void> {
  const writes = out.filter((o): o is Extract<Outcome, { action: 'create' | 'update' }> => o.action === 'create' || o.action === 'update');
  const col = naturalColumn(c.def);
  const selfOf = (o: (typeof writes)[number]) => (o.action === 'update' ? o.before.id : null);
  if (c.matchKey.startsWith('externalIds.')) {
    const values = writes.map((o) => o.values[col]).filter((v): v is string => typeof v === 'string');
    if (values.length) {
      const r = await sql<{ id: string; v: string }>`select r.id, ${sql.ref(`r.${col}`)} as v from ${sql.table(c.def.table)} r
        where r.workspace_id = ${c.workspaceId} and r.deleted_at is null and ${sql.ref(`r.${col}`)} = any(${values}::text[])`.execute(db);
      const holder = new Map(r.rows.map((x) => [x.v, x.id]));
      for (const o of writes) {
        const h = holder.get(String(o.values[col]));
        if (h && h !== selfOf(o)) replace(out, o, `${c.def.naturalKey} ${String(o.values[col])} belongs to another ${c.def.object}`);
      }
    }
  }
  const pairs = writes.flatMap((o) => Object.entries(o.row.ext).map(([k, v]) => ({ o, k, v })));
  if (pairs.length) {
    const r = await db
      .selectFrom('external_ids')
      .select(['key', 'value', 'record_id'])
      .where('workspace_id', '=', c.workspaceId)
      .where('object', '=', c.def.object)
      .where('value', 'in', [...new Set(pairs.map((p) => p.v))])
      .execute();
    const holder = new Map(r.map((x) => [`${x.key}\u0000${x.value}`, x.record_id]));
    for (const p of pairs) {
      const h = holder.get(`${p.k}\u0000${p.v}`);
      if (h && h !== selfOf(p.o)) replace(out, p.o, `${p.k} ${p.v} belongs to another ${c.def.object}`);
    }
  }
}

function replace(out: Outcome[], o: Outcome, reason: string): void {
  const i = out.indexOf(o);
  if (i >= 0) out[i] = { action: 'error', row: o.row, reason };
}

/** Postgres array types for the unnest() bulk writes. */
function pgType(def: ObjectDef, column: string): string {
  if (column === 'id' || column === 'workspace_id') return 'uuid';
  if (column === 'custom' || column === 'traits' || column === 'raw' || column === 'quality') return 'jsonb';
  if (column === 'version') return 'int4';
  if (column === 'created_at' || column === 'updated_at' || column === 'deleted_at') return 'timestamptz';
  const f = def.fields.find((x) => x.column === column);
  if (f?.ref) return 'uuid';
  if (f?.type === 'number') return 'int8';
  return 'text';
}

/**
 * Writes a planned batch in the caller's transaction with a few set-based statements (unnest of
 * arrays: one round trip per statement whatever the batch size — the reason this is SQL by hand),
 * and logs each record's change in import_changes for undo and the timeline.
 */
export async function writeBatch(
  trx: DbOrTx,
  clock: Clock,
  actor: Actor,
  c: BatchContext,
  importId: string,
  plan: Outcome[],
): Promise<{ created: number; updated: number }> {
  const creates = plan.filter((o): o is Extract<Outcome, { action: 'create' }> => o.action === 'create');
  const updates = plan.filter((o): o is Extract<Outcome, { action: 'update' }> => o.action === 'update');
  const table = sql.table(c.def.table);
  const ids = new Map<Outcome, string>();
  // Stages set by the import go to the lifecycle history through a trigger, naming the importer.
  // They do not route: a first import of a CRM's MQLs must not fill reps' queues (route on demand).
  if (c.def.object === 'contact' && (creates.length || updates.length))
    await triggerContext(trx, { actor, reason: 'import', route: false });

  if (creates.length) {
    // One JSON parameter for the batch (jsonb_to_recordset), the values every row shares as scalars:
    // node-postgres escaping 2,000-element arrays was the import's largest cost in Node.
    const own = rowColumns(c.def);
    let json = '[';
    for (const o of creates) {
      const made = (o.row.created ??= asCreate(c, o.row));
      ids.set(o, made.id);
      json += json.length > 1 ? `,${made.json}` : made.json;
    }
    json += ']';
    await sql`insert into ${table} (${sql.join(['id', ...own, 'workspace_id', 'version', 'created_at', 'updated_at'].map((x) => sql.id(x)))})
      select u.id, ${sql.join(own.map((col) => sql`u.${sql.id(col)}`))}, ${c.workspaceId}::uuid, 1, ${c.now}::timestamptz, ${c.now}::timestamptz
      from jsonb_to_recordset(${json}::jsonb) as u(${sql.join(['id', ...own].map((col) => sql`${sql.id(col)} ${sql.raw(pgType(c.def, col))}`))})`.execute(
      trx,
    );
  }

  if (updates.length) {
    const setCols = [...new Set(updates.flatMap((o) => Object.keys(o.values)))];
    const all = ['id', ...setCols];
    const rows = updates.map((o) => {
      const merged: Record<string, unknown> = { ...o.before, ...o.values };
      const r: Record<string, unknown> = {};
      for (const col of all) r[col] = merged[col] ?? null;
      return r;
    });
    await sql`update ${table} t set ${sql.join(setCols.map((col) => sql`${sql.id(col)} = u.${sql.id(col)}`))},
        version = t.version + 1, updated_at = ${c.now}
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as u(${sql.join(all.map((col) => sql`${sql.id(col)} ${sql.raw(pgType(c.def, col))}`))})
      where t.id = u.id`.execute(trx);
  }

  const extRows: Array<[string, string, string]> = [];
  for (const o of [...creates, ...updates]) {
    const id = o.action === 'create' ? (ids.get(o) ?? '') : o.before.id;
    for (const [k, v] of Object.entries(o.row.ext)) extRows.push([id, k, v]);
  }
  if (extRows.length) {
    await sql`delete from external_ids e using unnest(${extRows.map((x) => x[0])}::uuid[], ${extRows.map((x) => x[1])}::text[]) as d(id, key)
      where e.record_id = d.id and e.key = d.key`.execute(trx);
    await sql`insert into external_ids (workspace_id, object, key, value, record_id)
      select ${c.workspaceId}, ${c.def.object}, k, v, id from unnest(${extRows.map((x) => x[1])}::text[], ${extRows.map((x) => x[2])}::text[], ${extRows.map((x) => x[0])}::uuid[]) as u(k, v, id)`.execute(
      trx,
    );
  }

  if (creates.length || updates.length) {
    const changeIds = [...creates.map((o) => ids.get(o) ?? ''), ...updates.map((o) => o.before.id)];
    const ops = [...creates.map(() => 'created'), ...updates.map(() => 'updated')];
    const befores = [...creates.map(() => null), ...updates.map((o) => JSON.stringify(o.before))];
    const versions = [...creates.map(() => 1), ...updates.map((o) => o.before.version + 1)];
    await sql`insert into import_changes (import_id, record_id, op, before, after_version)
      select ${importId}, id, op, b, v from unnest(${changeIds}::uuid[], ${ops}::text[], ${befores}::jsonb[], ${versions}::int4[]) as u(id, op, b, v)
      on conflict do nothing`.execute(trx);
    await recordAudit(trx, clock, actor, {
      action: `${c.def.object}.imported`,
      entityType: 'import',
      entityId: importId,
      meta: { created: creates.length, updated: updates.length, lines: [plan[0]?.row.line, plan[plan.length - 1]?.row.line] },
    });
  }
  return { created: creates.length, updated: updates.length };
}
