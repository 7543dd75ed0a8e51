import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../platform/actor.js';
import { bearer, createTestApp, json, makeApiKey, makeUser, makeWorkspace, type TestApp } from '../../test/app.js';
import { contactDef } from '../crm/crm-objects.js';
import type { Workspace } from '../workspaces/workspaces.schema.js';
import { importFromCli } from './cli-data.service.js';
import { exportRecords } from './export.service.js';
import type { ImportView } from './imports.schema.js';
import { createImport, requeueStaleImports, runImport, runUndo } from './imports.service.js';

let t: TestApp;
let ws: Workspace;
let key: string;
let dir: string;

const ctx = () => ({ db: t.db.handle.db, clock: t.clock, filesDir: t.config.filesDir });
const actor = () => systemActor(ws.id, 'test');

function file(name: string, content: string | Buffer): string {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
}

async function upload(content: string | Buffer, fileName = 'upload.csv', k = key) {
  return t.app.inject({
    method: 'POST',
    url: `/api/v1/imports?object=contact&fileName=${encodeURIComponent(fileName)}`,
    headers: { ...bearer(k), 'content-type': 'text/csv' },
    payload: content,
  });
}

async function run(p: string, opts: Partial<Parameters<typeof importFromCli>[2]> = {}) {
  return importFromCli(ctx(), actor(), { object: 'contact', file: p, mode: 'upsert', dryRun: false, dateFormat: 'auto', ...opts });
}

async function contact(email: string) {
  const r = json<{ data: Array<Record<string, unknown> & { custom: Record<string, unknown>; version: number; id: string }> }>(
    await t.app.inject({ url: `/api/v1/contacts?email=${encodeURIComponent(email)}`, headers: bearer(key) }),
  );
  return r.data[0];
}

beforeAll(async () => {
  t = await createTestApp();
  ws = await makeWorkspace(t);
  key = await makeApiKey(t, ws, 'admin');
  dir = await mkdtemp(path.join(os.tmpdir(), 'keel-import-test-'));
  await t.jobs.start({ worker: false });
  for (const f of [
    { object: 'contact', label: 'Tier', type: 'select', options: ['Gold', 'Silver'] },
    { object: 'contact', label: 'Seats', type: 'number' },
    { object: 'contact', label: 'Beta', type: 'boolean' },
    { object: 'contact', label: 'Renewal', type: 'date' },
    { object: 'contact', label: 'Last seen', type: 'datetime' },
    { object: 'contact', label: 'Topics', type: 'multiselect', options: ['ads', 'seo', 'email'] },
    { object: 'contact', label: 'Site', type: 'url' },
    { object: 'contact', label: 'Assistant email', type: 'email' },
    { object: 'contact', label: 'Direct line', type: 'phone' },
    { object: 'contact', label: 'ARR', type: 'currency', currency: 'EUR' },
    { object: 'contact', label: 'Notes', type: 'text' },
  ]) {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/custom-fields', headers: bearer(key), payload: f });
    expect(res.statusCode, res.body).toBe(201);
  }
});
afterAll(async () => {
  await t.close();
  await rm(dir, { recursive: true, force: true });
});

