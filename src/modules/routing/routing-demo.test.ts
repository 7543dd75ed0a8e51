import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../platform/actor.js';
import { seedDemo } from '../../platform/demo.js';
import { createTestApp, type TestApp } from '../../test/app.js';
import { routingReport } from './report.service.js';
import { slaOverview } from './sla.service.js';

let t: TestApp;
let ws = '';

beforeAll(async () => {
  t = await createTestApp();
  const silent = { info: () => undefined } as unknown as Parameters<typeof seedDemo>[1];
  await seedDemo({ db: t.db.handle.db, clock: t.clock }, silent, 'demo-password-123');
  ws = (await sql<{ id: string }>`select id from workspaces where slug = 'demo'`.execute(t.db.handle.db)).rows[0]?.id ?? '';
}, 300_000);
afterAll(async () => t?.close());

describe('routing demo data', () => {
  it('fills reps’ queues with leads on track, at risk and breached, with reminders, escalations and verdicts', async () => {
    const o = await slaOverview(t.db.handle.db, t.clock, ws, { state: 'all', limit: 50 });
    expect(o.summary.onTrack).toBeGreaterThan(0);
    expect(o.summary.atRisk).toBeGreaterThan(0);
    expect(o.summary.breached).toBeGreaterThan(0);
    expect(o.perRep.length).toBeGreaterThan(1);
    expect(o.data.some((d) => d.escalatedAt !== null && d.escalatedTo !== null)).toBe(true);
    const now = t.clock.now();
    const r = await routingReport(t.db.handle.db, systemActor(ws, 'test').workspaceId, {
      from: new Date(now.getTime() - 7 * 86_400_000).toISOString(),
      to: new Date(now.getTime() + 60_000).toISOString(),
    });
    expect(r.totals.accepted).toBe(2);
    expect(r.totals.rejected).toBe(2);
    expect(r.rejectionReasons.map((x) => x.reason).sort()).toEqual(['Already in contact', 'Not a fit']);
  });
});
