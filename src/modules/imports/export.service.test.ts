import { PassThrough } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../platform/actor.js';
import { createTestApp, makeUser, makeWorkspace, type TestApp } from '../../test/app.js';
import type { Workspace } from '../workspaces/workspaces.schema.js';
import { accountDef, contactDef, type ObjectDef } from '../crm/crm-objects.js';
import { createCustomField, deleteCustomField } from '../crm/custom-fields.service.js';
import type { CreateCustomFieldInput } from '../crm/custom-fields.schema.js';
import { externalIdsFor, selectList, toRecordView, type RecordRow } from '../crm/records.repo.js';
import { createRecord } from '../crm/records.service.js';
import { neutraliseFormula } from './csv-safety.js';
import { csvLine, planExport, writeExport, type ExportOptions } from './export.service.js';
import type { ImportTarget } from './import-targets.js';
import { formatMinorUnits } from './value-parsers.js';

// writeExport writes cells straight from the rows. These tests hold it to what it wrote before
// (commit 7571d34): a RecordView per row, cells as below, lines by csv-stringify. The round trip
// through the importer is tested in imports.test.ts.

let t: TestApp;
let ws: Workspace;
const ctx = () => ({ db: t.db.handle.db, clock: t.clock });

const awkward = [
  "=cmd|' /C calc'!A0",
  'O\'Brien, "Jr."\nline two',
  '  spaces around  ',
  'carriage\rreturn',
  '+1 (555) 010-0000',
  '-12',
  '@mention',
  "'=already quoted",
  'ünïcödé, 東京',
  '"',
  ',',
  'tab\there',
];

beforeAll(async () => {
  t = await createTestApp();
  ws = await makeWorkspace(t);
  const actor = systemActor(ws.id);
  const owner = await makeUser(t, ws, 'sales', 'owner-export@example.com');
  const fields: Array<Pick<CreateCustomFieldInput, 'label' | 'type' | 'options' | 'currency'>> = [
    { label: 'Tier', type: 'select', options: ['Gold', '=Silver'] },
    { label: 'Seats', type: 'number' },
    { label: 'Beta', type: 'boolean' },
    { label: 'Renewal', type: 'date' },
    { label: 'Last seen', type: 'datetime' },
    { label: 'Topics', type: 'multiselect', options: ['ads', 'seo', '-neg'] },
    { label: 'ARR', type: 'currency', currency: 'EUR' },
    { label: 'Notes', type: 'text' },
    { label: 'Gone', type: 'text' },
  ];
  for (const f of fields)
    await createCustomField(ctx(), actor, { object: 'contact', description: '', required: false, indexed: false, ...f });
  for (const f of fields.slice(0, 3))
    await createCustomField(ctx(), actor, { object: 'account', description: '', required: false, indexed: false, ...f });
  for (const [i, text] of awkward.entries()) {
    await createRecord(ctx(), actor, contactDef, {
      email: `export${i}@example.com`,
      firstName: text,
      lastName: i % 3 ? `Last${i}` : null,
      phone: i % 2 ? '+44 20 7946 0958' : null,
      company: i % 4 ? text : null,
      ownerId: i % 2 ? owner.id : null,
      externalIds: i % 3 === 1 ? { crm_id: `003-${i}`, map_id: text } : {},
      traits: i % 2 ? { plan: text, n: i } : {},
      custom: {
        ...(i % 2 ? { tier: i % 4 === 1 ? '=Silver' : 'Gold' } : {}),
        ...(i % 3 ? { seats: i % 2 ? -12.5 : i * 1000 } : {}),
        ...(i % 4 ? { beta: i % 2 === 0 } : {}),
        renewal: '2026-01-31',
        ...(i % 2 ? { last_seen: '2026-01-31T23:59:59.999Z' } : {}),
        ...(i % 3 !== 2 ? { topics: i % 2 ? ['ads', '-neg'] : [] } : {}),
        ...(i % 2 ? { arr: i % 4 === 1 ? -5 : 123456 } : { arr: 7 }),
        notes: text,
        gone: `gone ${i}`,
      },
    });
    await createRecord(ctx(), actor, accountDef, {
      name: text,
      domain: `export${i}.example.com`,
      revenue: i % 2 ? 9_007_199_254 : null,
      custom: i % 2 ? { tier: 'Gold', seats: i } : {},
    });
  }
  // Timestamps PostgreSQL holds with microseconds (written by SQL, not from a JavaScript Date).
  await sql`update contacts set created_at = '2026-02-03 04:05:06.789999+00', updated_at = '2026-02-03 04:05:06+00'
    where email = 'export1@example.com'`.execute(t.db.handle.db);
  const gone = await t.db.handle.db
    .selectFrom('custom_fields')
    .select('id')
    .where('key', '=', 'gone')
    .where('object', '=', 'contact')
    .executeTakeFirstOrThrow();
  await deleteCustomField(ctx(), actor, gone.id);
});
afterAll(() => t.close());

