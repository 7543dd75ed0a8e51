import { BlockList, isIP } from 'node:net';
import type { z } from 'zod';
import type { Selectable } from 'kysely';
import type { Actor } from '../../platform/actor.js';
import { recordAudit } from '../../platform/audit/audit.service.js';
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/database.js';
import type { SourceKeysTable, SourcesTable } from '../../platform/db/schema.js';
import { AppError, notFound } from '../../platform/errors.js';
import { newId, randomToken } from '../../platform/ids.js';
import { sha256 } from '../../platform/tokens.js';
import { type createSourceSchema, type Source, type updateSourceSchema } from './sources.schema.js';

export { createSourceSchema, rotateKeySchema, sourceKinds, sourceSchema, updateSourceSchema, type Source } from './sources.schema.js';

export interface Ctx {
  db: Db;
  clock: Clock;
}

/** A write key as Segment libraries carry it: a plain token (no colon: it travels as a Basic user name). */
function newWriteKey(): { key: string; prefix: string } {
  const prefix = randomToken(6)
    .replace(/[^a-zA-Z0-9]/g, 'x')
    .slice(0, 8);
  return { key: `wk_${prefix}_${randomToken(24).replace(/[^a-zA-Z0-9]/g, 'x')}`, prefix };
}

function keyActive(k: Selectable<SourceKeysTable>, now: Date): boolean {
  return !k.revoked_at && (!k.expires_at || k.expires_at > now);
}

function toSource(s: Selectable<SourcesTable>, keys: Selectable<SourceKeysTable>[], now: Date): Source {
  return {
    id: s.id,
    name: s.name,
    kind: s.kind as Source['kind'],
    retentionDays: s.retention_days,
    excludedIps: s.excluded_ips,
    createdAt: s.created_at.toISOString(),
    keys: keys.map((k) => ({
      id: k.id,
      prefix: k.prefix,
      createdAt: k.created_at.toISOString(),
      expiresAt: k.expires_at?.toISOString() ?? null,
      revokedAt: k.revoked_at?.toISOString() ?? null,
      active: keyActive(k, now),
    })),
  };
}

export async function createSource(
  ctx: Ctx,
  actor: Actor,
  input: z.infer<typeof createSourceSchema>,
): Promise<Source & { writeKey: string }> {
  return ctx.db.transaction().execute(async (trx) => {
    const now = ctx.clock.now();
    const source = await trx
      .insertInto('sources')
      .values({
        id: newId(),
        workspace_id: actor.workspaceId,
        name: input.name,
        kind: input.kind,
        retention_days: input.retentionDays,
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const { key, prefix } = newWriteKey();
    const k = await trx
      .insertInto('source_keys')
      .values({ id: newId(), workspace_id: actor.workspaceId, source_id: source.id, prefix, key_hash: sha256(key), created_at: now })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, ctx.clock, actor, {
      action: 'source.created',
      entityType: 'source',
      entityId: source.id,
      after: { name: source.name, kind: source.kind, keyPrefix: prefix },
    });
    return { ...toSource(source, [k], now), writeKey: key };
  });
}

export async function listSources(ctx: Ctx, workspaceId: string): Promise<Source[]> {
  const sources = await ctx.db
    .selectFrom('sources')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('deleted_at', 'is', null)
    .orderBy('name')
    .execute();
  if (sources.length === 0) return [];
  const keys = await ctx.db
    .selectFrom('source_keys')
    .selectAll()
    .where(
      'source_id',
      'in',
      sources.map((s) => s.id),
    )
    .orderBy('created_at', 'desc')
    .execute();
  const now = ctx.clock.now();
  return sources.map((s) =>
    toSource(
      s,
      keys.filter((k) => k.source_id === s.id),
      now,
    ),
  );
}

/** Renames a source, sets its retention or the addresses whose traffic it drops. */
export async function updateSource(ctx: Ctx, actor: Actor, sourceId: string, input: z.infer<typeof updateSourceSchema>): Promise<Source> {
  const out = await ctx.db.transaction().execute(async (trx) => {
    const before = await trx
      .selectFrom('sources')
      .selectAll()
      .where('workspace_id', '=', actor.workspaceId)
      .where('id', '=', sourceId)
      .where('deleted_at', 'is', null)
      .forUpdate()
      .executeTakeFirst();
    if (!before) throw notFound('Source');
    const now = ctx.clock.now();
    const after = await trx
      .updateTable('sources')
      .set({
        ...(input.name !== undefined && { name: input.name }),
        ...(input.retentionDays !== undefined && { retention_days: input.retentionDays }),
        ...(input.excludedIps !== undefined && { excluded_ips: [...new Set(input.excludedIps)] }),
        updated_at: now,
      })
      .where('id', '=', sourceId)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, ctx.clock, actor, {
      action: 'source.updated',
      entityType: 'source',
      entityId: sourceId,
      before: { name: before.name, retentionDays: before.retention_days, excludedIps: before.excluded_ips },
      after: { name: after.name, retentionDays: after.retention_days, excludedIps: after.excluded_ips },
    });
    const keys = await trx.selectFrom('source_keys').selectAll().where('source_id', '=', sourceId).orderBy('created_at', 'desc').execute();
    return toSource(after, keys, now);
  });
  // This process applies the new exclusions at once; others within the key cache's 5 seconds.
  clearWriteKeyCache();
  return out;
}

