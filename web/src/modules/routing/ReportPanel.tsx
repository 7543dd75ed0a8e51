import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { api } from '../../lib/api.js';
import { EmptyState, ErrorState } from '../../ui/EmptyState.js';
import { TextField } from '../../ui/Field.js';
import { LoadingState } from '../../ui/Spinner.js';
import { chartColors, RoutingBarChart } from './RoutingBarChart.js';
import { minutesLabel, pct, routingReportSchema, type RoutingReport } from './routing-queries.js';

const day = (d: Date) => d.toISOString().slice(0, 10);

/**
 * The feedback report over leads assigned in a period: acceptance, why reps rejected leads, how
 * fast they responded, and which reps, sources and score bands turn into sales-qualified leads.
 */
export function ReportPanel() {
  const [from, setFrom] = useState(() => day(new Date(Date.now() - 29 * 86_400_000)));
  const [to, setTo] = useState(() => day(new Date()));
  const valid = /^\d{4}-\d{2}-\d{2}$/.test(from) && /^\d{4}-\d{2}-\d{2}$/.test(to) && from <= to;
  const report = useQuery({
    queryKey: ['routing', 'report', from, to],
    enabled: valid,
    queryFn: () =>
      api.get('/routing/report', routingReportSchema, {
        from: `${from}T00:00:00Z`,
        to: new Date(Date.parse(`${to}T00:00:00Z`) + 86_400_000).toISOString(),
      }),
  });

  return (
    <section aria-label="Feedback report" className="rt-report">
      <div className="toolbar rt-toolbar">
        <TextField label="From" type="date" value={from} onChange={setFrom} fieldClassName="toolbar-filter" />
        <TextField
          label="To"
          type="date"
          value={to}
          onChange={setTo}
          fieldClassName="toolbar-filter"
          error={valid ? undefined : 'Pick a start on or before the end'}
        />
      </div>
      {report.isError ? (
        <ErrorState error={report.error} onRetry={() => void report.refetch()} />
      ) : !valid ? null : report.isPending ? (
        <LoadingState label="Working out the report…" />
      ) : report.data.totals.assigned === 0 ? (
        <EmptyState icon="gauge" title="No leads assigned in this period">
          The report counts leads routed to a rep between these dates: what they accepted or rejected and why, how fast, and which became
          sales-qualified.
        </EmptyState>
      ) : (
        <ReportBody r={report.data} />
      )}
    </section>
  );
}

