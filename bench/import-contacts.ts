// `keel import contacts` of the seeded 1M-row CSV (PostgreSQL, embedded) vs COPY of the same file.
//
//   npm run bench -- import-contacts [--rows 1000000] [--seed 1] [--db pg,embedded] [--no-baseline]
//                                    [--cpu-prof] [--sample-pg] [--analyze-early] [--keep-db]
//                                    [--indexed-fields] [--explain-lookup] [--node-args=--max-old-space-size=200]
//                                    [--quiet-wait 30]
//
// The CSV comes from bench/lib/contacts-csv.ts (names, emails with ~2% repeats in another case and
// ~1% broken ones, phones, companies, countries, five custom fields) and is cached in bench/.data.
// For each back end: a fresh database (PostgreSQL: a new database on 127.0.0.1:5432; embedded: a
// new KEEL_DATA_DIR), `keel migrate`, `keel workspace create`, the five custom fields defined with
// createCustomField (so the import maps them), then the timed part: `node bin/keel.js import
// contacts FILE --json --workspace bench-contacts` (upsert by email) from launch to exit, under
// `/usr/bin/time -v` for its peak RSS and CPU. The contacts it wrote are counted afterwards.
//
// Baselines, on PostgreSQL in the same run (psql's \copy, which streams the file from the client):
// - COPY of the file into a table with the CSV's 13 columns (text) and a btree index on email. The
//   issue asks for a unique email index, but the file repeats some emails exactly (a duplicate row
//   copies an earlier row's email, usually in another case, sometimes in the same case twice), so a
//   plain COPY into a unique index fails; a non-unique btree index costs the same to maintain.
// - context: the same end state in set-based SQL: COPY into a staging table, then one INSERT ...
//   SELECT DISTINCT ON (lower(email)) into a copy of Keel's contacts table (LIKE contacts INCLUDING
//   ALL: its generated search vector, GIN index and unique (workspace_id, email) index) ON CONFLICT DO
//   NOTHING. No validation: what PostgreSQL alone needs to store these rows the way Keel does.
// - context: the floor for Keel's table: COPY of those finished rows (written out untimed) into
//   another copy of the contacts table, with all its indexes, and again without its GIN index.
//
// --keep-db keeps the PostgreSQL database (1M contacts in workspace bench-contacts) for
// `contacts-list --db NAME` and `export-contacts --db NAME`. --cpu-prof runs the imports under
// `node --cpu-prof` and prints where their CPU went; --sample-pg samples pg_stat_activity every 50 ms
// during the PostgreSQL import and prints which statements its backends were running.
// --analyze-early (an experiment for the findings in BENCHMARKS.md) runs `ANALYZE contacts` once
// the import's first batch is written, as the import itself could: without table statistics the
// planner looks up a batch's emails by scanning the whole workspace. On PostgreSQL it runs from the
// side (psql); on the embedded database, which no other process can reach, the import runs through
// a stand-in for the CLI (bench/lib/contacts-db.ts) that calls the same compiled importFromCli and
// queues the ANALYZE from its progress callback.
// --explain-lookup prints, after each import, EXPLAIN ANALYZE of the batch lookup planBatch sends,
// before and after an ANALYZE of contacts (which it leaves done).
// --node-args passes flags to the importing node process (e.g. a heap limit, to tell the live
// memory from the garbage V8 lets accumulate). --indexed-fields creates the custom fields with
// `indexed: true` (an expression index each) instead of the default false.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import {
  PgCpu,
  contactCounts,
  contactsCsv,
  createDatabase,
  benchEnv,
  prepareWorkspace,
  psql,
  runKeelImport,
  scratchDir,
  withDb,
} from './lib/contacts-db.js';
import type { ImportRun } from './lib/contacts-db.js';
import { summariseProfile } from './lib/profile.js';
import { sql } from 'kysely';
import type { Db } from '../src/platform/db/database.js';
import { contactDef } from '../src/modules/crm/crm-objects.js';
import { selectList } from '../src/modules/crm/records.repo.js';
import {
  dataRoot,
  onCleanup,
  ensureServerBuilt,
  fmt,
  machineBusyMs,
  machineInfo,
  machineStealMs,
  printMachine,
  quietCheck,
  runBenchmark,
  sleep,
  table,
  waitQuiet,
} from './lib/util.js';

