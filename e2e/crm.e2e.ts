import type { Browser, BrowserContext, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, useBrowserHooks } from './support/app.js';
import { newContext, phone, screenshot, watchForErrors } from './support/browser.js';
import { ApiSession, navTo, signIn } from './support/flows.js';
import { startServer, type TestServer } from './support/server.js';

const admin = { workspace: 'Acme Marketing', name: 'Ada Lovelace', email: 'ada@acme.test', password: 'first-admin-pass-2024' };
const seller = { name: 'Sam Seller', email: 'sam@acme.test', password: 'sam-sells-password-1', role: 'sales' };

// Colleagues already in the CRM, so search, filters and bulk actions have something to sort through.
const colleagues = [
  { email: 'alan@bletchley.test', firstName: 'Alan', lastName: 'Turing', company: 'Bletchley', country: 'GB', city: 'London' },
  { email: 'katherine@nasa.test', firstName: 'Katherine', lastName: 'Johnson', company: 'NASA', country: 'US', city: 'Hampton' },
  { email: 'margaret@mit.test', firstName: 'Margaret', lastName: 'Hamilton', company: 'MIT', country: 'US', city: 'Boston' },
  { email: 'linus@kernel.test', firstName: 'Linus', lastName: 'Torvalds', company: 'Kernel', country: 'FI', city: 'Helsinki' },
];

