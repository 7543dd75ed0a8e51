import { sql } from 'kysely';
import { systemActor } from '../../platform/actor.js';
import type { Clock } from '../../platform/clock.js';
import type { Db, DbOrTx } from '../../platform/db/database.js';
import { AppError } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import { linkContact } from '../crm/account-contacts.service.js';
import { accountDef, contactDef } from '../crm/crm-objects.js';
import { domainSchema } from '../crm/records.schema.js';
import { isValidEmail, normaliseEmail } from '../crm/field-types.js';
import { findByExternalId, findLiveByColumn, findRecord } from '../crm/records.repo.js';
import { createRecord, updateRecord } from '../crm/records.service.js';
import type { Message } from './messages.schema.js';
import { isSuppressed } from '../privacy/suppression.js';

type Kind = 'anonymous_id' | 'user_id';

async function profileOf(trx: DbOrTx, ws: string, kind: Kind, value: string | null): Promise<string | null> {
  if (!value) return null;
  const r = await trx
    .selectFrom('identities')
    .select('profile_id')
    .where('workspace_id', '=', ws)
    .where('kind', '=', kind)
    .where('value', '=', value)
    .executeTakeFirst();
  return r?.profile_id ?? null;
}

/**
 * Ties an id to a profile. When another request took the same id first (a concurrent batch from
 * the same visitor), that profile wins: ours is merged into it and its id returned.
 */
async function attach(
  trx: DbOrTx,
  ws: string,
  kind: Kind,
  value: string | null,
  profileId: string,
  at: Date,
  messageId: string,
): Promise<string> {
  if (!value) return profileId;
  await trx
    .insertInto('identities')
    .values({ workspace_id: ws, kind, value, profile_id: profileId, first_seen_at: at })
    .onConflict((oc) => oc.doNothing())
    .execute();
  const owner = await profileOf(trx, ws, kind, value);
  if (owner && owner !== profileId) {
    await mergeProfiles(trx, ws, profileId, owner, `same ${kind === 'user_id' ? 'userId' : 'anonymousId'}`, messageId, at);
    return owner;
  }
  return profileId;
}

/**
 * Folds one profile into another: its identities, events and touchpoints move over, traits are
 * merged (the surviving profile's win), a known contact carries over, and the merge is recorded.
 * Later lookups find only the survivor, so merges are transitive by construction.
 */
export async function mergeProfiles(
  trx: DbOrTx,
  ws: string,
  from: string,
  into: string,
  reason: string,
  messageId: string | null,
  at: Date,
): Promise<void> {
  if (from === into) return;
  const [a, b] = await Promise.all([
    trx.selectFrom('profiles').selectAll().where('id', '=', from).forUpdate().executeTakeFirstOrThrow(),
    trx.selectFrom('profiles').selectAll().where('id', '=', into).forUpdate().executeTakeFirstOrThrow(),
  ]);
  await trx.updateTable('identities').set({ profile_id: into }).where('profile_id', '=', from).execute();
  await sql`update events set profile_id = ${into} where profile_id = ${from}`.execute(trx);
  await trx.updateTable('touchpoints').set({ profile_id: into }).where('profile_id', '=', from).execute();
  await trx
    .updateTable('profiles')
    .set({
      traits: JSON.stringify({ ...a.traits, ...b.traits }),
      contact_id: b.contact_id ?? a.contact_id,
      first_seen_at: a.first_seen_at < b.first_seen_at ? a.first_seen_at : b.first_seen_at,
      last_seen_at: a.last_seen_at > b.last_seen_at ? a.last_seen_at : b.last_seen_at,
    })
    .where('id', '=', into)
    .execute();
  await trx.updateTable('profiles').set({ merged_into: into, contact_id: null }).where('id', '=', from).execute();
  // Keep chains one step long: whatever pointed at `from` now points at the survivor.
  await trx.updateTable('profiles').set({ merged_into: into }).where('merged_into', '=', from).execute();
  await trx
    .insertInto('profile_merges')
    .values({ id: newId(), workspace_id: ws, from_profile: from, into_profile: into, reason, message_id: messageId, merged_at: at })
    .execute();
}

