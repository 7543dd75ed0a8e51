import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, fixedClock, json, makeApiKey, makeWorkspace, type TestApp } from '../../test/app.js';
import { sql } from 'kysely';
import { drainLifecycleQueue, scoresInstalled } from './lifecycle.service.js';

const clock = fixedClock(new Date('2026-03-02T09:00:00Z'));
let t: TestApp;
let key: string;
let salesKey: string;
let viewerKey: string;
let wsId: string;

const call = (method: string, url: string, payload?: object, k = key) =>
  t.app.inject({ method: method as 'GET', url, headers: bearer(k), ...(payload && { payload }) });
const newContact = async (body: object) => json<{ id: string }>(await call('POST', '/api/v1/contacts', body)).id;
const setStage = (id: string, stage: string, reason = 'by hand', k = key) =>
  call('POST', `/api/v1/contacts/${id}/lifecycle`, { stage, reason }, k);
type History = {
  stage: string | null;
  label: string | null;
  data: Array<{
    fromStage: string | null;
    toStage: string;
    reason: string;
    ruleId: string | null;
    actor: string;
    timeInStageMs: number;
    current: boolean;
  }>;
};
const history = async (id: string) => json<History>(await call('GET', `/api/v1/contacts/${id}/lifecycle`));

beforeAll(async () => {
  t = await createTestApp({ clock });
  const w = await makeWorkspace(t);
  wsId = w.id;
  key = await makeApiKey(t, w, 'admin');
  salesKey = await makeApiKey(t, w, 'sales');
  viewerKey = await makeApiKey(t, w, 'viewer');
});
afterAll(async () => t?.close());

