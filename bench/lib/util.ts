// Shared helpers for the benchmarks in bench/: processes, ports, readiness, statistics, tables.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Scratch space for data folders and profiles (git-ignored). */
export const dataRoot = path.join(root, 'bench/.data');
export const keelBin = path.join(root, 'bin/keel.js');

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function newest(dir: string): number {
  let t = 0;
  if (!existsSync(dir)) return t;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'dist') continue;
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Builds the server (untimed) when dist/ is missing or older than src/, like `npm start` does. */
export function ensureServerBuilt(): void {
  const out = path.join(root, 'dist/src/cli/main.js');
  const builtAt = existsSync(out) ? statSync(out).mtimeMs : 0;
  if (builtAt < newest(path.join(root, 'src'))) {
    console.log('bench: building the server (npm run build:server)…');
    execFileSync('npm', ['run', '--silent', 'build:server'], { cwd: root, stdio: 'inherit' });
  }
}

function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '(unavailable)';
  }
}

export interface MachineInfo {
  date: string;
  cpu: string;
  nproc: string;
  memory: string;
  node: string;
  postgres: string;
  commit: string;
}

/** What the numbers were measured on; printed at the top of every benchmark. */
export function machineInfo(): MachineInfo {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  const mem = sh('free', ['-h'])
    .split('\n')
    .find((l) => l.startsWith('Mem:'));
  const dirty = sh('git', ['status', '--porcelain', '--', 'src', 'migrations', 'bin', 'scripts/start.js']) !== '';
  return {
    date: new Date().toISOString(),
    cpu: model,
    nproc: sh('nproc', []),
    memory: mem ? `${mem.split(/\s+/)[1] ?? '?'} total` : `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    node: process.version,
    postgres: sh('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-Atc', 'show server_version']),
    commit: `${sh('git', ['rev-parse', '--short', 'HEAD'])}${dirty ? ' (+ uncommitted changes in src/)' : ''}`,
  };
}

export function printMachine(m: MachineInfo): void {
  console.log(`date      ${m.date}`);
  console.log(`machine   ${m.cpu}, nproc ${m.nproc}, memory ${m.memory}`);
  console.log(`software  node ${m.node}, PostgreSQL ${m.postgres}, keel ${m.commit}`);
  console.log('');
}

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** One GET; resolves with the status, or null when the connection failed. */
export function probe(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string } | null> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', () => resolve(null));
    });
    req.on('error', () => resolve(null));
    req.setTimeout(5000, () => req.destroy());
  });
}

export async function httpJson(
  method: string,
  url: string,
  opts: { headers?: Record<string, string>; body?: unknown } = {},
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(url, {
    method,
    headers: { ...(opts.body !== undefined && { 'content-type': 'application/json' }), ...opts.headers },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json };
}

/** A child process we started, in its own process group, with its output kept for diagnosis. */
export class Proc {
  readonly child: ChildProcess;
  readonly startedAt: number;
  private out = '';
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  readonly exited: Promise<void>;

  constructor(
    readonly label: string,
    cmd: string,
    args: string[],
    env: NodeJS.ProcessEnv,
  ) {
    this.startedAt = performance.now();
    this.child = spawn(cmd, args, { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (c: Buffer) => {
      this.out += c.toString('utf8');
      if (this.out.length > 400_000) this.out = this.out.slice(-200_000);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      this.child.once('close', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        resolve();
      });
    });
  }

  get output(): string {
    return this.out;
  }

  get running(): boolean {
    return this.exitCode === null && this.exitSignal === null;
  }

  /** Polls `url` until it answers 200; returns ms since launch. Throws if the process exits first. */
  async waitFor200(url: string, timeoutMs = 120_000, intervalMs = 5): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const r = await probe(url);
      if (r?.status === 200) return performance.now() - this.startedAt;
      if (!this.running)
        throw new Error(
          `${this.label} exited (code ${this.exitCode}, signal ${this.exitSignal}) before ${url} answered 200\n${this.tail()}`,
        );
      if (performance.now() > deadline) throw new Error(`${this.label}: ${url} did not answer 200 within ${timeoutMs} ms\n${this.tail()}`);
      await sleep(intervalMs);
    }
  }

  tail(lines = 30): string {
    return this.out.trimEnd().split('\n').slice(-lines).join('\n');
  }

  private groupAlive(): boolean {
    try {
      process.kill(-(this.child.pid ?? 0), 0);
      return true;
    } catch {
      return false;
    }
  }

  /** SIGTERM to the whole group (npm, sh and node), then waits until every member is gone. */
  async stop(timeoutMs = 30_000): Promise<void> {
    const pid = this.child.pid;
    if (pid === undefined) return;
    if (this.groupAlive()) process.kill(-pid, 'SIGTERM');
    const deadline = performance.now() + timeoutMs;
    await Promise.race([this.exited, sleep(timeoutMs)]);
    while (this.groupAlive()) {
      if (performance.now() > deadline) {
        process.kill(-pid, 'SIGKILL');
        throw new Error(`${this.label} did not stop within ${timeoutMs} ms of SIGTERM (killed)\n${this.tail()}`);
      }
      await sleep(20);
    }
  }
}

/** Environment for a Keel child: ours, minus anything that would point it elsewhere. */
export function keelEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env))
    if (k.startsWith('KEEL_') || k === 'DATABASE_URL' || k === 'PORT' || k === 'HOST' || k === 'LOG_LEVEL') delete env[k];
  return { ...env, ...extra };
}

/** Runs `keel <args>` to completion and returns its stdout (throws with its output on failure). */
export function keelCli(args: string[], env: NodeJS.ProcessEnv): string {
  try {
    return execFileSync(process.execPath, [keelBin, ...args], { cwd: root, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`keel ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

// ---- CPU accounting (Linux /proc) ----

let clkTck = 0;
function ticksToMs(ticks: number): number {
  if (!clkTck) clkTck = Number(sh('getconf', ['CLK_TCK'])) || 100;
  return (ticks * 1000) / clkTck;
}

/** User and kernel CPU time of one process (all its threads), in ms; NaN when it is gone or /proc is missing. */
export function processCpuMs(pid: number | undefined): { user: number; sys: number } {
  if (pid === undefined) return { user: Number.NaN, sys: Number.NaN };
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: ticksToMs(Number(f[11])), sys: ticksToMs(Number(f[12])) };
  } catch {
    return { user: Number.NaN, sys: Number.NaN };
  }
}

