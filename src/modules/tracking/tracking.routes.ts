import { createGunzip, createInflate } from 'node:zlib';
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../platform/errors.js';
import { requireAuth } from '../../platform/http/app.js';
import { pageQuerySchema, pageSchema } from '../../platform/http/pagination.js';
import { idParamsSchema } from '../crm/records.schema.js';
import { ingest, MAX_BATCH_BYTES, MAX_MESSAGE_BYTES, type IngestCtx } from './ingest.service.js';
import { batchSchema, eventSchema, identitySchema, messageTypes, touchpointSchema } from './messages.schema.js';
import {
  deletePlanEvent,
  planEventSchema,
  putPlanEvent,
  putPlanEventSchema,
  seenEventSchema,
  trackingPlanReport,
} from './tracking-plan.service.js';
import { channelRuleSchema, channelRulesSchema } from './channels.js';
import { getChannelRules, putChannelRules, resetChannelRules } from './channel-rules.service.js';
import { contactEvents, contactIdentities, contactMerges, contactTouchpoints, recentEvents } from './profile.service.js';
import {
  authenticateWriteKey,
  createSource,
  createSourceSchema,
  listSources,
  revokeSourceKey,
  rotateKeySchema,
  updateSourceSchema,
  rotateSourceKey,
  updateSource,
  sourceSchema,
} from './sources.service.js';

const channelRulesViewSchema = z.object({
  rules: z.array(channelRuleSchema),
  isDefault: z.boolean(),
  updatedAt: z.string().nullable(),
});

/** The write key: HTTP Basic user name (what Segment's libraries send), else `writeKey` in the body. */
function writeKeyOf(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (h?.startsWith('Basic ')) {
    const decoded = Buffer.from(h.slice(6), 'base64').toString('utf8');
    const user = decoded.split(':')[0];
    if (user) return user;
  }
  const body = req.body as { writeKey?: unknown } | undefined;
  return typeof body?.writeKey === 'string' && body.writeKey !== '' ? body.writeKey : null;
}

