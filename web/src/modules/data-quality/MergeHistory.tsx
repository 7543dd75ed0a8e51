import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../../lib/api.js';
import { formatDateTime, formatRelative } from '../../lib/format.js';
import { useCan } from '../../lib/session.js';
import { useCursorList } from '../../lib/use-cursor-list.js';
import { Badge } from '../../ui/Badge.js';
import { Button } from '../../ui/Button.js';
import { ConfirmDialog } from '../../ui/ConfirmDialog.js';
import { EmptyState, ErrorState } from '../../ui/EmptyState.js';
import { LoadMore } from '../../ui/LoadMore.js';
import { SkeletonRows } from '../../ui/Spinner.js';
import { useToast } from '../../ui/Toast.js';
import { formatPercent, movedItems, objectNoun } from './dedupe-display.js';
import { ObjectSwitch } from './ObjectSwitch.js';
import { mergesPageSchema, undoResultSchema, type MatchObject, type MergeView } from './quality-queries.js';
import { RecordName } from './RecordName.js';

const PAGE_SIZE = 25;

/** Merges of contacts or accounts, newest first, with Undo while it is possible (30 days). */
export function MergeHistory({ object }: { object: MatchObject }) {
  const can = useCan();
  const [undoing, setUndoing] = useState<MergeView | null>(null);
  const list = useCursorList(['duplicates', 'merges', object], (cursor) =>
    api.get('/merges', mergesPageSchema, { object, limit: PAGE_SIZE, cursor }),
  );
  return (
    <div className="dq-merges">
      <div className="toolbar">
        <ObjectSwitch object={object} tab="merges" />
      </div>
      {list.isError ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : !list.isPending && list.items.length === 0 ? (
        <div className="card">
          <EmptyState icon="merge" title={`No ${objectNoun(object)} merges yet`}>
            Merges from the review queue, and automatic ones when they are turned on, are listed here. Each can be undone for 30 days.
          </EmptyState>
        </div>
      ) : (
        <div className="card table-card">
          <div className="table-scroll">
            <table className="table dq-merge-table" aria-label="Merges" aria-busy={list.isPending || undefined}>
              <thead>
                <tr>
                  <th scope="col">Kept</th>
                  <th scope="col">Merged into it</th>
                  <th scope="col" className="hide-sm">
                    Moved
                  </th>
                  <th scope="col">When</th>
                  <th scope="col" className="col-actions">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.isPending ? (
                  <SkeletonRows cols={5} rows={3} />
                ) : (
                  list.items.map((m) => (
                    <tr key={m.id} data-merge={m.id} className={m.undoneAt ? 'row-muted' : undefined}>
                      <td className="cell-name">
                        <RecordName object={m.object} id={m.survivorId} />
                      </td>
                      <td>
                        <ul className="dq-plain-list">
                          {m.from.map((id) => (
                            <li key={id}>
                              <RecordName object={m.object} id={id} />
                            </li>
                          ))}
                        </ul>
                      </td>
                      <td className="hide-sm dq-moved-cell">
                        {movedItems(m.moved)
                          .filter((x) => x.count > 0)
                          .map((x) => x.text)
                          .join(', ') || <span className="muted">Fields only</span>}
                      </td>
                      <td className="nowrap">
                        <time dateTime={m.mergedAt} title={formatDateTime(m.mergedAt)}>
                          {formatRelative(m.mergedAt)}
                        </time>
                        <span className="cell-secondary">
                          {m.auto ? (
                            <>Automatically{m.probability !== null && ` (${formatPercent(m.probability)} match)`}</>
                          ) : (
                            <>by {m.actor}</>
                          )}
                        </span>
                      </td>
                      <td className="col-actions">
                        {m.undoneAt ? (
                          <span className="dq-decided">
                            <Badge>Undone</Badge>
                            <span className="cell-secondary">
                              {m.undoneBy ? `by ${m.undoneBy}, ` : ''}
                              {formatRelative(m.undoneAt).toLowerCase()}
                            </span>
                          </span>
                        ) : m.canUndo && can('dedupe.merge') ? (
                          <Button
                            size="sm"
                            icon="undo"
                            onClick={() => setUndoing(m)}
                            title={`Can be undone until ${formatDateTime(m.undoUntil)}`}
                          >
                            Undo
                          </Button>
                        ) : m.canUndo ? (
                          <span className="cell-secondary">Undoable until {formatDateTime(m.undoUntil)}</span>
                        ) : (
                          <span className="cell-secondary">Final</span>
                        )}
                      </td>
                    </tr>
                  ))
                )}
              </tbody>
            </table>
          </div>
          <LoadMore count={list.items.length} noun="merge" hasMore={list.hasMore} loading={list.isLoadingMore} onLoadMore={list.loadMore} />
        </div>
      )}
      {undoing && <UndoMergeDialog merge={undoing} onClose={() => setUndoing(null)} />}
    </div>
  );
}

/** "Undo this merge?": the merged records come back and what moved goes back. */
export function UndoMergeDialog({ merge, onClose, onUndone }: { merge: MergeView; onClose: () => void; onUndone?: () => void }) {
  const qc = useQueryClient();
  const toast = useToast();
  const undo = useMutation({
    mutationFn: () => api.post(`/merges/${merge.id}/undo`, undoResultSchema),
    onSuccess: async (r) => {
      await invalidateAfterMerge(qc);
      toast(r.kept.length ? `Merge undone; kept the later changes to ${r.kept.join(', ')}` : 'Merge undone');
      onUndone?.();
      onClose();
    },
  });
  const n = merge.from.length;
  return (
    <ConfirmDialog
      title="Undo this merge?"
      confirmLabel="Undo merge"
      tone="primary"
      busy={undo.isPending}
      error={undo.error}
      onConfirm={() => undo.mutate()}
      onClose={onClose}
    >
      <p>
        {n === 1 ? `The ${objectNoun(merge.object)}` : `The ${n} ${objectNoun(merge.object, true)}`} merged into{' '}
        <RecordName object={merge.object} id={merge.survivorId} /> {n === 1 ? 'comes back as it was' : 'come back as they were'}, and what
        moved over goes back. Fields changed since the merge keep their new values.
      </p>
    </ConfirmDialog>
  );
}

/** Everything a merge or its undo changes on screen: the queue, merges, the records and the quality numbers. */
export async function invalidateAfterMerge(qc: ReturnType<typeof useQueryClient>): Promise<void> {
  await Promise.all([
    qc.invalidateQueries({ queryKey: ['duplicates'], predicate: (q) => q.queryKey[1] !== 'scan' }),
    qc.invalidateQueries({ queryKey: ['contacts'] }),
    qc.invalidateQueries({ queryKey: ['accounts'] }),
    qc.invalidateQueries({ queryKey: ['quality'] }),
  ]);
}
