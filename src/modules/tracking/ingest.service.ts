import { sql } from 'kysely';
import type { BlockList } from 'node:net';
import { isbot } from 'isbot';
import type { Clock } from '../../platform/clock.js';
import type { Insertable } from 'kysely';
import type { Db, DbOrTx } from '../../platform/db/database.js';
import type { TouchpointsTable } from '../../platform/db/schema.js';
import { newId } from '../../platform/ids.js';
import { visitOf, classifyChannel } from './channels.js';
import { rulesFor } from './channel-rules.service.js';
import { checkAgainstPlan, planFor, recordStats, type PlanCheck } from './tracking-plan.service.js';
import { messageSchema, type Message } from './messages.schema.js';
import { isExcluded } from './sources.service.js';
import { resolveProfile, linkGroupsToAccounts, linkProfilesToContacts, type ContactLink, type GroupLink } from './identity.service.js';

export interface IngestCtx {
  db: Db;
  clock: Clock;
  /**
   * Where contact links that failed after the events were stored go (the server's job queue):
   * the answer stays 200, since the events are committed, and the `tracking.link` job links them
   * later. Without it (demo data, scripts) a failed link throws.
   */
  deferLinks?: (work: LinkWork, err: unknown) => Promise<void>;
}

/** Contact and account links of one request, for `linkAll` now or the `tracking.link` job later. */
export interface LinkWork {
  workspaceId: string;
  links: ContactLink[];
  groups: GroupLink[];
}

/** Segment's limits: 32 KB per message, 500 KB per batch request. */
export const MAX_MESSAGE_BYTES = 32 * 1024;
export const MAX_BATCH_BYTES = 500 * 1024;
/** Event times are kept as sent unless they are later than this past the time of receipt. */
const FUTURE_TOLERANCE_MS = 24 * 3_600_000;
const EARLIEST = Date.parse('2000-01-01T00:00:00Z');
const SESSION_MS = 30 * 60_000;

export interface Rejected {
  index: number;
  messageId: string | null;
  reason: string;
}

export interface IngestResult {
  stored: number;
  duplicates: number;
  bots: number;
  /** Dropped: sent from an address the source excludes (the team's own traffic). */
  excluded: number;
  rejected: Rejected[];
}

interface Normalised {
  raw: unknown;
  msg: Message;
  messageId: string;
  ts: Date;
  sentAt: Date | null;
  anonymousId: string | null;
  userId: string | null;
  context: Record<string, unknown>;
}

function toDate(v: unknown): Date | null {
  if (v === undefined || v === null || v === '') return null;
  const d = typeof v === 'number' ? new Date(v) : new Date(String(v));
  return Number.isNaN(d.getTime()) ? null : d;
}

function clip(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  return String(v).slice(0, 500);
}

/**
 * Validates one message and fixes its time the way Segment does: when the client sent both
 * `sentAt` and a timestamp, the event happened `sentAt - timestamp` before we received it, which
 * cancels a client clock that is off. Returns a reason instead when the message cannot be kept.
 */
export function normalise(
  raw: unknown,
  batch: { context?: Record<string, unknown>; sentAt?: unknown },
  receivedAt: Date,
): Normalised | string {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return 'a message must be a JSON object';
  if (Buffer.byteLength(JSON.stringify(raw)) > MAX_MESSAGE_BYTES) return 'message is larger than 32 KB';
  const parsed = messageSchema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    return i ? `${i.path.join('.') || 'message'}: ${i.message}` : 'not a valid message';
  }
  const msg = parsed.data;
  const anonymousId = clip(msg.anonymousId);
  const userId = clip(msg.userId);
  if (msg.type !== 'alias' && !anonymousId && !userId) return 'userId or anonymousId is required';
  const context = { ...(batch.context ?? {}), ...(msg.context ?? {}) };
  const sentAt = toDate(msg.sentAt ?? batch.sentAt);
  const original = toDate(msg.originalTimestamp ?? msg.timestamp);
  if ((msg.timestamp !== undefined || msg.originalTimestamp !== undefined) && !original) return 'timestamp is not a date';
  let ts = original ?? receivedAt;
  if (original && sentAt) ts = new Date(receivedAt.getTime() - (sentAt.getTime() - original.getTime()));
  if (ts.getTime() < EARLIEST) return 'timestamp is before the year 2000';
  if (ts.getTime() > receivedAt.getTime() + FUTURE_TOLERANCE_MS) ts = receivedAt;
  return { raw, msg, messageId: msg.messageId ?? `keel-${newId()}`, ts, sentAt, anonymousId, userId, context };
}

