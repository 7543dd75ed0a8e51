import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, json, makeApiKey, makeWorkspace, type TestApp } from '../../test/app.js';
import { AccountNameIndex, similarNameConfidence } from './account-matching.service.js';
import { companyNameFromDomain, countryFromDomain, LEGAL_SUFFIXES, normaliseCompanyName } from './company-names.js';
import type { AccountMatch, EnrichResult, Provenance, ProviderView } from './enrichment.schema.js';
import { readPath } from './http-provider.js';
import { maskUrl } from './providers.service.js';

let t: TestApp;
let key: string;
let viewerKey: string;
let otherKey: string;
let server: http.Server;
let base: string;
const SECRET = 'sk_live_0123456789abcdef';
const seen: Array<{ method: string; url: string; authorization: string | undefined; body: string }> = [];

const call = (method: string, url: string, payload?: unknown, k = key) =>
  t.app.inject({ method: method as 'GET', url, headers: bearer(k), ...(payload !== undefined && { payload: payload as object }) });
const create = async (url: string, payload: object, k = key) => {
  const res = await call('POST', url, payload, k);
  expect(res.statusCode, res.body).toBe(201);
  return json<{ id: string }>(res).id;
};
const enrich = async (object: 'contacts' | 'accounts', id: string, providerId?: string) => {
  const res = await call('POST', `/api/v1/${object}/${id}/enrich`, providerId ? { providerId } : {});
  expect(res.statusCode, res.body).toBe(200);
  return json<EnrichResult>(res);
};
const record = async (object: 'contacts' | 'accounts', id: string, k = key) =>
  json<Record<string, unknown>>(await call('GET', `/api/v1/${object}/${id}`, undefined, k));
const provenance = async (object: 'contacts' | 'accounts', id: string) =>
  json<{ data: Provenance[] }>(await call('GET', `/api/v1/${object}/${id}/provenance`)).data;
const outcomes = (r: EnrichResult, providerName: string) =>
  Object.fromEntries(r.providers.find((p) => p.name === providerName)?.values.map((v) => [v.field, [v.value, v.outcome]]) ?? []);
const httpProviderBody = (name: string, config: object, enabled = true) => ({
  name,
  enabled,
  config: { object: 'contact', fieldMap: { 'company.name': 'company' }, ...config },
});

/** A real enrichment service on a local port: what the HTTP provider is tested against. */
function startServer(): Promise<void> {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization, body });
      const u = new URL(req.url ?? '/', 'http://localhost');
      const send = (status: number, text: string, type = 'application/json') => {
        res.writeHead(status, { 'content-type': type });
        res.end(text);
      };
      switch (u.pathname) {
        case '/person': {
          const email = u.searchParams.get('email') ?? '';
          if (email.startsWith('nobody@')) return send(404, '{"error":"not found"}');
          return send(
            200,
            JSON.stringify({
              person: { title: 'VP Marketing', city: 'Berlin', name: { first: 'ada' } },
              company: { name: 'Acme Corporation', employees: '1200', tags: ['b2b'] },
              likelihood: 80,
              echo: email,
            }),
          );
        }
        case '/low':
          return send(200, JSON.stringify({ company: { name: 'ACME Holdings' } }));
        case '/company': {
          const sent = JSON.parse(body || '{}') as { domain?: string };
          return send(200, JSON.stringify({ data: [{ industry: sent.domain === 'globex.de' ? 'Chemicals' : 'Other', size: 5000 }] }));
        }
        case '/fail':
          return send(500, '{"error":"boom"}');
        case '/garbage':
          return send(200, '<html>Service temporarily unavailable</html>', 'text/html');
        case '/redirect':
          res.writeHead(302, { location: 'http://elsewhere.invalid/' });
          return res.end();
        case '/big':
          return send(200, JSON.stringify({ company: { name: 'x'.repeat(2_000_000) } }));
        case '/slow':
          setTimeout(() => send(200, '{"company":{"name":"Too Late Inc"}}'), 1500).unref();
          return undefined;
        default:
          return send(404, '{}');
      }
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      resolve();
    });
  });
}

beforeAll(async () => {
  await startServer();
  t = await createTestApp();
  const w = await makeWorkspace(t);
  key = await makeApiKey(t, w, 'admin');
  viewerKey = await makeApiKey(t, w, 'viewer');
  otherKey = await makeApiKey(t, await makeWorkspace(t, 'Other'), 'admin');
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  await t?.close();
});

