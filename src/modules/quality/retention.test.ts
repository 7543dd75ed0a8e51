import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../platform/actor.js';
import { newId } from '../../platform/ids.js';
import { bearer, createTestApp, fixedClock, json, makeApiKey, makeWorkspace, type TestApp } from '../../test/app.js';
import type { Workspace } from '../workspaces/workspaces.schema.js';
import { importFromCli } from '../imports/cli-data.service.js';
import { applyRetention } from '../tracking/tracking.jobs.js';
import type { RetentionPolicy, RetentionRun } from './quality.schema.js';
import { applyRetentionPolicies } from './retention.service.js';

const DAY = 86_400_000;
const T = new Date('2026-06-01T12:00:00Z');
const ago = (days: number) => new Date(T.getTime() - days * DAY);
// The clock starts 20 days back, when the old imports are uploaded; the rest is written with its own times.
const clock = fixedClock(ago(20));
let t: TestApp;
let a: Workspace;
let b: Workspace;
let key: string;
let managerKey: string;
let analystKey: string;
const db = () => t.db.handle.db;

const call = (method: string, url: string, payload?: object, k = key) =>
  t.app.inject({ method: method as 'GET', url, headers: bearer(k), ...(payload && { payload }) });

const policies = async () => json<{ data: RetentionPolicy[] }>(await call('GET', '/api/v1/retention-policies')).data;

/** The same old and new rows in a workspace: returns the ids to look for afterwards. */
async function seed(ws: string, label: string) {
  const profile = newId();
  await db()
    .insertInto('profiles')
    .values({ id: profile, workspace_id: ws, contact_id: null, traits: '{}', first_seen_at: ago(500), last_seen_at: T })
    .execute();
  const sourceLong = newId();
  const sourceShort = newId();
  const now = new Date();
  await db()
    .insertInto('sources')
    .values([
      { id: sourceLong, workspace_id: ws, name: `${label} site`, kind: 'website', created_at: now, updated_at: now },
      { id: sourceShort, workspace_id: ws, name: `${label} app`, kind: 'mobile', retention_days: 3, created_at: now, updated_at: now },
    ])
    .execute();
  const event = (source: string, days: number, msg: string) => ({
    id: newId(),
    workspace_id: ws,
    source_id: source,
    profile_id: profile,
    type: 'track',
    event: 'Seen',
    message_id: `${label}-${msg}`,
    ts: ago(days),
    received_at: ago(days),
    properties: '{}',
    traits: '{}',
    context: '{}',
  });
  await db()
    .insertInto('events')
    .values([
      event(sourceLong, 40, 'old'),
      event(sourceLong, 5, 'new'),
      event(sourceShort, 5, 'short-old'),
      event(sourceShort, 1, 'short-new'),
    ])
    .execute();
  const tp = (days: number) => ({
    id: newId(),
    workspace_id: ws,
    profile_id: profile,
    event_id: newId(),
    ts: ago(days),
    channel: 'direct',
  });
  await db()
    .insertInto('touchpoints')
    .values([tp(100), tp(10)])
    .execute();
  const audit = (days: number, action: string) => ({
    id: newId(),
    workspace_id: ws,
    occurred_at: ago(days),
    actor_type: 'system',
    actor_label: 'seed',
    action,
    entity_type: 'seed',
    changes: '{}',
  });
  await db()
    .insertInto('audit_log')
    .values([audit(500, 'seed.old'), audit(10, 'seed.new')])
    .execute();
  const log = (days: number) => ({
    workspace_id: ws,
    segment_id: newId(),
    contact_id: newId(),
    change: 'entered' as const,
    reason: 'seed',
    at: ago(days),
  });
  await db()
    .insertInto('segment_membership_log')
    .values([log(100), log(90), log(80), log(1)])
    .execute();
}

