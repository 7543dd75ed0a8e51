import { createWriteStream } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import type { Actor } from '../../platform/actor.js';
import { AppError } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import { objectDefs } from '../crm/crm-objects.js';
import type { ObjectName } from '../crm/field-types.js';
import { sniffFormat } from './csv-reader.js';
import { parseFilterParam, planExport, writeExport } from './export.service.js';
import type { ImportView } from './imports.schema.js';
import {
  createImport,
  findResumable,
  getImport,
  hashFile,
  runImport,
  runUndo,
  updateImport,
  type ImportCtx,
  type ImportProgress,
} from './imports.service.js';

export interface CliImportInput {
  object: ObjectName;
  file: string;
  mode: 'create' | 'update' | 'upsert';
  key?: string;
  dryRun: boolean;
  dateFormat: 'auto' | 'iso' | 'us' | 'eu';
  mapping?: Record<string, string | null>;
}

export interface CliImportResult {
  id: string;
  status: ImportView['status'];
  resumed: boolean;
  rows: number;
  durationMs: number | null;
  failure: string | null;
  preview?: ImportView['dryRun'];
  created: number;
  updated: number;
  skipped: number;
  errors: number;
  errorFile: string | null;
}

/**
 * `keel import`: reads the file in place and runs the import in this process (or the server's,
 * through its socket), reporting progress. The same file again after a crash resumes the
 * unfinished import instead of starting over.
 */
export async function importFromCli(
  ctx: ImportCtx,
  actor: Actor,
  input: CliImportInput,
  progress?: (p: ImportProgress) => void,
): Promise<CliImportResult> {
  const file = path.resolve(input.file);
  const def = objectDefs[input.object];
  const key =
    input.key === undefined
      ? def.naturalKey
      : input.key === def.naturalKey || input.key.startsWith('externalIds.')
        ? input.key
        : `externalIds.${input.key}`;
  let view: ImportView;
  let resumed = false;
  // Refuse a file that is not CSV before reading all of it to hash it.
  await sniffFormat(file);
  const fileHash = await hashFile(file);
  const stale = input.dryRun ? undefined : await findResumable(ctx, actor.workspaceId, input.object, fileHash);
  if (stale) {
    resumed = true;
    view = await runImport(ctx, stale.id, false, { onProgress: progress });
  } else {
    const created = await createImport(ctx, actor, { object: input.object, file, fileName: path.basename(file), fileHash });
    const mapping = input.mapping
      ? created.headers.map((h, i) =>
          input.mapping && Object.hasOwn(input.mapping, h) ? (input.mapping?.[h] ?? null) : (created.mapping[i] ?? null),
        )
      : created.mapping;
    await updateImport(ctx, actor, created.id, { mapping, mode: input.mode, matchKey: key, dateFormat: input.dateFormat });
    await ctx.db
      .updateTable('imports')
      .set({ status: input.dryRun ? 'dry_running' : 'queued' })
      .where('id', '=', created.id)
      .execute();
    view = await runImport(ctx, created.id, input.dryRun, { onProgress: progress });
  }
  if (view.failure) throw new AppError('validation_failed', view.failure);
  const counts = input.dryRun && view.dryRun ? view.dryRun : view.counts;
  const errorFile = !input.dryRun && view.counts.errors > 0 ? path.join(ctx.filesDir, 'imports', `${view.id}.errors.csv`) : null;
  return {
    id: view.id,
    status: view.status,
    resumed,
    rows: input.dryRun ? (view.dryRun?.rows ?? 0) : view.progress.rowsDone,
    durationMs: view.durationMs,
    failure: view.failure,
    ...(input.dryRun && { preview: view.dryRun }),
    created: counts.created,
    updated: counts.updated,
    skipped: counts.skipped,
    errors: counts.errors,
    errorFile,
  };
}

export async function undoFromCli(ctx: ImportCtx, actor: Actor, id: string): Promise<ImportView> {
  const view = await getImport(ctx, actor.workspaceId, id);
  if (!['completed', 'failed'].includes(view.status)) throw new AppError('conflict', `This import is ${view.status}: it cannot be undone`);
  await ctx.db.updateTable('imports').set({ status: 'undoing' }).where('id', '=', id).execute();
  return runUndo(ctx, id);
}

/**
 * `keel export`: to --out, or to stdout. In the CLI's own process stdout is written directly;
 * through the server's socket the server writes a file the CLI then streams out and removes.
 */
export async function exportFromCli(
  ctx: ImportCtx,
  workspaceId: string,
  input: { object: ObjectName; format: 'csv' | 'jsonl'; out?: string; columns?: string[]; q?: string; filter?: string },
  stdout?: NodeJS.WritableStream,
): Promise<{ rows: number; out: string | null; temporary: boolean }> {
  const plan = await planExport(ctx.db, workspaceId, objectDefs[input.object], {
    format: input.format,
    columns: input.columns,
    q: input.q,
    filter: parseFilterParam(input.filter),
  });
  if (!input.out && stdout) return { rows: await writeExport(plan, stdout as Writable), out: null, temporary: false };
  const target = input.out ? path.resolve(input.out) : path.join(ctx.filesDir, 'exports', `${newId()}.${input.format}`);
  await mkdir(path.dirname(target), { recursive: true });
  // Written under a temporary name and renamed at the end: a half-written export never has the real name.
  const partial = `${target}.partial`;
  const stream = createWriteStream(partial);
  const rows = await writeExport(plan, stream);
  stream.end();
  await finished(stream);
  await rename(partial, target);
  return { rows, out: target, temporary: !input.out };
}
