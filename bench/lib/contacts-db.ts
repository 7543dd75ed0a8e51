// Shared set-up for the contacts benchmarks (import-contacts, contacts-list, export-contacts): the
// seeded CSV (cached in bench/.data), scratch PostgreSQL databases and data folders, a workspace
// with the CSV's five custom fields defined through createCustomField, and `keel import contacts`
// run as a child process with its wall time, CPU and peak memory measured from outside.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { cliActor } from '../../src/platform/actor.js';
import { systemClock } from '../../src/platform/clock.js';
import { loadConfig } from '../../src/platform/config.js';
import type { Db } from '../../src/platform/db/database.js';
import { openRuntime } from '../../src/platform/runtime.js';
import { createCustomField } from '../../src/modules/crm/custom-fields.service.js';
import { CONTACTS_CSV_CUSTOM_FIELDS, writeContactsCsv } from './contacts-csv.js';
import { cpuByProcess, dataRoot, keelBin, keelCli, keelEnv, onCleanup, Proc, root, sleep } from './util.js';

export const PG_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432';
const PSQL = ['-h', '127.0.0.1', '-U', 'postgres', '-v', 'ON_ERROR_STOP=1', '-X', '-q'];
export const WORKSPACE_NAME = 'Bench Contacts';

export interface CsvStats {
  rows: number;
  bytes: number;
  duplicates: number;
  invalid: number;
}

/**
 * The seeded contacts CSV for (rows, seed): generated once into bench/.data and reused (the
 * generator is deterministic). A sidecar JSON, written last, marks a complete file.
 */
export async function contactsCsv(rows: number, seed: number): Promise<{ file: string; stats: CsvStats; generatedMs: number | null }> {
  mkdirSync(dataRoot, { recursive: true });
  const file = path.join(dataRoot, `contacts-${rows}-${seed}.csv`);
  const meta = `${file}.json`;
  if (existsSync(file) && existsSync(meta)) return { file, stats: JSON.parse(readFileSync(meta, 'utf8')) as CsvStats, generatedMs: null };
  const t0 = performance.now();
  const partial = `${file}.partial`;
  const stats = await writeContactsCsv(partial, { rows, seed });
  renameSync(partial, file);
  writeFileSync(meta, JSON.stringify(stats));
  return { file, stats, generatedMs: performance.now() - t0 };
}

/** psql on the local server; returns stdout (unaligned, tuples only). */
export function psql(db: string, sqlText: string): string {
  return execFileSync('psql', [...PSQL, '-At', '-d', db, '-c', sqlText], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).trim();
}

/** A new PostgreSQL database, dropped at the end unless `keep`. Returns its URL. */
export function createDatabase(name: string, keep: boolean): string {
  execFileSync('createdb', ['-h', '127.0.0.1', '-U', 'postgres', name], { stdio: 'inherit' });
  if (!keep) onCleanup(() => dropDatabase(name));
  return `${PG_ADMIN_URL}/${name}`;
}

export function dropDatabase(name: string): void {
  execFileSync('dropdb', ['-h', '127.0.0.1', '-U', 'postgres', '--if-exists', '--force', name], { stdio: 'inherit' });
}

export function databaseExists(name: string): boolean {
  return psql('postgres', `select 1 from pg_database where datname = '${name.replace(/'/g, "''")}'`) === '1';
}

