// Scoring: full recompute of one model (recomputeModel) against a plain GROUP BY over the same events, and incremental rescoring under event ingestion.
//
//   npm run bench -- scoring [--contacts 100000] [--accounts 5000] [--events 2000000] [--days 90]
//                            [--seed 1] [--db NAME] [--keep-db] [--runs 2] [--chunk 5000]
//                            [--skip-incremental] [--rate 5000] [--duration 30] [--markers-per-s 2]
//                            [--quiet-wait 60] [--seed-chunk 500000]
//
// The goal size is 1M contacts / 20M events (--contacts 1000000 --accounts 50000 --events 20000000);
// seeding that takes over 12 minutes on the 2-core machine (segments section of BENCHMARKS.md), so
// the defaults are a tenth of it.
//
// Data: the segments benchmark's seeded generator (bench/lib/segments-seed.ts: a workspace made with
// the app's services, then set-based SQL in a fresh PostgreSQL database migrated by openRuntime:
// accounts, contacts with countries and a `seats` custom field, profiles for 85% of contacts,
// events over --days days (65% track of 11 names with {plan}, 35% page views), touchpoints; VACUUM
// ANALYZE). --keep-db keeps the database and --db NAME reuses it (models of earlier runs deleted).
//
// The model (createModel + publishModel, the services the API uses): 2 fit rules (country, seats)
// and 7 engagement rules: pricing page visits (cap), Demo Requested with plan=pro (half-life decay),
// webinar registrations (window cap per 7 days), sign-ins (window cap per day and a cap), feature use
// (cap), LinkedIn touchpoints, support tickets (negative, cap); the model expires activity after 90
// days. Bands A/B/C/D.
//
// 1. Full recompute: recomputeModel (what the scoring.recompute job runs) --runs times; the first run
//    writes every row, later ones compare and write only changes. Baseline in the same run, in turn:
//    a plain `GROUP BY contact` count over every event of the workspace joined to profiles (one pass,
//    no rules). Context: the one-pass engagement aggregate query alone (engagementAggregatesSql over
//    every contact). After the recompute, 500 random contacts are scored again with scoreContacts
//    (the incremental path) and must equal the stored rows exactly.
// 2. Incremental: the scoring.queue loop's function (drainScoringQueue every 500 ms, as the job)
//    runs in this process while events are inserted with plain SQL, each insert followed by
//    keel_queue_event_contacts as the tracking ingest calls it (the contacts and the rows' kinds),
//    at --rate events/s in batches every 100 ms, from random known profiles, for --duration s.
//    --markers-per-s times a second one of those events is a `Demo Requested` {plan: pro} of a
//    contact whose score then rises by the rule's points; a sampler polls contact_scores every
//    100 ms and records the time from the marker's commit to the new score.
//    Markers not scored 60 s after the load count as infinitely late.
//
// Each measurement waits for the machine to go quiet first (--quiet-wait s) and reports the CPU
// others used meanwhile and the hypervisor's steal (bench/lib/measure.ts).
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import pg from 'pg';
import { systemActor } from '../src/platform/actor.js';
import { systemClock } from '../src/platform/clock.js';
import type { Db } from '../src/platform/db/database.js';
import { newId } from '../src/platform/ids.js';
import { drainScoringQueue, recomputeModel } from '../src/modules/scoring/scoring.compute.js';
import { compileModel, engagementAggregatesSql, scoreContacts } from '../src/modules/scoring/scoring.engine.js';
import { modelDefinitionSchema, type ModelDefinition } from '../src/modules/scoring/scoring.schema.js';
import { createModel, publishModel } from '../src/modules/scoring/scoring.service.js';
import { ActivitySampler } from './lib/contacts-db.js';
import { disturbance, measured } from './lib/measure.js';
import { startPgBenchmark } from './lib/pg-runtime.js';
import { SEG_WORKSPACE, seedData, type Exec } from './lib/segments-seed.js';
import { fmt, percentile, runBenchmark, sleep, table, waitQuiet } from './lib/util.js';

