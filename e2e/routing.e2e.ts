import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, stopAll, useBrowserHooks } from './support/app.js';
import { launchBrowser, newContext, screenshot, watchForErrors } from './support/browser.js';
import { ApiSession, navTo, signIn, signOut } from './support/flows.js';
import { startServer, type TestServer } from './support/server.js';

const admin = { workspace: 'Acme Marketing', name: 'Ada Lovelace', email: 'ada@acme.test', password: 'first-admin-pass-2024' };
const rep = { name: 'Sam Seller', email: 'sam@acme.test', password: 'sam-sells-leads-2024' };
const scoringModels: Array<[string, string, number]> = [
  ['Webinar fit', 'webinar', 40],
  ['Ads fit', 'ads', 25],
];
const leads = [
  { email: 'lena@lead.test', firstName: 'Lena', lastName: 'Lead', company: 'Lead GmbH', source: 'webinar', lifecycleStage: 'lead' },
  { email: 'otto@lead.test', firstName: 'Otto', lastName: 'Other', company: 'Other AG', source: 'ads', lifecycleStage: 'lead' },
];

describe('a manager routes leads to a rep, who accepts one', () => {
  let server: TestServer;
  let api: ApiSession;
  let browser: Browser;
  let page: Page;
  let pageErrors: () => string[];
  const ids: string[] = [];

  const queue = () => page.getByRole('table', { name: 'Leads' });
  const row = (email: string) => queue().locator(`tr[data-lead="${email}"]`);

  beforeAll(async () => {
    server = await startServer();
    api = await ApiSession.setupAdmin(server.url, admin);
    await api.post('/users', { ...rep, role: 'sales' });
    for (const l of leads) ids.push(((await api.post('/contacts', l)) as { id: string }).id);
    // Two published scoring models, so the queue offers a choice: the older one is the default.
    for (const [name, source, points] of scoringModels) {
      const model = (await api.post('/scoring/models', {
        name,
        description: `Leads from ${source}`,
        draft: {
          fit: [{ name: `From ${source}`, condition: { field: 'source', op: 'eq', value: source }, points }],
          bands: [{ name: 'Hot', min: 20 }],
          otherwise: 'Cold',
        },
      })) as { id: string };
      await api.post(`/scoring/models/${model.id}/publish`, {});
    }
    ({ browser, page, pageErrors } = await openBrowser(server.url));
  });

  useBrowserHooks(() => ({ server, browser, pageErrors }));

  it('the manager makes Sam a rep, adds a round-robin rule and an MQL SLA', async () => {
    await signIn(page, admin);
    await navTo(page, 'Lead routing', 'Lead routing');
    await page.getByRole('link', { name: 'Reps' }).click();
    await page.getByLabel('Add a rep').selectOption({ label: `${rep.name} (sales)` });
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByLabel(`Capacity of ${rep.name}`).fill('10');
    await page.getByRole('button', { name: 'Save reps' }).click();
    await page.getByText('Reps saved').waitFor();
    await screenshot(page, 'routing-reps');

    await page.getByRole('link', { name: 'Routing rules' }).click();
    await page.getByRole('heading', { name: 'No routing rules yet' }).waitFor();
    await page.getByRole('button', { name: 'New rule' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'New routing rule' });
    await dialog.getByLabel('Name').fill('Everyone to Sam');
    await dialog.getByLabel(rep.name).check();
    await screenshot(page, 'routing-rule-dialog', false);
    await dialog.getByRole('button', { name: 'Add rule' }).click();
    await page.locator('[data-rule="Everyone to Sam"]').waitFor();
    await screenshot(page, 'routing-rules');

    await page.getByRole('link', { name: 'SLA dashboard' }).click();
    await page.getByRole('heading', { name: 'No SLAs yet' }).waitFor();
    await page.getByRole('button', { name: 'Add an SLA' }).click();
    await page.getByRole('button', { name: 'Save SLAs' }).click();
    await page.getByText('SLAs saved').waitFor();

    await page.getByRole('link', { name: 'Lifecycle' }).click();
    await page.getByRole('heading', { name: 'No stage rules' }).waitFor();
    await page.getByRole('button', { name: 'Add a rule' }).click();
    await page.getByLabel('Rule name').fill('Asked for a demo');
    await page.getByLabel('Event').fill('Demo Requested');
    await page.getByRole('button', { name: 'Save stage rules' }).click();
    await page.getByText('Stage rules saved').waitFor();
    await page.locator('[data-stage-rule="Asked for a demo"]').waitFor();
    await screenshot(page, 'routing-lifecycle');
  });

  it('two leads become MQLs and are routed into Sam’s queue', async () => {
    for (const id of ids) await api.post(`/contacts/${id}/lifecycle`, { stage: 'mql', reason: 'Attended the webinar' });
    // The routing.queue loop routes them within a second or so (longer on a busy machine); the
    // manager watches Sam's queue, which refreshes itself.
    await page.goto('/routing');
    await page.getByLabel('Rep').selectOption({ label: rep.name });
    await expect.poll(async () => queue().locator('tbody tr[data-lead]').count(), { timeout: 60_000, interval: 500 }).toBe(2);
    await signOut(page);
  });

  it('Sam signs in, sees the leads with their SLA, accepts one and rejects the other with a reason', async () => {
    await signIn(page, rep);
    await navTo(page, 'Lead routing', 'Lead routing');
    await row(leads[0]?.email ?? '').waitFor();
    await expect
      .poll(async () =>
        row(leads[0]?.email ?? '')
          .getByText('On track')
          .count(),
      )
      .toBe(1);
    // Scores in the default model, the older published one (publishing recomputes in the background).
    const scoreOf = (email: string) => row(email).locator('.value-number');
    const picker = page.getByLabel('Scoring model');
    await expect.poll(async () => picker.locator('option:checked').innerText()).toBe('Webinar fit (default)');
    await expect.poll(async () => (await scoreOf(leads[0]?.email ?? '').allInnerTexts()).join(), { timeout: 30_000 }).toBe('40');
    // Sam picks the other model: its scores, and the choice kept in the URL.
    await picker.selectOption({ label: 'Ads fit' });
    await expect.poll(async () => (await scoreOf(leads[1]?.email ?? '').allInnerTexts()).join(), { timeout: 30_000 }).toBe('25');
    expect(new URL(page.url()).searchParams.get('model')).toMatch(/^[0-9a-f-]{36}$/);
    await page.reload();
    await expect.poll(async () => picker.locator('option:checked').innerText()).toBe('Ads fit');
    await expect.poll(async () => (await scoreOf(leads[1]?.email ?? '').allInnerTexts()).join(), { timeout: 30_000 }).toBe('25');
    await screenshot(page, 'routing-sales-queue');

    await page.getByRole('button', { name: 'Accept Lena Lead' }).click();
    await row(leads[0]?.email ?? '')
      .getByText('Accepted')
      .waitFor();

    await page.getByRole('button', { name: 'Reject Otto Other' }).click();
    const dialog = page.getByRole('dialog', { name: 'Reject Otto Other' });
    await dialog.getByLabel('Reason').selectOption('Not a fit');
    await screenshot(page, 'routing-reject-dialog', false);
    await dialog.getByRole('button', { name: 'Reject lead' }).click();
    await expect.poll(async () => row(leads[1]?.email ?? '').count()).toBe(0);
    await screenshot(page, 'routing-sales-queue-accepted');
    // A rep sees no editing controls for rules.
    await page.getByRole('link', { name: 'Routing rules' }).click();
    await page.locator('[data-rule="Everyone to Sam"]').waitFor();
    expect(await page.getByRole('button', { name: 'New rule' }).count()).toBe(0);
    await signOut(page);
  });

  it('the manager reads the SLA dashboard and the feedback report', async () => {
    // A third lead left waiting, so the dashboard has an open lead on it.
    const third = (await api.post('/contacts', { email: 'wendy@lead.test', firstName: 'Wendy', lastName: 'Waiting', source: 'ads' })) as {
      id: string;
    };
    await api.post(`/contacts/${third.id}/lifecycle`, { stage: 'mql', reason: 'Asked for a demo' });
    await signIn(page, admin);
    await page.goto('/routing?tab=sla');
    await page.getByRole('table', { name: 'Leads under SLA' }).locator('tr[data-sla-state]').first().waitFor({ timeout: 20_000 });
    await page.locator('.rt-chart canvas').first().waitFor();
    await screenshot(page, 'routing-sla-dashboard');

    await page.getByRole('link', { name: 'Feedback report' }).click();
    await page.getByText('Acceptance rate').waitFor();
    expect(await page.locator('.rt-stat').nth(1).locator('dd').innerText()).toBe('50%');
    await page.getByRole('table', { name: 'By rep' }).getByText(rep.name).waitFor();
    await page.locator('.rt-chart canvas').first().waitFor();
    await screenshot(page, 'routing-report');
  });

  it('the manager reads the workspace routing log, filters it by kind, rep and days, and finds nothing in the future', async () => {
    await page.getByRole('link', { name: 'Routing log' }).click();
    const entries = page.getByRole('table', { name: 'Routing log entries' }).locator('tbody tr[data-log-kind]');
    await entries.first().waitFor();
    // Lena, Otto and Wendy routed to Sam; Lena accepted; Otto rejected, then in the fallback queue.
    await expect.poll(async () => entries.count()).toBeGreaterThanOrEqual(6);
    await screenshot(page, 'routing-log');

    await page.getByLabel('Kind').selectOption({ label: 'Accepted' });
    await page.getByLabel('Rep').selectOption({ label: rep.name });
    await expect.poll(async () => entries.count()).toBe(1);
    await entries.first().getByRole('link', { name: 'Lena Lead' }).waitFor();
    const url = new URL(page.url());
    expect([url.searchParams.get('tab'), url.searchParams.get('kind')]).toEqual(['log', 'accepted']);
    expect(url.searchParams.get('rep')).toMatch(/^[0-9a-f-]{36}$/);
    await page.getByLabel('Kind').selectOption({ label: 'Routed' });
    await expect.poll(async () => entries.count()).toBe(3);
    await screenshot(page, 'routing-log-filtered');

    await page.getByLabel('From').fill('2099-01-01');
    await page.getByRole('heading', { name: 'No entries match these filters' }).waitFor();
    await screenshot(page, 'routing-log-empty');
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expect.poll(async () => entries.count()).toBeGreaterThanOrEqual(6);
    expect(new URL(page.url()).searchParams.get('kind')).toBeNull();
  });
});

