import { sql } from 'kysely';
import type { Actor } from '../../platform/actor.js';
import { AppError } from '../../platform/errors.js';
import { contactDef } from '../crm/crm-objects.js';
import { createRecord, type Ctx } from '../crm/records.service.js';
import { scanAndMerge } from './dedupe.jobs.js';
import { startScan } from './detect.service.js';

const NICK: Record<string, string> = { Robert: 'Bob', William: 'Bill', Elizabeth: 'Liz', Katherine: 'Kate', Michael: 'Mike', James: 'Jim' };

function typo(s: string, i: number): string {
  if (s.length < 4) return s;
  const at = 1 + (i % (s.length - 2));
  return s.slice(0, at) + (s[at + 1] ?? '') + (s[at] ?? '') + s.slice(at + 2);
}

/**
 * Demo duplicates and bad values, written through the product's own create path (so they are
 * normalised and queued like real writes): second records of existing demo people with a
 * nickname, a typo, another email domain or a differently written phone; a few records with a
 * mistyped email domain, an unreadable phone or no name. Then one full scan fills the review queue.
 */
export async function seedDedupeDemo(ctx: Ctx, actor: Actor): Promise<number> {
  const people = await sql<{
    email: string;
    first_name: string;
    last_name: string;
    company: string | null;
    phone: string | null;
    country: string | null;
    city: string | null;
  }>`
    select email, first_name, last_name, company, phone, country, city from contacts
    where workspace_id = ${actor.workspaceId} and deleted_at is null and first_name is not null order by email limit 24`.execute(ctx.db);
  let made = 0;
  const add = async (input: Record<string, unknown>) => {
    try {
      await createRecord(ctx, actor, contactDef, { source: 'demo: second system', ...input });
      made++;
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
    }
  };
  for (const [i, p] of people.rows.entries()) {
    const [local, domain] = p.email.split('@') as [string, string];
    const base = { lastName: p.last_name, company: p.company, country: p.country, city: p.city };
    switch (i % 4) {
      case 0: // nickname, same mailbox at a free-mail domain, phone written locally
        await add({
          ...base,
          email: `${local}@gmail.com`,
          firstName: NICK[p.first_name] ?? p.first_name,
          phone: p.phone?.replace(/^\+1 /, '') ?? null,
        });
        break;
      case 1: // a typo in the last name, another address at the same company
        await add({
          ...base,
          email: `${local.slice(0, 1)}.${local.split('.')[1] ?? local}@${domain}`,
          firstName: p.first_name,
          lastName: typo(p.last_name, i),
        });
        break;
      case 2: // first and last swapped, domain mistyped
        await add({ ...base, email: `${local}@${domain.replace(/^(\w)(\w)/, '$2$1')}`, firstName: p.last_name, lastName: p.first_name });
        break;
      default: // only the phone and the name in common
        await add({ email: `${local.replace('.', '_')}@outlook.com`, firstName: p.first_name, lastName: p.last_name, phone: p.phone });
    }
  }
  for (const bad of [
    { email: 'jordan.miles@gmial.com', firstName: 'Jordan', lastName: 'Miles', phone: 'call after 5pm' },
    { email: 'pat.kline@yaho.com', firstName: 'Pat', lastName: 'Kline', country: 'Narnia' },
    { email: 'unknown.visitor@mailinator.com' },
    { email: 'sales-lead@hotmial.com', company: 'Unknown' },
  ])
    await add(bad);
  const scan = await startScan(ctx, actor, 'contact');
  await scanAndMerge(ctx, actor.workspaceId, scan.id);
  return made;
}
