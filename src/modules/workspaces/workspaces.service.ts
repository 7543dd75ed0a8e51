import type { Selectable } from 'kysely';
import type { Actor } from '../../platform/actor.js';
import { recordAudit } from '../../platform/audit/audit.service.js';
import type { DbOrTx } from '../../platform/db/database.js';
import type { WorkspacesTable } from '../../platform/db/schema.js';
import { AppError, notFound } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { Ctx } from '../users/users.service.js';
import type { Workspace } from './workspaces.schema.js';

export function toWorkspace(r: Selectable<WorkspacesTable>): Workspace {
  return { id: r.id, slug: r.slug, name: r.name, createdAt: r.created_at.toISOString() };
}

export function slugify(name: string): string {
  const s = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  return s || 'workspace';
}

/** Creates a workspace; the slug gets a numeric suffix when taken. */
export async function createWorkspace(db: DbOrTx, clock: Ctx['clock'], input: { name: string; slug?: string }): Promise<Workspace> {
  const base = input.slug ?? slugify(input.name);
  for (let i = 0; i < 100; i++) {
    const slug = i === 0 ? base : `${base}-${i + 1}`;
    const taken = await db.selectFrom('workspaces').select('id').where('slug', '=', slug).executeTakeFirst();
    if (taken) {
      if (input.slug) throw new AppError('already_exists', `Workspace ${slug} already exists`);
      continue;
    }
    const row = await db
      .insertInto('workspaces')
      .values({ id: newId(), slug, name: input.name, created_at: clock.now() })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toWorkspace(row);
  }
  throw new AppError('conflict', 'Could not find a free workspace slug');
}

export async function getWorkspace(db: DbOrTx, id: string): Promise<Workspace> {
  const row = await db.selectFrom('workspaces').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('Workspace');
  return toWorkspace(row);
}

export async function findWorkspaceBySlug(db: DbOrTx, slug: string): Promise<Workspace | undefined> {
  const row = await db.selectFrom('workspaces').selectAll().where('slug', '=', slug).executeTakeFirst();
  return row && toWorkspace(row);
}

export async function listWorkspaces(db: DbOrTx): Promise<Workspace[]> {
  const rows = await db.selectFrom('workspaces').selectAll().orderBy('id').execute();
  return rows.map(toWorkspace);
}

/**
 * The workspace a CLI command acts on: the one named by slug, else the first one, created as
 * "Default" when the install has none yet.
 */
export async function resolveCliWorkspace(ctx: Ctx, slug?: string): Promise<Workspace> {
  if (slug) {
    const ws = await findWorkspaceBySlug(ctx.db, slug);
    if (!ws) throw notFound(`Workspace ${slug}`);
    return ws;
  }
  const first = await ctx.db.selectFrom('workspaces').selectAll().orderBy('id').limit(1).executeTakeFirst();
  if (first) return toWorkspace(first);
  return ctx.db.transaction().execute((trx) => createWorkspace(trx, ctx.clock, { name: 'Default', slug: 'default' }));
}

export async function renameWorkspace(ctx: Ctx, actor: Actor, name: string): Promise<Workspace> {
  return ctx.db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('workspaces').selectAll().where('id', '=', actor.workspaceId).forUpdate().executeTakeFirst();
    if (!before) throw notFound('Workspace');
    const after = await trx
      .updateTable('workspaces')
      .set({ name })
      .where('id', '=', actor.workspaceId)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, ctx.clock, actor, {
      action: 'workspace.renamed',
      entityType: 'workspace',
      entityId: after.id,
      before: { name: before.name },
      after: { name: after.name },
    });
    return toWorkspace(after);
  });
}
