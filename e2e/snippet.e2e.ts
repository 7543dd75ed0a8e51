import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkEachTest } from './support/app.js';
import { desktop, launchBrowser, screenshot } from './support/browser.js';
import { ApiSession } from './support/flows.js';
import { startServer, type TestServer } from './support/server.js';

const admin = { workspaceName: 'Northwind', name: 'Nora Admin', email: 'nora@northwind.test', password: 'northwind-admin-pass-1' };
const landing = '/?utm_source=newsletter&utm_medium=email&utm_campaign=nov&gclid=abc';

interface SiteConfig {
  writeKey: string;
  consent: 'required' | 'not-required';
  respectDnt: boolean;
  label: string;
}

interface LoggedBatch {
  via: 'fetch' | 'beacon';
  status: number | string;
  batch: Array<{ type: string; event?: string; userId?: string }>;
}

type Ev = { type: string; event: string | null; anonymousId: string | null; userId: string | null; context: Record<string, unknown> };

/**
 * The customer's site: another origin (localhost, where Keel is on 127.0.0.1, so another site too)
 * that serves the fixture page with the snippet tag, and a page to leave to.
 */
async function startSite(keel: string, config: () => SiteConfig): Promise<{ url: string; server: Server }> {
  const template = readFileSync(new URL('./fixtures/snippet-page.html', import.meta.url), 'utf8');
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/') {
      const c = config();
      const html = template
        .replaceAll('{{KEEL}}', keel)
        .replaceAll('{{WRITE_KEY}}', c.writeKey)
        .replaceAll('{{CONSENT}}', c.consent)
        .replaceAll('{{RESPECT_DNT}}', String(c.respectDnt))
        .replaceAll('{{CASE}}', c.label);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(html);
    } else if (path === '/left') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>Elsewhere</title><link rel="icon" href="data:,"><p>You left the page.</p>');
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://localhost:${(server.address() as AddressInfo).port}`, server };
}