function ReportBody({ r }: { r: RoutingReport }) {
  const t = r.totals;
  const reasons = useMemo(
    () => ({
      cats: r.rejectionReasons.map((x) => x.reason),
      vals: [{ name: 'Rejected', color: chartColors.danger, values: r.rejectionReasons.map((x) => x.count) }],
    }),
    [r],
  );
  const conv = (rows: RoutingReport['bySource'], name: string) => ({
    cats: rows.map((x) => x.label),
    vals: [{ name, color: chartColors.accent, values: rows.map((x) => (x.rate === null ? null : Math.round(x.rate * 1000) / 10)) }],
  });
  const bySource = useMemo(() => conv(r.bySource, 'Converted'), [r]);
  const byBand = useMemo(() => conv(r.byBand, 'Converted'), [r]);
  const fmtPct = (v: number) => `${v}%`;
  const anyConverted = r.bySource.some((x) => x.converted > 0);
  return (
    <>
      <dl className="rt-stats">
        <div className="card rt-stat">
          <dt>Leads assigned</dt>
          <dd>{t.assigned.toLocaleString()}</dd>
          <p className="rt-stat-note">
            {t.accepted} accepted · {t.rejected} rejected · {t.open} waiting
            {t.movedOn > 0 && ` · ${t.movedOn} handled (contact moved on)`}
          </p>
        </div>
        <div className="card rt-stat">
          <dt>Acceptance rate</dt>
          <dd>{pct(t.acceptanceRate)}</dd>
          <p className="rt-stat-note">of leads reps decided on</p>
        </div>
        <div className="card rt-stat">
          <dt>Median time to first touch</dt>
          <dd>{minutesLabel(r.timeToFirstTouch.medianMinutes)}</dd>
          <p className="rt-stat-note">assignment to accept or reject</p>
        </div>
        <div className="card rt-stat">
          <dt>Slowest 10% take over</dt>
          <dd>{minutesLabel(r.timeToFirstTouch.p90Minutes)}</dd>
          <p className="rt-stat-note">mean {minutesLabel(r.timeToFirstTouch.avgMinutes)}</p>
        </div>
      </dl>
      <div className="rt-grid">
        <div className="card rt-card">
          <h2 className="section-title">Rejection reasons</h2>
          {reasons.cats.length === 0 ? (
            <p className="muted rt-chart-empty">No lead was rejected in this period.</p>
          ) : (
            <RoutingBarChart
              horizontal
              categories={reasons.cats}
              series={reasons.vals}
              label={`Rejection reasons: ${r.rejectionReasons.map((x) => `${x.reason} ${x.count}`).join(', ')}`}
            />
          )}
        </div>
        <div className="card rt-card">
          <h2 className="section-title">Conversion by score band</h2>
          {!r.modelId ? (
            <p className="muted rt-chart-empty">No scoring model is published yet: publish one to see which bands convert.</p>
          ) : !anyConverted ? (
            <p className="muted rt-chart-empty">None of these leads has reached SQL yet.</p>
          ) : (
            <RoutingBarChart
              categories={byBand.cats}
              series={byBand.vals}
              format={fmtPct}
              max={100}
              label={`Conversion by band: ${r.byBand.map((x) => `${x.label} ${pct(x.rate)}`).join(', ')}`}
            />
          )}
        </div>
        <div className="card rt-card">
          <h2 className="section-title">Conversion by source</h2>
          {!anyConverted ? (
            <p className="muted rt-chart-empty">None of these leads has reached SQL yet.</p>
          ) : (
            <RoutingBarChart
              horizontal
              categories={bySource.cats}
              series={bySource.vals}
              format={fmtPct}
              max={100}
              label={`Conversion by source: ${r.bySource.map((x) => `${x.label} ${pct(x.rate)}`).join(', ')}`}
            />
          )}
        </div>
      </div>
      <div className="card table-card rt-card-table">
        <div className="table-scroll">
          <table className="table" aria-label="By rep">
            <thead>
              <tr>
                <th scope="col">Rep</th>
                <th scope="col" className="cell-number">
                  Assigned
                </th>
                <th scope="col" className="cell-number">
                  Accepted
                </th>
                <th scope="col" className="cell-number">
                  Rejected
                </th>
                <th scope="col" className="cell-number">
                  Acceptance
                </th>
                <th scope="col" className="cell-number hide-sm">
                  Median first touch
                </th>
                <th scope="col" className="cell-number">
                  Converted
                </th>
              </tr>
            </thead>
            <tbody>
              {r.byRep.map((x) => (
                <tr key={x.key}>
                  <td className="cell-primary">{x.label}</td>
                  <td className="cell-number">{x.assigned}</td>
                  <td className="cell-number">{x.accepted}</td>
                  <td className="cell-number">{x.rejected}</td>
                  <td className="cell-number">{pct(x.acceptanceRate)}</td>
                  <td className="cell-number hide-sm">{minutesLabel(x.medianMinutesToFirstTouch)}</td>
                  <td className="cell-number">
                    {x.converted} <span className="cell-secondary">({pct(x.rate)})</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
      <p className="muted rt-footnote">
        Converted: the contact reached SQL, opportunity or customer after it was assigned. Bands are today’s, in{' '}
        {r.modelId ? 'the oldest published scoring model' : 'no scoring model (none is published)'}.
      </p>
    </>
  );
}
