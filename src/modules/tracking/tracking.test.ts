import { gzipSync } from 'node:zlib';
import { Analytics } from '@segment/analytics-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, json, makeApiKey, makeWorkspace, type TestApp } from '../../test/app.js';
import { clearWriteKeyCache } from './sources.service.js';
import { applyRetention } from './tracking.jobs.js';
import { classifyChannel, visitOf } from './channels.js';

let t: TestApp;
let key: string;
let writeKey: string;
let sourceId: string;
let url: string;

type Ev = {
  type: string;
  event: string | null;
  messageId: string;
  timestamp: string;
  properties: Record<string, unknown>;
  context: Record<string, unknown>;
};

const basic = (k: string) => ({ authorization: `Basic ${Buffer.from(`${k}:`).toString('base64')}` });
const post = (path: string, body: unknown, headers: Record<string, string> = basic(writeKey)) =>
  t.app.inject({
    method: 'POST',
    url: path,
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
const contactByEmail = async (email: string) =>
  json<{ data: Array<{ id: string; firstName: string | null; company: string | null; traits: Record<string, unknown> }> }>(
    await t.app.inject({ url: `/api/v1/contacts?email=${encodeURIComponent(email)}`, headers: bearer(key) }),
  ).data[0];
const eventsOf = async (id: string) =>
  json<{ data: Ev[] }>(await t.app.inject({ url: `/api/v1/contacts/${id}/events?limit=200`, headers: bearer(key) })).data;

beforeAll(async () => {
  t = await createTestApp();
  const ws = await makeWorkspace(t);
  key = await makeApiKey(t, ws, 'admin');
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/sources', headers: bearer(key), payload: { name: 'Website' } });
  expect(res.statusCode, res.body).toBe(201);
  ({ writeKey, id: sourceId } = json<{ writeKey: string; id: string }>(res));
  url = await t.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(() => t.close());

describe('the Segment-compatible tracking API', () => {
  it('takes identify, track, page, group and alias from the stock @segment/analytics-node client and stitches them', async () => {
    const analytics = new Analytics({ writeKey, host: url, flushAt: 3, flushInterval: 50, maxRetries: 3 });
    const errors: unknown[] = [];
    analytics.on('error', (e) => errors.push(e));
    analytics.page({
      anonymousId: 'anon-1',
      name: 'Pricing',
      properties: { url: 'https://acme.example/pricing?utm_source=linkedin&utm_medium=paid_social&utm_campaign=q4-launch' },
      context: {
        page: {
          url: 'https://acme.example/pricing?utm_source=linkedin&utm_medium=paid_social&utm_campaign=q4-launch',
          referrer: 'https://www.linkedin.com/',
        },
      },
    });
    analytics.track({ anonymousId: 'anon-1', event: 'Demo Requested', properties: { plan: 'pro' } });
    analytics.identify({
      anonymousId: 'anon-1',
      userId: 'user-42',
      traits: { email: 'Grace.Hopper@Example.com', firstName: 'Grace', company: { name: 'Navy' }, plan: 'pro' },
    });
    analytics.group({ userId: 'user-42', groupId: 'acct-7', traits: { name: 'US Navy', website: 'https://www.navy.example/' } });
    analytics.alias({ userId: 'user-42', previousId: 'anon-2' });
    analytics.track({ anonymousId: 'anon-2', event: 'Docs Read' });
    await analytics.closeAndFlush({ timeout: 10_000 });
    expect(errors.map((e) => JSON.stringify(e).slice(0, 300))).toEqual([]);

    const c = await contactByEmail('grace.hopper@example.com');
    expect(c).toMatchObject({ firstName: 'Grace', company: 'Navy', traits: { plan: 'pro' } });
    const events = await eventsOf(c?.id ?? '');
    expect(events.map((e) => e.type).sort()).toEqual(['alias', 'group', 'identify', 'page', 'track', 'track']);
    expect(events.find((e) => e.event === 'Demo Requested')).toMatchObject({
      properties: { plan: 'pro' },
      context: { library: { name: expect.any(String) } },
    });
    for (let i = 1; i < events.length; i++)
      expect(Date.parse(events[i - 1]?.timestamp ?? '') >= Date.parse(events[i]?.timestamp ?? '')).toBe(true);
    const account = json<{ data: Array<{ id: string; name: string; domain: string; externalIds: Record<string, string> }> }>(
      await t.app.inject({ url: '/api/v1/accounts?domain=navy.example', headers: bearer(key) }),
    ).data[0];
    expect(account).toMatchObject({ name: 'US Navy', externalIds: { group_id: 'acct-7' } });
    const linked = json<{ accountId: string | null }>(await t.app.inject({ url: `/api/v1/contacts/${c?.id}`, headers: bearer(key) }));
    expect(linked.accountId).toBe(account?.id);
    const ids = json<{ data: Array<{ kind: string; value: string }> }>(
      await t.app.inject({ url: `/api/v1/contacts/${c?.id}/identities`, headers: bearer(key) }),
    );
    expect(ids.data.map((i) => `${i.kind}:${i.value}`).sort()).toEqual(['anonymousId:anon-1', 'anonymousId:anon-2', 'userId:user-42']);
    const tps = json<{ data: Array<Record<string, unknown>> }>(
      await t.app.inject({ url: `/api/v1/contacts/${c?.id}/touchpoints`, headers: bearer(key) }),
    );
    expect(tps.data).toHaveLength(1);
    expect(tps.data[0]).toMatchObject({
      channel: 'paid social',
      source: 'linkedin',
      medium: 'paid_social',
      campaign: 'q4-launch',
      timestamp: expect.any(String),
    });
  });

  it('stores a message once however often it is sent (messageId), and answers 200 only once it is stored', async () => {
    const batch = {
      batch: [
        { type: 'identify', messageId: 'dup-1', anonymousId: 'dup-anon', traits: { email: 'dup@example.com' } },
        { type: 'track', messageId: 'dup-2', anonymousId: 'dup-anon', event: 'Signed Up' },
        { type: 'track', messageId: 'dup-2', anonymousId: 'dup-anon', event: 'Signed Up' },
      ],
    };
    const first = await post('/v1/batch', batch);
    expect(first.statusCode, first.body).toBe(200);
    expect(json(first)).toMatchObject({ success: true, stored: 2, duplicates: 1 });
    const again = await post('/v1/batch', batch);
    expect(json(again)).toMatchObject({ success: true, stored: 0, duplicates: 3 });
    const c = await contactByEmail('dup@example.com');
    expect((await eventsOf(c?.id ?? '')).map((e) => e.messageId).sort()).toEqual(['dup-1', 'dup-2']);
  });

  it('keeps the good messages of a batch and reports the bad ones by index', async () => {
    const res = await post('/v1/batch', {
      batch: [
        { type: 'track', messageId: 'ok-1', userId: 'u-ok', event: 'Fine' },
        { type: 'track', messageId: 'bad-1', event: 'No ids' },
        { type: 'track', messageId: 'bad-2', userId: 'u-ok' },
        { type: 'teleport', messageId: 'bad-3', userId: 'u-ok' },
        'not an object',
        { type: 'track', messageId: 'bad-4', userId: 'u-ok', event: 'Old', timestamp: '1970-01-02T00:00:00Z' },
        { type: 'track', messageId: 'bad-5', userId: 'u-ok', event: 'Huge', properties: { blob: 'x'.repeat(40_000) } },
      ],
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = json<{ stored: number; rejected: Array<{ index: number; reason: string }> }>(res);
    expect(body.stored).toBe(1);
    expect(body.rejected.map((r) => r.index)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(body.rejected[0]?.reason).toMatch(/userId or anonymousId/);
    expect(body.rejected[4]?.reason).toMatch(/2000/);
    expect(body.rejected[5]?.reason).toMatch(/32 KB/);
  });

  it('refuses what the spec refuses, with clear errors, and counts them in /metrics', async () => {
    expect((await post('/v1/track', { userId: 'x', event: 'E' }, {})).statusCode).toBe(401);
    expect((await post('/v1/track', { userId: 'x', event: 'E' }, basic('wk_nope_nope'))).statusCode).toBe(401);
    expect((await post('/v1/track', '{"userId": ')).statusCode).toBe(400);
    expect((await post('/v1/track', { event: 'No ids' })).statusCode).toBe(400);
    expect((await post('/v1/identify', { userId: { nested: true } })).statusCode).toBe(400);
    expect((await post('/v1/track', { userId: 'x', event: 'Big', properties: { blob: 'x'.repeat(40_000) } })).statusCode).toBe(413);
    expect((await post('/v1/batch', { batch: [{ type: 'track', event: 'no ids' }] })).statusCode).toBe(400);
    expect((await post('/v1/batch', { nope: [] })).statusCode).toBe(400);
    const metrics = await t.app.inject({ url: '/metrics' });
    expect(metrics.body).toMatch(/keel_tracking_events_total\{outcome="rejected"\} \d+/);
    expect(metrics.body).toMatch(/keel_tracking_events_total\{outcome="bad_write_key"\} \d+/);
  });

  it('accepts gzip bodies and the write key in the body; corrects client clock skew with sentAt', async () => {
    const body = {
      writeKey,
      batch: [
        {
          type: 'identify',
          messageId: 'gz-1',
          userId: 'gz-user',
          traits: { email: 'gzip@example.com' },
          timestamp: '2030-01-01T00:00:10.000Z',
        },
      ],
      sentAt: '2030-01-01T00:00:20.000Z',
    };
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      payload: gzipSync(JSON.stringify(body)),
    });
    expect(res.statusCode, res.body).toBe(200);
    const c = await contactByEmail('gzip@example.com');
    const [e] = await eventsOf(c?.id ?? '');
    // The client clock is years ahead, but the event happened 10 s before it was sent.
    const age = Date.now() - Date.parse(e?.timestamp ?? '');
    expect(age).toBeGreaterThanOrEqual(9_000);
    expect(age).toBeLessThan(120_000);
  });

  it('lists the live stream of events, newest first, filtered by type, event and user, with cursors', async () => {
    const page1 = json<{ data: Array<Ev & { contactId: string | null; userId: string | null }>; nextCursor: string }>(
      await t.app.inject({ url: '/api/v1/events?limit=2', headers: bearer(key) }),
    );
    expect(page1.data).toHaveLength(2);
    const page2 = json<{ data: Ev[] }>(
      await t.app.inject({ url: `/api/v1/events?limit=2&cursor=${page1.nextCursor}`, headers: bearer(key) }),
    );
    expect(page2.data.map((e) => e.messageId)).not.toContain(page1.data[0]?.messageId);
    const demo = json<{ data: Array<Ev & { contactId: string | null }> }>(
      await t.app.inject({ url: '/api/v1/events?type=track&event=Demo%20Requested', headers: bearer(key) }),
    );
    expect(demo.data).toHaveLength(1);
    expect(demo.data[0]?.contactId).toBeTruthy();
    const byUser = json<{ data: Ev[] }>(await t.app.inject({ url: '/api/v1/events?user=anon-2', headers: bearer(key) }));
    expect(byUser.data.map((e) => e.type)).toEqual(['track']);
    expect((await t.app.inject({ url: '/api/v1/events?type=nope', headers: bearer(key) })).statusCode).toBe(400);
  });

  it('drops bots (isbot) and counts them', async () => {
    const res = await post('/v1/page', {
      anonymousId: 'bot-1',
      context: { userAgent: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' },
    });
    expect(res.statusCode).toBe(200);
    expect(json(res)).toMatchObject({ stored: 0 });
    expect((await t.app.inject({ url: '/metrics' })).body).toMatch(/keel_tracking_events_total\{outcome="bot"\} 1/);
  });

  it('rotates write keys with an overlap and revokes them at once', async () => {
    const rotated = json<{ writeKey: string; keys: Array<{ id: string; active: boolean; expiresAt: string | null }> }>(
      await t.app.inject({ method: 'POST', url: `/api/v1/sources/${sourceId}/rotate`, headers: bearer(key), payload: { overlapHours: 1 } }),
    );
    expect(rotated.keys).toHaveLength(2);
    expect(rotated.keys.every((k) => k.active)).toBe(true);
    expect((await post('/v1/track', { userId: 'r', event: 'Old key' })).statusCode).toBe(200);
    expect((await post('/v1/track', { userId: 'r', event: 'New key' }, basic(rotated.writeKey))).statusCode).toBe(200);
    const old = rotated.keys.find((k) => k.expiresAt !== null);
    await t.app.inject({ method: 'POST', url: `/api/v1/sources/${sourceId}/keys/${old?.id}/revoke`, headers: bearer(key) });
    clearWriteKeyCache();
    expect((await post('/v1/track', { userId: 'r', event: 'Old key' })).statusCode).toBe(401);
    writeKey = rotated.writeKey;
  });
});

describe('tracking plan', () => {
  it('records violations with examples, lists unplanned events, and blocks when asked', async () => {
    const schema = {
      type: 'object',
      required: ['plan'],
      properties: { plan: { enum: ['free', 'pro'] }, seats: { type: 'integer', minimum: 1 } },
    };
    const put = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/tracking-plan/events/Trial%20Started',
      headers: bearer(key),
      payload: { schema },
    });
    expect(put.statusCode, put.body).toBe(200);
    const bad = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/tracking-plan/events/X',
      headers: bearer(key),
      payload: { schema: { type: 'nope' } },
    });
    expect(bad.statusCode).toBe(400);
    const res = await post('/v1/batch', {
      batch: [
        { type: 'track', messageId: 'tp-1', userId: 'tp', event: 'Trial Started', properties: { plan: 'pro', seats: 3 } },
        { type: 'track', messageId: 'tp-2', userId: 'tp', event: 'Trial Started', properties: { plan: 'enterprise' } },
        { type: 'track', messageId: 'tp-3', userId: 'tp', event: 'Unplanned Thing' },
      ],
    });
    expect(json(res)).toMatchObject({ stored: 3 });
    const report = json<{
      events: Array<{
        event: string;
        planned: boolean;
        seen: number;
        violations: number;
        examples: Array<{ messageId: string; errors: string[] }>;
      }>;
    }>(await t.app.inject({ url: '/api/v1/tracking-plan', headers: bearer(key) }));
    const trial = report.events.find((e) => e.event === 'Trial Started');
    expect(trial).toMatchObject({ planned: true, seen: 2, violations: 1 });
    expect(trial?.examples[0]).toMatchObject({ messageId: 'tp-2', errors: [expect.stringMatching(/plan/)] });
    expect(report.events.find((e) => e.event === 'Unplanned Thing')).toMatchObject({ planned: false, seen: 1 });
    await t.app.inject({
      method: 'PUT',
      url: '/api/v1/tracking-plan/events/Trial%20Started',
      headers: bearer(key),
      payload: { schema, block: true },
    });
    const blocked = await post('/v1/batch', {
      batch: [
        { type: 'track', messageId: 'tp-4', userId: 'tp', event: 'Trial Started', properties: { plan: 'gold' } },
        { type: 'track', messageId: 'tp-5', userId: 'tp', event: 'Trial Started', properties: { plan: 'free' } },
      ],
    });
    expect(json(blocked)).toMatchObject({
      stored: 1,
      rejected: [{ index: 0, messageId: 'tp-4', reason: expect.stringMatching(/tracking plan/) }],
    });
    const viewer = await makeApiKey(
      t,
      (await t.db.handle.db.selectFrom('workspaces').select(['id', 'slug', 'name', 'created_at']).executeTakeFirstOrThrow()) as never,
      'viewer',
    );
    expect(
      (await t.app.inject({ method: 'DELETE', url: '/api/v1/tracking-plan/events/Trial%20Started', headers: bearer(viewer) })).statusCode,
    ).toBe(403);
    expect(
      (await t.app.inject({ method: 'DELETE', url: '/api/v1/tracking-plan/events/Trial%20Started', headers: bearer(key) })).statusCode,
    ).toBe(204);
  });
});

describe('retention', () => {
  it('deletes events older than their source keeps them, and only those', async () => {
    const src = json<{ writeKey: string; id: string }>(
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/sources',
        headers: bearer(key),
        payload: { name: 'Short memory', retentionDays: 30 },
      }),
    );
    const old = new Date(Date.now() - 40 * 86_400_000).toISOString();
    const res = await post(
      '/v1/batch',
      {
        batch: [
          { type: 'track', messageId: 'ret-old', userId: 'ret', event: 'Old', timestamp: old },
          { type: 'track', messageId: 'ret-new', userId: 'ret', event: 'New' },
        ],
      },
      basic(src.writeKey),
    );
    expect(json(res)).toMatchObject({ stored: 2 });
    expect(await applyRetention(t.db.handle.db, new Date())).toBe(1);
    const left = await t.db.handle.db.selectFrom('events').select('message_id').where('source_id', '=', src.id).execute();
    expect(left.map((e) => e.message_id)).toEqual(['ret-new']);
  });
});

