import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { repoRoot, screenshotDir } from './paths.js';
import { chromiumPath } from './browser.js';

/** CI runs `npm run build` first; a bare `npm run test:e2e` builds whatever is missing. */
export default function setup(): void {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  if (!existsSync(`${repoRoot}/dist/src/cli/main.js`)) {
    execFileSync(npm, ['run', 'build:server'], { cwd: repoRoot, stdio: 'inherit' });
  }
  if (!existsSync(`${repoRoot}/web/dist/index.html`)) {
    execFileSync(npm, ['run', 'build:web'], { cwd: repoRoot, stdio: 'inherit' });
  }
  if (!existsSync(chromiumPath)) {
    throw new Error(`Chromium not found at ${chromiumPath}: install it with "apt-get install -y chromium" (or set KEEL_E2E_CHROMIUM)`);
  }
  mkdirSync(screenshotDir, { recursive: true });
}
