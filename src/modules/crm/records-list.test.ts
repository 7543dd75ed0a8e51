import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CompiledQuery, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../platform/actor.js';
import { fixedClock } from '../../platform/clock.js';
import { migrationsDir } from '../../platform/db/migrate.js';
import { createTestApp, makeWorkspace, type TestApp } from '../../test/app.js';
import type { Workspace } from '../workspaces/workspaces.schema.js';
import { accountDef, contactDef } from './crm-objects.js';
import { activeFields, createCustomField, updateCustomField } from './custom-fields.service.js';
import type { CreateCustomFieldInput, CustomField } from './custom-fields.schema.js';
import type { RecordView } from './records.schema.js';
import { pageQuery, parseSort } from './records-query.js';
import { selectList } from './records.repo.js';
import { createRecord, listConditions, listRecords } from './records.service.js';

// The list's page query (records-query pageQuery) and the indexes it is written for (migration
// 0008, custom-fields ensureIndex): every sort in both directions, nulls last, ties by id, pages
// without gaps or repeats; the indexes on the expressions the query uses.

let t: TestApp;
let ws: Workspace;
const fields: Record<string, CustomField> = {};
const ctx = () => ({ db: t.db.handle.db, clock: t.clock });

beforeAll(async () => {
  t = await createTestApp();
  ws = await makeWorkspace(t);
  const actor = systemActor(ws.id);
  const defs: Array<Pick<CreateCustomFieldInput, 'label' | 'type' | 'options' | 'currency'> & { indexed?: boolean }> = [
    { label: 'Seats', type: 'number' },
    { label: 'Beta', type: 'boolean' },
    { label: 'Renewal', type: 'date' },
    { label: 'Notes', type: 'text' },
    { label: 'ARR', type: 'currency', currency: 'EUR' },
    { label: 'Topics', type: 'multiselect', options: ['ads', 'seo'] },
    // Not indexed: sorted by one read of the table (no union).
    { label: 'Score', type: 'number', indexed: false },
  ];
  for (const d of defs) {
    const f = await createCustomField(ctx(), actor, { object: 'contact', description: '', required: false, indexed: true, ...d });
    fields[f.key] = f;
  }
  // Values repeat (ties are ordered by id) and are missing on some records (nulls go last in both
  // directions); updated_at repeats too, through a clock that stands still for three records.
  const clock = fixedClock(new Date('2026-01-01T00:00:00Z'));
  const names = ['bravo', null, 'alpha', 'charlie', 'alpha', null, 'bravo', 'alpha', 'delta', null, 'bravo', 'alpha', 'echo'];
  for (const [i, name] of names.entries()) {
    if (i % 3 === 0) clock.advance(1000);
    await createRecord({ db: t.db.handle.db, clock }, actor, contactDef, {
      email: `sort${i}@example.com`,
      lastName: name,
      company: i % 4 === 0 ? null : `co${i % 3}`,
      city: i % 3 ? `city${i % 4}` : null,
      custom: {
        ...(i % 5 === 0 ? {} : { seats: (i % 4) * 10 - 5 }),
        ...(i % 3 === 1 ? {} : { beta: i % 2 === 0 }),
        ...(i % 6 === 2 ? {} : { renewal: `2026-0${(i % 3) + 1}-15` }),
        ...(name ? { notes: name } : {}),
        ...(i % 2 ? { arr: i * 100 } : {}),
        ...(i % 4 ? { score: i % 5 } : {}),
      },
    } as never);
  }
});
afterAll(() => t.close());

type Rec = RecordView & { custom: Record<string, unknown> };

/** Every page of a sort, `limit` at a time, following the cursors. */
async function allPages(sort: string, limit: number): Promise<Rec[]> {
  const out: Rec[] = [];
  let cursor: string | undefined;
  for (let guard = 0; guard < 100; guard++) {
    const page = await listRecords(ctx(), ws.id, contactDef, { limit, deleted: 'exclude', sort, cursor } as never);
    out.push(...(page.data as Rec[]));
    if (!page.nextCursor) return out;
    cursor = page.nextCursor;
  }
  throw new Error('too many pages');
}

