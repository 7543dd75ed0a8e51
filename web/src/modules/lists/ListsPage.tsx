import { Link } from '@tanstack/react-router';
import { useState } from 'react';
import { api } from '../../lib/api.js';
import { formatDateTime, formatRelative } from '../../lib/format.js';
import { useCan } from '../../lib/session.js';
import { useCursorList } from '../../lib/use-cursor-list.js';
import { Button } from '../../ui/Button.js';
import { EmptyState, ErrorState } from '../../ui/EmptyState.js';
import { LoadMore } from '../../ui/LoadMore.js';
import { PageHeader } from '../../ui/PageHeader.js';
import { Forbidden } from '../../ui/RouteStates.js';
import { SkeletonRows } from '../../ui/Spinner.js';
import { ListFormDialog } from './ListFormDialog.js';
import { listsPageSchema, type List } from './lists-queries.js';
import './lists.css';

const PAGE_SIZE = 50;

/** Every static list with its size and when it last changed; "New list" for lists.write. */
export function ListsPage() {
  const can = useCan();
  const [creating, setCreating] = useState(false);
  const lists = useCursorList(['lists', 'list'], (cursor) => api.get('/lists', listsPageSchema, { limit: PAGE_SIZE, cursor }), {
    staleTime: 0,
  });
  if (!can('lists.read')) return <Forbidden what="Lists" />;
  const canWrite = can('lists.write');
  const newButton = canWrite && (
    <Button variant="primary" icon="plus" onClick={() => setCreating(true)}>
      New list
    </Button>
  );

  return (
    <div className="page">
      <PageHeader
        title="Lists"
        description="Static lists of contacts: exactly who you put on them, from a file, pasted emails or a snapshot of a segment. Segments can test membership of a list."
        actions={newButton}
      />

      {lists.isError ? (
        <ErrorState error={lists.error} onRetry={() => void lists.refetch()} />
      ) : !lists.isPending && lists.items.length === 0 ? (
        <EmptyState icon="list" title="No lists yet" action={newButton}>
          A list is for a fixed group such as “Webinar attendees, 12 March” or “Do not call”. Upload the file you were given, paste the
          emails, or copy a segment’s members as they are today.
        </EmptyState>
      ) : (
        <div className="card table-card">
          <div className="table-scroll">
            <table className="table lst-table" aria-label="Lists" aria-busy={lists.isPending || lists.isRefetching || undefined}>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col" className="cell-number">
                    Members
                  </th>
                  <th scope="col" className="hide-sm">
                    Updated
                  </th>
                </tr>
              </thead>
              <tbody>
                {lists.isPending ? <SkeletonRows cols={3} rows={4} /> : lists.items.map((l) => <ListRow key={l.id} list={l} />)}
              </tbody>
            </table>
          </div>
          <LoadMore
            count={lists.items.length}
            noun="list"
            hasMore={lists.hasMore}
            loading={lists.isLoadingMore}
            onLoadMore={lists.loadMore}
          />
        </div>
      )}
      {creating && <ListFormDialog onClose={() => setCreating(false)} />}
    </div>
  );
}

function ListRow({ list: l }: { list: List }) {
  return (
    <tr data-list-name={l.name}>
      <td className="cell-name">
        <Link to="/lists/$id" params={{ id: l.id }} className="lst-name-link">
          {l.name}
        </Link>
        {l.description && <div className="cell-secondary cell-truncate lst-description">{l.description}</div>}
      </td>
      <td className="cell-number value-number" data-col="members">
        {l.memberCount.toLocaleString()}
      </td>
      <td className="nowrap hide-sm">
        <time dateTime={l.updatedAt} title={formatDateTime(l.updatedAt)}>
          {formatRelative(l.updatedAt)}
        </time>
      </td>
    </tr>
  );
}
