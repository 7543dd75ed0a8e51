import { sql } from 'kysely';
import type { Readable } from 'node:stream';
import { Readable as NodeReadable } from 'node:stream';
import type { Db, DbOrTx } from '../../platform/db/database.js';
import { AppError, notFound } from '../../platform/errors.js';
import { neutraliseFormula } from '../imports/csv-safety.js';

/**
 * Reads of stored membership: who entered and left a segment and why, its size per day, a
 * contact's segments, the change feed later modules consume, and the members as CSV.
 */
export interface MembershipChange {
  id: string;
  segmentId: string;
  segmentName: string;
  contactId: string;
  email: string | null;
  change: 'entered' | 'exited';
  reason: string;
  at: string;
}

/** Log cursors are the last entry's number (the log is append-only, numbered in order). */
function encodeSeq(n: string): string {
  return Buffer.from(JSON.stringify({ n })).toString('base64url');
}
function decodeSeq(cursor: string | undefined): string | undefined {
  if (!cursor) return undefined;
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (v && typeof v === 'object' && 'n' in v && typeof v.n === 'string' && /^[0-9]{1,19}$/.test(v.n)) return v.n;
  } catch {
    /* fall through */
  }
  throw new AppError('invalid_cursor', 'The cursor is not one this API returned');
}

async function ensureSegment(db: DbOrTx, ws: string, id: string) {
  const s = await db
    .selectFrom('segments')
    .select(['id', 'name', 'created_at'])
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!s) throw notFound('Segment');
  return s;
}

interface LogFilter {
  segmentId?: string;
  contactId?: string;
}

/** Entries and exits, newest first, in cursor pages. */
export async function membershipHistory(
  db: DbOrTx,
  ws: string,
  f: LogFilter,
  q: { limit: number; cursor?: string },
): Promise<{ data: MembershipChange[]; nextCursor: string | null }> {
  const before = decodeSeq(q.cursor);
  let query = db
    .selectFrom('segment_membership_log as l')
    .innerJoin('segments as s', 's.id', 'l.segment_id')
    .leftJoin('contacts as c', 'c.id', 'l.contact_id')
    .select(['l.id', 'l.segment_id', 's.name', 'l.contact_id', 'c.email', 'l.change', 'l.reason', 'l.at'])
    .where('l.workspace_id', '=', ws);
  if (f.segmentId) query = query.where('l.segment_id', '=', f.segmentId);
  if (f.contactId) query = query.where('l.contact_id', '=', f.contactId);
  if (before) query = query.where('l.id', '<', before);
  const rows = await query
    .orderBy('l.id', 'desc')
    .limit(q.limit + 1)
    .execute();
  const data = rows.slice(0, q.limit).map((r) => ({
    id: String(r.id),
    segmentId: r.segment_id,
    segmentName: r.name,
    contactId: r.contact_id,
    email: r.email ?? null,
    change: r.change,
    reason: r.reason,
    at: new Date(r.at).toISOString(),
  }));
  const last = data[data.length - 1];
  return { data, nextCursor: rows.length > q.limit && last ? encodeSeq(last.id) : null };
}

export async function segmentHistory(db: DbOrTx, ws: string, id: string, q: { limit: number; cursor?: string }) {
  await ensureSegment(db, ws, id);
  return membershipHistory(db, ws, { segmentId: id }, q);
}

/**
 * The change feed in log order, oldest first after `after`: what journeys and webhooks consume.
 * Entries are written under a per-workspace lock, so within a workspace they commit in order.
 */
export async function membershipChanges(db: DbOrTx, ws: string, q: { after?: string; limit: number }) {
  const after = q.after ?? '0';
  const rows = await db
    .selectFrom('segment_membership_log as l')
    .innerJoin('segments as s', 's.id', 'l.segment_id')
    .leftJoin('contacts as c', 'c.id', 'l.contact_id')
    .select(['l.id', 'l.segment_id', 's.name', 'l.contact_id', 'c.email', 'l.change', 'l.reason', 'l.at'])
    .where('l.workspace_id', '=', ws)
    .where('l.id', '>', after)
    .orderBy('l.id', 'asc')
    .limit(q.limit)
    .execute();
  const data = rows.map((r) => ({
    id: String(r.id),
    segmentId: r.segment_id,
    segmentName: r.name,
    contactId: r.contact_id,
    email: r.email ?? null,
    change: r.change,
    reason: r.reason,
    at: new Date(r.at).toISOString(),
  }));
  return { data, last: data[data.length - 1]?.id ?? after };
}

