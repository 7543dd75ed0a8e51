import { systemActor } from '../../platform/actor.js';
import { recordAudit } from '../../platform/audit/audit.service.js';
import type { Clock } from '../../platform/clock.js';
import type { Db, DbOrTx, Tx } from '../../platform/db/database.js';
import { newId } from '../../platform/ids.js';
import type { RetentionDataType, RetentionRun } from './quality.schema.js';

/**
 * The part of retention every data type shares, tracking's events included (tracking.jobs.ts
 * calls it): read the workspace policies, and run one pass with its record. Kept free of other
 * modules' imports so tracking can use it.
 */

/** Days to keep per workspace, for one data type (workspaces without a policy are absent). */
export async function policyDays(db: DbOrTx, dataType: RetentionDataType): Promise<Map<string, number>> {
  const rows = await db.selectFrom('retention_policies').select(['workspace_id', 'keep_days']).where('data_type', '=', dataType).execute();
  return new Map(rows.map((r) => [r.workspace_id, Number(r.keep_days)]));
}

export interface RetentionPass {
  workspaceId: string;
  dataType: RetentionDataType;
  /** The workspace policy (null: only a finer rule applies, e.g. a source's own retention). */
  keepDays: number | null;
  cutoff: Date | null;
}

export const RETENTION_ACTOR_LABEL = 'retention';

/**
 * Runs `batch` (remove at most `slice` rows, answer how many it removed) until a batch removes
 * fewer than `slice`. Each batch is its own short transaction and raises the pass's `deleted`
 * count in that same transaction, so the record is right even when a pass stops half-way. The
 * last batch closes the pass and, when anything was removed, writes the audit entry saying what
 * and how much, in the same transaction: removing audit entries is itself audited.
 */
export async function runRetentionPass(
  db: Db,
  clock: Clock,
  pass: RetentionPass,
  batch: (trx: Tx, slice: number) => Promise<number>,
  slice = 10_000,
): Promise<RetentionRun> {
  const id = newId();
  const startedAt = clock.now();
  await db
    .insertInto('retention_runs')
    .values({
      id,
      workspace_id: pass.workspaceId,
      data_type: pass.dataType,
      keep_days: pass.keepDays,
      cutoff: pass.cutoff,
      status: 'running',
      started_at: startedAt,
    })
    .execute();
  let deleted = 0;
  const close = async (trx: Tx, status: 'completed' | 'failed', error: string | null) => {
    await trx.updateTable('retention_runs').set({ status, error, finished_at: clock.now(), deleted }).where('id', '=', id).execute();
    if (deleted > 0) {
      await recordAudit(trx, clock, systemActor(pass.workspaceId, RETENTION_ACTOR_LABEL), {
        action: 'retention.applied',
        entityType: 'retention_policy',
        entityId: pass.dataType,
        meta: {
          runId: id,
          dataType: pass.dataType,
          keepDays: pass.keepDays,
          cutoff: pass.cutoff?.toISOString() ?? null,
          deleted,
          status,
        },
      });
    }
  };
  try {
    for (;;) {
      const done = await db.transaction().execute(async (trx) => {
        const n = await batch(trx, slice);
        deleted += n;
        if (n < slice) {
          await close(trx, 'completed', null);
          return true;
        }
        await trx.updateTable('retention_runs').set({ deleted }).where('id', '=', id).execute();
        return false;
      });
      if (done) break;
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // The failed batch rolled back: `deleted` counts only committed ones from here on.
    const committed = await db.selectFrom('retention_runs').select('deleted').where('id', '=', id).executeTakeFirst();
    deleted = Number(committed?.deleted ?? 0);
    await db.transaction().execute((trx) => close(trx, 'failed', message.slice(0, 1000)));
    throw err;
  }
  return {
    id,
    dataType: pass.dataType,
    keepDays: pass.keepDays,
    cutoff: pass.cutoff?.toISOString() ?? null,
    status: 'completed',
    deleted,
    error: null,
    startedAt: startedAt.toISOString(),
    finishedAt: clock.now().toISOString(),
  };
}
