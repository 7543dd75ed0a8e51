import type { Selectable } from 'kysely';
import type { DbOrTx } from '../../platform/db/database.js';
import type { UsersTable } from '../../platform/db/schema.js';
import type { User } from './users.schema.js';
import type { Role } from '../../platform/permissions.js';

export type UserRow = Selectable<UsersTable>;

/** The columns a user's public shape needs: lists never read the password hash. */
export const publicUserColumns = ['id', 'email', 'name', 'role', 'disabled_at', 'last_login_at', 'created_at', 'updated_at'] as const;
export type PublicUserRow = Pick<UserRow, (typeof publicUserColumns)[number]>;

export function toUser(r: PublicUserRow): User {
  return {
    id: r.id,
    email: r.email,
    name: r.name,
    role: r.role as Role,
    disabled: r.disabled_at !== null,
    lastLoginAt: r.last_login_at?.toISOString() ?? null,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

/** The audit view of a user row: no hash, just the facts a reviewer wants to see change. */
export function auditView(r: UserRow): Record<string, unknown> {
  return {
    email: r.email,
    name: r.name,
    role: r.role,
    disabled: r.disabled_at !== null,
  };
}

export function findUserById(db: DbOrTx, workspaceId: string, id: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
}

/** Login looks a user up across workspaces: emails are unique install-wide. */
export function findUserByEmail(db: DbOrTx, email: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
}

export async function countActiveAdmins(db: DbOrTx, workspaceId: string): Promise<number> {
  const r = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('workspace_id', '=', workspaceId)
    .where('role', '=', 'admin')
    .where('disabled_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function countUsers(db: DbOrTx): Promise<number> {
  const r = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
