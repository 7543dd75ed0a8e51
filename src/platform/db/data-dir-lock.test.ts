import { spawn } from 'node:child_process';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockDataDir } from './data-dir-lock.js';

// The data folder lock: a holder that is alive keeps it however late its refresh (a busy server),
// a holder that is gone loses it once the lock is stale.
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'keel-lock-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

const age = async (p: string, seconds: number) => {
  const t = new Date(Date.now() - seconds * 1000);
  await utimes(p, t, t);
};

describe('lockDataDir', () => {
  it('is not taken from a live holder whose refresh is late, and is taken from a dead one', async () => {
    const folder = path.join(dir, 'a');
    const release = await lockDataDir(folder);
    // As if this process's event loop had been blocked for a minute: the lock looks stale.
    await age(path.join(folder, 'keel.lock'), 60);
    await expect(lockDataDir(folder)).rejects.toMatchObject({ code: 'data_dir_locked' });
    await release();

    // A holder that is gone (a finished child's pid) and a stale lock: taken over.
    const child = spawn(process.execPath, ['-e', '0']);
    const pid = child.pid ?? 0;
    await new Promise((r) => child.on('exit', r));
    const other = path.join(dir, 'b');
    const first = await lockDataDir(other);
    await writeFile(path.join(other, 'keel.lock.pid'), String(pid));
    await age(path.join(other, 'keel.lock'), 60);
    const second = await lockDataDir(other);
    await second();
    await first();
  });
});
