// Segments at 1M contacts / 20M events: a mixed segment's count and first page against hand-written SQL, rebuilds, incremental membership.
//
//   npm run bench -- segments [--contacts 1000000] [--accounts 50000] [--events 20000000] [--days 90]
//                             [--seed 1] [--db NAME] [--keep-db] [--embedded] [--runs 10]
//                             [--skip-queries] [--skip-rebuild] [--skip-incremental]
//                             [--rate 5000] [--duration 60] [--connections 8] [--markers-per-s 2]
//                             [--incremental-segments all|one] [--drain-wait 120]
//                             [--chunk 500000] [--quiet-wait 60] [--explain] [--window-runs 3] [--window-gap 60]
//
// The data (bench/lib/segments-seed.ts): a workspace made with the app's services (two custom
// fields with createCustomField: contact `seats`, account `employees`), then set-based SQL: accounts
// with industry, country and employees; contacts with country, title, lifecycle stage, seats, a
// `plan` trait, 90% linked to an account; a profile for 85% of contacts plus anonymous ones (15% of
// the contact count), a user-id identity each; monthly event partitions (keel_ensure_event_partitions);
// events over --days days, 65% track (11 names, `Demo Requested` 1 in 32) with {plan} and 35% page
// views, spread over profiles with a skew (power(random(), 3): a few heavy users); touchpoints for
// about half the profiles. VACUUM ANALYZE after (autovacuum is off on this machine and would
// otherwise do it; the plans depend on it). With --embedded the same runs on PGlite in this process
// (sizes default to 100,000 contacts, 5,000 accounts, 2,000,000 events). --keep-db keeps the
// database (PostgreSQL) or data folder (embedded, bench/.data/NAME) and --db NAME reuses it, skipping
// the seeding; segments a previous run left are deleted first.
//
// 1. Queries. The mixed segment (bench/lib/segments-defs.ts) as GET /api/v1/segments/:id and
//    /members compute it: countMatching, then matchingContacts with limit 50, in this process (no
//    HTTP). Beside it the same question in hand-written SQL, in three forms (a correlated count, a
//    semi-join on the grouped events with HAVING, EXISTS ... OFFSET n-1), each a count and the same
//    page; the answers must equal the app's. One warm-up round, then --runs rounds, the forms in
//    turn; median and p95 (nearest rank). --explain prints EXPLAIN (ANALYZE, BUFFERS) of the app's
//    count and of each form's count.
// 2. Rebuild. 20 segments (every condition kind: fields, account, event counts and windows,
//    properties, first/last, page URL patterns, touchpoints, nesting, segment references) are saved
//    and each is built with rebuildSegment, timed; then rebuilt again (nothing changes). Then the
//    time-window pass (refreshTimedSegments, the job `segments.time-windows` runs each minute): once
//    with every segment's last window check cleared, so each timed segment is evaluated whole (what
//    the job did before migration 0030), then --window-runs times with a clock --window-gap s
//    further each time, so each pass applies that much elapsed time by re-checking only the contacts
//    at a window's edge.
// 3. Incremental. A source and an API key (services), the segment "requested a demo today" built,
//    then `node bin/keel.js serve` (built first if dist/ is stale) with its jobs, as deployed. The
//    load: /v1/batch requests of 100 events (track and page, userId `c-<contact id>` as the seeded
//    identities) at --rate events/s for --duration s over --connections keep-alive connections.
//    --markers-per-s times a second, one event of a request is a `Demo Requested` for a contact not
//    in the segment; a sampler polls for its 'entered' row (PostgreSQL: segment_membership_log
//    every 100 ms; embedded: the change feed GET /api/v1/segment-changes every 200 ms) and records
//    the time from sending that request (a marker not seen --drain-wait s after the load ends
//    counts as infinitely late). The queue backlog (segment_queue) is sampled every second
//    (PostgreSQL only). With --incremental-segments all (the default) the 20 segments of step 2 stay
//    in the workspace, so the membership worker evaluates all 21 for every changed contact, and the
//    time-window job rebuilds the timed ones every minute; `one` deletes them first. Events the run
//    ingested (and the touchpoints they made) are deleted afterwards when the database is kept.
//
// Every measurement waits for the machine to go quiet first (--quiet-wait s) and reports the CPU
// others used meanwhile (machine busy minus this process, its PostgreSQL backends and its server)
// and the hypervisor's steal.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import pg from 'pg';
import { cliActor } from '../src/platform/actor.js';
import { systemClock } from '../src/platform/clock.js';
import { loadConfig } from '../src/platform/config.js';
import type { Db } from '../src/platform/db/database.js';
import { newId } from '../src/platform/ids.js';
import { openRuntime, type Runtime } from '../src/platform/runtime.js';
import { contactDef } from '../src/modules/crm/crm-objects.js';
import { selectList } from '../src/modules/crm/records.repo.js';
import { createApiKey } from '../src/modules/api-keys/api-keys.service.js';
import { createSource } from '../src/modules/tracking/sources.service.js';
import { compileSegment, rebuildSegment, refreshTimedSegments } from '../src/modules/segments/segments.membership.js';
import { segmentNode, type SegmentNode } from '../src/modules/segments/segments.schema.js';
import { countMatching, matchingContacts } from '../src/modules/segments/segments.service.js';
import { PgCpu, createDatabase, databaseExists, PG_ADMIN_URL } from './lib/contacts-db.js';
import { HAND_FORMS, handCount, handPage, INCREMENTAL, MIXED, MIXED_DAYS, REBUILD_SEGMENTS } from './lib/segments-defs.js';
import { SEG_WORKSPACE, TRACK_EVENTS, seedData, type Exec } from './lib/segments-seed.js';
import {
  dataRoot,
  ensureServerBuilt,
  fmt,
  freePort,
  groupCpuMs,
  httpJson,
  keelBin,
  keelEnv,
  machineBusyMs,
  machineInfo,
  machineStealMs,
  median,
  onCleanup,
  percentile,
  printMachine,
  Proc,
  quietCheck,
  runBenchmark,
  sleep,
  table,
  waitQuiet,
} from './lib/util.js';

