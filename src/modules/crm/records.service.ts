import { sql } from 'kysely';
import type { Actor } from '../../platform/actor.js';
import { namesConflict } from '../dedupe/matching.js';
import { normaliseRulesFor } from '../quality/normalise-rules.js';
import { mergeQuality, mergeRaw, normaliseRecordInput } from '../quality/record-normalise.js';
import { erasureLock, isSuppressed, SUPPRESSED_MESSAGE } from '../privacy/suppression.js';
import { recordAudit, triggerContext } from '../../platform/audit/audit.service.js';
import type { Clock } from '../../platform/clock.js';
import type { Db, DbOrTx } from '../../platform/db/database.js';
import { AppError, notFound } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { Page } from '../../platform/http/pagination.js';
import type { ObjectDef } from './crm-objects.js';
import { isValidEmail, normaliseEmail } from './field-types.js';
import type { CustomField } from './custom-fields.schema.js';
import { activeFields, validateCustomValues } from './custom-fields.service.js';
import {
  accountExists,
  externalIdsFor,
  findByExternalId,
  findLiveByColumn,
  findRecord,
  insertRecord,
  selectList,
  setExternalIds,
  toRecordView,
  updateRecordRow,
  userExists,
  type RecordRow,
} from './records.repo.js';
import {
  compileFilter,
  decodeRecordCursor,
  encodeRecordCursor,
  pageQuery,
  parseSort,
  resolveField,
  toPrefixQuery,
} from './records-query.js';
import type { Filter, ListRecordsQuery, RecordInput, RecordView } from './records.schema.js';

export interface Ctx {
  db: Db;
  clock: Clock;
}

const liveKeys = (fields: readonly CustomField[]) => new Set(fields.map((f) => f.key));

export async function viewOf(db: DbOrTx, def: ObjectDef, row: RecordRow, fields: readonly CustomField[]): Promise<RecordView> {
  const ext = await externalIdsFor(db, [row.id]);
  return toRecordView(def, row, ext.get(row.id) ?? {}, liveKeys(fields));
}

/** What the audit log shows of a record: its fields, custom values flattened as custom.<key>. */
export function auditView(def: ObjectDef, row: RecordRow): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of def.fields) out[f.key] = row[f.column] ?? null;
  for (const [k, v] of Object.entries(row.custom ?? {})) out[`custom.${k}`] = v;
  if (def.hasTraits) for (const [k, v] of Object.entries((row.traits as Record<string, unknown> | undefined) ?? {})) out[`traits.${k}`] = v;
  return out;
}

async function checkRefs(db: DbOrTx, def: ObjectDef, workspaceId: string, input: RecordInput): Promise<void> {
  for (const f of def.fields) {
    const v = input[f.key];
    if (!f.ref || typeof v !== 'string') continue;
    const ok = f.ref === 'user' ? await userExists(db, workspaceId, v) : await accountExists(db, workspaceId, v);
    if (!ok)
      throw new AppError('validation_failed', `${f.label}: no such ${f.ref} in this workspace`, [
        { path: f.key, message: `No such ${f.ref}` },
      ]);
  }
}

/** Core input keys -> column values (undefined keys are left alone; null clears). */
function coreColumns(def: ObjectDef, input: RecordInput): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of def.fields) {
    const v = input[f.key];
    if (v === undefined) continue;
    out[f.column] = v === '' ? null : v;
  }
  return out;
}

/** An erased person's email (on the suppression list) cannot come back through any write. */
async function refuseErased(trx: DbOrTx, def: ObjectDef, ws: string, email: unknown): Promise<void> {
  if (def.object !== 'contact' || typeof email !== 'string' || email === '') return;
  await erasureLock(trx, ws, 'shared');
  if (await isSuppressed(trx, ws, email)) throw new AppError('conflict', SUPPRESSED_MESSAGE, [{ path: 'email', message: 'Erased person' }]);
}