/** A new write key; the old ones keep working for `overlapHours` so deployed clients can move over. */
export async function rotateSourceKey(
  ctx: Ctx,
  actor: Actor,
  sourceId: string,
  overlapHours: number,
): Promise<Source & { writeKey: string }> {
  return ctx.db.transaction().execute(async (trx) => {
    const source = await trx
      .selectFrom('sources')
      .selectAll()
      .where('workspace_id', '=', actor.workspaceId)
      .where('id', '=', sourceId)
      .where('deleted_at', 'is', null)
      .forUpdate()
      .executeTakeFirst();
    if (!source) throw notFound('Source');
    const now = ctx.clock.now();
    const until = new Date(now.getTime() + overlapHours * 3_600_000);
    await trx
      .updateTable('source_keys')
      .set({ expires_at: until })
      .where('source_id', '=', sourceId)
      .where('revoked_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', until)]))
      .execute();
    const { key, prefix } = newWriteKey();
    await trx
      .insertInto('source_keys')
      .values({ id: newId(), workspace_id: actor.workspaceId, source_id: sourceId, prefix, key_hash: sha256(key), created_at: now })
      .execute();
    await recordAudit(trx, ctx.clock, actor, {
      action: 'source.key_rotated',
      entityType: 'source',
      entityId: sourceId,
      meta: { newPrefix: prefix, oldKeysValidUntil: until.toISOString() },
    });
    const keys = await trx.selectFrom('source_keys').selectAll().where('source_id', '=', sourceId).orderBy('created_at', 'desc').execute();
    return { ...toSource(source, keys, now), writeKey: key };
  });
}

export async function revokeSourceKey(ctx: Ctx, actor: Actor, sourceId: string, keyId: string): Promise<Source> {
  return ctx.db.transaction().execute(async (trx) => {
    const key = await trx
      .selectFrom('source_keys')
      .selectAll()
      .where('workspace_id', '=', actor.workspaceId)
      .where('source_id', '=', sourceId)
      .where('id', '=', keyId)
      .executeTakeFirst();
    if (!key) throw notFound('Write key');
    if (!key.revoked_at) {
      await trx.updateTable('source_keys').set({ revoked_at: ctx.clock.now() }).where('id', '=', keyId).execute();
      clearWriteKeyCache();
      await recordAudit(trx, ctx.clock, actor, {
        action: 'source.key_revoked',
        entityType: 'source',
        entityId: sourceId,
        meta: { prefix: key.prefix },
      });
    }
    const source = await trx.selectFrom('sources').selectAll().where('id', '=', sourceId).executeTakeFirstOrThrow();
    const keys = await trx.selectFrom('source_keys').selectAll().where('source_id', '=', sourceId).orderBy('created_at', 'desc').execute();
    return toSource(source, keys, ctx.clock.now());
  });
}

export interface SourceIdentity {
  sourceId: string;
  workspaceId: string;
  /** Addresses whose events this source drops (null: none). */
  excluded: BlockList | null;
}

/** A BlockList of addresses and CIDR ranges (validated when saved; anything unreadable is skipped). */
export function blockListOf(ranges: readonly string[]): BlockList | null {
  if (ranges.length === 0) return null;
  const list = new BlockList();
  for (const r of ranges) {
    const [addr = '', bits] = r.split('/');
    const type = isIP(addr) === 6 ? 'ipv6' : 'ipv4';
    try {
      if (bits === undefined) list.addAddress(addr, type);
      else list.addSubnet(addr, Number(bits), type);
    } catch {
      /* skipped */
    }
  }
  return list;
}

/** Whether an address (v4, v6 or v4-mapped v6) is on the list. */
export function isExcluded(list: BlockList | null, ip: unknown): boolean {
  if (!list || typeof ip !== 'string' || ip === '') return false;
  const plain = ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
  const kind = isIP(plain);
  if (kind === 0) return false;
  return list.check(plain, kind === 6 ? 'ipv6' : 'ipv4');
}

// Ingestion checks a write key on every request: a short cache keeps that off the database.
const cache = new Map<string, { id: SourceIdentity | null; until: number; expiresAt: number | null }>();
const CACHE_MS = 5_000;

/** The source a write key belongs to; refuses unknown, revoked and expired keys. */
export async function authenticateWriteKey(ctx: Ctx, key: string): Promise<SourceIdentity> {
  const now = ctx.clock.now().getTime();
  const hash = sha256(key);
  const hit = cache.get(hash);
  if (hit && hit.until > now && (hit.expiresAt === null || hit.expiresAt > now)) {
    if (!hit.id) throw new AppError('invalid_api_key', 'Unknown or revoked write key');
    return hit.id;
  }
  const row = await ctx.db
    .selectFrom('source_keys as k')
    .innerJoin('sources as s', 's.id', 'k.source_id')
    .select(['k.source_id', 'k.workspace_id', 'k.revoked_at', 'k.expires_at', 's.deleted_at', 's.excluded_ips'])
    .where('k.key_hash', '=', hash)
    .executeTakeFirst();
  const ok = row && !row.revoked_at && !row.deleted_at && (!row.expires_at || row.expires_at.getTime() > now);
  const id = ok ? { sourceId: row.source_id, workspaceId: row.workspace_id, excluded: blockListOf(row.excluded_ips) } : null;
  if (cache.size > 10_000) cache.clear();
  cache.set(hash, { id, until: now + CACHE_MS, expiresAt: row?.expires_at?.getTime() ?? null });
  if (!id) throw new AppError('invalid_api_key', 'Unknown or revoked write key');
  return id;
}

/** Forget cached keys (after a revocation in this process, and in tests). */
export function clearWriteKeyCache(): void {
  cache.clear();
}
