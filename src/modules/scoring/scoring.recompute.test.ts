import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../platform/actor.js';
import { fixedClock } from '../../platform/clock.js';
import { createTestApp, makeWorkspace, type TestApp } from '../../test/app.js';
import { onPostgres } from '../../test/db.js';
import { drainScoringQueue, endStaleRuns, recomputeModel } from './scoring.compute.js';
import { compileModel, scoreContacts } from './scoring.engine.js';
import { modelDefinitionSchema, type ModelDefinition } from './scoring.schema.js';
import { createModel, publishModel } from './scoring.service.js';

// The full recompute reads every contact's engagement from one pass over the workspace's activity
// (an unlogged table of the run's own), then scores and stores chunk by chunk: it must store exactly what the
// incremental path (scoreContacts straight from the events) gives, across chunk boundaries; and a
// contact the queue rescored while a run was going is queued again when the run ends.
const DAY = 86_400_000;
const clock = fixedClock(new Date('2026-07-15T12:00:00Z'));
const ago = (days: number) => new Date(clock.now().getTime() - days * DAY);
let t: TestApp;
let ws: string;
let modelId: string;
const contacts: string[] = [];
const profiles: string[] = [];

const definition: ModelDefinition = modelDefinitionSchema.parse({
  fit: [{ name: 'In Germany', condition: { field: 'country', op: 'eq', value: 'DE' }, points: 15 }],
  engagement: [
    { name: 'Pricing', on: { page: { url: '*/pricing*' } }, points: 10, cap: 30 },
    { name: 'Demo', on: { event: 'Demo Requested' }, points: 40, decay: { halfLifeDays: 10 } },
    { name: 'Webinars', on: { event: 'Webinar Attended' }, points: 5, window: { days: 7, max: 8 } },
    { name: 'Unsubscribed', on: { event: 'Unsubscribed' }, points: -20, cap: 20 },
  ],
  decay: { expireDays: 90 },
  bands: [{ name: 'A', min: 50 }],
  otherwise: 'B',
});

const db = () => t.db.handle.db;

async function event(i: number, type: 'track' | 'page', name: string, daysAgo: number): Promise<void> {
  const at = ago(daysAgo);
  await sql`insert into events (id, workspace_id, source_id, profile_id, type, event, message_id, ts, received_at, properties)
    values (gen_random_uuid(), ${ws}, gen_random_uuid(), ${profiles[i] ?? ''}, ${type}, ${type === 'track' ? name : null},
      ${`m-${Math.random()}`}, ${at}, ${at}, ${type === 'page' ? JSON.stringify({ url: `https://x.example/${name}` }) : '{}'}::jsonb)`.execute(
    db(),
  );
  // What every writer of events does (tracking ingestion does it for its batches): queue the contact.
  await sql`select keel_queue_event_contacts(${ws}, ${[profiles[i] ?? '']}::uuid[])`.execute(db());
}

async function stored(): Promise<Map<string, unknown>> {
  const rows = await sql<{
    contact_id: string;
    score: number;
    band: string;
    explanation: Array<{ rule: string; points: number; at: string | null }>;
  }>`
    select contact_id, score, band, explanation from contact_scores where model_id = ${modelId}`.execute(db());
  return new Map(
    rows.rows.map((r) => [r.contact_id, { score: r.score, band: r.band, lines: r.explanation.map((l) => [l.rule, l.points, l.at]) }]),
  );
}

beforeAll(async () => {
  t = await createTestApp({ clock });
  ws = (await makeWorkspace(t)).id;
  const ctx = { db: db(), clock };
  const model = await createModel(ctx, systemActor(ws), { name: 'Recompute', description: '', draft: definition });
  modelId = model.id;
  for (let i = 0; i < 7; i++) {
    const c = await sql<{ id: string }>`insert into contacts (id, workspace_id, email, country, created_at, updated_at)
      values (gen_random_uuid(), ${ws}, ${`r${i}@example.com`}, ${i % 2 ? 'DE' : 'FR'}, ${clock.now()}, ${clock.now()}) returning id`.execute(
      db(),
    );
    contacts.push(c.rows[0]?.id ?? '');
    const p = await sql<{ id: string }>`insert into profiles (id, workspace_id, contact_id, first_seen_at, last_seen_at)
      values (gen_random_uuid(), ${ws}, ${contacts[i] ?? ''}, ${clock.now()}, ${clock.now()}) returning id`.execute(db());
    profiles.push(p.rows[0]?.id ?? '');
  }
  await publishModel(ctx, null, systemActor(ws), modelId);
  // Activity for every contact but the last: caps, window caps, decay, expiry, a negative rule.
  for (let i = 0; i < 6; i++) {
    for (let k = 0; k <= i; k++) await event(i, 'page', 'pricing', k);
    if (i % 2 === 0) await event(i, 'track', 'Demo Requested', 3 + i);
    for (let k = 0; k < i; k++) await event(i, 'track', 'Webinar Attended', k * 0.5);
    if (i === 4) {
      await event(i, 'track', 'Unsubscribed', 1);
      await event(i, 'track', 'Unsubscribed', 2);
    }
    await event(i, 'track', 'Demo Requested', 120);
  }
  await drainScoringQueue(db(), clock);
});
afterAll(async () => t?.close());

