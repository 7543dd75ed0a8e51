import { mkdtemp, writeFile, cp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createPgDatabase, createTestDatabase, onPostgres } from '../../test/db.js';
import { openDatabase } from './database.js';
import { migrate, migrationsDir, pendingMigrations } from './migrate.js';

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

describe('migrations', () => {
  it('apply once, report nothing pending, and refuse an edited file', async () => {
    const db = await createTestDatabase({ migrate: false });
    cleanups.push(db.drop);
    expect((await pendingMigrations(db.handle.db)).length).toBeGreaterThan(0);
    const first = await migrate(db.handle.db);
    expect(first.applied[0]).toBe('0001_platform.sql');
    expect((await migrate(db.handle.db)).applied).toEqual([]);
    expect(await pendingMigrations(db.handle.db)).toEqual([]);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'keel-mig-'));
    await cp(migrationsDir, dir, { recursive: true });
    await writeFile(path.join(dir, '0001_platform.sql'), '-- edited\n', { flag: 'a' });
    await expect(migrate(db.handle.db, dir)).rejects.toThrow(/changed after it was applied/);
  });

  it('a failing migration leaves nothing half-applied', async () => {
    const db = await createTestDatabase();
    cleanups.push(db.drop);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'keel-mig-'));
    await cp(migrationsDir, dir, { recursive: true });
    await writeFile(path.join(dir, '9999_broken.sql'), 'create table half_done (id int);\nselect no_such_function();\n');
    await expect(migrate(db.handle.db, dir)).rejects.toThrow();
    const { rows } = await db.handle.executeSql("select to_regclass('half_done')::text as t");
    expect(rows[0]?.t).toBeNull();
    expect(await pendingMigrations(db.handle.db, dir)).toEqual(['9999_broken.sql']);
  });

  it.runIf(onPostgres)('two processes migrating at once apply each file once (advisory lock)', async () => {
    const pg = await createPgDatabase();
    const handles = await Promise.all([0, 1, 2].map(() => openDatabase({ databaseUrl: pg.url, poolMax: 2 })));
    cleanups.push(async () => {
      for (const h of handles) await h.close();
      await pg.drop();
    });
    const results = await Promise.all(handles.map((h) => migrate(h.db)));
    const applied = results.flatMap((r) => r.applied);
    expect(applied.filter((f) => f === '0001_platform.sql')).toHaveLength(1);
  });
});
