import { useMutation, useQueryClient } from '@tanstack/react-query';
import { getRouteApi } from '@tanstack/react-router';
import { useEffect, useState } from 'react';
import { userSchema, usersPageSchema, type User } from '../../../../src/modules/users/users.schema.js';
import { api } from '../../lib/api.js';
import { formatDateTime, formatRelative } from '../../lib/format.js';
import { roleLabel, roleLabels, roles } from '../../lib/roles.js';
import { useCan, useSession } from '../../lib/session.js';
import { useCursorList } from '../../lib/use-cursor-list.js';
import { useDebounced } from '../../lib/use-debounced.js';
import { Badge } from '../../ui/Badge.js';
import { Button } from '../../ui/Button.js';
import { ConfirmDialog } from '../../ui/ConfirmDialog.js';
import { EmptyState, ErrorState } from '../../ui/EmptyState.js';
import { Icon } from '../../ui/Icon.js';
import { PageHeader } from '../../ui/PageHeader.js';
import { LoadMore } from '../../ui/LoadMore.js';
import { SkeletonRows } from '../../ui/Spinner.js';
import { useToast } from '../../ui/Toast.js';
import { ChangeRoleDialog } from './ChangeRoleDialog.js';
import { CreateUserDialog } from './CreateUserDialog.js';
import { UsersTabs } from './UsersTabs.js';

const route = getRouteApi('/_app/users');
const PAGE_SIZE = 25;

type Pending = { kind: 'role'; user: User } | { kind: 'toggle'; user: User } | { kind: 'create' } | null;

