import type { Browser, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, useBrowserHooks } from './support/app.js';
import { newContext, screenshot, watchForErrors } from './support/browser.js';
import { ApiSession, navTo, signIn } from './support/flows.js';
import { startServer, type TestServer } from './support/server.js';

const admin = { workspace: 'Acme Marketing', name: 'Ada Lovelace', email: 'ada@acme.test', password: 'first-admin-pass-2024' };
const viewer = { name: 'Vic Viewer', email: 'vic@acme.test', password: 'vic-only-looks-123', role: 'viewer' };

const types = ['events', 'touchpoints', 'audit_log', 'segment_membership_log', 'consent_events', 'import_files'];

// A marketing-ops admin decides how long tracked events are kept, learns that consent evidence
// cannot be kept shorter than its legal floor, and a viewer reads the policies without changing them.
describe('an admin sets how long data is kept; a viewer reads it', () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let pageErrors: () => string[];

  const row = (p: Page, type: string) => p.locator(`section[data-retention-type="${type}"]`);
  const openRetention = async (p: Page) => {
    await navTo(p, 'Data quality', 'Data quality');
    await p.getByRole('navigation', { name: 'Data quality' }).getByRole('link', { name: 'Retention', exact: true }).click();
    await p.getByRole('heading', { name: 'How long data is kept' }).waitFor();
  };

  beforeAll(async () => {
    server = await startServer();
    const api = await ApiSession.setupAdmin(server.url, admin);
    await api.post('/users', viewer);
    ({ browser, page, pageErrors } = await openBrowser(server.url));
  });

  useBrowserHooks(() => ({ server, browser, pageErrors }));

  it('reads every data type with its policy, its floor and no runs yet', async () => {
    await signIn(page, admin);
    await openRetention(page);
    expect(page.url()).toContain('tab=retention');
    expect(
      await page.locator('section[data-retention-type]').evaluateAll((els) => els.map((e) => e.getAttribute('data-retention-type'))),
    ).toEqual(types);
    // A new workspace keeps everything for good.
    for (const t of types) expect(await row(page, t).getByTestId('retention-current').innerText()).toBe('Kept for good');
    const consent = row(page, 'consent_events');
    expect(await consent.getByRole('heading', { level: 3 }).innerText()).toBe('Consent history');
    expect(await consent.innerText()).toContain('GDPR Art. 7(1)');
    expect(await consent.locator('dt', { hasText: 'Legal floor' }).count()).toBe(1);
    expect(await consent.getByTestId('retention-floor').innerText()).toContain('1,095 days');
    expect(await row(page, 'audit_log').getByTestId('retention-floor').innerText()).toBe('365 days');
    await page.getByRole('heading', { name: 'No retention runs yet' }).waitFor();
    // Nothing changed yet: nothing to save.
    expect(await page.getByRole('button', { name: 'Save retention policies' }).isDisabled()).toBe(true);
  });

  it('keeps tracked events for 400 days after a warning about what goes', async () => {
    const events = row(page, 'events');
    await events.getByLabel('Tracked events: days to keep').fill('400');
    expect(await events.getByRole('radio', { name: 'For', exact: true }).isChecked()).toBe(true);
    // Shorter than "for good": the older events go at the next run, said before saving.
    await events.getByText('Records older than 400 days will be deleted at the next daily run.').waitFor();
    await page.getByRole('button', { name: 'Save retention policies' }).click();

    const dialog = page.getByRole('alertdialog', { name: 'Delete older records?' });
    await dialog.waitFor();
    expect(await dialog.innerText()).toContain('Tracked events: records older than 400 days will be deleted at the next daily run.');
    await dialog.getByRole('button', { name: 'Save and delete' }).click();
    await dialog.waitFor({ state: 'detached' });

    await page.getByText('Saved: Tracked events. The daily runs apply the new periods from tonight.').waitFor();
    expect(await events.getByTestId('retention-current').innerText()).toBe('Deleted after 400 days (about 13 months)');
    // Who set it: the API records the person's sign-in.
    expect(await events.innerText()).toContain(`by ${admin.email}`);
    expect(await row(page, 'touchpoints').getByTestId('retention-current').innerText()).toBe('Kept for good');
    expect(await page.getByRole('button', { name: 'Save retention policies' }).isDisabled()).toBe(true);
    await screenshot(page, 'retention');

    // It holds on a fresh load.
    await page.reload();
    await page.getByRole('heading', { name: 'How long data is kept' }).waitFor();
    expect(await row(page, 'events').getByTestId('retention-current').innerText()).toBe('Deleted after 400 days (about 13 months)');
    expect(await row(page, 'events').getByLabel('Tracked events: days to keep').inputValue()).toBe('400');
  });

  it('is refused consent evidence under its legal floor, in the API’s words', async () => {
    const consent = row(page, 'consent_events');
    const days = consent.getByLabel('Consent history: days to keep');
    await days.fill('365');
    const message = consent.locator('.field-error');
    await message.waitFor();
    const shown = await message.innerText();
    expect(shown).toBe('Consent history are kept at least 1095 days');
    expect(await days.getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByRole('button', { name: 'Save retention policies' }).isDisabled()).toBe(true);
    await page.getByText('Fix the value above to save').waitFor();
    await screenshot(page, 'retention-refused');

    // The screen checks with the API's own schema: the API refuses the same value with the same words.
    const session = (await (await page.request.get('/api/v1/auth/session')).json()) as { csrfToken: string };
    const res = await page.request.put('/api/v1/retention-policies', {
      data: { events: 400, consent_events: 365 },
      headers: { 'x-csrf-token': session.csrfToken },
    });
    expect(res.status()).toBe(400);
    expect(res.headers()['content-type']).toContain('application/problem+json');
    const problem = (await res.json()) as { errors: Array<{ path: string; message: string }> };
    expect(problem.errors).toEqual([expect.objectContaining({ message: shown })]);

    // At the floor it is allowed (with the warning, as it is shorter than for good); the change is
    // then dropped and nothing was saved.
    await days.fill('1095');
    expect(await message.count()).toBe(0);
    await consent.getByText('Records older than 1,095 days will be deleted at the next daily run.').waitFor();
    await page.getByRole('button', { name: 'Discard changes' }).click();
    expect(await consent.getByRole('radio', { name: 'Forever' }).isChecked()).toBe(true);
    expect(await consent.getByTestId('retention-current').innerText()).toBe('Kept for good');
  });

  it('shows a viewer the policies read-only, with why', async () => {
    const other = await newContext(browser, server.url);
    const viewerPage = await other.newPage();
    const viewerErrors = watchForErrors(viewerPage);
    try {
      await signIn(viewerPage, viewer);
      await openRetention(viewerPage);
      await viewerPage.getByText('Only admins and marketing-ops managers can change how long data is kept.').waitFor();
      expect(await row(viewerPage, 'events').getByTestId('retention-current').innerText()).toBe('Deleted after 400 days (about 13 months)');
      expect(await row(viewerPage, 'events').getByLabel('Tracked events: days to keep').isDisabled()).toBe(true);
      expect(await row(viewerPage, 'consent_events').getByRole('radio', { name: 'Forever' }).isDisabled()).toBe(true);
      expect(await viewerPage.getByRole('button', { name: 'Save retention policies' }).count()).toBe(0);
      await viewerPage.getByRole('heading', { name: 'No retention runs yet' }).waitFor();
      await screenshot(viewerPage, 'retention-viewer');
      expect(viewerErrors()).toEqual([]);
    } finally {
      await other.close();
    }
  });
});
