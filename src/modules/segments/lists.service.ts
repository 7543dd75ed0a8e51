import { sql, type Selectable } from 'kysely';
import { parse } from 'csv-parse/sync';
import type { z } from 'zod';
import type { Actor } from '../../platform/actor.js';
import { recordAudit } from '../../platform/audit/audit.service.js';
import type { DbOrTx, Tx } from '../../platform/db/database.js';
import type { ListsTable } from '../../platform/db/schema.js';
import { AppError, notFound } from '../../platform/errors.js';
import { decodeCursor, toPage, type Page } from '../../platform/http/pagination.js';
import { newId } from '../../platform/ids.js';
import { contactDef } from '../crm/crm-objects.js';
import { activeFields } from '../crm/custom-fields.service.js';
import { isValidEmail, normaliseEmail } from '../crm/field-types.js';
import { externalIdsFor, selectList, toRecordView, type RecordRow } from '../crm/records.repo.js';
import type { RecordView } from '../crm/records.schema.js';
import { directRefs } from './segments.membership.js';
import type { Ctx } from './segments.service.js';
import type { createListSchema, List, listMembersChangeSchema, updateListSchema } from './lists.schema.js';

/**
 * Static lists: contacts added and removed by hand, API, file or a segment snapshot. A list is
 * usable in segment definitions (`{"list": id}`); its changes reach segments through the queue.
 */
function toList(r: Selectable<ListsTable>): List {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    memberCount: r.member_count,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

async function load(db: DbOrTx, ws: string, id: string) {
  const r = await db
    .selectFrom('lists')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!r) throw notFound('List');
  return r;
}

