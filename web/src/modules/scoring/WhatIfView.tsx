import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { api } from '../../lib/api.js';
import { useDebounced } from '../../lib/use-debounced.js';
import { ErrorState } from '../../ui/EmptyState.js';
import { Notice } from '../../ui/ProblemAlert.js';
import { LoadingState } from '../../ui/Spinner.js';
import { ScoringBarChart } from './ScoringBarChart.js';
import { whatIfSchema, type ScoringModel, type WhatIf } from './scoring-queries.js';

const week = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });

/**
 * What publishing the saved draft would change: contacts moving between bands, new MQLs per week
 * under each version, and the reps' queues the new MQLs would go to (a routing dry run).
 */
export function WhatIfView({ model, unsaved }: { model: ScoringModel; unsaved: boolean }) {
  const [threshold, setThreshold] = useState('');
  const [weeks, setWeeks] = useState(4);
  const t = useDebounced(threshold.trim(), 500);
  const body = { weeks, ...(t !== '' && Number.isFinite(Number(t)) && { threshold: Number(t) }) };
  const q = useQuery({
    queryKey: ['scoring', 'models', model.id, 'what-if', model.updatedAt, body],
    queryFn: () => api.post(`/scoring/models/${model.id}/what-if`, whatIfSchema, body),
    staleTime: 60_000,
  });
  return (
    <div className="scoring-whatif">
      {unsaved && (
        <Notice tone="warning">The what-if compares the saved draft with the published version: save your edits to include them.</Notice>
      )}
      <div className="scoring-toolbar">
        <label className="field scoring-inline-field">
          <span className="field-label">Weeks back</span>
          <select className="input select input-sm" value={weeks} onChange={(e) => setWeeks(Number(e.target.value))}>
            {[4, 8, 12].map((n) => (
              <option key={n} value={n}>
                {n} weeks
              </option>
            ))}
          </select>
        </label>
        <label className="field scoring-inline-field">
          <span className="field-label">MQL threshold</span>
          <input
            className="input input-sm"
            inputMode="decimal"
            placeholder={q.data?.mql.criterion?.source === 'lifecycle_rule' ? 'from the stage rule' : 'e.g. 50'}
            value={threshold}
            onChange={(e) => setThreshold(e.target.value)}
            aria-describedby="threshold-hint"
          />
          <span className="field-hint" id="threshold-hint">
            Used when no lifecycle stage rule makes MQLs from this model’s score.
          </span>
        </label>
      </div>
      {q.isError ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} />
      ) : !q.data ? (
        <LoadingState label="Scoring every contact with both versions…" />
      ) : (
        <WhatIfResult w={q.data} />
      )}
    </div>
  );
}

