import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';

const HEADER = 'idempotency-key';
const KEY_RE = /^[\x21-\x7e]{1,255}$/;
// A claim older than this whose request never finished (the process died) may be taken over.
const STALE_MS = 60_000;

declare module 'fastify' {
  interface FastifyRequest {
    idempotencyKey: string | null;
  }
}

/**
 * `Idempotency-Key` on POST requests (the IETF httpapi idempotency-key draft, as Stripe uses it):
 * the first request with a key runs and its 2xx answer is stored; a retry with the same key from
 * the same caller gets that answer again (header `idempotent-replayed: true`) and acts no second
 * time. A key reused for another method or path, or while the first is still running, is a 409.
 */
export function registerIdempotency(app: FastifyInstance): void {
  app.decorateRequest('idempotencyKey', null);
  const db = () => app.keel.handle.db;

  app.addHook('preHandler', async (req: FastifyRequest, reply: FastifyReply) => {
    const key = req.headers[HEADER];
    if (req.method !== 'POST' || key === undefined || !req.auth) return;
    if (typeof key !== 'string' || !KEY_RE.test(key)) {
      throw new AppError('validation_failed', 'Idempotency-Key must be 1-255 visible ASCII characters');
    }
    const actorId = `${req.auth.actor.type}:${req.auth.actor.id ?? ''}`;
    const workspaceId = req.auth.actor.workspaceId;
    const path = req.url.split('?')[0] ?? req.url;
    const now = app.keel.clock.now();
    const claimed = await db()
      .insertInto('idempotency_keys')
      .values({ workspace_id: workspaceId, key, actor_id: actorId, method: req.method, path, status: 0, body: null, created_at: now })
      .onConflict((oc) => oc.doNothing())
      .returning('key')
      .executeTakeFirst();
    if (claimed) {
      req.idempotencyKey = key;
      return;
    }
    const prev = await db()
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('actor_id', '=', actorId)
      .where('key', '=', key)
      .executeTakeFirstOrThrow();
    if (prev.method !== req.method || prev.path !== path) {
      throw new AppError('conflict', 'This Idempotency-Key was used for a different request');
    }
    if (prev.status === 0) {
      if (now.getTime() - prev.created_at.getTime() < STALE_MS) {
        throw new AppError('conflict', 'A request with this Idempotency-Key is still in progress');
      }
      await db()
        .updateTable('idempotency_keys')
        .set({ created_at: now })
        .where('workspace_id', '=', workspaceId)
        .where('actor_id', '=', actorId)
        .where('key', '=', key)
        .execute();
      req.idempotencyKey = key;
      return;
    }
    void reply.header('idempotent-replayed', 'true');
    return reply.status(prev.status).send(prev.body);
  });

  app.addHook('onSend', async (req, reply, payload) => {
    const key = req.idempotencyKey;
    if (!key || !req.auth) return payload;
    const where = db()
      .updateTable('idempotency_keys')
      .where('workspace_id', '=', req.auth.actor.workspaceId)
      .where('actor_id', '=', `${req.auth.actor.type}:${req.auth.actor.id ?? ''}`)
      .where('key', '=', key);
    if (reply.statusCode >= 200 && reply.statusCode < 300) {
      const body = typeof payload === 'string' && payload.length > 0 ? payload : 'null';
      await where.set({ status: reply.statusCode, body }).execute();
    } else {
      // Failed requests are not remembered: the caller may fix the problem and retry with the key.
      await db()
        .deleteFrom('idempotency_keys')
        .where('workspace_id', '=', req.auth.actor.workspaceId)
        .where('actor_id', '=', `${req.auth.actor.type}:${req.auth.actor.id ?? ''}`)
        .where('key', '=', key)
        .execute();
    }
    return payload;
  });
}
