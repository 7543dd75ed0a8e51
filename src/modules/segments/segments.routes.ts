import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireAuth } from '../../platform/http/app.js';
import { pageQuerySchema, pageSchema } from '../../platform/http/pagination.js';
import { contactSchema, idParamsSchema } from '../crm/records.schema.js';
import { AppError } from '../../platform/errors.js';
import {
  changeSchema,
  contactMembershipSchema,
  createSegmentSchema,
  explainResultSchema,
  previewSchema,
  segmentNode,
  segmentSchema,
  sizesSchema,
  updateSegmentSchema,
} from './segments.schema.js';
import {
  createSegment,
  deleteSegment,
  explainDefinition,
  getSegment,
  listSegments,
  previewDefinition,
  requestRebuild,
  segmentMembers,
  updateSegment,
} from './segments.service.js';
import { contactSegments, exportMembers, membershipChanges, membershipHistory, segmentHistory, segmentSizes } from './segments.history.js';
import { listsRoutes } from './lists.routes.js';

// Record shapes are built from the object descriptor at run time: typed loosely here, as in crm.routes.
const contactOut: z.ZodType = contactSchema;

export async function segmentsRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const ctx = { db: app.keel.handle.db, clock: app.keel.clock };
  const tags = ['Segments'];
  r.get(
    '/api/v1/segments',
    {
      config: { permission: 'segments.read' },
      schema: {
        tags,
        summary: 'Segments with their current counts',
        querystring: pageQuerySchema.strict(),
        response: { 200: pageSchema(segmentSchema) },
      },
    },
    async (req) => listSegments(ctx, requireAuth(req).actor.workspaceId, req.query),
  );
  r.post(
    '/api/v1/segments',
    {
      config: { permission: 'segments.write' },
      schema: { tags, summary: 'Create a segment from a definition', body: createSegmentSchema, response: { 201: segmentSchema } },
    },
    async (req, reply) => reply.status(201).send(await createSegment(ctx, requireAuth(req).actor, req.body)),
  );
  r.post(
    '/api/v1/segments/preview',
    {
      config: { permission: 'segments.write' },
      schema: {
        tags,
        summary: 'Count and first matching contacts of a definition, without saving it (estimated in very large workspaces unless exact)',
        body: previewSchema,
        response: { 200: z.object({ count: z.number(), estimated: z.boolean(), sample: z.array(contactOut) }) },
      },
    },
    async (req) =>
      previewDefinition(ctx.db, requireAuth(req).actor.workspaceId, ctx.clock.now(), req.body.definition, req.body.exact ?? false),
  );
  r.post(
    '/api/v1/segments/explain',
    {
      config: { permission: 'segments.write' },
      schema: {
        tags,
        summary: "The SQL a definition compiles to, its parameters, and PostgreSQL's plan (EXPLAIN; ANALYZE runs it)",
        body: z.object({ definition: segmentNode, analyze: z.boolean().default(false) }).strict(),
        response: { 200: explainResultSchema },
      },
    },
    async (req) => explainDefinition(ctx.db, requireAuth(req).actor.workspaceId, ctx.clock.now(), req.body.definition, req.body.analyze),
  );
  r.get(
    '/api/v1/segment-changes',
    {
      config: { permission: 'segments.read' },
      schema: {
        tags,
        summary: 'Segment entries and exits in the order they happened, after a position: the feed journeys and webhooks consume',
        querystring: z
          .object({
            after: z
              .string()
              .regex(/^[0-9]{1,19}$/, 'after is the last change id you read')
              .optional(),
            limit: z.coerce.number().int().min(1).max(1000).default(100),
          })
          .strict(),
        response: { 200: z.object({ data: z.array(changeSchema), last: z.string() }) },
      },
    },
    async (req) => membershipChanges(ctx.db, requireAuth(req).actor.workspaceId, req.query),
  );
  r.get(
    '/api/v1/segments/:id',
    {
      config: { permission: 'segments.read' },
      schema: { tags, summary: 'A segment with its current count', params: idParamsSchema, response: { 200: segmentSchema } },
    },
    async (req) => getSegment(ctx, requireAuth(req).actor.workspaceId, req.params.id),
  );
  r.patch(
    '/api/v1/segments/:id',
    {
      config: { permission: 'segments.write' },
      schema: {
        tags,
        summary: 'Rename a segment or change its definition',
        params: idParamsSchema,
        body: updateSegmentSchema,
        response: { 200: segmentSchema },
      },
    },
    async (req) => updateSegment(ctx, requireAuth(req).actor, req.params.id, req.body),
  );
  r.delete(
    '/api/v1/segments/:id',
    {
      config: { permission: 'segments.write' },
      schema: {
        tags,
        summary: 'Delete a segment (refused while another segment uses it)',
        params: idParamsSchema,
        response: { 204: z.null() },
      },
    },
    async (req, reply) => {
      await deleteSegment(ctx, requireAuth(req).actor, req.params.id);
      return reply.status(204).send(null);
    },
  );
  r.get(
    '/api/v1/segments/:id/members',
    {
      config: { permission: 'segments.read' },
      schema: {
        tags,
        summary: 'The contacts in a segment now, in cursor pages',
        params: idParamsSchema,
        querystring: pageQuerySchema.strict(),
        response: { 200: pageSchema(contactOut) },
      },
    },
    async (req) => segmentMembers(ctx, requireAuth(req).actor.workspaceId, req.params.id, req.query),
  );
  r.get(
    '/api/v1/segments/:id/history',
    {
      config: { permission: 'segments.read' },
      schema: {
        tags,
        summary: 'Who entered and left the segment, when and why, newest first',
        params: idParamsSchema,
        querystring: pageQuerySchema.strict(),
        response: { 200: pageSchema(changeSchema) },
      },
    },
    async (req) => segmentHistory(ctx.db, requireAuth(req).actor.workspaceId, req.params.id, req.query),
  );
  r.get(
    '/api/v1/segments/:id/sizes',
    {
      config: { permission: 'segments.read' },
      schema: {
        tags,
        summary: 'Stored members at the end of each day (UTC), for the size chart',
        params: idParamsSchema,
        querystring: z.object({ days: z.coerce.number().int().min(1).max(730).default(90) }).strict(),
        response: { 200: sizesSchema },
      },
    },
    async (req) => ({
      data: await segmentSizes(ctx.db, requireAuth(req).actor.workspaceId, req.params.id, req.query.days, ctx.clock.now()),
    }),
  );
  r.post(
    '/api/v1/segments/:id/rebuild',
    {
      config: { permission: 'segments.write' },
      schema: {
        tags,
        summary: 'Re-evaluate the whole segment (repair); the membership worker runs it',
        params: idParamsSchema,
        response: { 202: z.object({ state: z.literal('building') }) },
      },
    },
    async (req, reply) => reply.status(202).send(await requestRebuild(ctx, requireAuth(req).actor, req.params.id)),
  );
  r.get(
    '/api/v1/segments/:id/export',
    {
      config: { permission: 'segments.read' },
      schema: { tags, summary: 'The stored members as CSV', params: idParamsSchema },
    },
    async (req, reply) => {
      const { name, stream } = await exportMembers(ctx.db, requireAuth(req).actor.workspaceId, req.params.id);
      const file = `${name.replace(/[^\p{L}\p{N} _-]+/gu, '').trim() || 'segment'}.csv`;
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="segment.csv"; filename*=UTF-8''${encodeURIComponent(file)}`)
        .send(stream);
    },
  );
  r.get(
    '/api/v1/contacts/:id/segments',
    {
      config: { permission: 'segments.read' },
      schema: {
        tags,
        summary: 'The segments and lists a contact is in now',
        params: idParamsSchema,
        response: { 200: contactMembershipSchema },
      },
    },
    async (req) => contactSegments(ctx.db, requireAuth(req).actor.workspaceId, req.params.id),
  );
  r.get(
    '/api/v1/contacts/:id/segment-history',
    {
      config: { permission: 'segments.read' },
      schema: {
        tags,
        summary: "A contact's segment entries and exits, newest first",
        params: idParamsSchema,
        querystring: pageQuerySchema.strict(),
        response: { 200: pageSchema(changeSchema) },
      },
    },
    async (req) => {
      const ws = requireAuth(req).actor.workspaceId;
      const c = await ctx.db
        .selectFrom('contacts')
        .select('id')
        .where('workspace_id', '=', ws)
        .where('id', '=', req.params.id)
        .executeTakeFirst();
      if (!c) throw new AppError('not_found', 'Contact not found');
      return membershipHistory(ctx.db, ws, { contactId: req.params.id }, req.query);
    },
  );
  await app.register(listsRoutes);
}
