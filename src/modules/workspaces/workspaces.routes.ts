import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireAuth } from '../../platform/http/app.js';
import { allPermissions, roleLabels, roles } from '../../platform/permissions.js';
import { setSessionCookie } from '../auth/auth.routes.js';
import {
  permissionsMatrixSchema,
  setupInputSchema,
  setupResultSchema,
  setupStatusSchema,
  updateWorkspaceSchema,
  workspaceSchema,
} from './workspaces.schema.js';
import { getWorkspace, renameWorkspace } from './workspaces.service.js';
import { isSetupNeeded, runSetup } from './setup.service.js';

export async function workspacesRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const ctx = { db: app.keel.handle.db, clock: app.keel.clock };

  r.get(
    '/api/v1/setup',
    {
      config: { permission: 'public' },
      schema: { tags: ['Setup'], summary: 'Whether first-run set-up is needed (no users yet)', response: { 200: setupStatusSchema } },
    },
    async () => ({ needed: await isSetupNeeded(ctx) }),
  );

  r.post(
    '/api/v1/setup',
    {
      config: {
        permission: 'public',
        rateLimit: {
          max: app.keel.config.KEEL_LOGIN_RATE_LIMIT,
          timeWindow: 60_000,
          allowList: () => false,
          keyGenerator: (req) => `setup:${req.ip}`,
        },
      },
      schema: {
        tags: ['Setup'],
        summary: 'Create the first workspace and admin (only while there are no users)',
        body: setupInputSchema,
        response: { 201: setupResultSchema },
      },
    },
    async (req, reply) => {
      const { session, workspace } = await runSetup(ctx, req.body, {
        ttlHours: app.keel.config.KEEL_SESSION_TTL_HOURS,
        ip: req.ip,
        userAgent: req.headers['user-agent'] ?? null,
      });
      setSessionCookie(app, reply, session);
      return reply.status(201).send({ user: session.user, csrfToken: session.csrfToken, workspace });
    },
  );

  r.get(
    '/api/v1/workspace',
    {
      config: { permission: 'workspace.read' },
      schema: { tags: ['Workspace'], summary: 'The current workspace', response: { 200: workspaceSchema } },
    },
    async (req) => getWorkspace(ctx.db, requireAuth(req).actor.workspaceId),
  );

  r.patch(
    '/api/v1/workspace',
    {
      config: { permission: 'workspace.update' },
      schema: { tags: ['Workspace'], summary: 'Rename the workspace', body: updateWorkspaceSchema, response: { 200: workspaceSchema } },
    },
    async (req) => renameWorkspace(ctx, requireAuth(req).actor, req.body.name),
  );

  r.get(
    '/api/v1/permissions',
    {
      config: { permission: 'workspace.read' },
      schema: {
        tags: ['Workspace'],
        summary: 'The permission matrix: every permission and the roles that hold it',
        response: { 200: permissionsMatrixSchema },
      },
    },
    async () => ({
      roles: roles.map((id) => ({ id, label: roleLabels[id] })),
      permissions: allPermissions().map((p) => ({ ...p, roles: [...p.roles] })),
    }),
  );

  r.get(
    '/api/v1/jobs',
    {
      config: { permission: 'workspace.jobs' },
      schema: {
        tags: ['Workspace'],
        summary: 'Background job queues with counts by state',
        response: {
          200: z.object({
            data: z.array(
              z.object({
                name: z.string(),
                deadLetter: z.string().nullable(),
                queued: z.number(),
                active: z.number(),
                failed: z.number(),
                completed: z.number(),
                total: z.number(),
              }),
            ),
          }),
        },
      },
    },
    async () => ({ data: await app.keel.jobs.stats() }),
  );
}
