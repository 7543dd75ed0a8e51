import { sql } from 'kysely';
import { systemActor, type Actor } from '../../platform/actor.js';
import { recordAudit } from '../../platform/audit/audit.service.js';
import type { Clock } from '../../platform/clock.js';
import type { Db, DbOrTx } from '../../platform/db/database.js';
import { AppError, notFound } from '../../platform/errors.js';
import { encodeCursor, decodeCursor, type Page } from '../../platform/http/pagination.js';
import { newId } from '../../platform/ids.js';
import { compileSegment } from '../segments/segments.membership.js';
import type { SegmentNode } from '../segments/segments.schema.js';
import { leadStatus, waitingSql } from './lead-status.js';
import { smoothPick, localTime, withinWorkingHours } from './round-robin.js';
import {
  defaultFallbackQueue,
  defaultRejectReasons,
  regions,
  type Assignment,
  type ContactAssignment,
  type CreateRoutingRuleInput,
  type LogQuery,
  type QueueEntry,
  type Rep,
  type RepInput,
  type RoutingAction,
  type RoutingRule,
  type RoutingSettings,
  type Skipped,
  type UpdateRoutingRuleInput,
  type WorkingHours,
} from './routing.schema.js';
import { scoreModelFor } from './score-model.js';
import { slaDueFor } from './sla.service.js';
import { rdb, type LeadAssignmentsTable, type RoutingRulesTable } from './routing.tables.js';
import type { Selectable } from 'kysely';

export interface Ctx {
  db: Db;
  clock: Clock;
}

