import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from './config.js';
import { openDatabase, type DatabaseHandle } from './db/database.js';
import { lockDataDir, type Release } from './db/data-dir-lock.js';
import { migrate } from './db/migrate.js';

export interface Runtime {
  handle: DatabaseHandle;
  /** Releases the data-folder lock (embedded only); call after closing the handle. */
  release: Release;
}

export function pgDataDir(config: Config): string {
  return path.join(config.dataDir, 'pgdata');
}

/**
 * Opens the configured database and applies pending migrations. The embedded folder is locked
 * first: this process becomes its only user until `release`.
 */
export async function openRuntime(config: Config, opts: { waitForStaleMs?: number; migrate?: boolean } = {}): Promise<Runtime> {
  let release: Release = async () => {};
  let handle: DatabaseHandle;
  if (config.DATABASE_URL) {
    handle = await openDatabase({ databaseUrl: config.DATABASE_URL, poolMax: config.KEEL_DB_POOL_MAX });
  } else {
    release = await lockDataDir(config.dataDir, { waitForStaleMs: opts.waitForStaleMs });
    try {
      await mkdir(pgDataDir(config), { recursive: true });
      handle = await openDatabase({ dataDir: pgDataDir(config) });
    } catch (err) {
      await release();
      throw err;
    }
  }
  if (opts.migrate !== false) {
    try {
      await migrate(handle.db);
    } catch (err) {
      await handle.close();
      await release();
      throw err;
    }
  }
  return { handle, release };
}
