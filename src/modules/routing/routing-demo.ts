import { sql } from 'kysely';
import type { Actor } from '../../platform/actor.js';
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/database.js';
import { putLifecycleRules, setStageByHand } from './lifecycle.service.js';
import { createRoutingRule, drainRoutingQueue, putReps } from './routing.service.js';

/**
 * Demo reps and routing: the demo's sales and marketing-ops people as reps (weights 3:1, Berlin and
 * New York hours), rules for account owners, an EMEA territory and a round robin, a hand-raiser
 * stage rule, and a dozen demo leads moved to MQL and routed, so the reps' queues have leads.
 */
export async function seedRoutingDemo(ctx: { db: Db; clock: Clock }, actor: Actor, repIds: readonly string[]): Promise<void> {
  if (repIds.length === 0) return;
  const [first] = repIds;
  await putReps(
    ctx,
    actor,
    repIds.map((userId, i) => ({
      userId,
      weight: i === 0 ? 3 : 1,
      capacity: 25,
      // Always working in the demo, so its queues fill whenever it is started.
      workingHours: null,
      timeZone: i === 0 ? 'Europe/Berlin' : 'America/New_York',
      available: true,
    })),
  );
  await createRoutingRule(ctx, actor, { name: 'Existing account owner', enabled: true, action: { type: 'account_owner' } });
  if (first) {
    await createRoutingRule(ctx, actor, {
      name: 'EMEA enterprise territory',
      enabled: true,
      condition: { account: { field: 'size', op: 'in', value: ['201-1000', '1000+'] } },
      action: { type: 'territory', territories: [{ name: 'EMEA', match: { regions: ['EMEA'] }, reps: [first] }] },
    });
  }
  await createRoutingRule(ctx, actor, { name: 'Everyone else', enabled: true, action: { type: 'round_robin', reps: [...repIds] } });
  await putLifecycleRules(ctx, actor, [
    { name: 'Asked for a demo', toStage: 'mql', trigger: { kind: 'event', event: 'Demo Requested', withinDays: 90 }, enabled: true },
  ]);
  // Leads without an account owner, so the round robin and territory rules have work too.
  const leads = await sql<{ id: string }>`
    select c.id from contacts c left join accounts a on a.id = c.account_id
    where c.workspace_id = ${actor.workspaceId} and c.deleted_at is null
      and (c.lifecycle_stage is null or c.lifecycle_stage in ('subscriber', 'lead'))
    order by (a.owner_id is null) desc, c.id limit 12`.execute(ctx.db);
  for (const l of leads.rows) await setStageByHand(ctx, actor, l.id, { stage: 'mql', reason: 'demo: attended the webinar' });
  await drainRoutingQueue(ctx.db, ctx.clock);
}
