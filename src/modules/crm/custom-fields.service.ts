import { sql, type RawBuilder, type Selectable } from 'kysely';
import type { Actor } from '../../platform/actor.js';
import { recordAudit } from '../../platform/audit/audit.service.js';
import type { Clock } from '../../platform/clock.js';
import type { Db, DbOrTx } from '../../platform/db/database.js';
import type { CustomFieldsTable } from '../../platform/db/schema.js';
import { AppError, notFound, type ProblemDetail } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import { objectDefs } from './crm-objects.js';
import type { ObjectName } from './field-types.js';
import { valueSchema } from './field-types.js';
import { keyFromLabel, type CreateCustomFieldInput, type CustomField, type UpdateCustomFieldInput } from './custom-fields.schema.js';

export interface Ctx {
  db: Db;
  clock: Clock;
}

type Row = Selectable<CustomFieldsTable>;

/** A deleted field can be restored for this long; then its values are removed for good. */
export const RESTORE_DAYS = 30;
const DAY_MS = 86_400_000;

export function toCustomField(r: Row): CustomField {
  return {
    id: r.id,
    object: r.object as ObjectName,
    key: r.key,
    label: r.label,
    type: r.type as CustomField['type'],
    options: r.options,
    currency: r.currency,
    description: r.description,
    required: r.required,
    indexed: r.indexed,
    position: r.position,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    deletedAt: r.deleted_at?.toISOString() ?? null,
    purgeAfter: r.deleted_at ? new Date(r.deleted_at.getTime() + RESTORE_DAYS * DAY_MS).toISOString() : null,
  };
}

/** The live custom fields of an object, in display order. */
export async function activeFields(db: DbOrTx, workspaceId: string, object: ObjectName): Promise<CustomField[]> {
  const rows = await db
    .selectFrom('custom_fields')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('object', '=', object)
    .where('deleted_at', 'is', null)
    .orderBy('position')
    .orderBy('id')
    .execute();
  return rows.map(toCustomField);
}

export async function listCustomFields(
  ctx: Ctx,
  workspaceId: string,
  q: { object?: ObjectName; deleted: 'exclude' | 'include' | 'only' },
): Promise<CustomField[]> {
  let query = ctx.db.selectFrom('custom_fields').selectAll().where('workspace_id', '=', workspaceId);
  if (q.object) query = query.where('object', '=', q.object);
  if (q.deleted === 'exclude') query = query.where('deleted_at', 'is', null);
  if (q.deleted === 'only') query = query.where('deleted_at', 'is not', null);
  const rows = await query.orderBy('object').orderBy('position').orderBy('id').execute();
  return rows.map(toCustomField);
}

/**
 * Validates custom values against the field definitions: unknown or deleted keys are refused,
 * each value must fit its type, and on create every required field must be given.
 * Returns the normalised values (null for a value being cleared).
 */
export function validateCustomValues(
  fields: readonly CustomField[],
  input: Record<string, unknown>,
  mode: 'create' | 'update',
  path = 'custom',
): Record<string, unknown> {
  const byKey = new Map(fields.map((f) => [f.key, f]));
  const out: Record<string, unknown> = {};
  const problems: ProblemDetail[] = [];
  for (const [key, raw] of Object.entries(input)) {
    const f = byKey.get(key);
    if (!f) {
      problems.push({ path: `${path}.${key}`, message: `There is no custom field "${key}"` });
      continue;
    }
    if (raw === null) {
      if (f.required) problems.push({ path: `${path}.${key}`, message: `${f.label} is required` });
      else out[key] = null;
      continue;
    }
    const r = valueSchema(f).safeParse(raw);
    if (r.success) out[key] = r.data;
    else problems.push({ path: `${path}.${key}`, message: r.error.issues[0]?.message ?? `${f.label} is not valid` });
  }
  if (mode === 'create') {
    for (const f of fields) {
      if (f.required && (out[f.key] === undefined || out[f.key] === null) && !problems.some((p) => p.path === `${path}.${f.key}`)) {
        problems.push({ path: `${path}.${f.key}`, message: `${f.label} is required` });
      }
    }
  }
  if (problems.length) throw new AppError('validation_failed', problems.map((p) => p.message).join('; '), problems);
  return out;
}

/**
 * What a field marked `indexed` gets, on the very expression the filter compiler and the sort use
 * (records-query `resolveField`: `::numeric` for number and currency, `::boolean`, text otherwise):
 * - an index on (workspace_id, expression, id) of live records, so that a filter on the value is an
 *   index range and a sort by it an index walk in (value, id) order, forwards or backwards
 *   (records-query `pageQuery`). Multi-select values are filtered with `?|` / `?&` on the jsonb,
 *   which a GIN index serves. Migration 0008 rebuilt the indexes made before with these same
 *   expressions.
 * - statistics on the expression: the planner reads none from a partial index, and without them it
 *   guesses that a third of the rows pass `value >= x`, so a filter that matches nothing walked the
 *   whole workspace in id order instead of the index (BENCHMARKS.md, contacts-list).
 */
