import { sql, type RawBuilder } from 'kysely';
import type { Actor } from '../../platform/actor.js';
import { recordAudit } from '../../platform/audit/audit.service.js';
import type { Clock } from '../../platform/clock.js';
import type { Db, DbOrTx } from '../../platform/db/database.js';
import { AppError, notFound } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import { compileSegment } from '../segments/segments.membership.js';
import type { SegmentNode } from '../segments/segments.schema.js';
import {
  defaultAllowed,
  defaultLabels,
  funnelStages,
  stageKeys,
  type LifecycleRule,
  type LifecycleRuleInput,
  type PutStagesInput,
  type RuleTrigger,
  type StageKey,
  type StagesSettings,
} from './lifecycle.schema.js';
import { rdb } from './routing.tables.js';

export interface Ctx {
  db: Db;
  clock: Clock;
}

/** A workspace's stages, labels, allowed moves and routing stages (the defaults until changed). */
export async function stagesSettings(db: DbOrTx, ws: string): Promise<StagesSettings> {
  const row = await rdb(db).selectFrom('lifecycle_settings').selectAll().where('workspace_id', '=', ws).executeTakeFirst();
  const labels = new Map(row?.stages.map((s) => [s.key, s.label]) ?? []);
  return {
    stages: stageKeys.map((key, order) => ({ key, label: labels.get(key) ?? defaultLabels[key], order })),
    allowed: (row?.allowed ?? defaultAllowed) as StagesSettings['allowed'],
    routeOn: (row?.route_on ?? ['mql']) as StagesSettings['routeOn'],
  };
}

const funnelIndex = (s: string | null): number => (funnelStages as readonly string[]).indexOf(s ?? '');

/**
 * May a contact move from `from` to `to`? Forward along the funnel always; backward, and into or
 * out of recycle / disqualified, only when an allowed transition says so. A contact without a
 * stage (or with a value Keel does not know, e.g. from an old import) may take any stage.
 */
export function moveAllowed(settings: Pick<StagesSettings, 'allowed'>, from: string | null, to: string): boolean {
  if (from === to) return false;
  if (from === null || !(stageKeys as readonly string[]).includes(from)) return true;
  const a = funnelIndex(from);
  const b = funnelIndex(to);
  if (a >= 0 && b >= 0 && b > a) return true;
  return settings.allowed.some((t) => (t.from === '*' || t.from === from) && t.to === to);
}

interface RuleShape {
  id?: string;
  name: string;
  toStage: string;
  fromStages?: readonly string[] | null;
  enabled: boolean;
}

/**
 * Rules whose moves can chain back to a stage they left would move a contact round in circles,
 * one pass after another. The moves rules can make form a graph over stages; a cycle is refused,
 * naming its rules.
 */
export function findRuleCycle(settings: Pick<StagesSettings, 'allowed'>, rules: readonly RuleShape[]): string[] | null {
  const edges = new Map<string, Array<{ to: string; rule: string }>>();
  for (const r of rules.filter((x) => x.enabled)) {
    for (const from of r.fromStages ?? ['none', ...stageKeys]) {
      if (!moveAllowed(settings, from === 'none' ? null : from, r.toStage)) continue;
      edges.set(from, [...(edges.get(from) ?? []), { to: r.toStage, rule: r.name }]);
    }
  }
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (n: string): string[] | null => {
    state.set(n, 'open');
    for (const e of edges.get(n) ?? []) {
      path.push(e.rule);
      if (state.get(e.to) === 'open') return [...path];
      if (!state.has(e.to)) {
        const c = visit(e.to);
        if (c) return c;
      }
      path.pop();
    }
    state.set(n, 'done');
    return null;
  };
  for (const n of edges.keys()) {
    if (!state.has(n)) {
      const c = visit(n);
      if (c) return c;
    }
  }
  return null;
}

function cycleError(cycle: string[]): AppError {
  const message = `These stage rules move contacts round in a loop: ${[...new Set(cycle)].join(' -> ')}. Narrow a rule's fromStages or drop an allowed backward move.`;
  return new AppError('conflict', message, [{ path: 'rules', message }]);
}

