// Throughput and latency of GET /api/v1/users?limit=50 (embedded, PostgreSQL) vs bare Fastify.
//
// An authenticated `GET /api/v1/users?limit=50` on the embedded database and on PostgreSQL, beside
// a bare Fastify hello-world route, all measured in one run with the same load generator
// (autocannon), each server a child process launched as it is deployed. For context it also
// measures `bare-pg`: a bare Fastify + pg route doing the same database work on the same database
// (see bench/lib/bare.ts), to tell the cost of the work itself from the cost of Keel's request path.
//
//   npm run bench -- users-list [--connections 10] [--duration 10] [--warmup 3] [--rounds 3]
//                               [--users 60] [--targets bare,embedded,postgres,bare-pg] [--cpu-prof]
//                               [--quiet-wait 30] [--max-other 0.2] [--retries 5]
//
// Each round measures every target in turn (warm-up, then the measured run); the table shows the
// median over rounds. Before each measurement it waits up to --quiet-wait seconds for the rest of
// the machine to go quiet, and it reports the CPU others used meanwhile; a measurement during which
// others (other processes, or other virtual machines through hypervisor steal) used more than
// --max-other cores is repeated (up to --retries times). --cpu-prof runs the servers under
// `node --cpu-prof` and prints where their CPU went during the measured runs.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { spawnBare, spawnBarePg } from './lib/bare.js';
import { summariseProfile } from './lib/profile.js';
import {
  cpuByProcess,
  cpuDelta,
  dataRoot,
  ensureServerBuilt,
  fmt,
  freePort,
  httpJson,
  keelBin,
  keelCli,
  keelEnv,
  machineBusyMs,
  machineInfo,
  machineStealMs,
  median,
  onCleanup,
  percentile,
  printMachine,
  quietCheck,
  probe,
  Proc,
  processCpuMs,
  runBenchmark,
  sleep,
  waitQuiet,
  table,
} from './lib/util.js';

const { values: opts } = parseArgs({
  options: {
    connections: { type: 'string', default: '10' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '3' },
    users: { type: 'string', default: '60' },
    targets: { type: 'string', default: 'bare,embedded,postgres,bare-pg' },
    'cpu-prof': { type: 'boolean', default: false },
    'quiet-wait': { type: 'string', default: '30' },
    'max-other': { type: 'string', default: '0.2' },
    retries: { type: 'string', default: '5' },
  },
});
const connections = Number(opts.connections);
const duration = Number(opts.duration);
const warmup = Number(opts.warmup);
const rounds = Number(opts.rounds);
const wantUsers = Number(opts.users);
if (!(wantUsers >= 51)) throw new Error('--users must be at least 51: the page of 50 must have a next page');
const maxOther = Number(opts['max-other']);
const retries = Number(opts.retries);
const targetNames = opts.targets.split(',').map((s) => s.trim());
for (const t of targetNames) if (!['bare', 'embedded', 'postgres', 'bare-pg'].includes(t)) throw new Error(`unknown target ${t}`);
if (targetNames.includes('bare-pg') && !targetNames.includes('postgres'))
  throw new Error('target bare-pg needs target postgres (it reads the same database)');

interface Target {
  name: string;
  label: string;
  url: string;
  headers: Record<string, string>;
  proc: Proc;
  responseBytes: number;
  /** PostgreSQL database name, to count the CPU of its backends. */
  dbName?: string;
  databaseUrl?: string;
  /** When the measured load ran (monotonic µs), to cut the CPU profile to it. */
  spansUs: Array<[number, number]>;
}

interface Sample {
  target: string;
  round: number;
  reqPerSec: number;
  p50: number;
  p99: number;
  mean: number;
  requests: number;
  /** CPU time per request (ms): the server process, the PostgreSQL processes, this load generator. */
  cpuServer: number;
  /** The part of cpuServer spent in the kernel (system calls: sockets, files). */
  cpuServerSys: number;
  cpuPostgres: number;
  cpuLoad: number;
  /** CPU used meanwhile by everything else on the machine, in cores (other people's work). */
  otherCores: number;
  /** CPU the hypervisor gave to other virtual machines meanwhile ("steal"), in cores. */
  stealCores: number;
}

