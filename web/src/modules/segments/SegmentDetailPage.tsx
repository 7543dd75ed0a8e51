import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { getRouteApi, Link, useNavigate } from '@tanstack/react-router';
import { useState } from 'react';
import { api, ApiError } from '../../lib/api.js';
import { formatDateTime, formatRelative } from '../../lib/format.js';
import { useCan } from '../../lib/session.js';
import { useCursorList } from '../../lib/use-cursor-list.js';
import { Badge } from '../../ui/Badge.js';
import { Button } from '../../ui/Button.js';
import { ConfirmDialog } from '../../ui/ConfirmDialog.js';
import { EmptyState, ErrorState } from '../../ui/EmptyState.js';
import { Icon } from '../../ui/Icon.js';
import { LoadMore } from '../../ui/LoadMore.js';
import { PageHeader } from '../../ui/PageHeader.js';
import { Forbidden } from '../../ui/RouteStates.js';
import { LoadingState, SkeletonRows } from '../../ui/Spinner.js';
import { useToast } from '../../ui/Toast.js';
import { Glyph } from '../import/glyphs.js';
import { contactKind } from '../records/record-kinds.js';
import { SegmentSizeChart } from './SegmentSizeChart.js';
import {
  historyPageSchema,
  membersPageSchema,
  rebuildSchema,
  segmentQuery,
  sizesSchema,
  type Segment,
  type SizePoint,
} from './segments-queries.js';
import './segments.css';

const route = getRouteApi('/_app/segments/$id');
const PAGE_SIZE = 50;
const CHART_DAYS = 90;

/** A 404 from a part of a segment that exists: this server does not have that endpoint yet. */
const missingEndpoint = (err: unknown) => err instanceof ApiError && err.status === 404;

export function SegmentDetailPage() {
  const can = useCan();
  const { id } = route.useParams();
  const segment = useQuery(segmentQuery(id));
  if (!can('segments.read')) return <Forbidden what="Segments" />;
  if (segment.isError) {
    return (
      <div className="page page-narrow">
        <ErrorState error={segment.error} onRetry={() => void segment.refetch()} />
      </div>
    );
  }
  if (!segment.data) return <LoadingState label="Loading the segment…" />;
  return <SegmentDetail segment={segment.data} />;
}

function SegmentDetail({ segment: s }: { segment: Segment }) {
  const can = useCan();
  const qc = useQueryClient();
  const toast = useToast();
  const canWrite = can('segments.write');
  const [confirmDelete, setConfirmDelete] = useState(false);

  const refresh = () => qc.invalidateQueries({ queryKey: ['segments'] });
  const rebuild = useMutation({
    mutationFn: () => api.post(`/segments/${s.id}/rebuild`, rebuildSchema),
    onSuccess: async () => {
      toast('Rebuilding the membership. Members and history update in a moment.');
      await refresh();
      // The rebuild runs as a job: look again once it has had time to finish.
      setTimeout(() => void refresh(), 3000);
    },
    onError: (err) => toast(err instanceof ApiError ? (err.problem.detail ?? err.problem.title) : 'Could not rebuild. Try again.', 'info'),
  });

  return (
    <div className="page seg-detail">
      <nav className="seg-crumbs" aria-label="Breadcrumb">
        <Link to="/segments">Segments</Link>
        <Icon name="chevronRight" size={14} />
      </nav>
      <PageHeader
        title={s.name}
        description={s.description || undefined}
        actions={
          <>
            <a className="btn btn-secondary" href={`/api/v1/segments/${s.id}/export`} download>
              <Glyph name="download" size={17} />
              <span>Export CSV</span>
            </a>
            {canWrite && (
              <>
                <Button icon="refresh" onClick={() => rebuild.mutate()} busy={rebuild.isPending}>
                  Rebuild
                </Button>
                <Link to="/segments/$id/edit" params={{ id: s.id }} className="btn btn-secondary">
                  <Icon name="edit" size={17} />
                  <span>Edit</span>
                </Link>
                <Button variant="danger-ghost" icon="trash" onClick={() => setConfirmDelete(true)}>
                  Delete
                </Button>
              </>
            )}
          </>
        }
      />

      {s.error ? (
        <div className="alert alert-error" role="alert">
          This segment needs a fix before it can be counted again: {s.error}. Its stored members stay as they were; edit the definition to
          repair it.
        </div>
      ) : null}
      <div className="card seg-facts-card">
        <dl className="facts seg-facts">
          <div>
            <dt>Matching now</dt>
            <dd className="seg-fact-number" data-testid="segment-count">
              {s.count === null ? <span title={s.error ?? undefined}>—</span> : s.count.toLocaleString()}
            </dd>
          </div>
          <div>
            <dt>Members</dt>
            <dd className="seg-fact-number" data-testid="segment-members">
              {s.memberCount.toLocaleString()}
            </dd>
          </div>
          <div>
            <dt>Membership refreshed</dt>
            <dd>
              {s.state === 'building' ? (
                <Badge tone="warning" dot>
                  Rebuilding
                </Badge>
              ) : s.refreshedAt ? (
                <time dateTime={s.refreshedAt} title={formatDateTime(s.refreshedAt)}>
                  {formatRelative(s.refreshedAt)}
                </time>
              ) : (
                <span className="muted">Not yet</span>
              )}
            </dd>
          </div>
          <div>
            <dt>Used by</dt>
            <dd>
              {s.usedBy.length ? (
                <ul className="seg-used-list" aria-label="Segments that use this one">
                  {s.usedBy.map((u) => (
                    <li key={u.id}>
                      <Link to="/segments/$id" params={{ id: u.id }}>
                        {u.name}
                      </Link>
                    </li>
                  ))}
                </ul>
              ) : (
                <span className="muted">No other segment</span>
              )}
            </dd>
          </div>
        </dl>
      </div>

      <SizeCard segmentId={s.id} createdAt={s.createdAt} />
      <MembersCard segment={s} />
      <HistoryCard segmentId={s.id} />

      {confirmDelete && <DeleteSegmentDialog segment={s} onClose={() => setConfirmDelete(false)} />}
    </div>
  );
}

