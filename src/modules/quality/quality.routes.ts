import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { requireAuth } from '../../platform/http/app.js';
import { idParamsSchema } from '../crm/records.schema.js';
import {
  contactQualitySchema,
  historyQuerySchema,
  listRetentionRunsQuerySchema,
  putRetentionPoliciesSchema,
  qualityHistorySchema,
  qualitySnapshotSchema,
  qualitySummarySchema,
  retentionPoliciesSchema,
  retentionRunPageSchema,
  staleWindowQuerySchema,
} from './quality.schema.js';
import { contactQuality, qualityHistory, qualitySummary, takeSnapshot } from './quality-score.service.js';
import { listRetentionRuns, retentionPolicies, setRetentionPolicies } from './retention.service.js';
import {
  getNormaliseRules,
  normaliseRulesFor,
  normaliseRulesSchema,
  normaliseRulesViewSchema,
  setNormaliseRules,
} from './normalise-rules.js';
import { classifyTitle } from './title-rules.js';
import { z } from 'zod';

export async function qualityRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const ctx = { db: app.keel.handle.db, clock: app.keel.clock };
  const tags = ['Data quality'];
  r.get(
    '/api/v1/contacts/:id/quality',
    {
      config: { permission: 'quality.read' },
      schema: {
        tags,
        summary: "A contact's quality score (completeness x validity) and what lowers it: missing fields, invalid values, stale reasons",
        params: idParamsSchema,
        querystring: staleWindowQuerySchema,
        response: { 200: contactQualitySchema },
      },
    },
    async (req) => contactQuality(ctx.db, requireAuth(req).actor.workspaceId, req.params.id, req.query, ctx.clock.now()),
  );
  r.get(
    '/api/v1/quality/summary',
    {
      config: { permission: 'quality.read' },
      schema: {
        tags,
        summary: 'Workspace data quality: mean score, problems with the list filter of their contacts, score bands, fill rates',
        querystring: staleWindowQuerySchema,
        response: { 200: qualitySummarySchema },
      },
    },
    async (req) => qualitySummary(ctx.db, requireAuth(req).actor.workspaceId, req.query, ctx.clock.now()),
  );
  r.get(
    '/api/v1/quality/history',
    {
      config: { permission: 'quality.read' },
      schema: {
        tags,
        summary: 'Daily data-quality snapshots of the last days, oldest first',
        querystring: historyQuerySchema,
        response: { 200: qualityHistorySchema },
      },
    },
    async (req) => ({ data: await qualityHistory(ctx.db, requireAuth(req).actor.workspaceId, req.query.days, ctx.clock.now()) }),
  );
  r.post(
    '/api/v1/quality/snapshot',
    {
      config: { permission: 'quality.snapshot' },
      schema: {
        tags,
        summary: "Record today's snapshot now (replaces today's earlier one)",
        response: { 200: qualitySnapshotSchema },
      },
    },
    async (req) => takeSnapshot(ctx, requireAuth(req).actor.workspaceId),
  );
  r.get(
    '/api/v1/retention-policies',
    {
      config: { permission: 'quality.read' },
      schema: {
        tags,
        summary: 'How long each kind of data is kept, the minimum and why, and the last retention pass',
        response: { 200: retentionPoliciesSchema },
      },
    },
    async (req) => ({ data: await retentionPolicies(ctx.db, requireAuth(req).actor.workspaceId) }),
  );
  r.get(
    '/api/v1/quality/normalisation-rules',
    {
      config: { permission: 'quality.read' },
      schema: {
        tags,
        summary:
          'Which normalisations run on every write path, the default phone country and the job-title rule tables (with the built-in ones)',
        response: { 200: normaliseRulesViewSchema },
      },
    },
    async (req) => getNormaliseRules(ctx.db, requireAuth(req).actor.workspaceId),
  );
  r.put(
    '/api/v1/quality/normalisation-rules',
    {
      config: { permission: 'quality.configure' },
      schema: {
        tags,
        summary: 'Replace the normalisation rules (audited); they apply to writes from now on',
        body: normaliseRulesSchema,
        response: { 200: normaliseRulesViewSchema },
      },
    },
    async (req) => setNormaliseRules(ctx, requireAuth(req).actor, req.body),
  );
  r.get(
    '/api/v1/quality/classify-title',
    {
      config: { permission: 'quality.read' },
      schema: {
        tags,
        summary: "Seniority and department a job title gets under the workspace's title rules",
        querystring: z.object({ title: z.string().trim().min(1).max(200) }).strict(),
        response: { 200: z.object({ seniority: z.string().nullable(), department: z.string().nullable() }) },
      },
    },
    async (req) => {
      const rules = await normaliseRulesFor(ctx.db, requireAuth(req).actor.workspaceId);
      return rules.titles.enabled ? classifyTitle(req.query.title, rules.titles) : { seniority: null, department: null };
    },
  );
  r.put(
    '/api/v1/retention-policies',
    {
      config: { permission: 'quality.retention' },
      schema: {
        tags,
        summary: 'Set the retention policies: days to keep per data type (a type left out or null is kept for good)',
        body: putRetentionPoliciesSchema,
        response: { 200: retentionPoliciesSchema },
      },
    },
    async (req) => ({ data: await setRetentionPolicies(ctx, requireAuth(req).actor, req.body) }),
  );
  r.get(
    '/api/v1/retention-runs',
    {
      config: { permission: 'quality.read' },
      schema: {
        tags,
        summary: 'Retention passes, newest first: what each removed',
        querystring: listRetentionRunsQuerySchema,
        response: { 200: retentionRunPageSchema },
      },
    },
    async (req) => listRetentionRuns(ctx.db, requireAuth(req).actor.workspaceId, req.query),
  );
}
