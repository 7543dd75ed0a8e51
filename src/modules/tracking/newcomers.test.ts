import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../platform/ids.js';
import { bearer, createTestApp, json, makeApiKey, makeWorkspace, systemClock, type TestApp } from '../../test/app.js';
import { onPostgres } from '../../test/db.js';
import { ingest } from './ingest.service.js';

// New visitors, and new ids of known visitors, are written set-based (a statement for the batch's
// profiles, one for its identities). These tests pin down that they stitch exactly as the
// one-by-one path did, including an id another batch takes while ours is in flight.
let t: TestApp;
let ws: string;
let sourceId: string;

const source = () => ({ sourceId, workspaceId: ws });
const ctx = () => ({ db: t.db.handle.db, clock: systemClock });

async function identities(): Promise<Map<string, string>> {
  const rows = await t.db.handle.db
    .selectFrom('identities')
    .select(['kind', 'value', 'profile_id'])
    .where('workspace_id', '=', ws)
    .execute();
  return new Map(rows.map((r) => [`${r.kind}:${r.value}`, r.profile_id]));
}

async function eventProfiles(): Promise<Map<string, string>> {
  const rows = await t.db.handle.db.selectFrom('events').select(['message_id', 'profile_id']).where('workspace_id', '=', ws).execute();
  return new Map(rows.map((r) => [r.message_id, r.profile_id]));
}

beforeAll(async () => {
  t = await createTestApp();
  const w = await makeWorkspace(t);
  ws = w.id;
  const key = await makeApiKey(t, w, 'admin');
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/sources', headers: bearer(key), payload: { name: 'Website' } });
  expect(res.statusCode, res.body).toBe(201);
  sourceId = json<{ id: string }>(res).id;
});
afterAll(() => t?.close());