async function exported(def: ObjectDef, opts: ExportOptions): Promise<string> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await writeExport(await planExport(t.db.handle.db, ws.id, def, opts), out);
  return Buffer.concat(chunks).toString('utf8');
}

/** The export as it was written before: a RecordView per row, csv-stringify for the lines. */
async function reference(def: ObjectDef, opts: ExportOptions): Promise<string> {
  const db = t.db.handle.db;
  const plan = await planExport(db, ws.id, def, opts);
  const rows = (
    await sql<RecordRow>`select ${selectList(def)} from ${sql.table(def.table)} r where ${sql.join(plan.where, sql` and `)} order by r.id`.execute(
      db,
    )
  ).rows;
  const ext = await externalIdsFor(
    db,
    rows.map((r) => r.id),
  );
  const views = rows.map((r) => toRecordView(def, r, ext.get(r.id) ?? {}, plan.liveKeys));
  if (opts.format === 'jsonl') return views.map((v) => `${JSON.stringify(v)}\n`).join('');
  const cell = (tg: ImportTarget | undefined, v: unknown): string => {
    if (v === null || v === undefined) return '';
    if (tg?.type === 'currency' && typeof v === 'number') return formatMinorUnits(v);
    if (Array.isArray(v)) return neutraliseFormula(v.join(';'));
    if (typeof v === 'object') return neutraliseFormula(JSON.stringify(v));
    return neutraliseFormula(String(v));
  };
  const cells = views.map((v) =>
    plan.columns.map((c) => {
      if (c === 'ownerEmail') return cell(undefined, v.ownerId ? plan.owners.get(String(v.ownerId)) : null);
      if (c.startsWith('custom.')) return cell(plan.byKey.get(c), v.custom[c.slice(7)]);
      if (c.startsWith('externalIds.')) return cell(undefined, v.externalIds[c.slice(12)]);
      return cell(plan.byKey.get(c), v[c]);
    }),
  );
  return `\uFEFF${stringify([plan.columns])}${cells.length ? stringify(cells) : ''}`;
}

describe('writeExport', () => {
  it('writes the same bytes as a RecordView per row and csv-stringify did: CSV and JSON Lines, contacts and accounts', async () => {
    for (const def of [contactDef, accountDef]) {
      for (const format of ['csv', 'jsonl'] as const) {
        const got = await exported(def, { format });
        expect(got.split('\n').length, `${def.object} ${format}`).toBeGreaterThan(awkward.length);
        expect(got, `${def.object} ${format}`).toBe(await reference(def, { format }));
      }
    }
    const chosen: ExportOptions = { format: 'csv', columns: ['email', 'custom.arr', 'externalIds.map_id', 'ownerEmail', 'createdAt'] };
    expect(await exported(contactDef, chosen)).toBe(await reference(contactDef, chosen));
    const filtered: ExportOptions = { format: 'jsonl', filter: [{ field: 'custom.beta', op: 'eq', value: true }] };
    expect(await exported(contactDef, filtered)).toBe(await reference(contactDef, filtered));
  });

  it('writes timestamps as toISOString did, microseconds cut to milliseconds', async () => {
    const line = (
      await exported(contactDef, { format: 'jsonl', filter: [{ field: 'email', op: 'eq', value: 'export1@example.com' }] })
    ).trim();
    expect(JSON.parse(line)).toMatchObject({
      createdAt: '2026-02-03T04:05:06.789Z',
      updatedAt: '2026-02-03T04:05:06.000Z',
      deletedAt: null,
    });
    // The keys in the order the API has always shown them (toRecordView).
    expect(Object.keys(JSON.parse(line) as object)).toEqual([
      'id',
      ...contactDef.fields.map((f) => f.key),
      'traits',
      'custom',
      'raw',
      'quality',
      'externalIds',
      'version',
      'createdAt',
      'updatedAt',
      'deletedAt',
    ]);
  });

  it('pages through more rows than one page holds', async () => {
    // 5,000 a page: enough rows for two pages, inserted by SQL.
    await sql`insert into accounts (id, workspace_id, name, created_at, updated_at)
      select gen_random_uuid(), ${ws.id}, 'bulk ' || g, now(), now() from generate_series(1, 5001) g`.execute(t.db.handle.db);
    const got = await exported(accountDef, { format: 'csv', columns: ['id', 'name', 'createdAt'] });
    expect(got).toBe(await reference(accountDef, { format: 'csv', columns: ['id', 'name', 'createdAt'] }));
    expect(got.split('\n').filter((l) => /^[0-9a-f]{8}-[0-9a-f-]{27},/.test(l))).toHaveLength(5001 + awkward.length);
  });
});

describe('csvLine', () => {
  it('is csv-stringify with its defaults, for any cells', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string(), fc.constantFrom('"', ',', '\n', '\r', '\r\n', ' x ', "'", '')), { maxLength: 6 }),
        (cells) => {
          expect(csvLine(cells)).toBe(stringify([cells]));
        },
      ),
      { numRuns: 500 },
    );
  });
});
