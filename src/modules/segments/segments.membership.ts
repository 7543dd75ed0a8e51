import { sql, type RawBuilder } from 'kysely';
import type { Clock } from '../../platform/clock.js';
import type { Db, DbOrTx } from '../../platform/db/database.js';
import { compileContext, compileNode, type EdgeQuery } from './segments.compiler.js';
import type { Cause } from './segments.registry.js';
import type { SegmentNode } from './segments.schema.js';

/**
 * Segment membership kept current. Writers never call this module: triggers (migration 0007) put
 * every changed contact on `segment_queue` in the writer's own transaction, with what changed.
 * The queue worker re-evaluates only those contacts, and only for the segments the change can
 * affect; a scheduled pass re-evaluates segments whose truth moves with time ("in the last 30
 * days"); a rebuild evaluates a whole segment. All three apply the same diff, so every entry and
 * exit lands in `segment_membership_log` with its time and reason, in the same transaction as the
 * membership itself.
 */
export interface CompiledSegment {
  cond: RawBuilder<unknown>;
  deps: Set<Cause>;
  /** Kinds of activity it reads (see `CompileContext.reads`). */
  reads: Set<string>;
  timed: boolean;
  /** What moves with time, for the time-window pass (see `CompileContext.edges`). */
  edges: { queries: EdgeQuery[]; known: boolean };
  refs: { segments: Set<string>; lists: Set<string> };
}

export async function compileSegment(
  db: DbOrTx,
  ws: string,
  now: Date,
  definition: SegmentNode,
  selfId?: string,
  opts: { asOf?: boolean; contacts?: readonly string[] } = {},
): Promise<CompiledSegment> {
  const ctx = await compileContext(db, ws, now, opts.asOf ?? false, opts.contacts ?? null);
  if (selfId) ctx.path.push(selfId);
  const cond = await compileNode(ctx, definition);
  return { cond, deps: ctx.deps, reads: ctx.reads, timed: ctx.timed.value, edges: ctx.edges, refs: ctx.refs };
}

export interface Diff {
  entered: number;
  exited: number;
}

