import { useMutation, useQueryClient } from '@tanstack/react-query';
import { getRouteApi } from '@tanstack/react-router';
import { useState } from 'react';
import { apiKeysPageSchema, type ApiKey } from '../../../../src/modules/api-keys/api-keys.schema.js';
import { api } from '../../lib/api.js';
import { formatDate, formatRelative } from '../../lib/format.js';
import { roleLabel } from '../../lib/roles.js';
import { useCan } from '../../lib/session.js';
import { useCursorList } from '../../lib/use-cursor-list.js';
import { Badge } from '../../ui/Badge.js';
import { Button } from '../../ui/Button.js';
import { ConfirmDialog } from '../../ui/ConfirmDialog.js';
import { EmptyState, ErrorState } from '../../ui/EmptyState.js';
import { LoadMore } from '../../ui/LoadMore.js';
import { PageHeader } from '../../ui/PageHeader.js';
import { Forbidden } from '../../ui/RouteStates.js';
import { SkeletonRows } from '../../ui/Spinner.js';
import { useToast } from '../../ui/Toast.js';
import { CreateApiKeyDialog } from './CreateApiKeyDialog.js';

const route = getRouteApi('/_app/api-keys');

export function ApiKeysPage() {
  const can = useCan();
  if (!can('api_keys.read')) return <Forbidden what="API keys" />;
  return <ApiKeys canManage={can('api_keys.manage')} />;
}

function ApiKeys({ canManage }: { canManage: boolean }) {
  const { show } = route.useSearch();
  const navigate = route.useNavigate();
  const showRevoked = show === 'all';
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const status = showRevoked ? 'all' : 'active';
  const list = useCursorList(['api-keys', status], (cursor) => api.get('/api-keys', apiKeysPageSchema, { status, limit: 50, cursor }));
  const cols = canManage ? 6 : 5;

  return (
    <div className="page">
      <PageHeader
        title="API keys"
        description="Keys let scripts and integrations call the Keel API with the permissions of a role. A key's secret is shown only once."
        actions={
          canManage && (
            <Button variant="primary" icon="plus" onClick={() => setCreating(true)}>
              New API key
            </Button>
          )
        }
      />
      <div className="toolbar">
        <label className="switch">
          <input
            type="checkbox"
            role="switch"
            checked={showRevoked}
            onChange={(e) => void navigate({ search: { show: e.target.checked ? 'all' : undefined }, replace: true })}
          />
          <span className="switch-track" aria-hidden="true" />
          <span>Show revoked keys</span>
        </label>
      </div>

      {list.isError ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : !list.isPending && list.items.length === 0 ? (
        <EmptyState
          icon="key"
          title={showRevoked ? 'No API keys' : 'No active API keys'}
          action={
            canManage && (
              <Button variant="primary" icon="plus" onClick={() => setCreating(true)}>
                New API key
              </Button>
            )
          }
        >
          {canManage
            ? 'Create a key for each script or integration, so each can be revoked on its own.'
            : 'An admin can create keys for scripts and integrations.'}
        </EmptyState>
      ) : (
        <div className="card table-card">
          <div className="table-scroll">
            <table className="table" aria-label="API keys" aria-busy={list.isPending || undefined}>
              <thead>
                <tr>
                  <th scope="col">Key</th>
                  <th scope="col">Role</th>
                  <th scope="col">Status</th>
                  <th scope="col" className="hide-sm">
                    Created
                  </th>
                  <th scope="col">Last used</th>
                  {canManage && (
                    <th scope="col" className="col-actions">
                      <span className="sr-only">Actions</span>
                    </th>
                  )}
                </tr>
              </thead>
              <tbody>
                {list.isPending ? (
                  <SkeletonRows cols={cols} rows={3} />
                ) : (
                  list.items.map((k) => (
                    <tr key={k.id} data-key-name={k.name} className={k.revokedAt ? 'row-muted' : undefined}>
                      <td className="cell-name">
                        <div className="cell-primary">{k.name}</div>
                        <div className="cell-secondary">
                          <code title="The start of the key, to recognise it">{k.prefix}…</code>
                        </div>
                      </td>
                      <td className="nowrap">{roleLabel(k.role)}</td>
                      <td>
                        {k.revokedAt ? (
                          <>
                            <Badge tone="neutral">Revoked</Badge>
                            <div className="cell-secondary nowrap">{formatDate(k.revokedAt)}</div>
                          </>
                        ) : (
                          <Badge tone="success" dot>
                            Active
                          </Badge>
                        )}
                      </td>
                      <td className="nowrap hide-sm">{formatDate(k.createdAt)}</td>
                      <td className="nowrap">{formatRelative(k.lastUsedAt)}</td>
                      {canManage && (
                        <td className="col-actions">
                          {!k.revokedAt && (
                            <Button size="sm" variant="danger-ghost" onClick={() => setRevoking(k)} aria-label={`Revoke ${k.name}`}>
                              Revoke
                            </Button>
                          )}
                        </td>
                      )}
                    </tr>
                  ))
                )}
              </tbody>
            </table>
          </div>
          <LoadMore count={list.items.length} noun="key" hasMore={list.hasMore} loading={list.isLoadingMore} onLoadMore={list.loadMore} />
        </div>
      )}

      {creating && <CreateApiKeyDialog onClose={() => setCreating(false)} />}
      {revoking && <RevokeDialog apiKey={revoking} onClose={() => setRevoking(null)} />}
    </div>
  );
}

function RevokeDialog({ apiKey, onClose }: { apiKey: ApiKey; onClose: () => void }) {
  const qc = useQueryClient();
  const toast = useToast();
  const revoke = useMutation({
    mutationFn: () => api.delete(`/api-keys/${apiKey.id}`),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ['api-keys'] });
      toast(`${apiKey.name} was revoked`);
      onClose();
    },
  });
  return (
    <ConfirmDialog
      title={`Revoke ${apiKey.name}?`}
      confirmLabel="Revoke key"
      busy={revoke.isPending}
      error={revoke.error}
      onConfirm={() => revoke.mutate()}
      onClose={onClose}
    >
      <p>
        Anything using <code className="code-pill">{apiKey.prefix}…</code> will be refused from now on. This cannot be undone; create a new
        key if it is still needed.
      </p>
    </ConfirmDialog>
  );
}