const { values: opts } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: '1' },
    db: { type: 'string', default: 'pg,embedded' },
    'no-baseline': { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    'keep-db': { type: 'boolean', default: false },
    'indexed-fields': { type: 'boolean', default: false },
    'sample-pg': { type: 'boolean', default: false },
    'analyze-early': { type: 'boolean', default: false },
    'node-args': { type: 'string', default: '' },
    'explain-lookup': { type: 'boolean', default: false },
    'quiet-wait': { type: 'string', default: '30' },
  },
});
const rows = Number(opts.rows);
const seed = Number(opts.seed);
const kinds = opts.db.split(',').map((s) => s.trim());
for (const k of kinds) if (k !== 'pg' && k !== 'embedded') throw new Error(`--db takes pg and/or embedded, not ${k}`);
const runId = `${process.pid}`;
const profDir = path.join(dataRoot, 'profiles', `import-contacts-${runId}`);

const GOAL_PG_S = 60;
const GOAL_COPY_SHARE = 0.25;
const GOAL_RSS_MB = 500;
const GOAL_EMBEDDED_X = 3;

/** Runs `fn`, timed, with the CPU the whole machine used meanwhile (ms) and hypervisor steal (cores). */
async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number; busyMs: number; stealCores: number }> {
  const busy0 = machineBusyMs();
  const steal0 = machineStealMs();
  const t0 = performance.now();
  const value = await fn();
  const ms = performance.now() - t0;
  return { value, ms, busyMs: machineBusyMs() - busy0, stealCores: (machineStealMs() - steal0) / ms };
}

interface KeelResult {
  kind: 'pg' | 'embedded';
  label: string;
  run: ImportRun;
  otherCores: number;
  stealCores: number;
  counts: Record<string, number>;
  phases: { setupS: number; runS: number };
  dbName?: string;
  /** EXPLAIN ANALYZE of the batch lookup after the import, before and after ANALYZE (--explain-lookup). */
  lookupPlans?: Array<{ when: string; plan: string }>;
}

/**
 * EXPLAIN ANALYZE of the statement planBatch sends for a batch (findExisting in import-batch.ts,
 * rebuilt here with the same select list: 2000 emails as one array parameter, FOR UPDATE) with
 * emails not in the table, as in an import of new contacts: first with the statistics the import
 * left (none, unless something analyzed the table), then after ANALYZE contacts.
 */
async function explainLookup(db: Db, workspaceId: string): Promise<Array<{ when: string; plan: string }>> {
  const emails = (
    await sql<{ e: string }>`select 'new-' || email as e from contacts where workspace_id = ${workspaceId} limit 2000`.execute(db)
  ).rows.map((r) => r.e);
  const out: Array<{ when: string; plan: string }> = [];
  for (const when of ['as the import left the table', 'after ANALYZE contacts']) {
    if (when.startsWith('after')) await sql`analyze contacts`.execute(db);
    const r = await sql<{ 'QUERY PLAN': string }>`explain (analyze) select ${selectList(contactDef)} from contacts r
      where r.workspace_id = ${workspaceId} and r.deleted_at is null and r.email = any(${emails}::text[]) for update of r`.execute(db);
    // The 2000 emails make the plan unreadable: cut the array literal short.
    const plan = r.rows.map((x) => x['QUERY PLAN'].replace(/'\{[^}]*\}'/g, "'{...2000 emails...}'")).join('\n');
    out.push({ when, plan });
  }
  return out;
}