/** Serialises membership writers of one workspace, so two evaluations never cross. */
async function lockWorkspace(trx: DbOrTx, ws: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`segments:${ws}`}, 0))`.execute(trx);
}

/**
 * Brings the stored membership of one segment in line with its condition, for the given contacts
 * or (without `ids`) for the whole workspace, logging each entry and exit. One statement.
 */
async function applyDiff(
  trx: DbOrTx,
  ws: string,
  segmentId: string,
  cond: RawBuilder<unknown>,
  now: Date,
  reason: string,
  ids?: readonly string[],
): Promise<Diff> {
  const onlyContacts = ids ? sql`and r.id = any(${[...ids]}::uuid[])` : sql``;
  const onlyMembers = ids ? sql`and m.contact_id = any(${[...ids]}::uuid[])` : sql``;
  const r = await sql<{ entered: number; exited: number }>`
    with matched as (
      select r.id from contacts r
      where r.workspace_id = ${ws} and r.deleted_at is null ${onlyContacts} and ${cond}
    ), entered as (
      insert into segment_members (segment_id, contact_id, workspace_id, entered_at)
      select ${segmentId}::uuid, id, ${ws}::uuid, ${now}::timestamptz from matched
      on conflict do nothing
      returning contact_id
    ), exited as (
      delete from segment_members m
      where m.segment_id = ${segmentId} ${onlyMembers} and not exists (select 1 from matched x where x.id = m.contact_id)
      returning contact_id
    ), logged as (
      insert into segment_membership_log (workspace_id, segment_id, contact_id, change, reason, at)
      select ${ws}::uuid, ${segmentId}::uuid, contact_id, 'entered', ${reason}::text, ${now}::timestamptz from entered
      union all
      select ${ws}::uuid, ${segmentId}::uuid, contact_id, 'exited', ${reason}::text, ${now}::timestamptz from exited
      returning change
    )
    select (count(*) filter (where change = 'entered'))::int as entered,
           (count(*) filter (where change = 'exited'))::int as exited
    from logged`.execute(trx);
  const d = { entered: Number(r.rows[0]?.entered ?? 0), exited: Number(r.rows[0]?.exited ?? 0) };
  await sql`update segments set member_count = member_count + ${d.entered - d.exited}, refreshed_at = ${now}
    where id = ${segmentId}`.execute(trx);
  return d;
}

/**
 * Evaluates a whole segment and stores the result: for new and changed definitions, the
 * scheduled time-window pass, and repair. Ends in state `ready`.
 */
export async function rebuildSegment(db: Db, clock: Clock, ws: string, segmentId: string, reason = 'rebuild'): Promise<Diff | null> {
  return db.transaction().execute(async (trx) => {
    await lockWorkspace(trx, ws);
    const seg = await trx
      .selectFrom('segments')
      .select(['id', 'definition', 'build_seq'])
      .where('workspace_id', '=', ws)
      .where('id', '=', segmentId)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    if (!seg) return null;
    const now = clock.now();
    const c = await compileSegment(trx, ws, now, seg.definition as SegmentNode, seg.id);
    const d = await applyDiff(trx, ws, seg.id, c.cond, now, reason);
    // Saving a definition does not wait for this lock: one saved meanwhile (here or in a segment
    // this one reads) bumped build_seq and left the segment `building`, for another rebuild.
    await trx
      .updateTable('segments')
      .set({ state: 'ready', windows_at: now })
      .where('id', '=', seg.id)
      .where('build_seq', '=', seg.build_seq)
      .execute();
    return d;
  });
}

export interface QueueRun extends Diff {
  /** Queue entries taken, distinct contacts evaluated, and the oldest entry's wait in ms. */
  taken: number;
  contacts: number;
  maxLagMs: number;
  /** Contact x segment evaluations the pass made. */
  evaluated: number;
}

/** What one contact's queue entries say changed: causes, and the kinds of new activity (null: any). */
interface Changed {
  causes: Set<Cause>;
  kinds: Set<string> | null;
}

/**
 * Whether a contact's changes can alter a segment: a contact change always; an account or list
 * change if the segment reads those; new activity if the segment reads that kind of activity (a
 * "Feature Used" event cannot move a segment on "Demo Requested" or page views).
 */
/** Whether new activity of `kinds` (null: any change) is something `reads` reads ('*': every kind). */
export function readsAnyOf(reads: ReadonlySet<string>, kinds: ReadonlySet<string> | null): boolean {
  if (kinds === null || reads.has('*')) return true;
  for (const k of kinds) if (reads.has(k)) return true;
  return false;
}

export function canAlter(c: Pick<CompiledSegment, 'deps' | 'reads'>, changed: Changed): boolean {
  for (const cause of changed.causes) {
    if (cause === 'contact') return true;
    if (!c.deps.has(cause)) continue;
    if (cause !== 'event' || readsAnyOf(c.reads, changed.kinds)) return true;
  }
  return false;
}

const REASONS: Record<Cause, string> = {
  contact: 'contact changed',
  account: 'account changed',
  event: 'activity',
  list: 'list membership changed',
};

/**
 * One pass over the queue: takes up to `batch` entries (skipping those another worker holds),
 * re-evaluates their contacts for the segments their causes can affect, and deletes the entries,
 * all in one transaction: a crash leaves the entries for the next pass.
 */
export async function processQueueBatch(db: Db, clock: Clock, batch = 5000): Promise<QueueRun> {
  return db.transaction().execute(async (trx) => {
    const taken = await sql<{ workspace_id: string; contact_id: string; cause: Cause; kinds: string[] | null; queued_at: Date }>`
      delete from segment_queue where id in (
        select id from segment_queue order by id limit ${batch} for update skip locked
      ) returning workspace_id, contact_id, cause, kinds, queued_at`.execute(trx);
    const run: QueueRun = { taken: taken.rows.length, contacts: 0, entered: 0, exited: 0, maxLagMs: 0, evaluated: 0 };
    if (taken.rows.length === 0) return run;
    // Many short statements over a few thousand contacts: JIT compiled their plans for longer than
    // they ran (1.5 of 5.6 s for 21 segments and 5,000 contacts at 100k contacts / 2M events).
    await sql`set local jit = off`.execute(trx);
    const byWs = new Map<string, Map<string, Changed>>();
    for (const row of taken.rows) {
      const contacts = byWs.get(row.workspace_id) ?? new Map<string, Changed>();
      byWs.set(row.workspace_id, contacts);
      const changed = contacts.get(row.contact_id) ?? { causes: new Set<Cause>(), kinds: new Set<string>() };
      contacts.set(row.contact_id, changed);
      changed.causes.add(row.cause);
      if (row.cause === 'event') {
        // An entry without kinds means any activity.
        if (row.kinds === null || changed.kinds === null) changed.kinds = null;
        else for (const k of row.kinds) changed.kinds.add(k);
      }
      run.maxLagMs = Math.max(run.maxLagMs, Date.now() - new Date(row.queued_at).getTime());
    }
    for (const [ws, contacts] of [...byWs].sort(([a], [b]) => a.localeCompare(b))) {
      run.contacts += contacts.size;
      const chunk = [...contacts.keys()];
      await lockWorkspace(trx, ws);
      // The time only once the lock is held: read before, a time-window pass or rebuild committing
      // meanwhile could record a later last check than the time these contacts are evaluated at,
      // and a window edge between the two would never be applied to them.
      const now = clock.now();
      const segments = await trx
        .selectFrom('segments')
        .select(['id', 'definition'])
        .where('workspace_id', '=', ws)
        .where('deleted_at', 'is', null)
        .execute();
      for (const seg of segments) {
        let c: CompiledSegment;
        try {
          // Compiled for the chunk's contacts (applyDiff asks it of some of them only).
          c = await compileSegment(trx, ws, now, seg.definition as SegmentNode, seg.id, { contacts: chunk });
        } catch {
          // A definition that no longer compiles (a field deleted since) keeps its members until
          // it is fixed; the segment screen shows the error.
          continue;
        }
        const affected: string[] = [];
        const causes = new Set<Cause>();
        for (const [id, changed] of contacts) {
          if (canAlter(c, changed)) {
            affected.push(id);
            for (const x of changed.causes) causes.add(x);
          }
        }
        if (affected.length === 0) continue;
        run.evaluated += affected.length;
        const reason = [...causes].map((x) => REASONS[x]).join(', ');
        const d = await applyDiff(trx, ws, seg.id, c.cond, now, reason, affected);
        run.entered += d.entered;
        run.exited += d.exited;
      }
    }
    return run;
  });
}

/** Drains the queue (up to `maxBatches` passes); true when entries are left. */
export async function drainQueue(
  db: Db,
  clock: Clock,
  opts: { batch?: number; maxBatches?: number; stop?: AbortSignal } = {},
): Promise<boolean> {
  const max = opts.maxBatches ?? 20;
  for (let i = 0; i < max; i++) {
    if (opts.stop?.aborted) return true;
    const run = await processQueueBatch(db, clock, opts.batch);
    if (run.taken < (opts.batch ?? 5000)) return false;
  }
  return true;
}

/** Above this many contacts at a window's edge, the pass evaluates the whole segment instead. */
const MAX_EDGE_CONTACTS = 20_000;

export interface WindowRun extends Diff {
  /** Contacts re-evaluated, or 'all' when the whole segment was. */
  evaluated: number | 'all';
}

/**
 * Applies the time that passed since a segment's last window check (`windows_at`): only the
 * contacts some window edge crossed in between can have changed by time alone (anything else that
 * changed went through the queue), so only they are re-evaluated, as of now. The whole segment is
 * evaluated when it was never checked, when the clock went back, when a condition cannot name its
 * edge contacts, and when there are too many of them. Null when the segment is gone or not timed.
 */
export async function applyTimeWindows(db: Db, clock: Clock, ws: string, segmentId: string): Promise<WindowRun | null> {
  return db.transaction().execute(async (trx) => {
    await lockWorkspace(trx, ws);
    const seg = await trx
      .selectFrom('segments')
      .select(['id', 'definition', 'windows_at'])
      .where('workspace_id', '=', ws)
      .where('id', '=', segmentId)
      .where('deleted_at', 'is', null)
      .where('state', '=', 'ready')
      .executeTakeFirst();
    if (!seg) return null;
    const now = clock.now();
    await sql`set local jit = off`.execute(trx);
    const definition = seg.definition as SegmentNode;
    const c = await compileSegment(trx, ws, now, definition, seg.id);
    if (!c.timed) return null;
    const from = seg.windows_at;
    let ids: string[] | null = null;
    if (from && from <= now && c.edges.known && c.edges.queries.length > 0) {
      const union = sql.join(
        c.edges.queries.map((q) => q(from, now)),
        sql` union `,
      );
      const rows = await sql<{ contact_id: string }>`select contact_id from (${union}) x
        where contact_id is not null limit ${MAX_EDGE_CONTACTS + 1}`.execute(trx);
      if (rows.rows.length <= MAX_EDGE_CONTACTS) ids = rows.rows.map((r) => r.contact_id);
    }
    let d: Diff = { entered: 0, exited: 0 };
    if (ids === null) d = await applyDiff(trx, ws, seg.id, c.cond, now, 'time window');
    else if (ids.length > 0) {
      const chunk = await compileSegment(trx, ws, now, definition, seg.id, { contacts: ids });
      d = await applyDiff(trx, ws, seg.id, chunk.cond, now, 'time window', ids);
    }
    await trx.updateTable('segments').set({ windows_at: now }).where('id', '=', seg.id).execute();
    return { ...d, evaluated: ids === null ? 'all' : ids.length };
  });
}

/**
 * The scheduled pass: rebuilds segments still `building` (a rebuild job lost or not yet run) and
 * applies elapsed time to those whose conditions move with it, so members expire (or enter, for
 * "did not ... in the last 14 days") on schedule.
 */
export async function refreshTimedSegments(db: Db, clock: Clock): Promise<{ rebuilt: number; checked: number; evaluated: number } & Diff> {
  const segments = await db
    .selectFrom('segments')
    .select(['id', 'workspace_id', 'definition', 'state'])
    .where('deleted_at', 'is', null)
    .execute();
  const out = { rebuilt: 0, checked: 0, evaluated: 0, entered: 0, exited: 0 };
  const add = (d: Diff) => {
    out.entered += d.entered;
    out.exited += d.exited;
  };
  for (const seg of segments) {
    if (seg.state === 'building') {
      const d = await rebuildSegment(db, clock, seg.workspace_id, seg.id, 'definition changed').catch(() => null);
      if (d) {
        out.rebuilt++;
        add(d);
      }
      continue;
    }
    let timed: boolean;
    try {
      timed = (await compileSegment(db, seg.workspace_id, clock.now(), seg.definition as SegmentNode, seg.id)).timed;
    } catch {
      continue;
    }
    if (!timed) continue;
    const r = await applyTimeWindows(db, clock, seg.workspace_id, seg.id);
    if (!r) continue;
    out.checked++;
    if (r.evaluated === 'all') out.rebuilt++;
    else out.evaluated += r.evaluated;
    add(r);
  }
  return out;
}

/** Rebuilds every segment whose definition changed (state `building`); returns how many. */
export async function rebuildBuilding(db: Db, clock: Clock, stop?: AbortSignal): Promise<number> {
  const waiting = await db
    .selectFrom('segments')
    .select(['id', 'workspace_id', 'refreshed_at'])
    .where('state', '=', 'building')
    .where('deleted_at', 'is', null)
    .execute();
  for (const s of waiting) {
    if (stop?.aborted) break;
    try {
      await rebuildSegment(db, clock, s.workspace_id, s.id, s.refreshed_at ? 'definition changed' : 'segment created');
    } catch {
      // A definition that no longer compiles stays `building`; the segment screen shows why.
    }
  }
  return waiting.length;
}

/** Segments that read `id` (directly or through others), for rebuilding after it changes. */
export async function dependentSegments(db: DbOrTx, ws: string, id: string): Promise<{ id: string; name: string }[]> {
  const all = await db
    .selectFrom('segments')
    .select(['id', 'name', 'definition'])
    .where('workspace_id', '=', ws)
    .where('deleted_at', 'is', null)
    .execute();
  return segmentUsers(all, id);
}

/** The same, over segments already read (a list page asks for each of its rows). */
export function segmentUsers(
  all: ReadonlyArray<{ id: string; name: string; definition: unknown }>,
  id: string,
): { id: string; name: string }[] {
  const refsOf = new Map(all.map((s) => [s.id, directRefs(s.definition, 'segment')]));
  const out = new Map<string, { id: string; name: string }>();
  const walk = (target: string) => {
    for (const s of all) {
      if (!out.has(s.id) && refsOf.get(s.id)?.has(target)) {
        out.set(s.id, { id: s.id, name: s.name });
        walk(s.id);
      }
    }
  };
  walk(id);
  return [...out.values()];
}

/** The ids a definition names directly under `segment` or `list` nodes. */
export function directRefs(node: unknown, kind: 'segment' | 'list'): Set<string> {
  const out = new Set<string>();
  const visit = (n: unknown) => {
    if (Array.isArray(n)) n.forEach(visit);
    else if (n && typeof n === 'object') {
      for (const [k, v] of Object.entries(n)) {
        if (k === kind && typeof v === 'string') out.add(v);
        else visit(v);
      }
    }
  };
  visit(node);
  return out;
}