const { values: opts } = parseArgs({
  options: {
    contacts: { type: 'string', default: '100000' },
    accounts: { type: 'string', default: '5000' },
    events: { type: 'string', default: '2000000' },
    days: { type: 'string', default: '90' },
    seed: { type: 'string', default: '1' },
    db: { type: 'string' },
    'keep-db': { type: 'boolean', default: false },
    runs: { type: 'string', default: '2' },
    chunk: { type: 'string', default: '5000' },
    'skip-incremental': { type: 'boolean', default: false },
    rate: { type: 'string', default: '5000' },
    duration: { type: 'string', default: '30' },
    'markers-per-s': { type: 'string', default: '2' },
    'quiet-wait': { type: 'string', default: '60' },
    'seed-chunk': { type: 'string', default: '500000' },
  },
});
const size = {
  contacts: Number(opts.contacts),
  accounts: Number(opts.accounts),
  events: Number(opts.events),
  days: Number(opts.days),
  seed: Number(opts.seed),
};
const quietWaitS = Number(opts['quiet-wait']);

const MODEL: ModelDefinition = modelDefinitionSchema.parse({
  fit: [
    { name: 'In Germany', condition: { field: 'country', op: 'eq', value: 'Germany' }, points: 15 },
    { name: 'Ten seats or more', condition: { field: 'seats', op: 'gte', value: 10 }, points: 10 },
  ],
  engagement: [
    { name: 'Pricing page visits', on: { page: { url: '*/pricing*' } }, points: 10, cap: 30 },
    {
      name: 'Demo requested (pro)',
      on: { event: 'Demo Requested', where: [{ property: 'plan', op: 'eq', value: 'pro' }] },
      points: 40,
      decay: { halfLifeDays: 10, expireDays: 90 },
    },
    { name: 'Webinars', on: { event: 'Webinar Registered' }, points: 5, window: { days: 7, max: 8 } },
    { name: 'Sign-ins', on: { event: 'Signed In' }, points: 1, window: { days: 1, max: 3 }, cap: 20 },
    { name: 'Feature use', on: { event: 'Feature Used' }, points: 2, cap: 40 },
    { name: 'LinkedIn visits', on: { touchpoint: { field: 'source', op: 'eq', value: 'linkedin' } }, points: 3 },
    { name: 'Support tickets', on: { event: 'Support Ticket Opened' }, points: -5, cap: 20 },
  ],
  decay: { expireDays: 90 },
  bands: [
    { name: 'A', min: 80 },
    { name: 'B', min: 50 },
    { name: 'C', min: 20 },
  ],
  otherwise: 'D',
});

async function q1<T>(db: Db, q: ReturnType<typeof sql<T>>): Promise<T | undefined> {
  return (await q.execute(db)).rows[0];
}