function WhatIfResult({ w }: { w: WhatIf }) {
  const perWeek = w.mql.weeks.length ? w.mql.weeks.reduce((s, x) => s + x.draft, 0) / w.mql.weeks.length : null;
  const perWeekBefore = w.mql.weeks.length ? w.mql.weeks.reduce((s, x) => s + x.published, 0) / w.mql.weeks.length : null;
  const categories = useMemo(() => w.mql.weeks.map((x) => `wk of ${week.format(new Date(x.weekStart))}`), [w]);
  const series = useMemo(
    () => [
      {
        name: w.publishedVersion === null ? 'Published (none)' : `Version ${w.publishedVersion}`,
        values: w.mql.weeks.map((x) => x.published),
      },
      { name: 'Draft', values: w.mql.weeks.map((x) => x.draft) },
    ],
    [w],
  );
  return (
    <div className="scoring-results">
      <div className="scoring-stats">
        <div className="card scoring-stat">
          <span className="scoring-stat-value" data-testid="band-changes">
            {w.changed.toLocaleString()}
          </span>
          <span className="muted">of {w.contacts.toLocaleString()} contacts would change band</span>
        </div>
        <div className="card scoring-stat">
          <span className="scoring-stat-value">{w.mql.criterion ? w.mql.newNow.toLocaleString() : '—'}</span>
          <span className="muted">{w.mql.criterion ? 'new MQLs the draft would make today' : 'no MQL criterion: enter a threshold'}</span>
        </div>
        <div className="card scoring-stat">
          <span className="scoring-stat-value">
            {perWeek === null ? '—' : perWeek.toLocaleString(undefined, { maximumFractionDigits: 1 })}
          </span>
          <span className="muted">
            new MQLs a week with the draft
            {perWeekBefore !== null && ` (now ${perWeekBefore.toLocaleString(undefined, { maximumFractionDigits: 1 })})`}
          </span>
        </div>
      </div>

      <section className="card scoring-section" aria-labelledby="matrix-title">
        <h2 className="section-title" id="matrix-title">
          Band changes
        </h2>
        <p className="section-description">Rows: the band now (published version). Columns: the band with the draft.</p>
        <BandMatrix w={w} />
      </section>

      <div className="scoring-two">
        <section className="card scoring-section" aria-labelledby="mql-title">
          <h2 className="section-title" id="mql-title">
            New MQLs per week
          </h2>
          {w.mql.criterion ? (
            <>
              <p className="section-description">
                Contacts crossing{' '}
                {w.mql.criterion.rules.map((r) => (r.gte !== null ? `score ≥ ${r.gte}` : `band ${r.bands?.join('/')}`)).join(' or ')}
                {w.mql.criterion.source === 'lifecycle_rule' ? ` (stage rule “${w.mql.criterion.rules[0]?.name ?? ''}”)` : ''} each week,
                who were not MQLs yet.
              </p>
              <ScoringBarChart
                categories={categories}
                series={series}
                label={`New MQLs per week: ${series.map((s) => `${s.name} ${s.values.join(', ')}`).join('; ')}`}
              />
            </>
          ) : (
            <p className="muted scoring-empty">
              No lifecycle stage rule makes MQLs from this model’s score. Enter a threshold above to count them.
            </p>
          )}
        </section>
        <section className="card scoring-section" aria-labelledby="queues-title">
          <h2 className="section-title" id="queues-title">
            Reps’ queues
          </h2>
          <p className="section-description">
            Where the routing rules would send the draft’s new MQLs today
            {w.routing.simulated < w.routing.of ? ` (the ${w.routing.simulated} highest scores of ${w.routing.of})` : ''}. Nothing is
            assigned.
          </p>
          {w.routing.reps.length + w.routing.queues.length === 0 ? (
            <p className="muted scoring-empty">{w.mql.criterion ? 'No new MQLs to route.' : 'Needs an MQL criterion.'}</p>
          ) : (
            <table className="table" aria-label="Reps' queues">
              <thead>
                <tr>
                  <th scope="col">Rep or queue</th>
                  <th scope="col" className="cell-number">
                    New leads
                  </th>
                </tr>
              </thead>
              <tbody>
                {w.routing.reps.map((r) => (
                  <tr key={r.repId} data-rep={r.name}>
                    <td>{r.name}</td>
                    <td className="cell-number value-number">{r.leads}</td>
                  </tr>
                ))}
                {w.routing.queues.map((r) => (
                  <tr key={r.queue}>
                    <td>
                      Queue <b>{r.queue}</b>
                    </td>
                    <td className="cell-number value-number">{r.leads}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      </div>
    </div>
  );
}

function BandMatrix({ w }: { w: WhatIf }) {
  const cell = new Map(w.matrix.map((c) => [`${c.from}\u0000${c.to}`, c.contacts]));
  const rows = w.bands.filter((b) => w.matrix.some((c) => c.from === b));
  const cols = w.bands.filter((b) => w.matrix.some((c) => c.to === b) || rows.includes(b));
  if (w.contacts === 0) return <p className="muted scoring-empty">No contacts to score yet.</p>;
  return (
    <div className="table-scroll">
      <table className="table scoring-matrix" aria-label="Band changes">
        <thead>
          <tr>
            <th scope="col">Now ↓ / draft →</th>
            {cols.map((c) => (
              <th key={c} scope="col" className="cell-number">
                {c === 'none' ? 'unscored' : c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r}>
              <th scope="row">{r === 'none' ? 'unscored' : r}</th>
              {cols.map((c) => {
                const n = cell.get(`${r}\u0000${c}`) ?? 0;
                return (
                  <td
                    key={c}
                    className={`cell-number value-number${r === c ? ' scoring-same' : n ? ' scoring-moved' : ''}`}
                    data-cell={`${r}-${c}`}
                  >
                    {n ? n.toLocaleString() : <span className="muted">·</span>}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
