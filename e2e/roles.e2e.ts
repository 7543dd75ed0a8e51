import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopAll } from './support/app.js';
import { launchBrowser, newContext, phone, screenshot, watchForErrors } from './support/browser.js';
import { ApiSession, navLabels, navTo, signIn } from './support/flows.js';
import { startServer, type TestServer } from './support/server.js';

const admin = { email: 'grace@northwind.test', password: 'admin-password-1234' };
const viewer = { email: 'victor.viewer@northwind.test', password: 'viewer-password-1234' };
const manager = { email: 'mia.manager@northwind.test', password: 'manager-password-1234' };

describe('what each role sees and may do', () => {
  let server: TestServer;
  let browser: Browser;
  const errorChecks: Array<() => string[]> = [];

  async function openPage(viewport?: { width: number; height: number }): Promise<Page> {
    const context = await newContext(browser, server.url, viewport);
    const page = await context.newPage();
    errorChecks.push(watchForErrors(page));
    return page;
  }

  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
    const api = await ApiSession.setup(server.url, { workspaceName: 'Northwind Growth', name: 'Grace Hopper', ...admin });
    await api.post('/users', { ...viewer, name: 'Victor Viewer', role: 'viewer' });
    await api.post('/users', { ...manager, name: 'Mia Manager', role: 'mops_manager' });
    await api.post('/users', { email: 'sam.sales@northwind.test', name: 'Sam Sales', password: 'sales-password-1234', role: 'sales' });
    await api.post('/api-keys', { name: 'Warehouse loader', role: 'data_analyst' });
    // Enough people for a second page of users (25 a page).
    for (let i = 1; i <= 24; i++) {
      const n = String(i).padStart(2, '0');
      await api.post('/users', {
        email: `analyst${n}@northwind.test`,
        name: `Analyst ${n}`,
        password: 'analyst-password-1234',
        role: 'data_analyst',
      });
    }
  });

  afterAll(async () => {
    for (const check of errorChecks) expect(check()).toEqual([]);
    await stopAll({ server, browser });
  });

  describe('a viewer', () => {
    let page: Page;

    beforeAll(async () => {
      page = await openPage();
      await signIn(page, viewer);
    });

    it('sees users but no control that would change anything, and no API keys or audit log in the nav', async () => {
      await page.getByRole('heading', { level: 1, name: 'Users & roles' }).waitFor();
      await page.locator(`tr[data-user-email="${viewer.email}"]`).waitFor();
      expect(await page.locator('tbody tr[data-user-email]').count()).toBe(25);
      await page.getByText('Showing the first 25 users').waitFor();
      expect(await page.getByRole('button', { name: 'New user' }).count()).toBe(0);
      await screenshot(page, 'viewer-users', false);
      await page.getByRole('button', { name: 'Load more' }).click();
      await page.getByText('Showing all 28 users').waitFor();
      expect(await page.locator('tbody tr[data-user-email]').count()).toBe(28);
      await page.getByLabel('Role', { exact: true }).selectOption('viewer');
      await expect.poll(() => page.locator('tbody tr[data-user-email]').count()).toBe(1);
      expect(await navLabels(page)).toEqual([
        'Contacts',
        'Accounts',
        'Segments',
        'Lists',
        'Data quality',
        'Lead routing',
        'Lead scoring',
        'Sources',
        'Live events',
        'Tracking plan',
        'Users & roles',
        'Fields',
        'Settings',
      ]);
      expect(await page.getByRole('button', { name: 'New user' }).count()).toBe(0);
      expect(await page.getByRole('button', { name: /^Change role/ }).count()).toBe(0);
      expect(await page.getByRole('button', { name: /^(Disable|Enable) / }).count()).toBe(0);

      // The matrix is readable by everyone and marks the viewer's own role.
      await page.getByRole('link', { name: 'Roles & permissions' }).click();
      await page.getByText('your role').waitFor();

      // Settings: own account only, no workspace section.
      await navTo(page, 'Settings', 'Settings');
      await page.getByRole('heading', { name: 'Password' }).waitFor();
      expect(await page.getByRole('heading', { name: 'Workspace' }).count()).toBe(0);
    });

    it('is told, not shown, when opening the API keys or audit pages by address', async () => {
      await page.goto('/api-keys');
      await page.getByRole('heading', { name: 'API keys is not available to your role' }).waitFor();
      expect(await page.getByRole('button', { name: 'New API key' }).count()).toBe(0);
      await page.goto('/audit');
      await page.getByRole('heading', { name: 'The audit log is not available to your role' }).waitFor();
    });

    it('is refused (403) a write sent from its own browser session, CSRF token and all', async () => {
      await page.goto('/users');
      await page.getByRole('heading', { level: 1, name: 'Users & roles' }).waitFor();
      const attempt = await page.evaluate(async () => {
        const session = (await (await fetch('/api/v1/auth/session')).json()) as { csrfToken: string };
        const body = JSON.stringify({ email: 'mallory@northwind.test', name: 'Mallory', password: 'mallory-password-1', role: 'admin' });
        const withToken = await fetch('/api/v1/users', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrfToken },
          body,
        });
        const withoutToken = await fetch('/api/v1/users', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        return {
          withToken: { status: withToken.status, body: (await withToken.json()) as { code: string } },
          withoutToken: { status: withoutToken.status, body: (await withoutToken.json()) as { code: string } },
        };
      });
      expect(attempt.withToken.status).toBe(403);
      expect(attempt.withToken.body.code).toBe('forbidden');
      expect(attempt.withoutToken.status).toBe(403);
      expect(attempt.withoutToken.body.code).toBe('csrf_failed');

      await page.goto('/users?q=mallory');
      await page.getByText('No users match these filters').waitFor();
    });

    it('signs out another of its sessions from Settings, which sends that browser back to sign in', async () => {
      const other = await openPage();
      await signIn(other, viewer);
      await navTo(page, 'Settings', 'Settings');
      const sessions = page.getByRole('list', { name: 'Active sessions' }).getByRole('listitem');
      await expect.poll(() => sessions.count()).toBe(2);
      await page.getByRole('button', { name: /^Sign out Chrome on Linux/ }).click();
      await expect.poll(() => sessions.count()).toBe(1);
      await page.getByText('This device').waitFor();

      // The other browser finds out on its next request, and lands on sign-in with a way back.
      await other.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
      await other.waitForURL('**/sign-in?redirect=%2Faccount');
      await other.getByRole('heading', { name: 'Sign in' }).waitFor();
    });
  });

  it('an admin cannot demote the last admin, and the dialog says why', async () => {
    const page = await openPage();
    await signIn(page, admin);
    await page.getByRole('button', { name: `Change role for ${admin.email}` }).click();
    const dialog = page.getByRole('dialog', { name: /Change role for/ });
    await dialog.getByRole('radio', { name: /^Viewer/ }).check();
    await dialog.getByRole('button', { name: 'Save role' }).click();
    await dialog.getByRole('alert').getByText('last active admin').waitFor();
    await screenshot(page, 'error-last-admin', false);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(await page.locator(`tr[data-user-email="${admin.email}"] td`).nth(1).innerText()).toBe('Admin');
  });

  it('a marketing-ops manager reads API keys and the audit log but cannot create or revoke keys', async () => {
    const page = await openPage();
    await signIn(page, manager);
    expect(await navLabels(page)).toEqual([
      'Contacts',
      'Accounts',
      'Segments',
      'Lists',
      'Imports',
      'Data quality',
      'Lead routing',
      'Lead scoring',
      'Sources',
      'Live events',
      'Tracking plan',
      'Users & roles',
      'API keys',
      'Audit log',
      'Fields',
      'Settings',
    ]);
    await navTo(page, 'API keys', 'API keys');
    await page.locator('tr[data-key-name="Warehouse loader"]').waitFor();
    expect(await page.getByRole('button', { name: 'New API key' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /^Revoke/ }).count()).toBe(0);
    await navTo(page, 'Audit log', 'Audit log');
    await page.locator('tr.audit-row[data-action="api_key.created"]').waitFor();
  });

  it('on a phone, the navigation collapses behind a menu button', async () => {
    const page = await openPage(phone);
    await signIn(page, admin);
    await page.getByRole('heading', { level: 1, name: 'Users & roles' }).waitFor();
    const nav = page.getByRole('navigation', { name: 'Main' });
    expect(await nav.isVisible()).toBe(false);
    expect(await page.locator('.topbar-title').innerText()).toBe('Northwind Growth');
    // Nothing spills sideways at 390px.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await screenshot(page, 'mobile-users', false);

    const menu = page.getByRole('button', { name: 'Open navigation' });
    await menu.click();
    await nav.waitFor({ state: 'visible' });
    expect(await page.getByRole('button', { name: 'Close navigation' }).getAttribute('aria-expanded')).toBe('true');
    await screenshot(page, 'mobile-nav', false);

    await nav.getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('heading', { level: 1, name: 'API keys' }).waitFor();
    await nav.waitFor({ state: 'hidden' });

    // Escape closes it too.
    await menu.click();
    await nav.waitFor({ state: 'visible' });
    await page.keyboard.press('Escape');
    await nav.waitFor({ state: 'hidden' });

    await page.getByRole('button', { name: 'New API key' }).click();
    await page.getByRole('dialog', { name: 'New API key' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await screenshot(page, 'mobile-dialog', false);
    await page.keyboard.press('Escape');
  });
});