/** Serialises rep picks of one workspace: round-robin counters and open-lead counts stay exact. */
async function lockRouting(trx: DbOrTx, ws: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`routing:${ws}`}, 0))`.execute(trx);
}

// ---------- settings ----------

export async function routingSettings(db: DbOrTx, ws: string): Promise<RoutingSettings> {
  const row = await rdb(db).selectFrom('routing_settings').selectAll().where('workspace_id', '=', ws).executeTakeFirst();
  return { fallbackQueue: row?.fallback_queue ?? defaultFallbackQueue, rejectReasons: row?.reject_reasons ?? defaultRejectReasons };
}

export async function putRoutingSettings(ctx: Ctx, actor: Actor, input: RoutingSettings): Promise<RoutingSettings> {
  return ctx.db.transaction().execute(async (trx) => {
    const before = await routingSettings(trx, actor.workspaceId);
    const values = {
      fallback_queue: input.fallbackQueue,
      reject_reasons: JSON.stringify([...new Set(input.rejectReasons)]),
      updated_at: ctx.clock.now(),
    };
    await rdb(trx)
      .insertInto('routing_settings')
      .values({ workspace_id: actor.workspaceId, ...values })
      .onConflict((oc) => oc.column('workspace_id').doUpdateSet(values))
      .execute();
    const after = await routingSettings(trx, actor.workspaceId);
    await recordAudit(trx, ctx.clock, actor, {
      action: 'routing.settings_changed',
      entityType: 'routing_settings',
      entityId: actor.workspaceId,
      before,
      after,
    });
    return after;
  });
}

// ---------- reps ----------

interface RepRow {
  user_id: string;
  name: string;
  email: string;
  disabled_at: Date | null;
  weight: number;
  capacity: number | null;
  working_hours: WorkingHours | null;
  time_zone: string;
  available: boolean;
  open: number;
}

/**
 * The reps with their open leads: the ones still waiting for them (`waitingSql`), which is what a
 * capacity cap counts. An accepted lead, or one whose contact has moved on since (sal, sql,
 * recycled, disqualified), no longer needs the rep's decision and does not keep them full. For
 * routing (`forRouting`), open leads are counted only for reps with a cap and only up to the cap:
 * counting every open lead of every rep on every decision would make routing n leads cost n squared.
 */
async function repRows(db: DbOrTx, ws: string, forRouting = false): Promise<RepRow[]> {
  const waiting = sql`select 1 from lead_assignments a join contacts c on c.id = a.contact_id
    where a.workspace_id = p.workspace_id and a.owner_id = p.user_id and a.status = 'open' and ${waitingSql()}`;
  const open = forRouting
    ? sql`case when p.capacity is null then 0 else (select count(*) from (${waiting} limit p.capacity) x) end`
    : sql`(select count(*) from (${waiting}) x)`;
  const r = await sql<RepRow>`
    select p.user_id, u.name, u.email, u.disabled_at, p.weight, p.capacity, p.working_hours, p.time_zone, p.available, ${open}::int as open
    from routing_reps p join users u on u.id = p.user_id
    where p.workspace_id = ${ws} order by u.name, u.id`.execute(db);
  return r.rows;
}

const repView = (r: RepRow): Rep => ({
  userId: r.user_id,
  name: r.name,
  email: r.email,
  active: r.disabled_at === null,
  weight: r.weight,
  capacity: r.capacity,
  workingHours: r.working_hours,
  timeZone: r.time_zone,
  available: r.available,
  openLeads: Number(r.open),
});

export async function listReps(db: DbOrTx, ws: string): Promise<Rep[]> {
  return (await repRows(db, ws)).map(repView);
}

/** Replaces the workspace's reps: users listed are reps with these settings; others stop being reps (keeping their leads). */
export async function putReps(ctx: Ctx, actor: Actor, reps: RepInput[]): Promise<Rep[]> {
  const ws = actor.workspaceId;
  const ids = reps.map((r) => r.userId);
  if (new Set(ids).size !== ids.length)
    throw new AppError('validation_failed', 'A user is listed twice', [{ path: 'reps', message: 'duplicate userId' }]);
  return ctx.db.transaction().execute(async (trx) => {
    await lockRouting(trx, ws);
    if (ids.length) {
      const users = await trx.selectFrom('users').select('id').where('workspace_id', '=', ws).where('id', 'in', ids).execute();
      const known = new Set(users.map((u) => u.id));
      const missing = ids.findIndex((id) => !known.has(id));
      if (missing >= 0)
        throw new AppError('validation_failed', `No user ${ids[missing]} in this workspace`, [
          { path: `reps.${missing}.userId`, message: 'no such user' },
        ]);
    }
    const before = await listReps(trx, ws);
    const db = rdb(trx);
    const now = ctx.clock.now();
    let del = db.deleteFrom('routing_reps').where('workspace_id', '=', ws);
    if (ids.length) del = del.where('user_id', 'not in', ids);
    await del.execute();
    for (const r of reps) {
      const values = {
        weight: r.weight,
        capacity: r.capacity,
        working_hours: r.workingHours ? JSON.stringify(r.workingHours) : null,
        time_zone: r.timeZone,
        available: r.available,
        updated_at: now,
      };
      await db
        .insertInto('routing_reps')
        .values({ workspace_id: ws, user_id: r.userId, ...values })
        .onConflict((oc) => oc.columns(['workspace_id', 'user_id']).doUpdateSet(values))
        .execute();
    }
    const after = await listReps(trx, ws);
    const strip = (x: Rep[]) => x.map(({ openLeads: _o, name: _n, email: _e, active: _a, ...r }) => r);
    await recordAudit(trx, ctx.clock, actor, {
      action: 'routing.reps_changed',
      entityType: 'routing_reps',
      entityId: ws,
      before: { reps: strip(before) },
      after: { reps: strip(after) },
    });
    return after;
  });
}

// ---------- rules ----------

const ruleView = (r: Selectable<RoutingRulesTable>): RoutingRule => ({
  id: r.id,
  position: r.position,
  name: r.name,
  condition: r.condition,
  action: r.action,
  enabled: r.enabled,
  createdAt: new Date(r.created_at).toISOString(),
  updatedAt: new Date(r.updated_at).toISOString(),
});

export async function listRoutingRules(db: DbOrTx, ws: string): Promise<RoutingRule[]> {
  const rows = await rdb(db)
    .selectFrom('routing_rules')
    .selectAll()
    .where('workspace_id', '=', ws)
    .orderBy('position')
    .orderBy('id')
    .execute();
  return rows.map(ruleView);
}

export async function getRoutingRule(db: DbOrTx, ws: string, id: string): Promise<RoutingRule> {
  const row = await rdb(db).selectFrom('routing_rules').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('Routing rule');
  return ruleView(row);
}

/** Checks a rule before saving: its condition compiles, its reps are reps of this workspace, its segment exists. */
async function checkRule(
  db: DbOrTx,
  ws: string,
  now: Date,
  condition: SegmentNode | null | undefined,
  action: RoutingAction,
): Promise<void> {
  if (condition) {
    try {
      await compileSegment(db, ws, now, condition);
    } catch (err) {
      if (err instanceof AppError)
        throw new AppError('validation_failed', `condition: ${err.message}`, [{ path: 'condition', message: err.message }]);
      throw err;
    }
  }
  const reps = action.type === 'round_robin' ? action.reps : action.type === 'territory' ? action.territories.flatMap((t) => t.reps) : [];
  if (reps.length) {
    const known = new Set(
      (
        await rdb(db)
          .selectFrom('routing_reps')
          .select('user_id')
          .where('workspace_id', '=', ws)
          .where('user_id', 'in', [...new Set(reps)])
          .execute()
      ).map((r) => r.user_id),
    );
    const missing = reps.find((r) => !known.has(r));
    if (missing)
      throw new AppError('validation_failed', `User ${missing} is not a rep: add them under /api/v1/routing/reps first`, [
        { path: 'action', message: 'not a rep' },
      ]);
  }
  if (action.type === 'territory') {
    for (const t of action.territories) {
      if (!t.match.segmentId) continue;
      const s = await db
        .selectFrom('segments')
        .select('id')
        .where('workspace_id', '=', ws)
        .where('id', '=', t.match.segmentId)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      if (!s)
        throw new AppError('validation_failed', `Territory "${t.name}": no segment ${t.match.segmentId}`, [
          { path: 'action', message: 'no such segment' },
        ]);
    }
  }
}

/** Puts the rule `id` (none: only renumbers) at `position` and renumbers the others 0..n-1, keeping their order. */
async function reorder(trx: DbOrTx, ws: string, id: string | null, position: number | undefined): Promise<void> {
  const rows = await rdb(trx)
    .selectFrom('routing_rules')
    .select(['id'])
    .where('workspace_id', '=', ws)
    .orderBy('position')
    .orderBy('id')
    .execute();
  const others = rows.map((r) => r.id).filter((x) => x !== id);
  if (id) others.splice(Math.min(position ?? others.length, others.length), 0, id);
  for (const [i, rid] of others.entries()) await rdb(trx).updateTable('routing_rules').set({ position: i }).where('id', '=', rid).execute();
}

export async function createRoutingRule(ctx: Ctx, actor: Actor, input: CreateRoutingRuleInput): Promise<RoutingRule> {
  const ws = actor.workspaceId;
  return ctx.db.transaction().execute(async (trx) => {
    const now = ctx.clock.now();
    await checkRule(trx, ws, now, input.condition, input.action);
    const id = newId();
    await rdb(trx)
      .insertInto('routing_rules')
      .values({
        id,
        workspace_id: ws,
        position: 1_000_000,
        name: input.name,
        condition: input.condition ? JSON.stringify(input.condition) : null,
        action: JSON.stringify(input.action),
        enabled: input.enabled,
        created_at: now,
        updated_at: now,
      })
      .execute();
    await reorder(trx, ws, id, input.position);
    const rule = await getRoutingRule(trx, ws, id);
    await recordAudit(trx, ctx.clock, actor, { action: 'routing.rule_created', entityType: 'routing_rule', entityId: id, after: rule });
    return rule;
  });
}

export async function updateRoutingRule(ctx: Ctx, actor: Actor, id: string, input: UpdateRoutingRuleInput): Promise<RoutingRule> {
  const ws = actor.workspaceId;
  return ctx.db.transaction().execute(async (trx) => {
    const before = await getRoutingRule(trx, ws, id);
    const condition = input.condition === undefined ? (before.condition as SegmentNode | null) : input.condition;
    const action = input.action ?? (before.action as RoutingAction);
    await checkRule(trx, ws, ctx.clock.now(), condition, action);
    await rdb(trx)
      .updateTable('routing_rules')
      .set({
        ...(input.name !== undefined && { name: input.name }),
        ...(input.condition !== undefined && { condition: input.condition ? JSON.stringify(input.condition) : null }),
        ...(input.action !== undefined && { action: JSON.stringify(input.action) }),
        ...(input.enabled !== undefined && { enabled: input.enabled }),
        updated_at: ctx.clock.now(),
      })
      .where('id', '=', id)
      .execute();
    if (input.position !== undefined) await reorder(trx, ws, id, input.position);
    const after = await getRoutingRule(trx, ws, id);
    await recordAudit(trx, ctx.clock, actor, { action: 'routing.rule_updated', entityType: 'routing_rule', entityId: id, before, after });
    return after;
  });
}

/** Deletes a rule; assignments and log entries keep its id (the log shows it as a deleted rule). */
export async function deleteRoutingRule(ctx: Ctx, actor: Actor, id: string): Promise<void> {
  const ws = actor.workspaceId;
  await ctx.db.transaction().execute(async (trx) => {
    const before = await getRoutingRule(trx, ws, id);
    await rdb(trx).deleteFrom('routing_rules').where('id', '=', id).execute();
    await reorder(trx, ws, null, undefined);
    await recordAudit(trx, ctx.clock, actor, { action: 'routing.rule_deleted', entityType: 'routing_rule', entityId: id, before });
  });
}

// ---------- routing ----------

const assignmentView = (a: Selectable<LeadAssignmentsTable>): Assignment => ({
  id: a.id,
  contactId: a.contact_id,
  ownerId: a.owner_id,
  queue: a.queue,
  ruleId: a.rule_id,
  status: a.status,
  assignedAt: new Date(a.assigned_at).toISOString(),
  acceptedAt: a.accepted_at ? new Date(a.accepted_at).toISOString() : null,
  rejectedAt: a.rejected_at ? new Date(a.rejected_at).toISOString() : null,
  rejectReason: a.reject_reason,
});

async function liveAssignment(db: DbOrTx, contactId: string): Promise<Selectable<LeadAssignmentsTable> | undefined> {
  return rdb(db)
    .selectFrom('lead_assignments')
    .selectAll()
    .where('contact_id', '=', contactId)
    .where('status', 'in', ['open', 'accepted'])
    .executeTakeFirst();
}

export interface RouteOptions {
  /** Route even when the lead has a live assignment (which is released first). */
  reassign?: boolean;
  /** Reps not to pick (the rep who is leaving, or who just rejected the lead). */
  exclude?: readonly string[];
  /** Says why routing ran, for the log ("stage: mql", "on demand", "rep disabled"). */
  cause: string;
  actor: Actor;
}

export interface RouteResult {
  assignment: Assignment;
  alreadyAssigned: boolean;
  reason: string;
  skipped: Skipped[];
}

interface ContactFacts {
  id: string;
  lifecycle_stage: string | null;
  country: string | null;
  account_id: string | null;
  account_owner: string | null;
  account_size: string | null;
  account_country: string | null;
}

/**
 * Routes one lead inside the caller's transaction. Exactly once: the contact's row is locked first,
 * so a second router of the same lead waits and then finds the live assignment (and the unique
 * index on live assignments backs this up); rep picks run under the workspace's routing lock, so
 * round-robin counters and capacity counts are never read stale. Every decision is logged with the
 * rule that fired and why each earlier rule, or rep, was passed over.
 */
export async function routeInTx(trx: DbOrTx, now: Date, ws: string, contactId: string, opts: RouteOptions): Promise<RouteResult> {
  const contact = await sql<ContactFacts>`
    select c.id, c.lifecycle_stage, c.country, c.account_id, a.owner_id as account_owner, a.size as account_size, a.country as account_country
    from contacts c left join accounts a on a.id = c.account_id and a.deleted_at is null
    where c.workspace_id = ${ws} and c.id = ${contactId} and c.deleted_at is null
    for update of c`.execute(trx);
  const c = contact.rows[0];
  if (!c) throw notFound('Contact');
  const db = rdb(trx);
  const past = await db.selectFrom('lead_assignments').selectAll().where('contact_id', '=', contactId).execute();
  const live = past.find((a) => a.status === 'open' || a.status === 'accepted');
  if (live && !opts.reassign) return { assignment: assignmentView(live), alreadyAssigned: true, reason: 'already assigned', skipped: [] };
  await lockRouting(trx, ws);
  const rules = (await listRoutingRules(trx, ws)).filter((r) => r.enabled);
  const reps = new Map((await repRows(trx, ws, true)).map((r) => [r.user_id, r]));
  const rejectedBy = past.filter((a) => a.status === 'rejected' && a.owner_id).map((a) => a.owner_id ?? '');
  const exclude = new Set([...(opts.exclude ?? []), ...rejectedBy]);
  if (live?.owner_id && opts.reassign) exclude.add(live.owner_id);
  const skipped: Skipped[] = [];

  /** Why a rep cannot take this lead now, or null when they can. */
  const whyNot = (id: string, capacityApplies = true): string | null => {
    const r = reps.get(id);
    if (!r) return 'not a rep';
    if (r.disabled_at) return 'user disabled';
    if (!r.available) return 'unavailable';
    if (exclude.has(id)) return opts.exclude?.includes(id) ? 'leaving this lead' : 'rejected this lead before';
    if (capacityApplies && r.capacity !== null && Number(r.open) >= r.capacity) return `at capacity (${r.open}/${r.capacity} open leads)`;
    if (!withinWorkingHours(r.working_hours, r.time_zone, now)) {
      const l = localTime(now, r.time_zone);
      return `outside working hours (${l.day} ${l.time} ${r.time_zone})`;
    }
    return null;
  };

  const pick = async (rule: RoutingRule, pool: string, candidates: readonly string[]): Promise<string | null> => {
    const eligible: Array<{ id: string; weight: number }> = [];
    for (const id of candidates) {
      const why = whyNot(id) ?? ((reps.get(id)?.weight ?? 0) === 0 ? 'weight 0' : null);
      if (why) skipped.push({ ruleId: rule.id, rule: rule.name, repId: id, reason: why });
      else eligible.push({ id, weight: reps.get(id)?.weight ?? 0 });
    }
    if (eligible.length === 0) return null;
    const state = await db
      .selectFrom('routing_rr_state')
      .select(['user_id', 'current'])
      .where('workspace_id', '=', ws)
      .where('pool', '=', pool)
      .execute();
    const chosen = smoothPick(eligible, new Map(state.map((s) => [s.user_id, Number(s.current)])));
    if (!chosen) return null;
    const users = eligible.map((e) => e.id);
    const values = users.map((u) => chosen.counters.get(u) ?? 0);
    await sql`insert into routing_rr_state (workspace_id, pool, user_id, current)
      select ${ws}::uuid, ${pool}, u, v from unnest(${users}::uuid[], ${values}::bigint[]) as x(u, v)
      on conflict (workspace_id, pool, user_id) do update set current = excluded.current`.execute(trx);
    return chosen.id;
  };

  const matches = async (node: SegmentNode): Promise<boolean> => {
    const cond = (await compileSegment(trx, ws, now, node)).cond;
    const r = await sql<{ ok: boolean }>`select exists (select 1 from contacts r where r.id = ${contactId} and ${cond}) as ok`.execute(trx);
    return Boolean(r.rows[0]?.ok);
  };

  let decision: { rule: RoutingRule | null; owner: string | null; queue: string | null; reason: string } | null = null;
  for (const rule of rules) {
    const skip = (reason: string) => skipped.push({ ruleId: rule.id, rule: rule.name, reason });
    if (rule.condition) {
      let ok: boolean;
      try {
        ok = await matches(rule.condition as SegmentNode);
      } catch (err) {
        skip(`condition no longer valid: ${err instanceof Error ? err.message : 'error'}`);
        continue;
      }
      if (!ok) {
        skip('condition not met');
        continue;
      }
    }
    const action = rule.action as RoutingAction;
    if (action.type === 'queue') {
      decision = { rule, owner: null, queue: action.queue, reason: `rule "${rule.name}": queue ${action.queue}` };
      break;
    }
    if (action.type === 'account_owner') {
      if (!c.account_id) skip('no account');
      else if (!c.account_owner) skip('the account has no owner');
      else {
        // An account's owner takes its leads whatever their cap (ownership outranks load
        // balancing), and need not be a rep: any active user of the workspace.
        const owner = c.account_owner;
        let why = reps.has(owner) ? whyNot(owner, false) : null;
        if (!reps.has(owner)) {
          const u = await trx.selectFrom('users').select('disabled_at').where('id', '=', owner).executeTakeFirst();
          if (!u || u.disabled_at) why = 'user disabled';
          else if (exclude.has(owner)) why = 'rejected or leaving this lead';
        }
        if (why === null) {
          decision = { rule, owner, queue: null, reason: `rule "${rule.name}": owner of the contact's account` };
          break;
        }
        skipped.push({ ruleId: rule.id, rule: rule.name, repId: owner, reason: `account owner: ${why}` });
      }
      continue;
    }
    if (action.type === 'round_robin') {
      const owner = await pick(rule, `rule:${rule.id}`, action.reps);
      if (owner) {
        decision = { rule, owner, queue: null, reason: `rule "${rule.name}": weighted round robin` };
        break;
      }
      skip('no rep available');
      continue;
    }
    // territory: the first territory the lead is in.
    let matched = false;
    for (const [i, t] of action.territories.entries()) {
      const country = (c.country ?? c.account_country ?? '').toUpperCase();
      const m = t.match;
      const inCountry = m.countries ? m.countries.includes(country) : true;
      const inRegion = m.regions ? m.regions.some((r) => regions[r]?.includes(country)) : true;
      const inSize = m.accountSizes ? c.account_size !== null && m.accountSizes.includes(c.account_size) : true;
      if (!(inCountry && inRegion && inSize)) continue;
      if (m.segmentId) {
        let ok = false;
        try {
          ok = await matches({ segment: m.segmentId });
        } catch {
          ok = false;
        }
        if (!ok) continue;
      }
      matched = true;
      const owner = await pick(rule, `rule:${rule.id}:${i}`, t.reps);
      if (owner) decision = { rule, owner, queue: null, reason: `rule "${rule.name}": territory ${t.name}` };
      else skip(`territory ${t.name}: no rep available`);
      break;
    }
    if (decision) break;
    if (!matched) skip('no territory matches the lead');
  }
  if (!decision) {
    const settings = await routingSettings(trx, ws);
    decision = {
      rule: null,
      owner: null,
      queue: settings.fallbackQueue,
      reason: rules.length
        ? `fallback queue ${settings.fallbackQueue}: no rule assigned the lead`
        : `fallback queue ${settings.fallbackQueue}: no routing rules`,
    };
  }

  if (live) await release(trx, now, ws, live, `reassigned (${opts.cause})`);
  const row = await db
    .insertInto('lead_assignments')
    .values({
      id: newId(),
      workspace_id: ws,
      contact_id: contactId,
      owner_id: decision.owner,
      queue: decision.owner ? null : decision.queue,
      rule_id: decision.rule?.id ?? null,
      status: 'open',
      assigned_at: now,
      stage: c.lifecycle_stage,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  if (decision.owner) {
    await trx
      .updateTable('contacts')
      .set((eb) => ({ owner_id: decision.owner, updated_at: now, version: eb('version', '+', 1) }))
      .where('id', '=', contactId)
      .execute();
  }
  const reason = `${decision.reason} (${opts.cause})`;
  await db
    .insertInto('routing_log')
    .values({
      id: newId(),
      workspace_id: ws,
      contact_id: contactId,
      rule_id: decision.rule?.id ?? null,
      assigned_to: decision.owner,
      queue: row.queue,
      reason,
      skipped: JSON.stringify(skipped),
      at: now,
      kind: decision.owner ? 'routed' : 'queued',
    })
    .execute();
  await recordAudit(trx, { now: () => now }, opts.actor, {
    action: 'lead.routed',
    entityType: 'contact',
    entityId: contactId,
    after: { ownerId: decision.owner, queue: row.queue, ruleId: decision.rule?.id ?? null },
    meta: { reason },
  });
  return { assignment: assignmentView(row), alreadyAssigned: false, reason, skipped };
}

/** Ends a live assignment (the rep left, or the lead is routed again), logged; the contact loses that owner. */
async function release(trx: DbOrTx, now: Date, ws: string, a: Selectable<LeadAssignmentsTable>, why: string): Promise<void> {
  await rdb(trx).updateTable('lead_assignments').set({ status: 'released', released_at: now }).where('id', '=', a.id).execute();
  if (a.owner_id) {
    await trx
      .updateTable('contacts')
      .set((eb) => ({ owner_id: null, updated_at: now, version: eb('version', '+', 1) }))
      .where('id', '=', a.contact_id)
      .where('owner_id', '=', a.owner_id)
      .execute();
  }
  await rdb(trx)
    .insertInto('routing_log')
    .values({
      id: newId(),
      workspace_id: ws,
      contact_id: a.contact_id,
      rule_id: null,
      assigned_to: null,
      queue: null,
      reason: `released from ${a.owner_id ?? a.queue ?? ''}: ${why}`,
      skipped: '[]',
      at: now,
      kind: 'released',
    })
    .execute();
}

/** What a merge did with one loser's live assignment (kept in the merge record for its undo). */
export interface MergedAssignment {
  id: string;
  fromId: string;
  /** True: the survivor took the assignment over; false: it was released. */
  takenOver: boolean;
}

/**
 * Duplicate contacts merged (dedupe's `mergeRecords`, in its transaction, after it locked the
 * contacts: contacts first, then assignments, as everywhere). A loser is hidden, so its live
 * assignment must leave the rep's queue and the SLA job. If the survivor has no live assignment
 * it takes the loser's over: the same row moves to it (same rep or queue, rule, stage, assignment
 * time and so due time, accept state, and its reminders and escalations, so none is sent twice),
 * and the rep becomes the survivor's owner; the survivor is not routed again. Otherwise (the
 * survivor keeps its own) the loser's is released. Both sides are logged. With several losers the
 * earliest assigned one is taken over.
 */
export async function mergeLeadAssignments(
  trx: DbOrTx,
  now: Date,
  ws: string,
  survivorId: string,
  loserIds: readonly string[],
): Promise<MergedAssignment[]> {
  if (loserIds.length === 0) return [];
  const live = await rdb(trx)
    .selectFrom('lead_assignments')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('contact_id', 'in', [survivorId, ...loserIds])
    .where('status', 'in', ['open', 'accepted'])
    .orderBy('assigned_at')
    .orderBy('id')
    .forUpdate()
    .execute();
  let survivorHas = live.some((a) => a.contact_id === survivorId);
  const done: MergedAssignment[] = [];
  for (const a of live) {
    if (a.contact_id === survivorId) continue;
    if (survivorHas) {
      await release(trx, now, ws, a, `merged into ${survivorId}, which keeps its own assignment`);
      done.push({ id: a.id, fromId: a.contact_id, takenOver: false });
      continue;
    }
    survivorHas = true;
    await rdb(trx).updateTable('lead_assignments').set({ contact_id: survivorId }).where('id', '=', a.id).execute();
    await rdb(trx).updateTable('routing_sla_events').set({ contact_id: survivorId }).where('assignment_id', '=', a.id).execute();
    if (a.owner_id) {
      const owner = a.owner_id;
      await trx
        .updateTable('contacts')
        .set((eb) => ({ owner_id: owner, updated_at: now, version: eb('version', '+', 1) }))
        .where('id', '=', survivorId)
        .execute();
      await trx
        .updateTable('contacts')
        .set((eb) => ({ owner_id: null, updated_at: now, version: eb('version', '+', 1) }))
        .where('id', '=', a.contact_id)
        .where('owner_id', '=', owner)
        .execute();
    }
    const who = a.owner_id ?? a.queue ?? '';
    const log = (contactId: string, kind: 'released' | 'routed' | 'queued', reason: string, assigned: boolean) => ({
      id: newId(),
      workspace_id: ws,
      contact_id: contactId,
      rule_id: assigned ? a.rule_id : null,
      assigned_to: assigned ? a.owner_id : null,
      queue: assigned ? a.queue : null,
      reason,
      skipped: '[]',
      at: now,
      kind,
    });
    await rdb(trx)
      .insertInto('routing_log')
      .values([
        log(a.contact_id, 'released', `released from ${who}: merged into ${survivorId}, which took the assignment over`, false),
        log(
          survivorId,
          a.owner_id ? 'routed' : 'queued',
          `taken over from merged duplicate ${a.contact_id}: ${who}, assigned ${new Date(a.assigned_at).toISOString()} (${a.status})`,
          true,
        ),
      ])
      .execute();
    done.push({ id: a.id, fromId: a.contact_id, takenOver: true });
  }
  return done;
}

/**
 * A merge undone: a restored contact's assignment is not brought back on its own (the survivor
 * kept the one it took over and may have been worked since; a released one stays released). Each
 * restored contact's log says so; routing it again is a person's decision.
 */
export async function mergeUndoneAssignments(
  trx: DbOrTx,
  now: Date,
  ws: string,
  survivorId: string,
  merged: readonly MergedAssignment[],
): Promise<void> {
  if (merged.length === 0) return;
  await rdb(trx)
    .insertInto('routing_log')
    .values(
      merged.map((m) => ({
        id: newId(),
        workspace_id: ws,
        contact_id: m.fromId,
        rule_id: null,
        assigned_to: null,
        queue: null,
        reason: m.takenOver
          ? `released: merge undone; the assignment stays with ${survivorId}, which took it over; route this contact again if it needs a rep`
          : 'released: merge undone; the assignment released at the merge stays released; route this contact again if it needs a rep',
        skipped: '[]',
        at: now,
        kind: 'released' as const,
      })),
    )
    .execute();
}

/** Routes a lead on demand (`POST /api/v1/routing/route`). */
export async function routeContact(
  ctx: Ctx,
  actor: Actor,
  contactId: string,
  opts: { reassign?: boolean; cause?: string } = {},
): Promise<RouteResult> {
  return ctx.db
    .transaction()
    .execute((trx) =>
      routeInTx(trx, ctx.clock.now(), actor.workspaceId, contactId, { reassign: opts.reassign, cause: opts.cause ?? 'on demand', actor }),
    );
}

/**
 * One entry of the routing queue, in one transaction with its routing: taken with skip locked, so
 * several workers share the queue, and deleted only if the routing commits, so no lead is lost.
 * A disabled rep's lead is released, then routed to someone else (or the fallback queue).
 */
export async function processRoutingEntry(db: Db, clock: Clock): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const taken = await sql<{ workspace_id: string; contact_id: string; cause: string; rep_id: string | null }>`
      delete from routing_queue where id = (
        select id from routing_queue order by id limit 1 for update skip locked
      ) returning workspace_id, contact_id, cause, rep_id`.execute(trx);
    const e = taken.rows[0];
    if (!e) return false;
    const now = clock.now();
    const actor = systemActor(e.workspace_id, 'routing');
    const gone = await trx
      .selectFrom('contacts')
      .select('id')
      .where('id', '=', e.contact_id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    if (!gone) return true;
    if (e.cause === 'rep_unavailable' && e.rep_id) {
      await trx.selectFrom('contacts').select('id').where('id', '=', e.contact_id).forUpdate().execute();
      const live = await liveAssignment(trx, e.contact_id);
      if (!live || live.owner_id !== e.rep_id) return true;
      await release(trx, now, e.workspace_id, live, 'rep disabled');
      await routeInTx(trx, now, e.workspace_id, e.contact_id, { cause: 'rep disabled', exclude: [e.rep_id], actor });
      return true;
    }
    await routeInTx(trx, now, e.workspace_id, e.contact_id, { cause: e.cause.replace(':', ': '), actor });
    return true;
  });
}

