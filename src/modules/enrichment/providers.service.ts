import type { Selectable } from 'kysely';
import type { z } from 'zod';
import type { Actor } from '../../platform/actor.js';
import { recordAudit } from '../../platform/audit/audit.service.js';
import type { Clock } from '../../platform/clock.js';
import type { Db, DbOrTx } from '../../platform/db/database.js';
import { AppError, notFound, type ProblemDetail } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { ObjectName } from '../crm/field-types.js';
import {
  httpConfigSchema,
  offlineConfigSchema,
  type CreateProviderInput,
  type HttpConfig,
  type OverwriteMode,
  type ProviderView,
  type UpdateProviderInput,
} from './enrichment.schema.js';
import { edb, type EnrichmentProvidersTable } from './enrichment.tables.js';
import { httpProvider } from './http-provider.js';
import { offlineProvider } from './offline-provider.js';
import type { EnrichmentProvider } from './provider.js';

export interface Ctx {
  db: Db;
  clock: Clock;
}

type Row = Selectable<EnrichmentProvidersTable>;

/** The built-in provider's id and name in the API and in provenance ('enrichment:offline'). */
export const OFFLINE = 'offline';

/** A secret as the API shows it: never in full; the last four characters of a long one. */
export function maskSecret(v: string): string {
  return v.length >= 12 ? `••••${v.slice(-4)}` : '••••';
}

const SECRET_PARAM = /key|token|secret|sig|pass|auth|credential/i;

/**
 * A URL template as the API shows it: a password in it and the values of query parameters whose
 * names look secret (api_key, token, signature...) masked. Placeholders stay readable.
 */
