import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import * as formatsModule from 'ajv-formats';
import { sql, type RawBuilder } from 'kysely';
import { z } from 'zod';
import type { Actor } from '../../platform/actor.js';
import { recordAudit } from '../../platform/audit/audit.service.js';
import type { Clock } from '../../platform/clock.js';
import type { Db, DbOrTx } from '../../platform/db/database.js';
import { AppError, notFound } from '../../platform/errors.js';

// ajv-formats is CommonJS with `exports.default`: under Node's ESM interop the plugin is at .default.
type FormatsPlugin = (a: Ajv) => Ajv;
const addFormats = (formatsModule as unknown as { default: FormatsPlugin | { default: FormatsPlugin } }).default;
const formatsPlugin: FormatsPlugin = typeof addFormats === 'function' ? addFormats : addFormats.default;

const ajv = new Ajv({ allErrors: true, strict: false });
formatsPlugin(ajv);

export const planEventSchema = z
  .object({
    event: z.string(),
    description: z.string(),
    schema: z.record(z.string(), z.unknown()),
    block: z.boolean(),
    updatedAt: z.string(),
  })
  .meta({ id: 'PlannedEvent' });
export const putPlanEventSchema = z
  .object({
    description: z.string().trim().max(1000).default(''),
    schema: z.record(z.string(), z.unknown()).describe('JSON Schema (draft 2020-12 / 07) for the event properties'),
    block: z.boolean().default(false).describe('Refuse events that violate it instead of only recording the violation'),
  })
  .strict();

export const seenEventSchema = z
  .object({
    event: z.string(),
    planned: z.boolean(),
    block: z.boolean(),
    seen: z.number(),
    violations: z.number(),
    blocked: z.number(),
    firstSeenAt: z.string().nullable(),
    lastSeenAt: z.string().nullable(),
    lastViolationAt: z.string().nullable(),
    examples: z.array(z.object({ at: z.string(), messageId: z.string(), errors: z.array(z.string()), properties: z.unknown() })),
  })
  .meta({ id: 'TrackingPlanEntry' });
export type SeenEvent = z.infer<typeof seenEventSchema>;

interface Compiled {
  validate: ValidateFunction;
  block: boolean;
}

// Ingestion checks the plan on every track call: compiled validators are cached per workspace.
const cache = new Map<string, { until: number; plan: Map<string, Compiled> }>();
const CACHE_MS = 5_000;

export function clearPlanCache(): void {
  cache.clear();
}

export async function planFor(db: DbOrTx, ws: string, now: number): Promise<Map<string, Compiled>> {
  const hit = cache.get(ws);
  if (hit && hit.until > now) return hit.plan;
  const rows = await db.selectFrom('tracking_plan').selectAll().where('workspace_id', '=', ws).execute();
  const plan = new Map<string, Compiled>();
  for (const r of rows) {
    try {
      plan.set(r.event, { validate: ajv.compile(r.schema), block: r.block });
    } catch {
      /* a schema that no longer compiles is skipped (it was checked when saved) */
    }
  }
  if (cache.size > 1000) cache.clear();
  cache.set(ws, { until: now + CACHE_MS, plan });
  return plan;
}

function describeErrors(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).slice(0, 5).map((e) => `${e.instancePath || 'properties'} ${e.message ?? 'is not valid'}`.trim());
}

export interface PlanCheck {
  event: string;
  messageId: string;
  properties: Record<string, unknown>;
  errors: string[] | null;
  blocked: boolean;
}

/** Checks a track call against the plan: null errors when it fits or is not planned. */
export function checkAgainstPlan(
  plan: Map<string, Compiled>,
  event: string,
  messageId: string,
  properties: Record<string, unknown>,
): PlanCheck {
  const p = plan.get(event);
  if (!p || p.validate(properties)) return { event, messageId, properties, errors: null, blocked: false };
  return { event, messageId, properties, errors: describeErrors(p.validate.errors), blocked: p.block };
}

/**
 * Counts what was seen per event name (planned or not), with violations and the last five
 * examples of each, in the ingesting transaction.
 */
export async function recordStats(trx: DbOrTx, ws: string, checks: PlanCheck[], at: Date): Promise<void> {
  if (checks.length) await statsUpsert(ws, checks, at).execute(trx);
}

/**
 * The counters' upsert, as a statement ingestion can also run inside a larger one: all the
 * batch's names in name order, so two batches updating the same counters lock them in the same
 * order. No checks: no rows.
 */
