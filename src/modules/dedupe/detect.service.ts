import { sql } from 'kysely';
import type { Actor } from '../../platform/actor.js';
import { recordAudit } from '../../platform/audit/audit.service.js';
import type { Clock } from '../../platform/clock.js';
import type { Db, DbOrTx } from '../../platform/db/database.js';
import { AppError, notFound } from '../../platform/errors.js';
import type { Page } from '../../platform/http/pagination.js';
import { newId } from '../../platform/ids.js';
import type { Jobs } from '../../platform/jobs/jobs.js';
import type { DedupeSettings, DuplicatePair, ScanView } from './dedupe.schema.js';
import {
  blockingKeys,
  blockingKeysPrepared,
  compare,
  comparePrepared,
  countFrequencies,
  frequencyBonus,
  frequencyValues,
  prepare,
  probability,
  type Frequencies,
  type Prepared,
  estimateModel,
  score,
  type Level,
  type MatchModel,
  type MatchObject,
  type MatchRecord,
  type Reason,
} from './matching.js';
import { getSettings, modelOf } from './settings.js';
import { cyrb64 } from '../../platform/hash.js';

export interface Ctx {
  db: Db;
  clock: Clock;
}

const TABLE = { contact: 'contacts', account: 'accounts' } as const;
const MATCH_COLUMNS = {
  contact: sql`r.id, r.email, r.first_name as "firstName", r.last_name as "lastName", r.phone, r.title, r.company, r.city, r.country`,
  account: sql`r.id, r.name, r.domain, r.city, r.country`,
};

/** Live records as matching reads them: by ids, or a page in id order after `after`. */
export async function loadMatchRecords(
  db: DbOrTx,
  ws: string,
  object: MatchObject,
  q: { ids: readonly string[] } | { after: string | null; limit: number },
): Promise<MatchRecord[]> {
  const where = 'ids' in q ? sql`r.id = any(${[...q.ids]}::uuid[])` : q.after ? sql`r.id > ${q.after}` : sql`true`;
  const tail = 'ids' in q ? sql`` : sql`order by r.id limit ${q.limit}`;
  const r = await sql<MatchRecord>`select ${MATCH_COLUMNS[object]} from ${sql.table(TABLE[object])} r
    where r.workspace_id = ${ws} and r.deleted_at is null and ${where} ${tail}`.execute(db);
  return r.rows;
}

/** A scan still running after this long was left by a crashed process: it no longer blocks the next scan nor holds the queue. */
const SCAN_STALE_MS = 3_600_000;