const { values: opts } = parseArgs({
  options: {
    contacts: { type: 'string' },
    accounts: { type: 'string' },
    events: { type: 'string' },
    days: { type: 'string', default: '90' },
    seed: { type: 'string', default: '1' },
    db: { type: 'string' },
    'keep-db': { type: 'boolean', default: false },
    embedded: { type: 'boolean', default: false },
    runs: { type: 'string', default: '10' },
    'skip-queries': { type: 'boolean', default: false },
    'skip-rebuild': { type: 'boolean', default: false },
    'skip-incremental': { type: 'boolean', default: false },
    rate: { type: 'string', default: '5000' },
    duration: { type: 'string', default: '60' },
    connections: { type: 'string', default: '8' },
    'markers-per-s': { type: 'string', default: '2' },
    'incremental-segments': { type: 'string', default: 'all' },
    'drain-wait': { type: 'string', default: '120' },
    'window-runs': { type: 'string', default: '3' },
    'window-gap': { type: 'string', default: '60' },
    chunk: { type: 'string' },
    'quiet-wait': { type: 'string', default: '60' },
    explain: { type: 'boolean', default: false },
  },
});
const embedded = opts.embedded;
const size = {
  contacts: Number(opts.contacts ?? (embedded ? 100_000 : 1_000_000)),
  accounts: Number(opts.accounts ?? (embedded ? 5_000 : 50_000)),
  events: Number(opts.events ?? (embedded ? 2_000_000 : 20_000_000)),
  days: Number(opts.days),
  seed: Number(opts.seed),
};
const chunk = Number(opts.chunk ?? (embedded ? 200_000 : 500_000));
const runs = Number(opts.runs);
const quietWaitS = Number(opts['quiet-wait']);
const GOAL_QUERY_MS = 2000;
const GOAL_RATIO = 1.3;
const GOAL_REBUILD_S = 60;
const GOAL_INCREMENTAL_P95_MS = 5000;

/** CPU others used while `fn` ran: machine busy minus ours (this process, PostgreSQL backends, a server group). */
async function measured<T>(
  dbName: string | null,
  serverPgid: () => number | undefined,
  fn: () => Promise<T>,
): Promise<{ result: T; wallMs: number; otherCores: number; stealCores: number; pgMs: number; serverMs: number; ownMs: number }> {
  const pgCpu = dbName ? new PgCpu(dbName) : null;
  const poll = setInterval(() => pgCpu?.poll(), 250);
  const busy0 = machineBusyMs();
  const steal0 = machineStealMs();
  const own0 = process.cpuUsage();
  const srv0 = serverPgid() !== undefined ? groupCpuMs(serverPgid()) : 0;
  const t0 = performance.now();
  try {
    const result = await fn();
    const wallMs = performance.now() - t0;
    pgCpu?.poll();
    const own = process.cpuUsage(own0);
    const srv = serverPgid() !== undefined ? groupCpuMs(serverPgid()) - srv0 : 0;
    const ours = (own.user + own.system) / 1000 + (pgCpu?.ms ?? 0) + srv;
    return {
      result,
      wallMs,
      otherCores: Math.max(0, machineBusyMs() - busy0 - ours) / wallMs,
      stealCores: (machineStealMs() - steal0) / wallMs,
      pgMs: pgCpu?.ms ?? 0,
      serverMs: srv,
      ownMs: (own.user + own.system) / 1000,
    };
  } finally {
    clearInterval(poll);
  }
}

const fmtLat = (n: number) => (n === Infinity ? 'not seen' : fmt(n));
const disturbance = (m: { otherCores: number; stealCores: number }) => `other ${fmt(m.otherCores)} / steal ${fmt(m.stealCores)} cores`;

interface Backend {
  label: string;
  dbName: string | null;
  env: NodeJS.ProcessEnv;
  rt: Runtime | null;
  db: Db;
  exec: Exec;
  close(): Promise<void>;
}

