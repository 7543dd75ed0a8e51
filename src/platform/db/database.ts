import { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import { CompiledQuery, Kysely, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import type { DB } from './schema.js';

export type Db = Kysely<DB>;
export type Tx = Transaction<DB>;
export type DbOrTx = Db | Tx;

export interface DatabaseHandle {
  /** Embedded only: the data folder as a gzipped tarball (PGlite dumpDataDir), for backups. */
  dumpDataDir?: () => Promise<Blob>;
  kind: 'embedded' | 'postgres';
  db: Db;
  pool: pg.Pool;
  /** Raw SQL through the same single access path (used by pg-boss and migrations). */
  executeSql(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** postgres:// URL; when absent the embedded database is used. */
  databaseUrl?: string;
  /** Embedded data folder; `memory://` or undefined for an in-memory database (tests). */
  dataDir?: string;
  poolMax?: number;
}

/**
 * One interface over both back ends: Kysely's PostgresDialect over a pg.Pool, made either from
 * DATABASE_URL or from PGlite's node-postgres adapter. PGlite is a single PostgreSQL session, so
 * its pool has exactly one connection: every query in this process (Kysely, pg-boss, the CLI
 * socket) waits its turn there and can never land inside another caller's transaction.
 */
export async function openDatabase(opts: OpenOptions): Promise<DatabaseHandle> {
  let pool: pg.Pool;
  let pglite: PGlite | undefined;
  if (opts.databaseUrl) {
    pool = new pg.Pool({
      connectionString: opts.databaseUrl,
      max: opts.poolMax ?? 10,
      application_name: 'keel',
    });
  } else {
    pglite = await PGlite.create(opts.dataDir && opts.dataDir !== 'memory://' ? opts.dataDir : undefined);
    pool = new pg.Pool({ ...createPgConfig(pglite), max: 1, idleTimeoutMillis: 0 });
  }
  pool.on('error', () => {
    /* a dropped idle connection is replaced on next use; errors surface on the query */
  });
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  const lite = pglite;
  return {
    ...(lite && { dumpDataDir: () => lite.dumpDataDir('gzip') as Promise<Blob> }),
    kind: lite ? 'embedded' : 'postgres',
    db,
    pool,
    async executeSql(text, values) {
      const res = await pool.query(text, values as unknown[] | undefined);
      return { rows: res.rows as Record<string, unknown>[] };
    },
    async close() {
      await db.destroy();
      if (pglite) await pglite.close();
    },
  };
}

/** Runs raw parameterised SQL on a Kysely handle (inside a transaction when given one). */
export async function rawQuery(db: DbOrTx, text: string, values: unknown[] = []): Promise<{ rows: Record<string, unknown>[] }> {
  const res = await db.executeQuery(CompiledQuery.raw(text, values));
  return { rows: res.rows as Record<string, unknown>[] };
}
