// Sustained POST /v1/batch ingestion (issue 6): events/s, latency, COPY baseline, event to visible.
//
// The real server (`node bin/keel.js serve`, a child process) on a fresh PostgreSQL database and on
// a fresh embedded data folder, loaded with realistic Segment batches of 100 messages:
//
//   npm run bench -- tracking-ingest [--duration 30] [--warmup 5] [--connections 16] [--users 50000]
//       [--known 0.9] [--new 0.05] [--identifies 2] [--rate EVENTS_PER_S] [--db both|pg|embedded]
//       [--embedded] [--templates 400] [--marker-every 1000] [--poll-every 50] [--quiet-wait 60] [--keep-db] [--cpu-prof]
//       [--no-copy] [--sample-pg] [--max-only]
//
// Per database (--db, default both; --embedded is --db embedded):
//   1. A fresh database (or data folder); an admin API key and a source with its write key from the
//      CLI (`keel api-key create`, `keel source create --json`), then the server with KEEL_DEMO=0,
//      LOG_LEVEL=warn and rate limits high enough never to answer 429.
//   2. Pre-identification (timed, for context): every visitor of the pool (--users) is made known
//      through /v1/batch: a --known share as identified users (identify with userId and anonymousId,
//      no email), the rest as anonymous visitors (a page view). Plus one marker user with an email,
//      who becomes a contact.
//   3. Max throughput: autocannon with --connections connections (a comma list runs each) for
//      --warmup s, then --duration s measured. Each batch: 100 messages, --identifies identify calls
//      of known users with an email (they become or update contacts), the rest page views (40%;
//      context.page with url and referrer, some with UTM parameters or a search-engine referrer)
//      and track calls (8 event names, 4-5 properties); --new of the messages come from brand-new
//      anonymous visitors; unique messageIds, context with ip, a real browser userAgent and library.
//      Bodies come from --templates pre-built templates with fresh ids filled in per send (see
//      bench/lib/tracking-batches.ts). Events/s counts what the 200 answers say was stored, checked
//      against `select count(*) from events` (PostgreSQL) or keel_tracking_events_total (embedded).
//   4. Baseline (PostgreSQL, unless --no-copy): the rows the measured run stored, exported to a file,
//      then COPYed (server-side COPY FROM the file, text format) into a copy of the events table in
//      the same database (same columns, checks, partitions, primary key and indexes); rows/s, and
//      ingest / COPY.
//   5. Half load: autocannon at a fixed overall rate (--rate events/s, default the smaller of 10,000
//      and half the measured maximum) for --duration s; p99 batch latency.
//   6. Event to visible: the same half load once more, and every --marker-every ms a batch of 100
//      with one more message, a track call of the marker user; then GET /api/v1/events?limit=50&user=…
//      (the live debugger filtered to that user) and GET /api/v1/contacts/:id/events?limit=100 (the
//      contact's activity) are polled every --poll-every ms (one request of each at a time) until
//      each shows it. Time from sending the batch to seen.
//
// Before each measured run it waits up to --quiet-wait s for the machine to go quiet, then reports
// the CPU the server, PostgreSQL, this process and everything else (other load, and hypervisor
// steal) used during the run: the machine is shared. --cpu-prof runs the servers under
// `node --cpu-prof` and summarises the max-throughput run. --sample-pg samples what the server's
// PostgreSQL connections are doing (pg_stat_activity every 100 ms) during the max-throughput run.
// --keep-db keeps the database and folder. --max-only stops after step 4 (for quick A/B runs of a change).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import pg from 'pg';
import { summariseProfile } from './lib/profile.js';
import { BatchSource, anonIdOf, makeTemplate, rng, userIdOf, visitorPool, type MixOptions, type Template } from './lib/tracking-batches.js';
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
  onCleanup,
  percentile,
  printMachine,
  Proc,
  processCpuMs,
  runBenchmark,
  sleep,
  table,
  waitQuiet,
} from './lib/util.js';

const { values: opts } = parseArgs({
  options: {
    duration: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '5' },
    connections: { type: 'string', default: '16' },
    users: { type: 'string', default: '50000' },
    known: { type: 'string', default: '0.9' },
    new: { type: 'string', default: '0.05' },
    identifies: { type: 'string', default: '2' },
    rate: { type: 'string' },
    db: { type: 'string', default: 'both' },
    embedded: { type: 'boolean', default: false },
    templates: { type: 'string', default: '400' },
    'marker-every': { type: 'string', default: '1000' },
    'poll-every': { type: 'string', default: '50' },
    'quiet-wait': { type: 'string', default: '60' },
    'keep-db': { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    'no-copy': { type: 'boolean', default: false },
    'sample-pg': { type: 'boolean', default: false },
    'max-only': { type: 'boolean', default: false },
  },
});
const duration = Number(opts.duration);
const warmup = Number(opts.warmup);
const connectionList = opts.connections.split(',').map(Number);
const users = Number(opts.users);
const BATCH = Number(process.env.BENCH_BATCH ?? 100);
const GOAL_EVENTS = 20_000;
const GOAL_COPY_SHARE = 0.3;
const GOAL_P99_MS = 250;
const GOAL_VISIBLE_P95_MS = 1000;
const mix: MixOptions = { identifies: Number(opts.identifies), pageShare: 0.4, newShare: Number(opts.new), campaignShare: 0.15 };
const dbs = opts.embedded ? ['embedded'] : opts.db === 'both' ? ['postgres', 'embedded'] : [opts.db === 'pg' ? 'postgres' : opts.db];
for (const d of dbs) if (d !== 'postgres' && d !== 'embedded') throw new Error(`--db must be both, pg or embedded, not ${opts.db}`);
if (connectionList.some((c) => !(c > 0))) throw new Error('--connections must be positive numbers');
const runId = `${process.pid}`;
const profDir = path.join(dataRoot, 'profiles', `tracking-ingest-${runId}`);
const PG = 'postgres://postgres@127.0.0.1:5432';