function SizeCard({ segmentId, createdAt }: { segmentId: string; createdAt: string }) {
  const sizes = useQuery({
    queryKey: ['segments', 'sizes', segmentId, CHART_DAYS],
    queryFn: () => api.get(`/segments/${segmentId}/sizes`, sizesSchema, { days: CHART_DAYS }),
    retry: false,
  });
  return (
    <section className="card seg-card" aria-labelledby="seg-size-title">
      <header className="seg-card-head">
        <h2 className="seg-card-title" id="seg-size-title">
          Size over time
        </h2>
        <span className="muted">Last {CHART_DAYS} days</span>
      </header>
      {sizes.isPending ? (
        <LoadingState label="Loading sizes…" />
      ) : sizes.isError ? (
        missingEndpoint(sizes.error) ? (
          <p className="seg-card-empty muted">Sizes over time are not recorded by this server yet.</p>
        ) : (
          <ErrorState error={sizes.error} onRetry={() => void sizes.refetch()} />
        )
      ) : (
        <SizeChartOrEmpty points={sizes.data.data} createdAt={createdAt} />
      )}
    </section>
  );
}

/** Days before the segment existed say nothing (it had no members then): the line starts on its first day. */
function SizeChartOrEmpty({ points, createdAt }: { points: SizePoint[]; createdAt: string }) {
  const first = createdAt.slice(0, 10);
  const shown = points.filter((p) => p.day >= first);
  if (shown.length === 0) {
    return <p className="seg-card-empty muted">No sizes recorded yet: the first one is taken when the membership is built.</p>;
  }
  return <SegmentSizeChart points={shown} days={CHART_DAYS} />;
}

function MembersCard({ segment: s }: { segment: Segment }) {
  const members = useCursorList(['segments', 'members', s.id], (cursor) =>
    api.get(`/segments/${s.id}/members`, membersPageSchema, { limit: PAGE_SIZE, cursor }),
  );
  return (
    <section className="card seg-card table-card" aria-labelledby="seg-members-title">
      <header className="seg-card-head">
        <h2 className="seg-card-title" id="seg-members-title">
          Members
        </h2>
      </header>
      {members.isError ? (
        <ErrorState error={members.error} onRetry={() => void members.refetch()} />
      ) : !members.isPending && members.items.length === 0 ? (
        <EmptyState icon="user" title="No members">
          No contact is in this segment now.
        </EmptyState>
      ) : (
        <>
          <div className="table-scroll">
            <table className="table seg-table" aria-label="Members" aria-busy={members.isPending || undefined}>
              <thead>
                <tr>
                  <th scope="col">Contact</th>
                  <th scope="col" className="hide-sm">
                    Company
                  </th>
                  <th scope="col" className="hide-sm">
                    Country
                  </th>
                  <th scope="col" className="hide-sm">
                    Lifecycle stage
                  </th>
                </tr>
              </thead>
              <tbody>
                {members.isPending ? (
                  <SkeletonRows cols={4} rows={4} />
                ) : (
                  members.items.map((c) => (
                    <tr key={c.id} data-contact-email={String(c.email ?? '')}>
                      <td className="cell-name">
                        <Link to="/contacts/$id" params={{ id: c.id }} search={{ tab: undefined }} className="seg-name-link">
                          {contactKind.displayName(c)}
                        </Link>
                        {contactKind.subtitle(c) && <div className="cell-secondary">{contactKind.subtitle(c)}</div>}
                      </td>
                      <td className="hide-sm">{text(c.company)}</td>
                      <td className="hide-sm">{text(c.country)}</td>
                      <td className="hide-sm">{text(c.lifecycleStage)}</td>
                    </tr>
                  ))
                )}
              </tbody>
            </table>
          </div>
          <LoadMore
            count={members.items.length}
            noun="member"
            hasMore={members.hasMore}
            loading={members.isLoadingMore}
            onLoadMore={members.loadMore}
          />
        </>
      )}
    </section>
  );
}

