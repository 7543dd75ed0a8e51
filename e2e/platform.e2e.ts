import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopAll } from './support/app.js';
import { launchBrowser, newContext, screenshot, watchForErrors } from './support/browser.js';
import { navLabels, signIn } from './support/flows.js';
import { startServer, type TestServer } from './support/server.js';

// A newcomer's first start: the demo workspace, its admin signing in, and the API reference.
describe('first start with demo data, and the API reference', () => {
  let server: TestServer;
  let browser: Browser;
  const password = 'demo-password-for-e2e';

  beforeAll(async () => {
    server = await startServer({ KEEL_DEMO: '1', KEEL_DEMO_PASSWORD: password, LOG_LEVEL: 'info' });
    browser = await launchBrowser();
  });
  afterAll(() => stopAll({ server, browser }));

  it('prints the demo admin password once, and the demo admin can sign in and see the team', async () => {
    expect(server.logs()).toContain(`Sign in as admin@keel.local with password: ${password}`);
    const page = await (await newContext(browser, server.url)).newPage();
    const errors = watchForErrors(page);
    await signIn(page, { email: 'admin@keel.local', password });
    expect(await navLabels(page)).toEqual(expect.arrayContaining(['Users & roles', 'API keys', 'Audit log']));
    await page.goto('/users');
    await page.getByText('maya.ops@keel.local').waitFor();
    await screenshot(page, 'demo-users');
    expect(errors()).toEqual([]);
  });

  it('serves a browsable API reference at /api/docs under the security policy', async () => {
    const page = await (await newContext(browser, server.url)).newPage();
    const errors = watchForErrors(page);
    await page.goto('/api/docs');
    await page.getByText('Keel API').first().waitFor();
    // Operations are folded under their tags: open one.
    await page
      .locator('.opblock-tag', { hasText: /^Users/ })
      .first()
      .click();
    await page.getByText('/api/v1/users').first().waitFor();
    await screenshot(page, 'api-docs', false);
    expect(errors(), errors().join('\n')).toEqual([]);
  });
});
