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
import {
  mergeProfiles,
  resolveProfile,
  linkGroupsToAccounts,
  linkProfilesToContacts,
  type ContactLink,
  type GroupLink,
} from './identity.service.js';

export interface IngestCtx {
  db: Db;
  clock: Clock;
  /**
   * Where contact links that failed after the events were stored go (the server's job queue):
   * the answer stays 200, since the events are committed, and the `tracking.link` job links them
   * later. Without it (demo data, scripts) a failed link throws.
   */
  deferLinks?: (work: LinkWork, err: unknown) => Promise<void>;
  /**
   * Update the tracking plan's counters after the commit, in their own transaction (see
   * countForPlan): the server does so on PostgreSQL, where concurrent batches wait for each other
   * on those rows. The embedded database has one session, so no one waits, and a second
   * transaction per batch would only cost; there (and by default) they are updated inside.
   */
  countersAfterCommit?: boolean;
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

/**
 * What PostgreSQL's jsonb cannot hold: the NUL character and a lone UTF-16 surrogate (JSON can
 * spell both as escapes). Such a value would fail the whole batch's insert, so the message keeps
 * its other content: NULs are dropped and a lone surrogate becomes U+FFFD, as it would had the
 * client sent it as UTF-8.
 */
const UNSTORABLE = /\\u0000|\\ud[89a-f]/i;
// An escape preceded by an even number of backslashes (an odd number escapes the backslash).
const NUL_ESCAPE = /(?<!\\)((?:\\\\)*)\\u0000/g;
// JSON.stringify writes a surrogate pair as the character itself, so an escaped one is alone.
const SURROGATE_ESCAPE = /(?<!\\)((?:\\\\)*)\\ud[89a-f][0-9a-f]{2}/gi;

function storable(json: string): unknown {
  return JSON.parse(json.replace(NUL_ESCAPE, '$1').replace(SURROGATE_ESCAPE, '$1\\ufffd')) as unknown;
}

/** isbot's one large regular expression, remembered per user agent: a site's traffic repeats a few hundred. */
const botAgents = new Map<string, boolean>();
function isBotAgent(userAgent: string): boolean {
  let bot = botAgents.get(userAgent);
  if (bot === undefined) {
    bot = isbot(userAgent);
    if (botAgents.size >= 5_000) botAgents.clear();
    botAgents.set(userAgent, bot);
  }
  return bot;
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
  const json = JSON.stringify(raw);
  if (Buffer.byteLength(json) > MAX_MESSAGE_BYTES) return 'message is larger than 32 KB';
  const parsed = messageSchema.safeParse(UNSTORABLE.test(json) ? storable(json) : raw);
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
  if (batch.context) {
    const json = JSON.stringify(batch.context);
    if (UNSTORABLE.test(json)) batch = { ...batch, context: storable(json) as Record<string, unknown> };
  }
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
    } else if (typeof n.context.userAgent === 'string' && isBotAgent(n.context.userAgent)) {
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
  const { stored, duplicates, checks } = await withRetry(() =>
    ctx.db.transaction().execute(async (trx) => {
      links.length = 0;
      blocked.length = 0;
      groups.length = 0;
      // One round trip: the messageIds not seen before, and the profiles of the ids already known.
      const { isNew, known } = await dedupeAndLookUp(trx, ws, ok);
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
      // New visitors, and new ids of known ones, are written together (`newcomers`). Ids that
      // disagree and aliases go through resolveProfile one by one, in order, after what came
      // before them is written.
      const touched = new Map<string, ProfileTouch>();
      const newcomers = new Newcomers();
      let merges = false;
      for (const n of todo) {
        let profileId = fastProfile(known, n) ?? newcomers.take(known, n);
        if (profileId) touch(touched, profileId, n);
        else {
          if (await newcomers.write(trx, ws, known, receivedAt)) merges = true;
          profileId = await resolveProfile(trx, ws, n, receivedAt);
          merges = true; // it may have merged profiles earlier messages were given
          if (n.userId) known.set(`user_id:${n.userId}`, profileId);
          if (n.anonymousId) known.set(`anonymous_id:${n.anonymousId}`, profileId);
          // Other ids of a profile it merged away now belong to the survivor: later messages
          // (and new ids attached to them) must follow, or they would land on the dead profile.
          await followMerges(trx, known);
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
          properties,
          traits,
          context: n.context,
        });
        if (m.type === 'identify') {
          const email = typeof traits.email === 'string' ? traits.email : null;
          if (email) links.push({ profileId, email, traits });
        }
        if (m.type === 'group') groups.push({ profileId, groupId: String(m.groupId), traits });
      }
      if (await newcomers.write(trx, ws, known, receivedAt)) merges = true;
      if (rows.length) {
        // A later message of this batch may have merged a profile an earlier one was given.
        const into = new Map<string, string>();
        if (merges) {
          const merged = await sql<{ id: string; merged_into: string }>`select id, merged_into from profiles
            where id = any(${[...new Set(rows.map((r) => String(r.profile_id)))]}::uuid[]) and merged_into is not null`.execute(trx);
          for (const p of merged.rows) into.set(p.id, p.merged_into);
          for (const r of rows) r.profile_id = into.get(String(r.profile_id)) ?? r.profile_id;
        }
        const touchpoints = await touchpointsOf(trx, ws, rows, todo);
        // Each new row's profile and kind, for the segments worker (migration 0029).
        const pairs = new Map<string, { p: string; k: string }>();
        for (const { p, k } of [
          ...rows.map((r) => ({ p: String(r.profile_id), k: r.type === 'track' ? `track:${String(r.event)}` : String(r.type) })),
          ...touchpoints.map((tp) => ({ p: String(tp.profile_id), k: 'touchpoint' })),
        ]) {
          pairs.set(`${p} ${k}`, { p, k });
        }
        const queued = [...pairs.values()];
        // Everything else in one statement (one round trip), each part with one JSON parameter:
        // the events; their contacts queued for segments, scoring and lifecycle rules (migration
        // 0028: no insert triggers); the touchpoints; the profiles' seen times and traits. The
        // profile row locks other batches with the same visitors wait for are taken here, at the
        // end, and held only until the commit that follows.
        await sql`with
          ev as (
            insert into events (id, workspace_id, source_id, profile_id, type, event, name, message_id, anonymous_id, user_id, ts, sent_at, received_at, properties, traits, context)
            select id, ${ws}, ${source.sourceId}, profile_id, type, event, name, message_id, anonymous_id, user_id, ts, sent_at, ${receivedAt}, properties, traits, context
            from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(id uuid, profile_id uuid, type text, event text, name text, message_id text,
              anonymous_id text, user_id text, ts timestamptz, sent_at timestamptz, properties jsonb, traits jsonb, context jsonb)
            returning 1),
          tp as (
            insert into touchpoints (id, workspace_id, profile_id, event_id, ts, channel, source, medium, campaign, term, content, click_id, referrer, landing_page)
            select id, ${ws}, profile_id, event_id, ts, channel, source, medium, campaign, term, content, click_id, referrer, landing_page
            from jsonb_to_recordset(${JSON.stringify(touchpoints)}::jsonb) as r(id uuid, profile_id uuid, event_id uuid, ts timestamptz, channel text,
              source text, medium text, campaign text, term text, content text, click_id text, referrer text, landing_page text)
            returning 1),
          pr as (
            update profiles p set last_seen_at = greatest(p.last_seen_at, u.last), first_seen_at = least(p.first_seen_at, u.first),
              traits = p.traits || u.traits
            from jsonb_to_recordset(${JSON.stringify(profileTouches(touched, into))}::jsonb) as u(id uuid, first timestamptz, last timestamptz, traits jsonb)
            where p.id = u.id
            returning 1),
          q as (select keel_queue_event_contacts(${ws}, ${queued.map((x) => x.p)}::uuid[], ${queued.map((x) => x.k)}::text[]) as done)
        select (select count(*) from q) as queued`.execute(trx);
      }
      if (!ctx.countersAfterCommit) await recordStats(trx, ws, checks, receivedAt);
      return { stored: rows.length, duplicates: ok.length - fresh_.length, checks };
    }),
  );
  count('stored', stored);
  if (ctx.countersAfterCommit) await countForPlan(ctx.db, ws, checks, receivedAt, count);
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
 * The tracking plan's counters, after the events are committed, in a transaction of their own
 * that does not wait for its WAL flush (synchronous_commit off). Every batch updates the same
 * rows (one per event name): inside the ingesting transaction each batch held them through its
 * commit's flush, and with 16 connections batches spent most of their time waiting for each other
 * there (`Lock:transactionid` in 56% of PostgreSQL samples, measured). The price: a database crash
 * right after a batch can lose that batch's counts (never its events); a failure here is counted
 * (`plan_counts_lost`) rather than failing stored events.
 */
async function countForPlan(
  db: Db,
  ws: string,
  checks: PlanCheck[],
  at: Date,
  count: (outcome: string, n?: number) => void,
): Promise<void> {
  if (checks.length === 0) return;
  try {
    await withRetry(() =>
      db.transaction().execute(async (trx) => {
        await sql`set local synchronous_commit = off`.execute(trx);
        await recordStats(trx, ws, checks, at);
      }),
    );
  } catch {
    count('plan_counts_lost', checks.length);
  }
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
async function touchpointsOf(
  trx: DbOrTx,
  ws: string,
  rows: Array<Record<string, unknown>>,
  todo: Normalised[],
): Promise<Array<Omit<Insertable<TouchpointsTable>, 'workspace_id'>>> {
  const visits: Array<{ row: Record<string, unknown>; n: Normalised; v: NonNullable<ReturnType<typeof visitOf>> }> = [];
  for (const [i, n] of todo.entries()) {
    const row = rows[i];
    if (!row || (n.msg.type !== 'page' && n.msg.type !== 'screen' && !n.context.page)) continue;
    const v = visitOf(n.context);
    if (v) visits.push({ row, n, v });
  }
  if (visits.length === 0) return [];
  const rules = await rulesFor(trx, ws, Date.now());
  // Each profile's latest touchpoint, in one query; then the batch's visits in order.
  const profiles = [...new Set(visits.map((x) => String(x.row.profile_id)))];
  // One probe of (profile_id, ts desc) per profile, not all of each profile's touchpoints.
  const lastRows = await sql<{ profile_id: string; ts: Date; source: string | null; campaign: string | null }>`
    select u.id as profile_id, t.ts, t.source, t.campaign from unnest(${profiles}::uuid[]) as u(id)
    cross join lateral (select ts, source, campaign from touchpoints where profile_id = u.id order by ts desc limit 1) t`.execute(trx);
  const last = new Map(lastRows.rows.map((r) => [r.profile_id, { ts: new Date(r.ts), source: r.source, campaign: r.campaign }]));
  const out: Array<Omit<Insertable<TouchpointsTable>, 'workspace_id'>> = [];
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
  return out;
}

interface NewIdentity {
  kind: 'user_id' | 'anonymous_id';
  value: string;
  profileId: string;
  messageId: string;
}

/**
 * The batch's new visitors and the new ids of known ones, written set-based: one statement for
 * the profiles and one for the identities, instead of five statements per visitor. An id that a
 * concurrent batch took first is resolved as resolveProfile's `attach` would: the profile we gave
 * it is merged into the owner's (it has no events yet), and later messages follow the merge.
 */
class Newcomers {
  private profiles: string[] = [];
  private identities: NewIdentity[] = [];

  /** The profile of a message whose ids are new or agree with one known id; null when it needs resolveProfile. */
  take(known: Map<string, string>, n: Normalised): string | null {
    if (n.msg.type === 'alias') return null;
    const userKey = n.userId ? `user_id:${n.userId}` : null;
    const anonKey = n.anonymousId ? `anonymous_id:${n.anonymousId}` : null;
    const byUser = userKey ? known.get(userKey) : undefined;
    const byAnon = anonKey ? known.get(anonKey) : undefined;
    if (byUser && byAnon) return null; // they disagree (fastProfile took the agreeing ones): a merge
    let profileId = byUser ?? byAnon;
    if (!profileId) {
      profileId = newId();
      this.profiles.push(profileId);
    }
    if (userKey && !byUser && n.userId) this.add(known, userKey, { kind: 'user_id', value: n.userId, profileId, messageId: n.messageId });
    if (anonKey && !byAnon && n.anonymousId)
      this.add(known, anonKey, { kind: 'anonymous_id', value: n.anonymousId, profileId, messageId: n.messageId });
    return profileId;
  }

  private add(known: Map<string, string>, key: string, identity: NewIdentity): void {
    known.set(key, identity.profileId);
    this.identities.push(identity);
  }

  /**
   * Writes what was taken so far, in one statement; ids taken meanwhile by another batch merge
   * into their owner. True when a profile was merged.
   */
  async write(trx: DbOrTx, ws: string, known: Map<string, string>, at: Date): Promise<boolean> {
    const profiles = this.profiles;
    const identities = this.identities;
    if (profiles.length === 0 && identities.length === 0) return false;
    this.profiles = [];
    this.identities = [];
    // New ids of profiles that existed before this batch: a concurrent batch may have merged such a
    // profile since we looked it up. Locking them (we update them at the end anyway) waits for such
    // a merge to commit and reads where the profile went; a merge that starts later waits for us
    // and then moves the new identities along with the rest.
    const fresh = new Set(profiles);
    const existing = [...new Set(identities.map((i) => i.profileId).filter((id) => !fresh.has(id)))].sort();
    let redirected = false;
    if (existing.length) {
      const locked = await sql<{ id: string; merged_into: string | null }>`select id, merged_into from profiles
        where id = any(${existing}::uuid[]) order by id for no key update`.execute(trx);
      const gone = new Map(locked.rows.filter((r) => r.merged_into).map((r) => [r.id, r.merged_into ?? r.id]));
      if (gone.size) {
        redirected = true; // earlier messages' events follow through the merge check
        for (const i of identities) i.profileId = gone.get(i.profileId) ?? i.profileId;
        for (const [k, v] of known) known.set(k, gone.get(v) ?? v);
      }
    }
    // In key order, so two batches with the same new ids wait for each other instead of deadlocking.
    const key = (i: NewIdentity) => `${i.kind}:${i.value}`;
    const sorted = [...identities].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    const taken = await sql<{ kind: string; value: string }>`with
      np as (insert into profiles (id, workspace_id, traits, first_seen_at, last_seen_at)
        select id, ${ws}, '{}'::jsonb, ${at}, ${at} from unnest(${profiles}::uuid[]) as u(id))
      insert into identities (workspace_id, kind, value, profile_id, first_seen_at)
      select ${ws}, kind, value, profile_id, ${at}
      from rows from (jsonb_to_recordset(${JSON.stringify(sorted.map((i) => ({ kind: i.kind, value: i.value, profile_id: i.profileId })))}::jsonb)
        as (kind text, value text, profile_id uuid)) with ordinality as r(kind, value, profile_id, n)
      order by n
      on conflict do nothing returning kind, value`.execute(trx);
    if (taken.rows.length === identities.length) return redirected;
    const mine = new Set(taken.rows.map((r) => `${r.kind}:${r.value}`));
    const moved = new Map<string, string>();
    const follow = (id: string): string => {
      let cur = id;
      for (let next = moved.get(cur); next; next = moved.get(cur)) cur = next;
      return cur;
    };
    for (const i of identities) {
      if (mine.has(key(i))) continue;
      const owner = await sql<{ profile_id: string }>`select profile_id from identities
        where workspace_id = ${ws} and kind = ${i.kind} and value = ${i.value}`.execute(trx);
      const ownerId = owner.rows[0]?.profile_id;
      const ours = follow(i.profileId);
      if (!ownerId || ownerId === ours) continue;
      await mergeProfiles(trx, ws, ours, ownerId, `same ${i.kind === 'user_id' ? 'userId' : 'anonymousId'}`, i.messageId, at);
      moved.set(ours, ownerId);
    }
    for (const [k, v] of known) if (moved.has(v)) known.set(k, follow(v));
    return redirected || moved.size > 0;
  }
}

/**
 * Deduplication and lookup in one statement: records the batch's messageIds (`event_ids`),
 * returning those not seen before, and finds the profiles of its ids that exist already, as
 * `kind:value` -> profile id. Ids of duplicates are looked up too (harmless, and it saves a
 * round trip).
 */
async function dedupeAndLookUp(trx: DbOrTx, ws: string, ok: Normalised[]): Promise<{ isNew: Set<string>; known: Map<string, string> }> {
  const keys = new Set<string>();
  for (const n of ok) {
    if (n.userId !== null) keys.add(`user_id:${n.userId}`);
    if (n.anonymousId !== null) keys.add(`anonymous_id:${n.anonymousId}`);
  }
  const kinds: string[] = [];
  const values: string[] = [];
  for (const k of keys) {
    const at = k.indexOf(':');
    kinds.push(k.slice(0, at));
    values.push(k.slice(at + 1));
  }
  // One primary-key probe per id. `limit 1` (the key is unique) keeps the lateral subquery a
  // nested loop whatever the statistics say: on a young table PostgreSQL otherwise read the whole
  // workspace's identities for an OR of two `= any` lists (7.9 ms a batch, measured; 0.5 ms now).
  const r = await sql<{ kind: string; value: string; profile_id: string | null }>`
    with fresh as (
      insert into event_ids (workspace_id, message_id)
      select ${ws}, m from unnest(${ok.map((n) => n.messageId)}::text[]) as u(m)
      on conflict do nothing returning message_id)
    select 'message' as kind, message_id as value, null::uuid as profile_id from fresh
    union all
    select u.kind, u.value, i.profile_id from unnest(${kinds}::text[], ${values}::text[]) as u(kind, value)
    cross join lateral (select profile_id from identities
      where workspace_id = ${ws} and kind = u.kind and value = u.value limit 1) i`.execute(trx);
  const isNew = new Set<string>();
  const known = new Map<string, string>();
  for (const x of r.rows) {
    if (x.kind === 'message') isNew.add(x.value);
    else if (x.profile_id) known.set(`${x.kind}:${x.value}`, x.profile_id);
  }
  return { isNew, known };
}

/** Points the batch's known ids at the profiles their profile was merged into, if any. */
async function followMerges(trx: DbOrTx, known: Map<string, string>): Promise<void> {
  const ids = [...new Set(known.values())];
  if (ids.length === 0) return;
  const merged = await sql<{ id: string; merged_into: string }>`select id, merged_into from profiles
    where id = any(${ids}::uuid[]) and merged_into is not null`.execute(trx);
  if (merged.rows.length === 0) return;
  const into = new Map(merged.rows.map((r) => [r.id, r.merged_into]));
  for (const [k, v] of known) known.set(k, into.get(v) ?? v);
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

/** Seen times and identify traits per profile (after merges), in id order, for the batch's update. */
function profileTouches(
  touched: Map<string, ProfileTouch>,
  into: Map<string, string>,
): Array<{ id: string; first: Date; last: Date; traits: Record<string, unknown> }> {
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
  return [...merged].sort(([a], [b]) => a.localeCompare(b)).map(([id, t]) => ({ id, ...t }));
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