/**
 * The profile an event belongs to. A user id outranks an anonymous id: when an event carries both
 * and they belong to different profiles, the anonymous one is merged into the known one (the
 * visitor signed in). `alias` merges the profile of `previousId` into that of `userId`.
 */
export async function resolveProfile(
  trx: DbOrTx,
  ws: string,
  n: { msg: Message; messageId: string; anonymousId: string | null; userId: string | null; ts: Date },
  at: Date,
): Promise<string> {
  const anon = n.anonymousId;
  const user = n.userId;
  let byUser = await profileOf(trx, ws, 'user_id', user);
  let byAnon = await profileOf(trx, ws, 'anonymous_id', anon);
  if (n.msg.type === 'alias') {
    const prev = String(n.msg.previousId);
    const prevProfile = (await profileOf(trx, ws, 'user_id', prev)) ?? (await profileOf(trx, ws, 'anonymous_id', prev));
    if (!byUser) {
      byUser = await attach(trx, ws, 'user_id', user, prevProfile ?? (await newProfile(trx, ws, at)), at, n.messageId);
    } else if (prevProfile && prevProfile !== byUser) {
      await mergeProfiles(trx, ws, prevProfile, byUser, 'alias', n.messageId, at);
    }
    if (!prevProfile) byUser = await attach(trx, ws, 'anonymous_id', prev, byUser, at, n.messageId);
    byAnon = byAnon && byAnon !== byUser ? byAnon : null;
  }
  let target = byUser ?? byAnon;
  if (byUser && byAnon && byUser !== byAnon) {
    await mergeProfiles(
      trx,
      ws,
      byAnon,
      byUser,
      n.msg.type === 'alias' ? 'alias' : `${n.msg.type} with userId and anonymousId`,
      n.messageId,
      at,
    );
  }
  if (!target) target = await newProfile(trx, ws, at);
  target = await attach(trx, ws, 'user_id', user, target, at, n.messageId);
  target = await attach(trx, ws, 'anonymous_id', anon, target, at, n.messageId);
  const traits = n.msg.type === 'identify' ? (n.msg.traits ?? {}) : {};
  await sql`update profiles set last_seen_at = greatest(last_seen_at, ${n.ts}), first_seen_at = least(first_seen_at, ${n.ts}),
    traits = traits || ${JSON.stringify(traits)}::jsonb where id = ${target}`.execute(trx);
  return target;
}

async function newProfile(trx: DbOrTx, ws: string, at: Date): Promise<string> {
  const id = newId();
  await trx.insertInto('profiles').values({ id, workspace_id: ws, traits: '{}', first_seen_at: at, last_seen_at: at }).execute();
  return id;
}

export interface ContactLink {
  profileId: string;
  email: string;
  traits: Record<string, unknown>;
}

const TRAIT_FIELDS: Record<string, string> = {
  firstName: 'firstName',
  first_name: 'firstName',
  lastName: 'lastName',
  last_name: 'lastName',
  phone: 'phone',
  title: 'title',
  company: 'company',
  city: 'city',
  country: 'country',
};

/** Contact fields from identify traits (Segment's reserved traits); everything else stays a trait. */
function contactInput(email: string, traits: Record<string, unknown>): Record<string, unknown> {
  const input: Record<string, unknown> = { email };
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(traits)) {
    const field = Object.hasOwn(TRAIT_FIELDS, k) ? TRAIT_FIELDS[k] : undefined;
    if (k === 'email') continue;
    if (field && typeof v === 'string' && v.trim() !== '') input[field] = v.trim().slice(0, 200);
    else if (k === 'company' && v && typeof v === 'object' && typeof (v as { name?: unknown }).name === 'string')
      input.company = String((v as { name: string }).name).slice(0, 200);
    else if (k === 'address' && v && typeof v === 'object') {
      const a = v as Record<string, unknown>;
      if (typeof a.city === 'string') input.city = a.city.slice(0, 100);
      if (typeof a.country === 'string') input.country = a.country.slice(0, 100);
    } else rest[k] = v;
  }
  if (JSON.stringify(rest).length <= 60_000) input.traits = rest;
  return input;
}