/**
 * Stores a request's messages. Everything a 200 acknowledges is committed first: dedup keys,
 * profiles and identities, events and touchpoints go in one transaction. Bad messages are
 * reported by index and never cost the good ones. Contacts are linked (identify with an email)
 * right after, before the answer.
 */
export async function ingest(
  ctx: IngestCtx,
  source: { sourceId: string; workspaceId: string; excluded?: BlockList | null },
  raws: unknown[],
  batch: { context?: Record<string, unknown>; sentAt?: unknown; requestIp?: string } = {},
  count: (outcome: string, n?: number) => void = () => undefined,
): Promise<IngestResult> {
  const receivedAt = ctx.clock.now();
  const ok: Normalised[] = [];
  const rejected: Rejected[] = [];
  let bots = 0;
  let excluded = 0;
  raws.forEach((raw, index) => {
    const n = normalise(raw, batch, receivedAt);
    if (typeof n === 'string') {
      rejected.push({
        index,
        messageId:
          typeof (raw as { messageId?: unknown })?.messageId === 'string' ? String((raw as { messageId: string }).messageId) : null,
        reason: n,
      });
      count('rejected');
    } else if (typeof n.context.userAgent === 'string' && isbot(n.context.userAgent)) {
      bots++;
      count('bot');
    } else if (isExcluded(source.excluded ?? null, n.context.ip ?? batch.requestIp)) {
      // The visitor's address: what a server-side library forwards in context.ip, else the request's.
      excluded++;
      count('internal');
    } else ok.push(n);
  });
  if (ok.length === 0) return { stored: 0, duplicates: 0, bots, excluded, rejected };
  const ws = source.workspaceId;
  const links: ContactLink[] = [];
  const groups: GroupLink[] = [];
  const blocked: Rejected[] = [];
  const { stored, duplicates } = await withRetry(() =>
    ctx.db.transaction().execute(async (trx) => {
      links.length = 0;
      blocked.length = 0;
      groups.length = 0;
      const ids = ok.map((n) => n.messageId);
      const fresh = await sql<{ message_id: string }>`insert into event_ids (workspace_id, message_id)
      select ${ws}, m from unnest(${ids}::text[]) as u(m) on conflict do nothing returning message_id`.execute(trx);
      const isNew = new Set(fresh.rows.map((r) => r.message_id));
      const fresh_ = ok.filter((n) => isNew.delete(n.messageId));
      // The tracking plan: every track call is checked and counted; a violation of an event
      // planned with `block` is refused (reported like any bad message), the rest are kept.
      const plan = await planFor(trx, ws, receivedAt.getTime());
      const checks: PlanCheck[] = [];
      const todo = fresh_.filter((n) => {
        if (n.msg.type !== 'track') return true;
        const check = checkAgainstPlan(plan, n.msg.event, n.messageId, n.msg.properties ?? {});
        checks.push(check);
        if (check.blocked)
          blocked.push({
            index: raws.indexOf(n.raw),
            messageId: n.messageId,
            reason: `violates the tracking plan: ${check.errors?.join('; ') ?? ''}`,
          });
        return !check.blocked;
      });
      const rows: Array<Record<string, unknown>> = [];
      // Most messages come from visitors already known by every id they carry: those take their
      // profile from one lookup for the whole batch and are touched in one statement at the end.
      // New ids, conflicting ids and aliases go through resolveProfile one by one, in order.
      const known = await knownIdentities(trx, ws, todo);
      const touched = new Map<string, ProfileTouch>();
      for (const n of todo) {
        const fast = fastProfile(known, n);
        const profileId = fast ?? (await resolveProfile(trx, ws, n, receivedAt));
        if (fast) touch(touched, fast, n);
        else {
          if (n.userId) known.set(`user_id:${n.userId}`, profileId);
          if (n.anonymousId) known.set(`anonymous_id:${n.anonymousId}`, profileId);
        }
        const m = n.msg;
        const traits = m.type === 'identify' || m.type === 'group' ? (m.traits ?? {}) : {};
        const properties =
          m.type === 'track' || m.type === 'page' || m.type === 'screen'
            ? (m.properties ?? {})
            : m.type === 'group'
              ? { groupId: String(m.groupId) }
              : m.type === 'alias'
                ? { previousId: String(m.previousId) }
                : {};
        rows.push({
          id: newId(),
          profile_id: profileId,
          type: m.type,
          event: m.type === 'track' ? m.event : null,
          name: m.type === 'page' || m.type === 'screen' ? (m.name ?? null) : null,
          message_id: n.messageId,
          anonymous_id: n.anonymousId,
          user_id: n.userId,
          ts: n.ts,
          sent_at: n.sentAt,
          properties: JSON.stringify(properties),
          traits: JSON.stringify(traits),
          context: JSON.stringify(n.context),
        });
        if (m.type === 'identify') {
          const email = typeof traits.email === 'string' ? traits.email : null;
          if (email) links.push({ profileId, email, traits });
        }
        if (m.type === 'group') groups.push({ profileId, groupId: String(m.groupId), traits });
      }
      if (rows.length) {
        // A later message of this batch may have merged a profile an earlier one was given.
        const merged = await trx
          .selectFrom('profiles')
          .select(['id', 'merged_into'])
          .where('id', 'in', [...new Set(rows.map((r) => String(r.profile_id)))])
          .where('merged_into', 'is not', null)
          .execute();
        const into = new Map(merged.map((p) => [p.id, p.merged_into]));
        for (const r of rows) r.profile_id = into.get(String(r.profile_id)) ?? r.profile_id;
        const col = (k: string) => rows.map((r) => r[k]);
        await sql`insert into events (id, workspace_id, source_id, profile_id, type, event, name, message_id, anonymous_id, user_id, ts, sent_at, received_at, properties, traits, context)
        select id, ${ws}, ${source.sourceId}, profile_id, type, event, name, message_id, anonymous_id, user_id, ts, sent_at, ${receivedAt}, properties, traits, context
        from unnest(${col('id')}::uuid[], ${col('profile_id')}::uuid[], ${col('type')}::text[], ${col('event')}::text[], ${col('name')}::text[],
          ${col('message_id')}::text[], ${col('anonymous_id')}::text[], ${col('user_id')}::text[], ${col('ts')}::timestamptz[],
          ${col('sent_at')}::timestamptz[], ${col('properties')}::jsonb[], ${col('traits')}::jsonb[], ${col('context')}::jsonb[])
          as u(id, profile_id, type, event, name, message_id, anonymous_id, user_id, ts, sent_at, properties, traits, context)`.execute(
          trx,
        );
        await recordTouchpoints(trx, ws, rows, todo);
        // Near the end: concurrent batches from the same visitors wait for these row locks until
        // this transaction commits, so they are taken after the events and touchpoints are written.
        await touchProfiles(trx, touched, into);
      }
      // Last: the per-event counters are rows every batch updates, so they are held only briefly.
      if (checks.length) await recordStats(trx, ws, checks, receivedAt);
      return { stored: rows.length, duplicates: ok.length - fresh_.length };
    }),
  );
  count('stored', stored);
  count('blocked_by_plan', blocked.length);
  rejected.push(...blocked);
  rejected.sort((a, b) => a.index - b.index);
  count('duplicate', duplicates);
  if (links.length || groups.length) {
    const work: LinkWork = { workspaceId: ws, links: [...links], groups: [...groups] };
    try {
      await linkAll(ctx, work);
    } catch (err) {
      // The events are committed: a failure here must not turn their 200 into an error (the client
      // would send them again for nothing). The links are queued instead; without a queue, throw.
      if (!ctx.deferLinks) throw err;
      await ctx.deferLinks(work, err);
      count('link_deferred');
    }
  }
  return { stored, duplicates, bots, excluded, rejected };
}