/** The order the list promises: by value (nulls last in both directions), then by id, same direction. */
function expected(rows: Rec[], value: (r: Rec) => string | number | boolean | null, desc: boolean): string[] {
  const cmp = (a: unknown, b: unknown) => (a === b ? 0 : (a as string) < (b as string) ? -1 : 1);
  return [...rows]
    .sort((a, b) => {
      const va = value(a);
      const vb = value(b);
      if (va === null || vb === null) return va === vb ? cmp(a.id, b.id) * (desc ? -1 : 1) : va === null ? 1 : -1;
      return (cmp(va, vb) || cmp(a.id, b.id)) * (desc ? -1 : 1);
    })
    .map((r) => r.id);
}

describe('list sort order and pages', () => {
  const sorts: Array<[string, (r: Rec) => string | number | boolean | null]> = [
    ['lastName', (r) => (r.lastName as string | null) ?? null],
    ['company', (r) => (r.company as string | null) ?? null],
    ['city', (r) => (r.city as string | null) ?? null],
    ['custom.seats', (r) => (r.custom.seats as number | undefined) ?? null],
    ['custom.beta', (r) => (r.custom.beta as boolean | undefined) ?? null],
    ['custom.renewal', (r) => (r.custom.renewal as string | undefined) ?? null],
    ['custom.notes', (r) => (r.custom.notes as string | undefined) ?? null],
    ['custom.arr', (r) => (r.custom.arr as number | undefined) ?? null],
    ['custom.score', (r) => (r.custom.score as number | undefined) ?? null],
    ['updatedAt', (r) => (r.updatedAt as string | null) ?? null],
    ['createdAt', (r) => (r.createdAt as string | null) ?? null],
  ];

  it.each(sorts)('sorts by %s both ways, nulls last, ties by id, in pages of any size', async (key, value) => {
    const all = await allPages(key, 100);
    expect(all).toHaveLength(13);
    for (const desc of [false, true]) {
      const want = expected(all, value, desc);
      for (const limit of [2, 50]) {
        const got = (await allPages(desc ? `-${key}` : key, limit)).map((r) => r.id);
        expect(got, `${desc ? '-' : ''}${key} limit ${limit}`).toEqual(want);
      }
    }
  });
});

