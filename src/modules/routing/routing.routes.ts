import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireAuth } from '../../platform/http/app.js';
import { AppError } from '../../platform/errors.js';
import { can } from '../../platform/permissions.js';
import { idParamsSchema } from '../crm/records.schema.js';
import {
  acceptSchema,
  assignmentSchema,
  contactAssignmentResponseSchema,
  createRoutingRuleSchema,
  decisionParamsSchema,
  logQuerySchema,
  putRepsSchema,
  queueEntrySchema,
  queueQuerySchema,
  rejectSchema,
  repSchema,
  routeRequestSchema,
  routeResultSchema,
  routingLogEntrySchema,
  routingRuleSchema,
  routingSettingsSchema,
  updateRoutingRuleSchema,
} from './routing.schema.js';
import {
  contactAssignment,
  createRoutingRule,
  decideLead,
  deleteRoutingRule,
  getRoutingRule,
  listReps,
  listRoutingRules,
  putReps,
  putRoutingSettings,
  repQueue,
  routeContact,
  routingLog,
  routingSettings,
  updateRoutingRule,
} from './routing.service.js';
import { slaRoutes } from './sla.routes.js';

export async function routingRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const ctx = { db: app.keel.handle.db, clock: app.keel.clock };
  const tags = ['Routing'];
  const read = { permission: 'routing.read' };
  await slaRoutes(app);
  const configure = { permission: 'routing.configure' };

  r.get(
    '/api/v1/routing/rules',
    {
      config: read,
      schema: {
        tags,
        summary: 'Routing rules in the order they are evaluated',
        response: { 200: z.object({ data: z.array(routingRuleSchema) }) },
      },
    },
    async (req) => ({ data: await listRoutingRules(ctx.db, requireAuth(req).actor.workspaceId) }),
  );
  r.post(
    '/api/v1/routing/rules',
    {
      config: configure,
      schema: {
        tags,
        summary:
          'Add a routing rule: an optional condition (segment definition) and an action (round_robin, territory, account_owner, queue)',
        body: createRoutingRuleSchema,
        response: { 201: routingRuleSchema },
      },
    },
    async (req, reply) => reply.status(201).send(await createRoutingRule(ctx, requireAuth(req).actor, req.body)),
  );
  r.get(
    '/api/v1/routing/rules/:id',
    { config: read, schema: { tags, summary: 'One routing rule', params: idParamsSchema, response: { 200: routingRuleSchema } } },
    async (req) => getRoutingRule(ctx.db, requireAuth(req).actor.workspaceId, req.params.id),
  );
  r.patch(
    '/api/v1/routing/rules/:id',
    {
      config: configure,
      schema: {
        tags,
        summary: 'Change a routing rule, or move it (position)',
        params: idParamsSchema,
        body: updateRoutingRuleSchema,
        response: { 200: routingRuleSchema },
      },
    },
    async (req) => updateRoutingRule(ctx, requireAuth(req).actor, req.params.id, req.body),
  );
  r.delete(
    '/api/v1/routing/rules/:id',
    {
      config: configure,
      schema: { tags, summary: 'Delete a routing rule (its log entries keep its id)', params: idParamsSchema, response: { 204: z.null() } },
    },
    async (req, reply) => {
      await deleteRoutingRule(ctx, requireAuth(req).actor, req.params.id);
      return reply.status(204).send(null);
    },
  );
  r.get(
    '/api/v1/routing/reps',
    {
      config: read,
      schema: {
        tags,
        summary: 'Reps: weight, capacity, working hours, time zone, availability and open leads',
        response: { 200: z.object({ data: z.array(repSchema) }) },
      },
    },
    async (req) => ({ data: await listReps(ctx.db, requireAuth(req).actor.workspaceId) }),
  );
  r.put(
    '/api/v1/routing/reps',
    {
      config: configure,
      schema: {
        tags,
        summary: 'Replace the reps (users not listed stop being reps and keep their leads)',
        body: putRepsSchema,
        response: { 200: z.object({ data: z.array(repSchema) }) },
      },
    },
    async (req) => ({ data: await putReps(ctx, requireAuth(req).actor, req.body.reps) }),
  );
  r.get(
    '/api/v1/routing/settings',
    {
      config: read,
      schema: {
        tags,
        summary: 'The fallback queue and the reasons a rep may reject a lead with',
        response: { 200: routingSettingsSchema },
      },
    },
    async (req) => routingSettings(ctx.db, requireAuth(req).actor.workspaceId),
  );
  r.put(
    '/api/v1/routing/settings',
    {
      config: configure,
      schema: {
        tags,
        summary: 'Set the fallback queue and the reject reasons',
        body: routingSettingsSchema,
        response: { 200: routingSettingsSchema },
      },
    },
    async (req) => putRoutingSettings(ctx, requireAuth(req).actor, req.body),
  );
  r.post(
    '/api/v1/routing/route',
    {
      config: { permission: 'routing.route' },
      schema: {
        tags,
        summary: 'Route a lead now; a lead already assigned keeps its rep (alreadyAssigned) unless reassign is true',
        body: routeRequestSchema,
        response: { 200: routeResultSchema },
      },
    },
    async (req) => routeContact(ctx, requireAuth(req).actor, req.body.contactId, { reassign: req.body.reassign }),
  );
  r.get(
    '/api/v1/routing/log',
    {
      config: read,
      schema: {
        tags,
        summary: 'Routing decisions, newest first, with the rule that fired and why others did not',
        querystring: logQuerySchema,
        response: { 200: z.object({ data: z.array(routingLogEntrySchema), nextCursor: z.string().nullable() }) },
      },
    },
    async (req) => routingLog(ctx.db, requireAuth(req).actor.workspaceId, req.query),
  );
  r.get(
    '/api/v1/contacts/:id/assignment',
    {
      config: read,
      schema: {
        tags,
        summary: "A contact's live assignment (rep or queue, open or accepted, with its SLA), or null when nobody has the lead",
        params: idParamsSchema,
        response: { 200: contactAssignmentResponseSchema },
      },
    },
    async (req) => contactAssignment(ctx.db, ctx.clock, requireAuth(req).actor.workspaceId, req.params.id),
  );
  r.get(
    '/api/v1/routing/queue',
    {
      config: read,
      schema: {
        tags,
        summary: "A rep's live leads, waiting ones first (default: your own), with scores in a published scoring model",
        querystring: queueQuerySchema,
        response: { 200: z.object({ data: z.array(queueEntrySchema) }) },
      },
    },
    async (req) => {
      const { actor } = requireAuth(req);
      const ownerId = req.query.ownerId ?? (actor.type === 'user' ? actor.id : null);
      if (!ownerId)
        throw new AppError('validation_failed', 'ownerId is needed when calling with an API key', [
          { path: 'ownerId', message: 'required' },
        ]);
      return repQueue(ctx.db, ctx.clock, actor.workspaceId, ownerId, { modelId: req.query.modelId });
    },
  );
  const decided = z.union([routeResultSchema, z.object({ assignment: assignmentSchema })]);
  r.post(
    '/api/v1/routing/leads/:contactId/accept',
    {
      config: { permission: 'routing.decide' },
      schema: {
        tags,
        summary: 'Accept a lead assigned to you',
        params: decisionParamsSchema,
        body: acceptSchema,
        response: { 200: decided },
      },
    },
    async (req) => {
      const { actor } = requireAuth(req);
      return decideLead(ctx, actor, req.params.contactId, { accept: true }, can(actor.role, 'routing.decide_any'));
    },
  );
  r.post(
    '/api/v1/routing/leads/:contactId/reject',
    {
      config: { permission: 'routing.decide' },
      schema: {
        tags,
        summary: 'Reject a lead assigned to you, with a reason from the list; it is routed again to someone else',
        params: decisionParamsSchema,
        body: rejectSchema,
        response: { 200: decided },
      },
    },
    async (req) => {
      const { actor } = requireAuth(req);
      return decideLead(
        ctx,
        actor,
        req.params.contactId,
        { accept: false, reason: req.body.reason },
        can(actor.role, 'routing.decide_any'),
      );
    },
  );
}