/**
 * Links profiles to contacts (identify with an email) and accounts (group). Two batches from one
 * person can race to create the same contact (two clients, or one client flushing batches in
 * parallel): the loser finds the winner's contact when it tries again.
 */
export async function linkAll(ctx: { db: Db; clock: Clock }, work: LinkWork): Promise<void> {
  if (work.links.length) await withRetry(() => linkProfilesToContacts(ctx, work.workspaceId, work.links), 4, LINK_RACES);
  if (work.groups.length) await withRetry(() => linkGroupsToAccounts(ctx, work.workspaceId, work.groups), 4, LINK_RACES);
}

/**
 * A page view (or any event with page context) that arrives with a source — UTM parameters, a
 * click id, an outside referrer — or as a profile's very first visit becomes a touchpoint, unless
 * the profile had the same source and campaign within the last 30 minutes: the same visit (the
 * browser snippet repeats a landing's campaign on the visit's later pages, without its click id).
 */
async function recordTouchpoints(trx: DbOrTx, ws: string, rows: Array<Record<string, unknown>>, todo: Normalised[]): Promise<void> {
  const visits: Array<{ row: Record<string, unknown>; n: Normalised; v: NonNullable<ReturnType<typeof visitOf>> }> = [];
  for (const [i, n] of todo.entries()) {
    const row = rows[i];
    if (!row || (n.msg.type !== 'page' && n.msg.type !== 'screen' && !n.context.page)) continue;
    const v = visitOf(n.context);
    if (v) visits.push({ row, n, v });
  }
  if (visits.length === 0) return;
  const rules = await rulesFor(trx, ws, Date.now());
  // Each profile's latest touchpoint, in one query; then the batch's visits in order.
  const profiles = [...new Set(visits.map((x) => String(x.row.profile_id)))];
  const lastRows = await sql<{ profile_id: string; ts: Date; source: string | null; campaign: string | null }>`
    select distinct on (profile_id) profile_id, ts, source, campaign from touchpoints
    where profile_id = any(${profiles}::uuid[]) order by profile_id, ts desc`.execute(trx);
  const last = new Map(lastRows.rows.map((r) => [r.profile_id, { ts: new Date(r.ts), source: r.source, campaign: r.campaign }]));
  const out: Array<Insertable<TouchpointsTable>> = [];
  for (const { row, n, v } of visits) {
    const channel = classifyChannel(v, rules);
    const profileId = String(row.profile_id);
    const prev = last.get(profileId);
    const source = v.source ?? v.referrerHost;
    if (channel === 'direct' && prev) continue;
    if (prev && Math.abs(n.ts.getTime() - prev.ts.getTime()) < SESSION_MS && prev.source === source && prev.campaign === v.campaign)
      continue;
    out.push({
      id: newId(),
      workspace_id: ws,
      profile_id: profileId,
      event_id: String(row.id),
      ts: n.ts,
      channel,
      source,
      medium: v.medium,
      campaign: v.campaign,
      term: v.term,
      content: v.content,
      click_id: v.clickId,
      referrer: v.referrer,
      landing_page: v.landingPage,
    });
    if (!prev || n.ts.getTime() >= prev.ts.getTime()) last.set(profileId, { ts: n.ts, source, campaign: v.campaign });
  }
  if (out.length) await trx.insertInto('touchpoints').values(out).execute();
}

