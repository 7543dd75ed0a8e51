import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireAuth } from '../../platform/http/app.js';
import { idParamsSchema } from '../crm/records.schema.js';
import {
  contactLifecycleSchema,
  lifecycleRuleSchema,
  putRulesSchema,
  putStagesSchema,
  setStageSchema,
  stagesSettingsSchema,
} from './lifecycle.schema.js';
import { contactLifecycle, listLifecycleRules, putLifecycleRules, putStages, setStageByHand, stagesSettings } from './lifecycle.service.js';

export async function lifecycleRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const ctx = { db: app.keel.handle.db, clock: app.keel.clock };
  const tags = ['Lifecycle'];
  const read = { permission: 'lifecycle.read' };
  const configure = { permission: 'lifecycle.configure' };
  const rulesResponse = z.object({ data: z.array(lifecycleRuleSchema) });

  r.get(
    '/api/v1/lifecycle/stages',
    {
      config: read,
      schema: {
        tags,
        summary: 'Stages in funnel order with their labels, allowed backward moves, and the stages that start routing',
        response: { 200: stagesSettingsSchema },
      },
    },
    async (req) => stagesSettings(ctx.db, requireAuth(req).actor.workspaceId),
  );
  r.put(
    '/api/v1/lifecycle/stages',
    {
      config: configure,
      schema: {
        tags,
        summary:
          'Rename stages (keys stay), set the allowed backward moves and the stages that start routing; refused when the stage rules would then loop',
        body: putStagesSchema,
        response: { 200: stagesSettingsSchema },
      },
    },
    async (req) => putStages(ctx, requireAuth(req).actor, req.body),
  );
  r.get(
    '/api/v1/lifecycle/rules',
    { config: read, schema: { tags, summary: 'Stage rules in the order they are evaluated', response: { 200: rulesResponse } } },
    async (req) => ({ data: await listLifecycleRules(ctx.db, requireAuth(req).actor.workspaceId) }),
  );
  r.put(
    '/api/v1/lifecycle/rules',
    {
      config: configure,
      schema: {
        tags,
        summary:
          'Replace the ordered stage rules (conditions, hand-raiser events, score thresholds); a set whose rules loop is refused (409)',
        body: putRulesSchema,
        response: { 200: rulesResponse },
      },
    },
    async (req) => ({ data: await putLifecycleRules(ctx, requireAuth(req).actor, req.body.rules) }),
  );
  r.get(
    '/api/v1/contacts/:id/lifecycle',
    {
      config: read,
      schema: {
        tags,
        summary: "A contact's stage and its stage history, newest first, with time in each stage",
        params: idParamsSchema,
        response: { 200: contactLifecycleSchema },
      },
    },
    async (req) => contactLifecycle(ctx.db, requireAuth(req).actor.workspaceId, req.params.id, ctx.clock.now()),
  );
  r.post(
    '/api/v1/contacts/:id/lifecycle',
    {
      config: { permission: 'lifecycle.set_stage' },
      schema: {
        tags,
        summary: "Set a contact's stage by hand; a backward move that is not allowed is refused (409)",
        params: idParamsSchema,
        body: setStageSchema,
        response: { 200: contactLifecycleSchema },
      },
    },
    async (req) => {
      const { actor } = requireAuth(req);
      await setStageByHand(ctx, actor, req.params.id, req.body);
      return contactLifecycle(ctx.db, actor.workspaceId, req.params.id, ctx.clock.now());
    },
  );
}
