import { rm } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'kysely';
import type { Actor } from '../../platform/actor.js';
import { recordAudit } from '../../platform/audit/audit.service.js';
import type { Clock } from '../../platform/clock.js';
import type { Db, DbOrTx, Tx } from '../../platform/db/database.js';
import { decodeCursor, toPage, type Page } from '../../platform/http/pagination.js';
import type { Logger } from '../../platform/logger.js';
import { importDir } from '../imports/imports.service.js';
import {
  retentionDataTypes,
  retentionTypes,
  type ListRetentionRunsQuery,
  type PutRetentionPolicies,
  type RetentionDataType,
  type RetentionPolicy,
  type RetentionRun,
} from './quality.schema.js';
import { runRetentionPass } from './retention-runs.js';

export interface Ctx {
  db: Db;
  clock: Clock;
}

const DAY = 86_400_000;

type RunRow = {
  id: string;
  data_type: string;
  keep_days: number | null;
  cutoff: Date | null;
  status: 'running' | 'completed' | 'failed';
  deleted: string;
  error: string | null;
  started_at: Date;
  finished_at: Date | null;
};

function runView(r: RunRow): RetentionRun {
  return {
    id: r.id,
    dataType: r.data_type,
    keepDays: r.keep_days === null ? null : Number(r.keep_days),
    cutoff: r.cutoff ? new Date(r.cutoff).toISOString() : null,
    status: r.status,
    deleted: Number(r.deleted),
    error: r.error,
    startedAt: new Date(r.started_at).toISOString(),
    finishedAt: r.finished_at ? new Date(r.finished_at).toISOString() : null,
  };
}

/** Every data type with the workspace's policy (or none: kept for good) and its last pass. */
export async function retentionPolicies(db: DbOrTx, ws: string): Promise<RetentionPolicy[]> {
  const rows = await db.selectFrom('retention_policies').selectAll().where('workspace_id', '=', ws).execute();
  const last = await sql<RunRow>`select distinct on (data_type) * from retention_runs where workspace_id = ${ws}
    order by data_type, started_at desc, id desc`.execute(db);
  return retentionDataTypes.map((t) => {
    const p = rows.find((r) => r.data_type === t);
    const run = last.rows.find((r) => r.data_type === t);
    return {
      dataType: t,
      ...retentionTypes[t],
      keepDays: p ? Number(p.keep_days) : null,
      updatedBy: p?.updated_by ?? null,
      updatedAt: p ? new Date(p.updated_at).toISOString() : null,
      lastRun: run ? runView(run) : null,
    };
  });
}

/**
 * Replaces the workspace's retention policies with `input` (a type left out or null is kept for
 * good). Only changed types are written; one audit entry with the days before and after.
 */
export async function setRetentionPolicies(ctx: Ctx, actor: Actor, input: PutRetentionPolicies): Promise<RetentionPolicy[]> {
  return ctx.db.transaction().execute(async (trx) => {
    const current = await trx
      .selectFrom('retention_policies')
      .select(['data_type', 'keep_days'])
      .where('workspace_id', '=', actor.workspaceId)
      .forUpdate()
      .execute();
    const before: Record<string, number | null> = {};
    const after: Record<string, number | null> = {};
    for (const t of retentionDataTypes) {
      const was = current.find((c) => c.data_type === t);
      const old = was ? Number(was.keep_days) : null;
      const next = input[t] ?? null;
      if (old === next) continue;
      before[t] = old;
      after[t] = next;
      if (next === null) {
        await trx.deleteFrom('retention_policies').where('workspace_id', '=', actor.workspaceId).where('data_type', '=', t).execute();
      } else {
        const values = { keep_days: next, updated_by: actor.label, updated_at: ctx.clock.now() };
        await trx
          .insertInto('retention_policies')
          .values({ workspace_id: actor.workspaceId, data_type: t, ...values })
          .onConflict((oc) => oc.columns(['workspace_id', 'data_type']).doUpdateSet(values))
          .execute();
      }
    }
    if (Object.keys(after).length > 0) {
      await recordAudit(trx, ctx.clock, actor, { action: 'retention_policy.updated', entityType: 'retention_policy', before, after });
    }
    return retentionPolicies(trx, actor.workspaceId);
  });
}

export async function listRetentionRuns(db: DbOrTx, ws: string, q: ListRetentionRunsQuery): Promise<Page<RetentionRun>> {
  const after = decodeCursor(q.cursor);
  let query = db.selectFrom('retention_runs').selectAll().where('workspace_id', '=', ws);
  if (after) query = query.where('id', '<', after);
  if (q.dataType) query = query.where('data_type', '=', q.dataType);
  const rows = await query
    .orderBy('id', 'desc')
    .limit(q.limit + 1)
    .execute();
  return toPage(rows.map(runView), q.limit);
}

