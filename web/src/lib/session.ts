import { queryOptions, useQuery, type QueryClient } from '@tanstack/react-query';
import { z } from 'zod';
import { sessionInfoSchema } from '../../../src/modules/auth/auth.schema.js';
import { setupResultSchema, setupStatusSchema } from '../../../src/modules/workspaces/workspaces.schema.js';
import type { Role } from '../../../src/platform/permissions.js';
import { permissionsMatrixSchema, type PermissionsMatrix } from '../../../src/modules/workspaces/workspaces.schema.js';
import { api, ApiError, setCsrfToken } from './api.js';

export type SessionInfo = z.infer<typeof sessionInfoSchema>;
export type SetupResult = z.infer<typeof setupResultSchema>;

export const setupStatusQuery = queryOptions({
  queryKey: ['setup'],
  queryFn: () => api.get('/setup', setupStatusSchema),
  staleTime: Infinity,
});

/** The signed-in session, or null when signed out (401). Keeps the CSRF token in step. */
export const sessionQuery = queryOptions({
  queryKey: ['session'],
  queryFn: async (): Promise<SessionInfo | null> => {
    try {
      const s = await api.get('/auth/session', sessionInfoSchema);
      setCsrfToken(s.csrfToken);
      return s;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        setCsrfToken(null);
        return null;
      }
      throw err;
    }
  },
  staleTime: Infinity,
  retry: false,
});

const permissionsSchema = permissionsMatrixSchema;
export type { PermissionsMatrix };

export const permissionsQuery = queryOptions({
  queryKey: ['permissions'],
  queryFn: () => api.get('/permissions', permissionsSchema),
  staleTime: Infinity,
});

/** Stores a fresh session (after sign-in or set-up) so the app can render at once. */
export function acceptSession(qc: QueryClient, s: SessionInfo): void {
  setCsrfToken(s.csrfToken);
  qc.setQueryData(sessionQuery.queryKey, s);
  qc.setQueryData(setupStatusQuery.queryKey, { needed: false });
}

export function forgetSession(qc: QueryClient): void {
  setCsrfToken(null);
  qc.removeQueries({ predicate: (q) => q.queryKey[0] !== 'session' && q.queryKey[0] !== 'setup' });
  qc.setQueryData(sessionQuery.queryKey, null);
}

/** The signed-in session; only for screens inside the app frame, which guarantees one. */
let lastSession: SessionInfo | null = null;
export function useSession(): SessionInfo {
  const { data } = useQuery(sessionQuery);
  // While signing out, screens may render once more after the session is gone: keep the last one.
  if (data) lastSession = data;
  const session = data ?? lastSession;
  if (!session) throw new Error('useSession used outside a signed-in screen');
  return session;
}

export type Can = (permission: string) => boolean;

export function makeCan(matrix: PermissionsMatrix | undefined, role: Role): Can {
  const held = new Set(matrix?.permissions.filter((p) => p.roles.includes(role)).map((p) => p.name) ?? []);
  return (permission) => held.has(permission);
}

/** Whether the signed-in user's role holds a permission, from GET /permissions (the policy data). */
export function useCan(): Can {
  const session = useSession();
  const { data } = useQuery(permissionsQuery);
  return makeCan(data, session.user.role);
}
