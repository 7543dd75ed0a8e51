import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireAuth } from '../../platform/http/app.js';
import { pageSchema } from '../../platform/http/pagination.js';
import { notFound } from '../../platform/errors.js';
import { objectDefs } from '../crm/crm-objects.js';
import { findRecord } from '../crm/records.repo.js';
import { idParamsSchema } from '../crm/records.schema.js';
import {
  dedupeSettingsPatchSchema,
  dedupeSettingsSchema,
  duplicatePairSchema,
  estimateBodySchema,
  listMergesQuerySchema,
  listPairsQuerySchema,
  matchModelSchema,
  matchObjectSchema,
  mergeBodySchema,
  mergePreviewSchema,
  mergeSchema,
  pairIdsBodySchema,
  scanBodySchema,
  scanSchema,
} from './dedupe.schema.js';
import { dismissPair, estimateWeights, getScan, listPairs, listScans, pairCounts, startScan } from './detect.service.js';
import { getMerge, listMerges, mergeRecords, previewMerge, undoMerge } from './merge.service.js';
import { getSettings, updateSettings } from './settings.js';

export async function dedupeRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const ctx = { db: app.keel.handle.db, clock: app.keel.clock };
  const tags = ['Duplicates'];
  r.get(
    '/api/v1/duplicates',
    {
      config: { permission: 'dedupe.read' },
      schema: {
        tags,
        summary:
          'Duplicate pairs at or above the review threshold, most likely first, with why; includes merged and auto-merged pairs (status)',
        querystring: listPairsQuerySchema,
        response: { 200: pageSchema(duplicatePairSchema).extend({ counts: z.record(z.string(), z.number()) }) },
      },
    },
    async (req) => {
      const ws = requireAuth(req).actor.workspaceId;
      const page = await listPairs(ctx.db, ws, req.query);
      return { ...page, counts: await pairCounts(ctx.db, ws, req.query.object) };
    },
  );
  r.post(
    '/api/v1/duplicates/dismiss',
    {
      config: { permission: 'dedupe.review' },
      schema: {
        tags,
        summary: 'Not the same: the pair leaves the review queue and is not proposed again',
        body: pairIdsBodySchema,
        response: { 200: duplicatePairSchema },
      },
    },
    async (req) => dismissPair(ctx, requireAuth(req).actor, req.body.object, req.body.ids),
  );
  r.post(
    '/api/v1/duplicates/scan',
    {
      config: { permission: 'dedupe.merge' },
      schema: {
        tags,
        summary: 'Start a full duplicate scan as a background job; follow it at /api/v1/duplicates/scans/:id',
        body: scanBodySchema,
        response: { 202: scanSchema },
      },
    },
    async (req, reply) => {
      const actor = requireAuth(req).actor;
      const scan = await startScan(ctx, actor, req.body.object, app.keel.jobs);
      return reply.status(202).send(scan);
    },
  );
  r.get(
    '/api/v1/duplicates/scans',
    {
      config: { permission: 'dedupe.read' },
      schema: {
        tags,
        summary: 'The latest full scans (20), newest first',
        querystring: z.object({ object: matchObjectSchema.optional() }).strict(),
        response: { 200: z.object({ data: z.array(scanSchema) }) },
      },
    },
    async (req) => ({ data: await listScans(ctx.db, requireAuth(req).actor.workspaceId, req.query.object) }),
  );
  r.get(
    '/api/v1/duplicates/scans/:id',
    {
      config: { permission: 'dedupe.read' },
      schema: { tags, summary: 'One scan: phase, progress and what it found', params: idParamsSchema, response: { 200: scanSchema } },
    },
    async (req) => getScan(ctx.db, requireAuth(req).actor.workspaceId, req.params.id),
  );
  r.get(
    '/api/v1/duplicates/settings',
    {
      config: { permission: 'dedupe.read' },
      schema: {
        tags,
        summary: 'Thresholds, auto-merge, survivorship rules and match weights for contacts or accounts',
        querystring: z.object({ object: matchObjectSchema.default('contact') }).strict(),
        response: { 200: dedupeSettingsSchema },
      },
    },
    async (req) => getSettings(ctx.db, requireAuth(req).actor.workspaceId, req.query.object),
  );
  r.patch(
    '/api/v1/duplicates/settings',
    {
      config: { permission: 'dedupe.configure' },
      schema: {
        tags,
        summary: 'Change duplicate settings (audited)',
        body: dedupeSettingsPatchSchema,
        response: { 200: dedupeSettingsSchema },
      },
    },
    async (req) => {
      const { object, ...patch } = req.body;
      return updateSettings(ctx, requireAuth(req).actor, object, patch);
    },
  );
  r.post(
    '/api/v1/duplicates/estimate',
    {
      config: { permission: 'dedupe.configure' },
      schema: {
        tags,
        summary: 'Estimate match weights from the data (EM over candidate pairs); save: true makes them the workspace’s',
        body: estimateBodySchema,
        response: {
          200: z.object({
            model: matchModelSchema,
            pairs: z.number(),
            weights: z.record(z.string(), z.record(z.string(), z.number())),
            saved: z.boolean(),
          }),
        },
      },
    },
    async (req) => {
      const actor = requireAuth(req).actor;
      const e = await estimateWeights(ctx.db, actor.workspaceId, req.body.object, req.body.sample);
      if (req.body.save) await updateSettings(ctx, actor, req.body.object, { model: e.model });
      return { ...e, saved: req.body.save };
    },
  );
  for (const def of Object.values(objectDefs)) {
    const object = def.object;
    const otags = [def.label === 'Contact' ? 'Contacts' : 'Accounts', ...tags];
    r.get(
      `/api/v1/${def.plural}/:id/duplicates`,
      {
        config: { permission: 'dedupe.read' },
        schema: {
          tags: otags,
          summary: `Duplicate pairs this ${object} is part of`,
          params: idParamsSchema,
          response: { 200: z.object({ data: z.array(duplicatePairSchema) }) },
        },
      },
      async (req) => {
        const ws = requireAuth(req).actor.workspaceId;
        if (!(await findRecord(ctx.db, def, ws, req.params.id))) throw notFound(def.label);
        const page = await listPairs(ctx.db, ws, { object, status: 'all', limit: 200, recordId: req.params.id });
        return { data: page.data };
      },
    );
    r.post(
      `/api/v1/${def.plural}/:id/merge/preview`,
      {
        config: { permission: 'dedupe.review' },
        schema: {
          tags: otags,
          summary: `What merging records into this ${object} would keep, field by field (changes nothing)`,
          params: idParamsSchema,
          body: mergeBodySchema,
          response: { 200: mergePreviewSchema },
        },
      },
      async (req) => previewMerge(ctx.db, requireAuth(req).actor.workspaceId, object, req.params.id, req.body),
    );
    r.post(
      `/api/v1/${def.plural}/:id/merge`,
      {
        config: { permission: 'dedupe.merge' },
        schema: {
          tags: otags,
          summary: `Merge records into this ${object}: survivorship per field, activity and links move over, undoable for 30 days`,
          params: idParamsSchema,
          body: mergeBodySchema,
          response: { 200: mergeSchema },
        },
      },
      async (req) => mergeRecords(ctx, requireAuth(req).actor, object, req.params.id, req.body),
    );
  }
  r.get(
    '/api/v1/merges',
    {
      config: { permission: 'dedupe.read' },
      schema: {
        tags,
        summary: 'Merges, newest first; recordId finds the merges a record took part in',
        querystring: listMergesQuerySchema,
        response: { 200: pageSchema(mergeSchema) },
      },
    },
    async (req) => listMerges(ctx, requireAuth(req).actor.workspaceId, req.query),
  );
  r.get(
    '/api/v1/merges/:id',
    {
      config: { permission: 'dedupe.read' },
      schema: { tags, summary: 'One merge', params: idParamsSchema, response: { 200: mergeSchema } },
    },
    async (req) => getMerge(ctx, requireAuth(req).actor.workspaceId, req.params.id),
  );
  r.post(
    '/api/v1/merges/:id/undo',
    {
      config: { permission: 'dedupe.merge' },
      schema: {
        tags,
        summary: 'Undo a merge (within 30 days): the merged records come back, what moved goes back',
        params: idParamsSchema,
        response: { 200: mergeSchema.extend({ kept: z.array(z.string()) }) },
      },
    },
    async (req) => undoMerge(ctx, requireAuth(req).actor, req.params.id),
  );
}
