#!/usr/bin/env node
// The `keel` command. Runs the compiled CLI (npm install builds it; `npm run build` rebuilds).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist/src/cli/main.js');
if (!existsSync(entry)) {
  process.stderr.write('keel: not built yet. Run `npm install` (or `npm run build`) in ' + root + '\n');
  process.exit(1);
}
// `keel user list | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
const { main } = await import(entry);
const code = await main(process.argv);
process.exitCode = code;
// A finished command exits even if a library left a timer behind; `serve` never gets here early.
if (process.argv[2] !== 'serve') setTimeout(() => process.exit(code), 50).unref();
