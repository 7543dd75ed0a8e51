import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../cli/main.js';
import { loadConfig, type Config } from '../../platform/config.js';
import { openRuntime } from '../../platform/runtime.js';
import { createPgDatabase, onPostgres } from '../../test/db.js';

// A real `keel serve` process under tracking load, killed with SIGKILL: every event it answered
// 200 for must be in the database afterwards (an acknowledged write survives a crash).
let dir: string;
let env: Record<string, string>;
let config: Config;
let drop: (() => Promise<void>) | null = null;
let server: ChildProcess | null = null;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function startServer(): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/test/keel-cli-entry.ts', 'serve'], {
    env: { ...process.env, ...env },
    stdio: 'ignore',
  });
}

async function waitReady(base: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${base}/readyz`)).ok) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server did not become ready');
}

async function keel(...argv: string[]): Promise<string[]> {
  const out: string[] = [];
  const program = buildProgram({ out: (l) => out.push(l), err: () => undefined }, () => config);
  program.exitOverride();
  await program.parseAsync(['node', 'keel', ...argv]);
  return out;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'keel-durable-'));
  env = { KEEL_DATA_DIR: path.join(dir, 'data'), LOG_LEVEL: 'silent', KEEL_DEMO: '0', HOST: '127.0.0.1', PORT: String(await freePort()) };
  if (onPostgres) {
    const pg = await createPgDatabase();
    env.DATABASE_URL = pg.url;
    drop = pg.drop;
  }
  config = loadConfig(env);
});
afterAll(async () => {
  server?.kill('SIGKILL');
  await drop?.();
  await rm(dir, { recursive: true, force: true });
});

describe('tracking durability', () => {
  it('loses no acknowledged event when the server is killed under load', async () => {
    const base = `http://127.0.0.1:${env.PORT}`;
    server = startServer();
    await waitReady(base);
    await keel('workspace', 'create', '--name', 'Durable');
    const writeKey = (JSON.parse((await keel('source', 'create', '--name', 'Load', '--json')).at(-1) ?? '{}') as { writeKey: string })
      .writeKey;
    const auth = `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;

    const acked: string[] = [];
    let seq = 0;
    let stop = false;
    const sender = async (n: number) => {
      while (!stop) {
        const ids = Array.from({ length: 50 }, () => `load-${n}-${seq++}`);
        const batch = ids.map((messageId, i) => ({
          type: 'track',
          messageId,
          anonymousId: `anon-${n}-${i % 7}`,
          event: 'Load Test',
          properties: { i },
        }));
        try {
          const res = await fetch(`${base}/v1/batch`, {
            method: 'POST',
            headers: { authorization: auth, 'content-type': 'application/json' },
            body: JSON.stringify({ batch }),
          });
          if (res.status === 200) acked.push(...ids);
        } catch {
          return; // the server is gone
        }
      }
    };
    const senders = [1, 2, 3, 4].map(sender);
    while (acked.length < 2000) await new Promise((r) => setTimeout(r, 20));
    server.kill('SIGKILL');
    await new Promise((r) => server?.once('exit', r));
    stop = true;
    await Promise.all(senders);
    server = null;

    const rt = await openRuntime(config, { waitForStaleMs: 25_000 });
    try {
      const stored = new Set<string>();
      for (let i = 0; i < acked.length; i += 5000) {
        const r = await sql<{
          message_id: string;
        }>`select message_id from events where message_id = any(${acked.slice(i, i + 5000)}::text[])`.execute(rt.handle.db);
        for (const row of r.rows) stored.add(row.message_id);
      }
      expect(acked.length).toBeGreaterThanOrEqual(2000);
      expect(acked.filter((id) => !stored.has(id))).toEqual([]);
    } finally {
      await rt.handle.close();
      await rt.release();
    }
  }, 120_000);
});
