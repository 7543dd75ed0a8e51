import { sql } from 'kysely';
import type { Actor } from '../../platform/actor.js';
import { recordAudit, triggerContext } from '../../platform/audit/audit.service.js';
import type { Clock } from '../../platform/clock.js';
import type { Db, DbOrTx } from '../../platform/db/database.js';
import { AppError, notFound } from '../../platform/errors.js';
import type { Page } from '../../platform/http/pagination.js';
import { newId } from '../../platform/ids.js';
import { objectDefs, type ObjectDef } from '../crm/crm-objects.js';
import { auditView } from '../crm/records.service.js';
import { columnsOf, externalIdsFor, updateRecordRow, type RecordRow } from '../crm/records.repo.js';
import type { DedupeSettings, MergeBody, MergeView } from './dedupe.schema.js';
import type { MatchObject } from './matching.js';
import { mergeLeadAssignments, mergeUndoneAssignments, type MergedAssignment } from '../routing/routing.service.js';
import { getSettings } from './settings.js';

export interface Ctx {
  db: Db;
  clock: Clock;
}

const UNDO_DAYS = 30;
type Row = RecordRow & { merged_into: string | null };
type Rule = DedupeSettings['survivorship']['default'];

async function lockRows(trx: DbOrTx, def: ObjectDef, ws: string, ids: readonly string[]): Promise<Map<string, Row>> {
  const cols = [...columnsOf(def), 'merged_into'];
  const r = await sql<Row>`select ${sql.join(cols.map((c) => sql.ref(`r.${c}`)))} from ${sql.table(def.table)} r
    where r.workspace_id = ${ws} and r.id = any(${[...ids]}::uuid[]) order by r.id for update`.execute(trx);
  return new Map(r.rows.map((x) => [x.id, x]));
}

const empty = (v: unknown) => v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0);
const time = (d: unknown) => new Date(d as string | Date).getTime();
const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** The record whose value survives under a rule, among those that have one. */
function pickByRule(
  rule: Rule,
  have: readonly Row[],
  survivor: Row,
  value: (r: Row) => unknown,
  ctx: { trusted: readonly string[]; crm: ReadonlySet<string> },
): Row | undefined {
  if (!have.length) return undefined;
  const recent = [...have].sort((a, b) => time(b.updated_at) - time(a.updated_at) || (a.id === survivor.id ? -1 : 1));
  switch (rule) {
    case 'survivor':
      return have.find((r) => r.id === survivor.id) ?? recent[0];
    case 'most_recent':
      return recent[0];
    case 'most_complete':
      return [...recent].sort((a, b) => String(value(b)).length - String(value(a)).length)[0];
    case 'oldest':
      return [...have].sort((a, b) => time(a.created_at) - time(b.created_at))[0];
    case 'trusted_source': {
      const rank = (r: Row) => {
        const i = ctx.trusted.indexOf(String(r.source ?? ''));
        return i < 0 ? Number.MAX_SAFE_INTEGER : i;
      };
      return [...recent].sort((a, b) => rank(a) - rank(b))[0];
    }
    case 'crm_wins':
      return recent.find((r) => ctx.crm.has(r.id)) ?? recent[0];
  }
}

interface PlannedField {
  field: string;
  label: string;
  values: { recordId: string; value: unknown }[];
  chosen: string | null;
  rule: string;
  value: unknown;
}

interface Plan {
  fields: PlannedField[];
  set: Record<string, unknown>;
  chosen: Record<string, string>;
}

