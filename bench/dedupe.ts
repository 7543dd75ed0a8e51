// Duplicate detection (issue 5): pairwise precision/recall of a full scan on seeded labelled duplicates, and a 1M-contact scan's time and peak RSS.
//
//   npm run bench -- dedupe [--records 100000] [--big 1000000] [--seed 1] [--dup-share 0.12]
//                           [--hard-negatives 0.02] [--kinds issue|all] [--skip-small] [--skip-big] [--skip-em]
//                           [--em-sample 20000] [--examples 2] [--keep-db] [--db NAME] [--big-db NAME]
//                           [--quiet-wait 60] [--cpu-prof]
//
// The data (bench/lib/dedupe-data.ts): seeded people with 12% of them written 2-4 times (typos,
// nicknames, swapped names, other email domains or addresses, email typos, missing fields, phones
// written nationally...) and hard negatives (colleagues at the same company with the same full,
// last or first name). Ground truth (each record's person) stays in this process.
//
// Each size gets a new PostgreSQL database, migrated by openRuntime, one workspace (createWorkspace)
// and the records COPYed into contacts (psql \copy) with the values the product would store: each
// record goes through normaliseRecordInput (phone in E.164, country as ISO code, names; raw values
// and quality facts kept) as the API and the import do. The insert trigger queues every row for the
// incremental matcher; the queue is emptied after loading (the matcher would have worked through
// it), then VACUUM ANALYZE contacts (autovacuum is off on the benchmark machine).
//
// Scans run as a child process (this file with --child-scan, through tsx), which opens the runtime,
// calls startScan then scanAndMerge (what `keel dedupe scan` runs: runScan, then auto-merges, off by
// default) and reports the phases from runScan's progress callback, its CPU, and its peak RSS
// (process.resourceUsage().maxRSS) and RSS sampled every 100 ms per phase. The parent measures the
// CPU of the database's PostgreSQL backends and what everyone else on the machine used meanwhile.
//
// --records (default 100k): the scan with reviewThreshold lowered to 0.5 (updateSettings), so pairs
// down to 0.5 are stored; pairwise precision, recall and F1 against the truth at the default review
// threshold (DEFAULT_SETTINGS.reviewThreshold, 0.75; 0.8 until 2026-12-04)
// and the curve over 0.5-0.99; the misses by corruption kind (not a candidate: no shared blocking
// key, or only keys in blocks over maxBlockSize; or scored too low), the false pairs by kind, and
// the best any weights could do with the engine's comparison levels (the candidates recomputed here,
// grouped by their vector of field levels and ranked by their share of true pairs: fitted to the
// truth, an upper bound). Then
// the scan again at the default settings (time, and the same pairs at >= the default). Then (unless
// --skip-em) estimateWeights over --em-sample candidate pairs, saved with updateSettings({ model }),
// and the 0.5 scan and figures again with those weights.
// --big (default 1M): one scan at the default settings: wall time and phases, candidate pairs,
// peak RSS, precision and recall at the default threshold.
// Baselines, each size, in the same run: COPY of the rows into contacts (the load itself); a COPY
// (SELECT the columns the scan reads ... ORDER BY id) TO STDOUT of all rows (what reading them costs
// the database); CREATE TABLE AS a self-join of contacts on the email's mailbox (split_part(email,
// '@', 1)): blocking on one key done entirely in SQL.
//
// --cpu-prof runs the scan processes under `node --cpu-prof` and prints where their CPU went.
// --keep-db keeps the databases (named in the output); --db NAME / --big-db NAME reuse them: the
// data is generated again (same seed: the same records and ids) for the truth, not loaded.
// Goals (issue 5): precision and recall both >= 0.97 at 100k; a 1M full scan under 120 s with peak
// RSS under 1 GB, on PostgreSQL.
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { cliActor } from '../src/platform/actor.js';
import { systemClock } from '../src/platform/clock.js';
import { loadConfig } from '../src/platform/config.js';
import type { Db } from '../src/platform/db/database.js';
import { openRuntime, type Runtime } from '../src/platform/runtime.js';
import { createWorkspace } from '../src/modules/workspaces/workspaces.service.js';
import { scanAndMerge } from '../src/modules/dedupe/dedupe.jobs.js';
import { estimateWeights, loadMatchRecords, startScan, type ScanProgress } from '../src/modules/dedupe/detect.service.js';
import {
  blockingKeys,
  compare,
  DEFAULT_MODELS,
  levelWeight,
  score,
  type Level,
  type MatchModel,
  type MatchRecord,
  type Reason,
} from '../src/modules/dedupe/matching.js';
import { DEFAULT_SETTINGS, getSettings, updateSettings } from '../src/modules/dedupe/settings.js';
import { PgCpu, createDatabase, databaseExists, PG_ADMIN_URL, psql } from './lib/contacts-db.js';
import { summariseProfile } from './lib/profile.js';
import {
  COPY_COLUMNS,
  DEFAULT_DATA_OPTIONS,
  HARD_NEGATIVES,
  KINDS,
  copyLine,
  entityGroups,
  generateDedupeData,
  kindsOf,
  LIFE_CHANGE_KINDS,
  truePairCount,
  type DedupeData,
} from './lib/dedupe-data.js';
import {
  dataRoot,
  fmt,
  keelEnv,
  machineBusyMs,
  machineInfo,
  machineStealMs,
  onCleanup,
  printMachine,
  Proc,
  quietCheck,
  root,
  runBenchmark,
  sleep,
  table,
  waitQuiet,
} from './lib/util.js';

