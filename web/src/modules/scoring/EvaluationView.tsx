import { useMutation } from '@tanstack/react-query';
import { useMemo, useState, type FormEvent } from 'react';
import { api } from '../../lib/api.js';
import { Button } from '../../ui/Button.js';
import { ProblemAlert } from '../../ui/ProblemAlert.js';
import { Spinner } from '../../ui/Spinner.js';
import { ScoringBarChart } from './ScoringBarChart.js';
import { evaluationSchema, type Evaluation, type ScoringModel } from './scoring-queries.js';

const DAY = 86_400_000;
const dateInput = (d: Date) => d.toISOString().slice(0, 10);
const pct = (n: number | null) => (n === null ? '—' : `${(n * 100).toLocaleString(undefined, { maximumFractionDigits: 1 })}%`);

/**
 * How well a version's scores at the start of a past period predicted conversion during it: AUC,
 * lift by decile and conversion by band.
 */
export function EvaluationView({ model }: { model: ScoringModel }) {
  const today = new Date();
  const [from, setFrom] = useState(dateInput(new Date(today.getTime() - 60 * DAY)));
  const [to, setTo] = useState(dateInput(today));
  const [target, setTarget] = useState<'sql' | 'opportunity'>('sql');
  const [which, setWhich] = useState<string>(model.publishedVersion === null ? 'draft' : String(model.publishedVersion));
  const run = useMutation({
    mutationFn: () =>
      api.post(`/scoring/models/${model.id}/evaluate`, evaluationSchema, {
        from: `${from}T00:00:00Z`,
        to: `${to}T00:00:00Z`,
        target,
        ...(which === 'draft' ? { draft: true } : { version: Number(which) }),
      }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    run.mutate();
  };
  return (
    <div className="scoring-evaluation">
      <form className="card scoring-toolbar scoring-eval-form" onSubmit={submit} aria-label="Evaluation period">
        <label className="field scoring-inline-field">
          <span className="field-label">Version</span>
          <select className="input select input-sm" value={which} onChange={(e) => setWhich(e.target.value)}>
            {model.versions.map((v) => (
              <option key={v.version} value={v.version}>
                Version {v.version}
                {v.version === model.publishedVersion ? ' (live)' : ''}
              </option>
            ))}
            <option value="draft">Draft</option>
          </select>
        </label>
        <label className="field scoring-inline-field">
          <span className="field-label">Scores as of</span>
          <input className="input input-sm" type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
        </label>
        <label className="field scoring-inline-field">
          <span className="field-label">Conversions until</span>
          <input className="input input-sm" type="date" value={to} onChange={(e) => setTo(e.target.value)} />
        </label>
        <label className="field scoring-inline-field">
          <span className="field-label">Converting to</span>
          <select className="input select input-sm" value={target} onChange={(e) => setTarget(e.target.value as 'sql' | 'opportunity')}>
            <option value="sql">SQL or later</option>
            <option value="opportunity">Opportunity or later</option>
          </select>
        </label>
        <Button variant="primary" type="submit" disabled={run.isPending}>
          {run.isPending && <Spinner size={15} />}
          <span>Evaluate</span>
        </Button>
      </form>
      {run.isError && <ProblemAlert error={run.error} />}
      {run.data ? (
        <EvaluationResult e={run.data} />
      ) : (
        !run.isPending && (
          <p className="card scoring-empty muted">
            Pick a past period: each contact is scored as it stood at its start (activity before that day), then we see who reached the
            stage during it.
          </p>
        )
      )}
    </div>
  );
}

function aucWords(auc: number): string {
  if (auc >= 0.8) return 'strong: converters clearly score higher';
  if (auc >= 0.7) return 'useful: converters usually score higher';
  if (auc > 0.55) return 'weak: only a little better than chance';
  return 'no better than chance';
}

function EvaluationResult({ e }: { e: Evaluation }) {
  const deciles = useMemo(() => e.deciles.filter((d) => d.contacts > 0), [e]);
  const liftSeries = useMemo(
    () => [{ name: 'Lift', values: deciles.map((d) => (d.lift === null ? null : Math.round(d.lift * 100) / 100)) }],
    [deciles],
  );
  const liftCats = useMemo(() => deciles.map((d) => `${d.decile}`), [deciles]);
  const bandSeries = useMemo(
    () => [{ name: 'Conversion', values: e.bands.map((b) => (b.rate === null ? null : Math.round(b.rate * 1000) / 10)) }],
    [e],
  );
  const bandCats = useMemo(() => e.bands.map((b) => b.band), [e]);
  const fmtLift = useMemo(() => (n: number) => `${n.toLocaleString()}×`, []);
  const fmtPct = useMemo(() => (n: number) => `${n}%`, []);
  if (e.contacts === 0) {
    return (
      <p className="card scoring-empty muted">No contacts existed before that day who had not converted already. Pick an earlier start.</p>
    );
  }
  return (
    <div className="scoring-results">
      <div className="scoring-stats">
        <div className="card scoring-stat">
          <span className="scoring-stat-value" data-testid="auc">
            {e.auc === null ? '—' : e.auc.toFixed(2)}
          </span>
          <span className="muted">AUC{e.auc === null ? ': needs both converters and others' : ` — ${aucWords(e.auc)}`}</span>
        </div>
        <div className="card scoring-stat">
          <span className="scoring-stat-value">{e.converted.toLocaleString()}</span>
          <span className="muted">
            of {e.contacts.toLocaleString()} contacts converted ({pct(e.conversionRate)})
          </span>
        </div>
        <div className="card scoring-stat">
          <span className="scoring-stat-value">{deciles[0]?.lift === null || !deciles[0] ? '—' : `${deciles[0].lift?.toFixed(1)}×`}</span>
          <span className="muted">lift in the top tenth of scores</span>
        </div>
      </div>
      <div className="scoring-two">
        <section className="card scoring-section" aria-labelledby="lift-title">
          <h2 className="section-title" id="lift-title">
            Lift by decile
          </h2>
          <p className="section-description">
            Contacts by score, highest tenth first: how much likelier to convert than average (1× = average).
          </p>
          <ScoringBarChart
            categories={liftCats}
            series={liftSeries}
            reference={{ value: 1, name: 'average' }}
            format={fmtLift}
            label={`Lift by decile: ${liftSeries[0]?.values.join(', ') ?? ''}`}
          />
        </section>
        <section className="card scoring-section" aria-labelledby="band-title">
          <h2 className="section-title" id="band-title">
            Conversion by band
          </h2>
          <ScoringBarChart
            categories={bandCats}
            series={bandSeries}
            format={fmtPct}
            label={`Conversion by band: ${bandCats.map((b, i) => `${b} ${bandSeries[0]?.values[i] ?? '—'}%`).join(', ')}`}
          />
          <table className="table" aria-label="Conversion by band">
            <thead>
              <tr>
                <th scope="col">Band</th>
                <th scope="col" className="cell-number">
                  Contacts
                </th>
                <th scope="col" className="cell-number">
                  Converted
                </th>
                <th scope="col" className="cell-number">
                  Rate
                </th>
              </tr>
            </thead>
            <tbody>
              {e.bands.map((b) => (
                <tr key={b.band}>
                  <td>{b.band}</td>
                  <td className="cell-number value-number">{b.contacts.toLocaleString()}</td>
                  <td className="cell-number value-number">{b.converted.toLocaleString()}</td>
                  <td className="cell-number value-number">{pct(b.rate)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </div>
    </div>
  );
}
