import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, json, login, makeApiKey, makeUser, makeWorkspace, type TestApp } from '../../test/app.js';
import type { Workspace } from '../../modules/workspaces/workspaces.schema.js';

// Two workspaces on one install: nothing of B is readable or changeable from A, through any route.
let t: TestApp;
let a: Workspace;
let b: Workspace;
let adminA: string;
const bIds: Record<string, string> = {};
let bEmails: string[] = [];
let bSourceKey = '';

beforeAll(async () => {
  t = await createTestApp();
  a = await makeWorkspace(t, 'Workspace A');
  b = await makeWorkspace(t, 'Workspace B');
  adminA = await makeApiKey(t, a, 'admin');
  await makeUser(t, a, 'admin');
  const bAdmin = await makeUser(t, b, 'admin');
  const bViewer = await makeUser(t, b, 'viewer');
  bEmails = [bAdmin.email, bViewer.email];
  const bKey = await makeApiKey(t, b, 'admin');
  // Activity in B so its audit log and sessions have rows.
  const s = await login(t, bAdmin.email);
  bIds.users = bViewer.id;
  const keys = json<{ data: Array<{ id: string }> }>(await t.app.inject({ url: '/api/v1/api-keys', headers: bearer(bKey) }));
  bIds['api-keys'] = keys.data[0]?.id ?? '';
  const sessions = json<{ data: Array<{ id: string }> }>(await t.app.inject({ url: '/api/v1/auth/sessions', headers: s.headers }));
  bIds.sessions = sessions.data[0]?.id ?? '';
  // CRM records in B: a contact, an account, a custom field, a saved view, a bulk operation.
  const post = async (url: string, payload: object) =>
    json<{ id: string }>(await t.app.inject({ method: 'POST', url, headers: bearer(bKey), payload }));
  bIds.contacts = (await post('/api/v1/contacts', { email: 'b-contact@example.com', firstName: 'Bee' })).id;
  bIds.accounts = (await post('/api/v1/accounts', { name: 'B Corp', domain: 'b-corp.example' })).id;
  bIds['custom-fields'] = (await post('/api/v1/custom-fields', { object: 'contact', label: 'B only', type: 'text' })).id;
  bIds.views = (await post('/api/v1/views', { object: 'contact', name: 'B view', config: {} })).id;
  await t.jobs.start({ worker: false });
  const upload = await t.app.inject({
    method: 'POST',
    url: '/api/v1/imports?object=contact&fileName=b.csv',
    headers: { ...bearer(bKey), 'content-type': 'text/csv' },
    payload: 'Email,First Name\nb-import@example.com,Bee\n',
  });
  bIds.imports = json<{ id: string }>(upload).id;
  bIds.segments = (
    await post('/api/v1/segments', { name: 'B seg', definition: { all: [{ field: 'country', op: 'eq', value: 'DE' }] } })
  ).id;
  const source = await post('/api/v1/sources', { name: 'B site' });
  bIds.sources = source.id;
  bIds.lists = (await post('/api/v1/lists', { name: 'B list' })).id;
  await post(`/api/v1/lists/${bIds.lists}/members/add`, { contactIds: [bIds.contacts] });
  bSourceKey = (source as unknown as { keys: Array<{ id: string }> }).keys[0]?.id ?? '';
  bIds['import-mappings'] = (
    await post('/api/v1/import-mappings', { object: 'contact', name: 'B mapping', mapping: { Email: 'email' } })
  ).id;
  bIds['bulk-operations'] = (await post('/api/v1/contacts/bulk', { action: 'assign_owner', ids: [bIds.contacts], ownerId: bViewer.id })).id;
  // Enrichment in B: a provider, an enriched contact (provenance), a matching run (suggestions).
  bIds['enrichment/providers'] = (
    await post('/api/v1/enrichment/providers', {
      name: 'B provider',
      enabled: false,
      config: { object: 'contact', url: 'https://enrich.example/p?e={email}', headers: { 'X-Key': 'b-secret' }, fieldMap: { t: 'title' } },
    })
  ).id;
  const bMatch = (await post('/api/v1/contacts', { email: 'b-match@b-corp.example' })).id;
  await post(`/api/v1/contacts/${bMatch}/enrich`, {});
  await post('/api/v1/account-matching/run', { threshold: 1 });
  // Duplicates in B: a merge and a full scan.
  const dupe = (await post('/api/v1/contacts', { email: 'b-contact-2@example.com', firstName: 'Bee' })).id;
  bIds.merges = (await post(`/api/v1/contacts/${bIds.contacts}/merge`, { from: [dupe] })).id;
  bIds['duplicates/scans'] = (await post('/api/v1/duplicates/scan', { object: 'contact' })).id;
  // Lifecycle and routing in B: a rep, a routing rule, a stage change and a routed lead.
  await t.app.inject({ method: 'PUT', url: '/api/v1/routing/reps', headers: bearer(bKey), payload: { reps: [{ userId: bViewer.id }] } });
  bIds['routing/rules'] = (await post('/api/v1/routing/rules', { name: 'B rule', action: { type: 'round_robin', reps: [bViewer.id] } })).id;
  await post(`/api/v1/contacts/${bIds.contacts}/lifecycle`, { stage: 'lead', reason: 'B' });
  await post('/api/v1/routing/route', { contactId: bIds.contacts });
  // An SLA in B over that lead's stage, so A's SLA list would show the lead if it leaked.
  await t.app.inject({
    method: 'PUT',
    url: '/api/v1/routing/sla/settings',
    headers: bearer(bKey),
    payload: {
      calendar: 'workspace',
      workspaceCalendar: { timeZone: 'UTC', workingHours: {} },
      slas: [{ stage: 'lead', withinMinutes: 5, remindBeforeMinutes: 0 }],
    },
  });
  // Data quality in B: a snapshot and a retention policy.
  await t.app.inject({ method: 'POST', url: '/api/v1/quality/snapshot', headers: bearer(bKey) });
  await t.app.inject({ method: 'PUT', url: '/api/v1/retention-policies', headers: bearer(bKey), payload: { audit_log: 730 } });
  // Scoring in B: a published model, so B's contacts have scores.
  bIds['scoring/models'] = (
    await post('/api/v1/scoring/models', {
      name: 'B model',
      draft: { fit: [{ name: 'B fit', condition: { field: 'country', op: 'eq', value: 'DE' }, points: 5 }] },
    })
  ).id;
  await t.app.inject({ method: 'POST', url: `/api/v1/scoring/models/${bIds['scoring/models']}/publish`, headers: bearer(bKey) });
});
afterAll(() => t.close());

