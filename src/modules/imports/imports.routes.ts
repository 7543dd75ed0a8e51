import { createReadStream } from 'node:fs';
import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { rm } from 'node:fs/promises';
import { requireAuth } from '../../platform/http/app.js';
import { can } from '../../platform/permissions.js';
import { AppError } from '../../platform/errors.js';
import { objectDefs } from '../crm/crm-objects.js';
import { idParamsSchema } from '../crm/records.schema.js';
import { objectNameSchema } from '../crm/field-types.js';
import { parseFilterParam, planExport, writeExport } from './export.service.js';
import { deleteMapping, listMappings, saveMapping } from './import-mappings.service.js';
import {
  exportQuerySchema,
  importMappingSchema,
  importSchema,
  importsPageSchema,
  importTargetSchema,
  listImportsQuerySchema,
  saveMappingSchema,
  updateImportSchema,
  uploadQuerySchema,
} from './imports.schema.js';
import {
  createImport,
  errorFileOf,
  getImport,
  listImports,
  listTargets,
  queueImport,
  saveUpload,
  updateImport,
} from './imports.service.js';

const permissionFor = (object: 'contact' | 'account', what: 'import' | 'export') => `${objectDefs[object].plural}.${what}`;

export async function importsRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const ctx = { db: app.keel.handle.db, clock: app.keel.clock, filesDir: app.keel.config.filesDir };
  const tags = ['Imports'];

  // Uploads are streamed to disk as they arrive, never buffered: the body is handed over as a
  // stream (no JSON body limit applies here; KEEL_IMPORT_MAX_BYTES does).
  app.addContentTypeParser(['text/csv', 'application/octet-stream', 'text/plain', 'application/vnd.ms-excel'], (_req, payload, done) =>
    done(null, payload),
  );

  r.post(
    '/api/v1/imports',
    {
      config: { permission: 'contacts.import' },
      bodyLimit: Number.MAX_SAFE_INTEGER,
      schema: {
        tags,
        summary:
          'Upload a CSV file (raw body, Content-Type: text/csv) to import; answers with its format, header, first rows and a suggested mapping',
        querystring: uploadQuerySchema,
        response: { 201: importSchema },
      },
    },
    async (req, reply) => {
      const { actor, role } = requireAuth(req);
      const permission = permissionFor(req.query.object, 'import');
      if (!can(role, permission)) throw new AppError('forbidden', `Your role does not allow ${permission}`);
      const body = req.body;
      if (!body || typeof (body as NodeJS.ReadableStream).pipe !== 'function') {
        throw new AppError('unsupported_media_type', 'Send the file as the raw request body with Content-Type: text/csv');
      }
      const file = await saveUpload(
        ctx.filesDir,
        (body as NodeJS.ReadableStream).pipe(new PassThrough()),
        app.keel.config.KEEL_IMPORT_MAX_BYTES,
      );
      try {
        return reply.status(201).send(await createImport(ctx, actor, { object: req.query.object, file, fileName: req.query.fileName }));
      } catch (err) {
        await rm(file, { force: true });
        throw err;
      }
    },
  );

  r.get(
    '/api/v1/imports',
    {
      config: { permission: 'contacts.read' },
      schema: { tags, summary: 'Imports, newest first', querystring: listImportsQuerySchema, response: { 200: importsPageSchema } },
    },
    async (req) => listImports(ctx, requireAuth(req).actor.workspaceId, req.query),
  );

  r.get(
    '/api/v1/imports/:id',
    {
      config: { permission: 'contacts.read' },
      schema: {
        tags,
        summary: 'An import: settings, dry run, progress (rows/s, ETA) and counts',
        params: idParamsSchema,
        response: { 200: importSchema },
      },
    },
    async (req) => getImport(ctx, requireAuth(req).actor.workspaceId, req.params.id),
  );

  r.patch(
    '/api/v1/imports/:id',
    {
      config: { permission: 'contacts.import' },
      schema: {
        tags,
        summary: 'Change the mapping, mode, match key or date format (before it starts)',
        params: idParamsSchema,
        body: updateImportSchema,
        response: { 200: importSchema },
      },
    },
    async (req) => updateImport(ctx, requireAuth(req).actor, req.params.id, req.body),
  );

  for (const [suffix, what, summary] of [
    ['dry-run', 'dry-run', 'Dry run: every row checked and matched, nothing written; fills dryRun with counts and a preview'],
    ['start', 'run', 'Start the import (a background job; poll the import for progress)'],
    ['undo', 'undo', 'Undo a finished import: created records go to the trash, updated ones get their values back'],
  ] as const) {
    r.post(
      `/api/v1/imports/:id/${suffix}`,
      {
        config: { permission: 'contacts.import' },
        schema: { tags, summary, params: idParamsSchema, response: { 202: importSchema } },
      },
      async (req, reply) => reply.status(202).send(await queueImport(ctx, app.keel.jobs, requireAuth(req).actor, req.params.id, what)),
    );
  }

  r.get(
    '/api/v1/imports/:id/errors.csv',
    {
      config: { permission: 'contacts.import' },
      schema: {
        tags,
        summary: 'The rows that could not be imported, each with its reason, ready to fix and import again',
        params: idParamsSchema,
      },
    },
    async (req, reply) => {
      const f = await errorFileOf(ctx, requireAuth(req).actor.workspaceId, req.params.id);
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${f.name.replace(/[^\w.-]+/g, '_')}"`)
        .send(createReadStream(f.path));
    },
  );

  r.get(
    '/api/v1/import-fields',
    {
      config: { permission: 'contacts.read' },
      schema: {
        tags,
        summary: 'The fields a CSV column can be mapped to',
        querystring: z.object({ object: objectNameSchema.default('contact') }).strict(),
        response: { 200: z.object({ data: z.array(importTargetSchema) }) },
      },
    },
    async (req) => ({ data: await listTargets(ctx, requireAuth(req).actor.workspaceId, req.query.object) }),
  );

  r.get(
    '/api/v1/import-mappings',
    {
      config: { permission: 'contacts.read' },
      schema: {
        tags,
        summary: 'Saved column mappings',
        querystring: z.object({ object: objectNameSchema.default('contact') }).strict(),
        response: { 200: z.object({ data: z.array(importMappingSchema) }) },
      },
    },
    async (req) => ({ data: await listMappings(ctx, requireAuth(req).actor.workspaceId, req.query.object) }),
  );
  r.post(
    '/api/v1/import-mappings',
    {
      config: { permission: 'contacts.import' },
      schema: {
        tags,
        summary: 'Save a column mapping for reuse (same name replaces it)',
        body: saveMappingSchema,
        response: { 201: importMappingSchema },
      },
    },
    async (req, reply) => reply.status(201).send(await saveMapping(ctx, requireAuth(req).actor, req.body)),
  );
  r.delete(
    '/api/v1/import-mappings/:id',
    {
      config: { permission: 'contacts.import' },
      schema: { tags, summary: 'Delete a saved mapping', params: idParamsSchema, response: { 204: z.null() } },
    },
    async (req, reply) => {
      await deleteMapping(ctx, requireAuth(req).actor, req.params.id);
      return reply.status(204).send(null);
    },
  );

  for (const def of Object.values(objectDefs)) {
    r.get(
      `/api/v1/${def.plural}/export`,
      {
        config: { permission: `${def.plural}.export` },
        schema: {
          tags: [`${def.label}s`],
          summary: `Export ${def.plural} as CSV (the headers the import reads) or JSON Lines, all or filtered, streamed`,
          querystring: exportQuerySchema,
        },
      },
      async (req, reply) => {
        const { actor } = requireAuth(req);
        const q = req.query;
        const opts = {
          format: q.format,
          columns: q.columns
            ?.split(',')
            .map((c) => c.trim())
            .filter(Boolean),
          q: q.q,
          filter: parseFilterParam(q.filter),
          deleted: q.deleted,
        };
        // Checked before the first byte goes out: afterwards only the stream itself can fail.
        const plan = await planExport(ctx.db, actor.workspaceId, def, opts);
        const stream = new PassThrough();
        const stamp = app.keel.clock.now().toISOString().slice(0, 10);
        void writeExport(plan, stream).then(
          () => stream.end(),
          (err: unknown) => stream.destroy(err as Error),
        );
        return reply
          .header('content-type', q.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
          .header('content-disposition', `attachment; filename="${def.plural}-${stamp}.${q.format === 'csv' ? 'csv' : 'jsonl'}"`)
          .send(stream);
      },
    );
  }
}
