import type { Browser, Locator, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, useBrowserHooks } from './support/app.js';
import { newContext, screenshot, watchForErrors } from './support/browser.js';
import { ApiSession, navTo, signIn } from './support/flows.js';
import { startServer, type TestServer } from './support/server.js';

const admin = { workspace: 'Acme Marketing', name: 'Ada Lovelace', email: 'ada@acme.test', password: 'first-admin-pass-2024' };
const viewer = { name: 'Vic Viewer', email: 'vic@acme.test', password: 'vic-only-looks-123', role: 'viewer' };

// First records of three people, then the same people written again (a nickname and another
// mailbox, swapped names) or a namesake at the same company and phone, and three bad values: a
// mistyped email domain, a phone that cannot be read without a country, a contact without names.
const firsts = {
  robert: {
    email: 'robert.smith@northwind.com',
    firstName: 'Robert',
    lastName: 'Smith',
    company: 'Northwind Inc',
    phone: '+14155550101',
    country: 'US',
    title: 'Marketing Director',
  },
  alex: {
    email: 'alex.morgan@contoso.com',
    firstName: 'Alex',
    lastName: 'Morgan',
    company: 'Contoso',
    phone: '+13125550188',
    country: 'US',
  },
  jing: { email: 'jchen@initech.io', firstName: 'Jing', lastName: 'Chen', company: 'Initech', phone: '+442079460011', country: 'GB' },
};
const bad = [
  { email: 'ann@gmial.com', firstName: 'Ann', lastName: 'Lee', country: 'US' },
  { email: 'tom@wayne.test', firstName: 'Tom', lastName: 'Wayne', phone: '555-0199' },
  { email: 'info@hooli.test', company: 'Hooli' },
];
const seconds = {
  bob: {
    email: 'bob.smith@northwind.com',
    firstName: 'Bob',
    lastName: 'Smith',
    company: 'NORTHWIND',
    phone: '(415) 555-0101',
    country: 'US',
  },
  // Not Alex again: Alexandra, who shares the office line.
  alexandra: {
    email: 'alexandra.morgan@contoso.com',
    firstName: 'Alex',
    lastName: 'Morgan',
    company: 'Contoso',
    phone: '+1 312 555 0188',
    country: 'US',
  },
  jingToo: {
    email: 'jing.chen@initech.io',
    firstName: 'Chen',
    lastName: 'Jing',
    company: 'Initech Ltd',
    phone: '020 7946 0011',
    country: 'GB',
  },
};

