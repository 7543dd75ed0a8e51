import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { api } from '../../lib/api.js';
import { formatDateTime, formatRelative } from '../../lib/format.js';
import { useCan } from '../../lib/session.js';
import { useCursorList } from '../../lib/use-cursor-list.js';
import { Badge } from '../../ui/Badge.js';
import { Button } from '../../ui/Button.js';
import { EmptyState, ErrorState } from '../../ui/EmptyState.js';
import { Icon } from '../../ui/Icon.js';
import { LoadMore } from '../../ui/LoadMore.js';
import { ProblemAlert } from '../../ui/ProblemAlert.js';
import { SkeletonRows } from '../../ui/Spinner.js';
import { useToast } from '../../ui/Toast.js';
import { formatPercent, objectNoun } from './dedupe-display.js';
import { MatchReasons } from './MatchReasons.js';
import { ObjectSwitch } from './ObjectSwitch.js';
import { duplicatePairSchema, pairsPageSchema, type DuplicatePair, type MatchObject, type PairStatus } from './quality-queries.js';
import { ScanButton, ScanStatus, useFullScan } from './ScanPanel.js';

const PAGE_SIZE = 25;

type StatusFilter = PairStatus | 'all';
const statuses: Array<{ id: StatusFilter; label: string }> = [
  { id: 'open', label: 'To review' },
  { id: 'merged', label: 'Merged' },
  { id: 'auto_merged', label: 'Auto-merged' },
  { id: 'dismissed', label: 'Not the same' },
  { id: 'all', label: 'All' },
];

/**
 * The review queue: pairs at or above the review threshold, most likely first, each with why it
 * was proposed. "Not the same" takes a pair out for good; "Review & merge" opens the merge screen.
 */
export function DuplicatesQueue({ object, status }: { object: MatchObject; status: StatusFilter }) {
  const can = useCan();
  const scan = useFullScan(object);
  const canScan = can('dedupe.merge');
  const params = { object, status };
  const list = useCursorList(['duplicates', 'pairs', params], (cursor) =>
    api.get('/duplicates', pairsPageSchema, { ...params, limit: PAGE_SIZE, cursor }),
  );
  // The tabs' counts (every status), from a one-row page of the same list.
  const counts = useQuery({
    queryKey: ['duplicates', 'counts', object],
    queryFn: async () => (await api.get('/duplicates', pairsPageSchema, { object, status: 'open', limit: 1 })).counts,
  });
  const count = (s: StatusFilter) => {
    const c = counts.data;
    if (!c) return null;
    return s === 'all' ? Object.values(c).reduce((a, b) => a + b, 0) : (c[s] ?? 0);
  };
  const noun = objectNoun(object, true);

  return (
    <div className="dq-queue">
      <div className="toolbar dq-toolbar">
        <ObjectSwitch object={object} tab="duplicates" />
        <nav className="dq-status-tabs" aria-label="Pairs by status">
          {statuses.map((s) => {
            const n = count(s.id);
            return (
              <Link
                key={s.id}
                to="/data-quality"
                search={{
                  tab: 'duplicates',
                  object: object === 'contact' ? undefined : object,
                  status: s.id === 'open' ? undefined : s.id,
                }}
                className={`dq-status-tab${status === s.id ? ' active' : ''}`}
                aria-current={status === s.id ? 'page' : undefined}
                activeOptions={{ exact: true }}
                activeProps={{}}
                data-queue-status={s.id}
              >
                {s.label}
                {n !== null && <span className="dq-status-count">{n.toLocaleString()}</span>}
              </Link>
            );
          })}
        </nav>
        {canScan && (
          <div className="dq-toolbar-end">
            <ScanButton scan={scan} />
          </div>
        )}
      </div>
      <ScanStatus scan={scan} object={object} />

      {list.isError ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : !list.isPending && list.items.length === 0 ? (
        <div className="card">
          {status === 'open' ? (
            <EmptyState
              icon="users"
              title="No duplicates waiting for review"
              action={canScan && !scan.running ? <ScanButton scan={scan} variant="primary" /> : undefined}
            >
              New and changed {noun} are matched as they are saved. A full scan compares every {objectNoun(object)} with every likely match,
              after an import or a change of settings.
            </EmptyState>
          ) : (
            <EmptyState icon="search" title={`No pairs here`}>
              No {objectNoun(object)} pairs have this status.
            </EmptyState>
          )}
        </div>
      ) : (
        <div className="card table-card">
          <div className="table-scroll">
            <table className="table dq-pairs" aria-label="Duplicate pairs" aria-busy={list.isPending || list.isRefetching || undefined}>
              <thead>
                <tr>
                  <th scope="col">Records</th>
                  <th scope="col">Match</th>
                  <th scope="col">Why</th>
                  <th scope="col" className="col-actions">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.isPending ? <SkeletonRows cols={4} rows={4} /> : list.items.map((p) => <PairRow key={p.ids.join()} pair={p} />)}
              </tbody>
            </table>
          </div>
          <LoadMore count={list.items.length} noun="pair" hasMore={list.hasMore} loading={list.isLoadingMore} onLoadMore={list.loadMore} />
        </div>
      )}
    </div>
  );
}