/** Survivorship: the value each field keeps, from which record, by which rule (or a person's choice). */
async function planMerge(
  db: DbOrTx,
  def: ObjectDef,
  settings: DedupeSettings,
  survivor: Row,
  losers: readonly Row[],
  overrides: Record<string, string>,
): Promise<Plan> {
  const all = [survivor, ...losers];
  const allIds = new Set(all.map((r) => r.id));
  for (const [f, id] of Object.entries(overrides))
    if (!allIds.has(id))
      throw new AppError('validation_failed', `fields.${f} names a record that is not part of this merge`, [
        { path: `fields.${f}`, message: 'not one of the merged records' },
      ]);
  const ext = await externalIdsFor(db, [...allIds]);
  const crm = new Set([...allIds].filter((id) => ext.get(id)?.crm_id));
  const c = { trusted: settings.survivorship.trustedSources, crm };
  const fields: PlannedField[] = [];
  const set: Record<string, unknown> = {};
  const chosen: Record<string, string> = {};
  const known = new Set<string>();
  const raw: Record<string, unknown> = { ...((survivor.raw as Record<string, unknown> | undefined) ?? {}) };
  const decide = (field: string, label: string, value: (r: Row) => unknown) => {
    known.add(field);
    const have = all.filter((r) => !empty(value(r)));
    const rule: Rule = settings.survivorship.fields[field] ?? settings.survivorship.default;
    const override = overrides[field];
    const from = override ? all.find((r) => r.id === override) : pickByRule(rule, have, survivor, value, c);
    fields.push({
      field,
      label,
      values: all.map((r) => ({ recordId: r.id, value: value(r) ?? null })),
      chosen: from?.id ?? null,
      rule: override ? 'chosen' : rule,
      value: from ? (value(from) ?? null) : null,
    });
    if (from) chosen[field] = from.id;
    return from;
  };
  for (const f of def.fields) {
    const from = decide(f.key, f.label, (r) => r[f.column]);
    const v = from ? (from[f.column] ?? null) : (survivor[f.column] ?? null);
    if (!same(v, survivor[f.column])) {
      set[f.column] = v;
      const fromRaw = from ? (from.raw as Record<string, unknown> | undefined)?.[f.key] : undefined;
      if (fromRaw !== undefined) raw[f.key] = fromRaw;
      else delete raw[f.key];
    }
  }
  const customKeys = [...new Set(all.flatMap((r) => Object.keys(r.custom ?? {})))].sort();
  const custom: Record<string, unknown> = {};
  for (const k of customKeys) {
    const from = decide(`custom.${k}`, k, (r) => r.custom?.[k]);
    if (from) custom[k] = from.custom[k];
  }
  if (!same(custom, survivor.custom)) set.custom = custom;
  if (def.hasTraits) {
    // Traits: every record's, the most recently changed record's value winning per key.
    const byAge = [...all].sort((a, b) => time(a.updated_at) - time(b.updated_at));
    const traits = Object.assign({}, ...byAge.map((r) => (r.traits as Record<string, unknown> | undefined) ?? {})) as Record<
      string,
      unknown
    >;
    if (!same(traits, survivor.traits)) set.traits = traits;
    // Quality facts follow the email that survives.
    const emailFrom = all.find((r) => r.id === chosen.email);
    if (emailFrom && emailFrom.id !== survivor.id && !same(emailFrom.quality, survivor.quality)) set.quality = emailFrom.quality;
  }
  if (!same(raw, survivor.raw ?? {})) set.raw = raw;
  for (const f of Object.keys(overrides))
    if (!known.has(f))
      throw new AppError('validation_failed', `fields.${f} is not a field of these records`, [
        { path: `fields.${f}`, message: 'unknown field' },
      ]);
  return { fields, set, chosen };
}

function checkMergeable(
  def: ObjectDef,
  rows: Map<string, Row>,
  survivorId: string,
  from: readonly string[],
): { survivor: Row; losers: Row[] } {
  const survivor = rows.get(survivorId);
  if (!survivor) throw notFound(def.label);
  if (survivor.merged_into)
    throw new AppError('conflict', `This ${def.object} was merged into ${survivor.merged_into}: merge into that record instead`);
  if (survivor.deleted_at) throw new AppError('conflict', `This ${def.object} is deleted: restore it first`);
  const losers: Row[] = [];
  for (const id of from) {
    const r = rows.get(id);
    if (!r) throw new AppError('not_found', `${def.label} ${id} not found`);
    if (r.merged_into === survivorId) throw new AppError('conflict', `${def.label} ${id} is already merged into this one`);
    if (r.merged_into) throw new AppError('conflict', `${def.label} ${id} was already merged into ${r.merged_into}`);
    if (r.deleted_at) throw new AppError('conflict', `${def.label} ${id} is deleted: restore it before merging`);
    losers.push(r);
  }
  return { survivor, losers };
}

