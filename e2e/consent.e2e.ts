import type { Browser, Locator, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, useBrowserHooks } from './support/app.js';
import { newContext, screenshot, watchForErrors } from './support/browser.js';
import { ApiSession, signIn } from './support/flows.js';
import { startServer, type TestServer } from './support/server.js';

const admin = { workspace: 'Acme Marketing', name: 'Ada Lovelace', email: 'ada@acme.test', password: 'first-admin-pass-2024' };

// The rest of the workspace, for the segment: three with effective email consent (Bea also
// allows tracking), one waiting for confirmation, two never asked.
const others: Array<{ email: string; firstName: string; emailMarketing?: 'granted' | 'pending'; tracking?: boolean }> = [
  { email: 'bob@example.test', firstName: 'Bob', emailMarketing: 'granted' },
  { email: 'bea@example.test', firstName: 'Bea', emailMarketing: 'granted', tracking: true },
  { email: 'ben@example.test', firstName: 'Ben', emailMarketing: 'granted' },
  { email: 'cara@example.test', firstName: 'Cara', emailMarketing: 'pending' },
  { email: 'dan@example.test', firstName: 'Dan' },
  { email: 'dora@example.test', firstName: 'Dora' },
];

describe('a marketing-ops person reads a contact’s data quality and records its consent', () => {
  let server: TestServer;
  let api: ApiSession;
  let browser: Browser;
  let page: Page;
  let pageErrors: () => string[];
  let annId = '';

  const field = (label: string) => page.locator('.record-field').filter({ has: page.locator('dt', { hasText: new RegExp(`^${label}$`) }) });
  const purpose = (key: string) => page.getByRole('list', { name: 'Consent per purpose' }).locator(`li[data-purpose="${key}"]`);
  const history = () => page.getByRole('table', { name: 'Consent history' });
  const historyRows = () =>
    history()
      .locator('tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) => [tr.getAttribute('data-purpose'), tr.querySelector('[data-testid="consent-change"]')?.textContent ?? '']),
      );

  beforeAll(async () => {
    server = await startServer();
    api = await ApiSession.setupAdmin(server.url, admin);
    // As a web form sends it: a national phone number, a country by name, a name in lower case
    // and a typo in the email's domain.
    const ann = (await api.post('/contacts', {
      email: 'ann@gmial.com',
      firstName: 'ann',
      lastName: 'lee',
      phone: '(415) 555-0132',
      country: 'United States',
      title: 'Growth Lead',
    })) as { id: string };
    annId = ann.id;
    // The cookie banner already recorded tracking consent, with the visitor's IP.
    await api.post(`/contacts/${annId}/consents`, {
      purpose: 'tracking',
      status: 'granted',
      source: 'Cookie banner',
      text: 'Allow analytics cookies',
      ip: '203.0.113.7',
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0',
      at: new Date(Date.now() - 3 * 86_400_000).toISOString(),
    });
    for (const o of others) {
      const c = (await api.post('/contacts', { email: o.email, firstName: o.firstName, lastName: 'Example' })) as { id: string };
      if (o.emailMarketing) {
        await api.post(`/contacts/${c.id}/consents`, {
          purpose: 'email_marketing',
          status: 'granted',
          source: 'Import',
          doubleOptIn: o.emailMarketing === 'pending' ? 'pending' : 'confirmed',
        });
      }
      if (o.tracking) await api.post(`/contacts/${c.id}/consents`, { purpose: 'tracking', status: 'granted', source: 'Cookie banner' });
    }
    ({ browser, page, pageErrors } = await openBrowser(server.url));
  });

  useBrowserHooks(() => ({ server, browser, pageErrors }));

  it('sees the values as Keel stored them, what was entered, and what looks wrong', async () => {
    await signIn(page, admin);
    await page.goto(`/contacts/${annId}`);
    await page.getByRole('heading', { level: 1, name: 'Ann Lee' }).waitFor();

    expect(await field('Phone').locator('dd').innerText()).toBe('+14155550132\nentered as (415) 555-0132');
    expect(await field('Country').locator('dd').innerText()).toBe('US\nentered as United States');
    expect(await field('First name').locator('dd').innerText()).toBe('Ann\nentered as ann');
    const email = field('Email').locator('dd');
    await email.getByText('Did you mean ann@gmail.com?').waitFor();
    expect(await email.getByRole('link').innerText()).toBe('ann@gmial.com');
    // A field stored as given has no note.
    expect(await field('Job title').locator('dd').innerText()).toBe('Growth Lead');
    await screenshot(page, 'contact-quality');
  });

  it('records consent with a double opt-in, its confirmation, an older change that does not stand, and a withdrawal', async () => {
    await page.getByRole('tab', { name: 'Consent' }).click();
    await page.waitForURL(/\?tab=consent/);
    expect(await purpose('email_marketing').getAttribute('data-state')).toBe('none');
    expect(await purpose('tracking').getAttribute('data-state')).toBe('granted');
    expect(await purpose('tracking').innerText()).toContain('Allow analytics cookies');

    // Given on the newsletter form; the confirmation email is on its way.
    await page.getByRole('button', { name: 'Record consent' }).click();
    let dialog = page.getByRole('dialog', { name: 'Record consent' });
    expect(await dialog.getByLabel('Purpose', { exact: true }).inputValue()).toBe('email_marketing');
    await dialog.getByRole('button', { name: 'Record', exact: true }).click();
    await dialog.getByText('Say where it was given or withdrawn').waitFor();
    await dialog.getByLabel('Source').fill('Newsletter form on the pricing page');
    await dialog.getByLabel('Text shown').fill('Yes, send me product news. I can unsubscribe at any time.');
    await dialog.getByLabel('Double opt-in').selectOption('pending');
    await dialog.getByText('Not effective until the person confirms.').waitFor();
    await screenshot(page, 'consent-dialog', false);
    await dialog.getByRole('button', { name: 'Record', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => purpose('email_marketing').getAttribute('data-state')).toBe('pending');
    await purpose('email_marketing').getByText('Waiting for confirmation').waitFor();

    // The person clicks the link in the email.
    await purpose('email_marketing').getByRole('button', { name: 'Record confirmation' }).click();
    dialog = page.getByRole('dialog', { name: 'Record confirmation: Email marketing' });
    expect(await dialog.getByLabel('Double opt-in').inputValue()).toBe('confirmed');
    expect(await dialog.getByLabel('Source').inputValue()).toBe('Newsletter form on the pricing page');
    await dialog.getByLabel('Source').fill('Confirmation link in the welcome email');
    await dialog.getByRole('button', { name: 'Record', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => purpose('email_marketing').getAttribute('data-state')).toBe('granted');
    await purpose('email_marketing').getByText('Effective').waitFor();

    // A paper form from 2020 is typed in late: it goes to the history, the current state stays.
    await page.getByRole('button', { name: 'Record consent' }).click();
    dialog = page.getByRole('dialog', { name: 'Record consent' });
    await dialog.getByLabel('Withdrawn').check();
    expect(await dialog.getByLabel('Double opt-in').count()).toBe(0);
    await dialog.getByLabel('Source').fill('Paper form at a trade fair');
    await dialog.getByLabel('When').fill('2020-01-15T09:30');
    await dialog.getByRole('button', { name: 'Record', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByText('kept in the history: a newer change stands').waitFor();
    expect(await purpose('email_marketing').getAttribute('data-state')).toBe('granted');

    // A purpose of the workspace's own.
    await page.getByRole('button', { name: 'Record consent' }).click();
    dialog = page.getByRole('dialog', { name: 'Record consent' });
    await dialog.getByLabel('Purpose', { exact: true }).selectOption({ label: 'Other…' });
    await dialog.getByLabel('Purpose key').fill('Partner Offers');
    await dialog.getByLabel('Source').fill('Sales call');
    await dialog.getByRole('button', { name: 'Record', exact: true }).click();
    await dialog.getByText(/lower-case key/).waitFor();
    await dialog.getByLabel('Purpose key').fill('partner_offers');
    await dialog.getByLabel('Lawful basis').selectOption({ label: 'Legitimate interest' });
    await dialog.getByRole('button', { name: 'Record', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await page.getByText('kept in the history').count()).toBe(0);
    await expect.poll(() => purpose('partner_offers').getAttribute('data-state')).toBe('granted');
    expect(await purpose('partner_offers').innerText()).toContain('Legitimate interest');

    // Then the person unsubscribes.
    await purpose('email_marketing').getByRole('button', { name: 'Withdraw' }).click();
    dialog = page.getByRole('dialog', { name: 'Withdraw: Email marketing' });
    expect(await dialog.getByLabel('Withdrawn').isChecked()).toBe(true);
    await dialog.getByLabel('Source').fill('Unsubscribe link');
    await dialog.getByRole('button', { name: 'Record', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => purpose('email_marketing').getAttribute('data-state')).toBe('withdrawn');

    // Every change, newest first by when it happened: the 2020 form last but one, the banner before it.
    await expect.poll(historyRows).toEqual([
      ['email_marketing', 'Withdrawn'],
      ['partner_offers', 'Granted'],
      ['email_marketing', 'Confirmed'],
      ['email_marketing', 'Granted, confirmation asked'],
      ['tracking', 'Granted'],
      ['email_marketing', 'Withdrawn'],
    ]);
    const banner = history().locator('tr[data-purpose="tracking"]');
    expect(await banner.innerText()).toContain('203.0.113.7');
    expect(await history().locator('tbody tr').first().innerText()).toContain('Ada Lovelace');
    await screenshot(page, 'consent-tab');
  });

  it('builds a segment on consent state, and the builder and JSON agree', async () => {
    const liveCount = () => page.getByTestId('live-count');
    const settledCount = async () => {
      const el = liveCount();
      const cls = (await el.getAttribute('class')) ?? '';
      if (cls.includes('seg-count-stale') || (await el.getAttribute('aria-busy')) === 'true') return null;
      return (await el.innerText()).trim();
    };
    const waitForCount = (n: number) => expect.poll(settledCount, { timeout: 8_000, interval: 100 }).toBe(String(n));
    const root = () => page.locator('section.seg-group[data-depth="0"]');
    const addCondition = async (group: Locator, kind: RegExp) => {
      await group.locator(':scope > footer').getByRole('button', { name: 'Add condition' }).click();
      await page.getByRole('dialog', { name: 'Add a condition' }).getByRole('button', { name: kind }).click();
    };

    await page.goto('/segments/new');
    await page.getByRole('heading', { level: 1, name: 'New segment' }).waitFor();
    await waitForCount(7);
    await addCondition(root(), /^Consent/);
    const cond = root().locator('.seg-cond[data-kind="consent"]');
    expect(await cond.getByLabel('Purpose', { exact: true }).inputValue()).toBe('email_marketing');
    await waitForCount(3);
    await cond.getByLabel('Consent state').selectOption({ label: 'waiting for confirmation' });
    await waitForCount(1);
    await cond.getByLabel('Consent state').selectOption({ label: 'withdrawn' });
    await waitForCount(1);
    await cond.getByLabel('Consent state').selectOption({ label: 'never recorded' });
    await waitForCount(2);
    await cond.getByLabel('Consent state').selectOption({ label: 'given (effective)' });
    await waitForCount(3);

    // In JSON, as the API names it; a second consent condition typed by hand comes back drawn.
    await page.getByRole('tab', { name: 'JSON' }).click();
    const json = page.getByRole('textbox', { name: 'Definition as JSON' });
    expect(JSON.parse(await json.inputValue())).toEqual({ all: [{ consent: { purpose: 'email_marketing', state: 'granted' } }] });
    await json.fill(
      JSON.stringify({
        all: [{ consent: { purpose: 'email_marketing', state: 'granted' } }, { not: { consent: { purpose: 'tracking', state: 'none' } } }],
      }),
    );
    await waitForCount(1);
    await page.getByRole('tab', { name: 'Visual' }).click();
    const second = root().locator('.seg-cond[data-kind="consent"]').nth(1);
    expect(await second.getByRole('button', { name: 'Not' }).getAttribute('aria-pressed')).toBe('true');
    expect(await second.getByLabel('Purpose', { exact: true }).inputValue()).toBe('tracking');
    expect(await second.getByLabel('Consent state').inputValue()).toBe('none');
    await screenshot(page, 'consent-segment');

    await page.getByLabel('Name', { exact: true }).fill('Emailable and tracked');
    await page.getByRole('button', { name: 'Create segment' }).click();
    await page.getByRole('heading', { level: 1, name: 'Emailable and tracked' }).waitFor();
    expect(await page.getByTestId('segment-count').innerText()).toBe('1');
    const members = page.getByRole('table', { name: 'Members' });
    await expect
      .poll(() =>
        members.locator('tbody tr[data-contact-email]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-contact-email'))),
      )
      .toEqual(['bea@example.test']);
  });

  it('a viewer reads consent and its history but cannot record any', async () => {
    const viewer = { email: 'victor@acme.test', password: 'viewer-password-1234' };
    await api.post('/users', { ...viewer, name: 'Victor Viewer', role: 'viewer' });
    const other = await newContext(browser, server.url);
    const viewerPage = await other.newPage();
    const viewerErrors = watchForErrors(viewerPage);
    await signIn(viewerPage, viewer);
    await viewerPage.goto(`/contacts/${annId}?tab=consent`);
    await viewerPage.getByRole('heading', { level: 1, name: 'Ann Lee' }).waitFor();
    const list = viewerPage.getByRole('list', { name: 'Consent per purpose' });
    await list.locator('li[data-purpose="email_marketing"][data-state="withdrawn"]').waitFor();
    await viewerPage.getByRole('table', { name: 'Consent history' }).locator('tbody tr').first().waitFor();
    for (const name of ['Record consent', 'Record confirmation', 'Withdraw'])
      expect(await viewerPage.getByRole('button', { name }).count()).toBe(0);
    expect(viewerErrors()).toEqual([]);
    await other.close();
  });
});
