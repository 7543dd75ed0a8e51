// Routing: decision latency for new MQLs (routeContact) against a bare lock-and-update round trip, and 10,000 queued MQLs through the routing queue with 2 workers.
//
//   npm run bench -- routing [--reps 50] [--decisions 5000] [--queued 10000] [--workers 2]
//                            [--seed 1] [--db NAME] [--keep-db] [--quiet-wait 60]
//
// A fresh PostgreSQL database on 127.0.0.1:5432 (dropped at the end unless --keep-db), migrated by
// openRuntime; everything runs in this process against it (no HTTP), as the routing.queue job does.
//
// Set-up, through the app's services: a workspace, --reps sales users (createUser) made reps with
// putReps (weights 1..5 in turn, no capacity cap, half of them with every-day 00:00-24:00
// working hours in one of four time zones, so the working-hours test runs), and four routing rules
// in order: (1) a condition `country = ZZ` -> queue `partners` (never true: its condition is compiled
// and evaluated on every decision, and logged as skipped); (2) account owner; (3) territories EMEA
// (the first 40% of the reps) and NA (the next 30%); (4) weighted round robin over every rep.
// Contacts (set-based SQL, seeded): lifecycle stage `mql`, country from DE, GB, FR, NL, US, CA, BR,
// JP, AU, IN; 20% linked to an account, half of which have an owner (one of the reps).
//
// 1. Decision latency: --decisions new MQLs routed one after another with routeContact (one
//    transaction: lock the contact, rules, pick, assignment, contact owner, log, audit), timed
//    each; p50/p95/p99/max (nearest rank). Baseline, measured in turn in the same run (alternating
//    blocks of 500): one transaction that locks the contact row (SELECT ... FOR UPDATE) and sets its
//    owner_id (UPDATE), the least a routing decision must do.
// 2. Queue throughput: --queued contacts put on routing_queue in one statement (as a bulk stage
//    change queues them), then --workers concurrent drainRoutingQueue loops (the routing.queue job's
//    function) until it is empty; in a workspace of its own with one weighted round-robin rule over
//    4 reps (weights 4/3/2/1), and the counts checked to be exactly 40/30/20/10%.
//
// Each measurement waits for the machine to go quiet first (--quiet-wait s) and reports the CPU
// others used meanwhile and the hypervisor's steal (bench/lib/measure.ts).
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { systemActor } from '../src/platform/actor.js';
import { systemClock } from '../src/platform/clock.js';
import type { Db } from '../src/platform/db/database.js';
import { createUser } from '../src/modules/users/users.service.js';
import { createWorkspace } from '../src/modules/workspaces/workspaces.service.js';
import type { WorkingHours } from '../src/modules/routing/routing.schema.js';
import { createRoutingRule, drainRoutingQueue, putReps, routeContact } from '../src/modules/routing/routing.service.js';
import { PG_ADMIN_URL } from './lib/contacts-db.js';
import { disturbance, measured } from './lib/measure.js';
import { startPgBenchmark } from './lib/pg-runtime.js';
import { fmt, percentile, runBenchmark, table, waitQuiet } from './lib/util.js';

const { values: opts } = parseArgs({
  options: {
    reps: { type: 'string', default: '50' },
    decisions: { type: 'string', default: '5000' },
    queued: { type: 'string', default: '10000' },
    workers: { type: 'string', default: '2' },
    seed: { type: 'string', default: '1' },
    db: { type: 'string' },
    'keep-db': { type: 'boolean', default: false },
    'quiet-wait': { type: 'string', default: '60' },
  },
});
const nReps = Number(opts.reps);
const nDecisions = Number(opts.decisions);
const nQueued = Number(opts.queued);
const nWorkers = Number(opts.workers);
const seed = Number(opts.seed);
const quietWaitS = Number(opts['quiet-wait']);