function uniqueFrom(survivorId: string, from: readonly string[]): string[] {
  const ids = [...new Set(from)];
  if (ids.includes(survivorId))
    throw new AppError('validation_failed', 'from must not contain the surviving record itself', [
      { path: 'from', message: 'contains the survivor' },
    ]);
  return ids;
}

/** What a merge would keep, field by field, without changing anything (the merge screen). */
export async function previewMerge(db: DbOrTx, ws: string, object: MatchObject, survivorId: string, body: MergeBody) {
  const def = objectDefs[object];
  const from = uniqueFrom(survivorId, body.from);
  const rows = await lockRowsReadOnly(db, def, ws, [survivorId, ...from]);
  const { survivor, losers } = checkMergeable(def, rows, survivorId, from);
  const plan = await planMerge(db, def, await getSettings(db, ws, object), survivor, losers, body.fields ?? {});
  return {
    survivorId,
    from,
    records: [survivor, ...losers].map((r) => ({
      id: r.id,
      createdAt: new Date(r.created_at).toISOString(),
      updatedAt: new Date(r.updated_at).toISOString(),
      source: (r.source as string | null | undefined) ?? null,
    })),
    fields: plan.fields,
  };
}

async function lockRowsReadOnly(db: DbOrTx, def: ObjectDef, ws: string, ids: readonly string[]): Promise<Map<string, Row>> {
  const cols = [...columnsOf(def), 'merged_into'];
  const r = await sql<Row>`select ${sql.join(cols.map((c) => sql.ref(`r.${c}`)))} from ${sql.table(def.table)} r
    where r.workspace_id = ${ws} and r.id = any(${[...ids]}::uuid[])`.execute(db);
  return new Map(r.rows.map((x) => [x.id, x]));
}

type Moved = Record<string, unknown[]>;

/** Moves what hangs off the losers to the survivor, recording each move so undo can put it back. */
async function moveContactData(trx: DbOrTx, ws: string, survivor: string, losers: string[], now: Date): Promise<Moved> {
  const profiles = (
    await sql<{
      id: string;
      from_id: string;
    }>`with old as (select id, contact_id from profiles where contact_id = any(${losers}::uuid[]) for update)
      update profiles p set contact_id = ${survivor} from old where p.id = old.id returning p.id, old.contact_id as from_id`.execute(trx)
  ).rows;
  // List memberships: a list the survivor is already on drops the loser's row (and one from its count).
  const listsDropped = (
    await sql<Record<string, unknown>>`delete from list_members lm where lm.contact_id = any(${losers}::uuid[])
      and (exists (select 1 from list_members s where s.list_id = lm.list_id and s.contact_id = ${survivor})
        or exists (select 1 from list_members o where o.list_id = lm.list_id and o.contact_id = any(${losers}::uuid[]) and o.contact_id < lm.contact_id))
      returning lm.list_id, lm.contact_id, lm.workspace_id, lm.added_at, lm.added_by`.execute(trx)
  ).rows;
  if (listsDropped.length)
    await sql`update lists l set member_count = l.member_count - d.n, updated_at = ${now}
      from (select (x->>'list_id')::uuid as list_id, count(*) as n from jsonb_array_elements(${JSON.stringify(listsDropped)}::jsonb) x group by 1) d
      where l.id = d.list_id`.execute(trx);
  const lists = (
    await sql<{
      list_id: string;
      from_id: string;
    }>`with old as (select list_id, contact_id from list_members where contact_id = any(${losers}::uuid[]) for update)
      update list_members m set contact_id = ${survivor} from old where m.list_id = old.list_id and m.contact_id = old.contact_id
      returning m.list_id, old.contact_id as from_id`.execute(trx)
  ).rows;
  const accountsDropped = (
    await sql<Record<string, unknown>>`delete from account_contacts ac where ac.contact_id = any(${losers}::uuid[])
      and (exists (select 1 from account_contacts s where s.account_id = ac.account_id and s.contact_id = ${survivor})
        or exists (select 1 from account_contacts o where o.account_id = ac.account_id and o.contact_id = any(${losers}::uuid[]) and o.contact_id < ac.contact_id))
      returning to_jsonb(ac.*) as row`.execute(trx)
  ).rows.map((r) => r.row);
  const accounts = (
    await sql<{
      account_id: string;
      from_id: string;
    }>`with old as (select account_id, contact_id from account_contacts where contact_id = any(${losers}::uuid[]) for update)
      update account_contacts m set contact_id = ${survivor} from old where m.account_id = old.account_id and m.contact_id = old.contact_id
      returning m.account_id, old.contact_id as from_id`.execute(trx)
  ).rows;
  // Consent: per purpose the most recent change wins; the survivor's earlier state is kept for undo.
  const consentsBefore: Array<{ purpose: string; row: Record<string, unknown> | null }> = [];
  const loserConsents = await trx.selectFrom('consents').selectAll().where('contact_id', 'in', losers).orderBy('changed_at').execute();
  for (const lc of loserConsents) {
    const cur = await trx
      .selectFrom('consents')
      .selectAll()
      .where('contact_id', '=', survivor)
      .where('purpose', '=', lc.purpose)
      .executeTakeFirst();
    if (cur && time(cur.changed_at) >= time(lc.changed_at)) continue;
    if (!consentsBefore.some((c) => c.purpose === lc.purpose)) consentsBefore.push({ purpose: lc.purpose, row: cur ? { ...cur } : null });
    const v = {
      status: lc.status,
      lawful_basis: lc.lawful_basis,
      double_opt_in: lc.double_opt_in,
      source: lc.source,
      text_shown: lc.text_shown,
      changed_at: lc.changed_at,
    };
    await trx
      .insertInto('consents')
      .values({ workspace_id: ws, contact_id: survivor, purpose: lc.purpose, ...v })
      .onConflict((oc) => oc.columns(['contact_id', 'purpose']).doUpdateSet(v))
      .execute();
  }
  const consentEvents = (
    await sql<{
      id: string;
      from_id: string;
    }>`with old as (select id, contact_id from consent_events where contact_id = any(${losers}::uuid[]) for update)
      update consent_events e set contact_id = ${survivor} from old where e.id = old.id returning e.id, old.contact_id as from_id`.execute(
      trx,
    )
  ).rows;
  const externalIds = await moveExternalIds(trx, survivor, losers);
  return { profiles, lists, listsDropped, accounts, accountsDropped, consentsBefore, consentEvents, externalIds };
}

