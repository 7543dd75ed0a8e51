#!/usr/bin/env node
// `npm run bench -- <name> [options]`: runs bench/<name>.ts (through tsx) and exits with its code.
// Without a name, or with an unknown one, lists the benchmarks. Results go in BENCHMARKS.md.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const benchDir = join(root, 'bench');

/** Benchmarks are the top-level bench/*.ts files; bench/lib/ holds their helpers. */
function available() {
  if (!existsSync(benchDir)) return [];
  return readdirSync(benchDir, { withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => e.name.slice(0, -3))
    .sort();
}

/** The first comment line of a benchmark, as its description. */
function describe(name) {
  const first = readFileSync(join(benchDir, `${name}.ts`), 'utf8').split('\n')[0] ?? '';
  return first.startsWith('//') ? first.slice(2).trim() : '';
}

function list(out) {
  out('usage: npm run bench -- <name> [options]\n\nbenchmarks:');
  for (const n of available()) out(`  ${n.padEnd(14)} ${describe(n)}`);
}

const [name, ...args] = process.argv.slice(2);
if (!name || name === '--help' || name === '-h' || name === '--list') {
  list(console.log);
  process.exit(0);
}
if (!available().includes(name)) {
  console.error(`bench: unknown benchmark "${name}"\n`);
  list(console.error);
  process.exit(2);
}

const child = spawn(process.execPath, ['--import', 'tsx', join(benchDir, `${name}.ts`), ...args], { cwd: root, stdio: 'inherit' });
// Ctrl-C reaches the benchmark too (same terminal group); it cleans up and exits, and so do we.
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('close', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
