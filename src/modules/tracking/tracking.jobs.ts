import { sql } from 'kysely';
import { z } from 'zod';
import type { Db, DbOrTx } from '../../platform/db/database.js';
import { JOB_PAYLOAD_TABLES, type Jobs } from '../../platform/jobs/jobs.js';
import { policyDays, runRetentionPass } from '../quality/retention-runs.js';
import { linkAll } from './ingest.service.js';

const link = z.object({ profileId: z.uuid(), traits: z.record(z.string(), z.unknown()) });
const linkWorkSchema = z
  .object({
    workspaceId: z.uuid(),
    // Bounds far above what one request can carry (500 KB): the job must take whatever ingest queued.
    links: z.array(link.extend({ email: z.string().max(1_000_000) }).strict()).max(100_000),
    groups: z.array(link.extend({ groupId: z.string().max(1_000_000) }).strict()).max(100_000),
  })
  .strict();

/**
 * Erasure: takes a person's entries (by email or by profile) out of the `tracking.link` jobs still
 * queued or archived, in the caller's transaction; the job's other people are linked as before.
 * Returns the number of jobs rewritten. Where pg-boss has not created its tables there is nothing.
 */
export async function forgetDeferredLinks(db: DbOrTx, workspaceId: string, emails: string[], profileIds: string[]): Promise<number> {
  if (emails.length === 0 && profileIds.length === 0) return 0;
  const lower = emails.map((e) => e.toLowerCase());
  const matches = (alias: string) =>
    sql`(${sql.ref(`${alias}.value`)}->>'profileId' = any(${profileIds}::text[]) or lower(${sql.ref(`${alias}.value`)}->>'email') = any(${lower}::text[]))`;
  let n = 0;
  for (const table of JOB_PAYLOAD_TABLES) {
    const exists = await sql<{ t: string | null }>`select to_regclass(${table})::text as t`.execute(db);
    if (!exists.rows[0]?.t) continue;
    const r = await sql`update ${sql.table(table)} j set data = j.data
        || jsonb_build_object('links', coalesce((select jsonb_agg(l.value) from jsonb_array_elements(j.data->'links') l where not ${matches('l')}), '[]'::jsonb))
        || jsonb_build_object('groups', coalesce((select jsonb_agg(g.value) from jsonb_array_elements(j.data->'groups') g where not ${matches('g')}), '[]'::jsonb))
      where j.name = 'tracking.link' and j.data->>'workspaceId' = ${workspaceId}
        and (exists (select 1 from jsonb_array_elements(j.data->'links') l where ${matches('l')})
          or exists (select 1 from jsonb_array_elements(j.data->'groups') g where ${matches('g')}))`.execute(db);
    n += Number(r.numAffectedRows ?? 0);
  }
  return n;
}

export function trackingJobs(jobs: Jobs): void {
  // Contact and account links whose events were stored and acknowledged, but whose linking failed
  // (ingest.service.ts): linked here, with pg-boss's retries and backoff, then dead-lettered.
  jobs.define({
    name: 'tracking.link',
    schema: linkWorkSchema,
    retryLimit: 8,
    handler: async (ctx, work) => {
      await linkAll(ctx, work);
      ctx.logger.info({ workspaceId: work.workspaceId, links: work.links.length, groups: work.groups.length }, 'deferred links done');
    },
  });
  // Monthly event partitions exist three months ahead, so live events never land in the default one.
  jobs.define({
    name: 'tracking.partitions',
    schema: z.object({}).passthrough(),
    cron: '7 2 * * *',
    retryLimit: 3,
    handler: async (ctx) => {
      const r = await sql<{ made: number }>`select keel_ensure_event_partitions(${ctx.clock.now()}::date, 4) as made`.execute(ctx.db);
      const made = r.rows[0]?.made ?? 0;
      if (made > 0) ctx.logger.info({ made }, 'created event partitions');
    },
  });
  jobs.define({
    name: 'tracking.retention',
    schema: z.object({}).passthrough(),
    cron: '23 3 * * *',
    retryLimit: 3,
    handler: async (ctx) => {
      const n = await applyRetention(ctx.db, ctx.clock.now());
      if (n > 0) ctx.logger.info({ deleted: n }, 'deleted events past their retention (workspace policy or source)');
    },
  });
}

/**
 * Event retention: the workspace's `events` policy (quality module, `/api/v1/retention-policies`)
 * and each source's own `retention_days`; where both apply the shorter wins. Deleted in slices,
 * one recorded pass per workspace (`retention_runs`, and an audit entry when anything went).
 */
export async function applyRetention(db: Db, now: Date, slice = 10_000): Promise<number> {
  const clock = { now: () => now };
  const policies = await policyDays(db, 'events');
  const sources = await db
    .selectFrom('sources')
    .select(['id', 'workspace_id', 'retention_days'])
    .where('retention_days', 'is not', null)
    .execute();
  const workspaces = new Set([...policies.keys(), ...sources.map((s) => s.workspace_id)]);
  const cutoff = (days: number) => new Date(now.getTime() - days * 86_400_000);
  let deleted = 0;
  for (const ws of [...workspaces].sort()) {
    const keepDays = policies.get(ws) ?? null;
    // Sources keeping their events for less time than the workspace policy (or with no policy).
    const shorter = sources.filter((s) => s.workspace_id === ws && (keepDays === null || Number(s.retention_days) < keepDays));
    const run = await runRetentionPass(
      db,
      clock,
      { workspaceId: ws, dataType: 'events', keepDays, cutoff: keepDays === null ? null : cutoff(keepDays) },
      async (trx, n) => {
        let done = 0;
        if (keepDays !== null) {
          const r = await sql`delete from events where (id, ts) in (
            select id, ts from events where workspace_id = ${ws} and ts < ${cutoff(keepDays)} limit ${n})`.execute(trx);
          done += Number(r.numAffectedRows ?? 0);
        }
        for (const s of shorter) {
          if (done >= n) break;
          const r = await sql`delete from events where (id, ts) in (
            select id, ts from events where source_id = ${s.id} and ts < ${cutoff(Number(s.retention_days))} limit ${n - done})`.execute(
            trx,
          );
          done += Number(r.numAffectedRows ?? 0);
        }
        return done;
      },
      slice,
    );
    deleted += run.deleted;
  }
  return deleted;
}
