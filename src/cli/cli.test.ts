import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../platform/config.js';
import { startServer } from '../platform/server.js';
import { createPgDatabase, onPostgres } from '../test/db.js';
import { buildProgram } from './main.js';
import { runOp } from './run-op.js';

let dir: string;
let config: Config;
let drop: (() => Promise<void>) | null = null;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'keel-cli-'));
  const env: Record<string, string> = {
    KEEL_DATA_DIR: path.join(dir, 'data'),
    LOG_LEVEL: 'silent',
    KEEL_DEMO: '0',
    PORT: '0',
    HOST: '127.0.0.1',
  };
  if (onPostgres) {
    const pg = await createPgDatabase();
    env.DATABASE_URL = pg.url;
    drop = pg.drop;
  }
  config = loadConfig(env);
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

describe('keel CLI without a running server', () => {
  it('migrate, then user create/list/disable/enable/set-role', async () => {
    const m = await keel('migrate', '--json');
    expect(m.json()).toHaveProperty('current');
    const created = (
      await keel('user', 'create', '--email', 'Ops.Lead@Example.com', '--password', 'twelve-chars-ok', '--role', 'mops_manager', '--json')
    ).json();
    expect(created).toMatchObject({ email: 'ops.lead@example.com', role: 'mops_manager', disabled: false });
    const table = await keel('user', 'list');
    expect(table.out[0]).toMatch(/^ID\s+EMAIL\s+NAME\s+ROLE/);
    expect(table.out.join('\n')).toContain('ops.lead@example.com');
    expect((await keel('user', 'disable', '--email', 'ops.lead@example.com', '--json')).json().disabled).toBe(true);
    expect((await keel('user', 'enable', '--email', 'ops.lead@example.com', '--json')).json().disabled).toBe(false);
    expect((await keel('user', 'set-role', '--email', 'ops.lead@example.com', '--role', 'admin', '--json')).json().role).toBe('admin');
    await expect(keel('user', 'disable', '--email', 'nobody@example.com')).rejects.toThrow(/No user/);
  });

  it('api-key create prints the key once; list never shows it; revoke', async () => {
    const k = (await keel('api-key', 'create', '--name', 'etl', '--role', 'data_analyst', '--json')).json();
    expect(String(k.key)).toMatch(/^keel_[0-9a-f]{12}_/);
    const human = await keel('api-key', 'create', '--name', 'etl-2', '--role', 'viewer');
    expect(human.out[1]).toMatch(/^keel_/);
    const list = await keel('api-key', 'list', '--json');
    expect(JSON.stringify(list.json())).not.toContain(String(k.key));
    expect((await keel('api-key', 'revoke', String(k.id), '--json')).json().revokedAt).toBeTruthy();
    await expect(keel('api-key', 'revoke', 'not-an-id')).rejects.toThrow(/id/);
  });

  it('workspace create/list and users in a named workspace', async () => {
    const w = (await keel('workspace', 'create', '--name', 'Globex Marketing', '--json')).json();
    expect(w.slug).toBe('globex-marketing');
    await keel(
      'user',
      'create',
      '--email',
      'g@globex.example',
      '--password',
      'twelve-chars-ok',
      '--role',
      'viewer',
      '--workspace',
      'globex-marketing',
    );
    const users = (await keel('user', 'list', '--workspace', 'globex-marketing', '--json')).json() as { data: Array<{ email: string }> };
    expect(users.data.map((u) => u.email)).toEqual(['g@globex.example']);
    await expect(keel('user', 'list', '--workspace', 'nope')).rejects.toThrow(/not found/);
  });

  it('doctor reports each check', async () => {
    const d = (await keel('doctor', '--json')).json() as { checks: Array<{ name: string; ok: boolean }> };
    const byName = Object.fromEntries(d.checks.map((c) => [c.name, c.ok]));
    expect(byName.node).toBe(true);
    expect(byName.config).toBe(true);
    expect(byName.database).toBe(true);
    expect(byName.migrations).toBe(true);
  });

  it.runIf(!onPostgres)('backup while serving, restore when stopped', async () => {
    const server = await startServer(config);
    const file = path.join(dir, 'backup.tar.gz');
    try {
      await runOp(config, 'user.create', { email: 'before.backup@example.com', password: 'twelve-chars-ok', role: 'viewer' });
      await keel('backup', file);
      expect((await stat(file)).size).toBeGreaterThan(1000);
      await runOp(config, 'user.create', { email: 'after.backup@example.com', password: 'twelve-chars-ok', role: 'viewer' });
      await expect(keel('restore', file)).rejects.toThrow(/in use/);
    } finally {
      await server.stop();
    }
    const r = await keel('restore', file);
    expect(r.out[0]).toMatch(/Restored .* previous data is in/);
    const emails = ((await runOp(config, 'user.list', {})) as { data: Array<{ email: string }> }).data.map((u) => u.email);
    expect(emails).toContain('before.backup@example.com');
    expect(emails).not.toContain('after.backup@example.com');
  });
});
