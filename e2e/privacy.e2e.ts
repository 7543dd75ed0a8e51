import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, useBrowserHooks } from './support/app.js';
import { screenshot } from './support/browser.js';
import { ApiSession, signIn } from './support/flows.js';
import { startServer, type TestServer } from './support/server.js';

const admin = { workspace: 'Acme Marketing', name: 'Ada Lovelace', email: 'ada@acme.test', password: 'first-admin-pass-2024' };
const PERSON = 'zoe.private@example.test';

describe('a privacy officer answers a subject-access request and then erases the person', () => {
  let server: TestServer;
  let api: ApiSession;
  let browser: Browser;
  let page: Page;
  let pageErrors: () => string[];
  let zoeId = '';

  beforeAll(async () => {
    server = await startServer();
    api = await ApiSession.setupAdmin(server.url, admin);
    zoeId = (
      (await api.post('/contacts', { email: PERSON, firstName: 'Zoe', lastName: 'Private', phone: '+14155550188', country: 'US' })) as {
        id: string;
      }
    ).id;
    await api.post(`/contacts/${zoeId}/consents`, { purpose: 'email_marketing', status: 'granted', source: 'Newsletter form' });
    // An older record of the same person, merged into this one: erased with it.
    const old = (await api.post('/contacts', { email: 'zoe.p@oldjob.example', firstName: 'Zoe', lastName: 'Private' })) as { id: string };
    await api.post(`/contacts/${zoeId}/merge`, { from: [old.id] });
    ({ browser, page, pageErrors } = await openBrowser(server.url));
  });

  useBrowserHooks(() => ({ server, browser, pageErrors }));

  it('downloads everything Keel holds on the person as one JSON file', async () => {
    await signIn(page, admin);
    await page.goto(`/contacts/${zoeId}`);
    await page.getByRole('heading', { level: 1, name: 'Zoe Private' }).waitFor();
    await page.getByRole('tab', { name: 'Privacy' }).click();
    await page.waitForURL(/\?tab=privacy/);
    await page.getByRole('heading', { name: 'Subject access' }).waitFor();
    await screenshot(page, 'privacy-tab');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download personal data' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`personal-data-${PERSON}.json`);
    const doc = JSON.parse(await readFile((await download.path()) ?? '', 'utf8')) as Record<string, unknown>;
    const text = JSON.stringify(doc);
    expect(text).toContain(PERSON);
    expect(text).toContain('Newsletter form');
  });

  it('erases only after the email is typed, shows the report, and the email is refused afterwards', async () => {
    await page.getByRole('button', { name: 'Erase…' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Erase this person for good?' });
    await dialog.getByLabel('Email').fill('someone@else.example');
    await dialog.getByText('Does not match this contact’s email').waitFor();
    await dialog.getByRole('button', { name: 'Erase' }).click();
    // Nothing happened: still asking.
    await dialog.waitFor();
    await dialog.getByLabel('Email').fill(PERSON);
    await screenshot(page, 'privacy-erase-confirm');
    await dialog.getByRole('button', { name: 'Erase' }).click();
    const done = page.getByRole('dialog', { name: 'This person was erased' });
    await done.waitFor();
    const report = done.getByRole('table', { name: 'Removed per kind of data' });
    await report.waitFor();
    const rows = await report.locator('tbody tr').allInnerTexts();
    expect(rows.some((r) => /^contacts\s+2$/.test(r.trim()))).toBe(true);
    expect(rows.some((r) => r.startsWith('consents'))).toBe(true);
    await screenshot(page, 'privacy-erasure-report');
    await expect(api.post('/contacts', { email: PERSON })).rejects.toThrow(/409/);
    await done.getByRole('button', { name: 'Back to contacts' }).click();
    await page.waitForURL(/\/contacts$/);
    await page.getByRole('heading', { level: 1, name: 'Contacts' }).waitFor();
    expect(await page.getByText(PERSON).count()).toBe(0);
  });
});
