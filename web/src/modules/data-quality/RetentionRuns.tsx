import { useId, useState } from 'react';
import { formatDateTime, formatRelative } from '../../lib/format.js';
import { useCursorList } from '../../lib/use-cursor-list.js';
import { Badge, type Tone } from '../../ui/Badge.js';
import { EnumSelect } from '../../ui/Controls.js';
import { EmptyState, ErrorState } from '../../ui/EmptyState.js';
import { LoadMore } from '../../ui/LoadMore.js';
import { SkeletonRows } from '../../ui/Spinner.js';
import { dataTypeLabel, formatDays } from './retention-display.js';
import { fetchRetentionRuns, retentionDataTypes, retentionTypes, type RetentionDataType, type RetentionRun } from './retention-queries.js';

type Filter = 'all' | RetentionDataType;
const filters: readonly Filter[] = ['all', ...retentionDataTypes];
const filterLabels = {
  all: 'All data types',
  ...Object.fromEntries(retentionDataTypes.map((t) => [t, retentionTypes[t].label])),
} as Record<Filter, string>;

const statusTone: Record<RetentionRun['status'], Tone> = { running: 'accent', completed: 'success', failed: 'danger' };
const statusLabel: Record<RetentionRun['status'], string> = { running: 'Running', completed: 'Completed', failed: 'Failed' };

/** The passes of the daily retention jobs, newest first, in cursor pages, optionally of one data type. */
export function RetentionRuns() {
  const id = useId();
  const [filter, setFilter] = useState<Filter>('all');
  const dataType = filter === 'all' ? undefined : filter;
  const list = useCursorList(['retention', 'runs', filter], (cursor) => fetchRetentionRuns(dataType, cursor));
  return (
    <section className="dq-ret-runs" aria-labelledby={`${id}-title`}>
      <div className="dq-ret-runs-head">
        <div>
          <h2 className="dq-card-title" id={`${id}-title`}>
            Recent retention runs
          </h2>
          <p className="dq-card-note">Each pass of the daily jobs, newest first: which data, the cutoff and how many rows it deleted.</p>
        </div>
        <label className="dq-ret-filter">
          <span className="sr-only">Data type</span>
          <EnumSelect options={filters} labels={filterLabels} value={filter} onChange={setFilter} />
        </label>
      </div>
      {list.isError ? (
        <div className="card">
          <ErrorState error={list.error} onRetry={() => void list.refetch()} />
        </div>
      ) : !list.isPending && list.items.length === 0 ? (
        <div className="card">
          <EmptyState
            icon="trash"
            title={filter === 'all' ? 'No retention runs yet' : `No runs for ${filterLabels[filter].toLowerCase()} yet`}
          >
            Once a policy is set, its daily job deletes what is older than the period and each run is listed here, even one that found
            nothing to delete. Data kept for good has no runs.
          </EmptyState>
        </div>
      ) : (
        <div className="card table-card">
          <div className="table-scroll">
            <table className="table dq-ret-table" aria-label="Retention runs" aria-busy={list.isPending || undefined}>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Data type</th>
                  <th scope="col" className="hide-sm">
                    Policy
                  </th>
                  <th scope="col">Cutoff</th>
                  <th scope="col" className="dq-ret-num">
                    Rows deleted
                  </th>
                  <th scope="col">Status</th>
                </tr>
              </thead>
              <tbody>
                {list.isPending ? (
                  <SkeletonRows cols={6} rows={3} />
                ) : (
                  list.items.map((r) => (
                    <tr key={r.id} data-run={r.id}>
                      <td className="nowrap">
                        <time dateTime={r.startedAt} title={formatDateTime(r.startedAt)}>
                          {formatRelative(r.startedAt)}
                        </time>
                        <span className="cell-secondary">{formatDateTime(r.startedAt)}</span>
                      </td>
                      <td>{dataTypeLabel(r.dataType)}</td>
                      <td className="hide-sm">
                        {r.keepDays === null ? <span className="muted">Sources’ own</span> : `${formatDays(r.keepDays)}`}
                      </td>
                      <td className="nowrap">{r.cutoff ? `Before ${formatDateTime(r.cutoff)}` : <span className="muted">—</span>}</td>
                      <td className="dq-ret-num">
                        {r.deleted.toLocaleString()}
                        {r.dataType === 'import_files' && <span className="cell-secondary">imports’ files</span>}
                      </td>
                      <td>
                        <Badge tone={statusTone[r.status]}>{statusLabel[r.status]}</Badge>
                        {r.error && (
                          <span className="cell-secondary dq-ret-error" title={r.error}>
                            {r.error}
                          </span>
                        )}
                      </td>
                    </tr>
                  ))
                )}
              </tbody>
            </table>
          </div>
          <LoadMore count={list.items.length} noun="run" hasMore={list.hasMore} loading={list.isLoadingMore} onLoadMore={list.loadMore} />
        </div>
      )}
    </section>
  );
}