async function ensureUnique(db: DbOrTx, def: ObjectDef, workspaceId: string, row: Record<string, unknown>, selfId?: string): Promise<void> {
  const key = def.naturalKey;
  const column = def.fields.find((f) => f.key === key)?.column ?? key;
  const v = row[column];
  if (typeof v !== 'string') return;
  const other = await findLiveByColumn(db, def, workspaceId, column, v);
  if (other && other.id !== selfId) {
    throw new AppError('already_exists', `A ${def.label.toLowerCase()} with ${key} ${v} already exists (id ${other.id})`, [
      { path: key, message: `Already used by ${other.id}` },
    ]);
  }
}

async function ensureExternalIdsFree(db: DbOrTx, def: ObjectDef, workspaceId: string, ids: Record<string, string | null>, selfId?: string) {
  for (const [key, value] of Object.entries(ids)) {
    if (value === null) continue;
    const holder = await findByExternalId(db, def, workspaceId, key, value);
    if (holder && holder !== selfId) {
      throw new AppError('already_exists', `${key} ${value} already belongs to another ${def.label.toLowerCase()} (id ${holder})`, [
        { path: `externalIds.${key}`, message: 'Already used' },
      ]);
    }
  }
}

export async function createRecord(ctx: Ctx, actor: Actor, def: ObjectDef, given: RecordInput): Promise<RecordView> {
  const n = normaliseRecordInput(def.object, given, undefined, await normaliseRulesFor(ctx.db, actor.workspaceId));
  const input = n.input;
  return ctx.db.transaction().execute(async (trx) => {
    const fields = await activeFields(trx, actor.workspaceId, def.object);
    const custom = Object.fromEntries(
      Object.entries(validateCustomValues(fields, input.custom ?? {}, 'create')).filter(([, v]) => v !== null),
    );
    await checkRefs(trx, def, actor.workspaceId, input);
    // A stage given on creation is written to the lifecycle history by a trigger, naming the actor.
    if (def.object === 'contact' && input.lifecycleStage) await triggerContext(trx, { actor });
    const now = ctx.clock.now();
    const values: Record<string, unknown> = {
      id: newId(),
      workspace_id: actor.workspaceId,
      ...coreColumns(def, input),
      ...(def.hasTraits && { traits: input.traits ?? {} }),
      custom,
      raw: mergeRaw({}, n.raw),
      ...(def.object === 'contact' && { quality: mergeQuality({}, n.quality) }),
      version: 1,
      created_at: now,
      updated_at: now,
    };
    await ensureUnique(trx, def, actor.workspaceId, values);
    await refuseErased(trx, def, actor.workspaceId, values.email);
    await ensureExternalIdsFree(trx, def, actor.workspaceId, input.externalIds ?? {});
    const row = await insertRecord(trx, def, values);
    if (input.externalIds) await setExternalIds(trx, def, actor.workspaceId, row.id, input.externalIds);
    await recordAudit(trx, ctx.clock, actor, {
      action: `${def.object}.created`,
      entityType: def.object,
      entityId: row.id,
      after: { ...auditView(def, row), ...prefixed(input.externalIds) },
    });
    return viewOf(trx, def, row, fields);
  });
}

function prefixed(ext: Record<string, string | null> | undefined): Record<string, unknown> {
  return Object.fromEntries(Object.entries(ext ?? {}).map(([k, v]) => [`externalIds.${k}`, v]));
}

export async function getRecord(ctx: Ctx, workspaceId: string, def: ObjectDef, id: string): Promise<RecordView> {
  const row = await findRecord(ctx.db, def, workspaceId, id);
  if (!row) throw notFound(def.label);
  return viewOf(ctx.db, def, row, await activeFields(ctx.db, workspaceId, def.object));
}