/** The profiles of the batch's ids that exist already, as `kind:value` -> profile id. */
async function knownIdentities(trx: DbOrTx, ws: string, todo: Normalised[]): Promise<Map<string, string>> {
  const users = [...new Set(todo.map((n) => n.userId).filter((x): x is string => x !== null))];
  const anons = [...new Set(todo.map((n) => n.anonymousId).filter((x): x is string => x !== null))];
  const r = await sql<{ kind: string; value: string; profile_id: string }>`
    select kind, value, profile_id from identities
    where workspace_id = ${ws} and ((kind = 'user_id' and value = any(${users}::text[])) or (kind = 'anonymous_id' and value = any(${anons}::text[])))`.execute(
    trx,
  );
  return new Map(r.rows.map((x) => [`${x.kind}:${x.value}`, x.profile_id]));
}

/** The profile of a message whose ids are all known and agree (and that is no alias); else null. */
function fastProfile(known: Map<string, string>, n: Normalised): string | null {
  if (n.msg.type === 'alias') return null;
  const byUser = n.userId ? known.get(`user_id:${n.userId}`) : undefined;
  const byAnon = n.anonymousId ? known.get(`anonymous_id:${n.anonymousId}`) : undefined;
  if ((n.userId && !byUser) || (n.anonymousId && !byAnon)) return null;
  if (byUser && byAnon && byUser !== byAnon) return null;
  return byUser ?? byAnon ?? null;
}

