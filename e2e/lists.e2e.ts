import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, useBrowserHooks } from './support/app.js';
import { newContext, screenshot, watchForErrors } from './support/browser.js';
import { ApiSession, navTo, signIn } from './support/flows.js';
import { startServer, type TestServer } from './support/server.js';

const admin = { workspace: 'Acme Marketing', name: 'Ada Lovelace', email: 'ada@acme.test', password: 'first-admin-pass-2024' };

const people = [
  { email: 'anna@berlin.test', firstName: 'Anna', lastName: 'Schmidt', country: 'DE', title: 'Marketing Manager', company: 'Big GmbH' },
  { email: 'bernd@munich.test', firstName: 'Bernd', lastName: 'Keller', country: 'DE', title: 'CTO', company: 'Big GmbH' },
  { email: 'clara@hamburg.test', firstName: 'Clara', lastName: 'Vogel', country: 'DE', title: 'Head of Marketing', company: 'Klein AG' },
  { email: 'dieter@cologne.test', firstName: 'Dieter', lastName: 'Braun', country: 'DE', title: 'Sales Lead', company: 'Klein AG' },
  { email: 'emma@paris.test', firstName: 'Emma', lastName: 'Martin', country: 'FR', title: 'Marketing Director', company: 'Société' },
  { email: 'grace@london.test', firstName: 'Grace', lastName: 'Hopper', country: 'GB', title: 'Admiral', company: 'Navy' },
];

// What a webinar tool exports: a header with other columns, an address in capitals with spaces,
// an invalid address, one nobody in Keel has, an empty cell, and a repeat.
const messyCsv = [
  'Email,Name,Attended',
  'anna@berlin.test,Anna Schmidt,yes',
  '  BERND@Munich.test ,Bernd Keller,yes',
  'not-an-email,Someone,no',
  'nobody@nowhere.test,Nobody,yes',
  ',Empty Row,no',
  'clara@hamburg.test,Clara Vogel,yes',
  'anna@berlin.test,Anna again,yes',
].join('\n');