function PairRow({ pair }: { pair: DuplicatePair }) {
  const can = useCan();
  const qc = useQueryClient();
  const toast = useToast();
  const dismiss = useMutation({
    mutationFn: () => api.post('/duplicates/dismiss', duplicatePairSchema, { object: pair.object, ids: pair.ids }),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ['duplicates'], predicate: (q) => q.queryKey[1] !== 'scan' });
      toast(`${pair.records.map((r) => r.label).join(' and ')}: marked as not the same`);
    },
  });
  const names = pair.records.map((r) => r.label).join(' and ');
  const canReview = can('dedupe.review') && pair.status === 'open';
  return (
    <>
      <tr data-pair={pair.ids.join(',')} data-status={pair.status}>
        <td className="dq-pair-records">
          <div className="dq-pair-stack">
            {pair.records.map((r) => (
              <div key={r.id} className="dq-pair-record">
                <Link
                  to={pair.object === 'contact' ? '/contacts/$id' : '/accounts/$id'}
                  params={{ id: r.id }}
                  className="dq-pair-name"
                  data-record={r.id}
                >
                  {r.label}
                </Link>
                {r.email && <span className="cell-secondary">{r.email}</span>}
                {r.deleted && pair.status === 'open' && <Badge tone="warning">Deleted</Badge>}
              </div>
            ))}
          </div>
        </td>
        <td className="dq-prob-cell">
          <Probability p={pair.probability} />
          <span className="cell-secondary">
            Found{' '}
            <time dateTime={pair.foundAt} title={formatDateTime(pair.foundAt)}>
              {formatRelative(pair.foundAt).toLowerCase()}
            </time>
          </span>
        </td>
        <td className="dq-why-cell">
          <MatchReasons reasons={pair.reasons} />
        </td>
        <td className="col-actions">
          {pair.status === 'open' ? (
            canReview && (
              <div className="dq-pair-actions">
                <Link
                  to="/data-quality/merge"
                  search={{ object: pair.object, ids: pair.ids.join(',') }}
                  className="btn btn-primary btn-sm"
                  aria-label={`Review & merge: ${names}`}
                >
                  <Icon name="merge" size={15} />
                  <span>Review &amp; merge</span>
                </Link>
                <Button
                  size="sm"
                  variant="ghost"
                  busy={dismiss.isPending}
                  onClick={() => dismiss.mutate()}
                  aria-label={`Not the same: ${names}`}
                >
                  Not the same
                </Button>
              </div>
            )
          ) : (
            <span className="dq-decided">
              <Badge tone={pair.status === 'dismissed' ? 'neutral' : 'success'}>{statusLabel[pair.status]}</Badge>
              {pair.decidedBy && <span className="cell-secondary">by {pair.decidedBy}</span>}
            </span>
          )}
        </td>
      </tr>
      {dismiss.error ? (
        <tr className="dq-row-error">
          <td colSpan={4}>
            <ProblemAlert error={dismiss.error} />
          </td>
        </tr>
      ) : null}
    </>
  );
}

const statusLabel: Record<PairStatus, string> = {
  open: 'To review',
  merged: 'Merged',
  auto_merged: 'Auto-merged',
  dismissed: 'Not the same',
};

/** The match probability as a percentage with a bar. */
export function Probability({ p }: { p: number }) {
  const text = formatPercent(p);
  return (
    <span
      className="dq-prob"
      role="meter"
      aria-label="Match probability"
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.round(p * 100)}
      aria-valuetext={text}
    >
      <span className="dq-prob-text">{text}</span>
      <span className="dq-prob-bar" aria-hidden="true">
        <span className={`dq-prob-fill${p >= 0.95 ? ' dq-prob-high' : ''}`} style={{ width: `${Math.round(p * 100)}%` }} />
      </span>
    </span>
  );
}
