import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'kysely';
import { edb } from '../enrichment/enrichment.tables.js';
import { rdb } from '../routing/routing.tables.js';
import { sdb } from '../scoring/scoring.tables.js';
import type { Actor } from '../../platform/actor.js';
import { recordAudit } from '../../platform/audit/audit.service.js';
import type { Clock } from '../../platform/clock.js';
import type { Db, DbOrTx } from '../../platform/db/database.js';
import { notFound } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import { contactConsents } from '../consent/consent.service.js';
import { contactDef } from '../crm/crm-objects.js';
import { activeFields } from '../crm/custom-fields.service.js';
import { externalIdsFor, selectList, toRecordView, type RecordRow } from '../crm/records.repo.js';
import { contactSegments, membershipHistory } from '../segments/segments.history.js';
import { forgetDeferredLinks } from '../tracking/tracking.jobs.js';
import { emailHash, erasureLock } from './suppression.js';

export interface Ctx {
  db: Db;
  clock: Clock;
  /** Where import files live (KEEL_FILES_DIR): an erasure removes the uploads that hold the person. */
  filesDir?: string;
}

/** Most events a subject-access export lists (the count says when there are more). */
const MAX_EXPORT_EVENTS = 50_000;

async function contactRow(db: DbOrTx, ws: string, id: string): Promise<RecordRow> {
  const r = await sql<RecordRow>`select ${selectList(contactDef)} from contacts r where r.workspace_id = ${ws} and r.id = ${id}`.execute(
    db,
  );
  const row = r.rows[0];
  if (!row) throw notFound('Contact');
  return row;
}

/** The contact's profiles, and the profiles folded into them. */
async function profilesOf(db: DbOrTx, contactId: string): Promise<string[]> {
  const own = await db.selectFrom('profiles').select('id').where('contact_id', '=', contactId).execute();
  const ids = own.map((p) => p.id);
  if (ids.length === 0) return [];
  const folded = await db.selectFrom('profiles').select('id').where('merged_into', 'in', ids).execute();
  return [...ids, ...folded.map((p) => p.id)];
}

/**
 * Subject access: everything Keel holds on one person, as one JSON document — the record (with the
 * raw values it was given), consents and their history, identities and merges, every tracked event
 * and touchpoint, segments, lists and their history, the audit trail of changes to the record, the
 * imports that touched it, where enriched values came from, account matches, duplicate merges (with
 * the merged records), scores with their explanations, lifecycle history and lead assignments.
 */
