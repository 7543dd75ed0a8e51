import { randomBytes } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { Actor } from '../../platform/actor.js';
import { recordAudit } from '../../platform/audit/audit.service.js';
import type { ApiKeysTable } from '../../platform/db/schema.js';
import { AppError, notFound } from '../../platform/errors.js';
import { decodeCursor, toPage, type Page } from '../../platform/http/pagination.js';
import { newId, randomToken } from '../../platform/ids.js';
import type { Role } from '../../platform/permissions.js';
import { safeEqual, sha256 } from '../../platform/tokens.js';
import type { Ctx } from '../users/users.service.js';
import type { ApiKey, CreateApiKeyInput, ListApiKeysQuery } from './api-keys.schema.js';

type Row = Selectable<ApiKeysTable>;

function toApiKey(r: Row): ApiKey {
  return {
    id: r.id,
    name: r.name,
    role: r.role as Role,
    prefix: `keel_${r.prefix}`,
    createdBy: r.created_by,
    createdAt: r.created_at.toISOString(),
    lastUsedAt: r.last_used_at?.toISOString() ?? null,
    revokedAt: r.revoked_at?.toISOString() ?? null,
  };
}

// Key format: keel_<12 hex prefix>_<43 char secret>. The prefix finds the row; only the
// secret's SHA-256 is stored, so a database leak does not leak usable keys.
const KEY_RE = /^keel_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export async function createApiKey(ctx: Ctx, actor: Actor, input: CreateApiKeyInput): Promise<ApiKey & { key: string }> {
  const prefix = randomBytes(6).toString('hex');
  const secret = randomToken(32);
  return ctx.db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('api_keys')
      .values({
        id: newId(),
        workspace_id: actor.workspaceId,
        name: input.name,
        role: input.role,
        prefix,
        key_hash: sha256(secret),
        created_by: actor.type === 'user' ? actor.id : null,
        created_at: ctx.clock.now(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, ctx.clock, actor, {
      action: 'api_key.created',
      entityType: 'api_key',
      entityId: row.id,
      after: { name: row.name, role: row.role, prefix: `keel_${prefix}` },
    });
    return { ...toApiKey(row), key: `keel_${prefix}_${secret}` };
  });
}

export async function listApiKeys(ctx: Ctx, workspaceId: string, q: ListApiKeysQuery): Promise<Page<ApiKey>> {
  const after = decodeCursor(q.cursor);
  let query = ctx.db.selectFrom('api_keys').selectAll().where('workspace_id', '=', workspaceId);
  if (after) query = query.where('id', '<', after);
  if (q.status === 'active') query = query.where('revoked_at', 'is', null);
  if (q.status === 'revoked') query = query.where('revoked_at', 'is not', null);
  const rows = await query
    .orderBy('id', 'desc')
    .limit(q.limit + 1)
    .execute();
  return toPage(rows.map(toApiKey), q.limit);
}

export async function revokeApiKey(ctx: Ctx, actor: Actor, id: string): Promise<ApiKey> {
  return ctx.db.transaction().execute(async (trx) => {
    const before = await trx
      .selectFrom('api_keys')
      .selectAll()
      .where('workspace_id', '=', actor.workspaceId)
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    if (!before) throw notFound('API key');
    if (before.revoked_at) return toApiKey(before);
    const after = await trx
      .updateTable('api_keys')
      .set({ revoked_at: ctx.clock.now() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, ctx.clock, actor, {
      action: 'api_key.revoked',
      entityType: 'api_key',
      entityId: id,
      before: { revoked: false },
      after: { revoked: true },
      meta: { name: before.name, role: before.role },
    });
    return toApiKey(after);
  });
}

export interface KeyIdentity {
  id: string;
  workspaceId: string;
  name: string;
  role: Role;
}

/** Verifies a bearer key. Any malformed, unknown or revoked key is the same invalid_api_key. */
export async function authenticateApiKey(ctx: Ctx, token: string): Promise<KeyIdentity> {
  const m = KEY_RE.exec(token);
  if (!m) throw new AppError('invalid_api_key');
  const [, prefix, secret] = m as unknown as [string, string, string];
  const row = await ctx.db.selectFrom('api_keys').selectAll().where('prefix', '=', prefix).executeTakeFirst();
  if (!row || row.revoked_at || !safeEqual(row.key_hash, sha256(secret))) throw new AppError('invalid_api_key');
  const now = ctx.clock.now();
  // last_used_at to the minute: a busy script should not turn every read into a write.
  if (!row.last_used_at || now.getTime() - row.last_used_at.getTime() > 60_000) {
    await ctx.db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', row.id).execute();
  }
  return { id: row.id, workspaceId: row.workspace_id, name: row.name, role: row.role as Role };
}