interface Server {
  kind: 'postgres' | 'embedded';
  origin: string;
  proc: Proc;
  writeKeyHeader: Record<string, string>;
  adminHeader: Record<string, string>;
  dbName?: string;
  dataDir?: string;
  client?: pg.Client;
  spansUs: Array<[number, number]>;
}

interface Disturbance {
  /** Load seen by the last second of the quiet-wait (cores). */
  before: number;
  otherCores: number;
  stealCores: number;
}

interface RunResult {
  label: string;
  connections: number;
  rate: number | null;
  seconds: number;
  ok: number;
  non200: Record<string, number>;
  errors: number;
  timeouts: number;
  stored: number;
  duplicates: number;
  rejected: number;
  /** Rows counted in the database (or the server's counter) before and after the run. */
  counted: number;
  eventsPerSec: number;
  countedPerSec: number;
  p50: number;
  p99: number;
  mean: number;
  max: number;
  cores: { server: number; serverSys: number; pg: number; gen: number };
  /** PostgreSQL backends are separate processes (not for the embedded database, which is in the server). */
  pgCounted: boolean;
  dist: Disturbance;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const fmtInt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');

async function storedCount(s: Server): Promise<number> {
  if (s.client) return Number((await s.client.query<{ n: string }>('select count(*) as n from events')).rows[0]?.n ?? Number.NaN);
  const r = await fetch(`${s.origin}/metrics`);
  const m = /keel_tracking_events_total\{outcome="stored"\} (\d+)/.exec(await r.text());
  return m ? Number(m[1]) : 0;
}

/**
 * The count once batches still in flight when autocannon stopped have committed (autocannon does
 * not read their answers, but the server stores them): two equal readings 300 ms apart.
 */
async function settledCount(s: Server): Promise<number> {
  let last = await storedCount(s);
  for (let i = 0; i < 100; i++) {
    await sleep(300);
    const n = await storedCount(s);
    if (n === last) return n;
    last = n;
  }
  return last;
}

async function startServer(kind: 'postgres' | 'embedded'): Promise<Server> {
  const port = await freePort();
  const base: Record<string, string> = {
    PORT: String(port),
    HOST: '127.0.0.1',
    KEEL_DEMO: '0',
    LOG_LEVEL: 'warn',
    KEEL_API_RATE_LIMIT: '100000000',
    KEEL_TRACK_RATE_LIMIT: '100000000',
  };
  let dbName: string | undefined;
  let dataDir: string | undefined;
  if (kind === 'embedded') {
    dataDir = path.join(dataRoot, `tracking-ingest-${runId}`);
    rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(dataDir, { recursive: true });
    const dir = dataDir;
    if (!opts['keep-db']) onCleanup(() => rmSync(dir, { recursive: true, force: true }));
    base.KEEL_DATA_DIR = dataDir;
  } else {
    dbName = `keel_bench_tracking_${runId}`;
    execFileSync('createdb', ['-h', '127.0.0.1', '-U', 'postgres', dbName], { stdio: 'inherit' });
    const db = dbName;
    if (!opts['keep-db'])
      onCleanup(() => {
        execFileSync('dropdb', ['-h', '127.0.0.1', '-U', 'postgres', '--if-exists', '--force', db], { stdio: 'inherit' });
      });
    base.DATABASE_URL = `${PG}/${dbName}`;
  }
  const env = keelEnv(base);
  const apiKey = (JSON.parse(keelCli(['api-key', 'create', '--name', 'bench', '--role', 'admin', '--json'], env)) as { key: string }).key;
  const source = JSON.parse(keelCli(['source', 'create', '--name', 'Bench', '--json'], env)) as { id: string; writeKey: string };
  const prof = opts['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`, `--cpu-prof-name=keel-${kind}.cpuprofile`] : [];
  const proc = new Proc(`keel serve (${kind})`, process.execPath, [...prof, keelBin, 'serve'], env);
  onCleanup(() => proc.stop());
  const origin = `http://127.0.0.1:${port}`;
  await proc.waitFor200(`${origin}/readyz`, 120_000, 20);
  let client: pg.Client | undefined;
  if (dbName) {
    client = new pg.Client({ connectionString: `${PG}/${dbName}`, application_name: 'bench' });
    await client.connect();
    const c = client;
    onCleanup(() => c.end());
  }
  console.log(
    `${proc.label}: ready on ${origin}${dbName ? `, database ${dbName}` : `, data folder ${path.relative(process.cwd(), dataDir ?? '')}`}`,
  );
  return {
    kind,
    origin,
    proc,
    writeKeyHeader: { authorization: `Basic ${Buffer.from(`${source.writeKey}:`).toString('base64')}` },
    adminHeader: { authorization: `Bearer ${apiKey}` },
    dbName,
    dataDir,
    client,
    spansUs: [],
  };
}

async function postBatch(s: Server, body: string): Promise<{ status: number; json: { stored?: number; rejected?: unknown[] } }> {
  const r = await fetch(`${s.origin}/v1/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...s.writeKeyHeader },
    body,
  });
  const text = await r.text();
  let json: { stored?: number; rejected?: unknown[] } = {};
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    /* reported below */
  }
  if (r.status !== 200) throw new Error(`POST /v1/batch answered ${r.status}: ${text.slice(0, 300)}`);
  return { status: r.status, json };
}

/** Makes every visitor of the pool known through the API; returns the seconds it took. */
async function preIdentify(
  s: Server,
  pool: ReturnType<typeof visitorPool>,
  marker: { userId: string; anonymousId: string; email: string },
) {
  const sentAt = new Date().toISOString();
  const ctx = { library: { name: 'analytics.js', version: 'next-1.74.0' }, ip: '203.0.113.7' };
  const bodies: string[] = [];
  for (let from = 0; from < pool.users; from += BATCH) {
    const batch = [];
    for (let i = from; i < Math.min(pool.users, from + BATCH); i++) {
      batch.push(
        i < pool.identified
          ? {
              type: 'identify',
              messageId: `pre-${pool.tag}-${i}`,
              userId: userIdOf(pool, i),
              anonymousId: anonIdOf(pool, i),
              traits: { plan: i % 3 === 0 ? 'pro' : 'free', name: `Visitor ${i}` },
              context: ctx,
            }
          : {
              type: 'page',
              messageId: `pre-${pool.tag}-${i}`,
              anonymousId: anonIdOf(pool, i),
              name: 'Home',
              properties: { url: 'https://www.acme.example/', path: '/' },
              context: { ...ctx, page: { url: 'https://www.acme.example/', path: '/', referrer: '' } },
            },
      );
    }
    bodies.push(JSON.stringify({ batch, sentAt }));
  }
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++] ?? '';
        const r = await postBatch(s, body);
        if (r.json.rejected?.length) throw new Error(`pre-identification: rejected ${JSON.stringify(r.json.rejected).slice(0, 300)}`);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  await postBatch(
    s,
    JSON.stringify({
      batch: [
        { type: 'identify', userId: marker.userId, anonymousId: marker.anonymousId, traits: { email: marker.email, firstName: 'Marker' } },
      ],
    }),
  );
  const r = await httpJson('GET', `${s.origin}/api/v1/contacts?email=${encodeURIComponent(marker.email)}`, { headers: s.adminHeader });
  const contactId = (r.json as { data?: Array<{ id: string }> }).data?.[0]?.id;
  if (!contactId) throw new Error(`the marker user did not become a contact: ${JSON.stringify(r.json).slice(0, 300)}`);
  return { seconds, contactId };
}

interface LoadOptions {
  label: string;
  seconds: number;
  connections: number;
  /** batches per second over all connections (autocannon overallRate); none = as fast as possible. */
  rate?: number;
  source: BatchSource;
  measure: boolean;
  during?: (stop: { stopped: boolean }) => Promise<void>;
}

function autocannonRun(s: Server, o: LoadOptions) {
  return new Promise<{
    result: autocannon.Result;
    lat: number[];
    stored: number;
    duplicates: number;
    rejected: number;
    codes: Map<number, number>;
  }>((resolve, reject) => {
    const lat: number[] = [];
    const codes = new Map<number, number>();
    let stored = 0;
    let duplicates = 0;
    let rejected = 0;
    const instance = autocannon(
      {
        url: s.origin,
        connections: o.connections,
        duration: o.seconds,
        ...(o.rate && { overallRate: o.rate }),
        timeout: 30,
        requests: [
          {
            method: 'POST',
            path: '/v1/batch',
            headers: { 'content-type': 'application/json', ...s.writeKeyHeader },
            setupRequest: (req) => ({ ...req, body: o.source.body() }),
            onResponse: (status: number, body: string) => {
              codes.set(status, (codes.get(status) ?? 0) + 1);
              if (status !== 200) return;
              const j = JSON.parse(body) as { stored: number; duplicates: number; rejected?: unknown[] };
              stored += j.stored;
              duplicates += j.duplicates;
              rejected += j.rejected?.length ?? 0;
            },
          },
        ],
      },
      (err: unknown, result: autocannon.Result) => {
        if (err) return reject(err instanceof Error ? err : new Error(String(err)));
        resolve({ result, lat, stored, duplicates, rejected, codes });
      },
    );
    instance.on('response', (_c, statusCode, _b, responseTime) => {
      if (statusCode === 200) lat.push(responseTime);
    });
  });
}

async function load(s: Server, o: LoadOptions): Promise<RunResult> {
  let before = Number.NaN;
  if (o.measure) {
    before = await waitQuiet(Number(opts['quiet-wait']));
  }
  const countBefore = await storedCount(s);
  const pgCpu = () => (s.dbName ? cpuByProcess('postgres', s.dbName) : new Map<number, number>());
  const b = {
    server: processCpuMs(s.proc.child.pid),
    pg: pgCpu(),
    gen: process.cpuUsage(),
    machine: machineBusyMs(),
    steal: machineStealMs(),
    at: performance.now(),
  };
  const fromUs = Number(process.hrtime.bigint() / 1000n);
  const flag = { stopped: false };
  const side = o.during?.(flag);
  const run = await autocannonRun(s, o);
  flag.stopped = true;
  await side;
  if (o.measure) s.spansUs.push([fromUs, Number(process.hrtime.bigint() / 1000n)]);
  const wallMs = performance.now() - b.at;
  const gen = process.cpuUsage(b.gen);
  const serverAfter = processCpuMs(s.proc.child.pid);
  const cpu = {
    server: serverAfter.user + serverAfter.sys - b.server.user - b.server.sys,
    serverSys: serverAfter.sys - b.server.sys,
    pg: cpuDelta(b.pg, pgCpu()),
    gen: (gen.user + gen.system) / 1000,
  };
  const others = machineBusyMs() - b.machine - cpu.server - cpu.pg - cpu.gen;
  const countAfter = await settledCount(s);
  if (!s.proc.running) throw new Error(`${s.proc.label} exited during the run\n${s.proc.tail()}`);
  const lat = Float64Array.from(run.lat).sort();
  const seconds = run.result.duration;
  const non200: Record<string, number> = {};
  for (const [code, n] of run.codes) if (code !== 200) non200[String(code)] = n;
  return {
    label: o.label,
    connections: o.connections,
    rate: o.rate ?? null,
    seconds,
    ok: run.codes.get(200) ?? 0,
    non200,
    errors: run.result.errors,
    timeouts: run.result.timeouts,
    stored: run.stored,
    duplicates: run.duplicates,
    rejected: run.rejected,
    counted: countAfter - countBefore,
    eventsPerSec: run.stored / seconds,
    countedPerSec: (countAfter - countBefore) / seconds,
    p50: percentile(lat, 50),
    p99: percentile(lat, 99),
    mean: sum(run.lat) / run.lat.length,
    max: lat[lat.length - 1] ?? Number.NaN,
    cores: { server: cpu.server / wallMs, serverSys: cpu.serverSys / wallMs, pg: cpu.pg / wallMs, gen: cpu.gen / wallMs },
    pgCounted: Boolean(s.dbName),
    dist: { before, otherCores: Math.max(0, others) / wallMs, stealCores: (machineStealMs() - b.steal) / wallMs },
  };
}

function printRun(r: RunResult): void {
  const bad = Object.entries(r.non200)
    .map(([c, n]) => `${n}x ${c}`)
    .join(', ');
  console.log(
    `  ${r.label}: ${fmtInt(r.eventsPerSec)} events/s stored (${fmtInt(r.countedPerSec)}/s counted), ${r.ok} batches 200${bad ? `, ${bad}` : ''}` +
      `${r.errors || r.timeouts ? `, ${r.errors} errors, ${r.timeouts} timeouts` : ''}; p50 ${fmt(r.p50)} ms, p99 ${fmt(r.p99)} ms; ` +
      `server ${fmt(r.cores.server)} cores, PostgreSQL ${r.pgCounted ? fmt(r.cores.pg) : '-'}, load generator ${fmt(r.cores.gen)}, other ${fmt(r.dist.otherCores)}, steal ${fmt(r.dist.stealCores)}`,
  );
}

interface CopyResult {
  rows: number;
  seconds: number;
  rowsPerSec: number;
  pgCores: number;
  dist: Disturbance;
  bytes: number;
}

/**
 * COPY of the rows `tag`'s run stored into a copy of the events table (same columns, checks,
 * partitions, primary key and indexes) in the same database. Both COPYs are server-side files
 * (text format), run on the benchmark's own connection, so the backend's CPU can be measured and
 * no client program sits in the way: PostgreSQL's own speed at writing these rows.
 */
async function copyBaseline(s: Server, tag: string): Promise<CopyResult> {
  const client = s.client;
  if (!client || !s.dbName) throw new Error('COPY needs PostgreSQL');
  const file = `/tmp/keel-bench-tracking-copy-${runId}.tsv`;
  onCleanup(() => rmSync(file, { force: true }));
  await client.query(`copy (select * from events where left(message_id, ${tag.length + 1}) = '${tag}-') to '${file}'`);
  const parts = await client.query<{ name: string; bound: string }>(
    `select c.relname as name, pg_get_expr(c.relpartbound, c.oid) as bound from pg_inherits i join pg_class c on c.oid = i.inhrelid
     where i.inhparent = 'events'::regclass order by 1`,
  );
  await client.query('drop table if exists bench_events_copy');
  await client.query('create table bench_events_copy (like events including defaults including constraints) partition by range (ts)');
  for (const p of parts.rows) await client.query(`create table bench_${p.name}_copy partition of bench_events_copy ${p.bound}`);
  await client.query('alter table bench_events_copy add primary key (id, ts)');
  await client.query('create index on bench_events_copy (profile_id, ts desc, id desc)');
  await client.query('create index on bench_events_copy (workspace_id, received_at desc)');
  const before = await waitQuiet(Number(opts['quiet-wait']));
  const pgCpu = () => cpuByProcess('postgres', s.dbName);
  const b = { pg: pgCpu(), machine: machineBusyMs(), steal: machineStealMs(), at: performance.now(), self: process.cpuUsage() };
  const copied = await client.query(`copy bench_events_copy from '${file}'`);
  const ms = performance.now() - b.at;
  const pgMs = cpuDelta(b.pg, pgCpu());
  const self = process.cpuUsage(b.self);
  const others = machineBusyMs() - b.machine - pgMs - (self.user + self.system) / 1000;
  const rows = copied.rowCount ?? 0;
  const bytes = statSync(file).size;
  await client.query('drop table bench_events_copy');
  rmSync(file, { force: true });
  return {
    rows,
    seconds: ms / 1000,
    rowsPerSec: rows / (ms / 1000),
    pgCores: pgMs / ms,
    bytes,
    dist: { before, otherCores: Math.max(0, others) / ms, stealCores: (machineStealMs() - b.steal) / ms },
  };
}

interface Visible {
  ack: number[];
  /** Events the marker batches stored (each: a batch of 100 plus the marker). */
  stored: number;
  debugger: number[];
  profile: number[];
  missed: number;
  pollDebugger: number[];
  pollProfile: number[];
}

/** Marker events during a run: from sending the batch to seen in the debugger and on the contact. */
function markers(s: Server, src: BatchSource, marker: { userId: string; anonymousId: string; contactId: string }, out: Visible) {
  return async (flag: { stopped: boolean }) => {
    await sleep(1000);
    for (let k = 0; !flag.stopped; k++) {
      const slot = performance.now();
      const messageId = `marker-${runId}-${s.kind}-${k}`;
      const m = JSON.stringify({
        type: 'track',
        event: 'Bench Marker',
        messageId,
        userId: marker.userId,
        anonymousId: marker.anonymousId,
        timestamp: new Date().toISOString(),
        properties: { k },
        context: { ip: '203.0.113.9', library: { name: 'analytics.js', version: 'next-1.74.0' } },
      });
      const body = `{"batch":[${m},${src.body().slice('{"batch":['.length)}`;
      const t0 = performance.now();
      out.stored += (await postBatch(s, body)).json.stored ?? 0;
      out.ack.push(performance.now() - t0);
      let dbg = Number.NaN;
      let prof = Number.NaN;
      const deadline = t0 + 10_000;
      while ((Number.isNaN(dbg) || Number.isNaN(prof)) && performance.now() < deadline) {
        const poll = async (url: string, times: number[]) => {
          const p0 = performance.now();
          const r = await fetch(url, { headers: s.adminHeader });
          const text = await r.text();
          times.push(performance.now() - p0);
          if (r.status !== 200) throw new Error(`GET ${url} answered ${r.status}: ${text.slice(0, 200)}`);
          return text.includes(`"${messageId}"`);
        };
        const [a, c] = await Promise.all([
          Number.isNaN(dbg)
            ? poll(`${s.origin}/api/v1/events?limit=50&user=${encodeURIComponent(marker.userId)}`, out.pollDebugger)
            : Promise.resolve(false),
          Number.isNaN(prof)
            ? poll(`${s.origin}/api/v1/contacts/${marker.contactId}/events?limit=100`, out.pollProfile)
            : Promise.resolve(false),
        ]);
        if (a) dbg = performance.now() - t0;
        if (c) prof = performance.now() - t0;
        if (Number.isNaN(dbg) || Number.isNaN(prof)) await sleep(Number(opts['poll-every']));
      }
      if (Number.isNaN(dbg) || Number.isNaN(prof)) out.missed++;
      if (!Number.isNaN(dbg)) out.debugger.push(dbg);
      if (!Number.isNaN(prof)) out.profile.push(prof);
      const wait = Number(opts['marker-every']) - (performance.now() - slot);
      if (wait > 0) await sleep(wait);
    }
  };
}

/** What the server's PostgreSQL connections are doing, sampled every 100 ms until stopped. */
function samplePg(s: Server, out: Map<string, number>) {
  return async (flag: { stopped: boolean }) => {
    const client = new pg.Client({ connectionString: `${PG}/${s.dbName ?? ''}`, application_name: 'bench-sampler' });
    await client.connect();
    try {
      while (!flag.stopped) {
        const r = await client.query<{ k: string }>(
          `select coalesce(wait_event_type || ':' || wait_event, 'on CPU') || ' | ' || state || ' | ' ||
             left(regexp_replace(query, '\\s+', ' ', 'g'), 70) as k
           from pg_stat_activity where datname = current_database() and application_name = 'keel'`,
        );
        for (const row of r.rows) out.set(row.k, (out.get(row.k) ?? 0) + 1);
        await sleep(100);
      }
    } finally {
      await client.end();
    }
  };
}

const pct = (xs: number[], p: number) => percentile(Float64Array.from(xs).sort(), p);

interface TargetReport {
  kind: string;
  preSeconds: number;
  maxRuns: RunResult[];
  best: RunResult;
  copy?: CopyResult;
  half: RunResult;
  marked: RunResult;
  visible: Visible;
  finalCount: number;
  expectedCount: number;
}

async function runTarget(
  kind: 'postgres' | 'embedded',
  templates: Template[],
  pool: ReturnType<typeof visitorPool>,
): Promise<TargetReport> {
  console.log(`\n== ${kind === 'postgres' ? 'PostgreSQL' : 'embedded (PGlite)'} ==`);
  const s = await startServer(kind);
  const marker = { userId: `marker-user-${pool.tag}`, anonymousId: `marker-anon-${pool.tag}`, email: `marker.${pool.tag}@example.com` };
  const pre = await preIdentify(s, pool, marker);
  console.log(
    `  pre-identification: ${pool.users} visitors (${pool.identified} identified) in ${fmt(pre.seconds, 1)} s (${fmtInt(pool.users / pre.seconds)} new visitors/s, 4 connections)`,
  );
  let expected = await storedCount(s);
  const maxRuns: RunResult[] = [];
  let phase = 0;
  for (const c of connectionList) {
    const tag = `${pool.tag}${kind[0]}${++phase}`;
    const src = new BatchSource(templates, tag);
    if (warmup > 0) {
      const w = await load(s, { label: `warm-up, ${c} connections`, seconds: warmup, connections: c, source: src, measure: false });
      expected += w.stored;
    }
    const samples = new Map<string, number>();
    const r = await load(s, {
      label: `max, ${c} connections`,
      seconds: duration,
      connections: c,
      source: src,
      measure: true,
      ...(opts['sample-pg'] && s.dbName && { during: samplePg(s, samples) }),
    });
    if (samples.size) {
      const total = sum([...samples.values()]);
      console.log(`  what the server's PostgreSQL connections were doing (${total} samples, every 100 ms):`);
      for (const [k, n] of [...samples].sort((a, b) => b[1] - a[1]).slice(0, 15))
        console.log(`    ${fmt((100 * n) / total, 1).padStart(5)}%  ${k}`);
    }
    (r as RunResult & { tag: string }).tag = tag;
    expected += r.stored;
    printRun(r);
    maxRuns.push(r);
  }
  const best = maxRuns.reduce((a, b) => (b.eventsPerSec > a.eventsPerSec ? b : a));
  let copy: CopyResult | undefined;
  if (kind === 'postgres' && !opts['no-copy']) {
    copy = await copyBaseline(s, (best as RunResult & { tag: string }).tag);
    console.log(
      `  COPY baseline: ${copy.rows} rows in ${fmt(copy.seconds, 2)} s = ${fmtInt(copy.rowsPerSec)} rows/s (PostgreSQL ${fmt(copy.pgCores)} cores, other ${fmt(copy.dist.otherCores)}, steal ${fmt(copy.dist.stealCores)})`,
    );
  }
  if (opts['max-only']) {
    const none: Visible = { ack: [], stored: 0, debugger: [], profile: [], missed: 0, pollDebugger: [], pollProfile: [] };
    const finalCount = s.client ? await storedCount(s) : expected;
    if (!s.client || opts['cpu-prof']) await s.proc.stop();
    printProfile(s, kind, maxRuns.length);
    return {
      kind,
      preSeconds: pre.seconds,
      maxRuns,
      best,
      copy,
      half: best,
      marked: best,
      visible: none,
      finalCount,
      expectedCount: expected,
    };
  }
  const rateEvents = opts.rate ? Number(opts.rate) : Math.min(GOAL_EVENTS / 2, best.eventsPerSec / 2);
  const rate = Math.max(1, Math.round(rateEvents / BATCH));
  // The p99 goal is measured on the load alone; the markers then run on a second, identical load,
  // because their polling (two API reads every --poll-every ms) is work the server does too.
  const half = await load(s, {
    label: `fixed rate ${fmtInt(rate * BATCH)} events/s`,
    seconds: duration,
    connections: best.connections,
    rate,
    source: new BatchSource(templates, `${pool.tag}${kind[0]}h`),
    measure: true,
  });
  expected += half.stored;
  printRun(half);
  const markedSrc = new BatchSource(templates, `${pool.tag}${kind[0]}v`);
  const visible: Visible = { ack: [], stored: 0, debugger: [], profile: [], missed: 0, pollDebugger: [], pollProfile: [] };
  const marked = await load(s, {
    label: `fixed rate ${fmtInt(rate * BATCH)} events/s with markers`,
    seconds: duration,
    connections: best.connections,
    rate,
    source: markedSrc,
    measure: true,
    during: markers(s, markedSrc, { ...marker, contactId: pre.contactId }, visible),
  });
  expected += marked.stored + visible.stored;
  printRun(marked);
  console.log(
    `  event to visible (${visible.debugger.length} markers, ${visible.missed} not seen within 10 s): debugger p50 ${fmt(pct(visible.debugger, 50), 0)} ms, p95 ${fmt(pct(visible.debugger, 95), 0)} ms; profile p50 ${fmt(pct(visible.profile, 50), 0)} ms, p95 ${fmt(pct(visible.profile, 95), 0)} ms`,
  );
  let finalCount: number;
  if (s.client) finalCount = await storedCount(s);
  else {
    await s.proc.stop();
    const { PGlite } = await import('@electric-sql/pglite');
    const lite = await PGlite.create(path.join(s.dataDir ?? '', 'pgdata'));
    finalCount = Number((await lite.query<{ n: number }>('select count(*)::int as n from events')).rows[0]?.n);
    await lite.close();
  }
  if (opts['cpu-prof']) await s.proc.stop();
  printProfile(s, kind, maxRuns.length);
  return { kind, preSeconds: pre.seconds, maxRuns, best, copy, half, marked, visible, finalCount, expectedCount: expected };
}

/** With --cpu-prof, the stopped server's profile over its first `runs` measured spans. */
function printProfile(s: Server, kind: string, runs: number): void {
  if (!opts['cpu-prof']) return;
  const file = path.join(profDir, `keel-${kind}.cpuprofile`);
  if (existsSync(file))
    console.log(`\n${s.proc.label}, measured runs\n${summariseProfile(file, 25, { spansUs: s.spansUs.slice(0, runs) }).text}`);
}

runBenchmark(async () => {
  const machine = machineInfo();
  console.log('tracking-ingest: sustained POST /v1/batch (100 messages per batch), issue 6');
  printMachine(machine);
  if (opts['cpu-prof']) console.log('NOTE: --cpu-prof is on: the servers run under the V8 profiler, so they are slower than normal.\n');
  ensureServerBuilt();
  const pool = visitorPool(users, Number(opts.known), `b${runId}`);
  const r = rng(6);
  const templates = Array.from({ length: Number(opts.templates) }, () => makeTemplate(pool, mix, BATCH, r));
  const types: Record<string, number> = {};
  for (const t of templates) for (const [k, v] of Object.entries(t.types)) types[k] = (types[k] ?? 0) + v;
  const newPerBatch = sum(templates.map((t) => t.holes.filter((h) => h === 'n').length)) / templates.length;
  const bytes = sum(templates.map((t) => sum(t.parts.map((p) => p.length)) + t.holes.length * 20)) / templates.length;
  console.log(
    `traffic: ${templates.length} templates of ${BATCH} messages, about ${fmtInt(bytes)} bytes each; per batch on average ` +
      Object.entries(types)
        .map(([k, v]) => `${fmt(v / templates.length, 1)} ${k}`)
        .join(', ') +
      `; ${fmt(newPerBatch, 1)} from new anonymous visitors; pool ${pool.users} visitors, ${pool.identified} identified`,
  );
  console.log(
    `load: autocannon, ${connectionList.join(' / ')} connections, ${warmup} s warm-up then ${duration} s measured; half load at ${opts.rate ? `${opts.rate} events/s` : 'min(10,000, max/2) events/s'}`,
  );

  const reports: TargetReport[] = [];
  for (const kind of dbs) reports.push(await runTarget(kind as 'postgres' | 'embedded', templates, pool));

  console.log('\nmax throughput (each run after its warm-up; cores = CPU time / wall time):\n');
  console.log(
    table(
      [
        'database',
        'connections',
        'events/s (200 answers)',
        'events/s (counted)',
        'batches 200',
        'other answers',
        'p50 ms',
        'p99 ms',
        'server cores',
        'PostgreSQL cores',
        'load gen cores',
        'other / steal cores',
      ],
      reports.flatMap((t) =>
        t.maxRuns.map((r) => [
          t.kind,
          String(r.connections),
          fmtInt(r.eventsPerSec),
          fmtInt(r.countedPerSec),
          String(r.ok),
          Object.entries(r.non200)
            .map(([c, n]) => `${n}x ${c}`)
            .join(' ') || '0',
          fmt(r.p50),
          fmt(r.p99),
          fmt(r.cores.server),
          t.kind === 'postgres' ? fmt(r.cores.pg) : '-',
          fmt(r.cores.gen),
          `${fmt(r.dist.otherCores)} / ${fmt(r.dist.stealCores)}`,
        ]),
      ),
    ),
  );
  if (opts['max-only']) {
    for (const t of reports)
      if (t.copy) console.log(`\n${t.kind}: ingest / COPY = ${fmt((100 * t.best.eventsPerSec) / t.copy.rowsPerSec, 1)}%`);
    return;
  }
  console.log('\nhalf load (fixed rate), alone and with the event-to-visible markers polling:\n');
  console.log(
    table(
      [
        'database',
        'target events/s',
        'events/s stored',
        'p50 ms',
        'p99 ms',
        'max ms',
        'server cores',
        'PostgreSQL cores',
        'other / steal cores',
      ],
      reports.flatMap((t) =>
        [t.half, t.marked].map((r, k) => [
          `${t.kind}${k ? ', markers polling' : ''}`,
          fmtInt((r.rate ?? 0) * BATCH),
          fmtInt(r.eventsPerSec),
          fmt(r.p50),
          fmt(r.p99),
          fmt(r.max),
          fmt(r.cores.server),
          t.kind === 'postgres' ? fmt(r.cores.pg) : '-',
          `${fmt(r.dist.otherCores)} / ${fmt(r.dist.stealCores)}`,
        ]),
      ),
    ),
  );
  console.log('\nevent to visible (ms from sending the batch; markers during the half load):\n');
  console.log(
    table(
      [
        'database',
        'markers',
        'not seen in 10 s',
        '200 p50',
        'debugger p50',
        'debugger p95',
        'profile p50',
        'profile p95',
        'debugger poll p50 / p95',
        'profile poll p50 / p95',
      ],
      reports.map((t) => [
        t.kind,
        String(t.visible.ack.length),
        String(t.visible.missed),
        fmt(pct(t.visible.ack, 50), 0),
        fmt(pct(t.visible.debugger, 50), 0),
        fmt(pct(t.visible.debugger, 95), 0),
        fmt(pct(t.visible.profile, 50), 0),
        fmt(pct(t.visible.profile, 95), 0),
        `${fmt(pct(t.visible.pollDebugger, 50), 1)} / ${fmt(pct(t.visible.pollDebugger, 95), 1)}`,
        `${fmt(pct(t.visible.pollProfile, 50), 1)} / ${fmt(pct(t.visible.pollProfile, 95), 1)}`,
      ]),
    ),
  );
  console.log('\nevents in the database at the end against what the 200 answers said was stored:');
  for (const t of reports)
    console.log(
      `  ${t.kind}: ${t.finalCount} rows, ${t.expectedCount} acknowledged by the 200 answers read` +
        (t.finalCount >= t.expectedCount
          ? ` (+${t.finalCount - t.expectedCount}: batches in flight when autocannon stopped, stored without their answer being read)`
          : ' -- ACKNOWLEDGED EVENTS MISSING'),
    );

  console.log('\ngoals (issue 6):\n');
  const rows: string[][] = [];
  for (const t of reports) {
    rows.push([
      t.kind,
      `≥ ${fmtInt(GOAL_EVENTS)} events/s`,
      fmtInt(t.best.eventsPerSec),
      t.best.eventsPerSec >= GOAL_EVENTS ? 'met' : 'NOT met',
    ]);
    if (t.copy) {
      const share = t.best.eventsPerSec / t.copy.rowsPerSec;
      rows.push([
        t.kind,
        `≥ 30% of COPY (${fmtInt(t.copy.rowsPerSec)} rows/s)`,
        `${fmt(100 * share, 1)}%`,
        share >= GOAL_COPY_SHARE ? 'met' : 'NOT met',
      ]);
    }
    const full = (t.half.rate ?? 0) * BATCH >= GOAL_EVENTS / 2;
    rows.push([
      t.kind,
      `p99 < ${GOAL_P99_MS} ms at ${fmtInt(GOAL_EVENTS / 2)} events/s`,
      `${fmt(t.half.p99)} ms at ${fmtInt(t.half.eventsPerSec)} events/s`,
      t.half.p99 < GOAL_P99_MS ? (full ? 'met' : 'met at the lower rate') : 'NOT met',
    ]);
    const p95 = Math.max(pct(t.visible.debugger, 95), pct(t.visible.profile, 95));
    rows.push([
      t.kind,
      `event to visible p95 < ${GOAL_VISIBLE_P95_MS} ms`,
      `${fmt(p95, 0)} ms`,
      p95 < GOAL_VISIBLE_P95_MS && t.visible.missed === 0 ? 'met' : 'NOT met',
    ]);
  }
  console.log(table(['database', 'goal', 'measured', ''], rows));
  const noisy = Math.max(...reports.flatMap((t) => [...t.maxRuns, t.half, t.marked].map((r) => r.dist.otherCores + r.dist.stealCores)));
  if (noisy > 0.2)
    console.log(`\nWARNING: others used up to ${fmt(noisy)} cores during a measurement (other load + steal): the numbers are disturbed.`);
});
