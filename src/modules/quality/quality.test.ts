import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../platform/actor.js';
import { bearer, createTestApp, json, makeApiKey, makeWorkspace, type TestApp } from '../../test/app.js';
import { importFromCli } from '../imports/cli-data.service.js';

let t: TestApp;
let key: string;
let ws: string;
type Contact = {
  id: string;
  phone: string | null;
  country: string | null;
  firstName: string | null;
  raw: Record<string, string>;
  quality: Record<string, unknown>;
};

const call = (method: string, url: string, payload?: object) =>
  t.app.inject({ method: method as 'GET', url, headers: bearer(key), ...(payload && { payload }) });

beforeAll(async () => {
  t = await createTestApp();
  const w = await makeWorkspace(t);
  ws = w.id;
  key = await makeApiKey(t, w, 'admin');
});
afterAll(async () => t?.close());

describe('normalisation on every write path', () => {
  it('API: phone to E.164 in the contact country, country to ISO, names cased; raw values readable', async () => {
    const res = await call('POST', '/api/v1/contacts', {
      email: 'norm@gmial.com',
      phone: '(415) 555-0132',
      country: 'United States',
      firstName: 'JANE',
    });
    expect(res.statusCode, res.body).toBe(201);
    const c = json<Contact>(res);
    expect(c).toMatchObject({ phone: '+14155550132', country: 'US', firstName: 'Jane' });
    expect(c.raw).toEqual({ phone: '(415) 555-0132', country: 'United States', firstName: 'JANE' });
    expect(c.quality).toMatchObject({ emailSuggestion: 'norm@gmail.com' });
    const read = json<Contact>(await call('GET', `/api/v1/contacts/${c.id}`));
    expect(read.raw).toEqual(c.raw);
    // The job title gives seniority and department (traits), unless the write sets them itself.
    const titled = json<Contact & { traits: Record<string, unknown> }>(
      await call('PATCH', `/api/v1/contacts/${c.id}`, { title: 'VP Marketing' }),
    );
    expect(titled.traits).toMatchObject({ seniority: 'vp', department: 'marketing' });
    const own = json<Contact & { traits: Record<string, unknown> }>(
      await call('PATCH', `/api/v1/contacts/${c.id}`, { title: 'Growth Lead', traits: { seniority: 'director' } }),
    );
    expect(own.traits).toMatchObject({ seniority: 'director', department: 'marketing' });
    // A new phone alone is read in the stored country; the old raw phone is replaced.
    const patched = json<Contact>(await call('PATCH', `/api/v1/contacts/${c.id}`, { phone: '415.555.0199' }));
    expect(patched.phone).toBe('+14155550199');
    expect(patched.raw.phone).toBe('415.555.0199');
    // The same value sent again keeps its raw value; a value stored as given forgets it.
    const same = json<Contact>(await call('PATCH', `/api/v1/contacts/${c.id}`, { phone: '+14155550199' }));
    expect(same.raw.phone).toBe('415.555.0199');
    const cleared = json<Contact>(await call('PATCH', `/api/v1/contacts/${c.id}`, { country: 'DE', phone: '+49 30 1234567' }));
    expect(cleared).toMatchObject({ country: 'DE', phone: '+49301234567' });
    expect(cleared.raw.country).toBeUndefined();
    // What cannot be read is kept as given and said so.
    const odd = json<Contact>(await call('POST', '/api/v1/contacts', { email: 'odd@example.com', phone: '555 0132', country: 'Atlantis' }));
    expect(odd).toMatchObject({ phone: '555 0132', country: 'Atlantis' });
    expect(odd.quality).toMatchObject({ phoneProblem: 'no country to read it in', countryProblem: 'unknown country' });
  });

  it('import: the same normalisation, and the same file twice changes nothing', async () => {
    const file = path.join(t.config.filesDir, 'norm.csv');
    await writeFile(
      file,
      'Email,First Name,Phone,Country\nimp1@example.com,MÜLLER,030 1234567,Deutschland\nimp2@example.com,ana,+44 20 7946 0958,UK\n',
    );
    const actor = systemActor(ws, 'test');
    const ctx = { db: t.db.handle.db, clock: t.clock, filesDir: t.config.filesDir };
    const input = { object: 'contact' as const, file, mode: 'upsert' as const, dryRun: false, dateFormat: 'auto' as const };
    expect(await importFromCli(ctx, actor, input)).toMatchObject({ created: 2, errors: 0 });
    const one = json<{ data: Contact[] }>(await call('GET', '/api/v1/contacts?email=imp1@example.com')).data[0];
    expect(one).toMatchObject({
      phone: '+49301234567',
      country: 'DE',
      firstName: 'Müller',
      raw: { country: 'Deutschland', phone: '030 1234567', firstName: 'MÜLLER' },
    });
    expect(json<{ data: Contact[] }>(await call('GET', '/api/v1/contacts?email=imp2@example.com')).data[0]).toMatchObject({
      phone: '+442079460958',
      country: 'GB',
    });
    expect(await importFromCli(ctx, actor, input)).toMatchObject({ created: 0, updated: 0, skipped: 2 });
  });

  it('tracking: identify traits are normalised like any other write', async () => {
    const writeKey = json<{ writeKey: string }>(await call('POST', '/api/v1/sources', { name: 'Site' })).writeKey;
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/identify',
      headers: { authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`, 'content-type': 'application/json' },
      payload: { userId: 'n1', traits: { email: 'tracked@example.com', phone: '(415) 555-0100', country: 'USA' } },
    });
    expect(res.statusCode, res.body).toBe(200);
    const c = json<{ data: Contact[] }>(await call('GET', '/api/v1/contacts?email=tracked@example.com')).data[0];
    expect(c).toMatchObject({ country: 'US', phone: '+14155550100' });
  });
});