/** External ids the survivor lacks move to it; a key both hold stays with the loser. */
async function moveExternalIds(trx: DbOrTx, survivor: string, losers: string[]): Promise<unknown[]> {
  const moved: Array<{ key: string; value: string; from_id: string }> = [];
  const have = new Set(Object.keys((await externalIdsFor(trx, [survivor])).get(survivor) ?? {}));
  const theirs = await trx
    .selectFrom('external_ids')
    .select(['key', 'value', 'record_id'])
    .where('record_id', 'in', losers)
    .orderBy('record_id')
    .execute();
  for (const e of theirs) {
    if (have.has(e.key)) continue;
    have.add(e.key);
    await trx
      .updateTable('external_ids')
      .set({ record_id: survivor })
      .where('record_id', '=', e.record_id)
      .where('key', '=', e.key)
      .execute();
    moved.push({ key: e.key, value: e.value, from_id: e.record_id });
  }
  return moved;
}

async function moveAccountData(trx: DbOrTx, survivor: string, losers: string[]): Promise<Moved> {
  const contacts = (
    await sql<{
      id: string;
      from_id: string;
    }>`with old as (select id, account_id from contacts where account_id = any(${losers}::uuid[]) for update)
      update contacts c set account_id = ${survivor} from old where c.id = old.id returning c.id, old.account_id as from_id`.execute(trx)
  ).rows;
  const linksDropped = (
    await sql<{ row: Record<string, unknown> }>`delete from account_contacts ac where ac.account_id = any(${losers}::uuid[])
      and (exists (select 1 from account_contacts s where s.contact_id = ac.contact_id and s.account_id = ${survivor})
        or exists (select 1 from account_contacts o where o.contact_id = ac.contact_id and o.account_id = any(${losers}::uuid[]) and o.account_id < ac.account_id))
      returning to_jsonb(ac.*) as row`.execute(trx)
  ).rows.map((r) => r.row);
  const links = (
    await sql<{
      contact_id: string;
      from_id: string;
    }>`with old as (select account_id, contact_id from account_contacts where account_id = any(${losers}::uuid[]) for update)
      update account_contacts m set account_id = ${survivor} from old where m.account_id = old.account_id and m.contact_id = old.contact_id
      returning m.contact_id, old.account_id as from_id`.execute(trx)
  ).rows;
  const externalIds = await moveExternalIds(trx, survivor, losers);
  return { contacts, links, linksDropped, externalIds };
}