const { values: opts } = parseArgs({
  options: {
    records: { type: 'string', default: '100000' },
    big: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: String(DEFAULT_DATA_OPTIONS.seed) },
    'dup-share': { type: 'string', default: String(DEFAULT_DATA_OPTIONS.dupShare) },
    'hard-negatives': { type: 'string', default: String(DEFAULT_DATA_OPTIONS.hardNegativeShare) },
    kinds: { type: 'string', default: 'issue' },
    'skip-small': { type: 'boolean', default: false },
    'skip-big': { type: 'boolean', default: false },
    'skip-em': { type: 'boolean', default: false },
    'em-sample': { type: 'string', default: '20000' },
    examples: { type: 'string', default: '2' },
    'keep-db': { type: 'boolean', default: false },
    db: { type: 'string' },
    'big-db': { type: 'string' },
    'quiet-wait': { type: 'string', default: '60' },
    'cpu-prof': { type: 'boolean', default: false },
    'child-scan': { type: 'boolean', default: false },
  },
});

const WORKSPACE = 'Bench Dedupe';
const GOAL_PR = 0.97;
const GOAL_SCAN_S = 120;
const GOAL_RSS_MB = 1024;
/** The default review threshold: where precision and recall are measured. */
const T = DEFAULT_SETTINGS.reviewThreshold;
const THRESHOLDS = [...new Set([0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.97, 0.98, 0.99, T])].sort((a, b) => a - b);
const quietWaitS = Number(opts['quiet-wait']);
const examples = Number(opts.examples);

// ---- the scan, in a child process ------------------------------------------------------------

const CHILD_TAG = 'DEDUPE-SCAN ';

/** Child mode: one full scan of workspace DEDUPE_WS, reporting as tagged JSON lines on stdout. */
async function childScan(): Promise<void> {
  const ws = process.env.DEDUPE_WS ?? '';
  const emit = (o: object) => process.stdout.write(`${CHILD_TAG}${JSON.stringify(o)}\n`);
  const rt = await openRuntime(loadConfig(process.env), { migrate: false });
  try {
    const ctx = { db: rt.handle.db, clock: systemClock };
    const rssBefore = process.memoryUsage.rss();
    const cpu0 = process.cpuUsage();
    const scan = await startScan(ctx, cliActor(ws), 'contact');
    const t0 = performance.now();
    let phase = 'setup';
    const cpuNow = () => {
      const c = process.cpuUsage(cpu0);
      return (c.user + c.system) / 1000;
    };
    const phases = new Map<string, { first: number; last: number; rssMax: number; cpuFirst: number; cpuLast: number }>([
      ['setup', { first: 0, last: 0, rssMax: rssBefore, cpuFirst: cpuNow(), cpuLast: cpuNow() }],
    ]);
    const sampler = setInterval(() => {
      const p = phases.get(phase);
      if (p) p.rssMax = Math.max(p.rssMax, process.memoryUsage.rss());
    }, 100);
    let lastEmit = 0;
    const result = await scanAndMerge(ctx, ws, scan.id, (p: ScanProgress) => {
      const t = performance.now() - t0;
      let ph = phases.get(p.phase);
      if (!ph) {
        ph = { first: t, last: t, rssMax: process.memoryUsage.rss(), cpuFirst: cpuNow(), cpuLast: cpuNow() };
        phases.set(p.phase, ph);
        phase = p.phase;
        emit({ t, phase: p.phase, done: p.done, total: p.total });
        lastEmit = t;
      }
      ph.last = t;
      ph.cpuLast = cpuNow();
      if (t - lastEmit > 10_000) {
        emit({ t, phase: p.phase, done: p.done, total: p.total });
        lastEmit = t;
      }
    });
    const wallMs = performance.now() - t0;
    clearInterval(sampler);
    const cpu = process.cpuUsage(cpu0);
    emit({
      result,
      wallMs,
      phases: [...phases].map(([name, p]) => ({
        name,
        first: p.first,
        last: p.last,
        rssMaxMb: p.rssMax / 2 ** 20,
        cpuFirst: p.cpuFirst,
        cpuLast: p.cpuLast,
      })),
      rssBeforeMb: rssBefore / 2 ** 20,
      maxRssMb: process.resourceUsage().maxRSS / 1024,
      cpuMs: { user: cpu.user / 1000, sys: cpu.system / 1000 },
    });
  } finally {
    await rt.handle.close();
    await rt.release();
  }
}