/** One batch of one data type: remove at most `slice` of the workspace's rows older than `cutoff`. */
type Deleter = (trx: Tx, ws: string, cutoff: Date, slice: number) => Promise<number>;

const affected = (r: { numAffectedRows?: bigint }) => Number(r.numAffectedRows ?? 0);

/** Statuses in which an import no longer reads its file: finished, or waiting for a person who never came back. */
const IMPORT_DONE = ['completed', 'failed', 'undone', 'uploaded', 'ready'];

function deleters(filesDir: string, clock: Clock): Record<Exclude<RetentionDataType, 'events'>, Deleter> {
  const inImports = path.resolve(importDir(filesDir)) + path.sep;
  return {
    touchpoints: async (trx, ws, cutoff, slice) =>
      affected(
        await sql`delete from touchpoints where id in (
          select id from touchpoints where workspace_id = ${ws} and ts < ${cutoff} limit ${slice})`.execute(trx),
      ),
    audit_log: async (trx, ws, cutoff, slice) =>
      affected(
        await sql`delete from audit_log where id in (
          select id from audit_log where workspace_id = ${ws} and occurred_at < ${cutoff} limit ${slice})`.execute(trx),
      ),
    segment_membership_log: async (trx, ws, cutoff, slice) =>
      affected(
        await sql`delete from segment_membership_log where id in (
          select id from segment_membership_log where workspace_id = ${ws} and at < ${cutoff} limit ${slice})`.execute(trx),
      ),
    // A consent change goes only once a later applied change replaced it, and that one too is
    // older than the cutoff: the current consent's evidence is never removed, and the evidence
    // of a consent stays for the policy's days after the processing it allowed ended.
    consent_events: async (trx, ws, cutoff, slice) =>
      affected(
        await sql`delete from consent_events where id in (
          select ce.id from consent_events ce
          where ce.workspace_id = ${ws} and ce.at < ${cutoff}
            and exists (select 1 from consent_events later
              where later.contact_id = ce.contact_id and later.purpose = ce.purpose and later.applied
                and later.at > ce.at and later.at < ${cutoff})
          limit ${slice})`.execute(trx),
      ),
    // Files are removed only from Keel's own imports folder: a CLI import reads the user's file
    // where it lies, and that file is not Keel's to delete.
    import_files: async (trx, ws, cutoff, slice) => {
      const rows = await trx
        .selectFrom('imports')
        .select(['id', 'status', 'file_path', 'error_file'])
        .where('workspace_id', '=', ws)
        .where('created_at', '<', cutoff)
        .where('files_removed_at', 'is', null)
        .where('status', 'in', IMPORT_DONE)
        .orderBy('id')
        .limit(slice)
        .forUpdate()
        .execute();
      for (const r of rows) {
        for (const f of [r.file_path, r.error_file]) {
          if (f && path.resolve(f).startsWith(inImports)) await rm(f, { force: true });
        }
        const abandoned = r.status === 'uploaded' || r.status === 'ready';
        await trx
          .updateTable('imports')
          .set({
            files_removed_at: clock.now(),
            sample: '[]',
            dry_run: null,
            error_file: null,
            ...(abandoned && { status: 'failed', failure: 'The file was removed by the retention policy before the import ran' }),
          })
          .where('id', '=', r.id)
          .execute();
      }
      return rows.length;
    },
  };
}

/**
 * Applies every workspace policy except events (tracking.retention applies that one, together
 * with each source's own retention): one pass per workspace and data type, in batches.
 */
export async function applyRetentionPolicies(
  ctx: Ctx,
  filesDir: string,
  opts: { workspaceId?: string; slice?: number; logger?: Logger } = {},
): Promise<RetentionRun[]> {
  let q = ctx.db.selectFrom('retention_policies').selectAll().where('data_type', '<>', 'events');
  if (opts.workspaceId) q = q.where('workspace_id', '=', opts.workspaceId);
  const policies = await q.orderBy('workspace_id').orderBy('data_type').execute();
  const del = deleters(filesDir, ctx.clock);
  const runs: RetentionRun[] = [];
  let failure: unknown = null;
  for (const p of policies) {
    const t = p.data_type as Exclude<RetentionDataType, 'events'>;
    const keepDays = Number(p.keep_days);
    const cutoff = new Date(ctx.clock.now().getTime() - keepDays * DAY);
    try {
      runs.push(
        await runRetentionPass(
          ctx.db,
          ctx.clock,
          { workspaceId: p.workspace_id, dataType: t, keepDays, cutoff },
          (trx, slice) => del[t](trx, p.workspace_id, cutoff, slice),
          opts.slice,
        ),
      );
    } catch (err) {
      // One type failing does not keep the others from running; the pass is recorded as failed.
      opts.logger?.error({ err, workspaceId: p.workspace_id, dataType: t }, 'retention pass failed');
      failure ??= err;
    }
  }
  // The job fails (and is retried) when a pass failed; passes are idempotent.
  if (failure) throw failure;
  return runs;
}
