import type { Actor } from '../../platform/actor.js';
import { recordAudit } from '../../platform/audit/audit.service.js';
import type { DbOrTx } from '../../platform/db/database.js';
import { AppError } from '../../platform/errors.js';
import { newId, randomToken } from '../../platform/ids.js';
import { dummyHash, hashPassword, verifyPassword } from '../../platform/passwords.js';
import type { Role } from '../../platform/permissions.js';
import { sha256 } from '../../platform/tokens.js';
import { findUserByEmail, toUser, type UserRow } from '../users/users.repo.js';
import type { User } from '../users/users.schema.js';
import type { Ctx } from '../users/users.service.js';
import type { LoginInput } from './auth.schema.js';

export interface SessionOptions {
  ttlHours: number;
  ip?: string | null;
  userAgent?: string | null;
}

export interface NewSession {
  token: string;
  csrfToken: string;
  expiresAt: Date;
  user: User;
  workspaceId: string;
}

/** Creates a server-side session row; only the token's hash is stored. */
export async function startSession(ctx: { db: DbOrTx; clock: Ctx['clock'] }, user: UserRow, opts: SessionOptions): Promise<NewSession> {
  const token = randomToken(32);
  const csrfToken = randomToken(24);
  const now = ctx.clock.now();
  const expiresAt = new Date(now.getTime() + opts.ttlHours * 3_600_000);
  await ctx.db
    .insertInto('sessions')
    .values({
      id: newId(),
      token_hash: sha256(token),
      user_id: user.id,
      workspace_id: user.workspace_id,
      csrf_token: csrfToken,
      ip: opts.ip ?? null,
      user_agent: opts.userAgent?.slice(0, 500) ?? null,
      created_at: now,
      last_seen_at: now,
      expires_at: expiresAt,
    })
    .execute();
  return { token, csrfToken, expiresAt, user: toUser(user), workspaceId: user.workspace_id };
}

export async function login(ctx: Ctx, input: LoginInput, opts: SessionOptions): Promise<NewSession> {
  const user = await findUserByEmail(ctx.db, input.email);
  const ok = await verifyPassword(user?.password_hash ?? (await dummyHash()), input.password);
  if (!user || !ok) throw new AppError('invalid_credentials');
  if (user.disabled_at) throw new AppError('account_disabled');
  return ctx.db.transaction().execute(async (trx) => {
    const now = ctx.clock.now();
    await trx.updateTable('users').set({ last_login_at: now }).where('id', '=', user.id).execute();
    const session = await startSession({ db: trx, clock: ctx.clock }, user, opts);
    await recordAudit(trx, ctx.clock, userActor(user, opts.ip ?? null, null), {
      action: 'auth.login',
      entityType: 'user',
      entityId: user.id,
    });
    return session;
  });
}

export function userActor(
  user: Pick<UserRow, 'id' | 'email' | 'workspace_id' | 'role'>,
  ip: string | null,
  requestId: string | null,
): Actor {
  return { workspaceId: user.workspace_id, type: 'user', id: user.id, label: user.email, role: user.role as Role, ip, requestId };
}

export interface ResolvedSession {
  sessionId: string;
  csrfToken: string;
  expiresAt: Date;
  user: UserRow;
}

/** Looks up a session by its cookie token; throws session_expired when gone, revoked or stale. */
export async function resolveSession(ctx: Ctx, token: string): Promise<ResolvedSession> {
  const row = await ctx.db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .selectAll('users')
    .select(['sessions.id as session_id', 'sessions.csrf_token', 'sessions.expires_at', 'sessions.revoked_at', 'sessions.last_seen_at'])
    .where('sessions.token_hash', '=', sha256(token))
    .executeTakeFirst();
  const now = ctx.clock.now();
  if (!row || row.revoked_at || row.expires_at <= now) throw new AppError('session_expired');
  if (row.disabled_at) throw new AppError('account_disabled');
  // Touch at most once a minute: a read should not cost a write on every request.
  if (now.getTime() - row.last_seen_at.getTime() > 60_000) {
    await ctx.db.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', row.session_id).execute();
  }
  const { session_id, csrf_token, expires_at, ...user } = row;
  return { sessionId: session_id, csrfToken: csrf_token, expiresAt: expires_at, user: user as UserRow };
}

