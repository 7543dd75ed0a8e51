import type { Browser, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { roleLabels, roles } from '../src/platform/permissions.js';
import { openBrowser, useBrowserHooks } from './support/app.js';
import { screenshot } from './support/browser.js';
import { navLabels, navTo, signIn, signOut } from './support/flows.js';
import { startServer, type TestServer } from './support/server.js';

const admin = { workspace: 'Acme Marketing', name: 'Ada Lovelace', email: 'ada@acme.test', password: 'first-admin-pass-2024' };
const newPassword = 'a-much-better-passphrase';

describe('an admin sets up and runs a workspace', () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let pageErrors: () => string[];

  beforeAll(async () => {
    server = await startServer();
    ({ browser, page, pageErrors } = await openBrowser(server.url, { permissions: ['clipboard-read', 'clipboard-write'] }));
  });

  useBrowserHooks(() => ({ server, browser, pageErrors }));

  it('first-run set-up creates the workspace and the first admin, then opens the app', async () => {
    await page.goto('/');
    await page.waitForURL('**/setup');
    await page.getByRole('heading', { name: 'Set up Keel' }).waitFor();

    // Nothing filled in: the shared zod schema's messages show beside the fields.
    await page.getByRole('button', { name: 'Create workspace' }).click();
    await page.getByText('Name is required').waitFor();
    await page.getByText('Enter a valid email address').waitFor();
    await page.getByText('Use at least 12 characters').waitFor();

    await page.getByLabel('Workspace name').fill(admin.workspace);
    await page.getByLabel('Your name').fill(admin.name);
    await page.getByLabel('Email').fill(admin.email);
    await page.getByLabel('Password', { exact: true }).fill(admin.password);
    await page.getByLabel('Confirm password').fill(admin.password);
    await screenshot(page, 'set-up');
    await page.getByRole('button', { name: 'Create workspace' }).click();

    await page.waitForURL('**/users');
    await page.getByRole('heading', { level: 1, name: 'Users & roles' }).waitFor();
    expect(await page.locator('.brand-workspace').innerText()).toBe(admin.workspace);
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
    await page.locator(`tr[data-user-email="${admin.email}"]`).waitFor();
  });

  it('signs out, is refused a wrong password, and signs back in', async () => {
    await signOut(page);
    // Signed out, the app's pages send you to sign in.
    await page.goto('/audit');
    await page.waitForURL('**/sign-in?redirect=**');
    await screenshot(page, 'sign-in');

    await page.getByLabel('Email').fill(admin.email);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Email or password is wrong' }).waitFor();

    await page.getByLabel('Password').fill(admin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // ...and back to the page that was asked for.
    await page.waitForURL('**/audit');
    await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
  });

  it('creates a user with each of the six roles through the dialog', async () => {
    await navTo(page, 'Users & roles', 'Users & roles');

    // The dialog validates with the same schema as the API before sending anything.
    await page.getByRole('button', { name: 'New user' }).click();
    const dialog = page.getByRole('dialog', { name: 'New user' });
    await dialog.getByRole('button', { name: 'Create user' }).click();
    await dialog.getByText('Enter a valid email address').waitFor();
    await dialog.getByText('Choose a role').waitFor();
    // Keyboard: Tab stays inside the open dialog, Escape closes it, focus returns to the opener.
    for (let i = 0; i < 14; i++) {
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => Boolean(document.activeElement?.closest('dialog[open]')))).toBe(true);
    }
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('New user');

    for (const role of roles) {
      const email = `${role.replace('_', '.')}@acme.test`;
      await page.getByRole('button', { name: 'New user' }).click();
      await dialog.waitFor();
      await dialog.getByLabel('Name', { exact: true }).fill(`${roleLabels[role]} Person`);
      await dialog.getByLabel('Email', { exact: true }).fill(email);
      await dialog.getByLabel('Initial password').fill(`${role}-password-123`);
      await dialog.getByRole('radio', { name: new RegExp(`^${roleLabels[role]}`) }).check();
      if (role === 'mops_manager') await screenshot(page, 'create-user-dialog', false);
      await dialog.getByRole('button', { name: 'Create user' }).click();
      await dialog.waitFor({ state: 'detached' });
      const row = page.locator(`tr[data-user-email="${email}"]`);
      await row.waitFor();
      expect(await row.locator('td').nth(1).innerText()).toBe(roleLabels[role]);
    }
    expect(await page.locator('tbody tr[data-user-email]').count()).toBe(7);

    // The same email twice is refused, and the dialog says why.
    await page.getByRole('button', { name: 'New user' }).click();
    await dialog.getByLabel('Email', { exact: true }).fill('viewer@acme.test');
    await dialog.getByLabel('Initial password').fill('another-password-1');
    await dialog.getByRole('radio', { name: /^Viewer/ }).check();
    await dialog.getByRole('button', { name: 'Create user' }).click();
    await dialog.getByText('A user with this email already exists').waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    await screenshot(page, 'users');
  });

  it('searches and filters users, changes a role, and disables a user after confirming', async () => {
    await page.getByLabel('Search users').fill('analyst');
    await page.waitForURL('**/users?q=analyst');
    await expect.poll(() => page.locator('tbody tr[data-user-email]').count()).toBe(1);
    await page.getByRole('button', { name: 'Clear filters' }).first().click();
    await page.getByLabel('Role', { exact: true }).selectOption('sales');
    await expect.poll(() => page.locator('tbody tr[data-user-email]').count()).toBe(1);
    await page.getByLabel('Role', { exact: true }).selectOption('');
    await expect.poll(() => page.locator('tbody tr[data-user-email]').count()).toBe(7);

    await page.getByRole('button', { name: 'Change role for mops.manager@acme.test' }).click();
    const roleDialog = page.getByRole('dialog', { name: /Change role for/ });
    await roleDialog.getByRole('radio', { name: /^Automation specialist/ }).check();
    await roleDialog.getByRole('button', { name: 'Save role' }).click();
    await roleDialog.waitFor({ state: 'detached' });
    await expect
      .poll(() => page.locator('tr[data-user-email="mops.manager@acme.test"] td').nth(1).innerText())
      .toBe('Automation specialist');

    await page.getByRole('button', { name: 'Disable sales@acme.test' }).click();
    const confirm = page.getByRole('alertdialog', { name: /Disable/ });
    await confirm.getByText('signed out everywhere').waitFor();
    await confirm.getByRole('button', { name: 'Disable user' }).click();
    await confirm.waitFor({ state: 'detached' });
    await page.locator('tr[data-user-email="sales@acme.test"]').getByText('Disabled').waitFor();
    await page.getByLabel('Status', { exact: true }).selectOption('disabled');
    await expect.poll(() => page.locator('tbody tr[data-user-email]').count()).toBe(1);
    await page.getByLabel('Status', { exact: true }).selectOption('');

    await page.getByRole('link', { name: 'Roles & permissions' }).click();
    await page.getByRole('table', { name: 'Permissions by role' }).waitFor();
    expect(
      await page
        .getByRole('row', { name: /Create and revoke API keys/ })
        .getByText('Admin may', { exact: true })
        .count(),
    ).toBe(1);
    await screenshot(page, 'roles-matrix');
  });

  it('creates an API key, shows it once, and the key stops working when revoked', async () => {
    await navTo(page, 'API keys', 'API keys');
    await page.getByText('No active API keys').waitFor();
    await screenshot(page, 'api-keys-empty', false);

    const dialog = page.getByRole('dialog');
    const create = async (name: string, roleLabel: string): Promise<string> => {
      await page.getByRole('button', { name: 'New API key' }).first().click();
      await dialog.getByLabel('Name', { exact: true }).fill(name);
      await dialog.getByRole('radio', { name: new RegExp(`^${roleLabel}`) }).check();
      await dialog.getByRole('button', { name: 'Create key' }).click();
      await dialog.getByRole('heading', { name: 'API key created' }).waitFor();
      return dialog.getByLabel('Secret key').inputValue();
    };

    const biKey = await create('BI dashboard export', 'Data analyst');
    await dialog.getByRole('button', { name: 'I have copied the key' }).click();
    await dialog.waitFor({ state: 'detached' });

    const key = await create('Nightly CRM sync', 'Viewer');
    expect(key).toMatch(/^keel_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(biKey).not.toBe(key);
    await dialog.getByText('You will not see it again').waitFor();
    await dialog.getByRole('button', { name: 'Copy', exact: true }).click();
    await dialog.getByRole('button', { name: 'Copied', exact: true }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);
    await screenshot(page, 'api-key-created', false);
    await dialog.getByRole('button', { name: 'I have copied the key' }).click();
    await dialog.waitFor({ state: 'detached' });

    const asKey = () => fetch(`${server.url}/api/v1/users`, { headers: { authorization: `Bearer ${key}` } });
    const ok = await asKey();
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { data: unknown[] }).data.length).toBe(7);

    // The secret is gone from the page once the dialog is closed.
    expect(await page.content()).not.toContain(key);

    await page.getByRole('button', { name: 'Revoke Nightly CRM sync' }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Revoke Nightly CRM sync?' });
    await confirm.getByRole('button', { name: 'Revoke key' }).click();
    await confirm.waitFor({ state: 'detached' });
    await page.locator('tr[data-key-name="Nightly CRM sync"]').waitFor({ state: 'detached' });

    const refused = await asKey();
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { code: string }).code).toBe('invalid_api_key');

    await page.getByRole('switch', { name: 'Show revoked keys' }).check();
    await page
      .locator('tr[data-key-name="Nightly CRM sync"]')
      .getByText(/^Revoked/)
      .waitFor();
    await page.locator('tr[data-key-name="BI dashboard export"]').getByText('Active').waitFor();
    await screenshot(page, 'api-keys');
  });

  it('shows the audit log newest first, filters it, and expands an entry to its diff', async () => {
    await navTo(page, 'Audit log', 'Audit log');
    const rows = page.locator('tr.audit-row');
    await expect.poll(() => rows.first().getAttribute('data-action')).toBe('api_key.revoked');
    const actions = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-action')));
    for (const a of ['workspace.setup', 'user.created', 'auth.login', 'auth.logout', 'user.disabled', 'api_key.created'])
      expect(actions).toContain(a);
    await screenshot(page, 'audit-log');

    await page.getByLabel('Action').selectOption('api_key.revoked');
    await page.waitForURL('**/audit?action=api_key.revoked');
    await expect.poll(() => rows.count()).toBe(1);
    await page.getByRole('button', { name: /^Show changes for API key revoked/ }).click();
    const diff = page.getByRole('table', { name: 'Changes' });
    await diff.getByRole('row', { name: /revoked/ }).waitFor();
    expect(await page.locator('.audit-meta').innerText()).toContain('Nightly CRM sync');

    // The role change made earlier, with its before and after.
    await page.getByLabel('Action').selectOption('user.updated');
    await page.getByLabel('Actor').fill(admin.email);
    await page.waitForURL(/actor=/);
    await expect.poll(() => rows.count()).toBe(1);
    await rows.first().click();
    const roleRow = page.getByRole('table', { name: 'Changes' }).getByRole('row', { name: /role/ });
    expect(await roleRow.locator('.diff-from').innerText()).toBe('mops_manager');
    expect(await roleRow.locator('.diff-to').innerText()).toBe('automation_specialist');
    await screenshot(page, 'audit-diff-expanded');

    // Dates: nothing was recorded before today.
    await page.getByRole('button', { name: 'Clear filters' }).first().click();
    await page.getByLabel('To', { exact: true }).fill('2020-01-01');
    await page.getByText('No events match these filters').waitFor();
    await screenshot(page, 'audit-no-match', false);
    await page.getByRole('button', { name: 'Clear filters' }).first().click();
    await rows.first().waitFor();
  });

  it('changes its own password in Settings, and only the new one works afterwards', async () => {
    await navTo(page, 'Settings', 'Settings');
    await page.getByRole('list', { name: 'Active sessions' }).getByText('This device').waitFor();

    const change = page.getByRole('button', { name: 'Change password' });
    await page.getByLabel('Current password').fill('wrong-current-password');
    await page.getByLabel('New password', { exact: true }).fill('short');
    await page.getByLabel('Confirm new password').fill('short');
    await change.click();
    await page.getByText('Use at least 12 characters').waitFor();

    await page.getByLabel('New password', { exact: true }).fill(newPassword);
    await page.getByLabel('Confirm new password').fill(`${newPassword}x`);
    await change.click();
    await page.getByText('The passwords do not match').waitFor();

    await page.getByLabel('Confirm new password').fill(newPassword);
    await change.click();
    await page.getByText('Wrong password', { exact: true }).waitFor();

    await page.getByLabel('Current password').fill(admin.password);
    await change.click();
    await page.getByText('Password changed. Your other sessions were signed out.').waitFor();
    expect(await page.getByLabel('Current password').inputValue()).toBe('');

    await page.getByLabel('Display name').fill('Ada King');
    await page.getByRole('button', { name: 'Save name' }).click();
    await page.locator('.sidebar-user-name').getByText('Ada King').waitFor();
    await screenshot(page, 'account');

    await signOut(page);
    await page.getByLabel('Email').fill(admin.email);
    await page.getByLabel('Password').fill(admin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Email or password is wrong').waitFor();
    await signIn(page, { email: admin.email, password: newPassword });
  });

  it('renames the workspace, and the sidebar follows', async () => {
    await navTo(page, 'Settings', 'Settings');
    await page.getByLabel('Workspace name').fill('Acme Growth Team');
    await page.getByRole('button', { name: 'Save workspace name' }).click();
    await page.locator('.brand-workspace').getByText('Acme Growth Team').waitFor();
  });
});
