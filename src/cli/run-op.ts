import { systemClock } from '../platform/clock.js';
import type { Config } from '../platform/config.js';
import { socketPath } from '../platform/db/data-dir-lock.js';
import { AppError } from '../platform/errors.js';
import { callLocalSocket } from '../platform/local-socket.js';
import { openRuntime } from '../platform/runtime.js';
import { runOperation, type OpContext } from './operations.js';

/**
 * Runs an operation against the configured database: directly on PostgreSQL; on the embedded
 * folder directly when this process can lock it, otherwise through the running server's socket.
 */
export async function runOp(
  config: Config,
  op: string,
  args: unknown,
  extra: Pick<OpContext, 'progress' | 'stdout'> = {},
): Promise<unknown> {
  if (!config.DATABASE_URL) {
    const viaServer = await callLocalSocket(socketPath(config.dataDir), op, args, extra.progress);
    if (viaServer.answered) return viaServer.result;
  }
  let rt;
  try {
    rt = await openRuntime(config, { waitForStaleMs: 20_000 });
  } catch (err) {
    // The server may have started between our two looks: ask it once more.
    if (err instanceof AppError && err.code === 'data_dir_locked') {
      const again = await callLocalSocket(socketPath(config.dataDir), op, args, extra.progress);
      if (again.answered) return again.result;
    }
    throw err;
  }
  try {
    return await runOperation({ handle: rt.handle, clock: systemClock, filesDir: config.filesDir, ...extra }, op, args);
  } finally {
    await rt.handle.close();
    await rt.release();
  }
}