/** CPU of this process (all threads), in ms. */
export function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * CPU of every live process in process group `pgid`, each with the children it has reaped, in ms:
 * all of a launch (npm, sh, node, a build step) so far.
 */
export function groupCpuMs(pgid: number | undefined): number {
  if (pgid === undefined) return Number.NaN;
  let total = 0;
  for (const d of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(f[2]) !== pgid) continue;
      total += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    } catch {
      /* exited meanwhile */
    }
  }
  return ticksToMs(total);
}

/**
 * utime + stime per process (ms) of every process whose command name is `comm` and, when given,
 * whose command line contains `cmdlineIncludes` (e.g. the PostgreSQL backends of one database).
 */
export function cpuByProcess(comm: string, cmdlineIncludes?: string): Map<number, number> {
  const out = new Map<number, number>();
  let dirs: string[];
  try {
    dirs = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return out;
  }
  for (const d of dirs) {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (name !== comm) continue;
      if (cmdlineIncludes && !readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(cmdlineIncludes)) continue;
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(d), ticksToMs(Number(f[11]) + Number(f[12])));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/** CPU used between two cpuByProcess snapshots (processes that started meanwhile count in full). */
export function cpuDelta(before: Map<number, number>, after: Map<number, number>): number {
  let t = 0;
  for (const [pid, ms] of after) t += ms - (before.get(pid) ?? 0);
  return t;
}

/**
 * CPU time processes have used on the whole machine so far (ms, all cores), from /proc/stat: user,
 * nice and system. Interrupt time (loopback networking under load) is left out, so this compares
 * with the per-process times above.
 */
export function machineBusyMs(): number {
  try {
    const f = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0] = f;
    return ticksToMs(user + nice + system);
  } catch {
    return Number.NaN;
  }
}

// ---- statistics and tables ----

/** Nearest-rank percentile of an ascending-sorted array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}

export function median(values: number[]): number {
  const v = [...values].sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? (v[mid] ?? Number.NaN) : ((v[mid - 1] ?? 0) + (v[mid] ?? 0)) / 2;
}

/**
 * Waits (up to `maxWaitS`) until the rest of the machine is quiet: under `threshold` cores busy over
 * one second, our own idle servers included. Returns the last load seen. Other people's test runs
 * on a shared 2-core machine would otherwise land in the numbers.
 */
export async function waitQuiet(maxWaitS: number, threshold = 0.15): Promise<number> {
  const deadline = performance.now() + maxWaitS * 1000;
  let warned = false;
  for (;;) {
    const before = machineBusyMs();
    await sleep(1000);
    const cores = (machineBusyMs() - before) / 1000;
    if (cores < threshold || performance.now() >= deadline) {
      if (cores >= threshold) console.log(`  (machine still busy: ${fmt(cores)} cores; measuring anyway)`);
      return cores;
    }
    if (!warned) {
      process.stdout.write(`  (machine busy: ${fmt(cores)} cores; waiting up to ${maxWaitS} s for quiet) `);
      warned = true;
    }
  }
}

/** CPU time the hypervisor gave to other machines while ours wanted it ("steal"), all cores, ms. */
export function machineStealMs(): number {
  try {
    const f = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
    return ticksToMs(f[7] ?? 0);
  } catch {
    return Number.NaN;
  }
}

/** How busy the machine is before we start (cores in use over `ms`); warns when others are working. */
export async function quietCheck(ms = 2000): Promise<number> {
  const before = machineBusyMs();
  await sleep(ms);
  const cores = (machineBusyMs() - before) / ms;
  console.log(
    `machine load before the run: ${fmt(cores)} cores busy${cores > 0.15 ? ' -- WARNING: something else is running; numbers will be disturbed' : ''}\n`,
  );
  return cores;
}

export function fmt(n: number, digits = 2): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}

/** A Markdown table (also readable in a terminal), columns padded. */
export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(head), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)].join('\n');
}

// ---- running a benchmark ----

const cleanups: Array<() => Promise<void> | void> = [];

/** Registers clean-up (stop a server, drop a database) to run at the end, even on failure or Ctrl-C. */
export function onCleanup(fn: () => Promise<void> | void): void {
  cleanups.unshift(fn);
}

async function runCleanups(): Promise<void> {
  while (cleanups.length > 0) {
    const fn = cleanups.shift();
    try {
      await fn?.();
    } catch (err) {
      console.error(`bench: clean-up failed: ${(err as Error).message}`);
    }
  }
}

/** Runs a benchmark's main; failures print and exit 1; clean-ups always run. */
export function runBenchmark(main: () => Promise<void>): void {
  let interrupted = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\nbench: ${sig}, cleaning up…`);
    void runCleanups().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  main()
    .then(
      () => runCleanups(),
      async (err: unknown) => {
        console.error(`\nbench: FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        process.exitCode = 1;
        await runCleanups();
      },
    )
    .finally(() => {
      if (!interrupted) process.exit(process.exitCode ?? 0);
    });
}