describe('a marketing-ops person works with contacts and accounts', () => {
  let server: TestServer;
  let api: ApiSession;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let pageErrors: () => string[];

  const rows = () => page.locator('table.record-table tbody tr[data-record-id]');
  const row = (name: string) => page.locator(`table.record-table tbody tr[data-record-name="${name}"]`);
  const rowNames = async () => rows().evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-record-name')));

  beforeAll(async () => {
    server = await startServer();
    api = await ApiSession.setupAdmin(server.url, admin);
    await api.post('/users', seller);
    for (const c of colleagues) await api.post('/contacts', c);
    ({ browser, context, page, pageErrors } = await openBrowser(server.url));
  });

  useBrowserHooks(() => ({ server, browser, pageErrors }));

  it('signs in and finds Contacts and Accounts in the navigation', async () => {
    // Custom fields defined (as in settings) before anyone opens the form: it must offer them.
    await api.post('/custom-fields', { object: 'contact', label: 'Deal size', type: 'currency', currency: 'EUR' });
    await api.post('/custom-fields', {
      object: 'contact',
      label: 'Interests',
      type: 'multiselect',
      options: ['Email', 'Events', 'Webinars'],
    });

    await signIn(page, admin);
    await navTo(page, 'Contacts', 'Contacts');
    await expect.poll(() => rows().count()).toBe(colleagues.length);
    // Newest first, and empty cells read as an em dash, never "null".
    expect(await rowNames()).toEqual(['Linus Torvalds', 'Margaret Hamilton', 'Katherine Johnson', 'Alan Turing']);
    expect(await row('Alan Turing').innerText()).not.toContain('null');
    expect(await row('Alan Turing').innerText()).toContain('—');
    const importLink = page.getByRole('link', { name: 'Import CSV' });
    expect(await importLink.getAttribute('href')).toMatch(/^\/imports\/new/);
  });

  it('creates a contact through the form, which checks the email as it is typed', async () => {
    await page.getByRole('button', { name: 'Add contact', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'New contact' });
    await dialog.waitFor();
    const email = dialog.getByRole('textbox', { name: 'Email' });
    await email.fill('grace@navy');
    await email.blur();
    // The shared schema's message shows beside the field before anything is sent.
    await dialog.getByText('Enter a valid email address').waitFor();
    await email.fill('grace.hopper@navy.test');
    await dialog.getByText('Enter a valid email address').waitFor({ state: 'detached' });

    await dialog.getByLabel('First name').fill('Grace');
    await dialog.getByLabel('Last name').fill('Hopper');
    await dialog.getByLabel('Company', { exact: true }).fill('US Navy');
    await dialog.getByLabel('Job title').fill('Rear Admiral');
    await dialog.getByLabel('Country').fill('US');
    await dialog.getByLabel('City').fill('Arlington');
    // Money is typed in euros and stored in cents.
    const deal = dialog.getByLabel('Deal size');
    await deal.fill('12.345');
    await deal.blur();
    await dialog.getByText('At most 2 decimals').waitFor();
    await deal.fill('1234.50');
    await dialog.getByRole('checkbox', { name: 'Events' }).check();
    await dialog.getByRole('checkbox', { name: 'Webinars' }).check();
    await screenshot(page, 'crm-contact-form', false);

    await dialog.getByRole('button', { name: 'Create contact' }).click();
    await dialog.waitFor({ state: 'detached' });
    await row('Grace Hopper').waitFor();
    expect(await row('Grace Hopper').innerText()).toContain('US Navy');

    // The same email again is refused, and the form says so at the field.
    await page.getByRole('button', { name: 'Add contact', exact: true }).click();
    await dialog.getByRole('textbox', { name: 'Email' }).fill('Grace.Hopper@navy.test');
    await dialog.getByRole('button', { name: 'Create contact' }).click();
    await dialog.getByText('Another contact already has this email').waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
  });

  it('searches, filters, picks columns, sorts and saves the result as a view', async () => {
    await page.getByLabel('Search contacts').fill('grace');
    await page.waitForURL(/q=grace/);
    await expect.poll(rowNames).toEqual(['Grace Hopper']);
    await page.getByLabel('Search contacts').fill('');
    await expect.poll(() => rows().count()).toBe(5);

    // Country is US.
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    const editor = page.getByRole('dialog', { name: 'Add filter' });
    await editor.getByLabel('Field').selectOption('country');
    await editor.getByLabel('Condition').selectOption('eq');
    await editor.getByLabel('Value').fill('US');
    await editor.getByRole('button', { name: 'Apply filter' }).click();
    await page.getByRole('list', { name: 'Active filters' }).getByText('Country is US').waitFor();
    await expect.poll(() => rows().count()).toBe(3);

    // Deal size as a column, biggest first.
    await page.getByRole('button', { name: 'Columns', exact: true }).click();
    const columns = page.getByRole('dialog', { name: 'Columns' });
    await columns.getByRole('checkbox', { name: 'Deal size' }).check();
    await columns.getByRole('checkbox', { name: 'Created' }).uncheck();
    await page.keyboard.press('Escape');
    expect(await page.getByRole('columnheader', { name: 'Created' }).count()).toBe(0);
    await page.getByRole('columnheader', { name: 'Deal size' }).waitFor();
    expect(await row('Grace Hopper').innerText()).toContain('€1,234.50');
    await page.getByRole('button', { name: 'Deal size', exact: true }).click();
    await expect.poll(() => page.getByRole('columnheader', { name: 'Deal size' }).getAttribute('aria-sort')).toBe('descending');
    await expect.poll(async () => (await rowNames())[0]).toBe('Grace Hopper');

    await page.getByRole('button', { name: /^View:/ }).click();
    await page.getByRole('button', { name: 'Save as new view' }).click();
    const save = page.getByRole('dialog', { name: 'Save view' });
    await save.getByLabel('View name').fill('US contacts by deal size');
    await save.getByRole('button', { name: 'Save view' }).click();
    await save.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'View: US contacts by deal size' }).waitFor();
    await screenshot(page, 'crm-contacts-list');

    // Back to everyone, then the view brings the filter, column and sort back.
    await page.getByRole('button', { name: /^View:/ }).click();
    await page.getByRole('button', { name: 'All contacts', exact: true }).click();
    await expect.poll(() => rows().count()).toBe(5);
    expect(await page.getByRole('list', { name: 'Active filters' }).count()).toBe(0);
    await page.getByRole('button', { name: /^View:/ }).click();
    await page.getByRole('button', { name: 'US contacts by deal size', exact: true }).click();
    await expect.poll(() => rows().count()).toBe(3);
    await page.getByRole('columnheader', { name: 'Deal size' }).waitFor();

    // Changing it marks the view as changed, and it can be saved again.
    await page.getByRole('button', { name: 'Remove filter Country' }).click();
    await page.getByRole('button', { name: 'View: US contacts by deal size (changed)' }).click();
    await page.getByRole('button', { name: 'All contacts', exact: true }).click();
    await expect.poll(() => rows().count()).toBe(5);
  });

  it('opens a contact, edits it, and sees the change on its timeline', async () => {
    await page.getByRole('link', { name: 'Grace Hopper' }).click();
    await page.getByRole('heading', { level: 1, name: 'Grace Hopper' }).waitFor();
    const custom = page.getByRole('region', { name: 'Custom fields' });
    await custom.getByText('€1,234.50').waitFor();
    await custom.getByText('Webinars').waitFor();
    await page.getByRole('list', { name: 'Timeline' }).getByText('Ada Lovelace created this contact').waitFor();

    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit Grace Hopper' });
    await dialog.getByLabel('City').fill('Paris');
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await dialog.waitFor({ state: 'detached' });
    const timeline = page.getByRole('list', { name: 'Timeline' });
    await timeline.getByText('Ada Lovelace changed City from Arlington to Paris').waitFor();
    expect(await page.getByRole('region', { name: 'Company' }).innerText()).toContain('Paris');

    // Someone else saves while the form is open: saving says so, and keeps this person's edit.
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    await dialog.getByLabel('Job title').fill('Commodore');
    const id = page.url().split('/').pop() ?? '';
    const session = (await (await context.request.get('/api/v1/auth/session')).json()) as { csrfToken: string };
    const other = await context.request.patch(`/api/v1/contacts/${id}`, {
      headers: { 'x-csrf-token': session.csrfToken },
      data: { lifecycleStage: 'customer' },
    });
    expect(other.status()).toBe(200);
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await dialog.getByText('Someone else changed this contact while you were editing').waitFor();
    await dialog.getByRole('button', { name: 'Load the latest version' }).click();
    // The latest version loads in the background: wait for it rather than read at once.
    await expect.poll(() => dialog.getByLabel('Lifecycle stage').inputValue()).toBe('customer');
    expect(await dialog.getByLabel('Job title').inputValue()).toBe('Commodore');
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await dialog.waitFor({ state: 'detached' });
    await timeline.getByText('Ada Lovelace changed Job title from Rear Admiral to Commodore').waitFor();
    await timeline.getByText('Ada Lovelace changed Lifecycle stage from — to customer').waitFor();
    await screenshot(page, 'crm-contact-record');
  });

  it('assigns an owner to several contacts at once and follows the job to the end', async () => {
    await navTo(page, 'Contacts', 'Contacts');
    await expect.poll(() => rows().count()).toBe(5);
    await page.getByLabel('Select Alan Turing').check();
    await page.getByLabel('Select Katherine Johnson').check();
    await page.getByLabel('Select Grace Hopper').check();
    await page.getByRole('region', { name: 'Bulk actions' }).getByText('3 contacts selected').waitFor();
    await page.getByRole('button', { name: 'Assign owner', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Assign owner: 3 contacts' });
    await dialog.getByLabel('New owner').selectOption({ label: seller.name });
    await dialog.getByRole('button', { name: 'Assign owner 3 contacts' }).click();
    await dialog.getByRole('progressbar').waitFor();
    await dialog.getByText('Done: 3 contacts updated').waitFor();
    expect(await dialog.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('3');
    await screenshot(page, 'crm-bulk-progress', false);
    await dialog.getByRole('button', { name: 'Done' }).click();
    await dialog.waitFor({ state: 'detached' });
    // The list reloads: owners shown, ticks gone.
    await expect.poll(() => row('Alan Turing').innerText()).toContain(seller.name);
    expect(await row('Grace Hopper').innerText()).toContain(seller.name);
    expect(await row('Linus Torvalds').innerText()).not.toContain(seller.name);
    expect(await page.getByRole('region', { name: 'Bulk actions' }).count()).toBe(0);
  });

  it('deletes a contact and restores it from the trash', async () => {
    await page.getByRole('link', { name: 'Alan Turing' }).click();
    await page.getByRole('heading', { level: 1, name: 'Alan Turing' }).waitFor();
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Delete Alan Turing?' });
    await confirm.getByRole('button', { name: 'Move to the trash' }).click();
    await page.getByRole('heading', { level: 1, name: 'Contacts' }).waitFor();
    await expect.poll(() => rows().count()).toBe(4);
    expect(await row('Alan Turing').count()).toBe(0);

    await page.getByRole('button', { name: 'Trash', exact: true }).click();
    await page.waitForURL(/trash=true/);
    await expect.poll(rowNames).toEqual(['Alan Turing']);
    await page.getByRole('button', { name: 'Restore Alan Turing' }).click();
    await expect.poll(() => rows().count()).toBe(0);
    await page.getByText('The trash is empty').waitFor();
    await page.getByRole('button', { name: 'Back to contacts' }).click();
    await expect.poll(() => rows().count()).toBe(5);
  });

  it('creates an account, links contacts to it, and the contact shows its account', async () => {
    await navTo(page, 'Accounts', 'Accounts');
    await page.getByText('No accounts yet').waitFor();
    await page.getByRole('button', { name: 'Add account' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'New account' });
    await dialog.getByLabel('Name').fill('Initech');
    // Pasted from the address bar: stored as the bare domain.
    await dialog.getByLabel('Domain').fill('https://www.initech.test/about');
    await dialog.getByLabel('Industry').fill('Software');
    await dialog.getByLabel('Annual revenue').fill('12.5');
    await dialog.getByLabel('Annual revenue').blur();
    await dialog.getByText('Annual revenue is a whole number').waitFor();
    await dialog.getByLabel('Annual revenue').fill('12000000');
    await dialog.getByRole('button', { name: 'Create account' }).click();
    await dialog.waitFor({ state: 'detached' });
    await row('Initech').waitFor();
    expect(await row('Initech').innerText()).toContain('initech.test');
    await screenshot(page, 'crm-accounts-list');

    await page.getByRole('link', { name: 'Initech' }).click();
    await page.getByRole('heading', { level: 1, name: 'Initech' }).waitFor();
    await page.getByText('No contacts are linked to this account yet.').waitFor();

    // Grace: Initech becomes her primary account.
    await page.getByRole('button', { name: 'Link contact', exact: true }).click();
    const link = page.getByRole('dialog', { name: 'Link a contact to Initech' });
    await link.getByRole('combobox', { name: 'Contact' }).fill('grace');
    await link.getByRole('option', { name: /Grace Hopper/ }).click();
    await link.getByRole('checkbox', { name: 'Make this their primary account' }).check();
    await link.getByRole('button', { name: 'Link contact' }).click();
    await link.waitFor({ state: 'detached' });
    // Margaret: linked besides her own company, as an advisor.
    await page.getByRole('button', { name: 'Link contact', exact: true }).click();
    await link.getByRole('combobox', { name: 'Contact' }).fill('margaret');
    await link.getByRole('option', { name: /Margaret Hamilton/ }).click();
    await link.getByLabel('Role at this account').fill('Advisor');
    await link.getByRole('button', { name: 'Link contact' }).click();
    await link.waitFor({ state: 'detached' });

    const people = page.getByRole('table', { name: 'Contacts of this account' });
    await expect.poll(() => people.locator('tr').count()).toBe(2);
    expect(await people.locator('tr[data-contact-email="grace.hopper@navy.test"]').innerText()).toContain('Primary account');
    expect(await people.locator('tr[data-contact-email="margaret@mit.test"]').innerText()).toContain('Linked');
    await page.getByRole('list', { name: 'Timeline' }).getByText('linked Margaret Hamilton').waitFor();
    await screenshot(page, 'crm-account-record');

    // Grace's page names the account, as a link back to it.
    await people.getByRole('link', { name: 'Grace Hopper' }).click();
    await page.getByRole('heading', { level: 1, name: 'Grace Hopper' }).waitFor();
    await page.locator('.record-headline').getByRole('link', { name: 'Initech' }).click();
    await page.getByRole('heading', { level: 1, name: 'Initech' }).waitFor();

    // Unlinking Margaret leaves Grace.
    await page.getByRole('button', { name: 'Unlink Margaret Hamilton' }).click();
    await page.getByRole('alertdialog', { name: 'Unlink Margaret Hamilton?' }).getByRole('button', { name: 'Unlink' }).click();
    await expect.poll(() => people.locator('tr').count()).toBe(1);
  });

  it('on a phone, the list scrolls sideways inside its card and the page does not', async () => {
    const phoneContext = await newContext(browser, server.url, phone);
    const small = await phoneContext.newPage();
    const errors = watchForErrors(small);
    await signIn(small, admin);
    await small.goto('/contacts');
    await small.getByRole('heading', { level: 1, name: 'Contacts' }).waitFor();
    await small.locator('table.record-table tbody tr[data-record-id]').first().waitFor();
    expect(await small.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(phone.width);
    await screenshot(small, 'crm-contacts-phone', false);
    expect(errors()).toEqual([]);
    await phoneContext.close();
  });
});