/** The stored size at the end of each UTC day, from the entry/exit log (exact, not sampled). */
export async function segmentSizes(db: DbOrTx, ws: string, id: string, days: number, now: Date): Promise<{ day: string; size: number }[]> {
  await ensureSegment(db, ws, id);
  const to = now.toISOString().slice(0, 10);
  const from = new Date(now.getTime() - (days - 1) * 86_400_000).toISOString().slice(0, 10);
  const r = await sql<{ day: string; size: string }>`
    with deltas as (
      select (l.at at time zone 'UTC')::date as day,
             sum(case when l.change = 'entered' then 1 else -1 end) as d
      from segment_membership_log l where l.segment_id = ${id} group by 1
    ), days as (
      select generate_series(${from}::date, ${to}::date, interval '1 day')::date as day
    )
    select to_char(days.day, 'YYYY-MM-DD') as day,
           (select coalesce(sum(d), 0) from deltas where deltas.day <= days.day)::text as size
    from days order by days.day`.execute(db);
  return r.rows.map((x) => ({ day: x.day, size: Number(x.size) }));
}

/** The segments a contact is in now. */
export async function contactSegments(db: DbOrTx, ws: string, contactId: string) {
  const c = await db.selectFrom('contacts').select('id').where('workspace_id', '=', ws).where('id', '=', contactId).executeTakeFirst();
  if (!c) throw notFound('Contact');
  const rows = await db
    .selectFrom('segment_members as m')
    .innerJoin('segments as s', 's.id', 'm.segment_id')
    .select(['s.id', 's.name', 'm.entered_at'])
    .where('m.contact_id', '=', contactId)
    .where('s.workspace_id', '=', ws)
    .where('s.deleted_at', 'is', null)
    .orderBy('s.name')
    .execute();
  const lists = await db
    .selectFrom('list_members as m')
    .innerJoin('lists as l', 'l.id', 'm.list_id')
    .select(['l.id', 'l.name', 'm.added_at', 'm.added_by'])
    .where('m.contact_id', '=', contactId)
    .where('l.workspace_id', '=', ws)
    .where('l.deleted_at', 'is', null)
    .orderBy('l.name')
    .execute();
  return {
    segments: rows.map((r) => ({ id: r.id, name: r.name, enteredAt: r.entered_at.toISOString() })),
    lists: lists.map((r) => ({ id: r.id, name: r.name, addedAt: r.added_at.toISOString(), addedBy: r.added_by })),
  };
}

const EXPORT_COLUMNS = ['id', 'email', 'firstName', 'lastName', 'company', 'country', 'enteredAt'] as const;

function csvCell(v: string | null): string {
  if (v === null) return '';
  const safe = neutraliseFormula(v);
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The stored members as CSV, streamed in pages of 5,000 (formulas neutralised). */
export async function exportMembers(db: Db, ws: string, id: string): Promise<{ name: string; stream: Readable }> {
  const seg = await ensureSegment(db, ws, id);
  async function* lines(): AsyncGenerator<string> {
    yield `${EXPORT_COLUMNS.join(',')}\r\n`;
    let after: string | null = null;
    for (;;) {
      let q = db
        .selectFrom('segment_members as m')
        .innerJoin('contacts as c', 'c.id', 'm.contact_id')
        .select(['c.id', 'c.email', 'c.first_name', 'c.last_name', 'c.company', 'c.country', 'm.entered_at'])
        .where('m.segment_id', '=', id);
      if (after) q = q.where('m.contact_id', '>', after);
      const rows = await q.orderBy('m.contact_id').limit(5000).execute();
      if (rows.length === 0) return;
      yield rows
        .map(
          (r) =>
            [r.id, r.email, r.first_name, r.last_name, r.company, r.country, r.entered_at.toISOString()].map(csvCell).join(',') + '\r\n',
        )
        .join('');
      after = rows[rows.length - 1]?.id ?? null;
      if (rows.length < 5000) return;
    }
  }
  return { name: seg.name, stream: NodeReadable.from(lines()) };
}