export async function personalData(db: DbOrTx, ws: string, contactId: string, now: Date): Promise<Record<string, unknown>> {
  const row = await contactRow(db, ws, contactId);
  const fields = await activeFields(db, ws, 'contact');
  const ext = await externalIdsFor(db, [row.id]);
  const contact = toRecordView(contactDef, row, ext.get(row.id) ?? {}, new Set(fields.map((f) => f.key)));
  const profiles = await profilesOf(db, contactId);
  const events = profiles.length
    ? await db
        .selectFrom('events')
        .select([
          'id',
          'type',
          'event',
          'name',
          'message_id',
          'anonymous_id',
          'user_id',
          'ts',
          'received_at',
          'properties',
          'traits',
          'context',
        ])
        .where('profile_id', 'in', profiles)
        .orderBy('ts', 'desc')
        .limit(MAX_EXPORT_EVENTS + 1)
        .execute()
    : [];
  const touchpoints = profiles.length
    ? await db.selectFrom('touchpoints').selectAll().where('profile_id', 'in', profiles).orderBy('ts', 'desc').execute()
    : [];
  const identities = profiles.length
    ? await db.selectFrom('identities').select(['kind', 'value', 'first_seen_at']).where('profile_id', 'in', profiles).execute()
    : [];
  const merges = profiles.length
    ? await db
        .selectFrom('profile_merges')
        .select(['from_profile', 'into_profile', 'reason', 'merged_at'])
        .where((eb) => eb.or([eb('from_profile', 'in', profiles), eb('into_profile', 'in', profiles)]))
        .execute()
    : [];
  const audit = await db
    .selectFrom('audit_log')
    .select(['occurred_at', 'actor_label', 'action', 'changes'])
    .where('workspace_id', '=', ws)
    .where('entity_id', '=', contactId)
    .orderBy('occurred_at', 'desc')
    .execute();
  const imports = await db
    .selectFrom('import_changes as c')
    .innerJoin('imports as i', 'i.id', 'c.import_id')
    .select(['i.id', 'i.file_name', 'i.created_at', 'c.op'])
    .where('c.record_id', '=', contactId)
    .execute();
  const provenance = await edb(db)
    .selectFrom('field_provenance')
    .select(['field', 'source', 'value', 'confidence', 'at'])
    .where('workspace_id', '=', ws)
    .where('record_id', '=', contactId)
    .orderBy('field')
    .execute();
  const accountMatches = await edb(db)
    .selectFrom('account_matches as m')
    .innerJoin('accounts as a', 'a.id', 'm.account_id')
    .select(['m.account_id', 'a.name', 'm.confidence', 'm.reason', 'm.status', 'm.found_at', 'm.decided_by', 'm.decided_at'])
    .where('m.workspace_id', '=', ws)
    .where('m.contact_id', '=', contactId)
    .orderBy('m.confidence', 'desc')
    .execute();
  // Duplicate merges this person took part in, with the merged records as they were.
  const recordMerges = await db
    .selectFrom('merges')
    .select(['id', 'survivor_id', 'loser_ids', 'chosen', 'losers', 'auto', 'actor', 'merged_at', 'undone_at'])
    .where('workspace_id', '=', ws)
    .where('object', '=', 'contact')
    .where((eb) => eb.or([eb('survivor_id', '=', contactId), sql<boolean>`${contactId}::uuid = any(loser_ids)`]))
    .orderBy('merged_at', 'desc')
    .execute();
  const scores = await sdb(db)
    .selectFrom('contact_scores as s')
    .innerJoin('scoring_models as m', 'm.id', 's.model_id')
    .select(['m.name', 's.score', 's.band', 's.explanation', 's.computed_at'])
    .where('s.workspace_id', '=', ws)
    .where('s.contact_id', '=', contactId)
    .execute();
  const lifecycle = await rdb(db)
    .selectFrom('lifecycle_history')
    .select(['from_stage', 'to_stage', 'reason', 'actor', 'at'])
    .where('workspace_id', '=', ws)
    .where('contact_id', '=', contactId)
    .orderBy('at', 'desc')
    .execute();
  const assignments = await rdb(db)
    .selectFrom('lead_assignments')
    .select(['owner_id', 'queue', 'status', 'assigned_at', 'accepted_at', 'rejected_at', 'reject_reason', 'released_at'])
    .where('workspace_id', '=', ws)
    .where('contact_id', '=', contactId)
    .orderBy('assigned_at', 'desc')
    .execute();
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  const consent = await contactConsents(db, ws, contactId);
  const memberships = await contactSegments(db, ws, contactId);
  const history = await membershipHistory(db, ws, { contactId }, { limit: 200 });
  return {
    exportedAt: now.toISOString(),
    contact,
    consents: consent.current,
    consentHistory: consent.history,
    identities: identities.map((i) => ({ kind: i.kind, value: i.value, firstSeenAt: i.first_seen_at.toISOString() })),
    profileMerges: merges.map((m) => ({ from: m.from_profile, into: m.into_profile, reason: m.reason, at: m.merged_at.toISOString() })),
    events: events.slice(0, MAX_EXPORT_EVENTS).map((e) => ({
      id: e.id,
      type: e.type,
      event: e.event,
      name: e.name,
      messageId: e.message_id,
      anonymousId: e.anonymous_id,
      userId: e.user_id,
      timestamp: e.ts.toISOString(),
      receivedAt: e.received_at.toISOString(),
      properties: e.properties,
      traits: e.traits,
      context: e.context,
    })),
    eventsTruncated: events.length > MAX_EXPORT_EVENTS,
    touchpoints: touchpoints.map((t) => ({
      timestamp: t.ts.toISOString(),
      channel: t.channel,
      source: t.source,
      medium: t.medium,
      campaign: t.campaign,
      referrer: t.referrer,
      landingPage: t.landing_page,
    })),
    segments: memberships.segments,
    lists: memberships.lists,
    segmentHistory: history.data.map(({ segmentName, change, reason, at }) => ({ segment: segmentName, change, reason, at })),
    changes: audit.map((a) => ({ at: a.occurred_at.toISOString(), by: a.actor_label, action: a.action, changes: a.changes })),
    imports: imports.map((i) => ({ importId: i.id, fileName: i.file_name, at: i.created_at.toISOString(), op: i.op })),
    // Where enriched or normalised values came from.
    provenance: provenance.map((p) => ({
      field: p.field,
      source: p.source,
      value: p.value,
      confidence: p.confidence,
      at: p.at.toISOString(),
    })),
    accountMatches: accountMatches.map((m) => ({
      accountId: m.account_id,
      accountName: m.name,
      confidence: m.confidence,
      reason: m.reason,
      status: m.status,
      foundAt: m.found_at.toISOString(),
      decidedBy: m.decided_by,
      decidedAt: iso(m.decided_at),
    })),
    recordMerges: recordMerges.map((m) => ({
      mergeId: m.id,
      survivorId: m.survivor_id,
      mergedIds: m.loser_ids,
      chosen: m.chosen,
      mergedRecords: m.losers,
      automatic: m.auto,
      by: m.actor,
      at: m.merged_at.toISOString(),
      undoneAt: iso(m.undone_at),
    })),
    scores: scores.map((s) => ({
      model: s.name,
      score: s.score,
      band: s.band,
      explanation: s.explanation,
      at: s.computed_at.toISOString(),
    })),
    lifecycleHistory: lifecycle.map((h) => ({ from: h.from_stage, to: h.to_stage, reason: h.reason, by: h.actor, at: h.at.toISOString() })),
    leadAssignments: assignments.map((a) => ({
      ownerId: a.owner_id,
      queue: a.queue,
      status: a.status,
      assignedAt: a.assigned_at.toISOString(),
      acceptedAt: iso(a.accepted_at),
      rejectedAt: iso(a.rejected_at),
      rejectReason: a.reject_reason,
      releasedAt: iso(a.released_at),
    })),
  };
}