describe('touchpoints', () => {
  it('makes one touchpoint per visit: later pages repeating the landing campaign add none', async () => {
    const ctxFor = (url: string) => ({ page: { url }, campaign: { source: 'newsletter', medium: 'email', name: 'nov' } });
    const res = await post('/v1/batch', {
      batch: [
        {
          type: 'page',
          messageId: 'tp-visit-1',
          anonymousId: 'visit',
          userId: 'visit-user',
          context: ctxFor('https://a.example/?gclid=x&utm_source=newsletter&utm_medium=email&utm_campaign=nov'),
        },
        { type: 'page', messageId: 'tp-visit-2', anonymousId: 'visit', context: ctxFor('https://a.example/pricing') },
        { type: 'identify', messageId: 'tp-visit-3', userId: 'visit-user', traits: { email: 'visit@example.com' } },
      ],
    });
    expect(json(res)).toMatchObject({ stored: 3 });
    const c = await contactByEmail('visit@example.com');
    const tps = json<{ data: Array<{ channel: string }> }>(
      await t.app.inject({ url: `/api/v1/contacts/${c?.id}/touchpoints`, headers: bearer(key) }),
    );
    expect(tps.data.map((x) => x.channel)).toEqual(['paid search']);
  });
});

describe('channel rules', () => {
  const ch = (context: Record<string, unknown>) => {
    const v = visitOf(context);
    return v ? classifyChannel(v) : null;
  };
  it('classifies visits into channel groups', () => {
    expect(ch({ page: { url: 'https://a.example/?gclid=abc' } })).toBe('paid search');
    expect(ch({ page: { url: 'https://a.example/?fbclid=abc' } })).toBe('paid social');
    expect(ch({ campaign: { source: 'newsletter', medium: 'email', name: 'nov' }, page: { url: 'https://a.example/' } })).toBe('email');
    expect(ch({ page: { url: 'https://a.example/', referrer: 'https://www.google.com/' } })).toBe('organic search');
    expect(ch({ page: { url: 'https://a.example/', referrer: 'https://t.co/xyz' } })).toBe('organic social');
    expect(ch({ page: { url: 'https://a.example/', referrer: 'https://blog.other.example/post' } })).toBe('referral');
    expect(ch({ page: { url: 'https://a.example/x', referrer: 'https://a.example/' } })).toBe('direct');
    expect(ch({ page: { url: 'https://a.example/?utm_source=partner&utm_medium=cpm' } })).toBe('display');
  });
});