async function eventually<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('the browser snippet on a customer site', () => {
  let server: TestServer;
  let site: { url: string; server: Server };
  let siteConfig: SiteConfig;
  let apiKey: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** Requests the page made to Keel's /v1 API, and console errors (CORS or CORP refusals show there). */
  let v1Requests: string[];
  let consoleErrors: string[];

  const api = async <T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> => {
    const res = await fetch(`${server.url}/api/v1${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${apiKey}`, ...(init.body !== undefined && { 'content-type': 'application/json' }) },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const newSource = (name: string) => api<{ id: string; writeKey: string }>('/sources', { method: 'POST', body: { name } });
  const sourceEvents = async (sourceId: string) =>
    (await api<{ data: Ev[] }>(`/events?sourceId=${sourceId}&limit=100`)).data.map((e) => e.event ?? e.type).sort();
  const logged = () => page.evaluate(() => (window as unknown as { snippetLog: () => LoggedBatch[] }).snippetLog());
  const keelLoaded = () => page.waitForFunction(() => Boolean((window as unknown as { keel?: { version?: string } }).keel?.version));
  const anonCookie = async () => (await context.cookies(site.url)).find((c) => c.name === 'keel_anon');

  /** A fresh visitor: its own cookies and storage. */
  async function openVisitor(init?: () => void): Promise<void> {
    await context?.close();
    // Headless Chromium says "HeadlessChrome", which /v1 drops as a bot (isbot): look like a person's browser.
    const version = browser.version().split('.')[0] ?? '130';
    context = await browser.newContext({
      viewport: desktop,
      locale: 'en-US',
      timezoneId: 'UTC',
      reducedMotion: 'reduce',
      userAgent: `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${version}.0.0.0 Safari/537.36`,
    });
    context.setDefaultTimeout(15_000);
    if (init) await context.addInitScript(init);
    page = await context.newPage();
    v1Requests = [];
    consoleErrors = [];
    page.on('request', (r) => {
      if (r.url().startsWith(`${server.url}/v1/`)) v1Requests.push(`${r.method()} ${r.url()}`);
    });
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
  }

  beforeAll(async () => {
    server = await startServer();
    const session = await ApiSession.setup(server.url, admin);
    ({ key: apiKey } = (await session.post('/api-keys', { name: 'snippet e2e', role: 'admin' })) as { key: string });
    site = await startSite(server.url, () => siteConfig);
    browser = await launchBrowser();
  });

  checkEachTest(() => ({ server, pageErrors: () => consoleErrors }));

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await new Promise((r) => site?.server.close(r));
    await server?.stop();
  });

  it('sends page, track and identify from another site; the visitor becomes a contact with its campaign', async () => {
    const source = await newSource('Northwind website');
    siteConfig = { writeKey: source.writeKey, consent: 'not-required', respectDnt: false, label: 'consent not required' };
    await openVisitor();
    await page.goto(site.url + landing);
    await keelLoaded();

    // page and track: batched, then sent by fetch after 2 s (CORS preflight for the Authorization header).
    await page.evaluate(() => {
      const k = (window as unknown as { keel: { page(): void; track(e: string, p: object): void } }).keel;
      k.page();
      k.track('Demo Requested', { plan: 'pro' });
    });
    const first = await eventually('the fetch batch', async () => {
      const log = await logged();
      return log[0]?.status === 200 && log;
    });
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ via: 'fetch', batch: [{ type: 'page' }, { type: 'track', event: 'Demo Requested' }] });
    const cookie = await anonCookie();
    expect(cookie).toMatchObject({ path: '/', sameSite: 'Lax' });
    expect(cookie?.expires ?? 0).toBeGreaterThan(Date.now() / 1000 + 360 * 86_400);
    const anonymousId = cookie?.value ?? '';
    expect(anonymousId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);

    // identify, then leave at once: it can only go by the beacon on pagehide.
    await page.evaluate(() => {
      const k = (window as unknown as { keel: { identify(id: string, t: object): void } }).keel;
      k.identify('user-7', { email: 'snippet.user@example.com' });
    });
    await page.goto(`${site.url}/left`);
    await page.getByText('You left the page.').waitFor();

    const contact = await eventually('the contact', async () => {
      const res = await api<{ data: Array<{ id: string; email: string }> }>(`/contacts?email=snippet.user@example.com`);
      return res.data[0];
    });
    const events = await eventually('the three events', async () => {
      const res = await api<{ data: Ev[] }>(`/contacts/${contact.id}/events?limit=50`);
      return res.data.length >= 3 && res.data;
    });
    expect(events.map((e) => e.event ?? e.type).sort()).toEqual(['Demo Requested', 'identify', 'page']);
    for (const e of events) {
      expect(e.anonymousId).toBe(anonymousId);
      expect(e.context).toMatchObject({
        page: { path: '/', search: landing.slice(1), title: 'Pricing | Northwind Cloud', url: site.url + landing },
        campaign: { source: 'newsletter', medium: 'email', name: 'nov' },
        library: { name: 'keel.js' },
        locale: 'en-US',
      });
    }
    expect(events.find((e) => e.type === 'identify')?.userId).toBe('user-7');

    const identities = await api<{ data: Array<{ kind: string; value: string }> }>(`/contacts/${contact.id}/identities`);
    expect(identities.data.map((i) => `${i.kind}:${i.value}`).sort()).toEqual([`anonymousId:${anonymousId}`, 'userId:user-7']);

    // gclid outranks utm_medium=email (channels.ts): one paid search touchpoint for the visit.
    const touchpoints = await api<{ data: Array<Record<string, unknown>> }>(`/contacts/${contact.id}/touchpoints`);
    expect(touchpoints.data).toHaveLength(1);
    expect(touchpoints.data[0]).toMatchObject({
      channel: 'paid search',
      source: 'newsletter',
      medium: 'email',
      campaign: 'nov',
      clickId: 'abc',
      landingPage: site.url + landing,
    });

    // Back on the page, its list shows both transports: the fetch batch and the beacon.
    await page.goBack();
    await keelLoaded();
    const log = await logged();
    expect(log.map((b) => [b.via, b.status, b.batch.map((m) => m.type).join(',')])).toEqual([
      ['fetch', 200, 'page,track'],
      ['beacon', 'queued', 'identify'],
    ]);
    await page.locator('#log tr').nth(2).waitFor();
    await screenshot(page, 'snippet-test-page');
    expect(v1Requests.length).toBeGreaterThan(0);
  });

  it('with data-consent="required", sends nothing and sets no cookie until keel.consent(true)', async () => {
    const source = await newSource('Consent site');
    siteConfig = { writeKey: source.writeKey, consent: 'required', respectDnt: false, label: 'consent required' };
    await openVisitor();
    await page.goto(site.url + landing);
    await keelLoaded();
    await page.evaluate(() => {
      const k = (window as unknown as { keel: { page(): void; track(e: string): void } }).keel;
      k.page();
      k.track('Before consent');
    });
    await page.waitForTimeout(2_500); // past the 2 s flush
    expect(v1Requests).toEqual([]);
    expect(await logged()).toEqual([]);
    expect(await anonCookie()).toBeUndefined();

    await page.evaluate(() => {
      const k = (window as unknown as { keel: { consent(g: boolean): void; track(e: string): void } }).keel;
      k.consent(true);
      k.track('After consent');
    });
    await eventually('the batch after consent', async () => (await logged())[0]?.status === 200);
    expect(await anonCookie()).toBeDefined();
    expect(await sourceEvents(source.id)).toEqual(['After consent']);
  });

  it('with data-respect-dnt="true" and Global Privacy Control on, sends nothing at all', async () => {
    const source = await newSource('Privacy site');
    siteConfig = { writeKey: source.writeKey, consent: 'not-required', respectDnt: true, label: 'respect DNT / GPC' };
    await openVisitor(() => {
      Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true, configurable: true });
    });
    await page.goto(site.url + landing);
    await keelLoaded();
    await page.evaluate(() => {
      const k = (window as unknown as { keel: { page(): void; track(e: string): void; consent(g: boolean): void } }).keel;
      k.page();
      k.consent(true);
      k.track('Private');
    });
    await page.waitForTimeout(2_500);
    await page.goto(`${site.url}/left`); // the pagehide path too
    await page.getByText('You left the page.').waitFor();
    expect(v1Requests).toEqual([]);
    expect(await anonCookie()).toBeUndefined();
    expect(await sourceEvents(source.id)).toEqual([]);
  });
});
