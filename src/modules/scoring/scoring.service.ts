import type { Selectable } from 'kysely';
import type { z } from 'zod';
import type { Actor } from '../../platform/actor.js';
import { recordAudit } from '../../platform/audit/audit.service.js';
import type { Clock } from '../../platform/clock.js';
import type { Db, DbOrTx } from '../../platform/db/database.js';
import { AppError, notFound } from '../../platform/errors.js';
import { decodeCursor, toPage, type Page } from '../../platform/http/pagination.js';
import { newId } from '../../platform/ids.js';
import type { Jobs } from '../../platform/jobs/jobs.js';
import { compileModel, scoreContacts } from './scoring.engine.js';
import {
  modelDefinitionSchema,
  type ContactScore,
  type createModelSchema,
  type ModelDefinition,
  type ModelVersion,
  type PreviewResult,
  type RuleProblem,
  type ScoringModel,
  type updateModelSchema,
} from './scoring.schema.js';
import { sdb, type ScoringModelsTable } from './scoring.tables.js';

export interface Ctx {
  db: Db;
  clock: Clock;
}

type ModelRow = Selectable<ScoringModelsTable>;

async function problemsOf(db: DbOrTx, ws: string, now: Date, definition: ModelDefinition): Promise<RuleProblem[]> {
  return (await compileModel(db, ws, now, definition)).problems;
}

/** A definition being saved must compile in full: a broken rule is refused with its name and why. */
async function checkDefinition(db: DbOrTx, ws: string, now: Date, definition: ModelDefinition): Promise<void> {
  const problems = await problemsOf(db, ws, now, definition);
  if (problems.length) {
    throw new AppError(
      'validation_failed',
      problems.map((p) => `${p.kind} rule "${p.rule}": ${p.message}`).join('; '),
      problems.map((p) => ({ path: `draft.${p.kind}`, message: `"${p.rule}": ${p.message}` })),
    );
  }
}

async function load(db: DbOrTx, ws: string, id: string): Promise<ModelRow> {
  const r = await sdb(db)
    .selectFrom('scoring_models')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!r) throw notFound('Scoring model');
  return r;
}

