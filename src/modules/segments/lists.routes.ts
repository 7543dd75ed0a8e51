import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../platform/errors.js';
import { requireAuth } from '../../platform/http/app.js';
import { pageQuerySchema, pageSchema } from '../../platform/http/pagination.js';
import { contactSchema, idParamsSchema } from '../crm/records.schema.js';
import { createListSchema, listMembersChangeSchema, listSchema, membersChangeResultSchema, updateListSchema } from './lists.schema.js';
import {
  changeListMembers,
  changeListMembersFromCsv,
  createList,
  deleteList,
  getList,
  listLists,
  listMembers,
  updateList,
} from './lists.service.js';

const contactOut: z.ZodType = contactSchema;
/** A members file is read whole (one column of emails or ids): 64 MB holds about a million rows. */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

export async function listsRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const ctx = { db: app.keel.handle.db, clock: app.keel.clock };
  const tags = ['Lists'];
  app.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: MAX_FILE_BYTES }, (_req, body, done) => done(null, body));

  r.get(
    '/api/v1/lists',
    {
      config: { permission: 'lists.read' },
      schema: { tags, summary: 'Static lists', querystring: pageQuerySchema.strict(), response: { 200: pageSchema(listSchema) } },
    },
    async (req) => listLists(ctx, requireAuth(req).actor.workspaceId, req.query),
  );
  r.post(
    '/api/v1/lists',
    {
      config: { permission: 'lists.write' },
      schema: { tags, summary: 'Create a static list', body: createListSchema, response: { 201: listSchema } },
    },
    async (req, reply) => reply.status(201).send(await createList(ctx, requireAuth(req).actor, req.body)),
  );
  r.get(
    '/api/v1/lists/:id',
    {
      config: { permission: 'lists.read' },
      schema: { tags, summary: 'A static list', params: idParamsSchema, response: { 200: listSchema } },
    },
    async (req) => getList(ctx, requireAuth(req).actor.workspaceId, req.params.id),
  );
  r.patch(
    '/api/v1/lists/:id',
    {
      config: { permission: 'lists.write' },
      schema: { tags, summary: 'Rename a list', params: idParamsSchema, body: updateListSchema, response: { 200: listSchema } },
    },
    async (req) => updateList(ctx, requireAuth(req).actor, req.params.id, req.body),
  );
  r.delete(
    '/api/v1/lists/:id',
    {
      config: { permission: 'lists.write' },
      schema: { tags, summary: 'Delete a list (refused while a segment uses it)', params: idParamsSchema, response: { 204: z.null() } },
    },
    async (req, reply) => {
      await deleteList(ctx, requireAuth(req).actor, req.params.id);
      return reply.status(204).send(null);
    },
  );
  r.get(
    '/api/v1/lists/:id/members',
    {
      config: { permission: 'lists.read' },
      schema: {
        tags,
        summary: 'The contacts on a list, in cursor pages',
        params: idParamsSchema,
        querystring: pageQuerySchema.strict(),
        response: { 200: pageSchema(contactOut) },
      },
    },
    async (req) => listMembers(ctx, requireAuth(req).actor.workspaceId, req.params.id, req.query),
  );
  for (const op of ['add', 'remove'] as const) {
    r.post(
      `/api/v1/lists/:id/members/${op}`,
      {
        config: { permission: 'lists.write' },
        schema: {
          tags,
          summary:
            op === 'add'
              ? 'Add contacts by id or email, or a snapshot of a segment; or a CSV file (Content-Type: text/csv) with an email or id column'
              : 'Remove contacts by id, email or segment snapshot; or a CSV file of them',
          params: idParamsSchema,
          body: z.union([listMembersChangeSchema, z.string()]),
          response: { 200: membersChangeResultSchema },
        },
      },
      async (req) => {
        const actor = requireAuth(req).actor;
        if (typeof req.body === 'string') {
          if (!String(req.headers['content-type'] ?? '').startsWith('text/csv')) {
            throw new AppError('unsupported_media_type', 'Send JSON, or a CSV file with Content-Type: text/csv');
          }
          return changeListMembersFromCsv(ctx, actor, req.params.id, op, req.body);
        }
        return changeListMembers(ctx, actor, req.params.id, op, req.body);
      },
    );
  }
}