describe('full recompute from one pass', () => {
  it('stores, in chunks of 2, exactly what scoring each contact from its events gives', async () => {
    await sql`delete from contact_scores where model_id = ${modelId}`.execute(db());
    const r = await recomputeModel(db(), clock, modelId, { chunk: 2 });
    expect(r).toEqual({ scored: 7, completed: true });
    const compiled = await compileModel(db(), ws, clock.now(), definition);
    const direct = await scoreContacts(db(), ws, compiled, contacts);
    const want = new Map(
      direct.map((s) => [s.contactId, { score: s.score, band: s.band, lines: s.explanation.map((l) => [l.rule, l.points, l.at]) }]),
    );
    expect(await stored()).toEqual(want);
    expect(direct.filter((s) => s.explanation.some((l) => l.rule.startsWith('cap: '))).length).toBeGreaterThan(0);
    const left = await sql<{ n: number }>`select count(*)::int as n from scoring_recompute_runs`.execute(db());
    expect(left.rows[0]?.n).toBe(0);
  });

  it('queues again, when a run ends, the contacts the queue rescored while it ran', async () => {
    // A run that has taken its snapshot and is still writing chunks.
    await sql`insert into scoring_recompute_runs (workspace_id, model_id) values (${ws}, ${modelId})`.execute(db());
    await event(6, 'track', 'Demo Requested', 0);
    await drainScoringQueue(db(), clock);
    const noted = await sql<{ contact_id: string }>`select contact_id from scoring_rescored where workspace_id = ${ws}`.execute(db());
    expect(noted.rows.map((r) => r.contact_id)).toEqual([contacts[6]]);
    // Another run ends meanwhile: the noted contact goes back on the queue, and stays noted while
    // the first run is still going.
    await recomputeModel(db(), clock, modelId);
    const queued = await sql<{ contact_id: string }>`select contact_id from scoring_queue where workspace_id = ${ws}`.execute(db());
    expect(queued.rows.map((r) => r.contact_id)).toEqual([contacts[6]]);
    await sql`delete from scoring_recompute_runs where workspace_id = ${ws}`.execute(db());
    await drainScoringQueue(db(), clock);
    await recomputeModel(db(), clock, modelId);
    const after = await sql<{ n: number }>`select count(*)::int as n from scoring_rescored where workspace_id = ${ws}`.execute(db());
    expect(after.rows[0]?.n).toBe(0);
    expect((await stored()).get(contacts[6] ?? '')).toMatchObject({ score: 40, band: 'B' });
  });

  it.runIf(!onPostgres)(
    'gives the connection back between chunks: other queries run while it goes (the embedded database has one)',
    async () => {
      await sql`delete from contact_scores where model_id = ${modelId}`.execute(db());
      let finished = false;
      const run = recomputeModel(db(), clock, modelId, { chunk: 1 }).then((r) => {
        finished = true;
        return r;
      });
      // Counted from outside while the run writes: some chunks stored and others not yet. This proves
      // something on the embedded database only (one connection: the old temporary-table run held it
      // to the end, and this saw 0 and 7 alone); on PostgreSQL other pool connections answer anyway.
      const seen = new Set<number>();
      while (!finished) {
        const n = await sql<{ n: number }>`select count(*)::int as n from contact_scores where model_id = ${modelId}`.execute(db());
        seen.add(n.rows[0]?.n ?? 0);
      }
      expect(await run).toEqual({ scored: 7, completed: true });
      expect(
        [...seen].some((n) => n > 0 && n < 7),
        `counts seen: ${[...seen].join(', ')}`,
      ).toBe(true);
      const tables = await sql<{ n: number }>`select count(*)::int as n from pg_class where relname like 'scoring_recompute_agg%'`.execute(
        db(),
      );
      expect(tables.rows[0]?.n).toBe(0);
    },
  );

  it('ends the runs of dead processes: their table dropped, their noted contacts queued, nothing noted for them meanwhile', async () => {
    await sql`delete from scoring_queue`.execute(db());
    const dead = await sql<{ id: string }>`insert into scoring_recompute_runs (workspace_id, model_id, started_at, heartbeat_at)
      values (${ws}, ${modelId}, now() - interval '2 hours', now() - interval '31 minutes') returning id::text as id`.execute(db());
    const id = dead.rows[0]?.id ?? '';
    await sql`create unlogged table ${sql.table(`scoring_recompute_agg_${id}`)} (contact_id uuid)`.execute(db());
    await sql`insert into scoring_rescored (workspace_id, contact_id) values (${ws}, ${contacts[2] ?? ''})`.execute(db());
    // The queue does not note contacts for a dead run.
    await event(3, 'track', 'Demo Requested', 0);
    await drainScoringQueue(db(), clock);
    const noted = await sql<{ contact_id: string }>`select contact_id from scoring_rescored where workspace_id = ${ws}`.execute(db());
    expect(noted.rows.map((r) => r.contact_id)).toEqual([contacts[2]]);
    // A live run (recent heartbeat) is left alone.
    await sql`insert into scoring_recompute_runs (workspace_id, model_id) values (${ws}, ${modelId})`.execute(db());
    expect(await endStaleRuns(db())).toBe(1);
    const runs = await sql<{ n: number }>`select count(*)::int as n from scoring_recompute_runs where workspace_id = ${ws}`.execute(db());
    expect(runs.rows[0]?.n).toBe(1);
    const table = await sql<{
      n: number;
    }>`select count(*)::int as n from pg_class where relname = ${`scoring_recompute_agg_${id}`}`.execute(db());
    expect(table.rows[0]?.n).toBe(0);
    const queued = await sql<{ contact_id: string }>`select contact_id from scoring_queue where workspace_id = ${ws}`.execute(db());
    expect(queued.rows.map((r) => r.contact_id)).toEqual([contacts[2]]);
    expect(await endStaleRuns(db())).toBe(0);
    await sql`delete from scoring_recompute_runs where workspace_id = ${ws}`.execute(db());
  });
});