interface ScanRun {
  label: string;
  wallMs: number;
  stats: { records: number; keys: number; candidates: number; pairs: number; dropped: number; durationMs: number };
  /** Per phase: wall, the scan process's CPU, the PostgreSQL backends' CPU (as seen from here, within 250 ms). */
  phases: Array<{ name: string; ms: number; rssMaxMb: number; cpuMs: number; pgMs: number | null }>;
  rssBeforeMb: number;
  maxRssMb: number;
  cpuMs: { user: number; sys: number };
  pgCpuMs: number;
  otherCores: number;
  stealCores: number;
  loadavg: string[];
}

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** Runs one full scan in a child process; its figures and the machine's meanwhile. */
async function runScanChild(b: Backend, label: string): Promise<ScanRun> {
  await waitQuiet(quietWaitS);
  const load = [loadavg()];
  const pgCpu = new PgCpu(b.dbName);
  const busy0 = machineBusyMs();
  const steal0 = machineStealMs();
  const self0 = process.cpuUsage();
  const t0 = performance.now();
  const profDir = path.join(dataRoot, `dedupe-prof-${process.pid}`);
  const prof = opts['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
  if (prof.length) rmSync(profDir, { recursive: true, force: true });
  const proc = new Proc('dedupe scan', process.execPath, [...prof, '--import', 'tsx', path.join(root, 'bench/dedupe.ts'), '--child-scan'], {
    ...b.env,
    DEDUPE_WS: b.ws,
  });
  onCleanup(() => proc.stop());
  const pgAt = new Map<string, number>([['setup', 0]]);
  let seen = 0;
  let lastLoad = performance.now();
  while (proc.running) {
    pgCpu.poll();
    const lines = proc.output.split('\n').filter((l) => l.startsWith(CHILD_TAG));
    for (const l of lines.slice(seen)) {
      const e = JSON.parse(l.slice(CHILD_TAG.length)) as { t?: number; phase?: string; done?: number; total?: number };
      if (e.phase && !pgAt.has(e.phase)) pgAt.set(e.phase, pgCpu.ms);
      if (e.phase) console.log(`    ${fmt((e.t ?? 0) / 1000, 1)} s  ${e.phase} ${e.done}${e.total ? ` / ${e.total}` : ''}`);
    }
    seen = lines.length;
    if (performance.now() - lastLoad > 10_000) {
      load.push(loadavg());
      lastLoad = performance.now();
    }
    await Promise.race([proc.exited, sleep(250)]);
  }
  const elapsed = performance.now() - t0;
  load.push(loadavg());
  if (proc.exitCode !== 0) throw new Error(`the scan exited with code ${proc.exitCode}\n${proc.tail(40)}`);
  const last = proc.output
    .split('\n')
    .filter((l) => l.startsWith(CHILD_TAG))
    .pop();
  const r = JSON.parse((last ?? '').slice(CHILD_TAG.length)) as {
    result: { stats: ScanRun['stats'] };
    wallMs: number;
    phases: Array<{ name: string; first: number; last: number; rssMaxMb: number; cpuFirst: number; cpuLast: number }>;
    rssBeforeMb: number;
    maxRssMb: number;
    cpuMs: { user: number; sys: number };
  };
  pgCpu.poll();
  const cpuTotal = r.cpuMs.user + r.cpuMs.sys;
  const self = process.cpuUsage(self0);
  const ours = r.cpuMs.user + r.cpuMs.sys + pgCpu.ms + (self.user + self.system) / 1000;
  // Phases: from the first progress report of one to the first of the next; scoring ends with its
  // last report, then the scan drops stale pairs and its candidates ("finish").
  const phases: ScanRun['phases'] = [];
  for (let i = 0; i < r.phases.length; i++) {
    const p = r.phases[i];
    if (!p) continue;
    const next = r.phases[i + 1];
    const end = next ? next.first : p.name === 'scoring' ? p.last : r.wallMs;
    const cpuEnd = next ? next.cpuFirst : p.name === 'scoring' ? p.cpuLast : cpuTotal;
    const pg0 = pgAt.get(p.name);
    const pg1 = next ? pgAt.get(next.name) : pgCpu.ms;
    const pgMs = pg0 !== undefined && pg1 !== undefined ? pg1 - pg0 : null;
    phases.push({ name: p.name, ms: end - p.first, rssMaxMb: p.rssMaxMb, cpuMs: cpuEnd - p.cpuFirst, pgMs });
    if (!next && p.name === 'scoring')
      phases.push({
        name: 'finish (drop stale pairs and candidates)',
        ms: r.wallMs - p.last,
        rssMaxMb: p.rssMaxMb,
        cpuMs: cpuTotal - p.cpuLast,
        pgMs: null,
      });
  }
  if (prof.length && existsSync(profDir))
    for (const f of readdirSync(profDir).filter((x) => x.endsWith('.cpuprofile')))
      console.log(`\n${summariseProfile(path.join(profDir, f), 20).text}\n  (profile kept in ${path.relative(root, profDir)})`);
  return {
    label,
    wallMs: r.wallMs,
    stats: r.result.stats,
    phases,
    rssBeforeMb: r.rssBeforeMb,
    maxRssMb: r.maxRssMb,
    cpuMs: r.cpuMs,
    pgCpuMs: pgCpu.ms,
    otherCores: Math.max(0, machineBusyMs() - busy0 - ours) / elapsed,
    stealCores: (machineStealMs() - steal0) / elapsed,
    loadavg: load,
  };
}

/** First, lowest, highest and last 1-minute load average of the samples taken every 10 s. */
function loadSummary(samples: readonly string[]): string {
  const one = samples.map((x) => Number(x.split(' ')[0]));
  return `first ${one[0]}, min ${Math.min(...one)}, max ${Math.max(...one)}, last ${one[one.length - 1]} (${one.length} samples)`;
}

function printScan(s: ScanRun): void {
  console.log(`\n  ${s.label}: ${fmt(s.wallMs / 1000, 1)} s`);
  console.log(
    table(
      ['phase', 's', 'share', 'scan process CPU s', 'PostgreSQL CPU s', 'scan process RSS max in phase (MB, sampled)'],
      s.phases.map((p) => [
        p.name,
        fmt(p.ms / 1000, 1),
        `${fmt((100 * p.ms) / s.wallMs, 1)}%`,
        fmt(p.cpuMs / 1000, 1),
        p.pgMs === null ? '(in scoring)' : fmt(p.pgMs / 1000, 1),
        fmt(p.rssMaxMb, 0),
      ]),
    ),
  );
  console.log(
    `  records ${s.stats.records}, keys ${s.stats.keys}, candidate pairs ${s.stats.candidates}, pairs stored ${s.stats.pairs}; ` +
      `scan process: peak RSS ${fmt(s.maxRssMb, 0)} MB (${fmt(s.rssBeforeMb, 0)} MB before the scan), CPU ${fmt(s.cpuMs.user / 1000, 1)} user + ` +
      `${fmt(s.cpuMs.sys / 1000, 1)} sys s; PostgreSQL backends ${fmt(s.pgCpuMs / 1000, 1)} s CPU; ` +
      `others on the machine ${fmt(s.otherCores)} cores, steal ${fmt(s.stealCores)} cores; ` +
      `/proc/loadavg (1 min) ${loadSummary(s.loadavg)}`,
  );
}

// ---- database set-up -------------------------------------------------------------------------

interface Backend {
  dbName: string;
  url: string;
  env: NodeJS.ProcessEnv;
  rt: Runtime;
  db: Db;
  ws: string;
}

/** What the machine's other processes used while `fn` ran (this process and the database's backends excluded). */
async function measured<T>(
  dbName: string,
  fn: () => T | Promise<T>,
): Promise<{ result: T; ms: number; otherCores: number; stealCores: number }> {
  const pgCpu = new PgCpu(dbName);
  const poll = setInterval(() => pgCpu.poll(), 250);
  const busy0 = machineBusyMs();
  const steal0 = machineStealMs();
  const self0 = process.cpuUsage();
  const t0 = performance.now();
  try {
    const result = await fn();
    const ms = performance.now() - t0;
    pgCpu.poll();
    const self = process.cpuUsage(self0);
    // psql children are not counted as ours; they only move bytes and use little.
    const ours = (self.user + self.system) / 1000 + pgCpu.ms;
    return { result, ms, otherCores: Math.max(0, machineBusyMs() - busy0 - ours) / ms, stealCores: (machineStealMs() - steal0) / ms };
  } finally {
    clearInterval(poll);
  }
}

function dataOptions(records: number) {
  return {
    records,
    seed: Number(opts.seed),
    dupShare: Number(opts['dup-share']),
    hardNegativeShare: Number(opts['hard-negatives']),
    kinds: opts.kinds === 'all' ? ('all' as const) : ('issue' as const),
  };
}

interface Baselines {
  rows: string[][];
}

async function openBackend(records: number, reuse: string | undefined, data: DedupeData, baselines: Baselines): Promise<Backend> {
  mkdirSync(dataRoot, { recursive: true });
  const dbName = reuse ?? `keel_bench_dedupe_${records}_${process.pid}`;
  let url: string;
  if (reuse) {
    if (!databaseExists(reuse)) throw new Error(`--db ${reuse}: no such database`);
    url = `${PG_ADMIN_URL}/${reuse}`;
  } else {
    url = createDatabase(dbName, opts['keep-db']);
    if (opts['keep-db']) console.log(`  database kept after the run: ${dbName}`);
  }
  const env = keelEnv({
    DATABASE_URL: url,
    KEEL_DATA_DIR: path.join(dataRoot, `dedupe-${process.pid}`),
    LOG_LEVEL: 'warn',
    KEEL_DEMO: '0',
  });
  const rt = await openRuntime(loadConfig(env));
  const db = rt.handle.db;
  let ws: string;
  if (reuse) {
    const w = await db.selectFrom('workspaces').select('id').where('name', '=', WORKSPACE).executeTakeFirst();
    if (!w) throw new Error(`${reuse} has no workspace ${WORKSPACE}`);
    ws = w.id;
    const n = Number(psql(dbName, `select count(*) from contacts where workspace_id = '${ws}' and deleted_at is null`));
    const probe = psql(dbName, `select count(*) from contacts where id in ('${data.ids[0]}', '${data.ids[data.ids.length - 1]}')`);
    if (n !== data.ids.length || probe !== '2')
      throw new Error(`${reuse} does not hold this data set (${n} contacts; generated ${data.ids.length})`);
    // Settings a previous run left.
    await db.deleteFrom('dedupe_settings').where('workspace_id', '=', ws).execute();
  } else {
    ws = (await createWorkspace(db, systemClock, { name: WORKSPACE })).id;
    const file = path.join(dataRoot, `dedupe-${records}-${process.pid}.copy`);
    onCleanup(() => rmSync(file, { force: true }));
    const t0 = performance.now();
    const out = createWriteStream(file);
    let buf: string[] = [];
    for (let i = 0; i < data.ids.length; i++) {
      buf.push(copyLine(data, i, ws));
      if (buf.length === 5000 || i === data.ids.length - 1) {
        if (!out.write(`${buf.join('\n')}\n`)) await once(out, 'drain');
        buf = [];
      }
    }
    out.end();
    await once(out, 'finish');
    console.log(
      `  normalised ${data.ids.length} records (normaliseRecordInput) into a COPY file in ${fmt((performance.now() - t0) / 1000, 1)} s`,
    );
    await waitQuiet(quietWaitS);
    const load = await measured(dbName, () => psql(dbName, `\\copy contacts (${COPY_COLUMNS.join(', ')}) from '${file}'`));
    baselines.rows.push([
      `COPY of the ${data.ids.length} rows into contacts (psql \\copy; indexes, generated search vector, triggers)`,
      fmt(load.ms / 1000, 1),
      fmt(load.otherCores),
      fmt(load.stealCores),
    ]);
    console.log(`  loaded in ${fmt(load.ms / 1000, 1)} s`);
    rmSync(file, { force: true });
    // The insert trigger queued every row for the incremental matcher, which would have worked
    // through them by now; a full scan empties the queue itself first.
    psql(dbName, `delete from dedupe_queue where workspace_id = '${ws}'`);
    psql(dbName, 'vacuum analyze contacts');
    psql(dbName, 'vacuum analyze dedupe_queue');
  }
  return { dbName, url, env, rt, db, ws };
}

async function runBaselines(b: Backend, baselines: Baselines): Promise<void> {
  const cols = 'id, email, first_name, last_name, phone, company, city, country';
  await waitQuiet(quietWaitS);
  const read = await measured(b.dbName, () =>
    psql(
      b.dbName,
      `\\copy (select ${cols} from contacts where workspace_id = '${b.ws}' and deleted_at is null order by id) to '/dev/null'`,
    ),
  );
  baselines.rows.push([
    'COPY (SELECT the 8 columns a scan reads FROM contacts ORDER BY id) TO STDOUT, all rows',
    fmt(read.ms / 1000, 1),
    fmt(read.otherCores),
    fmt(read.stealCores),
  ]);
  await waitQuiet(quietWaitS);
  const join = await measured(b.dbName, () =>
    psql(
      b.dbName,
      `drop table if exists bench_mailbox_pairs; create table bench_mailbox_pairs as select a.id as a_id, b.id as b_id from contacts a
        join contacts b on b.workspace_id = a.workspace_id and split_part(b.email, '@', 1) = split_part(a.email, '@', 1) and a.id < b.id
        and b.deleted_at is null where a.workspace_id = '${b.ws}' and a.deleted_at is null`,
    ),
  );
  const n = psql(b.dbName, 'select count(*) from bench_mailbox_pairs; drop table bench_mailbox_pairs');
  baselines.rows.push([
    `CREATE TABLE AS self-join of contacts on the email's mailbox (split_part(email, '@', 1)): ${n} pairs`,
    fmt(join.ms / 1000, 1),
    fmt(join.otherCores),
    fmt(join.stealCores),
  ]);
}

// ---- pairs against the truth -------------------------------------------------------------------

interface StoredPair {
  ia: number;
  ib: number;
  p: number;
  reasons: Reason[] | null;
}

async function readPairs(b: Backend, index: Map<string, number>, withReasons: boolean): Promise<StoredPair[]> {
  const out: StoredPair[] = [];
  let after: { a: string; b: string } | null = null;
  for (;;) {
    const rows: Array<{ a_id: string; b_id: string; probability: number; reasons: Reason[] | null }> = (
      await sql<{ a_id: string; b_id: string; probability: number; reasons: Reason[] | null }>`select a_id, b_id, probability,
        ${withReasons ? sql`reasons` : sql`null`} as reasons from duplicate_pairs where workspace_id = ${b.ws} and object = 'contact'
        ${after ? sql`and (a_id, b_id) > (${after.a}::uuid, ${after.b}::uuid)` : sql``} order by a_id, b_id limit 50000`.execute(b.db)
    ).rows;
    if (!rows.length) break;
    for (const r of rows) {
      const a = index.get(r.a_id);
      const c = index.get(r.b_id);
      if (a === undefined || c === undefined) throw new Error(`pair ${r.a_id} ${r.b_id}: a record the generator did not make`);
      out.push({ ia: Math.min(a, c), ib: Math.max(a, c), p: r.probability, reasons: r.reasons });
    }
    const last = rows[rows.length - 1];
    after = last ? { a: last.a_id, b: last.b_id } : null;
  }
  return out;
}

interface Metrics {
  t: number;
  predicted: number;
  tp: number;
  fp: number;
  precision: number;
  recall: number;
  f1: number;
}

function metricsAt(data: DedupeData, pairs: readonly StoredPair[], truth: number, t: number): Metrics {
  let tp = 0;
  let fp = 0;
  for (const p of pairs) {
    if (p.p < t) continue;
    if (data.entity[p.ia] === data.entity[p.ib]) tp++;
    else fp++;
  }
  const precision = tp + fp ? tp / (tp + fp) : 1;
  const recall = truth ? tp / truth : 1;
  return { t, predicted: tp + fp, tp, fp, precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0 };
}

function printCurve(data: DedupeData, pairs: readonly StoredPair[], truth: number, thresholds: readonly number[]): Metrics[] {
  const ms = thresholds.map((t) => metricsAt(data, pairs, truth, t));
  console.log(
    table(
      ['threshold', 'pairs at or above', 'true', 'false', 'precision', 'recall', 'F1'],
      ms.map((m) => [
        m.t === T ? `**${T}** (default)` : String(m.t),
        String(m.predicted),
        String(m.tp),
        String(m.fp),
        fmt(m.precision, 4),
        fmt(m.recall, 4),
        fmt(m.f1, 4),
      ]),
    ),
  );
  return ms;
}

const pairKey = (i: number, j: number, n: number) => Math.min(i, j) * n + Math.max(i, j);
const signature = (levels: Record<string, string>) =>
  Object.entries(levels)
    .filter(([, l]) => l !== 'missing')
    .map(([f, l]) => `${f}:${l}`)
    .join(' ');

function describeRecord(r: MatchRecord | undefined): string {
  if (!r) return '(gone)';
  return [
    `${r.firstName ?? '∅'} ${r.lastName ?? '∅'}`,
    r.email ?? '∅',
    r.phone ?? '∅',
    r.company ?? '∅',
    r.city ?? '∅',
    r.country ?? '∅',
  ].join(' | ');
}

/** Misses and false pairs at `t`, by corruption kind and by cause (100k only: it keeps every record's keys). */
async function analyse(
  b: Backend,
  data: DedupeData,
  pairs: readonly StoredPair[],
  model: MatchModel,
  t: number,
  withBound: boolean,
): Promise<void> {
  const N = data.ids.length;
  const settings = await getSettings(b.db, b.ws, 'contact');
  const recs: MatchRecord[] = new Array<MatchRecord>(N);
  const index = new Map(data.ids.map((id, i) => [id, i]));
  let after: string | null = null;
  for (;;) {
    const page = await loadMatchRecords(b.db, b.ws, 'contact', { after, limit: 20_000 });
    if (!page.length) break;
    for (const r of page) recs[index.get(r.id) ?? -1] = r;
    after = page[page.length - 1]?.id ?? null;
  }
  const keys = recs.map((r) => (r ? blockingKeys('contact', r) : []));
  const blockSize = new Map<string, number>();
  for (const ks of keys) for (const k of ks) blockSize.set(k, (blockSize.get(k) ?? 0) + 1);
  const prob = new Map<number, number>();
  for (const p of pairs) prob.set(pairKey(p.ia, p.ib, N), p.p);

  const byKind = new Map<string, { pairs: number; missed: number }>();
  const causes = new Map<string, { n: number; examples: string[] }>();
  const lowSignatures = new Map<string, number>();
  const bump = (k: string, missed: boolean) => {
    const e = byKind.get(k) ?? { pairs: 0, missed: 0 };
    e.pairs++;
    if (missed) e.missed++;
    byKind.set(k, e);
  };
  for (const g of entityGroups(data).values()) {
    for (let x = 0; x < g.length; x++)
      for (let y = x + 1; y < g.length; y++) {
        const i = g[x] as number;
        const j = g[y] as number;
        const p = prob.get(pairKey(i, j, N));
        const missed = p === undefined || p < t;
        const mask = (data.kinds[i] as number) | (data.kinds[j] as number);
        const both = (data.kinds[i] as number) !== 0 && (data.kinds[j] as number) !== 0;
        bump(both ? '(pair of two extra records)' : '(first record and an extra one)', missed);
        for (const k of kindsOf(mask)) bump(k, missed);
        if (!missed) continue;
        const shared = (keys[i] ?? []).filter((k) => (keys[j] ?? []).includes(k));
        let cause: string;
        if (!shared.length) cause = 'not a candidate: no blocking key in common';
        else if (shared.every((k) => (blockSize.get(k) ?? 0) > settings.maxBlockSize))
          cause = `not a candidate: shared keys only in blocks over ${settings.maxBlockSize} (${shared.map((k) => k.slice(0, 2)).join(' ')})`;
        else {
          const levels = compare('contact', recs[i] as MatchRecord, recs[j] as MatchRecord);
          const s = p ?? score(model, levels).probability;
          cause = s < 0.5 ? 'candidate, scored below 0.5' : `candidate, scored 0.5 to ${t}`;
          const sig = signature(levels);
          lowSignatures.set(sig, (lowSignatures.get(sig) ?? 0) + 1);
        }
        const c = causes.get(cause) ?? { n: 0, examples: [] };
        c.n++;
        if (c.examples.length < examples)
          c.examples.push(
            `      [${kindsOf(mask).join('; ')}] p=${p === undefined ? '-' : fmt(p, 3)}\n        ${describeRecord(recs[i])}\n        ${describeRecord(recs[j])}`,
          );
        causes.set(cause, c);
      }
  }
  console.log(
    `\n  true pairs missed at ${t}, by what the records of the pair differ in (a pair counts under each kind of either record):\n`,
  );
  const order = ['(first record and an extra one)', '(pair of two extra records)', ...KINDS];
  console.log(
    table(
      ['kind', 'true pairs', 'missed', 'recall within'],
      order
        .filter((k) => byKind.has(k))
        .map((k) => {
          const e = byKind.get(k) as { pairs: number; missed: number };
          return [k, String(e.pairs), String(e.missed), fmt(1 - e.missed / e.pairs, 4)];
        }),
    ),
  );
  console.log(`\n  why they were missed:\n`);
  console.log(
    table(
      ['cause', 'pairs'],
      [...causes].sort((a, b) => b[1].n - a[1].n).map(([k, v]) => [k, String(v.n)]),
    ),
  );
  console.log(`\n  most common field levels of the missed candidates:\n`);
  console.log(
    table(
      ['levels (missing fields left out)', 'pairs'],
      [...lowSignatures]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 10)
        .map(([k, v]) => [k, String(v)]),
    ),
  );
  if (examples > 0)
    for (const [k, v] of causes) {
      console.log(`    examples, ${k}:`);
      for (const e of v.examples) console.log(e);
    }

  if (withBound) levelBound(data, recs, keys, blockSize, settings.maxBlockSize);

  // False pairs.
  const fpBy = new Map<string, { n: number; examples: string[] }>();
  for (const p of pairs) {
    if (p.p < t) continue;
    const ea = data.entity[p.ia] as number;
    const eb = data.entity[p.ib] as number;
    if (ea === eb) continue;
    let label: string;
    if (data.twinOf[ea] === eb || data.twinOf[eb] === ea) {
      const hn = data.twinOf[ea] === eb ? data.hardNegative[ea] : data.hardNegative[eb];
      label = `hard negative: ${HARD_NEGATIVES[hn as number] ?? '?'}`;
    } else {
      const levels = compare('contact', recs[p.ia] as MatchRecord, recs[p.ib] as MatchRecord);
      const agree = Object.entries(levels)
        .filter(([, l]) => l !== 'missing' && l !== 'diff')
        .map(([f]) => f);
      label = `other different people; agree on: ${agree.join(', ')}`;
    }
    const e = fpBy.get(label) ?? { n: 0, examples: [] };
    e.n++;
    if (e.examples.length < examples)
      e.examples.push(`      p=${fmt(p.p, 3)}\n        ${describeRecord(recs[p.ia])}\n        ${describeRecord(recs[p.ib])}`);
    fpBy.set(label, e);
  }
  console.log(`\n  false pairs at ${t}:\n`);
  const fpRows = [...fpBy].sort((a, b) => b[1].n - a[1].n);
  console.log(
    table(
      ['what', 'pairs'],
      fpRows.slice(0, 15).map(([k, v]) => [k, String(v.n)]),
    ),
  );
  if (fpRows.length > 15) console.log(`  (${fpRows.length - 15} more kinds, ${fpRows.slice(15).reduce((s, [, v]) => s + v.n, 0)} pairs)`);
  if (examples > 0)
    for (const [k, v] of fpRows.slice(0, 6)) {
      console.log(`    examples, ${k}:`);
      for (const e of v.examples) console.log(e);
    }
}

