import { useQuery } from '@tanstack/react-query';
import { getRouteApi } from '@tanstack/react-router';
import { Fragment, useEffect, useMemo, useState } from 'react';
import { apiKeysPageSchema } from '../../../../src/modules/api-keys/api-keys.schema.js';
import { usersPageSchema } from '../../../../src/modules/users/users.schema.js';
import { auditPageSchema } from '../../../../src/platform/audit/audit.schema.js';
import { api } from '../../lib/api.js';
import { formatDateTime, formatRelative, shortId } from '../../lib/format.js';
import { useCan, useSession } from '../../lib/session.js';
import { useCursorList } from '../../lib/use-cursor-list.js';
import { useDebounced } from '../../lib/use-debounced.js';
import { Badge } from '../../ui/Badge.js';
import { Button } from '../../ui/Button.js';
import { EmptyState, ErrorState } from '../../ui/EmptyState.js';
import { Icon } from '../../ui/Icon.js';
import { LoadMore } from '../../ui/LoadMore.js';
import { PageHeader } from '../../ui/PageHeader.js';
import { Forbidden } from '../../ui/RouteStates.js';
import { SkeletonRows } from '../../ui/Spinner.js';
import { actionGroups, actionLabel, actorTypeLabels, entityLabel, entityTypes } from './audit-labels.js';
import { AuditDiff } from './AuditDiff.js';

const route = getRouteApi('/_app/audit');
const PAGE_SIZE = 50;

/** A calendar day in the browser's time zone as the instant it starts (the API takes ISO instants). */
function startOfDay(day: string, plusDays = 0): string {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(y ?? 1970, (m ?? 1) - 1, (d ?? 1) + plusDays).toISOString();
}

function actionTone(action: string): 'danger' | 'success' | 'neutral' | 'accent' {
  if (/(revoked|disabled)$/.test(action)) return 'danger';
  if (/(created|enabled|setup)$/.test(action)) return 'success';
  if (action.startsWith('auth.')) return 'neutral';
  return 'accent';
}

/**
 * Names for the entities in the log (a user's email, a key's name), looked up in the lists the
 * reader may already see; an entity not found there shows the end of its id.
 */
function useEntityNames(): (type: string, id: string | null) => string | undefined {
  const can = useCan();
  const { workspace } = useSession();
  const users = useQuery({
    queryKey: ['users', 'names'],
    queryFn: () => api.get('/users', usersPageSchema, { limit: 200 }),
    staleTime: 60_000,
    enabled: can('users.read'),
  });
  const keys = useQuery({
    queryKey: ['api-keys', 'names'],
    queryFn: () => api.get('/api-keys', apiKeysPageSchema, { status: 'all', limit: 200 }),
    staleTime: 60_000,
    enabled: can('api_keys.read'),
  });
  return useMemo(() => {
    const names = new Map<string, string>([[`workspace:${workspace.id}`, workspace.name]]);
    for (const u of users.data?.data ?? []) names.set(`user:${u.id}`, u.email);
    for (const k of keys.data?.data ?? []) names.set(`api_key:${k.id}`, k.name);
    return (type, id) => (id ? names.get(`${type}:${id}`) : undefined);
  }, [users.data, keys.data, workspace]);
}

export function AuditLogPage() {
  const can = useCan();
  if (!can('audit.read')) return <Forbidden what="The audit log" />;
  return <AuditLog />;
}