describe('upload and mapping', () => {
  it('detects format and suggests a mapping from CRM export headers', async () => {
    const csv =
      'E-mail Address;FirstName;last_name;Company Name;Mobile Phone Number;Salesforce Contact ID;Tier;Favourite food\n' +
      'a@example.com;Ann;Lee;"Acme; Inc.";+1 555 0100;003A;Gold;"pizza\nand pasta"\n';
    const res = await upload(csv, 'hubspot.csv');
    expect(res.statusCode, res.body).toBe(201);
    const imp = json<ImportView>(res);
    expect(imp).toMatchObject({
      delimiter: ';',
      encoding: 'utf-8',
      status: 'uploaded',
      fileName: 'hubspot.csv',
      mode: 'upsert',
      matchKey: 'email',
    });
    expect(imp.mapping).toEqual([
      'email',
      'firstName',
      'lastName',
      'company',
      'traits.mobilePhone',
      'externalIds.crm_id',
      'custom.tier',
      null,
    ]);
    expect(imp.sample[0]?.[7]).toBe('pizza\nand pasta');
  });

  it('reads UTF-8 with a BOM, UTF-16 and Latin-1 files', async () => {
    const text = 'Email,First Name\nzoe@example.com,Zoë\n';
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    for (const [name, bytes, encoding] of [
      ['bom.csv', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]), 'utf-8'],
      ['utf16.csv', utf16, 'utf-16le'],
      ['latin1.csv', Buffer.from(text, 'latin1'), 'windows-1252'],
    ] as const) {
      const imp = json<ImportView>(await upload(bytes, name));
      expect(imp.encoding, name).toBe(encoding);
      expect(imp.headers, name).toEqual(['Email', 'First Name']);
      expect(imp.sample[0], name).toEqual(['zoe@example.com', 'Zoë']);
    }
  });

  it('refuses unusable files with a clear message and keeps nothing', async () => {
    const cases: Array<[string | Buffer, RegExp, number]> = [
      ['', /empty/, 400],
      ['Email,First Name\n', /no data rows/, 400],
      [Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)), /not text/, 400],
      [`${Array.from({ length: 10_000 }, (_, i) => `c${i}`).join(',')}\n${'x,'.repeat(9999)}x\n`, /10,000 columns/, 400],
    ];
    for (const [body, message, status] of cases) {
      const res = await upload(body);
      expect(res.statusCode, String(message)).toBe(status);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
      expect(json<{ detail: string }>(res).detail).toMatch(message);
    }
    const small = await createTestApp({ env: { KEEL_IMPORT_MAX_BYTES: '1024' } });
    try {
      const w = await makeWorkspace(small);
      const k = await makeApiKey(small, w, 'admin');
      const res = await small.app.inject({
        method: 'POST',
        url: '/api/v1/imports',
        headers: { ...bearer(k), 'content-type': 'text/csv' },
        payload: `Email\n${'a@example.com\n'.repeat(200)}`,
      });
      expect(res.statusCode).toBe(413);
      expect(json<{ detail: string }>(res).detail).toMatch(/KEEL_IMPORT_MAX_BYTES/);
    } finally {
      await small.close();
    }
  });

  it('refuses a JSON body and a viewer', async () => {
    const viewer = await makeApiKey(t, ws, 'viewer');
    expect((await upload('Email\na@example.com\n', 'x.csv', viewer)).statusCode).toBe(403);
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/imports', headers: bearer(key), payload: { email: 'x' } });
    expect(res.statusCode).toBe(415);
  });

  it('checks mapping changes: unknown fields, a field mapped twice, a missing match key', async () => {
    const imp = json<ImportView>(await upload('Email,Name\na@example.com,Ann\n'));
    const patch = (body: object) =>
      t.app.inject({ method: 'PATCH', url: `/api/v1/imports/${imp.id}`, headers: bearer(key), payload: body });
    expect((await patch({ mapping: ['email', 'nope'] })).statusCode).toBe(400);
    expect((await patch({ mapping: ['email', 'email'] })).statusCode).toBe(400);
    expect((await patch({ mapping: [null, 'firstName'] })).statusCode).toBe(400);
    expect((await patch({ mapping: ['email'] })).statusCode).toBe(400);
    const ok = await patch({ mapping: ['email', 'firstName'], mode: 'create' });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(json<ImportView>(ok).mapping).toEqual(['email', 'firstName']);
  });
});

const HEADER = 'Email,First Name,Last Name,Tier,Seats,Beta,Renewal,Last seen,Topics,Site,Assistant email,Direct line,ARR,Notes,crm id';
const MAP = {
  Email: 'email',
  'First Name': 'firstName',
  'Last Name': 'lastName',
  Tier: 'custom.tier',
  Seats: 'custom.seats',
  Beta: 'custom.beta',
  Renewal: 'custom.renewal',
  'Last seen': 'custom.last_seen',
  Topics: 'custom.topics',
  Site: 'custom.site',
  'Assistant email': 'custom.assistant_email',
  'Direct line': 'custom.direct_line',
  ARR: 'custom.arr',
  Notes: 'custom.notes',
  'crm id': 'externalIds.crm_id',
};

