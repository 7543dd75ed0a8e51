import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeContactsCsv } from '../../bench/lib/contacts-csv.js';
import { loadConfig, type Config } from '../platform/config.js';
import { openRuntime } from '../platform/runtime.js';
import { createPgDatabase, onPostgres } from '../test/db.js';
import { buildProgram } from './main.js';

let dir: string;
let config: Config;
let env: Record<string, string>;
let drop: (() => Promise<void>) | null = null;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'keel-data-cli-'));
  env = { KEEL_DATA_DIR: path.join(dir, 'data'), LOG_LEVEL: 'silent', KEEL_DEMO: '0' };
  if (onPostgres) {
    const pg = await createPgDatabase();
    env.DATABASE_URL = pg.url;
    drop = pg.drop;
  }
  config = loadConfig(env);
  await keel('migrate');
  await keel('workspace', 'create', '--name', 'CLI import');
});
afterAll(async () => {
  await drop?.();
  await rm(dir, { recursive: true, force: true });
});

async function keel(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const program = buildProgram({ out: (l) => out.push(l), err: (l) => err.push(l) }, () => config);
  program.exitOverride();
  await program.parseAsync(['node', 'keel', ...argv]);
  return { out, err, json: () => JSON.parse(out.at(-1) ?? 'null') as Record<string, unknown> };
}

function csv(name: string, text: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('keel import / export', () => {
  it('imports with --json: one object last, with counts and the error file; row errors do not fail it', async () => {
    const p = csv('cli.csv', 'Email Address,First Name,Company\na@cli.example,Ann,Acme\nnot-an-email,Bad,Row\nb@cli.example,Bob,Initech\n');
    const dry = await keel('import', 'contacts', p, '--dry-run', '--json');
    expect(dry.json()).toMatchObject({ created: 2, updated: 0, skipped: 0, errors: 1, errorFile: null });
    const r = await keel('import', 'contacts', p, '--json');
    const result = r.json();
    expect(result).toMatchObject({ created: 2, updated: 0, skipped: 0, errors: 1, status: 'completed' });
    expect(Object.keys(result).slice(-5)).toEqual(['created', 'updated', 'skipped', 'errors', 'errorFile']);
    expect(readFileSync(String(result.errorFile), 'utf8')).toMatch(/not-an-email,Bad,Row,.*email/);
    const again = await keel('import', 'contacts', p, '--mode', 'create', '--json');
    expect(again.json()).toMatchObject({ created: 0, skipped: 2, errors: 1 });
    const text = await keel('import', 'contacts', p);
    expect(text.out[0]).toMatch(/^Imported cli\.csv in [\d.]+ s: 0 created, 0 updated, 2 skipped, 1 errors$/);
    expect(text.out.at(-1)).toMatch(/^Undo with: keel import undo [0-9a-f-]{36}$/);
  });

  it('refuses a missing file, a bad match key and a binary file with a clear message', async () => {
    await expect(keel('import', 'contacts', path.join(dir, 'nope.csv'))).rejects.toThrow(/No such file: /);
    await expect(keel('import', 'contacts', csv('x.csv', 'Email\nsomeone@example.com\n'), '--key', 'Bad Key')).rejects.toThrow(
      /Match on email or an external id/,
    );
    const bin = path.join(dir, 'junk.csv');
    writeFileSync(bin, Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 31) % 256)));
    await expect(keel('import', 'contacts', bin)).rejects.toThrow(/not text/);
  });

  it('refuses 2 GB of junk at once, writing nothing', async () => {
    const p = path.join(dir, 'huge.csv');
    const fh = await open(p, 'w');
    await fh.write('Email,First Name\n');
    await fh.truncate(2 * 1024 ** 3);
    await fh.close();
    await expect(keel('import', 'contacts', p)).rejects.toThrow(/not text \(it looks binary\)/);
    await rm(p);
  });

  it('exports to a file with the headers the import reads, and lists and undoes imports', async () => {
    const out = path.join(dir, 'export.csv');
    await keel('export', 'contacts', '--out', out);
    const text = readFileSync(out, 'utf8');
    expect(text.split('\n')[0]).toMatch(/^\uFEFFid,email,firstName,lastName/);
    expect(text).toContain('a@cli.example,Ann');
    const back = await keel('import', 'contacts', out, '--json');
    expect(back.json()).toMatchObject({ created: 0, updated: 0, skipped: 2, errors: 0 });
    const list = await keel('import', 'list', '--json');
    const first = (list.json() as { data: Array<{ id: string; counts: { created: number } }> }).data.find((i) => i.counts.created === 2);
    const undo = await keel('import', 'undo', first?.id ?? '', '--json');
    expect(undo.json()).toMatchObject({ status: 'undone', undoResult: { deleted: 2, restored: 0, kept: 0 } });
  });
});