async function openBackend(): Promise<{ backend: Backend; fresh: boolean }> {
  mkdirSync(dataRoot, { recursive: true });
  if (embedded) {
    const name = opts.db ?? `segments-embedded-${process.pid}`;
    const dir = path.join(dataRoot, name);
    const fresh = !opts.db;
    if (opts.db && !existsSync(dir)) throw new Error(`--db ${opts.db}: no folder ${dir}`);
    if (fresh) {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      if (!opts['keep-db']) onCleanup(() => rmSync(dir, { recursive: true, force: true }));
    }
    const env = keelEnv({ KEEL_DATA_DIR: dir, LOG_LEVEL: 'warn', KEEL_DEMO: '0' });
    const rt = await openRuntime(loadConfig(env), { waitForStaleMs: 6000 });
    const pool = rt.handle.pool;
    return {
      fresh,
      backend: {
        label: `embedded PGlite (${name})`,
        dbName: null,
        env,
        rt,
        db: rt.handle.db,
        exec: async (text) => (await pool.query(text)).rows as Array<Record<string, unknown>>,
        close: async () => {
          await rt.handle.close();
          await rt.release();
        },
      },
    };
  }
  let dbName = opts.db;
  let url: string;
  const fresh = !dbName;
  if (dbName) {
    if (!databaseExists(dbName)) throw new Error(`--db ${dbName}: no such database`);
    url = `${PG_ADMIN_URL}/${dbName}`;
  } else {
    dbName = `keel_bench_segments_${process.pid}`;
    url = createDatabase(dbName, opts['keep-db']);
  }
  const env = keelEnv({
    DATABASE_URL: url,
    KEEL_DATA_DIR: path.join(dataRoot, `segments-${process.pid}`),
    LOG_LEVEL: 'warn',
    KEEL_DEMO: '0',
  });
  const rt = await openRuntime(loadConfig(env));
  // Seeding needs one session (temp tables, setseed, session settings).
  const client = new pg.Client({ connectionString: url, application_name: 'bench-seed' });
  await client.connect();
  return {
    fresh,
    backend: {
      label: `PostgreSQL (${dbName})`,
      dbName,
      env,
      rt,
      db: rt.handle.db,
      exec: async (text) => (await client.query(text)).rows as Array<Record<string, unknown>>,
      close: async () => {
        await client.end();
        await rt.handle.close();
        await rt.release();
      },
    },
  };
}

async function q1<T extends Record<string, unknown>>(db: Db, query: ReturnType<typeof sql>): Promise<T | undefined> {
  return ((await query.execute(db)).rows[0] ?? undefined) as T | undefined;
}

async function measureQueries(b: Backend, ws: string): Promise<void> {
  console.log(`\n== 1. the mixed segment: count and first page of 50 (${runs} runs) ==`);
  console.log(JSON.stringify(MIXED));
  const db = b.db;
  const now = () => new Date();
  const sinceOf = (t: Date) => new Date(t.getTime() - MIXED_DAYS * 86_400_000);
  const select = selectList(contactDef);
  type Target = { name: string; run: () => Promise<{ count: number; ids: string[] }> };
  const targets: Target[] = [
    {
      name: 'Keel: countMatching + matchingContacts(limit 50)',
      run: async () => {
        const t = now();
        const count = await countMatching(db, ws, t, MIXED);
        const page = await matchingContacts(db, ws, t, MIXED, { limit: 50 });
        return { count, ids: page.data.map((r) => r.id) };
      },
    },
    ...HAND_FORMS.map((f) => ({
      name: `hand-written: ${f.name}`,
      run: async () => {
        const t = now();
        const c = await handCount(f, ws, sinceOf(t)).execute(db);
        const p = await handPage(f, ws, sinceOf(t), select, 51).execute(db);
        return { count: Number(c.rows[0]?.n ?? 0), ids: p.rows.slice(0, 50).map((r) => r.id) };
      },
    })),
  ];
  // Count and page separately too, for the table.
  const times = new Map<string, number[]>(targets.map((t) => [t.name, []]));
  const answers = new Map<string, { count: number; ids: string[] }>();
  console.log('warm-up round…');
  for (const t of targets) answers.set(t.name, await t.run());
  const ref = answers.get(targets[0]?.name ?? '');
  for (const [name, a] of answers) {
    const same = a.count === ref?.count && a.ids.join() === ref.ids.join();
    console.log(`  ${name}: ${a.count} contacts, first id ${a.ids[0] ?? '-'}${same ? '' : '  <-- DIFFERENT ANSWER'}`);
    if (!same) throw new Error(`${name} answers differently from Keel: ${a.count} vs ${ref?.count}`);
  }
  await waitQuiet(quietWaitS);
  const m = await measured(
    b.dbName,
    () => undefined,
    async () => {
      for (let i = 0; i < runs; i++) {
        for (const t of targets) {
          const t0 = performance.now();
          await t.run();
          times.get(t.name)?.push(performance.now() - t0);
        }
      }
    },
  );
  const best = Math.min(...HAND_FORMS.map((f) => median(times.get(`hand-written: ${f.name}`) ?? [])));
  const keelMed = median(times.get(targets[0]?.name ?? '') ?? []);
  console.log(
    `\nmixed segment (${b.label}; ${ref?.count ?? 0} contacts match; ms; ${disturbance(m)} over ${fmt(m.wallMs / 1000, 1)} s):\n`,
  );
  console.log(
    table(
      ['what (count + first page of 50)', 'runs', 'median', 'p95', 'min', 'max', 'vs best hand-written (median)'],
      targets.map((t) => {
        const s = Float64Array.from(times.get(t.name) ?? []).sort();
        return [
          t.name,
          String(s.length),
          fmt(median([...s])),
          fmt(percentile(s, 95)),
          fmt(s[0] ?? NaN),
          fmt(s[s.length - 1] ?? NaN),
          `${fmt(median([...s]) / best)}x`,
        ];
      }),
    ),
  );
  const keelP95 = percentile(Float64Array.from(times.get(targets[0]?.name ?? '') ?? []).sort(), 95);
  console.log(
    `\ngoal: under ${GOAL_QUERY_MS} ms: ${keelP95 < GOAL_QUERY_MS ? 'met' : 'NOT met'} (p95 ${fmt(keelP95)} ms); within ${GOAL_RATIO}x of the best hand-written SQL: ${keelMed / best <= GOAL_RATIO ? 'met' : 'NOT met'} (${fmt(keelMed / best)}x)`,
  );
  if (opts.explain) {
    const t = now();
    const c = await compileSegment(db, ws, t, MIXED);
    const show = async (label: string, query: ReturnType<typeof sql>) => {
      const plan = await sql<Record<string, string>>`explain (analyze, buffers) ${query}`.execute(db);
      console.log(`\n-- EXPLAIN ANALYZE: ${label}\n${plan.rows.map((r) => String(Object.values(r)[0])).join('\n')}`);
    };
    await show(
      'Keel count (countMatching)',
      sql`select count(*) from contacts r where r.workspace_id = ${ws} and r.deleted_at is null and ${c.cond}`,
    );
    await show(
      'Keel page (matchingContacts)',
      sql`select ${select} from contacts r where r.workspace_id = ${ws} and r.deleted_at is null and ${c.cond} order by r.id limit 51`,
    );
    for (const f of HAND_FORMS) await show(`hand-written count: ${f.name}`, handCount(f, ws, sinceOf(t)));
  }
}

