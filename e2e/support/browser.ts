import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { screenshotDir } from './paths.js';

export const chromiumPath = process.env.KEEL_E2E_CHROMIUM ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export const desktop = { width: 1280, height: 800 };
export const phone = { width: 390, height: 844 };

/** A fresh, isolated browser profile (its own cookies) pointed at the test server. */
export async function newContext(browser: Browser, baseURL: string, viewport = desktop): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL, viewport, locale: 'en-US', timezoneId: 'UTC', reducedMotion: 'reduce' });
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(30_000);
  return context;
}

/**
 * Fails the test on an uncaught page error or a CSP violation: both mean the app is broken for
 * a real person even when the assertions pass.
 */
export function watchForErrors(page: Page): () => string[] {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy|Refused to/.test(msg.text())) errors.push(`csp: ${msg.text()}`);
  });
  return () => errors;
}

/**
 * Saves e2e/screenshots/<name>.png. Toasts from earlier steps are dismissed first (as a person
 * would), and a full-page picture grows the window to the page's height rather than stitching,
 * so sticky and 100vh parts (the sidebar) look as they do on a tall screen.
 */
export async function screenshot(page: Page, name: string, fullPage = true): Promise<void> {
  await page.evaluate(() => {
    for (const b of document.querySelectorAll<HTMLButtonElement>('.toasts button')) b.click();
  });
  await page.evaluate(() => document.fonts.ready.then(() => undefined));
  const file = path.join(screenshotDir, `${name}.png`);
  const viewport = page.viewportSize();
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  if (fullPage && viewport && height > viewport.height) {
    await page.setViewportSize({ width: viewport.width, height });
    await page.waitForTimeout(150);
    await page.screenshot({ path: file, animations: 'disabled', caret: 'hide' });
    await page.setViewportSize(viewport);
  } else {
    await page.waitForTimeout(150);
    await page.screenshot({ path: file, animations: 'disabled', caret: 'hide' });
  }
}
