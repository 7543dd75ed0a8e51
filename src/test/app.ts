import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { pino } from 'pino';
import { registerModules, defineJobs } from '../modules/index.js';
import { createApiKey } from '../modules/api-keys/api-keys.service.js';
import { createUser } from '../modules/users/users.service.js';
import { createWorkspace } from '../modules/workspaces/workspaces.service.js';
import { systemActor } from '../platform/actor.js';
import { fixedClock, systemClock, type Clock } from '../platform/clock.js';
import { loadConfig, type Config } from '../platform/config.js';
import { buildApp } from '../platform/http/app.js';
import { Jobs } from '../platform/jobs/jobs.js';
import type { Logger } from '../platform/logger.js';
import { createMetrics } from '../platform/metrics.js';
import type { Role } from '../platform/permissions.js';
import type { User } from '../modules/users/users.schema.js';
import type { Workspace } from '../modules/workspaces/workspaces.schema.js';
import { createTestDatabase, type TestDatabase } from './db.js';

export { fixedClock, systemClock };

export interface TestApp {
  app: FastifyInstance;
  db: TestDatabase;
  jobs: Jobs;
  clock: Clock;
  config: Config;
  logger: Logger;
  close(): Promise<void>;
}

export const TEST_PASSWORD = 'correct-horse-battery-staple';

/** A real app on a fresh database, driven in-process with app.inject. */
export async function createTestApp(opts: { clock?: Clock; env?: Record<string, string> } = {}): Promise<TestApp> {
  const db = await createTestDatabase();
  const clock = opts.clock ?? systemClock;
  // Each app gets its own files folder (imports, exports), removed on close.
  const filesDir = mkdtempSync(path.join(os.tmpdir(), 'keel-files-'));
  const config = loadConfig({ KEEL_DEMO: '0', LOG_LEVEL: 'silent', KEEL_WEB_DIR: '/nonexistent', KEEL_FILES_DIR: filesDir, ...opts.env });
  const logger = pino({ level: 'silent' });
  const metrics = createMetrics();
  const jobs = new Jobs(db.handle, clock, logger, metrics);
  defineJobs(jobs, config);
  const app = await buildApp({ handle: db.handle, config, clock, logger, jobs, metrics, version: 'test' }, registerModules);
  await app.ready();
  return {
    app,
    db,
    jobs,
    clock,
    config,
    logger,
    async close() {
      await app.close();
      await jobs.stop(2000);
      await db.drop();
      rmSync(filesDir, { recursive: true, force: true });
    },
  };
}

let seq = 0;
export function uniqueEmail(prefix = 'user'): string {
  seq += 1;
  return `${prefix}.${Date.now().toString(36)}.${seq}@example.com`;
}

/** Factories: small, explicit, going through the services like real callers. */
export async function makeWorkspace(t: TestApp, name = 'Test workspace'): Promise<Workspace> {
  return t.db.handle.db.transaction().execute((trx) => createWorkspace(trx, t.clock, { name }));
}

export async function makeUser(t: TestApp, workspace: Workspace, role: Role, email = uniqueEmail(role)): Promise<User> {
  return createUser({ db: t.db.handle.db, clock: t.clock }, systemActor(workspace.id, 'test'), {
    email,
    name: `Test ${role}`,
    password: TEST_PASSWORD,
    role,
  });
}

export async function makeApiKey(t: TestApp, workspace: Workspace, role: Role): Promise<string> {
  const k = await createApiKey({ db: t.db.handle.db, clock: t.clock }, systemActor(workspace.id, 'test'), { name: `key-${role}`, role });
  return k.key;
}

export interface Session {
  cookie: string;
  csrf: string;
  headers: Record<string, string>;
}

export async function login(t: TestApp, email: string, password = TEST_PASSWORD): Promise<Session> {
  // Each sign-in from its own address, so tests do not trip the per-address login rate limit.
  const remoteAddress = `10.${seq % 250}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
  seq += 1;
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password }, remoteAddress });
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
  const cookie = res.cookies.find((c) => c.name === 'keel_session');
  if (!cookie) throw new Error('no session cookie');
  const csrf = (res.json() as { csrfToken: string }).csrfToken;
  return { cookie: `keel_session=${cookie.value}`, csrf, headers: { cookie: `keel_session=${cookie.value}`, 'x-csrf-token': csrf } };
}

export const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

export function json<T = Record<string, unknown>>(res: LightMyRequestResponse): T {
  return res.json() as T;
}
