import { z } from 'zod';
import { cliActor } from '../platform/actor.js';
import type { Clock } from '../platform/clock.js';
import type { DatabaseHandle } from '../platform/db/database.js';
import { AppError } from '../platform/errors.js';
import { roleSchema } from '../platform/permissions.js';
import { createApiKeySchema } from '../modules/api-keys/api-keys.schema.js';
import { createApiKey, listApiKeys, revokeApiKey } from '../modules/api-keys/api-keys.service.js';
import { createUserSchema, emailSchema } from '../modules/users/users.schema.js';
import { createUser, listUsers, updateUser } from '../modules/users/users.service.js';
import { createWorkspace, listWorkspaces, resolveCliWorkspace } from '../modules/workspaces/workspaces.service.js';
import { workspaceNameSchema, workspaceSlugSchema } from '../modules/workspaces/workspaces.schema.js';
import { findUserByEmail } from '../modules/users/users.repo.js';
import { objectNameSchema } from '../modules/crm/field-types.js';
import { createSource, createSourceSchema, listSources } from '../modules/tracking/sources.service.js';
import { dateFormatSchema, importModeSchema } from '../modules/imports/imports.schema.js';
import { listImports } from '../modules/imports/imports.service.js';
import { exportFromCli, importFromCli, undoFromCli } from '../modules/imports/cli-data.service.js';
import { scanAndMerge } from '../modules/dedupe/dedupe.jobs.js';
import { startScan } from '../modules/dedupe/detect.service.js';
import { matchObjectSchema } from '../modules/dedupe/dedupe.schema.js';

export interface OpContext {
  handle: DatabaseHandle;
  clock: Clock;
  /** Where import and export files live (KEEL_FILES_DIR). */
  filesDir: string;
  /** Progress of a long operation, shown by the CLI (through the socket as NDJSON lines). */
  progress?: (p: unknown) => void;
  /** Set when the operation runs in the CLI's own process: output can go straight to stdout. */
  stdout?: NodeJS.WritableStream;
}

interface Operation<A extends z.ZodType> {
  args: A;
  run(ctx: OpContext, args: z.infer<A>): Promise<unknown>;
}

function op<A extends z.ZodType>(o: Operation<A>): Operation<A> {
  return o;
}

const ws = { workspace: workspaceSlugSchema.optional() };

/**
 * What the CLI can do, as data: each operation validates its arguments with zod and calls a
 * service. The CLI runs an operation in its own process when it can take the embedded data
 * folder, or asks the running server to run it over the folder's local socket when it cannot.
 */