function mergeView(
  r: {
    id: string;
    object: MatchObject;
    survivor_id: string;
    loser_ids: string[];
    chosen: Record<string, string>;
    moved: Record<string, unknown>;
    auto: boolean;
    probability: number | null;
    actor: string;
    merged_at: Date;
    undone_at: Date | null;
    undone_by: string | null;
  },
  now: Date,
): MergeView {
  const until = new Date(new Date(r.merged_at).getTime() + UNDO_DAYS * 86_400_000);
  const counts = Object.fromEntries(Object.entries(r.moved).map(([k, v]) => [k, Array.isArray(v) ? v.length : v]));
  return {
    id: r.id,
    object: r.object,
    survivorId: r.survivor_id,
    from: r.loser_ids,
    chosen: r.chosen,
    moved: counts,
    auto: r.auto,
    probability: r.probability,
    actor: r.actor,
    mergedAt: new Date(r.merged_at).toISOString(),
    undoneAt: r.undone_at ? new Date(r.undone_at).toISOString() : null,
    undoneBy: r.undone_by,
    undoUntil: until.toISOString(),
    canUndo: !r.undone_at && now.getTime() <= until.getTime(),
  };
}

/**
 * Folds `from` into the survivor in one transaction: field values by survivorship (or a person's
 * choices), the losers soft-deleted and pointing at the survivor, their activity, events, list
 * memberships, consents, account links and external ids moved over, a merge record kept for undo,
 * and the audit log told. Rows are locked in id order, so two merges of the same records queue up
 * and the second finds them merged.
 */
export async function mergeRecords(
  ctx: Ctx,
  actor: Actor,
  object: MatchObject,
  survivorId: string,
  body: MergeBody,
  opts: { auto?: boolean; probability?: number } = {},
): Promise<MergeView> {
  const def = objectDefs[object];
  const from = uniqueFrom(survivorId, body.from);
  return ctx.db.transaction().execute(async (trx) => {
    const ws = actor.workspaceId;
    const rows = await lockRows(trx, def, ws, [survivorId, ...from]);
    const { survivor, losers } = checkMergeable(def, rows, survivorId, from);
    const settings = await getSettings(trx, ws, object);
    const plan = await planMerge(trx, def, settings, survivor, losers, body.fields ?? {});
    // A stage the survivor takes from a loser is history, not a new lead to route.
    if (object === 'contact') await triggerContext(trx, { actor, reason: 'merged with a duplicate', route: false });
    const now = ctx.clock.now();
    const mergeId = newId();
    for (const l of losers)
      await updateRecordRow(trx, def, l.id, { deleted_at: now, merged_into: survivor.id, version: l.version + 1, updated_at: now });
    const after = Object.keys(plan.set).length
      ? await updateRecordRow(trx, def, survivor.id, { ...plan.set, version: survivor.version + 1, updated_at: now })
      : survivor;
    const loserIds = losers.map((l) => l.id);
    const moved =
      object === 'contact' ? await moveContactData(trx, ws, survivor.id, loserIds, now) : await moveAccountData(trx, survivor.id, loserIds);
    // A loser's live lead assignment leaves the rep's queue and the SLA job with it (routing module).
    if (object === 'contact') moved.assignments = await mergeLeadAssignments(trx, now, ws, survivor.id, loserIds);
    const ids = [survivor.id, ...loserIds];
    await trx
      .updateTable('duplicate_pairs')
      .set({ status: opts.auto ? 'auto_merged' : 'merged', merge_id: mergeId, decided_by: actor.label, decided_at: now })
      .where('workspace_id', '=', ws)
      .where('object', '=', object)
      .where('a_id', 'in', ids)
      .where('b_id', 'in', ids)
      .execute();
    await sql`delete from duplicate_pairs where workspace_id = ${ws} and object = ${object} and status = 'open'
      and (a_id = any(${loserIds}::uuid[]) or b_id = any(${loserIds}::uuid[]))`.execute(trx);
    await trx.deleteFrom('dedupe_keys').where('record_id', 'in', loserIds).execute();
    const before: Record<string, unknown> = {};
    const afterVals: Record<string, unknown> = {};
    for (const col of Object.keys(plan.set)) {
      before[col] = survivor[col] ?? null;
      afterVals[col] = after[col] ?? null;
    }
    const row = {
      id: mergeId,
      workspace_id: ws,
      object,
      survivor_id: survivor.id,
      loser_ids: loserIds,
      chosen: JSON.stringify(plan.chosen),
      survivor_before: JSON.stringify(before),
      survivor_after: JSON.stringify(afterVals),
      losers: JSON.stringify(losers),
      moved: JSON.stringify(moved),
      auto: Boolean(opts.auto),
      probability: opts.probability ?? null,
      actor: actor.label,
      merged_at: now,
    };
    await trx.insertInto('merges').values(row).execute();
    await recordAudit(trx, ctx.clock, actor, {
      action: `${object}.merged`,
      entityType: object,
      entityId: survivor.id,
      before: auditView(def, survivor),
      after: auditView(def, after),
      meta: { mergeId, from: loserIds, auto: Boolean(opts.auto) },
    });
    for (const l of losers)
      await recordAudit(trx, ctx.clock, actor, {
        action: `${object}.merged_into`,
        entityType: object,
        entityId: l.id,
        before: auditView(def, l),
        meta: { mergeId, into: survivor.id },
      });
    return mergeView({ ...row, chosen: plan.chosen, moved, undone_at: null, undone_by: null }, now);
  });
}

