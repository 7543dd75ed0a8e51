import { jaroWinkler } from '@skyra/jaro-winkler';
import { sql } from 'kysely';
import type { Actor } from '../../platform/actor.js';
import { diff, recordAudit } from '../../platform/audit/audit.service.js';
import type { Clock } from '../../platform/clock.js';
import type { Db, DbOrTx } from '../../platform/db/database.js';
import { AppError, notFound } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import { accountDef, contactDef } from '../crm/crm-objects.js';
import { activeFields } from '../crm/custom-fields.service.js';
import { findRecord } from '../crm/records.repo.js';
import { applyUpdate } from '../crm/records.service.js';
import { emailFacts } from '../quality/normalise.js';
import { normaliseCompanyName } from './company-names.js';
import type { AccountMatch, MatchingRun, matchReasons, RunMatchingInput } from './enrichment.schema.js';
import { edb } from './enrichment.tables.js';

export interface Ctx {
  db: Db;
  clock: Clock;
}

type Reason = (typeof matchReasons)[number];

/**
 * How sure each kind of evidence makes us that a contact works at an account. The same email
 * domain is near proof (shared corporate domains are rare; free-mail domains are never used); a
 * subdomain of the account's domain (jo@uk.acme.com, account acme.com) nearly so; the same company
 * name after normalisation (legal forms, punctuation, case) is good evidence; a similar name
 * (Jaro-Winkler >= 0.92) is scaled from 0.6 to 0.8. Domain and name agreeing is 0.99.
 */
export const MATCH_CONFIDENCE = {
  domain: 0.95,
  parentDomain: 0.9,
  name: 0.85,
  domainAndName: 0.99,
  similarFloor: 0.6,
  similarCeiling: 0.8,
} as const;
export const SIMILAR_NAME_MIN = 0.92;

export interface NameCandidate {
  accountId: string;
  confidence: number;
  reason: Extract<Reason, 'name' | 'similar_name'>;
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

/** A Jaro-Winkler similarity at or above SIMILAR_NAME_MIN as a confidence between the floor and the ceiling. */
export function similarNameConfidence(similarity: number): number {
  const span = MATCH_CONFIDENCE.similarCeiling - MATCH_CONFIDENCE.similarFloor;
  return round3(MATCH_CONFIDENCE.similarFloor + ((similarity - SIMILAR_NAME_MIN) / (1 - SIMILAR_NAME_MIN)) * span);
}

/**
 * Account names, normalised and blocked for comparison. Similar names are only compared within
 * a block of the same first two characters (standard blocking in record linkage: a typo in the
 * first two letters is missed, in exchange for comparing thousands of names rather than millions
 * of pairs) and of lengths that can reach the threshold at all: Jaro-Winkler >= 0.92 needs
 * Jaro >= 0.867, which needs the shorter name to be at least 60 % of the longer.
 */
export class AccountNameIndex {
  private readonly exact = new Map<string, string[]>();
  private readonly blocks = new Map<string, Array<{ id: string; norm: string }>>();

  constructor(accounts: ReadonlyArray<{ id: string; name: string }>) {
    for (const a of accounts) {
      const norm = normaliseCompanyName(a.name);
      if (norm.length < 2) continue;
      this.exact.set(norm, [...(this.exact.get(norm) ?? []), a.id]);
      const key = norm.slice(0, 2);
      const block = this.blocks.get(key) ?? [];
      block.push({ id: a.id, norm });
      this.blocks.set(key, block);
    }
  }

