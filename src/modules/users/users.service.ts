import type { Actor } from '../../platform/actor.js';
import { recordAudit } from '../../platform/audit/audit.service.js';
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/database.js';
import { AppError, notFound } from '../../platform/errors.js';
import { decodeCursor, toPage, type Page } from '../../platform/http/pagination.js';
import { newId } from '../../platform/ids.js';
import { hashPassword } from '../../platform/passwords.js';
import { auditView, countActiveAdmins, publicUserColumns, findUserByEmail, findUserById, toUser } from './users.repo.js';
import type { CreateUserInput, ListUsersQuery, UpdateUserInput, User } from './users.schema.js';

export interface Ctx {
  db: Db;
  clock: Clock;
}

export async function createUser(ctx: Ctx, actor: Actor, input: CreateUserInput): Promise<User> {
  const passwordHash = await hashPassword(input.password);
  return ctx.db.transaction().execute(async (trx) => {
    if (await findUserByEmail(trx, input.email)) {
      throw new AppError('already_exists', `A user with email ${input.email} already exists`);
    }
    const now = ctx.clock.now();
    const row = await trx
      .insertInto('users')
      .values({
        id: newId(),
        workspace_id: actor.workspaceId,
        email: input.email,
        name: input.name,
        password_hash: passwordHash,
        role: input.role,
        password_changed_at: now,
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, ctx.clock, actor, {
      action: 'user.created',
      entityType: 'user',
      entityId: row.id,
      after: auditView(row),
    });
    return toUser(row);
  });
}

export async function listUsers(ctx: Ctx, workspaceId: string, q: ListUsersQuery): Promise<Page<User>> {
  const after = decodeCursor(q.cursor);
  let query = ctx.db.selectFrom('users').select(publicUserColumns).where('workspace_id', '=', workspaceId);
  if (after) query = query.where('id', '>', after);
  if (q.role) query = query.where('role', '=', q.role);
  if (q.status === 'active') query = query.where('disabled_at', 'is', null);
  if (q.status === 'disabled') query = query.where('disabled_at', 'is not', null);
  if (q.q) {
    // Escape LIKE metacharacters: the search text is matched literally.
    const term = `%${q.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where((eb) => eb.or([eb('email', 'like', term), eb(eb.fn('lower', ['name']), 'like', term)]));
  }
  const rows = await query
    .orderBy('id', 'asc')
    .limit(q.limit + 1)
    .execute();
  return toPage(rows.map(toUser), q.limit);
}

export async function getUser(ctx: Ctx, workspaceId: string, id: string): Promise<User> {
  const row = await findUserById(ctx.db, workspaceId, id);
  if (!row) throw notFound('User');
  return toUser(row);
}

export async function updateUser(ctx: Ctx, actor: Actor, id: string, input: UpdateUserInput): Promise<User> {
  const passwordHash = input.password ? await hashPassword(input.password) : undefined;
  return ctx.db.transaction().execute(async (trx) => {
    const before = await trx
      .selectFrom('users')
      .selectAll()
      .where('workspace_id', '=', actor.workspaceId)
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    if (!before) throw notFound('User');
    const now = ctx.clock.now();
    const losesAdmin =
      before.role === 'admin' &&
      before.disabled_at === null &&
      ((input.role !== undefined && input.role !== 'admin') || input.disabled === true);
    if (losesAdmin && (await countActiveAdmins(trx, actor.workspaceId)) <= 1) {
      throw new AppError('conflict', 'This is the last active admin: make another admin first');
    }
    const after = await trx
      .updateTable('users')
      .set({
        ...(input.name !== undefined && { name: input.name }),
        ...(input.role !== undefined && { role: input.role }),
        ...(input.disabled !== undefined && { disabled_at: input.disabled ? (before.disabled_at ?? now) : null }),
        ...(passwordHash && { password_hash: passwordHash, password_changed_at: now }),
        updated_at: now,
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    // A disabled user, or one whose password an admin reset, is signed out everywhere.
    if (input.disabled === true || passwordHash) {
      await trx.updateTable('sessions').set({ revoked_at: now }).where('user_id', '=', id).where('revoked_at', 'is', null).execute();
    }
    await recordAudit(trx, ctx.clock, actor, {
      action:
        input.disabled === true && !before.disabled_at
          ? 'user.disabled'
          : input.disabled === false && before.disabled_at
            ? 'user.enabled'
            : 'user.updated',
      entityType: 'user',
      entityId: id,
      before: { ...auditView(before), ...(passwordHash && { password: 'old' }) },
      after: { ...auditView(after), ...(passwordHash && { password: 'new' }) },
    });
    return toUser(after);
  });
}
