import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { systemClock } from '../clock.js';
import { createTestDatabase, type TestDatabase } from '../../test/db.js';
import { Jobs } from './jobs.js';

let db: TestDatabase;
let jobs: Jobs;
const seen: Array<{ n: number; attempt: number }> = [];
let flakyFailures = 0;
let slowDone = false;
const loop = { runs: 0, passes: 0, sawStop: false };

async function until(check: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  db = await createTestDatabase();
  jobs = new Jobs(db.handle, systemClock, pino({ level: 'silent' }));
  jobs.define({
    name: 'test.record',
    schema: z.object({ n: z.number() }),
    handler: async (_ctx, data, job) => {
      seen.push({ n: data.n, attempt: job.retryCount });
    },
  });
  jobs.define({
    name: 'test.flaky',
    schema: z.object({}),
    retryLimit: 3,
    retryDelaySeconds: 1,
    retryBackoff: false,
    handler: async () => {
      flakyFailures += 1;
      if (flakyFailures < 3) throw new Error('transient');
    },
  });
  jobs.define({
    name: 'test.doomed',
    schema: z.object({ why: z.string() }),
    retryLimit: 1,
    retryDelaySeconds: 1,
    retryBackoff: false,
    handler: async () => {
      throw new Error('always fails');
    },
  });
  jobs.define({
    name: 'test.slow',
    schema: z.object({}),
    handler: async () => {
      await new Promise((r) => setTimeout(r, 1500));
      slowDone = true;
    },
  });
  jobs.define({ name: 'test.cron', schema: z.object({}).passthrough(), cron: '*/5 * * * *', handler: async () => {} });
  // A polling loop with long work: up to 1,000 passes of 20 ms, checking for shutdown between them.
  jobs.defineLoop({
    name: 'test.loop',
    intervalMs: 50,
    handler: async (_ctx, stop) => {
      loop.runs += 1;
      for (let i = 0; i < 1000; i++) {
        if (stop.aborted) {
          loop.sawStop = true;
          return true;
        }
        loop.passes += 1;
        await new Promise((r) => setTimeout(r, 20));
      }
      return false;
    },
  });
  await jobs.start({ worker: true });
});
afterAll(async () => {
  await jobs.stop(5000);
  await db.drop();
});

describe('background jobs (pg-boss on this back end)', () => {
  it('runs an enqueued job', async () => {
    await jobs.enqueue('test.record', { n: 1 });
    await until(() => seen.some((s) => s.n === 1));
  });

  it('an idempotency key makes a second enqueue return the first job, which runs once', async () => {
    const a = await jobs.enqueue('test.record', { n: 2 }, { idempotencyKey: 'import-42' });
    const b = await jobs.enqueue('test.record', { n: 2 }, { idempotencyKey: 'import-42' });
    expect(b).toBe(a);
    await until(() => seen.some((s) => s.n === 2));
    await new Promise((r) => setTimeout(r, 1500));
    expect(seen.filter((s) => s.n === 2)).toHaveLength(1);
  });

  it('a job enqueued in a rolled-back transaction never runs', async () => {
    await db.handle.db
      .transaction()
      .execute(async (trx) => {
        await jobs.enqueue('test.record', { n: 3 }, { tx: trx });
        throw new Error('rollback');
      })
      .catch(() => undefined);
    await jobs.enqueue('test.record', { n: 4 });
    await until(() => seen.some((s) => s.n === 4));
    expect(seen.some((s) => s.n === 3)).toBe(false);
  });

  it('retries a failing job until it succeeds', async () => {
    const id = await jobs.enqueue('test.flaky', {});
    await until(async () => (await jobs.getJob('test.flaky', id))?.state === 'completed');
    expect(flakyFailures).toBe(3);
  });

  it('dead-letters a job that keeps failing', async () => {
    const id = await jobs.enqueue('test.doomed', { why: 'dead-letter me' });
    await until(async () => (await jobs.getJob('test.doomed', id))?.state === 'failed');
    await until(async () => (await jobs.stats()).some((q) => q.name === 'test.doomed.dead' && q.total >= 1));
    const stats = await jobs.stats();
    expect(stats.find((q) => q.name === 'test.doomed')?.deadLetter).toBe('test.doomed.dead');
  });

  it('rejects data that does not match the job schema, and unknown jobs', async () => {
    await expect(jobs.enqueue('test.record', { n: 'one' })).rejects.toThrow();
    await expect(jobs.enqueue('test.nope', {})).rejects.toThrow(/No job named/);
  });

  it('registers cron schedules', async () => {
    const { rows } = await db.handle.executeSql("select name, cron from pgboss.schedule where name = 'test.cron'");
    expect(rows).toEqual([{ name: 'test.cron', cron: '*/5 * * * *' }]);
  });

  it('runs loops in the worker, and a stop ends a long loop run between its passes', async () => {
    await until(() => loop.passes > 3);
    await jobs.stop(10_000);
    // Stopped long before the run's 1,000 passes, and the handler saw why.
    expect(loop.sawStop).toBe(true);
    expect(loop.passes).toBeLessThan(1000);
    const after = loop.passes;
    await new Promise((r) => setTimeout(r, 200));
    expect(loop.passes).toBe(after);
    await jobs.start({ worker: true });
  });

  it('graceful stop waits for the job in flight', async () => {
    const id = await jobs.enqueue('test.slow', {});
    await until(async () => (await jobs.getJob('test.slow', id))?.state === 'active');
    await jobs.stop(10_000);
    expect(slowDone).toBe(true);
    await jobs.start({ worker: true });
  });
});