async function importInto(kind: 'pg' | 'embedded', file: string): Promise<KeelResult> {
  const label = kind === 'pg' ? 'Keel import, PostgreSQL' : 'Keel import, embedded PGlite';
  const dataDir = scratchDir(`import-contacts-${runId}-${kind}`, opts['keep-db'] && kind === 'pg');
  let dbName: string | undefined;
  let databaseUrl: string | undefined;
  if (kind === 'pg') {
    dbName = `keel_bench_import_${runId}`;
    databaseUrl = createDatabase(dbName, opts['keep-db']);
  }
  const env = benchEnv({ databaseUrl, dataDir });
  const ws = await prepareWorkspace(env, { indexed: opts['indexed-fields'] });
  if (dbName) psql(dbName, 'checkpoint');
  await waitQuiet(Number(opts['quiet-wait']));
  console.log(
    `${label}: importing (workspace ${ws.slug}, ${dbName ? `database ${dbName}` : `data folder ${path.relative(process.cwd(), dataDir)}`})…`,
  );
  const nodeArgs = [
    ...opts['node-args'].split(' ').filter(Boolean),
    ...(opts['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`, `--cpu-prof-name=import-${kind}.cpuprofile`] : []),
  ];
  const t = await timed(() =>
    runKeelImport(env, file, ws.slug, { nodeArgs, dbName, sampleActivity: opts['sample-pg'], analyzeEarly: opts['analyze-early'] }),
  );
  const run = t.value;
  const own = (run.userS + run.sysS) * 1000 + (run.postgresCpuMs ?? 0);
  const otherCores = Math.max(0, t.busyMs - own) / t.ms;
  if (run.analyzedAtS !== null) console.log(`  (ran ANALYZE contacts ${fmt(run.analyzedAtS, 1)} s after launch)`);
  for (const l of run.stderr.split('\n').filter((x) => x.startsWith('analyzed contacts'))) console.log(`  (${l}, after the first batch)`);
  console.log(
    `  ${fmt(run.wallMs / 1000, 1)} s; ${run.result.created} created, ${run.result.updated} updated, ${run.result.skipped} skipped, ${run.result.errors} errors; peak RSS ${fmt(run.maxRssKb / 1024, 0)} MB; other load ${fmt(otherCores)} cores, steal ${fmt(t.stealCores)}`,
  );
  const { counts, phases, lookupPlans } = await withDb(env, async (db) => {
    const imp = await db
      .selectFrom('imports')
      .select(['created_at', 'started_at', 'finished_at'])
      .where('id', '=', run.result.id)
      .executeTakeFirstOrThrow();
    const startedAt = imp.started_at ?? imp.created_at;
    return {
      counts: await contactCounts(db, ws.id),
      phases: {
        setupS: (startedAt.getTime() - imp.created_at.getTime()) / 1000,
        runS: ((imp.finished_at ?? startedAt).getTime() - startedAt.getTime()) / 1000,
      },
      lookupPlans: opts['explain-lookup'] ? await explainLookup(db, ws.id) : undefined,
    };
  });
  return { kind, label, run, otherCores, stealCores: t.stealCores, counts, phases, dbName, lookupPlans };
}

const CSV_COLUMNS = [
  'email',
  'first_name',
  'last_name',
  'phone',
  'title',
  'company',
  'country',
  'city',
  'industry_segment',
  'employees',
  'newsletter_opt_in',
  'signup_date',
  'annual_budget',
];

interface BaselineStep {
  label: string;
  ms: number;
  otherCores: number;
}

/**
 * psql in a child process, timed, with the CPU it and its backend used (so what others used meanwhile
 * can be told apart); under `/usr/bin/time` when present for psql's own CPU.
 */
async function timedPsql(label: string, db: string, sqlText: string): Promise<BaselineStep> {
  psql(db, 'checkpoint');
  await waitQuiet(Number(opts['quiet-wait']));
  const args = ['-h', '127.0.0.1', '-U', 'postgres', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', db, '-c', sqlText];
  const useTime = existsSync('/usr/bin/time');
  const pgCpu = new PgCpu(db);
  const t = await timed(async () => {
    const child = useTime ? spawn('/usr/bin/time', ['-f', 'psql-cpu %U %S', 'psql', ...args]) : spawn('psql', args);
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.stdout.resume();
    const done = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    let status: number | null | undefined;
    void done.then((c) => (status = c));
    while (status === undefined) {
      pgCpu.poll();
      await Promise.race([done, sleep(100)]);
    }
    return { status, stderr };
  });
  const pgMs = pgCpu.ms;
  if (t.value.status !== 0) throw new Error(`psql failed: ${t.value.stderr}`);
  const m = /psql-cpu ([\d.]+) ([\d.]+)/.exec(t.value.stderr);
  const psqlMs = m ? (Number(m[1]) + Number(m[2])) * 1000 : 0;
  const otherCores = Math.max(0, t.busyMs - pgMs - psqlMs) / t.ms;
  console.log(
    `  ${label}: ${fmt(t.ms / 1000, 2)} s (PostgreSQL CPU ${fmt(pgMs / 1000, 1)} s, psql ${fmt(psqlMs / 1000, 1)} s; other load ${fmt(otherCores)} cores, steal ${fmt(t.stealCores)})`,
  );
  return { label, ms: t.ms, otherCores };
}

async function baselines(
  db: string,
  file: string,
  workspaceId: string,
): Promise<{ copy: BaselineStep; stage: BaselineStep; insert: BaselineStep; floor: BaselineStep; floorNoGin: BaselineStep }> {
  const cols = CSV_COLUMNS.map((c) => `${c} text`).join(', ');
  const quoted = `'${file.replace(/'/g, "''")}'`;
  psql(db, `create table bench_copy (${cols}); create index bench_copy_email_idx on bench_copy (email)`);
  console.log('baseline: COPY into a 13-column table with an index on email…');
  const copy = await timedPsql(
    'COPY (\\copy from the file)',
    db,
    `\\copy bench_copy (${CSV_COLUMNS.join(', ')}) from ${quoted} with (format csv, header true)`,
  );
  const copied = Number(psql(db, 'select count(*) from bench_copy'));
  if (copied !== rows) throw new Error(`COPY loaded ${copied} rows, expected ${rows}`);

  console.log('context: COPY to a staging table, then INSERT ... SELECT DISTINCT ON (lower(email)) into a copy of the contacts table…');
  // LIKE copies columns, defaults, checks, the generated search vector and the indexes, not foreign keys.
  const likeContacts = (t: string) =>
    `create table ${t} (like contacts including all); alter table ${t} add foreign key (workspace_id) references workspaces (id)`;
  psql(db, `create table bench_stage (n bigserial, ${cols}); ${likeContacts('bench_contacts')}`);
  const stage = await timedPsql(
    'COPY into the staging table',
    db,
    `\\copy bench_stage (${CSV_COLUMNS.join(', ')}) from ${quoted} with (format csv, header true)`,
  );
  const custom = `jsonb_strip_nulls(jsonb_build_object(${CSV_COLUMNS.slice(8)
    .map((c) => `'${c}', nullif(${c}, '')`)
    .join(', ')}))`;
  const insert = await timedPsql(
    'INSERT ... SELECT DISTINCT ON ... ON CONFLICT DO NOTHING',
    db,
    `insert into bench_contacts (id, workspace_id, email, first_name, last_name, phone, title, company, country, city, custom, version, created_at, updated_at)
     select distinct on (lower(email)) gen_random_uuid(), '${workspaceId}'::uuid, lower(email), nullif(first_name, ''), nullif(last_name, ''),
       nullif(phone, ''), nullif(title, ''), nullif(company, ''), nullif(country, ''), nullif(city, ''), ${custom}, 1, now(), now()
     from bench_stage where email like '%_@_%' order by lower(email), n
     on conflict (workspace_id, email) where deleted_at is null do nothing`,
  );

  // The floor for Keel's table: COPY of the finished rows (the INSERT's result, written out
  // untimed) into another copy of the contacts table, with and without its GIN search index.
  console.log('context: COPY of the finished rows into a copy of the contacts table (all its indexes, then without the GIN index)…');
  const rowsFile = path.join(dataRoot, `import-contacts-${runId}-rows.csv`);
  onCleanup(() => rmSync(rowsFile, { force: true }));
  const contactCols =
    'id, workspace_id, email, first_name, last_name, phone, title, company, country, city, traits, custom, version, created_at, updated_at';
  psql(db, `\\copy bench_contacts (${contactCols}) to '${rowsFile}' with (format csv)`);
  psql(db, `${likeContacts('bench_floor')}; ${likeContacts('bench_floor_nogin')}`);
  const gin = psql(db, "select indexname from pg_indexes where tablename = 'bench_floor_nogin' and indexdef ilike '%using gin%'");
  psql(db, `drop index ${gin}`);
  const floor = await timedPsql(
    'COPY into a copy of contacts',
    db,
    `\\copy bench_floor (${contactCols}) from '${rowsFile}' with (format csv)`,
  );
  const floorNoGin = await timedPsql(
    'COPY into a copy of contacts without the GIN index',
    db,
    `\\copy bench_floor_nogin (${contactCols}) from '${rowsFile}' with (format csv)`,
  );
  return { copy, stage, insert, floor, floorNoGin };
}

runBenchmark(async () => {
  const machine = machineInfo();
  console.log(`import-contacts: keel import contacts of ${rows.toLocaleString('en')} rows (upsert by email) vs COPY`);
  printMachine(machine);
  await quietCheck();
  if (opts['cpu-prof']) console.log('NOTE: --cpu-prof is on: the imports run under the V8 profiler, so they are slower than normal.\n');
  ensureServerBuilt();

  const csv = await contactsCsv(rows, seed);
  console.log(
    `CSV ${path.relative(process.cwd(), csv.file)}: ${csv.stats.rows.toLocaleString('en')} rows, ${fmt(csv.stats.bytes / 2 ** 20, 1)} MiB, ${csv.stats.duplicates} repeated emails (another case), ${csv.stats.invalid} broken emails${csv.generatedMs === null ? ' (cached)' : `, generated in ${fmt(csv.generatedMs / 1000, 1)} s`}\n`,
  );

  const results: KeelResult[] = [];
  let base: Awaited<ReturnType<typeof baselines>> | null = null;
  for (const kind of kinds as Array<'pg' | 'embedded'>) {
    const r = await importInto(kind, csv.file);
    results.push(r);
    if (kind === 'pg' && r.dbName && !opts['no-baseline']) {
      const wsId = psql(r.dbName, "select id from workspaces where slug = 'bench-contacts'");
      base = await baselines(r.dbName, csv.file, wsId);
      psql(r.dbName, 'drop table bench_copy, bench_stage, bench_contacts, bench_floor, bench_floor_nogin');
    }
    console.log('');
  }

  const mb = (kb: number) => fmt(kb / 1024, 0);
  console.log(`results (${rows.toLocaleString('en')} data rows; wall time from launching node to its exit):\n`);
  const resultRows = results.map((r) => [
    r.label,
    fmt(r.run.wallMs / 1000, 1),
    fmt(rows / (r.run.wallMs / 1000), 0),
    fmt(r.phases.setupS, 1),
    fmt(r.phases.runS, 1),
    `${r.run.result.created} / ${r.run.result.updated} / ${r.run.result.skipped} / ${r.run.result.errors}`,
    mb(r.run.maxRssKb),
    `${fmt(r.run.userS, 1)} + ${fmt(r.run.sysS, 1)}`,
    r.run.postgresCpuMs === null ? '-' : fmt(r.run.postgresCpuMs / 1000, 1),
    `${fmt(r.otherCores)} / ${fmt(r.stealCores)}`,
  ]);
  if (base) {
    const b = base;
    resultRows.push(
      [
        'baseline: COPY into 13 text columns + index on email',
        fmt(b.copy.ms / 1000, 1),
        fmt(rows / (b.copy.ms / 1000), 0),
        '-',
        '-',
        '-',
        '-',
        '-',
        '-',
        fmt(b.copy.otherCores),
      ],
      [
        'context: COPY to staging + INSERT DISTINCT ON into a contacts copy',
        fmt((b.stage.ms + b.insert.ms) / 1000, 1),
        fmt(rows / ((b.stage.ms + b.insert.ms) / 1000), 0),
        fmt(b.stage.ms / 1000, 1),
        fmt(b.insert.ms / 1000, 1),
        '-',
        '-',
        '-',
        '-',
        fmt(Math.max(b.stage.otherCores, b.insert.otherCores)),
      ],
      [
        'context: COPY of the finished rows into a contacts copy',
        fmt(b.floor.ms / 1000, 1),
        fmt(rows / (b.floor.ms / 1000), 0),
        '-',
        '-',
        '-',
        '-',
        '-',
        '-',
        fmt(b.floor.otherCores),
      ],
      [
        'context: the same without the GIN search index',
        fmt(b.floorNoGin.ms / 1000, 1),
        fmt(rows / (b.floorNoGin.ms / 1000), 0),
        '-',
        '-',
        '-',
        '-',
        '-',
        '-',
        fmt(b.floorNoGin.otherCores),
      ],
    );
  }
  console.log(
    table(
      [
        'what',
        'wall s',
        'file rows/s',
        'before runImport s',
        'runImport s',
        'created / updated / skipped / errors',
        'peak RSS MB',
        'node CPU s (user + sys)',
        'PostgreSQL CPU s',
        'other load / steal (cores)',
      ],
      resultRows,
    ),
  );
  console.log(
    '\n"before runImport" is from the imports row\'s created_at to started_at (createImport, mapping, date detection); "runImport" from started_at to finished_at. For the staging context row they are the COPY and the INSERT. "file rows/s" is the file data rows over the wall time, for every row (the context COPYs of finished rows load the deduplicated rows).',
  );

  console.log('\nwhat the workspace holds afterwards (live contacts; contacts with each custom field set):\n');
  const keys = Object.keys(results[0]?.counts ?? {});
  console.log(
    table(
      ['back end', ...keys],
      results.map((r) => [r.label, ...keys.map((k) => String(r.counts[k] ?? '-'))]),
    ),
  );

  console.log('\nprogress over time (RSS, and how far the importing process has read the CSV: rows/s over each stretch):\n');
  for (const r of results) {
    const s = r.run.samples.filter((x) => x.csvPos !== null);
    const picks = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]
      .map((f) => s[Math.min(s.length - 1, Math.floor(f * (s.length - 1)))])
      .filter((x) => x !== undefined);
    let prev = { s: 0, pos: 0 };
    const out: string[][] = [];
    for (const p of [...new Set(picks)]) {
      const pos = p.csvPos ?? 0;
      const share = pos / csv.stats.bytes;
      const rate = (((pos - prev.pos) / csv.stats.bytes) * rows) / Math.max(0.001, p.s - prev.s);
      out.push([fmt(p.s, 1), fmt(100 * share, 1), fmt(rate, 0), fmt(p.rssMb, 0)]);
      prev = { s: p.s, pos };
    }
    console.log(table([`${r.label}: s since launch`, 'CSV read %', 'rows/s since the line above', 'RSS MB'], out));
    console.log('');
    if (r.run.activity) {
      const a = r.run.activity;
      console.log(`where the PostgreSQL side spent the import (${a.samples} samples of pg_stat_activity, every 50 ms):\n`);
      console.log(table(['what the import backends were doing', 'samples', 'share'], a.rows('statement')));
      console.log('');
      console.log(table(['wait event of the active statements', 'samples', 'share of all samples'], a.rows('wait')));
      console.log('');
    }
  }

  for (const r of results) {
    for (const p of r.lookupPlans ?? []) console.log(`${r.label}: the batch lookup, ${p.when}:\n${p.plan}\n`);
  }

  const pg = results.find((r) => r.kind === 'pg');
  const emb = results.find((r) => r.kind === 'embedded');
  const goals: string[][] = [];
  const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
  if (pg) {
    const s = pg.run.wallMs / 1000;
    goals.push(['PostgreSQL import, end to end', `${fmt(s, 1)} s`, `<= ${GOAL_PG_S} s`, met(s <= GOAL_PG_S)]);
    if (base) {
      const share = base.copy.ms / pg.run.wallMs;
      goals.push([
        'PostgreSQL import throughput / COPY throughput',
        `${fmt(100 * share, 1)}%`,
        `>= ${100 * GOAL_COPY_SHARE}%`,
        met(share >= GOAL_COPY_SHARE),
      ]);
      const ctx = (base.stage.ms + base.insert.ms) / pg.run.wallMs;
      goals.push(['(context) import throughput / COPY + INSERT DISTINCT ON throughput', `${fmt(100 * ctx, 1)}%`, '', '']);
    }
    goals.push([
      'PostgreSQL import, peak RSS',
      `${mb(pg.run.maxRssKb)} MB`,
      `< ${GOAL_RSS_MB} MB`,
      met(pg.run.maxRssKb / 1024 < GOAL_RSS_MB),
    ]);
  }
  if (emb) {
    goals.push(['embedded import, end to end', `${fmt(emb.run.wallMs / 1000, 1)} s`, '(measure)', '']);
    if (pg) {
      const x = emb.run.wallMs / pg.run.wallMs;
      goals.push(['embedded time / PostgreSQL time', `${fmt(x, 2)}x`, `<= ${GOAL_EMBEDDED_X}x`, met(x <= GOAL_EMBEDDED_X)]);
    }
    goals.push([
      'embedded import, peak RSS',
      `${mb(emb.run.maxRssKb)} MB`,
      `< ${GOAL_RSS_MB} MB`,
      met(emb.run.maxRssKb / 1024 < GOAL_RSS_MB),
    ]);
  }
  console.log('goals:\n');
  console.log(table(['goal', 'measured', 'goal', 'met?'], goals));
  if (rows !== 1_000_000) console.log(`\n(the goals are for 1,000,000 rows; this run had ${rows.toLocaleString('en')})`);

  if (opts['cpu-prof'] && existsSync(profDir)) {
    for (const f of readdirSync(profDir).filter((n) => n.endsWith('.cpuprofile'))) {
      console.log(`\n${summariseProfile(path.join(profDir, f), 25).text}`);
    }
    console.log(`\nprofiles kept in ${path.relative(process.cwd(), profDir)} (open in Chrome DevTools > Performance)`);
  }
  if (opts['keep-db'] && pg?.dbName)
    console.log(`\nkept database ${pg.dbName} (drop it with: dropdb -h 127.0.0.1 -U postgres ${pg.dbName})`);
});