beforeAll(async () => {
  t = await createTestApp({ clock });
  a = await makeWorkspace(t, 'Keeps little');
  b = await makeWorkspace(t, 'Keeps all');
  key = await makeApiKey(t, a, 'admin');
  managerKey = await makeApiKey(t, a, 'mops_manager');
  analystKey = await makeApiKey(t, a, 'data_analyst');
  const bKey = await makeApiKey(t, b, 'admin');
  await t.jobs.start({ worker: false });
  await seed(a.id, 'a');
  await seed(b.id, 'b');
  // Consent histories: c1 granted, withdrew, granted again long ago; c2 withdrew 500 days ago.
  for (const [k, email, changes] of [
    [
      key,
      'c1@example.com',
      [
        ['granted', 2000],
        ['withdrawn', 1500],
        ['granted', 1200],
      ],
    ],
    [
      key,
      'c2@example.com',
      [
        ['granted', 2000],
        ['withdrawn', 500],
      ],
    ],
    [bKey, 'c1@example.com', [['granted', 2000]]],
  ] as const) {
    const contact = json<{ id: string }>(await call('POST', '/api/v1/contacts', { email }, k)).id;
    for (const [status, days] of changes) {
      const res = await call(
        'POST',
        `/api/v1/contacts/${contact}/consents`,
        { purpose: 'email_marketing', status, source: 'form', at: ago(days).toISOString() },
        k,
      );
      expect(res.statusCode, res.body).toBe(201);
    }
  }
  // Imports: an upload abandoned 20 days ago, a finished CLI import of a file of the user's own, and
  // (later, at T) a fresh upload.
  const upload = async (k: string, name: string) => {
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/imports?object=contact&fileName=${name}`,
      headers: { ...bearer(k), 'content-type': 'text/csv' },
      payload: 'Email,First Name\nimp@example.com,Imp\n',
    });
    expect(res.statusCode, res.body).toBe(201);
    return json<{ id: string }>(res).id;
  };
  await upload(key, 'old.csv');
  await upload(bKey, 'old-b.csv');
  const own = path.join(t.config.filesDir, 'mine.csv');
  await writeFile(own, 'Email\ncli@example.com\n');
  await importFromCli({ db: db(), clock, filesDir: t.config.filesDir }, systemActor(a.id, 'test'), {
    object: 'contact',
    file: own,
    mode: 'upsert',
    dryRun: false,
    dateFormat: 'auto',
  });
  clock.advance(20 * DAY);
  await upload(key, 'new.csv');
});
afterAll(async () => t?.close());

describe('retention policies', () => {
  it('lists every data type, none set: kept for good', async () => {
    const list = await policies();
    expect(list.map((p) => p.dataType)).toEqual([
      'events',
      'touchpoints',
      'audit_log',
      'segment_membership_log',
      'consent_events',
      'import_files',
    ]);
    expect(list.every((p) => p.keepDays === null && p.lastRun === null)).toBe(true);
    expect(list.find((p) => p.dataType === 'consent_events')).toMatchObject({ minDays: 1095, appliedBy: 'quality.retention' });
    expect(list.find((p) => p.dataType === 'events')?.appliedBy).toBe('tracking.retention');
  });

  it('refuses bad input with problem+json and changes nothing', async () => {
    for (const body of [
      { events: -1 },
      { events: 0 },
      { events: 1.5 },
      { events: '30' },
      { audit_log: 30 },
      { consent_events: 365 },
      { profiles: 30 },
      { events: 99_999 },
    ]) {
      const res = await call('PUT', '/api/v1/retention-policies', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    const res = await call('PUT', '/api/v1/retention-policies', { audit_log: 30 });
    expect(json<{ errors: { path: string; message: string }[] }>(res).errors[0]?.message).toContain('at least 365 days');
    expect((await call('PUT', '/api/v1/retention-policies', { events: 30 }, analystKey)).statusCode).toBe(403);
    expect((await policies()).every((p) => p.keepDays === null)).toBe(true);
  });

  it('are set as a whole, audited, and readable by everyone', async () => {
    const res = await call(
      'PUT',
      '/api/v1/retention-policies',
      { events: 30, touchpoints: 60, audit_log: 400, segment_membership_log: 45, consent_events: 1100, import_files: 10 },
      managerKey,
    );
    expect(res.statusCode, res.body).toBe(200);
    const set = json<{ data: RetentionPolicy[] }>(res).data;
    expect(Object.fromEntries(set.map((p) => [p.dataType, p.keepDays]))).toEqual({
      events: 30,
      touchpoints: 60,
      audit_log: 400,
      segment_membership_log: 45,
      consent_events: 1100,
      import_files: 10,
    });
    expect(set[0]).toMatchObject({ updatedBy: 'api-key:key-mops_manager', updatedAt: T.toISOString() });
    const audit = json<{ data: { action: string; changes: Record<string, unknown> }[] }>(
      await call('GET', '/api/v1/audit?action=retention_policy.updated'),
    ).data;
    expect(audit).toHaveLength(1);
    expect(audit[0]?.changes).toMatchObject({ events: { from: null, to: 30 }, audit_log: { from: null, to: 400 } });
    expect((await call('GET', '/api/v1/retention-policies', undefined, analystKey)).statusCode).toBe(200);
  });

  it('a pass removes only rows older than the policy, in batches, and records what it removed', async () => {
    const ctx = { db: db(), clock };
    const runs = await applyRetentionPolicies(ctx, t.config.filesDir, { slice: 2 });
    const eventsDeleted = await applyRetention(db(), clock.now(), 2);
    const byType = Object.fromEntries(runs.map((r) => [r.dataType, r.deleted]));
    expect(byType).toEqual({ touchpoints: 1, audit_log: 1, segment_membership_log: 3, consent_events: 2, import_files: 2 });
    // Events: 40 days old (past the workspace's 30) and, in the sources keeping 3 days, 5 days old (A and B).
    expect(eventsDeleted).toBe(3);
    const left = async (ws: string) => ({
      events: (await db().selectFrom('events').select('message_id').where('workspace_id', '=', ws).orderBy('message_id').execute()).map(
        (e) => e.message_id,
      ),
      touchpoints: (await db().selectFrom('touchpoints').select('ts').where('workspace_id', '=', ws).execute()).length,
      log: (await db().selectFrom('segment_membership_log').select('id').where('workspace_id', '=', ws).execute()).length,
      seeded: (
        await db().selectFrom('audit_log').select('action').where('workspace_id', '=', ws).where('entity_type', '=', 'seed').execute()
      )
        .map((x) => x.action)
        .sort(),
      consent: (
        await db()
          .selectFrom('consent_events')
          .innerJoin('contacts', 'contacts.id', 'consent_events.contact_id')
          .select(['contacts.email', 'consent_events.at'])
          .where('consent_events.workspace_id', '=', ws)
          .orderBy('contacts.email')
          .orderBy('consent_events.at')
          .execute()
      ).map((c) => `${c.email} ${Math.round((T.getTime() - new Date(c.at).getTime()) / DAY)}`),
    });
    expect(await left(a.id)).toEqual({
      events: ['a-new', 'a-short-new'],
      touchpoints: 1,
      log: 1,
      seeded: ['seed.new'],
      // c1: the current grant stays; the two it replaced long ago go. c2: the grant was replaced
      // 500 days ago, within the 1,100 days: it stays, with the withdrawal.
      consent: ['c1@example.com 1200', 'c2@example.com 2000', 'c2@example.com 500'],
    });
    // The workspace without policies keeps everything but what its short-lived source drops.
    expect(await left(b.id)).toEqual({
      events: ['b-new', 'b-old', 'b-short-new'],
      touchpoints: 2,
      log: 4,
      seeded: ['seed.new', 'seed.old'],
      consent: ['c1@example.com 2000'],
    });
    // Imports: files gone from Keel's folder, the user's own file left where it lies; the new upload untouched.
    const imports = await db()
      .selectFrom('imports')
      .selectAll()
      .where('workspace_id', '=', a.id)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    const [old, cli, fresh] = imports;
    expect(old).toMatchObject({ status: 'failed', sample: [], dry_run: null });
    expect(old?.files_removed_at).toEqual(T);
    expect(existsSync(old?.file_path ?? '')).toBe(false);
    expect(cli?.files_removed_at).toEqual(T);
    expect(cli?.status).toBe('completed');
    expect(existsSync(cli?.file_path ?? '')).toBe(true);
    expect(fresh).toMatchObject({ status: 'uploaded', files_removed_at: null });
    expect(existsSync(fresh?.file_path ?? '')).toBe(true);
    const bImport = await db().selectFrom('imports').selectAll().where('workspace_id', '=', b.id).executeTakeFirstOrThrow();
    expect(bImport.files_removed_at).toBeNull();
    expect(existsSync(bImport.file_path)).toBe(true);
  });

  it('every pass is listed and audited, the audit log removal too; a second pass removes nothing', async () => {
    const runs = json<{ data: RetentionRun[] }>(await call('GET', '/api/v1/retention-runs?limit=50', undefined, analystKey)).data;
    expect(runs.map((r) => `${r.dataType}:${r.deleted}:${r.status}`).sort()).toEqual([
      'audit_log:1:completed',
      'consent_events:2:completed',
      'events:2:completed',
      'import_files:2:completed',
      'segment_membership_log:3:completed',
      'touchpoints:1:completed',
    ]);
    const auditRun = runs.find((r) => r.dataType === 'audit_log');
    expect(auditRun).toMatchObject({ keepDays: 400, cutoff: ago(400).toISOString(), finishedAt: T.toISOString() });
    const entries = json<{ data: { entityId: string; actorLabel: string; changes: { _meta: Record<string, unknown> } }[] }>(
      await call('GET', '/api/v1/audit?action=retention.applied&limit=50'),
    ).data;
    const audited = entries.find((e) => e.entityId === 'audit_log');
    expect(audited).toMatchObject({ actorLabel: 'retention', changes: { _meta: { deleted: 1, keepDays: 400, runId: auditRun?.id } } });
    expect(entries.filter((e) => e.entityId === 'events')).toHaveLength(1);
    // The other workspace's pass (its source's events) is its own.
    const bRuns = await db()
      .selectFrom('retention_runs')
      .select(['data_type', 'deleted', 'keep_days'])
      .where('workspace_id', '=', b.id)
      .execute();
    expect(bRuns.map((r) => [r.data_type, Number(r.deleted), r.keep_days])).toEqual([['events', 1, null]]);
    const last = (await policies()).find((p) => p.dataType === 'consent_events')?.lastRun;
    expect(last).toMatchObject({ deleted: 2, status: 'completed' });

    clock.advance(60_000);
    const again = await applyRetentionPolicies({ db: db(), clock }, t.config.filesDir);
    expect(again.map((r) => r.deleted)).toEqual([0, 0, 0, 0, 0]);
    expect(await applyRetention(db(), clock.now())).toBe(0);
    const after = json<{ data: unknown[] }>(await call('GET', '/api/v1/audit?action=retention.applied&limit=50')).data;
    expect(after).toHaveLength(entries.length);
    const page = json<{ data: RetentionRun[]; nextCursor: string }>(await call('GET', '/api/v1/retention-runs?limit=3&dataType=audit_log'));
    expect(page.data.map((r) => r.deleted)).toEqual([0, 1]);
    for (const qs of ['dataType=profiles', 'limit=0', 'cursor=nope', 'x=1']) {
      const res = await call('GET', `/api/v1/retention-runs?${qs}`);
      expect(res.statusCode, qs).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
  });

  it('a type set back to null keeps its data again', async () => {
    const res = await call('PUT', '/api/v1/retention-policies', { events: 30, audit_log: 400 });
    expect(res.statusCode).toBe(200);
    const set = json<{ data: RetentionPolicy[] }>(res).data;
    expect(set.filter((p) => p.keepDays !== null).map((p) => p.dataType)).toEqual(['events', 'audit_log']);
    // Unchanged types keep who set them and when.
    expect(set[0]?.updatedBy).toBe('api-key:key-mops_manager');
    expect(await db().selectFrom('retention_policies').select('data_type').where('workspace_id', '=', b.id).execute()).toEqual([]);
  });
});
