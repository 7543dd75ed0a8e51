import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../platform/actor.js';
import { bearer, createTestApp, json, makeApiKey, makeWorkspace, type TestApp } from '../../test/app.js';
import { importFromCli } from '../imports/cli-data.service.js';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

let t: TestApp;
let key: string;
let viewer: string;
let other: string;
let ws: string;
const call = (method: string, url: string, payload?: object, k = key) =>
  t.app.inject({ method: method as 'GET', url, headers: bearer(k), ...(payload && { payload }) });
type Rules = {
  phone: { enabled: boolean; defaultCountry: string | null };
  country: { enabled: boolean };
  names: { enabled: boolean };
  titles: { enabled: boolean; seniority: unknown[] | null; department: unknown[] | null };
  email: { typoSuggestions: boolean };
  builtIn?: unknown;
  updatedBy?: unknown;
  updatedAt?: unknown;
};
const rules = async (k = key) => json<Rules>(await call('GET', '/api/v1/quality/normalisation-rules', undefined, k));
const put = async (r: Rules) => {
  const { builtIn: _b, updatedBy: _u, updatedAt: _a, ...body } = r;
  return call('PUT', '/api/v1/quality/normalisation-rules', body);
};

beforeAll(async () => {
  t = await createTestApp();
  const w = await makeWorkspace(t);
  ws = w.id;
  key = await makeApiKey(t, w, 'admin');
  viewer = await makeApiKey(t, w, 'viewer');
  other = await makeApiKey(t, await makeWorkspace(t, 'Other'), 'admin');
});
afterAll(async () => t?.close());

describe('normalisation rules per workspace', () => {
  it('start from the defaults, with the built-in title tables to edit from', async () => {
    const r = await rules();
    expect(r).toMatchObject({
      phone: { enabled: true, defaultCountry: null },
      country: { enabled: true },
      titles: { seniority: null },
      updatedBy: null,
    });
    expect((r.builtIn as { seniority: { value: string }[] }).seniority.map((x) => x.value)).toContain('c_level');
  });

  it('a default phone country reads phones given without one; switching a rule off stores values as given', async () => {
    const r = await rules();
    expect((await put({ ...r, phone: { enabled: true, defaultCountry: 'GB' } })).statusCode).toBe(200);
    const gb = json<{ phone: string }>(await call('POST', '/api/v1/contacts', { email: 'uk@rules.example', phone: '020 7946 0018' }));
    expect(gb.phone).toBe('+442079460018');
    // Another workspace still has the defaults: no country, the phone cannot be read as E.164.
    const elsewhere = json<{ phone: string }>(
      await call('POST', '/api/v1/contacts', { email: 'uk@rules.example', phone: '020 7946 0018' }, other),
    );
    expect(elsewhere.phone).not.toBe('+442079460018');
    expect((await put({ ...r, country: { enabled: false }, names: { enabled: false } })).statusCode).toBe(200);
    const asGiven = json<{ country: string; firstName: string }>(
      await call('POST', '/api/v1/contacts', { email: 'raw@rules.example', country: 'Deutschland', firstName: 'mARIE' }),
    );
    expect(asGiven).toMatchObject({ country: 'Deutschland', firstName: 'mARIE' });
    // Imports follow the same rules.
    const file = path.join(t.config.filesDir, 'rules.csv');
    await writeFile(file, 'Email,Country,First Name\nimp@rules.example,Deutschland,mARIE\n');
    await importFromCli({ db: t.db.handle.db, clock: t.clock, filesDir: t.config.filesDir }, systemActor(ws, 'test'), {
      object: 'contact',
      file,
      mode: 'upsert',
      dryRun: false,
      dateFormat: 'auto',
    });
    const imp = json<{ data: { country: string; firstName: string }[] }>(await call('GET', '/api/v1/contacts?email=imp%40rules.example'));
    expect(imp.data[0]).toMatchObject({ country: 'Deutschland', firstName: 'mARIE' });
    await put({ ...r });
  });

  it('an edited title table classifies titles, on writes and in the try-it endpoint', async () => {
    const r = await rules();
    const seniority = [
      { value: 'partner', phrases: ['partner', 'teilhaber'] },
      ...((r.builtIn as { seniority: unknown[] }).seniority as object[]),
    ];
    const res = await put({ ...r, titles: { enabled: true, seniority: seniority as unknown[], department: null } });
    expect(res.statusCode, res.body).toBe(200);
    expect(json(await call('GET', `/api/v1/quality/classify-title?title=${encodeURIComponent('Managing Partner, Marketing')}`))).toEqual({
      seniority: 'partner',
      department: 'marketing',
    });
    const c = json<{ traits: Record<string, unknown> }>(
      await call('POST', '/api/v1/contacts', { email: 'p@rules.example', title: 'Teilhaber' }),
    );
    expect(c.traits.seniority).toBe('partner');
    const audit = json<{ data: { action: string }[] }>(await call('GET', '/api/v1/audit?limit=50'));
    expect(audit.data.map((a) => a.action)).toContain('quality.normalisation_rules_changed');
  });

  it('refuses bad rules with problem+json and keeps the old ones; viewers cannot change them', async () => {
    const before = await rules();
    const { builtIn: _b, updatedBy: _u, updatedAt: _a, ...body } = before;
    for (const bad of [
      { ...body, phone: { enabled: true, defaultCountry: 'Germany' } },
      { ...body, extra: true },
      { ...body, titles: { enabled: true, seniority: [{ value: 'Bad Value!', phrases: ['x'] }], department: null } },
      { ...body, titles: { enabled: true, seniority: [{ value: 'ok', phrases: [] }], department: null } },
      { phone: body.phone },
      { ...body, names: { enabled: 'yes' } },
    ]) {
      const res = await call('PUT', '/api/v1/quality/normalisation-rules', bad);
      expect(res.statusCode, JSON.stringify(bad)).toBe(400);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
    }
    expect((await call('PUT', '/api/v1/quality/normalisation-rules', body, viewer)).statusCode).toBe(403);
    expect(await rules()).toEqual(before);
    expect((await call('GET', '/api/v1/quality/classify-title?title=')).statusCode).toBe(400);
  });
});