export async function putStages(ctx: Ctx, actor: Actor, input: PutStagesInput): Promise<StagesSettings> {
  const keys = input.stages?.map((s) => s.key) ?? [];
  if (new Set(keys).size !== keys.length)
    throw new AppError('validation_failed', 'A stage key is listed twice', [{ path: 'stages', message: 'duplicate key' }]);
  for (const t of input.allowed ?? []) {
    if (t.from === t.to)
      throw new AppError('validation_failed', `${t.from} -> ${t.to} goes nowhere`, [{ path: 'allowed', message: 'same stage' }]);
  }
  return ctx.db.transaction().execute(async (trx) => {
    await lockLifecycle(trx, actor.workspaceId);
    const before = await stagesSettings(trx, actor.workspaceId);
    const labels = new Map(before.stages.map((s) => [s.key, s.label]));
    for (const s of input.stages ?? []) labels.set(s.key, s.label);
    const next: StagesSettings = {
      stages: stageKeys.map((key, order) => ({ key, label: labels.get(key) ?? defaultLabels[key], order })),
      allowed: input.allowed ?? before.allowed,
      routeOn: input.routeOn ?? before.routeOn,
    };
    const rules = await listLifecycleRules(trx, actor.workspaceId);
    const cycle = findRuleCycle(next, rules);
    if (cycle) throw cycleError(cycle);
    const values = {
      stages: JSON.stringify(next.stages.map(({ key, label }) => ({ key, label }))),
      allowed: JSON.stringify(next.allowed),
      route_on: JSON.stringify(next.routeOn),
      updated_at: ctx.clock.now(),
    };
    await rdb(trx)
      .insertInto('lifecycle_settings')
      .values({ workspace_id: actor.workspaceId, ...values })
      .onConflict((oc) => oc.column('workspace_id').doUpdateSet(values))
      .execute();
    await recordAudit(trx, ctx.clock, actor, {
      action: 'lifecycle.stages_changed',
      entityType: 'lifecycle_settings',
      entityId: actor.workspaceId,
      before: { allowed: before.allowed, routeOn: before.routeOn, labels: Object.fromEntries(before.stages.map((s) => [s.key, s.label])) },
      after: { allowed: next.allowed, routeOn: next.routeOn, labels: Object.fromEntries(next.stages.map((s) => [s.key, s.label])) },
    });
    return next;
  });
}

