import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from './paths.js';

export interface TestServer {
  url: string;
  dataDir: string;
  /** The server's recent output, for a failing test's message. */
  logs: () => string;
  stop: () => Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForReady(url: string, child: ChildProcess, logs: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`keel serve exited with ${child.exitCode} before it was ready:\n${logs()}`);
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`keel serve was not ready within ${timeoutMs} ms:\n${logs()}`);
}

/** Starts the built server (`node bin/keel.js serve`) on a free port with a fresh, empty data folder. */
export async function startServer(env: Record<string, string> = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'keel-e2e-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // Always the embedded database in a fresh folder, even where DATABASE_URL is set for other tests.
  const { DATABASE_URL: _externalDb, KEEL_WEB_DIR: _webDir, ...inherited } = process.env;
  const child = spawn(process.execPath, ['bin/keel.js', 'serve'], {
    cwd: repoRoot,
    env: {
      ...inherited,
      KEEL_DATA_DIR: dataDir,
      KEEL_DEMO: '0',
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      KEEL_LOG_PRETTY: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const logs = () => output;
  // Should the test run itself die, the server goes with it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    process.off('exit', killOnExit);
    rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    await waitForReady(url, child, logs, 60_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, dataDir, logs, stop };
}