describe('indexes for sorting and filtering', () => {
  const indexdef = async (name: string) =>
    (await sql<{ d: string }>`select pg_get_indexdef(to_regclass(${name})) as d`.execute(t.db.handle.db)).rows[0]?.d ?? null;
  const name = (f: CustomField) => `cf_${f.id.replace(/-/g, '')}`;

  it('an indexed custom field is indexed on the typed expression that filters and sorts use, then id', async () => {
    const seats = fields.seats as CustomField;
    const beta = fields.beta as CustomField;
    const notes = fields.notes as CustomField;
    const topics = fields.topics as CustomField;
    expect(await indexdef(name(seats))).toMatch(
      /\(workspace_id, \(\(\(custom ->> 'seats'::text\)\)::numeric\), id\) WHERE \(deleted_at IS NULL\)/,
    );
    expect(await indexdef(name(fields.arr as CustomField))).toMatch(/::numeric\), id\)/);
    expect(await indexdef(name(beta))).toMatch(/\(\(\(custom ->> 'beta'::text\)\)::boolean\), id\)/);
    expect(await indexdef(name(notes))).toMatch(/\(workspace_id, \(\(custom ->> 'notes'::text\)\), id\)/);
    expect(await indexdef(name(topics))).toMatch(/USING gin \(\(\(custom -> 'topics'::text\)\)\)/);
    // Statistics on the same expression: the planner reads none from a partial index.
    const stats = async (f: CustomField) =>
      (
        await sql<{ e: string | null }>`select pg_get_statisticsobjdef_expressions(oid)::text as e from pg_statistic_ext
          where stxname = ${`${name(f)}_stats`}`.execute(t.db.handle.db)
      ).rows[0]?.e ?? null;
    expect(await stats(seats)).toMatch(/\(\(custom ->> 'seats'::text\)\)::numeric/);
    expect(await stats(notes)).toMatch(/custom ->> 'notes'::text/);
    expect(await stats(fields.score as CustomField)).toBeNull();
    // Turning `indexed` off drops both; on again makes the same ones.
    const before = await indexdef(name(seats));
    await updateCustomField(ctx(), systemActor(ws.id), seats.id, { indexed: false });
    expect(await indexdef(name(seats))).toBeNull();
    expect(await stats(seats)).toBeNull();
    await updateCustomField(ctx(), systemActor(ws.id), seats.id, { indexed: true });
    expect(await indexdef(name(seats))).toBe(before);
    expect(await stats(seats)).toMatch(/::numeric/);
  });

  it('migration 0008 rebuilds the indexes of indexed fields exactly as ensureIndex makes them', async () => {
    const migration = readFileSync(path.join(migrationsDir, '0008_list_speed.sql'), 'utf8');
    const block = migration.slice(migration.indexOf('DO $$'));
    const before = await Promise.all(Object.values(fields).map((f) => indexdef(name(f))));
    // An index of the old shape (the text expression) is replaced.
    const seats = fields.seats as CustomField;
    await sql
      .raw(`drop index ${name(seats)}; create index ${name(seats)} on contacts (workspace_id, (custom->>'seats'))`)
      .execute(t.db.handle.db);
    await sql.raw(block).execute(t.db.handle.db);
    expect(await Promise.all(Object.values(fields).map((f) => indexdef(name(f))))).toEqual(before);
  });

  it('the page query can walk those indexes in order, in both directions (no sort of the table)', async () => {
    // With sorting priced out, a plan without a Sort below the outer one exists only if an index
    // gives the branch's order: so this checks the expressions match, whatever the table's size.
    const plan = async (sort: string, table: 'contacts' | 'accounts' = 'contacts') => {
      // Compiled first: the embedded database has one connection, held below.
      const q = await pageSql(sort, table);
      return t.db.handle.db.connection().execute(async (conn) => {
        await sql`set enable_seqscan = off`.execute(conn);
        await sql`set enable_sort = off`.execute(conn);
        try {
          const r = await conn.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`explain ${q.sql}`, [...q.parameters]));
          return r.rows.map((x) => x['QUERY PLAN']).join('\n');
        } finally {
          await sql`reset enable_seqscan`.execute(conn);
          await sql`reset enable_sort`.execute(conn);
        }
      });
    };
    const cases: Array<[string, string]> = [
      ['lastName', 'contacts_last_name_sort_idx'],
      ['-lastName', 'contacts_last_name_sort_idx'],
      ['firstName', 'contacts_first_name_sort_idx'],
      ['-company', 'contacts_company_sort_idx'],
      ['country', 'contacts_country_sort_idx'],
      ['-custom.seats', name(fields.seats as CustomField)],
      ['custom.seats', name(fields.seats as CustomField)],
      ['-custom.beta', name(fields.beta as CustomField)],
      ['custom.renewal', name(fields.renewal as CustomField)],
    ];
    for (const [sort, index] of cases) {
      const p = await plan(sort);
      expect(p, sort).toContain(index);
      // One Sort at most: the outer one over the two branches' 2 x (limit + 1) rows.
      expect(p.match(/(?:^|-> +)(?:Incremental )?Sort +\(/gm)?.length ?? 0, `${sort}\n${p}`).toBeLessThanOrEqual(1);
    }
    // Without an index the two branches would read the table twice: one read and a top-n sort.
    expect(await plan('-custom.score')).not.toContain('Append');
    expect(await plan('city')).not.toContain('Append');
    const accounts = await plan('name', 'accounts');
    expect(accounts).toContain('accounts_name_sort_idx');
  });
});

/** The page query listRecords sends for a first page sorted by `sort`, compiled with its parameters. */
async function pageSql(sort: string, table: 'contacts' | 'accounts'): Promise<CompiledQuery> {
  const db = t.db.handle.db;
  const def = table === 'contacts' ? contactDef : accountDef;
  const active = await activeFields(db, ws.id, def.object);
  const where = listConditions(def, active, ws.id, { deleted: 'exclude' });
  return pageQuery(sql.table(def.table), selectList(def), where, parseSort(def, active, sort), null, 51).compile(db);
}