function text(v: unknown) {
  return typeof v === 'string' && v ? v : <span className="muted">—</span>;
}

function HistoryCard({ segmentId }: { segmentId: string }) {
  const history = useCursorList(['segments', 'history', segmentId], (cursor) =>
    api.get(`/segments/${segmentId}/history`, historyPageSchema, { limit: PAGE_SIZE, cursor }),
  );
  return (
    <section className="card seg-card table-card" aria-labelledby="seg-history-title">
      <header className="seg-card-head">
        <h2 className="seg-card-title" id="seg-history-title">
          Membership history
        </h2>
        <span className="muted">Who entered and left, and why</span>
      </header>
      {history.isError ? (
        missingEndpoint(history.error) ? (
          <p className="seg-card-empty muted">Membership history is not recorded by this server yet.</p>
        ) : (
          <ErrorState error={history.error} onRetry={() => void history.refetch()} />
        )
      ) : !history.isPending && history.items.length === 0 ? (
        <p className="seg-card-empty muted">Nobody has entered or left yet.</p>
      ) : (
        <>
          <div className="table-scroll">
            <table className="table seg-table" aria-label="Membership history" aria-busy={history.isPending || undefined}>
              <thead>
                <tr>
                  <th scope="col">Contact</th>
                  <th scope="col">Change</th>
                  <th scope="col" className="hide-sm">
                    Reason
                  </th>
                  <th scope="col">When</th>
                </tr>
              </thead>
              <tbody>
                {history.isPending ? (
                  <SkeletonRows cols={4} rows={3} />
                ) : (
                  history.items.map((h, i) => (
                    <tr key={`${h.contactId}-${h.at}-${i}`} data-change={h.change}>
                      <td className="cell-name">
                        <Link to="/contacts/$id" params={{ id: h.contactId }} search={{ tab: undefined }}>
                          {h.email || 'Contact'}
                        </Link>
                      </td>
                      <td>
                        <Badge tone={h.change === 'entered' ? 'success' : 'neutral'} dot>
                          {h.change === 'entered' ? 'Entered' : 'Exited'}
                        </Badge>
                      </td>
                      <td className="hide-sm">{h.reason ? h.reason : <span className="muted">—</span>}</td>
                      <td className="nowrap">
                        <time dateTime={h.at} title={formatDateTime(h.at, true)}>
                          {formatRelative(h.at)}
                        </time>
                      </td>
                    </tr>
                  ))
                )}
              </tbody>
            </table>
          </div>
          <LoadMore
            count={history.items.length}
            noun="change"
            hasMore={history.hasMore}
            loading={history.isLoadingMore}
            onLoadMore={history.loadMore}
          />
        </>
      )}
    </section>
  );
}

function DeleteSegmentDialog({ segment, onClose }: { segment: Segment; onClose: () => void }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const toast = useToast();
  const remove = useMutation({
    mutationFn: () => api.delete(`/segments/${segment.id}`),
    onSuccess: async () => {
      qc.removeQueries({ queryKey: segmentQuery(segment.id).queryKey });
      await qc.invalidateQueries({ queryKey: ['segments'] });
      toast(`${segment.name} was deleted`);
      await navigate({ to: '/segments' });
    },
  });
  return (
    <ConfirmDialog
      title={`Delete ${segment.name}?`}
      confirmLabel="Delete segment"
      busy={remove.isPending}
      error={remove.error}
      onConfirm={() => remove.mutate()}
      onClose={onClose}
    >
      <p>The segment and its membership history are removed. Contacts themselves are not changed.</p>
      {segment.usedBy.length > 0 && (
        <p className="confirm-warning">
          It is used by {segment.usedBy.map((u) => u.name).join(', ')}: change {segment.usedBy.length === 1 ? 'that one' : 'those'} first.
        </p>
      )}
    </ConfirmDialog>
  );
}
