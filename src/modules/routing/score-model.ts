import { sql } from 'kysely';
import type { DbOrTx } from '../../platform/db/database.js';
import { AppError, notFound } from '../../platform/errors.js';

/**
 * The scoring model whose scores routing shows (the sales queue's score, the report's bands):
 * `modelId` when given, which must be a published model of the workspace (a draft has no scores
 * anyone agreed on: 404 for no such model, 400 for one not published); else the workspace's
 * oldest published model, the one it scores leads by first (null: none is published).
 */
export async function scoreModelFor(db: DbOrTx, ws: string, modelId?: string): Promise<string | null> {
  if (modelId) {
    const m = await sql<{ published_version: number | null }>`
      select published_version from scoring_models where workspace_id = ${ws} and id = ${modelId} and deleted_at is null`.execute(db);
    const row = m.rows[0];
    if (!row) throw notFound('Scoring model');
    if (row.published_version === null)
      throw new AppError('validation_failed', `Scoring model ${modelId} is not published: publish it before showing its scores`, [
        { path: 'modelId', message: 'not a published scoring model' },
      ]);
    return modelId;
  }
  const m = await sql<{ id: string }>`
    select id from scoring_models where workspace_id = ${ws} and deleted_at is null and published_version is not null
    order by created_at, id limit 1`.execute(db);
  return m.rows[0]?.id ?? null;
}