describe('the demo workspace shows reps’ queues with leads on track, at risk and breached', () => {
  let server: TestServer;
  let browser: Browser;
  const password = 'demo-password-for-routing-e2e';

  beforeAll(async () => {
    server = await startServer({ KEEL_DEMO: '1', KEEL_DEMO_PASSWORD: password });
    browser = await launchBrowser();
  });
  afterAll(() => stopAll({ server, browser }));

  it('the SLA dashboard and a rep’s queue in the demo', async () => {
    const page = await (await newContext(browser, server.url)).newPage();
    const errors = watchForErrors(page);
    await signIn(page, { email: 'admin@keel.local', password });
    await page.goto('/routing?tab=sla');
    const leads = page.getByRole('table', { name: 'Leads under SLA' });
    await leads.locator('tr[data-sla-state="breached"]').first().waitFor();
    await leads.locator('tr[data-sla-state="at_risk"]').first().waitFor();
    await page.locator('.rt-chart canvas').first().waitFor();
    await screenshot(page, 'routing-sla-dashboard-demo');

    await page.getByRole('link', { name: 'Sales queue' }).click();
    const picker = page.getByLabel('Rep');
    await expect.poll(async () => picker.locator('option').count()).toBeGreaterThan(1);
    const reps = await picker.locator('option').allInnerTexts();
    await picker.selectOption({ label: reps.find((r) => !r.includes('(you)')) ?? '' });
    await page.getByRole('table', { name: 'Leads' }).locator('tbody tr[data-lead]').first().waitFor();
    await screenshot(page, 'routing-sales-queue-demo');
    expect(errors()).toEqual([]);
  });
});