export function maskUrl(url: string): string {
  return url
    .replace(/^(https?:\/\/[^/?#@:]*:)([^/?#@]*)@/i, (_m, user: string, pass: string) => `${user}${maskSecret(pass)}@`)
    .replace(/([?&])([^=&#]*)=([^&#]*)/g, (m, sep: string, name: string, value: string) =>
      SECRET_PARAM.test(name) && !/^\{[a-z]+\}$/.test(value) ? `${sep}${name}=${maskSecret(value)}` : m,
    );
}

function asHttpConfig(row: Row): HttpConfig | null {
  const r = httpConfigSchema.safeParse(row.config);
  return r.success ? r.data : null;
}

function view(row: Row | null): ProviderView {
  if (!row || row.kind === 'offline') {
    const overwrite = row ? (offlineConfigSchema.safeParse(row.config).data?.overwrite ?? {}) : {};
    return {
      id: OFFLINE,
      name: OFFLINE,
      kind: 'offline',
      builtIn: true,
      enabled: row?.enabled ?? true,
      config: { overwrite },
      createdAt: row ? row.created_at.toISOString() : null,
      updatedAt: row ? row.updated_at.toISOString() : null,
    };
  }
  const c = row.config as Partial<HttpConfig>;
  return {
    id: row.id,
    name: row.name,
    kind: 'http',
    builtIn: false,
    enabled: row.enabled,
    config: {
      ...(c.object && { object: c.object }),
      ...(c.url && { url: maskUrl(c.url) }),
      ...(c.method && { method: c.method }),
      headers: Object.fromEntries(Object.entries(c.headers ?? {}).map(([k, v]) => [k, maskSecret(v)])),
      ...(c.fieldMap && { fieldMap: c.fieldMap }),
      ...(c.confidence !== undefined && { confidence: c.confidence }),
      ...(c.confidencePath && { confidencePath: c.confidencePath }),
      ...(c.timeoutMs !== undefined && { timeoutMs: c.timeoutMs }),
      overwrite: c.overwrite ?? {},
    },
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** What the audit log keeps of a provider: its view, so no secret reaches it. */
function auditOf(row: Row | null): Record<string, unknown> {
  const v = view(row);
  return { name: v.name, kind: v.kind, enabled: v.enabled, config: v.config };
}

async function offlineRow(db: DbOrTx, ws: string, lock = false): Promise<Row | undefined> {
  let q = edb(db).selectFrom('enrichment_providers').selectAll().where('workspace_id', '=', ws).where('kind', '=', 'offline');
  if (lock) q = q.forUpdate();
  return q.executeTakeFirst();
}

async function httpRow(db: DbOrTx, ws: string, id: string, lock = false): Promise<Row> {
  let q = edb(db)
    .selectFrom('enrichment_providers')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .where('kind', '=', 'http');
  if (lock) q = q.forUpdate();
  const row = await q.executeTakeFirst();
  if (!row) throw notFound('Enrichment provider');
  return row;
}

async function ensureNameFree(db: DbOrTx, ws: string, name: string, selfId?: string): Promise<void> {
  const other = await edb(db)
    .selectFrom('enrichment_providers')
    .select('id')
    .where('workspace_id', '=', ws)
    .where((eb) => eb(eb.fn('lower', ['name']), '=', name.toLowerCase()))
    .executeTakeFirst();
  if (other && other.id !== selfId)
    throw new AppError('already_exists', `A provider named ${name} already exists`, [{ path: 'name', message: 'Already used' }]);
}

/** The built-in provider first, then the workspace's providers oldest first. */
export async function listProviders(db: DbOrTx, ws: string): Promise<ProviderView[]> {
  const rows = await edb(db)
    .selectFrom('enrichment_providers')
    .selectAll()
    .where('workspace_id', '=', ws)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  const offline = rows.find((r) => r.kind === 'offline') ?? null;
  return [view(offline), ...rows.filter((r) => r.kind === 'http').map(view)];
}

export async function getProvider(db: DbOrTx, ws: string, id: string): Promise<ProviderView> {
  return id === OFFLINE ? view((await offlineRow(db, ws)) ?? null) : view(await httpRow(db, ws, id));
}

export async function createProvider(ctx: Ctx, actor: Actor, input: CreateProviderInput): Promise<ProviderView> {
  return ctx.db.transaction().execute(async (trx) => {
    await ensureNameFree(trx, actor.workspaceId, input.name);
    const now = ctx.clock.now();
    const row = await edb(trx)
      .insertInto('enrichment_providers')
      .values({
        id: newId(),
        workspace_id: actor.workspaceId,
        name: input.name,
        kind: 'http',
        config: JSON.stringify(input.config),
        enabled: input.enabled,
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, ctx.clock, actor, {
      action: 'enrichment_provider.created',
      entityType: 'enrichment_provider',
      entityId: row.id,
      after: auditOf(row),
    });
    return view(row);
  });
}

function invalid(error: z.ZodError, prefix: string): AppError {
  const details: ProblemDetail[] = error.issues.map((i) => ({ path: [prefix, ...i.path.map(String)].join('.'), message: i.message }));
  return new AppError('validation_failed', `The config is not valid: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`, details);
}

/** The stored http config with a change applied; masked values sent back keep what is stored. */
function mergeHttpConfig(stored: Record<string, unknown>, patch: NonNullable<UpdateProviderInput['config']>): Record<string, unknown> {
  const next: Record<string, unknown> = { ...stored };
  for (const key of ['object', 'method', 'fieldMap', 'confidence', 'timeoutMs', 'overwrite'] as const) {
    if (patch[key] !== undefined) next[key] = patch[key];
  }
  if (patch.url !== undefined && !(typeof stored.url === 'string' && patch.url === maskUrl(stored.url))) next.url = patch.url;
  if (patch.confidencePath === null) delete next.confidencePath;
  else if (patch.confidencePath !== undefined) next.confidencePath = patch.confidencePath;
  if (patch.headers) {
    const headers = { ...((stored.headers as Record<string, string> | undefined) ?? {}) };
    for (const [name, value] of Object.entries(patch.headers)) {
      const existing = Object.keys(headers).find((h) => h.toLowerCase() === name.toLowerCase());
      if (existing !== undefined && value === maskSecret(headers[existing] ?? '')) continue;
      if (existing !== undefined) delete headers[existing];
      if (value !== null) headers[name] = value;
    }
    next.headers = headers;
  }
  return next;
}

/**
 * Changes a provider. For the built-in one (`offline`) only `enabled` and `config.overwrite` can
 * change; its settings are stored on first change.
 */
export async function updateProvider(ctx: Ctx, actor: Actor, id: string, input: UpdateProviderInput): Promise<ProviderView> {
  return ctx.db.transaction().execute(async (trx) => {
    const now = ctx.clock.now();
    if (id === OFFLINE) {
      const extra = [
        ...(input.name !== undefined ? ['name'] : []),
        ...Object.keys(input.config ?? {})
          .filter((k) => k !== 'overwrite')
          .map((k) => `config.${k}`),
      ];
      if (extra.length)
        throw new AppError(
          'validation_failed',
          `The built-in offline provider has only enabled and config.overwrite to change, not ${extra.join(', ')}`,
          extra.map((path) => ({ path, message: 'Not a setting of the offline provider' })),
        );
      const before = await offlineRow(trx, actor.workspaceId, true);
      const parsed = offlineConfigSchema.safeParse({ overwrite: input.config?.overwrite ?? before?.config.overwrite ?? {} });
      if (!parsed.success) throw invalid(parsed.error, 'config');
      const values = { config: JSON.stringify(parsed.data), enabled: input.enabled ?? before?.enabled ?? true, updated_at: now };
      const row = before
        ? await edb(trx)
            .updateTable('enrichment_providers')
            .set(values)
            .where('id', '=', before.id)
            .returningAll()
            .executeTakeFirstOrThrow()
        : await edb(trx)
            .insertInto('enrichment_providers')
            .values({ id: newId(), workspace_id: actor.workspaceId, name: OFFLINE, kind: 'offline', created_at: now, ...values })
            .returningAll()
            .executeTakeFirstOrThrow();
      await recordAudit(trx, ctx.clock, actor, {
        action: 'enrichment_provider.updated',
        entityType: 'enrichment_provider',
        entityId: row.id,
        before: auditOf(before ?? null),
        after: auditOf(row),
      });
      return view(row);
    }
    const before = await httpRow(trx, actor.workspaceId, id, true);
    const set: { name?: string; enabled?: boolean; config?: string; updated_at: Date } = { updated_at: now };
    if (input.name !== undefined && input.name !== before.name) {
      await ensureNameFree(trx, actor.workspaceId, input.name, id);
      set.name = input.name;
    }
    if (input.enabled !== undefined) set.enabled = input.enabled;
    if (input.config) {
      const parsed = httpConfigSchema.safeParse(mergeHttpConfig(before.config, input.config));
      if (!parsed.success) throw invalid(parsed.error, 'config');
      set.config = JSON.stringify(parsed.data);
    }
    const row = await edb(trx).updateTable('enrichment_providers').set(set).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    await recordAudit(trx, ctx.clock, actor, {
      action: 'enrichment_provider.updated',
      entityType: 'enrichment_provider',
      entityId: id,
      before: auditOf(before),
      after: auditOf(row),
    });
    return view(row);
  });
}

/** Removes a provider; for `offline`, forgets its settings (it stays available, enabled). */
export async function deleteProvider(ctx: Ctx, actor: Actor, id: string): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    const before = id === OFFLINE ? await offlineRow(trx, actor.workspaceId, true) : await httpRow(trx, actor.workspaceId, id, true);
    if (!before) return;
    await edb(trx).deleteFrom('enrichment_providers').where('id', '=', before.id).execute();
    await recordAudit(trx, ctx.clock, actor, {
      action: 'enrichment_provider.deleted',
      entityType: 'enrichment_provider',
      entityId: before.id,
      before: auditOf(before),
    });
  });
}

/** A provider ready to run, with what the run needs to know about it. */
export interface RunnableProvider {
  id: string;
  name: string;
  kind: 'offline' | 'http';
  provider: EnrichmentProvider | null;
  /** Why it cannot run (its stored config no longer reads), when provider is null. */
  broken?: string;
  overwrite: Record<string, OverwriteMode>;
}

function runnable(row: Row | null): RunnableProvider {
  if (!row || row.kind === 'offline') {
    const overwrite = row ? (offlineConfigSchema.safeParse(row.config).data?.overwrite ?? {}) : {};
    return { id: OFFLINE, name: OFFLINE, kind: 'offline', provider: offlineProvider, overwrite };
  }
  const config = asHttpConfig(row);
  if (!config)
    return {
      id: row.id,
      name: row.name,
      kind: 'http',
      provider: null,
      broken: 'Its stored settings are not valid: edit them',
      overwrite: {},
    };
  return { id: row.id, name: row.name, kind: 'http', provider: httpProvider(config), overwrite: config.overwrite };
}

/**
 * The providers a run uses: the one asked for (even if switched off: asking for it by id is a
 * deliberate test), or else the offline one unless switched off, then every enabled http provider
 * for this object, oldest first.
 */
export async function providersForRun(db: DbOrTx, ws: string, object: ObjectName, providerId?: string): Promise<RunnableProvider[]> {
  if (providerId === OFFLINE) return [runnable((await offlineRow(db, ws)) ?? null)];
  if (providerId) return [runnable(await httpRow(db, ws, providerId))];
  const rows = await edb(db)
    .selectFrom('enrichment_providers')
    .selectAll()
    .where('workspace_id', '=', ws)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  const offline = rows.find((r) => r.kind === 'offline') ?? null;
  const out: RunnableProvider[] = offline && !offline.enabled ? [] : [runnable(offline)];
  for (const r of rows) {
    if (r.kind !== 'http' || !r.enabled) continue;
    if ((r.config as { object?: unknown }).object !== object) continue;
    out.push(runnable(r));
  }
  return out;
}