/** An If-Match header value ("3", W/"3" or 3) as a version number. */
export function parseIfMatch(h: string | undefined): number | undefined {
  if (h === undefined) return undefined;
  const m = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(h);
  if (!m) throw new AppError('validation_failed', 'If-Match must be the ETag this API returned, e.g. "3"');
  return Number(m[1]);
}

/**
 * Applies a change to a locked row: core fields, custom values (merged; null removes), traits
 * (merged) and external ids. Returns the new row, or the old one when nothing changed (no version
 * bump, no audit row).
 */
async function applyUpdate(
  trx: DbOrTx,
  clock: Clock,
  actor: Actor,
  def: ObjectDef,
  before: RecordRow,
  given: RecordInput,
  fields: readonly CustomField[],
  action = `${def.object}.updated`,
): Promise<RecordRow> {
  const n = normaliseRecordInput(def.object, given, { country: before.country }, await normaliseRulesFor(trx, actor.workspaceId));
  const input = n.input;
  const customIn = validateCustomValues(fields, input.custom ?? {}, 'update');
  await checkRefs(trx, def, actor.workspaceId, input);
  if (def.object === 'contact' && input.lifecycleStage !== undefined && !sameValue(before.lifecycle_stage, input.lifecycleStage)) {
    await triggerContext(trx, { actor });
  }
  const set: Record<string, unknown> = {};
  for (const [col, v] of Object.entries(coreColumns(def, input))) {
    if (!sameValue(before[col], v)) set[col] = v;
  }
  // A value sent again unchanged keeps the raw value it was first normalised from.
  const rawDelta = Object.fromEntries(
    Object.entries(n.raw).filter(([k]) => {
      const col = def.fields.find((f) => f.key === k)?.column;
      return !col || !sameValue(before[col], input[k] === '' ? null : input[k]);
    }),
  );
  const raw = mergeRaw(before.raw, rawDelta);
  if (JSON.stringify(raw) !== JSON.stringify(before.raw ?? {})) set.raw = raw;
  if (def.object === 'contact') {
    const quality = mergeQuality(before.quality, n.quality);
    if (JSON.stringify(quality) !== JSON.stringify(before.quality ?? {})) set.quality = quality;
  }
  if (Object.keys(customIn).length) {
    const next = { ...before.custom };
    for (const [k, v] of Object.entries(customIn)) {
      if (v === null) delete next[k];
      else next[k] = v;
    }
    if (JSON.stringify(next) !== JSON.stringify(before.custom)) set.custom = next;
  }
  if (def.hasTraits && input.traits) {
    const prev = (before.traits as Record<string, unknown>) ?? {};
    const next = { ...prev, ...input.traits };
    if (JSON.stringify(next) !== JSON.stringify(prev)) set.traits = next;
  }
  let extChanged = false;
  if (input.externalIds) {
    const current = (await externalIdsFor(trx, [before.id])).get(before.id) ?? {};
    const delta = Object.fromEntries(Object.entries(input.externalIds).filter(([k, v]) => (current[k] ?? null) !== v));
    if (Object.keys(delta).length) {
      await ensureExternalIdsFree(trx, def, actor.workspaceId, delta, before.id);
      await setExternalIds(trx, def, actor.workspaceId, before.id, delta);
      extChanged = true;
    }
  }
  if (Object.keys(set).length === 0 && !extChanged) return before;
  await ensureUnique(trx, def, actor.workspaceId, set, before.id);
  await refuseErased(trx, def, actor.workspaceId, set.email);
  const after = await updateRecordRow(trx, def, before.id, { ...set, version: before.version + 1, updated_at: clock.now() });
  await recordAudit(trx, clock, actor, {
    action,
    entityType: def.object,
    entityId: before.id,
    before: auditView(def, before),
    after: { ...auditView(def, after), ...prefixed(input.externalIds) },
  });
  return after;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === null || a === undefined) return b === null || b === undefined;
  if (typeof a === 'string' && typeof b === 'number') return Number(a) === b;
  return a === b;
}