/**
 * What any scoring of the engine's comparison levels could reach on these candidates: the
 * candidate pairs (the scan's blocking, recomputed here) grouped by their vector of field levels,
 * each vector taken as a match or not by its share of true pairs, best first. Fitted to the truth
 * itself, so an upper bound for any weights (built-in, EM or hand-tuned), not something to expect.
 */
function levelBound(data: DedupeData, recs: MatchRecord[], keys: string[][], blockSize: Map<string, number>, max: number): void {
  const N = data.ids.length;
  const blocks = new Map<string, number[]>();
  keys.forEach((ks, i) => {
    for (const k of ks) {
      const n = blockSize.get(k) ?? 0;
      if (n < 2 || n > max) continue;
      const bl = blocks.get(k);
      if (bl) bl.push(i);
      else blocks.set(k, [i]);
    }
  });
  const cand = new Set<number>();
  for (const bl of blocks.values())
    for (let x = 0; x < bl.length; x++) for (let y = x + 1; y < bl.length; y++) cand.add(pairKey(bl[x] as number, bl[y] as number, N));
  const byVector = new Map<string, [number, number]>();
  let trueCands = 0;
  for (const k of cand) {
    const i = Math.floor(k / N);
    const j = k % N;
    const same = data.entity[i] === data.entity[j];
    if (same) trueCands++;
    const v = JSON.stringify(compare('contact', recs[i] as MatchRecord, recs[j] as MatchRecord));
    const e = byVector.get(v) ?? [0, 0];
    e[same ? 0 : 1]++;
    byVector.set(v, e);
  }
  const truth = truePairCount(data);
  const sorted = [...byVector.values()].sort((a, b) => b[0] / (b[0] + b[1]) - a[0] / (a[0] + a[1]));
  let tp = 0;
  let fp = 0;
  let best = { f1: 0, p: 0, r: 0 };
  let recallAt97 = 0;
  for (const [x, y] of sorted) {
    tp += x;
    fp += y;
    const p = tp / (tp + fp);
    const r = tp / truth;
    const f1 = (2 * p * r) / (p + r);
    if (f1 > best.f1) best = { f1, p, r };
    if (p >= GOAL_PR) recallAt97 = Math.max(recallAt97, r);
  }
  console.log(
    `\n  blocking: ${cand.size} candidate pairs hold ${trueCands} of the ${truth} true pairs (recall ceiling ${fmt(trueCands / truth, 4)}). ` +
      `Upper bound for any weights on these ${byVector.size} distinct level vectors (fitted to the truth): best F1 ${fmt(best.f1, 4)} ` +
      `(precision ${fmt(best.p, 4)}, recall ${fmt(best.r, 4)}); best recall at precision >= ${GOAL_PR}: ${fmt(recallAt97, 4)}`,
  );
}

