import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { useState } from 'react';
import { api } from '../../lib/api.js';
import { formatDateTime, formatRelative } from '../../lib/format.js';
import { useCan } from '../../lib/session.js';
import { Button } from '../../ui/Button.js';
import { EmptyState, ErrorState } from '../../ui/EmptyState.js';
import { ProblemAlert } from '../../ui/ProblemAlert.js';
import { LoadingState } from '../../ui/Spinner.js';
import { useToast } from '../../ui/Toast.js';
import {
  HISTORY_DAYS,
  qualityHistoryQuery,
  qualitySnapshotSchema,
  qualitySummaryQuery,
  type FillRate,
  type QualityProblem,
  type QualitySummary,
} from './quality-queries.js';
import { QualityTrendChart } from './QualityTrendChart.js';

const TOP_PROBLEMS = 8;

export function scoreTone(score: number | null): 'good' | 'fair' | 'poor' | 'none' {
  if (score === null) return 'none';
  return score >= 80 ? 'good' : score >= 50 ? 'fair' : 'poor';
}

const pct = (share: number) => `${Math.round(share * 100)}%`;

/** The workspace's data quality at a glance: score, its trend, what to fix first, and how full each field is. */
export function QualityOverview() {
  const summary = useQuery(qualitySummaryQuery);
  if (summary.isError) return <ErrorState error={summary.error} onRetry={() => void summary.refetch()} />;
  if (!summary.data) return <LoadingState label="Measuring data quality…" />;
  const s = summary.data;
  if (s.contacts === 0 && s.accounts === 0) {
    return (
      <div className="card">
        <EmptyState icon="user" title="No contacts to measure yet">
          Add or import contacts and their quality score, problems and fill rates show here.
        </EmptyState>
      </div>
    );
  }
  return (
    <div className="dq-overview">
      <div className="dq-overview-top">
        <ScoreCard summary={s} />
        <TrendCard />
      </div>
      <div className="dq-overview-grid">
        <ProblemsCard problems={s.problems} contacts={s.contacts} />
        <FillRatesCard summary={s} />
      </div>
    </div>
  );
}

function ScoreCard({ summary: s }: { summary: QualitySummary }) {
  const tone = scoreTone(s.score);
  const most = Math.max(1, ...s.bands.map((b) => b.contacts));
  return (
    <section className="card dq-card dq-score-card" aria-labelledby="dq-score-title">
      <h2 className="dq-card-title" id="dq-score-title">
        Quality score
      </h2>
      <p className={`dq-score dq-score-${tone}`}>
        <span className="dq-score-value" data-testid="quality-score">
          {s.score === null ? '–' : Math.round(s.score)}
        </span>
        <span className="dq-score-max">/ 100</span>
      </p>
      <p className="dq-score-note">
        The mean of {s.contacts.toLocaleString()} {s.contacts === 1 ? 'contact' : 'contacts'}: how complete each is, discounted by how many
        of its values are wrong.
      </p>
      <dl className="dq-stats">
        <div>
          <dt>Completeness</dt>
          <dd>{s.completeness === null ? '–' : Math.round(s.completeness)}</dd>
        </div>
        <div>
          <dt>Validity</dt>
          <dd>{s.validity === null ? '–' : Math.round(s.validity)}</dd>
        </div>
        <div>
          <dt>Going stale</dt>
          <dd title={`No activity for ${s.stale.staleDays} days, a bounced email, or a job change within ${s.stale.jobChangeDays} days`}>
            {s.stale.contacts.toLocaleString()}
          </dd>
        </div>
      </dl>
      <h3 className="dq-subtitle">Contacts by score</h3>
      <ul className="dq-bands" aria-label="Contacts by score">
        {s.bands.map((b) => (
          <li key={b.from}>
            <Link
              to="/contacts"
              search={{ filter: b.filter }}
              className="dq-band"
              aria-label={`Score ${b.from} to ${b.to}: ${b.contacts} ${b.contacts === 1 ? 'contact' : 'contacts'}`}
            >
              <span className="dq-band-bar">
                <span className={`dq-band-fill dq-score-${scoreTone(b.from)}`} style={{ height: `${(b.contacts / most) * 100}%` }} />
              </span>
              <span className="dq-band-count">{b.contacts.toLocaleString()}</span>
              <span className="dq-band-label">
                {b.from}–{b.to}
              </span>
            </Link>
          </li>
        ))}
      </ul>
    </section>
  );
}