/** Serialises rule and settings changes and rule passes of one workspace. */
async function lockLifecycle(trx: DbOrTx, ws: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`lifecycle:${ws}`}, 0))`.execute(trx);
}

export async function listLifecycleRules(db: DbOrTx, ws: string): Promise<LifecycleRule[]> {
  const rows = await rdb(db).selectFrom('lifecycle_rules').selectAll().where('workspace_id', '=', ws).orderBy('position').execute();
  return rows.map((r) => ({
    id: r.id,
    position: r.position,
    name: r.name,
    toStage: r.to_stage,
    fromStages: r.from_stages,
    trigger: r.trigger,
    enabled: r.enabled,
    updatedAt: new Date(r.updated_at).toISOString(),
  }));
}

/** True when the scoring module's table is there (migration 0018). */
export async function scoresInstalled(db: DbOrTx): Promise<boolean> {
  const r = await sql<{ t: string | null }>`select to_regclass('contact_scores')::text as t`.execute(db);
  return Boolean(r.rows[0]?.t);
}

/**
 * A rule trigger as an SQL condition over `contacts r`. Conditions and hand-raiser events go
 * through the segment compiler, so they mean exactly what they mean in a segment; score rules read
 * the scoring module's `contact_scores`.
 */
export async function compileTrigger(db: DbOrTx, ws: string, now: Date, trigger: RuleTrigger): Promise<RawBuilder<unknown>> {
  switch (trigger.kind) {
    case 'condition':
      return (await compileSegment(db, ws, now, trigger.condition)).cond;
    case 'event': {
      const node: SegmentNode = { event: trigger.event, ...(trigger.withinDays && { within: { days: trigger.withinDays } }) };
      return (await compileSegment(db, ws, now, node)).cond;
    }
    case 'score': {
      const tests = [sql`s.contact_id = r.id`, sql`s.model_id = ${trigger.modelId}`];
      if (trigger.gte !== undefined) tests.push(sql`s.score >= ${trigger.gte}`);
      if (trigger.bands) tests.push(sql`s.band = any(${trigger.bands}::text[])`);
      return sql`exists (select 1 from contact_scores s where ${sql.join(tests, sql` and `)})`;
    }
  }
}

/** Replaces the ordered rule set; refuses rules that do not compile or that move in a loop. */
export async function putLifecycleRules(ctx: Ctx, actor: Actor, rules: LifecycleRuleInput[]): Promise<LifecycleRule[]> {
  const ws = actor.workspaceId;
  return ctx.db.transaction().execute(async (trx) => {
    await lockLifecycle(trx, ws);
    const settings = await stagesSettings(trx, ws);
    const now = ctx.clock.now();
    const hasScores = rules.some((r) => r.trigger.kind === 'score') ? await scoresInstalled(trx) : true;
    for (const [i, r] of rules.entries()) {
      if (r.trigger.kind === 'score' && !hasScores) {
        throw new AppError('validation_failed', `Rule "${r.name}": score rules need the scoring module, which is not installed`, [
          { path: `rules.${i}.trigger`, message: 'scoring not installed' },
        ]);
      }
      try {
        await compileTrigger(trx, ws, now, r.trigger);
      } catch (err) {
        if (err instanceof AppError)
          throw new AppError('validation_failed', `Rule "${r.name}": ${err.message}`, [
            { path: `rules.${i}.trigger`, message: err.message },
          ]);
        throw err;
      }
      const reachable = (r.fromStages ?? ['none', ...stageKeys]).some((f) => moveAllowed(settings, f === 'none' ? null : f, r.toStage));
      if (!reachable) {
        throw new AppError(
          'validation_failed',
          `Rule "${r.name}" can never move anyone to ${r.toStage}: every move it could make is backward and not allowed`,
          [{ path: `rules.${i}.toStage`, message: 'never allowed' }],
        );
      }
    }
    const cycle = findRuleCycle(settings, rules);
    if (cycle) throw cycleError(cycle);
    const before = await listLifecycleRules(trx, ws);
    const db = rdb(trx);
    await db.deleteFrom('lifecycle_rules').where('workspace_id', '=', ws).execute();
    const kept = new Set(before.map((b) => b.id));
    const createdAt = new Map(before.map((b) => [b.id, b.updatedAt]));
    for (const [i, r] of rules.entries()) {
      const id = r.id && kept.has(r.id) ? r.id : newId();
      await db
        .insertInto('lifecycle_rules')
        .values({
          id,
          workspace_id: ws,
          position: i,
          name: r.name,
          to_stage: r.toStage,
          from_stages: r.fromStages ? JSON.stringify(r.fromStages) : null,
          trigger: JSON.stringify(r.trigger),
          enabled: r.enabled,
          created_at: createdAt.get(id) ?? now,
          updated_at: now,
        })
        .execute();
    }
    const after = await listLifecycleRules(trx, ws);
    await recordAudit(trx, ctx.clock, actor, {
      action: 'lifecycle.rules_changed',
      entityType: 'lifecycle_rules',
      entityId: ws,
      before: { rules: before.map(({ updatedAt: _u, ...r }) => r) },
      after: { rules: after.map(({ updatedAt: _u, ...r }) => r) },
    });
    return after;
  });
}

export interface StageChange {
  reason: string;
  ruleId: string | null;
  actor: string;
}

/**
 * Moves one contact to a stage inside the caller's transaction, with its history row, after
 * checking the move is allowed (a refused move throws a 409 naming the allowed ones). Entering a
 * routing stage (MQL by default) queues the contact for routing in the same transaction.
 */
export async function applyStage(
  trx: DbOrTx,
  now: Date,
  ws: string,
  settings: StagesSettings,
  contact: { id: string; lifecycle_stage: string | null },
  to: StageKey,
  change: StageChange,
): Promise<void> {
  const from = contact.lifecycle_stage;
  if (!moveAllowed(settings, from, to)) {
    const label = (k: string | null) => settings.stages.find((s) => s.key === k)?.label ?? k ?? 'none';
    const message =
      from === to
        ? `The contact is already ${label(to)}`
        : `${label(from)} -> ${label(to)} is a backward move, and no allowed transition permits it`;
    throw new AppError('conflict', message, [{ path: 'stage', message }]);
  }
  // This module writes its own history (with rule and reason): the triggers for stage changes made
  // elsewhere (migration 0024) stand aside for this update.
  await sql`select set_config('keel.lifecycle_writer', 'on', true)`.execute(trx);
  await trx
    .updateTable('contacts')
    .set((eb) => ({ lifecycle_stage: to, updated_at: now, version: eb('version', '+', 1) }))
    .where('id', '=', contact.id)
    .execute();
  await sql`select set_config('keel.lifecycle_writer', 'off', true)`.execute(trx);
  await rdb(trx)
    .insertInto('lifecycle_history')
    .values({
      id: newId(),
      workspace_id: ws,
      contact_id: contact.id,
      from_stage: from,
      to_stage: to,
      reason: change.reason,
      rule_id: change.ruleId,
      actor: change.actor,
      at: now,
    })
    .execute();
  if ((settings.routeOn as readonly string[]).includes(to)) {
    await rdb(trx)
      .insertInto('routing_queue')
      .values({ workspace_id: ws, contact_id: contact.id, cause: `stage:${to}`, rep_id: null })
      .execute();
  }
  contact.lifecycle_stage = to;
}

async function lockedContact(trx: DbOrTx, ws: string, id: string): Promise<{ id: string; lifecycle_stage: string | null }> {
  const c = await trx
    .selectFrom('contacts')
    .select(['id', 'lifecycle_stage'])
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .forUpdate()
    .executeTakeFirst();
  if (!c) throw notFound('Contact');
  return c;
}

/** Sets a contact's stage by hand (`POST /api/v1/contacts/:id/lifecycle`), audited. */
export async function setStageByHand(ctx: Ctx, actor: Actor, contactId: string, input: { stage: StageKey; reason: string }): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    const contact = await lockedContact(trx, actor.workspaceId, contactId);
    const settings = await stagesSettings(trx, actor.workspaceId);
    const from = contact.lifecycle_stage;
    await applyStage(trx, ctx.clock.now(), actor.workspaceId, settings, contact, input.stage, {
      reason: input.reason,
      ruleId: null,
      actor: actor.label,
    });
    await recordAudit(trx, ctx.clock, actor, {
      action: 'contact.lifecycle_changed',
      entityType: 'contact',
      entityId: contactId,
      before: { lifecycleStage: from },
      after: { lifecycleStage: input.stage },
      meta: { reason: input.reason },
    });
  });
}

/** A contact's stage history, newest first, with the time spent in each stage. */
export async function contactLifecycle(db: DbOrTx, ws: string, contactId: string, now: Date) {
  const c = await db
    .selectFrom('contacts')
    .select(['id', 'lifecycle_stage'])
    .where('workspace_id', '=', ws)
    .where('id', '=', contactId)
    .executeTakeFirst();
  if (!c) throw notFound('Contact');
  const settings = await stagesSettings(db, ws);
  const rows = await rdb(db)
    .selectFrom('lifecycle_history')
    .selectAll()
    .where('contact_id', '=', contactId)
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(500)
    .execute();
  let until = now.getTime();
  const data = rows.map((h, i) => {
    const at = new Date(h.at).getTime();
    const entry = {
      id: h.id,
      fromStage: h.from_stage,
      toStage: h.to_stage,
      reason: h.reason,
      ruleId: h.rule_id,
      actor: h.actor,
      at: new Date(h.at).toISOString(),
      timeInStageMs: Math.max(0, until - at),
      current: i === 0 && h.to_stage === c.lifecycle_stage,
    };
    until = at;
    return entry;
  });
  return { stage: c.lifecycle_stage, label: settings.stages.find((s) => s.key === c.lifecycle_stage)?.label ?? null, data };
}

export interface LifecycleRun {
  taken: number;
  moved: number;
}

/**
 * One pass over the lifecycle queue: takes up to `batch` entries (skipping those another worker
 * holds), evaluates each workspace's enabled rules against its contacts set-wise (one query per
 * rule), then walks each contact through the rules in order once, applying the moves that are
 * allowed from where it stands. One pass only: a move does not re-run the rules before it, and the
 * contact's own update queues it again, which the cycle check on save makes finite.
 */
export async function processLifecycleBatch(db: Db, clock: Clock, batch = 1000): Promise<LifecycleRun> {
  return db.transaction().execute(async (trx) => {
    const taken = await sql<{ workspace_id: string; contact_id: string }>`
      delete from lifecycle_queue where id in (
        select id from lifecycle_queue order by id limit ${batch} for update skip locked
      ) returning workspace_id, contact_id`.execute(trx);
    const run: LifecycleRun = { taken: taken.rows.length, moved: 0 };
    const byWs = new Map<string, Set<string>>();
    for (const r of taken.rows) byWs.set(r.workspace_id, (byWs.get(r.workspace_id) ?? new Set()).add(r.contact_id));
    const now = clock.now();
    for (const [ws, set] of [...byWs].sort(([a], [b]) => a.localeCompare(b))) {
      await lockLifecycle(trx, ws);
      const rules = (await listLifecycleRules(trx, ws)).filter((r) => r.enabled);
      if (rules.length === 0) continue;
      const settings = await stagesSettings(trx, ws);
      const ids = [...set].sort();
      const matched = new Map<string, Set<string>>();
      for (const rule of rules) {
        let cond: RawBuilder<unknown>;
        try {
          cond = await compileTrigger(trx, ws, now, rule.trigger as RuleTrigger);
        } catch {
          // A rule whose condition no longer compiles (a field deleted since) does not fire.
          continue;
        }
        const r = await sql<{ id: string }>`select r.id from contacts r
          where r.workspace_id = ${ws} and r.deleted_at is null and r.id = any(${ids}::uuid[]) and ${cond}`.execute(trx);
        matched.set(rule.id, new Set(r.rows.map((x) => x.id)));
      }
      const contacts = await trx
        .selectFrom('contacts')
        .select(['id', 'lifecycle_stage'])
        .where('workspace_id', '=', ws)
        .where('id', 'in', ids)
        .where('deleted_at', 'is', null)
        .orderBy('id')
        .forUpdate()
        .execute();
      for (const c of contacts) {
        for (const rule of rules) {
          if (!matched.get(rule.id)?.has(c.id)) continue;
          const from = c.lifecycle_stage;
          if (rule.fromStages && !rule.fromStages.includes(from ?? 'none')) continue;
          if (!moveAllowed(settings, from, rule.toStage)) continue;
          await applyStage(trx, now, ws, settings, c, rule.toStage as StageKey, {
            reason: `rule: ${rule.name}`,
            ruleId: rule.id,
            actor: 'lifecycle rules',
          });
          run.moved += 1;
        }
      }
    }
    return run;
  });
}

/** Drains the lifecycle queue (up to `maxBatches` passes); true when entries are left. */
export async function drainLifecycleQueue(
  db: Db,
  clock: Clock,
  opts: { batch?: number; maxBatches?: number; stop?: AbortSignal } = {},
): Promise<boolean> {
  for (let i = 0; i < (opts.maxBatches ?? 20); i++) {
    if (opts.stop?.aborted) return true;
    const run = await processLifecycleBatch(db, clock, opts.batch);
    if (run.taken < (opts.batch ?? 1000)) return false;
  }
  return true;
}
