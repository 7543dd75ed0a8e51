import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import type { Db } from './database.js';

export const migrationsDir = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  // src/platform/db or dist/src/platform/db -> <root>/migrations
  fileURLToPath(import.meta.url).includes(`${path.sep}dist${path.sep}`) ? '../../../../migrations' : '../../../migrations',
);

// Arbitrary constant: every Keel process migrating the same database serialises on it.
const MIGRATION_LOCK = 7_411_020_031;

export interface MigrationFile {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export async function readMigrations(dir = migrationsDir): Promise<MigrationFile[]> {
  const files = (await readdir(dir)).filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f)).sort();
  return Promise.all(
    files.map(async (f) => {
      const text = await readFile(path.join(dir, f), 'utf8');
      return {
        version: Number(f.slice(0, 4)),
        name: f,
        sql: text,
        checksum: createHash('sha256').update(text).digest('hex'),
      };
    }),
  );
}

export interface MigrateResult {
  applied: string[];
  current: number;
}

/**
 * Applies pending forward-only migrations, each in its own transaction, under a session-level
 * advisory lock so two processes starting together apply each file once. A changed checksum of
 * an applied file is an error: migrations are never edited after they ship.
 */
export async function migrate(db: Db, dir = migrationsDir): Promise<MigrateResult> {
  const files = await readMigrations(dir);
  return db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK})`.execute(conn);
    try {
      await sql`create table if not exists keel_migrations (
        version integer primary key, name text not null, checksum text not null,
        applied_at timestamptz not null default now())`.execute(conn);
      const done = await conn.selectFrom('keel_migrations').selectAll().execute();
      const byVersion = new Map(done.map((m) => [m.version, m]));
      const applied: string[] = [];
      for (const f of files) {
        const prev = byVersion.get(f.version);
        if (prev) {
          if (prev.checksum !== f.checksum) {
            throw new Error(`Migration ${f.name} was changed after it was applied (checksum differs)`);
          }
          continue;
        }
        await conn.transaction().execute(async (trx) => {
          await sql.raw(f.sql).execute(trx);
          await trx.insertInto('keel_migrations').values({ version: f.version, name: f.name, checksum: f.checksum }).execute();
        });
        applied.push(f.name);
      }
      const current = files.length ? Math.max(...files.map((f) => f.version)) : 0;
      return { applied, current };
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK})`.execute(conn);
    }
  });
}

export async function pendingMigrations(db: Db, dir = migrationsDir): Promise<string[]> {
  const files = await readMigrations(dir);
  const exists = await sql<{ t: string | null }>`select to_regclass('keel_migrations')::text as t`.execute(db);
  if (!exists.rows[0]?.t) return files.map((f) => f.name);
  const done = new Set((await db.selectFrom('keel_migrations').select('version').execute()).map((r) => r.version));
  return files.filter((f) => !done.has(f.version)).map((f) => f.name);
}