export async function updateRecord(
  ctx: Ctx,
  actor: Actor,
  def: ObjectDef,
  id: string,
  input: RecordInput,
  expectedVersion?: number,
): Promise<RecordView> {
  return ctx.db.transaction().execute(async (trx) => {
    const before = await findRecord(trx, def, actor.workspaceId, id, { forUpdate: true });
    if (!before) throw notFound(def.label);
    if (before.deleted_at) throw new AppError('conflict', `This ${def.label.toLowerCase()} is deleted: restore it first`);
    if (expectedVersion !== undefined && expectedVersion !== before.version) {
      throw new AppError(
        'precondition_failed',
        `This ${def.label.toLowerCase()} was changed by someone else (version ${before.version}, you had ${expectedVersion}): reload and try again`,
      );
    }
    const fields = await activeFields(trx, actor.workspaceId, def.object);
    const after = await applyUpdate(trx, ctx.clock, actor, def, before, input, fields);
    return viewOf(trx, def, after, fields);
  });
}

export async function setDeleted(ctx: Ctx, actor: Actor, def: ObjectDef, id: string, deleted: boolean): Promise<RecordView> {
  return ctx.db.transaction().execute(async (trx) => {
    const before = await findRecord(trx, def, actor.workspaceId, id, { forUpdate: true });
    if (!before) throw notFound(def.label);
    const fields = await activeFields(trx, actor.workspaceId, def.object);
    if (Boolean(before.deleted_at) === deleted) return viewOf(trx, def, before, fields);
    if (!deleted) await ensureUnique(trx, def, actor.workspaceId, before, before.id);
    const after = await updateRecordRow(trx, def, id, {
      deleted_at: deleted ? ctx.clock.now() : null,
      version: before.version + 1,
      updated_at: ctx.clock.now(),
    });
    await recordAudit(trx, ctx.clock, actor, {
      action: `${def.object}.${deleted ? 'deleted' : 'restored'}`,
      entityType: def.object,
      entityId: id,
      ...(deleted ? { before: auditView(def, before) } : { after: auditView(def, after) }),
    });
    return viewOf(trx, def, after, fields);
  });
}

/**
 * Create or update by a unique key: the natural key (email for contacts, domain for accounts) or
 * an external id name. Returns whether the record was created.
 */
export async function upsertRecord(
  ctx: Ctx,
  actor: Actor,
  def: ObjectDef,
  on: string,
  input: RecordInput,
): Promise<{ record: RecordView; created: boolean }> {
  const natural = on === def.naturalKey;
  const keyValue = natural ? input[def.naturalKey] : input.externalIds?.[on];
  if (typeof keyValue !== 'string' || keyValue === '') {
    throw new AppError('validation_failed', natural ? `Upsert on ${on} needs ${on}` : `Upsert on ${on} needs externalIds.${on}`);
  }
  const column = def.fields.find((f) => f.key === def.naturalKey)?.column ?? def.naturalKey;
  const existingRow = natural ? await findLiveByColumn(ctx.db, def, actor.workspaceId, column, keyValue) : undefined;
  const existing = natural ? existingRow?.id : await findByExternalId(ctx.db, def, actor.workspaceId, on, keyValue);
  // Same email, another person's name: not silently written over the person already there.
  if (existingRow && def.object === 'contact') {
    const was = { firstName: existingRow.first_name as string | null, lastName: existingRow.last_name as string | null };
    const now = { firstName: input.firstName as string | null | undefined, lastName: input.lastName as string | null | undefined };
    if (namesConflict(was, now))
      throw new AppError(
        'conflict',
        `${keyValue} belongs to ${was.firstName} ${was.lastName}; this write names ${now.firstName} ${now.lastName}. If the address changed hands, update that contact by id; otherwise fix the name`,
      );
  }
  if (existing) return { record: await updateRecord(ctx, actor, def, existing, input), created: false };
  return { record: await createRecord(ctx, actor, def, input), created: true };
}

