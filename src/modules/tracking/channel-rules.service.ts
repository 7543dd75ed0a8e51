import type { Actor } from '../../platform/actor.js';
import { recordAudit } from '../../platform/audit/audit.service.js';
import type { Clock } from '../../platform/clock.js';
import type { Db, DbOrTx } from '../../platform/db/database.js';
import { channelRulesSchema, defaultChannelRules, type ChannelRule } from './channels.js';

/**
 * A workspace's channel grouping table: its own when it edited one, else the documented defaults.
 * Ingestion reads it per batch through a short cache; a change applies to new touchpoints (ones
 * already recorded keep the channel they were given).
 */
const cache = new Map<string, { rules: ChannelRule[]; until: number }>();
const CACHE_MS = 5_000;

export async function rulesFor(db: DbOrTx, ws: string, now: number): Promise<ChannelRule[]> {
  const hit = cache.get(ws);
  if (hit && hit.until > now) return hit.rules;
  const row = await db.selectFrom('channel_rules').select('rules').where('workspace_id', '=', ws).executeTakeFirst();
  const parsed = row ? channelRulesSchema.safeParse(row.rules) : null;
  const rules = parsed?.success ? parsed.data : defaultChannelRules;
  if (cache.size > 1000) cache.clear();
  cache.set(ws, { rules, until: now + CACHE_MS });
  return rules;
}

export interface ChannelRulesView {
  rules: ChannelRule[];
  isDefault: boolean;
  updatedAt: string | null;
}

export async function getChannelRules(db: DbOrTx, ws: string): Promise<ChannelRulesView> {
  const row = await db.selectFrom('channel_rules').selectAll().where('workspace_id', '=', ws).executeTakeFirst();
  const parsed = row ? channelRulesSchema.safeParse(row.rules) : null;
  return parsed?.success && row
    ? { rules: parsed.data, isDefault: false, updatedAt: row.updated_at.toISOString() }
    : { rules: defaultChannelRules, isDefault: true, updatedAt: null };
}

/** Replaces the table (validated by the route's schema), audited with the one before. */
export async function putChannelRules(ctx: { db: Db; clock: Clock }, actor: Actor, rules: ChannelRule[]): Promise<ChannelRulesView> {
  await ctx.db.transaction().execute(async (trx) => {
    const before = await getChannelRules(trx, actor.workspaceId);
    const now = ctx.clock.now();
    await trx
      .insertInto('channel_rules')
      .values({ workspace_id: actor.workspaceId, rules: JSON.stringify(rules), updated_at: now })
      .onConflict((oc) => oc.column('workspace_id').doUpdateSet({ rules: JSON.stringify(rules), updated_at: now }))
      .execute();
    await recordAudit(trx, ctx.clock, actor, {
      action: 'channel_rules.updated',
      entityType: 'channel_rules',
      entityId: actor.workspaceId,
      before: { rules: before.rules },
      after: { rules },
    });
  });
  cache.delete(actor.workspaceId);
  return getChannelRules(ctx.db, actor.workspaceId);
}

/** Back to the documented defaults. */
export async function resetChannelRules(ctx: { db: Db; clock: Clock }, actor: Actor): Promise<ChannelRulesView> {
  await ctx.db.transaction().execute(async (trx) => {
    const before = await getChannelRules(trx, actor.workspaceId);
    await trx.deleteFrom('channel_rules').where('workspace_id', '=', actor.workspaceId).execute();
    await recordAudit(trx, ctx.clock, actor, {
      action: 'channel_rules.reset',
      entityType: 'channel_rules',
      entityId: actor.workspaceId,
      before: { rules: before.rules },
    });
  });
  cache.delete(actor.workspaceId);
  return getChannelRules(ctx.db, actor.workspaceId);
}
