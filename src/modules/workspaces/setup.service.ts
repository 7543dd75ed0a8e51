import { sql } from 'kysely';
import { recordAudit } from '../../platform/audit/audit.service.js';
import { AppError } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import { hashPassword } from '../../platform/passwords.js';
import { startSession, userActor, type NewSession, type SessionOptions } from '../auth/auth.service.js';
import { countUsers, auditView } from '../users/users.repo.js';
import type { Ctx } from '../users/users.service.js';
import type { SetupInput, Workspace } from './workspaces.schema.js';
import { createWorkspace, toWorkspace } from './workspaces.service.js';

export async function isSetupNeeded(ctx: Ctx): Promise<boolean> {
  return (await countUsers(ctx.db)) === 0;
}

// Serialises concurrent set-up attempts: only the first one finds no users.
const SETUP_LOCK = 7_411_020_032;

/** First run: creates the first workspace (or reuses the empty one) and its first admin, signed in. */
export async function runSetup(ctx: Ctx, input: SetupInput, opts: SessionOptions): Promise<{ session: NewSession; workspace: Workspace }> {
  const passwordHash = await hashPassword(input.password);
  return ctx.db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${SETUP_LOCK})`.execute(trx);
    if ((await countUsers(trx)) > 0) throw new AppError('setup_done', 'Set-up is done: sign in instead');
    const existing = await trx.selectFrom('workspaces').selectAll().orderBy('id').limit(1).executeTakeFirst();
    let workspace: Workspace;
    if (existing) {
      const renamed = await trx
        .updateTable('workspaces')
        .set({ name: input.workspaceName })
        .where('id', '=', existing.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      workspace = toWorkspace(renamed);
    } else {
      workspace = await createWorkspace(trx, ctx.clock, { name: input.workspaceName });
    }
    const now = ctx.clock.now();
    const user = await trx
      .insertInto('users')
      .values({
        id: newId(),
        workspace_id: workspace.id,
        email: input.email,
        name: input.name,
        password_hash: passwordHash,
        role: 'admin',
        password_changed_at: now,
        created_at: now,
        updated_at: now,
        last_login_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const actor = userActor(user, opts.ip ?? null, null);
    await recordAudit(trx, ctx.clock, actor, {
      action: 'workspace.setup',
      entityType: 'workspace',
      entityId: workspace.id,
      after: { name: workspace.name },
    });
    await recordAudit(trx, ctx.clock, actor, { action: 'user.created', entityType: 'user', entityId: user.id, after: auditView(user) });
    const session = await startSession({ db: trx, clock: ctx.clock }, user, opts);
    return { session, workspace };
  });
}