async function saveSegment(db: Db, ws: string, name: string, definition: SegmentNode): Promise<string> {
  // As createSegment saves it (validated, compiled), minus the count it returns and the audit row:
  // at 1M contacts that count would take as long as the rebuild measured here.
  const def = segmentNode.parse(definition);
  await compileSegment(db, ws, new Date(), def);
  const id = newId();
  const now = new Date();
  await db
    .insertInto('segments')
    .values({ id, workspace_id: ws, name, description: 'bench', definition: JSON.stringify(def), created_at: now, updated_at: now })
    .execute();
  return id;
}

async function deleteSegments(db: Db, ws: string): Promise<void> {
  await sql`delete from segment_queue where workspace_id = ${ws}`.execute(db);
  await sql`delete from segment_membership_log where workspace_id = ${ws}`.execute(db);
  await sql`delete from segment_members where workspace_id = ${ws}`.execute(db);
  await sql`delete from segments where workspace_id = ${ws}`.execute(db);
}

async function measureRebuild(b: Backend, ws: string): Promise<void> {
  console.log(`\n== 2. full rebuild of ${REBUILD_SEGMENTS.length} segments ==`);
  const ids: Record<string, string> = {};
  for (const s of REBUILD_SEGMENTS) ids[s.name] = await saveSegment(b.db, ws, s.name, s.definition(ids));
  const rows: string[][] = [];
  const passes: Array<{ label: string; totalMs: number; dist: string }> = [];
  for (const pass of ['first build (from empty)', 'rebuild (nothing changed)']) {
    await waitQuiet(quietWaitS);
    const per: Array<{ ms: number; entered: number; exited: number }> = [];
    const m = await measured(
      b.dbName,
      () => undefined,
      async () => {
        for (const s of REBUILD_SEGMENTS) {
          const t0 = performance.now();
          const d = await rebuildSegment(b.db, systemClock, ws, ids[s.name] ?? '', 'bench');
          per.push({ ms: performance.now() - t0, entered: d?.entered ?? 0, exited: d?.exited ?? 0 });
          console.log(`  ${pass}: ${s.name}: ${fmt((performance.now() - t0) / 1000, 2)} s, +${d?.entered ?? 0} -${d?.exited ?? 0}`);
        }
      },
    );
    per.forEach((p, i) => {
      if (pass.startsWith('first')) rows.push([REBUILD_SEGMENTS[i]?.name ?? '', String(p.entered), fmt(p.ms / 1000, 2)]);
      else rows[i]?.push(fmt(p.ms / 1000, 2), `${p.entered}/${p.exited}`);
    });
    passes.push({ label: pass, totalMs: m.wallMs, dist: disturbance(m) });
  }
  console.log(`\nrebuildSegment per segment (${b.label}; seconds):\n`);
  console.log(table(['segment', 'members', 'first build s', 'rebuild s', 'rebuild +/-'], rows));
  for (const p of passes)
    console.log(
      `${p.label}: total ${fmt(p.totalMs / 1000, 1)} s (${p.dist}); goal under ${GOAL_REBUILD_S} s: ${p.totalMs / 1000 < GOAL_REBUILD_S ? 'met' : 'NOT met'}`,
    );
  await measureTimeWindows(b, ws);
}