describe('names and domains', () => {
  it('reads a company name and a country from a domain', () => {
    expect(companyNameFromDomain('acme-corp.co.uk')).toBe('Acme Corp');
    expect(companyNameFromDomain('mail.globex.com')).toBe('Globex');
    expect(companyNameFromDomain('hp.com')).toBe('HP');
    expect(companyNameFromDomain('127.0.0.1')).toBeNull();
    expect(companyNameFromDomain('co.uk')).toBeNull();
    expect(countryFromDomain('acme-corp.co.uk')).toBe('GB');
    expect(countryFromDomain('globex.de')).toBe('DE');
    expect(countryFromDomain('startup.io')).toBeNull();
    expect(countryFromDomain('acme.com')).toBeNull();
  });

  it('normalises company names: case, punctuation, legal forms', () => {
    expect(normaliseCompanyName('The Acme Company, Inc.')).toBe('acme');
    expect(normaliseCompanyName('ACME GmbH')).toBe(normaliseCompanyName('Acme Inc.'));
    expect(normaliseCompanyName('Société Générale S.A.')).toBe('societe generale');
    expect(normaliseCompanyName('AT&T')).toBe('at and t');
    expect(normaliseCompanyName('Company Ltd')).toBe('company ltd');
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => {
        expect(normaliseCompanyName(normaliseCompanyName(s))).toBe(normaliseCompanyName(s));
      }),
    );
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z][a-z]{2,12}( [A-Za-z][a-z]{2,12})?$/), fc.constantFrom(...LEGAL_SUFFIXES), (name, suffix) => {
        fc.pre(!LEGAL_SUFFIXES.has(name.toLowerCase().split(' ').at(-1) ?? '') && name.toLowerCase().split(' ')[0] !== 'the');
        expect(normaliseCompanyName(`${name}, ${suffix.toUpperCase()}.`)).toBe(normaliseCompanyName(name));
      }),
    );
  });

  it('finds similar names within the threshold and scales their confidence', () => {
    const idx = new AccountNameIndex([
      { id: 'a', name: 'Soylent Industries' },
      { id: 'b', name: 'Soylent Foods' },
      { id: 'c', name: 'Hooli Inc' },
      { id: 'd', name: 'Hooli Ltd' },
    ]);
    const [typo] = idx.candidates('Soylent Industires LLC');
    expect(typo).toMatchObject({ accountId: 'a', reason: 'similar_name' });
    expect(typo?.confidence).toBeGreaterThan(0.6);
    expect(typo?.confidence).toBeLessThan(0.8);
    expect(idx.candidates('Hooli').map((c) => c.accountId)).toEqual(['c', 'd']);
    expect(idx.candidates('Initech')).toEqual([]);
    expect(similarNameConfidence(0.92)).toBe(0.6);
    expect(similarNameConfidence(1)).toBe(0.8);
  });

  it('reads dot paths from an answer, only through its own keys', () => {
    const doc = JSON.parse('{"a":{"b":[{"c":1}]},"__proto__":{"x":1}}') as unknown;
    expect(readPath(doc, 'a.b.0.c')).toBe(1);
    expect(readPath(doc, 'a.b.x')).toBeUndefined();
    expect(readPath({}, 'constructor')).toBeUndefined();
    expect(readPath({ a: {} }, 'a.toString')).toBeUndefined();
  });

  it('masks secrets in URLs', () => {
    expect(maskUrl('https://api.example.com/p?email={email}&api_key=abcdefghijklmnop')).toBe(
      'https://api.example.com/p?email={email}&api_key=••••mnop',
    );
    expect(maskUrl('https://user:hunter2@api.example.com/p')).toBe('https://user:••••@api.example.com/p');
  });
});