describe('a data analyst finds duplicates and bad values, merges a pair and undoes it', () => {
  let server: TestServer;
  let api: ApiSession;
  let browser: Browser;
  let page: Page;
  let pageErrors: () => string[];
  const id: Record<string, string> = {};

  const pairRow = (a: string, b: string) => page.locator(`tr[data-pair="${[id[a], id[b]].sort().join(',')}"]`);
  const statusTab = (status: string) =>
    page.getByRole('navigation', { name: 'Pairs by status' }).locator(`a[data-queue-status="${status}"]`);
  const openCount = () => statusTab('open').locator('.dq-status-count').innerText();
  const tab = (name: string) => page.getByRole('navigation', { name: 'Data quality' }).getByRole('link', { name, exact: true });
  const mergeRow = (field: string): Locator => page.getByRole('table', { name: 'Fields to merge' }).locator(`tr[data-field="${field}"]`);

  beforeAll(async () => {
    server = await startServer();
    api = await ApiSession.setupAdmin(server.url, admin);
    for (const [k, c] of Object.entries(firsts)) id[k] = ((await api.post('/contacts', c)) as { id: string }).id;
    for (const c of bad) await api.post('/contacts', c);
    for (const [k, c] of Object.entries(seconds)) id[k] = ((await api.post('/contacts', c)) as { id: string }).id;
    // Bob came to a webinar: his list membership moves to Robert when they are merged.
    const list = (await api.post('/lists', { name: 'Webinar attendees' })) as { id: string };
    await api.post(`/lists/${list.id}/members/add`, { emails: [seconds.bob.email] });
    await api.post('/users', viewer);
    ({ browser, page, pageErrors } = await openBrowser(server.url));
  });

  useBrowserHooks(() => ({ server, browser, pageErrors }));

  it('reads the workspace’s score, its trend and the top problems', async () => {
    await signIn(page, admin);
    await navTo(page, 'Data quality', 'Data quality');
    const score = page.getByTestId('quality-score');
    await score.waitFor();
    expect(Number(await score.innerText())).toBeGreaterThan(0);
    expect(Number(await score.innerText())).toBeLessThan(100);

    const problems = page.getByRole('list', { name: 'Top problems' });
    // Nobody has an account or an owner yet: the most frequent problems come first, the top eight shown.
    expect(await problems.locator('li').first().getAttribute('data-problem')).toBe('noAccount');
    expect(await problems.locator('li').count()).toBe(8);
    await page.getByRole('button', { name: /^Show all \d+ problems$/ }).click();
    const count = (key: string) => problems.locator(`li[data-problem="${key}"]`).getByTestId('problem-count').innerText();
    expect(await count('emailTypo')).toBe('1');
    expect(await count('phoneUnreadable')).toBe('1');
    expect(await count('missingFirstName')).toBe('1');
    await page.getByRole('list', { name: 'Fill rates of contacts' }).getByRole('meter', { name: 'Email', exact: true }).waitFor();
    expect(
      await page
        .getByRole('list', { name: 'Fill rates of contacts' })
        .getByRole('meter', { name: 'Email', exact: true })
        .getAttribute('aria-valuenow'),
    ).toBe('100');

    // No snapshot yet on a new workspace; a manager records today's, and the chart draws it.
    await page.getByText('No snapshots yet.').waitFor();
    await page.getByRole('button', { name: 'Snapshot now' }).click();
    await page
      .getByRole('img', { name: /^Quality score over the last 90 days: \d+(\.\d)? on \d{4}-\d\d-\d\d, the only snapshot$/ })
      .locator('canvas')
      .waitFor();
    await screenshot(page, 'data-quality-overview');
  });

  it('opens a problem and sees exactly the contacts that have it', async () => {
    await page.getByRole('list', { name: 'Top problems' }).locator('li[data-problem="emailTypo"]').getByRole('link').click();
    await page.getByRole('heading', { level: 1, name: 'Contacts' }).waitFor();
    await page.getByRole('list', { name: 'Active filters' }).getByText('Email domain mistyped').waitFor();
    const names = () =>
      page
        .getByRole('table', { name: 'Contacts' })
        .locator('tbody tr[data-record-id]')
        .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-record-name')));
    await expect.poll(names).toEqual(['Ann Lee']);
    await screenshot(page, 'data-quality-problem-contacts', false);

    await page.goBack();
    await page.getByRole('button', { name: /^Show all \d+ problems$/ }).click();
    await page.getByRole('list', { name: 'Top problems' }).locator('li[data-problem="phoneUnreadable"]').getByRole('link').click();
    await page.getByRole('list', { name: 'Active filters' }).getByText('Phone unreadable').waitFor();
    await expect.poll(names).toEqual(['Tom Wayne']);
    await page.goBack();
    await page.getByTestId('quality-score').waitFor();
  });

  it('runs a full scan, follows it to the end, and sees the pairs with why', async () => {
    await tab('Duplicates').click();
    await page.getByRole('button', { name: 'Run full scan' }).first().click();
    // The scan runs as a background job; its progress shows until it ends, then the queue reloads.
    await page
      .getByTestId('scan-result')
      .getByText(/^\d+ pairs? to review among 9 contacts/)
      .waitFor({ timeout: 30_000 });
    for (const [a, b] of [
      ['robert', 'bob'],
      ['jing', 'jingToo'],
      ['alex', 'alexandra'],
    ] as const)
      await pairRow(a, b).waitFor();
    expect(await openCount()).toBe(String(await page.locator('tbody tr[data-pair]').count()));

    // Each pair says why, field by field: green for what counts for a match, red against.
    const robert = pairRow('robert', 'bob');
    expect(Number(await robert.getByRole('meter', { name: 'Match probability' }).getAttribute('aria-valuenow'))).toBeGreaterThanOrEqual(80);
    const why = robert.getByRole('list', { name: 'Why' });
    expect(await why.locator('li[data-field="phone"]').getAttribute('class')).toContain('dq-reason-pos');
    expect(await why.locator('li[data-field="phone"]').getAttribute('aria-label')).toMatch(/^Phone same, weight \+\d+(\.\d)?$/);
    expect(await why.locator('li[data-field="lastName"]').innerText()).toContain('Last name same');
    expect(await why.locator('li[data-field="email"]').innerText()).toContain('Email different');
    await screenshot(page, 'data-quality-queue');
  });

  it('marks a pair as not the same, and it leaves the queue for good', async () => {
    const before = Number(await openCount());
    const alex = pairRow('alex', 'alexandra');
    await alex.getByRole('button', { name: 'Not the same: Alex Morgan and Alex Morgan' }).click();
    await alex.waitFor({ state: 'detached' });
    await expect.poll(openCount).toBe(String(before - 1));
    await statusTab('dismissed').click();
    await alex.waitFor();
    expect(await alex.getByText(`by ${admin.email}`).count()).toBe(1);
    await statusTab('open').click();
    await pairRow('robert', 'bob').waitFor();
  });

  it('reviews Robert and Bob side by side, keeps Bob’s email, merges, and sees what moved', async () => {
    await pairRow('robert', 'bob').getByRole('link', { name: 'Review & merge: Robert Smith and Bob Smith' }).click();
    await page.getByRole('heading', { level: 1, name: 'Merge contacts' }).waitFor();
    // Robert, found first, survives by default; the rules kept his email (and the title only he has).
    const email = mergeRow('email');
    await email.getByTestId('rule').getByText('Kept record').waitFor();
    expect(await email.locator(`button[data-record="${id.robert}"]`).getAttribute('aria-pressed')).toBe('true');
    expect(await mergeRow('title').locator('.dq-result-value').innerText()).toBe('Marketing Director');

    // Bob's address is the one he uses now: keep it.
    await email.locator(`button[data-record="${id.bob}"]`).click();
    await email.getByTestId('rule').getByText('Your choice').waitFor();
    expect(await email.locator('.dq-result-value').innerText()).toBe(seconds.bob.email);
    expect(await email.locator(`button[data-record="${id.bob}"]`).getAttribute('aria-pressed')).toBe('true');
    await page.getByText('1 value chosen by you, the rest by the rules').waitFor();
    await screenshot(page, 'data-quality-merge');

    await page.getByRole('button', { name: 'Merge', exact: true }).click();
    const result = page.getByTestId('merge-result');
    await result.getByRole('heading', { name: 'Bob Smith merged into Robert Smith' }).waitFor();
    const moved = result.getByRole('list', { name: 'What moved' });
    expect(await moved.locator('li[data-moved="lists"]').innerText()).toBe('1 list membership');
    expect(await moved.locator('li[data-moved="profiles"]').innerText()).toMatch(/^0 tracking profiles/);
    expect(await result.getByTestId('values-taken').innerText()).toMatch(/^From Bob Smith: email, /);
    await screenshot(page, 'data-quality-merged');

    // Through the API, Robert has Bob's address now and Bob points at him.
    const robert = (await (await page.request.get(`/api/v1/contacts/${id.robert}`)).json()) as { email: string };
    expect(robert.email).toBe(seconds.bob.email);
    const bob = (await (await page.request.get(`/api/v1/contacts/${id.bob}`)).json()) as { deletedAt: string | null };
    expect(bob.deletedAt).not.toBeNull();
  });

  it('undoes the merge: both records are back as they were', async () => {
    const result = page.getByTestId('merge-result');
    await result.getByRole('button', { name: 'Undo merge' }).click();
    const undone = page.getByTestId('undo-result');
    await undone.getByRole('heading', { name: 'Merge undone: the records are back' }).waitFor();
    for (const [who, email] of [
      ['robert', firsts.robert.email],
      ['bob', seconds.bob.email],
    ] as const) {
      const back = undone.locator(`.dq-back-record[data-record="${id[who]}"]`);
      await back.getByText('Live').waitFor();
      await back.getByText(email).waitFor();
    }
    await screenshot(page, 'data-quality-undone');

    await undone.getByRole('link', { name: 'Bob Smith' }).click();
    await page.getByRole('heading', { level: 1, name: 'Bob Smith' }).waitFor();
    await page.getByRole('region', { name: 'Contact info' }).getByRole('link', { name: seconds.bob.email }).waitFor();
    expect(await page.getByText('In the trash').count()).toBe(0);

    await navTo(page, 'Contacts', 'Contacts');
    await page.getByLabel('Search contacts').fill('smith');
    const rows = page.getByRole('table', { name: 'Contacts' }).locator('tbody tr[data-record-id]');
    await expect
      .poll(() => rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-record-name')).sort()))
      .toEqual(['Bob Smith', 'Robert Smith']);
    const robert = (await (await page.request.get(`/api/v1/contacts/${id.robert}`)).json()) as { email: string };
    expect(robert.email).toBe(firsts.robert.email);
  });

  it('is told clearly when a colleague merged the same pair first, and undoes that merge from the history', async () => {
    // Jing's page says who he may be a duplicate of, and leads to the merge screen.
    await page.goto(`/contacts/${id.jing}`);
    await page.getByRole('heading', { level: 1, name: 'Jing Chen' }).waitFor();
    const dups = page.getByRole('region', { name: 'Possible duplicates' });
    await dups.getByRole('link', { name: 'Chen Jing' }).waitFor();
    await dups.getByRole('link', { name: 'Review & merge' }).click();
    await page.getByRole('heading', { level: 1, name: 'Merge contacts' }).waitFor();
    await mergeRow('email').waitFor();
    // Meanwhile someone else merges them.
    await api.post(`/contacts/${id.jing}/merge`, { from: [id.jingToo] });
    await page.getByRole('button', { name: 'Merge', exact: true }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'These records were merged or changed in the meantime' });
    await alert.getByText('Contact Chen Jing is already merged into this one.').waitFor();

    await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: 'Duplicates' }).click();
    await tab('Merge history').click();
    const rows = page.getByRole('table', { name: 'Merges' }).locator('tbody tr[data-merge]');
    await expect.poll(() => rows.count()).toBe(2);
    // Newest first: the colleague's merge, undoable; Robert's, undone.
    await rows.nth(1).getByText('Undone').waitFor();
    await rows.first().getByRole('button', { name: 'Undo' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Undo this merge?' });
    await dialog.getByRole('button', { name: 'Undo merge' }).click();
    await dialog.waitFor({ state: 'detached' });
    await rows.first().getByText('Undone').waitFor();
    expect(await page.getByRole('table', { name: 'Merges' }).getByRole('button', { name: 'Undo' }).count()).toBe(0);
  });

  it('sets the thresholds and a survivorship rule, and is stopped from an auto-merge threshold below the review one', async () => {
    await tab('Duplicate settings').click();
    const form = page.getByRole('form', { name: 'Duplicate settings for contacts' });
    const review = form.getByLabel('Review threshold (%)');
    await review.waitFor();
    expect(await review.inputValue()).toBe('75');
    expect(await form.getByLabel('Merge the most certain pairs automatically').isChecked()).toBe(false);
    expect(await form.getByLabel('Auto-merge threshold (%)').isDisabled()).toBe(true);

    await form.getByLabel('Merge the most certain pairs automatically').check();
    await form.getByLabel('Auto-merge threshold (%)').fill('70');
    await form.getByRole('button', { name: 'Save settings' }).click();
    await form.getByText('At least the review threshold (75%)').waitFor();
    await form.getByLabel('Auto-merge threshold (%)').fill('99');
    await form.getByRole('combobox', { name: 'Job title' }).selectOption({ label: 'Most complete' });
    await form.getByLabel('Trusted sources').fill('Salesforce\nWebinar form');
    await form.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Duplicate settings for contacts saved').waitFor();

    const saved = (await (await page.request.get('/api/v1/duplicates/settings?object=contact')).json()) as {
      autoMerge: boolean;
      autoMergeThreshold: number;
      survivorship: { fields: Record<string, string>; trustedSources: string[] };
    };
    expect(saved).toMatchObject({
      autoMerge: true,
      autoMergeThreshold: 0.99,
      survivorship: { trustedSources: ['Salesforce', 'Webinar form'] },
    });
    expect(saved.survivorship.fields.title).toBe('most_complete');
    await screenshot(page, 'data-quality-settings');
  });

  it('a viewer sees the queue, the merges and the settings but cannot act on them', async () => {
    const other = await newContext(browser, server.url);
    const viewerPage = await other.newPage();
    const viewerErrors = watchForErrors(viewerPage);
    try {
      await signIn(viewerPage, viewer);
      await navTo(viewerPage, 'Data quality', 'Data quality');
      await viewerPage.getByTestId('quality-score').waitFor();
      expect(await viewerPage.getByRole('button', { name: 'Snapshot now' }).count()).toBe(0);

      await viewerPage.getByRole('navigation', { name: 'Data quality' }).getByRole('link', { name: 'Duplicates' }).click();
      // Every pair was decided: nothing waits for review, and a viewer is not offered a scan.
      await viewerPage.getByRole('heading', { name: 'No duplicates waiting for review' }).waitFor();
      expect(await viewerPage.getByRole('button', { name: 'Run full scan' }).count()).toBe(0);
      await viewerPage.getByRole('navigation', { name: 'Pairs by status' }).getByRole('link', { name: /^All/ }).click();
      await expect.poll(() => viewerPage.locator('tbody tr[data-pair]').count()).toBeGreaterThanOrEqual(3);
      expect(await viewerPage.getByRole('button', { name: /^Not the same/ }).count()).toBe(0);
      expect(await viewerPage.getByRole('link', { name: /^Review & merge/ }).count()).toBe(0);

      await viewerPage.getByRole('navigation', { name: 'Data quality' }).getByRole('link', { name: 'Merge history' }).click();
      await viewerPage.locator('tbody tr[data-merge]').first().waitFor();
      expect(await viewerPage.getByRole('button', { name: 'Undo' }).count()).toBe(0);

      await viewerPage.getByRole('navigation', { name: 'Data quality' }).getByRole('link', { name: 'Duplicate settings' }).click();
      await viewerPage.getByText('Only admins and marketing-ops managers can change these settings.').waitFor();
      expect(await viewerPage.getByLabel('Review threshold (%)').isDisabled()).toBe(true);
      expect(await viewerPage.getByRole('button', { name: 'Save settings' }).count()).toBe(0);
      expect(viewerErrors()).toEqual([]);
    } finally {
      await other.close();
    }
  });
});