/** Serialises writers of one workspace's keys (the incremental matcher, a full scan's write) until the transaction ends. */
async function lockKeys(db: DbOrTx, ws: string, object: MatchObject): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`dedupe-keys:${ws}:${object}`}, 0))`.execute(db);
}

/** Stores records' blocking keys as `hash40` values (no personal data in the keys table), live records only. */
async function writeKeys(db: DbOrTx, ws: string, object: MatchObject, recs: readonly MatchRecord[]): Promise<number> {
  const ids: string[] = [];
  const keys: number[] = [];
  for (const r of recs)
    for (const k of blockingKeys(object, r)) {
      ids.push(r.id);
      keys.push(hash40(k));
    }
  if (!ids.length) return 0;
  // A record merged or erased since it was read must not get its keys back.
  await sql`insert into dedupe_keys (workspace_id, object, key, record_id)
    select ${ws}, ${object}, t.k, t.id from unnest(${keys}::bigint[], ${ids}::uuid[]) as t(k, id)
    join ${sql.table(TABLE[object])} r on r.id = t.id and r.workspace_id = ${ws} and r.deleted_at is null
    on conflict do nothing`.execute(db);
  return ids.length;
}

/**
 * Rows per statement when a full scan writes its keys: the statement's literals (37 characters a
 * record id) stay small, not in V8's large-object space, which only a full collection frees.
 */
const KEY_WRITE_CHUNK = 5_000;

/**
 * Makes dedupe_keys hold exactly a full scan's keys for the workspace's records, from its sorted
 * packed keys (hash << 24 | record index), changing only what differs: record ids (once) and keys
 * with their record's index go to temporary tables (no index, numbers only), then one statement
 * deletes the stored keys the scan did not find and one inserts, in key order, those not stored
 * yet. A scan again of an unchanged workspace writes almost nothing; the first scan's insert
 * appends to the primary key in its order (the record index is the costly one: at 1M records,
 * 5.3M keys, 30 s with it, 11 s without). Deleting every key first and inserting all again, as
 * before, cost PostgreSQL more than the rest of the scan (BENCHMARKS.md, dedupe). Array parameters
 * go as literals built here (node-postgres escapes each element of a JavaScript array: seconds of
 * the event loop at this size).
 */
async function writeScanKeys(db: Db, ws: string, object: MatchObject, packed: BigUint64Array, ids: readonly string[]): Promise<void> {
  const words = new Uint32Array(packed.buffer, packed.byteOffset, packed.length * 2);
  const drop = sql`drop table if exists pg_temp.dedupe_scan_ids, pg_temp.dedupe_scan_idx, pg_temp.dedupe_scan_keys`;
  await db.connection().execute(async (conn) => {
    await drop.execute(conn);
    try {
      // Record ids once (by index), then each key with its record's index: numbers only.
      await sql`create temporary table dedupe_scan_ids (idx integer not null, id uuid not null)`.execute(conn);
      await sql`create temporary table dedupe_scan_idx (key bigint not null, idx integer not null)`.execute(conn);
      for (let start = 0; start < ids.length; start += KEY_WRITE_CHUNK) {
        const part = ids.slice(start, start + KEY_WRITE_CHUNK);
        await sql`insert into dedupe_scan_ids (idx, id)
          select ${start} + t.n - 1, t.id from unnest(${`{${part.join(',')}}`}::uuid[]) with ordinality as t(id, n)`.execute(conn);
      }
      for (let start = 0; start < packed.length; start += KEY_WRITE_CHUNK) {
        const end = Math.min(packed.length, start + KEY_WRITE_CHUNK);
        let keys = '';
        let idx = '';
        for (let k = start; k < end; k++) {
          // Read as two 32-bit words (little-endian), without a BigInt per key.
          const lo = words[2 * k] as number;
          const hi = words[2 * k + 1] as number;
          // Two keys of one record with the same hash (a collision) are one row.
          if (k > 0 && lo === words[2 * k - 2] && hi === words[2 * k - 1]) continue;
          const sep = keys ? ',' : '';
          keys += sep + String(hi * 256 + (lo >>> 24));
          idx += sep + String(lo & 0xffffff);
        }
        await sql`insert into dedupe_scan_idx (key, idx) select * from unnest(${`{${keys}}`}::bigint[], ${`{${idx}}`}::integer[])`.execute(
          conn,
        );
      }
      await sql`create temporary table dedupe_scan_keys as
        select t.key, i.id as record_id from dedupe_scan_idx t join dedupe_scan_ids i on i.idx = t.idx`.execute(conn);
      await sql`analyze dedupe_scan_keys`.execute(conn);
      await sql`analyze dedupe_scan_ids`.execute(conn);
      // Under the lock the incremental matcher takes to write keys, so the insert needs no ON
      // CONFLICT (11 of 41 s at 1M records, measured); a workspace with no keys yet (its first
      // scan) needs no comparing either.
      await conn.transaction().execute(async (trx) => {
        await lockKeys(trx, ws, object);
        const any = await sql`select 1 from dedupe_keys where workspace_id = ${ws} and object = ${object} limit 1`.execute(trx);
        if (any.rows.length) {
          // Only keys of records the scan read: one created meanwhile keeps what the matcher wrote.
          await sql`delete from dedupe_keys k using dedupe_scan_ids i
            where i.id = k.record_id and k.workspace_id = ${ws} and k.object = ${object}
            and not exists (select 1 from dedupe_scan_keys t where t.key = k.key and t.record_id = k.record_id)`.execute(trx);
          await sql`insert into dedupe_keys (workspace_id, object, key, record_id)
            select ${ws}, ${object}, t.key, t.record_id from dedupe_scan_keys t
            where not exists (select 1 from dedupe_keys k where k.workspace_id = ${ws} and k.object = ${object} and k.key = t.key and k.record_id = t.record_id)
            order by t.key, t.record_id`.execute(trx);
        } else
          await sql`insert into dedupe_keys (workspace_id, object, key, record_id)
            select ${ws}, ${object}, t.key, t.record_id from dedupe_scan_keys t order by t.key, t.record_id`.execute(trx);
      });
    } finally {
      await drop.execute(conn);
    }
  });
}

/**
 * Drops the keys of records a full scan read that are no longer live (merged or erased while it
 * ran: their own delete of keys may have come before the scan wrote them). `ids` are in id order,
 * as the scan read them; the live ids are read again in the same order and compared in one walk.
 */
async function dropKeysOfGone(db: DbOrTx, ws: string, object: MatchObject, ids: readonly string[]): Promise<number> {
  const gone: string[] = [];
  let i = 0;
  let after: string | null = null;
  for (;;) {
    const r = await sql<{ id: string }>`select r.id from ${sql.table(TABLE[object])} r
      where r.workspace_id = ${ws} and r.deleted_at is null ${after ? sql`and r.id > ${after}` : sql``}
      order by r.id limit ${SCAN_PAGE * 10}`.execute(db);
    if (!r.rows.length) break;
    for (const { id } of r.rows) {
      while (i < ids.length && (ids[i] as string) < id) gone.push(ids[i++] as string);
      if (ids[i] === id) i++;
    }
    after = r.rows[r.rows.length - 1]?.id ?? null;
  }
  while (i < ids.length) gone.push(ids[i++] as string);
  for (let k = 0; k < gone.length; k += SCAN_PAGE)
    await db
      .deleteFrom('dedupe_keys')
      .where('workspace_id', '=', ws)
      .where('object', '=', object)
      .where('record_id', 'in', gone.slice(k, k + SCAN_PAGE))
      .execute();
  return gone.length;
}

export interface Scored {
  a: string;
  b: string;
  probability: number;
  reasons: Reason[];
}

function scorePair(model: MatchModel, object: MatchObject, x: MatchRecord, y: MatchRecord, freq?: Frequencies): Scored {
  const [a, b] = x.id < y.id ? [x, y] : [y, x];
  const pa = prepare(a);
  const pb = prepare(b);
  const levels = comparePrepared(object, pa, pb);
  const s = score(model, levels, frequencyBonus(object, freq, pa, pb, levels));
  return { a: a.id, b: b.id, probability: Math.round(s.probability * 1e6) / 1e6, reasons: s.reasons };
}

/**
 * Stores a full scan's term frequencies, replacing the previous ones (values as 64-bit hashes, as
 * the blocking keys are). Fields with too few values to count are left without.
 */
export async function saveFrequencies(db: DbOrTx, ws: string, object: MatchObject, freq: Frequencies, now: Date): Promise<void> {
  await db.deleteFrom('dedupe_value_counts').where('workspace_id', '=', ws).where('object', '=', object).execute();
  await db.deleteFrom('dedupe_field_stats').where('workspace_id', '=', ws).where('object', '=', object).execute();
  for (const [field, f] of Object.entries(freq)) {
    if (!f) continue;
    await db
      .insertInto('dedupe_field_stats')
      .values({ workspace_id: ws, object, field, total: f.total, agree: f.agree, counted_at: now })
      .execute();
    const values = [...f.counts.keys()];
    for (let k = 0; k < values.length; k += 10_000) {
      const vs = values.slice(k, k + 10_000);
      // Two values may share a 64-bit hash (as blocking keys may): their counts add up.
      await sql`insert into dedupe_value_counts (workspace_id, object, field, value_hash, count)
        select ${ws}, ${object}, ${field}, hashtextextended(t.v, 0), sum(t.n)
          from unnest(${vs}::text[], ${vs.map((v) => f.counts.get(v) ?? 0)}::int[]) as t(v, n)
          group by hashtextextended(t.v, 0)
        on conflict (workspace_id, object, field, value_hash) do update set count = dedupe_value_counts.count + excluded.count`.execute(db);
    }
  }
}

/**
 * The term frequencies of the last full scan, for `values` only (what the incremental matcher
 * compares). Undefined before the first scan: the built-in weights alone, as before.
 */
export async function loadFrequencies(
  db: DbOrTx,
  ws: string,
  object: MatchObject,
  values: Record<string, string[]>,
): Promise<Frequencies | undefined> {
  const stats = await db
    .selectFrom('dedupe_field_stats')
    .select(['field', 'total', 'agree'])
    .where('workspace_id', '=', ws)
    .where('object', '=', object)
    .execute();
  if (!stats.length) return undefined;
  const fields: string[] = [];
  const vals: string[] = [];
  for (const s of stats)
    for (const v of values[s.field] ?? []) {
      fields.push(s.field);
      vals.push(v);
    }
  const rows = vals.length
    ? (
        await sql<{ field: string; v: string; count: number }>`select t.f as field, t.v, c.count
          from unnest(${fields}::text[], ${vals}::text[]) as t(f, v)
          join dedupe_value_counts c on c.workspace_id = ${ws} and c.object = ${object} and c.field = t.f
            and c.value_hash = hashtextextended(t.v, 0)`.execute(db)
      ).rows
    : [];
  const out: Frequencies = {};
  for (const s of stats) out[s.field] = { total: s.total, agree: s.agree, counts: new Map() };
  for (const r of rows) out[r.field]?.counts.set(r.v, Number(r.count));
  return out;
}

/**
 * Inserts or rescores pairs; a pair a person (or a merge) already decided keeps its status. With
 * `unchangedSince` (a full scan's start), only pairs whose two records are still live and were not
 * changed since: a record merged, erased or edited during a long scan is left to the incremental
 * matcher, which sees it queued, rather than given the scan's older view of it.
 */
async function upsertPairs(
  db: DbOrTx,
  ws: string,
  object: MatchObject,
  pairs: readonly Scored[],
  now: Date,
  unchangedSince?: Date,
): Promise<void> {
  if (!pairs.length) return;
  const rows = pairs.map((p) => ({ a: p.a, b: p.b, p: p.probability, r: p.reasons }));
  const table = sql.table(TABLE[object]);
  const unchanged = unchangedSince
    ? sql`where exists (select 1 from ${table} x where x.id = t.a and x.deleted_at is null and x.updated_at <= ${unchangedSince})
        and exists (select 1 from ${table} y where y.id = t.b and y.deleted_at is null and y.updated_at <= ${unchangedSince})`
    : sql``;
  await sql`insert into duplicate_pairs (workspace_id, object, a_id, b_id, probability, reasons, status, found_at, scored_at)
    select ${ws}, ${object}, t.a, t.b, t.p, t.r, 'open', ${now}, ${now}
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as t(a uuid, b uuid, p double precision, r jsonb)
      ${unchanged}
    on conflict (workspace_id, object, a_id, b_id) do update
      set probability = excluded.probability, reasons = excluded.reasons, scored_at = excluded.scored_at
      where duplicate_pairs.status = 'open'`.execute(db);
}

/** Candidate partners of `ids` (sharing a key whose block is not larger than `max`). */
async function candidatesOf(db: DbOrTx, ws: string, object: MatchObject, ids: readonly string[], max: number) {
  const r = await sql<{ x: string; y: string }>`select distinct k1.record_id as x, k2.record_id as y
    from dedupe_keys k1
    join dedupe_keys k2 on k2.workspace_id = k1.workspace_id and k2.object = k1.object and k2.key = k1.key and k2.record_id <> k1.record_id
    where k1.workspace_id = ${ws} and k1.object = ${object} and k1.record_id = any(${[...ids]}::uuid[])
      and (select count(*) from (select 1 from dedupe_keys k3 where k3.workspace_id = k1.workspace_id and k3.object = k1.object
             and k3.key = k1.key limit ${max + 1}) s) <= ${max}`.execute(db);
  return r.rows;
}

/**
 * Re-matches changed records: new keys, candidates, scores. Pairs at or above the review
 * threshold are stored; open pairs of these records that no longer qualify are dropped. Returns
 * the open pairs at or above the auto-merge threshold when the workspace turned auto-merge on.
 */
export async function rematch(db: DbOrTx, clock: Clock, ws: string, object: MatchObject, ids: readonly string[]): Promise<Scored[]> {
  if (!ids.length) return [];
  // The key lock lasts until the transaction ends; outside one it would end with its statement.
  if (!db.isTransaction) throw new Error('rematch runs in a transaction');
  await lockKeys(db, ws, object);
  await db.deleteFrom('dedupe_keys').where('workspace_id', '=', ws).where('object', '=', object).where('record_id', 'in', ids).execute();
  const recs = await loadMatchRecords(db, ws, object, { ids });
  await writeKeys(db, ws, object, recs);
  const live = new Set(recs.map((r) => r.id));
  const gone = ids.filter((id) => !live.has(id));
  if (gone.length)
    await sql`delete from duplicate_pairs where workspace_id = ${ws} and object = ${object} and status = 'open'
      and (a_id = any(${gone}::uuid[]) or b_id = any(${gone}::uuid[]))`.execute(db);
  if (!recs.length) return [];
  const settings = await getSettings(db, ws, object);
  const model = modelOf(settings, object);
  const cands = await candidatesOf(db, ws, object, [...live], settings.maxBlockSize);
  const byId = new Map(recs.map((r) => [r.id, r]));
  const others = [...new Set(cands.map((c) => c.y))].filter((id) => !byId.has(id));
  for (const r of others.length ? await loadMatchRecords(db, ws, object, { ids: others }) : []) byId.set(r.id, r);
  const freq = await loadFrequencies(db, ws, object, frequencyValues(object, [...byId.values()].map(prepare)));
  const seen = new Set<string>();
  const keep: Scored[] = [];
  for (const c of cands) {
    const x = byId.get(c.x);
    const y = byId.get(c.y);
    if (!x || !y) continue;
    const k = c.x < c.y ? `${c.x}|${c.y}` : `${c.y}|${c.x}`;
    if (seen.has(k)) continue;
    seen.add(k);
    const s = scorePair(model, object, x, y, freq);
    if (s.probability >= settings.reviewThreshold) keep.push(s);
  }
  const now = clock.now();
  const idList = [...live];
  // Open pairs of these records that did not qualify this time.
  const kept = keep.map((p) => `${p.a}|${p.b}`);
  await sql`delete from duplicate_pairs where workspace_id = ${ws} and object = ${object} and status = 'open'
    and (a_id = any(${idList}::uuid[]) or b_id = any(${idList}::uuid[]))
    and not ((a_id::text || '|' || b_id::text) = any(${kept}::text[]))`.execute(db);
  await upsertPairs(db, ws, object, keep, now);
  if (!settings.autoMerge) return [];
  const auto = keep.filter((p) => p.probability >= settings.autoMergeThreshold);
  if (!auto.length) return [];
  const open = await db
    .selectFrom('duplicate_pairs')
    .select(['a_id', 'b_id'])
    .where('workspace_id', '=', ws)
    .where('object', '=', object)
    .where('status', '=', 'open')
    .where(
      'a_id',
      'in',
      auto.map((p) => p.a),
    )
    .execute();
  const isOpen = new Set(open.map((o) => `${o.a_id}|${o.b_id}`));
  return auto.filter((p) => isOpen.has(`${p.a}|${p.b}`));
}

/** One pass of the incremental matcher over queued records. */
export async function processDedupeQueue(
  ctx: Ctx,
  limit = 500,
): Promise<{ processed: number; more: boolean; auto: Array<Scored & { ws: string; object: MatchObject }> }> {
  return ctx.db.transaction().execute(async (trx) => {
    // Records of a workspace whose full scan is running wait for it to finish: the scan writes the
    // keys it read, over any the incremental matcher would write meanwhile (a scan left running
    // by a crashed process holds them for an hour, as it blocks the next scan).
    const stale = new Date(ctx.clock.now().getTime() - SCAN_STALE_MS);
    const q = await sql<{ workspace_id: string; object: MatchObject; record_id: string }>`delete from dedupe_queue
      where (object, record_id) in (select q.object, q.record_id from dedupe_queue q
        where not exists (select 1 from dedupe_scans s where s.workspace_id = q.workspace_id and s.object = q.object
          and s.status = 'running' and s.started_at >= ${stale})
        order by q.queued_at limit ${limit} for update skip locked)
      returning workspace_id, object, record_id`.execute(trx);
    const groups = new Map<string, { ws: string; object: MatchObject; ids: string[] }>();
    for (const r of q.rows) {
      const k = `${r.workspace_id}|${r.object}`;
      const g = groups.get(k) ?? { ws: r.workspace_id, object: r.object, ids: [] };
      g.ids.push(r.record_id);
      groups.set(k, g);
    }
    const auto: Array<Scored & { ws: string; object: MatchObject }> = [];
    // In one order (rematch takes each group's key lock): two passes never wait on each other crosswise.
    for (const [, g] of [...groups].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
      for (const p of await rematch(trx, ctx.clock, g.ws, g.object, g.ids)) auto.push({ ...p, ws: g.ws, object: g.object });
    return { processed: q.rows.length, more: q.rows.length === limit, auto };
  });
}

// ---- full scans ----------------------------------------------------------------------------------

function scanView(r: {
  id: string;
  object: MatchObject;
  status: 'running' | 'done' | 'failed';
  phase: string;
  done: number;
  total: number;
  stats: Record<string, unknown>;
  error: string | null;
  actor: string;
  started_at: Date;
  finished_at: Date | null;
}): ScanView {
  return {
    id: r.id,
    object: r.object,
    status: r.status,
    phase: r.phase,
    done: r.done,
    total: r.total,
    stats: r.stats,
    error: r.error,
    actor: r.actor,
    startedAt: new Date(r.started_at).toISOString(),
    finishedAt: r.finished_at ? new Date(r.finished_at).toISOString() : null,
  };
}

export async function getScan(db: DbOrTx, ws: string, id: string): Promise<ScanView> {
  const r = await db.selectFrom('dedupe_scans').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
  if (!r) throw notFound('Scan');
  return scanView(r);
}

export async function listScans(db: DbOrTx, ws: string, object?: MatchObject): Promise<ScanView[]> {
  let q = db.selectFrom('dedupe_scans').selectAll().where('workspace_id', '=', ws);
  if (object) q = q.where('object', '=', object);
  return (await q.orderBy('started_at', 'desc').limit(20).execute()).map(scanView);
}

/**
 * Records a scan as running; a second one for the same workspace and object is refused. With
 * `jobs`, the `dedupe.scan` job that runs it is queued in the same transaction, so a crash between
 * the two can leave neither a running scan that nothing runs (blocking the next for an hour) nor
 * a job without its scan. Without (CLI, demo, tests), the caller runs the scan itself.
 */
export async function startScan(ctx: Ctx, actor: Actor, object: MatchObject, jobs?: Pick<Jobs, 'enqueue'>): Promise<ScanView> {
  return ctx.db.transaction().execute(async (trx) => {
    const now = ctx.clock.now();
    // A scan left running by a crashed process for over an hour is marked failed.
    await trx
      .updateTable('dedupe_scans')
      .set({ status: 'failed', error: 'stopped without finishing (the process ended)', finished_at: now })
      .where('workspace_id', '=', actor.workspaceId)
      .where('object', '=', object)
      .where('status', '=', 'running')
      .where('started_at', '<', new Date(now.getTime() - SCAN_STALE_MS))
      .execute();
    const running = await trx
      .selectFrom('dedupe_scans')
      .select('id')
      .where('workspace_id', '=', actor.workspaceId)
      .where('object', '=', object)
      .where('status', '=', 'running')
      .executeTakeFirst();
    if (running) throw new AppError('conflict', `A ${object} duplicate scan is already running (${running.id})`);
    const id = newId();
    await trx
      .insertInto('dedupe_scans')
      .values({
        id,
        workspace_id: actor.workspaceId,
        object,
        status: 'running',
        phase: 'queued',
        stats: '{}',
        actor: actor.label,
        started_at: now,
      })
      .execute();
    await recordAudit(trx, ctx.clock, actor, { action: 'dedupe.scan_started', entityType: 'dedupe_scan', entityId: id, meta: { object } });
    if (jobs) await jobs.enqueue('dedupe.scan', { workspaceId: actor.workspaceId, scanId: id }, { tx: trx, idempotencyKey: id });
    return getScan(trx, actor.workspaceId, id);
  });
}

/** Records read per query by a full scan. */
const SCAN_PAGE = 10_000;
/** A full scan keeps each record's index in 24 bits of its packed keys. */
const MAX_SCAN_RECORDS = 2 ** 24;

const hashOut = new Uint32Array(2);

/** A 40-bit hash of a blocking key (cyrb53's mixing), to group blocks in memory. */
export function hash40(s: string): number {
  cyrb64(s, hashOut);
  return (hashOut[1] ?? 0) * 256 + ((hashOut[0] ?? 0) & 0xff);
}

/**
 * A full scan compares at most this many candidate pairs per record, and never fewer than
 * MIN_PAIR_BUDGET in all (see `candidatePairs`): small and middle-sized workspaces keep every block up
 * to `maxBlockSize`, as the incremental matcher does.
 */
export const MAX_PAIRS_PER_RECORD = 6;
export const MIN_PAIR_BUDGET = 2_000_000;

/**
 * Candidate pairs from packed keys (hash << 24 | record index): every pair of records sharing a
 * block of 2..`maxBlock` records, once, as i * records + j with i < j, ascending. When those blocks
 * would give more than `maxPairs` pairs, the largest blocks are left out (the size limit is lowered
 * until they fit): a block of 100 gives 4,950 pairs, and at a million contacts blocks of common
 * names made 24 million candidates, most of them namesakes; the records of a true pair usually
 * share a smaller block as well (email, mailbox, phone, name at a company). Pairs are counted per
 * shared key, so the budget is conservative. Returns the pairs and the size limit used.
 */
export function candidatePairs(
  packed: BigUint64Array,
  records: number,
  maxBlock: number,
  maxPairs = Number.POSITIVE_INFINITY,
): { codes: Float64Array; blockLimit: number } {
  packed.sort();
  // Block sizes first: how many pairs blocks of each size would give.
  const pairsOfSize = new Float64Array(maxBlock + 1);
  for (let start = 0; start < packed.length;) {
    const end = blockEnd(packed, start);
    const size = end - start;
    if (size >= 2 && size <= maxBlock) pairsOfSize[size] = (pairsOfSize[size] ?? 0) + (size * (size - 1)) / 2;
    start = end;
  }
  let blockLimit = 1;
  let total = 0;
  for (let size = 2; size <= maxBlock; size++) {
    total += pairsOfSize[size] ?? 0;
    if (total > maxPairs) break;
    blockLimit = size;
  }
  let codes = new Float64Array(Math.max(1024, Math.min(total, packed.length * 4)));
  let n = 0;
  const block: number[] = [];
  for (let start = 0; start < packed.length;) {
    const end = blockEnd(packed, start);
    const size = end - start;
    if (size >= 2 && size <= blockLimit) {
      block.length = 0;
      for (let k = start; k < end; k++) block.push(Number((packed[k] as bigint) & 0xffffffn));
      if (n + (size * (size - 1)) / 2 > codes.length) {
        const grown = new Float64Array(Math.max(codes.length * 2, n + size * size));
        grown.set(codes.subarray(0, n));
        codes = grown;
      }
      // Indexes ascend within a block (the sort), so i < j; the same record twice is a hash collision.
      for (let a = 0; a < size; a++)
        for (let b = a + 1; b < size; b++) {
          const i = block[a] as number;
          const j = block[b] as number;
          if (i !== j) codes[n++] = i * records + j;
        }
    }
    start = end;
  }
  const sorted = codes.subarray(0, n).sort();
  let u = 0;
  for (let k = 0; k < sorted.length; k++) if (k === 0 || sorted[k] !== sorted[k - 1]) sorted[u++] = sorted[k] as number;
  return { codes: sorted.slice(0, u), blockLimit };
}

/** The end of the block (run of one key hash) starting at `start` in sorted packed keys. */
function blockEnd(packed: BigUint64Array, start: number): number {
  const h = (packed[start] as bigint) >> 24n;
  let end = start + 1;
  while (end < packed.length && (packed[end] as bigint) >> 24n === h) end++;
  return end;
}

export interface ScanProgress {
  phase: string;
  done: number;
  total: number;
}

/**
 * A full scan: every live record read once and kept in memory (prepared for comparing), its
 * blocking keys grouped in memory (a sorted array of 40-bit key hashes), candidate pairs scored in
 * memory, pairs at or above the review threshold stored in batches, then the keys written to
 * dedupe_keys for the incremental matcher (`writeScanKeys`), stale open pairs dropped. Auto-merges (when on) are left to the caller (`mergeAutoPairs`).
 */
export async function runScan(
  ctx: Ctx,
  ws: string,
  scanId: string,
  onProgress?: (p: ScanProgress) => void | Promise<void>,
): Promise<ScanView> {
  const scan = await getScan(ctx.db, ws, scanId);
  if (scan.status !== 'running') return scan;
  const object = scan.object;
  const t0 = Date.now();
  const startedAt = ctx.clock.now();
  const progress = async (phase: string, done: number, total: number) => {
    await onProgress?.({ phase, done, total });
    await ctx.db.updateTable('dedupe_scans').set({ phase, done, total }).where('id', '=', scanId).execute();
  };
  try {
    const settings = await getSettings(ctx.db, ws, object);
    const model = modelOf(settings, object);
    const total = Number(
      (
        await sql<{
          n: string;
        }>`select count(*) as n from ${sql.table(TABLE[object])} where workspace_id = ${ws} and deleted_at is null`.execute(ctx.db)
      ).rows[0]?.n ?? 0,
    );
    // Refused before anything is dropped (the incremental matcher keeps its keys and queue).
    if (total > MAX_SCAN_RECORDS) throw new AppError('conflict', `A full scan reads at most ${MAX_SCAN_RECORDS} records per workspace`);
    await ctx.db.deleteFrom('dedupe_queue').where('workspace_id', '=', ws).where('object', '=', object).execute();
    await ctx.db.deleteFrom('dedupe_candidates').where('workspace_id', '=', ws).where('object', '=', object).execute();
    // Keys: every live record read once, in id order, prepared and kept in memory, its keys packed
    // with its index. They go to dedupe_keys (for the incremental matcher) once sorted, below.
    await progress('keys', 0, total);
    const ids: string[] = [];
    const prepared: Prepared[] = [];
    let packed = new BigUint64Array(Math.max(1024, total * 6));
    let keys = 0;
    let after: string | null = null;
    for (;;) {
      const batch = await loadMatchRecords(ctx.db, ws, object, { after, limit: SCAN_PAGE });
      if (!batch.length) break;
      if (ids.length + batch.length > MAX_SCAN_RECORDS)
        throw new AppError('conflict', `A full scan reads at most ${MAX_SCAN_RECORDS} records per workspace`);
      for (const r of batch) {
        const index = ids.length;
        const p = prepare(r);
        ids.push(r.id);
        prepared.push(p);
        for (const k of blockingKeysPrepared(object, p)) {
          if (keys === packed.length) {
            const grown = new BigUint64Array(packed.length * 2);
            grown.set(packed);
            packed = grown;
          }
          // High 40 bits: the key's hash; low 24: the record's index (so a sort groups blocks).
          packed[keys++] = (BigInt(hash40(k)) << 24n) | BigInt(index);
        }
      }
      after = batch[batch.length - 1]?.id ?? null;
      await progress('keys', ids.length, total);
    }
    const records = ids.length;
    // How common each name and city is, from every record just read: weighs agreement on them.
    const freq = countFrequencies(object, prepared);
    await saveFrequencies(ctx.db, ws, object, freq, startedAt);

    // Candidates: pairs of records in one block of 2..maxBlockSize records, each pair once.
    await progress('candidates', 0, 0);
    const sortedKeys = packed.subarray(0, keys);
    const { codes: pairCodes, blockLimit } = candidatePairs(
      sortedKeys,
      records,
      settings.maxBlockSize,
      Math.max(MIN_PAIR_BUDGET, MAX_PAIRS_PER_RECORD * records),
    );
    packed = new BigUint64Array(0);
    const candidates = pairCodes.length;

    // Scores, in memory; pairs at or above the review threshold stored in batches.
    let scored = 0;
    let pairs = 0;
    let keep: Scored[] = [];
    await progress('scoring', 0, candidates);
    // One levels object for every pair (filled in place) and its field list, worked out once: millions
    // of short-lived objects were a good part of the scoring's garbage.
    const levels: Record<string, Level | 'missing'> = {};
    let fields: string[] | undefined;
    for (let n = 0; n < pairCodes.length; n++) {
      const code = pairCodes[n] as number;
      const i = Math.floor(code / records);
      const j = code - i * records;
      const pi = prepared[i] as Prepared;
      const pj = prepared[j] as Prepared;
      comparePrepared(object, pi, pj, levels);
      fields ??= Object.keys(levels);
      const extra = frequencyBonus(object, freq, pi, pj, levels);
      // Reasons are built only for pairs that are kept (score copies the levels into them). Records
      // are in id order and i < j, so a < b as the pairs table wants.
      if (Math.round(probability(model, levels, extra, fields) * 1e6) / 1e6 >= settings.reviewThreshold) {
        const s = score(model, levels, extra);
        keep.push({ a: ids[i] as string, b: ids[j] as string, probability: Math.round(s.probability * 1e6) / 1e6, reasons: s.reasons });
      }
      scored++;
      if (keep.length >= 2000 || scored % 50_000 === 0 || n === pairCodes.length - 1) {
        const batch = keep;
        keep = [];
        pairs += batch.length;
        await upsertPairs(ctx.db, ws, object, batch, startedAt, startedAt);
        await progress('scoring', scored, candidates);
      }
    }
    // The keys, sorted by candidatePairs, written once the pairs are scored. Written while scoring
    // (PostgreSQL on the other core) a scan again of 1M records took 65 s instead of 81-94, but the
    // heap grew by about 400 MB over the scoring, even with only PostgreSQL working beside it
    // (measured; perhaps V8's concurrent marking starved of the second core, not verified).
    await writeScanKeys(ctx.db, ws, object, sortedKeys, ids);
    await dropKeysOfGone(ctx.db, ws, object, ids);
    // Open pairs this scan did not find again (records changed or weights moved).
    const stale = await ctx.db
      .deleteFrom('duplicate_pairs')
      .where('workspace_id', '=', ws)
      .where('object', '=', object)
      .where('status', '=', 'open')
      .where('scored_at', '<', startedAt)
      .executeTakeFirst();
    const stats = { records, keys, candidates, blockLimit, pairs, dropped: Number(stale.numDeletedRows), durationMs: Date.now() - t0 };
    await ctx.db
      .updateTable('dedupe_scans')
      .set({
        status: 'done',
        phase: 'done',
        done: candidates,
        total: candidates,
        stats: JSON.stringify(stats),
        finished_at: ctx.clock.now(),
      })
      .where('id', '=', scanId)
      .execute();
  } catch (err) {
    await ctx.db
      .updateTable('dedupe_scans')
      .set({ status: 'failed', error: err instanceof Error ? err.message.slice(0, 500) : String(err), finished_at: ctx.clock.now() })
      .where('id', '=', scanId)
      .execute();
    throw err;
  }
  return getScan(ctx.db, ws, scanId);
}

/** Open pairs at or above the auto-merge threshold, best first (when the workspace turned auto-merge on). */
export async function autoMergeCandidates(db: DbOrTx, ws: string, object: MatchObject, settings: DedupeSettings): Promise<Scored[]> {
  if (!settings.autoMerge) return [];
  const rows = await db
    .selectFrom('duplicate_pairs')
    .select(['a_id', 'b_id', 'probability', 'reasons'])
    .where('workspace_id', '=', ws)
    .where('object', '=', object)
    .where('status', '=', 'open')
    .where('probability', '>=', settings.autoMergeThreshold)
    .orderBy('probability', 'desc')
    .limit(100_000)
    .execute();
  return rows.map((r) => ({ a: r.a_id, b: r.b_id, probability: r.probability, reasons: r.reasons as Reason[] }));
}

// ---- estimating weights --------------------------------------------------------------------------

/** Estimates the match model by EM over a sample of candidate pairs; saves it when asked. */
export async function estimateWeights(
  db: DbOrTx,
  ws: string,
  object: MatchObject,
  sample: number,
): Promise<{ model: MatchModel; pairs: number; weights: Record<string, Partial<Record<Level, number>>> }> {
  const settings = await getSettings(db, ws, object);
  // A sample of candidate pairs: the pairs of randomly chosen blocks (sorting every candidate pair
  // at random would build the whole self-join first: millions of rows in a large workspace). A
  // pair sharing several of the chosen blocks is in the sample once for each.
  const r = await sql<{ a: string; b: string }>`select k1.record_id as a, k2.record_id as b
    from (select key from dedupe_keys where workspace_id = ${ws} and object = ${object}
          group by key having count(*) between 2 and ${settings.maxBlockSize} order by random() limit ${sample}) bl
    join dedupe_keys k1 on k1.workspace_id = ${ws} and k1.object = ${object} and k1.key = bl.key
    join dedupe_keys k2 on k2.workspace_id = ${ws} and k2.object = ${object} and k2.key = bl.key and k1.record_id < k2.record_id
    limit ${sample}`.execute(db);
  if (r.rows.length < 20)
    throw new AppError(
      'conflict',
      `Too few candidate pairs (${r.rows.length}) to estimate weights from: run a scan first, or keep the built-in weights`,
    );
  const ids = [...new Set(r.rows.flatMap((p) => [p.a, p.b]))];
  const byId = new Map((await loadMatchRecords(db, ws, object, { ids })).map((x) => [x.id, x]));
  const vectors = r.rows.flatMap((p) => {
    const x = byId.get(p.a);
    const y = byId.get(p.b);
    return x && y ? [compare(object, x, y)] : [];
  });
  // m, u and the prior all among candidate pairs, as the scores are used: only candidates are ever
  // scored, so u is how often non-duplicates that share a blocking key agree (u measured on random
  // record pairs instead is far smaller, and with it EM called every candidate a duplicate: the
  // benchmark measured a prior of 0.9999).
  const model = estimateModel(vectors, modelOf(settings, object));
  const weights: Record<string, Partial<Record<Level, number>>> = {};
  for (const [f, fm] of Object.entries(model.fields)) {
    weights[f] = {};
    for (const l of Object.keys(fm.m) as Level[]) {
      const m = fm.m[l];
      const u = fm.u[l];
      if (m && u) weights[f][l] = Math.round((Math.log(m / u) / Math.LN2) * 100) / 100;
    }
  }
  return { model, pairs: vectors.length, weights };
}

// ---- reading pairs -------------------------------------------------------------------------------

interface PairCursor {
  p: number;
  a: string;
  b: string;
}
function decodePairCursor(c: string | undefined): PairCursor | null {
  if (!c) return null;
  try {
    const v = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as Partial<PairCursor>;
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
    if (typeof v.p === 'number' && typeof v.a === 'string' && typeof v.b === 'string' && uuid.test(v.a) && uuid.test(v.b))
      return { p: v.p, a: v.a, b: v.b };
  } catch {
    /* fall through */
  }
  throw new AppError('invalid_cursor', 'The cursor is not one this API returned');
}

type PairRow = {
  a_id: string;
  b_id: string;
  object: MatchObject;
  probability: number;
  reasons: Reason[];
  status: DuplicatePair['status'];
  merge_id: string | null;
  found_at: Date;
  decided_by: string | null;
};

async function withRecords(db: DbOrTx, ws: string, object: MatchObject, rows: PairRow[]): Promise<DuplicatePair[]> {
  const ids = [...new Set(rows.flatMap((r) => [r.a_id, r.b_id]))];
  const label =
    object === 'contact'
      ? sql<string>`coalesce(nullif(trim(coalesce(r.first_name, '') || ' ' || coalesce(r.last_name, '')), ''), r.email, '(no name)')`
      : sql<string>`r.name`;
  const email = object === 'contact' ? sql<string | null>`r.email` : sql<string | null>`r.domain`;
  const recs = ids.length
    ? (
        await sql<{ id: string; label: string; email: string | null; deleted: boolean }>`select r.id, ${label} as label, ${email} as email,
          r.deleted_at is not null as deleted from ${sql.table(TABLE[object])} r where r.workspace_id = ${ws} and r.id = any(${ids}::uuid[])`.execute(
          db,
        )
      ).rows
    : [];
  const byId = new Map(recs.map((r) => [r.id, r]));
  return rows.map((r) => ({
    ids: [r.a_id, r.b_id],
    object: r.object,
    probability: r.probability,
    reasons: r.reasons,
    status: r.status,
    mergeId: r.merge_id,
    foundAt: new Date(r.found_at).toISOString(),
    decidedBy: r.decided_by,
    records: [r.a_id, r.b_id].map((id) => byId.get(id) ?? { id, label: '(erased)', email: null, deleted: true }),
  }));
}

/** Pairs at or above the review threshold, most likely first; `status` narrows (default all). */
export async function listPairs(
  db: DbOrTx,
  ws: string,
  q: {
    object: MatchObject;
    status: DuplicatePair['status'] | 'all';
    minProbability?: number;
    limit: number;
    cursor?: string;
    recordId?: string;
  },
): Promise<Page<DuplicatePair>> {
  const c = decodePairCursor(q.cursor);
  let query = db
    .selectFrom('duplicate_pairs')
    .select(['a_id', 'b_id', 'object', 'probability', 'reasons', 'status', 'merge_id', 'found_at', 'decided_by'])
    .where('workspace_id', '=', ws)
    .where('object', '=', q.object);
  if (q.status !== 'all') query = query.where('status', '=', q.status);
  if (q.minProbability !== undefined) query = query.where('probability', '>=', q.minProbability);
  if (q.recordId) {
    const id = q.recordId;
    query = query.where((eb) => eb.or([eb('a_id', '=', id), eb('b_id', '=', id)]));
  }
  if (c)
    query = query.where(sql<boolean>`(probability < ${c.p} or (probability = ${c.p} and (a_id, b_id) > (${c.a}::uuid, ${c.b}::uuid)))`);
  const rows = (await query
    .orderBy('probability', 'desc')
    .orderBy('a_id')
    .orderBy('b_id')
    .limit(q.limit + 1)
    .execute()) as PairRow[];
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    data: await withRecords(db, ws, q.object, page),
    nextCursor:
      rows.length > q.limit && last
        ? Buffer.from(JSON.stringify({ p: last.probability, a: last.a_id, b: last.b_id })).toString('base64url')
        : null,
  };
}

/** Counts per status, for the review queue's tabs. */
export async function pairCounts(db: DbOrTx, ws: string, object: MatchObject): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('duplicate_pairs')
    .select(['status', sql<string>`count(*)`.as('n')])
    .where('workspace_id', '=', ws)
    .where('object', '=', object)
    .groupBy('status')
    .execute();
  const out: Record<string, number> = { open: 0, merged: 0, auto_merged: 0, dismissed: 0 };
  for (const r of rows) out[r.status] = Number(r.n);
  return out;
}

/** "Not the same": the pair leaves the queue and is never proposed again. */
export async function dismissPair(ctx: Ctx, actor: Actor, object: MatchObject, ids: [string, string]): Promise<DuplicatePair> {
  const [a, b] = ids[0] < ids[1] ? ids : [ids[1], ids[0]];
  if (a === b) throw new AppError('validation_failed', 'The two ids are the same record');
  return ctx.db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('duplicate_pairs')
      .selectAll()
      .where('workspace_id', '=', actor.workspaceId)
      .where('object', '=', object)
      .where('a_id', '=', a)
      .where('b_id', '=', b)
      .forUpdate()
      .executeTakeFirst();
    if (!row) throw notFound('Duplicate pair');
    if (row.status === 'merged' || row.status === 'auto_merged')
      throw new AppError('conflict', 'This pair was merged: undo the merge instead');
    if (row.status !== 'dismissed') {
      await trx
        .updateTable('duplicate_pairs')
        .set({ status: 'dismissed', decided_by: actor.label, decided_at: ctx.clock.now() })
        .where('workspace_id', '=', actor.workspaceId)
        .where('object', '=', object)
        .where('a_id', '=', a)
        .where('b_id', '=', b)
        .execute();
      await recordAudit(trx, ctx.clock, actor, {
        action: 'dedupe.pair_dismissed',
        entityType: object,
        entityId: a,
        meta: { ids: [a, b], probability: row.probability },
      });
    }
    const page = await listPairs(trx, actor.workspaceId, { object, status: 'all', limit: 200, recordId: a });
    const found = page.data.find((p) => p.ids[1] === b);
    if (!found) throw notFound('Duplicate pair');
    return found;
  });
}