describe('offline provider', () => {
  it('fills company from a corporate domain and country from the phone, with provenance', async () => {
    const id = await create('/api/v1/contacts', { email: 'jo@acme-corp.co.uk', phone: '+49 30 901820' });
    const r = await enrich('contacts', id, 'offline');
    expect(r.changed).toBe(true);
    expect(outcomes(r, 'offline')).toEqual({ company: ['Acme Corp', 'filled'], country: ['DE', 'filled'] });
    expect(r.providers[0]?.facts).toMatchObject({ freeEmail: false });
    const c = await record('contacts', id);
    expect(c).toMatchObject({ company: 'Acme Corp', country: 'DE', version: 2 });
    const p = await provenance('contacts', id);
    expect(p.map((x) => [x.field, x.source, x.value, x.confidence, x.current])).toEqual([
      ['company', 'enrichment:offline', 'Acme Corp', 0.5, true],
      ['country', 'enrichment:offline', 'DE', 0.9, true],
    ]);
    const audit = json<{ data: Array<{ action: string; changes: Record<string, unknown> }> }>(
      await call('GET', `/api/v1/audit?entityId=${id}&action=contact.enriched`),
    );
    expect(audit.data).toHaveLength(1);
    expect(audit.data[0]?.changes).toMatchObject({ company: { from: null, to: 'Acme Corp' }, country: { from: null, to: 'DE' } });
    // Running again changes nothing and writes no audit entry.
    const again = await enrich('contacts', id, 'offline');
    expect(again.changed).toBe(false);
    expect(outcomes(again, 'offline')).toEqual({ company: ['Acme Corp', 'same_value'], country: ['DE', 'same_value'] });
    expect(again.version).toBe(2);
  });

  it('says free mail, guesses no company from it, reads the country from a country-code domain', async () => {
    const id = await create('/api/v1/contacts', { email: 'someone@gmail.com' });
    const r = await enrich('contacts', id, 'offline');
    expect(r.providers[0]?.facts).toMatchObject({ freeEmail: true });
    expect(r.providers[0]?.values).toEqual([]);
    const de = await create('/api/v1/contacts', { email: 'info@globex.de' });
    expect(outcomes(await enrich('contacts', de, 'offline'), 'offline')).toEqual({
      company: ['Globex', 'filled'],
      country: ['DE', 'filled'],
    });
  });

  it('never overwrites a value a person typed', async () => {
    const id = await create('/api/v1/contacts', {
      email: 'kim@initech.com',
      company: 'Initech Software Ltd',
      country: 'FR',
      phone: '+1 415 555 0132',
    });
    const r = await enrich('contacts', id, 'offline');
    expect(r.changed).toBe(false);
    expect(outcomes(r, 'offline')).toEqual({ company: ['Initech', 'kept_person_value'], country: ['US', 'kept_person_value'] });
    expect(await record('contacts', id)).toMatchObject({ company: 'Initech Software Ltd', country: 'FR', version: 1 });
    expect(await provenance('contacts', id)).toEqual([]);
  });

  it('enriches accounts: the name a person gave stays, the country is filled', async () => {
    const id = await create('/api/v1/accounts', { name: 'Globex', domain: 'globex.de' });
    const r = await enrich('accounts', id);
    expect(outcomes(r, 'offline')).toEqual({ name: ['Globex', 'same_value'], country: ['DE', 'filled'] });
    expect(await record('accounts', id)).toMatchObject({ name: 'Globex', country: 'DE' });
  });
});

