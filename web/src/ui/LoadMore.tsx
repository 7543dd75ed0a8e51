import { Button } from './Button.js';

/** The foot of a cursor-paginated table: how many are shown, and a button for the next page. */
export function LoadMore({
  count,
  noun,
  hasMore,
  loading,
  onLoadMore,
}: {
  count: number;
  noun: string;
  hasMore: boolean;
  loading: boolean;
  onLoadMore: () => void;
}) {
  if (count === 0) return null;
  return (
    <div className="table-foot">
      <span className="muted">
        {hasMore ? 'Showing the first' : 'Showing all'} {count} {count === 1 ? noun : `${noun}s`}
      </span>
      {hasMore && (
        <Button size="sm" onClick={onLoadMore} busy={loading}>
          Load more
        </Button>
      )}
    </div>
  );
}
