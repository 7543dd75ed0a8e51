import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../cli/main.js';
import { DEFAULT_SETTINGS } from '../modules/dedupe/settings.js';
import { runOp } from '../cli/run-op.js';
import { createPgDatabase, onPostgres } from '../test/db.js';
import { loadConfig, type Config } from './config.js';
import { lockDataDir } from './db/data-dir-lock.js';
import { AppError } from './errors.js';
import { startServer, type RunningServer } from './server.js';

// The real `keel serve` in-process (port 0), and the CLI beside it: on the embedded folder the
// CLI must go through the server's socket; a second opener of the folder must be refused.
let dir: string;
let config: Config;
let server: RunningServer;
let dropPg: (() => Promise<void>) | null = null;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'keel-srv-'));
  const env: Record<string, string> = {
    KEEL_DATA_DIR: dir,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    KEEL_DEMO: '1',
    KEEL_DEMO_PASSWORD: 'demo-password-for-tests',
  };
  if (onPostgres) {
    const pg = await createPgDatabase();
    env.DATABASE_URL = pg.url;
    dropPg = pg.drop;
  }
  config = loadConfig(env);
  server = await startServer(config);
});
afterAll(async () => {
  await server.stop();
  await dropPg?.();
  await rm(dir, { recursive: true, force: true });
});

function cli(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const program = buildProgram({ out: (l) => out.push(l), err: (l) => err.push(l) }, () => config);
  program.exitOverride();
  return { run: () => program.parseAsync(['node', 'keel', ...argv]), out, err };
}