describe('importing rows', () => {
  it('imports every custom field type, and sends bad rows to the error file with their reason', async () => {
    const csv = [
      HEADER,
      'José.Núñez+promo@Exämple.de,José,Núñez,gold,"1,200",yes,2025-03-31,2025-03-04 10:15,ads;seo,example.com/pricing,PA@Example.com,+49 30 1234567,"€1,234.50",=SUM(A1),003X1',
      'plain@example.com,Plain,Row,Silver,7,no,2024-12-01,2025-01-01T00:00:00Z,email,https://x.io,,555-0100,99,hello,',
      'not-an-email,Bad,Email,Gold,1,yes,2025-01-01,,,,,,,,',
      'bad-date@example.com,Bad,Date,Gold,1,yes,2025-02-30,,,,,,,,',
      'bad-option@example.com,Bad,Option,Platinum,1,yes,,,,,,,,,',
      'PLAIN@example.com,Dup,Licate,Gold,1,yes,,,,,,,,,',
      'ragged@example.com,Too,Few',
      'bad-money@example.com,Bad,Money,Gold,1,yes,,,,,,,12.345,,',
      '',
    ].join('\n');
    const r = await run(file('types.csv', csv), { mapping: MAP });
    expect(r).toMatchObject({ created: 2, updated: 0, skipped: 0, errors: 6, status: 'completed' });
    const c = await contact('josé.núñez+promo@exämple.de');
    expect(c).toMatchObject({ firstName: 'José', externalIds: { crm_id: '003X1' } });
    expect(c?.custom).toEqual({
      tier: 'Gold',
      seats: 1200,
      beta: true,
      renewal: '2025-03-31',
      last_seen: '2025-03-04T10:15:00.000Z',
      topics: ['ads', 'seo'],
      site: 'https://example.com/pricing',
      assistant_email: 'pa@example.com',
      direct_line: '+49 30 1234567',
      arr: 123450,
      notes: '=SUM(A1)',
    });
    const errors = parse(readFileSync(r.errorFile ?? '', 'utf8'), { bom: true, relax_column_count: true }) as string[][];
    expect(errors[0]?.slice(-2)).toEqual(['Import error', 'Source line']);
    const reasons = errors.slice(1).map((row) => row[row.length - 2] ?? '');
    expect(reasons).toEqual([
      expect.stringMatching(/email/i),
      expect.stringMatching(/Renewal/),
      expect.stringMatching(/Platinum.*not an option/),
      expect.stringMatching(/duplicate of line 3/),
      expect.stringMatching(/has 3 cells; the header has 15/),
      expect.stringMatching(/ARR/),
    ]);
    expect(errors[1]?.[0]).toBe('not-an-email');
  });

  it('imports the same file twice: the second run changes nothing', async () => {
    const p = file('twice.csv', 'Email,First Name,Tier\nonce@example.com,Once,Gold\ntwice@example.com,Twice,Silver\n');
    const first = await run(p);
    expect(first).toMatchObject({ created: 2, updated: 0 });
    const before = await contact('once@example.com');
    const second = await run(p);
    expect(second).toMatchObject({ created: 0, updated: 0, skipped: 2, errors: 0 });
    expect(await contact('once@example.com')).toEqual(before);
  });

  it('create only skips existing records; update only skips unknown ones; blanks never overwrite', async () => {
    await run(file('m1.csv', 'Email,First Name,Last Name\nmode@example.com,Mo,De\n'));
    const created = await run(file('m2.csv', 'Email,First Name\nmode@example.com,Changed\nnew-mode@example.com,New\n'), { mode: 'create' });
    expect(created).toMatchObject({ created: 1, skipped: 1 });
    expect((await contact('mode@example.com'))?.firstName).toBe('Mo');
    const updated = await run(file('m3.csv', 'Email,First Name,Last Name\nmode@example.com,Changed,\nnobody@example.com,No,Body\n'), {
      mode: 'update',
    });
    expect(updated).toMatchObject({ created: 0, updated: 1, skipped: 1 });
    expect(await contact('mode@example.com')).toMatchObject({ firstName: 'Changed', lastName: 'De' });
    expect(await contact('nobody@example.com')).toBeUndefined();
  });

  it('same email, another person: the row goes to the error file, the contact keeps its name; nicknames still update', async () => {
    await run(file('p1.csv', 'Email,First Name,Last Name\nshared@family.example,Ann,Lee\n'));
    const r = await run(file('p2.csv', 'Email,First Name,Last Name,Job Title\nshared@family.example,Zed,Quux,CTO\n'));
    expect(r).toMatchObject({ created: 0, updated: 0, errors: 1 });
    expect(readFileSync(String(r.errorFile), 'utf8')).toMatch(/shared@family\.example,Zed,Quux,CTO,.*same email as Ann Lee/);
    expect(await contact('shared@family.example')).toMatchObject({ firstName: 'Ann', lastName: 'Lee', title: null });
    // The same person written differently is an update as before.
    expect(await run(file('p3.csv', 'Email,First Name,Last Name,Job Title\nshared@family.example,Annie,Lee,CTO\n'))).toMatchObject({
      updated: 1,
      errors: 0,
    });
    // The API's upsert refuses it the same way (409), and changes nothing.
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/contacts/upsert',
      headers: bearer(key),
      payload: { email: 'shared@family.example', firstName: 'Zed', lastName: 'Quux' },
    });
    expect(res.statusCode).toBe(409);
    expect(json<{ detail: string }>(res).detail).toMatch(/belongs to Annie Lee/);
    expect(await contact('shared@family.example')).toMatchObject({ firstName: 'Annie', lastName: 'Lee' });
  });

  it('upserts by an external id', async () => {
    await run(file('e1.csv', 'Salesforce Contact ID,Email,First Name\n003E1,ext1@example.com,Ext\n'), { key: 'crm_id' });
    const r = await run(file('e2.csv', 'Salesforce Contact ID,Email,First Name\n003E1,ext1-new@example.com,Ext2\n'), { key: 'crm_id' });
    expect(r).toMatchObject({ created: 0, updated: 1 });
    expect(await contact('ext1-new@example.com')).toMatchObject({ firstName: 'Ext2', externalIds: { crm_id: '003E1' } });
  });

  it('asks for a date format when dates could be US or EU', async () => {
    const p = file('dates.csv', 'Email,Renewal\nd1@example.com,03/04/2025\nd2@example.com,05/06/2025\n');
    await expect(run(p)).rejects.toThrow(/US \(month first\) and EU \(day first\).*choose a date format/);
    expect(await contact('d1@example.com')).toBeUndefined();
    await run(p, { dateFormat: 'eu' });
    expect((await contact('d1@example.com'))?.custom.renewal).toBe('2025-04-03');
    const us = await run(file('dates-us.csv', 'Email,Renewal\nd3@example.com,12/31/2025\nd4@example.com,01/02/2025\n'));
    expect(us.created).toBe(2);
    expect((await contact('d4@example.com'))?.custom.renewal).toBe('2025-01-02');
  });

  it('reports invalid UTF-8 bytes as row errors', async () => {
    // Past the first 64 KB (which decide the encoding): a file that starts as UTF-8 and breaks later.
    const good = Array.from({ length: 4000 }, (_, i) => `ok-utf8-${i}@example.com,Ok`).join('\n');
    const bytes = Buffer.concat([
      Buffer.from(`Email,First Name\n${good}\nbad-utf8@example.com,B`),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('d\n'),
    ]);
    const r = await run(file('utf8.csv', bytes));
    expect(r).toMatchObject({ created: 4000, errors: 1 });
    expect(readFileSync(r.errorFile ?? '', 'utf8')).toMatch(/not valid text/);
  });

  it('fails a file that breaks mid-way (a quote never closed) and keeps nothing of it', async () => {
    const rows = Array.from({ length: 4500 }, (_, i) => `broken${i}@example.com,Row${i}`);
    const p = file('broken.csv', `Email,First Name\n${rows.join('\n')}\n"unclosed@example.com,oops\n`);
    await expect(run(p)).rejects.toThrow(/never closed.*Nothing was kept/);
    expect(await contact('broken1@example.com')).toBeUndefined();
  });
});

