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
import { compileContext, compileNode } from './segments.compiler.js';
import type { createSegmentSchema, Segment, SegmentNode, updateSegmentSchema } from './segments.schema.js';

export interface Ctx {
  db: Db;
  clock: Clock;
}

async function condition(db: DbOrTx, ws: string, now: Date, definition: SegmentNode, selfId?: string) {
  const c = await compileContext(db, ws, now);
  return compileNode({ ...c, path: selfId ? [selfId] : [] }, definition);
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

async function toSegment(db: DbOrTx, r: Selectable<SegmentsTable>, now: Date): Promise<Segment> {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    definition: r.definition,
    count: await countMatching(db, r.workspace_id, now, r.definition as SegmentNode, r.id),
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

export async function listSegments(ctx: Ctx, ws: string, q: { limit: number; cursor?: string }): Promise<Page<Segment>> {
  const after = decodeCursor(q.cursor);
  let query = ctx.db.selectFrom('segments').selectAll().where('workspace_id', '=', ws).where('deleted_at', 'is', null);
  if (after) query = query.where('id', '>', after);
  const rows = await query
    .orderBy('id')
    .limit(q.limit + 1)
    .execute();
  const now = ctx.clock.now();
  const out: Segment[] = [];
  for (const r of rows) out.push(await toSegment(ctx.db, r, now));
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
        ...(input.definition !== undefined && { definition: JSON.stringify(input.definition) }),
        updated_at: ctx.clock.now(),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
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
  const users = await ctx.db
    .selectFrom('segments')
    .select('name')
    .where('workspace_id', '=', actor.workspaceId)
    .where('deleted_at', 'is', null)
    .where(sql<boolean>`definition::text like ${`%"segment": "${id}"%`} or definition::text like ${`%"segment":"${id}"%`}`)
    .execute();
  if (users.length) throw new AppError('conflict', `Used by segment ${users.map((u) => `"${u.name}"`).join(', ')}: change those first`);
  await ctx.db.transaction().execute(async (trx) => {
    await trx.updateTable('segments').set({ deleted_at: ctx.clock.now() }).where('id', '=', id).execute();
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