/**
 * `identify` with an email: the profile becomes that contact (created when new, updated from the
 * traits otherwise). Contacts made by import, API and tracking are the same records. Another
 * profile already tied to the contact is merged into this one.
 */
export async function linkProfilesToContacts(ctx: { db: Db; clock: Clock }, ws: string, links: ContactLink[]): Promise<void> {
  const actor = systemActor(ws, 'tracking');
  for (const l of links) {
    const email = normaliseEmail(l.email);
    if (!isValidEmail(email)) continue;
    const input = contactInput(email, l.traits);
    let contactId: string;
    try {
      const existing = await findLiveByColumn(ctx.db, contactDef, ws, 'email', email);
      if (existing) {
        const { email: _e, ...change } = input;
        contactId = existing.id;
        // Sites call identify on every page: the same traits again change nothing, so the update
        // (a transaction of several statements) is skipped when this process applied exactly
        // these traits to this contact and nobody has changed it since (same version).
        const memoKey = `${ws}:${existing.id}`;
        const said = JSON.stringify(change);
        const memo = appliedTraits.get(memoKey);
        if (!memo || memo.version !== Number(existing.version) || memo.said !== said) {
          const after = await updateRecord(ctx, actor, contactDef, existing.id, change);
          rememberApplied(memoKey, { version: after.version, said });
        }
      } else {
        contactId = (await createRecord(ctx, actor, contactDef, input)).id;
      }
    } catch (err) {
      // A trait the contact cannot take (too long, a bad phone) must not lose the link itself.
      if (!(err instanceof AppError)) throw err;
      // An erased person is not made a contact again: the profile stays anonymous.
      if (await isSuppressed(ctx.db, ws, email)) continue;
      const existing = await findLiveByColumn(ctx.db, contactDef, ws, 'email', email);
      contactId = existing ? existing.id : (await createRecord(ctx, actor, contactDef, { email })).id;
    }
    const linked = await linkProfile(ctx, ws, l.profileId, contactId);
    if (!linked) continue;
    // Group calls that came before the person was known now reach their contact.
    const earlier = await sql<{
      group_id: string;
      traits: Record<string, unknown>;
    }>`select distinct on (properties->>'groupId') properties->>'groupId' as group_id, traits
      from events where profile_id = ${linked} and type = 'group' order by properties->>'groupId', ts desc`.execute(ctx.db);
    if (earlier.rows.length) {
      await linkGroupsToAccounts(
        ctx,
        ws,
        earlier.rows.map((r) => ({ profileId: linked, groupId: r.group_id, traits: r.traits })),
      );
    }
  }
}

/** Per process: the traits last applied to a contact, and the version that gave (bounded). */
const appliedTraits = new Map<string, { version: number; said: string }>();
const APPLIED_MAX = 20_000;

function rememberApplied(key: string, value: { version: number; said: string }): void {
  if (appliedTraits.size >= APPLIED_MAX) appliedTraits.clear();
  appliedTraits.set(key, value);
}

/**
 * Makes the profile (or the one it was merged into) the contact's. Usually one statement: the
 * profile is linked unless another profile already has the contact, which is then merged into it
 * in a transaction. Returns the profile when it has group calls to replay, else null.
 */
