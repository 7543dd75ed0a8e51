import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { useMemo, useState } from 'react';
import { api } from '../../lib/api.js';
import { formatDate, formatDateTime, formatRelative } from '../../lib/format.js';
import { useCan } from '../../lib/session.js';
import { Badge } from '../../ui/Badge.js';
import { Button } from '../../ui/Button.js';
import { ConfirmDialog } from '../../ui/ConfirmDialog.js';
import { ErrorState } from '../../ui/EmptyState.js';
import { Icon } from '../../ui/Icon.js';
import { PageHeader } from '../../ui/PageHeader.js';
import { Forbidden } from '../../ui/RouteStates.js';
import { SkeletonRows } from '../../ui/Spinner.js';
import { useToast } from '../../ui/Toast.js';
import { AddSourceDialog } from './AddSourceDialog.js';
import { RotateKeyDialog } from './RotateKeyDialog.js';
import { SourceSettingsDialog } from './SourceSettingsDialog.js';
import { keyStart, kindLabels, kindOptions, retentionLabel } from './source-kinds.js';
import { sourceSchema, sourcesQuery, type Source, type SourceKey, type SourceKind } from './tracking-queries.js';
import './tracking.css';

export function SourcesPage() {
  const can = useCan();
  if (!can('tracking.read')) return <Forbidden what="Sources" />;
  return <Sources canManage={can('tracking.manage')} />;
}

type Pending =
  | { kind: 'add'; sourceKind: SourceKind }
  | { kind: 'settings'; source: Source }
  | { kind: 'rotate'; source: Source }
  | { kind: 'revoke'; source: Source; key: SourceKey };

function Sources({ canManage }: { canManage: boolean }) {
  const sources = useQuery(sourcesQuery);
  // By name as people read it (the API sorts by code point, so "iOS app" would come after "Zapier").
  const sorted = useMemo(
    () => sources.data?.toSorted((a, b) => a.name.localeCompare(b.name, undefined, { sensitivity: 'base' })),
    [sources.data],
  );
  const [pending, setPending] = useState<Pending | null>(null);
  const close = () => setPending(null);
  const add = (sourceKind: SourceKind = 'website') => setPending({ kind: 'add', sourceKind });

  return (
    <div className="page">
      <PageHeader
        title="Sources"
        description="Where events come from: your websites, servers and apps. Each source has its own write key, which you can rotate without losing events."
        actions={
          <>
            <Link to="/channel-rules" className="btn btn-secondary">
              <Icon name="filter" size={17} />
              <span>Channel rules</span>
            </Link>
            <Link to="/events" className="btn btn-secondary">
              <Icon name="monitor" size={17} />
              <span>Live events</span>
            </Link>
            {canManage && (
              <Button variant="primary" icon="plus" onClick={() => add()}>
                Add source
              </Button>
            )}
          </>
        }
      />

      {sources.isError ? (
        <ErrorState error={sources.error} onRetry={() => void sources.refetch()} />
      ) : sorted?.length === 0 ? (
        <NoSources canManage={canManage} onAdd={add} />
      ) : (
        <div className="card table-card">
          <div className="table-scroll">
            <table className="table sources-table" aria-label="Sources" aria-busy={sources.isPending || undefined}>
              <thead>
                <tr>
                  <th scope="col">Source</th>
                  <th scope="col">Write keys</th>
                  <th scope="col" className="hide-sm">
                    Created
                  </th>
                  <th scope="col" className="col-actions">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {!sorted ? (
                  <SkeletonRows cols={4} rows={3} />
                ) : (
                  sorted.map((s) => (
                    <SourceRow
                      key={s.id}
                      source={s}
                      canManage={canManage}
                      onSettings={() => setPending({ kind: 'settings', source: s })}
                      onRotate={() => setPending({ kind: 'rotate', source: s })}
                      onRevoke={(key) => setPending({ kind: 'revoke', source: s, key })}
                    />
                  ))
                )}
              </tbody>
            </table>
          </div>
        </div>
      )}

      {pending?.kind === 'add' && <AddSourceDialog initialKind={pending.sourceKind} onClose={close} />}
      {pending?.kind === 'settings' && <SourceSettingsDialog source={pending.source} onClose={close} />}
      {pending?.kind === 'rotate' && <RotateKeyDialog source={pending.source} onClose={close} />}
      {pending?.kind === 'revoke' && <RevokeKeyDialog source={pending.source} writeKey={pending.key} onClose={close} />}
    </div>
  );
}

