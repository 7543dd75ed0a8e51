import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireAuth } from '../../platform/http/app.js';
import { pageQuerySchema, pageSchema } from '../../platform/http/pagination.js';
import { linkContact, unlinkContact } from './account-contacts.service.js';
import { getBulk, startBulk } from './bulk.service.js';
import { accountDef, contactDef, type ObjectDef } from './crm-objects.js';
import {
  createCustomFieldSchema,
  customFieldSchema,
  listCustomFieldsQuerySchema,
  updateCustomFieldSchema,
} from './custom-fields.schema.js';
import { createCustomField, deleteCustomField, listCustomFields, restoreCustomField, updateCustomField } from './custom-fields.service.js';
import {
  accountSchema,
  bulkActionSchema,
  bulkOperationSchema,
  contactSchema,
  createAccountSchema,
  createContactSchema,
  idParamsSchema,
  listRecordsQuerySchema,
  recordPageSchema,
  timelineEntrySchema,
  updateAccountSchema,
  updateContactSchema,
  upsertQuerySchema,
  type RecordInput,
} from './records.schema.js';
import { createRecord, getRecord, listRecords, parseIfMatch, setDeleted, updateRecord, upsertRecord } from './records.service.js';
import { recordTimeline } from './timeline.service.js';
import {
  createView,
  createViewSchema,
  deleteView,
  listViews,
  listViewsQuerySchema,
  savedViewSchema,
  updateView,
  updateViewSchema,
} from './saved-views.js';

/** The routes every record object has: CRUD with ETags, upsert, trash, timeline, bulk. */
function recordRoutes(app: FastifyInstance, def: ObjectDef, schemas: { record: z.ZodType; create: z.ZodType; update: z.ZodType }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const ctx = { db: app.keel.handle.db, clock: app.keel.clock };
  const P = def.plural;
  const base = `/api/v1/${P}`;
  const tags = [def.label + 's'];
  const etag = (v: { version: number }) => `"${v.version}"`;

  r.get(
    base,
    {
      config: { permission: `${P}.read` },
      schema: {
        tags,
        summary: `List ${P}: search, filter (any field, custom.<key> too), sort, cursor pages`,
        querystring: listRecordsQuerySchema,
        response: { 200: recordPageSchema(schemas.record) },
      },
    },
    async (req) => listRecords(ctx, requireAuth(req).actor.workspaceId, def, req.query),
  );

  r.post(
    base,
    {
      config: { permission: `${P}.write` },
      schema: { tags, summary: `Create a ${def.object}`, body: schemas.create, response: { 201: schemas.record } },
    },
    async (req, reply) => {
      const rec = await createRecord(ctx, requireAuth(req).actor, def, req.body as RecordInput);
      return reply.status(201).header('etag', etag(rec)).send(rec);
    },
  );

  r.post(
    `${base}/upsert`,
    {
      config: { permission: `${P}.write` },
      schema: {
        tags,
        summary: `Create or update a ${def.object} by ${def.naturalKey} or an external id (?on=crm_id); 201 when created`,
        querystring: upsertQuerySchema,
        body: schemas.create,
        response: { 200: schemas.record, 201: schemas.record },
      },
    },
    async (req, reply) => {
      const { record, created } = await upsertRecord(ctx, requireAuth(req).actor, def, req.query.on, req.body as RecordInput);
      return reply
        .status(created ? 201 : 200)
        .header('etag', etag(record))
        .send(record);
    },
  );

  r.post(
    `${base}/bulk`,
    {
      config: { permission: `${P}.bulk` },
      schema: {
        tags,
        summary: `Bulk update, delete, restore or assign owner on up to 10,000 ${P} (by ids or filter), as a job`,
        body: bulkActionSchema,
        response: { 202: bulkOperationSchema },
      },
    },
    async (req, reply) => reply.status(202).send(await startBulk(ctx, app.keel.jobs, requireAuth(req).actor, def, req.body)),
  );

  r.get(
    `${base}/:id`,
    {
      config: { permission: `${P}.read` },
      schema: { tags, summary: `Get a ${def.object} (ETag: its version)`, params: idParamsSchema, response: { 200: schemas.record } },
    },
    async (req, reply) => {
      const rec = await getRecord(ctx, requireAuth(req).actor.workspaceId, def, req.params.id);
      return reply.header('etag', etag(rec)).send(rec);
    },
  );

  r.patch(
    `${base}/:id`,
    {
      config: { permission: `${P}.write` },
      schema: {
        tags,
        summary: `Change a ${def.object}; send If-Match with its ETag to refuse lost updates (412)`,
        params: idParamsSchema,
        headers: z.object({ 'if-match': z.string().max(40).optional() }),
        body: schemas.update,
        response: { 200: schemas.record },
      },
    },
    async (req, reply) => {
      const rec = await updateRecord(
        ctx,
        requireAuth(req).actor,
        def,
        req.params.id,
        req.body as RecordInput,
        parseIfMatch(req.headers['if-match']),
      );
      return reply.header('etag', etag(rec)).send(rec);
    },
  );

  r.delete(
    `${base}/:id`,
    {
      config: { permission: `${P}.delete` },
      schema: {
        tags,
        summary: `Move a ${def.object} to the trash (restorable)`,
        params: idParamsSchema,
        response: { 200: schemas.record },
      },
    },
    async (req) => setDeleted(ctx, requireAuth(req).actor, def, req.params.id, true),
  );

  r.post(
    `${base}/:id/restore`,
    {
      config: { permission: `${P}.delete` },
      schema: { tags, summary: `Restore a deleted ${def.object}`, params: idParamsSchema, response: { 200: schemas.record } },
    },
    async (req) => setDeleted(ctx, requireAuth(req).actor, def, req.params.id, false),
  );

  r.get(
    `${base}/:id/timeline`,
    {
      config: { permission: `${P}.read` },
      schema: {
        tags,
        summary: `Everything that happened to a ${def.object}, newest first`,
        params: idParamsSchema,
        querystring: pageQuerySchema.strict(),
        response: { 200: pageSchema(timelineEntrySchema) },
      },
    },
    async (req) => recordTimeline(ctx.db, requireAuth(req).actor.workspaceId, def, req.params.id, req.query),
  );
}