function customFieldIndexSql(field: Pick<Row, 'id' | 'object' | 'key' | 'type'>): RawBuilder<unknown>[] {
  // The key is checked by the table's CHECK constraint (^[a-z][a-z0-9_]*$), so it is safe to inline;
  // it must be a literal for the planner to match `custom->>'key'` in filters to this index.
  const table = sql.table(objectDefs[field.object as ObjectName].table);
  const name = customFieldIndexName(field);
  const key = sql.lit(field.key);
  if (field.type === 'multiselect')
    return [sql`create index if not exists ${sql.id(name)} on ${table} using gin ((custom->${key})) where deleted_at is null`];
  const expr =
    field.type === 'number' || field.type === 'currency'
      ? sql`((custom->>${key})::numeric)`
      : field.type === 'boolean'
        ? sql`((custom->>${key})::boolean)`
        : sql`(custom->>${key})`;
  return [
    sql`create index if not exists ${sql.id(name)} on ${table} (workspace_id, ${expr}, id) where deleted_at is null`,
    sql`create statistics if not exists ${sql.id(`${name}_stats`)} on ${expr} from ${table}`,
  ];
}

function customFieldIndexName(field: Pick<Row, 'id'>): string {
  return `cf_${field.id.replace(/-/g, '')}`;
}

/** Creates the field's index and statistics; `analyze` fills the statistics from values already held. */
async function ensureIndex(db: DbOrTx, field: Row, opts: { analyze: boolean }): Promise<void> {
  for (const statement of customFieldIndexSql(field)) await statement.execute(db);
  if (opts.analyze) await sql`analyze ${sql.table(objectDefs[field.object as ObjectName].table)}`.execute(db);
}

async function dropIndex(db: DbOrTx, field: Row): Promise<void> {
  await sql`drop index if exists ${sql.id(customFieldIndexName(field))}`.execute(db);
  await sql`drop statistics if exists ${sql.id(`${customFieldIndexName(field)}_stats`)}`.execute(db);
}

function auditView(r: Row): Record<string, unknown> {
  return { object: r.object, key: r.key, label: r.label, type: r.type, options: r.options, required: r.required, indexed: r.indexed };
}

