import path from 'node:path';
import { loadConfig } from '../../src/platform/config.js';
import type { Db } from '../../src/platform/db/database.js';
import { openRuntime } from '../../src/platform/runtime.js';
import { createDatabase, databaseExists, PG_ADMIN_URL } from './contacts-db.js';
import { dataRoot, keelEnv, machineInfo, onCleanup, printMachine, quietCheck } from './util.js';

export interface PgBenchmark {
  db: Db;
  /** The database's name (for `measured` and the closing line) and its URL (for a client of one's own). */
  dbName: string;
  url: string;
  /** True when this run made the database (false: `--db` reused one). */
  fresh: boolean;
}

/**
 * The start the in-process PostgreSQL benchmarks share: their title, the machine and their
 * parameters printed, a check that the machine is quiet, then a database on 127.0.0.1:5432 and
 * the app's runtime on it (migrated by openRuntime; services called directly, no HTTP), closed at
 * exit. `--db NAME` (`db`): with `existing: 'reuse'` that database must exist and is used as it is;
 * with `existing: 'refuse'` it must not exist yet and is made. Without it: a fresh
 * `keel_bench_<name>_<pid>`. A database made here is dropped at exit unless `keepDb`.
 */
export async function startPgBenchmark(
  name: string,
  header: { title: string; params: string },
  opts: { db: string | undefined; keepDb: boolean; existing: 'reuse' | 'refuse' },
): Promise<PgBenchmark> {
  console.log(header.title);
  printMachine(machineInfo());
  console.log(header.params);
  await quietCheck();
  const dbName = opts.db ?? `keel_bench_${name}_${process.pid}`;
  let fresh = true;
  let url: string;
  if (opts.db && opts.existing === 'reuse') {
    if (!databaseExists(dbName)) throw new Error(`--db ${dbName}: no such database`);
    url = `${PG_ADMIN_URL}/${dbName}`;
    fresh = false;
  } else {
    if (opts.db && databaseExists(dbName)) throw new Error(`--db ${dbName}: exists already (this benchmark makes its own data)`);
    url = createDatabase(dbName, opts.keepDb);
  }
  const env = keelEnv({
    DATABASE_URL: url,
    KEEL_DATA_DIR: path.join(dataRoot, `${name}-${process.pid}`),
    LOG_LEVEL: 'warn',
    KEEL_DEMO: '0',
  });
  const rt = await openRuntime(loadConfig(env));
  onCleanup(async () => {
    await rt.handle.close();
    await rt.release();
  });
  return { db: rt.handle.db, dbName, url, fresh };
}
