import { sql } from 'kysely';
import type { Clock } from '../../platform/clock.js';
import type { Db, DbOrTx } from '../../platform/db/database.js';
import {
  compileModel,
  engagementAggregatesSql,
  readAggregates,
  scoreContacts,
  type CompiledModel,
  type RuleAggregate,
  type ScoredContact,
} from './scoring.engine.js';
import { readsAnyOf } from '../segments/segments.membership.js';
import { modelDefinitionSchema } from './scoring.schema.js';
import { sdb } from './scoring.tables.js';

/**
 * Keeping contact_scores current. Writers never call this module: triggers (migration 0018) put
 * every changed contact on `scoring_queue` in the writer's own transaction; the `scoring.queue`
 * loop rescores only those contacts with every published model of their workspace. A full
 * recompute (`scoring.recompute`, after a publish or on request) scores a whole model in chunks,
 * and a daily run recomputes every published model, because decay and time-window conditions
 * change scores with no write at all.
 */

/** Serialises score writers of one workspace, so an older evaluation never lands after a newer one. */
async function lockWorkspace(trx: DbOrTx, ws: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`scoring:${ws}`}, 0))`.execute(trx);
}

/** Upserts scores; rows whose score, band and explanation did not change are not rewritten. */
async function storeScores(trx: DbOrTx, ws: string, modelId: string, scored: readonly ScoredContact[], now: Date): Promise<void> {
  if (scored.length === 0) return;
  const rows = JSON.stringify(scored.map((s) => ({ contact_id: s.contactId, score: s.score, band: s.band, explanation: s.explanation })));
  await sql`insert into contact_scores (workspace_id, model_id, contact_id, score, band, explanation, computed_at)
    select ${ws}::uuid, ${modelId}::uuid, x.contact_id, x.score, x.band, x.explanation, ${now}::timestamptz
    from jsonb_to_recordset(${rows}::jsonb) as x(contact_id uuid, score float8, band text, explanation jsonb)
    on conflict (model_id, contact_id) do update
      set score = excluded.score, band = excluded.band, explanation = excluded.explanation, computed_at = excluded.computed_at
      where contact_scores.score is distinct from excluded.score or contact_scores.band is distinct from excluded.band
         or contact_scores.explanation is distinct from excluded.explanation`.execute(trx);
}

/** Drops scores of the given contacts that are no longer live (deleted, merged away). */
async function dropGone(trx: DbOrTx, modelId: string, ids: readonly string[], kept: readonly ScoredContact[]): Promise<void> {
  const keep = new Set(kept.map((s) => s.contactId));
  const gone = ids.filter((id) => !keep.has(id));
  if (gone.length) await sdb(trx).deleteFrom('contact_scores').where('model_id', '=', modelId).where('contact_id', 'in', gone).execute();
}

interface PublishedModel {
  id: string;
  workspace_id: string;
  published_version: number;
  definition: unknown;
}

async function publishedModels(db: DbOrTx, opts: { ws?: string; id?: string }): Promise<PublishedModel[]> {
  let q = sdb(db)
    .selectFrom('scoring_models as m')
    .innerJoin('scoring_model_versions as v', (j) => j.onRef('v.model_id', '=', 'm.id').onRef('v.version', '=', 'm.published_version'))
    .select(['m.id', 'm.workspace_id', 'v.version as published_version', 'v.definition'])
    .where('m.deleted_at', 'is', null);
  if (opts.ws) q = q.where('m.workspace_id', '=', opts.ws);
  if (opts.id) q = q.where('m.id', '=', opts.id);
  return q.orderBy('m.id').execute();
}

async function compilePublished(db: DbOrTx, m: PublishedModel, now: Date): Promise<CompiledModel> {
  return compileModel(db, m.workspace_id, now, modelDefinitionSchema.parse(m.definition));
}

export const CHUNK = 5000;

/** A run whose heartbeat is older than this is taken for dead (its process was killed). */
export const STALE_RUN = '30 minutes';

export interface RecomputeResult {
  scored: number;
  /** False when the model was unpublished, deleted or republished meanwhile (the newer run takes over). */
  completed: boolean;
}

/** The run's own aggregate table; the id is the run's bigint, so the name is never user input. */
const aggTable = (runId: string) => sql.table(`scoring_recompute_agg_${BigInt(runId).toString()}`);

/**
 * Ends a run: drops its aggregate table, forgets it, and queues again the contacts the queue noted
 * while it ran (see `recomputeModel`); the notes go once no run of the workspace is left.
 */
async function endRun(db: Db, ws: string, runId: string, opts: { ifStale?: boolean } = {}): Promise<boolean> {
  const ended = await db.transaction().execute(async (trx) => {
    await lockWorkspace(trx, ws);
    // Another process's run is ended only if it is still silent now, under the workspace lock.
    const gone = await sql`delete from scoring_recompute_runs where id = ${runId}::bigint
      ${opts.ifStale ? sql`and heartbeat_at < clock_timestamp() - ${STALE_RUN}::interval` : sql``} returning id`.execute(trx);
    if (opts.ifStale && gone.rows.length === 0) return false;
    await sql`insert into scoring_queue (workspace_id, contact_id)
      select workspace_id, contact_id from scoring_rescored where workspace_id = ${ws}`.execute(trx);
    await sql`delete from scoring_rescored r where r.workspace_id = ${ws}
      and not exists (select 1 from scoring_recompute_runs x where x.workspace_id = ${ws})`.execute(trx);
    return true;
  });
  // A slow run whose row was taken meanwhile finds it gone at its next chunk and stops.
  if (ended) await sql`drop table if exists ${aggTable(runId)}`.execute(db);
  return ended;
}

/**
 * Ends the runs of dead processes (heartbeat older than STALE_RUN, by the database's clock, which
 * every process shares). Called at the start of every recompute, so the daily run clears them at
 * the latest. Returns how many it ended.
 */
export async function endStaleRuns(db: Db): Promise<number> {
  const stale = await sql<{ id: string; workspace_id: string }>`select id::text as id, workspace_id from scoring_recompute_runs
    where heartbeat_at < clock_timestamp() - ${STALE_RUN}::interval order by id`.execute(db);
  let n = 0;
  for (const r of stale.rows) if (await endRun(db, r.workspace_id, r.id, { ifStale: true })) n++;
  return n;
}

/**
 * Scores every live contact of the workspace with the model's published version, in chunks of
 * `chunk` contacts (one transaction each), then drops rows of contacts no longer live.
 *
 * Speed (issue 8: 1M contacts, 20M events): the engagement aggregates of every contact come from
 * one pass over the workspace's matching activity at the start, kept in an unlogged table of the
 * run's own (`scoring_recompute_agg_<run id>`); each chunk then reads its contacts' rows from it by
 * index. Scoring chunk by chunk straight from the events made PostgreSQL scan all of the
 * workspace's matching events once per chunk (200 scans at 1M contacts). The aggregates are the
 * very query the queue and the preview run (`engagementAggregatesSql`), so scores and explanations
 * are the same. A regular table rather than a temporary one: the run holds no connection between
 * chunks (on the embedded database, with its one connection, requests and loops go on between
 * them), and it works behind a transaction-mode pooler.
 *
 * The pass is a snapshot: a contact the queue rescored after it (fresher) could be overwritten by
 * its chunk. So the run is listed in `scoring_recompute_runs` before the snapshot, the queue notes
 * what it rescores meanwhile (`scoring_rescored`), and the run queues those contacts again at its
 * end, stale or not. Each chunk beats the run's heartbeat; see `endStaleRuns` for dead runs.
 */
export async function recomputeModel(
  db: Db,
  clock: Clock,
  modelId: string,
  opts: { chunk?: number; stop?: AbortSignal } = {},
): Promise<RecomputeResult> {
  await endStaleRuns(db);
  const [model] = await publishedModels(db, { id: modelId });
  if (!model) return { scored: 0, completed: false };
  const ws = model.workspace_id;
  const now = clock.now();
  const compiled = await compilePublished(db, model, now);
  // Hand-written SQL for the run bookkeeping (migrations 0022, 0023): small tables of this file's own.
  const run = await sql<{ id: string }>`insert into scoring_recompute_runs (workspace_id, model_id)
    values (${ws}, ${modelId}) returning id::text as id`.execute(db);
  const runId = run.rows[0]?.id ?? '0';
  try {
    const aggSql = engagementAggregatesSql(ws, compiled, null);
    if (aggSql) {
      const table = aggTable(runId);
      await db.transaction().execute(async (trx) => {
        // One big sort of every occurrence: in memory rather than in temporary files, and without
        // JIT, which compiled this plan for over a second (of 6.6 s at 20,000 contacts).
        await sql`set local work_mem = '256MB'`.execute(trx);
        await sql`set local jit = off`.execute(trx);
        // CREATE TABLE AS, not INSERT ... SELECT: only the former may run the scans in parallel.
        // Unlogged: it lives for one run, and a crash ends the run anyway.
        await sql`create unlogged table ${table} as ${aggSql}`.execute(trx);
        await sql`create index on ${table} (contact_id)`.execute(trx);
        await sql`analyze ${table}`.execute(trx);
        await sql`update scoring_recompute_runs set heartbeat_at = clock_timestamp() where id = ${runId}::bigint`.execute(trx);
      });
    }
    return await scoreInChunks(db, ws, modelId, model.published_version, compiled, now, runId, aggSql !== null, opts);
  } finally {
    await endRun(db, ws, runId);
  }
}

async function scoreInChunks(
  db: Db,
  ws: string,
  modelId: string,
  version: number,
  compiled: CompiledModel,
  now: Date,
  runId: string,
  hasAggregates: boolean,
  opts: { chunk?: number; stop?: AbortSignal },
): Promise<RecomputeResult> {
  let after: string | null = null;
  let scored = 0;
  for (;;) {
    if (opts.stop?.aborted) return { scored, completed: false };
    const done: boolean | 'stale' = await db.transaction().execute(async (trx) => {
      await lockWorkspace(trx, ws);
      const beat = await sql`update scoring_recompute_runs set heartbeat_at = clock_timestamp() where id = ${runId}::bigint`.execute(trx);
      // Taken for dead by another process (silent too long): its table may be gone; stop.
      if (Number(beat.numAffectedRows ?? 0) === 0) return 'stale';
      const current = await sdb(trx)
        .selectFrom('scoring_models')
        .select('published_version')
        .where('id', '=', modelId)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      if (current?.published_version !== version) return 'stale';
      let q = trx
        .selectFrom('contacts')
        .select('id')
        .where('workspace_id', '=', ws)
        .where('deleted_at', 'is', null)
        .orderBy('id')
        .limit(opts.chunk ?? CHUNK);
      if (after) q = q.where('id', '>', after);
      const ids = (await q.execute()).map((r) => r.id);
      if (ids.length === 0) return true;
      after = ids[ids.length - 1] ?? null;
      const aggregates = async (chunk: readonly string[]): Promise<RuleAggregate[]> =>
        hasAggregates
          ? readAggregates(
              (
                await sql<RuleAggregate>`select contact_id, rule, n, kept_w, kept_c, decayed, recent
                  from ${aggTable(runId)} where contact_id = any(${[...chunk]}::uuid[])`.execute(trx)
              ).rows,
            )
          : [];
      const result = await scoreContacts(trx, ws, compiled, ids, aggregates);
      await storeScores(trx, ws, modelId, result, now);
      scored += result.length;
      return false;
    });
    if (done === 'stale') return { scored, completed: false };
    if (done) break;
  }
  await db.transaction().execute(async (trx) => {
    await lockWorkspace(trx, ws);
    await sql`delete from contact_scores s where s.model_id = ${modelId}
      and not exists (select 1 from contacts c where c.id = s.contact_id and c.workspace_id = ${ws} and c.deleted_at is null)`.execute(trx);
    await sdb(trx).updateTable('scoring_models').set({ computed_at: now }).where('id', '=', modelId).execute();
  });
  return { scored, completed: true };
}

/** Recomputes every published model (the daily run: decay and time windows move without writes). */
export async function recomputeAll(db: Db, clock: Clock, stop?: AbortSignal): Promise<number> {
  const models = await publishedModels(db, {});
  let n = 0;
  for (const m of models) {
    if (stop?.aborted) break;
    if ((await recomputeModel(db, clock, m.id, { stop })).completed) n++;
  }
  return n;
}

export interface QueueRun {
  /** Queue entries taken, distinct contacts taken, and the oldest entry's wait in ms. */
  taken: number;
  contacts: number;
  maxLagMs: number;
  /** Contact x model scorings the pass made. */
  scored: number;
}

/**
 * Whether a contact's queued changes can move a model's score: any change other than new activity
 * (kinds null), or new activity of a kind the model reads. Skipped contacts keep their stored score,
 * as any contact without changes does until the daily run refreshes decay.
 */
export function modelReads(m: Pick<CompiledModel, 'reads'>, kinds: ReadonlySet<string> | null): boolean {
  return readsAnyOf(m.reads, kinds);
}

/**
 * One pass over the queue: takes up to `batch` entries (skipping those another worker holds),
 * rescores their contacts with every published model of their workspace and deletes the entries,
 * all in one transaction: a crash leaves the entries for the next pass.
 */
export async function processScoringQueue(db: Db, clock: Clock, batch = 5000): Promise<QueueRun> {
  return db.transaction().execute(async (trx) => {
    const taken = await sql<{ workspace_id: string; contact_id: string; kinds: string[] | null; queued_at: Date }>`
      delete from scoring_queue where id in (
        select id from scoring_queue order by id limit ${batch} for update skip locked
      ) returning workspace_id, contact_id, kinds, queued_at`.execute(trx);
    const run: QueueRun = { taken: taken.rows.length, contacts: 0, maxLagMs: 0, scored: 0 };
    if (taken.rows.length === 0) return run;
    // Short statements over a few thousand contacts: no JIT (see the segments queue).
    await sql`set local jit = off`.execute(trx);
    // Per workspace and contact: the kinds of new activity queued, null when some entry is another change.
    const byWs = new Map<string, Map<string, Set<string> | null>>();
    for (const row of taken.rows) {
      const contacts = byWs.get(row.workspace_id) ?? new Map<string, Set<string> | null>();
      byWs.set(row.workspace_id, contacts);
      const known = contacts.get(row.contact_id);
      if (row.kinds === null || known === null) contacts.set(row.contact_id, null);
      else if (known) for (const k of row.kinds) known.add(k);
      else contacts.set(row.contact_id, new Set(row.kinds));
      run.maxLagMs = Math.max(run.maxLagMs, Date.now() - new Date(row.queued_at).getTime());
    }
    for (const [ws, contacts] of [...byWs].sort(([a], [b]) => a.localeCompare(b))) {
      await lockWorkspace(trx, ws);
      const all = [...contacts.keys()].sort();
      run.contacts += all.length;
      const now = clock.now();
      for (const model of await publishedModels(trx, { ws })) {
        const compiled = await compilePublished(trx, model, now);
        const ids = all.filter((id) => modelReads(compiled, contacts.get(id) ?? null));
        if (ids.length === 0) continue;
        run.scored += ids.length;
        const result = await scoreContacts(trx, ws, compiled, ids);
        await storeScores(trx, ws, model.id, result, now);
        await dropGone(trx, model.id, ids, result);
      }
      // A full recompute of this workspace is running from an older snapshot: note these contacts,
      // which it queues again when it ends (see recomputeModel).
      await sql`insert into scoring_rescored (workspace_id, contact_id)
        select ${ws}::uuid, c from unnest(${all}::uuid[]) as c
        where exists (select 1 from scoring_recompute_runs r where r.workspace_id = ${ws}
          and r.heartbeat_at >= clock_timestamp() - ${STALE_RUN}::interval)
        on conflict do nothing`.execute(trx);
    }
    return run;
  });
}

/** Drains the queue (up to `maxBatches` passes); true when entries are left. */
export async function drainScoringQueue(
  db: Db,
  clock: Clock,
  opts: { batch?: number; maxBatches?: number; stop?: AbortSignal } = {},
): Promise<boolean> {
  const max = opts.maxBatches ?? 20;
  const batch = opts.batch ?? 5000;
  for (let i = 0; i < max; i++) {
    if (opts.stop?.aborted) return true;
    const run = await processScoringQueue(db, clock, batch);
    if (run.taken < batch) return false;
  }
  return true;
}