describe('a killed import', () => {
  it('resumes when the same file is imported again, without duplicating rows', async () => {
    const file = path.join(dir, 'big.csv');
    const gen = await writeContactsCsv(file, { rows: 30_000, seed: 3 });
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/test/keel-cli-entry.ts', 'import', 'contacts', file, '--json'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const errorsDir = path.join(config.filesDir, 'imports');
    // Kill it once it has written some batches (its error file grows batch by batch).
    const deadline = Date.now() + 60_000;
    const grown = () => errorBytes(errorsDir) > 20_000;
    while (!grown() && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
    expect(child.exitCode, stderr).toBeNull();
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    // The process is gone; pretend a minute passed so its heartbeat is stale.
    const rt = await openRuntime(config, { waitForStaleMs: 25_000 });
    const running = await rt.handle.db.selectFrom('imports').selectAll().where('status', '=', 'running').execute();
    expect(running).toHaveLength(1);
    const doneBefore = Number(running[0]?.rows_done);
    expect(doneBefore).toBeGreaterThan(0);
    await rt.handle.db
      .updateTable('imports')
      .set({ heartbeat_at: new Date(Date.now() - 120_000) })
      .execute();
    await rt.handle.close();
    await rt.release();

    const r = await keel('import', 'contacts', file, '--json');
    const result = r.json();
    expect(result).toMatchObject({ resumed: true, status: 'completed', id: running[0]?.id });
    const rows = Number(result.created) + Number(result.errors) + Number(result.skipped);
    expect(rows).toBe(gen.rows);
    expect(Number(result.created)).toBe(gen.rows - gen.duplicates - gen.invalid);
    const errorLines = readFileSync(String(result.errorFile), 'utf8').trim().split('\n').length;
    expect(errorLines - 1).toBe(Number(result.errors));
  }, 120_000);
});

/** Bytes of error files written so far: the importer appends to them batch by batch. */
function errorBytes(dirPath: string): number {
  if (!existsSync(dirPath)) return 0;
  return readdirSync(dirPath)
    .filter((f) => f.endsWith('.errors.csv'))
    .reduce((n, f) => n + statSync(path.join(dirPath, f)).size, 0);
}

describe('keel dedupe scan', () => {
  it('runs a full scan, waits for it and prints it with --json; bad options are refused', async () => {
    const p = csv(
      'dupes.csv',
      'Email,First Name,Last Name,Company,Phone\nelaine.benes@pendant.example,Elaine,Benes,Pendant Publishing,+12125550111\nelaine@pendant.example,Elaine,Benes,Pendant Publishing,(212) 555-0111\nkramer@kramerica.example,Cosmo,Kramer,Kramerica,\n',
    );
    // A workspace of its own: the others here hold tens of thousands of generated contacts.
    await keel('workspace', 'create', '--name', 'Dedupe CLI', '--slug', 'dedupe-cli');
    await keel('import', 'contacts', p, '--json', '--workspace', 'dedupe-cli');
    const r = await keel('dedupe', 'scan', '--object', 'contacts', '--json', '--workspace', 'dedupe-cli');
    const scan = r.json();
    expect(scan).toMatchObject({ object: 'contact', status: 'done' });
    expect((scan.stats as { pairs: number }).pairs).toBeGreaterThanOrEqual(1);
    const text = await keel('dedupe', 'scan', '--workspace', 'dedupe-cli');
    expect(text.out.join('\n')).toMatch(
      /Scanned [\d,]+ contacts in [\d.]+ s: [\d,]+ candidate pairs, [\d,]+ at or above the review threshold/,
    );
    await expect(keel('dedupe', 'scan', '--object', 'leads')).rejects.toThrow();
  });
});
