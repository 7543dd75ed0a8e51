import type { Selectable } from 'kysely';
import type { Actor } from '../../platform/actor.js';
import type { BulkOperationsTable } from '../../platform/db/schema.js';
import { AppError, notFound } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { Jobs } from '../../platform/jobs/jobs.js';
import type { Role } from '../../platform/permissions.js';
import { objectDefs, type ObjectDef } from './crm-objects.js';
import { activeFields, validateCustomValues } from './custom-fields.service.js';
import type { ObjectName } from './field-types.js';
import { findRecord, updateRecordRow } from './records.repo.js';
import { updateInputSchema, type BulkActionInput, type BulkOperation, type RecordInput } from './records.schema.js';
import { applyUpdate, auditView, matchingIds, type Ctx } from './records.service.js';
import { recordAudit } from '../../platform/audit/audit.service.js';

export const BULK_MAX = 10_000;
const CHUNK = 250;

type Row = Selectable<BulkOperationsTable>;

export function toBulkOperation(r: Row): BulkOperation {
  return {
    id: r.id,
    object: r.object,
    action: r.action,
    status: r.status as BulkOperation['status'],
    total: r.total,
    done: r.done,
    changed: r.changed,
    failure: r.failure,
    createdAt: r.created_at.toISOString(),
    finishedAt: r.finished_at?.toISOString() ?? null,
  };
}

/**
 * Records the operation with the exact ids it covers (resolved now, so records matching the
 * filter later are not swept in) and queues the job that applies it in chunks.
 */
export async function startBulk(ctx: Ctx, jobs: Jobs, actor: Actor, def: ObjectDef, input: BulkActionInput): Promise<BulkOperation> {
  if (input.action === 'update' && input.set) {
    // Validate the change up front: a bad field should be a 400 now, not 10,000 failures later.
    const r = updateInputSchema(def).safeParse(input.set);
    if (!r.success) {
      const details = r.error.issues.map((i) => ({ path: ['set', ...i.path].join('.'), message: i.message }));
      throw new AppError('validation_failed', details.map((d) => `${d.path}: ${d.message}`).join('; '), details);
    }
    const fields = await activeFields(ctx.db, actor.workspaceId, def.object);
    validateCustomValues(fields, (r.data as RecordInput).custom ?? {}, 'update', 'set.custom');
  }
  let ids: string[];
  if (input.ids) {
    ids = [...new Set(input.ids)];
  } else {
    ids = await matchingIds(
      ctx,
      actor.workspaceId,
      def,
      { filter: input.filter, q: input.q, deleted: input.action === 'restore' ? 'only' : 'exclude' },
      BULK_MAX,
    );
    if (ids.length > BULK_MAX) {
      throw new AppError('validation_failed', `The filter matches more than ${BULK_MAX.toLocaleString('en')} records: narrow it down`);
    }
  }
  if (ids.length === 0) throw new AppError('validation_failed', 'No records match');
  return ctx.db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('bulk_operations')
      .values({
        id: newId(),
        workspace_id: actor.workspaceId,
        object: def.object,
        action: input.action,
        params: JSON.stringify({ set: input.set ?? null, ownerId: input.ownerId ?? null }),
        record_ids: JSON.stringify(ids),
        status: 'queued',
        total: ids.length,
        actor_label: actor.label,
        actor_id: actor.id,
        actor_type: actor.type,
        created_at: ctx.clock.now(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await jobs.enqueue('crm.bulk', { id: row.id }, { tx: trx, idempotencyKey: row.id });
    return toBulkOperation(row);
  });
}

export async function getBulk(ctx: Ctx, workspaceId: string, id: string): Promise<BulkOperation> {
  const row = await ctx.db
    .selectFrom('bulk_operations')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw notFound('Bulk operation');
  return toBulkOperation(row);
}

/**
 * Applies a bulk operation from where it stopped (`done`): each chunk is one transaction that
 * changes its records, writes their audit rows and advances `done`, so a crash repeats nothing.
 */
export async function runBulk(ctx: Ctx, id: string): Promise<void> {
  const op = await ctx.db.selectFrom('bulk_operations').selectAll().where('id', '=', id).executeTakeFirst();
  if (!op || op.status === 'completed' || op.status === 'failed') return;
  const def = objectDefs[op.object as ObjectName];
  const actor: Actor = {
    workspaceId: op.workspace_id,
    type: op.actor_type as Actor['type'],
    id: op.actor_id,
    label: op.actor_label,
    role: 'admin' as Role,
  };
  const params = op.params as { set: RecordInput | null; ownerId: string | null };
  const input: RecordInput | null =
    op.action === 'update'
      ? (updateInputSchema(def).parse(params.set) as RecordInput)
      : op.action === 'assign_owner'
        ? { ownerId: params.ownerId }
        : null;
  await ctx.db.updateTable('bulk_operations').set({ status: 'running' }).where('id', '=', id).execute();
  try {
    for (let i = op.done; i < op.record_ids.length; i += CHUNK) {
      const chunk = op.record_ids.slice(i, i + CHUNK);
      await ctx.db.transaction().execute(async (trx) => {
        const fields = await activeFields(trx, op.workspace_id, def.object);
        let changed = 0;
        for (const rid of chunk) {
          const before = await findRecord(trx, def, op.workspace_id, rid, { forUpdate: true });
          if (!before) continue;
          if (op.action === 'delete' || op.action === 'restore') {
            const deleting = op.action === 'delete';
            if (Boolean(before.deleted_at) === deleting) continue;
            const after = await updateRecordRow(trx, def, rid, {
              deleted_at: deleting ? ctx.clock.now() : null,
              version: before.version + 1,
              updated_at: ctx.clock.now(),
            });
            await recordAudit(trx, ctx.clock, actor, {
              action: `${def.object}.${deleting ? 'deleted' : 'restored'}`,
              entityType: def.object,
              entityId: rid,
              ...(deleting ? { before: auditView(def, before) } : { after: auditView(def, after) }),
              meta: { bulkOperation: id },
            });
            changed++;
          } else if (input && !before.deleted_at) {
            const after = await applyUpdate(trx, ctx.clock, actor, def, before, input, fields, `${def.object}.updated`);
            if (after !== before) changed++;
          }
        }
        await trx
          .updateTable('bulk_operations')
          .set((eb) => ({ done: i + chunk.length, changed: eb('changed', '+', changed) }))
          .where('id', '=', id)
          .execute();
      });
    }
    await ctx.db.updateTable('bulk_operations').set({ status: 'completed', finished_at: ctx.clock.now() }).where('id', '=', id).execute();
  } catch (err) {
    const message = err instanceof AppError ? err.message : 'Internal error';
    await ctx.db
      .updateTable('bulk_operations')
      .set({ status: 'failed', failure: message, finished_at: ctx.clock.now() })
      .where('id', '=', id)
      .execute();
    if (!(err instanceof AppError)) throw err;
  }
}
