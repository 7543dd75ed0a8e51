import { z } from 'zod';
import { systemActor } from '../../platform/actor.js';
import type { Jobs } from '../../platform/jobs/jobs.js';
import type { Ctx } from './detect.service.js';
import { sql } from 'kysely';
import { AppError } from '../../platform/errors.js';
import { autoMergeCandidates, processDedupeQueue, runScan, startScan, type Scored } from './detect.service.js';
import type { MatchObject } from './matching.js';
import { autoMergePair } from './merge.service.js';
import { getSettings } from './settings.js';

/** Merges pairs on their own, each in its own transaction; a pair already handled is skipped. */
export async function mergeAutoPairs(
  ctx: Ctx,
  ws: string,
  object: MatchObject,
  pairs: readonly Scored[],
  stop?: AbortSignal,
): Promise<number> {
  const actor = systemActor(ws, 'auto-merge');
  let n = 0;
  for (const p of pairs) {
    if (stop?.aborted) break;
    if (await autoMergePair(ctx, actor, object, p.a, p.b, p.probability)) n++;
  }
  return n;
}

/** A full scan, then the auto-merges it allows. */
export async function scanAndMerge(ctx: Ctx, ws: string, scanId: string, onProgress?: Parameters<typeof runScan>[3]) {
  const scan = await runScan(ctx, ws, scanId, onProgress);
  const settings = await getSettings(ctx.db, ws, scan.object);
  const autoMerged = await mergeAutoPairs(ctx, ws, scan.object, await autoMergeCandidates(ctx.db, ws, scan.object, settings));
  if (autoMerged) {
    await ctx.db
      .updateTable('dedupe_scans')
      .set({ stats: JSON.stringify({ ...scan.stats, autoMerged }) })
      .where('id', '=', scanId)
      .execute();
  }
  return { ...scan, stats: { ...scan.stats, autoMerged } };
}

/**
 * Queued records (per workspace and object) above which the incremental matcher hands over to a
 * full scan: after a bulk import one pass over every record (a million in under five minutes on a
 * busy 2-core machine, BENCHMARKS.md) beats re-matching them 500 a second for over half an hour.
 */
export const BACKLOG_SCAN_AT = 50_000;
/** How often the loop looks for backlogs while it has more to do (the look groups the whole queue). */
const BACKLOG_CHECK_MS = 60_000;
let lastBacklogCheck = 0;

/**
 * Starts a full scan (as the `dedupe.scan` job) for every workspace and object with more than
 * `minBacklog` queued records and at least a quarter of its live records queued, unless one is
 * running. The scan drops those queue entries when it starts and reads every live record after.
 * Returns the scans started.
 */
export async function scanBacklogs(ctx: Ctx & { jobs: Pick<Jobs, 'enqueue'> }, minBacklog = BACKLOG_SCAN_AT): Promise<string[]> {
  const heavy = await sql<{ workspace_id: string; object: MatchObject; n: string }>`select workspace_id, object, count(*) as n
    from dedupe_queue group by workspace_id, object having count(*) > ${minBacklog}`.execute(ctx.db);
  const started: string[] = [];
  for (const g of heavy.rows) {
    const table = g.object === 'contact' ? 'contacts' : 'accounts';
    const live = await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}
      where workspace_id = ${g.workspace_id} and deleted_at is null`.execute(ctx.db);
    if (Number(g.n) * 4 < Number(live.rows[0]?.n ?? 0)) continue;
    try {
      const scan = await startScan(ctx, systemActor(g.workspace_id, 'duplicate matcher (backlog)'), g.object, ctx.jobs);
      started.push(scan.id);
    } catch (e) {
      // A scan already running will take the backlog (another process may have just started it:
      // the database's unique index on running scans answers 23505).
      const raced = typeof e === 'object' && e !== null && 'code' in e && e.code === '23505';
      if (!(e instanceof AppError && e.code === 'conflict') && !raced) throw e;
    }
  }
  return started;
}

export function dedupeJobs(jobs: Jobs): void {
  // Every write that changes a matching field queues the record (triggers in 0014); this loop
  // re-matches queued records within about a second, in passes of 500 a second.
  jobs.defineLoop({
    name: 'dedupe.queue',
    intervalMs: 1000,
    handler: async (ctx, stop) => {
      const r = await processDedupeQueue(ctx);
      if (r.more && Date.now() - lastBacklogCheck >= BACKLOG_CHECK_MS) {
        lastBacklogCheck = Date.now();
        const scans = await scanBacklogs(ctx);
        if (scans.length) ctx.logger.info({ scans }, 'duplicate matcher backlog handed to full scans');
      }
      const byGroup = new Map<string, { ws: string; object: MatchObject; pairs: Scored[] }>();
      for (const p of r.auto) {
        const k = `${p.ws}|${p.object}`;
        const g = byGroup.get(k) ?? { ws: p.ws, object: p.object, pairs: [] };
        g.pairs.push(p);
        byGroup.set(k, g);
      }
      for (const g of byGroup.values()) await mergeAutoPairs(ctx, g.ws, g.object, g.pairs, stop);
      // Never straight into the next pass: on the embedded database (one connection) an import or
      // an API write waiting behind this loop gets its turn in between. At most 500 records a
      // second; a backlog over BACKLOG_SCAN_AT (a bulk import) becomes a full scan.
      return false;
    },
  });
  jobs.define({
    name: 'dedupe.scan',
    schema: z.object({ workspaceId: z.uuid(), scanId: z.uuid() }).strict(),
    retryLimit: 0,
    expireInSeconds: 2 * 60 * 60,
    handler: async (ctx, data) => {
      const scan = await scanAndMerge(ctx, data.workspaceId, data.scanId);
      ctx.logger.info({ scanId: scan.id, stats: scan.stats }, 'duplicate scan done');
    },
  });
}