/** A new, empty scratch folder under bench/.data, removed at the end unless `keep`. */
export function scratchDir(name: string, keep = false): string {
  const dir = path.join(dataRoot, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  if (!keep) onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The environment of a Keel child on PostgreSQL (`databaseUrl`) or on the embedded folder. */
export function benchEnv(opts: { databaseUrl?: string; dataDir: string }): NodeJS.ProcessEnv {
  return keelEnv({
    KEEL_DATA_DIR: opts.dataDir,
    LOG_LEVEL: 'warn',
    KEEL_DEMO: '0',
    ...(opts.databaseUrl && { DATABASE_URL: opts.databaseUrl }),
  });
}

/** Opens the configured database in this process (embedded: takes the folder's lock) for `fn`. */
export async function withDb<T>(env: NodeJS.ProcessEnv, fn: (db: Db) => Promise<T>): Promise<T> {
  const rt = await openRuntime(loadConfig(env), { waitForStaleMs: 6000 });
  try {
    return await fn(rt.handle.db);
  } finally {
    await rt.handle.close();
    await rt.release();
  }
}

/**
 * Migrates, creates the benchmark's workspace (`keel workspace create`) and defines the CSV's five
 * custom fields in it with createCustomField, so the import maps and imports them.
 */
export async function prepareWorkspace(env: NodeJS.ProcessEnv, opts: { indexed?: boolean } = {}): Promise<{ id: string; slug: string }> {
  keelCli(['migrate'], env);
  const ws = JSON.parse(keelCli(['workspace', 'create', '--name', WORKSPACE_NAME, '--json'], env)) as { id: string; slug: string };
  await withDb(env, async (db) => {
    for (const f of CONTACTS_CSV_CUSTOM_FIELDS) {
      await createCustomField({ db, clock: systemClock }, cliActor(ws.id), {
        object: 'contact',
        key: f.key,
        label: f.label,
        type: f.type,
        ...(f.options && { options: [...f.options] }),
        ...(f.type === 'currency' && { currency: 'USD' }),
        description: '',
        required: false,
        indexed: opts.indexed ?? false,
      });
    }
  });
  return ws;
}

/**
 * CPU of the PostgreSQL backends of one database (ms) since construction. Backends are polled, since
 * one that exits takes its CPU time out of /proc with it: call poll() often (each poll keeps the last
 * figure of every backend seen), and a backend's last moments before it exits are missed.
 */
export class PgCpu {
  private readonly first: Map<number, number>;
  private readonly last: Map<number, number>;
  constructor(private readonly dbName: string) {
    this.first = cpuByProcess('postgres', dbName);
    this.last = new Map(this.first);
  }
  poll(): void {
    for (const [pid, ms] of cpuByProcess('postgres', this.dbName)) this.last.set(pid, ms);
  }
  get ms(): number {
    let t = 0;
    for (const [pid, ms] of this.last) t += ms - (this.first.get(pid) ?? 0);
    return t;
  }
}

/** What a sampled PostgreSQL backend was doing, as a short label. */
function statementLabel(query: string): string {
  const q = query.replace(/\s+/g, ' ').trim().toLowerCase();
  if (q.startsWith('insert into "contacts"'))
    return 'INSERT INTO contacts ... SELECT FROM jsonb_to_recordset (writeBatch; unnest before 7e82d4f)';
  if (q.startsWith('update "contacts"')) return 'UPDATE contacts FROM jsonb_to_recordset (writeBatch)';
  if (/^select .* from "contacts" r .*for update of r$/.test(q))
    return 'SELECT contacts WHERE email = any(...) FOR UPDATE (planBatch, in the transaction)';
  if (/^select .* from "contacts" r /.test(q)) return 'SELECT contacts WHERE email = any(...) (planBatch, before the transaction)';
  if (q.includes('import_changes')) return 'INSERT INTO import_changes (writeBatch)';
  if (q.includes('external_ids')) return 'external_ids statements';
  if (q.includes('"audit_log"')) return 'INSERT INTO audit_log';
  if (q.startsWith('update "imports"')) return 'UPDATE imports (checkpoint)';
  if (q === 'begin' || q.startsWith('begin')) return 'BEGIN';
  if (q === 'commit') return 'COMMIT';
  return q.slice(0, 60);
}

/**
 * Samples pg_stat_activity of one database every `everyMs`: what its client backends are doing
 * (a poor man's profiler of the PostgreSQL side; pg_stat_statements is not installed here).
 */
export class ActivitySampler {
  readonly byStatement = new Map<string, number>();
  readonly byWait = new Map<string, number>();
  samples = 0;
  private client: pg.Client;
  private stopped = false;
  private done: Promise<void> = Promise.resolve();

  constructor(
    private readonly dbName: string,
    private readonly everyMs = 50,
  ) {
    this.client = new pg.Client({ connectionString: `${PG_ADMIN_URL}/${dbName}`, application_name: 'bench-sampler' });
  }

  async start(): Promise<void> {
    await this.client.connect();
    this.done = (async () => {
      while (!this.stopped) {
        const r = await this.client.query<{ state: string | null; wait: string | null; query: string }>(
          `select state, wait_event_type || ':' || wait_event as wait, query from pg_stat_activity
           where datname = $1 and pid <> pg_backend_pid() and backend_type = 'client backend' and application_name <> 'bench-sampler'`,
          [this.dbName],
        );
        const active = r.rows.filter((x) => x.state === 'active');
        const label = active.length
          ? null
          : r.rows.some((x) => x.state?.startsWith('idle in transaction'))
            ? '(no statement running: Node is working, inside a transaction)'
            : '(no statement running: Node is working, outside a transaction)';
        if (r.rows.length > 0) {
          this.samples++;
          if (label) this.byStatement.set(label, (this.byStatement.get(label) ?? 0) + 1);
          for (const a of active) {
            const l = statementLabel(a.query);
            this.byStatement.set(l, (this.byStatement.get(l) ?? 0) + 1 / active.length);
            const w = a.wait ?? '(on CPU, or waiting on nothing PostgreSQL reports)';
            this.byWait.set(w, (this.byWait.get(w) ?? 0) + 1 / active.length);
          }
        }
        await sleep(this.everyMs);
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
    await this.client.end();
  }

  /** Rows for a table: label, samples, share of samples. */
  rows(which: 'statement' | 'wait'): string[][] {
    const m = which === 'statement' ? this.byStatement : this.byWait;
    return [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => [k, v.toFixed(0), `${((100 * v) / Math.max(1, this.samples)).toFixed(1)}%`]);
  }
}

export interface CliImportJson {
  id: string;
  status: string;
  rows: number;
  durationMs: number | null;
  created: number;
  updated: number;
  skipped: number;
  errors: number;
  failure: string | null;
}

export interface ImportRun {
  result: CliImportJson;
  /** Launch of `node bin/keel.js import` to its exit. */
  wallMs: number;
  /** Peak resident set of the importing node process, from `/usr/bin/time -v` (or /proc VmHWM samples). */
  maxRssKb: number;
  /** CPU of the importing process (user, kernel), seconds. */
  userS: number;
  sysS: number;
  /** CPU of the PostgreSQL backends of `dbName` meanwhile (ms), when on PostgreSQL. */
  postgresCpuMs: number | null;
  /** When the bench ran ANALYZE contacts (s since launch), with analyzeEarly. */
  analyzedAtS: number | null;
  /** pg_stat_activity samples during the import (PostgreSQL, when asked for). */
  activity: ActivitySampler | null;
  /** Samples every 0.5 s: seconds since launch, RSS (MB), how far into the CSV the reading file descriptor is (bytes). */
  samples: Array<{ s: number; rssMb: number; csvPos: number | null }>;
  stderr: string;
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Position of `pid`'s file descriptor open on `file`, if any (how far a streaming reader got). */
function filePos(pid: number, file: string): number | null {
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      let target = '';
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (target !== file) continue;
      const m = /^pos:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
      if (m) return Number(m[1]);
    }
  } catch {
    /* gone */
  }
  return null;
}

/**
 * A stand-in for `keel import contacts FILE --json --workspace SLUG` on the embedded database
 * for the --analyze-early experiment: the same compiled code the CLI runs (openRuntime, then
 * importFromCli, which the CLI's import.run operation calls), plus one `ANALYZE contacts` queued
 * after the first batch is written (from the progress callback, so it runs between two batches on
 * PGlite's single connection), as the import itself could do.
 */
const analyzingImport = `
const d = process.env.KEEL_DIST;
const { loadConfig } = await import(d + '/platform/config.js');
const { openRuntime } = await import(d + '/platform/runtime.js');
const { importFromCli } = await import(d + '/modules/imports/cli-data.service.js');
const { resolveCliWorkspace } = await import(d + '/modules/workspaces/workspaces.service.js');
const { cliActor } = await import(d + '/platform/actor.js');
const { systemClock } = await import(d + '/platform/clock.js');
const { sql } = await import('kysely');
const config = loadConfig(process.env);
const rt = await openRuntime(config, { waitForStaleMs: 6000 });
try {
  const ctx = { db: rt.handle.db, clock: systemClock, filesDir: config.filesDir };
  const ws = await resolveCliWorkspace(ctx, process.env.IMPORT_WORKSPACE);
  let analyzed = false;
  const input = { object: 'contact', file: process.env.IMPORT_FILE, mode: 'upsert', dryRun: false, dateFormat: 'auto' };
  const r = await importFromCli(ctx, cliActor(ws.id), input, () => {
    if (analyzed) return;
    analyzed = true;
    const t = performance.now();
    sql\`analyze contacts\`.execute(rt.handle.db).then(() => console.error('analyzed contacts in ' + Math.round(performance.now() - t) + ' ms'));
  });
  console.log(JSON.stringify(r));
} finally {
  await rt.handle.close();
  await rt.release();
}
`;

/**
 * `node [nodeArgs] bin/keel.js import contacts FILE --json --workspace SLUG`, as a user runs it,
 * under `/usr/bin/time -v` when present (peak RSS, CPU). Throws if the import fails.
 */
export async function runKeelImport(
  envIn: NodeJS.ProcessEnv,
  file: string,
  slug: string,
  opts: { nodeArgs?: string[]; dbName?: string; sampleActivity?: boolean; analyzeEarly?: boolean } = {},
): Promise<ImportRun> {
  let env = envIn;
  // On the embedded database nothing outside the process can reach PGlite: the ANALYZE experiment
  // runs the import through a stand-in for the CLI that does the same (below).
  const standIn = opts.analyzeEarly && !opts.dbName;
  const nodeCmd = standIn
    ? [process.execPath, ...(opts.nodeArgs ?? []), '--input-type=module', '-e', analyzingImport]
    : [process.execPath, ...(opts.nodeArgs ?? []), keelBin, 'import', 'contacts', file, '--json', '--workspace', slug];
  if (standIn) env = { ...env, KEEL_DIST: path.join(root, 'dist/src'), IMPORT_FILE: file, IMPORT_WORKSPACE: slug };
  const timed = existsSync('/usr/bin/time');
  const pgCpu = opts.dbName ? new PgCpu(opts.dbName) : null;
  const activity = opts.dbName && opts.sampleActivity ? new ActivitySampler(opts.dbName) : null;
  await activity?.start();
  const proc = timed
    ? new Proc('keel import', '/usr/bin/time', ['-v', ...nodeCmd], env)
    : new Proc('keel import', nodeCmd[0] ?? process.execPath, nodeCmd.slice(1), env);
  onCleanup(() => proc.stop());
  const samples: ImportRun['samples'] = [];
  let hwm = 0;
  let nodePid: number | undefined = timed ? undefined : proc.child.pid;
  const cpuOfNode = { user: 0, sys: 0 };
  let analyzed: number | null = opts.analyzeEarly && opts.dbName ? 0 : null;
  while (proc.running) {
    pgCpu?.poll();
    // Experiment: ANALYZE contacts once the first batch is in, as the import itself could.
    if (
      opts.dbName &&
      analyzed === 0 &&
      Number(psql(opts.dbName, "select coalesce(max(rows_done), 0) from imports where status = 'running'")) > 0
    ) {
      psql(opts.dbName, 'analyze contacts');
      analyzed = (performance.now() - proc.startedAt) / 1000;
    }
    if (nodePid === undefined && proc.child.pid !== undefined) nodePid = childrenOf(proc.child.pid)[0];
    if (nodePid !== undefined) {
      hwm = Math.max(hwm, statusKb(nodePid, 'VmHWM'));
      const rss = statusKb(nodePid, 'VmRSS');
      if (rss > 0) samples.push({ s: (performance.now() - proc.startedAt) / 1000, rssMb: rss / 1024, csvPos: filePos(nodePid, file) });
    }
    await Promise.race([proc.exited, sleep(500)]);
  }
  await proc.exited;
  const wallMs = performance.now() - proc.startedAt;
  await activity?.stop();
  const postgresCpuMs = pgCpu ? pgCpu.ms : null;
  const out = proc.output;
  if (proc.exitCode !== 0) throw new Error(`keel import exited with code ${proc.exitCode}\n${proc.tail(40)}`);
  const jsonLine = out.split('\n').find((l) => l.startsWith('{"id"'));
  if (!jsonLine) throw new Error(`keel import printed no JSON result\n${proc.tail(40)}`);
  const result = JSON.parse(jsonLine) as CliImportJson;
  if (result.status !== 'completed') throw new Error(`keel import ended ${result.status}: ${result.failure ?? ''}`);
  const num = (label: string) => Number(new RegExp(`${label}: ([\\d.]+)`).exec(out)?.[1] ?? NaN);
  if (timed) {
    cpuOfNode.user = num('User time \\(seconds\\)');
    cpuOfNode.sys = num('System time \\(seconds\\)');
    hwm = Math.max(hwm, num('Maximum resident set size \\(kbytes\\)'));
  }
  const stderr = out
    .split('\n')
    .filter((l) => l !== jsonLine && !l.startsWith('\t'))
    .join('\n')
    .trim();
  return {
    result,
    wallMs,
    maxRssKb: hwm,
    userS: cpuOfNode.user,
    sysS: cpuOfNode.sys,
    postgresCpuMs,
    activity,
    analyzedAtS: analyzed,
    samples,
    stderr,
  };
}

/** What the workspace holds after an import: contacts, and how many carry each custom field. */
export async function contactCounts(db: Db, workspaceId: string): Promise<Record<string, number>> {
  const keys = CONTACTS_CSV_CUSTOM_FIELDS.map((f) => f.key);
  const r = await sql<Record<string, string>>`select count(*) as contacts,
    ${sql.join(keys.map((k) => sql`count(*) filter (where custom ? ${k}) as ${sql.id(k)}`))}
    from contacts where workspace_id = ${workspaceId} and deleted_at is null`.execute(db);
  return Object.fromEntries(Object.entries(r.rows[0] ?? {}).map(([k, v]) => [k, Number(v)]));
}

export interface SeededWorkspace {
  dbName: string;
  databaseUrl: string;
  workspaceId: string;
  slug: string;
  contacts: number;
  env: NodeJS.ProcessEnv;
}

/**
 * A PostgreSQL database with the seeded contacts in workspace bench-contacts: `reuse` names one a
 * previous run kept (`import-contacts --keep-db`, or `--keep-db` here); otherwise a new database
 * is made and filled with `keel import contacts` of the (rows, seed) CSV, dropped at the end unless `keep`.
 */
export async function seededWorkspace(opts: {
  reuse?: string;
  rows: number;
  seed: number;
  keep: boolean;
  label: string;
}): Promise<SeededWorkspace> {
  let dbName = opts.reuse;
  let databaseUrl: string;
  const dataDir = scratchDir(`${opts.label}-${process.pid}`);
  if (dbName) {
    if (!databaseExists(dbName)) throw new Error(`--db ${dbName}: no such database`);
    databaseUrl = `${PG_ADMIN_URL}/${dbName}`;
  } else {
    dbName = `keel_bench_${opts.label.replace(/-/g, '_')}_${process.pid}`;
    databaseUrl = createDatabase(dbName, opts.keep);
    const env = benchEnv({ databaseUrl, dataDir });
    const csv = await contactsCsv(opts.rows, opts.seed);
    const ws = await prepareWorkspace(env);
    console.log(`seeding ${dbName}: keel import contacts of ${path.relative(process.cwd(), csv.file)}…`);
    const run = await runKeelImport(env, csv.file, ws.slug, { dbName });
    console.log(
      `  ${run.result.created} contacts created in ${(run.wallMs / 1000).toFixed(1)} s${opts.keep ? ` (database kept: ${dbName})` : ''}`,
    );
  }
  const env = benchEnv({ databaseUrl, dataDir });
  const ws = psql(dbName, `select id || ' ' || slug from workspaces where name = '${WORKSPACE_NAME}' order by id limit 1`).split(' ');
  const [workspaceId = '', slug = ''] = ws;
  if (!workspaceId) throw new Error(`${dbName} has no workspace named ${WORKSPACE_NAME}`);
  const contacts = Number(psql(dbName, `select count(*) from contacts where workspace_id = '${workspaceId}' and deleted_at is null`));
  return { dbName, databaseUrl, workspaceId, slug, contacts, env };
}
