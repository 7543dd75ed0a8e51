import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
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
  const ownerPath = path.join(dataDir, 'keel.lock.pid');
  const deadline = Date.now() + (opts.waitForStaleMs ?? 0);
  for (;;) {
    try {
      // A lock whose holder is alive is never taken over, however old its refresh: the embedded
      // database runs in the holder's event loop, and on a loaded machine a long statement can
      // hold the refresh back past the stale limit (a CLI then took the folder from a busy
      // server). Only a lock whose process is gone goes stale.
      if (await holderAlive(ownerPath, lockPath)) throw Object.assign(new Error('locked'), { code: 'ELOCKED' });
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
      await writeFile(ownerPath, String(process.pid));
      return async () => {
        await rm(ownerPath, { force: true });
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

/** Whether the lock is there and the process that took it (its pid, this one included) still runs. */
async function holderAlive(ownerPath: string, lockPath: string): Promise<boolean> {
  let pid: number;
  try {
    pid = Number((await readFile(ownerPath, 'utf8')).trim());
  } catch {
    return false;
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    // Is the lock there at all (however old its refresh)?
    if (!(await lockfile.check(lockPath, { lockfilePath: lockPath, realpath: false, stale: Number.MAX_SAFE_INTEGER }))) return false;
  } catch {
    return false;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, as another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
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