describe('workspace settings for tracking', () => {
  const api = (method: string, path: string, payload?: object) =>
    t.app.inject({ method: method as 'GET', url: path, headers: bearer(key), ...(payload && { payload }) });

  it('drops events from excluded addresses (context.ip or the request), counts them, and validates ranges', async () => {
    for (const bad of [['10.0.0.0/33'], ['not an ip'], ['1.2.3.4/8/1'], ['2001:db8::/129']]) {
      expect((await api('PATCH', `/api/v1/sources/${sourceId}`, { excludedIps: bad })).statusCode, bad[0]).toBe(400);
    }
    const res = await api('PATCH', `/api/v1/sources/${sourceId}`, { excludedIps: ['203.0.113.0/24', '2001:db8::/32', '127.0.0.1'] });
    expect(res.statusCode, res.body).toBe(200);
    expect(json<{ excludedIps: string[] }>(res).excludedIps).toEqual(['203.0.113.0/24', '2001:db8::/32', '127.0.0.1']);
    const sent = await post('/v1/batch', {
      batch: [
        { type: 'track', event: 'Office', userId: 'ip-1', messageId: 'ip-a', context: { ip: '203.0.113.50' } },
        { type: 'track', event: 'Office v6', userId: 'ip-1', messageId: 'ip-b', context: { ip: '2001:db8::7' } },
        { type: 'track', event: 'Customer', userId: 'ip-1', messageId: 'ip-c', context: { ip: '198.51.100.4' } },
        // No context.ip: the request's address counts (the test client is 127.0.0.1, excluded).
        { type: 'track', event: 'From here', userId: 'ip-1', messageId: 'ip-d' },
      ],
    });
    expect(json(sent)).toMatchObject({ stored: 1, excluded: 3 });
    const metrics = await t.app.inject({ url: '/metrics' });
    expect(metrics.body).toMatch(/keel_tracking_events_total\{[^}]*outcome="internal"[^}]*\} 3/);
    await api('PATCH', `/api/v1/sources/${sourceId}`, { excludedIps: [] });
  });

  it('lets a workspace edit the channel table; new touchpoints follow it, and it can go back to the defaults', async () => {
    const before = json<{ rules: Array<{ channel: string }>; isDefault: boolean }>(await api('GET', '/api/v1/channel-rules'));
    expect(before.isDefault).toBe(true);
    expect(before.rules.map((r) => r.channel)).toContain('paid search');
    expect((await api('PUT', '/api/v1/channel-rules', { rules: [{ channel: 'x', when: {} }] })).statusCode).toBe(400);
    expect((await api('PUT', '/api/v1/channel-rules', { rules: [] })).statusCode).toBe(400);
    const put = await api('PUT', '/api/v1/channel-rules', {
      rules: [{ channel: 'partners', when: { sources: ['partnerstack'], sites: ['g2.com'] } }, ...before.rules],
    });
    expect(put.statusCode, put.body).toBe(200);
    expect(json(put)).toMatchObject({ isDefault: false });
    await post('/v1/batch', {
      batch: [
        { type: 'identify', userId: 'chan-1', messageId: 'chan-id', traits: { email: 'chan@example.com' } },
        {
          type: 'page',
          userId: 'chan-1',
          messageId: 'chan-p1',
          context: { page: { url: 'https://a.example/?utm_source=PartnerStack&utm_medium=affiliate' } },
        },
      ],
    });
    const c = await contactByEmail('chan@example.com');
    const tps = json<{ data: Array<{ channel: string }> }>(await api('GET', `/api/v1/contacts/${c?.id}/touchpoints`)).data;
    expect(tps.map((x) => x.channel)).toEqual(['partners']);
    const reset = json<{ isDefault: boolean }>(await api('DELETE', '/api/v1/channel-rules'));
    expect(reset.isDefault).toBe(true);
    const audit = json<{ data: Array<{ action: string }> }>(await api('GET', '/api/v1/audit?limit=50'));
    expect(audit.data.map((a) => a.action)).toEqual(
      expect.arrayContaining(['channel_rules.updated', 'channel_rules.reset', 'source.updated']),
    );
  });

  it("shows the identity merges behind a contact's profile", async () => {
    await post('/v1/batch', {
      batch: [
        // A visitor browses anonymously; the same person is known by user id on another device...
        { type: 'page', anonymousId: 'merge-anon', messageId: 'mg-1' },
        { type: 'identify', userId: 'merge-user', messageId: 'mg-2', traits: { email: 'merge@example.com' } },
        // ...then signs in on the first device: the anonymous profile folds into the known one.
        { type: 'track', event: 'Signed In', anonymousId: 'merge-anon', userId: 'merge-user', messageId: 'mg-3' },
      ],
    });
    const c = await contactByEmail('merge@example.com');
    const merges = json<{ data: Array<{ reason: string }> }>(await api('GET', `/api/v1/contacts/${c?.id}/merges`)).data;
    expect(merges).toEqual([expect.objectContaining({ reason: 'track with userId and anonymousId' })]);
    // Nothing was lost: the anonymous page view is the contact's now.
    expect((await eventsOf(c?.id ?? '')).map((e) => e.messageId).sort()).toEqual(['mg-1', 'mg-2', 'mg-3']);
  });
});
