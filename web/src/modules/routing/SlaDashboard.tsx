import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { api } from '../../lib/api.js';
import { formatDateTime } from '../../lib/format.js';
import { useCan } from '../../lib/session.js';
import { useCursorList } from '../../lib/use-cursor-list.js';
import { Badge } from '../../ui/Badge.js';
import { EmptyState, ErrorState } from '../../ui/EmptyState.js';
import { SelectField } from '../../ui/Field.js';
import { LoadMore } from '../../ui/LoadMore.js';
import { LoadingState, SkeletonRows } from '../../ui/Spinner.js';
import { ChartLegend, chartColors, RoutingBarChart } from './RoutingBarChart.js';
import { dueIn, fetchSlaSettings, slaOverviewSchema, slaStateLabel, slaTone, type SlaState } from './routing-queries.js';
import { SlaSettingsPanel } from './SlaSettingsPanel.js';

const PAGE = 25;
const legend = [
  { name: 'On track', color: chartColors.success },
  { name: 'At risk', color: chartColors.warning },
  { name: 'Breached', color: chartColors.danger },
];

/** Open leads under an SLA: counts, a bar per rep, and the leads soonest due first. */
export function SlaDashboard() {
  const can = useCan();
  const [state, setState] = useState<SlaState | 'all'>('all');
  const [ownerId, setOwnerId] = useState('');
  const settings = useQuery({ queryKey: ['routing', 'sla-settings'], queryFn: fetchSlaSettings });
  const overview = useQuery({
    queryKey: ['routing', 'sla', 'overview'],
    queryFn: () => api.get('/routing/sla', slaOverviewSchema, { limit: 1 }),
    refetchInterval: 60_000,
  });
  const list = useCursorList(['routing', 'sla', 'list', state, ownerId], (cursor) =>
    api.get('/routing/sla', slaOverviewSchema, { state, ownerId: ownerId || undefined, limit: PAGE, cursor }),
  );
  const perRep = overview.data?.perRep ?? [];
  const chartSeries = useMemo(
    () =>
      [
        { ...legend[0], values: perRep.map((r) => r.onTrack) },
        { ...legend[1], values: perRep.map((r) => r.atRisk) },
        { ...legend[2], values: perRep.map((r) => r.breached) },
      ].map((s) => ({ name: s.name ?? '', color: s.color ?? '', values: s.values })),
    [perRep],
  );
  const categories = useMemo(() => perRep.map((r) => r.ownerName), [perRep]);

  if (settings.isError) return <ErrorState error={settings.error} onRetry={() => void settings.refetch()} />;
  if (settings.isPending) return <LoadingState />;
  const noSlas = settings.data.slas.length === 0;
  const s = overview.data?.summary;

  return (
    <section aria-label="SLA dashboard" className="rt-sla-dashboard">
      {noSlas ? (
        <EmptyState icon="gauge" title="No SLAs yet">
          Set how long reps have to accept or reject a lead in each stage (for example, an MQL within four working hours). Reps are reminded
          before the time is up and their manager is told when it passes.
        </EmptyState>
      ) : (
        <>
          <dl className="rt-stats" aria-busy={overview.isPending || undefined}>
            <Stat label="Open leads under SLA" value={s?.open} />
            <Stat label="On track" value={s?.onTrack} tone="success" />
            <Stat label="At risk" value={s?.atRisk} tone="warning" />
            <Stat label="Breached" value={s?.breached} tone="danger" />
          </dl>
          <div className="card rt-card">
            <div className="rt-card-head">
              <h2 className="section-title">Per rep</h2>
              <ChartLegend series={legend} />
            </div>
            {overview.isError ? (
              <ErrorState error={overview.error} onRetry={() => void overview.refetch()} />
            ) : perRep.length === 0 ? (
              <p className="muted rt-chart-empty">{overview.isPending ? 'Loading…' : 'No open leads with an SLA right now.'}</p>
            ) : (
              <RoutingBarChart
                horizontal
                categories={categories}
                series={chartSeries}
                label={`Open leads per rep: ${perRep.map((r) => `${r.ownerName} ${r.onTrack} on track, ${r.atRisk} at risk, ${r.breached} breached`).join('; ')}`}
              />
            )}
          </div>
          <div className="toolbar rt-toolbar">
            <SelectField
              label="State"
              fieldClassName="toolbar-filter"
              value={state}
              onChange={(v) => setState(v as SlaState | 'all')}
              options={[
                { value: 'all', label: 'All open leads' },
                { value: 'breached', label: 'Breached' },
                { value: 'at_risk', label: 'At risk' },
                { value: 'on_track', label: 'On track' },
              ]}
            />
            <SelectField
              label="Rep"
              fieldClassName="toolbar-filter"
              value={ownerId}
              onChange={setOwnerId}
              options={[{ value: '', label: 'All reps' }, ...perRep.map((r) => ({ value: r.ownerId, label: r.ownerName }))]}
            />
          </div>
          {list.isError ? (
            <ErrorState error={list.error} onRetry={() => void list.refetch()} />
          ) : !list.isPending && list.items.length === 0 ? (
            <EmptyState icon="check" title="Nothing here">
              No open leads match these filters.
            </EmptyState>
          ) : (
            <div className="card table-card">
              <div className="table-scroll">
                <table className="table" aria-label="Leads under SLA" aria-busy={list.isPending || undefined}>
                  <thead>
                    <tr>
                      <th scope="col">Lead</th>
                      <th scope="col">Rep</th>
                      <th scope="col" className="hide-sm">
                        Stage
                      </th>
                      <th scope="col">Due</th>
                      <th scope="col" className="hide-sm">
                        Reminder / escalation
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {list.isPending ? (
                      <SkeletonRows cols={5} rows={4} />
                    ) : (
                      list.items.map((l) => (
                        <tr key={l.assignmentId} data-sla-state={l.state}>
                          <td className="cell-name">
                            <span className="cell-primary">{l.contactName || l.contactEmail || 'Unnamed contact'}</span>
                            {l.contactName && <div className="cell-secondary cell-truncate">{l.contactEmail}</div>}
                          </td>
                          <td className="nowrap">{l.ownerName}</td>
                          <td className="hide-sm">{l.stage}</td>
                          <td className="nowrap" title={l.dueAt ? formatDateTime(l.dueAt) : undefined}>
                            <Badge tone={slaTone[l.state]} dot>
                              {slaStateLabel[l.state]}
                            </Badge>{' '}
                            <span className="cell-secondary">{dueIn(l.dueAt)}</span>
                          </td>
                          <td className="hide-sm cell-secondary">
                            {l.remindedAt ? `Reminded ${formatDateTime(l.remindedAt)}` : '—'}
                            {l.escalatedAt && <div>Escalated {formatDateTime(l.escalatedAt)}</div>}
                          </td>
                        </tr>
                      ))
                    )}
                  </tbody>
                </table>
              </div>
              <LoadMore
                count={list.items.length}
                noun="lead"
                hasMore={list.hasMore}
                loading={list.isLoadingMore}
                onLoadMore={list.loadMore}
              />
            </div>
          )}
        </>
      )}
      <SlaSettingsPanel settings={settings.data} canEdit={can('routing.sla_configure')} />
    </section>
  );
}

function Stat({ label, value, tone }: { label: string; value: number | undefined; tone?: 'success' | 'warning' | 'danger' }) {
  return (
    <div className={`card rt-stat${tone ? ` rt-stat-${tone}` : ''}`}>
      <dt>{label}</dt>
      <dd>{value === undefined ? '…' : value.toLocaleString()}</dd>
    </div>
  );
}