async function mergeRow(db: DbOrTx, ws: string, id: string, lock = false) {
  let q = db.selectFrom('merges').selectAll().where('workspace_id', '=', ws).where('id', '=', id);
  if (lock) q = q.forUpdate();
  return q.executeTakeFirst();
}

export async function getMerge(ctx: Ctx, ws: string, id: string): Promise<MergeView> {
  const r = await mergeRow(ctx.db, ws, id);
  if (!r) throw notFound('Merge');
  return mergeView(r, ctx.clock.now());
}

export async function listMerges(
  ctx: Ctx,
  ws: string,
  q: { object?: MatchObject; recordId?: string; limit: number; cursor?: string },
): Promise<Page<MergeView>> {
  let query = ctx.db.selectFrom('merges').selectAll().where('workspace_id', '=', ws);
  if (q.object) query = query.where('object', '=', q.object);
  if (q.recordId) {
    const id = q.recordId;
    query = query.where((eb) => eb.or([eb('survivor_id', '=', id), sql<boolean>`${id}::uuid = any(loser_ids)`]));
  }
  if (q.cursor) {
    let c: string | undefined;
    try {
      c = (JSON.parse(Buffer.from(q.cursor, 'base64url').toString('utf8')) as { id?: string }).id;
    } catch {
      c = undefined;
    }
    if (typeof c !== 'string' || !/^[0-9a-f-]{36}$/i.test(c))
      throw new AppError('invalid_cursor', 'The cursor is not one this API returned');
    query = query.where('id', '<', c);
  }
  const rows = await query
    .orderBy('id', 'desc')
    .limit(q.limit + 1)
    .execute();
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  const now = ctx.clock.now();
  return {
    data: page.map((r) => mergeView(r, now)),
    nextCursor: rows.length > q.limit && last ? Buffer.from(JSON.stringify({ id: last.id })).toString('base64url') : null,
  };
}

/**
 * Undoes a merge within 30 days: the losers come back as they were, what moved goes back, and the
 * survivor's fields return to their values before the merge unless someone changed them since
 * (those are kept and reported). The pair is marked dismissed so it is not merged again on its own.
 */
