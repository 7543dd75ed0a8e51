import type { Actor } from '../actor.js';
import type { Clock } from '../clock.js';
import { sql } from 'kysely';
import type { DbOrTx } from '../db/database.js';
import { decodeCursor, toPage, type Page } from '../http/pagination.js';
import { newId } from '../ids.js';
import type { AuditEntry, AuditQuery } from './audit.schema.js';

const SECRET_FIELDS = new Set(['password', 'password_hash', 'passwordHash', 'key_hash', 'keyHash', 'token_hash', 'csrf_token', 'key']);

type Row = Record<string, unknown>;

function normalise(v: unknown): unknown {
  return v instanceof Date ? v.toISOString() : v;
}

/** Field-level diff: {field: {from, to}}, secrets replaced by a marker that they changed. */
export function diff(before: Row | null | undefined, after: Row | null | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  for (const k of keys) {
    const from = normalise(before?.[k]);
    const to = normalise(after?.[k]);
    if (JSON.stringify(from) === JSON.stringify(to)) continue;
    if (SECRET_FIELDS.has(k)) {
      out[k] = { changed: true };
      continue;
    }
    const change: Record<string, unknown> = {};
    if (before) change.from = from ?? null;
    if (after) change.to = to ?? null;
    out[k] = change;
  }
  return out;
}

export interface AuditInput {
  action: string;
  entityType: string;
  entityId?: string | null;
  before?: Row | null;
  after?: Row | null;
  /** Extra facts about the change that are not field values (e.g. a revoked key's name). */
  meta?: Row;
}

/** Writes one audit row. Call it with the transaction that makes the change. */
/**
 * Describes the rest of the transaction's writes to database triggers that keep history of their
 * own (lifecycle stage changes, migration 0024): who (`keel.actor`), why (`keel.stage_reason`;
 * default "set on the contact record"), and whether entering a routing stage routes the contact
 * (`keel.stage_routing`; imports, merges and undos say no). Transaction-local.
 */
export async function triggerContext(trx: DbOrTx, ctx: { actor: Pick<Actor, 'label'>; reason?: string; route?: boolean }): Promise<void> {
  await sql`select set_config('keel.actor', ${ctx.actor.label}, true), set_config('keel.stage_reason', ${ctx.reason ?? ''}, true),
    set_config('keel.stage_routing', ${ctx.route === false ? 'off' : 'on'}, true)`.execute(trx);
}

export async function recordAudit(db: DbOrTx, clock: Clock, actor: Actor, input: AuditInput): Promise<void> {
  const changes = diff(input.before, input.after);
  if (input.meta) changes._meta = input.meta;
  await db
    .insertInto('audit_log')
    .values({
      id: newId(),
      workspace_id: actor.workspaceId,
      occurred_at: clock.now(),
      actor_type: actor.type,
      actor_id: actor.id,
      actor_label: actor.label,
      action: input.action,
      entity_type: input.entityType,
      entity_id: input.entityId ?? null,
      changes: JSON.stringify(changes),
      ip: actor.ip ?? null,
      request_id: actor.requestId ?? null,
    })
    .execute();
}

export async function listAudit(db: DbOrTx, workspaceId: string, q: AuditQuery): Promise<Page<AuditEntry>> {
  const after = decodeCursor(q.cursor);
  let query = db.selectFrom('audit_log').selectAll().where('workspace_id', '=', workspaceId);
  if (after) query = query.where('id', '<', after);
  if (q.actor) {
    const actor = q.actor;
    query = query.where((eb) => eb.or([eb('actor_id', '=', actor), eb('actor_label', '=', actor)]));
  }
  if (q.entityType) query = query.where('entity_type', '=', q.entityType);
  if (q.entityId) query = query.where('entity_id', '=', q.entityId);
  if (q.action) query = query.where('action', '=', q.action);
  if (q.from) query = query.where('occurred_at', '>=', new Date(q.from));
  if (q.to) query = query.where('occurred_at', '<', new Date(q.to));
  const rows = await query
    .orderBy('id', 'desc')
    .limit(q.limit + 1)
    .execute();
  return toPage(
    rows.map((r) => ({
      id: r.id,
      occurredAt: r.occurred_at.toISOString(),
      actorType: r.actor_type as AuditEntry['actorType'],
      actorId: r.actor_id,
      actorLabel: r.actor_label,
      action: r.action,
      entityType: r.entity_type,
      entityId: r.entity_id,
      changes: r.changes as unknown as Record<string, unknown>,
      ip: r.ip,
      requestId: r.request_id,
    })),
    q.limit,
  );
}
