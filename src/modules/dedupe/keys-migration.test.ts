import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate, migrationsDir } from '../../platform/db/migrate.js';
import { newId } from '../../platform/ids.js';
import { createTestDatabase } from '../../test/db.js';

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

/** A new database migrated up to (not including) migration `number`, and a workspace in it. */
async function migratedBefore(number: number) {
  const db = await createTestDatabase({ migrate: false });
  cleanups.push(db.drop);
  const before = await mkdtemp(path.join(os.tmpdir(), 'keel-mig-'));
  cleanups.push(() => rm(before, { recursive: true, force: true }));
  await cp(migrationsDir, before, {
    recursive: true,
    filter: (f) => !/^\d{4}_/.test(path.basename(f)) || Number(path.basename(f).slice(0, 4)) < number,
  });
  await migrate(db.handle.db, before);
  const h = db.handle.db;
  const ws = newId();
  await sql`insert into workspaces (id, slug, name) values (${ws}, 'w', 'W')`.execute(h);
  return { h, ws };
}

describe('migration 0031: blocking keys in the application hash', () => {
  it('queues every record that had keys in the old hash and drops those keys', async () => {
    const { h, ws } = await migratedBefore(31);
    const [a, b, c] = [newId(), newId(), newId()];
    for (const id of [a, b, c])
      await sql`insert into contacts (id, workspace_id, email, created_at, updated_at) values (${id}, ${ws}, ${`${id}@example.com`}, now(), now())`.execute(
        h,
      );
    await sql`delete from dedupe_queue`.execute(h);
    // a and b were keyed (old hashtextextended values), c never was.
    await sql`insert into dedupe_keys (workspace_id, object, key, record_id) values
      (${ws}, 'contact', hashtextextended('e:x', 0), ${a}), (${ws}, 'contact', hashtextextended('p:1', 0), ${a}),
      (${ws}, 'contact', hashtextextended('e:y', 0), ${b})`.execute(h);
    const applied = await migrate(h);
    expect(applied.applied[0]).toBe('0031_dedupe_keys_js_hash.sql');
    expect((await sql<{ n: string }>`select count(*) as n from dedupe_keys`.execute(h)).rows[0]?.n).toBe('0');
    const queued = await sql<{ record_id: string; object: string }>`select record_id, object from dedupe_queue order by record_id`.execute(
      h,
    );
    expect(queued.rows).toEqual([a, b].sort().map((id) => ({ record_id: id, object: 'contact' })));
  });

  it("0032 queues every keyed contact again (its keys changed), and leaves accounts' keys and queue alone", async () => {
    const { h, ws } = await migratedBefore(32);
    const [a, b, c] = [newId(), newId(), newId()];
    for (const id of [a, b])
      await sql`insert into contacts (id, workspace_id, email, created_at, updated_at) values (${id}, ${ws}, ${`${id}@example.com`}, now(), now())`.execute(
        h,
      );
    await sql`insert into accounts (id, workspace_id, name, created_at, updated_at) values (${c}, ${ws}, 'Acme', now(), now())`.execute(h);
    await sql`delete from dedupe_queue`.execute(h);
    await sql`insert into dedupe_keys (workspace_id, object, key, record_id) values
      (${ws}, 'contact', 1, ${a}), (${ws}, 'contact', 2, ${a}), (${ws}, 'account', 3, ${c})`.execute(h);
    const applied = await migrate(h);
    expect(applied.applied[0]).toBe('0032_dedupe_contact_keys_again.sql');
    // Keys stay (still valid) until the matcher rewrites them.
    expect((await sql<{ n: string }>`select count(*) as n from dedupe_keys`.execute(h)).rows[0]?.n).toBe('3');
    const queued = await sql<{ record_id: string; object: string }>`select record_id, object from dedupe_queue order by record_id`.execute(
      h,
    );
    expect(queued.rows).toEqual([{ record_id: a, object: 'contact' }]);
  });
});