const runId = `${process.pid}`;
const profDir = path.join(dataRoot, 'profiles', `users-list-${runId}`);
const profArgs = (name: string) =>
  opts['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`, `--cpu-prof-name=${name}.cpuprofile`] : [];

async function startBare(): Promise<Target> {
  const port = await freePort();
  const proc = spawnBare(port, profArgs('bare'));
  onCleanup(() => proc.stop());
  const url = `http://127.0.0.1:${port}/`;
  await proc.waitFor200(url, 30_000, 20);
  const r = await probe(url);
  return {
    name: 'bare',
    label: 'bare Fastify hello-world (GET /)',
    url,
    headers: {},
    proc,
    responseBytes: Buffer.byteLength(r?.body ?? ''),
    spansUs: [],
  };
}

async function startKeel(kind: 'embedded' | 'postgres'): Promise<Target> {
  const port = await freePort();
  const base: Record<string, string> = {
    PORT: String(port),
    HOST: '127.0.0.1',
    KEEL_DEMO: '0',
    LOG_LEVEL: 'warn',
    KEEL_API_RATE_LIMIT: '100000000',
  };
  let dbName: string | undefined;
  if (kind === 'embedded') {
    const dir = path.join(dataRoot, `users-list-${runId}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    onCleanup(() => rmSync(dir, { recursive: true, force: true }));
    base.KEEL_DATA_DIR = dir;
  } else {
    const db = `keel_bench_users_list_${runId}`;
    execFileSync('createdb', ['-h', '127.0.0.1', '-U', 'postgres', db], { stdio: 'inherit' });
    onCleanup(() => {
      execFileSync('dropdb', ['-h', '127.0.0.1', '-U', 'postgres', '--if-exists', '--force', db], { stdio: 'inherit' });
    });
    base.DATABASE_URL = `postgres://postgres@127.0.0.1:5432/${db}`;
    dbName = db;
  }
  const env = keelEnv(base);
  // The key is made before the server starts (the CLI migrates and creates the default workspace).
  const created = JSON.parse(keelCli(['api-key', 'create', '--name', 'bench', '--role', 'admin', '--json'], env)) as { key: string };
  const proc = new Proc(`keel serve (${kind})`, process.execPath, [...profArgs(`keel-${kind}`), keelBin, 'serve'], env);
  onCleanup(() => proc.stop());
  const origin = `http://127.0.0.1:${port}`;
  await proc.waitFor200(`${origin}/readyz`, 60_000, 20);
  const headers = { authorization: `Bearer ${created.key}` };

  // At least `wantUsers` users in the key's workspace, made through the API.
  const countUsers = async (): Promise<number> => {
    let n = 0;
    let cursor: string | null = null;
    do {
      const r = await httpJson('GET', `${origin}/api/v1/users?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, {
        headers,
      });
      if (r.status !== 200) throw new Error(`GET /api/v1/users answered ${r.status}: ${JSON.stringify(r.json)}`);
      const page = r.json as { data: unknown[]; nextCursor: string | null };
      n += page.data.length;
      cursor = page.nextCursor;
    } while (cursor);
    return n;
  };
  for (let i = await countUsers(); i < wantUsers; i++) {
    const r = await httpJson('POST', `${origin}/api/v1/users`, {
      headers,
      body: { email: `bench-user-${i}@example.com`, name: `Bench User ${i}`, password: 'bench-password-123', role: 'viewer' },
    });
    if (r.status !== 201) throw new Error(`POST /api/v1/users answered ${r.status}: ${JSON.stringify(r.json)}`);
  }
  const users = await countUsers();
  const url = `${origin}/api/v1/users?limit=50`;
  const check = await probe(url, headers);
  const page = JSON.parse(check?.body ?? '{}') as { data?: unknown[] };
  if (check?.status !== 200 || page.data?.length !== 50)
    throw new Error(`GET ${url} did not return 50 users: ${check?.status} ${check?.body.slice(0, 300)}`);
  console.log(`${proc.label}: ready on ${origin}, ${users} users in the workspace`);
  return {
    name: kind,
    label: `Keel GET /api/v1/users?limit=50 (${kind === 'embedded' ? 'embedded PGlite' : 'PostgreSQL'})`,
    url,
    headers,
    proc,
    responseBytes: Buffer.byteLength(check.body),
    dbName,
    databaseUrl: base.DATABASE_URL,
    spansUs: [],
  };
}

async function startBarePg(keel: Target): Promise<Target> {
  if (!keel.databaseUrl) throw new Error('bare-pg needs the postgres target');
  const port = await freePort();
  const proc = spawnBarePg(port, keel.databaseUrl, profArgs('bare-pg'));
  onCleanup(() => proc.stop());
  const url = `http://127.0.0.1:${port}/api/v1/users?limit=50`;
  for (let i = 0; i < 200; i++) {
    const r = await probe(url, keel.headers);
    if (r?.status === 200) {
      const page = JSON.parse(r.body) as { data?: unknown[] };
      if (page.data?.length !== 50) throw new Error(`bare-pg returned ${page.data?.length} users`);
      return {
        name: 'bare-pg',
        label: 'context: bare Fastify + pg, same queries and JSON',
        url,
        headers: keel.headers,
        proc,
        responseBytes: Buffer.byteLength(r.body),
        dbName: keel.dbName,
        spansUs: [],
      };
    }
    if (r && r.status !== 200) throw new Error(`bare-pg answered ${r.status}: ${r.body.slice(0, 200)}\n${proc.tail()}`);
    if (!proc.running) throw new Error(`bare-pg exited\n${proc.tail()}`);
    await sleep(50);
  }
  throw new Error(`bare-pg did not answer\n${proc.tail()}`);
}

/** One autocannon run; latencies are collected per response (float ms), not autocannon's whole-ms histogram. */
function load(t: Target, seconds: number): Promise<{ result: autocannon.Result; latencies: Float64Array }> {
  return new Promise((resolve, reject) => {
    const lat: number[] = [];
    const instance = autocannon(
      { url: t.url, headers: t.headers, connections, duration: seconds },
      (err: unknown, result: autocannon.Result) => {
        if (err) return reject(err instanceof Error ? err : new Error(String(err)));
        resolve({ result, latencies: Float64Array.from(lat).sort() });
      },
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) lat.push(responseTime);
    });
  });
}

async function measure(t: Target, round: number): Promise<Sample> {
  await waitQuiet(Number(opts['quiet-wait']));
  if (warmup > 0) await load(t, warmup);
  const pid = t.proc.child.pid;
  const pgCpu = () => (t.dbName ? cpuByProcess('postgres', t.dbName) : new Map<number, number>());
  const before = {
    server: processCpuMs(pid),
    pg: pgCpu(),
    gen: process.cpuUsage(),
    machine: machineBusyMs(),
    steal: machineStealMs(),
    at: performance.now(),
  };
  const fromUs = Number(process.hrtime.bigint() / 1000n);
  const { result, latencies } = await load(t, duration);
  t.spansUs.push([fromUs, Number(process.hrtime.bigint() / 1000n)]);
  const gen = process.cpuUsage(before.gen);
  const serverAfter = processCpuMs(pid);
  const serverSys = serverAfter.sys - before.server.sys;
  const cpu = {
    server: serverAfter.user + serverAfter.sys - before.server.user - before.server.sys,
    pg: cpuDelta(before.pg, pgCpu()),
    gen: (gen.user + gen.system) / 1000,
  };
  const others = machineBusyMs() - before.machine - cpu.server - cpu.pg - cpu.gen;
  const otherCores = Math.max(0, others) / (performance.now() - before.at);
  const stealCores = (machineStealMs() - before.steal) / (performance.now() - before.at);
  if (result.errors > 0 || result.timeouts > 0 || result.non2xx > 0) {
    throw new Error(
      `${t.label}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx responses\n${t.proc.tail()}`,
    );
  }
  if (!t.proc.running) throw new Error(`${t.proc.label} exited during the run\n${t.proc.tail()}`);
  const sum = latencies.reduce((a, b) => a + b, 0);
  return {
    target: t.name,
    round,
    reqPerSec: result['2xx'] / result.duration,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    mean: sum / latencies.length,
    requests: result['2xx'],
    cpuServer: cpu.server / result['2xx'],
    cpuServerSys: serverSys / result['2xx'],
    cpuPostgres: cpu.pg / result['2xx'],
    cpuLoad: cpu.gen / result['2xx'],
    otherCores,
    stealCores,
  };
}

runBenchmark(async () => {
  const machine = machineInfo();
  console.log('users-list: GET /api/v1/users?limit=50 against a bare Fastify route');
  printMachine(machine);
  await quietCheck();
  if (opts['cpu-prof'])
    console.log('NOTE: --cpu-prof is on: the servers run under the V8 profiler, so these numbers are slower than normal.');
  console.log(
    `load: autocannon, ${connections} connections, ${warmup} s warm-up then ${duration} s measured per target, ${rounds} round(s)\n`,
  );
  ensureServerBuilt();

  const targets: Target[] = [];
  for (const name of targetNames.filter((n) => n !== 'bare-pg'))
    targets.push(name === 'bare' ? await startBare() : await startKeel(name as 'embedded' | 'postgres'));
  const pgTarget = targets.find((t) => t.name === 'postgres');
  if (targetNames.includes('bare-pg') && pgTarget) targets.push(await startBarePg(pgTarget));
  console.log('');

  const samples: Sample[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const t of targets) {
      process.stdout.write(`round ${round}/${rounds}: ${t.label}… `);
      let s = await measure(t, round);
      // Someone else's work landed in it: measure again (the profile keeps every span).
      for (let retry = 1; s.otherCores + s.stealCores > maxOther && retry <= retries; retry++) {
        process.stdout.write(`disturbed (others used ${fmt(s.otherCores)} cores, steal ${fmt(s.stealCores)}), measuring again… `);
        s = await measure(t, round);
      }
      samples.push(s);
      console.log(
        `${fmt(s.reqPerSec, 0)} req/s, p50 ${fmt(s.p50)} ms, p99 ${fmt(s.p99)} ms; other load ${fmt(s.otherCores)} cores, steal ${fmt(s.stealCores)} cores`,
      );
    }
  }

  // One row per target: the median over rounds.
  const summary = targets.map((t) => {
    const mine = samples.filter((s) => s.target === t.name);
    return {
      t,
      reqPerSec: median(mine.map((s) => s.reqPerSec)),
      p50: median(mine.map((s) => s.p50)),
      p99: median(mine.map((s) => s.p99)),
      mean: median(mine.map((s) => s.mean)),
      requests: mine.reduce((a, s) => a + s.requests, 0),
      cpuServer: median(mine.map((s) => s.cpuServer)),
      cpuServerSys: median(mine.map((s) => s.cpuServerSys)),
      cpuPostgres: median(mine.map((s) => s.cpuPostgres)),
      cpuLoad: median(mine.map((s) => s.cpuLoad)),
      otherCores: Math.max(...mine.map((s) => s.otherCores)),
      stealCores: Math.max(...mine.map((s) => s.stealCores)),
    };
  });
  console.log(`\nresults (${rounds > 1 ? `median of ${rounds} rounds` : 'one round'}; latency in ms, measured per response):\n`);
  console.log(
    table(
      ['target', 'req/s', 'p50 ms', 'p99 ms', 'mean ms', 'response bytes', 'requests'],
      summary.map((s) => [
        s.t.label,
        fmt(s.reqPerSec, 0),
        fmt(s.p50),
        fmt(s.p99),
        fmt(s.mean),
        String(s.t.responseBytes),
        String(s.requests),
      ]),
    ),
  );
  console.log(`\nCPU time per request (ms, from /proc; ${machine.nproc} cores shared by the server, PostgreSQL and the load generator):\n`);
  console.log(
    table(
      [
        'target',
        'server process',
        'of which kernel',
        'PostgreSQL backends',
        'load generator',
        'total',
        'other load (cores, max)',
        'steal (cores, max)',
      ],
      summary.map((s) => [
        s.t.label,
        fmt(s.cpuServer, 3),
        fmt(s.cpuServerSys, 3),
        fmt(s.cpuPostgres, 3),
        fmt(s.cpuLoad, 3),
        fmt(s.cpuServer + s.cpuPostgres + s.cpuLoad, 3),
        fmt(s.otherCores),
        fmt(s.stealCores),
      ]),
    ),
  );
  const noisy = Math.max(...summary.map((s) => s.otherCores + s.stealCores));
  if (noisy > maxOther)
    console.log(
      `\nWARNING: other processes or virtual machines used up to ${fmt(noisy)} cores during a measurement: the numbers are disturbed; rerun on a quiet machine.`,
    );

  const bare = summary.find((s) => s.t.name === 'bare');
  const barePg = summary.find((s) => s.t.name === 'bare-pg');
  const keel = summary.filter((s) => s.t.name === 'embedded' || s.t.name === 'postgres');
  type Summary = (typeof summary)[number];
  const ratios = (s: Summary, base: Summary) => [
    `${fmt(s.mean / base.mean)}x`,
    `${fmt(s.p50 / base.p50)}x`,
    `${fmt(s.p99 / base.p99)}x`,
    `${fmt(base.reqPerSec / s.reqPerSec)}x`,
    `${fmt(s.cpuServer / base.cpuServer)}x`,
  ];
  const rows: string[][] = [];
  if (bare) {
    for (const s of keel) {
      const ratio = s.mean / bare.mean;
      rows.push([
        `Keel on ${s.t.name} / bare hello-world`,
        ...ratios(s, bare),
        s.t.name === 'postgres' ? (ratio < 2 ? 'met' : 'NOT met') : '(no goal)',
      ]);
    }
  }
  if (barePg) {
    if (bare) rows.push(['context: bare Fastify + pg / bare hello-world', ...ratios(barePg, bare), '']);
    for (const s of keel.filter((k) => k.t.name === 'postgres'))
      rows.push(['context: Keel on postgres / bare Fastify + pg', ...ratios(s, barePg), '']);
  }
  if (rows.length > 0) {
    console.log('\nratios (time per request; the goal: Keel on PostgreSQL under 2.00x the bare hello-world route):\n');
    console.log(table(['ratio', 'mean latency', 'p50', 'p99', 'throughput (inverse)', 'server CPU per request', 'goal < 2x (mean)'], rows));
  }

  if (opts['cpu-prof']) {
    for (const t of targets) await t.proc.stop();
    for (const t of targets) {
      const file = path.join(profDir, `${t.name === 'embedded' || t.name === 'postgres' ? `keel-${t.name}` : t.name}.cpuprofile`);
      if (existsSync(file)) console.log(`\n${t.label}\n${summariseProfile(file, 20, { spansUs: t.spansUs }).text}`);
    }
    console.log(`\nprofiles kept in ${path.relative(process.cwd(), profDir)} (open in Chrome DevTools > Performance)`);
  }
});
