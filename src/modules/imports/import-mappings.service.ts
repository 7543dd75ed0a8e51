import type { Actor } from '../../platform/actor.js';
import { recordAudit } from '../../platform/audit/audit.service.js';
import { notFound } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { ObjectName } from '../crm/field-types.js';
import type { ImportCtx } from './imports.service.js';

export interface ImportMapping {
  id: string;
  object: ObjectName;
  name: string;
  mapping: Record<string, string | null>;
  updatedAt: string;
}

/** Saved mappings are keyed by header name, so they fit the next export from the same tool. */
export async function listMappings(ctx: Pick<ImportCtx, 'db'>, workspaceId: string, object: ObjectName): Promise<ImportMapping[]> {
  const rows = await ctx.db
    .selectFrom('import_mappings')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('object', '=', object)
    .orderBy('name')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    object: r.object as ObjectName,
    name: r.name,
    mapping: r.mapping,
    updatedAt: r.updated_at.toISOString(),
  }));
}

export async function saveMapping(
  ctx: Pick<ImportCtx, 'db' | 'clock'>,
  actor: Actor,
  input: { object: ObjectName; name: string; mapping: Record<string, string | null> },
): Promise<ImportMapping> {
  return ctx.db.transaction().execute(async (trx) => {
    const now = ctx.clock.now();
    const row = await trx
      .insertInto('import_mappings')
      .values({
        id: newId(),
        workspace_id: actor.workspaceId,
        object: input.object,
        name: input.name,
        mapping: JSON.stringify(input.mapping),
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc.columns(['workspace_id', 'object', 'name']).doUpdateSet({ mapping: JSON.stringify(input.mapping), updated_at: now }),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, ctx.clock, actor, {
      action: 'import_mapping.saved',
      entityType: 'import_mapping',
      entityId: row.id,
      after: { name: row.name, mapping: input.mapping },
    });
    return { id: row.id, object: row.object as ObjectName, name: row.name, mapping: row.mapping, updatedAt: row.updated_at.toISOString() };
  });
}

export async function deleteMapping(ctx: Pick<ImportCtx, 'db' | 'clock'>, actor: Actor, id: string): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    const gone = await trx
      .deleteFrom('import_mappings')
      .where('workspace_id', '=', actor.workspaceId)
      .where('id', '=', id)
      .returning('name')
      .executeTakeFirst();
    if (!gone) throw notFound('Mapping');
    await recordAudit(trx, ctx.clock, actor, {
      action: 'import_mapping.deleted',
      entityType: 'import_mapping',
      entityId: id,
      before: { name: gone.name },
    });
  });
}
