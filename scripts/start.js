#!/usr/bin/env node
// `npm start`: builds what is missing or older than its sources, then runs `keel serve`.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function newest(dir) {
  let t = 0;
  if (!existsSync(dir)) return t;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'dist') continue;
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}
const builtAt = (f) => (existsSync(f) ? statSync(f).mtimeMs : 0);

const serverOut = join(root, 'dist/src/cli/main.js');
const webOut = join(root, 'web/dist/index.html');
if (builtAt(serverOut) < newest(join(root, 'src'))) {
  console.log('keel: building the server…');
  execSync('npm run --silent build:server', { cwd: root, stdio: 'inherit' });
}
if (builtAt(webOut) < Math.max(newest(join(root, 'web/src')), newest(join(root, 'src/modules')))) {
  console.log('keel: building the web app…');
  execSync('npm run --silent build:web', { cwd: root, stdio: 'inherit' });
}
const { main } = await import(serverOut);
process.exitCode = await main([process.argv[0], 'keel', 'serve', ...process.argv.slice(2)]);
