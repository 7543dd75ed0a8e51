import type { Browser, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, useBrowserHooks } from './support/app.js';
import { desktop, newContext, screenshot, watchForErrors } from './support/browser.js';
import { ApiSession, navTo, signIn } from './support/flows.js';
import { startServer, type TestServer } from './support/server.js';

const admin = { workspace: 'Acme Marketing', name: 'Ada Lovelace', email: 'ada@acme.test', password: 'first-admin-pass-2024' };
const viewer = { name: 'Vic Viewer', email: 'vic@acme.test', password: 'vic-only-looks-123', role: 'viewer' };

describe('an admin defines custom fields: create, rename, delete and restore', () => {
  let server: TestServer;
  let api: ApiSession;
  let browser: Browser;
  let page: Page;
  let pageErrors: () => string[];

  const row = (key: string) => page.locator(`table[aria-label="Custom contact fields"] tr[data-field-key="${key}"]`);
  const deletedRow = (key: string) => page.locator(`table[aria-label="Deleted fields"] tr[data-field-key="${key}"]`);

  beforeAll(async () => {
    server = await startServer();
    api = await ApiSession.setupAdmin(server.url, admin);
    await api.post('/users', viewer);
    ({ browser, page, pageErrors } = await openBrowser(server.url));
    await signIn(page, admin);
  });

  useBrowserHooks(() => ({ server, browser, pageErrors }));

  it('opens Fields from the navigation on an empty, inviting screen', async () => {
    await navTo(page, 'Fields', 'Fields');
    await page.getByRole('heading', { name: 'No custom contact fields yet' }).waitFor();
    expect(await page.locator('.cf-builtin').innerText()).toContain('Built in on every contact: Email, First name');
    await page.getByRole('link', { name: 'Accounts' }).last().click();
    await page.waitForURL('**/settings/fields?object=account');
    await page.getByRole('heading', { name: 'No custom account fields yet' }).waitFor();
    await page.getByRole('navigation', { name: 'Record type' }).getByRole('link', { name: 'Contacts' }).click();
    await page.getByRole('heading', { name: 'No custom contact fields yet' }).waitFor();
  });

  it('creates a select field: the dialog checks it first, with the messages beside the inputs', async () => {
    await page.getByRole('button', { name: 'New field' }).click();
    const d = page.getByRole('dialog', { name: 'New contact field' });
    await d.getByRole('button', { name: 'Create field' }).click();
    await d.getByText('Give the field a label').waitFor();
    await d.getByText('Choose what kind of value the field holds').waitFor();

    await d.getByLabel('Label').fill('Customer Tier');
    // The key follows the label until it is typed by hand.
    expect(await d.getByLabel('Key').inputValue()).toBe('customer_tier');
    await d.getByRole('radio', { name: /^Single select / }).check();
    await d.getByRole('button', { name: 'Create field' }).click();
    await d.getByText('A select field needs at least one option').waitFor();

    const option = d.getByLabel('New option');
    for (const o of ['Gold', 'Silver', 'Bronz']) {
      await option.fill(o);
      await option.press('Enter');
    }
    // A duplicate is caught while typing; a typo is fixed in place.
    await option.fill('gold');
    await d.getByText('“gold” is already an option').waitFor();
    await option.fill('');
    await d.getByLabel('Option 3').fill('Bronze');
    await d.getByLabel('Description').fill('From the yearly account review');
    await d.getByRole('switch', { name: 'Indexed' }).check();
    // Tall enough to show the whole dialog at once.
    await page.setViewportSize({ width: 1280, height: 1240 });
    await screenshot(page, 'custom-fields-create', false);
    await page.setViewportSize(desktop);
    await d.getByRole('button', { name: 'Create field' }).click();
    await d.waitFor({ state: 'detached' });
    await page.getByText('Customer Tier was added to every contact').waitFor();

    const tier = row('customer_tier');
    const text = await tier.innerText();
    expect(text).toContain('Customer Tier');
    expect(text).toContain('From the yearly account review');
    expect(text).toContain('Single select');
    for (const o of ['Gold', 'Silver', 'Bronze']) expect(text).toContain(o);
  });

  it('creates a currency field and a required date field, refusing a taken key', async () => {
    await page.getByRole('button', { name: 'New field' }).click();
    let d = page.getByRole('dialog', { name: 'New contact field' });
    await d.getByLabel('Label').fill('Contract value');
    await d.getByRole('radio', { name: /^Currency / }).check();
    await d.getByRole('button', { name: 'Create field' }).click();
    await d.getByText('A currency field needs a currency').waitFor();
    await d.getByLabel('Currency', { exact: true }).fill('eur');
    expect(await d.getByLabel('Currency', { exact: true }).inputValue()).toBe('EUR');
    await d.getByRole('button', { name: 'Create field' }).click();
    await d.waitFor({ state: 'detached' });
    expect(await row('contract_value').innerText()).toContain('EUR');

    await page.getByRole('button', { name: 'New field' }).click();
    d = page.getByRole('dialog', { name: 'New contact field' });
    await d.getByLabel('Label').fill('Customer tier');
    await d.getByRole('radio', { name: /^Date A / }).check();
    await d.getByRole('button', { name: 'Create field' }).click();
    await d.getByText('A field with key "customer_tier" already exists').waitFor();
    await d.getByLabel('Label').fill('Renewal date');
    await d.getByLabel('Key').fill('renewal_date');
    await d.getByRole('switch', { name: 'Required' }).check();
    await d.getByRole('button', { name: 'Create field' }).click();
    await d.waitFor({ state: 'detached' });
    expect(await row('renewal_date').locator('td').nth(4).innerText()).toContain('Yes');
  });

  it('renames a field: the key stays, so no value is lost', async () => {
    await api.post('/contacts', { email: 'grace@navy.test', custom: { customer_tier: 'Gold', renewal_date: '2027-01-31' } });
    await row('customer_tier').getByRole('button', { name: 'Edit Customer Tier' }).click();
    const d = page.getByRole('dialog', { name: 'Edit Customer Tier' });
    expect(await d.innerText()).toContain('custom.customer_tier');
    await d.getByLabel('Label').fill('Customer segment');
    // Gold is in use: removing it is refused with the server's reason.
    await d.getByRole('button', { name: 'Remove Gold' }).click();
    await d.getByRole('button', { name: 'Save changes' }).click();
    await d.getByRole('alert').filter({ hasText: '1 records still have "Gold"' }).waitFor();
    await d.getByLabel('New option').fill('Gold');
    await d.getByLabel('New option').press('Enter');
    await d.getByRole('button', { name: 'Save changes' }).click();
    await d.waitFor({ state: 'detached' });
    expect(await row('customer_tier').innerText()).toContain('Customer segment');

    const res = await page.request.get('/api/v1/contacts?email=grace@navy.test');
    const body = (await res.json()) as { data: Array<{ custom: Record<string, unknown> }> };
    expect(body.data[0]?.custom.customer_tier).toBe('Gold');
  });

  it('deletes a field with the 30-day note, then restores it from the deleted section', async () => {
    await row('renewal_date').getByRole('button', { name: 'Delete Renewal date' }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Delete Renewal date?' });
    expect(await confirm.innerText()).toContain('kept for 30 days');
    await confirm.getByRole('button', { name: 'Delete field' }).click();
    await confirm.waitFor({ state: 'detached' });
    await row('renewal_date').waitFor({ state: 'detached' });

    await page.getByRole('heading', { name: 'Deleted fields' }).waitFor();
    const gone = deletedRow('renewal_date');
    const purge = new Date(Date.now() + 30 * 86_400_000).toLocaleDateString('en-US', { month: 'short', day: 'numeric', year: 'numeric' });
    expect(await gone.innerText()).toContain(purge);
    await screenshot(page, 'custom-fields');

    await gone.getByRole('button', { name: 'Restore Renewal date' }).click();
    await page.getByText('Renewal date is back, with all its values').waitFor();
    await row('renewal_date').waitFor();
    await page.getByRole('heading', { name: 'Deleted fields' }).waitFor({ state: 'detached' });
    const res = await page.request.get('/api/v1/contacts?email=grace@navy.test');
    const body = (await res.json()) as { data: Array<{ custom: Record<string, unknown> }> };
    expect(body.data[0]?.custom.renewal_date).toBe('2027-01-31');
  });

  it('shows a viewer the fields without a way to change them', async () => {
    const viewerContext = await newContext(browser, server.url);
    const viewerPage = await viewerContext.newPage();
    const errors = watchForErrors(viewerPage);
    await signIn(viewerPage, viewer);
    await navTo(viewerPage, 'Fields', 'Fields');
    await viewerPage.locator('tr[data-field-key="customer_tier"]').waitFor();
    expect(await viewerPage.getByRole('button', { name: 'New field' }).count()).toBe(0);
    expect(await viewerPage.getByRole('button', { name: /^Edit / }).count()).toBe(0);
    expect(errors()).toEqual([]);
    await viewerContext.close();
  });
});
