import { createHmac, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { DbOrTx } from '../../platform/db/database.js';
import { normaliseEmail } from '../crm/field-types.js';

/**
 * The suppression list: erased people kept only as an HMAC-SHA256 of their normalised email with
 * a per-workspace salt, so an address can be recognised and refused, never read back.
 */
async function saltFor(db: DbOrTx, ws: string): Promise<string> {
  const hit = await db.selectFrom('privacy_salts').select('salt').where('workspace_id', '=', ws).executeTakeFirst();
  if (hit) return hit.salt;
  await db
    .insertInto('privacy_salts')
    .values({ workspace_id: ws, salt: randomBytes(32).toString('hex') })
    .onConflict((oc) => oc.doNothing())
    .execute();
  const row = await db.selectFrom('privacy_salts').select('salt').where('workspace_id', '=', ws).executeTakeFirstOrThrow();
  return row.salt;
}

export async function emailHash(db: DbOrTx, ws: string, email: string): Promise<string> {
  return createHmac('sha256', await saltFor(db, ws))
    .update(normaliseEmail(email))
    .digest('hex');
}

/** Which of these emails (normalised) belong to erased people. */
export async function suppressedEmails(db: DbOrTx, ws: string, emails: readonly string[]): Promise<Set<string>> {
  if (emails.length === 0) return new Set();
  const any = await db.selectFrom('suppressions').select('hash').where('workspace_id', '=', ws).limit(1).executeTakeFirst();
  if (!any) return new Set();
  const salt = await saltFor(db, ws);
  const byHash = new Map(emails.map((e) => [createHmac('sha256', salt).update(normaliseEmail(e)).digest('hex'), normaliseEmail(e)]));
  const rows = await db
    .selectFrom('suppressions')
    .select('hash')
    .where('workspace_id', '=', ws)
    .where('kind', '=', 'email')
    .where('hash', 'in', [...byHash.keys()])
    .execute();
  return new Set(rows.map((r) => byHash.get(r.hash) ?? ''));
}

export async function isSuppressed(db: DbOrTx, ws: string, email: string): Promise<boolean> {
  return (await suppressedEmails(db, ws, [email])).size > 0;
}

/**
 * Writers that can create a contact hold this lock shared for their transaction; an erasure holds
 * it exclusively. So an import batch in flight finishes before an erasure starts, and every batch
 * after it sees the suppression: a person erased mid-import is not created again.
 */
export async function erasureLock(trx: DbOrTx, ws: string, mode: 'shared' | 'exclusive'): Promise<void> {
  const key = sql`hashtextextended(${`erasure:${ws}`}, 0)`;
  if (mode === 'shared') await sql`select pg_advisory_xact_lock_shared(${key})`.execute(trx);
  else await sql`select pg_advisory_xact_lock(${key})`.execute(trx);
}

export const SUPPRESSED_MESSAGE = 'This person asked to be erased: their email cannot be added again';
