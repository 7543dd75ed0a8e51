import { sql, type RawBuilder } from 'kysely';

/**
 * What a live lead asks of its rep, judged by its contact's stage now (not the stage it was
 * assigned in): `waiting` (open, the contact still in the stage it was assigned in: its SLA runs,
 * it fills the rep's capacity, the report counts it open), `accepted`, or `moved_on` (open, but
 * the contact has moved to another stage since: sal, sql, recycled, disqualified...; handled,
 * whether or not the rep clicked accept). Older rows without a stage count as waiting: their
 * contact's stage is the one they were assigned in.
 *
 * The one definition of "waiting" for the sales queue, the SLA dashboard and job, the feedback
 * report and rep capacity, so they never disagree about a lead.
 */
export type LeadStatus = 'waiting' | 'accepted' | 'moved_on';

/**
 * SQL: the assignment aliased `a` (joined to its contact aliased `c`) is open and still waiting.
 * Always true or false, never null (`is not distinct from`), so `not` of it means moved on or decided.
 */
export function waitingSql(a = 'a', c = 'c'): RawBuilder<boolean> {
  const stage = sql.ref(`${a}.stage`);
  return sql<boolean>`(${sql.ref(`${a}.status`)} = 'open' and (${stage} is null or ${stage} is not distinct from ${sql.ref(`${c}.lifecycle_stage`)}))`;
}

/** The same in TypeScript, for a live (open or accepted) assignment row read with its contact's stage. */
export function leadStatus(row: { status: string; stage: string | null; lifecycle_stage: string | null }): LeadStatus {
  if (row.status === 'accepted') return 'accepted';
  return row.stage === null || row.stage === row.lifecycle_stage ? 'waiting' : 'moved_on';
}
