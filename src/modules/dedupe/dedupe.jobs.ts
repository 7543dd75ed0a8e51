import { z } from 'zod';
import { systemActor } from '../../platform/actor.js';
import type { Jobs } from '../../platform/jobs/jobs.js';
import type { Ctx } from './detect.service.js';
import { autoMergeCandidates, processDedupeQueue, runScan, type Scored } from './detect.service.js';
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

export function dedupeJobs(jobs: Jobs): void {
  // Every write that changes a matching field queues the record (triggers in 0014); this loop
  // re-matches queued records within about a second, in passes of 500 a second.
  jobs.defineLoop({
    name: 'dedupe.queue',
    intervalMs: 1000,
    handler: async (ctx, stop) => {
      const r = await processDedupeQueue(ctx);
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
      // second: after a 1M-row import, run a full scan (keel dedupe scan) rather than wait.
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