export async function trackingRoutes(app: FastifyInstance): Promise<void> {
  const ctx: IngestCtx = {
    db: app.keel.handle.db,
    countersAfterCommit: app.keel.handle.kind === 'postgres',
    clock: app.keel.clock,
    deferLinks: async (work, err) => {
      app.log.warn(
        { err, workspaceId: work.workspaceId, links: work.links.length, groups: work.groups.length },
        'linking failed after the events were stored; queued for the tracking.link job',
      );
      try {
        await app.keel.jobs.enqueue('tracking.link', work);
      } catch (queueErr) {
        // The events are stored and a retry would be deduped: answering 500 would not bring the
        // links back. The profiles stay anonymous until their next identify links them.
        app.log.error({ err: queueErr, workspaceId: work.workspaceId, links: work.links.length }, 'could not queue the deferred links');
      }
    },
  };
  const count = (outcome: string, n = 1) => {
    if (n > 0) app.keel.metrics.trackingEvents.inc({ outcome }, n);
  };

  // Segment libraries may gzip their bodies (Content-Encoding: gzip). The body limit then applies
  // to the decompressed bytes; Fastify checks Content-Length against the bytes received.
  app.addHook('preParsing', async (req, _reply, payload) => {
    if (!req.url.startsWith('/v1/')) return payload;
    const enc = req.headers['content-encoding'];
    if (enc !== 'gzip' && enc !== 'deflate') return payload;
    const out = payload.pipe(enc === 'gzip' ? createGunzip() : createInflate()) as Readable & { receivedEncodedLength?: number };
    let received = 0;
    payload.on('data', (c: Buffer) => {
      received += c.length;
      out.receivedEncodedLength = received;
    });
    return out;
  });

  const handle = async (req: FastifyRequest, reply: FastifyReply, kind: 'single' | 'batch') => {
    const key = writeKeyOf(req);
    if (!key) {
      count('no_write_key');
      throw new AppError('unauthenticated', 'Send the source write key as the HTTP Basic user name');
    }
    let source;
    try {
      source = await authenticateWriteKey(ctx, key);
    } catch (err) {
      count('bad_write_key');
      throw err;
    }
    const body = req.body;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      count('rejected');
      throw new AppError('validation_failed', 'The body must be a JSON object');
    }
    let messages: unknown[];
    let batchMeta: { context?: Record<string, unknown>; sentAt?: unknown } = {};
    if (kind === 'batch') {
      const b = batchSchema.safeParse(body);
      if (!b.success) {
        count('rejected');
        throw new AppError('validation_failed', 'A batch is {"batch": [messages...]}');
      }
      messages = b.data.batch;
      batchMeta = { context: b.data.context, sentAt: b.data.sentAt };
    } else {
      const type = req.url.split('?')[0]?.split('/')[2];
      messages = [{ ...(body as Record<string, unknown>), type }];
    }
    const result = await ingest(ctx, source, messages, { ...batchMeta, requestIp: req.ip }, count);
    if (kind === 'single' && result.rejected.length) {
      throw new AppError('validation_failed', result.rejected[0]?.reason ?? 'The message is not valid');
    }
    if (kind === 'batch' && result.rejected.length === messages.length && messages.length > 0) {
      throw new AppError(
        'validation_failed',
        `No message in the batch is valid: ${result.rejected[0]?.reason ?? ''}`,
        result.rejected.slice(0, 20).map((r) => ({ path: `batch.${r.index}`, message: r.reason })),
      );
    }
    return reply.send({
      success: true,
      stored: result.stored,
      duplicates: result.duplicates,
      ...(result.excluded && { excluded: result.excluded }),
      ...(result.rejected.length && { rejected: result.rejected.slice(0, 100) }),
    });
  };

  const rateLimit = {
    max: app.keel.config.KEEL_TRACK_RATE_LIMIT,
    timeWindow: 60_000,
    keyGenerator: (req: FastifyRequest) => `track:${req.ip}`,
  };
  for (const type of messageTypes) {
    app.post(`/v1/${type}`, { bodyLimit: MAX_MESSAGE_BYTES, config: { permission: 'public', rateLimit } }, (req, reply) =>
      handle(req, reply, 'single'),
    );
  }
  for (const path of ['/v1/batch', '/v1/import']) {
    app.post(path, { bodyLimit: MAX_BATCH_BYTES, config: { permission: 'public', rateLimit } }, (req, reply) =>
      handle(req, reply, 'batch'),
    );
  }

  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['Tracking'];
  r.get(
    '/api/v1/sources',
    {
      config: { permission: 'tracking.read' },
      schema: {
        tags,
        summary: 'Tracking sources and their write keys (prefixes only)',
        response: { 200: z.object({ data: z.array(sourceSchema) }) },
      },
    },
    async (req) => ({ data: await listSources(ctx, requireAuth(req).actor.workspaceId) }),
  );
  r.post(
    '/api/v1/sources',
    {
      config: { permission: 'tracking.manage' },
      schema: {
        tags,
        summary: 'Create a source; its write key is in the answer, once',
        body: createSourceSchema,
        response: { 201: sourceSchema.extend({ writeKey: z.string() }) },
      },
    },
    async (req, reply) => reply.status(201).send(await createSource(ctx, requireAuth(req).actor, req.body)),
  );
  r.get(
    '/api/v1/channel-rules',
    {
      config: { permission: 'tracking.read' },
      schema: {
        tags,
        summary: 'The channel grouping rules for touchpoints, in order (the workspace’s own, or the defaults)',
        response: { 200: channelRulesViewSchema },
      },
    },
    async (req) => getChannelRules(ctx.db, requireAuth(req).actor.workspaceId),
  );
  r.put(
    '/api/v1/channel-rules',
    {
      config: { permission: 'tracking.manage' },
      schema: {
        tags,
        summary: 'Replace the channel grouping rules (applies to touchpoints recorded from now on)',
        body: z.object({ rules: channelRulesSchema }).strict(),
        response: { 200: channelRulesViewSchema },
      },
    },
    async (req) => putChannelRules(ctx, requireAuth(req).actor, req.body.rules),
  );
  r.delete(
    '/api/v1/channel-rules',
    {
      config: { permission: 'tracking.manage' },
      schema: { tags, summary: 'Go back to the default channel grouping rules', response: { 200: channelRulesViewSchema } },
    },
    async (req) => resetChannelRules(ctx, requireAuth(req).actor),
  );
  r.patch(
    '/api/v1/sources/:id',
    {
      config: { permission: 'tracking.manage' },
      schema: {
        tags,
        summary: 'Rename a source, set its retention, or the IP addresses and ranges whose events it drops',
        params: idParamsSchema,
        body: updateSourceSchema,
        response: { 200: sourceSchema },
      },
    },
    async (req) => updateSource(ctx, requireAuth(req).actor, req.params.id, req.body),
  );
  r.post(
    '/api/v1/sources/:id/rotate',
    {
      config: { permission: 'tracking.manage' },
      schema: {
        tags,
        summary: 'New write key; the old ones keep working for overlapHours',
        params: idParamsSchema,
        body: rotateKeySchema,
        response: { 200: sourceSchema.extend({ writeKey: z.string() }) },
      },
    },
    async (req) => rotateSourceKey(ctx, requireAuth(req).actor, req.params.id, req.body.overlapHours),
  );
  r.post(
    '/api/v1/sources/:id/keys/:keyId/revoke',
    {
      config: { permission: 'tracking.manage' },
      schema: {
        tags,
        summary: 'Revoke a write key at once',
        params: z.object({ id: z.uuid(), keyId: z.uuid() }).strict(),
        response: { 200: sourceSchema },
      },
    },
    async (req) => revokeSourceKey(ctx, requireAuth(req).actor, req.params.id, req.params.keyId),
  );
  const eventParams = z.object({ event: z.string().min(1).max(500) }).strict();
  r.get(
    '/api/v1/tracking-plan',
    {
      config: { permission: 'tracking.read' },
      schema: {
        tags,
        summary: 'The tracking plan and what is seen: planned events, unplanned ones, counts, violations with examples',
        response: { 200: z.object({ planned: z.array(planEventSchema), events: z.array(seenEventSchema) }) },
      },
    },
    async (req) => trackingPlanReport(ctx.db, requireAuth(req).actor.workspaceId),
  );
  r.put(
    '/api/v1/tracking-plan/events/:event',
    {
      config: { permission: 'tracking.manage' },
      schema: {
        tags,
        summary: 'Plan an event: a JSON Schema for its properties, optionally blocking violations',
        params: eventParams,
        body: putPlanEventSchema,
        response: { 200: planEventSchema },
      },
    },
    async (req) => putPlanEvent(ctx, requireAuth(req).actor, req.params.event, req.body),
  );
  r.delete(
    '/api/v1/tracking-plan/events/:event',
    {
      config: { permission: 'tracking.manage' },
      schema: { tags, summary: 'Remove an event from the plan', params: eventParams, response: { 204: z.null() } },
    },
    async (req, reply) => {
      await deletePlanEvent(ctx, requireAuth(req).actor, req.params.event);
      return reply.status(204).send(null);
    },
  );
  r.get(
    '/api/v1/events',
    {
      config: { permission: 'tracking.read' },
      schema: {
        tags,
        summary: 'Recent events of the workspace, newest received first (the live debugger)',
        querystring: pageQuerySchema
          .extend({
            sourceId: z.uuid().optional(),
            type: z.enum(messageTypes).optional(),
            event: z.string().max(500).optional(),
            user: z.string().max(500).optional().describe('A userId or anonymousId'),
          })
          .strict(),
        response: { 200: pageSchema(eventSchema.extend({ contactId: z.string().nullable() })) },
      },
    },
    async (req) => recentEvents(ctx.db, requireAuth(req).actor.workspaceId, req.query),
  );
  r.get(
    '/api/v1/contacts/:id/events',
    {
      config: { permission: 'tracking.read' },
      schema: {
        tags,
        summary: "A contact's tracked events, newest first",
        params: idParamsSchema,
        querystring: pageQuerySchema.strict(),
        response: { 200: pageSchema(eventSchema) },
      },
    },
    async (req) => contactEvents(ctx.db, requireAuth(req).actor.workspaceId, req.params.id, req.query),
  );
  r.get(
    '/api/v1/contacts/:id/identities',
    {
      config: { permission: 'tracking.read' },
      schema: {
        tags,
        summary: "A contact's anonymous ids and user ids",
        params: idParamsSchema,
        response: { 200: z.object({ data: z.array(identitySchema) }) },
      },
    },
    async (req) => contactIdentities(ctx.db, requireAuth(req).actor.workspaceId, req.params.id),
  );
  r.get(
    '/api/v1/contacts/:id/merges',
    {
      config: { permission: 'tracking.read' },
      schema: {
        tags,
        summary: "The identity merges behind a contact's profile (which profile was folded into which, why, when), newest first",
        params: idParamsSchema,
        response: {
          200: z.object({
            data: z.array(
              z.object({
                fromProfile: z.string(),
                intoProfile: z.string(),
                reason: z.string(),
                messageId: z.string().nullable(),
                at: z.string(),
              }),
            ),
          }),
        },
      },
    },
    async (req) => contactMerges(ctx.db, requireAuth(req).actor.workspaceId, req.params.id),
  );
  r.get(
    '/api/v1/contacts/:id/touchpoints',
    {
      config: { permission: 'tracking.read' },
      schema: {
        tags,
        summary: "A contact's touchpoints (visits with their source), newest first",
        params: idParamsSchema,
        querystring: pageQuerySchema.strict(),
        response: { 200: pageSchema(touchpointSchema) },
      },
    },
    async (req) => contactTouchpoints(ctx.db, requireAuth(req).actor.workspaceId, req.params.id, req.query),
  );
}
