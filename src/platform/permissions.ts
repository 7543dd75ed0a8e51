import { z } from 'zod';

export const roles = ['admin', 'mops_manager', 'automation_specialist', 'data_analyst', 'sales', 'viewer'] as const;
export const roleSchema = z.enum(roles);
export type Role = z.infer<typeof roleSchema>;

export const roleLabels: Record<Role, string> = {
  admin: 'Admin',
  mops_manager: 'Marketing-ops manager',
  automation_specialist: 'Automation specialist',
  data_analyst: 'Data analyst',
  sales: 'Sales',
  viewer: 'Viewer',
};

export interface PermissionRule {
  roles: readonly Role[];
  description: string;
}

/** A module's policy: permission name -> which roles hold it. Declared as data, never inlined. */
export type Policy = Record<string, PermissionRule>;

const registry = new Map<string, PermissionRule & { module: string }>();

export function definePolicy<P extends Policy>(module: string, policy: P): P {
  for (const [name, rule] of Object.entries(policy)) {
    if (!name.startsWith(`${module}.`)) throw new Error(`Permission ${name} must start with "${module}."`);
    registry.set(name, { ...rule, module });
  }
  return policy;
}

/**
 * Route-level access: a permission name; `public` (no credentials); `authenticated` (any valid
 * credentials); or `session` (a signed-in browser session: one's own account, not API keys).
 */
export type RouteAccess = string;

export function isKnownPermission(p: string): boolean {
  return p === 'public' || p === 'authenticated' || p === 'session' || registry.has(p);
}

export function can(role: Role, permission: RouteAccess): boolean {
  if (permission === 'public' || permission === 'authenticated' || permission === 'session') return true;
  const rule = registry.get(permission);
  return rule ? rule.roles.includes(role) : false;
}

export function allPermissions(): Array<{ name: string; module: string; description: string; roles: readonly Role[] }> {
  return [...registry.entries()]
    .map(([name, r]) => ({ name, module: r.module, description: r.description, roles: r.roles }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Roles with every write permission in the platform: admins and marketing-ops managers. */
export const managers: readonly Role[] = ['admin', 'mops_manager'];
export const everyone: readonly Role[] = roles;
