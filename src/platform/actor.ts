import type { Role } from './permissions.js';

/** Who is acting: carried from the edge (HTTP, CLI, job) into services and the audit log. */
export interface Actor {
  workspaceId: string;
  type: 'user' | 'api_key' | 'system' | 'cli';
  id: string | null;
  label: string;
  role: Role;
  ip?: string | null;
  requestId?: string | null;
}

export function systemActor(workspaceId: string, label = 'system'): Actor {
  return { workspaceId, type: 'system', id: null, label, role: 'admin' };
}

export function cliActor(workspaceId: string): Actor {
  const user = process.env.USER ?? 'unknown';
  return { workspaceId, type: 'cli', id: null, label: `cli:${user}`, role: 'admin' };
}
