import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { pendingMigrations } from '../db/migrate.js';
import { problem, sendProblem } from './error-handler.js';

export async function healthRoutes(app: FastifyInstance): Promise<void> {
  const { handle, metrics } = app.keel;
  let migrated = false;

  app.get('/healthz', { config: { permission: 'public' }, schema: { hide: true } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { config: { permission: 'public' }, schema: { hide: true } }, async (req, reply) => {
    try {
      await sql`select 1`.execute(handle.db);
      if (!migrated) {
        const pending = await pendingMigrations(handle.db);
        if (pending.length > 0) return sendProblem(reply, problem('not_ready', `Pending migrations: ${pending.join(', ')}`, req));
        migrated = true;
      }
      return { status: 'ready', database: handle.kind };
    } catch (err) {
      req.log.warn({ err }, 'readiness check failed');
      return sendProblem(reply, problem('not_ready', 'The database is not reachable', req));
    }
  });

  app.get('/metrics', { config: { permission: 'public' }, schema: { hide: true } }, async (_req, reply) => {
    void reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
