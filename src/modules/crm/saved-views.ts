import { z } from 'zod';
import type { Selectable } from 'kysely';
import type { Actor } from '../../platform/actor.js';
import { recordAudit } from '../../platform/audit/audit.service.js';
import type { SavedViewsTable } from '../../platform/db/schema.js';
import { AppError, notFound } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import { objectNameSchema, type ObjectName } from './field-types.js';
import { filtersSchema } from './records.schema.js';
import type { Ctx } from './records.service.js';

/** A saved list view: which columns, filters, search and sort a person keeps coming back to. */
export const viewConfigSchema = z
  .object({
    columns: z.array(z.string().max(100)).max(60).default([]),
    filter: filtersSchema.default([]),
    q: z.string().max(200).default(''),
    sort: z.string().max(100).default('-createdAt'),
  })
  .strict();

export const savedViewSchema = z
  .object({
    id: z.string(),
    object: objectNameSchema,
    name: z.string(),
    config: viewConfigSchema,
    ownerId: z.string().nullable(),
    shared: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'SavedView' });
export type SavedView = z.infer<typeof savedViewSchema>;

export const createViewSchema = z
  .object({
    object: objectNameSchema,
    name: z.string().trim().min(1).max(100),
    config: viewConfigSchema,
    shared: z.boolean().default(true),
  })
  .strict();
export const updateViewSchema = z
  .object({ name: z.string().trim().min(1).max(100).optional(), config: viewConfigSchema.optional(), shared: z.boolean().optional() })
  .strict();
export const listViewsQuerySchema = z.object({ object: objectNameSchema }).strict();

function toView(r: Selectable<SavedViewsTable>): SavedView {
  return {
    id: r.id,
    object: r.object as ObjectName,
    name: r.name,
    config: viewConfigSchema.parse(r.config),
    ownerId: r.owner_id,
    shared: r.shared,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

/** Views shared with the workspace, and the person's own private ones. */
export async function listViews(ctx: Ctx, actor: Actor, object: ObjectName): Promise<SavedView[]> {
  const rows = await ctx.db
    .selectFrom('saved_views')
    .selectAll()
    .where('workspace_id', '=', actor.workspaceId)
    .where('object', '=', object)
    .where((eb) => eb.or([eb('shared', '=', true), ...(actor.type === 'user' && actor.id ? [eb('owner_id', '=', actor.id)] : [])]))
    .orderBy('name')
    .execute();
  return rows.map(toView);
}

export async function createView(ctx: Ctx, actor: Actor, input: z.infer<typeof createViewSchema>): Promise<SavedView> {
  return ctx.db.transaction().execute(async (trx) => {
    const now = ctx.clock.now();
    const row = await trx
      .insertInto('saved_views')
      .values({
        id: newId(),
        workspace_id: actor.workspaceId,
        object: input.object,
        name: input.name,
        config: JSON.stringify(input.config),
        owner_id: actor.type === 'user' ? actor.id : null,
        shared: input.shared,
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, ctx.clock, actor, {
      action: 'view.created',
      entityType: 'saved_view',
      entityId: row.id,
      after: { name: row.name, config: input.config },
    });
    return toView(row);
  });
}

async function ownView(ctx: Ctx, actor: Actor, id: string) {
  const row = await ctx.db
    .selectFrom('saved_views')
    .selectAll()
    .where('workspace_id', '=', actor.workspaceId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row || (!row.shared && row.owner_id !== actor.id)) throw notFound('View');
  // Shared views belong to the team: their creator or a manager may change them.
  if (row.owner_id && row.owner_id !== actor.id && !['admin', 'mops_manager'].includes(actor.role)) {
    throw new AppError('forbidden', 'Only its creator or a manager can change this view');
  }
  return row;
}

export async function updateView(ctx: Ctx, actor: Actor, id: string, input: z.infer<typeof updateViewSchema>): Promise<SavedView> {
  const before = await ownView(ctx, actor, id);
  return ctx.db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('saved_views')
      .set({
        ...(input.name !== undefined && { name: input.name }),
        ...(input.config !== undefined && { config: JSON.stringify(input.config) }),
        ...(input.shared !== undefined && { shared: input.shared }),
        updated_at: ctx.clock.now(),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, ctx.clock, actor, {
      action: 'view.updated',
      entityType: 'saved_view',
      entityId: id,
      before: { name: before.name, config: before.config, shared: before.shared },
      after: { name: row.name, config: row.config, shared: row.shared },
    });
    return toView(row);
  });
}

export async function deleteView(ctx: Ctx, actor: Actor, id: string): Promise<void> {
  const before = await ownView(ctx, actor, id);
  await ctx.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('saved_views').where('id', '=', id).execute();
    await recordAudit(trx, ctx.clock, actor, {
      action: 'view.deleted',
      entityType: 'saved_view',
      entityId: id,
      before: { name: before.name },
    });
  });
}