/** The time-window pass: whole timed segments (no last check) against edge contacts only. */
async function measureTimeWindows(b: Backend, ws: string): Promise<void> {
  const gapMs = Number(opts['window-gap']) * 1000;
  console.log(`\n== 2b. the time-window pass (${Number(opts['window-runs'])} runs, ${gapMs / 1000} s of elapsed time each) ==`);
  let offset = 0;
  const clock = { now: () => new Date(Date.now() + offset) };
  const rows: string[][] = [];
  const runs = Number(opts['window-runs']);
  for (let i = 0; i <= runs; i++) {
    if (i === 0) await sql`update segments set windows_at = null where workspace_id = ${ws}`.execute(b.db);
    else offset += gapMs;
    await waitQuiet(quietWaitS);
    const m = await measured(
      b.dbName,
      () => undefined,
      () => refreshTimedSegments(b.db, clock),
    );
    const r = m.result;
    const label = i === 0 ? 'whole timed segments (no last check)' : `edges only, run ${i} (+${fmt((i * gapMs) / 1000, 0)} s)`;
    rows.push([
      label,
      String(r.checked),
      String(r.rebuilt),
      String(r.evaluated),
      `${r.entered}/${r.exited}`,
      fmt(m.wallMs / 1000, 2),
      disturbance(m),
    ]);
    console.log(`  ${label}: ${fmt(m.wallMs / 1000, 2)} s, ${JSON.stringify(r)}`);
  }
  // Back to the real clock (a whole pass, as the clock went back), so the server of part 3 finds
  // each segment's last check in its past, not --window-gap x runs ahead.
  await refreshTimedSegments(b.db, systemClock);
  console.log(`\nrefreshTimedSegments (${b.label}):\n`);
  console.log(table(['pass', 'timed segments', 'evaluated whole', 'edge contacts evaluated', '+/-', 's', 'other load'], rows));
}

interface Marker {
  contactId: string;
  sentAt: number;
  ackAt: number | null;
  seenAt: number | null;
}