describe('a marketing-ops person keeps a static list', () => {
  let server: TestServer;
  let api: ApiSession;
  let browser: Browser;
  let page: Page;
  let pageErrors: () => string[];
  let listId = '';
  let germanyId = '';

  const result = () => page.getByTestId('members-result');
  const tile = (key: string) => result().locator(`[data-count="${key}"] dd`);
  const members = () => page.getByRole('table', { name: 'Members' });
  const memberEmails = async () =>
    (
      await members()
        .locator('tbody tr[data-contact-email]')
        .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-contact-email')))
    ).sort();

  beforeAll(async () => {
    server = await startServer();
    api = await ApiSession.setupAdmin(server.url, admin);
    for (const p of people) await api.post('/contacts', p);
    const germany = (await api.post('/segments', {
      name: 'In Germany',
      definition: { all: [{ field: 'country', op: 'eq', value: 'DE' }] },
    })) as { id: string };
    germanyId = germany.id;
    ({ browser, page, pageErrors } = await openBrowser(server.url));
  });

  useBrowserHooks(() => ({ server, browser, pageErrors }));

  it('finds no lists in the segment builder, with a way to the Lists screen', async () => {
    await signIn(page, admin);
    await page.goto('/segments/new');
    await page.getByRole('heading', { level: 1, name: 'New segment' }).waitFor();
    await page.locator('section.seg-group[data-depth="0"] > footer').getByRole('button', { name: 'Add condition' }).click();
    await page
      .getByRole('dialog', { name: 'Add a condition' })
      .getByRole('button', { name: /^In list/ })
      .click();
    const link = page.getByRole('link', { name: 'create one under Lists' });
    await link.waitFor();
    expect(await link.getAttribute('href')).toBe('/lists');
    expect(await link.getAttribute('target')).toBe('_blank');
  });

  it('creates a list from the empty Lists screen', async () => {
    await navTo(page, 'Lists', 'Lists');
    await page.getByRole('heading', { name: 'No lists yet' }).waitFor();
    await page.getByRole('button', { name: 'New list' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'New list' });
    // The API's own schema: a name is needed.
    await dialog.getByRole('button', { name: 'Create list' }).click();
    await dialog.getByText('Give the list a name').waitFor();
    await dialog.getByLabel('Name').fill('Webinar attendees, March');
    await dialog.getByLabel('Description').fill('Everyone who joined the March product webinar');
    await dialog.getByRole('button', { name: 'Create list' }).click();
    await page.getByRole('heading', { level: 1, name: 'Webinar attendees, March' }).waitFor();
    listId = page.url().split('/lists/')[1] ?? '';
    expect(listId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await page.getByTestId('list-members').innerText()).toBe('0');
    await page.getByRole('heading', { name: 'Nobody on this list yet' }).waitFor();
  });

  it('takes a messy CSV dropped on the page: counts, and the rows it could not use with their reasons', async () => {
    const zone = page.getByTestId('members-drop');
    const data = await page.evaluateHandle((content) => {
      const dt = new DataTransfer();
      dt.items.add(new File([content], 'webinar-export.csv', { type: 'text/csv' }));
      return dt;
    }, messyCsv);
    await zone.dispatchEvent('dragenter', { dataTransfer: data });
    await page.getByText('Drop the file to add its contacts').waitFor();
    await zone.dispatchEvent('drop', { dataTransfer: data });

    await result().waitFor();
    expect(await result().innerText()).toContain('from webinar-export.csv');
    expect(await tile('added').innerText()).toBe('3');
    expect(await tile('alreadyMembers').innerText()).toBe('0');
    expect(await tile('errors').innerText()).toBe('4');
    const errors = page.getByRole('table', { name: 'Rows not applied' });
    const rows = await errors
      .locator('tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.innerText)));
    expect(rows).toEqual([
      ['4', 'not-an-email', 'Not an email address'],
      ['5', 'nobody@nowhere.test', 'No contact with this email'],
      ['6', '(empty)', 'No email in this row'],
      ['8', 'anna@berlin.test', 'Repeats row 2'],
    ]);
    await expect.poll(memberEmails).toEqual(['anna@berlin.test', 'bernd@munich.test', 'clara@hamburg.test']);
    expect(await page.getByTestId('list-members').innerText()).toBe('3');

    // The rows not applied, as a CSV to fix and upload again.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      result().getByRole('button', { name: 'Download as CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('webinar-attendees-march-not-added.csv');
    const csv = await readFile((await download.path()) ?? '', 'utf8');
    expect(csv.trim().split(/\r?\n/)).toEqual([
      'row,value,reason',
      '4,not-an-email,Not an email address',
      '5,nobody@nowhere.test,No contact with this email',
      '6,,No email in this row',
      '8,anna@berlin.test,Repeats row 2',
    ]);
    await screenshot(page, 'lists-detail');
  });

  it('adds pasted emails and a snapshot of a segment', async () => {
    await page.getByRole('tab', { name: 'Paste emails' }).click();
    await page.getByRole('textbox', { name: 'Emails' }).fill('emma@paris.test, anna@berlin.test\nmissing@nowhere.test');
    await page.getByRole('button', { name: 'Add 3 emails' }).click();
    await expect.poll(() => result().innerText()).toContain('from the pasted emails');
    expect(await tile('added').innerText()).toBe('1');
    expect(await tile('alreadyMembers').innerText()).toBe('1');
    expect(await tile('errors').innerText()).toBe('1');

    // The segment's membership is stored by a job: wait until it is ready to be copied.
    await expect
      .poll(
        () =>
          page.evaluate(async (id) => {
            const res = await fetch(`/api/v1/segments/${id}`);
            const s = (await res.json()) as { state: string; memberCount: number };
            return `${s.state} ${s.memberCount}`;
          }, germanyId),
        { timeout: 15_000, interval: 500 },
      )
      .toBe('ready 4');
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Webinar attendees, March' }).waitFor();
    await page.getByRole('tab', { name: 'From a segment' }).click();
    await page.getByLabel('Add everyone in segment').selectOption({ label: 'In Germany · 4 members' });
    await page.getByRole('button', { name: 'Add 4 members' }).click();
    await expect.poll(() => result().innerText()).toContain('from In Germany');
    expect(await tile('added').innerText()).toBe('1');
    expect(await tile('alreadyMembers').innerText()).toBe('3');
    expect(await tile('errors').innerText()).toBe('0');
    expect(await page.getByRole('table', { name: 'Rows not applied' }).count()).toBe(0);
    await expect
      .poll(memberEmails)
      .toEqual(['anna@berlin.test', 'bernd@munich.test', 'clara@hamburg.test', 'dieter@cologne.test', 'emma@paris.test']);
    expect(await page.getByTestId('list-members').innerText()).toBe('5');
  });

  it('removes a ticked member, and renames the list', async () => {
    await members().getByLabel('Select Dieter Braun').check();
    await page.getByRole('button', { name: 'Remove from list' }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Remove Dieter Braun from Webinar attendees, March?' });
    await confirm.getByRole('button', { name: 'Remove from list' }).click();
    await page.getByText('Removed 1 contact from Webinar attendees, March').waitFor();
    await expect.poll(memberEmails).toEqual(['anna@berlin.test', 'bernd@munich.test', 'clara@hamburg.test', 'emma@paris.test']);
    expect(await page.getByTestId('list-members').innerText()).toBe('4');

    await page.getByRole('button', { name: 'Edit' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit Webinar attendees, March' });
    await dialog.getByLabel('Name').fill('March webinar attendees');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { level: 1, name: 'March webinar attendees' }).waitFor();
  });

  it('refuses to delete a list a segment uses, saying which', async () => {
    await api.post('/segments', { name: 'Webinar follow-up', definition: { all: [{ list: listId }] } });
    await page.getByRole('button', { name: 'Delete' }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Delete March webinar attendees?' });
    await confirm.getByRole('button', { name: 'Delete list' }).click();
    await confirm.getByRole('alert').waitFor();
    expect(await confirm.getByRole('alert').innerText()).toContain('Webinar follow-up');
    await confirm.getByRole('button', { name: 'Cancel' }).click();
  });

  it('lists every list with its size', async () => {
    await api.post('/lists', { name: 'Do not call', description: 'Asked not to be phoned' });
    await navTo(page, 'Lists', 'Lists');
    const row = page.locator('tr[data-list-name="March webinar attendees"]');
    await row.waitFor();
    expect(await row.locator('td[data-col="members"]').innerText()).toBe('4');
    expect(await page.locator('tr[data-list-name="Do not call"] td[data-col="members"]').innerText()).toBe('0');
    await screenshot(page, 'lists-index');
  });

  it("shows a contact's segments and lists now, and its segment history", async () => {
    await page.getByRole('link', { name: 'March webinar attendees' }).click();
    await members().getByRole('link', { name: 'Anna Schmidt' }).click();
    await page.getByRole('heading', { level: 1, name: 'Anna Schmidt' }).waitFor();
    await page.getByRole('tab', { name: 'Segments & lists' }).click();
    expect(page.url()).toContain('tab=segments');
    const lists = page.getByRole('list', { name: 'Lists this contact is on' });
    await lists.locator('li[data-list-name="March webinar attendees"]').waitFor();
    expect(await lists.innerText()).toMatch(/Added .* from a file/);
    const segments = page.getByRole('list', { name: 'Segments this contact is in' });
    await segments.locator('li[data-segment-name="In Germany"]').waitFor();
    const history = page.getByRole('table', { name: 'Segment history' });
    await expect
      .poll(() => history.locator('tbody tr[data-change="entered"][data-segment-name="In Germany"]').count(), { timeout: 10_000 })
      .toBe(1);
    // The follow-up segment (members of the list) fills in by the membership job too.
    await expect
      .poll(
        async () => {
          await page.reload();
          await segments.locator('li').first().waitFor();
          return segments.locator('li[data-segment-name="Webinar follow-up"]').count();
        },
        { timeout: 15_000, interval: 1_000 },
      )
      .toBe(1);
    await history.locator('tbody tr[data-segment-name="Webinar follow-up"]').waitFor();
    await screenshot(page, 'contact-segments');

    await segments.getByRole('link', { name: 'In Germany' }).click();
    await page.getByRole('heading', { level: 1, name: 'In Germany' }).waitFor();
  });

  it('a viewer reads lists and their members but gets no control that would change one', async () => {
    const viewer = { email: 'victor@acme.test', password: 'viewer-password-1234' };
    await api.post('/users', { ...viewer, name: 'Victor Viewer', role: 'viewer' });
    const other = await newContext(browser, server.url);
    const viewerPage = await other.newPage();
    const viewerErrors = watchForErrors(viewerPage);
    await signIn(viewerPage, viewer);
    await navTo(viewerPage, 'Lists', 'Lists');
    await viewerPage.locator('tr[data-list-name="March webinar attendees"]').waitFor();
    expect(await viewerPage.getByRole('button', { name: 'New list' }).count()).toBe(0);
    await viewerPage.getByRole('link', { name: 'March webinar attendees' }).click();
    await viewerPage.getByRole('table', { name: 'Members' }).locator('tbody tr[data-contact-email]').first().waitFor();
    expect(await viewerPage.getByRole('heading', { name: 'Add contacts' }).count()).toBe(0);
    expect(await viewerPage.getByRole('checkbox').count()).toBe(0);
    for (const name of ['Edit', 'Delete']) expect(await viewerPage.getByRole('button', { name, exact: true }).count()).toBe(0);
    expect(viewerErrors()).toEqual([]);
    await other.close();
  });
});
