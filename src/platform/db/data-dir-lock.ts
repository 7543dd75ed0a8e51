import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { AppError } from '../errors.js';

export type Release = () => Promise<void>;

// The lock is refreshed every 3 s and goes stale after 15 s. The embedded database runs inside the
// server's event loop, so a long statement on a busy machine can hold the refresh back for
// seconds; at 5 s (before) such a stall counted as a lost lock and stopped the server.
const STALE_MS = 15_000;
const UPDATE_MS = 3000;

/**
 * PGlite has no lock of its own on its data folder: two processes can both open it and one's
 * writes vanish. Keel takes an exclusive lock (proper-lockfile: an atomic mkdir refreshed every
 * 3 s) before opening the folder. A lock left by a killed process goes stale after 15 s.
 */
export async function lockDataDir(dataDir: string, opts: { waitForStaleMs?: number } = {}): Promise<Release> {
  await mkdir(dataDir, { recursive: true });
  const lockPath = path.join(dataDir, 'keel.lock');
  const deadline = Date.now() + (opts.waitForStaleMs ?? 0);
  for (;;) {
    try {
      const release = await lockfile.lock(dataDir, {
        lockfilePath: lockPath,
        realpath: false,
        stale: STALE_MS,
        update: UPDATE_MS,
        onCompromised: (err) => {
          // Another process took the folder: continuing would corrupt it.
          console.error(`keel: lost the lock on ${dataDir}: ${err.message}; stopping`);
          process.exit(70);
        },
      });
      return async () => {
        try {
          await release();
        } catch {
          /* already released */
        }
      };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ELOCKED') throw err;
      if (Date.now() >= deadline) {
        throw new AppError(
          'data_dir_locked',
          `The data folder ${dataDir} is in use by another Keel process. Stop it first, or run keel commands while it serves (they go through its socket).`,
        );
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

export async function isDataDirLocked(dataDir: string): Promise<boolean> {
  try {
    return await lockfile.check(dataDir, { lockfilePath: path.join(dataDir, 'keel.lock'), realpath: false, stale: STALE_MS });
  } catch {
    return false;
  }
}

export function socketPath(dataDir: string): string {
  return path.join(dataDir, 'keel.sock');
}
