import type { Browser, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, useBrowserHooks } from './support/app.js';
import { screenshot } from './support/browser.js';
import { ApiSession, navTo, signIn, signOut } from './support/flows.js';
import { startServer, type TestServer } from './support/server.js';

const admin = { workspace: 'Acme Marketing', name: 'Ada Admin', email: 'ada@acme.test', password: 'first-admin-pass-2024' };
const specialist = { name: 'Theo Specialist', email: 'theo@acme.test', password: 'theo-edits-rules-1', role: 'automation_specialist' };
const rep = { name: 'Rita Rep', email: 'rita@acme.test', password: 'rita-sells-a-lot-1', role: 'sales' };
const people = [
  { email: 'greta@kunde.de', firstName: 'Greta', lastName: 'Hahn', country: 'DE', demos: 1 },
  { email: 'bo@client.fr', firstName: 'Bo', lastName: 'Martin', country: 'FR', demos: 1 },
  { email: 'sam@client.us', firstName: 'Sam', lastName: 'Lee', country: 'US', demos: 0 },
];

// A marketing-ops admin tunes the lead score: doubles the points of a demo request, watches a
// sample contact's points move as they type, checks what the change would do (bands, MQLs, the
// rep who would get the new leads), publishes, and reads the contact's new score and why.
describe('lead scoring: edit a rule with a live preview, see the what-if, publish, read the explanation', () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let pageErrors: () => string[];
  let modelId = '';
  const id: Record<string, string> = {};
  let key = '';
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path} failed: ${res.status} ${await res.text()}`);
    return (await res.json()) as Record<string, unknown>;
  };

  beforeAll(async () => {
    server = await startServer();
    const api = await ApiSession.setupAdmin(server.url, admin);
    key = ((await api.post('/api-keys', { name: 'e2e', role: 'admin' })) as { key: string }).key;
    await api.post('/users', specialist);
    const rita = (await api.post('/users', rep)) as { id: string };
    for (const p of people) {
      const { demos: _d, ...contact } = p;
      id[p.firstName] = ((await call('POST', '/api/v1/contacts', contact)) as { id: string }).id;
    }
    const writeKey = ((await call('POST', '/api/v1/sources', { name: 'Website' })) as { writeKey: string }).writeKey;
    const now = Date.now();
    const batch = people.flatMap((p, i) => [
      { type: 'identify', userId: `u${i}`, traits: { email: p.email }, messageId: `id-${i}` },
      ...Array.from({ length: p.demos }, (_, k) => ({
        type: 'track',
        userId: `u${i}`,
        event: 'Demo Requested',
        timestamp: new Date(now - (2 + k) * 86_400_000).toISOString(),
        messageId: `demo-${i}-${k}`,
      })),
    ]);
    const res = await fetch(`${server.url}/v1/batch`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ batch }),
    });
    expect(res.status).toBe(200);
    await call('PUT', '/api/v1/routing/reps', { reps: [{ userId: rita.id }] });
    await call('POST', '/api/v1/routing/rules', { name: 'Everyone to Rita', action: { type: 'round_robin', reps: [rita.id] } });
    const model = await call('POST', '/api/v1/scoring/models', {
      name: 'Lead score',
      description: 'Fit by country, engagement by demo requests',
      draft: {
        fit: [{ name: 'In Germany', condition: { field: 'country', op: 'eq', value: 'DE' }, points: 20 }],
        engagement: [{ name: 'Demo requested', on: { event: 'Demo Requested' }, points: 30, cap: 90, decay: { halfLifeDays: 90 } }],
        bands: [
          { name: 'A', min: 50 },
          { name: 'B', min: 20 },
        ],
        otherwise: 'C',
      },
    });
    modelId = String(model.id);
    await call('POST', `/api/v1/scoring/models/${modelId}/publish`, {});
    await call('PUT', '/api/v1/lifecycle/rules', {
      rules: [{ name: 'Hot lead', toStage: 'mql', trigger: { kind: 'score', modelId, gte: 50 } }],
    });
    ({ browser, page, pageErrors } = await openBrowser(server.url));
  });

  useBrowserHooks(() => ({ server, browser, pageErrors }));

  it('lists the model and opens its rules with a live preview that follows an edit', async () => {
    await signIn(page, admin);
    await navTo(page, 'Lead scoring', 'Lead scoring');
    await page.locator('tr[data-model-name="Lead score"]').waitFor();
    await screenshot(page, 'scoring-models', false);
    await page.locator('tr[data-model-name="Lead score"]').getByRole('link', { name: 'Lead score' }).click();
    await page.getByRole('heading', { level: 1, name: 'Lead score' }).waitFor();
    // Bo, in France with one demo request (30 points, a little decayed): pick him as the sample.
    const picker = page.getByRole('combobox', { name: 'Sample contact' });
    await picker.fill('Bo');
    await page.getByRole('option', { name: /Bo Martin/ }).click();
    const score = page.getByTestId('preview-score');
    await score.filter({ hasText: /^29\.\d+$/ }).waitFor();
    const before = Number(await score.innerText());
    expect(before).toBeGreaterThan(29);
    expect(before).toBeLessThan(30);
    await screenshot(page, 'scoring-editor');

    await page.getByRole('textbox', { name: 'Points for Demo requested' }).fill('60');
    await score.filter({ hasText: /^5\d\.\d+$/ }).waitFor();
    expect(Number(await score.innerText())).toBeCloseTo(before * 2, 1);
    const lines = page.getByRole('list', { name: 'Score explanation' });
    await lines.getByText('Demo requested', { exact: true }).waitFor();
    await lines.getByText(/^decay: Demo requested/).waitFor();
    await page.getByText('Unsaved changes').waitFor();
    await screenshot(page, 'scoring-preview-edited');
    await page.getByRole('button', { name: 'Save draft' }).click();
    await page.getByText('Draft saved', { exact: true }).first().waitFor();
  });

  it('shows what the draft would change: bands, new MQLs per week and the rep who would get them', async () => {
    await page.getByRole('navigation', { name: 'Scoring model' }).getByRole('button', { name: 'What-if' }).click();
    const changes = page.getByTestId('band-changes');
    await changes.waitFor({ timeout: 30_000 });
    // Greta (Germany, 20 + a decayed 30 = 49.6) and Bo (29.6) move from B to A; Sam stays in C.
    expect(await changes.innerText()).toBe('2');
    expect(await page.locator('td[data-cell="B-A"]').innerText()).toBe('2');
    expect(await page.locator('td[data-cell="C-C"]').innerText()).toBe('1');
    // Both would become MQLs by the "Hot lead" stage rule (score 50+), and go to Rita's queue.
    const queues = page.getByRole('table', { name: "Reps' queues" });
    expect(await queues.locator('tr[data-rep="Rita Rep"] td').last().innerText()).toBe('2');
    await screenshot(page, 'scoring-what-if');
  });

  it('a specialist may edit but not publish: the button says why', async () => {
    await signOut(page);
    await signIn(page, specialist);
    await page.goto(`/scoring/${modelId}`);
    await page.getByRole('heading', { level: 1, name: 'Lead score' }).waitFor();
    expect(await page.getByRole('button', { name: 'Publish' }).isDisabled()).toBe(true);
    await page.getByText('Publishing needs the marketing-ops manager or admin role.').waitFor();
    await screenshot(page, 'scoring-publish-refused', false);
    await signOut(page);
  });

  it('publishes the draft and the contact’s page shows the new score and its explanation', async () => {
    await signIn(page, admin);
    await page.goto(`/scoring/${modelId}`);
    await page.getByRole('heading', { level: 1, name: 'Lead score' }).waitFor();
    await page.getByRole('button', { name: 'Publish' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Publish version 2?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Publish' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByText(/version 2 scores/).waitFor();

    // The recompute runs in the background: the contact page shows the new score once it lands.
    await page.goto(`/contacts/${id.Bo}`);
    const panel = page.getByRole('region', { name: 'Scores' });
    for (let i = 0; i < 30; i++) {
      await panel.getByTestId('contact-score').waitFor();
      if (Number(await panel.getByTestId('contact-score').innerText()) > 50) break;
      await page.waitForTimeout(1000);
      await page.reload();
    }
    expect(Number(await panel.getByTestId('contact-score').innerText())).toBeGreaterThan(50);
    await panel.getByText('Band A').waitFor();
    await panel.getByRole('list', { name: 'Score explanation' }).getByText('Demo requested', { exact: true }).waitFor();
    await screenshot(page, 'scoring-contact-explanation');
  });

  it('evaluates the model over a past period (this new workspace has no past: it says so)', async () => {
    await page.goto(`/scoring/${modelId}?tab=evaluation`);
    await page.getByRole('button', { name: 'Evaluate' }).click();
    await page.getByText('No contacts existed before that day who had not converted already.', { exact: false }).waitFor();
    await screenshot(page, 'scoring-evaluation-empty', false);
  });
});

// On the demo workspace, which has a past (four months of contacts, SQL conversions over the last
// six weeks): the evaluation shows a real AUC, lift and conversion by band, and the what-if with
// a threshold shows the reps who would get the new MQLs.
describe('lead scoring on the demo: evaluation and what-if with real numbers', () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let pageErrors: () => string[];
  const password = 'demo-password-for-e2e';

  beforeAll(async () => {
    server = await startServer({ KEEL_DEMO: '1', KEEL_DEMO_PASSWORD: password });
    ({ browser, page, pageErrors } = await openBrowser(server.url));
  });
  useBrowserHooks(() => ({ server, browser, pageErrors }));

  it('evaluates the demo model over the last 60 days', async () => {
    await signIn(page, { email: 'admin@keel.local', password });
    await navTo(page, 'Lead scoring', 'Lead scoring');
    await page.getByRole('link', { name: 'Lead score', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Lead score' }).waitFor();
    await page.getByRole('navigation', { name: 'Scoring model' }).getByRole('button', { name: 'Evaluation' }).click();
    await page.getByRole('button', { name: 'Evaluate' }).click();
    const auc = page.getByTestId('auc');
    await auc.waitFor({ timeout: 60_000 });
    expect(Number(await auc.innerText())).toBeGreaterThan(0.5);
    await page.getByRole('table', { name: 'Conversion by band' }).waitFor();
    await page.waitForTimeout(800); // the charts' entry animation
    await screenshot(page, 'scoring-evaluation');
  });

  it('shows the what-if of a draft with a threshold', async () => {
    const tabs = page.getByRole('navigation', { name: 'Scoring model' });
    await tabs.getByRole('button', { name: 'Rules' }).click();
    await page.getByRole('textbox', { name: 'Points for Demo requested' }).fill('45');
    await page.getByRole('button', { name: 'Save draft' }).click();
    await page.getByText('Draft saved', { exact: true }).first().waitFor();
    await tabs.getByRole('button', { name: 'What-if' }).click();
    await page.getByTestId('band-changes').waitFor({ timeout: 60_000 });
    await page.getByRole('textbox', { name: 'MQL threshold' }).fill('40');
    await page.getByText(/Contacts crossing score ≥ 40/).waitFor({ timeout: 60_000 });
    await page.waitForTimeout(800);
    await screenshot(page, 'scoring-what-if-demo');
  });
});