async function measureIncremental(b: Backend, ws: string, seedSourceId: string): Promise<void> {
  const rate = Number(opts.rate);
  const durationS = Number(opts.duration);
  const connections = Number(opts.connections);
  const markersPerS = Number(opts['markers-per-s']);
  const drainWaitMs = Number(opts['drain-wait']) * 1000;
  console.log(`\n== 3. incremental membership under ingestion (target ${rate} events/s for ${durationS} s) ==`);
  const db = b.db;
  const ctx = { db, clock: systemClock };
  const actor = cliActor(ws);
  const src = await createSource(ctx, actor, { name: `Bench ingest ${process.pid}`, kind: 'server', retentionDays: null });
  const key = await createApiKey(ctx, actor, { name: `bench-segments-${process.pid}`, role: 'admin' });
  const segId = await saveSegment(db, ws, INCREMENTAL.name, INCREMENTAL.definition);
  const tb = performance.now();
  const built = await rebuildSegment(db, systemClock, ws, segId, 'bench');
  console.log(`segment "${INCREMENTAL.name}" built: ${built?.entered ?? 0} members in ${fmt((performance.now() - tb) / 1000, 2)} s`);
  const segCount = Number(
    (await q1<{ n: string }>(db, sql`select count(*)::text as n from segments where workspace_id = ${ws} and deleted_at is null`))?.n,
  );
  // Contacts known to tracking: markers (not in the segment) and the others, for the background.
  const known = await sql<{ contact_id: string; member: boolean }>`select p.contact_id,
      exists (select 1 from segment_members m where m.segment_id = ${segId} and m.contact_id = p.contact_id) as member
    from profiles p where p.workspace_id = ${ws} and p.contact_id is not null and p.merged_into is null
    order by md5(p.id::text) limit 60000`.execute(db);
  const nMarkers = Math.ceil(markersPerS * durationS) + 10;
  const free = known.rows.filter((r) => !r.member).map((r) => r.contact_id);
  const markerPool = free.slice(0, nMarkers);
  const background = known.rows.map((r) => r.contact_id).filter((id) => !markerPool.includes(id));
  const startLogId = String(
    (await q1<{ n: string }>(db, sql`select coalesce(max(id), 0)::text as n from segment_membership_log`))?.n ?? '0',
  );
  await b.close();

  ensureServerBuilt();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = { ...b.env, PORT: String(port), HOST: '127.0.0.1', KEEL_API_RATE_LIMIT: '100000000', KEEL_TRACK_RATE_LIMIT: '100000000' };
  const server = new Proc('keel serve', process.execPath, [keelBin, 'serve'], env);
  onCleanup(() => server.stop());
  await server.waitFor200(`${base}/readyz`, 180_000, 50);
  console.log(`server up on ${base} (${segCount} segments in the workspace)`);
  const sampler = b.dbName ? new pg.Client({ connectionString: `${PG_ADMIN_URL}/${b.dbName}`, application_name: 'bench-sampler' }) : null;
  await sampler?.connect();

  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const auth = `Basic ${Buffer.from(`${src.writeKey}:`).toString('base64')}`;
  const names = TRACK_EVENTS.filter(([n]) => n !== 'Demo Requested').flatMap(([n, w]) => Array<string>(w).fill(n));
  const plans = ['free', 'pro', 'business', 'enterprise'];
  let seq = 0;
  const msg = (contactId: string, event?: string): string => {
    seq++;
    const userId = `c-${contactId}`;
    const messageId = `ingest-${process.pid}-${seq}`;
    if (event || seq % 3 !== 0)
      return JSON.stringify({
        type: 'track',
        userId,
        messageId,
        event: event ?? names[seq % names.length],
        properties: { plan: plans[seq % plans.length] },
      });
    const p = ['/', '/pricing', '/docs/segments', '/app/dashboard', '/blog/attribution'][seq % 5] ?? '/';
    return JSON.stringify({
      type: 'page',
      userId,
      messageId,
      name: p,
      properties: { url: `https://www.example.com${p}`, path: p },
      context: { page: { url: `https://www.example.com${p}`, path: p } },
    });
  };
  let bgIndex = 0;
  const pickBg = () => background[(bgIndex = (bgIndex * 7919 + 104729) % background.length)] ?? '';

  const markers: Marker[] = [];
  let markerIdx = 0;
  let inFlight = 0;
  let sent = 0;
  let acked = 0;
  let storedEvents = 0;
  let failed = 0;
  let skipped = 0;
  const reqMs: number[] = [];
  const send = (body: string, marks: Marker[]) =>
    new Promise<void>((resolve) => {
      const t0 = performance.now();
      for (const mk of marks) mk.sentAt = t0;
      inFlight++;
      const req = http.request(
        `${base}/v1/batch`,
        {
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', authorization: auth, 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            inFlight--;
            const t1 = performance.now();
            reqMs.push(t1 - t0);
            if (res.statusCode === 200) {
              acked++;
              storedEvents += (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { stored: number }).stored;
              for (const mk of marks) mk.ackAt = t1;
            } else {
              failed++;
              if (failed <= 3) console.log(`  /v1/batch ${res.statusCode}: ${Buffer.concat(chunks).toString('utf8').slice(0, 300)}`);
            }
            resolve();
          });
        },
      );
      req.on('error', (err) => {
        inFlight--;
        failed++;
        if (failed <= 3) console.log(`  /v1/batch error: ${err.message}`);
        resolve();
      });
      req.end(body);
    });

  // The sampler: marker entries (and the queue backlog on PostgreSQL).
  const backlog: Array<{ s: number; n: number; oldestMs: number }> = [];
  let sampling = true;
  let stopAt = Number.POSITIVE_INFINITY;
  let feedAfter = startLogId;
  const pending = () => markers.filter((mk) => mk.seenAt === null);
  const sampleLoop = (async () => {
    let lastBacklog = 0;
    const t0 = performance.now();
    while (sampling || (pending().length > 0 && performance.now() - stopAt < drainWaitMs)) {
      const wait = pending();
      if (wait.length) {
        const seen = new Set<string>();
        if (sampler) {
          const r = await sampler.query<{ contact_id: string }>(
            `select distinct contact_id from segment_membership_log where segment_id = $1 and change = 'entered'
               and contact_id = any($2::uuid[]) and id > $3`,
            [segId, wait.map((mk) => mk.contactId), startLogId],
          );
          for (const row of r.rows) seen.add(row.contact_id);
        } else {
          for (;;) {
            const r = await httpJson('GET', `${base}/api/v1/segment-changes?after=${feedAfter}&limit=1000`, {
              headers: { authorization: `Bearer ${key.key}` },
            });
            const page = r.json as { data: Array<{ segmentId: string; contactId: string; change: string }>; last: string };
            for (const c of page.data ?? []) if (c.segmentId === segId && c.change === 'entered') seen.add(c.contactId);
            feedAfter = page.last ?? feedAfter;
            if ((page.data?.length ?? 0) < 1000) break;
          }
        }
        const t = performance.now();
        for (const mk of wait) if (seen.has(mk.contactId) && mk.sentAt > 0) mk.seenAt = t;
      }
      if (sampler && performance.now() - lastBacklog >= 1000) {
        lastBacklog = performance.now();
        const r = await sampler.query<{ n: string; oldest: number | null }>(
          `select count(*)::text as n, extract(epoch from clock_timestamp() - min(queued_at)) * 1000 as oldest from segment_queue`,
        );
        backlog.push({ s: (lastBacklog - t0) / 1000, n: Number(r.rows[0]?.n ?? 0), oldestMs: Number(r.rows[0]?.oldest ?? 0) });
      }
      await sleep(sampler ? 100 : 200);
    }
  })();

  await waitQuiet(quietWaitS);
  const intervalMs = (100 * 1000) / rate;
  const m = await measured(
    b.dbName,
    () => server.child.pid,
    async () => {
      const t0 = performance.now();
      const sends: Array<Promise<void>> = [];
      let next = t0;
      let nextMarker = t0 + 500;
      while (performance.now() - t0 < durationS * 1000) {
        const now = performance.now();
        if (now < next) {
          await sleep(Math.max(0, Math.min(next - now, 5)));
          continue;
        }
        next += intervalMs;
        if (inFlight >= connections) {
          skipped++;
          continue;
        }
        const batch: string[] = [];
        const marks: Marker[] = [];
        if (now >= nextMarker && markerIdx < markerPool.length) {
          nextMarker += 1000 / markersPerS;
          const mk: Marker = { contactId: markerPool[markerIdx++] ?? '', sentAt: 0, ackAt: null, seenAt: null };
          markers.push(mk);
          marks.push(mk);
          batch.push(msg(mk.contactId, 'Demo Requested'));
        }
        while (batch.length < 100) batch.push(msg(pickBg()));
        sent++;
        sends.push(send(`{"batch":[${batch.join(',')}]}`, marks));
      }
      await Promise.all(sends);
      stopAt = performance.now();
      return (stopAt - t0) / 1000;
    },
  );
  sampling = false;
  console.log(`load done; waiting up to ${drainWaitMs / 1000} s for the last markers (${pending().length} pending)…`);
  await sampleLoop;
  agent.destroy();
  await sampler?.end();

  // A marker never seen counts as slower than any seen (Infinity), so it cannot hide from p95.
  const lat = Float64Array.from(markers.map((mk) => (mk.seenAt === null ? Infinity : mk.seenAt - mk.sentAt))).sort();
  const afterAck = Float64Array.from(
    markers.filter((mk) => mk.seenAt !== null && mk.ackAt !== null).map((mk) => (mk.seenAt ?? 0) - (mk.ackAt ?? 0)),
  ).sort();
  const missing = markers.filter((mk) => mk.seenAt === null).length;
  const req = Float64Array.from(reqMs).sort();
  const seconds = m.result;
  console.log(`\nincremental membership (${b.label}; ${segCount} segments in the workspace; ${disturbance(m)}):\n`);
  console.log(
    table(
      ['what', 'value'],
      [
        ['target rate', `${rate} events/s (${fmt(rate / 100, 0)} requests of 100/s) over ${connections} connections`],
        ['requests sent / acknowledged / failed / not sent (all connections busy)', `${sent} / ${acked} / ${failed} / ${skipped}`],
        ['events stored', String(storedEvents)],
        ['achieved ingestion rate (stored events / load seconds)', `${fmt(storedEvents / seconds, 0)} events/s over ${fmt(seconds, 1)} s`],
        [
          'request latency p50 / p95 / max ms',
          `${fmt(percentile(req, 50))} / ${fmt(percentile(req, 95))} / ${fmt(req[req.length - 1] ?? NaN)}`,
        ],
        [
          `markers sent / seen entering / not seen within ${drainWaitMs / 1000} s of the end (counted as infinite below)`,
          `${markers.length} / ${markers.length - missing} / ${missing}`,
        ],
        [
          'send -> entered row seen: p50 / p95 / max ms',
          `${fmtLat(percentile(lat, 50))} / ${fmtLat(percentile(lat, 95))} / ${fmtLat(lat[lat.length - 1] ?? NaN)}`,
        ],
        ['acknowledged -> entered row seen: p50 / p95 ms', `${fmt(percentile(afterAck, 50))} / ${fmt(percentile(afterAck, 95))}`],
        [
          'segment_queue backlog: max entries / max age of the oldest ms / at the end',
          backlog.length
            ? `${Math.max(...backlog.map((x) => x.n))} / ${fmt(Math.max(...backlog.map((x) => x.oldestMs)), 0)} / ${backlog[backlog.length - 1]?.n ?? 0}`
            : '(not sampled)',
        ],
        [
          'CPU s: server process group / PostgreSQL backends / this process (load, sampler)',
          `${fmt(m.serverMs / 1000, 1)} / ${b.dbName ? fmt(m.pgMs / 1000, 1) : '(in the server)'} / ${fmt(m.ownMs / 1000, 1)}`,
        ],
      ],
    ),
  );
  if (backlog.length)
    console.log(
      `\nbacklog every 5 s (s: entries): ${backlog
        .filter((_, i) => i % 5 === 0)
        .map((x) => `${fmt(x.s, 0)}: ${x.n}`)
        .join(', ')}`,
    );
  const p95 = percentile(lat, 95);
  console.log(
    `\ngoal: p95 under ${GOAL_INCREMENTAL_P95_MS} ms at 5,000 events/s: ${p95 < GOAL_INCREMENTAL_P95_MS && storedEvents / seconds >= 5000 ? 'met' : 'NOT met'}`,
  );
  // The membership worker may be in the middle of a long pass (a time-window rebuild): give it time.
  const stopping = performance.now();
  try {
    await server.stop(180_000);
    console.log(`server stopped ${fmt((performance.now() - stopping) / 1000, 1)} s after SIGTERM`);
  } catch (err) {
    console.log(`server: ${(err as Error).message.split('\n')[0]}`);
  }
  if (opts['keep-db'] || opts.db) {
    // Leave a kept database as it was seeded: the ingested events go.
    const { backend } = await openBackendAgain();
    await sql`delete from touchpoints t using events e
      where e.source_id = ${src.id} and e.ts >= now() - interval '2 days' and t.event_id = e.id`.execute(backend.db);
    await sql`delete from events where source_id = ${src.id} and ts >= now() - interval '2 days'`.execute(backend.db);
    await sql`delete from event_ids where workspace_id = ${ws} and message_id like ${`ingest-${process.pid}-%`}`.execute(backend.db);
    await deleteSegments(backend.db, ws);
    await backend.close();
  }
  void seedSourceId;
}