runBenchmark(async () => {
  const {
    db,
    dbName: name,
    url,
    fresh,
  } = await startPgBenchmark(
    'scoring',
    {
      title: 'scoring: full recompute of one model, incremental rescoring under event ingestion',
      params: `data set${opts.db ? ' (reused: counted below)' : ''}: ${size.contacts.toLocaleString('en')} contacts, ${size.accounts.toLocaleString('en')} accounts, ${size.events.toLocaleString('en')} events over ${size.days} days, seed ${size.seed}; chunk ${opts.chunk}`,
    },
    { db: opts.db, keepDb: opts['keep-db'], existing: 'reuse' },
  );

  let ws: string;
  if (fresh) {
    const client = new pg.Client({ connectionString: url, application_name: 'bench-seed' });
    await client.connect();
    const exec: Exec = async (text) => (await client.query(text)).rows as Array<Record<string, unknown>>;
    await waitQuiet(quietWaitS);
    console.log('seeding…');
    const s = await measured(name, () => seedData(exec, db, size, Number(opts['seed-chunk']), false));
    await client.end();
    ws = s.result.workspaceId;
    console.log(`seeded in ${fmt(s.wallMs / 1000, 1)} s (${disturbance(s)})${opts['keep-db'] ? ` (kept: --db ${name})` : ''}`);
  } else {
    const r = await q1(db, sql<{ id: string }>`select id from workspaces where name = ${SEG_WORKSPACE} order by id limit 1`);
    if (!r) throw new Error(`no workspace "${SEG_WORKSPACE}" in ${name}`);
    ws = r.id;
    await sql`delete from contact_scores where workspace_id = ${ws}`.execute(db);
    await sql`update scoring_models set deleted_at = now() where workspace_id = ${ws} and deleted_at is null`.execute(db);
  }
  const counts = await q1(
    db,
    sql<Record<string, string>>`select (select count(*) from contacts where workspace_id = ${ws})::text as contacts,
      (select count(*) from profiles where workspace_id = ${ws} and contact_id is not null)::text as known_profiles,
      (select count(*) from events where workspace_id = ${ws})::text as events,
      (select count(*) from touchpoints where workspace_id = ${ws})::text as touchpoints`,
  );
  console.log(`workspace ${ws}: ${JSON.stringify(counts)}`);

  const ctx = { db, clock: systemClock };
  const actor = systemActor(ws);
  const created = await createModel(ctx, actor, {
    name: `Bench model ${newId().slice(-6)}`,
    description: 'bench/scoring.ts',
    draft: MODEL,
  });
  // No job runner in this process: publishing queues a recompute job nobody runs; the benchmark
  // calls recomputeModel itself.
  await publishModel(ctx, null, actor, created.id);
  await sql`delete from scoring_queue where workspace_id = ${ws}`.execute(db);

  // ---- 1. full recompute ----
  const rows: string[][] = [];
  const runs = Number(opts.runs);
  const baseline = sql<{ n: string }>`select count(*)::text as n from (
      select p.contact_id, count(*) from events e join profiles p on p.id = e.profile_id
      where e.workspace_id = ${ws} and p.contact_id is not null group by p.contact_id) x`;
  const compiled = await compileModel(db, ws, new Date(), MODEL);
  const aggSql = engagementAggregatesSql(ws, compiled, null);
  let recomputeMs = Number.NaN;
  let baselineMs = Number.NaN;
  for (let i = 0; i < runs; i++) {
    await waitQuiet(quietWaitS);
    const sampler = new ActivitySampler(name, 100);
    await sampler.start();
    const m = await measured(name, () => recomputeModel(db, systemClock, created.id, { chunk: Number(opts.chunk) }));
    await sampler.stop();
    console.log(`  where run ${i + 1}'s time went (pg_stat_activity every 100 ms, ${sampler.samples} samples):`);
    console.log(
      table(
        ['statement', 'samples', 'share'],
        sampler.rows('statement').map((r) => [(r[0] ?? '').replace(/\|/g, '/'), r[1] ?? '', r[2] ?? '']),
      ),
    );
    if (!m.result.completed) throw new Error('recompute did not complete');
    if (i === 0) recomputeMs = m.wallMs;
    rows.push([
      `recomputeModel, run ${i + 1}${i === 0 ? ' (writes every row)' : ' (unchanged rows not written)'}`,
      m.result.scored.toLocaleString('en'),
      fmt(m.wallMs / 1000, 1),
      fmt(m.ownMs / 1000, 1),
      fmt(m.pgMs / 1000, 1),
      disturbance(m),
    ]);
    console.log(`  ${rows[rows.length - 1]?.join(' | ')}`);
    await waitQuiet(quietWaitS);
    const b = await measured(name, () => baseline.execute(db));
    if (i === 0) baselineMs = b.wallMs;
    rows.push([
      '**baseline**: plain GROUP BY contact over all events (count)',
      String(b.result.rows[0]?.n ?? ''),
      fmt(b.wallMs / 1000, 1),
      fmt(b.ownMs / 1000, 1),
      fmt(b.pgMs / 1000, 1),
      disturbance(b),
    ]);
    console.log(`  ${rows[rows.length - 1]?.join(' | ')}`);
  }
  if (aggSql) {
    await waitQuiet(quietWaitS);
    const a = await measured(name, () => sql<{ n: string }>`select count(*)::text as n from (${aggSql}) x`.execute(db));
    rows.push([
      'context: the one-pass engagement aggregate alone (count of contact x rule rows)',
      String(a.result.rows[0]?.n ?? ''),
      fmt(a.wallMs / 1000, 1),
      fmt(a.ownMs / 1000, 1),
      fmt(a.pgMs / 1000, 1),
      disturbance(a),
    ]);
  }
  console.log('\nfull recompute:');
  console.log(table(['what', 'contacts / rows', 'wall s', 'this process CPU s', 'PostgreSQL CPU s', 'load during'], rows));
  console.log(`ratio recompute (run 1) / baseline: ${fmt(recomputeMs / baselineMs)}x`);
  const perMillion = (recomputeMs / 1000) * (1_000_000 / size.contacts);
  console.log(
    `linear extrapolation to 1M contacts (20 events per contact, as here): ${fmt(perMillion, 0)} s (goal under 60 s: ${perMillion < 60 ? 'met' : 'NOT met'}, if linear)`,
  );

  // exactness: stored rows equal the incremental path's
  const sample = (
    await sql<{
      id: string;
    }>`select id from contacts where workspace_id = ${ws} and deleted_at is null order by random() limit 500`.execute(db)
  ).rows.map((r) => r.id);
  const again = await scoreContacts(db, ws, await compileModel(db, ws, systemClock.now(), MODEL), sample);
  const stored = new Map(
    (
      await sql<{ contact_id: string; score: number; band: string; explanation: unknown }>`
        select contact_id, score, band, explanation from contact_scores where model_id = ${created.id} and contact_id = any(${sample}::uuid[])`.execute(
        db,
      )
    ).rows.map((r) => [r.contact_id, r]),
  );
  // Decay moves between the run and this check (seconds): compare lines other than decay exactly
  // (as [rule, points, at]: jsonb keeps object keys in its own order).
  const strip = (e: unknown) =>
    JSON.stringify(
      (e as Array<{ rule: string; points: number; at: string | null }>)
        .filter((l) => !l.rule.startsWith('decay: '))
        .map((l) => [l.rule, l.points, l.at]),
    );
  const differ = again.filter((s) => {
    const r = stored.get(s.contactId);
    return !r || strip(r.explanation) !== strip(s.explanation) || Math.abs(Number(r.score) - s.score) > 0.05;
  });
  console.log(
    `exactness: ${sample.length - differ.length} of ${sample.length} sampled contacts stored exactly as scoreContacts scores them now (decay lines within 0.05 points: time moved)`,
  );
  if (differ.length > 0) throw new Error(`${differ.length} sampled scores differ from scoreContacts`);
  const bands = await sql<{
    band: string;
    n: number;
  }>`select band, count(*)::int as n from contact_scores where model_id = ${created.id} group by band order by band`.execute(db);
  console.log(`bands: ${bands.rows.map((b) => `${b.band} ${b.n}`).join(', ')}`);

  // ---- 2. incremental ----
  if (!opts['skip-incremental']) await incremental(db, name, ws, created.id);
  console.log(`\n(PostgreSQL ${name}; scoring.ts done)`);
});