function TrendCard() {
  const can = useCan();
  const qc = useQueryClient();
  const toast = useToast();
  const history = useQuery(qualityHistoryQuery);
  const snapshot = useMutation({
    mutationFn: () => api.post('/quality/snapshot', qualitySnapshotSchema),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ['quality'] });
      toast('Today’s snapshot was recorded');
    },
  });
  const points = history.data ?? [];
  const last = points[points.length - 1];
  return (
    <section className="card dq-card dq-trend-card" aria-labelledby="dq-trend-title">
      <div className="dq-card-head">
        <div>
          <h2 className="dq-card-title" id="dq-trend-title">
            Score over the last {HISTORY_DAYS} days
          </h2>
          <p className="dq-card-note">
            {last ? (
              <>
                One snapshot a day; the latest <time dateTime={last.takenAt}>{formatRelative(last.takenAt).toLowerCase()}</time> (
                {formatDateTime(last.takenAt)}).
              </>
            ) : (
              'One snapshot a day, taken just after midnight (UTC).'
            )}
          </p>
        </div>
        {can('quality.snapshot') && (
          <Button size="sm" icon="refresh" busy={snapshot.isPending} onClick={() => snapshot.mutate()}>
            Snapshot now
          </Button>
        )}
      </div>
      <ProblemAlert error={snapshot.error} />
      {history.isError ? (
        <ErrorState error={history.error} onRetry={() => void history.refetch()} />
      ) : !history.data ? (
        <LoadingState />
      ) : points.length === 0 ? (
        <p className="dq-chart-empty muted">No snapshots yet. The first one is taken tonight{can('quality.snapshot') ? ', or now' : ''}.</p>
      ) : (
        <QualityTrendChart points={points} days={HISTORY_DAYS} />
      )}
    </section>
  );
}

function ProblemsCard({ problems, contacts }: { problems: QualityProblem[]; contacts: number }) {
  const [all, setAll] = useState(false);
  const found = problems.filter((p) => p.count > 0);
  const shown = all ? found : found.slice(0, TOP_PROBLEMS);
  return (
    <section className="card dq-card" aria-labelledby="dq-problems-title">
      <h2 className="dq-card-title" id="dq-problems-title">
        Top problems
      </h2>
      <p className="dq-card-note">Most frequent first. Open one to see exactly those contacts, and fix them there.</p>
      {found.length === 0 ? (
        <p className="dq-none">No problems found in {contacts.toLocaleString()} contacts.</p>
      ) : (
        <ol className="dq-problems" aria-label="Top problems">
          {shown.map((p) => (
            <li key={p.key} data-problem={p.key}>
              <Link to="/contacts" search={{ filter: p.filter }} className="dq-problem">
                <span className={`dq-problem-kind dq-kind-${p.kind}`}>{kindLabel[p.kind]}</span>
                <span className="dq-problem-label">{p.label}</span>
                <span className="dq-problem-count" data-testid="problem-count">
                  {p.count.toLocaleString()}
                </span>
                <span className="dq-problem-share" aria-hidden="true">
                  <span className="dq-problem-share-fill" style={{ width: pct(p.share) }} />
                </span>
                <span className="dq-problem-pct">{pct(p.share)}</span>
              </Link>
            </li>
          ))}
        </ol>
      )}
      {found.length > TOP_PROBLEMS && (
        <div className="dq-card-foot">
          <Button size="sm" variant="ghost" onClick={() => setAll((a) => !a)}>
            {all ? 'Show the top ones' : `Show all ${found.length} problems`}
          </Button>
        </div>
      )}
    </section>
  );
}

const kindLabel: Record<QualityProblem['kind'], string> = { completeness: 'Missing', validity: 'Invalid', stale: 'Stale' };

function FillRatesCard({ summary: s }: { summary: QualitySummary }) {
  const [object, setObject] = useState<'contacts' | 'accounts'>('contacts');
  const rates: FillRate[] = s.fillRates[object];
  const total = object === 'contacts' ? s.contacts : s.accounts;
  return (
    <section className="card dq-card" aria-labelledby="dq-fill-title">
      <div className="dq-card-head">
        <h2 className="dq-card-title" id="dq-fill-title">
          Field fill rates
        </h2>
        <div className="dq-switch" role="group" aria-label="Fill rates of">
          {(['contacts', 'accounts'] as const).map((o) => (
            <button key={o} type="button" className="dq-switch-btn" aria-pressed={object === o} onClick={() => setObject(o)}>
              {o === 'contacts' ? 'Contacts' : 'Accounts'}
            </button>
          ))}
        </div>
      </div>
      <p className="dq-card-note">
        Share of the {total.toLocaleString()} {object} with a value in each field.
      </p>
      {total === 0 ? (
        <p className="dq-none">No {object} yet.</p>
      ) : (
        <ul className="dq-fill" aria-label={`Fill rates of ${object}`}>
          {rates.map((f) => (
            <li key={f.field} className="dq-fill-row" data-field={f.field}>
              <span className="dq-fill-label" title={f.custom ? 'Custom field' : undefined}>
                {f.label}
              </span>
              <span
                className="dq-fill-bar"
                role="meter"
                aria-label={f.label}
                aria-valuemin={0}
                aria-valuemax={100}
                aria-valuenow={Math.round(f.rate * 100)}
                aria-valuetext={`${pct(f.rate)}: ${f.filled} of ${total}`}
              >
                <span className={`dq-fill-fill${f.rate < 0.5 ? ' dq-fill-low' : ''}`} style={{ width: pct(f.rate) }} />
              </span>
              <span className="dq-fill-pct">{pct(f.rate)}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
