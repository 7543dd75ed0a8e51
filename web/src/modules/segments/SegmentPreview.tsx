import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { useEffect, useState } from 'react';
import { api, ApiError } from '../../lib/api.js';
import { useDebounced } from '../../lib/use-debounced.js';
import { Spinner } from '../../ui/Spinner.js';
import { contactKind } from '../records/record-kinds.js';
import { previewResultSchema, type PreviewResult } from './segments-queries.js';

/** How long the definition must stay still before it is counted again. */
const DEBOUNCE_MS = 400;

export interface PreviewState {
  result: PreviewResult | null;
  /** The count shown is not the current definition's (it is being counted, or it failed). */
  stale: boolean;
  counting: boolean;
  error: unknown;
}

/**
 * Counts a definition as it is edited: POST /segments/preview once the definition has been still
 * for 400 ms. The last good answer stays (greyed) while the next one is on its way or when the
 * API refuses the definition; `json` null means there is nothing countable to send (unfinished).
 */
export function useSegmentPreview(json: string | null): PreviewState {
  const debounced = useDebounced(json, DEBOUNCE_MS);
  const settled = debounced === json;
  const q = useQuery({
    queryKey: ['segments', 'preview', debounced],
    queryFn: () => api.post('/segments/preview', previewResultSchema, { definition: JSON.parse(debounced ?? 'null') as unknown }),
    enabled: debounced !== null,
    placeholderData: keepPreviousData,
    staleTime: 10_000,
    retry: (n, err) => !(err instanceof ApiError && err.status < 500) && n < 2,
  });
  const [lastGood, setLastGood] = useState<PreviewResult | null>(null);
  useEffect(() => {
    if (q.data && !q.isPlaceholderData) setLastGood(q.data);
  }, [q.data, q.isPlaceholderData]);
  const fresh = Boolean(q.data) && !q.isPlaceholderData && settled && json !== null && !q.isError;
  return {
    result: fresh ? (q.data ?? null) : lastGood,
    stale: !fresh,
    counting: (q.isFetching || !settled) && json !== null,
    error: q.isError && settled ? q.error : null,
  };
}

/** The live count and a few of the contacts it matches. */
export function SegmentPreview({ state, unfinished }: { state: PreviewState; unfinished: boolean }) {
  const { result, stale, counting } = state;
  return (
    <aside className="card seg-preview" aria-label="Live count">
      <div className="seg-preview-head">
        <span className="seg-preview-label">Matching contacts</span>
        {counting && (
          <span className="seg-preview-busy" role="status">
            <Spinner size={13} /> Counting…
          </span>
        )}
      </div>
      <p
        className={`seg-count${stale ? ' seg-count-stale' : ''}`}
        data-testid="live-count"
        aria-live="polite"
        aria-busy={counting || undefined}
        title={stale ? 'The last count; the definition has changed since' : undefined}
      >
        {result ? result.count.toLocaleString() : '—'}
        {result?.estimated && <span className="seg-estimated"> (estimated)</span>}
      </p>
      {unfinished && <p className="seg-preview-note">Finish the highlighted conditions to count again.</p>}
      {!unfinished && state.error !== null && <p className="seg-preview-note">The definition has a problem (see the message beside it).</p>}
      {result && result.sample.length > 0 && (
        <>
          <h3 className="seg-preview-sub">{result.count > result.sample.length ? `First ${result.sample.length}` : 'All of them'}</h3>
          <ul className={`seg-sample${stale ? ' seg-count-stale' : ''}`} aria-label="Sample of matching contacts">
            {result.sample.map((c) => (
              <li key={c.id}>
                <Link to="/contacts/$id" params={{ id: c.id }} search={{ tab: undefined }} className="seg-sample-link">
                  <span className="seg-sample-name">{contactKind.displayName(c)}</span>
                  {contactKind.subtitle(c) && <span className="seg-sample-sub">{contactKind.subtitle(c)}</span>}
                </Link>
              </li>
            ))}
          </ul>
        </>
      )}
      {result && result.count === 0 && !stale && <p className="seg-preview-note">No contact matches this definition now.</p>}
    </aside>
  );
}
