import { Link } from '@tanstack/react-router';
import { api } from '../../lib/api.js';
import { formatDateTime, formatRelative } from '../../lib/format.js';
import { useCan } from '../../lib/session.js';
import { useCursorList } from '../../lib/use-cursor-list.js';
import { EmptyState, ErrorState } from '../../ui/EmptyState.js';
import { Icon } from '../../ui/Icon.js';
import { LoadMore } from '../../ui/LoadMore.js';
import { PageHeader } from '../../ui/PageHeader.js';
import { Forbidden } from '../../ui/RouteStates.js';
import { SkeletonRows } from '../../ui/Spinner.js';
import { segmentsPageSchema, type Segment } from './segments-queries.js';
import './segments.css';

const PAGE_SIZE = 50;

function NewSegmentLink() {
  return (
    <Link to="/segments/new" className="btn btn-primary">
      <Icon name="plus" size={17} />
      <span>New segment</span>
    </Link>
  );
}

/** Every segment with its live count, its stored membership and what uses it. */
export function SegmentsPage() {
  const can = useCan();
  const list = useCursorList(['segments', 'list'], (cursor) => api.get('/segments', segmentsPageSchema, { limit: PAGE_SIZE, cursor }), {
    staleTime: 0,
  });
  if (!can('segments.read')) return <Forbidden what="Segments" />;
  const canWrite = can('segments.write');

  return (
    <div className="page">
      <PageHeader
        title="Segments"
        description="Groups of contacts defined by who they are and what they did. Each segment is counted live and its membership kept current for journeys and sends."
        actions={canWrite && <NewSegmentLink />}
      />

      {list.isError ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : !list.isPending && list.items.length === 0 ? (
        <EmptyState icon="filter" title="No segments yet" action={canWrite && <NewSegmentLink />}>
          A segment is a saved definition such as “trial users in Germany who requested a demo in the last 30 days”. Build one from contact
          and account fields, events and other segments, and see the count as you go.
        </EmptyState>
      ) : (
        <div className="card table-card">
          <div className="table-scroll">
            <table className="table seg-table" aria-label="Segments" aria-busy={list.isPending || list.isRefetching || undefined}>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col" className="cell-number" title="Contacts matching the definition now">
                    Count
                  </th>
                  <th scope="col" className="cell-number hide-sm" title="Members as last stored">
                    Members
                  </th>
                  <th scope="col" className="hide-sm">
                    Used by
                  </th>
                  <th scope="col" className="hide-sm">
                    Updated
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.isPending ? <SkeletonRows cols={5} rows={4} /> : list.items.map((s) => <SegmentRow key={s.id} segment={s} />)}
              </tbody>
            </table>
          </div>
          <LoadMore
            count={list.items.length}
            noun="segment"
            hasMore={list.hasMore}
            loading={list.isLoadingMore}
            onLoadMore={list.loadMore}
          />
        </div>
      )}
    </div>
  );
}

function SegmentRow({ segment: s }: { segment: Segment }) {
  return (
    <tr data-segment-name={s.name}>
      <td className="cell-name">
        <Link to="/segments/$id" params={{ id: s.id }} className="seg-name-link">
          {s.name}
        </Link>
        {s.description && <div className="cell-secondary cell-truncate">{s.description}</div>}
      </td>
      <td className="cell-number value-number" data-col="count">
        {s.count === null ? (
          <span className="muted" title={s.error ?? undefined}>
            Needs a fix
          </span>
        ) : (
          s.count.toLocaleString()
        )}
      </td>
      <td className="cell-number value-number hide-sm" data-col="members">
        {s.state === 'building' ? (
          <span className="muted" title="The membership is being rebuilt after a change">
            Building…
          </span>
        ) : (
          s.memberCount.toLocaleString()
        )}
      </td>
      <td className="hide-sm">
        {s.usedBy.length ? (
          <span className="seg-used-by">
            {s.usedBy.map((u, i) => (
              <span key={u.id}>
                {i > 0 && ', '}
                <Link to="/segments/$id" params={{ id: u.id }}>
                  {u.name}
                </Link>
              </span>
            ))}
          </span>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
      <td className="nowrap hide-sm">
        <time dateTime={s.updatedAt} title={formatDateTime(s.updatedAt)}>
          {formatRelative(s.updatedAt)}
        </time>
      </td>
    </tr>
  );
}