async function incremental(db: Db, name: string, ws: string, modelId: string): Promise<void> {
  const rate = Number(opts.rate);
  const duration = Number(opts.duration);
  const markersPerS = Number(opts['markers-per-s']);
  const profiles = (
    await sql<{ id: string; contact_id: string }>`select id, contact_id from profiles
      where workspace_id = ${ws} and contact_id is not null order by random() limit 50000`.execute(db)
  ).rows;
  const source = await q1(db, sql<{ id: string }>`select id from sources where workspace_id = ${ws} order by id limit 1`);
  if (!source) throw new Error('no source');
  const stop = new AbortController();
  // The scoring.queue loop as the job runs it: every 500 ms, up to 10 passes of 5,000.
  const worker = (async () => {
    while (!stop.signal.aborted) {
      await drainScoringQueue(db, systemClock, { maxBatches: 10 });
      await sleep(500);
    }
  })();
  const pending = new Map<string, { sent: number; before: number }>();
  const lat: number[] = [];
  let drainDeadline = Number.POSITIVE_INFINITY;
  const sampler = (async () => {
    while (!stop.signal.aborted || pending.size > 0) {
      if (pending.size > 0) {
        const r = await sql<{ contact_id: string; score: number }>`select contact_id, score from contact_scores
          where model_id = ${modelId} and contact_id = any(${[...pending.keys()]}::uuid[])`.execute(db);
        const t = performance.now();
        for (const row of r.rows) {
          const p = pending.get(row.contact_id);
          if (p && Number(row.score) > p.before + 39) {
            lat.push(t - p.sent);
            pending.delete(row.contact_id);
          }
        }
      }
      if (stop.signal.aborted && performance.now() > drainDeadline) break;
      await sleep(100);
    }
  })();
  await waitQuiet(quietWaitS);
  console.log(`\nincremental: ${rate} events/s for ${duration} s, ${markersPerS} markers/s…`);
  let sent = 0;
  let markers = 0;
  const perTick = Math.round(rate / 10);
  const m = await measured(name, async () => {
    const t0 = performance.now();
    for (let tick = 0; performance.now() - t0 < duration * 1000; tick++) {
      const due = t0 + tick * 100;
      if (performance.now() < due) await sleep(due - performance.now());
      const pick = Array.from({ length: perTick }, () => profiles[Math.floor(Math.random() * profiles.length)]?.id ?? '');
      await sql`insert into events (id, workspace_id, source_id, profile_id, type, event, message_id, ts, received_at, properties)
        select gen_random_uuid(), ${ws}::uuid, ${source.id}::uuid, p, 'track', 'Feature Used', 'bench-' || gen_random_uuid(), now(), now(), '{"plan":"free"}'::jsonb
        from unnest(${pick}::uuid[]) as p`.execute(db);
      // As tracking ingestion does in its transaction (migration 0028): the writer queues the contacts.
      await sql`select keel_queue_event_contacts(${ws}::uuid, ${pick}::uuid[], ${pick.map(() => 'track:Feature Used')}::text[])`.execute(
        db,
      );
      sent += perTick;
      if (tick % Math.max(1, Math.round(10 / markersPerS)) === 0) {
        const prof = profiles[Math.floor(Math.random() * profiles.length)];
        if (prof && !pending.has(prof.contact_id)) {
          const before = await q1(
            db,
            sql<{ score: number }>`select score from contact_scores where model_id = ${modelId} and contact_id = ${prof.contact_id}`,
          );
          await sql`insert into events (id, workspace_id, source_id, profile_id, type, event, message_id, ts, received_at, properties)
            values (gen_random_uuid(), ${ws}, ${source.id}, ${prof.id}, 'track', 'Demo Requested', ${`bench-marker-${markers}`}, now(), now(), '{"plan":"pro"}'::jsonb)`.execute(
            db,
          );
          await sql`select keel_queue_event_contacts(${ws}::uuid, ${[prof.id]}::uuid[], ${['track:Demo Requested']}::text[])`.execute(db);
          pending.set(prof.contact_id, { sent: performance.now(), before: Number(before?.score ?? 0) });
          markers++;
          sent++;
        }
      }
    }
    return performance.now() - t0;
  });
  const drainWaitMs = 60_000;
  drainDeadline = performance.now() + drainWaitMs;
  stop.abort();
  await worker;
  await sampler;
  const late = pending.size;
  const all = [...lat, ...Array<number>(late).fill(Number.POSITIVE_INFINITY)].sort((a, b) => a - b);
  const achieved = (sent / m.result) * 1000;
  console.log(
    table(
      ['events sent', 'achieved events/s', 'markers', 'scored', 'p50 ms', 'p95 ms', 'max ms', 'goal p95 < 2 s', 'load during'],
      [
        [
          String(sent),
          fmt(achieved, 0),
          String(markers),
          String(lat.length),
          fmt(percentile(all, 50), 0),
          fmt(percentile(all, 95), 0),
          fmt(all[all.length - 1] ?? Number.NaN, 0),
          percentile(all, 95) < 2000 && achieved >= rate * 0.95 ? 'met' : 'NOT met',
          disturbance(m),
        ],
      ],
    ),
  );
  console.log(
    `(${late} markers not scored ${fmt(drainWaitMs / 1000, 0)} s after the load; CPU this process ${fmt(m.ownMs / 1000, 1)} s, PostgreSQL ${fmt(m.pgMs / 1000, 1)} s)`,
  );
}
