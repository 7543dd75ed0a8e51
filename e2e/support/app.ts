import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, expect } from 'vitest';
import { desktop, launchBrowser, newContext, watchForErrors } from './browser.js';
import type { TestServer } from './server.js';

export interface BrowserPage {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** The page's uncaught errors and CSP violations so far. */
  pageErrors: () => string[];
}

/**
 * Chromium, a fresh profile pointed at the test server (with `permissions` granted to it) and its
 * first page, watched for errors. Should the profile or page fail to open, the browser is closed.
 */
export async function openBrowser(
  baseURL: string,
  options: { viewport?: { width: number; height: number }; permissions?: string[] } = {},
): Promise<BrowserPage> {
  const browser = await launchBrowser();
  try {
    const context = await newContext(browser, baseURL, options.viewport ?? desktop);
    if (options.permissions) await context.grantPermissions(options.permissions, { origin: baseURL });
    const page = await context.newPage();
    return { browser, context, page, pageErrors: watchForErrors(page) };
  } catch (err) {
    await browser.close();
    throw err;
  }
}

/** What a flow has running, read when its hooks run (so the `let`s its beforeAll assigns). */
export interface Running {
  server?: TestServer;
  browser?: Browser;
  pageErrors?: () => string[];
}

/** After each test: the server's output when the test failed, and no page errors. */
export function checkEachTest(running: () => Running): void {
  afterEach((ctx) => {
    const { server, pageErrors } = running();
    if (ctx.task.result?.state === 'fail') console.error(`server output:\n${server?.logs()}`);
    expect(pageErrors?.() ?? []).toEqual([]);
  });
}

/** The browser closed, then the server stopped (either may not have started). */
export async function stopAll({ server, browser }: Running): Promise<void> {
  await browser?.close();
  await server?.stop();
}

/**
 * The hooks every flow with one page shares: {@link checkEachTest} after each test, and
 * {@link stopAll} after all of them.
 */
export function useBrowserHooks(running: () => Running): void {
  checkEachTest(running);
  afterAll(() => stopAll(running()));
}
