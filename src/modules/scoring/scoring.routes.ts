import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireAuth } from '../../platform/http/app.js';
import { pageQuerySchema, pageSchema } from '../../platform/http/pagination.js';
import { idParamsSchema } from '../crm/records.schema.js';
import {
  contactScoreSchema,
  createModelSchema,
  modelVersionSchema,
  previewInputSchema,
  previewResultSchema,
  recomputeResultSchema,
  scoringModelSchema,
  updateModelSchema,
} from './scoring.schema.js';
import {
  contactScores,
  createModel,
  deleteModel,
  getModel,
  listModels,
  listVersions,
  previewDraft,
  publishModel,
  requestRecompute,
  updateModel,
} from './scoring.service.js';
import { evaluateInputSchema, evaluationSchema, whatIfInputSchema, whatIfSchema } from './scoring-evaluation.schema.js';
import { evaluateModel, whatIfDraft } from './scoring-evaluation.service.js';

export async function scoringRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const ctx = { db: app.keel.handle.db, clock: app.keel.clock };
  const jobs = app.keel.jobs;
  const tags = ['Scoring'];
  r.get(
    '/api/v1/scoring/models',
    {
      config: { permission: 'scoring.read' },
      schema: { tags, summary: 'Scoring models', querystring: pageQuerySchema.strict(), response: { 200: pageSchema(scoringModelSchema) } },
    },
    async (req) => listModels(ctx, requireAuth(req).actor.workspaceId, req.query),
  );
  r.post(
    '/api/v1/scoring/models',
    {
      config: { permission: 'scoring.write' },
      schema: { tags, summary: 'Create a scoring model (its draft)', body: createModelSchema, response: { 201: scoringModelSchema } },
    },
    async (req, reply) => reply.status(201).send(await createModel(ctx, requireAuth(req).actor, req.body)),
  );
  r.get(
    '/api/v1/scoring/models/:id',
    {
      config: { permission: 'scoring.read' },
      schema: {
        tags,
        summary: 'A scoring model: draft, published version, versions and broken rules',
        params: idParamsSchema,
        response: { 200: scoringModelSchema },
      },
    },
    async (req) => getModel(ctx, requireAuth(req).actor.workspaceId, req.params.id),
  );
  r.patch(
    '/api/v1/scoring/models/:id',
    {
      config: { permission: 'scoring.write' },
      schema: {
        tags,
        summary: 'Rename a model or edit its draft (published versions never change)',
        params: idParamsSchema,
        body: updateModelSchema,
        response: { 200: scoringModelSchema },
      },
    },
    async (req) => updateModel(ctx, requireAuth(req).actor, req.params.id, req.body),
  );
  r.delete(
    '/api/v1/scoring/models/:id',
    {
      config: { permission: 'scoring.write' },
      schema: { tags, summary: 'Delete a scoring model and its scores', params: idParamsSchema, response: { 204: z.null() } },
    },
    async (req, reply) => {
      await deleteModel(ctx, requireAuth(req).actor, req.params.id);
      return reply.status(204).send(null);
    },
  );
  r.get(
    '/api/v1/scoring/models/:id/versions',
    {
      config: { permission: 'scoring.read' },
      schema: {
        tags,
        summary: 'Every published version of a model with its definition, newest first',
        params: idParamsSchema,
        response: { 200: z.object({ data: z.array(modelVersionSchema) }) },
      },
    },
    async (req) => ({ data: await listVersions(ctx, requireAuth(req).actor.workspaceId, req.params.id) }),
  );
  r.post(
    '/api/v1/scoring/models/:id/publish',
    {
      config: { permission: 'scoring.publish' },
      schema: {
        tags,
        summary: 'Publish the draft as the next version and recompute every contact’s score (audited)',
        params: idParamsSchema,
        response: { 200: scoringModelSchema },
      },
    },
    async (req) => publishModel(ctx, jobs, requireAuth(req).actor, req.params.id),
  );
  r.post(
    '/api/v1/scoring/models/:id/recompute',
    {
      config: { permission: 'scoring.write' },
      schema: {
        tags,
        summary: 'Recompute every contact’s score with the published version (a background job)',
        params: idParamsSchema,
        response: { 202: recomputeResultSchema },
      },
    },
    async (req, reply) => reply.status(202).send(await requestRecompute(ctx, jobs, requireAuth(req).actor, req.params.id)),
  );
  r.post(
    '/api/v1/scoring/models/:id/preview',
    {
      config: { permission: 'scoring.write' },
      schema: {
        tags,
        summary: 'The score the draft (or an unsaved definition) would give a contact now, with its explanation (nothing is stored)',
        params: idParamsSchema,
        body: previewInputSchema,
        response: { 200: previewResultSchema },
      },
    },
    async (req) => previewDraft(ctx, requireAuth(req).actor.workspaceId, req.params.id, req.body.contactId, req.body.draft),
  );
  r.post(
    '/api/v1/scoring/models/:id/evaluate',
    {
      config: { permission: 'scoring.evaluate' },
      schema: {
        tags,
        summary: 'How well a version’s scores at the start of a past period predicted conversion during it (AUC, lift, bands)',
        params: idParamsSchema,
        body: evaluateInputSchema,
        response: { 200: evaluationSchema },
      },
    },
    async (req) => evaluateModel(ctx, requireAuth(req).actor.workspaceId, req.params.id, req.body),
  );
  r.post(
    '/api/v1/scoring/models/:id/what-if',
    {
      config: { permission: 'scoring.evaluate' },
      schema: {
        tags,
        summary: 'What publishing the draft would change: band moves, new MQLs per week, reps’ queues (nothing is stored)',
        params: idParamsSchema,
        body: whatIfInputSchema,
        response: { 200: whatIfSchema },
      },
    },
    async (req) => whatIfDraft(ctx, requireAuth(req).actor.workspaceId, req.params.id, req.body),
  );
  r.get(
    '/api/v1/contacts/:id/scores',
    {
      config: { permission: 'scoring.read' },
      schema: {
        tags,
        summary: "A contact's score per published model, with the explanation lines that add up to it",
        params: idParamsSchema,
        response: { 200: z.array(contactScoreSchema) },
      },
    },
    async (req) => contactScores(ctx.db, requireAuth(req).actor.workspaceId, req.params.id),
  );
}
