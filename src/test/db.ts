import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type DatabaseHandle } from '../platform/db/database.js';
import { migrate } from '../platform/db/migrate.js';

/** True in the PostgreSQL pass of the suite (DATABASE_URL set), false on embedded PGlite. */
export const onPostgres = Boolean(process.env.DATABASE_URL);

export interface TestDatabase {
  handle: DatabaseHandle;
  /** postgres:// URL of this test's own database (PostgreSQL pass only). */
  url: string | null;
  drop(): Promise<void>;
}

function serverUrl(dbName: string): string {
  const u = new URL(process.env.DATABASE_URL ?? '');
  u.pathname = `/${dbName}`;
  return u.toString();
}

/** Creates an empty database of our own on the server in DATABASE_URL; returns its URL. */
export async function createPgDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const base = new URL(process.env.DATABASE_URL ?? '');
  const name = `keel_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl(base.pathname.slice(1) || 'postgres') });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  return {
    url: serverUrl(name),
    async drop() {
      const c = new pg.Client({ connectionString: serverUrl(base.pathname.slice(1) || 'postgres') });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** A fresh, migrated database for one test file: in-memory PGlite, or a new PostgreSQL database. */
export async function createTestDatabase(opts: { migrate?: boolean } = {}): Promise<TestDatabase> {
  if (onPostgres) {
    const pgdb = await createPgDatabase();
    const handle = await openDatabase({ databaseUrl: pgdb.url, poolMax: 5 });
    if (opts.migrate !== false) await migrate(handle.db);
    return {
      handle,
      url: pgdb.url,
      async drop() {
        await handle.close();
        await pgdb.drop();
      },
    };
  }
  const handle = await openDatabase({ dataDir: 'memory://' });
  if (opts.migrate !== false) await migrate(handle.db);
  return { handle, url: null, drop: () => handle.close() };
}
