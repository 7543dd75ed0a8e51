import { webcrypto } from 'node:crypto';
import { createContext, runInContext } from 'node:vm';
import { gunzipSync } from 'node:zlib';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, json, makeApiKey, makeWorkspace, type TestApp } from '../../test/app.js';
import { snippetRoutes } from './snippet.routes.js';
import { buildSnippet } from './snippet/build-snippet.js';

let t: TestApp;
let key: string;
let code: string;

type Stored = {
  type: string;
  event: string | null;
  name: string | null;
  anonymousId: string | null;
  userId: string | null;
  properties: Record<string, unknown>;
  traits: Record<string, unknown>;
  context: Record<string, unknown>;
};

async function newSource(name: string): Promise<{ id: string; writeKey: string }> {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/sources', headers: bearer(key), payload: { name } });
  expect(res.statusCode, res.body).toBe(201);
  return json<{ id: string; writeKey: string }>(res);
}

async function storedEvents(sourceId: string): Promise<Stored[]> {
  const res = await t.app.inject({ url: `/api/v1/events?sourceId=${sourceId}&limit=100`, headers: bearer(key) });
  expect(res.statusCode, res.body).toBe(200);
  return json<{ data: Stored[] }>(res).data.reverse();
}

beforeAll(async () => {
  t = await createTestApp();
  const ws = await makeWorkspace(t);
  key = await makeApiKey(t, ws, 'admin');
  code = await buildSnippet();
});
afterAll(() => t.close());