export async function createList(ctx: Ctx, actor: Actor, input: z.infer<typeof createListSchema>): Promise<List> {
  return ctx.db.transaction().execute(async (trx) => {
    const now = ctx.clock.now();
    const r = await trx
      .insertInto('lists')
      .values({
        id: newId(),
        workspace_id: actor.workspaceId,
        name: input.name,
        description: input.description,
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, ctx.clock, actor, { action: 'list.created', entityType: 'list', entityId: r.id, after: { name: r.name } });
    return toList(r);
  });
}

export async function getList(ctx: Ctx, ws: string, id: string): Promise<List> {
  return toList(await load(ctx.db, ws, id));
}

export async function listLists(ctx: Ctx, ws: string, q: { limit: number; cursor?: string }): Promise<Page<List>> {
  const after = decodeCursor(q.cursor);
  let query = ctx.db.selectFrom('lists').selectAll().where('workspace_id', '=', ws).where('deleted_at', 'is', null);
  if (after) query = query.where('id', '>', after);
  const rows = await query
    .orderBy('id')
    .limit(q.limit + 1)
    .execute();
  return toPage(rows.map(toList), q.limit);
}

export async function updateList(ctx: Ctx, actor: Actor, id: string, input: z.infer<typeof updateListSchema>): Promise<List> {
  const before = await load(ctx.db, actor.workspaceId, id);
  return ctx.db.transaction().execute(async (trx) => {
    const r = await trx
      .updateTable('lists')
      .set({ ...input, updated_at: ctx.clock.now() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, ctx.clock, actor, {
      action: 'list.updated',
      entityType: 'list',
      entityId: id,
      before: { name: before.name, description: before.description },
      after: { name: r.name, description: r.description },
    });
    return toList(r);
  });
}

export async function deleteList(ctx: Ctx, actor: Actor, id: string): Promise<void> {
  const before = await load(ctx.db, actor.workspaceId, id);
  const segments = await ctx.db
    .selectFrom('segments')
    .select(['id', 'name', 'definition'])
    .where('workspace_id', '=', actor.workspaceId)
    .where('deleted_at', 'is', null)
    .execute();
  const users = segments.filter((s) => directRefs(s.definition, 'list').has(id));
  if (users.length) throw new AppError('conflict', `Used by segment ${users.map((u) => `"${u.name}"`).join(', ')}: change those first`);
  await ctx.db.transaction().execute(async (trx) => {
    await trx.updateTable('lists').set({ deleted_at: ctx.clock.now() }).where('id', '=', id).execute();
    await recordAudit(trx, ctx.clock, actor, { action: 'list.deleted', entityType: 'list', entityId: id, before: { name: before.name } });
  });
}

export async function listMembers(ctx: Ctx, ws: string, id: string, q: { limit: number; cursor?: string }): Promise<Page<RecordView>> {
  await load(ctx.db, ws, id);
  const after = decodeCursor(q.cursor);
  const r = await sql<RecordRow>`select ${selectList(contactDef)} from list_members m join contacts r on r.id = m.contact_id
    where m.list_id = ${id} and r.deleted_at is null ${after ? sql`and m.contact_id > ${after}` : sql``}
    order by m.contact_id limit ${q.limit + 1}`.execute(ctx.db);
  const ext = await externalIdsFor(
    ctx.db,
    r.rows.map((x) => x.id),
  );
  const keys = new Set((await activeFields(ctx.db, ws, 'contact')).map((f) => f.key));
  return toPage(
    r.rows.map((row) => toRecordView(contactDef, row, ext.get(row.id) ?? {}, keys)),
    q.limit,
  );
}

export interface MembersChange {
  added: number;
  removed: number;
  alreadyMembers: number;
  notMembers: number;
  /** Per value that matched no live contact: the value and why (ids or emails from the request or file). */
  errors: { row?: number; value: string; reason: string }[];
  memberCount: number;
}

/** Resolves ids and emails to live contacts of the workspace; what does not resolve is reported. */
async function resolveContacts(
  db: DbOrTx,
  ws: string,
  items: { value: string; kind: 'id' | 'email'; row?: number }[],
  errors: MembersChange['errors'],
): Promise<string[]> {
  const ids = items.filter((i) => i.kind === 'id').map((i) => i.value);
  const emails = items.filter((i) => i.kind === 'email').map((i) => i.value);
  const found = new Map<string, string>();
  for (let i = 0; i < ids.length; i += 5000) {
    const rows = await db
      .selectFrom('contacts')
      .select('id')
      .where('workspace_id', '=', ws)
      .where('deleted_at', 'is', null)
      .where('id', 'in', ids.slice(i, i + 5000))
      .execute();
    for (const r of rows) found.set(`id:${r.id}`, r.id);
  }
  for (let i = 0; i < emails.length; i += 5000) {
    const rows = await db
      .selectFrom('contacts')
      .select(['id', 'email'])
      .where('workspace_id', '=', ws)
      .where('deleted_at', 'is', null)
      .where('email', 'in', emails.slice(i, i + 5000))
      .execute();
    for (const r of rows) if (r.email) found.set(`email:${r.email}`, r.id);
  }
  const out = new Set<string>();
  for (const i of items) {
    const id = found.get(`${i.kind}:${i.value}`);
    if (id) out.add(id);
    else
      errors.push({
        ...(i.row !== undefined && { row: i.row }),
        value: i.value,
        reason: i.kind === 'id' ? 'No such contact' : 'No contact with this email',
      });
  }
  return [...out];
}

async function applyChange(
  trx: Tx,
  ctx: Ctx,
  actor: Actor,
  listId: string,
  op: 'add' | 'remove',
  contactIds: string[],
  addedBy: string,
): Promise<{ changed: number; memberCount: number }> {
  let changed = 0;
  const now = ctx.clock.now();
  for (let i = 0; i < contactIds.length; i += 5000) {
    const slice = contactIds.slice(i, i + 5000);
    const r =
      op === 'add'
        ? await sql`insert into list_members (list_id, contact_id, workspace_id, added_at, added_by)
            select ${listId}::uuid, x, ${actor.workspaceId}::uuid, ${now}::timestamptz, ${addedBy}::text from unnest(${slice}::uuid[]) as x
            on conflict do nothing`.execute(trx)
        : await sql`delete from list_members where list_id = ${listId} and contact_id = any(${slice}::uuid[])`.execute(trx);
    changed += Number(r.numAffectedRows ?? 0);
  }
  const row = await trx
    .updateTable('lists')
    .set((eb) => ({ member_count: eb('member_count', op === 'add' ? '+' : '-', changed), updated_at: now }))
    .where('id', '=', listId)
    .returning('member_count')
    .executeTakeFirstOrThrow();
  if (changed > 0) {
    await recordAudit(trx, ctx.clock, actor, {
      action: op === 'add' ? 'list.members_added' : 'list.members_removed',
      entityType: 'list',
      entityId: listId,
      after: { count: changed, by: addedBy, ...(contactIds.length <= 100 && { contactIds }) },
    });
  }
  return { changed, memberCount: row.member_count };
}

function items(input: { contactIds?: string[]; emails?: string[] }, errors: MembersChange['errors']) {
  const out: { value: string; kind: 'id' | 'email' }[] = (input.contactIds ?? []).map((value) => ({ value, kind: 'id' as const }));
  for (const e of input.emails ?? []) {
    const email = normaliseEmail(e);
    if (!isValidEmail(email)) errors.push({ value: e, reason: 'Not an email address' });
    else out.push({ value: email, kind: 'email' });
  }
  return out;
}

/** Adds contacts by id or email, or every current member of a segment (a snapshot). */
export async function changeListMembers(
  ctx: Ctx,
  actor: Actor,
  listId: string,
  op: 'add' | 'remove',
  input: z.infer<typeof listMembersChangeSchema>,
): Promise<MembersChange> {
  await load(ctx.db, actor.workspaceId, listId);
  const errors: MembersChange['errors'] = [];
  let ids = await resolveContacts(ctx.db, actor.workspaceId, items(input, errors), errors);
  let addedBy = 'api';
  if (input.segmentId) {
    const seg = await ctx.db
      .selectFrom('segments')
      .select(['id', 'state'])
      .where('workspace_id', '=', actor.workspaceId)
      .where('id', '=', input.segmentId)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    if (!seg) throw notFound('Segment');
    if (seg.state !== 'ready') throw new AppError('conflict', 'The segment is being rebuilt: take the snapshot when it is ready');
    const members = await ctx.db.selectFrom('segment_members').select('contact_id').where('segment_id', '=', seg.id).execute();
    ids = [...new Set([...ids, ...members.map((m) => m.contact_id)])];
    addedBy = `segment:${seg.id}`;
  }
  return finish(ctx, actor, listId, op, ids, addedBy, errors);
}

async function finish(
  ctx: Ctx,
  actor: Actor,
  listId: string,
  op: 'add' | 'remove',
  ids: string[],
  addedBy: string,
  errors: MembersChange['errors'],
) {
  const r = await ctx.db.transaction().execute((trx) => applyChange(trx, ctx, actor, listId, op, ids, addedBy));
  return {
    added: op === 'add' ? r.changed : 0,
    removed: op === 'remove' ? r.changed : 0,
    alreadyMembers: op === 'add' ? ids.length - r.changed : 0,
    notMembers: op === 'remove' ? ids.length - r.changed : 0,
    errors,
    memberCount: r.memberCount,
  };
}

export const MAX_LIST_FILE_ROWS = 1_000_000;

/**
 * A CSV file of contacts to add or remove: an `email` (or `id`) column, or one column of emails
 * without a header. Each row that names no live contact is reported with its line; good rows apply.
 */
export async function changeListMembersFromCsv(
  ctx: Ctx,
  actor: Actor,
  listId: string,
  op: 'add' | 'remove',
  text: string,
): Promise<MembersChange> {
  await load(ctx.db, actor.workspaceId, listId);
  let rows: string[][];
  let lines: number[];
  try {
    // With `info`, each record comes with the file line it starts on (blank lines and quoted
    // line breaks included), so errors point at the line people see in their editor.
    const parsed = parse(text.replace(/^\uFEFF/, ''), {
      relax_column_count: true,
      skip_empty_lines: true,
      bom: true,
      info: true,
    }) as unknown as Array<{
      record: string[];
      info: { lines: number; raw?: string };
    }>;
    rows = parsed.map((p) => p.record);
    lines = parsed.map((p, i) => startLine(parsed, i));
  } catch (err) {
    throw new AppError('validation_failed', `The file is not readable CSV: ${(err as Error).message}`);
  }
  if (rows.length === 0) throw new AppError('validation_failed', 'The file is empty');
  if (rows.length > MAX_LIST_FILE_ROWS + 1) throw new AppError('payload_too_large', `At most ${MAX_LIST_FILE_ROWS} rows in one file`);
  const header = (rows[0] ?? []).map((h) =>
    h
      .trim()
      .toLowerCase()
      .replace(/[\s_-]+/g, ''),
  );
  let col = header.findIndex((h) => h === 'email' || h === 'emailaddress');
  let kind: 'email' | 'id' = 'email';
  if (col < 0) {
    col = header.findIndex((h) => h === 'id' || h === 'contactid');
    kind = 'id';
  }
  const hasHeader = col >= 0;
  if (!hasHeader) {
    col = 0;
    kind = 'email';
  }
  const errors: MembersChange['errors'] = [];
  const wanted: { value: string; kind: 'id' | 'email'; row: number }[] = [];
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  rows.forEach((cells, i) => {
    if (hasHeader && i === 0) return;
    const line = lines[i] ?? i + 1;
    const v = (cells[col] ?? '').trim();
    if (v === '') errors.push({ row: line, value: v, reason: `No ${kind} in this row` });
    else if (kind === 'id' && !uuid.test(v)) errors.push({ row: line, value: v, reason: 'Not a contact id' });
    else if (kind === 'email' && !isValidEmail(normaliseEmail(v))) errors.push({ row: line, value: v, reason: 'Not an email address' });
    else wanted.push({ value: kind === 'email' ? normaliseEmail(v) : v.toLowerCase(), kind, row: line });
  });
  // A contact named twice in the file is applied once; the repeats are reported, not dropped silently.
  const firstRow = new Map<string, number>();
  const unique = wanted.filter((w) => {
    const seen = firstRow.get(w.value);
    if (seen === undefined) {
      firstRow.set(w.value, w.row);
      return true;
    }
    errors.push({ row: w.row, value: w.value, reason: `Repeats row ${seen}` });
    return false;
  });
  const ids = await resolveContacts(ctx.db, actor.workspaceId, unique, errors);
  errors.sort((a, b) => (a.row ?? 0) - (b.row ?? 0));
  return finish(ctx, actor, listId, op, ids, 'file', errors);
}

/**
 * The line a record starts on. csv-parse's `info.lines` is the line it ends on; a record spanning
 * several lines (a quoted line break) starts that many lines earlier.
 */
function startLine(parsed: Array<{ record: string[]; info: { lines: number } }>, i: number): number {
  const p = parsed[i];
  if (!p) return i + 1;
  const breaks = p.record.reduce((n, cell) => n + (cell.match(/\r\n|\n|\r/g)?.length ?? 0), 0);
  return p.info.lines - breaks;
}
