import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, useBrowserHooks } from './support/app.js';
import { newContext, screenshot, watchForErrors } from './support/browser.js';
import { ApiSession, navTo, signIn } from './support/flows.js';
import { startServer, type TestServer } from './support/server.js';

const admin = { workspace: 'Acme Marketing', name: 'Ada Lovelace', email: 'ada@acme.test', password: 'first-admin-pass-2024' };

// One visitor: lands from the newsletter, asks for a demo, then signs up with her email.
const visitor = { anonymousId: 'anon-7f3a9c21', userId: 'user-grace', email: 'grace.hopper@navy.test' };
const landing = 'https://acme.test/pricing?utm_source=newsletter&utm_medium=email&utm_campaign=spring-launch';

describe('a marketing-ops person connects a website and watches its events arrive', () => {
  let server: TestServer;
  let api: ApiSession;
  let browser: Browser;
  let page: Page;
  let pageErrors: () => string[];
  let writeKey = '';
  let prefix = '';

  // Filters settle after typing stops (350 ms) and the next answer: give them a few seconds.
  const settle = { timeout: 5_000 };
  const rows = () => page.locator('table.stream-table tbody tr.stream-row');
  const row = (text: string) => rows().filter({ hasText: text });

  /** Sends messages the way Segment's libraries do: POST /v1/batch with the write key as the Basic user name. */
  async function sendBatch(key: string, batch: Array<Record<string, unknown>>): Promise<Response> {
    return fetch(`${server.url}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` },
      body: JSON.stringify({ batch: batch.map((m) => ({ messageId: randomUUID(), timestamp: new Date().toISOString(), ...m })) }),
    });
  }

  beforeAll(async () => {
    server = await startServer();
    api = await ApiSession.setupAdmin(server.url, admin);
    ({ browser, page, pageErrors } = await openBrowser(server.url));
  });

  useBrowserHooks(() => ({ server, browser, pageErrors }));

  it('opens an empty debugger that explains how to send a first event', async () => {
    await signIn(page, admin);
    await navTo(page, 'Live events', 'Live events');
    await page.getByRole('heading', { name: 'Waiting for the first event' }).waitFor();
    const curl = await page.getByLabel('A first track event with curl').innerText();
    expect(curl).toContain(`curl ${server.url}/v1/track`);
    expect(curl).toContain("-u 'YOUR_WRITE_KEY:'");
    expect(await page.getByRole('status').filter({ hasText: 'Live' }).count()).toBe(1);
    await screenshot(page, 'tracking-debugger-empty');
  });

  it('adds a website source and reads its write key, shown once with ready-to-paste snippets', async () => {
    await navTo(page, 'Sources', 'Sources');
    await page.getByRole('heading', { name: 'Connect your first source' }).waitFor();
    await screenshot(page, 'tracking-sources-empty');
    // Each kind on the empty screen opens the dialog with that kind chosen.
    await page.getByRole('button', { name: /^Server/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a source' });
    await dialog.waitFor();
    expect(await dialog.getByRole('radio', { name: /^Server/ }).isChecked()).toBe(true);
    await dialog.getByRole('radio', { name: /^Website/ }).check();
    await dialog.waitFor();
    // The name is required, and the API's own schema says so before anything is sent.
    await dialog.getByRole('button', { name: 'Create source' }).click();
    await dialog.getByText('Give the source a name').waitFor();
    await dialog.getByLabel('Name').fill('Marketing website');
    await dialog.getByLabel('Keep events').selectOption({ label: '90 days' });
    await dialog.getByRole('button', { name: 'Create source' }).click();

    const created = page.getByRole('dialog', { name: 'Source created' });
    await created.waitFor();
    await created.getByText('Marketing website · Website · keeps 90 days of events').waitFor();
    writeKey = await created.getByLabel('Write key').inputValue();
    expect(writeKey).toMatch(/^wk_[A-Za-z0-9]+_[A-Za-z0-9]+$/);
    prefix = writeKey.split('_')[1] ?? '';
    // The website snippet is chosen for a website, with this key and this server in it.
    expect(await created.getByRole('tab', { name: 'Website' }).getAttribute('aria-selected')).toBe('true');
    expect(await created.getByLabel('Website install').innerText()).toBe(
      `<script src="${server.url}/js/keel.js" data-write-key="${writeKey}" async></script>`,
    );
    await screenshot(page, 'tracking-source-created', false);
    await created.getByRole('tab', { name: 'Node.js' }).click();
    const node = await created.getByLabel('Node.js install').innerText();
    expect(node).toContain("import { Analytics } from '@segment/analytics-node';");
    expect(node).toContain(`new Analytics({ writeKey: '${writeKey}', host: '${server.url}' })`);
    await created.getByRole('button', { name: 'I have copied the key' }).click();
    await created.waitFor({ state: 'detached' });

    const source = page.locator('tr[data-source-name="Marketing website"]');
    await source.locator(`li[data-key-prefix="${prefix}"]`).getByText('Active').waitFor();
    expect(await source.innerText()).not.toContain(writeKey);
    expect(await source.innerText()).toContain('Website · keeps 90 days of events');

    // Colleagues connect more sources (through the API), so the list and the source filter have a choice.
    await api.post('/sources', { name: 'Billing service', kind: 'server' });
    await api.post('/sources', { name: 'iOS app', kind: 'mobile' });
    await page.reload();
    await expect
      .poll(() => page.locator('table.sources-table tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-source-name'))))
      .toEqual(['Billing service', 'iOS app', 'Marketing website']);
  });

  it('shows events in the debugger within seconds of sending them, newest first', async () => {
    await navTo(page, 'Live events', 'Live events');
    await page.getByRole('heading', { name: 'Waiting for the first event' }).waitFor();
    const res = await sendBatch(writeKey, [
      {
        type: 'page',
        anonymousId: visitor.anonymousId,
        name: 'Pricing',
        properties: { title: 'Pricing · Acme', url: landing },
        context: {
          page: { url: landing, path: '/pricing', referrer: 'https://news.acme-mail.test/issue-12', title: 'Pricing · Acme' },
          userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
          locale: 'en-US',
        },
      },
      {
        type: 'track',
        anonymousId: visitor.anonymousId,
        event: 'Demo Requested',
        properties: { plan: 'growth', seats: 25 },
        context: { page: { url: 'https://acme.test/demo', path: '/demo' } },
      },
      {
        type: 'identify',
        anonymousId: visitor.anonymousId,
        userId: visitor.userId,
        traits: { email: visitor.email, firstName: 'Grace', lastName: 'Hopper', company: 'US Navy' },
      },
    ]);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ success: true, stored: 3 });

    // Polled every second: all three are on screen well within five.
    await expect.poll(() => rows().count(), { timeout: 5_000, interval: 250 }).toBe(3);
    await row('Demo Requested').waitFor();
    await row('Pricing').waitFor();
    expect(await rows().first().getAttribute('data-type')).toBe('identify');
    expect(await rows().first().innerText()).toContain(visitor.email);
    // The identify made her a contact: every row of hers links to it.
    await expect.poll(() => page.locator('tr.stream-row a.stream-user-link').count(), { timeout: 5_000 }).toBe(3);
    expect(await row('Pricing').innerText()).toContain('Marketing website');

    // What just arrived is highlighted for a moment, then settles.
    await page.locator('tr.stream-row-new').first().waitFor({ state: 'detached', timeout: 6_000 });
    const more = await sendBatch(writeKey, [
      { type: 'track', userId: visitor.userId, event: 'Trial Started', properties: { plan: 'growth', trialDays: 14 } },
    ]);
    expect(more.status).toBe(200);
    await row('Trial Started').and(page.locator('tr.stream-row-new')).waitFor({ timeout: 5_000 });
    expect(await rows().first().innerText()).toContain('Trial Started');
    await screenshot(page, 'tracking-debugger');
  });

  it('pauses the stream, counts what waits, and shows it on resume', async () => {
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByRole('status').filter({ hasText: 'Paused' }).waitFor();
    expect(
      (await sendBatch(writeKey, [{ type: 'track', userId: visitor.userId, event: 'Invoice Paid', properties: { amount: 49 } }])).status,
    ).toBe(200);
    await page.getByRole('status').filter({ hasText: 'Paused · 1 new' }).waitFor({ timeout: 5_000 });
    expect(await row('Invoice Paid').count()).toBe(0);
    await page.getByRole('button', { name: 'Resume' }).click();
    await row('Invoice Paid').waitFor({ timeout: 5_000 });
    expect(await rows().count()).toBe(5);
  });

  it('filters by type, source, event name and user', async () => {
    await page.getByLabel('Type').selectOption('track');
    await expect.poll(() => rows().count(), settle).toBe(3);
    expect(await rows().evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-type')))).toEqual(['track', 'track', 'track']);
    expect(page.url()).toContain('type=track');

    await page.getByLabel('Event name').fill('Demo Requested');
    await expect.poll(() => rows().count(), settle).toBe(1);
    await row('Demo Requested').waitFor();

    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expect.poll(() => rows().count(), settle).toBe(5);
    expect(await page.getByLabel('Event name').inputValue()).toBe('');

    await page.getByLabel('User', { exact: true }).fill(visitor.anonymousId);
    await expect.poll(() => rows().count(), settle).toBe(3);
    await page.getByLabel('User', { exact: true }).fill('');
    await expect.poll(() => rows().count(), settle).toBe(5);

    await page.getByLabel('Source').selectOption({ label: 'Billing service' });
    await page.getByRole('heading', { name: 'No events match these filters yet' }).waitFor();
    await page.getByRole('button', { name: 'Clear filters' }).first().click();
    await expect.poll(() => rows().count(), settle).toBe(5);

    await page.getByLabel('Type').selectOption('page');
    await expect.poll(() => rows().count(), settle).toBe(1);
  });

  it('expands an event to its full message as JSON', async () => {
    await row('Pricing')
      .getByRole('button', { name: /^Show the page event Pricing/ })
      .click();
    const json = page.getByLabel('The page message as JSON');
    await json.waitFor();
    const message = JSON.parse(await json.innerText()) as Record<string, unknown>;
    expect(message).toMatchObject({
      type: 'page',
      name: 'Pricing',
      anonymousId: visitor.anonymousId,
      properties: { title: 'Pricing · Acme', url: landing },
      context: { page: { url: landing, path: '/pricing' }, locale: 'en-US' },
    });
    expect(typeof message.messageId).toBe('string');
    expect(typeof message.receivedAt).toBe('string');
    const detail = page.locator('tr.stream-detail-row');
    expect(await detail.innerText()).toContain('Marketing website');
    await screenshot(page, 'tracking-debugger-expanded');
  });

  it('opens the contact from the debugger and sees its events, identities and touchpoint', async () => {
    await row('Pricing').locator('a.stream-user-link').click();
    await page.getByRole('heading', { level: 1, name: 'Grace Hopper' }).waitFor();
    expect(page.url()).toContain('tab=activity');
    expect(await page.getByRole('tab', { name: 'Activity' }).getAttribute('aria-selected')).toBe('true');

    const events = page.getByRole('list', { name: 'Tracked events' });
    await expect.poll(() => events.locator('li.contact-event').count(), settle).toBe(5);
    expect(await events.locator('li.contact-event').first().innerText()).toContain('Invoice Paid');

    const identities = page.getByRole('list', { name: 'Identities' });
    await identities.locator('li[data-identity-kind="anonymousId"]').getByText(visitor.anonymousId).waitFor();
    await identities.locator('li[data-identity-kind="userId"]').getByText(visitor.userId).waitFor();
    // Her identify named the anonymous profile with her user id: one profile from the start, nothing merged.
    await page.getByText('No merges: every id was first seen on this profile.').waitFor();

    // The newsletter visit is a touchpoint in the email channel, with its campaign and landing page.
    const touchpoint = page.getByRole('table', { name: 'Touchpoints' }).locator('tbody tr');
    await touchpoint.first().waitFor();
    expect(await touchpoint.count()).toBe(1);
    expect(await touchpoint.getAttribute('data-channel')).toBe('email');
    const text = await touchpoint.innerText();
    expect(text).toContain('Email');
    expect(text).toContain('newsletter / email');
    expect(text).toContain('spring-launch');
    expect(text).toContain('/pricing');

    // Five events today, drawn by ECharts (a canvas), described in words.
    const chart = page.getByRole('img', { name: /^Events per day over the last 30 days: 5 in all/ });
    await chart.locator('canvas').waitFor();
    expect(await page.locator('.activity-stats').innerText()).toContain('5');

    await events.getByRole('button', { name: /Demo Requested/ }).click();
    await page.getByLabel('The track message as JSON').waitFor();
    expect(await page.getByLabel('The track message as JSON').innerText()).toContain('"seats": 25');
    await screenshot(page, 'tracking-contact-activity');

    // The CRM timeline is still one tab away.
    await page.getByRole('tab', { name: 'Timeline' }).click();
    await page.getByRole('list', { name: 'Timeline' }).waitFor();
    expect(page.url()).not.toContain('tab=');
  });

  it('rotates the write key with an overlap, then revokes the old one', async () => {
    await navTo(page, 'Sources', 'Sources');
    const source = page.locator('tr[data-source-name="Marketing website"]');
    await source.getByRole('button', { name: 'Rotate the write key of Marketing website' }).click();
    const dialog = page.getByRole('dialog', { name: 'Rotate the write key of Marketing website?' });
    await dialog.waitFor();
    expect(await dialog.getByRole('radio', { name: /^24 hours/ }).isChecked()).toBe(true);
    await dialog.getByRole('button', { name: 'Rotate key' }).click();

    const rotated = page.getByRole('dialog', { name: 'New write key' });
    await rotated.waitFor();
    const newKey = await rotated.getByLabel('Write key').inputValue();
    expect(newKey).toMatch(/^wk_/);
    expect(newKey).not.toBe(writeKey);
    const newPrefix = newKey.split('_')[1] ?? '';
    expect(await rotated.innerText()).toContain(`The old key (wk_${prefix}…) keeps working until`);
    await rotated.getByRole('button', { name: 'I have copied the key' }).click();

    await source.locator(`li[data-key-prefix="${newPrefix}"]`).getByText('Active').waitFor();
    await source.locator(`li[data-key-prefix="${prefix}"]`).getByText('Stops in 24 hours').waitFor();
    await screenshot(page, 'tracking-sources');

    // Both keys work during the overlap.
    expect((await sendBatch(writeKey, [{ type: 'track', userId: 'overlap-old', event: 'Ping' }])).status).toBe(200);
    expect((await sendBatch(newKey, [{ type: 'track', userId: 'overlap-new', event: 'Ping' }])).status).toBe(200);

    await source.getByRole('button', { name: `Revoke key wk_${prefix}…` }).click();
    const confirm = page.getByRole('alertdialog', { name: `Revoke key wk_${prefix}…?` });
    await confirm.waitFor();
    await confirm.getByRole('button', { name: 'Revoke key' }).click();
    await confirm.waitFor({ state: 'detached' });
    await page.getByText(`Key wk_${prefix}… was revoked`).waitFor();
    expect(await source.locator(`li[data-key-prefix="${prefix}"]`).count()).toBe(0);
    await source.getByText('1 retired key').waitFor();

    expect((await sendBatch(writeKey, [{ type: 'track', userId: 'after-revoke', event: 'Ping' }])).status).toBe(401);
    expect((await sendBatch(newKey, [{ type: 'track', userId: 'after-revoke', event: 'Ping' }])).status).toBe(200);
  });

  it('a viewer sees sources and events but no control that would change a key', async () => {
    const viewer = { email: 'victor@acme.test', password: 'viewer-password-1234' };
    await api.post('/users', { ...viewer, name: 'Victor Viewer', role: 'viewer' });
    const other = await newContext(browser, server.url);
    const viewerPage = await other.newPage();
    const viewerErrors = watchForErrors(viewerPage);
    await signIn(viewerPage, viewer);
    await navTo(viewerPage, 'Sources', 'Sources');
    await viewerPage.locator('tr[data-source-name="Marketing website"]').waitFor();
    expect(await viewerPage.getByRole('button', { name: 'Add source' }).count()).toBe(0);
    expect(await viewerPage.getByRole('button', { name: /^Rotate/ }).count()).toBe(0);
    expect(await viewerPage.getByRole('button', { name: /^Revoke/ }).count()).toBe(0);
    await navTo(viewerPage, 'Live events', 'Live events');
    await viewerPage.locator('tr.stream-row').first().waitFor();
    expect(viewerErrors()).toEqual([]);
    await other.close();
  });
});
