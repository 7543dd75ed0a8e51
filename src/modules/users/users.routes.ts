import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { requireAuth } from '../../platform/http/app.js';
import { createUserSchema, idParamsSchema, listUsersQuerySchema, updateUserSchema, userSchema, usersPageSchema } from './users.schema.js';
import { createUser, getUser, listUsers, updateUser } from './users.service.js';

export async function usersRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const ctx = { db: app.keel.handle.db, clock: app.keel.clock };
  const tags = ['Users'];

  r.get(
    '/api/v1/users',
    {
      config: { permission: 'users.read' },
      schema: { tags, summary: 'List users', querystring: listUsersQuerySchema, response: { 200: usersPageSchema } },
    },
    async (req) => listUsers(ctx, requireAuth(req).actor.workspaceId, req.query),
  );

  r.post(
    '/api/v1/users',
    {
      config: { permission: 'users.create' },
      schema: { tags, summary: 'Create a user', body: createUserSchema, response: { 201: userSchema } },
    },
    async (req, reply) => reply.status(201).send(await createUser(ctx, requireAuth(req).actor, req.body)),
  );

  r.get(
    '/api/v1/users/:id',
    {
      config: { permission: 'users.read' },
      schema: { tags, summary: 'Get a user', params: idParamsSchema, response: { 200: userSchema } },
    },
    async (req) => getUser(ctx, requireAuth(req).actor.workspaceId, req.params.id),
  );

  r.patch(
    '/api/v1/users/:id',
    {
      config: { permission: 'users.update' },
      schema: {
        tags,
        summary: "Change a user's name, role, password, or disable them",
        params: idParamsSchema,
        body: updateUserSchema,
        response: { 200: userSchema },
      },
    },
    async (req) => updateUser(ctx, requireAuth(req).actor, req.params.id, req.body),
  );
}