let openBackendAgain: () => Promise<{ backend: Backend; fresh: boolean }> = openBackend;

runBenchmark(async () => {
  const machine = machineInfo();
  console.log('segments: count and members of a mixed segment, full rebuilds, incremental membership under ingestion');
  printMachine(machine);
  console.log(
    `data set${opts.db ? ' (when seeding; a reused one is counted below)' : ''}: ${size.contacts.toLocaleString('en')} contacts, ${size.accounts.toLocaleString('en')} accounts, ${size.events.toLocaleString('en')} events over ${size.days} days, seed ${size.seed}`,
  );
  await quietCheck();
  const { backend: b, fresh } = await openBackend();
  openBackendAgain = async () => {
    const again = await (async () => {
      if (embedded) {
        const rt = await openRuntime(loadConfig(b.env), { waitForStaleMs: 6000 });
        return { ...b, rt, db: rt.handle.db, close: async () => (await rt.handle.close(), await rt.release()) };
      }
      const rt = await openRuntime(loadConfig(b.env));
      return { ...b, rt, db: rt.handle.db, close: async () => (await rt.handle.close(), await rt.release()) };
    })();
    return { backend: again, fresh: false };
  };
  let closed = false;
  onCleanup(async () => {
    if (!closed) await b.close();
  });
  console.log(`back end: ${b.label}`);
  let ws: string;
  let seedSourceId: string;
  if (fresh) {
    await waitQuiet(quietWaitS);
    console.log('seeding…');
    const s = await measured(
      b.dbName,
      () => undefined,
      () => seedData(b.exec, b.db, size, chunk, embedded),
    );
    ws = s.result.workspaceId;
    seedSourceId = s.result.seedSourceId;
    console.log(
      `seeded in ${fmt(s.wallMs / 1000, 1)} s (${disturbance(s)})${opts['keep-db'] ? ` (kept: --db ${b.dbName ?? path.basename(String(b.env.KEEL_DATA_DIR))})` : ''}`,
    );
  } else {
    const r = await q1<{ id: string }>(b.db, sql`select id from workspaces where name = ${SEG_WORKSPACE} order by id limit 1`);
    if (!r) throw new Error(`no workspace "${SEG_WORKSPACE}" in ${b.label}`);
    ws = r.id;
    seedSourceId = (await q1<{ id: string }>(b.db, sql`select id from sources where workspace_id = ${ws} order by id limit 1`))?.id ?? '';
    await deleteSegments(b.db, ws);
  }
  const counts = await q1<Record<string, string>>(
    b.db,
    sql`select (select count(*) from contacts where workspace_id = ${ws})::text as contacts,
      (select count(*) from accounts where workspace_id = ${ws})::text as accounts,
      (select count(*) from profiles where workspace_id = ${ws})::text as profiles,
      (select count(*) from events where workspace_id = ${ws})::text as events,
      (select count(*) from touchpoints where workspace_id = ${ws})::text as touchpoints,
      pg_size_pretty(pg_total_relation_size('events_default') + (select coalesce(sum(pg_total_relation_size(inhrelid)), 0) from pg_inherits where inhparent = 'events'::regclass))::text as events_size`,
  );
  console.log(`workspace ${ws}: ${JSON.stringify(counts)}`);

  if (!opts['skip-queries']) await measureQueries(b, ws);
  if (!opts['skip-rebuild']) await measureRebuild(b, ws);
  if (opts['incremental-segments'] === 'one') await deleteSegments(b.db, ws);
  if (!opts['skip-incremental']) {
    closed = true;
    await measureIncremental(b, ws, seedSourceId);
  }
  console.log(`\n(${b.label}; ${path.basename(process.argv[1] ?? '')} done)`);
});