async function linkProfile(ctx: { db: Db; clock: Clock }, ws: string, profileId: string, contactId: string): Promise<string | null> {
  const r = await sql<{ id: string; others: boolean; updated: number; groups: boolean }>`
    with cur as (select coalesce(merged_into, id) as id from profiles where id = ${profileId}),
    upd as (
      update profiles set contact_id = ${contactId}
      where id = (select id from cur) and contact_id is distinct from ${contactId}
        and not exists (select 1 from profiles o where o.workspace_id = ${ws} and o.contact_id = ${contactId} and o.id <> (select id from cur))
      returning id)
    select (select id from cur) as id,
      exists (select 1 from profiles o where o.workspace_id = ${ws} and o.contact_id = ${contactId} and o.id <> (select id from cur)) as others,
      (select count(*) from upd)::int as updated,
      exists (select 1 from events e where e.profile_id = (select id from cur) and e.type = 'group') as groups`.execute(ctx.db);
  const row = r.rows[0];
  if (!row?.id) throw new Error(`profile ${profileId} not found`);
  // Group calls are replayed on every identify of a profile that has them, not only when it is
  // first linked: a group call whose batch ran while the profile was being linked (and so saw no
  // contact) reaches the contact at the person's next identify.
  if (!row.others) return row.groups ? row.id : null;
  const linked = await ctx.db.transaction().execute(async (trx) => {
    const current = await trx.selectFrom('profiles').select(['id', 'merged_into']).where('id', '=', profileId).executeTakeFirstOrThrow();
    const target = current.merged_into ?? current.id;
    const others = await trx
      .selectFrom('profiles')
      .select('id')
      .where('workspace_id', '=', ws)
      .where('contact_id', '=', contactId)
      .where('id', '!=', target)
      .execute();
    for (const o of others) await mergeProfiles(trx, ws, o.id, target, 'same email', null, ctx.clock.now());
    await trx.updateTable('profiles').set({ contact_id: contactId }).where('id', '=', target).execute();
    return target;
  });
  return linked;
}

export interface GroupLink {
  profileId: string;
  groupId: string;
  traits: Record<string, unknown>;
}

/**
 * `group` ties a person to a company: the account with external id `group_id` = groupId (found by
 * its domain, or created from the group's traits when new) becomes the contact's primary account,
 * or an extra link when the contact already has another one.
 */
export async function linkGroupsToAccounts(ctx: { db: Db; clock: Clock }, ws: string, groups: GroupLink[]): Promise<void> {
  const actor = systemActor(ws, 'tracking');
  for (const g of groups) {
    let accountId = await findByExternalId(ctx.db, accountDef, ws, 'group_id', g.groupId);
    if (!accountId) {
      const rawDomain =
        typeof g.traits.website === 'string' ? g.traits.website : typeof g.traits.domain === 'string' ? g.traits.domain : null;
      const domain = rawDomain ? domainSchema.safeParse(rawDomain) : null;
      const byDomain = domain?.success ? await findLiveByColumn(ctx.db, accountDef, ws, 'domain', domain.data) : undefined;
      const name = typeof g.traits.name === 'string' && g.traits.name.trim() ? g.traits.name.trim().slice(0, 200) : g.groupId.slice(0, 200);
      try {
        accountId = byDomain
          ? (await updateRecord(ctx, actor, accountDef, byDomain.id, { externalIds: { group_id: g.groupId } })).id
          : (
              await createRecord(ctx, actor, accountDef, {
                name,
                ...(domain?.success && { domain: domain.data }),
                externalIds: { group_id: g.groupId },
              })
            ).id;
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        continue;
      }
    }
    const profile = await ctx.db
      .selectFrom('profiles')
      .select(['contact_id', 'merged_into'])
      .where('id', '=', g.profileId)
      .executeTakeFirst();
    const live = profile?.merged_into
      ? await ctx.db.selectFrom('profiles').select(['contact_id', 'merged_into']).where('id', '=', profile.merged_into).executeTakeFirst()
      : profile;
    const contactId = live?.contact_id;
    if (!contactId) continue;
    const contact = await findRecord(ctx.db, contactDef, ws, contactId);
    if (!contact || contact.deleted_at) continue;
    if (!contact.account_id) await updateRecord(ctx, actor, contactDef, contactId, { accountId });
    else if (contact.account_id !== accountId) await linkContact(ctx, actor, accountId, contactId, 'group');
  }
}