export async function crmRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const ctx = { db: app.keel.handle.db, clock: app.keel.clock };

  recordRoutes(app, contactDef, { record: contactSchema, create: createContactSchema, update: updateContactSchema });
  recordRoutes(app, accountDef, { record: accountSchema, create: createAccountSchema, update: updateAccountSchema });

  r.post(
    '/api/v1/accounts/:id/contacts',
    {
      config: { permission: 'accounts.write' },
      schema: {
        tags: ['Accounts'],
        summary: 'Link a contact to an account (besides its primary account)',
        params: idParamsSchema,
        body: z.object({ contactId: z.uuid(), role: z.string().trim().max(100).default('') }).strict(),
        response: { 204: z.null() },
      },
    },
    async (req, reply) => {
      await linkContact(ctx, requireAuth(req).actor, req.params.id, req.body.contactId, req.body.role);
      return reply.status(204).send(null);
    },
  );

  r.delete(
    '/api/v1/accounts/:id/contacts/:contactId',
    {
      config: { permission: 'accounts.write' },
      schema: {
        tags: ['Accounts'],
        summary: 'Unlink a contact from an account',
        params: z.object({ id: z.uuid(), contactId: z.uuid() }).strict(),
        response: { 204: z.null() },
      },
    },
    async (req, reply) => {
      await unlinkContact(ctx, requireAuth(req).actor, req.params.id, req.params.contactId);
      return reply.status(204).send(null);
    },
  );

  r.get(
    '/api/v1/bulk-operations/:id',
    {
      config: { permission: 'contacts.read' },
      schema: {
        tags: ['Contacts'],
        summary: 'Progress of a bulk operation',
        params: idParamsSchema,
        response: { 200: bulkOperationSchema },
      },
    },
    async (req) => getBulk(ctx, requireAuth(req).actor.workspaceId, req.params.id),
  );

  const cfTags = ['Custom fields'];
  r.get(
    '/api/v1/custom-fields',
    {
      config: { permission: 'custom_fields.read' },
      schema: {
        tags: cfTags,
        summary: 'Custom field definitions',
        querystring: listCustomFieldsQuerySchema,
        response: { 200: z.object({ data: z.array(customFieldSchema) }) },
      },
    },
    async (req) => ({ data: await listCustomFields(ctx, requireAuth(req).actor.workspaceId, req.query) }),
  );
  r.post(
    '/api/v1/custom-fields',
    {
      config: { permission: 'custom_fields.manage' },
      schema: { tags: cfTags, summary: 'Define a custom field', body: createCustomFieldSchema, response: { 201: customFieldSchema } },
    },
    async (req, reply) => reply.status(201).send(await createCustomField(ctx, requireAuth(req).actor, req.body)),
  );
  r.patch(
    '/api/v1/custom-fields/:id',
    {
      config: { permission: 'custom_fields.manage' },
      schema: {
        tags: cfTags,
        summary: 'Rename a field, change its options, or mark it required or indexed (its key and type never change)',
        params: idParamsSchema,
        body: updateCustomFieldSchema,
        response: { 200: customFieldSchema },
      },
    },
    async (req) => updateCustomField(ctx, requireAuth(req).actor, req.params.id, req.body),
  );
  r.delete(
    '/api/v1/custom-fields/:id',
    {
      config: { permission: 'custom_fields.manage' },
      schema: {
        tags: cfTags,
        summary: 'Delete a field (values are kept and it can be restored for 30 days)',
        params: idParamsSchema,
        response: { 200: customFieldSchema },
      },
    },
    async (req) => deleteCustomField(ctx, requireAuth(req).actor, req.params.id),
  );
  r.post(
    '/api/v1/custom-fields/:id/restore',
    {
      config: { permission: 'custom_fields.manage' },
      schema: {
        tags: cfTags,
        summary: 'Restore a deleted field with its values',
        params: idParamsSchema,
        response: { 200: customFieldSchema },
      },
    },
    async (req) => restoreCustomField(ctx, requireAuth(req).actor, req.params.id),
  );

  const vTags = ['Saved views'];
  r.get(
    '/api/v1/views',
    {
      config: { permission: 'views.read' },
      schema: {
        tags: vTags,
        summary: 'Saved list views: shared ones and your own',
        querystring: listViewsQuerySchema,
        response: { 200: z.object({ data: z.array(savedViewSchema) }) },
      },
    },
    async (req) => ({ data: await listViews(ctx, requireAuth(req).actor, req.query.object) }),
  );
  r.post(
    '/api/v1/views',
    {
      config: { permission: 'views.write' },
      schema: { tags: vTags, summary: 'Save a list view', body: createViewSchema, response: { 201: savedViewSchema } },
    },
    async (req, reply) => reply.status(201).send(await createView(ctx, requireAuth(req).actor, req.body)),
  );
  r.patch(
    '/api/v1/views/:id',
    {
      config: { permission: 'views.write' },
      schema: {
        tags: vTags,
        summary: 'Change a saved view',
        params: idParamsSchema,
        body: updateViewSchema,
        response: { 200: savedViewSchema },
      },
    },
    async (req) => updateView(ctx, requireAuth(req).actor, req.params.id, req.body),
  );
  r.delete(
    '/api/v1/views/:id',
    {
      config: { permission: 'views.write' },
      schema: { tags: vTags, summary: 'Delete a saved view', params: idParamsSchema, response: { 204: z.null() } },
    },
    async (req, reply) => {
      await deleteView(ctx, requireAuth(req).actor, req.params.id);
      return reply.status(204).send(null);
    },
  );
}