interface ProfileTouch {
  first: Date;
  last: Date;
  traits: Record<string, unknown>;
}

function touch(touched: Map<string, ProfileTouch>, profileId: string, n: Normalised): void {
  const t = touched.get(profileId) ?? { first: n.ts, last: n.ts, traits: {} };
  if (n.ts < t.first) t.first = n.ts;
  if (n.ts > t.last) t.last = n.ts;
  if (n.msg.type === 'identify') Object.assign(t.traits, n.msg.traits ?? {});
  touched.set(profileId, t);
}

/** Seen times and identify traits of the fast-path profiles, in one statement (after merges). */
async function touchProfiles(trx: DbOrTx, touched: Map<string, ProfileTouch>, into: Map<string, string | null>): Promise<void> {
  const merged = new Map<string, ProfileTouch>();
  for (const [id, t] of touched) {
    const target = into.get(id) ?? id;
    const m = merged.get(target);
    if (!m) merged.set(target, { ...t, traits: { ...t.traits } });
    else {
      if (t.first < m.first) m.first = t.first;
      if (t.last > m.last) m.last = t.last;
      Object.assign(m.traits, t.traits);
    }
  }
  if (merged.size === 0) return;
  const list = [...merged].sort(([a], [b]) => a.localeCompare(b));
  await sql`update profiles p set last_seen_at = greatest(p.last_seen_at, u.last), first_seen_at = least(p.first_seen_at, u.first),
      traits = p.traits || u.traits
    from unnest(${list.map(([id]) => id)}::uuid[], ${list.map(([, t]) => t.first)}::timestamptz[], ${list.map(([, t]) => t.last)}::timestamptz[],
      ${list.map(([, t]) => JSON.stringify(t.traits))}::jsonb[]) as u(id, first, last, traits)
    where p.id = u.id`.execute(trx);
}

/**
 * Two batches from one visitor can race to create or merge the same profile; PostgreSQL then
 * aborts one with a deadlock or serialization error. Nothing was committed: run it again.
 */
const TX_RACES = new Set(['40P01', '40001', '23505']);
/** The same, plus the API's own answer to a unique key taken meanwhile (`already_exists`). */
const LINK_RACES = new Set([...TX_RACES, 'already_exists']);

async function withRetry<T>(fn: () => Promise<T>, attempts = 4, races: ReadonlySet<string> = TX_RACES): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (i >= attempts || code === undefined || !races.has(code)) throw err;
      await new Promise((r) => setTimeout(r, 10 * i + Math.floor(Math.random() * 20)));
    }
  }
}
