import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireAuth } from '../../platform/http/app.js';
import { pageQuerySchema, pageSchema } from '../../platform/http/pagination.js';
import { contactSchema, idParamsSchema } from '../crm/records.schema.js';
import { createSegmentSchema, previewSchema, segmentSchema, updateSegmentSchema } from './segments.schema.js';
import {
  countMatching,
  createSegment,
  deleteSegment,
  getSegment,
  listSegments,
  matchingContacts,
  segmentMembers,
  updateSegment,
} from './segments.service.js';

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
        summary: 'Count and first matching contacts of a definition, without saving it',
        body: previewSchema,
        response: { 200: z.object({ count: z.number(), sample: z.array(contactOut) }) },
      },
    },
    async (req) => {
      const ws = requireAuth(req).actor.workspaceId;
      const now = ctx.clock.now();
      const [count, sample] = [
        await countMatching(ctx.db, ws, now, req.body.definition),
        await matchingContacts(ctx.db, ws, now, req.body.definition, { limit: 10 }),
      ];
      return { count, sample: sample.data };
    },
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
}