describe('lifecycle stages', () => {
  it('lists the default stages, renames labels with stable keys', async () => {
    const s = json<{ stages: Array<{ key: string; label: string }>; allowed: unknown[]; routeOn: string[] }>(
      await call('GET', '/api/v1/lifecycle/stages'),
    );
    expect(s.stages.map((x) => x.key)).toEqual([
      'subscriber',
      'lead',
      'mql',
      'sal',
      'sql',
      'opportunity',
      'customer',
      'recycle',
      'disqualified',
    ]);
    expect(s.routeOn).toEqual(['mql']);
    const put = await call('PUT', '/api/v1/lifecycle/stages', { stages: [{ key: 'mql', label: 'Marketing qualified' }] });
    expect(put.statusCode, put.body).toBe(200);
    expect(json<{ stages: Array<{ key: string; label: string }> }>(put).stages.find((x) => x.key === 'mql')?.label).toBe(
      'Marketing qualified',
    );
    expect((await call('PUT', '/api/v1/lifecycle/stages', { stages: [{ key: 'mql', label: 'x' }] }, viewerKey)).statusCode).toBe(403);
    for (const body of [
      { stages: [{ key: 'hot', label: 'Hot' }] },
      { allowed: [{ from: 'lead', to: 'lead' }] },
      {
        stages: [
          { key: 'mql', label: 'a' },
          { key: 'mql', label: 'b' },
        ],
      },
      { extra: 1 },
    ]) {
      const res = await call('PUT', '/api/v1/lifecycle/stages', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
  });

  it('keeps history newest first with time in stage; forward only unless allowed', async () => {
    const id = await newContact({ email: 'life@example.com' });
    expect((await setStage(id, 'subscriber', 'signed up')).statusCode).toBe(200);
    clock.advance(3_600_000);
    expect((await setStage(id, 'mql', 'talked at the booth', salesKey)).statusCode).toBe(200);
    clock.advance(2 * 3_600_000);
    const back = await setStage(id, 'lead', 'oops');
    expect(back.statusCode).toBe(409);
    expect(back.headers['content-type']).toContain('application/problem+json');
    expect(json<{ detail: string }>(back).detail).toMatch(/backward/);
    expect((await setStage(id, 'mql', 'again')).statusCode).toBe(409);
    // any -> recycle is allowed by default, and recycle -> lead.
    expect((await setStage(id, 'recycle', 'went quiet')).statusCode).toBe(200);
    clock.advance(60_000);
    expect((await setStage(id, 'lead', 'came back')).statusCode).toBe(200);
    expect((await setStage(id, 'recycle', 'x', viewerKey)).statusCode).toBe(403);
    const h = await history(id);
    expect(h.stage).toBe('lead');
    expect(h.data.map((x) => [x.fromStage, x.toStage])).toEqual([
      ['recycle', 'lead'],
      ['mql', 'recycle'],
      ['subscriber', 'mql'],
      [null, 'subscriber'],
    ]);
    expect(h.data.map((x) => x.timeInStageMs)).toEqual([0, 60_000, 2 * 3_600_000, 3_600_000]);
    expect(h.data[0]?.current).toBe(true);
    expect(h.data[2]?.reason).toBe('talked at the booth');
    const contact = json<{ lifecycleStage: string; ownerId: string | null }>(await call('GET', `/api/v1/contacts/${id}`));
    expect(contact).toMatchObject({ lifecycleStage: 'lead', ownerId: null });
    // An explicitly allowed backward move.
    await call('PUT', '/api/v1/lifecycle/stages', {
      allowed: [
        { from: '*', to: 'recycle' },
        { from: 'recycle', to: 'lead' },
        { from: 'sal', to: 'mql' },
      ],
    });
    await setStage(id, 'sal', 'accepted');
    expect((await setStage(id, 'mql', 'sent back by sales')).statusCode).toBe(200);
    expect((await setStage(id, 'disqualified', 'no longer allowed')).statusCode).toBe(409);
    const audit = json<{ data: { action: string }[] }>(await call('GET', `/api/v1/audit?entityId=${id}`));
    expect(audit.data.filter((a) => a.action === 'contact.lifecycle_changed').length).toBe(6);
  });

  it('records stages set through the contacts API and any other write in the history, and routes MQLs', async () => {
    const db = t.db.handle.db;
    const routingQueue = async (id: string) =>
      (await sql<{ cause: string }>`select cause from routing_queue where contact_id = ${id} order by id`.execute(db)).rows.map(
        (r) => r.cause,
      );
    const id = await newContact({ email: 'outside@example.com', lifecycleStage: 'lead' });
    clock.advance(60_000);
    expect((await call('PATCH', `/api/v1/contacts/${id}`, { lifecycleStage: 'mql' })).statusCode).toBe(200);
    clock.advance(60_000);
    // Unchanged stage, other fields: no history row.
    expect((await call('PATCH', `/api/v1/contacts/${id}`, { lifecycleStage: 'mql', city: 'Leeds' })).statusCode).toBe(200);
    // The module's own move: one row, with its reason (the trigger stands aside).
    expect((await setStage(id, 'sal', 'accepted by Sam')).statusCode).toBe(200);
    clock.advance(60_000);
    // Any other writer (here plain SQL, as a sync script would): still recorded.
    await sql`update contacts set lifecycle_stage = 'lead', updated_at = ${clock.now()} where id = ${id}`.execute(db);
    const h = await history(id);
    expect(h.stage).toBe('lead');
    expect(h.data.map((x) => [x.fromStage, x.toStage])).toEqual([
      ['sal', 'lead'],
      ['mql', 'sal'],
      ['lead', 'mql'],
      [null, 'lead'],
    ]);
    expect(h.data[1]?.reason).toBe('accepted by Sam');
    expect(h.data[2]?.reason).toMatch(/contact record/);
    expect(h.data[0]?.actor).toBe('contact record');
    // Who: the API key that made the change, as in the audit log.
    const audit = json<{ data: Array<{ action: string; actorLabel: string }> }>(await call('GET', `/api/v1/audit?entityId=${id}`));
    const apiActor = audit.data.find((a) => a.action === 'contact.updated')?.actorLabel;
    expect(apiActor).toBeTruthy();
    expect(h.data[2]?.actor).toBe(apiActor);
    expect(h.data[3]?.actor).toBe(apiActor);
    expect(h.data.map((x) => x.timeInStageMs)).toEqual([0, 60_000, 60_000, 60_000]);
    // Entering MQL from the record queued it for routing, once.
    expect(await routingQueue(id)).toEqual(['stage:mql']);
    await sql`delete from routing_queue where contact_id = ${id}`.execute(db);
  });

  it('refuses bad input and unknown contacts', async () => {
    const id = await newContact({ email: 'bad-life@example.com' });
    for (const body of [
      { stage: 'hot', reason: 'x' },
      { stage: 'mql' },
      { stage: 'mql', reason: '' },
      { stage: 'mql', reason: 'x', extra: 1 },
    ]) {
      const res = await call('POST', `/api/v1/contacts/${id}/lifecycle`, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect((await setStage('01900000-0000-7000-8000-000000000000', 'mql')).statusCode).toBe(404);
    expect((await call('GET', '/api/v1/contacts/not-an-id/lifecycle')).statusCode).toBe(400);
    expect((await history(id)).data).toEqual([]);
  });

  it('applies stage rules in order, once per pass: conditions and hand-raiser events', async () => {
    const rules = [
      { name: 'Known', toStage: 'lead', trigger: { kind: 'condition', condition: { field: 'country', op: 'is_not_empty' } } },
      { name: 'Asked for a demo', toStage: 'mql', trigger: { kind: 'event', event: 'Demo Requested', withinDays: 30 } },
      {
        name: 'Big company',
        toStage: 'mql',
        fromStages: ['lead'],
        trigger: { kind: 'condition', condition: { field: 'company', op: 'eq', value: 'Bigco' } },
      },
    ];
    const put = await call('PUT', '/api/v1/lifecycle/rules', { rules });
    expect(put.statusCode, put.body).toBe(200);
    const saved = json<{ data: Array<{ id: string; name: string }> }>(put).data;
    expect(saved.map((r) => r.name)).toEqual(['Known', 'Asked for a demo', 'Big company']);
    const a = await newContact({ email: 'rule-a@example.com', country: 'DE', company: 'Bigco' });
    const b = await newContact({ email: 'rule-b@example.com', country: 'FR' });
    const c = await newContact({ email: 'rule-c@example.com' });
    await drainLifecycleQueue(t.db.handle.db, t.clock);
    expect((await history(a)).data.map((x) => [x.toStage, x.reason])).toEqual([
      ['mql', 'rule: Big company'],
      ['lead', 'rule: Known'],
    ]);
    expect((await history(b)).stage).toBe('lead');
    expect((await history(c)).stage).toBeNull();
    // A hand-raiser event on a tracked profile moves b to MQL and queues it for routing.
    const writeKey = json<{ writeKey: string }>(await call('POST', '/api/v1/sources', { name: 'site' })).writeKey;
    const auth = { authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}` };
    const ident = await t.app.inject({
      method: 'POST',
      url: '/v1/identify',
      headers: auth,
      payload: { userId: 'u-b', traits: { email: 'rule-b@example.com' } },
    });
    expect(ident.statusCode, ident.body).toBeLessThan(300);
    const tr = await t.app.inject({
      method: 'POST',
      url: '/v1/track',
      headers: auth,
      payload: { userId: 'u-b', event: 'Demo Requested', timestamp: clock.now().toISOString() },
    });
    expect(tr.statusCode, tr.body).toBeLessThan(300);
    await drainLifecycleQueue(t.db.handle.db, t.clock);
    const hb = await history(b);
    expect(hb.stage).toBe('mql');
    expect(hb.data[0]).toMatchObject({ reason: 'rule: Asked for a demo', ruleId: saved[1]?.id, actor: 'lifecycle rules' });
    const queued = await t.db.handle.db
      .withTables<{ routing_queue: { contact_id: string; cause: string } }>()
      .selectFrom('routing_queue')
      .select('cause')
      .where('contact_id', '=', b)
      .execute();
    expect(queued.map((q) => q.cause)).toEqual(['stage:mql']);
    // A second pass moves nothing more.
    await drainLifecycleQueue(t.db.handle.db, t.clock);
    expect((await history(b)).data.length).toBe(2);
  });

  it('refuses a rule set whose rules loop, and rules that cannot compile', async () => {
    expect(
      (
        await call('PUT', '/api/v1/lifecycle/stages', {
          allowed: [
            { from: '*', to: 'recycle' },
            { from: 'recycle', to: 'lead' },
            { from: 'disqualified', to: 'lead' },
          ],
        })
      ).statusCode,
    ).toBe(200);
    const loop = await call('PUT', '/api/v1/lifecycle/rules', {
      rules: [
        { name: 'Engaged', toStage: 'mql', trigger: { kind: 'condition', condition: { field: 'country', op: 'eq', value: 'DE' } } },
        { name: 'Quiet', toStage: 'recycle', trigger: { kind: 'condition', condition: { field: 'city', op: 'is_empty' } } },
        {
          name: 'Back',
          toStage: 'lead',
          fromStages: ['recycle'],
          trigger: { kind: 'condition', condition: { field: 'title', op: 'is_not_empty' } },
        },
      ],
    });
    expect(loop.statusCode).toBe(409);
    expect(loop.headers['content-type']).toContain('application/problem+json');
    expect(json<{ detail: string }>(loop).detail).toMatch(/loop/);
    // Narrowed so recycled contacts are not re-qualified by the same rules: accepted.
    expect(
      (
        await call('PUT', '/api/v1/lifecycle/stages', {
          allowed: [
            { from: '*', to: 'recycle' },
            { from: 'disqualified', to: 'lead' },
          ],
        })
      ).statusCode,
    ).toBe(200);
    const ok = await call('PUT', '/api/v1/lifecycle/rules', {
      rules: [
        {
          name: 'Engaged',
          toStage: 'mql',
          fromStages: ['none', 'subscriber', 'lead'],
          trigger: { kind: 'condition', condition: { field: 'country', op: 'eq', value: 'DE' } },
        },
        {
          name: 'Quiet',
          toStage: 'recycle',
          fromStages: ['mql'],
          trigger: { kind: 'condition', condition: { field: 'city', op: 'is_empty' } },
        },
        {
          name: 'Reopen',
          toStage: 'lead',
          fromStages: ['disqualified', 'recycle'],
          trigger: { kind: 'condition', condition: { field: 'title', op: 'is_not_empty' } },
        },
      ],
    });
    expect(ok.statusCode, ok.body).toBe(200);
    // Allowing a move that closes a loop with the saved rules is refused too.
    const closing = await call('PUT', '/api/v1/lifecycle/stages', {
      allowed: [
        { from: '*', to: 'recycle' },
        { from: 'disqualified', to: 'lead' },
        { from: 'recycle', to: 'lead' },
      ],
    });
    expect(closing.statusCode).toBe(409);
    for (const rules of [
      [{ name: 'x', toStage: 'mql', trigger: { kind: 'condition', condition: { field: 'nope', op: 'eq', value: 1 } } }],
      [{ name: 'x', toStage: 'mql', trigger: { kind: 'mood' } }],
      [{ name: 'x', toStage: 'subscriber', fromStages: ['customer'], trigger: { kind: 'event', event: 'E' } }],
      [{ name: 'x', toStage: 'mql', trigger: { kind: 'score', modelId: '01900000-0000-7000-8000-000000000000' } }],
      [{ name: '', toStage: 'mql', trigger: { kind: 'event', event: 'E' } }],
    ]) {
      const res = await call('PUT', '/api/v1/lifecycle/rules', { rules });
      expect(res.statusCode, JSON.stringify(rules)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect(json<{ data: unknown[] }>(await call('GET', '/api/v1/lifecycle/rules')).data.length).toBe(3);
  });

  it("moves contacts by score threshold and band from the scoring module's contact_scores", async () => {
    const db = t.db.handle.db;
    // The hook: score rules read contact_scores (module scoring). Without that table there is nothing to test.
    if (!(await scoresInstalled(db))) return;
    const model = '01900000-0000-7000-8000-00000000beef';
    const now = clock.now();
    await sql`insert into scoring_models (id, workspace_id, name, draft, created_at, updated_at)
      values (${model}, ${wsId}, 'Lead score', '{}'::jsonb, ${now}, ${now})`.execute(db);
    const put = await call('PUT', '/api/v1/lifecycle/rules', {
      rules: [
        { name: 'Hot band', toStage: 'sal', fromStages: ['mql'], trigger: { kind: 'score', modelId: model, bands: ['A'] } },
        {
          name: 'Scored 50+',
          toStage: 'mql',
          fromStages: ['none', 'subscriber', 'lead'],
          trigger: { kind: 'score', modelId: model, gte: 50 },
        },
      ],
    });
    expect(put.statusCode, put.body).toBe(200);
    const hot = await newContact({ email: 'score-hot@example.com' });
    const warm = await newContact({ email: 'score-warm@example.com' });
    const cold = await newContact({ email: 'score-cold@example.com' });
    await drainLifecycleQueue(db, t.clock);
    for (const [id, score, band] of [
      [hot, 80, 'A'],
      [warm, 50, 'B'],
      [cold, 49.5, 'B'],
    ] as const) {
      await sql`insert into contact_scores (workspace_id, model_id, contact_id, score, band, explanation, computed_at)
        select workspace_id, ${model}, id, ${score}, ${band}, '[]'::jsonb, ${now} from contacts where id = ${id}`.execute(db);
    }
    // The score rows queue their contacts (trigger of migration 0019); one pass applies both rules in order.
    await drainLifecycleQueue(db, t.clock);
    expect((await history(warm)).stage).toBe('mql');
    expect((await history(cold)).stage).toBeNull();
    // Rules run in order once per pass: Hot band comes first, when the contact is not MQL yet.
    expect((await history(hot)).stage).toBe('mql');
    await sql`update contact_scores set computed_at = ${now} where contact_id = ${hot}`.execute(db);
    await drainLifecycleQueue(db, t.clock);
    expect((await history(hot)).data.map((h) => [h.toStage, h.reason])).toEqual([
      ['sal', 'rule: Hot band'],
      ['mql', 'rule: Scored 50+'],
    ]);
  });
});
