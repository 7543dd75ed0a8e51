import type { Actor } from '../../platform/actor.js';
import { recordAudit } from '../../platform/audit/audit.service.js';
import type { Clock } from '../../platform/clock.js';
import type { Db, DbOrTx } from '../../platform/db/database.js';
import { AppError } from '../../platform/errors.js';
import { dedupeSettingsSchema, type DedupeSettings } from './dedupe.schema.js';
import { DEFAULT_MODELS, type MatchModel, type MatchObject } from './matching.js';

export const DEFAULT_SETTINGS: DedupeSettings = {
  reviewThreshold: 0.75,
  autoMergeThreshold: 0.98,
  autoMerge: false,
  maxBlockSize: 100,
  survivorship: {
    default: 'most_recent',
    fields: { firstName: 'most_complete', lastName: 'most_complete', email: 'survivor', name: 'most_complete', domain: 'survivor' },
    trustedSources: [],
  },
  model: null,
};

/** A workspace's settings for one object: what it saved over the defaults. */
export async function getSettings(db: DbOrTx, ws: string, object: MatchObject): Promise<DedupeSettings> {
  const row = await db
    .selectFrom('dedupe_settings')
    .select('settings')
    .where('workspace_id', '=', ws)
    .where('object', '=', object)
    .executeTakeFirst();
  const parsed = dedupeSettingsSchema.partial().safeParse(row?.settings ?? {});
  const saved = parsed.success ? parsed.data : {};
  return { ...DEFAULT_SETTINGS, ...saved, survivorship: { ...DEFAULT_SETTINGS.survivorship, ...saved.survivorship } };
}

export function modelOf(s: DedupeSettings, object: MatchObject): MatchModel {
  return (s.model as MatchModel | null) ?? DEFAULT_MODELS[object];
}

export async function updateSettings(
  ctx: { db: Db; clock: Clock },
  actor: Actor,
  object: MatchObject,
  patch: Partial<DedupeSettings>,
): Promise<DedupeSettings> {
  return ctx.db.transaction().execute(async (trx) => {
    const before = await getSettings(trx, actor.workspaceId, object);
    const next: DedupeSettings = {
      ...before,
      ...patch,
      survivorship: patch.survivorship ? { ...before.survivorship, ...patch.survivorship } : before.survivorship,
    };
    if (next.autoMergeThreshold < next.reviewThreshold)
      throw new AppError('validation_failed', 'autoMergeThreshold must not be below reviewThreshold', [
        { path: 'autoMergeThreshold', message: `below reviewThreshold (${next.reviewThreshold})` },
      ]);
    if (next.model)
      for (const f of Object.keys(next.model.fields))
        if (!DEFAULT_MODELS[object].fields[f])
          throw new AppError('validation_failed', `model.fields.${f} is not a field ${object}s are matched on`, [
            { path: `model.fields.${f}`, message: `one of ${Object.keys(DEFAULT_MODELS[object].fields).join(', ')}` },
          ]);
    const now = ctx.clock.now();
    await trx
      .insertInto('dedupe_settings')
      .values({ workspace_id: actor.workspaceId, object, settings: JSON.stringify(next), updated_by: actor.label, updated_at: now })
      .onConflict((oc) =>
        oc.columns(['workspace_id', 'object']).doUpdateSet({ settings: JSON.stringify(next), updated_by: actor.label, updated_at: now }),
      )
      .execute();
    await recordAudit(trx, ctx.clock, actor, {
      action: 'dedupe.settings_changed',
      entityType: 'dedupe_settings',
      entityId: null,
      before: { object, ...before },
      after: { object, ...next },
    });
    return next;
  });
}
