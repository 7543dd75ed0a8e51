import { queryOptions, useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { z } from 'zod';
import { customFieldSchema } from '../../../../src/modules/crm/custom-fields.schema.js';
import { bulkOperationSchema, recordPageSchema, timelineEntrySchema } from '../../../../src/modules/crm/records.schema.js';
import type { SavedView } from '../../../../src/modules/crm/saved-views.js';
import { usersPageSchema, type User } from '../../../../src/modules/users/users.schema.js';
import { api } from '../../lib/api.js';
import { useCan } from '../../lib/session.js';
import { buildCatalog, type FieldCatalog } from './fields.js';
import { accountKind, type RecordKind } from './record-kinds.js';

const customFieldsSchema = z.object({ data: z.array(customFieldSchema) });

export const customFieldsQuery = (object: RecordKind['object']) =>
  queryOptions({
    // Under 'custom-fields', so the settings screens' invalidations reach these lists too.
    queryKey: ['custom-fields', 'records', object],
    queryFn: async () => (await api.get('/custom-fields', customFieldsSchema, { object })).data,
    staleTime: 60_000,
  });

/** Core, custom and system fields of an object; custom ones arrive with the definitions. */
export function useFieldCatalog(kind: RecordKind): { catalog: FieldCatalog; isPending: boolean; error: unknown } {
  const can = useCan();
  const q = useQuery({ ...customFieldsQuery(kind.object), enabled: can('custom_fields.read') });
  const catalog = useMemo(() => buildCatalog(kind, q.data ?? []), [kind, q.data]);
  return { catalog, isPending: q.isPending && q.fetchStatus !== 'idle', error: q.error };
}

export const recordQuery = (kind: RecordKind, id: string) =>
  queryOptions({
    queryKey: [kind.plural, 'record', id],
    queryFn: () => api.get(`/${kind.plural}/${id}`, kind.schema),
  });

export const recordsPage = (kind: RecordKind) => recordPageSchema(kind.schema);
export const timelinePageSchema = recordPageSchema(timelineEntrySchema);
export { bulkOperationSchema };

const usersQuery = queryOptions({
  queryKey: ['users', 'picker'],
  queryFn: async () => (await api.get('/users', usersPageSchema, { limit: 200 })).data,
  staleTime: 60_000,
});

/** The workspace's users, for owner pickers and for naming owners and actors. */
export function useUsers(): { users: User[]; byId: Map<string, User>; byEmail: Map<string, User> } {
  const can = useCan();
  const { data } = useQuery({ ...usersQuery, enabled: can('users.read') });
  return useMemo(() => {
    const users = data ?? [];
    return { users, byId: new Map(users.map((u) => [u.id, u])), byEmail: new Map(users.map((u) => [u.email, u])) };
  }, [data]);
}

export function userLabel(u: Pick<User, 'name' | 'email'>): string {
  return u.name || u.email;
}

/** An account's name by id (cached per account; many rows share a few accounts). */
export function useAccountName(id: string | null | undefined): string | null {
  const { data } = useQuery({ ...recordQuery(accountKind, id ?? ''), enabled: Boolean(id), staleTime: 60_000 });
  return data ? accountKind.displayName(data) : null;
}

// Saved views: the type comes from the API's module; saved-views.ts also holds the service (with
// Node-only imports), so the browser checks only the outline of each view here.
const savedViewsSchema = z.object({
  data: z.array(z.custom<SavedView>((v) => typeof v === 'object' && v !== null && 'id' in v && 'config' in v && 'name' in v)),
});
export const savedViewResponse = z.custom<SavedView>((v) => typeof v === 'object' && v !== null && 'id' in v && 'config' in v);

export const viewsQuery = (object: RecordKind['object']) =>
  queryOptions({
    queryKey: ['views', object],
    queryFn: async () => (await api.get('/views', savedViewsSchema, { object })).data,
    staleTime: 60_000,
  });
