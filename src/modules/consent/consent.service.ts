import { sql } from 'kysely';
import type { Actor } from '../../platform/actor.js';
import { recordAudit } from '../../platform/audit/audit.service.js';
import type { Clock } from '../../platform/clock.js';
import type { Db, DbOrTx } from '../../platform/db/database.js';
import { AppError, notFound } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { Consent, RecordConsentInput } from './consent.schema.js';
import type { z } from 'zod';
import type { consentEventSchema } from './consent.schema.js';

export interface Ctx {
  db: Db;
  clock: Clock;
}

type ConsentRow = {
  purpose: string;
  status: 'granted' | 'withdrawn';
  lawful_basis: string;
  double_opt_in: 'not_required' | 'pending' | 'confirmed';
  source: string;
  text_shown: string | null;
  changed_at: Date;
};

function view(r: ConsentRow): Consent {
  return {
    purpose: r.purpose,
    status: r.status,
    effective: r.status === 'granted' && r.double_opt_in !== 'pending',
    lawfulBasis: r.lawful_basis,
    doubleOptIn: r.double_opt_in,
    source: r.source,
    text: r.text_shown,
    changedAt: new Date(r.changed_at).toISOString(),
  };
}

async function liveContact(db: DbOrTx, ws: string, id: string): Promise<void> {
  const c = await db
    .selectFrom('contacts')
    .select('id')
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!c) throw notFound('Contact');
}

/**
 * Records a consent given or withdrawn. Every change is kept in the history; the current state
 * takes it only when it is not older than what is already there, so a late import of an old
 * opt-in never overrides a newer withdrawal. One transaction with its audit entry.
 */
export async function recordConsent(
  ctx: Ctx,
  actor: Actor,
  contactId: string,
  input: RecordConsentInput,
): Promise<{ consent: Consent; applied: boolean }> {
  const now = ctx.clock.now();
  const at = input.at ? new Date(input.at) : now;
  if (at.getTime() > now.getTime() + 60_000)
    throw new AppError('validation_failed', 'at is in the future', [{ path: 'at', message: 'in the future' }]);
  return ctx.db.transaction().execute(async (trx) => {
    await liveContact(trx, actor.workspaceId, contactId);
    const before = await trx
      .selectFrom('consents')
      .selectAll()
      .where('contact_id', '=', contactId)
      .where('purpose', '=', input.purpose)
      .forUpdate()
      .executeTakeFirst();
    const applied = !before || new Date(before.changed_at).getTime() <= at.getTime();
    await trx
      .insertInto('consent_events')
      .values({
        id: newId(),
        workspace_id: actor.workspaceId,
        contact_id: contactId,
        purpose: input.purpose,
        status: input.status,
        lawful_basis: input.lawfulBasis,
        double_opt_in: input.doubleOptIn,
        source: input.source,
        text_shown: input.text ?? null,
        ip: input.ip ?? null,
        user_agent: input.userAgent ?? null,
        actor: actor.label,
        at,
        recorded_at: now,
        applied,
      })
      .execute();
    const row: ConsentRow = {
      purpose: input.purpose,
      status: input.status,
      lawful_basis: input.lawfulBasis,
      double_opt_in: input.doubleOptIn,
      source: input.source,
      text_shown: input.text ?? null,
      changed_at: at,
    };
    if (applied) {
      await trx
        .insertInto('consents')
        .values({ workspace_id: actor.workspaceId, contact_id: contactId, ...row })
        .onConflict((oc) =>
          oc.columns(['contact_id', 'purpose']).doUpdateSet({
            status: row.status,
            lawful_basis: row.lawful_basis,
            double_opt_in: row.double_opt_in,
            source: row.source,
            text_shown: row.text_shown,
            changed_at: row.changed_at,
          }),
        )
        .execute();
    }
    await recordAudit(trx, ctx.clock, actor, {
      action: input.status === 'granted' ? 'consent.granted' : 'consent.withdrawn',
      entityType: 'contact',
      entityId: contactId,
      before: before ? { [input.purpose]: view(before) } : undefined,
      after: { [input.purpose]: { ...view(row), applied } },
    });
    return { consent: view(applied || !before ? row : before), applied };
  });
}

/** A contact's current consents and the history of changes, newest first. */
export async function contactConsents(
  db: DbOrTx,
  ws: string,
  contactId: string,
): Promise<{ current: Consent[]; history: z.infer<typeof consentEventSchema>[] }> {
  const c = await db.selectFrom('contacts').select('id').where('workspace_id', '=', ws).where('id', '=', contactId).executeTakeFirst();
  if (!c) throw notFound('Contact');
  const current = await db.selectFrom('consents').selectAll().where('contact_id', '=', contactId).orderBy('purpose').execute();
  const history = await db
    .selectFrom('consent_events')
    .selectAll()
    .where('contact_id', '=', contactId)
    .orderBy('at', 'desc')
    .orderBy('recorded_at', 'desc')
    .limit(200)
    .execute();
  return {
    current: current.map(view),
    history: history.map((h) => ({
      id: h.id,
      purpose: h.purpose,
      status: h.status,
      lawfulBasis: h.lawful_basis,
      doubleOptIn: h.double_opt_in,
      source: h.source,
      text: h.text_shown,
      ip: h.ip,
      userAgent: h.user_agent,
      actor: h.actor,
      at: new Date(h.at).toISOString(),
      recordedAt: new Date(h.recorded_at).toISOString(),
      applied: h.applied,
    })),
  };
}

/** Live contacts per purpose and state, for the compliance overview. */
export async function consentSummary(
  db: DbOrTx,
  ws: string,
): Promise<Array<{ purpose: string; granted: number; pending: number; withdrawn: number }>> {
  const r = await sql<{ purpose: string; granted: string; pending: string; withdrawn: string }>`
    select k.purpose,
      count(*) filter (where k.status = 'granted' and k.double_opt_in <> 'pending')::text as granted,
      count(*) filter (where k.status = 'granted' and k.double_opt_in = 'pending')::text as pending,
      count(*) filter (where k.status = 'withdrawn')::text as withdrawn
    from consents k join contacts c on c.id = k.contact_id
    where k.workspace_id = ${ws} and c.deleted_at is null
    group by k.purpose order by k.purpose`.execute(db);
  return r.rows.map((x) => ({
    purpose: x.purpose,
    granted: Number(x.granted),
    pending: Number(x.pending),
    withdrawn: Number(x.withdrawn),
  }));
}
