import { sql, type Selectable } from 'kysely';
import type { z } from 'zod';
import type { Actor } from '../../platform/actor.js';
import { recordAudit } from '../../platform/audit/audit.service.js';
import type { Clock } from '../../platform/clock.js';
import type { Db, DbOrTx } from '../../platform/db/database.js';
import type { SegmentsTable } from '../../platform/db/schema.js';
import { AppError, notFound } from '../../platform/errors.js';
import { decodeCursor, toPage, type Page } from '../../platform/http/pagination.js';
import { newId } from '../../platform/ids.js';
import { contactDef } from '../crm/crm-objects.js';
import { externalIdsFor, selectList, toRecordView, type RecordRow } from '../crm/records.repo.js';
import type { RecordView } from '../crm/records.schema.js';
import { compileContext } from './segments.compiler.js';
import { compileSegment, dependentSegments, segmentUsers } from './segments.membership.js';
import type { createSegmentSchema, Segment, SegmentNode, updateSegmentSchema } from './segments.schema.js';

export interface Ctx {
  db: Db;
  clock: Clock;
}

async function condition(db: DbOrTx, ws: string, now: Date, definition: SegmentNode, selfId?: string) {
  return (await compileSegment(db, ws, now, definition, selfId)).cond;
}

/** How many live contacts a definition matches now. */
export async function countMatching(db: DbOrTx, ws: string, now: Date, definition: SegmentNode, selfId?: string): Promise<number> {
  const cond = await condition(db, ws, now, definition, selfId);
  const r = await sql<{
    n: string;
  }>`select count(*) as n from contacts r where r.workspace_id = ${ws} and r.deleted_at is null and ${cond}`.execute(db);
  return Number(r.rows[0]?.n ?? 0);
}

/** Matching contacts, by id, in cursor pages. */
export async function matchingContacts(
  db: DbOrTx,
  ws: string,
  now: Date,
  definition: SegmentNode,
  q: { limit: number; cursor?: string },
  selfId?: string,
): Promise<Page<RecordView>> {
  const cond = await condition(db, ws, now, definition, selfId);
  const after = decodeCursor(q.cursor);
  const r = await sql<RecordRow>`select ${selectList(contactDef)} from contacts r
    where r.workspace_id = ${ws} and r.deleted_at is null and ${cond} ${after ? sql`and r.id > ${after}` : sql``}
    order by r.id limit ${q.limit + 1}`.execute(db);
  const ext = await externalIdsFor(
    db,
    r.rows.map((x) => x.id),
  );
  const c = await compileContext(db, ws, now);
  const keys = new Set(c.contactFields.map((f) => f.key));
  return toPage(
    r.rows.map((row) => toRecordView(contactDef, row, ext.get(row.id) ?? {}, keys)),
    q.limit,
  );
}

/**
 * The live count, or why there is none: a definition saved earlier can stop compiling when a field
 * it uses is deleted. The segment still lists and opens, with the reason to fix.
 */
async function liveCount(db: DbOrTx, r: Selectable<SegmentsTable>, now: Date): Promise<{ count: number | null; error: string | null }> {
  try {
    return { count: await countMatching(db, r.workspace_id, now, r.definition as SegmentNode, r.id), error: null };
  } catch (err) {
    if (err instanceof AppError && err.status === 400) return { count: null, error: err.message };
    throw err;
  }
}

async function toSegment(
  db: DbOrTx,
  r: Selectable<SegmentsTable>,
  now: Date,
  opts: { live?: boolean; usedBy?: { id: string; name: string }[] } = {},
): Promise<Segment> {
  const live = opts.live ?? true;
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    definition: r.definition,
    ...(live ? await liveCount(db, r, now) : { count: r.member_count, error: null }),
    countSource: live ? 'live' : 'stored',
    memberCount: r.member_count,
    state: r.state,
    refreshedAt: r.refreshed_at?.toISOString() ?? null,
    usedBy: opts.usedBy ?? (await dependentSegments(db, r.workspace_id, r.id)).map(({ id, name }) => ({ id, name })),
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

async function load(db: DbOrTx, ws: string, id: string) {
  const r = await db
    .selectFrom('segments')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!r) throw notFound('Segment');
  return r;
}

