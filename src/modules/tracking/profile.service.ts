import { sql } from 'kysely';
import type { DbOrTx } from '../../platform/db/database.js';
import { AppError, notFound } from '../../platform/errors.js';
import type { Page } from '../../platform/http/pagination.js';
import { contactDef } from '../crm/crm-objects.js';
import { findRecord } from '../crm/records.repo.js';
import type { TrackedEvent } from './messages.schema.js';

async function profilesOfContact(db: DbOrTx, ws: string, contactId: string): Promise<string[]> {
  const c = await findRecord(db, contactDef, ws, contactId);
  if (!c) throw notFound('Contact');
  const rows = await db.selectFrom('profiles').select('id').where('workspace_id', '=', ws).where('contact_id', '=', contactId).execute();
  return rows.map((r) => r.id);
}

function cursorOf(ts: Date, id: string): string {
  return Buffer.from(JSON.stringify({ ts: ts.toISOString(), id })).toString('base64url');
}

function decode(cursor: string | undefined): { ts: string; id: string } | null {
  if (!cursor) return null;
  try {
    const c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { ts?: unknown; id?: unknown };
    if (typeof c.ts === 'string' && !Number.isNaN(Date.parse(c.ts)) && typeof c.id === 'string' && /^[0-9a-f-]{36}$/.test(c.id))
      return { ts: c.ts, id: c.id };
  } catch {
    /* fall through */
  }
  throw new AppError('invalid_cursor', 'The cursor is not one this API returned');
}

type EventRow = {
  id: string;
  type: TrackedEvent['type'];
  event: string | null;
  name: string | null;
  message_id: string;
  anonymous_id: string | null;
  user_id: string | null;
  ts: Date;
  received_at: Date;
  source_id: string;
  properties: Record<string, unknown>;
  traits: Record<string, unknown>;
  context: Record<string, unknown>;
};

function toEvent(e: EventRow): TrackedEvent {
  return {
    id: e.id,
    type: e.type,
    event: e.event,
    name: e.name,
    messageId: e.message_id,
    anonymousId: e.anonymous_id,
    userId: e.user_id,
    timestamp: e.ts.toISOString(),
    receivedAt: e.received_at.toISOString(),
    sourceId: e.source_id,
    properties: e.properties,
    traits: e.traits,
    context: e.context,
  };
}

/**
 * The live event stream of a workspace, newest received first: what the debugger shows.
 * `after` returns only events received after a cursor (polling for new ones).
 */
export async function recentEvents(
  db: DbOrTx,
  ws: string,
  q: { limit: number; cursor?: string; sourceId?: string; type?: string; user?: string; event?: string },
): Promise<Page<TrackedEvent & { contactId: string | null }>> {
  const c = decode(q.cursor);
  // Filtered to a user: every event carrying that id belongs to a profile holding it as an
  // identity (merges move both), so the profiles' index narrows the scan to that person instead of
  // walking the whole workspace's stream for a rare id (454 ms a poll at 500,000 events, measured).
  // The profiles are this workspace's (found through its identities).
  let userProfiles: string[] | null = null;
  if (q.user) {
    const ids = await sql<{ profile_id: string }>`select profile_id from identities
      where workspace_id = ${ws} and kind in ('user_id', 'anonymous_id') and value = ${q.user}`.execute(db);
    if (ids.rows.length === 0) return { data: [], nextCursor: null };
    // Events left on a profile merged into these (a batch that raced the merge) still count.
    const all = await sql<{ id: string }>`with recursive m(id, depth) as (
        select unnest(${ids.rows.map((x) => x.profile_id)}::uuid[]), 0
        union select pm.from_profile, m.depth + 1 from profile_merges pm join m on pm.into_profile = m.id where m.depth < 5)
      select distinct id from m`.execute(db);
    userProfiles = all.rows.map((x) => x.id);
  }
  const r = await sql<
    EventRow & { contact_id: string | null; received_key: string }
  >`select e.*, date_trunc('milliseconds', e.received_at) as received_at, p.contact_id,
      to_char(e.received_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as received_key
    from events e join profiles p on p.id = e.profile_id
    where ${userProfiles ? sql`e.profile_id = any(${userProfiles}::uuid[]) and (e.user_id = ${q.user} or e.anonymous_id = ${q.user})` : sql`e.workspace_id = ${ws}`}
      ${q.sourceId ? sql`and e.source_id = ${q.sourceId}` : sql``}
      ${q.type ? sql`and e.type = ${q.type}` : sql``}
      ${q.event ? sql`and e.event = ${q.event}` : sql``}
      ${c ? sql`and (e.received_at, e.id) < (${c.ts}::timestamptz, ${c.id}::uuid)` : sql``}
    order by e.received_at desc, e.id desc limit ${q.limit + 1}`.execute(db);
  const rows = r.rows.slice(0, q.limit);
  const last = rows[rows.length - 1];
  // The cursor keeps the stored microseconds (a JavaScript date would round them away), so the
  // next page starts exactly after this one on the index (workspace_id, received_at, id).
  return {
    data: rows.map((e) => ({ ...toEvent(e), contactId: e.contact_id })),
    nextCursor:
      r.rows.length > q.limit && last ? Buffer.from(JSON.stringify({ ts: last.received_key, id: last.id })).toString('base64url') : null,
  };
}