describe('http provider against a real server', () => {
  let personId: string;
  let contactId: string;

  it('calls the URL with the email and the headers, maps the answer through the field map', async () => {
    await create('/api/v1/custom-fields', { object: 'contact', label: 'Employees', key: 'employees', type: 'number' });
    personId = await create(
      '/api/v1/enrichment/providers',
      httpProviderBody('People API', {
        url: `${base}/person?email={email}`,
        headers: { Authorization: `Bearer ${SECRET}` },
        fieldMap: {
          'company.name': 'company',
          'person.title': 'title',
          'person.city': 'city',
          'company.employees': 'custom.employees',
          'company.tags': 'source',
        },
        confidencePath: 'likelihood',
      }),
    );
    contactId = await create('/api/v1/contacts', { email: 'ada+test@acme.com', city: 'Paris' });
    const r = await enrich('contacts', contactId, personId);
    const run = r.providers[0];
    expect(run).toMatchObject({ name: 'People API', kind: 'http', status: 'ok', error: null, facts: { pathsNotValues: ['company.tags'] } });
    expect(outcomes(r, 'People API')).toEqual({
      company: ['Acme Corporation', 'filled'],
      title: ['VP Marketing', 'filled'],
      city: ['Berlin', 'kept_person_value'],
      'custom.employees': ['1200', 'filled'],
    });
    expect(run?.values.every((v) => v.confidence === 0.8)).toBe(true);
    const last = seen.at(-1);
    expect(last).toMatchObject({ method: 'GET', url: '/person?email=ada%2Btest%40acme.com', authorization: `Bearer ${SECRET}` });
    expect(await record('contacts', contactId)).toMatchObject({
      company: 'Acme Corporation',
      title: 'VP Marketing',
      city: 'Paris',
      custom: { employees: 1200 },
      traits: { seniority: 'vp', department: 'marketing' },
    });
    const p = await provenance('contacts', contactId);
    expect(p.find((x) => x.field === 'custom.employees')).toMatchObject({ source: 'enrichment:People API', value: 1200, confidence: 0.8 });
  });

  it('shows secrets masked, never puts them in the audit log, keeps them when the masked value comes back', async () => {
    const v = json<ProviderView>(await call('GET', `/api/v1/enrichment/providers/${personId}`));
    expect(v.config.headers).toEqual({ Authorization: '••••cdef' });
    expect(JSON.stringify(v)).not.toContain(SECRET);
    const list = json<{ data: ProviderView[] }>(await call('GET', '/api/v1/enrichment/providers', undefined, viewerKey));
    expect(list.data.map((x) => x.id)).toEqual(['offline', personId]);
    expect(JSON.stringify(list)).not.toContain(SECRET);
    const patched = await call('PATCH', `/api/v1/enrichment/providers/${personId}`, {
      config: { headers: v.config.headers, url: v.config.url, timeoutMs: 3000 },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    await enrich('contacts', contactId, personId);
    expect(seen.at(-1)?.authorization).toBe(`Bearer ${SECRET}`);
    const audit = await call('GET', `/api/v1/audit?entityId=${personId}`);
    expect(json<{ data: unknown[] }>(audit).data.length).toBe(2);
    expect(audit.body).not.toContain(SECRET);
  });

  it('posts a JSON body for accounts and reads list paths', async () => {
    const companyApi = await create('/api/v1/enrichment/providers', {
      name: 'Company API',
      config: {
        object: 'account',
        method: 'POST',
        url: `${base}/company`,
        fieldMap: { 'data.0.industry': 'industry', 'data.0.size': 'size' },
      },
    });
    // The account the offline tests made.
    const accountId = json<{ data: Array<{ id: string }> }>(await call('GET', '/api/v1/accounts?domain=globex.de')).data[0]?.id ?? '';
    const r = await enrich('accounts', accountId);
    expect(r.providers.map((p) => [p.name, p.status])).toEqual([
      ['offline', 'ok'],
      ['Company API', 'ok'],
    ]);
    expect(outcomes(r, 'Company API')).toEqual({ industry: ['Chemicals', 'filled'], size: [5000, 'filled'] });
    expect(JSON.parse(seen.at(-1)?.body ?? '{}')).toEqual({ domain: 'globex.de', name: 'Globex' });
    // An account provider has nothing to say about a contact.
    const onContact = await enrich('contacts', contactId, companyApi);
    expect(onContact.providers[0]).toMatchObject({ status: 'not_applicable', values: [] });
  });

  it('reports a 500, a timeout, a redirect, an answer that is not JSON or too large, a refused connection, as per-record errors', async () => {
    const id = await create('/api/v1/contacts', { email: 'err@example.org' });
    const cases: Array<[string, object, string, RegExp]> = [
      ['Failing', { url: `${base}/fail?e={email}` }, 'http_status', /answered 500/],
      ['Slow', { url: `${base}/slow?e={email}`, timeoutMs: 200 }, 'timeout', /200 ms/],
      ['Garbage', { url: `${base}/garbage?e={email}` }, 'invalid_json', /not JSON/],
      ['Redirecting', { url: `${base}/redirect?e={email}` }, 'redirect', /elsewhere\.invalid/],
      ['Big', { url: `${base}/big?e={email}` }, 'response_too_large', /larger than/],
      ['Unknown person', { url: `${base}/person?email=nobody@{domain}` }, 'http_status', /404/],
      ['Closed port', { url: 'http://127.0.0.1:9/x?e={email}' }, 'network', /ECONNREFUSED|reach/],
    ];
    for (const [name, config, code, message] of cases) {
      const pid = await create('/api/v1/enrichment/providers', httpProviderBody(name, config, false));
      const r = await enrich('contacts', id, pid);
      expect(r.providers[0], name).toMatchObject({ status: 'error', error: { code }, values: [] });
      expect(r.providers[0]?.error?.message, name).toMatch(message);
      expect(r.changed).toBe(false);
    }
    // Switched-off providers are not part of a default run.
    const all = await enrich('contacts', id);
    expect(all.providers.map((p) => p.name)).toEqual(['offline', 'People API']);
    expect(await record('contacts', id)).toMatchObject({ version: 2 });
  });

  it('a contact without the value the URL needs is an error for that record', async () => {
    const id = await create('/api/v1/contacts', { email: 'x@example.net' });
    await t.db.handle.db.updateTable('contacts').set({ email: null }).where('id', '=', id).execute();
    const r = await enrich('contacts', id, personId);
    expect(r.providers[0]).toMatchObject({ status: 'error', error: { code: 'missing_input' } });
  });
});

describe('who wins: people, rules and confidence', () => {
  it('a more confident provider replaces enrichment, a less confident one does not, a person always wins unless the rule says always', async () => {
    const id = await create('/api/v1/contacts', { email: 'lee@acme-corp.co.uk' });
    // Offline guesses "Acme Corp" at 0.5.
    expect(outcomes(await enrich('contacts', id, 'offline'), 'offline')).toMatchObject({ company: ['Acme Corp', 'filled'] });
    const people = json<{ data: ProviderView[] }>(await call('GET', '/api/v1/enrichment/providers')).data.find(
      (p) => p.name === 'People API',
    );
    // The People API answers "Acme Corporation" at 0.8: it replaces the guess.
    expect(outcomes(await enrich('contacts', id, people?.id), 'People API')).toMatchObject({ company: ['Acme Corporation', 'replaced'] });
    // A provider at 0.3 does not replace 0.8.
    const low = await create(
      '/api/v1/enrichment/providers',
      httpProviderBody('Low', { url: `${base}/low?e={email}`, confidence: 0.3 }, false),
    );
    const lowRun = await enrich('contacts', id, low);
    expect(outcomes(lowRun, 'Low')).toEqual({ company: ['ACME Holdings', 'kept_higher_confidence'] });
    expect(lowRun.providers[0]?.values[0]?.message).toMatch(/higher confidence/);
    // In one run, the most confident value wins and the others say so.
    const both = await enrich('contacts', id);
    expect(outcomes(both, 'offline').company).toEqual(['Acme Corp', 'lost_to_other_provider']);
    expect(outcomes(both, 'People API').company).toEqual(['Acme Corporation', 'same_value']);
    // A person changes it: now nobody overwrites it...
    expect((await call('PATCH', `/api/v1/contacts/${id}`, { company: 'ACME (UK) Ltd' })).statusCode).toBe(200);
    expect((await provenance('contacts', id)).find((p) => p.field === 'company')).toMatchObject({ current: false });
    expect(outcomes(await enrich('contacts', id, people?.id), 'People API').company).toEqual(['Acme Corporation', 'kept_person_value']);
    // ...unless the provider's rule for that field is always.
    const ruled = await call('PATCH', `/api/v1/enrichment/providers/${low}`, { config: { overwrite: { company: 'always' } } });
    expect(ruled.statusCode, ruled.body).toBe(200);
    expect(outcomes(await enrich('contacts', id, low), 'Low').company).toEqual(['ACME Holdings', 'replaced']);
    expect(await record('contacts', id)).toMatchObject({ company: 'ACME Holdings' });
    // Rule empty: only fills empty fields, even over its own earlier value.
    await call('PATCH', `/api/v1/enrichment/providers/${low}`, { config: { overwrite: { company: 'empty' } } });
    const fresh = await create('/api/v1/contacts', { email: 'sam@acme-corp.co.uk' });
    await enrich('contacts', fresh, people?.id);
    expect(outcomes(await enrich('contacts', fresh, low), 'Low').company).toEqual(['ACME Holdings', 'kept_by_rule']);
  });

  it('the offline provider can be switched off for default runs and its settings forgotten', async () => {
    const off = await call('PATCH', '/api/v1/enrichment/providers/offline', { enabled: false });
    expect(json<ProviderView>(off)).toMatchObject({ id: 'offline', enabled: false, builtIn: true });
    const id = await create('/api/v1/contacts', { email: 'pat@umbrella.co.uk' });
    expect((await enrich('contacts', id)).providers.map((p) => p.name)).toEqual(['People API']);
    expect((await call('DELETE', '/api/v1/enrichment/providers/offline')).statusCode).toBe(204);
    expect(json<ProviderView>(await call('GET', '/api/v1/enrichment/providers/offline'))).toMatchObject({
      enabled: true,
      config: { overwrite: {} },
    });
  });
});

describe('lead-to-account matching', () => {
  // A workspace of its own, so the records of the other tests do not count.
  let mk: string;
  const ids: Record<string, string> = {};
  const post = (url: string, payload?: object, k?: string) => call('POST', url, payload ?? {}, k ?? mk);
  const contact = async (id: string | undefined) => record('contacts', id ?? '', mk);
  const matches = async (id: string | undefined) =>
    json<{ data: AccountMatch[] }>(await call('GET', `/api/v1/contacts/${id}/account-matches`, undefined, mk)).data.map((m) => [
      m.accountName,
      m.confidence,
      m.reason,
      m.status,
    ]);
  const run = async (payload: object = {}) => {
    const res = await post('/api/v1/account-matching/run', payload);
    expect(res.statusCode, res.body).toBe(200);
    return json<{ contacts: number; linked: number; suggested: number }>(res);
  };

  beforeAll(async () => {
    mk = await makeApiKey(t, await makeWorkspace(t, 'Matching'), 'admin');
    const accounts = {
      acme: { name: 'Acme', domain: 'acme-widgets.com' },
      globex: { name: 'Globex Corporation' },
      soylent: { name: 'Soylent Industries', domain: 'soylent.example' },
      initrode: { name: 'Initrode', domain: 'initrode.com' },
      hooliInc: { name: 'Hooli Inc' },
      hooliLtd: { name: 'Hooli Ltd' },
      googleMail: { name: 'Google Mail', domain: 'gmail.com' },
      vandelayCo: { name: 'Vandelay Industries' },
    };
    for (const [k, body] of Object.entries(accounts)) ids[k] = await create('/api/v1/accounts', body, mk);
    const contacts = {
      byDomain: { email: 'a@acme-widgets.com' },
      bySubdomain: { email: 'b@uk.acme-widgets.com' },
      byName: { email: 'c@gmail.com', company: 'Globex Corp.' },
      byTypo: { email: 'd@hotmail.com', company: 'Soylent Industires' },
      both: { email: 'e@initrode.com', company: 'Initrode LLC' },
      tied: { email: 'f@yahoo.com', company: 'Hooli' },
      freeMail: { email: 'g@gmail.com' },
      vandelay: { email: 'h@outlook.com', company: 'Vandelay Industries, Inc.' },
    };
    for (const [k, body] of Object.entries(contacts)) ids[k] = await create('/api/v1/contacts', body, mk);
    // Another workspace with a contact at the same domain and company: never matched to these accounts.
    ids.elsewhere = await create('/api/v1/contacts', { email: 'z@acme-widgets.com', company: 'Acme' }, otherKey);
  });

  it('shows candidates with their confidence before any run', async () => {
    expect(await matches(ids.byDomain)).toEqual([['Acme', 0.95, 'domain', 'suggested']]);
    expect(await matches(ids.bySubdomain)).toEqual([['Acme', 0.9, 'parent_domain', 'suggested']]);
    // gmail.com is an account's domain here, but free mail says nothing about an employer.
    expect(await matches(ids.byName)).toEqual([['Globex Corporation', 0.85, 'name', 'suggested']]);
    const typo = await matches(ids.byTypo);
    expect(typo).toHaveLength(1);
    expect(typo[0]?.[0]).toBe('Soylent Industries');
    expect(typo[0]?.[2]).toBe('similar_name');
    expect(typo[0]?.[1]).toBeGreaterThan(0.6);
    expect(typo[0]?.[1]).toBeLessThan(0.8);
    expect(await matches(ids.both)).toEqual([['Initrode', 0.99, 'domain_and_name', 'suggested']]);
    expect(await matches(ids.freeMail)).toEqual([]);
    expect((await matches(ids.tied)).map((m) => m[0])).toEqual(['Hooli Inc', 'Hooli Ltd']);
  });

  it('links the sure ones, suggests the rest, and stays inside the workspace', async () => {
    // Sure: the domain, the subdomain, domain and name. Suggested: Globex (name), Soylent
    // (similar name), Hooli (two equal candidates), Vandelay (name).
    expect(await run()).toEqual({ contacts: 8, linked: 3, suggested: 4 });
    expect(await contact(ids.byDomain)).toMatchObject({ accountId: ids.acme, version: 2 });
    expect(await contact(ids.bySubdomain)).toMatchObject({ accountId: ids.acme });
    expect(await contact(ids.both)).toMatchObject({ accountId: ids.initrode });
    expect(await contact(ids.byName)).toMatchObject({ accountId: null });
    expect(await matches(ids.byDomain)).toEqual([['Acme', 0.95, 'domain', 'linked']]);
    const audit = json<{ data: Array<{ action: string; changes: Record<string, unknown> }> }>(
      await call('GET', `/api/v1/audit?entityId=${ids.byDomain}`, undefined, mk),
    );
    expect(audit.data[0]).toMatchObject({
      action: 'contact.account_matched',
      changes: { accountId: { from: null, to: ids.acme }, _meta: { confidence: 0.95, reason: 'domain', automatic: true } },
    });
    expect(await record('contacts', ids.elsewhere ?? '', otherKey)).toMatchObject({ accountId: null });
    expect(json<{ linked: number }>(await post('/api/v1/account-matching/run', {}, otherKey)).linked).toBe(0);
    // Running again finds nothing new to link.
    expect(await run()).toEqual({ contacts: 5, linked: 0, suggested: 4 });
  });

  it('accepts and rejects matches; a rejected match is never suggested or linked again', async () => {
    const accepted = await post(`/api/v1/contacts/${ids.byName}/account-matches/${ids.globex}/accept`);
    expect(accepted.statusCode, accepted.body).toBe(200);
    expect(json<AccountMatch>(accepted)).toMatchObject({ status: 'linked', confidence: 0.85, reason: 'name' });
    expect(await contact(ids.byName)).toMatchObject({ accountId: ids.globex });
    // Only a match can be accepted or rejected.
    expect((await post(`/api/v1/contacts/${ids.vandelay}/account-matches/${ids.acme}/reject`)).statusCode).toBe(404);
    const rejected = await post(`/api/v1/contacts/${ids.vandelay}/account-matches/${ids.vandelayCo}/reject`);
    expect(json<AccountMatch>(rejected)).toMatchObject({ status: 'rejected', accountName: 'Vandelay Industries' });
    // A low threshold links the similar name; not the rejected match, not the tied one.
    expect(await run({ threshold: 0.6 })).toMatchObject({ linked: 1 });
    expect(await contact(ids.byTypo)).toMatchObject({ accountId: ids.soylent });
    expect(await contact(ids.vandelay)).toMatchObject({ accountId: null });
    expect(await contact(ids.tied)).toMatchObject({ accountId: null });
    expect(await matches(ids.vandelay)).toEqual([['Vandelay Industries', 0.85, 'name', 'rejected']]);
    // Rejecting a linked match unlinks the contact, and no run links it again.
    expect(json<AccountMatch>(await post(`/api/v1/contacts/${ids.byDomain}/account-matches/${ids.acme}/reject`)).status).toBe('rejected');
    expect(await contact(ids.byDomain)).toMatchObject({ accountId: null });
    expect(await run()).toMatchObject({ linked: 0 });
    expect(await contact(ids.byDomain)).toMatchObject({ accountId: null });
    const actions = json<{ data: Array<{ action: string }> }>(
      await call('GET', `/api/v1/audit?entityId=${ids.byDomain}`, undefined, mk),
    ).data.map((a) => a.action);
    expect(actions.slice(0, 2)).toEqual(['contact.account_match_rejected', 'contact.account_matched']);
  });
});

describe('bad input', () => {
  const problem = async (method: string, url: string, payload: unknown, status = 400) => {
    const res = await call(method, url, payload);
    expect(res.statusCode, `${url} ${JSON.stringify(payload)?.slice(0, 200)}: ${res.body.slice(0, 300)}`).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    return json<{ detail: string }>(res).detail;
  };
  const valid = { name: 'Valid', config: { object: 'contact', url: 'https://api.example.com/p?e={email}', fieldMap: { a: 'company' } } };
  const withConfig = (config: object) => ({ ...valid, config: { ...valid.config, ...config } });

  it('refuses bad providers with a clear message and stores nothing', async () => {
    const before = json<{ data: unknown[] }>(await call('GET', '/api/v1/enrichment/providers')).data.length;
    expect(await problem('POST', '/api/v1/enrichment/providers', { ...valid, extra: true })).toMatch(/extra/);
    expect(await problem('POST', '/api/v1/enrichment/providers', withConfig({ url: 'file:///etc/passwd' }))).toMatch(/Only http and https/);
    expect(await problem('POST', '/api/v1/enrichment/providers', withConfig({ url: 'ftp://files.example.com/{email}' }))).toMatch(
      /not ftp/,
    );
    expect(await problem('POST', '/api/v1/enrichment/providers', withConfig({ url: 'javascript:alert(1)' }))).toMatch(/http and https/);
    expect(await problem('POST', '/api/v1/enrichment/providers', withConfig({ url: 'not a url' }))).toMatch(/Not a URL/);
    expect(await problem('POST', '/api/v1/enrichment/providers', withConfig({ url: 'https://x.example/{phone}' }))).toMatch(/\{phone\}/);
    expect(await problem('POST', '/api/v1/enrichment/providers', withConfig({ fieldMap: { a: 'email' } }))).toMatch(
      /email is not a field enrichment can write on contacts/,
    );
    expect(await problem('POST', '/api/v1/enrichment/providers', withConfig({ fieldMap: {} }))).toMatch(/at least one/);
    expect(await problem('POST', '/api/v1/enrichment/providers', withConfig({ fieldMap: { 'a b': 'company' } }))).toMatch(
      /keys separated by dots/,
    );
    expect(await problem('POST', '/api/v1/enrichment/providers', withConfig({ overwrite: { 'Custom.X': 'always' } }))).toMatch(
      /core field name/,
    );
    expect(await problem('POST', '/api/v1/enrichment/providers', withConfig({ headers: { Host: 'evil' } }))).toMatch(/set by Keel/);
    expect(await problem('POST', '/api/v1/enrichment/providers', withConfig({ headers: { 'X-A': 'a\r\nB: c' } }))).toMatch(/one line/);
    expect(await problem('POST', '/api/v1/enrichment/providers', withConfig({ timeoutMs: 600_000 }))).toMatch(/timeoutMs/);
    expect(await problem('POST', '/api/v1/enrichment/providers', withConfig({ overwrite: { company: 'sometimes' } }))).toMatch(/overwrite/);
    expect(await problem('POST', '/api/v1/enrichment/providers', { ...valid, name: 'Offline' })).toMatch(/built-in/);
    expect(await problem('POST', '/api/v1/enrichment/providers', { ...valid, kind: 'offline' })).toMatch(/built in/);
    expect(await problem('POST', '/api/v1/enrichment/providers', { ...valid, name: 'people api' }, 409)).toMatch(/already exists/);
    expect(await problem('PATCH', '/api/v1/enrichment/providers/offline', { config: { url: 'https://x.example' } })).toMatch(/config.url/);
    expect(await problem('PATCH', '/api/v1/enrichment/providers/offline', { name: 'mine' })).toMatch(/name/);
    const people = json<{ data: ProviderView[] }>(await call('GET', '/api/v1/enrichment/providers')).data.find(
      (p) => p.name === 'People API',
    );
    expect(await problem('PATCH', `/api/v1/enrichment/providers/${people?.id}`, { config: { url: 'gopher://x.example/' } })).toMatch(
      /Only http and https/,
    );
    expect(await problem('PATCH', `/api/v1/enrichment/providers/${people?.id}`, { config: { object: 'account' } })).toMatch(
      /title is not a field enrichment can write on accounts/,
    );
    expect(await problem('GET', '/api/v1/enrichment/providers/01900000-0000-7000-8000-000000000000', undefined, 404)).toMatch(/not found/);
    expect(await problem('GET', '/api/v1/enrichment/providers/nope', undefined)).toMatch(/id/);
    expect(json<{ data: unknown[] }>(await call('GET', '/api/v1/enrichment/providers')).data.length).toBe(before);
  });

  it('refuses bad enrich and matching requests, and a body that is too large', async () => {
    const id = await create('/api/v1/contacts', { email: 'bad-input@example.com' });
    expect(await problem('POST', `/api/v1/contacts/${id}/enrich`, { providerId: 'clearbit' })).toMatch(/providerId/);
    expect(await problem('POST', `/api/v1/contacts/${id}/enrich`, { fields: ['company'] })).toMatch(/fields/);
    expect(await problem('POST', '/api/v1/contacts/01900000-0000-7000-8000-000000000000/enrich', {}, 404)).toMatch(/Contact not found/);
    expect(await problem('POST', `/api/v1/contacts/${id}/enrich`, { providerId: '01900000-0000-7000-8000-000000000000' }, 404)).toMatch(
      /provider not found/,
    );
    expect(await problem('POST', '/api/v1/account-matching/run', { threshold: 2 })).toMatch(/threshold/);
    expect(await problem('POST', '/api/v1/account-matching/run', { threshold: 0.9, dryRun: true })).toMatch(/dryRun/);
    expect(await problem('POST', `/api/v1/contacts/${id}/account-matches/not-an-id/accept`, {})).toMatch(/account id/);
    const huge = { ...valid, name: 'Huge', config: { ...valid.config, headers: { 'X-Big': 'x'.repeat(2_000_000) } } };
    expect(await problem('POST', '/api/v1/enrichment/providers', huge, 413)).toBeTruthy();
    const wide = withConfig({ fieldMap: Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`p${i}`, `custom.f${i}`])) });
    expect(await problem('POST', '/api/v1/enrichment/providers', wide)).toMatch(/At most 50/);
    expect((await call('GET', `/api/v1/contacts/${id}`)).json()).toMatchObject({ version: 1 });
  });

  it('a viewer reads but does not write', async () => {
    expect((await call('GET', '/api/v1/enrichment/providers', undefined, viewerKey)).statusCode).toBe(200);
    const id = await create('/api/v1/contacts', { email: 'viewer-check@example.com' });
    expect((await call('GET', `/api/v1/contacts/${id}/provenance`, undefined, viewerKey)).statusCode).toBe(200);
    expect((await call('POST', `/api/v1/contacts/${id}/enrich`, {}, viewerKey)).statusCode).toBe(403);
    expect((await call('POST', '/api/v1/account-matching/run', {}, viewerKey)).statusCode).toBe(403);
  });
});