export async function createSegment(ctx: Ctx, actor: Actor, input: z.infer<typeof createSegmentSchema>): Promise<Segment> {
  // Compiling checks every field, operator and reference before anything is saved.
  await condition(ctx.db, actor.workspaceId, ctx.clock.now(), input.definition);
  const row = await ctx.db.transaction().execute(async (trx) => {
    const now = ctx.clock.now();
    const r = await trx
      .insertInto('segments')
      .values({
        id: newId(),
        workspace_id: actor.workspaceId,
        name: input.name,
        description: input.description,
        definition: JSON.stringify(input.definition),
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, ctx.clock, actor, {
      action: 'segment.created',
      entityType: 'segment',
      entityId: r.id,
      after: { name: r.name, definition: input.definition },
    });
    return r;
  });
  return toSegment(ctx.db, row, ctx.clock.now());
}

export async function getSegment(ctx: Ctx, ws: string, id: string): Promise<Segment> {
  return toSegment(ctx.db, await load(ctx.db, ws, id), ctx.clock.now());
}

export async function listSegments(
  ctx: Ctx,
  ws: string,
  q: { limit: number; cursor?: string },
  opts: { live?: boolean } = {},
): Promise<Page<Segment>> {
  const after = decodeCursor(q.cursor);
  let query = ctx.db.selectFrom('segments').selectAll().where('workspace_id', '=', ws).where('deleted_at', 'is', null);
  if (after) query = query.where('id', '>', after);
  const rows = await query
    .orderBy('id')
    .limit(q.limit + 1)
    .execute();
  const now = ctx.clock.now();
  // A page of segments counted live is one full evaluation each: in large workspaces the list shows
  // the stored membership (kept current within seconds) and GET /segments/:id counts live.
  const size = await sql<{ n: string }>`select reltuples::bigint::text as n from pg_class where relname = 'contacts'`.execute(ctx.db);
  const live = opts.live ?? Number(size.rows[0]?.n ?? 0) <= ESTIMATE_ABOVE;
  const all = await ctx.db
    .selectFrom('segments')
    .select(['id', 'name', 'definition'])
    .where('workspace_id', '=', ws)
    .where('deleted_at', 'is', null)
    .execute();
  const out: Segment[] = [];
  for (const r of rows) {
    out.push(await toSegment(ctx.db, r, now, { live, usedBy: segmentUsers(all, r.id) }));
  }
  return toPage(out, q.limit);
}

export async function updateSegment(ctx: Ctx, actor: Actor, id: string, input: z.infer<typeof updateSegmentSchema>): Promise<Segment> {
  const before = await load(ctx.db, actor.workspaceId, id);
  if (input.definition) await condition(ctx.db, actor.workspaceId, ctx.clock.now(), input.definition, id);
  const row = await ctx.db.transaction().execute(async (trx) => {
    const r = await trx
      .updateTable('segments')
      .set({
        ...(input.name !== undefined && { name: input.name }),
        ...(input.description !== undefined && { description: input.description }),
        ...(input.definition !== undefined && {
          definition: JSON.stringify(input.definition),
          state: 'building' as const,
          build_seq: sql<number>`build_seq + 1`,
        }),
        updated_at: ctx.clock.now(),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    if (input.definition !== undefined) {
      // Segments that read this one change with it: the membership worker rebuilds them all.
      const users = (await dependentSegments(trx, actor.workspaceId, id)).map((d) => d.id);
      if (users.length) {
        await trx
          .updateTable('segments')
          .set({ state: 'building', build_seq: sql<number>`build_seq + 1` })
          .where('id', 'in', users)
          .execute();
      }
    }
    await recordAudit(trx, ctx.clock, actor, {
      action: 'segment.updated',
      entityType: 'segment',
      entityId: id,
      before: { name: before.name, definition: before.definition },
      after: { name: r.name, definition: r.definition },
    });
    return r;
  });
  return toSegment(ctx.db, row, ctx.clock.now());
}

export async function deleteSegment(ctx: Ctx, actor: Actor, id: string): Promise<void> {
  const before = await load(ctx.db, actor.workspaceId, id);
  const users = await dependentSegments(ctx.db, actor.workspaceId, id);
  if (users.length) throw new AppError('conflict', `Used by segment ${users.map((u) => `"${u.name}"`).join(', ')}: change those first`);
  await ctx.db.transaction().execute(async (trx) => {
    await trx.updateTable('segments').set({ deleted_at: ctx.clock.now(), member_count: 0 }).where('id', '=', id).execute();
    await trx.deleteFrom('segment_members').where('segment_id', '=', id).execute();
    await recordAudit(trx, ctx.clock, actor, {
      action: 'segment.deleted',
      entityType: 'segment',
      entityId: id,
      before: { name: before.name, definition: before.definition },
    });
  });
}

export async function segmentMembers(ctx: Ctx, ws: string, id: string, q: { limit: number; cursor?: string }): Promise<Page<RecordView>> {
  const s = await load(ctx.db, ws, id);
  return matchingContacts(ctx.db, ws, ctx.clock.now(), s.definition as SegmentNode, q, id);
}

/** Marks a segment for a full rebuild: the membership worker runs it within a second or so. */
export async function requestRebuild(ctx: Ctx, actor: Actor, id: string): Promise<{ state: 'building' }> {
  await load(ctx.db, actor.workspaceId, id);
  await ctx.db.transaction().execute(async (trx) => {
    await trx.updateTable('segments').set({ state: 'building' }).where('id', '=', id).execute();
    await recordAudit(trx, ctx.clock, actor, { action: 'segment.rebuild_requested', entityType: 'segment', entityId: id });
  });
  return { state: 'building' };
}

/** The SQL a definition compiles to (values as `$n` parameters) and PostgreSQL's plan for its count. */
export async function explainDefinition(
  db: DbOrTx,
  ws: string,
  now: Date,
  definition: SegmentNode,
  analyze: boolean,
): Promise<{ sql: string; parameters: unknown[]; plan: string[] }> {
  const cond = await condition(db, ws, now, definition);
  const query = sql`select count(*) from contacts r where r.workspace_id = ${ws} and r.deleted_at is null and ${cond}`;
  const compiled = query.compile(db);
  const plan = await sql<Record<string, string>>`explain (${sql.raw(analyze ? 'analyze, ' : '')}costs, format text) ${query}`.execute(db);
  return {
    sql: compiled.sql,
    parameters: compiled.parameters.map((p) => (p instanceof Date ? p.toISOString() : p)),
    plan: plan.rows.map((r) => String(Object.values(r)[0])),
  };
}

/** Above this many live contacts, previews count a 2% block sample first and say it is an estimate. */
export const ESTIMATE_ABOVE = 200_000;

/**
 * Count and sample for the builder. In large workspaces the count is estimated from a block sample
 * (TABLESAMPLE SYSTEM), which reads a fiftieth of the table, unless `exact` is asked for.
 */
export async function previewDefinition(
  db: DbOrTx,
  ws: string,
  now: Date,
  definition: SegmentNode,
  exact: boolean,
): Promise<{ count: number; estimated: boolean; sample: RecordView[] }> {
  const cond = await condition(db, ws, now, definition);
  const sample = (await matchingContacts(db, ws, now, definition, { limit: 10 })).data;
  if (!exact) {
    const size = await sql<{ n: string }>`select reltuples::bigint::text as n from pg_class where relname = 'contacts'`.execute(db);
    if (Number(size.rows[0]?.n ?? 0) > ESTIMATE_ABOVE) {
      const r = await sql<{ total: string; hit: string }>`select count(*)::text as total, count(*) filter (where ${cond})::text as hit
        from contacts r tablesample system (2) repeatable (1) where r.workspace_id = ${ws} and r.deleted_at is null`.execute(db);
      const total = Number(r.rows[0]?.total ?? 0);
      if (total >= 1000) {
        const all = await sql<{
          n: string;
        }>`select count(*)::text as n from contacts r where r.workspace_id = ${ws} and r.deleted_at is null`.execute(db);
        return { count: Math.round((Number(r.rows[0]?.hit ?? 0) / total) * Number(all.rows[0]?.n ?? 0)), estimated: true, sample };
      }
    }
  }
  return { count: await countMatching(db, ws, now, definition), estimated: false, sample };
}