const patchBodies: Record<string, object> = {
  contacts: { firstName: 'hijacked' },
  accounts: { name: 'hijacked' },
  'custom-fields': { label: 'hijacked' },
  views: { name: 'hijacked' },
  imports: { mode: 'create' },
  segments: { name: 'hijacked' },
  lists: { name: 'hijacked' },
  sources: { name: 'hijacked', excludedIps: ['0.0.0.0/0'] },
  enrichment: { name: 'hijacked', enabled: true },
  scoring: { name: 'hijacked' },
  routing: { name: 'hijacked', enabled: false },
};

function idFor(url: string): string | undefined {
  const nested = /\/api\/v1\/([a-z-]+\/[a-z-]+)\/:id/.exec(url);
  if (nested?.[1] && bIds[nested[1]]) return bIds[nested[1]];
  const m = /\/api\/v1\/(?:auth\/)?([a-z-]+)\/:id/.exec(url);
  return m?.[1] ? bIds[m[1]] : undefined;
}

describe('workspace isolation', () => {
  it('lists in A show nothing of B', async () => {
    for (const route of t.app.keelRoutes.filter((r) => r.method === 'GET' && r.url.startsWith('/api/v1/') && !r.url.includes(':'))) {
      const res = await t.app.inject({ url: route.url, headers: bearer(adminA) });
      const body = res.body;
      for (const id of Object.values(bIds)) expect(body, route.url).not.toContain(id);
      for (const email of bEmails) expect(body, route.url).not.toContain(email);
      expect(body, route.url).not.toContain(b.id);
    }
  });

  it("the routing log's rep filter (assignedTo) finds nothing of B's rep from A", async () => {
    const bRep = bIds.users ?? '';
    // B's log names its rep (the lead routed above): a filter that forgot the workspace would find it.
    const inB = await sql<{ n: number }>`select count(*)::int as n from routing_log
      where workspace_id = ${b.id} and assigned_to = ${bRep}`.execute(t.db.handle.db);
    expect(inB.rows[0]?.n).toBeGreaterThan(0);
    for (const q of [`assignedTo=${bRep}`, `assignedTo=${bRep}&kind=routed`, `assignedTo=${bRep}&from=2000-01-01T00:00:00Z`]) {
      const res = await t.app.inject({ url: `/api/v1/routing/log?${q}`, headers: bearer(adminA) });
      expect(res.statusCode, res.body).toBe(200);
      expect(json<{ data: unknown[] }>(res).data, q).toEqual([]);
      expect(res.body, q).not.toContain(bIds.contacts);
      for (const email of bEmails) expect(res.body, q).not.toContain(email);
    }
  });

  it("every route with an id refuses B's records from A and changes nothing", async () => {
    const before = await t.db.handle.db.selectFrom('users').selectAll().where('workspace_id', '=', b.id).orderBy('id').execute();
    const beforeKeys = await t.db.handle.db.selectFrom('api_keys').selectAll().where('workspace_id', '=', b.id).orderBy('id').execute();
    const crmBefore: Record<string, unknown[]> = {};
    for (const table of ['contacts', 'accounts', 'custom_fields', 'saved_views', 'lists', 'segments', 'sources'] as const) {
      crmBefore[table] = await t.db.handle.db.selectFrom(table).selectAll().where('workspace_id', '=', b.id).orderBy('id').execute();
    }
    const enrichmentRows = async () => {
      const out: Record<string, unknown[]> = {};
      for (const table of ['enrichment_providers', 'field_provenance', 'account_matches']) {
        out[table] = (
          await sql`select * from ${sql.table(table)} where workspace_id = ${b.id} order by 1, 2, 3`.execute(t.db.handle.db)
        ).rows;
      }
      return out;
    };
    const routingRows = async () => {
      const out: Record<string, unknown[]> = {};
      for (const table of [
        'routing_rules',
        'routing_reps',
        'lead_assignments',
        'lifecycle_history',
        'routing_log',
        'routing_sla_settings',
        'routing_sla_events',
      ]) {
        out[table] = (await sql`select * from ${sql.table(table)} where workspace_id = ${b.id} order by 1, 2`.execute(t.db.handle.db)).rows;
      }
      return out;
    };
    const routingBefore = await routingRows();
    expect(routingBefore.lead_assignments?.length).toBe(1);
    expect(routingBefore.lifecycle_history?.length).toBe(1);
    const enrichmentBefore = await enrichmentRows();
    const scoringRows = async () =>
      (
        await sql`select id, name, draft, published_version, deleted_at from scoring_models where workspace_id = ${b.id}`.execute(
          t.db.handle.db,
        )
      ).rows;
    const scoringBefore = await scoringRows();
    expect(scoringBefore[0]).toMatchObject({ published_version: 1 });
    expect(enrichmentBefore.field_provenance?.length).toBeGreaterThan(0);
    expect(enrichmentBefore.account_matches?.length).toBeGreaterThan(0);
    crmBefore.list_members = await t.db.handle.db
      .selectFrom('list_members')
      .selectAll()
      .where('workspace_id', '=', b.id)
      .orderBy('contact_id')
      .execute();
    let checked = 0;
    const walked: string[] = [];
    for (const route of t.app.keelRoutes.filter((r) => r.url.startsWith('/api/v1/') && r.url.includes(':id'))) {
      walked.push(`${route.method} ${route.url}`);
      const id = idFor(route.url);
      expect(id, `no B record for ${route.url}`).toBeTruthy();
      const resource = /\/api\/v1\/([a-z-]+)/.exec(route.url)?.[1] ?? '';
      const payload =
        route.method === 'PATCH'
          ? (patchBodies[resource] ?? { name: 'hijacked', disabled: true })
          : route.method === 'POST'
            ? /\/merge(\/preview)?$/.test(route.url)
              ? { from: [bIds.users] }
              : route.url.endsWith('/enrich')
                ? {}
                : resource === 'accounts'
                  ? { contactId: bIds.contacts }
                  : route.url.endsWith('/scoring/models/:id/preview')
                    ? { contactId: bIds.contacts }
                    : route.url.endsWith('/scoring/models/:id/evaluate')
                      ? { from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' }
                      : route.url.endsWith('/lifecycle')
                        ? { stage: 'customer', reason: 'hijack' }
                        : route.url.endsWith('/consents')
                          ? { purpose: 'email_marketing', status: 'granted', source: 'hijack' }
                          : resource === 'lists'
                            ? { contactIds: [bIds.contacts] }
                            : {}
            : undefined;
      const res = await t.app.inject({
        method: route.method as 'GET',
        url: route.url
          .replace(':id', id ?? '')
          .replace(':contactId', bIds.contacts ?? '')
          .replace(':accountId', bIds.accounts ?? '')
          .replace(':keyId', bSourceKey),
        headers: bearer(adminA),
        payload,
      });
      // Session routes need a browser session; for the others the record simply does not exist in A.
      expect([401, 404], `${route.method} ${route.url}: ${res.body}`).toContain(res.statusCode);
      checked += 1;
    }
    expect(checked).toBeGreaterThanOrEqual(4);
    // B's contact has a live assignment (routed above): A is told it does not exist.
    expect(walked).toContain('GET /api/v1/contacts/:id/assignment');
    expect(await enrichmentRows()).toEqual(enrichmentBefore);
    expect(await routingRows()).toEqual(routingBefore);
    expect(await scoringRows()).toEqual(scoringBefore);
    const sA = await login(t, (await makeUser(t, a, 'admin')).email);
    const res = await t.app.inject({ method: 'DELETE', url: `/api/v1/auth/sessions/${bIds.sessions}`, headers: sA.headers });
    expect(res.statusCode).toBe(404);
    const after = await t.db.handle.db.selectFrom('users').selectAll().where('workspace_id', '=', b.id).orderBy('id').execute();
    const afterKeys = await t.db.handle.db.selectFrom('api_keys').selectAll().where('workspace_id', '=', b.id).orderBy('id').execute();
    expect(after).toEqual(before);
    expect(afterKeys).toEqual(beforeKeys);
    for (const table of ['contacts', 'accounts', 'custom_fields', 'saved_views', 'lists', 'segments', 'sources'] as const) {
      expect(await t.db.handle.db.selectFrom(table).selectAll().where('workspace_id', '=', b.id).orderBy('id').execute(), table).toEqual(
        crmBefore[table],
      );
    }
    expect(
      await t.db.handle.db.selectFrom('list_members').selectAll().where('workspace_id', '=', b.id).orderBy('contact_id').execute(),
    ).toEqual(crmBefore.list_members);
    const bSessions = await t.db.handle.db
      .selectFrom('sessions')
      .selectAll()
      .where('id', '=', bIds.sessions ?? '')
      .executeTakeFirstOrThrow();
    expect(bSessions.revoked_at).toBeNull();
  });

  it("A's data-quality history and retention policies are A's own", async () => {
    const history = json<{ data: unknown[] }>(await t.app.inject({ url: '/api/v1/quality/history', headers: bearer(adminA) }));
    expect(history.data).toEqual([]);
    const policies = json<{ data: Array<{ keepDays: number | null }> }>(
      await t.app.inject({ url: '/api/v1/retention-policies', headers: bearer(adminA) }),
    );
    expect(policies.data.every((p) => p.keepDays === null)).toBe(true);
    const summary = json<{ contacts: number }>(await t.app.inject({ url: '/api/v1/quality/summary', headers: bearer(adminA) }));
    expect(summary.contacts).toBe(0);
    const stored = await t.db.handle.db.selectFrom('retention_policies').select('keep_days').where('workspace_id', '=', b.id).execute();
    expect(stored).toEqual([{ keep_days: 730 }]);
  });

  it("A's audit log holds only A's entries", async () => {
    const res = json<{ data: Array<{ entityId: string | null }> }>(
      await t.app.inject({ url: '/api/v1/audit?limit=200', headers: bearer(adminA) }),
    );
    const rows = await t.db.handle.db.selectFrom('audit_log').select('workspace_id').execute();
    expect(rows.some((r) => r.workspace_id === b.id)).toBe(true);
    for (const e of res.data) expect(Object.values(bIds)).not.toContain(e.entityId);
  });
});
