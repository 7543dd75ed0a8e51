import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, useBrowserHooks } from './support/app.js';
import { newContext, screenshot, watchForErrors } from './support/browser.js';
import { ApiSession, navTo, signIn } from './support/flows.js';
import { startServer, type TestServer } from './support/server.js';

const admin = { workspace: 'Acme Marketing', name: 'Ada Lovelace', email: 'ada@acme.test', password: 'first-admin-pass-2024' };

const orderSchema = {
  type: 'object',
  properties: {
    orderId: { type: 'string' },
    total: { type: 'number', minimum: 0 },
    currency: { type: 'string', enum: ['EUR', 'USD', 'GBP'] },
  },
  required: ['orderId', 'total', 'currency'],
};

// A visitor from a partner's site, known first by an anonymous id and separately (in the app) by a user id.
const visitor = { anonymousId: 'anon-partner-41', userId: 'user-lin', email: 'lin.wei@partner.test' };
const landing = 'https://acme.test/pricing?utm_source=acme-partners&utm_medium=referral&utm_campaign=q3-co-marketing';

describe('a marketing-ops person keeps the tracking plan, the channel rules and the sources in order', () => {
  let server: TestServer;
  let api: ApiSession;
  let browser: Browser;
  let page: Page;
  let pageErrors: () => string[];
  let writeKey = '';

  async function sendBatch(batch: Array<Record<string, unknown>>): Promise<Record<string, unknown>> {
    const res = await fetch(`${server.url}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}` },
      body: JSON.stringify({ batch: batch.map((m) => ({ messageId: randomUUID(), timestamp: new Date().toISOString(), ...m })) }),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as Record<string, unknown>;
  }
  const plannedRow = (event: string) => page.getByRole('table', { name: 'Planned events' }).locator(`tr[data-event="${event}"]`);
  const unplannedRow = (event: string) => page.getByRole('table', { name: 'Unplanned events' }).locator(`tr[data-event="${event}"]`);
  const schemaInput = () => page.getByLabel('JSON Schema for the properties');
  const ruleOrder = () =>
    page
      .getByRole('table', { name: 'Channel rules' })
      .locator('tbody tr')
      .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-channel')));

  beforeAll(async () => {
    server = await startServer();
    api = await ApiSession.setupAdmin(server.url, admin);
    const source = (await api.post('/sources', { name: 'Marketing website', kind: 'website' })) as { writeKey: string };
    writeKey = source.writeKey;
    ({ browser, page, pageErrors } = await openBrowser(server.url));
  });

  useBrowserHooks(() => ({ server, browser, pageErrors }));

  it('plans an event with a JSON Schema; bad JSON and a bad schema are explained in place', async () => {
    await signIn(page, admin);
    await navTo(page, 'Tracking plan', 'Tracking plan');
    await page.getByRole('heading', { name: 'Nothing is planned yet' }).waitFor();
    await page.getByText('No track events have been received yet.').waitFor();

    await page.getByRole('link', { name: 'Plan an event' }).click();
    await page.getByRole('heading', { level: 1, name: 'Plan an event' }).waitFor();
    await page.getByLabel('Event name').fill('Order Completed');
    await page.getByLabel('Description').fill('Sent by the shop backend when a payment succeeds');

    await schemaInput().fill('{ "type": "object", ');
    await page.getByRole('button', { name: 'Add to plan' }).click();
    await page.getByText(/^This is not valid JSON/).waitFor();

    // Valid JSON, but not a JSON Schema: the server's message is shown under the editor.
    await schemaInput().fill('{ "type": "objekt" }');
    await page.getByRole('button', { name: 'Add to plan' }).click();
    await page
      .locator('.field-error')
      .filter({ hasText: /schema is invalid/ })
      .waitFor();

    await schemaInput().fill(JSON.stringify(orderSchema, null, 2));
    await page.getByRole('button', { name: 'Add to plan' }).click();
    await page.getByRole('heading', { level: 1, name: 'Order Completed' }).waitFor();
    await page.getByText('Order Completed is in the plan').waitFor();
    expect(page.url()).toContain('event=Order+Completed');
    await page.getByText('None yet: nothing has been sent since it was planned.').waitFor();
  });

  it('counts what is sent: violations with their examples, and events nobody planned', async () => {
    const res = await sendBatch([
      { type: 'track', userId: 'u-1', event: 'Order Completed', properties: { orderId: 'A-1001', total: 49, currency: 'EUR' } },
      { type: 'track', userId: 'u-2', event: 'Order Completed', properties: { orderId: 'A-1002', total: 120, currency: 'USD' } },
      { type: 'track', userId: 'u-3', event: 'Order Completed', properties: { orderId: 'A-1003', total: 15.5, currency: 'GBP' } },
      { type: 'track', userId: 'u-4', event: 'Order Completed', properties: { orderId: 'A-1004', total: 80, currency: 'YEN' } },
      { type: 'track', userId: 'u-5', event: 'Order Completed', properties: { orderId: 'A-1005', currency: 'EUR' } },
      { type: 'track', userId: 'u-1', event: 'Coupon Applied', properties: { code: 'SPRING', percent: 20 } },
      { type: 'track', userId: 'u-2', event: 'Coupon Applied', properties: { code: 'WELCOME', percent: 10 } },
      { type: 'track', userId: 'u-6', event: 'Newsletter Signup', properties: { list: 'product-news' } },
    ]);
    // Without block, violations are stored like any event: nothing is refused.
    expect(res).toMatchObject({ success: true, stored: 8 });
    expect(res.rejected).toBeUndefined();

    await page.getByRole('link', { name: 'Tracking plan' }).first().click();
    await page.getByRole('heading', { level: 1, name: 'Tracking plan' }).waitFor();
    const order = plannedRow('Order Completed');
    // Counted on arrival: the screen shows them when it opens.
    await expect.poll(() => order.locator('td.plan-num').innerText()).toBe('5');
    const meter = order.locator('.plan-meter');
    expect(await meter.locator('.plan-meter-count').innerText()).toBe('2');
    expect(await meter.getByRole('img').getAttribute('aria-label')).toBe('40 % of 5 sent violate the schema');
    expect(await order.innerText()).toContain('Sent by the shop backend when a payment succeeds');
    expect(await order.innerText()).toContain('Records violations');

    expect(await unplannedRow('Coupon Applied').locator('td.plan-num').innerText()).toBe('2');
    await unplannedRow('Newsletter Signup').waitFor();
    const summary = await page.getByLabel('Tracking plan summary').innerText();
    expect(summary).toMatch(/Planned events\s*1/);
    expect(summary).toMatch(/Not in the plan\s*2/);
    expect(summary).toMatch(/Violations\s*2\s*40 %/);
    await screenshot(page, 'tracking-plan');

    await order.getByRole('link', { name: 'Order Completed', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Order Completed' }).waitFor();
    const examples = page.getByRole('list', { name: 'Violation examples' }).locator('li.plan-example');
    await expect.poll(() => examples.count()).toBe(2);
    const text = await page.getByRole('list', { name: 'Violation examples' }).innerText();
    expect(text).toMatch(/currency\s*must be equal to one of the allowed values/);
    expect(text).toMatch(/total\s*must have required property 'total'/);
    // The properties that were sent, one click away.
    const wrongCurrency = examples.filter({ hasText: 'allowed values' });
    await wrongCurrency.getByText('Properties sent').click();
    expect(await wrongCurrency.getByLabel('Properties sent').innerText()).toContain('"YEN"');
    expect(await page.getByLabel('Counts').innerText()).toMatch(/Violations\s*2\s*40 %/);
    await screenshot(page, 'tracking-plan-event');
  });

  it('adds an unplanned event from its latest example, blocking violations, and sees one refused', async () => {
    await page.getByRole('link', { name: 'Tracking plan' }).first().click();
    await unplannedRow('Coupon Applied').getByRole('link', { name: 'Add Coupon Applied to the plan' }).click();
    await page.getByRole('heading', { level: 1, name: 'Coupon Applied' }).waitFor();
    await page.getByText(/^Drafted from the latest Coupon Applied sent/).waitFor();
    // The draft: every property of the latest one sent, typed and required.
    expect(JSON.parse(await schemaInput().inputValue())).toEqual({
      type: 'object',
      properties: { code: { type: 'string' }, percent: { type: 'integer' } },
      required: ['code', 'percent'],
    });
    const tightened = {
      type: 'object',
      properties: { code: { type: 'string', pattern: '^[A-Z]+$' }, percent: { type: 'integer', minimum: 1, maximum: 100 } },
      required: ['code', 'percent'],
    };
    await schemaInput().fill(JSON.stringify(tightened, null, 2));
    await page.getByLabel('Description').fill('A shopper applied a coupon at checkout');
    await page.getByRole('switch', { name: 'Refuse events that violate it' }).check();
    await page.getByText('A violating event is not stored').waitFor();
    await page.getByRole('button', { name: 'Add to plan' }).click();
    await page.getByText('Coupon Applied is in the plan').waitFor();
    await page.getByText('Blocks violations').waitFor();

    const res = await sendBatch([
      { type: 'track', userId: 'u-7', event: 'Coupon Applied', properties: { code: 'HALFOFF', percent: 150 } },
      { type: 'track', userId: 'u-8', event: 'Coupon Applied', properties: { code: 'SUMMER', percent: 15 } },
    ]);
    expect(res).toMatchObject({ stored: 1, rejected: [{ index: 0 }] });
    expect(String((res.rejected as Array<{ reason: string }>)[0]?.reason)).toContain('violates the tracking plan');

    await page.reload();
    await expect.poll(() => page.getByLabel('Counts').innerText()).toMatch(/Refused\s*1/);
    await page.getByRole('list', { name: 'Violation examples' }).getByText('must be <= 100').waitFor();

    await page.getByRole('link', { name: 'Tracking plan' }).first().click();
    const coupon = plannedRow('Coupon Applied');
    await coupon.getByText('Blocks violations').waitFor();
    await coupon.getByText('1 refused').waitFor();
    expect(await page.getByRole('table', { name: 'Unplanned events' }).locator('tr[data-event="Coupon Applied"]').count()).toBe(0);

    // Switched back to recording only, and one event removed from the plan.
    await coupon.getByRole('link', { name: 'Coupon Applied', exact: true }).click();
    await page.getByRole('switch', { name: 'Refuse events that violate it' }).uncheck();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Coupon Applied was saved').waitFor();
    await page.getByRole('link', { name: 'Tracking plan' }).first().click();
    await plannedRow('Coupon Applied').getByText('Records violations').waitFor();
  });

  it('adds a channel rule for a partner, moves it above referral and saves', async () => {
    await navTo(page, 'Sources', 'Sources');
    await page.getByRole('link', { name: 'Channel rules' }).click();
    await page.getByRole('heading', { level: 1, name: 'Channel rules' }).waitFor();
    await page.getByText('These are Keel’s default rules.').waitFor();
    await page.getByText('Changes apply to touchpoints recorded from now on').waitFor();
    const defaults = [
      'paid search',
      'paid social',
      'email',
      'organic social',
      'organic search',
      'display',
      'referral',
      'other campaign',
      'direct',
    ];
    await expect.poll(ruleOrder).toEqual(defaults);
    expect(await page.getByRole('button', { name: 'Reset to defaults' }).isDisabled()).toBe(true);

    await page.getByRole('button', { name: 'Add rule' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a rule' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Add rule' }).click();
    await dialog.getByText('Name the channel').waitFor();
    await dialog.getByLabel('Channel').fill('partners');
    await dialog.getByRole('button', { name: 'Add rule' }).click();
    await dialog.getByText('A rule needs at least one condition').waitFor();
    await dialog.getByLabel('Sources (utm_source)').fill('acme-partners, partnerstack');
    await dialog.getByLabel('Sites (the source or the referrer)').fill('partners.acme.test, bad site!');
    await dialog.getByRole('button', { name: 'Add rule' }).click();
    await dialog.getByText('“bad site!”: A site is a name or domain such as google or t.co').waitFor();
    await dialog.getByLabel('Sites (the source or the referrer)').fill('partners.acme.test');
    await dialog.getByRole('button', { name: 'Add rule' }).click();
    await dialog.waitFor({ state: 'detached' });

    // It goes last, where utm_medium=referral would never reach it: move it above referral.
    await expect.poll(ruleOrder).toEqual([...defaults.slice(0, 8), 'partners', 'direct']);
    await page.getByRole('button', { name: 'Move partners up' }).click();
    await page.getByRole('button', { name: 'Move partners up' }).click();
    await expect.poll(ruleOrder).toEqual([...defaults.slice(0, 6), 'partners', 'referral', 'other campaign', 'direct']);
    const partners = page.getByRole('table', { name: 'Channel rules' }).locator('tr[data-channel="partners"]');
    expect(await partners.innerText()).toMatch(/sources\s*acme-partners\s*partnerstack/);
    await page.getByRole('region', { name: 'Unsaved changes' }).waitFor();

    // Edit another rule: display also covers a programmatic medium.
    await page.getByRole('button', { name: 'Edit display' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit Display' });
    await edit.getByLabel('Mediums (utm_medium)').fill('display, banner, cpm, expandable, programmatic');
    await edit.getByRole('button', { name: 'Apply' }).click();
    await edit.waitFor({ state: 'detached' });

    await page.getByRole('button', { name: 'Save rules' }).click();
    await page.getByText('Channel rules saved: new touchpoints follow them').waitFor();
    await page.getByRole('region', { name: 'Unsaved changes' }).waitFor({ state: 'detached' });
    await page.getByText(/Edited just now/).waitFor();
    await page.reload();
    await expect.poll(ruleOrder).toEqual([...defaults.slice(0, 6), 'partners', 'referral', 'other campaign', 'direct']);
    expect(await page.getByRole('table', { name: 'Channel rules' }).locator('tr[data-channel="display"]').innerText()).toContain(
      'programmatic',
    );
    await screenshot(page, 'channel-rules');
  });

  it("records the partner visit's touchpoint in the new channel and shows how the profile was stitched", async () => {
    // The visit (anonymous), the app (user id only), then the sign-up that joins both ids.
    await sendBatch([
      {
        type: 'page',
        anonymousId: visitor.anonymousId,
        name: 'Pricing',
        properties: { url: landing },
        context: { page: { url: landing, path: '/pricing', referrer: 'https://partners.acme.test/offers' } },
      },
    ]);
    await sendBatch([{ type: 'track', userId: visitor.userId, event: 'App Opened', properties: {} }]);
    await sendBatch([
      {
        type: 'identify',
        anonymousId: visitor.anonymousId,
        userId: visitor.userId,
        traits: { email: visitor.email, firstName: 'Lin', lastName: 'Wei' },
      },
    ]);

    await page.goto(`/events?user=${visitor.userId}`);
    await page.locator('tr.stream-row a.stream-user-link').first().click();
    await page.getByRole('heading', { level: 1, name: 'Lin Wei' }).waitFor();
    expect(await page.getByRole('tab', { name: 'Activity' }).getAttribute('aria-selected')).toBe('true');

    const touchpoint = page.getByRole('table', { name: 'Touchpoints' }).locator('tbody tr');
    await touchpoint.first().waitFor();
    expect(await touchpoint.count()).toBe(1);
    expect(await touchpoint.getAttribute('data-channel')).toBe('partners');
    expect(await touchpoint.innerText()).toContain('acme-partners / referral');

    const merges = page.getByRole('list', { name: 'Identity merges' }).locator('li.merge');
    await merges.first().waitFor();
    expect(await merges.count()).toBe(1);
    expect(await merges.getAttribute('data-reason')).toBe('identify with userId and anonymousId');
    const merge = await merges.innerText();
    expect(merge).toContain('An identify call carried both ids');
    expect(merge).toMatch(/profile …\w{8}\s*this profile/);
    const identities = page.getByRole('list', { name: 'Identities' });
    await identities.locator('li[data-identity-kind="anonymousId"]').getByText(visitor.anonymousId).waitFor();
    await identities.locator('li[data-identity-kind="userId"]').getByText(visitor.userId).waitFor();
    await page.getByRole('heading', { name: 'Identity merges' }).scrollIntoViewIfNeeded();
    await screenshot(page, 'channel-rules-touchpoint');
  });

  it('resets the rules to the defaults after a confirmation; recorded touchpoints keep their channel', async () => {
    await page.goto('/channel-rules');
    await page.getByRole('heading', { level: 1, name: 'Channel rules' }).waitFor();
    await page.getByRole('button', { name: 'Reset to defaults' }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Go back to the default rules?' });
    await confirm.getByText('Touchpoints already recorded keep their channel.').waitFor();
    await confirm.getByRole('button', { name: 'Reset to defaults' }).click();
    await confirm.waitFor({ state: 'detached' });
    await page.getByText('These are Keel’s default rules.').waitFor();
    expect(await ruleOrder()).not.toContain('partners');

    await page.goBack();
    await page.getByRole('heading', { level: 1, name: 'Lin Wei' }).waitFor();
    await page.reload();
    const touchpoint = page.getByRole('table', { name: 'Touchpoints' }).locator('tbody tr');
    await touchpoint.first().waitFor();
    expect(await touchpoint.getAttribute('data-channel')).toBe('partners');
  });

  it("sets a source's excluded IP addresses (a bad one is named by its line) and its events from them are dropped", async () => {
    await navTo(page, 'Sources', 'Sources');
    const source = page.locator('tr[data-source-name="Marketing website"]');
    await source.getByRole('button', { name: 'Settings of Marketing website' }).click();
    const dialog = page.getByRole('dialog', { name: 'Settings of Marketing website' });
    await dialog.waitFor();
    expect(await dialog.getByLabel('Name').inputValue()).toBe('Marketing website');
    await dialog.getByLabel('Keep events').selectOption({ label: '1 year' });
    await dialog.getByLabel(/^Excluded IP addresses/).fill('203.0.113.7\n10.0.0/8\n2001:db8::/32');
    await dialog.getByRole('button', { name: 'Save settings' }).click();
    await dialog.getByText('Line 2 (10.0.0/8): An IP address or CIDR range, e.g. 203.0.113.7 or 10.0.0.0/8').waitFor();
    await screenshot(page, 'sources-settings-invalid', false);
    await dialog.getByLabel(/^Excluded IP addresses/).fill('203.0.113.7\n10.0.0.0/8\n2001:db8::/32\n198.51.100.0/24');
    await screenshot(page, 'sources-settings', false);
    await dialog.getByRole('button', { name: 'Save settings' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByText('Marketing website was saved').waitFor();
    await source.getByText('Drops events from 4 addresses and ranges').waitFor();
    expect(await source.innerText()).toContain('keeps a year of events');
    await screenshot(page, 'sources-settings-saved', false);

    // The office's traffic (context.ip, as a server-side library forwards it) is dropped; a visitor's is kept.
    const res = await sendBatch([
      { type: 'track', userId: 'staff-1', event: 'Newsletter Signup', context: { ip: '198.51.100.23' } },
      { type: 'track', userId: 'staff-2', event: 'Newsletter Signup', context: { ip: '10.20.30.40' } },
      { type: 'track', userId: 'visitor-9', event: 'Newsletter Signup', context: { ip: '192.0.2.44' } },
    ]);
    expect(res).toMatchObject({ success: true, stored: 1, excluded: 2 });
  });

  it('a viewer reads the plan and the rules without any control that would change them', async () => {
    const viewer = { email: 'victor@acme.test', password: 'viewer-password-1234' };
    await api.post('/users', { ...viewer, name: 'Victor Viewer', role: 'viewer' });
    const other = await newContext(browser, server.url);
    const viewerPage = await other.newPage();
    const viewerErrors = watchForErrors(viewerPage);
    await signIn(viewerPage, viewer);
    await navTo(viewerPage, 'Tracking plan', 'Tracking plan');
    await viewerPage.getByRole('table', { name: 'Planned events' }).locator('tr[data-event="Order Completed"]').waitFor();
    expect(await viewerPage.getByRole('link', { name: 'Plan an event' }).count()).toBe(0);
    expect(await viewerPage.getByRole('link', { name: /^Add .* to the plan$/ }).count()).toBe(0);
    await viewerPage.getByRole('link', { name: 'Order Completed', exact: true }).click();
    await viewerPage.getByRole('heading', { level: 1, name: 'Order Completed' }).waitFor();
    expect(await viewerPage.getByLabel('JSON Schema for the properties').getAttribute('readonly')).not.toBeNull();
    expect(await viewerPage.getByRole('button', { name: /Save|Remove/ }).count()).toBe(0);
    await viewerPage.goto('/channel-rules');
    await viewerPage.getByRole('table', { name: 'Channel rules' }).locator('tr[data-channel="email"]').waitFor();
    expect(await viewerPage.getByRole('button', { name: /^(Add rule|Reset to defaults|Edit |Move |Remove )/ }).count()).toBe(0);
    expect(viewerErrors()).toEqual([]);
    await other.close();
  });
});