describe('resume and undo', () => {
  it('resumes a stopped import at its checkpoint without duplicating rows or errors', async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => (i % 1000 === 999 ? `bad-${i}` : `resume${i}@example.com,R${i}`));
    const p = file('resume.csv', `Email,First Name\n${rows.join('\n')}\n`);
    const imp = await createImport(ctx(), actor(), { object: 'contact', file: p, fileName: 'resume.csv' });
    await t.db.handle.db.updateTable('imports').set({ status: 'queued' }).where('id', '=', imp.id).execute();
    const stopped = await runImport(ctx(), imp.id, false, { stopAfterBatches: 1 });
    expect(stopped.status).toBe('running');
    expect(stopped.counts.created).toBeGreaterThan(0);
    expect(stopped.counts.created).toBeLessThan(4995);
    // Still "running" and fresh: nobody else may take it over yet.
    expect((await runImport(ctx(), imp.id, false)).counts.created).toBe(stopped.counts.created);
    // A minute without a heartbeat: its process is gone, and the import can be resumed.
    await t.db.handle.db
      .updateTable('imports')
      .set({ heartbeat_at: new Date(Date.now() - 120_000) })
      .where('id', '=', imp.id)
      .execute();
    // The minute cron queues it again for a worker; queueing twice for the same stop is one job.
    expect(await requeueStaleImports(ctx(), t.jobs)).toBe(1);
    expect(await requeueStaleImports(ctx(), t.jobs)).toBe(1);
    const queued = await t.db.handle.executeSql(
      `select count(*)::int as n from job_keys where queue = 'imports.run' and key like 'resume:${imp.id}:%'`,
    );
    expect(queued.rows[0]).toEqual({ n: 1 });
    const done = await runImport(ctx(), imp.id, false);
    expect(done).toMatchObject({ status: 'completed', counts: { created: 4995, updated: 0, errors: 5 } });
    const n = await t.db.handle.db
      .selectFrom('contacts')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('email', 'like', 'resume%')
      .executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(4995);
    const errorFile = readFileSync(path.join(t.config.filesDir, 'imports', `${imp.id}.errors.csv`), 'utf8');
    expect(errorFile.trim().split('\n')).toHaveLength(6);
  });

  it('a batch that fails while the next is read stops the import at the last commit, and it resumes from there', async () => {
    // Batches are written while the next one is read: a failure of the one in flight must stop
    // everything after it, leave the checkpoint at the batch before, and reach the caller.
    await t.db.handle.executeSql(`create function keel_test_boom() returns trigger language plpgsql as $$
      begin if exists (select 1 from keel_new where email = 'inflight-boom@example.com') then raise exception 'boom in batch 2'; end if; return null; end $$`);
    await t.db.handle.executeSql(`create trigger keel_test_boom after insert on contacts referencing new table as keel_new
      for each statement execute function keel_test_boom()`);
    const rows = Array.from({ length: 7000 }, (_, i) => `${i === 3000 ? 'inflight-boom' : `inflight${i}`}@example.com,I${i}`);
    const p = file('inflight.csv', `Email,First Name\n${rows.join('\n')}\n`);
    try {
      await expect(run(p)).rejects.toThrow(/boom in batch 2/);
    } finally {
      await t.db.handle.executeSql('drop trigger keel_test_boom on contacts');
      await t.db.handle.executeSql('drop function keel_test_boom()');
    }
    const written = async () =>
      Number(
        (
          await t.db.handle.db
            .selectFrom('contacts')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .where('email', 'like', 'inflight%')
            .executeTakeFirstOrThrow()
        ).n,
      );
    // Only the first batch (rows 1-2,000) committed; the third, read meanwhile, was never written.
    expect(await written()).toBe(2000);
    const imp = await t.db.handle.db.selectFrom('imports').selectAll().where('file_name', '=', 'inflight.csv').executeTakeFirstOrThrow();
    expect({ status: imp.status, rowsDone: Number(imp.rows_done), created: Number(imp.created_count) }).toEqual({
      status: 'running',
      rowsDone: 2000,
      created: 2000,
    });
    await t.db.handle.db
      .updateTable('imports')
      .set({ heartbeat_at: new Date(Date.now() - 120_000) })
      .where('id', '=', imp.id)
      .execute();
    expect(await run(p)).toMatchObject({ created: 7000, errors: 0 });
    expect(await written()).toBe(7000);
  });

  it('ends a batch early when its cells are long (one JSON value per statement stays small)', async () => {
    const long = 'ü'.repeat(1000);
    const rows = Array.from({ length: 10 }, (_, i) => `long${i}@example.com,${long}${i}`);
    const p = file('long.csv', `Email,Notes\n${rows.join('\n')}\n`);
    const imp = await createImport(ctx(), actor(), { object: 'contact', file: p, fileName: 'long.csv' });
    await t.db.handle.db.updateTable('imports').set({ status: 'queued' }).where('id', '=', imp.id).execute();
    const done = await runImport(ctx(), imp.id, false, { batchChars: 3000 });
    expect(done).toMatchObject({ status: 'completed', counts: { created: 10, errors: 0 } });
    const batches = await t.db.handle.db
      .selectFrom('audit_log')
      .select('id')
      .where('action', '=', 'contact.imported')
      .where('entity_id', '=', imp.id)
      .execute();
    // About 3,000 characters a batch: rows of 1,000-odd characters go three at a time.
    expect(batches.length).toBeGreaterThanOrEqual(4);
    expect((await contact('long9@example.com'))?.custom).toMatchObject({ notes: `${long}9` });
  });

  it('stops without failing or undoing when another process took the import over, even if the file then breaks', async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => `taken${i}@example.com,T${i}`);
    const p = file('taken.csv', `Email,First Name\n${rows.join('\n')}\n"unclosed@example.com,oops\n`);
    const imp = await createImport(ctx(), actor(), { object: 'contact', file: p, fileName: 'taken.csv' });
    await t.db.handle.db.updateTable('imports').set({ status: 'queued' }).where('id', '=', imp.id).execute();
    let stolen: Promise<unknown> | undefined;
    const view = await runImport(ctx(), imp.id, false, {
      // After the first batch, another process claims the import (a new heartbeat of its own).
      onProgress: () => {
        stolen ??= t.db.handle.db
          .updateTable('imports')
          .set({ heartbeat_at: new Date(Date.now() + 3_600_000) })
          .where('id', '=', imp.id)
          .execute();
      },
    });
    await stolen;
    // The second batch found the lease gone; the broken end of the file is the new holder's to meet.
    expect(view.status).toBe('running');
    expect(view.counts.created).toBe(2000);
    expect((await contact('taken0@example.com'))?.firstName).toBe('T0');
    expect(await contact('taken2500@example.com')).toBeUndefined();
  });

  it('undoes an import: created records to the trash, updated ones restored, edited ones kept', async () => {
    await run(file('u0.csv', 'Email,First Name\nundo-existing@example.com,Before\nundo-edited@example.com,Before\n'));
    const r = await run(
      file('u1.csv', 'Email,First Name\nundo-existing@example.com,After\nundo-edited@example.com,After\nundo-new@example.com,New\n'),
    );
    expect(r).toMatchObject({ created: 1, updated: 2 });
    const edited = await contact('undo-edited@example.com');
    await t.app.inject({ method: 'PATCH', url: `/api/v1/contacts/${edited?.id}`, headers: bearer(key), payload: { lastName: 'Edited' } });
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/imports/${r.id}/undo`, headers: bearer(key) });
    expect(res.statusCode, res.body).toBe(202);
    const undone = await runUndo(ctx(), r.id);
    expect(undone).toMatchObject({ status: 'undone', undoResult: { deleted: 1, restored: 1, kept: 1 } });
    expect(await contact('undo-new@example.com')).toBeUndefined();
    expect((await contact('undo-existing@example.com'))?.firstName).toBe('Before');
    expect(await contact('undo-edited@example.com')).toMatchObject({ firstName: 'After', lastName: 'Edited' });
    const timeline = json<{ data: Array<{ kind: string; action: string }> }>(
      await t.app.inject({ url: `/api/v1/contacts/${edited?.id}/timeline`, headers: bearer(key) }),
    );
    expect(timeline.data.map((e) => e.action)).toEqual(
      expect.arrayContaining(['contact.updated', 'contact.updated_by_import', 'contact.created_by_import']),
    );
  });
});

describe('lifecycle stages by import', () => {
  it('writes stage history (the raw names as stage keys) without routing, and its undo writes the way back', async () => {
    const db = t.db.handle.db;
    await run(file('s0.csv', 'Email,Lifecycle Stage\nstage-old@example.com,Lead\n'));
    const r = await run(
      file('s1.csv', 'Email,Lifecycle Stage\nstage-old@example.com,Marketing Qualified Lead\nstage-new@example.com,salesqualifiedlead\n'),
    );
    expect(r).toMatchObject({ created: 1, updated: 1 });
    const old = await contact('stage-old@example.com');
    const created = await contact('stage-new@example.com');
    expect(old?.lifecycleStage).toBe('mql');
    expect(created?.lifecycleStage).toBe('sql');
    const history = async (id: string) =>
      (
        await sql<{ from_stage: string | null; to_stage: string; reason: string; actor: string }>`
          select from_stage, to_stage, reason, actor from lifecycle_history where contact_id = ${id} order by at, to_stage`.execute(db)
      ).rows.map((h) => [h.from_stage, h.to_stage, h.reason, h.actor]);
    expect(await history(old?.id ?? '')).toEqual([
      [null, 'lead', 'import', actor().label],
      ['lead', 'mql', 'import', actor().label],
    ]);
    expect(await history(created?.id ?? '')).toEqual([[null, 'sql', 'import', actor().label]]);
    // An import does not route: MQLs of an older database must not fill reps' queues.
    const queued = await sql`select 1 from routing_queue where contact_id = any(${[old?.id, created?.id]}::uuid[])`.execute(db);
    expect(queued.rows).toHaveLength(0);
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/imports/${r.id}/undo`, headers: bearer(key) });
    expect(res.statusCode, res.body).toBe(202);
    await runUndo(ctx(), r.id);
    expect((await contact('stage-old@example.com'))?.lifecycleStage).toBe('lead');
    expect((await history(old?.id ?? '')).at(-1)).toEqual(['mql', 'lead', 'import undone', actor().label]);
    expect((await sql`select 1 from routing_queue where contact_id = ${old?.id ?? ''}`.execute(db)).rows).toHaveLength(0);
  });
});