const ZONES = ['Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'UTC'];
const allDay: [string, string] = ['00:00', '24:00'];
// Every day, all day: the benchmark runs at any hour, and a rep outside hours would only be skipped.
const weekdays: WorkingHours = { mon: [allDay], tue: [allDay], wed: [allDay], thu: [allDay], fri: [allDay], sat: [allDay], sun: [allDay] };

async function makeReps(db: Db, ws: string, weights: readonly number[], tag: string, hours: boolean): Promise<string[]> {
  const ctx = { db, clock: systemClock };
  const actor = systemActor(ws);
  const ids: string[] = [];
  for (const [i] of weights.entries()) {
    const u = await createUser(ctx, actor, {
      email: `${tag}${i}@example.com`,
      name: `Rep ${tag} ${i}`,
      password: 'bench-password-1',
      role: 'sales',
    });
    ids.push(u.id);
  }
  await putReps(
    ctx,
    actor,
    ids.map((userId, i) => ({
      userId,
      weight: weights[i] ?? 1,
      capacity: null,
      workingHours: hours && i % 2 === 1 ? weekdays : null,
      timeZone: ZONES[i % ZONES.length] ?? 'UTC',
      available: true,
    })),
  );
  return ids;
}

/** `n` MQL contacts (set-based), seeded: countries, 20% with an account, half of those owned by a rep. */
async function makeContacts(db: Db, ws: string, n: number, reps: readonly string[], tag: string): Promise<string[]> {
  await sql`select setseed(${((seed % 1000) + 1) / 1001})`.execute(db);
  const now = new Date();
  await sql`insert into accounts (id, workspace_id, name, country, size, owner_id, created_at, updated_at)
    select gen_random_uuid(), ${ws}::uuid, ${tag} || ' account ' || g,
      (array['DE','GB','US','JP'])[1 + g % 4], (array['1-10','11-50','51-200','201-1000'])[1 + g % 4],
      case when g % 2 = 0 then (${[...reps]}::uuid[])[1 + (g / 2) % ${reps.length}] end, ${now}, ${now}
    from generate_series(1, ${Math.max(1, Math.ceil(n / 25))}) g`.execute(db);
  const rows = await sql<{ id: string }>`
    with acc as (select array_agg(id order by id) a from accounts where workspace_id = ${ws} and name like ${`${tag} account %`})
    insert into contacts (id, workspace_id, email, country, lifecycle_stage, account_id, created_at, updated_at)
    select gen_random_uuid(), ${ws}::uuid, ${tag} || g || '@example.com',
      (array['DE','GB','FR','NL','US','CA','BR','JP','AU','IN'])[1 + floor(random() * 10)::int],
      'mql', case when random() < 0.2 then acc.a[1 + floor(random() * cardinality(acc.a))::int] end, ${now}, ${now}
    from generate_series(1, ${n}) g, acc
    returning id`.execute(db);
  await sql`analyze contacts`.execute(db);
  await sql`analyze accounts`.execute(db);
  return rows.rows.map((r) => r.id);
}

function stats(ms: number[]): { p50: number; p95: number; p99: number; max: number; mean: number } {
  const s = [...ms].sort((a, b) => a - b);
  return {
    p50: percentile(s, 50),
    p95: percentile(s, 95),
    p99: percentile(s, 99),
    max: s[s.length - 1] ?? Number.NaN,
    mean: s.reduce((a, b) => a + b, 0) / Math.max(1, s.length),
  };
}

runBenchmark(async () => {
  const { db, dbName } = await startPgBenchmark(
    'routing',
    {
      title: 'routing: decision latency for new MQLs, and 10,000 queued MQLs through the routing queue',
      params: `reps ${nReps}, decisions ${nDecisions}, queued ${nQueued}, workers ${nWorkers}, seed ${seed}; PostgreSQL ${PG_ADMIN_URL} (back end of the goal)`,
    },
    { db: opts.db, keepDb: opts['keep-db'], existing: 'refuse' },
  );

  // ---- 1. decision latency ----
  console.log('\nset-up: workspace, reps, rules, contacts…');
  const ws = (await db.transaction().execute((trx) => createWorkspace(trx, systemClock, { name: 'Bench Routing' }))).id;
  const actor = systemActor(ws);
  const ctx = { db, clock: systemClock };
  const reps = await makeReps(
    db,
    ws,
    Array.from({ length: nReps }, (_, i) => 1 + (i % 5)),
    'rep',
    true,
  );
  const emea = reps.slice(0, Math.floor(nReps * 0.4));
  const na = reps.slice(emea.length, emea.length + Math.floor(nReps * 0.3));
  await createRoutingRule(ctx, actor, {
    name: 'Partners',
    enabled: true,
    condition: { field: 'country', op: 'eq', value: 'ZZ' },
    action: { type: 'queue', queue: 'partners' },
  });
  await createRoutingRule(ctx, actor, { name: 'Account owner', enabled: true, action: { type: 'account_owner' } });
  await createRoutingRule(ctx, actor, {
    name: 'Territories',
    enabled: true,
    action: {
      type: 'territory',
      territories: [
        { name: 'EMEA', match: { regions: ['EMEA'] }, reps: emea },
        { name: 'NA', match: { regions: ['NA'] }, reps: na },
      ],
    },
  });
  await createRoutingRule(ctx, actor, { name: 'Everyone', enabled: true, action: { type: 'round_robin', reps } });
  const contacts = await makeContacts(db, ws, nDecisions, reps, 'lead');
  const warm = contacts.slice(0, Math.min(200, Math.floor(nDecisions / 10)));
  const measuredIds = contacts.slice(warm.length);
  const spare = await makeContacts(db, ws, measuredIds.length, reps, 'base');
  for (const id of warm) await routeContact(ctx, actor, id, { cause: 'stage: mql' });

  const routeMs: number[] = [];
  const baseMs: number[] = [];
  const bare = async (id: string, owner: string) => {
    await db.transaction().execute(async (trx) => {
      await sql`select id from contacts where workspace_id = ${ws} and id = ${id} and deleted_at is null for update`.execute(trx);
      await sql`update contacts set owner_id = ${owner}, updated_at = now(), version = version + 1 where id = ${id}`.execute(trx);
    });
  };
  await waitQuiet(quietWaitS);
  console.log(`measuring ${measuredIds.length} decisions (after ${warm.length} warm-up), baseline alternating in blocks of 500…`);
  const m1 = await measured(dbName, async () => {
    const results = new Map<string, number>();
    for (let b = 0; b < measuredIds.length; b += 500) {
      for (const id of measuredIds.slice(b, b + 500)) {
        const t0 = performance.now();
        const r = await routeContact(ctx, actor, id, { cause: 'stage: mql' });
        routeMs.push(performance.now() - t0);
        const key = r.assignment.ownerId ? 'rep' : `queue ${r.assignment.queue ?? ''}`;
        results.set(key, (results.get(key) ?? 0) + 1);
      }
      for (const [i, id] of spare.slice(b, b + 500).entries()) {
        const t0 = performance.now();
        await bare(id, reps[i % reps.length] ?? '');
        baseMs.push(performance.now() - t0);
      }
    }
    return results;
  });
  const rules = await sql<{ rule: string | null; n: number }>`
    select r.name as rule, count(*)::int as n from routing_log l left join routing_rules r on r.id = l.rule_id
    where l.workspace_id = ${ws} group by r.name order by n desc`.execute(db);
  const r = stats(routeMs);
  const b = stats(baseMs);
  console.log(`\ndecisions: ${disturbance(m1)}; wall ${fmt(m1.wallMs / 1000, 1)} s`);
  console.log(
    `which rule assigned (all ${contacts.length} decisions): ${rules.rows.map((x) => `${x.rule ?? 'fallback'} ${x.n}`).join(', ')}`,
  );
  console.log(
    table(
      ['what', 'n', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'mean ms', 'goal p99 < 50 ms'],
      [
        [
          `routeContact, ${nReps} reps, 4 rules`,
          String(routeMs.length),
          fmt(r.p50),
          fmt(r.p95),
          fmt(r.p99),
          fmt(r.max),
          fmt(r.mean),
          r.p99 < 50 ? 'met' : 'NOT met',
        ],
        [
          '**baseline**: lock contact + set owner (1 transaction)',
          String(baseMs.length),
          fmt(b.p50),
          fmt(b.p95),
          fmt(b.p99),
          fmt(b.max),
          fmt(b.mean),
          '',
        ],
        ['ratio', '', `${fmt(r.p50 / b.p50)}x`, `${fmt(r.p95 / b.p95)}x`, `${fmt(r.p99 / b.p99)}x`, '', `${fmt(r.mean / b.mean)}x`, ''],
      ],
    ),
  );

  // ---- 2. queue throughput ----
  const ws2 = (await db.transaction().execute((trx) => createWorkspace(trx, systemClock, { name: 'Bench Routing Queue' }))).id;
  const weights = [4, 3, 2, 1];
  const qreps = await makeReps(db, ws2, weights, 'qrep', false);
  await createRoutingRule(ctx, systemActor(ws2), { name: 'Weighted', enabled: true, action: { type: 'round_robin', reps: qreps } });
  const qcontacts = await makeContacts(db, ws2, nQueued, qreps, 'q');
  await waitQuiet(quietWaitS);
  console.log(`\nqueueing ${nQueued} MQLs at once, draining with ${nWorkers} workers…`);
  const m2 = await measured(dbName, async () => {
    await sql`insert into routing_queue (workspace_id, contact_id, cause)
      select ${ws2}::uuid, id, 'stage:mql' from unnest(${qcontacts}::uuid[]) as id`.execute(db);
    const drain = async () => {
      while (await drainRoutingQueue(db, systemClock, { max: 500 }));
    };
    await Promise.all(Array.from({ length: nWorkers }, drain));
  });
  const counts = await sql<{ owner_id: string; n: number }>`
    select owner_id, count(*)::int as n from lead_assignments where workspace_id = ${ws2} and status = 'open' group by owner_id`.execute(
    db,
  );
  const byOwner = new Map(counts.rows.map((x) => [x.owner_id, x.n]));
  const got = qreps.map((id) => byOwner.get(id) ?? 0);
  const total = weights.reduce((a, w) => a + w, 0);
  const want = weights.map((w) => (nQueued * w) / total);
  const exact = got.every((g, i) => g === want[i]);
  const perSec = (nQueued / m2.wallMs) * 1000;
  console.log(`queue: ${disturbance(m2)}`);
  console.log(
    table(
      [
        'what',
        'leads',
        'workers',
        'wall s',
        'leads/s',
        'ms per lead (wall / leads)',
        'counts per rep (weights 4/3/2/1)',
        'exact to weights',
      ],
      [
        [
          'routing_queue drained by drainRoutingQueue',
          String(nQueued),
          String(nWorkers),
          fmt(m2.wallMs / 1000, 1),
          fmt(perSec, 0),
          fmt(m2.wallMs / nQueued),
          got.join(' / '),
          exact ? 'yes' : `NO (expected ${want.join(' / ')})`,
        ],
      ],
    ),
  );
  console.log(`CPU: this process ${fmt(m2.ownMs / 1000, 1)} s, PostgreSQL backends ${fmt(m2.pgMs / 1000, 1)} s`);
  if (!exact) throw new Error('queue counts not exact to the weights');
  console.log(`\n(PostgreSQL ${dbName}; routing.ts done)`);
});