export async function undoMerge(ctx: Ctx, actor: Actor, mergeId: string): Promise<MergeView & { kept: string[] }> {
  return ctx.db.transaction().execute(async (trx) => {
    const ws = actor.workspaceId;
    const m = await mergeRow(trx, ws, mergeId, true);
    if (!m) throw notFound('Merge');
    const now = ctx.clock.now();
    if (m.undone_at) throw new AppError('conflict', `This merge was already undone (${new Date(m.undone_at).toISOString()})`);
    if (now.getTime() - new Date(m.merged_at).getTime() > UNDO_DAYS * 86_400_000)
      throw new AppError('conflict', `A merge can be undone for ${UNDO_DAYS} days; this one is older`);
    const def = objectDefs[m.object];
    const rows = await lockRows(trx, def, ws, [m.survivor_id, ...m.loser_ids]);
    if (m.object === 'contact') await triggerContext(trx, { actor, reason: 'merge undone', route: false });
    const survivor = rows.get(m.survivor_id);
    if (!survivor) throw new AppError('conflict', 'The surviving record no longer exists (erased): this merge cannot be undone');
    if (survivor.merged_into)
      throw new AppError('conflict', `The surviving record was itself merged into ${survivor.merged_into} since: undo that merge first`);
    for (const id of m.loser_ids) {
      const l = rows.get(id);
      if (!l) throw new AppError('conflict', `Merged record ${id} no longer exists (erased): this merge cannot be undone`);
      if (l.merged_into !== m.survivor_id) throw new AppError('conflict', `Merged record ${id} was restored or changed since the merge`);
    }
    const before = m.survivor_before;
    const after = m.survivor_after;
    const set: Record<string, unknown> = {};
    const kept: string[] = [];
    for (const col of Object.keys(after)) {
      if (same(survivor[col], after[col])) set[col] = before[col] ?? null;
      else kept.push(col);
    }
    const restored = Object.keys(set).length
      ? await updateRecordRow(trx, def, survivor.id, { ...set, version: survivor.version + 1, updated_at: now })
      : survivor;
    for (const snap of m.losers) {
      const id = String(snap.id);
      const l = rows.get(id);
      if (!l) continue;
      if (m.object === 'contact' && typeof snap.email === 'string') {
        const taken = await trx
          .selectFrom('contacts')
          .select('id')
          .where('workspace_id', '=', ws)
          .where('email', '=', snap.email)
          .where('deleted_at', 'is', null)
          .executeTakeFirst();
        if (taken && taken.id !== id)
          throw new AppError('conflict', `Cannot undo: ${snap.email} now belongs to live contact ${taken.id}; change that first`);
      }
      await updateRecordRow(trx, def, id, {
        deleted_at: snap.deleted_at ?? null,
        merged_into: null,
        version: l.version + 1,
        updated_at: now,
      });
    }
    await moveBack(trx, m.object, m.survivor_id, m.moved as Moved, now);
    if (m.object === 'contact')
      await mergeUndoneAssignments(trx, now, ws, m.survivor_id, ((m.moved as Moved).assignments ?? []) as MergedAssignment[]);
    await trx
      .updateTable('duplicate_pairs')
      .set({ status: 'dismissed', merge_id: null, decided_by: actor.label, decided_at: now })
      .where('workspace_id', '=', ws)
      .where('merge_id', '=', mergeId)
      .execute();
    await trx.updateTable('merges').set({ undone_at: now, undone_by: actor.label }).where('id', '=', mergeId).execute();
    await recordAudit(trx, ctx.clock, actor, {
      action: `${m.object}.merge_undone`,
      entityType: m.object,
      entityId: m.survivor_id,
      before: auditView(def, survivor),
      after: auditView(def, restored),
      meta: { mergeId, restored: m.loser_ids, kept },
    });
    return { ...mergeView({ ...m, undone_at: now, undone_by: actor.label }, now), kept };
  });
}