function AuditLog() {
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const [actorText, setActorText] = useState(search.actor ?? '');
  const actor = useDebounced(actorText.trim(), 350);
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const entityName = useEntityNames();

  useEffect(() => {
    if ((search.actor ?? '') !== actor) void navigate({ search: (s) => ({ ...s, actor: actor || undefined }), replace: true });
  }, [actor, search.actor, navigate]);

  const filters = {
    actor: search.actor,
    entityType: search.entityType,
    action: search.action,
    from: search.from ? startOfDay(search.from) : undefined,
    to: search.to ? startOfDay(search.to, 1) : undefined,
  };
  // Others act in the workspace too: the log is fetched afresh whenever it is opened.
  const list = useCursorList(['audit', filters], (cursor) => api.get('/audit', auditPageSchema, { ...filters, limit: PAGE_SIZE, cursor }), {
    staleTime: 0,
  });
  const filtered = Object.values(search).some(Boolean);
  const setFilter = (key: 'entityType' | 'action' | 'from' | 'to', value: string) =>
    void navigate({ search: (s) => ({ ...s, [key]: value || undefined }), replace: true });
  const clear = () => {
    setActorText('');
    void navigate({ search: {}, replace: true });
  };
  const toggle = (id: string) =>
    setOpen((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const knownAction = !search.action || actionGroups.some((g) => g.actions.some(([a]) => a === search.action));
  const badRange = Boolean(search.from && search.to && search.to < search.from);

  return (
    <div className="page">
      <PageHeader
        title="Audit log"
        description="Every change to users, keys, sessions and settings: who did it, when, and what changed. Newest first."
      />

      <form className="filters card" onSubmit={(e) => e.preventDefault()} aria-label="Filter the audit log">
        <div className="filters-grid">
          <div className="field">
            <label className="field-label" htmlFor="audit-actor">
              Actor
            </label>
            <input
              id="audit-actor"
              className="input"
              type="search"
              placeholder="Email, API key or id"
              value={actorText}
              onChange={(e) => setActorText(e.target.value)}
            />
          </div>
          <div className="field">
            <label className="field-label" htmlFor="audit-entity">
              Entity type
            </label>
            <select
              id="audit-entity"
              className="input select"
              value={search.entityType ?? ''}
              onChange={(e) => setFilter('entityType', e.target.value)}
            >
              <option value="">All entities</option>
              {entityTypes.map(([type, label]) => (
                <option key={type} value={type}>
                  {label}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label className="field-label" htmlFor="audit-action">
              Action
            </label>
            <select
              id="audit-action"
              className="input select"
              value={search.action ?? ''}
              onChange={(e) => setFilter('action', e.target.value)}
            >
              <option value="">All actions</option>
              {!knownAction && search.action && <option value={search.action}>{search.action}</option>}
              {actionGroups.map((g) => (
                <optgroup key={g.label} label={g.label}>
                  {g.actions.map(([a, label]) => (
                    <option key={a} value={a}>
                      {label}
                    </option>
                  ))}
                </optgroup>
              ))}
            </select>
          </div>
          <div className="field">
            <label className="field-label" htmlFor="audit-from">
              From
            </label>
            <input
              id="audit-from"
              className="input"
              type="date"
              value={search.from ?? ''}
              max={search.to}
              onChange={(e) => setFilter('from', e.target.value)}
            />
          </div>
          <div className="field">
            <label className="field-label" htmlFor="audit-to">
              To
            </label>
            <input
              id="audit-to"
              className="input"
              type="date"
              value={search.to ?? ''}
              min={search.from}
              onChange={(e) => setFilter('to', e.target.value)}
            />
          </div>
        </div>
        {filtered && (
          <div className="filters-foot">
            <span className="muted">{badRange ? '"To" is before "From": nothing can match.' : 'Filters apply as you change them.'}</span>
            <Button variant="ghost" size="sm" onClick={clear}>
              Clear filters
            </Button>
          </div>
        )}
      </form>

      {list.isError ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : !list.isPending && list.items.length === 0 ? (
        filtered ? (
          <EmptyState icon="filter" title="No events match these filters" action={<Button onClick={clear}>Clear filters</Button>}>
            Widen the dates or pick another action or actor.
          </EmptyState>
        ) : (
          <EmptyState icon="audit" title="Nothing recorded yet">
            Changes to users, API keys and settings will be listed here.
          </EmptyState>
        )
      ) : (
        <div className="card table-card">
          <div className="table-scroll">
            <table className="table audit-table" aria-label="Audit events" aria-busy={list.isPending || undefined}>
              <thead>
                <tr>
                  <th scope="col" className="col-toggle">
                    <span className="sr-only">Details</span>
                  </th>
                  <th scope="col">Time</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Action</th>
                  <th scope="col">Entity</th>
                </tr>
              </thead>
              <tbody>
                {list.isPending ? (
                  <SkeletonRows cols={5} rows={6} />
                ) : (
                  list.items.map((e) => {
                    const isOpen = open.has(e.id);
                    const detailId = `audit-${e.id}`;
                    return (
                      <Fragment key={e.id}>
                        <tr className={`audit-row${isOpen ? ' open' : ''}`} data-action={e.action} onClick={() => toggle(e.id)}>
                          <td className="col-toggle">
                            <button
                              type="button"
                              className="icon-btn icon-btn-sm"
                              aria-expanded={isOpen}
                              aria-controls={detailId}
                              aria-label={`${isOpen ? 'Hide' : 'Show'} changes for ${actionLabel(e.action)} at ${formatDateTime(e.occurredAt)}`}
                              onClick={(ev) => {
                                ev.stopPropagation();
                                toggle(e.id);
                              }}
                            >
                              <Icon name={isOpen ? 'chevronDown' : 'chevronRight'} size={16} />
                            </button>
                          </td>
                          <td className="nowrap">
                            <time dateTime={e.occurredAt} title={formatDateTime(e.occurredAt, true)}>
                              {formatDateTime(e.occurredAt)}
                            </time>
                            <div className="cell-secondary">{formatRelative(e.occurredAt)}</div>
                          </td>
                          <td>
                            <div className="cell-truncate" title={e.actorLabel}>
                              {e.actorLabel}
                            </div>
                            {e.actorType !== 'user' && <div className="cell-secondary">{actorTypeLabels[e.actorType]}</div>}
                          </td>
                          <td>
                            <Badge tone={actionTone(e.action)}>{actionLabel(e.action)}</Badge>
                            <div className="cell-secondary">
                              <code>{e.action}</code>
                            </div>
                          </td>
                          <td>
                            {entityLabel(e.entityType)}
                            <div className="cell-secondary cell-truncate" title={e.entityId ?? undefined}>
                              {entityName(e.entityType, e.entityId) ?? <code>{shortId(e.entityId)}</code>}
                            </div>
                          </td>
                        </tr>
                        {isOpen && (
                          <tr className="audit-detail-row" id={detailId}>
                            <td />
                            <td colSpan={4}>
                              <AuditDiff entry={e} />
                            </td>
                          </tr>
                        )}
                      </Fragment>
                    );
                  })
                )}
              </tbody>
            </table>
          </div>
          <LoadMore count={list.items.length} noun="event" hasMore={list.hasMore} loading={list.isLoadingMore} onLoadMore={list.loadMore} />
        </div>
      )}
    </div>
  );
}
