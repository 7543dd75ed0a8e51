import { useQuery } from '@tanstack/react-query';
import { Link, useNavigate } from '@tanstack/react-router';
import { z } from 'zod';
import { routingLogEntrySchema, routingLogKinds, type RoutingLogKind } from '../../../../src/modules/routing/routing.schema.js';
import { api } from '../../lib/api.js';
import { formatDateTime } from '../../lib/format.js';
import { useCursorList, type Page } from '../../lib/use-cursor-list.js';
import { Badge } from '../../ui/Badge.js';
import { Button } from '../../ui/Button.js';
import { EmptyState, ErrorState } from '../../ui/EmptyState.js';
import { SelectField, TextField } from '../../ui/Field.js';
import { LoadMore } from '../../ui/LoadMore.js';
import { SkeletonRows } from '../../ui/Spinner.js';
import { logKindLabel, logKindTone } from './contact-lifecycle-queries.js';
import { fetchReps } from './routing-queries.js';

type Entry = z.infer<typeof routingLogEntrySchema>;
const logPageSchema = z.object({ data: z.array(routingLogEntrySchema), nextCursor: z.string().nullable() });
const PAGE = 50;
const DAY = 86_400_000;

/** The log's filters, as the URL holds them: a rep, a kind, and a range of days (UTC, both inclusive). */
export interface RoutingLogFilters {
  rep?: string;
  kind?: RoutingLogKind;
  from?: string;
  to?: string;
}

const fetchLog = (f: RoutingLogFilters, cursor: string | undefined): Promise<Page<Entry>> =>
  api.get('/routing/log', logPageSchema, {
    assignedTo: f.rep,
    kind: f.kind,
    from: f.from ? `${f.from}T00:00:00Z` : undefined,
    // The last day picked counts whole: the API's `to` is exclusive.
    to: f.to ? new Date(Date.parse(`${f.to}T00:00:00Z`) + DAY).toISOString() : undefined,
    limit: PAGE,
    cursor,
  });

/**
 * Every routing decision of the workspace, newest first: who got which lead by which rule, reps'
 * accepts and rejects, releases and SLA reminders and escalations; filtered by rep, kind and days,
 * all kept in the URL, paged by the API's cursor.
 */
export function RoutingLog({ filters }: { filters: RoutingLogFilters }) {
  const navigate = useNavigate();
  const reps = useQuery({ queryKey: ['routing', 'reps'], queryFn: fetchReps });
  const badRange = Boolean(filters.from && filters.to && filters.from > filters.to);
  const log = useCursorList(['routing', 'log', 'workspace', filters], (cursor) =>
    badRange ? Promise.resolve({ data: [], nextCursor: null }) : fetchLog(filters, cursor),
  );
  const set = (next: RoutingLogFilters) => void navigate({ to: '/routing', search: { tab: 'log', ...filters, ...next }, replace: true });
  const filtered = Boolean(filters.rep || filters.kind || filters.from || filters.to);

  return (
    <section aria-label="Routing log">
      <div className="toolbar rt-toolbar">
        <SelectField
          label="Rep"
          fieldClassName="toolbar-filter"
          value={filters.rep ?? ''}
          onChange={(v) => set({ rep: v || undefined })}
          options={[{ value: '', label: 'All reps' }, ...(reps.data?.data ?? []).map((r) => ({ value: r.userId, label: r.name }))]}
        />
        <SelectField
          label="Kind"
          fieldClassName="toolbar-filter"
          value={filters.kind ?? ''}
          onChange={(v) => set({ kind: routingLogKinds.find((k) => k === v) })}
          options={[{ value: '', label: 'All kinds' }, ...routingLogKinds.map((k) => ({ value: k, label: logKindLabel[k] }))]}
        />
        <TextField
          label="From"
          type="date"
          value={filters.from ?? ''}
          onChange={(v) => set({ from: v || undefined })}
          fieldClassName="toolbar-filter"
        />
        <TextField
          label="To"
          type="date"
          value={filters.to ?? ''}
          onChange={(v) => set({ to: v || undefined })}
          fieldClassName="toolbar-filter"
          error={badRange ? 'Pick an end on or after the start' : undefined}
        />
        {filtered && (
          <Button size="sm" onClick={() => void navigate({ to: '/routing', search: { tab: 'log' }, replace: true })}>
            Clear filters
          </Button>
        )}
      </div>
      {log.isError ? (
        <ErrorState error={log.error} onRetry={() => void log.refetch()} />
      ) : !log.isPending && log.items.length === 0 ? (
        filtered ? (
          <EmptyState icon="filter" title="No entries match these filters">
            Widen the dates, or pick another rep or kind.
          </EmptyState>
        ) : (
          <EmptyState icon="list" title="No routing decisions yet">
            Each lead routed to a rep or a queue is logged here with the rule that fired and why the others did not, and so is every accept,
            reject, release and SLA reminder or escalation.
          </EmptyState>
        )
      ) : (
        <div className="card table-card">
          <div className="table-scroll">
            <table className="table rt-log" aria-label="Routing log entries" aria-busy={log.isPending || log.isRefetching || undefined}>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">What</th>
                  <th scope="col">Lead</th>
                  <th scope="col">Rep or queue</th>
                  <th scope="col" className="hide-sm">
                    Why
                  </th>
                </tr>
              </thead>
              <tbody>{log.isPending ? <SkeletonRows cols={5} rows={6} /> : log.items.map((e) => <LogRow key={e.id} entry={e} />)}</tbody>
            </table>
          </div>
          <LoadMore count={log.items.length} noun="event" hasMore={log.hasMore} loading={log.isLoadingMore} onLoadMore={log.loadMore} />
        </div>
      )}
    </section>
  );
}

function LogRow({ entry: e }: { entry: Entry }) {
  const lead = e.contactName || e.contactEmail || 'Unnamed contact';
  return (
    <tr data-log-kind={e.kind}>
      <td className="nowrap">
        <time dateTime={e.at} title={formatDateTime(e.at, true)}>
          {formatDateTime(e.at)}
        </time>
      </td>
      <td className="nowrap">
        <Badge tone={logKindTone[e.kind]}>{logKindLabel[e.kind]}</Badge>
        {e.rule && <div className="cell-secondary">Rule “{e.rule}”</div>}
      </td>
      <td className="cell-name">
        <Link to="/contacts/$id" params={{ id: e.contactId }} className="cell-primary">
          {lead}
        </Link>
        {e.contactName && e.contactEmail && <div className="cell-secondary cell-truncate">{e.contactEmail}</div>}
      </td>
      <td>{e.assignedToName ?? (e.queue ? `Queue ${e.queue}` : <span className="muted">—</span>)}</td>
      <td className="hide-sm cell-secondary rt-log-reason">{e.reason}</td>
    </tr>
  );
}