export interface ErasureReport {
  id: string;
  contactId: string;
  at: string;
  requestedBy: string;
  /** Rows removed or redacted, per table. */
  removed: Record<string, number>;
  suppressed: boolean;
}

/**
 * Erasure: removes the person's personal data from every table in one transaction, keeps a salted
 * hash of the email on the suppression list (never imported or created again), and records a
 * report of what was removed (counts, no personal data). Records that mention the person inside a
 * larger document (audit entries, import previews, stored API answers, tracking-plan examples) have
 * that part replaced by "[erased]" (`keel_erase_jsonb`).
 */
/** Removes one contact's personal data from every table (within the caller's transaction). */
async function eraseOne(
  trx: DbOrTx,
  ctx: Ctx,
  ws: string,
  contactId: string,
  removed: Record<string, number>,
  found: string[],
  foundProfiles: string[],
): Promise<boolean> {
  const row = await contactRow(trx, ws, contactId);
  const raw = (row.raw as Record<string, string> | undefined) ?? {};
  // Strong identifiers: redacted wherever they appear. Names only where tied to the record.
  const needles = [row.email, row.phone, raw.phone].filter((x): x is string => typeof x === 'string' && x.length >= 5);
  found.push(...needles);
  const like = needles.map((n) => `%${n.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  const profiles = await profilesOf(trx, contactId);
  foundProfiles.push(...profiles);
  const del = async (name: string, r: Promise<unknown>) => {
    const out = (await r) as
      | { numDeletedRows?: bigint; numUpdatedRows?: bigint; numAffectedRows?: bigint }
      | Array<{ numDeletedRows?: bigint; numUpdatedRows?: bigint }>;
    const one = Array.isArray(out) ? out[0] : out;
    const n = Number(one?.numDeletedRows ?? one?.numUpdatedRows ?? (one && 'numAffectedRows' in one ? one.numAffectedRows : 0) ?? 0);
    if (n > 0) removed[name] = (removed[name] ?? 0) + n;
  };
  if (profiles.length) {
    await del('events', sql`delete from events where profile_id = any(${profiles}::uuid[])`.execute(trx));
    await del('touchpoints', trx.deleteFrom('touchpoints').where('profile_id', 'in', profiles).execute());
    await del('identities', trx.deleteFrom('identities').where('profile_id', 'in', profiles).execute());
    await del(
      'profile_merges',
      trx
        .deleteFrom('profile_merges')
        .where((eb) => eb.or([eb('from_profile', 'in', profiles), eb('into_profile', 'in', profiles)]))
        .execute(),
    );
    await trx.updateTable('profiles').set({ merged_into: null }).where('id', 'in', profiles).execute();
    await del('profiles', trx.deleteFrom('profiles').where('id', 'in', profiles).execute());
  }
  // Stored counts follow the memberships that go with the contact.
  await sql`update lists l set member_count = l.member_count - 1 from list_members m where m.list_id = l.id and m.contact_id = ${contactId}`.execute(
    trx,
  );
  await sql`update segments s set member_count = s.member_count - 1 from segment_members m where m.segment_id = s.id and m.contact_id = ${contactId}`.execute(
    trx,
  );
  await del('list_members', trx.deleteFrom('list_members').where('contact_id', '=', contactId).execute());
  await del('segment_members', trx.deleteFrom('segment_members').where('contact_id', '=', contactId).execute());
  await del('segment_membership_log', trx.deleteFrom('segment_membership_log').where('contact_id', '=', contactId).execute());
  await del('consent_events', trx.deleteFrom('consent_events').where('contact_id', '=', contactId).execute());
  await del('consents', trx.deleteFrom('consents').where('contact_id', '=', contactId).execute());
  await del('account_contacts', trx.deleteFrom('account_contacts').where('contact_id', '=', contactId).execute());
  await del('external_ids', trx.deleteFrom('external_ids').where('record_id', '=', contactId).execute());
  await del('import_changes', trx.deleteFrom('import_changes').where('record_id', '=', contactId).execute());
  await del(
    'audit_log (entries about the record)',
    sql`update audit_log set changes = '{"erased": true}'::jsonb where workspace_id = ${ws} and entity_id = ${contactId} and changes <> '{"erased": true}'::jsonb`.execute(
      trx,
    ),
  );
  if (like.length) {
    const redact = async (name: string, table: string, column: string, scope: ReturnType<typeof sql>) =>
      del(
        name,
        sql`update ${sql.table(table)} set ${sql.id(column)} = keel_erase_jsonb(${sql.id(column)}, ${needles}::text[])
            where ${scope} and ${sql.id(column)}::text like any(${like}::text[])`.execute(trx),
      );
    await redact('audit_log (mentions)', 'audit_log', 'changes', sql`workspace_id = ${ws}`);
    await redact('idempotency_keys', 'idempotency_keys', 'body', sql`workspace_id = ${ws}`);
    await redact('imports (samples)', 'imports', 'sample', sql`workspace_id = ${ws}`);
    await redact('imports (dry runs)', 'imports', 'dry_run', sql`workspace_id = ${ws}`);
    await redact('event_stats (examples)', 'event_stats', 'examples', sql`workspace_id = ${ws}`);
    await redact('bulk_operations', 'bulk_operations', 'params', sql`workspace_id = ${ws}`);
  }
  await del('segment_queue', trx.deleteFrom('segment_queue').where('contact_id', '=', contactId).execute());
  await trx.updateTable('profiles').set({ contact_id: null }).where('contact_id', '=', contactId).execute();
  // Duplicate detection and merges hold the person's values (merge snapshots) and ids.
  await del(
    'merges',
    sql`delete from merges where workspace_id = ${ws} and (survivor_id = ${contactId} or ${contactId}::uuid = any(loser_ids))`.execute(trx),
  );
  await del(
    'duplicate_pairs',
    sql`delete from duplicate_pairs where workspace_id = ${ws} and (a_id = ${contactId} or b_id = ${contactId})`.execute(trx),
  );
  await trx.deleteFrom('dedupe_keys').where('record_id', '=', contactId).execute();
  await trx.deleteFrom('dedupe_queue').where('record_id', '=', contactId).execute();
  await del('contacts', trx.deleteFrom('contacts').where('id', '=', contactId).execute());
  if (row.email && typeof row.email === 'string') {
    await trx
      .insertInto('suppressions')
      .values({
        workspace_id: ws,
        kind: 'email',
        hash: await emailHash(trx, ws, row.email),
        reason: 'erasure',
        created_at: ctx.clock.now(),
      })
      .onConflict((oc) => oc.doNothing())
      .execute();
    return true;
  }
  return false;
}

/** Whether a file holds any of the needles, as UTF-8/Latin-1 bytes or as UTF-16 (case-insensitive for ASCII). */
async function fileHolds(file: string, needles: readonly string[]): Promise<boolean> {
  const pats = needles.flatMap((n) => [Buffer.from(n.toLowerCase(), 'utf8'), Buffer.from(n.toLowerCase(), 'utf16le')]);
  const longest = Math.max(...pats.map((p) => p.length));
  let tail = Buffer.alloc(0);
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
      const buf = Buffer.concat([tail, chunk as Buffer]);
      // ASCII lower-casing in place on a copy: addresses and phones are matched without case.
      const low = Buffer.from(buf);
      for (let i = 0; i < low.length; i++) {
        const c = low[i] ?? 0;
        if (c >= 65 && c <= 90) low[i] = c + 32;
      }
      if (pats.some((p) => low.includes(p))) return true;
      tail = buf.subarray(Math.max(0, buf.length - longest));
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  return false;
}

/**
 * Import files in Keel's own folder (uploads and error files) that hold the person are removed,
 * and their imports say so (files_removed_at), as the retention policy does for old files.
 */
async function removeImportFilesHolding(trx: DbOrTx, ctx: Ctx, ws: string, needles: readonly string[]): Promise<number> {
  if (!ctx.filesDir || needles.length === 0) return 0;
  const inImports = path.resolve(ctx.filesDir, 'imports') + path.sep;
  const rows = await trx
    .selectFrom('imports')
    .select(['id', 'file_path', 'error_file'])
    .where('workspace_id', '=', ws)
    .where('files_removed_at', 'is', null)
    .execute();
  let n = 0;
  for (const r of rows) {
    const files = [r.file_path, r.error_file].filter((f): f is string => Boolean(f) && path.resolve(String(f)).startsWith(inImports));
    let hit = false;
    for (const f of files) if (await fileHolds(f, needles)) hit = true;
    if (!hit) continue;
    for (const f of files) await rm(f, { force: true });
    await trx
      .updateTable('imports')
      .set({ files_removed_at: ctx.clock.now(), sample: '[]', dry_run: null, error_file: null })
      .where('id', '=', r.id)
      .execute();
    n += 1;
  }
  return n;
}

export async function eraseContact(ctx: Ctx, actor: Actor, contactId: string): Promise<ErasureReport> {
  return ctx.db.transaction().execute(async (trx) => {
    const ws = actor.workspaceId;
    await erasureLock(trx, ws, 'exclusive');
    await contactRow(trx, ws, contactId);
    // Records merged into this one are the same person: they are erased with it.
    const merged = await sql<{ id: string }>`with recursive m(id) as (
        select id from contacts where workspace_id = ${ws} and merged_into = ${contactId}
        union select c.id from contacts c join m on c.merged_into = m.id)
      select id from m`.execute(trx);
    const removed: Record<string, number> = {};
    let suppressed = false;
    const needles: string[] = [];
    const profiles: string[] = [];
    for (const m of merged.rows) suppressed = (await eraseOne(trx, ctx, ws, m.id, removed, needles, profiles)) || suppressed;
    suppressed = (await eraseOne(trx, ctx, ws, contactId, removed, needles, profiles)) || suppressed;
    // Links of their events still waiting in the job queue carry the email and traits too.
    const jobs = await forgetDeferredLinks(
      trx,
      ws,
      needles.filter((n) => n.includes('@')),
      profiles,
    );
    if (jobs > 0) removed['queued tracking links (jobs)'] = jobs;
    if (ctx.filesDir) {
      const n = await removeImportFilesHolding(trx, ctx, ws, needles);
      if (n > 0) removed['import files'] = n;
    }
    const now = ctx.clock.now();
    const id = newId();
    await trx
      .insertInto('erasures')
      .values({ id, workspace_id: ws, contact_id: contactId, requested_by: actor.label, at: now, removed: JSON.stringify(removed) })
      .execute();
    await recordAudit(trx, ctx.clock, actor, {
      action: 'contact.erased',
      entityType: 'erasure',
      entityId: id,
      meta: { contactId, removed },
    });
    return { id, contactId, at: now.toISOString(), requestedBy: actor.label, removed, suppressed };
  });
}

export async function listErasures(db: DbOrTx, ws: string): Promise<ErasureReport[]> {
  const rows = await db.selectFrom('erasures').selectAll().where('workspace_id', '=', ws).orderBy('at', 'desc').limit(500).execute();
  return rows.map((r) => ({
    id: r.id,
    contactId: r.contact_id,
    at: r.at.toISOString(),
    requestedBy: r.requested_by,
    removed: r.removed,
    suppressed: true,
  }));
}