describe('the import API end to end, with a job worker', () => {
  it('uploads, dry-runs, runs and serves the error file through HTTP and jobs', async () => {
    const w = await createTestApp();
    try {
      await w.jobs.start({ worker: true });
      const ws2 = await makeWorkspace(w);
      const k = await makeApiKey(w, ws2, 'admin');
      const poll = async (id: string, until: string[]) => {
        for (let i = 0; i < 200; i++) {
          const v = json<ImportView>(await w.app.inject({ url: `/api/v1/imports/${id}`, headers: bearer(k) }));
          if (until.includes(v.status)) return v;
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error('import did not finish');
      };
      const up = await w.app.inject({
        method: 'POST',
        url: '/api/v1/imports?object=contact&fileName=api.csv',
        headers: { ...bearer(k), 'content-type': 'text/csv' },
        payload: 'Email,First Name,Favourite\napi1@example.com,Api,blue\nbad,Row,red\napi2@example.com,Two,green\n',
      });
      expect(up.statusCode, up.body).toBe(201);
      const imp = json<ImportView>(up);
      const patched = await w.app.inject({
        method: 'PATCH',
        url: `/api/v1/imports/${imp.id}`,
        headers: bearer(k),
        payload: { mapping: ['email', 'firstName', 'traits.favourite'] },
      });
      expect(patched.statusCode, patched.body).toBe(200);
      expect((await w.app.inject({ method: 'POST', url: `/api/v1/imports/${imp.id}/dry-run`, headers: bearer(k) })).statusCode).toBe(202);
      const ready = await poll(imp.id, ['ready', 'uploaded']);
      expect(ready.dryRun).toMatchObject({ rows: 3, created: 2, errors: 1 });
      expect(ready.dryRun?.preview[0]).toMatchObject({
        row: 2,
        action: 'create',
        values: { email: 'api1@example.com', firstName: 'Api', 'traits.favourite': 'blue' },
      });
      expect((await w.app.inject({ method: 'POST', url: `/api/v1/imports/${imp.id}/start`, headers: bearer(k) })).statusCode).toBe(202);
      const done = await poll(imp.id, ['completed', 'failed']);
      expect(done).toMatchObject({ status: 'completed', counts: { created: 2, errors: 1 }, progress: { percent: 100 } });
      const errors = await w.app.inject({ url: done.errorFileUrl ?? '', headers: bearer(k) });
      expect(errors.headers['content-type']).toMatch(/text\/csv/);
      expect(errors.body).toMatch(/bad,Row,red,.*email.*,3/);
      expect((await w.app.inject({ method: 'POST', url: `/api/v1/imports/${imp.id}/start`, headers: bearer(k) })).statusCode).toBe(409);
    } finally {
      await w.close();
    }
  }, 60_000);
});

describe('export', () => {
  it('round-trips every field type: export, then import into an empty workspace, gives the same records', async () => {
    const other = await makeWorkspace(t, 'Round trip');
    const otherKey = await makeApiKey(t, other, 'admin');
    const owner = await makeUser(t, ws, 'sales', 'owner-rt@example.com');
    await makeUser(t, other, 'sales', 'owner-rt2@example.com');
    const fields = json<{ data: Array<Record<string, unknown>> }>(
      await t.app.inject({ url: '/api/v1/custom-fields?object=contact', headers: bearer(key) }),
    );
    for (const f of fields.data) {
      const { object, label, type, options, currency } = f;
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/custom-fields',
        headers: bearer(otherKey),
        payload: { object, label, type, options, ...(currency ? { currency } : {}) },
      });
    }
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/contacts',
      headers: bearer(key),
      payload: {
        email: 'roundtrip@example.com',
        firstName: "=cmd|' /C calc'!A0",
        lastName: 'O\'Brien, "Jr."\nline two',
        phone: '+1 (555) 010-0000',
        ownerId: owner.id,
        externalIds: { crm_id: '003RT', map_id: 'M-1' },
        custom: {
          tier: 'Silver',
          seats: -12.5,
          beta: false,
          renewal: '2026-01-31',
          last_seen: '2026-01-31T23:59:59.999Z',
          topics: ['email', 'ads'],
          site: 'https://example.com/a?b=c',
          assistant_email: 'pa+x@example.com',
          direct_line: '+44 20 7946 0958',
          arr: -5,
          notes: '@mention +plus -minus',
        },
      },
    });
    const csvPath = path.join(dir, 'export.csv');
    const { createWriteStream } = await import('node:fs');
    const out = createWriteStream(csvPath);
    const n = await exportRecords(
      t.db.handle.db,
      ws.id,
      contactDef,
      { format: 'csv', filter: [{ field: 'email', op: 'eq', value: 'roundtrip@example.com' }] },
      out,
    );
    out.end();
    await new Promise<void>((r) => out.on('finish', () => r()));
    expect(n).toBe(1);
    const text = readFileSync(csvPath, 'utf8');
    expect(text).toContain("'=cmd|");
    // Into an empty workspace: same values.
    const into = await importFromCli({ ...ctx() }, systemActor(other.id, 'test'), {
      object: 'contact',
      file: csvPath,
      mode: 'upsert',
      dryRun: false,
      dateFormat: 'auto',
      // Users belong to one workspace: the owner cannot follow the record into another one.
      mapping: { ownerEmail: null },
    });
    expect(into).toMatchObject({ created: 1, errors: 0 });
    const a = await contact('roundtrip@example.com');
    const b = json<{ data: Array<Record<string, unknown>> }>(
      await t.app.inject({ url: '/api/v1/contacts?email=roundtrip@example.com', headers: bearer(otherKey) }),
    ).data[0];
    // `raw` is how a value first came in (before normalisation), not data an export carries.
    const strip = (x: Record<string, unknown> | undefined) => {
      const { id: _id, createdAt: _c, updatedAt: _u, ownerId: _o, raw: _r, ...rest } = x ?? {};
      return rest;
    };
    expect(strip(b)).toEqual(strip(a));
    // Back into the same workspace: nothing changes.
    const again = await run(csvPath);
    expect(again).toMatchObject({ created: 0, updated: 0, skipped: 1, errors: 0 });
  });

  it('streams CSV and JSON Lines over HTTP, filtered and with chosen columns; refuses bad columns and filters', async () => {
    const csv = await t.app.inject({
      url: '/api/v1/contacts/export?columns=email,firstName,custom.tier&q=roundtrip',
      headers: bearer(key),
    });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    expect(csv.headers['content-disposition']).toMatch(/attachment; filename="contacts-/);
    const rows = parse(csv.body, { bom: true }) as string[][];
    expect(rows).toEqual([
      ['email', 'firstName', 'custom.tier'],
      ['roundtrip@example.com', "'=cmd|' /C calc'!A0", 'Silver'],
    ]);
    const jsonl = await t.app.inject({ url: '/api/v1/contacts/export?format=jsonl&q=roundtrip', headers: bearer(key) });
    const lines = jsonl.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { email: string; firstName: string });
    expect(lines.map((l) => l.firstName)).toEqual(["=cmd|' /C calc'!A0"]);
    for (const qs of ['columns=nope', 'filter=%5B', `filter=${encodeURIComponent('[{"field":"x","op":"eq","value":1}]')}`, 'format=xlsx']) {
      const res = await t.app.inject({ url: `/api/v1/contacts/export?${qs}`, headers: bearer(key) });
      expect(res.statusCode, qs).toBe(400);
    }
    const sales = await makeApiKey(t, ws, 'sales');
    expect((await t.app.inject({ url: '/api/v1/contacts/export', headers: bearer(sales) })).statusCode).toBe(403);
  });
});