export interface ListOptions {
  /** Extra SQL conditions from the caller (e.g. linked contacts of an account). */
  where?: ReturnType<typeof sql>[];
}

/** The WHERE conditions of a list query (shared by lists, bulk actions and export). */
export function listConditions(
  def: ObjectDef,
  fields: readonly CustomField[],
  workspaceId: string,
  q: Pick<ListRecordsQuery, 'q' | 'email' | 'domain' | 'ownerId' | 'accountId' | 'filter' | 'deleted'>,
): ReturnType<typeof sql>[] {
  const where = [sql`r.workspace_id = ${workspaceId}`, q.deleted === 'only' ? sql`r.deleted_at is not null` : sql`r.deleted_at is null`];
  if (q.email !== undefined && def.object === 'contact') where.push(sql`r.email = ${normaliseEmail(q.email)}`);
  if (q.domain !== undefined && def.object === 'account') where.push(sql`r.domain = ${q.domain.trim().toLowerCase()}`);
  if (q.ownerId) where.push(sql`r.owner_id = ${q.ownerId}`);
  if (q.accountId && def.object === 'contact') {
    where.push(sql`(r.account_id = ${q.accountId} or r.id in (select contact_id from account_contacts where account_id = ${q.accountId}))`);
  }
  const qEmail = q.q && def.object === 'contact' ? normaliseEmail(q.q) : '';
  if (qEmail && isValidEmail(qEmail)) {
    // A whole address is an exact lookup on the unique email index, not a prefix search.
    where.push(sql`r.email = ${qEmail}`);
  } else if (q.q) {
    const tsq = toPrefixQuery(q.q);
    // A search with no searchable word in it (only punctuation) matches nothing, not everything.
    where.push(tsq ? sql`r.search @@ to_tsquery('simple', ${tsq})` : sql`false`);
  }
  for (const f of (q.filter ?? []) as Filter[]) where.push(compileFilter(resolveField(def, fields, f.field), f));
  return where;
}

export async function listRecords(ctx: Ctx, workspaceId: string, def: ObjectDef, q: ListRecordsQuery): Promise<Page<RecordView>> {
  const fields = await activeFields(ctx.db, workspaceId, def.object);
  const sort = parseSort(def, fields, q.sort);
  const where = listConditions(def, fields, workspaceId, q);
  const cursor = decodeRecordCursor(q.cursor, sort.key);
  const r = await pageQuery(sql.table(def.table), selectList(def), where, sort, cursor, q.limit + 1)
    .$castTo<RecordRow & { sort_value: unknown }>()
    .execute(ctx.db);
  const rows = r.rows.slice(0, q.limit);
  const ext = await externalIdsFor(
    ctx.db,
    rows.map((x) => x.id),
  );
  const keys = liveKeys(fields);
  const last = rows[rows.length - 1];
  return {
    data: rows.map((row) => toRecordView(def, row, ext.get(row.id) ?? {}, keys)),
    nextCursor: r.rows.length > q.limit && last ? encodeRecordCursor(sort.key, normaliseSortValue(last.sort_value), last.id) : null,
  };
}

function normaliseSortValue(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'bigint') return v.toString();
  return v ?? null;
}

/** Ids matching a list query, at most `max` + 1 (so the caller can tell it was more). */
export async function matchingIds(
  ctx: Ctx,
  workspaceId: string,
  def: ObjectDef,
  q: Parameters<typeof listConditions>[3],
  max: number,
): Promise<string[]> {
  const fields = await activeFields(ctx.db, workspaceId, def.object);
  const where = listConditions(def, fields, workspaceId, q);
  const r = await sql<{
    id: string;
  }>`select r.id from ${sql.table(def.table)} r where ${sql.join(where, sql` and `)} order by r.id limit ${max + 1}`.execute(ctx.db);
  return r.rows.map((x) => x.id);
}

export { applyUpdate };