function printDataSet(data: DedupeData, truth: number): void {
  const N = data.ids.length;
  let extra = 0;
  for (const k of data.kinds) if (k) extra++;
  const hn = [0, 0, 0];
  for (const h of data.hardNegative) if (h >= 0) hn[h] = (hn[h] ?? 0) + 1;
  console.log(
    `  ${N} records: ${data.people} people (${data.freeMailPeople} with a free-mail address, ${data.noCompanyPeople} without a company, ` +
      `${data.nonLatinPeople} with names in a non-Latin script) ` +
      `at ${data.companies} companies; ${N - extra} first records and ${extra} extra records; ${truth} true pairs; hard negatives: ` +
      HARD_NEGATIVES.map((h, i) => `${hn[i]} ${h}`).join(', ') +
      `; corruptions: ${data.options.kinds === 'all' ? "all kinds (issue 5's and life changes: " : "issue 5's kinds (life changes left out: "}${[...LIFE_CHANGE_KINDS].join(', ')})`,
  );
}

function weightsTable(def: MatchModel, em: MatchModel): string {
  const rows: string[][] = [];
  for (const [f, fm] of Object.entries(def.fields))
    for (const l of Object.keys(fm.m) as Level[])
      rows.push([
        f,
        l,
        fmt(levelWeight(def, f, l)),
        fmt(levelWeight(em, f, l)),
        fmt(em.fields[f]?.m[l] ?? NaN, 4),
        fmt(em.fields[f]?.u[l] ?? NaN, 4),
      ]);
  rows.push(['(prior)', '', fmt(def.prior, 4), fmt(em.prior, 4), '', '']);
  return table(['field', 'level', 'built-in weight', 'EM weight', 'EM m', 'EM u'], rows);
}

