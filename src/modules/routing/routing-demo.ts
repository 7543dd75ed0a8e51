import { sql } from 'kysely';
import type { Actor } from '../../platform/actor.js';
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/database.js';
import { putLifecycleRules, setStageByHand } from './lifecycle.service.js';
import { createRoutingRule, decideLead, drainRoutingQueue, putReps } from './routing.service.js';
import { weekdays } from './routing.schema.js';
import { putSlaSettings, runSlaChecks } from './sla.service.js';

/**
 * Demo reps and routing: the demo's sales and marketing-ops people as reps (weights 3:1, Berlin and
 * New York hours), rules for account owners, an EMEA territory and a round robin, a hand-raiser
 * stage rule, and a dozen demo leads moved to MQL and routed, so the reps' queues have leads. An
 * MQL SLA of four working hours escalating to the marketing-ops manager, with the leads' ages
 * spread over the last day so the SLA dashboard shows leads on track, at risk and breached (with
 * their reminders and escalations), and a few accepted and rejected leads for the report.
 */
export async function seedRoutingDemo(ctx: { db: Db; clock: Clock }, actor: Actor, repIds: readonly string[]): Promise<void> {
  if (repIds.length === 0) return;
  // Contacts the CRM demo moved to MQL by hand before routing was set up are not routed: the demo's
  // routed leads are the ones below, so its queues and SLA states come out the same every time.
  await sql`delete from routing_queue where workspace_id = ${actor.workspaceId}`.execute(ctx.db);
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
  await seedSlaDemo(ctx, actor);
}

// Hours ago each demo lead was assigned, in turn: on track, at risk (the last hour of four), breached.
const ages = [0.5, 3.4, 5, 1, 3.7, 26, 2, 4.5, 0.2, 3.2, 7, 1.5];

async function seedSlaDemo(ctx: { db: Db; clock: Clock }, actor: Actor): Promise<void> {
  const ws = actor.workspaceId;
  const manager = await ctx.db
    .selectFrom('users')
    .select('id')
    .where('workspace_id', '=', ws)
    .where('role', '=', 'mops_manager')
    .where('disabled_at', 'is', null)
    .executeTakeFirst();
  // Round the clock, so the demo shows every SLA state whenever it is started; a real workspace
  // would use its reps' hours or office hours.
  const allWeek = Object.fromEntries(weekdays.map((d) => [d, [['00:00', '24:00'] as [string, string]]]));
  await putSlaSettings(ctx, actor, {
    calendar: 'workspace',
    workspaceCalendar: { timeZone: 'UTC', workingHours: allWeek, holidays: [] },
    escalateTo: manager?.id ?? null,
    slas: [
      { stage: 'mql', withinMinutes: 240, remindBeforeMinutes: 60, escalateTo: null },
      { stage: 'sal', withinMinutes: 1440, remindBeforeMinutes: 240, escalateTo: null },
    ],
  });
  const open = await sql<{ id: string; contact_id: string }>`
    select id, contact_id from lead_assignments where workspace_id = ${ws} and status = 'open' and owner_id is not null
    order by id`.execute(ctx.db);
  const now = ctx.clock.now().getTime();
  for (const [i, a] of open.rows.entries()) {
    const at = new Date(now - (ages[i % ages.length] ?? 1) * 3_600_000);
    await sql`update lead_assignments set assigned_at = ${at} where id = ${a.id}`.execute(ctx.db);
  }
  // Reps' verdicts for the feedback report: two accepted, two rejected (routed on to someone else).
  const [a1, a2, r1, r2] = open.rows.filter((_, i) => (ages[i % ages.length] ?? 0) < 3);
  for (const a of [a1, a2]) if (a) await decideLead(ctx, actor, a.contact_id, { accept: true }, true);
  if (r1) await decideLead(ctx, actor, r1.contact_id, { accept: false, reason: 'Not a fit' }, true);
  if (r2) await decideLead(ctx, actor, r2.contact_id, { accept: false, reason: 'Already in contact' }, true);
  await runSlaChecks(ctx.db, ctx.clock);
}