/** Drains the routing queue (up to `max` leads); true when entries are left. */
export async function drainRoutingQueue(db: Db, clock: Clock, opts: { max?: number; stop?: AbortSignal } = {}): Promise<boolean> {
  for (let i = 0; i < (opts.max ?? 500); i++) {
    if (opts.stop?.aborted) return true;
    if (!(await processRoutingEntry(db, clock))) return false;
  }
  return true;
}

// ---------- a rep's decisions ----------

async function openAssignmentFor(trx: DbOrTx, ws: string, contactId: string): Promise<Selectable<LeadAssignmentsTable>> {
  const c = await trx
    .selectFrom('contacts')
    .select('id')
    .where('workspace_id', '=', ws)
    .where('id', '=', contactId)
    .forUpdate()
    .executeTakeFirst();
  if (!c) throw notFound('Contact');
  const live = await liveAssignment(trx, contactId);
  if (!live?.owner_id) throw new AppError('not_found', 'This lead has no rep assigned to decide on it');
  return live;
}

/**
 * A rep accepts or rejects a lead. Only the lead's rep may, unless `anyRep` (a manager's
 * permission). A rejected lead goes back to routing at once, never to the rep who rejected it.
 */
export async function decideLead(
  ctx: Ctx,
  actor: Actor,
  contactId: string,
  decision: { accept: true } | { accept: false; reason: string },
  anyRep: boolean,
): Promise<RouteResult | { assignment: Assignment }> {
  const ws = actor.workspaceId;
  return ctx.db.transaction().execute(async (trx) => {
    const a = await openAssignmentFor(trx, ws, contactId);
    if (!anyRep && a.owner_id !== actor.id) throw new AppError('forbidden', 'Only the rep the lead is assigned to can accept or reject it');
    if (a.status !== 'open') throw new AppError('conflict', `The lead was already ${a.status}`);
    const now = ctx.clock.now();
    if (decision.accept) {
      const row = await rdb(trx)
        .updateTable('lead_assignments')
        .set({ status: 'accepted', accepted_at: now })
        .where('id', '=', a.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      await rdb(trx)
        .insertInto('routing_log')
        .values({
          id: newId(),
          workspace_id: ws,
          contact_id: contactId,
          rule_id: a.rule_id,
          assigned_to: a.owner_id,
          queue: null,
          reason: `accepted by ${actor.label}`,
          skipped: '[]',
          at: now,
          kind: 'accepted',
        })
        .execute();
      await recordAudit(trx, ctx.clock, actor, {
        action: 'lead.accepted',
        entityType: 'contact',
        entityId: contactId,
        after: { ownerId: a.owner_id },
      });
      return { assignment: assignmentView(row) };
    }
    const settings = await routingSettings(trx, ws);
    if (!settings.rejectReasons.includes(decision.reason)) {
      throw new AppError(
        'validation_failed',
        `"${decision.reason}" is not a reject reason; use one of: ${settings.rejectReasons.join(', ')}`,
        [{ path: 'reason', message: 'not in the list' }],
      );
    }
    await rdb(trx)
      .updateTable('lead_assignments')
      .set({ status: 'rejected', rejected_at: now, reject_reason: decision.reason })
      .where('id', '=', a.id)
      .execute();
    await trx
      .updateTable('contacts')
      .set((eb) => ({ owner_id: null, updated_at: now, version: eb('version', '+', 1) }))
      .where('id', '=', contactId)
      .where('owner_id', '=', a.owner_id)
      .execute();
    await rdb(trx)
      .insertInto('routing_log')
      .values({
        id: newId(),
        workspace_id: ws,
        contact_id: contactId,
        rule_id: a.rule_id,
        assigned_to: null,
        queue: null,
        reason: `rejected by ${actor.label}: ${decision.reason}`,
        skipped: '[]',
        at: now,
        kind: 'rejected',
      })
      .execute();
    await recordAudit(trx, ctx.clock, actor, {
      action: 'lead.rejected',
      entityType: 'contact',
      entityId: contactId,
      before: { ownerId: a.owner_id },
      meta: { reason: decision.reason },
    });
    return routeInTx(trx, now, ws, contactId, { cause: 'rejected', actor });
  });
}

// ---------- reading ----------

/**
 * Routing log entries, newest first, for one contact or the whole workspace, filtered by kind, rep
 * (`assignedTo`) and time (`[from, to)`), with the contact's and the rep's names for the log screen.
 */
export async function routingLog(db: DbOrTx, ws: string, q: Omit<LogQuery, 'limit'> & { limit: number }) {
  const before = decodeCursor(q.cursor);
  let query = rdb(db)
    .selectFrom('routing_log as l')
    .leftJoin('routing_rules as r', 'r.id', 'l.rule_id')
    .leftJoin('contacts as c', 'c.id', 'l.contact_id')
    .leftJoin('users as u', 'u.id', 'l.assigned_to')
    .select(['l.id', 'l.contact_id', 'l.kind', 'l.rule_id', 'r.name as rule', 'l.assigned_to', 'l.queue', 'l.reason', 'l.skipped', 'l.at'])
    .select(['c.first_name', 'c.last_name', 'c.email', 'u.name as assigned_to_name'])
    .where('l.workspace_id', '=', ws);
  if (q.contactId) query = query.where('l.contact_id', '=', q.contactId);
  if (q.kind) query = query.where('l.kind', '=', q.kind);
  if (q.assignedTo) query = query.where('l.assigned_to', '=', q.assignedTo);
  if (q.from) query = query.where('l.at', '>=', new Date(q.from));
  if (q.to) query = query.where('l.at', '<', new Date(q.to));
  if (before) query = query.where('l.id', '<', before);
  const rows = await query
    .orderBy('l.id', 'desc')
    .limit(q.limit + 1)
    .execute();
  const data = rows.slice(0, q.limit).map((r) => ({
    id: r.id,
    contactId: r.contact_id,
    kind: r.kind,
    ruleId: r.rule_id,
    rule: r.rule ?? (r.rule_id ? '(deleted rule)' : null),
    contactName: [r.first_name, r.last_name].filter(Boolean).join(' ') || null,
    contactEmail: r.email,
    assignedTo: r.assigned_to,
    assignedToName: r.assigned_to_name,
    queue: r.queue,
    reason: r.reason,
    skipped: r.skipped as Skipped[],
    at: new Date(r.at).toISOString(),
  }));
  const last = data[data.length - 1];
  return { data, nextCursor: rows.length > q.limit && last ? encodeCursor(last.id) : null } satisfies Page<{ id: string }>;
}

/**
 * A contact's live assignment (open or accepted; at most one, by the unique partial index), with the
 * rep's name, the rule, the stage it was assigned in and its SLA as `slaDueFor` computes it now;
 * null when nobody has the lead. An unknown contact, or another workspace's, is not found. A
 * soft-deleted contact keeps answering, as its stage history does (its lead has no SLA running).
 */
export async function contactAssignment(
  db: DbOrTx,
  clock: Clock,
  ws: string,
  contactId: string,
): Promise<{ assignment: ContactAssignment | null }> {
  const c = await db
    .selectFrom('contacts')
    .select(['id', 'lifecycle_stage'])
    .where('workspace_id', '=', ws)
    .where('id', '=', contactId)
    .executeTakeFirst();
  if (!c) throw notFound('Contact');
  const a = await rdb(db)
    .selectFrom('lead_assignments as a')
    .leftJoin('users as u', 'u.id', 'a.owner_id')
    .leftJoin('routing_rules as r', 'r.id', 'a.rule_id')
    .selectAll('a')
    .select(['u.name as owner_name', 'r.name as rule_name'])
    .where('a.workspace_id', '=', ws)
    .where('a.contact_id', '=', contactId)
    .where('a.status', 'in', ['open', 'accepted'])
    .executeTakeFirst();
  if (!a) return { assignment: null };
  const view = assignmentView(a);
  const sla = a.status === 'open' && a.owner_id ? ((await slaDueFor(db, clock, ws, [a.id])).get(a.id) ?? null) : null;
  return {
    assignment: {
      id: view.id,
      contactId: view.contactId,
      ownerId: view.ownerId,
      ownerName: a.owner_id ? (a.owner_name ?? null) : null,
      queue: view.queue,
      ruleId: view.ruleId,
      rule: a.rule_name ?? (a.rule_id ? '(deleted rule)' : null),
      status: a.status === 'accepted' ? 'accepted' : 'open',
      stage: a.stage ?? c.lifecycle_stage,
      assignedAt: view.assignedAt,
      acceptedAt: view.acceptedAt,
      sla,
    },
  };
}

/** A rep's live leads (open first, then accepted), for the sales queue, with score and SLA. */
export async function repQueue(
  db: DbOrTx,
  clock: Clock,
  ws: string,
  ownerId: string,
  opts: { modelId?: string } = {},
): Promise<{ data: QueueEntry[] }> {
  // Checked first: a model that is not a published one is the caller's mistake, whatever the queue holds.
  const modelId = await scoreModelFor(db, ws, opts.modelId);
  const rows = await rdb(db)
    .selectFrom('lead_assignments as a')
    .innerJoin('contacts as c', 'c.id', 'a.contact_id')
    .selectAll('a')
    .select(['c.email', 'c.first_name', 'c.last_name', 'c.company', 'c.lifecycle_stage'])
    .where('a.workspace_id', '=', ws)
    .where('a.owner_id', '=', ownerId)
    .where('a.status', 'in', ['open', 'accepted'])
    .where('c.deleted_at', 'is', null)
    // Waiting first, then accepted and moved-on leads (`lead-status.ts`).
    .orderBy(waitingSql(), 'desc')
    .orderBy('a.assigned_at', 'desc')
    .limit(500)
    .execute();
  const ids = rows.map((r) => r.contact_id);
  // One model for the whole queue (not each contact's oldest scored model), so scores compare.
  const scores =
    ids.length && modelId
      ? (
          await sql<{ contact_id: string; model: string; score: number; band: string }>`
            select s.contact_id, m.name as model, s.score, s.band
            from contact_scores s join scoring_models m on m.id = s.model_id
            where s.workspace_id = ${ws} and s.model_id = ${modelId} and s.contact_id = any(${ids}::uuid[])`.execute(db)
        ).rows
      : [];
  const scoreOf = new Map(scores.map((s) => [s.contact_id, { model: s.model, score: Number(s.score), band: s.band }]));
  const due = await slaDueFor(
    db,
    clock,
    ws,
    rows.map((r) => r.id),
  );
  return {
    data: rows.map((r) => ({
      assignment: assignmentView(r),
      status: leadStatus(r),
      contact: {
        id: r.contact_id,
        email: r.email,
        name: [r.first_name, r.last_name].filter(Boolean).join(' '),
        company: r.company,
        lifecycleStage: r.lifecycle_stage,
      },
      score: scoreOf.get(r.contact_id) ?? null,
      sla: due.get(r.id) ?? null,
    })),
  };
}
