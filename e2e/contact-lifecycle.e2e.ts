import type { Browser, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, useBrowserHooks } from './support/app.js';
import { screenshot } from './support/browser.js';
import { signIn, signOut } from './support/flows.js';
import { startServer, type TestServer } from './support/server.js';

const admin = { email: 'admin@keel.local', password: 'demo-password-for-lifecycle-e2e' };
const viewer = { name: 'Val Viewer', email: 'val.viewer@keel.local', password: 'val-only-looks-2024', role: 'viewer' };

interface LogEntry {
  contactId: string;
  rule: string | null;
  reason: string;
  skipped: Array<{ rule: string | null; reason: string }>;
}
interface Contact {
  id: string;
  firstName: string | null;
  lastName: string | null;
  email: string | null;
  lifecycleStage: string | null;
}

// A marketing-ops admin opens a routed demo lead, reads how it became an MQL and why routing gave it
// to its rep (and passed the other rules over), tries to move it back (refused, with the reason),
// moves it on to SAL with a reason and sees the new row; a viewer sees the same tab without the action.
describe('a contact’s lifecycle: stage history, routing log, changing the stage', () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let pageErrors: () => string[];
  let lead: Contact;
  let leadName = '';
  let decision: LogEntry;
  let becameMql = '';
  let cookie = '';
  let csrf = '';
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: { cookie, 'x-csrf-token': csrf, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path} failed: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };

  beforeAll(async () => {
    server = await startServer({ KEEL_DEMO: '1', KEEL_DEMO_PASSWORD: admin.password });
    // Set-up through the API as the demo admin: a viewer to sign in as, and which demo leads were routed.
    const login = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(admin),
    });
    expect(login.status).toBe(200);
    cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    csrf = ((await login.json()) as { csrfToken: string }).csrfToken;
    await call('POST', '/users', viewer);
    // The whole routing log (the demo's lifecycle rules keep routing leads for a while after start).
    const log: LogEntry[] = [];
    let cursor: string | null = null;
    do {
      const page: { data: LogEntry[]; nextCursor: string | null } = await call(
        'GET',
        `/routing/log?limit=200${cursor ? `&cursor=${cursor}` : ''}`,
      );
      log.push(...page.data);
      cursor = page.nextCursor;
    } while (cursor);
    // A lead routing gave a rep after passing other rules over, still an MQL: the round robin's first.
    const routed = log
      .filter((e) => e.rule !== null && e.reason.startsWith('rule "') && e.skipped.length >= 2)
      .sort((a, b) => Number(b.rule === 'Everyone else') - Number(a.rule === 'Everyone else'));
    for (const e of routed) {
      const c = await call<Contact>('GET', `/contacts/${e.contactId}`);
      if (c.lifecycleStage === 'mql' && c.firstName && c.lastName) {
        lead = c;
        decision = e;
        break;
      }
    }
    expect(lead).toBeDefined();
    becameMql =
      (await call<{ data: Array<{ toStage: string; reason: string }> }>('GET', `/contacts/${lead.id}/lifecycle`)).data[0]?.reason ?? '';
    leadName = `${lead.firstName} ${lead.lastName}`;
    ({ browser, page, pageErrors } = await openBrowser(server.url));
  });

  useBrowserHooks(() => ({ server, browser, pageErrors }));

  const history = () => page.getByRole('list', { name: 'Stage history' });
  const routingLog = () => page.getByRole('list', { name: 'Routing log' });

  it('the admin opens a routed lead and reads its stage history and routing log, with why rules were passed over', async () => {
    await signIn(page, admin);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Contacts' }).click();
    await page.getByLabel('Search contacts').fill(lead.email ?? leadName);
    await page.getByRole('link', { name: leadName }).click();
    await page.getByRole('heading', { level: 1, name: leadName }).waitFor();
    await page.getByRole('tab', { name: 'Lifecycle' }).click();
    await page.waitForURL(/\?tab=lifecycle/);

    expect(await page.getByTestId('current-stage').innerText()).toBe('MQL');
    const mql = history().locator('li').first();
    await mql.waitFor();
    expect(await mql.getAttribute('data-stage-change')).toBe('mql');
    expect(await mql.innerText()).toContain(becameMql);
    expect(await mql.getAttribute('data-current')).toBe('true');

    // The decision that gave the lead its rep: the rule that fired and, folded, the rules passed over.
    const first = decision.skipped[0];
    const entry = routingLog()
      .locator('li[data-log-kind="routed"]')
      .filter({ hasText: `Rule “${decision.rule ?? ''}” fired` })
      .first();
    await entry.waitFor();
    const skipped = entry.getByRole('list', { name: 'Passed over' });
    expect(await skipped.isVisible()).toBe(false);
    await entry.getByText(/^Why .* passed over$/).click();
    await skipped
      .getByText(first?.reason ?? '')
      .first()
      .waitFor();
    expect(await skipped.innerText()).toContain(`“${first?.rule ?? ''}”`);
    // Who has the lead now, and in what state.
    const assignment = page.locator('.lc-assignment');
    await assignment.waitFor();
    expect(['open', 'accepted', 'rejected', 'released']).toContain(await assignment.getAttribute('data-assignment'));
    await screenshot(page, 'contact-lifecycle');
  });

  it('a move back to Lead is refused with the API’s reason; a move on to SAL with a reason adds a history row', async () => {
    await page.getByRole('button', { name: 'Change stage' }).click();
    const dialog = page.getByRole('dialog', { name: 'Change stage' });
    expect(await dialog.getByLabel('New stage').inputValue()).toBe('sal');
    // No reason: the form says what is missing before anything is sent.
    await dialog.getByRole('button', { name: 'Change stage' }).click();
    await dialog.getByText('Say why: the reason is kept in the stage history').waitFor();

    await dialog.getByLabel('New stage').selectOption({ label: 'Lead' });
    await dialog.getByLabel('Reason').fill('Not ready after all');
    await dialog.getByRole('button', { name: 'Change stage' }).click();
    await dialog.getByRole('alert').getByText('MQL -> Lead is a backward move, and no allowed transition permits it').waitFor();
    await screenshot(page, 'contact-lifecycle-refused', false);

    await dialog.getByLabel('New stage').selectOption({ label: 'SAL' });
    await dialog.getByLabel('Reason').fill('Booked a discovery call with sales');
    await dialog.getByRole('button', { name: 'Change stage' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByText('Stage changed to SAL').waitFor();

    const sal = history().locator('li').first();
    expect(await sal.getAttribute('data-stage-change')).toBe('sal');
    expect(await sal.getAttribute('data-current')).toBe('true');
    const text = await sal.innerText();
    expect(text).toContain('Booked a discovery call with sales');
    expect(text).toContain('Demo Admin');
    expect(await page.getByTestId('current-stage').innerText()).toBe('SAL');
    // The MQL row is history now, with the time the lead spent as an MQL.
    expect(await history().locator('li').nth(1).getAttribute('data-stage-change')).toBe('mql');
    expect(await history().locator('li').nth(1).getAttribute('data-current')).toBeNull();
    await screenshot(page, 'contact-lifecycle-changed');
  });

  it('a contact without a stage and never routed shows the empty states', async () => {
    // Picked now (the demo's stage rules may still be moving contacts): no stage, no history, no routing.
    const contacts = await call<{ data: Contact[] }>('GET', '/contacts?limit=100');
    let quiet: Contact | undefined;
    for (const c of contacts.data.filter((c) => c.lifecycleStage === null)) {
      const stages = await call<{ data: unknown[] }>('GET', `/contacts/${c.id}/lifecycle`);
      const routing = await call<{ data: unknown[] }>('GET', `/routing/log?contactId=${c.id}`);
      if (stages.data.length === 0 && routing.data.length === 0) {
        quiet = c;
        break;
      }
    }
    expect(quiet).toBeDefined();
    await page.goto(`/contacts/${quiet?.id ?? ''}?tab=lifecycle`);
    await page.getByRole('heading', { name: 'Not routed yet' }).waitFor();
    await page.getByText('Routing starts when the contact becomes MQL').waitFor();
    await page.getByRole('heading', { name: 'No stage changes yet' }).waitFor();
    expect(await page.getByTestId('current-stage').innerText()).toBe('No stage yet');
    await screenshot(page, 'contact-lifecycle-empty');
    await signOut(page);
  });

  it('a viewer sees the tab, the new row and the routing log, without the Change stage action', async () => {
    await signIn(page, viewer);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Contacts' }).click();
    await page.getByLabel('Search contacts').fill(lead.email ?? leadName);
    await page.getByRole('link', { name: leadName }).click();
    await page.getByRole('heading', { level: 1, name: leadName }).waitFor();
    await page.getByRole('tab', { name: 'Lifecycle' }).click();
    await history().locator('li').first().getByText('Booked a discovery call with sales').waitFor();
    await routingLog().locator('li[data-log-kind="routed"]').first().waitFor();
    expect(await page.getByRole('button', { name: 'Change stage' }).count()).toBe(0);
    await page.getByTestId('stage-read-only').getByText('Your role can see the stage and its history, not change them.').waitFor();
    await screenshot(page, 'contact-lifecycle-viewer');
  });
});
