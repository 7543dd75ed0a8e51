import { sql } from 'kysely';
import type { DbOrTx } from '../../platform/db/database.js';
import { waitingSql } from './lead-status.js';
import type { ReportQuery, RoutingReport } from './report.schema.js';
import { scoreModelFor } from './score-model.js';

/** The stages that count as a converted lead: sales took it on as a real opportunity. */
export const convertedStages = ['sql', 'opportunity', 'customer'] as const;

const rate = (n: number, d: number) => (d > 0 ? Math.round((n / d) * 10_000) / 10_000 : null);
const minutes = (x: number | string | null) => (x === null ? null : Math.round(Number(x) * 100) / 100);

/**
 * The feedback report over the leads assigned to a rep in [from, to). The unit is the assignment
 * (a lead rejected and routed again counts once per rep), except for conversion by source and by
 * band, which count distinct contacts. Time to first touch: assignment to the rep accepting or
 * rejecting it. Converted: the contact reached sql, opportunity or customer (lifecycle history) at
 * or after the assignment, by now; a rep is credited only with leads they did not reject (a lead
 * that converts after another rep took it on is that rep's conversion). Bands are the contacts'
 * current bands in the chosen published model. Open leads are judged by their contact's stage now,
 * as on the sales queue (`lead-status.ts`): one whose contact moved on since (sal, sql, recycled,
 * disqualified) was handled and counts as moved on, not open.
 * One SQL aggregate per section: the work stays in the database however many leads there are.
 */
export async function routingReport(db: DbOrTx, ws: string, q: ReportQuery): Promise<RoutingReport> {
  const from = new Date(q.from);
  const to = new Date(q.to);
  const modelId = await scoreModelFor(db, ws, q.modelId);
  const leads = sql`
    select a.id, a.contact_id, a.owner_id, a.status, a.accepted_at, a.rejected_at, a.reject_reason, c.source,
      (extract(epoch from (coalesce(a.accepted_at, a.rejected_at) - a.assigned_at)) / 60)::float8 as touch, ${waitingSql()} as waiting,
      exists (select 1 from lifecycle_history h where h.contact_id = a.contact_id
        and h.to_stage = any(${[...convertedStages]}::text[]) and h.at >= a.assigned_at) as converted
    from lead_assignments a join contacts c on c.id = a.contact_id and c.deleted_at is null
    where a.workspace_id = ${ws} and a.owner_id is not null and a.assigned_at >= ${from} and a.assigned_at < ${to}`;

  const totals = (
    await sql<{
      assigned: number;
      accepted: number;
      rejected: number;
      open: number;
      moved_on: number;
      released: number;
      decided: number;
      avg: number | null;
      median: number | null;
      p90: number | null;
    }>`with l as (${leads})
      select count(*)::int as assigned, count(accepted_at)::int as accepted, count(rejected_at)::int as rejected,
        (count(*) filter (where waiting))::int as open,
        (count(*) filter (where status = 'open' and not waiting))::int as moved_on,
        (count(*) filter (where status = 'released' and accepted_at is null and rejected_at is null))::int as released,
        count(touch)::int as decided, avg(touch)::float8 as avg,
        (percentile_cont(0.5) within group (order by touch))::float8 as median,
        (percentile_cont(0.9) within group (order by touch))::float8 as p90
      from l`.execute(db)
  ).rows[0];

  const reasons = await sql<{ reason: string; count: number }>`with l as (${leads})
    select reject_reason as reason, count(*)::int as count from l where rejected_at is not null
    group by reject_reason order by count(*) desc, reject_reason`.execute(db);

  const byRep = await sql<{
    key: string;
    label: string;
    assigned: number;
    accepted: number;
    rejected: number;
    converted: number;
    median: number | null;
  }>`with l as (${leads})
    select l.owner_id as key, coalesce(u.name, '(deleted user)') as label, count(*)::int as assigned,
      count(l.accepted_at)::int as accepted, count(l.rejected_at)::int as rejected,
      (count(*) filter (where l.converted and l.rejected_at is null and l.status <> 'released'))::int as converted,
      (percentile_cont(0.5) within group (order by l.touch))::float8 as median
    from l left join users u on u.id = l.owner_id
    group by l.owner_id, u.name order by count(*) desc, u.name`.execute(db);

  const bySource = await sql<{ key: string; leads: number; converted: number }>`with l as (${leads})
    select coalesce(source, '') as key, count(distinct contact_id)::int as leads,
      (count(distinct contact_id) filter (where converted))::int as converted
    from l group by coalesce(source, '') order by count(distinct contact_id) desc, coalesce(source, '')`.execute(db);

  const byBand = await sql<{ key: string; leads: number; converted: number }>`with l as (${leads})
    select coalesce(s.band, '') as key, count(distinct l.contact_id)::int as leads,
      (count(distinct l.contact_id) filter (where l.converted))::int as converted
    from l left join contact_scores s on s.contact_id = l.contact_id and s.model_id = ${modelId}
    group by coalesce(s.band, '') order by max(s.score) desc nulls last, coalesce(s.band, '')`.execute(db);

  const t = totals ?? {
    assigned: 0,
    accepted: 0,
    rejected: 0,
    open: 0,
    moved_on: 0,
    released: 0,
    decided: 0,
    avg: null,
    median: null,
    p90: null,
  };
  const conv = (r: { key: string; leads: number; converted: number }, none: string) => ({
    key: r.key,
    label: r.key || none,
    leads: r.leads,
    converted: r.converted,
    rate: rate(r.converted, r.leads),
  });
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    modelId,
    totals: {
      assigned: t.assigned,
      accepted: t.accepted,
      rejected: t.rejected,
      open: t.open,
      movedOn: t.moved_on,
      released: t.released,
      acceptanceRate: rate(t.accepted, t.accepted + t.rejected),
    },
    rejectionReasons: reasons.rows,
    timeToFirstTouch: { decided: t.decided, avgMinutes: minutes(t.avg), medianMinutes: minutes(t.median), p90Minutes: minutes(t.p90) },
    byRep: byRep.rows.map((r) => ({
      key: r.key,
      label: r.label,
      leads: r.assigned,
      assigned: r.assigned,
      accepted: r.accepted,
      rejected: r.rejected,
      acceptanceRate: rate(r.accepted, r.accepted + r.rejected),
      converted: r.converted,
      rate: rate(r.converted, r.assigned),
      medianMinutesToFirstTouch: minutes(r.median),
    })),
    bySource: bySource.rows.map((r) => conv(r, '(no source)')),
    byBand: byBand.rows.map((r) => conv(r, modelId ? '(no score)' : '(no scoring model)')),
  };
}