export async function createCustomField(ctx: Ctx, actor: Actor, input: CreateCustomFieldInput): Promise<CustomField> {
  const key = input.key ?? keyFromLabel(input.label);
  const def = objectDefs[input.object];
  if (def.fields.some((f) => f.key.toLowerCase() === key.replace(/_/g, '').toLowerCase() || f.column === key)) {
    throw new AppError('already_exists', `"${key}" is a built-in ${def.label.toLowerCase()} field`);
  }
  return ctx.db.transaction().execute(async (trx) => {
    const existing = await trx
      .selectFrom('custom_fields')
      .select(['deleted_at'])
      .where('workspace_id', '=', actor.workspaceId)
      .where('object', '=', input.object)
      .where('key', '=', key)
      .executeTakeFirst();
    if (existing) {
      throw new AppError(
        'already_exists',
        existing.deleted_at
          ? `A deleted field still holds the key "${key}": restore it, or pick another key`
          : `A field with key "${key}" already exists`,
      );
    }
    const now = ctx.clock.now();
    const position = await trx
      .selectFrom('custom_fields')
      .select((eb) => eb.fn.coalesce(eb.fn.max('position'), eb.lit(0)).as('p'))
      .where('workspace_id', '=', actor.workspaceId)
      .where('object', '=', input.object)
      .executeTakeFirstOrThrow();
    const row = await trx
      .insertInto('custom_fields')
      .values({
        id: newId(),
        workspace_id: actor.workspaceId,
        object: input.object,
        key,
        label: input.label,
        type: input.type,
        options: JSON.stringify(input.options ?? []),
        currency: input.currency ?? null,
        description: input.description,
        required: input.required,
        indexed: input.indexed,
        position: Number(position.p) + 1,
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    // A new field holds no values yet: nothing to analyze.
    if (row.indexed) await ensureIndex(trx, row, { analyze: false });
    await recordAudit(trx, ctx.clock, actor, {
      action: 'custom_field.created',
      entityType: 'custom_field',
      entityId: row.id,
      after: auditView(row),
    });
    return toCustomField(row);
  });
}

async function lockField(db: DbOrTx, workspaceId: string, id: string): Promise<Row> {
  const row = await db
    .selectFrom('custom_fields')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw notFound('Custom field');
  return row;
}

async function countUsing(db: DbOrTx, row: Row, option?: string): Promise<number> {
  const table = objectDefs[row.object as ObjectName].table;
  const cond =
    option === undefined
      ? sql`custom ? ${row.key}`
      : row.type === 'multiselect'
        ? sql`custom->${row.key} ? ${option}`
        : sql`custom->>${row.key} = ${option}`;
  const r = await sql<{
    n: string;
  }>`select count(*) as n from ${sql.table(table)} where workspace_id = ${row.workspace_id} and ${cond}`.execute(db);
  return Number(r.rows[0]?.n ?? 0);
}

export async function updateCustomField(ctx: Ctx, actor: Actor, id: string, input: UpdateCustomFieldInput): Promise<CustomField> {
  return ctx.db.transaction().execute(async (trx) => {
    const before = await lockField(trx, actor.workspaceId, id);
    if (before.deleted_at) throw new AppError('conflict', 'This field is deleted: restore it before changing it');
    if (input.options && !['select', 'multiselect'].includes(before.type)) {
      throw new AppError('validation_failed', 'Only select fields have options');
    }
    if (input.options) {
      // Removing an option some records still hold would leave values no form can show.
      for (const gone of before.options.filter((o) => !input.options?.includes(o))) {
        const n = await countUsing(trx, before, gone);
        if (n > 0) throw new AppError('conflict', `${n} records still have "${gone}": change them before removing the option`);
      }
    }
    const after = await trx
      .updateTable('custom_fields')
      .set({
        ...(input.label !== undefined && { label: input.label }),
        ...(input.options !== undefined && { options: JSON.stringify(input.options) }),
        ...(input.description !== undefined && { description: input.description }),
        ...(input.required !== undefined && { required: input.required }),
        ...(input.indexed !== undefined && { indexed: input.indexed }),
        ...(input.position !== undefined && { position: input.position }),
        updated_at: ctx.clock.now(),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    if (after.indexed && !before.indexed) await ensureIndex(trx, after, { analyze: true });
    if (!after.indexed && before.indexed) await dropIndex(trx, after);
    await recordAudit(trx, ctx.clock, actor, {
      action: 'custom_field.updated',
      entityType: 'custom_field',
      entityId: id,
      before: auditView(before),
      after: auditView(after),
    });
    return toCustomField(after);
  });
}

/** Soft delete: the field disappears from forms, lists, import and export; values stay until purged. */
export async function deleteCustomField(ctx: Ctx, actor: Actor, id: string): Promise<CustomField> {
  return ctx.db.transaction().execute(async (trx) => {
    const before = await lockField(trx, actor.workspaceId, id);
    if (before.deleted_at) return toCustomField(before);
    const after = await trx
      .updateTable('custom_fields')
      .set({ deleted_at: ctx.clock.now(), updated_at: ctx.clock.now() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, ctx.clock, actor, {
      action: 'custom_field.deleted',
      entityType: 'custom_field',
      entityId: id,
      before: auditView(before),
    });
    return toCustomField(after);
  });
}

export async function restoreCustomField(ctx: Ctx, actor: Actor, id: string): Promise<CustomField> {
  return ctx.db.transaction().execute(async (trx) => {
    const before = await lockField(trx, actor.workspaceId, id);
    if (!before.deleted_at) return toCustomField(before);
    const after = await trx
      .updateTable('custom_fields')
      .set({ deleted_at: null, updated_at: ctx.clock.now() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, ctx.clock, actor, {
      action: 'custom_field.restored',
      entityType: 'custom_field',
      entityId: id,
      after: auditView(after),
    });
    return toCustomField(after);
  });
}

/**
 * Removes fields deleted more than RESTORE_DAYS ago, with their values, in every workspace.
 * Values are stripped in batches so a million-record table is never locked in one statement.
 */
export async function purgeDeletedFields(ctx: Ctx, batch = 5000): Promise<number> {
  const cutoff = new Date(ctx.clock.now().getTime() - RESTORE_DAYS * DAY_MS);
  const due = await ctx.db.selectFrom('custom_fields').selectAll().where('deleted_at', '<', cutoff).execute();
  for (const f of due) {
    const table = objectDefs[f.object as ObjectName].table;
    for (;;) {
      const r = await sql`update ${sql.table(table)} set custom = custom - ${f.key}
        where id in (select id from ${sql.table(table)} where workspace_id = ${f.workspace_id} and custom ? ${f.key} limit ${batch})`.execute(
        ctx.db,
      );
      if (Number(r.numAffectedRows ?? 0) < batch) break;
    }
    await ctx.db.transaction().execute(async (trx) => {
      await dropIndex(trx, f);
      await trx.deleteFrom('custom_fields').where('id', '=', f.id).execute();
      await recordAudit(
        trx,
        ctx.clock,
        { workspaceId: f.workspace_id, type: 'system', id: null, label: 'system', role: 'admin' },
        {
          action: 'custom_field.purged',
          entityType: 'custom_field',
          entityId: f.id,
          before: auditView(f),
        },
      );
    });
  }
  return due.length;
}
