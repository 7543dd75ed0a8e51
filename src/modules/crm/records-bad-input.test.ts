import { normaliseName } from '../quality/normalise.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, json, makeApiKey, makeWorkspace, type TestApp } from '../../test/app.js';
import { parseCell, importTargets } from '../imports/import-targets.js';
import { contactDef } from './crm-objects.js';
import type { CustomField } from './custom-fields.schema.js';

let t: TestApp;
let key: string;

beforeAll(async () => {
  t = await createTestApp();
  const ws = await makeWorkspace(t);
  key = await makeApiKey(t, ws, 'admin');
  await t.jobs.start({ worker: false });
  await t.app.inject({
    method: 'POST',
    url: '/api/v1/custom-fields',
    headers: bearer(key),
    payload: { object: 'contact', label: 'Seats', type: 'number' },
  });
});
afterAll(() => t.close());

const count = async () =>
  Number(
    (
      await t.db.handle.db
        .selectFrom('contacts')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe('CRM routes and bad input', () => {
  it('arbitrary JSON bodies never crash a CRM write route (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.jsonValue({ maxDepth: 3 }),
        fc.constantFrom(
          '/api/v1/contacts',
          '/api/v1/accounts',
          '/api/v1/contacts/upsert?on=email',
          '/api/v1/contacts/bulk',
          '/api/v1/custom-fields',
          '/api/v1/views',
          '/api/v1/import-mappings',
        ),
        async (body, url) => {
          const res = await t.app.inject({
            method: 'POST',
            url,
            headers: { ...bearer(key), 'content-type': 'application/json' },
            payload: JSON.stringify(body),
          });
          expect(res.statusCode, `${url} ${JSON.stringify(body)} -> ${res.body}`).toBeLessThan(500);
          expect([400, 409, 415]).toContain(res.statusCode);
        },
      ),
      { numRuns: 120 },
    );
  });

  it('any search text or filter string is answered, never a 5xx (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 80, unit: 'binary' }), fc.string({ maxLength: 200 }), async (q, filter) => {
        for (const url of [
          `/api/v1/contacts?q=${encodeURIComponent(q)}`,
          `/api/v1/contacts?filter=${encodeURIComponent(filter)}`,
          `/api/v1/contacts?filter=${encodeURIComponent(JSON.stringify([{ field: 'custom.seats', op: 'gt', value: q }]))}`,
          `/api/v1/contacts?sort=${encodeURIComponent(q)}`,
          `/api/v1/contacts/export?q=${encodeURIComponent(q)}`,
        ]) {
          const res = await t.app.inject({ url, headers: bearer(key) });
          expect(res.statusCode, `${url} -> ${res.body.slice(0, 200)}`).toBeLessThan(500);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('SQL metacharacters and unicode in names are stored (normalised, the raw value kept verbatim) (property)', async () => {
    let i = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ minLength: 1, maxLength: 60, unit: 'grapheme' }),
          fc.constantFrom("'; drop table contacts; --", '%_%', 'Zoë Ångström', 'مرحبا', '👩🏽‍💻', '\u202Eevil', 'a\\b'),
        ),
        async (name) => {
          i += 1;
          const before = await count();
          const email = `prop${i}+tag@exämple.de`;
          const res = await t.app.inject({
            method: 'POST',
            url: '/api/v1/contacts',
            headers: bearer(key),
            payload: { email, firstName: name },
          });
          expect(res.statusCode, res.body).toBeLessThan(500);
          if (res.statusCode === 201) {
            // Names are normalised (case, spaces); the value as given stays readable in `raw`.
            const given = name.toWellFormed().trim();
            const body = json<{ firstName: string | null; raw: Record<string, string> }>(res);
            if (given === '') expect(body.firstName).toBeNull();
            else {
              expect(body.firstName).toBe(normaliseName(given).value);
              expect(body.raw.firstName ?? body.firstName).toBe(given);
            }
            expect(await count()).toBe(before + 1);
          } else {
            expect(res.statusCode).toBe(400);
            expect(await count()).toBe(before);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuses an oversized JSON body with 413', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/contacts',
      headers: { ...bearer(key), 'content-type': 'application/json' },
      payload: JSON.stringify({ email: 'big@example.com', traits: { blob: 'x'.repeat(2_000_000) } }),
    });
    expect(res.statusCode).toBe(413);
  });

  it('parses any CSV cell for any field type without throwing (property)', () => {
    const fields: CustomField[] = (
      ['text', 'number', 'boolean', 'date', 'datetime', 'select', 'multiselect', 'url', 'email', 'phone', 'currency'] as const
    ).map((type, i) => ({
      id: String(i),
      object: 'contact',
      key: `f_${type}`,
      label: type,
      type,
      options: ['A', 'B'],
      currency: 'USD',
      description: '',
      required: false,
      indexed: false,
      position: i,
      createdAt: '',
      updatedAt: '',
      deletedAt: null,
      purgeAfter: null,
    }));
    const targets = importTargets(contactDef, fields);
    fc.assert(
      fc.property(
        fc.string({ maxLength: 300, unit: 'binary' }),
        fc.constantFrom('auto', 'iso', 'us', 'eu') as fc.Arbitrary<'auto'>,
        (raw, fmt) => {
          for (const tg of targets) {
            const r = parseCell(tg, raw, fmt);
            expect(typeof r.ok).toBe('boolean');
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