  /** Accounts whose name is the same once normalised, else the most similar ones (ties kept). */
  candidates(company: string): NameCandidate[] {
    const norm = normaliseCompanyName(company);
    if (norm.length < 2) return [];
    const same = this.exact.get(norm);
    if (same) return same.map((accountId) => ({ accountId, confidence: MATCH_CONFIDENCE.name, reason: 'name' }));
    let best = 0;
    let ids: string[] = [];
    for (const a of this.blocks.get(norm.slice(0, 2)) ?? []) {
      const shorter = Math.min(a.norm.length, norm.length);
      const longer = Math.max(a.norm.length, norm.length);
      if (shorter < 0.6 * longer) continue;
      const s = jaroWinkler(norm, a.norm);
      if (s < SIMILAR_NAME_MIN || s < best) continue;
      if (s > best) {
        best = s;
        ids = [];
      }
      ids.push(a.id);
    }
    return ids.map((accountId) => ({ accountId, confidence: similarNameConfidence(best), reason: 'similar_name' }));
  }
}

async function liveAccounts(db: DbOrTx, ws: string): Promise<Array<{ id: string; name: string; domain: string | null }>> {
  return db
    .selectFrom('accounts')
    .select(['id', 'name', 'domain'])
    .where('workspace_id', '=', ws)
    .where('deleted_at', 'is', null)
    .execute();
}

/** Account domains that are free-mail domains (an account for gmail.com): never matched by domain. */
function freeMailDomains(accounts: ReadonlyArray<{ domain: string | null }>): string[] {
  return accounts.flatMap((a) => (a.domain && emailFacts(`x@${a.domain}`).free ? [a.domain] : []));
}

type CandidateRow = { contact_id: string; account_id: string; confidence: number; reason: Reason };

/**
 * Candidate (contact, account) pairs for the workspace's contacts that pass `contactWhere`, with
 * their confidence and reason, in one statement: the domain evidence is a join on the email's
 * domain (and its parent domain), the name evidence a join on the company names already matched in
 * `names`; pairs with both are combined.
 */
function candidatesSql(
  ws: string,
  free: string[],
  names: Array<{ company: string } & NameCandidate>,
  contactWhere: ReturnType<typeof sql>,
) {
  return sql<CandidateRow>`
    with u as (
      select c.id, split_part(c.email, '@', 2) as d, c.company
        from contacts c
       where c.workspace_id = ${ws} and c.deleted_at is null and ${contactWhere}
    ), evidence as (
      select u.id as contact_id, a.id as account_id, ${MATCH_CONFIDENCE.domain}::float8 as confidence, 'domain' as reason
        from u join accounts a on a.workspace_id = ${ws} and a.deleted_at is null and a.domain = u.d
       where u.d <> '' and a.domain <> all(${free}::text[])
      union all
      select u.id, a.id, ${MATCH_CONFIDENCE.parentDomain}::float8, 'parent_domain'
        from u join accounts a on a.workspace_id = ${ws} and a.deleted_at is null and a.domain = substr(u.d, strpos(u.d, '.') + 1)
       where strpos(u.d, '.') > 0 and a.domain <> all(${free}::text[])
      union all
      select u.id, m.account_id, m.confidence, m.reason
        from u join unnest(${names.map((n) => n.company)}::text[], ${names.map((n) => n.accountId)}::uuid[],
                           ${names.map((n) => n.confidence)}::float8[], ${names.map((n) => n.reason)}::text[])
             as m(company, account_id, confidence, reason) on u.company = m.company
    )
    select contact_id, account_id,
           case when bool_or(reason in ('domain', 'parent_domain')) and bool_or(reason in ('name', 'similar_name'))
                then ${MATCH_CONFIDENCE.domainAndName}::float8 else max(confidence) end as confidence,
           case when bool_or(reason in ('domain', 'parent_domain')) and bool_or(reason in ('name', 'similar_name'))
                then 'domain_and_name' else (array_agg(reason order by confidence desc))[1] end as reason
      from evidence
     group by contact_id, account_id`;
}

function nameCandidates(index: AccountNameIndex, companies: readonly string[]): Array<{ company: string } & NameCandidate> {
  return companies.flatMap((company) => index.candidates(company).map((c) => ({ company, ...c })));
}

/**
 * Matches every contact without an account against the workspace's accounts, stores the pairs
 * found (`suggested`; a pair a person rejected stays rejected), and links each contact whose best
 * match is at least `threshold` sure and not tied with another account. Links are written
 * set-based with the version bump and one audit entry per contact, in one transaction.
 */
export async function runAccountMatching(ctx: Ctx, actor: Actor, input: RunMatchingInput): Promise<MatchingRun> {
  const ws = actor.workspaceId;
  const now = ctx.clock.now();
  const accounts = await liveAccounts(ctx.db, ws);
  const index = new AccountNameIndex(accounts);
  const companies = (
    await sql<{ company: string }>`select distinct company from contacts
      where workspace_id = ${ws} and deleted_at is null and account_id is null and company is not null and company <> ''`.execute(ctx.db)
  ).rows.map((r) => r.company);
  const names = nameCandidates(index, companies);
  const free = freeMailDomains(accounts);

  return ctx.db.transaction().execute(async (trx) => {
    const checked = await sql<{ n: string }>`select count(*)::text as n from contacts
      where workspace_id = ${ws} and deleted_at is null and account_id is null`.execute(trx);
    // Suggestions an earlier run left that this run does not find again no longer hold.
    await sql`delete from account_matches where workspace_id = ${ws} and status = 'suggested' and found_at < ${now}`.execute(trx);
    const found = candidatesSql(ws, free, names, sql`c.account_id is null`);
    await sql`insert into account_matches (workspace_id, contact_id, account_id, confidence, reason, status, found_at)
      select ${ws}, f.contact_id, f.account_id, f.confidence, f.reason, 'suggested', ${now} from (${found}) f
      on conflict (contact_id, account_id) do update
        set confidence = excluded.confidence, reason = excluded.reason, found_at = excluded.found_at
        where account_matches.status = 'suggested'`.execute(trx);
    const picked = await sql<{ contact_id: string; account_id: string; confidence: number; reason: string }>`
      select contact_id, account_id, confidence, reason from (
        select m.contact_id, m.account_id, m.confidence, m.reason,
               rank() over (partition by m.contact_id order by m.confidence desc) as r,
               count(*) over (partition by m.contact_id, m.confidence) as n
          from account_matches m
         where m.workspace_id = ${ws} and m.status = 'suggested' and m.found_at = ${now}
      ) t where r = 1 and n = 1 and confidence >= ${input.threshold}`.execute(trx);
    let linked = 0;
    if (picked.rows.length) {
      const byContact = new Map(picked.rows.map((p) => [p.contact_id, p]));
      const updated = await sql<{ id: string; account_id: string }>`
        update contacts c set account_id = p.account_id, version = c.version + 1, updated_at = ${now}
          from unnest(${picked.rows.map((p) => p.contact_id)}::uuid[], ${picked.rows.map((p) => p.account_id)}::uuid[]) as p(contact_id, account_id)
         where c.id = p.contact_id and c.workspace_id = ${ws} and c.account_id is null and c.deleted_at is null
        returning c.id, c.account_id`.execute(trx);
      linked = updated.rows.length;
      if (linked) {
        // The audit entries recordAudit would write, one per contact, in one statement.
        const changes = updated.rows.map((u) => {
          const p = byContact.get(u.id);
          return JSON.stringify({
            ...diff({ accountId: null }, { accountId: u.account_id }),
            _meta: { confidence: p?.confidence, reason: p?.reason, threshold: input.threshold, automatic: true },
          });
        });
        await sql`insert into audit_log (id, workspace_id, occurred_at, actor_type, actor_id, actor_label, action, entity_type, entity_id, changes, ip, request_id)
          select x.id, ${ws}, ${now}, ${actor.type}, ${actor.id}, ${actor.label}, 'contact.account_matched', 'contact', x.entity_id, x.changes, ${actor.ip ?? null}, ${actor.requestId ?? null}
            from unnest(${updated.rows.map(() => newId())}::uuid[], ${updated.rows.map((u) => u.id)}::text[], ${changes}::jsonb[]) as x(id, entity_id, changes)`.execute(
          trx,
        );
        await sql`update account_matches m set status = 'linked', decided_by = ${`auto (${actor.label})`}, decided_at = ${now}
          from unnest(${updated.rows.map((u) => u.id)}::uuid[], ${updated.rows.map((u) => u.account_id)}::uuid[]) as p(contact_id, account_id)
         where m.contact_id = p.contact_id and m.account_id = p.account_id`.execute(trx);
      }
    }
    const suggested = await sql<{ n: string }>`select count(distinct m.contact_id)::text as n
      from account_matches m join contacts c on c.id = m.contact_id
     where m.workspace_id = ${ws} and m.status = 'suggested' and m.found_at = ${now} and c.account_id is null`.execute(trx);
    return { contacts: Number(checked.rows[0]?.n ?? 0), linked, suggested: Number(suggested.rows[0]?.n ?? 0) };
  });
}

type StoredMatch = {
  account_id: string;
  confidence: number;
  reason: string;
  status: 'suggested' | 'linked' | 'rejected';
  decided_by: string | null;
  decided_at: Date | null;
};

/** The candidates for one contact, computed now, each with what was decided about it so far. */
async function contactMatches(db: DbOrTx, ws: string, contactId: string): Promise<{ accountId: string | null; matches: AccountMatch[] }> {
  const contact = await findRecord(db, contactDef, ws, contactId);
  if (!contact || contact.deleted_at) throw notFound('Contact');
  const company = typeof contact.company === 'string' ? contact.company : '';
  const accounts = company ? await liveAccounts(db, ws) : [];
  const names = company ? nameCandidates(new AccountNameIndex(accounts), [company]) : [];
  const domain = typeof contact.email === 'string' ? contact.email.slice(contact.email.lastIndexOf('@') + 1) : '';
  const free = [domain, domain.slice(domain.indexOf('.') + 1)].filter((d) => d.includes('.') && emailFacts(`x@${d}`).free);
  const live = (await candidatesSql(ws, free, names, sql`c.id = ${contactId}`).execute(db)).rows;
  const stored = await edb(db)
    .selectFrom('account_matches')
    .select(['account_id', 'confidence', 'reason', 'status', 'decided_by', 'decided_at'])
    .where('workspace_id', '=', ws)
    .where('contact_id', '=', contactId)
    .execute();
  const storedBy = new Map<string, StoredMatch>(stored.map((s) => [s.account_id, s]));
  const linkedTo = typeof contact.account_id === 'string' ? contact.account_id : null;
  const rows = new Map<string, { confidence: number; reason: string; stored?: StoredMatch }>();
  for (const c of live) rows.set(c.account_id, { confidence: c.confidence, reason: c.reason, stored: storedBy.get(c.account_id) });
  // Decisions about pairs that no longer match (the account was renamed) are still shown; a
  // suggestion that no longer holds is not.
  for (const s of stored) if (!rows.has(s.account_id) && s.status !== 'suggested') rows.set(s.account_id, { ...s, stored: s });
  if (rows.size === 0) return { accountId: linkedTo, matches: [] };
  const info = await db
    .selectFrom('accounts')
    .select(['id', 'name', 'domain'])
    .where('workspace_id', '=', ws)
    .where('deleted_at', 'is', null)
    .where('id', 'in', [...rows.keys()])
    .execute();
  const matches: AccountMatch[] = info.map((a) => {
    const r = rows.get(a.id);
    const s = r?.stored;
    const status = a.id === linkedTo ? 'linked' : s && s.status !== 'linked' ? s.status : 'suggested';
    return {
      accountId: a.id,
      accountName: a.name,
      accountDomain: a.domain,
      confidence: round3(r?.confidence ?? 0),
      reason: (r?.reason ?? 'name') as Reason,
      status,
      decidedBy: s?.decided_by ?? null,
      decidedAt: s?.decided_at ? new Date(s.decided_at).toISOString() : null,
    };
  });
  matches.sort((x, y) => y.confidence - x.confidence || x.accountName.localeCompare(y.accountName));
  return { accountId: linkedTo, matches };
}

export async function listContactMatches(db: DbOrTx, ws: string, contactId: string): Promise<AccountMatch[]> {
  return (await contactMatches(db, ws, contactId)).matches;
}

/**
 * A person's decision on a match. Accepting makes the account the contact's account (through the
 * records service: version, audit, segment triggers); rejecting keeps the pair out of every later
 * suggestion and, if it was the contact's account, unlinks it.
 */
export async function decideMatch(
  ctx: Ctx,
  actor: Actor,
  contactId: string,
  accountId: string,
  decision: 'accept' | 'reject',
): Promise<AccountMatch> {
  const ws = actor.workspaceId;
  const { matches } = await contactMatches(ctx.db, ws, contactId);
  const match = matches.find((m) => m.accountId === accountId);
  if (!match) {
    if (!(await findRecord(ctx.db, accountDef, ws, accountId))) throw notFound('Account');
    throw new AppError('not_found', 'This account is not a match for this contact: link it by editing the contact instead');
  }
  return ctx.db.transaction().execute(async (trx) => {
    const before = await findRecord(trx, contactDef, ws, contactId, { forUpdate: true });
    if (!before || before.deleted_at) throw notFound('Contact');
    const now = ctx.clock.now();
    const status = decision === 'accept' ? 'linked' : 'rejected';
    const action = decision === 'accept' ? 'contact.account_match_accepted' : 'contact.account_match_rejected';
    const fields = await activeFields(trx, ws, 'contact');
    let changed = false;
    if (decision === 'accept' && before.account_id !== accountId) {
      changed = (await applyUpdate(trx, ctx.clock, actor, contactDef, before, { accountId }, fields, action)) !== before;
    } else if (decision === 'reject' && before.account_id === accountId) {
      changed = (await applyUpdate(trx, ctx.clock, actor, contactDef, before, { accountId: null }, fields, action)) !== before;
    }
    if (!changed) {
      await recordAudit(trx, ctx.clock, actor, {
        action,
        entityType: 'contact',
        entityId: contactId,
        meta: { accountId, confidence: match.confidence, reason: match.reason },
      });
    }
    if (decision === 'accept') {
      // One linked account per contact: an earlier accepted match is a suggestion again.
      await edb(trx)
        .updateTable('account_matches')
        .set({ status: 'suggested', decided_by: null, decided_at: null })
        .where('contact_id', '=', contactId)
        .where('status', '=', 'linked')
        .where('account_id', '!=', accountId)
        .execute();
    }
    await edb(trx)
      .insertInto('account_matches')
      .values({
        workspace_id: ws,
        contact_id: contactId,
        account_id: accountId,
        confidence: match.confidence,
        reason: match.reason,
        status,
        found_at: now,
        decided_by: actor.label,
        decided_at: now,
      })
      .onConflict((oc) => oc.columns(['contact_id', 'account_id']).doUpdateSet({ status, decided_by: actor.label, decided_at: now }))
      .execute();
    return { ...match, status, decidedBy: actor.label, decidedAt: now.toISOString() };
  });
}