export async function logout(ctx: Ctx, actor: Actor, sessionId: string): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    await trx
      .updateTable('sessions')
      .set({ revoked_at: ctx.clock.now() })
      .where('id', '=', sessionId)
      .where('revoked_at', 'is', null)
      .execute();
    await recordAudit(trx, ctx.clock, actor, { action: 'auth.logout', entityType: 'user', entityId: actor.id });
  });
}

export async function changePassword(
  ctx: Ctx,
  actor: Actor,
  input: { currentPassword: string; newPassword: string },
  keepSessionId: string | null,
): Promise<void> {
  if (actor.type !== 'user' || !actor.id) throw new AppError('forbidden', 'Only a signed-in user can change their password');
  const userId = actor.id;
  const user = await ctx.db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst();
  if (!user || !(await verifyPassword(user.password_hash, input.currentPassword))) {
    throw new AppError('validation_failed', 'The current password is wrong', [{ path: 'currentPassword', message: 'Wrong password' }]);
  }
  const hashed = await hashPassword(input.newPassword);
  await ctx.db.transaction().execute(async (trx) => {
    const now = ctx.clock.now();
    await trx
      .updateTable('users')
      .set({ password_hash: hashed, password_changed_at: now, updated_at: now })
      .where('id', '=', userId)
      .execute();
    // Every other session of this user ends: a changed password must lock out whoever had the old one.
    let revoke = trx.updateTable('sessions').set({ revoked_at: now }).where('user_id', '=', userId).where('revoked_at', 'is', null);
    if (keepSessionId) revoke = revoke.where('id', '!=', keepSessionId);
    await revoke.execute();
    await recordAudit(trx, ctx.clock, actor, {
      action: 'user.password_changed',
      entityType: 'user',
      entityId: userId,
      before: { password: 'old' },
      after: { password: 'new' },
    });
  });
}

export async function updateProfile(ctx: Ctx, actor: Actor, name: string): Promise<User> {
  if (actor.type !== 'user' || !actor.id) throw new AppError('forbidden', 'Only a signed-in user has a profile');
  const userId = actor.id;
  return ctx.db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('users').selectAll().where('id', '=', userId).forUpdate().executeTakeFirstOrThrow();
    const after = await trx
      .updateTable('users')
      .set({ name, updated_at: ctx.clock.now() })
      .where('id', '=', userId)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, ctx.clock, actor, {
      action: 'user.updated',
      entityType: 'user',
      entityId: userId,
      before: { name: before.name },
      after: { name: after.name },
    });
    return toUser(after);
  });
}

export async function listSessions(ctx: Ctx, userId: string, currentId: string | null) {
  const rows = await ctx.db
    .selectFrom('sessions')
    .selectAll()
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', ctx.clock.now())
    .orderBy('id', 'desc')
    .limit(100)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    current: r.id === currentId,
    ip: r.ip,
    userAgent: r.user_agent,
    createdAt: r.created_at.toISOString(),
    lastSeenAt: r.last_seen_at.toISOString(),
    expiresAt: r.expires_at.toISOString(),
  }));
}

export async function revokeOwnSession(ctx: Ctx, actor: Actor, sessionId: string): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    const res = await trx
      .updateTable('sessions')
      .set({ revoked_at: ctx.clock.now() })
      .where('id', '=', sessionId)
      .where('user_id', '=', actor.id ?? '')
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) throw new AppError('not_found', 'Session not found');
    await recordAudit(trx, ctx.clock, actor, { action: 'auth.session_revoked', entityType: 'session', entityId: sessionId });
  });
}

export async function deleteExpiredSessions(ctx: Ctx): Promise<number> {
  const cutoff = new Date(ctx.clock.now().getTime() - 7 * 86_400_000);
  const res = await ctx.db
    .deleteFrom('sessions')
    .where((eb) => eb.or([eb('expires_at', '<', cutoff), eb('revoked_at', '<', cutoff)]))
    .executeTakeFirst();
  return Number(res.numDeletedRows);
}
