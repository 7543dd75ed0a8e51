import { sql, type RawBuilder } from 'kysely';
import type { DbOrTx } from '../../platform/db/database.js';
import type { ObjectDef } from './crm-objects.js';
import type { RecordView } from './records.schema.js';

/**
 * SQL for contacts and accounts. One generic path serves both objects (their descriptors in
 * crm-objects.ts name the table and columns), so it is written with Kysely's `sql` template and
 * identifiers from the descriptor, never from input.
 */
export type RecordRow = Record<string, unknown> & {
  id: string;
  workspace_id: string;
  custom: Record<string, unknown>;
  version: number;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
};

export function columnsOf(def: ObjectDef): string[] {
  return [
    'id',
    'workspace_id',
    ...def.fields.map((f) => f.column),
    ...(def.hasTraits ? ['traits'] : []),
    'custom',
    'raw',
    ...(def.object === 'contact' ? ['quality'] : []),
    'version',
    'created_at',
    'updated_at',
    'deleted_at',
  ];
}

export function selectList(def: ObjectDef, alias = 'r'): RawBuilder<unknown> {
  return sql.join(columnsOf(def).map((c) => sql.ref(`${alias}.${c}`)));
}

/**
 * A row as the export reads it: its timestamps already ISO 8601 text, formatted by PostgreSQL
 * (export.service `exportColumns`), because parsing them into Dates and back cost a fifth of an export.
 */
export type RecordRowTextTimes = Record<string, unknown> & {
  id: string;
  custom: Record<string, unknown>;
  version: number;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
};

const iso = (t: Date | string): string => (typeof t === 'string' ? t : t.toISOString());

/** The API view of a row. Custom values of deleted fields are hidden (they come back on restore). */
export function toRecordView(
  def: ObjectDef,
  row: RecordRow | RecordRowTextTimes,
  externalIds: Record<string, string>,
  liveKeys: ReadonlySet<string>,
): RecordView {
  const out: Record<string, unknown> = { id: row.id };
  for (const f of def.fields) {
    const v = row[f.column];
    out[f.key] = v === null || v === undefined ? null : f.type === 'number' ? Number(v) : v;
  }
  if (def.hasTraits) out.traits = row.traits ?? {};
  const custom: Record<string, unknown> = {};
  const stored = row.custom ?? {};
  for (const k in stored) if (liveKeys.has(k)) custom[k] = stored[k];
  // Assigned in the order the API shows them, not spread into a new object: an export calls this
  // for every row, and the spread and Object.entries were half of a JSON Lines export's time.
  out.custom = custom;
  out.raw = (row.raw as Record<string, string> | undefined) ?? {};
  if (def.object === 'contact') out.quality = (row.quality as Record<string, unknown> | undefined) ?? {};
  out.externalIds = externalIds;
  out.version = row.version;
  out.createdAt = iso(row.created_at);
  out.updatedAt = iso(row.updated_at);
  out.deletedAt = row.deleted_at === null ? null : iso(row.deleted_at);
  return out as RecordView;
}

export async function findRecord(
  db: DbOrTx,
  def: ObjectDef,
  workspaceId: string,
  id: string,
  opts: { forUpdate?: boolean } = {},
): Promise<RecordRow | undefined> {
  const r = await sql<RecordRow>`select ${selectList(def)} from ${sql.table(def.table)} r
    where r.workspace_id = ${workspaceId} and r.id = ${id} ${opts.forUpdate ? sql`for update` : sql``}`.execute(db);
  return r.rows[0];
}

export async function findLiveByColumn(
  db: DbOrTx,
  def: ObjectDef,
  workspaceId: string,
  column: string,
  value: string,
): Promise<RecordRow | undefined> {
  const r = await sql<RecordRow>`select ${selectList(def)} from ${sql.table(def.table)} r
    where r.workspace_id = ${workspaceId} and ${sql.ref(`r.${column}`)} = ${value} and r.deleted_at is null limit 1`.execute(db);
  return r.rows[0];
}

export async function findByExternalId(
  db: DbOrTx,
  def: ObjectDef,
  workspaceId: string,
  key: string,
  value: string,
): Promise<string | undefined> {
  const r = await db
    .selectFrom('external_ids')
    .select('record_id')
    .where('workspace_id', '=', workspaceId)
    .where('object', '=', def.object)
    .where('key', '=', key)
    .where('value', '=', value)
    .executeTakeFirst();
  return r?.record_id;
}

export async function externalIdsFor(db: DbOrTx, ids: readonly string[]): Promise<Map<string, Record<string, string>>> {
  const out = new Map<string, Record<string, string>>();
  if (ids.length === 0) return out;
  const rows = await db.selectFrom('external_ids').select(['record_id', 'key', 'value']).where('record_id', 'in', ids).execute();
  for (const r of rows) {
    const m = out.get(r.record_id) ?? {};
    m[r.key] = r.value;
    out.set(r.record_id, m);
  }
  return out;
}

/** Sets (or with null, removes) external ids of a record; a value another record holds is a conflict. */
export async function setExternalIds(
  db: DbOrTx,
  def: ObjectDef,
  workspaceId: string,
  recordId: string,
  ids: Record<string, string | null>,
): Promise<void> {
  for (const [key, value] of Object.entries(ids)) {
    await db.deleteFrom('external_ids').where('record_id', '=', recordId).where('key', '=', key).execute();
    if (value !== null) {
      await db
        .insertInto('external_ids')
        .values({ workspace_id: workspaceId, object: def.object, key, value, record_id: recordId })
        .execute();
    }
  }
}

export async function insertRecord(db: DbOrTx, def: ObjectDef, values: Record<string, unknown>): Promise<RecordRow> {
  const cols = Object.keys(values);
  const r = await sql<RecordRow>`insert into ${sql.table(def.table)} (${sql.join(cols.map((c) => sql.id(c)))})
    values (${sql.join(cols.map((c) => sqlValue(values[c])))}) returning ${sql.join(columnsOf(def).map((c) => sql.id(c)))}`.execute(db);
  const row = r.rows[0];
  if (!row) throw new Error('insert returned no row');
  return row;
}

export async function updateRecordRow(db: DbOrTx, def: ObjectDef, id: string, set: Record<string, unknown>): Promise<RecordRow> {
  const r = await sql<RecordRow>`update ${sql.table(def.table)} set ${sql.join(
    Object.entries(set).map(([c, v]) => sql`${sql.id(c)} = ${sqlValue(v)}`),
  )} where id = ${id} returning ${sql.join(columnsOf(def).map((c) => sql.id(c)))}`.execute(db);
  const row = r.rows[0];
  if (!row) throw new Error('update returned no row');
  return row;
}

/** Objects (jsonb columns) are sent as JSON text; everything else as a plain parameter. */
function sqlValue(v: unknown): RawBuilder<unknown> {
  if (v !== null && typeof v === 'object' && !(v instanceof Date)) return sql`${JSON.stringify(v)}::jsonb`;
  return sql`${v}`;
}

export async function userExists(db: DbOrTx, workspaceId: string, id: string): Promise<boolean> {
  return Boolean(await db.selectFrom('users').select('id').where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst());
}

export async function accountExists(db: DbOrTx, workspaceId: string, id: string): Promise<boolean> {
  return Boolean(
    await db
      .selectFrom('accounts')
      .select('id')
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst(),
  );
}