describe('new visitors written set-based', () => {
  it('stitches the ids of one batch in order: a new visitor who signs in, a second device of a known user, a new user', async () => {
    await ingest(ctx(), source(), [{ type: 'identify', userId: 'nc-known', messageId: 'nc-0' }]);
    const before = await identities();
    const knownProfile = before.get('user_id:nc-known');
    expect(knownProfile).toBeDefined();
    const r = await ingest(ctx(), source(), [
      { type: 'page', anonymousId: 'nc-anon-1', messageId: 'nc-1', properties: { path: '/' } },
      { type: 'track', anonymousId: 'nc-anon-1', event: 'Viewed', messageId: 'nc-2' },
      { type: 'identify', anonymousId: 'nc-anon-1', userId: 'nc-user-1', messageId: 'nc-3', traits: { plan: 'pro' } },
      { type: 'track', userId: 'nc-user-1', event: 'Upgraded', messageId: 'nc-4' },
      { type: 'page', userId: 'nc-known', anonymousId: 'nc-anon-2', messageId: 'nc-5' },
      { type: 'page', anonymousId: 'nc-anon-2', messageId: 'nc-6' },
      { type: 'track', userId: 'nc-user-2', event: 'Viewed', messageId: 'nc-7' },
    ]);
    expect(r).toMatchObject({ stored: 7, duplicates: 0, rejected: [] });
    const ids = await identities();
    const first = ids.get('anonymous_id:nc-anon-1');
    expect(ids.get('user_id:nc-user-1')).toBe(first);
    expect(ids.get('anonymous_id:nc-anon-2')).toBe(knownProfile);
    const second = ids.get('user_id:nc-user-2');
    expect(new Set([first, knownProfile, second]).size).toBe(3);
    const events = await eventProfiles();
    expect(['nc-1', 'nc-2', 'nc-3', 'nc-4'].map((m) => events.get(m))).toEqual([first, first, first, first]);
    expect([events.get('nc-5'), events.get('nc-6')]).toEqual([knownProfile, knownProfile]);
    expect(events.get('nc-7')).toBe(second);
    const profile = await t.db.handle.db
      .selectFrom('profiles')
      .select(['traits', 'merged_into'])
      .where('id', '=', first ?? '')
      .executeTakeFirstOrThrow();
    expect(profile).toEqual({ traits: { plan: 'pro' }, merged_into: null });
    // Nothing needed merging: each new visitor got one profile from the start.
    const merges = await t.db.handle.db.selectFrom('profile_merges').select('id').where('workspace_id', '=', ws).execute();
    expect(merges).toHaveLength(0);
  });

  it('an alias after new ids in the same batch sees them written', async () => {
    const r = await ingest(ctx(), source(), [
      { type: 'page', anonymousId: 'nc-anon-3', messageId: 'nc-10' },
      { type: 'alias', previousId: 'nc-anon-3', userId: 'nc-user-3', messageId: 'nc-11' },
      { type: 'track', userId: 'nc-user-3', event: 'Viewed', messageId: 'nc-12' },
    ]);
    expect(r.stored).toBe(3);
    const ids = await identities();
    const p = ids.get('anonymous_id:nc-anon-3');
    expect(ids.get('user_id:nc-user-3')).toBe(p);
    const events = await eventProfiles();
    expect(['nc-10', 'nc-11', 'nc-12'].map((m) => events.get(m))).toEqual([p, p, p]);
  });

  it.runIf(onPostgres)(
    'an id another batch takes while ours is in flight: our new profile merges into its owner, events follow',
    async () => {
      const db = t.db.handle.db;
      const owner = newId();
      let release: () => void = () => undefined;
      const held = new Promise<void>((r) => (release = r));
      let inserted: () => void = () => undefined;
      const taken = new Promise<void>((r) => (inserted = r));
      // The other batch: it has written the identity but not committed when ours looks it up.
      const other = db.transaction().execute(async (trx) => {
        const at = new Date();
        await trx
          .insertInto('profiles')
          .values({ id: owner, workspace_id: ws, traits: '{}', first_seen_at: at, last_seen_at: at })
          .execute();
        await trx
          .insertInto('identities')
          .values({ workspace_id: ws, kind: 'anonymous_id', value: 'nc-race', profile_id: owner, first_seen_at: at })
          .execute();
        inserted();
        await held;
      });
      await taken;
      const ours = ingest(ctx(), source(), [
        { type: 'page', anonymousId: 'nc-race', userId: 'nc-race-user', messageId: 'nc-20' },
        { type: 'track', anonymousId: 'nc-race', event: 'Viewed', messageId: 'nc-21' },
      ]);
      // Ours waits on the uncommitted identity; then the other commits.
      await new Promise((r) => setTimeout(r, 200));
      release();
      await other;
      expect((await ours).stored).toBe(2);
      const ids = await identities();
      expect(ids.get('anonymous_id:nc-race')).toBe(owner);
      expect(ids.get('user_id:nc-race-user')).toBe(owner);
      const events = await eventProfiles();
      expect([events.get('nc-20'), events.get('nc-21')]).toEqual([owner, owner]);
      const merge = await sql<{ into_profile: string; reason: string }>`select into_profile, reason from profile_merges
      where workspace_id = ${ws} and message_id = 'nc-20'`.execute(db);
      expect(merge.rows).toEqual([{ into_profile: owner, reason: 'same anonymousId' }]);
    },
  );

  it('a NUL or a lone surrogate in a message is cleaned, not a failed batch', async () => {
    const r = await ingest(ctx(), source(), [
      {
        type: 'track',
        anonymousId: 'nc-nul',
        event: 'Sig\u0000ned',
        messageId: 'nc-30',
        properties: { a: 'x\u0000y', b: '\uD800z', c: '\\u0000' },
      },
      { type: 'page', anonymousId: 'nc-nul', messageId: 'nc-31', context: { page: { title: 'T\uDFFF' } } },
    ]);
    expect(r).toMatchObject({ stored: 2, rejected: [] });
    const rows = await t.db.handle.db
      .selectFrom('events')
      .select(['message_id', 'event', 'properties', 'context'])
      .where('workspace_id', '=', ws)
      .where('message_id', 'in', ['nc-30', 'nc-31'])
      .orderBy('message_id')
      .execute();
    expect(rows[0]).toMatchObject({ event: 'Signed', properties: { a: 'xy', b: '\uFFFDz', c: '\\u0000' } });
    expect(rows[1]?.context).toMatchObject({ page: { title: 'T\uFFFD' } });
  });

  it('identify with the same traits again writes nothing; new traits, or a contact changed since, are written', async () => {
    const db = t.db.handle.db;
    const contact = async () =>
      db
        .selectFrom('contacts')
        .select(['id', 'version', 'first_name'])
        .where('workspace_id', '=', ws)
        .where('email', '=', 'ann@example.com')
        .executeTakeFirstOrThrow();
    const audits = async (id: string) => (await db.selectFrom('audit_log').select('id').where('entity_id', '=', id).execute()).length;
    let m = 0;
    const identify = (firstName: string) =>
      ingest(ctx(), source(), [
        { type: 'identify', userId: 'nc-ann', messageId: `nc-ann-${++m}`, traits: { email: 'ann@example.com', firstName } },
      ]);
    await identify('Ann');
    const created = await contact();
    const profile = (await identities()).get('user_id:nc-ann');
    const linked = await db
      .selectFrom('profiles')
      .select('contact_id')
      .where('id', '=', profile ?? '')
      .executeTakeFirstOrThrow();
    expect(linked.contact_id).toBe(created.id);
    await identify('Ann');
    const first = await contact();
    const auditsBefore = await audits(created.id);
    await identify('Ann');
    await identify('Ann');
    expect(await contact()).toEqual(first);
    expect(await audits(created.id)).toBe(auditsBefore);
    await identify('Anna');
    expect(await contact()).toMatchObject({ first_name: 'Anna', version: first.version + 1 });
    // Someone edits the contact: the next identify writes its traits again, as it always did.
    await sql`update contacts set first_name = 'Zed', version = version + 1 where id = ${created.id}`.execute(db);
    await identify('Anna');
    expect(await contact()).toMatchObject({ first_name: 'Anna', version: first.version + 3 });
    expect((await db.selectFrom('events').select('id').where('user_id', '=', 'nc-ann').execute()).length).toBe(6);
  });

  it('a new id of a visitor merged earlier in the same batch goes to the surviving profile', async () => {
    // Y holds two anonymous ids, X a user id. The batch's first message merges Y into X; the
    // second, from Y's other id with a new user id, must attach that user id to X.
    await ingest(ctx(), source(), [
      { type: 'page', anonymousId: 'nc-y1', messageId: 'nc-40' },
      { type: 'identify', userId: 'nc-x', messageId: 'nc-41' },
    ]);
    await ingest(ctx(), source(), [{ type: 'page', anonymousId: 'nc-y2', messageId: 'nc-42' }]);
    const before = await identities();
    await sql`update identities set profile_id = ${before.get('anonymous_id:nc-y1') ?? ''}
      where workspace_id = ${ws} and value = 'nc-y2'`.execute(t.db.handle.db);
    const r = await ingest(ctx(), source(), [
      { type: 'identify', userId: 'nc-x', anonymousId: 'nc-y1', messageId: 'nc-43' },
      { type: 'track', anonymousId: 'nc-y2', userId: 'nc-x2', event: 'Viewed', messageId: 'nc-44' },
    ]);
    expect(r.stored).toBe(2);
    const ids = await identities();
    const x = before.get('user_id:nc-x');
    expect(ids.get('anonymous_id:nc-y1')).toBe(x);
    expect(ids.get('anonymous_id:nc-y2')).toBe(x);
    expect(ids.get('user_id:nc-x2')).toBe(x);
    const events = await eventProfiles();
    expect([events.get('nc-43'), events.get('nc-44')]).toEqual([x, x]);
    const onMerged = await sql<{ n: number }>`select count(*)::int as n from identities i join profiles p on p.id = i.profile_id
      where i.workspace_id = ${ws} and p.merged_into is not null`.execute(t.db.handle.db);
    expect(onMerged.rows[0]?.n).toBe(0);
  });
});
