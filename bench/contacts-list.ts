// listRecords on a 1M-contact workspace (PostgreSQL): p50/p95/p99 of a page of 50 per query shape.
//
//   npm run bench -- contacts-list [--db NAME] [--rows 1000000] [--seed 1] [--iterations 100]
//                                  [--warmup 5] [--budget 60] [--explain] [--indexed-fields]
//                                  [--try-indexes] [--keep-db] [--quiet-wait 30]
//
// The workspace: `--db NAME` reuses a database kept by `import-contacts --keep-db` (or by --keep-db
// here); otherwise a new database is filled with `keel import contacts` of the seeded CSV (--rows,
// --seed; the five custom fields defined first, not indexed). Then `VACUUM ANALYZE contacts`: after
// a bulk import autovacuum would do the same within a minute or so (it is off on this machine:
// `show autovacuum`), and the plans depend on it.
//
// Each query shape calls listRecords(ctx, workspaceId, contactDef, query) in this process, exactly
// as GET /api/v1/contacts does after validating its query string (the HTTP layer, JSON and auth are
// not included). The shapes run round-robin (one of each, then again) so a disturbance spreads over
// all of them: --warmup rounds untimed, then up to --iterations timed rounds, stopping a shape early
// once it has used --budget seconds (at least 10 runs). The Kysely handle logs every SQL statement
// listRecords issues with its duration, which splits the time into the custom-field lookup, the main
// query and the external-id lookup. --explain prints EXPLAIN (ANALYZE, BUFFERS) of each main query.
// --indexed-fields then turns on `indexed` for the five custom fields (updateCustomField: one
// expression index each, as the UI's "index this field" does), analyzes, and measures the shapes
// that use a custom field again (and turns it off afterwards). --try-indexes creates candidate
// indexes for the two sorted shapes and a statistics target of 1000 on the search vector in the
// benchmark's database (not Keel's schema: measured suggestions), measures the sorted and search
// shapes again, and undoes them. The shapes marked (extra) are not in the list: searches
// for one person, and filters that match nothing, which the default plan (walk the id index,
// newest first, until 50 rows match) serves worst.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Kysely, PostgresDialect, type LogEvent } from 'kysely';
import pg from 'pg';
import { cliActor } from '../src/platform/actor.js';
import { systemClock } from '../src/platform/clock.js';
import type { DB } from '../src/platform/db/schema.js';
import { contactDef } from '../src/modules/crm/crm-objects.js';
import { activeFields, updateCustomField } from '../src/modules/crm/custom-fields.service.js';
import { encodeRecordCursor } from '../src/modules/crm/records-query.js';
import type { ListRecordsQuery } from '../src/modules/crm/records.schema.js';
import { listRecords } from '../src/modules/crm/records.service.js';
import { PgCpu, psql, seededWorkspace } from './lib/contacts-db.js';
import {
  fmt,
  machineBusyMs,
  machineInfo,
  machineStealMs,
  percentile,
  printMachine,
  quietCheck,
  runBenchmark,
  table,
  waitQuiet,
} from './lib/util.js';

const { values: opts } = parseArgs({
  options: {
    db: { type: 'string' },
    rows: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: '1' },
    iterations: { type: 'string', default: '100' },
    warmup: { type: 'string', default: '5' },
    budget: { type: 'string', default: '60' },
    explain: { type: 'boolean', default: false },
    'indexed-fields': { type: 'boolean', default: false },
    'try-indexes': { type: 'boolean', default: false },
    'keep-db': { type: 'boolean', default: false },
    'quiet-wait': { type: 'string', default: '30' },
  },
});
const iterations = Number(opts.iterations);
const warmup = Number(opts.warmup);
const budgetMs = Number(opts.budget) * 1000;
const GOAL_P95_MS = 100;

interface Shape {
  name: string;
  query: ListRecordsQuery;
  /** Uses a custom field (measured again with --indexed-fields). */
  custom?: boolean;
  /** Measured again with --try-indexes. */
  tried?: boolean;
}

interface Timing {
  total: number;
  /** Per SQL statement kind: fields (custom_fields), main (contacts), ext (external_ids). */
  parts: Record<string, number>;
  rows: number;
  more: boolean;
}

/** The statements of the last listRecords call, from Kysely's log. */
let statements: Array<{ sql: string; parameters: readonly unknown[]; ms: number }> = [];

function kind(sqlText: string): string {
  if (/from "custom_fields"/.test(sqlText)) return 'fields';
  if (/from "external_ids"/.test(sqlText)) return 'ext';
  if (/from "contacts"/.test(sqlText)) return 'main';
  return 'other';
}

function q(query: Partial<ListRecordsQuery>): ListRecordsQuery {
  return { limit: 50, deleted: 'exclude', ...query };
}

