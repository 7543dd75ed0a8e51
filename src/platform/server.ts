import type { FastifyInstance } from 'fastify';
import type http from 'node:http';
import { defineJobs, registerModules } from '../modules/index.js';
import { runOperation } from '../cli/operations.js';
import { systemClock } from './clock.js';
import type { Config } from './config.js';
import { socketPath } from './db/data-dir-lock.js';
import { seedDemo } from './demo.js';
import { buildApp } from './http/app.js';
import { Jobs } from './jobs/jobs.js';
import { startLocalSocket } from './local-socket.js';
import { createLogger } from './logger.js';
import { createMetrics, registerRuntimeGauges } from './metrics.js';
import { openRuntime } from './runtime.js';
import { version } from './version.js';

export type ServeRole = 'all' | 'web' | 'worker';

export interface RunningServer {
  app: FastifyInstance | null;
  url: string | null;
  stop(): Promise<void>;
}

/** `keel serve`: web and/or worker in one process, stopped gracefully on SIGTERM/SIGINT. */
export async function startServer(config: Config, role: ServeRole = 'all'): Promise<RunningServer> {
  const logger = createLogger(config.LOG_LEVEL, config.KEEL_LOG_PRETTY);
  if (role !== 'all' && !config.DATABASE_URL) {
    throw new Error('keel serve --role web|worker needs DATABASE_URL: the embedded database belongs to one process');
  }
  const started = Date.now();
  const { handle, release } = await openRuntime(config, { waitForStaleMs: 20_000 });
  const clock = systemClock;
  const metrics = createMetrics();
  const jobs = new Jobs(handle, clock, logger, metrics);
  defineJobs(jobs, config);
  registerRuntimeGauges(metrics, { pool: handle.pool, queueStats: () => jobs.stats() });

  if (handle.kind === 'embedded' && config.KEEL_DEMO) {
    await seedDemo({ db: handle.db, clock }, logger, config.KEEL_DEMO_PASSWORD);
  }

  let app: FastifyInstance | null = null;
  let url: string | null = null;
  let socket: http.Server | null = null;
  try {
    if (role !== 'worker') {
      app = await buildApp({ handle, config, clock, logger, jobs, metrics, version }, registerModules);
      url = await app.listen({ port: config.PORT, host: config.HOST });
    }
    if (handle.kind === 'embedded') {
      socket = await startLocalSocket(
        socketPath(config.dataDir),
        (op, args, progress) => runOperation({ handle, clock, filesDir: config.filesDir, progress }, op, args),
        logger,
      );
    }
    // Jobs start after the HTTP port is open: readiness does not wait on queue set-up.
    await jobs.start({ worker: role !== 'web' });
  } catch (err) {
    await app?.close();
    await handle.close();
    await release();
    throw err;
  }
  logger.info(
    { url, role, database: handle.kind, ms: Date.now() - started },
    `Keel ${version} ready${url ? ` on ${url.replace('0.0.0.0', 'localhost')}` : ''}`,
  );

  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      logger.info('shutting down: finishing in-flight requests and jobs');
      await app?.close();
      await jobs.stop();
      if (socket) await new Promise<void>((r) => socket?.close(() => r()));
      await handle.close();
      await release();
      logger.info('stopped');
    })();
    return stopping;
  };
  return { app, url, stop };
}