export function UsersPage() {
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const can = useCan();
  const { user: me } = useSession();
  const [pending, setPending] = useState<Pending>(null);
  const [text, setText] = useState(search.q ?? '');
  const q = useDebounced(text.trim(), 250);

  useEffect(() => {
    if ((search.q ?? '') !== q) void navigate({ search: (s) => ({ ...s, q: q || undefined }), replace: true });
  }, [q, search.q, navigate]);

  const filters = { q: search.q, role: search.role, status: search.status };
  const list = useCursorList(['users', filters], (cursor) => api.get('/users', usersPageSchema, { ...filters, limit: PAGE_SIZE, cursor }));
  const filtered = Boolean(filters.q || filters.role || filters.status);
  const canCreate = can('users.create');
  const canUpdate = can('users.update');
  const cols = canUpdate ? 5 : 4;

  const clearFilters = () => {
    setText('');
    void navigate({ search: {}, replace: true });
  };

  return (
    <div className="page">
      <PageHeader
        title="Users & roles"
        description="Who can sign in to this workspace, and what their role lets them do."
        actions={
          canCreate && (
            <Button variant="primary" icon="plus" onClick={() => setPending({ kind: 'create' })}>
              New user
            </Button>
          )
        }
      />
      <UsersTabs />

      <div className="toolbar" role="search">
        <div className="search-input">
          <Icon name="search" size={16} />
          <label className="sr-only" htmlFor="users-q">
            Search users
          </label>
          <input
            id="users-q"
            className="input"
            type="search"
            placeholder="Search name or email"
            value={text}
            onChange={(e) => setText(e.target.value)}
          />
        </div>
        <div className="toolbar-filter">
          <label className="sr-only" htmlFor="users-role">
            Role
          </label>
          <select
            id="users-role"
            className="input select"
            value={search.role ?? ''}
            onChange={(e) => void navigate({ search: (s) => ({ ...s, role: roles.find((r) => r === e.target.value) }), replace: true })}
          >
            <option value="">All roles</option>
            {roles.map((r) => (
              <option key={r} value={r}>
                {roleLabels[r]}
              </option>
            ))}
          </select>
        </div>
        <div className="toolbar-filter">
          <label className="sr-only" htmlFor="users-status">
            Status
          </label>
          <select
            id="users-status"
            className="input select"
            value={search.status ?? ''}
            onChange={(e) => {
              const v = e.target.value;
              void navigate({ search: (s) => ({ ...s, status: v === 'active' || v === 'disabled' ? v : undefined }), replace: true });
            }}
          >
            <option value="">Any status</option>
            <option value="active">Active</option>
            <option value="disabled">Disabled</option>
          </select>
        </div>
        {filtered && (
          <Button variant="ghost" size="sm" onClick={clearFilters}>
            Clear filters
          </Button>
        )}
      </div>

      {list.isError ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : !list.isPending && list.items.length === 0 ? (
        filtered ? (
          <EmptyState icon="search" title="No users match these filters" action={<Button onClick={clearFilters}>Clear filters</Button>}>
            Try another name, or widen the role and status filters.
          </EmptyState>
        ) : (
          <EmptyState icon="users" title="No users yet">
            Users you add appear here.
          </EmptyState>
        )
      ) : (
        <div className="card table-card">
          <div className="table-scroll">
            <table className="table" aria-label="Users" aria-busy={list.isPending || undefined}>
              <thead>
                <tr>
                  <th scope="col">User</th>
                  <th scope="col" className="hide-sm">
                    Role
                  </th>
                  <th scope="col">Status</th>
                  <th scope="col" className="hide-sm">
                    Last sign-in
                  </th>
                  {canUpdate && (
                    <th scope="col" className="col-actions">
                      <span className="sr-only">Actions</span>
                    </th>
                  )}
                </tr>
              </thead>
              <tbody>
                {list.isPending ? (
                  <SkeletonRows cols={cols} />
                ) : (
                  list.items.map((u) => (
                    <tr key={u.id} data-user-email={u.email}>
                      <td>
                        <div className="cell-primary">
                          {u.name || <span className="muted">No name</span>}
                          {u.id === me.id && <Badge tone="accent">You</Badge>}
                        </div>
                        <div className="cell-secondary">{u.email}</div>
                        <div className="cell-secondary show-sm">{roleLabel(u.role)}</div>
                      </td>
                      <td className="hide-sm">{roleLabel(u.role)}</td>
                      <td>
                        {u.disabled ? (
                          <Badge tone="danger" dot>
                            Disabled
                          </Badge>
                        ) : (
                          <Badge tone="success" dot>
                            Active
                          </Badge>
                        )}
                      </td>
                      <td className="nowrap hide-sm" title={u.lastLoginAt ? formatDateTime(u.lastLoginAt) : undefined}>
                        {formatRelative(u.lastLoginAt)}
                      </td>
                      {canUpdate && (
                        <td className="col-actions">
                          <div className="row-actions">
                            <Button
                              size="sm"
                              variant="ghost"
                              onClick={() => setPending({ kind: 'role', user: u })}
                              aria-label={`Change role for ${u.email}`}
                            >
                              Change role
                            </Button>
                            {u.id !== me.id && (
                              <Button
                                size="sm"
                                variant={u.disabled ? 'ghost' : 'danger-ghost'}
                                onClick={() => setPending({ kind: 'toggle', user: u })}
                                aria-label={`${u.disabled ? 'Enable' : 'Disable'} ${u.email}`}
                              >
                                {u.disabled ? 'Enable' : 'Disable'}
                              </Button>
                            )}
                          </div>
                        </td>
                      )}
                    </tr>
                  ))
                )}
              </tbody>
            </table>
          </div>
          <LoadMore count={list.items.length} noun="user" hasMore={list.hasMore} loading={list.isLoadingMore} onLoadMore={list.loadMore} />
        </div>
      )}

      {pending?.kind === 'create' && <CreateUserDialog onClose={() => setPending(null)} />}
      {pending?.kind === 'role' && <ChangeRoleDialog user={pending.user} onClose={() => setPending(null)} />}
      {pending?.kind === 'toggle' && <ToggleUserDialog user={pending.user} onClose={() => setPending(null)} />}
    </div>
  );
}

function ToggleUserDialog({ user, onClose }: { user: User; onClose: () => void }) {
  const qc = useQueryClient();
  const toast = useToast();
  const disable = !user.disabled;
  const who = user.name || user.email;
  const toggle = useMutation({
    mutationFn: () => api.patch(`/users/${user.id}`, userSchema, { disabled: disable }),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ['users'] });
      toast(disable ? `${who} was disabled` : `${who} can sign in again`);
      onClose();
    },
  });
  return (
    <ConfirmDialog
      title={disable ? `Disable ${who}?` : `Enable ${who}?`}
      confirmLabel={disable ? 'Disable user' : 'Enable user'}
      tone={disable ? 'danger' : 'primary'}
      busy={toggle.isPending}
      error={toggle.error}
      onConfirm={() => toggle.mutate()}
      onClose={onClose}
    >
      {disable ? (
        <p>
          <strong>{user.email}</strong> will be signed out everywhere and cannot sign in until an admin enables the account again. Their
          history stays in the audit log.
        </p>
      ) : (
        <p>
          <strong>{user.email}</strong> will be able to sign in again with their existing password, as {roleLabel(user.role)}.
        </p>
      )}
    </ConfirmDialog>
  );
}
