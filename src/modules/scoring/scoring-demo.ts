import { sql } from 'kysely';
import type { Actor } from '../../platform/actor.js';
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/database.js';
import { newId } from '../../platform/ids.js';
import { recomputeModel } from './scoring.compute.js';
import type { ModelDefinition } from './scoring.schema.js';
import { createModel, publishModel } from './scoring.service.js';

const EMEA = ['GB', 'DE', 'FR', 'NL', 'SE', 'ES', 'IT', 'IE', 'CH', 'AT', 'BE', 'DK', 'NO', 'FI', 'PL', 'ZA', 'AE'];

/**
 * A published lead-scoring model over the demo contacts, their accounts and the tracked activity
 * of the tracking and segments demos, computed at once so demo contacts have scores and bands.
 */
export async function seedScoringDemo(ctx: { db: Db; clock: Clock }, actor: Actor): Promise<void> {
  const draft: ModelDefinition = {
    fit: [
      {
        name: 'Senior marketing title',
        condition: {
          any: [
            { field: 'title', op: 'contains', value: 'VP' },
            { field: 'title', op: 'contains', value: 'Head' },
          ],
        },
        points: 15,
      },
      { name: 'Enterprise account', condition: { account: { field: 'tier', op: 'eq', value: 'Enterprise' } }, points: 20 },
      { name: 'In EMEA', condition: { field: 'country', op: 'in', value: EMEA }, points: 5 },
      { name: 'No email address', condition: { field: 'email', op: 'is_empty' }, points: -10 },
    ],
    engagement: [
      { name: 'Demo requested', on: { event: 'Demo Requested' }, points: 30, cap: 60, decay: { halfLifeDays: 30 } },
      { name: 'Trial started', on: { event: 'Trial Started' }, points: 20, cap: 20 },
      { name: 'Pricing page visits', on: { page: { url: '*/pricing*' } }, points: 5, cap: 25 },
      { name: 'Whitepaper downloads', on: { event: 'Whitepaper Downloaded' }, points: 5, window: { days: 7, max: 10 } },
      { name: 'Webinar registrations', on: { event: 'Webinar Registered' }, points: 10, cap: 30 },
      { name: 'Visits from LinkedIn', on: { touchpoint: { field: 'source', op: 'eq', value: 'linkedin' } }, points: 3, cap: 9 },
    ],
    decay: { halfLifeDays: 60, expireDays: 180 },
    bands: [
      { name: 'A', min: 80 },
      { name: 'B', min: 50 },
      { name: 'C', min: 20 },
    ],
    otherwise: 'D',
  };
  const model = await createModel(ctx, actor, {
    name: 'Lead score',
    description: 'Fit (title, account tier, region) and engagement (demo requests, trials, pricing, content, LinkedIn visits)',
    draft,
  });
  await publishModel(ctx, null, actor, model.id);
  await recomputeModel(ctx.db, ctx.clock, model.id);
}

/**
 * A past for the evaluation screen: the demo's people have been in the CRM for four months, and
 * over the last six weeks about one in twelve became a sales-qualified lead, the likelier the
 * higher their score (their history goes lead → MQL → SQL, as if kept by the lifecycle module),
 * so "Evaluation" on the demo model shows a real AUC, lift and conversion by band. Run after the
 * routing demo (the stages table is the routing module's).
 */
export async function seedScoringHistoryDemo(ctx: { db: Db; clock: Clock }, actor: Actor): Promise<void> {
  const ws = actor.workspaceId;
  const now = ctx.clock.now().getTime();
  const DAY = 86_400_000;
  await sql`update contacts set created_at = ${new Date(now - 120 * DAY)}
    where workspace_id = ${ws} and deleted_at is null and created_at > ${new Date(now - 120 * DAY)}`.execute(ctx.db);
  const rows = await sql<{ id: string; score: number }>`
    select c.id, coalesce(max(s.score), 0)::float8 as score from contacts c
    left join contact_scores s on s.contact_id = c.id
    where c.workspace_id = ${ws} and c.deleted_at is null
      and (c.lifecycle_stage is null or c.lifecycle_stage in ('subscriber', 'lead'))
    group by c.id order by c.id`.execute(ctx.db);
  // A fixed pseudo-random sequence, so every demo has the same past.
  let seed = 20_261_203;
  const rnd = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  const history: Array<{ id: string; contact_id: string; from_stage: string | null; to_stage: string; at: string }> = [];
  const converted: string[] = [];
  for (const r of rows.rows) {
    const p = 0.02 + Math.min(Number(r.score), 100) / 250;
    if (rnd() >= p) continue;
    const sqlAt = now - (1 + rnd() * 41) * DAY;
    const mqlAt = sqlAt - (1 + rnd() * 6) * DAY;
    history.push(
      { id: newId(), contact_id: r.id, from_stage: null, to_stage: 'lead', at: new Date(now - 110 * DAY).toISOString() },
      { id: newId(), contact_id: r.id, from_stage: 'lead', to_stage: 'mql', at: new Date(mqlAt).toISOString() },
      { id: newId(), contact_id: r.id, from_stage: 'mql', to_stage: 'sql', at: new Date(sqlAt).toISOString() },
    );
    converted.push(r.id);
  }
  if (history.length === 0) return;
  await ctx.db.transaction().execute(async (trx) => {
    await sql`insert into lifecycle_history (id, workspace_id, contact_id, from_stage, to_stage, reason, rule_id, actor, at)
      select x.id, ${ws}::uuid, x.contact_id, x.from_stage, x.to_stage, 'demo: earlier history', null, ${actor.label}, x.at
      from jsonb_to_recordset(${JSON.stringify(history)}::jsonb) as x(id uuid, contact_id uuid, from_stage text, to_stage text, at timestamptz)`.execute(
      trx,
    );
    // The history is written above, with its earlier times: the stage-change triggers stand aside.
    await sql`select set_config('keel.lifecycle_writer', 'on', true)`.execute(trx);
    await sql`update contacts set lifecycle_stage = 'sql' where id = any(${converted}::uuid[])`.execute(trx);
  });
}
