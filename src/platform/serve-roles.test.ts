import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgDatabase, onPostgres } from '../test/db.js';
import { loadConfig } from './config.js';
import { startServer, type RunningServer } from './server.js';

// `keel serve --role web` and `--role worker` as separate processes on one PostgreSQL: the web
// process enqueues, the worker runs it. (Embedded mode has one process per folder by design.)
describe.runIf(onPostgres)('split web and worker roles', () => {
  let web: RunningServer;
  let worker: RunningServer;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const pg = await createPgDatabase();
    drop = pg.drop;
    const env = { DATABASE_URL: pg.url, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', KEEL_DEMO: '0' };
    [web, worker] = await Promise.all([startServer(loadConfig(env), 'web'), startServer(loadConfig(env), 'worker')]);
  });
  afterAll(async () => {
    await web?.stop();
    await worker?.stop();
    await drop?.();
  });

  it('a job enqueued by the web process is run by the worker', async () => {
    expect(worker.app).toBeNull();
    const jobs = web.app?.keel.jobs;
    if (!jobs) throw new Error('web has no app');
    const id = await jobs.enqueue('auth.sessions-cleanup', {});
    const end = Date.now() + 20_000;
    let state: string | undefined;
    while (Date.now() < end) {
      state = (await jobs.getJob('auth.sessions-cleanup', id))?.state;
      if (state === 'completed') break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(state).toBe('completed');
  });
});

describe.runIf(!onPostgres)('split roles on the embedded database', () => {
  it('are refused with a clear message', async () => {
    await expect(startServer(loadConfig({ KEEL_DATA_DIR: '/tmp/keel-never-opened', LOG_LEVEL: 'silent' }), 'web')).rejects.toThrow(
      /needs DATABASE_URL/,
    );
  });
});