/** A contact's events across all its profiles, newest first (event time, then id). */
export async function contactEvents(
  db: DbOrTx,
  ws: string,
  contactId: string,
  q: { limit: number; cursor?: string },
): Promise<Page<TrackedEvent>> {
  const profiles = await profilesOfContact(db, ws, contactId);
  if (profiles.length === 0) return { data: [], nextCursor: null };
  const c = decode(q.cursor);
  const r =
    await sql<EventRow>`select date_trunc('milliseconds', ts) as ts, id, type, event, name, message_id, anonymous_id, user_id, received_at, source_id, properties, traits, context
    from events where profile_id = any(${profiles}::uuid[]) ${c ? sql`and (date_trunc('milliseconds', ts), id) < (${new Date(c.ts)}, ${c.id})` : sql``}
    order by date_trunc('milliseconds', ts) desc, id desc limit ${q.limit + 1}`.execute(db);
  const rows = r.rows.slice(0, q.limit);
  const last = rows[rows.length - 1];
  return {
    data: rows.map(toEvent),
    nextCursor: r.rows.length > q.limit && last ? cursorOf(last.ts, last.id) : null,
  };
}

export async function contactIdentities(db: DbOrTx, ws: string, contactId: string) {
  const profiles = await profilesOfContact(db, ws, contactId);
  if (profiles.length === 0) return { data: [] };
  const rows = await db.selectFrom('identities').selectAll().where('profile_id', 'in', profiles).orderBy('first_seen_at').execute();
  return {
    data: rows.map((r) => ({
      kind: r.kind === 'user_id' ? ('userId' as const) : ('anonymousId' as const),
      value: r.value,
      firstSeenAt: r.first_seen_at.toISOString(),
      profileId: r.profile_id,
    })),
  };
}

/**
 * The identity merges behind a contact's profile: which anonymous or known profile was folded into
 * which, why (same userId, alias, identify with both ids) and when. Merged profiles point straight
 * at their survivor, so one step finds them all.
 */
export async function contactMerges(db: DbOrTx, ws: string, contactId: string) {
  const profiles = await profilesOfContact(db, ws, contactId);
  if (profiles.length === 0) return { data: [] };
  const folded = await db.selectFrom('profiles').select('id').where('merged_into', 'in', profiles).execute();
  const all = [...profiles, ...folded.map((p) => p.id)];
  const rows = await db
    .selectFrom('profile_merges')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('into_profile', 'in', all)
    .orderBy('merged_at', 'desc')
    .limit(500)
    .execute();
  return {
    data: rows.map((m) => ({
      fromProfile: m.from_profile,
      intoProfile: m.into_profile,
      reason: m.reason,
      messageId: m.message_id,
      at: m.merged_at.toISOString(),
    })),
  };
}

export async function contactTouchpoints(db: DbOrTx, ws: string, contactId: string, q: { limit: number; cursor?: string }) {
  const profiles = await profilesOfContact(db, ws, contactId);
  if (profiles.length === 0) return { data: [], nextCursor: null };
  const c = decode(q.cursor);
  let query = db.selectFrom('touchpoints').selectAll().where('profile_id', 'in', profiles);
  if (c) query = query.where((eb) => eb.or([eb('ts', '<', new Date(c.ts)), eb.and([eb('ts', '=', new Date(c.ts)), eb('id', '<', c.id)])]));
  const rows = await query
    .orderBy('ts', 'desc')
    .orderBy('id', 'desc')
    .limit(q.limit + 1)
    .execute();
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    data: page.map((t) => ({
      id: t.id,
      timestamp: t.ts.toISOString(),
      channel: t.channel,
      source: t.source,
      medium: t.medium,
      campaign: t.campaign,
      term: t.term,
      content: t.content,
      clickId: t.click_id,
      referrer: t.referrer,
      landingPage: t.landing_page,
    })),
    nextCursor: rows.length > q.limit && last ? cursorOf(last.ts, last.id) : null,
  };
}