describe('GET /js/keel.js', () => {
  it('serves one minified script, gzipped under 10 KB, cacheable and loadable from other sites', async () => {
    const res = await t.app.inject({ url: '/js/keel.js', headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers).toMatchObject({
      'content-type': 'application/javascript; charset=utf-8',
      'cache-control': 'public, max-age=300',
      'content-encoding': 'gzip',
      vary: 'accept-encoding',
      'cross-origin-resource-policy': 'cross-origin',
    });
    expect(res.headers.etag).toMatch(/^"[\w-]{20,}"$/);
    expect(res.rawPayload.length).toBeLessThan(10_240);
    const plain = gunzipSync(res.rawPayload).toString('utf8');
    expect(plain).toBe(code);
    expect(plain.split('\n').filter(Boolean)).toHaveLength(1); // minified
    expect(() => new Function(plain)).not.toThrow(); // a classic script, no import/export
    expect(plain).not.toMatch(/\bimport\b|\bexport\b/);
  });

  it('is plain without Accept-Encoding gzip, and 304 for a matching ETag', async () => {
    const plain = await t.app.inject({ url: '/js/keel.js', headers: { 'accept-encoding': 'gzip;q=0, identity' } });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe(code);
    const again = await t.app.inject({ url: '/js/keel.js', headers: { 'if-none-match': String(plain.headers.etag) } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    const head = await t.app.inject({ method: 'HEAD', url: '/js/keel.js' });
    expect(head.statusCode).toBe(200);
  });
});

describe('CORS on the /v1 API, and only there', () => {
  const origin = 'https://shop.example';

  it('answers the preflight for /v1/batch with *', async () => {
    const res = await t.app.inject({
      method: 'OPTIONS',
      url: '/v1/batch',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    expect(res.statusCode).toBe(204);
    expect(res.headers).toMatchObject({
      'access-control-allow-origin': '*',
      'access-control-allow-methods': 'POST',
      'access-control-allow-headers': 'content-type, authorization, content-encoding',
    });
    const track = await t.app.inject({ method: 'OPTIONS', url: '/v1/track', headers: { origin, 'access-control-request-method': 'POST' } });
    expect(track.headers['access-control-allow-origin']).toBe('*');
  });

  it('puts access-control-allow-origin on /v1 answers, errors included', async () => {
    const { writeKey } = await newSource('CORS');
    const ok = await t.app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: { origin, authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}` },
      payload: { batch: [{ type: 'track', anonymousId: 'cors-1', event: 'Seen' }] },
    });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe('*');
    const refused = await t.app.inject({ method: 'POST', url: '/v1/batch', headers: { origin }, payload: { batch: [] } });
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['access-control-allow-origin']).toBe('*');
  });

  it('leaves the rest of the API same-origin', async () => {
    const pre = await t.app.inject({
      method: 'OPTIONS',
      url: '/api/v1/contacts',
      headers: { origin, 'access-control-request-method': 'POST' },
    });
    expect(pre.statusCode).toBe(404);
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    const get = await t.app.inject({ url: '/api/v1/sources', headers: { origin, ...bearer(key) } });
    expect(get.statusCode).toBe(200);
    expect(get.headers['access-control-allow-origin']).toBeUndefined();
    expect(get.headers['cross-origin-resource-policy']).toBe('same-origin');
  });

  it('parses a text/plain body (sendBeacon) as JSON on /v1 only', async () => {
    const { id, writeKey } = await newSource('Beacon');
    const beacon = await t.app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: { origin, 'content-type': 'text/plain;charset=UTF-8' },
      payload: JSON.stringify({ writeKey, batch: [{ type: 'track', anonymousId: 'beacon-1', event: 'Left' }], sentAt: new Date() }),
    });
    expect(beacon.statusCode, beacon.body).toBe(200);
    expect((await storedEvents(id)).map((e) => e.event)).toEqual(['Left']);
    const garbled = await t.app.inject({ method: 'POST', url: '/v1/batch', headers: { 'content-type': 'text/plain' }, payload: '{nope' });
    expect(garbled.statusCode).toBe(400);
    expect(json(garbled)).toMatchObject({ code: 'invalid_json' });
    // Elsewhere text/plain is still a string, which a JSON route refuses as before.
    const api = await t.app.inject({
      method: 'POST',
      url: '/api/v1/sources',
      headers: { ...bearer(key), 'content-type': 'text/plain' },
      payload: JSON.stringify({ name: 'Sneaky' }),
    });
    expect(api.statusCode).toBe(400);
    expect(json(api)).toMatchObject({ code: 'validation_failed' });
  });

  it('refuses to be registered after the /v1 routes, where its hooks would not reach them', async () => {
    const app = Fastify();
    app.post('/v1/batch', async () => ({}));
    await expect(app.register(snippetRoutes).ready()).rejects.toThrow(/before trackingRoutes/);
    await app.close();
  });
});

// --- keel.js in a page ---------------------------------------------------------------------------
// A small stand-in for the browser (node:vm): cookies, storage, timers we run by hand, and fetch /
// sendBeacon that go to the real app in-process. The real browser is tested in e2e/snippet.e2e.ts.

interface PageOpts {
  writeKey: string;
  url?: string;
  consent?: 'required' | 'not-required';
  respectDnt?: boolean;
  doNotTrack?: string | null;
  gpc?: boolean;
  /** Runs before keel.js, as the site's inline stub would. */
  before?: string;
  /** Another page load of the same visitor: its cookies, localStorage and sessionStorage. */
  sameVisitor?: FakePage;
}

interface Sent {
  via: 'fetch' | 'beacon';
  contentType: string;
  authorization: string | undefined;
  body: { batch: Array<Record<string, unknown>>; writeKey?: string; sentAt?: string };
  status: number;
}

interface FakePage {
  cookies: Map<string, string>;
  local: Map<string, string>;
  session: Map<string, string>;
  sent: Sent[];
  run(js: string): unknown;
  /** Runs the timers that are due (the 2 s flush), then waits for the requests. */
  tick(): Promise<void>;
  leave(): Promise<void>;
  settle(): Promise<void>;
}

function storage(map: Map<string, string>) {
  return {
    getItem: (k: string) => map.get(k) ?? null,
    setItem: (k: string, v: string) => void map.set(k, String(v)),
    removeItem: (k: string) => void map.delete(k),
  };
}

function openPage(opts: PageOpts): FakePage {
  const url = new URL(opts.url ?? 'https://shop.example/pricing');
  const cookies = opts.sameVisitor?.cookies ?? new Map<string, string>();
  const local = opts.sameVisitor?.local ?? new Map<string, string>();
  const session = opts.sameVisitor?.session ?? new Map<string, string>();
  const sent: Sent[] = [];
  const inflight: Array<Promise<unknown>> = [];
  const timers = new Map<number, () => void>();
  let nextTimer = 1;
  const listeners: Record<string, Array<() => void>> = {};
  const attrs: Record<string, string> = {
    'data-write-key': opts.writeKey,
    'data-consent': opts.consent ?? 'not-required',
    'data-respect-dnt': String(opts.respectDnt ?? false),
  };
  const deliver = (via: Sent['via'], target: string, headers: Record<string, string>, body: string) => {
    const p = t.app
      .inject({ method: 'POST', url: new URL(target).pathname, headers: { origin: url.origin, ...headers }, payload: body })
      .then((res) => {
        sent.push({
          via,
          contentType: headers['content-type'] ?? '',
          authorization: headers.authorization,
          body: JSON.parse(body) as Sent['body'],
          status: res.statusCode,
        });
        return { status: res.statusCode };
      });
    inflight.push(p);
    return p;
  };
  const document = {
    title: 'Pricing | Shop',
    referrer: 'https://www.google.com/',
    visibilityState: 'visible',
    currentScript: { src: 'https://keel.example/js/keel.js', getAttribute: (n: string) => attrs[n] ?? null },
    querySelector: () => null,
    addEventListener: (type: string, fn: () => void) => (listeners[type] ??= []).push(fn),
    get cookie() {
      return [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    },
    set cookie(line: string) {
      const [pair = '', ...attributes] = line.split(';').map((s) => s.trim());
      const [name = '', value = ''] = pair.split('=');
      if (attributes.some((a) => a === 'Max-Age=0')) cookies.delete(name);
      else cookies.set(name, value);
    },
  };
  const sandbox: Record<string, unknown> = {
    document,
    location: { href: url.href, origin: url.origin, pathname: url.pathname, search: url.search, protocol: url.protocol },
    navigator: {
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
      language: 'en-GB',
      doNotTrack: opts.doNotTrack ?? null,
      ...(opts.gpc !== undefined && { globalPrivacyControl: opts.gpc }),
      sendBeacon: (target: string, data: string) => {
        void deliver('beacon', target, { 'content-type': 'text/plain;charset=UTF-8' }, data);
        return true;
      },
    },
    localStorage: storage(local),
    sessionStorage: storage(session),
    crypto: webcrypto,
    btoa,
    URL,
    URLSearchParams,
    fetch: (target: string, init: { headers?: Record<string, string>; body: string }) =>
      deliver('fetch', target, init.headers ?? { 'content-type': 'text/plain;charset=UTF-8' }, init.body),
    setTimeout: (fn: () => void) => {
      timers.set(nextTimer, fn);
      return nextTimer++;
    },
    clearTimeout: (id: number) => timers.delete(id),
    addEventListener: (type: string, fn: () => void) => (listeners[type] ??= []).push(fn),
  };
  sandbox.window = sandbox;
  const ctx = createContext(sandbox);
  if (opts.before) runInContext(opts.before, ctx);
  runInContext(code, ctx);
  const settle = async () => {
    while (inflight.length) await inflight.shift();
  };
  return {
    cookies,
    local,
    session,
    sent,
    run: (js) => runInContext(js, ctx),
    async tick() {
      const due = [...timers.values()];
      timers.clear();
      for (const fn of due) fn();
      await settle();
    },
    async leave() {
      document.visibilityState = 'hidden';
      for (const fn of listeners.visibilitychange ?? []) fn();
      for (const fn of listeners.pagehide ?? []) fn();
      await settle();
    },
    settle,
  };
}

// The one-line stub of the README, so calls made before keel.js arrives are kept.
const STUB =
  "window.keel=window.keel||[];['page','track','identify','consent','reset','flush'].forEach(function(m){keel[m]=keel[m]||function(){keel.push([m].concat([].slice.call(arguments)))}});";

describe('keel.js in a page', () => {
  it('replays the stub queue, batches every 2 s, and sends Segment-shaped messages the API stores', async () => {
    const { id, writeKey } = await newSource('Website');
    const page = openPage({
      writeKey,
      url: 'https://shop.example/pricing?utm_source=newsletter&utm_medium=email&utm_campaign=nov&gclid=abc',
      before: `${STUB} keel.page();`,
    });
    page.run("keel.track('Demo Requested', {plan: 'pro'}); keel.identify('user-42', {email: 'snippet.unit@example.com'})");
    expect(page.sent).toEqual([]); // not before the 2 s timer
    await page.tick();
    expect(page.sent).toHaveLength(1);
    const [req] = page.sent;
    expect(req).toMatchObject({ via: 'fetch', contentType: 'application/json', status: 200 });
    expect(req?.authorization).toBe(`Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`);
    expect(req?.body.writeKey).toBeUndefined();
    expect(Date.parse(req?.body.sentAt ?? '')).not.toBeNaN();

    const anon = page.cookies.get('keel_anon') ?? '';
    expect(anon).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(page.local.get('keel_anon')).toBe(anon);
    expect(page.local.get('keel_user_id')).toBe('user-42');

    const events = await storedEvents(id);
    expect(events.map((e) => [e.type, e.event, e.anonymousId, e.userId])).toEqual([
      ['page', null, anon, null],
      ['track', 'Demo Requested', anon, null],
      ['identify', null, anon, 'user-42'],
    ]);
    const campaign = { source: 'newsletter', medium: 'email', name: 'nov' };
    for (const e of events) {
      expect(e.context).toMatchObject({
        page: {
          path: '/pricing',
          referrer: 'https://www.google.com/',
          search: '?utm_source=newsletter&utm_medium=email&utm_campaign=nov&gclid=abc',
          title: 'Pricing | Shop',
          url: 'https://shop.example/pricing?utm_source=newsletter&utm_medium=email&utm_campaign=nov&gclid=abc',
        },
        userAgent: expect.stringContaining('Chrome/'),
        locale: 'en-GB',
        library: { name: 'keel.js', version: expect.any(String) },
        campaign,
      });
    }
    expect(events[0]?.properties).toMatchObject({ path: '/pricing', title: 'Pricing | Shop' });
    expect(events[1]?.properties).toEqual({ plan: 'pro' });
    expect(events[2]?.traits).toEqual({ email: 'snippet.unit@example.com' });

    // The next page of the visit: same ids, the landing's campaign, the remembered user.
    const next = openPage({ writeKey, url: 'https://shop.example/docs', sameVisitor: page });
    next.run("keel.page('Docs')");
    await next.leave();
    expect(next.sent).toHaveLength(1);
    expect(next.sent[0]).toMatchObject({ via: 'beacon', contentType: 'text/plain;charset=UTF-8', status: 200 });
    expect(next.sent[0]?.authorization).toBeUndefined();
    expect(next.sent[0]?.body.writeKey).toBe(writeKey);
    const docs = (await storedEvents(id)).at(-1);
    expect(docs).toMatchObject({ type: 'page', name: 'Docs', anonymousId: anon, userId: 'user-42', context: { campaign } });
    expect(docs?.context.page).toMatchObject({ path: '/docs', search: '' });
  });

  it('sends at 20 events without waiting for the timer', async () => {
    const { id, writeKey } = await newSource('Busy');
    const page = openPage({ writeKey });
    page.run("for (var i = 0; i < 25; i++) keel.track('Scrolled', {i: i})");
    await page.settle();
    expect(page.sent.map((s) => s.body.batch.length)).toEqual([20]);
    await page.tick();
    expect(page.sent.map((s) => s.body.batch.length)).toEqual([20, 5]);
    expect(await storedEvents(id)).toHaveLength(25);
  });

  it('with consent required: no cookie, no storage, nothing sent, calls dropped until keel.consent(true)', async () => {
    const { id, writeKey } = await newSource('Consent');
    const page = openPage({
      writeKey,
      consent: 'required',
      before: `${STUB} keel.page(); keel.identify('u-early', {email: 'early@example.com'});`,
    });
    page.run("keel.track('Before consent')");
    await page.tick();
    await page.leave();
    expect(page.sent).toEqual([]);
    expect(page.cookies.size + page.local.size + page.session.size).toBe(0);

    page.run("keel.consent(true); keel.track('After consent')");
    await page.tick();
    expect((await storedEvents(id)).map((e) => [e.event, e.userId])).toEqual([['After consent', 'u-early']]);
    expect(page.cookies.get('keel_anon')).toBeTruthy();
    expect(page.local.get('keel_consent')).toBe('1');

    // The grant is remembered on the next page; withdrawing it forgets the visitor.
    const next = openPage({ writeKey, consent: 'required', sameVisitor: page });
    next.run("keel.track('Next page'); keel.consent(false); keel.track('Withdrawn')");
    await next.leave();
    expect(next.sent).toEqual([]);
    expect(page.cookies.has('keel_anon')).toBe(false);
    expect([...page.local.keys()]).toEqual([]);
  });

  it('with respect-dnt, sends nothing under Do Not Track or Global Privacy Control, and ignores them otherwise', async () => {
    const { id, writeKey } = await newSource('Privacy');
    for (const signal of [{ doNotTrack: '1' }, { gpc: true }]) {
      const page = openPage({ writeKey, respectDnt: true, ...signal });
      page.run("keel.page(); keel.consent(true); keel.track('Private')");
      await page.tick();
      await page.leave();
      expect(page.sent).toEqual([]);
      expect(page.cookies.size + page.local.size + page.session.size).toBe(0);
    }
    const ignored = openPage({ writeKey, respectDnt: false, gpc: true });
    ignored.run("keel.track('Not asked to honour GPC')");
    await ignored.tick();
    expect((await storedEvents(id)).map((e) => e.event)).toEqual(['Not asked to honour GPC']);
  });
});