// ---- the runs --------------------------------------------------------------------------------

async function small(records: number): Promise<void> {
  console.log(`\n== ${records} records on PostgreSQL: precision and recall ==\n`);
  const t0 = performance.now();
  const data = generateDedupeData(dataOptions(records));
  const truth = truePairCount(data);
  console.log(`  generated in ${fmt((performance.now() - t0) / 1000, 1)} s`);
  printDataSet(data, truth);
  const baselines: Baselines = { rows: [] };
  const b = await openBackend(records, opts.db, data, baselines);
  try {
    const ctx = { db: b.db, clock: systemClock };
    const actor = cliActor(b.ws);
    const index = new Map(data.ids.map((id, i) => [id, i]));
    await runBaselines(b, baselines);

    console.log('\n  -- built-in weights, reviewThreshold lowered to 0.5 (pairs from 0.5 stored) --');
    await updateSettings(ctx, actor, 'contact', { reviewThreshold: 0.5, model: null });
    const s1 = await runScanChild(b, 'full scan, built-in weights, reviewThreshold 0.5');
    printScan(s1);
    const pairs1 = await readPairs(b, index, true);
    console.log('');
    const m1 = printCurve(data, pairs1, truth, THRESHOLDS);
    await analyse(b, data, pairs1, DEFAULT_MODELS.contact, T, true);

    console.log(`\n  -- built-in weights, default settings (reviewThreshold ${T}) --`);
    await updateSettings(ctx, actor, 'contact', { reviewThreshold: T });
    const s2 = await runScanChild(b, 'full scan, built-in weights, default settings');
    printScan(s2);
    const pairs2 = await readPairs(b, index, false);
    const at08 = m1.find((m) => m.t === T);
    const m2 = metricsAt(data, pairs2, truth, T);
    console.log(
      `  stored ${pairs2.length} pairs (the 0.5 scan had ${at08?.predicted} at >= ${T}): precision ${fmt(m2.precision, 4)}, recall ${fmt(m2.recall, 4)}, F1 ${fmt(m2.f1, 4)}`,
    );

    let m3: Metrics | undefined;
    let s3: ScanRun | undefined;
    if (!opts['skip-em']) {
      console.log(`\n  -- weights estimated by EM (estimateWeights over ${opts['em-sample']} candidate pairs), reviewThreshold 0.5 --`);
      const te = performance.now();
      const est = await estimateWeights(b.db, b.ws, 'contact', Number(opts['em-sample']));
      console.log(`  estimated from ${est.pairs} pairs in ${fmt((performance.now() - te) / 1000, 1)} s\n`);
      console.log(weightsTable(DEFAULT_MODELS.contact, est.model));
      await updateSettings(ctx, actor, 'contact', { reviewThreshold: 0.5, model: est.model });
      s3 = await runScanChild(b, 'full scan, EM weights, reviewThreshold 0.5');
      printScan(s3);
      const pairs3 = await readPairs(b, index, true);
      console.log('');
      m3 = printCurve(data, pairs3, truth, THRESHOLDS).find((m) => m.t === T);
      await analyse(b, data, pairs3, est.model, T, false);
      await updateSettings(ctx, actor, 'contact', { reviewThreshold: T, model: null });
    }

    console.log(`\n  baselines (${records} records, same database):\n`);
    console.log(table(['what', 's', 'others (cores)', 'steal (cores)'], baselines.rows));
    console.log(`\n  summary at ${records} records, threshold ${T}:\n`);
    const verdict = (m: Metrics | undefined) => (m && m.precision >= GOAL_PR && m.recall >= GOAL_PR ? 'met' : 'NOT met');
    console.log(
      table(
        ['weights', 'precision', 'recall', 'F1', 'scan s', 'goal: both >= 0.97'],
        [
          [
            'built-in',
            fmt(at08?.precision ?? NaN, 4),
            fmt(at08?.recall ?? NaN, 4),
            fmt(at08?.f1 ?? NaN, 4),
            fmt(s2.wallMs / 1000, 1),
            verdict(at08),
          ],
          ...(m3 && s3
            ? [['EM-estimated', fmt(m3.precision, 4), fmt(m3.recall, 4), fmt(m3.f1, 4), fmt(s3.wallMs / 1000, 1), verdict(m3)]]
            : []),
        ],
      ),
    );
  } finally {
    await b.rt.handle.close();
    await b.rt.release();
  }
}