async function toModel(db: DbOrTx, r: ModelRow, now: Date): Promise<ScoringModel> {
  const versions = await sdb(db)
    .selectFrom('scoring_model_versions')
    .select(['version', 'definition', 'published_at', 'published_by'])
    .where('model_id', '=', r.id)
    .orderBy('version', 'desc')
    .execute();
  const draft = modelDefinitionSchema.parse(r.draft);
  const current = versions.find((v) => v.version === r.published_version);
  const published = current ? modelDefinitionSchema.parse(current.definition) : null;
  const count = await sdb(db)
    .selectFrom('contact_scores')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('model_id', '=', r.id)
    .executeTakeFirstOrThrow();
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    draft,
    draftProblems: await problemsOf(db, r.workspace_id, now, draft),
    publishedVersion: r.published_version,
    published,
    problems: published ? await problemsOf(db, r.workspace_id, now, published) : [],
    versions: versions.map((v) => ({ version: v.version, publishedAt: v.published_at.toISOString(), publishedBy: v.published_by })),
    scoredContacts: Number(count.n),
    computedAt: r.computed_at?.toISOString() ?? null,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

/** Every published version with its definition, newest first. */
export async function listVersions(ctx: Ctx, ws: string, id: string): Promise<ModelVersion[]> {
  await load(ctx.db, ws, id);
  const rows = await sdb(ctx.db)
    .selectFrom('scoring_model_versions')
    .selectAll()
    .where('model_id', '=', id)
    .orderBy('version', 'desc')
    .execute();
  return rows.map((v) => ({
    version: v.version,
    publishedAt: v.published_at.toISOString(),
    publishedBy: v.published_by,
    definition: v.definition,
  }));
}

async function checkName(db: DbOrTx, ws: string, name: string, except?: string): Promise<void> {
  let q = sdb(db)
    .selectFrom('scoring_models')
    .select('id')
    .where('workspace_id', '=', ws)
    .where('deleted_at', 'is', null)
    .where((eb) => eb(eb.fn('lower', ['name']), '=', name.toLowerCase()));
  if (except) q = q.where('id', '<>', except);
  if (await q.executeTakeFirst()) {
    throw new AppError('already_exists', `A scoring model named "${name}" already exists`, [{ path: 'name', message: 'Already used' }]);
  }
}

export async function createModel(ctx: Ctx, actor: Actor, input: z.infer<typeof createModelSchema>): Promise<ScoringModel> {
  const ws = actor.workspaceId;
  await checkDefinition(ctx.db, ws, ctx.clock.now(), input.draft);
  const row = await ctx.db.transaction().execute(async (trx) => {
    await checkName(trx, ws, input.name);
    const now = ctx.clock.now();
    const r = await sdb(trx)
      .insertInto('scoring_models')
      .values({
        id: newId(),
        workspace_id: ws,
        name: input.name,
        description: input.description,
        draft: JSON.stringify(input.draft),
        published_version: null,
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, ctx.clock, actor, {
      action: 'scoring_model.created',
      entityType: 'scoring_model',
      entityId: r.id,
      after: { name: r.name, draft: input.draft },
    });
    return r;
  });
  return toModel(ctx.db, row, ctx.clock.now());
}

export async function getModel(ctx: Ctx, ws: string, id: string): Promise<ScoringModel> {
  return toModel(ctx.db, await load(ctx.db, ws, id), ctx.clock.now());
}

export async function listModels(ctx: Ctx, ws: string, q: { limit: number; cursor?: string }): Promise<Page<ScoringModel>> {
  const after = decodeCursor(q.cursor);
  let query = sdb(ctx.db).selectFrom('scoring_models').selectAll().where('workspace_id', '=', ws).where('deleted_at', 'is', null);
  if (after) query = query.where('id', '>', after);
  const rows = await query
    .orderBy('id')
    .limit(q.limit + 1)
    .execute();
  const out: ScoringModel[] = [];
  for (const r of rows) out.push(await toModel(ctx.db, r, ctx.clock.now()));
  return toPage(out, q.limit);
}

/** Edits the name, description or draft; published versions never change. */
export async function updateModel(ctx: Ctx, actor: Actor, id: string, input: z.infer<typeof updateModelSchema>): Promise<ScoringModel> {
  const ws = actor.workspaceId;
  const before = await load(ctx.db, ws, id);
  if (input.draft) await checkDefinition(ctx.db, ws, ctx.clock.now(), input.draft);
  const row = await ctx.db.transaction().execute(async (trx) => {
    if (input.name !== undefined) await checkName(trx, ws, input.name, id);
    const r = await sdb(trx)
      .updateTable('scoring_models')
      .set({
        ...(input.name !== undefined && { name: input.name }),
        ...(input.description !== undefined && { description: input.description }),
        ...(input.draft !== undefined && { draft: JSON.stringify(input.draft) }),
        updated_at: ctx.clock.now(),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, ctx.clock, actor, {
      action: 'scoring_model.updated',
      entityType: 'scoring_model',
      entityId: id,
      before: { name: before.name, description: before.description, draft: before.draft },
      after: { name: r.name, description: r.description, draft: r.draft },
    });
    return r;
  });
  return toModel(ctx.db, row, ctx.clock.now());
}

export async function deleteModel(ctx: Ctx, actor: Actor, id: string): Promise<void> {
  const before = await load(ctx.db, actor.workspaceId, id);
  await ctx.db.transaction().execute(async (trx) => {
    await sdb(trx).updateTable('scoring_models').set({ deleted_at: ctx.clock.now() }).where('id', '=', id).execute();
    await sdb(trx).deleteFrom('contact_scores').where('model_id', '=', id).execute();
    await recordAudit(trx, ctx.clock, actor, {
      action: 'scoring_model.deleted',
      entityType: 'scoring_model',
      entityId: id,
      before: { name: before.name, publishedVersion: before.published_version },
    });
  });
}

/**
 * Publishes the draft as the next version (immutable from then on) and queues the full recompute
 * in the same transaction (without `jobs`, as in the demo seed, the caller runs `recomputeModel`).
 * A draft with broken rules is refused.
 */
export async function publishModel(ctx: Ctx, jobs: Jobs | null, actor: Actor, id: string): Promise<ScoringModel> {
  const ws = actor.workspaceId;
  const before = await load(ctx.db, ws, id);
  const draft = modelDefinitionSchema.parse(before.draft);
  await checkDefinition(ctx.db, ws, ctx.clock.now(), draft);
  const row = await ctx.db.transaction().execute(async (trx) => {
    const last = await sdb(trx)
      .selectFrom('scoring_model_versions')
      .select((eb) => eb.fn.max('version').as('v'))
      .where('model_id', '=', id)
      .executeTakeFirst();
    const version = Number(last?.v ?? 0) + 1;
    const now = ctx.clock.now();
    await sdb(trx)
      .insertInto('scoring_model_versions')
      .values({ model_id: id, version, workspace_id: ws, definition: JSON.stringify(draft), published_at: now, published_by: actor.label })
      .execute();
    const r = await sdb(trx)
      .updateTable('scoring_models')
      .set({ published_version: version, updated_at: now })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    if (jobs) await jobs.enqueue('scoring.recompute', { modelId: id }, { tx: trx });
    await recordAudit(trx, ctx.clock, actor, {
      action: 'scoring_model.published',
      entityType: 'scoring_model',
      entityId: id,
      before: { publishedVersion: before.published_version },
      after: { publishedVersion: version, definition: draft },
    });
    return r;
  });
  return toModel(ctx.db, row, ctx.clock.now());
}

/** Queues a full recompute of the published version. */
export async function requestRecompute(ctx: Ctx, jobs: Jobs, actor: Actor, id: string): Promise<{ jobId: string }> {
  const m = await load(ctx.db, actor.workspaceId, id);
  if (m.published_version === null) throw new AppError('conflict', 'The model has no published version to compute: publish it first');
  return ctx.db.transaction().execute(async (trx) => {
    const jobId = await jobs.enqueue('scoring.recompute', { modelId: id }, { tx: trx });
    await recordAudit(trx, ctx.clock, actor, { action: 'scoring_model.recompute_requested', entityType: 'scoring_model', entityId: id });
    return { jobId };
  });
}

async function requireContact(db: DbOrTx, ws: string, contactId: string): Promise<void> {
  const c = await db
    .selectFrom('contacts')
    .select('id')
    .where('workspace_id', '=', ws)
    .where('id', '=', contactId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!c) throw notFound('Contact');
}

/**
 * The score the draft (or `draft`, the editor's unsaved edits) would give one contact now, computed
 * live and stored nowhere (the editor's preview). Broken rules are reported, not refused.
 */
export async function previewDraft(ctx: Ctx, ws: string, id: string, contactId: string, draft?: ModelDefinition): Promise<PreviewResult> {
  const m = await load(ctx.db, ws, id);
  await requireContact(ctx.db, ws, contactId);
  const compiled = await compileModel(ctx.db, ws, ctx.clock.now(), draft ?? modelDefinitionSchema.parse(m.draft));
  const [s] = await scoreContacts(ctx.db, ws, compiled, [contactId]);
  return {
    score: s?.score ?? 0,
    band: s?.band ?? compiled.definition.otherwise,
    explanation: s?.explanation ?? [],
    problems: compiled.problems,
  };
}

/** A contact's stored scores, one per published model. */
export async function contactScores(db: DbOrTx, ws: string, contactId: string): Promise<ContactScore[]> {
  await requireContact(db, ws, contactId);
  const rows = await sdb(db)
    .selectFrom('contact_scores as s')
    .innerJoin('scoring_models as m', 'm.id', 's.model_id')
    .select(['m.id', 'm.name', 's.score', 's.band', 's.explanation'])
    .where('s.workspace_id', '=', ws)
    .where('s.contact_id', '=', contactId)
    .where('m.deleted_at', 'is', null)
    .orderBy('m.name')
    .execute();
  return rows.map((r) => ({
    model: { id: r.id, name: r.name },
    score: Number(r.score),
    band: r.band,
    explanation: r.explanation as ContactScore['explanation'],
  }));
}