describe('keel serve', () => {
  it('serves health, readiness, metrics and OpenAPI', async () => {
    const base = server.url ?? '';
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(await ready.json()).toEqual({ status: 'ready', database: onPostgres ? 'postgres' : 'embedded' });
    await fetch(`${base}/api/v1/users`);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    for (const m of ['keel_http_request_duration_seconds_bucket', 'keel_db_pool_connections', 'keel_process_cpu_seconds_total'])
      expect(metrics).toContain(m);
    const spec = (await (await fetch(`${base}/api/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(spec.openapi).toBe('3.1.0');
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/api/v1/users', '/api/v1/audit', '/api/v1/api-keys']));
    expect((await fetch(`${base}/api/docs`)).status).toBe(200);
  });

  it.runIf(!onPostgres)('seeds the demo workspace once, and the demo admin can sign in', async () => {
    const res = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@keel.local', password: 'demo-password-for-tests' }),
    });
    expect(res.status).toBe(200);
    // The demo segments have people in them, counted live and stored alike.
    const cookie = res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const segs = (await (await fetch(`${server.url}/api/v1/segments?limit=50`, { headers: { cookie } })).json()) as {
      data: { name: string; count: number; memberCount: number; state: string }[];
    };
    expect(segs.data.map((s) => s.name)).toEqual(
      expect.arrayContaining(['Engaged in last 30 days', 'Enterprise accounts in EMEA', 'Trial users who viewed pricing 3+ times']),
    );
    for (const s of segs.data) {
      expect(s.count, s.name).toBeGreaterThan(0);
      expect(s, s.name).toMatchObject({ state: 'ready', memberCount: s.count });
    }
    // The demo's published scoring model has scored the demo contacts; explanations add up.
    const models = (await (await fetch(`${server.url}/api/v1/scoring/models`, { headers: { cookie } })).json()) as {
      data: { id: string; name: string; publishedVersion: number | null; scoredContacts: number }[];
    };
    expect(models.data.find((m) => m.name === 'Lead score')).toMatchObject({ publishedVersion: 1 });
    expect(models.data[0]?.scoredContacts).toBeGreaterThan(2000);
    const some = (await (await fetch(`${server.url}/api/v1/contacts?limit=20`, { headers: { cookie } })).json()) as {
      data: { id: string }[];
    };
    let scored = 0;
    for (const c of some.data) {
      const scores = (await (await fetch(`${server.url}/api/v1/contacts/${c.id}/scores`, { headers: { cookie } })).json()) as {
        score: number;
        explanation: { points: number }[];
      }[];
      for (const s of scores) {
        expect(s.explanation.reduce((a, l) => a + l.points, 0)).toBeCloseTo(s.score, 6);
        if (s.score > 0) scored += 1;
      }
    }
    expect(scored).toBeGreaterThan(0);
    // The demo's reps have routed leads in their queues, each with the rule that fired.
    const reps = (await (await fetch(`${server.url}/api/v1/routing/reps`, { headers: { cookie } })).json()) as {
      data: { userId: string; openLeads: number }[];
    };
    expect(reps.data.length).toBe(2);
    expect(reps.data.reduce((a, r) => a + r.openLeads, 0)).toBeGreaterThanOrEqual(10);
    const routed = (await (await fetch(`${server.url}/api/v1/routing/log?limit=50`, { headers: { cookie } })).json()) as {
      data: { rule: string | null; assignedTo: string | null }[];
    };
    expect(routed.data.filter((l) => l.rule && l.assignedTo).length).toBeGreaterThanOrEqual(10);
    // The demo has a past: evaluating its scoring model over the last 60 days finds SQL conversions.
    const csrf = ((await res.clone().json()) as { csrfToken: string }).csrfToken;
    const modelId = models.data.find((m) => m.name === 'Lead score')?.id ?? '';
    const evaluation = (await (
      await fetch(`${server.url}/api/v1/scoring/models/${modelId}/evaluate`, {
        method: 'POST',
        headers: { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' },
        body: JSON.stringify({ from: new Date(Date.now() - 60 * 86_400_000).toISOString(), to: new Date().toISOString(), target: 'sql' }),
      })
    ).json()) as { contacts: number; converted: number; auc: number | null };
    expect(evaluation.contacts).toBeGreaterThan(1000);
    expect(evaluation.converted).toBeGreaterThan(20);
    expect(evaluation.auc).toBeGreaterThan(0.5);
    // The demo holds duplicates found by a scan (at the default review threshold), each with its reasons, for the review queue.
    const dups = (await (
      await fetch(`${server.url}/api/v1/duplicates?object=contact&status=open&limit=200`, { headers: { cookie } })
    ).json()) as {
      data: { probability: number; reasons: unknown[] }[];
    };
    expect(dups.data.length).toBeGreaterThanOrEqual(12);
    expect(dups.data.every((d) => d.probability >= DEFAULT_SETTINGS.reviewThreshold && d.reasons.length > 0)).toBe(true);
  });

  it('CLI commands work while the server runs (through its socket on the embedded folder)', async () => {
    const c = cli(['user', 'create', '--email', 'cli.user@example.com', '--password', 'a-long-password!', '--role', 'sales', '--json']);
    await c.run();
    expect(JSON.parse(c.out.at(-1) ?? '{}')).toMatchObject({ email: 'cli.user@example.com', role: 'sales' });
    const k = cli(['api-key', 'create', '--name', 'from-cli', '--role', 'admin', '--json']);
    await k.run();
    const key = (JSON.parse(k.out.at(-1) ?? '{}') as { key: string }).key;
    const users = await fetch(`${server.url}/api/v1/users?limit=200`, { headers: { authorization: `Bearer ${key}` } });
    expect(((await users.json()) as { data: Array<{ email: string }> }).data.map((u) => u.email)).toContain('cli.user@example.com');
  });

  it('keel import and export run through the running server, with progress; the demo holds 2,000+ contacts', async () => {
    const file = path.join(dir, 'socket-import.csv');
    await writeFile(file, `Email,First Name\n${Array.from({ length: 2500 }, (_, i) => `sock${i}@example.com,S${i}`).join('\n')}\n`);
    const progress: unknown[] = [];
    const r = (await runOp(
      config,
      'import.run',
      { object: 'contact', file, mode: 'upsert', dryRun: false },
      { progress: (p) => progress.push(p) },
    )) as {
      created: number;
    };
    expect(r.created).toBe(2500);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    const out = path.join(dir, 'socket-export.csv');
    const e = cli(['export', 'contacts', '--out', out]);
    await e.run();
    const rows = (await readFile(out, 'utf8')).trim().split('\n').length - 1;
    expect(rows).toBe(onPostgres ? 2500 : 2500 + 2001 + 26);
    if (!onPostgres) {
      const accounts = cli(['export', 'accounts', '--out', `${out}.accounts`]);
      await accounts.run();
      expect((await readFile(`${out}.accounts`, 'utf8')).trim().split('\n').length - 1).toBe(300);
    }
    // Not a speed check: on a loaded machine the demo's loops share the one embedded connection.
  }, 180_000);

  it('CLI refuses bad arguments with a clear message', async () => {
    const c = cli(['user', 'create', '--email', 'nope', '--password', 'short', '--role', 'sales']);
    await expect(c.run()).rejects.toThrow(AppError);
    const r = cli(['user', 'create', '--email', 'a@b.co', '--password', 'x', '--role', 'emperor']);
    await expect(r.run()).rejects.toThrow();
    expect(r.err.join('\n')).toMatch(/Allowed choices are admin, mops_manager/);
  });

  it.runIf(!onPostgres)('a second process cannot open the embedded folder', async () => {
    await expect(lockDataDir(dir)).rejects.toMatchObject({ code: 'data_dir_locked' });
  });

  it('runOp answers the same as the service', async () => {
    const list = (await runOp(config, 'workspace.list', {})) as { data: Array<{ slug: string }> };
    expect(list.data.length).toBeGreaterThanOrEqual(1);
    await expect(runOp(config, 'no.such.op', {})).rejects.toThrow(/Unknown operation/);
  });
});