function SourceRow({
  source: s,
  canManage,
  onSettings,
  onRotate,
  onRevoke,
}: {
  source: Source;
  canManage: boolean;
  onSettings: () => void;
  onRotate: () => void;
  onRevoke: (key: SourceKey) => void;
}) {
  const working = s.keys.filter((k) => k.active);
  const retired = s.keys.length - working.length;
  return (
    <tr data-source-name={s.name}>
      <td className="cell-name">
        <div className="cell-primary">{s.name}</div>
        <div className="cell-secondary">
          {kindLabels[s.kind]} · {retentionLabel(s.retentionDays).toLowerCase()}
        </div>
        {s.excludedIps.length > 0 && (
          <div className="cell-secondary source-excluded" title={s.excludedIps.join('\n')}>
            Drops events from {s.excludedIps.length === 1 ? s.excludedIps[0] : `${s.excludedIps.length} addresses and ranges`}
          </div>
        )}
      </td>
      <td>
        {working.length === 0 ? (
          <Badge tone="danger" dot>
            No working key
          </Badge>
        ) : (
          <ul className="key-list" aria-label={`Write keys of ${s.name}`}>
            {working.map((k) => (
              <li key={k.id} className="key-item" data-key-prefix={k.prefix}>
                <code className="code-pill" title="The start of the key, to recognise it">
                  {keyStart(k.prefix)}
                </code>
                {k.expiresAt ? (
                  <Badge tone="warning">
                    <time dateTime={k.expiresAt} title={formatDateTime(k.expiresAt)}>
                      Stops {formatRelative(k.expiresAt).toLowerCase()}
                    </time>
                  </Badge>
                ) : (
                  <Badge tone="success" dot>
                    Active
                  </Badge>
                )}
                {canManage && (
                  <Button size="sm" variant="danger-ghost" onClick={() => onRevoke(k)} aria-label={`Revoke key ${keyStart(k.prefix)}`}>
                    Revoke
                  </Button>
                )}
              </li>
            ))}
          </ul>
        )}
        {retired > 0 && (
          <div className="cell-secondary">
            {retired} retired {retired === 1 ? 'key' : 'keys'} (revoked or run out)
          </div>
        )}
      </td>
      <td className="nowrap hide-sm">{formatDate(s.createdAt)}</td>
      <td className="col-actions">
        <div className="row-actions">
          <Link
            to="/events"
            search={{ sourceId: s.id }}
            className="icon-btn"
            aria-label={`Live events of ${s.name}`}
            title="Live events of this source"
          >
            <Icon name="monitor" size={17} />
          </Link>
          {canManage && (
            <button
              type="button"
              className="icon-btn source-settings-btn"
              onClick={onSettings}
              aria-label={`Settings of ${s.name}`}
              title="Name, retention and excluded IP addresses"
            >
              <Icon name="settings" size={17} />
            </button>
          )}
          {canManage && (
            <Button size="sm" icon="refresh" onClick={onRotate} aria-label={`Rotate the write key of ${s.name}`}>
              Rotate key
            </Button>
          )}
        </div>
      </td>
    </tr>
  );
}

/** The first visit: what a source is, with a way in for each kind. */
function NoSources({ canManage, onAdd }: { canManage: boolean; onAdd: (kind: SourceKind) => void }) {
  return (
    <div className="state state-empty sources-empty">
      <span className="state-icon">
        <Icon name="link" size={22} />
      </span>
      <h3 className="state-title">Connect your first source</h3>
      <p className="state-text">
        Keel takes events in the Segment format, so the tracking you may already have works here too. Each source gets a write key and a
        snippet to install.
      </p>
      <ul className="kind-cards">
        {kindOptions
          .filter((o) => o.value !== 'other')
          .map((o) => (
            <li key={o.value}>
              {canManage ? (
                <button type="button" className="kind-card" onClick={() => onAdd(o.value)}>
                  <span className="kind-card-label">
                    {o.label}
                    <Icon name="plus" size={15} />
                  </span>
                  <span className="kind-card-desc">{o.description}</span>
                </button>
              ) : (
                <div className="kind-card">
                  <span className="kind-card-label">{o.label}</span>
                  <span className="kind-card-desc">{o.description}</span>
                </div>
              )}
            </li>
          ))}
      </ul>
      {!canManage && <p className="state-meta">An admin or marketing-ops manager can add sources.</p>}
    </div>
  );
}

function RevokeKeyDialog({ source, writeKey, onClose }: { source: Source; writeKey: SourceKey; onClose: () => void }) {
  const qc = useQueryClient();
  const toast = useToast();
  const last = source.keys.filter((k) => k.active).length === 1;
  const revoke = useMutation({
    mutationFn: () => api.post(`/sources/${source.id}/keys/${writeKey.id}/revoke`, sourceSchema),
    onSuccess: async (updated) => {
      qc.setQueryData(sourcesQuery.queryKey, (old: Source[] | undefined) => old?.map((s) => (s.id === updated.id ? updated : s)));
      await qc.invalidateQueries({ queryKey: sourcesQuery.queryKey });
      toast(`Key ${keyStart(writeKey.prefix)} was revoked`);
      onClose();
    },
  });
  return (
    <ConfirmDialog
      title={`Revoke key ${keyStart(writeKey.prefix)}?`}
      confirmLabel="Revoke key"
      busy={revoke.isPending}
      error={revoke.error}
      onConfirm={() => revoke.mutate()}
      onClose={onClose}
    >
      <p>
        Events sent to <strong>{source.name}</strong> with <code className="code-pill">{keyStart(writeKey.prefix)}</code> are refused from
        now on. This cannot be undone.
      </p>
      {last && (
        <p className="confirm-warning">
          It is the only working key of this source: nothing will be received until you rotate to a new key.
        </p>
      )}
    </ConfirmDialog>
  );
}