async function big(records: number): Promise<void> {
  console.log(`\n== ${records} records on PostgreSQL: a full scan ==\n`);
  const t0 = performance.now();
  const data = generateDedupeData(dataOptions(records));
  const truth = truePairCount(data);
  console.log(`  generated in ${fmt((performance.now() - t0) / 1000, 1)} s`);
  printDataSet(data, truth);
  const baselines: Baselines = { rows: [] };
  const b = await openBackend(records, opts['big-db'], data, baselines);
  try {
    await runBaselines(b, baselines);
    await updateSettings({ db: b.db, clock: systemClock }, cliActor(b.ws), 'contact', { reviewThreshold: T, model: null });
    const s = await runScanChild(b, 'full scan, default settings');
    printScan(s);
    const index = new Map(data.ids.map((id, i) => [id, i]));
    const pairs = await readPairs(b, index, false);
    const m = metricsAt(data, pairs, truth, T);
    console.log(`\n  at ${T}: ${m.predicted} pairs, precision ${fmt(m.precision, 4)}, recall ${fmt(m.recall, 4)}, F1 ${fmt(m.f1, 4)}`);
    console.log(`\n  baselines (${records} records, same database):\n`);
    console.log(table(['what', 's', 'others (cores)', 'steal (cores)'], baselines.rows));
    const sOk = s.wallMs / 1000 < GOAL_SCAN_S;
    const rOk = s.maxRssMb < GOAL_RSS_MB;
    console.log(
      `\n  goal: full scan of ${records} under ${GOAL_SCAN_S} s: ${sOk ? 'met' : 'NOT met'} (${fmt(s.wallMs / 1000, 1)} s); ` +
        `peak RSS under ${GOAL_RSS_MB} MB: ${rOk ? 'met' : 'NOT met'} (${fmt(s.maxRssMb, 0)} MB)`,
    );
  } finally {
    await b.rt.handle.close();
    await b.rt.release();
  }
}

if (opts['child-scan']) {
  childScan().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
} else {
  runBenchmark(async () => {
    printMachine(machineInfo());
    await quietCheck();
    if (!existsSync(dataRoot)) mkdirSync(dataRoot, { recursive: true });
    if (!opts['skip-small']) await small(Number(opts.records));
    if (!opts['skip-big']) await big(Number(opts.big));
  });
}