runBenchmark(async () => {
  const machine = machineInfo();
  console.log('contacts-list: listRecords, a page of 50, on a 1M-contact workspace (PostgreSQL)');
  printMachine(machine);
  await quietCheck();

  const seeded = await seededWorkspace({
    reuse: opts.db,
    rows: Number(opts.rows),
    seed: Number(opts.seed),
    keep: opts['keep-db'],
    label: 'contacts-list',
  });
  const { dbName, workspaceId } = seeded;
  console.log(`database ${dbName}, workspace ${seeded.slug}: ${seeded.contacts.toLocaleString('en')} live contacts`);
  console.log('VACUUM ANALYZE contacts…');
  psql(dbName, 'vacuum analyze contacts');

  const pool = new pg.Pool({ connectionString: seeded.databaseUrl, max: 10, application_name: 'keel' });
  const db = new Kysely<DB>({
    dialect: new PostgresDialect({ pool }),
    log(e: LogEvent) {
      if (e.level === 'query') statements.push({ sql: e.query.sql, parameters: e.query.parameters, ms: e.queryDurationMillis });
    },
  });
  const ctx = { db, clock: systemClock };
  try {
    // Values the shapes need, read from the data.
    const mid = psql(
      dbName,
      `select id || ' ' || to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || ' ' || email from contacts
       where workspace_id = '${workspaceId}' and deleted_at is null order by id desc offset ${Math.floor(seeded.contacts / 2)} limit 1`,
    ).split(' ');
    const [midId = '', midCreated = '', midEmail = ''] = mid;
    const [first = '', last = ''] = psql(dbName, `select first_name || ' ' || last_name from contacts where id = '${midId}'`).split(' ');
    const shapes: Shape[] = [
      { name: 'plain first page (default sort: newest first)', query: q({}) },
      {
        name: `deep page via cursor (row ${Math.floor(seeded.contacts / 2).toLocaleString('en')} of the default order)`,
        query: q({ cursor: encodeRecordCursor('-createdAt', midCreated, midId) }),
      },
      { name: 'q: name prefix "sofi"', query: q({ q: 'sofi' }), tried: true },
      { name: 'q: company "northwind"', query: q({ q: 'northwind' }), tried: true },
      { name: `(extra) q: a full name "${first} ${last}"`, query: q({ q: `${first} ${last}` }), tried: true },
      { name: '(extra) q: a whole email address', query: q({ q: midEmail }), tried: true },
      { name: 'exact email', query: q({ email: midEmail }) },
      { name: 'filter country = Germany', query: q({ filter: [{ field: 'country', op: 'eq', value: 'Germany' }] }) },
      {
        name: 'filter custom select industry_segment = Healthcare',
        query: q({ filter: [{ field: 'custom.industry_segment', op: 'eq', value: 'Healthcare' }] }),
        custom: true,
      },
      {
        name: 'filter custom number employees >= 10000',
        query: q({ filter: [{ field: 'custom.employees', op: 'gte', value: 10000 }] }),
        custom: true,
      },
      {
        name: '(extra) filter custom number employees >= 1000000 (matches none)',
        query: q({ filter: [{ field: 'custom.employees', op: 'gte', value: 1_000_000 }] }),
        custom: true,
      },
      { name: '(extra) filter country = Iceland (matches none)', query: q({ filter: [{ field: 'country', op: 'eq', value: 'Iceland' }] }) },
      { name: 'sort by lastName', query: q({ sort: 'lastName' }), tried: true },
      { name: 'sort by custom number employees, descending', query: q({ sort: '-custom.employees' }), custom: true, tried: true },
    ];

    const run = async (s: Shape): Promise<Timing> => {
      statements = [];
      const t0 = performance.now();
      const page = await listRecords(ctx, workspaceId, contactDef, s.query);
      const total = performance.now() - t0;
      const parts: Record<string, number> = {};
      for (const st of statements) parts[kind(st.sql)] = (parts[kind(st.sql)] ?? 0) + st.ms;
      return { total, parts, rows: page.data.length, more: page.nextCursor !== null };
    };

    const measure = async (list: Shape[], title: string) => {
      console.log(
        `\n${title}: ${warmup} warm-up round(s), then up to ${iterations} timed rounds (at most ${budgetMs / 1000} s per shape)…`,
      );
      for (let i = 0; i < warmup; i++) for (const s of list) await run(s);
      await waitQuiet(Number(opts['quiet-wait']));
      const timings = new Map<Shape, Timing[]>(list.map((s) => [s, []]));
      const spent = new Map<Shape, number>(list.map((s) => [s, 0]));
      const pgCpu = new PgCpu(dbName);
      const busy0 = machineBusyMs();
      const steal0 = machineStealMs();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < iterations; i++) {
        const active = list.filter((s) => (spent.get(s) ?? 0) < budgetMs || (timings.get(s)?.length ?? 0) < 10);
        if (active.length === 0) break;
        for (const s of active) {
          const t = await run(s);
          timings.get(s)?.push(t);
          spent.set(s, (spent.get(s) ?? 0) + t.total);
        }
        pgCpu.poll();
      }
      const wall = performance.now() - t0;
      const own = process.cpuUsage(cpu0);
      const otherCores = Math.max(0, machineBusyMs() - busy0 - pgCpu.ms - (own.user + own.system) / 1000) / wall;
      const stealCores = (machineStealMs() - steal0) / wall;
      const rowsOut = list.map((s) => {
        const ts = timings.get(s) ?? [];
        const sorted = Float64Array.from(ts.map((t) => t.total)).sort();
        const part = (k: string) => percentile(Float64Array.from(ts.map((t) => t.parts[k] ?? 0)).sort(), 50);
        const p95 = percentile(sorted, 95);
        const last = ts[ts.length - 1];
        return [
          s.name,
          String(ts.length),
          fmt(percentile(sorted, 50)),
          fmt(p95),
          fmt(percentile(sorted, 99)),
          `${fmt(part('fields'))} / ${fmt(part('main'))} / ${fmt(part('ext'))}`,
          `${last?.rows ?? 0}${last?.more ? '+' : ''}`,
          p95 < GOAL_P95_MS ? 'met' : 'NOT met',
        ];
      });
      console.log(
        `\n${title} (ms; p50/p95/p99 are nearest-rank over the timed runs; other load ${fmt(otherCores)} cores, steal ${fmt(stealCores)} cores over the ${fmt(wall / 1000, 0)} s):\n`,
      );
      console.log(
        table(
          [
            'query (page of 50)',
            'runs',
            'p50',
            'p95',
            'p99',
            'median SQL ms: fields / main / ext ids',
            'rows',
            `goal p95 < ${GOAL_P95_MS} ms`,
          ],
          rowsOut,
        ),
      );
      return timings;
    };

    await measure(shapes, 'listRecords');

    const explain = async (list: Shape[]) => {
      console.log('\nEXPLAIN (ANALYZE, BUFFERS) of each main query, as listRecords issued it:');
      for (const s of list) {
        statements = [];
        await listRecords(ctx, workspaceId, contactDef, s.query);
        const main = statements.find((st) => kind(st.sql) === 'main');
        if (!main) continue;
        const plan = await pool.query<{ 'QUERY PLAN': string }>(`explain (analyze, buffers) ${main.sql}`, [...main.parameters]);
        console.log(`\n-- ${s.name}\n${main.sql.replace(/\s+/g, ' ')}\n${plan.rows.map((r) => r['QUERY PLAN']).join('\n')}`);
      }
    };
    if (opts.explain) await explain(shapes);

    if (opts['indexed-fields']) {
      console.log('\nturning on `indexed` for the custom fields (updateCustomField)…');
      for (const f of await activeFields(db, workspaceId, 'contact')) {
        const t0 = performance.now();
        await updateCustomField(ctx, cliActor(workspaceId), f.id, { indexed: true });
        console.log(`  ${f.key}: ${fmt((performance.now() - t0) / 1000, 1)} s`);
      }
      psql(dbName, 'analyze contacts');
      try {
        const custom = shapes.filter((s) => s.custom);
        await measure(custom, 'listRecords, custom fields indexed');
        if (opts.explain) await explain(custom);
      } finally {
        // A reused database goes back as it was: fields not indexed.
        for (const f of await activeFields(db, workspaceId, 'contact'))
          await updateCustomField(ctx, cliActor(workspaceId), f.id, { indexed: false });
      }
    }

    if (opts['try-indexes']) {
      // Candidate indexes for the sorted shapes, made here only (not by Keel) to measure a fix.
      const candidates = [
        'create index bench_try_last_name on contacts (workspace_id, last_name, id) where deleted_at is null',
        "create index bench_try_employees on contacts (workspace_id, ((custom->>'employees')::numeric) desc nulls last, id desc) where deleted_at is null",
        // A finer histogram of the search vector's words, so the planner sees that a rare word is rare.
        'alter table contacts alter column search set statistics 1000',
      ];
      console.log('\ncandidate indexes and statistics (--try-indexes; undone afterwards):');
      try {
        for (const c of candidates) {
          const t0 = performance.now();
          psql(dbName, c);
          console.log(`  ${c}: ${fmt((performance.now() - t0) / 1000, 1)} s`);
        }
        psql(dbName, 'analyze contacts');
        const tried = shapes.filter((s) => s.tried);
        await measure(tried, 'listRecords, with the candidate indexes and statistics');
        if (opts.explain) await explain(tried);
      } finally {
        psql(
          dbName,
          'drop index if exists bench_try_last_name; drop index if exists bench_try_employees; alter table contacts alter column search set statistics -1',
        );
        psql(dbName, 'analyze contacts');
      }
    }
  } finally {
    await db.destroy();
  }
  console.log(`\n(database ${dbName}; ${path.basename(process.argv[1] ?? '')} done)`);
});