export const operations = {
  'user.create': op({
    args: createUserSchema.extend(ws),
    async run(ctx, { workspace, ...input }) {
      const c = { db: ctx.handle.db, clock: ctx.clock };
      const w = await resolveCliWorkspace(c, workspace);
      return createUser(c, cliActor(w.id), input);
    },
  }),
  'user.list': op({
    args: z.object({ ...ws, limit: z.number().int().min(1).max(200).default(200), cursor: z.string().optional() }).strict(),
    async run(ctx, { workspace, limit, cursor }) {
      const c = { db: ctx.handle.db, clock: ctx.clock };
      const w = await resolveCliWorkspace(c, workspace);
      return listUsers(c, w.id, { limit, cursor });
    },
  }),
  'user.disable': op({
    args: z.object({ email: emailSchema, enable: z.boolean().default(false) }).strict(),
    async run(ctx, { email, enable }) {
      const c = { db: ctx.handle.db, clock: ctx.clock };
      const user = await findUserByEmail(c.db, email);
      if (!user) throw new AppError('not_found', `No user with email ${email}`);
      return updateUser(c, cliActor(user.workspace_id), user.id, { disabled: !enable });
    },
  }),
  'user.set-role': op({
    args: z.object({ email: emailSchema, role: roleSchema }).strict(),
    async run(ctx, { email, role }) {
      const c = { db: ctx.handle.db, clock: ctx.clock };
      const user = await findUserByEmail(c.db, email);
      if (!user) throw new AppError('not_found', `No user with email ${email}`);
      return updateUser(c, cliActor(user.workspace_id), user.id, { role });
    },
  }),
  'api-key.create': op({
    args: createApiKeySchema.extend(ws),
    async run(ctx, { workspace, ...input }) {
      const c = { db: ctx.handle.db, clock: ctx.clock };
      const w = await resolveCliWorkspace(c, workspace);
      return createApiKey(c, cliActor(w.id), input);
    },
  }),
  'api-key.list': op({
    args: z.object({ ...ws, all: z.boolean().default(false) }).strict(),
    async run(ctx, { workspace, all }) {
      const c = { db: ctx.handle.db, clock: ctx.clock };
      const w = await resolveCliWorkspace(c, workspace);
      return listApiKeys(c, w.id, { limit: 200, status: all ? 'all' : 'active' });
    },
  }),
  'api-key.revoke': op({
    args: z.object({ ...ws, id: z.uuid("Give the key's id (from keel api-key list)") }).strict(),
    async run(ctx, { workspace, id }) {
      const c = { db: ctx.handle.db, clock: ctx.clock };
      const w = await resolveCliWorkspace(c, workspace);
      return revokeApiKey(c, cliActor(w.id), id);
    },
  }),
  'workspace.create': op({
    args: z.object({ name: workspaceNameSchema, slug: workspaceSlugSchema.optional() }).strict(),
    async run(ctx, input) {
      return ctx.handle.db.transaction().execute((trx) => createWorkspace(trx, ctx.clock, input));
    },
  }),
  'workspace.list': op({
    args: z.object({}).strict(),
    async run(ctx) {
      return { data: await listWorkspaces(ctx.handle.db) };
    },
  }),
  'import.run': op({
    args: z
      .object({
        ...ws,
        object: objectNameSchema,
        file: z.string().min(1),
        mode: importModeSchema.default('upsert'),
        key: z.string().max(100).optional(),
        dryRun: z.boolean().default(false),
        dateFormat: dateFormatSchema.default('auto'),
        mapping: z.record(z.string(), z.string().nullable()).optional(),
      })
      .strict(),
    async run(ctx, { workspace, ...input }) {
      const c = { db: ctx.handle.db, clock: ctx.clock, filesDir: ctx.filesDir };
      const w = await resolveCliWorkspace(c, workspace);
      return importFromCli(c, cliActor(w.id), input, ctx.progress);
    },
  }),
  'import.undo': op({
    args: z.object({ ...ws, id: z.uuid("Give the import's id (from keel import list)") }).strict(),
    async run(ctx, { workspace, id }) {
      const c = { db: ctx.handle.db, clock: ctx.clock, filesDir: ctx.filesDir };
      const w = await resolveCliWorkspace(c, workspace);
      return undoFromCli(c, cliActor(w.id), id);
    },
  }),
  'import.list': op({
    args: z.object({ ...ws, object: objectNameSchema.optional() }).strict(),
    async run(ctx, { workspace, object }) {
      const c = { db: ctx.handle.db, clock: ctx.clock, filesDir: ctx.filesDir };
      const w = await resolveCliWorkspace(c, workspace);
      return listImports(c, w.id, { limit: 50, object });
    },
  }),
  'export.run': op({
    args: z
      .object({
        ...ws,
        object: objectNameSchema,
        format: z.enum(['csv', 'jsonl']).default('csv'),
        out: z.string().min(1).optional(),
        columns: z.array(z.string().max(100)).max(500).optional(),
        q: z.string().max(200).optional(),
        filter: z.string().max(8000).optional(),
      })
      .strict(),
    async run(ctx, { workspace, ...input }) {
      const c = { db: ctx.handle.db, clock: ctx.clock, filesDir: ctx.filesDir };
      const w = await resolveCliWorkspace(c, workspace);
      return exportFromCli(c, w.id, input, ctx.stdout);
    },
  }),
  'dedupe.scan': op({
    args: z.object({ ...ws, object: matchObjectSchema }).strict(),
    async run(ctx, { workspace, object }) {
      const c = { db: ctx.handle.db, clock: ctx.clock };
      const w = await resolveCliWorkspace(c, workspace);
      const scan = await startScan(c, cliActor(w.id), object);
      return scanAndMerge(c, w.id, scan.id, ctx.progress);
    },
  }),
  'source.create': op({
    args: createSourceSchema.extend(ws),
    async run(ctx, { workspace, ...input }) {
      const c = { db: ctx.handle.db, clock: ctx.clock };
      const w = await resolveCliWorkspace(c, workspace);
      return createSource(c, cliActor(w.id), input);
    },
  }),
  'source.list': op({
    args: z.object({ ...ws }).strict(),
    async run(ctx, { workspace }) {
      const c = { db: ctx.handle.db, clock: ctx.clock };
      const w = await resolveCliWorkspace(c, workspace);
      return { data: await listSources(c, w.id) };
    },
  }),
  'backup.dump': op({
    args: z.object({}).strict(),
    async run(ctx) {
      if (!ctx.handle.dumpDataDir)
        throw new AppError('validation_failed', 'keel backup is for the embedded database; use pg_dump with DATABASE_URL');
      const blob = await ctx.handle.dumpDataDir();
      return { base64: Buffer.from(await blob.arrayBuffer()).toString('base64') };
    },
  }),
} as const;

export type OperationName = keyof typeof operations;

export function isOperation(name: string): name is OperationName {
  return Object.hasOwn(operations, name);
}

/** Validates and runs one operation. Arguments arrive as plain JSON from the CLI or the socket. */
export async function runOperation(ctx: OpContext, name: string, rawArgs: unknown): Promise<unknown> {
  if (!isOperation(name)) throw new AppError('not_found', `Unknown operation ${name}`);
  const operation = operations[name] as Operation<z.ZodType>;
  const parsed = operation.args.safeParse(rawArgs ?? {});
  if (!parsed.success) {
    const details = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    throw new AppError('validation_failed', details.map((d) => `${d.path ? `--${d.path}: ` : ''}${d.message}`).join('; '), details);
  }
  return operation.run(ctx, parsed.data);
}