async function moveBack(trx: DbOrTx, object: MatchObject, survivor: string, moved: Moved, now: Date): Promise<void> {
  const list = <T>(k: string) => (moved[k] ?? []) as T[];
  const json = (k: string) => JSON.stringify(moved[k] ?? []);
  for (const e of list<{ key: string; value: string; from_id: string }>('externalIds'))
    await trx
      .updateTable('external_ids')
      .set({ record_id: e.from_id })
      .where('record_id', '=', survivor)
      .where('key', '=', e.key)
      .where('value', '=', e.value)
      .execute();
  if (object === 'account') {
    await sql`update contacts c set account_id = x.from_id from jsonb_to_recordset(${json('contacts')}::jsonb) as x(id uuid, from_id uuid)
      where c.id = x.id and c.account_id = ${survivor}`.execute(trx);
    await sql`update account_contacts m set account_id = x.from_id from jsonb_to_recordset(${json('links')}::jsonb) as x(contact_id uuid, from_id uuid)
      where m.contact_id = x.contact_id and m.account_id = ${survivor}`.execute(trx);
    await sql`insert into account_contacts select * from jsonb_populate_recordset(null::account_contacts, ${json('linksDropped')}::jsonb)
      on conflict do nothing`.execute(trx);
    return;
  }
  await sql`update profiles p set contact_id = x.from_id from jsonb_to_recordset(${json('profiles')}::jsonb) as x(id uuid, from_id uuid)
    where p.id = x.id and p.contact_id = ${survivor}`.execute(trx);
  await sql`update list_members m set contact_id = x.from_id from jsonb_to_recordset(${json('lists')}::jsonb) as x(list_id uuid, from_id uuid)
    where m.list_id = x.list_id and m.contact_id = ${survivor}`.execute(trx);
  const back = await sql<{ list_id: string }>`insert into list_members (list_id, contact_id, workspace_id, added_at, added_by)
    select x.list_id, x.contact_id, x.workspace_id, x.added_at, x.added_by
    from jsonb_to_recordset(${json('listsDropped')}::jsonb) as x(list_id uuid, contact_id uuid, workspace_id uuid, added_at timestamptz, added_by text)
    on conflict do nothing returning list_id`.execute(trx);
  if (back.rows.length)
    await sql`update lists l set member_count = l.member_count + d.n, updated_at = ${now}
      from (select list_id, count(*) as n from unnest(${back.rows.map((r) => r.list_id)}::uuid[]) as list_id group by 1) d
      where l.id = d.list_id`.execute(trx);
  await sql`update account_contacts m set contact_id = x.from_id from jsonb_to_recordset(${json('accounts')}::jsonb) as x(account_id uuid, from_id uuid)
    where m.account_id = x.account_id and m.contact_id = ${survivor}`.execute(trx);
  await sql`insert into account_contacts select * from jsonb_populate_recordset(null::account_contacts, ${json('accountsDropped')}::jsonb)
    on conflict do nothing`.execute(trx);
  for (const c of list<{ purpose: string; row: Record<string, unknown> | null }>('consentsBefore')) {
    if (!c.row) await trx.deleteFrom('consents').where('contact_id', '=', survivor).where('purpose', '=', c.purpose).execute();
    else
      await sql`update consents s set status = x.status, lawful_basis = x.lawful_basis, double_opt_in = x.double_opt_in, source = x.source,
          text_shown = x.text_shown, changed_at = x.changed_at
        from jsonb_populate_record(null::consents, ${JSON.stringify(c.row)}::jsonb) x
        where s.contact_id = ${survivor} and s.purpose = ${c.purpose}`.execute(trx);
  }
  await sql`update consent_events e set contact_id = x.from_id from jsonb_to_recordset(${json('consentEvents')}::jsonb) as x(id uuid, from_id uuid)
    where e.id = x.id and e.contact_id = ${survivor}`.execute(trx);
}

/** Merges an open pair on its own (auto-merge on): the record with a CRM id survives, else the older one. */
export async function autoMergePair(
  ctx: Ctx,
  actor: Actor,
  object: MatchObject,
  a: string,
  b: string,
  probability: number,
): Promise<MergeView | null> {
  const def = objectDefs[object];
  const rows = await lockRowsReadOnly(ctx.db, def, actor.workspaceId, [a, b]);
  const x = rows.get(a);
  const y = rows.get(b);
  if (!x || !y || x.deleted_at || y.deleted_at) return null;
  const ext = await externalIdsFor(ctx.db, [a, b]);
  const crmA = Boolean(ext.get(a)?.crm_id);
  const crmB = Boolean(ext.get(b)?.crm_id);
  const survivor = crmA !== crmB ? (crmA ? x : y) : time(x.created_at) <= time(y.created_at) ? x : y;
  const loser = survivor === x ? y : x;
  try {
    return await mergeRecords(ctx, actor, object, survivor.id, { from: [loser.id] }, { auto: true, probability });
  } catch (err) {
    // Someone merged or deleted one of them meanwhile: nothing to do.
    if (err instanceof AppError && (err.code === 'conflict' || err.code === 'not_found')) return null;
    throw err;
  }
}
