import type { Logger } from './logger.js';
import { randomToken } from './ids.js';
import { systemActor } from './actor.js';
import { createUser, type Ctx } from '../modules/users/users.service.js';
import { countUsers } from '../modules/users/users.repo.js';
import { createWorkspace } from '../modules/workspaces/workspaces.service.js';
import type { Role } from './permissions.js';
import { seedCrmDemo } from '../modules/crm/crm-demo.js';
import { seedSegmentsDemo } from '../modules/segments/segments-demo.js';
import { seedDedupeDemo } from '../modules/dedupe/dedupe-demo.js';
import { seedScoringDemo, seedScoringHistoryDemo } from '../modules/scoring/scoring-demo.js';
import { seedTrackingDemo } from '../modules/tracking/tracking-demo.js';
import { seedRoutingDemo } from '../modules/routing/routing-demo.js';

export const DEMO_ADMIN_EMAIL = 'admin@keel.local';

const demoTeam: Array<{ email: string; name: string; role: Role }> = [
  { email: 'maya.ops@keel.local', name: 'Maya Okafor', role: 'mops_manager' },
  { email: 'theo.auto@keel.local', name: 'Theo Lindqvist', role: 'automation_specialist' },
  { email: 'priya.data@keel.local', name: 'Priya Raman', role: 'data_analyst' },
  { email: 'sam.sales@keel.local', name: 'Sam Alvarez', role: 'sales' },
  { email: 'vic.viewer@keel.local', name: 'Vic Moreau', role: 'viewer' },
];

/**
 * A living workspace for a newcomer: on first start of an empty embedded database (unless
 * KEEL_DEMO=0). The admin's password is printed once in the log and stored only as a hash.
 * Later modules add their demo records here.
 */
export async function seedDemo(ctx: Ctx, logger: Logger, password?: string): Promise<boolean> {
  if ((await countUsers(ctx.db)) > 0) return false;
  const pw = password ?? randomToken(12);
  const workspace = await ctx.db
    .transaction()
    .execute((trx) => createWorkspace(trx, ctx.clock, { name: 'Acme Marketing (demo)', slug: 'demo' }));
  const actor = systemActor(workspace.id, 'demo-seed');
  await createUser(ctx, actor, { email: DEMO_ADMIN_EMAIL, name: 'Demo Admin', password: pw, role: 'admin' });
  const team = [];
  for (const m of demoTeam) team.push(await createUser(ctx, actor, { ...m, password: randomToken(18) }));
  const emails = await seedCrmDemo(
    ctx,
    actor,
    team.filter((u) => u.role === 'sales' || u.role === 'mops_manager').map((u) => u.id),
  );
  const sourceId = await seedTrackingDemo(ctx, actor, emails.slice(0, 40));
  await seedSegmentsDemo(ctx, actor, emails, sourceId);
  await seedScoringDemo(ctx, actor);
  await seedDedupeDemo(ctx, actor);
  await seedRoutingDemo(
    ctx,
    actor,
    team.filter((u) => u.role === 'sales' || u.role === 'mops_manager').map((u) => u.id),
  );
  await seedScoringHistoryDemo(ctx, actor);
  logger.info(
    { email: DEMO_ADMIN_EMAIL },
    `Demo workspace created. Sign in as ${DEMO_ADMIN_EMAIL} with password: ${pw}  (shown once; change it under Account)`,
  );
  return true;
}