export function statsUpsert(ws: string, checks: PlanCheck[], at: Date): RawBuilder<unknown> {
  const byEvent = new Map<string, PlanCheck[]>();
  for (const c of checks) {
    const list = byEvent.get(c.event);
    if (list) list.push(c);
    else byEvent.set(c.event, [c]);
  }
  const rows = [...byEvent]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([event, list]) => {
      const bad = list.filter((c) => c.errors);
      return {
        event,
        seen: list.length,
        violations: bad.length,
        blocked: bad.filter((c) => c.blocked).length,
        examples: bad.slice(-5).map((c) => ({ at: at.toISOString(), messageId: c.messageId, errors: c.errors, properties: c.properties })),
      };
    });
  return sql`insert into event_stats (workspace_id, event, seen, violations, blocked, first_seen_at, last_seen_at, last_violation_at, examples)
    select ${ws}, r.event, r.seen, r.violations, r.blocked, ${at}, ${at}, case when r.violations > 0 then ${at}::timestamptz end, r.examples
    from rows from (jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as (event text, seen int, violations int, blocked int, examples jsonb))
      with ordinality as r(event, seen, violations, blocked, examples, n)
    order by r.n
    on conflict (workspace_id, event) do update set
      seen = event_stats.seen + excluded.seen,
      violations = event_stats.violations + excluded.violations,
      blocked = event_stats.blocked + excluded.blocked,
      last_seen_at = excluded.last_seen_at,
      last_violation_at = coalesce(excluded.last_violation_at, event_stats.last_violation_at),
      examples = case when jsonb_array_length(excluded.examples) = 0 then event_stats.examples
        else (select coalesce(jsonb_agg(x), '[]'::jsonb) from (
          select x from jsonb_array_elements(event_stats.examples || excluded.examples) with ordinality as e(x, n) order by n desc limit 5) t) end`;
}

export async function putPlanEvent(
  ctx: { db: Db; clock: Clock },
  actor: Actor,
  event: string,
  input: z.infer<typeof putPlanEventSchema>,
): Promise<z.infer<typeof planEventSchema>> {
  try {
    ajv.compile(input.schema);
  } catch (err) {
    throw new AppError('validation_failed', `The schema is not valid JSON Schema: ${(err as Error).message}`, [
      { path: 'schema', message: (err as Error).message },
    ]);
  }
  return ctx.db.transaction().execute(async (trx) => {
    const now = ctx.clock.now();
    const before = await trx
      .selectFrom('tracking_plan')
      .selectAll()
      .where('workspace_id', '=', actor.workspaceId)
      .where('event', '=', event)
      .executeTakeFirst();
    const row = await trx
      .insertInto('tracking_plan')
      .values({
        workspace_id: actor.workspaceId,
        event,
        description: input.description,
        schema: JSON.stringify(input.schema),
        block: input.block,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc
          .columns(['workspace_id', 'event'])
          .doUpdateSet({ description: input.description, schema: JSON.stringify(input.schema), block: input.block, updated_at: now }),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, ctx.clock, actor, {
      action: before ? 'tracking_plan.updated' : 'tracking_plan.added',
      entityType: 'tracking_plan',
      entityId: event,
      before: before ? { schema: before.schema, block: before.block, description: before.description } : null,
      after: { schema: input.schema, block: input.block, description: input.description },
    });
    clearPlanCache();
    return {
      event: row.event,
      description: row.description,
      schema: row.schema,
      block: row.block,
      updatedAt: row.updated_at.toISOString(),
    };
  });
}

export async function deletePlanEvent(ctx: { db: Db; clock: Clock }, actor: Actor, event: string): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    const gone = await trx
      .deleteFrom('tracking_plan')
      .where('workspace_id', '=', actor.workspaceId)
      .where('event', '=', event)
      .returningAll()
      .executeTakeFirst();
    if (!gone) throw notFound('Planned event');
    await recordAudit(trx, ctx.clock, actor, {
      action: 'tracking_plan.removed',
      entityType: 'tracking_plan',
      entityId: event,
      before: { schema: gone.schema, block: gone.block },
    });
  });
  clearPlanCache();
}

/** The plan next to reality: every planned event and every event seen, with counts and violations. */
export async function trackingPlanReport(
  db: DbOrTx,
  ws: string,
): Promise<{ planned: Array<z.infer<typeof planEventSchema>>; events: SeenEvent[] }> {
  const plan = await db.selectFrom('tracking_plan').selectAll().where('workspace_id', '=', ws).orderBy('event').execute();
  const stats = await db.selectFrom('event_stats').selectAll().where('workspace_id', '=', ws).execute();
  const planned = new Map(plan.map((p) => [p.event, p]));
  const names = [...new Set([...plan.map((p) => p.event), ...stats.map((s) => s.event)])].sort();
  return {
    planned: plan.map((r) => ({
      event: r.event,
      description: r.description,
      schema: r.schema,
      block: r.block,
      updatedAt: r.updated_at.toISOString(),
    })),
    events: names.map((event) => {
      const s = stats.find((x) => x.event === event);
      const p = planned.get(event);
      return {
        event,
        planned: Boolean(p),
        block: p?.block ?? false,
        seen: Number(s?.seen ?? 0),
        violations: Number(s?.violations ?? 0),
        blocked: Number(s?.blocked ?? 0),
        firstSeenAt: s?.first_seen_at.toISOString() ?? null,
        lastSeenAt: s?.last_seen_at.toISOString() ?? null,
        lastViolationAt: s?.last_violation_at?.toISOString() ?? null,
        examples: (s?.examples ?? []) as SeenEvent['examples'],
      };
    }),
  };
}
