import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { getRouteApi, Link } from '@tanstack/react-router';
import { useId, useMemo, useState } from 'react';
import { api } from '../../lib/api.js';
import { problemFieldErrors } from '../../lib/form.js';
import { formatDateTime, formatRelative } from '../../lib/format.js';
import { useCan } from '../../lib/session.js';
import { Badge } from '../../ui/Badge.js';
import { Button } from '../../ui/Button.js';
import { ConfirmDialog } from '../../ui/ConfirmDialog.js';
import { EmptyState, ErrorState } from '../../ui/EmptyState.js';
import { TextField } from '../../ui/Field.js';
import { Icon } from '../../ui/Icon.js';
import { PageHeader } from '../../ui/PageHeader.js';
import { ProblemAlert } from '../../ui/ProblemAlert.js';
import { Forbidden } from '../../ui/RouteStates.js';
import { LoadingState, SkeletonRows } from '../../ui/Spinner.js';
import { useToast } from '../../ui/Toast.js';
import { JsonView } from './JsonView.js';
import { emptySchema, rateLabel, schemaFromExample, schemaText, violationParts } from './plan-schema.js';
import {
  planEventSchema,
  streamPageSchema,
  trackingPlanQuery,
  type PlanEvent,
  type SeenEvent,
  type TrackingPlan,
} from './tracking-queries.js';
import './tracking.css';

const route = getRouteApi('/_app/tracking-plan');

export function TrackingPlanPage() {
  const can = useCan();
  const search = route.useSearch();
  if (!can('tracking.read')) return <Forbidden what="The tracking plan" />;
  const canManage = can('tracking.manage');
  if (search.add) return <PlanEventScreen key="+add" event={null} canManage={canManage} />;
  if (search.event) return <PlanEventScreen key={search.event} event={search.event} canManage={canManage} />;
  return <PlanOverview canManage={canManage} />;
}

const byName = (a: { event: string }, b: { event: string }) => a.event.localeCompare(b.event, undefined, { sensitivity: 'base' });

function PlanOverview({ canManage }: { canManage: boolean }) {
  const plan = useQuery(trackingPlanQuery);
  const rows = useMemo(() => {
    if (!plan.data) return null;
    const seen = new Map(plan.data.events.map((e) => [e.event, e]));
    return {
      planned: plan.data.planned.map((p) => ({ plan: p, stats: seen.get(p.event) })).sort((a, b) => byName(a.plan, b.plan)),
      unplanned: plan.data.events.filter((e) => !e.planned).sort(byName),
    };
  }, [plan.data]);
  const totals = useMemo(() => summary(plan.data), [plan.data]);

  return (
    <div className="page">
      <PageHeader
        title="Tracking plan"
        description="The events your sites and apps should send, each with a JSON Schema for its properties. Every track call is checked: violations are counted here with examples, or refused when the event blocks them."
        actions={
          <>
            <Link to="/events" className="btn btn-secondary">
              <Icon name="monitor" size={17} />
              <span>Live events</span>
            </Link>
            {canManage && (
              <Link to="/tracking-plan" search={{ add: true }} className="btn btn-primary">
                <Icon name="plus" size={17} />
                <span>Plan an event</span>
              </Link>
            )}
          </>
        }
      />

      {plan.isError ? (
        <ErrorState error={plan.error} onRetry={() => void plan.refetch()} />
      ) : (
        <>
          <dl className="card plan-summary" aria-label="Tracking plan summary">
            <div>
              <dt>Planned events</dt>
              <dd>{totals ? totals.planned : '–'}</dd>
            </div>
            <div>
              <dt>Not in the plan</dt>
              <dd className={totals?.unplanned ? 'plan-summary-warn' : undefined}>{totals ? totals.unplanned : '–'}</dd>
            </div>
            <div>
              <dt>Planned events sent</dt>
              <dd>{totals ? totals.checked.toLocaleString() : '–'}</dd>
            </div>
            <div>
              <dt>Violations</dt>
              <dd className={totals?.violations ? 'plan-summary-bad' : undefined}>
                {totals ? totals.violations.toLocaleString() : '–'}
                {totals && totals.checked > 0 && <span className="plan-summary-rate">{rateLabel(totals.violations, totals.checked)}</span>}
              </dd>
            </div>
          </dl>

          <section aria-labelledby="plan-planned" className="plan-section">
            <h2 className="plan-section-title" id="plan-planned">
              Planned events
            </h2>
            {rows?.planned.length === 0 ? (
              <div className="card">
                <EmptyState
                  icon="shield"
                  title="Nothing is planned yet"
                  action={
                    canManage && rows.unplanned.length > 0 ? (
                      <span className="muted">Start with an event below: “Add to plan” drafts its schema from the latest one sent.</span>
                    ) : undefined
                  }
                >
                  Plan the events your reports and segments rely on, and Keel checks every one sent against its schema.
                </EmptyState>
              </div>
            ) : (
              <div className="card table-card">
                <div className="table-scroll">
                  <table className="table plan-table" aria-label="Planned events" aria-busy={plan.isPending || undefined}>
                    <thead>
                      <tr>
                        <th scope="col">Event</th>
                        <th scope="col" className="plan-num">
                          Seen
                        </th>
                        <th scope="col" className="plan-violations-col">
                          Violations
                        </th>
                        <th scope="col" className="hide-sm">
                          Last seen
                        </th>
                        <th scope="col" className="col-actions">
                          <span className="sr-only">Actions</span>
                        </th>
                      </tr>
                    </thead>
                    <tbody>
                      {!rows ? (
                        <SkeletonRows cols={5} rows={3} />
                      ) : (
                        rows.planned.map(({ plan: p, stats }) => <PlannedRow key={p.event} plan={p} stats={stats} />)
                      )}
                    </tbody>
                  </table>
                </div>
              </div>
            )}
          </section>

          <section aria-labelledby="plan-unplanned" className="plan-section">
            <h2 className="plan-section-title" id="plan-unplanned">
              Seen but not in the plan
            </h2>
            {!rows ? (
              <LoadingState />
            ) : rows.unplanned.length === 0 ? (
              <p className="card plan-all-planned muted">
                {plan.data?.events.length ? 'Every event seen is in the plan.' : 'No track events have been received yet.'}
              </p>
            ) : (
              <div className="card table-card">
                <div className="table-scroll">
                  <table className="table plan-table" aria-label="Unplanned events">
                    <thead>
                      <tr>
                        <th scope="col">Event</th>
                        <th scope="col" className="plan-num">
                          Seen
                        </th>
                        <th scope="col" className="hide-sm">
                          First seen
                        </th>
                        <th scope="col">Last seen</th>
                        <th scope="col" className="col-actions">
                          <span className="sr-only">Actions</span>
                        </th>
                      </tr>
                    </thead>
                    <tbody>
                      {rows.unplanned.map((e) => (
                        <tr key={e.event} data-event={e.event}>
                          <td className="cell-name">
                            <Link to="/tracking-plan" search={{ event: e.event }} className="plan-event-link">
                              {e.event}
                            </Link>
                          </td>
                          <td className="plan-num">{e.seen.toLocaleString()}</td>
                          <td className="nowrap hide-sm">
                            <When at={e.firstSeenAt} />
                          </td>
                          <td className="nowrap">
                            <When at={e.lastSeenAt} />
                          </td>
                          <td className="col-actions">
                            {canManage && (
                              <Link
                                to="/tracking-plan"
                                search={{ event: e.event }}
                                className="btn btn-secondary btn-sm"
                                aria-label={`Add ${e.event} to the plan`}
                              >
                                <Icon name="plus" size={15} />
                                <span>Add to plan</span>
                              </Link>
                            )}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              </div>
            )}
          </section>
        </>
      )}
    </div>
  );
}

function summary(data: TrackingPlan | undefined) {
  if (!data) return null;
  const planned = data.events.filter((e) => e.planned);
  return {
    planned: data.planned.length,
    unplanned: data.events.filter((e) => !e.planned).length,
    checked: planned.reduce((n, e) => n + e.seen, 0),
    violations: planned.reduce((n, e) => n + e.violations, 0),
  };
}

function When({ at }: { at: string | null }) {
  if (!at) return <span className="muted">Never</span>;
  return (
    <time dateTime={at} title={formatDateTime(at, true)}>
      {formatRelative(at)}
    </time>
  );
}

function PlannedRow({ plan: p, stats }: { plan: PlanEvent; stats: SeenEvent | undefined }) {
  return (
    <tr data-event={p.event}>
      <td className="cell-name">
        <div className="cell-primary">
          <Link to="/tracking-plan" search={{ event: p.event }} className="plan-event-link">
            {p.event}
          </Link>
          {p.block ? (
            <Badge tone="warning">Blocks violations</Badge>
          ) : (
            <span className="plan-mode" title="Violations are stored and counted">
              Records violations
            </span>
          )}
        </div>
        {p.description && <div className="cell-secondary plan-description">{p.description}</div>}
      </td>
      <td className="plan-num">{(stats?.seen ?? 0).toLocaleString()}</td>
      <td className="plan-violations-col">
        <ViolationMeter stats={stats} />
      </td>
      <td className="nowrap hide-sm">
        <When at={stats?.lastSeenAt ?? null} />
      </td>
      <td className="col-actions">
        <Link to="/tracking-plan" search={{ event: p.event }} className="btn btn-ghost btn-sm" aria-label={`Open ${p.event}`}>
          Open
          <Icon name="chevronRight" size={15} />
        </Link>
      </td>
    </tr>
  );
}

/** Violations as a count and a bar of their share of what was sent, so the bad ones stand out down the column. */
function ViolationMeter({ stats }: { stats: SeenEvent | undefined }) {
  const seen = stats?.seen ?? 0;
  const violations = stats?.violations ?? 0;
  const share = seen > 0 ? violations / seen : 0;
  const tone = violations === 0 ? 'ok' : share >= 0.1 ? 'bad' : 'warn';
  return (
    <div className={`plan-meter plan-meter-${tone}`}>
      <span className="plan-meter-count">{violations.toLocaleString()}</span>
      <span
        className="plan-meter-bar"
        role="img"
        aria-label={seen ? `${rateLabel(violations, seen)} of ${seen.toLocaleString()} sent violate the schema` : 'Nothing sent yet'}
      >
        <span style={{ width: `${Math.max(share > 0 ? 4 : 0, Math.round(share * 100))}%` }} />
      </span>
      <span className="plan-meter-rate">{seen ? rateLabel(violations, seen) : '—'}</span>
      {stats && stats.blocked > 0 && <span className="plan-meter-blocked">{stats.blocked.toLocaleString()} refused</span>}
      {stats?.lastViolationAt && (
        <span className="plan-meter-last" title={formatDateTime(stats.lastViolationAt, true)}>
          last {formatRelative(stats.lastViolationAt).toLowerCase()}
        </span>
      )}
    </div>
  );
}

/** One event: its schema and block flag (editable), its counts, and the latest examples of violations. */
function PlanEventScreen({ event, canManage }: { event: string | null; canManage: boolean }) {
  const plan = useQuery(trackingPlanQuery);
  const planned = event ? plan.data?.planned.find((p) => p.event === event) : undefined;
  const stats = event ? plan.data?.events.find((e) => e.event === event) : undefined;
  // An event not yet planned starts from the properties of the latest one sent.
  const latest = useQuery({
    queryKey: ['tracking', 'latest-event', event],
    queryFn: async () => (await api.get('/events', streamPageSchema, { type: 'track', event: event ?? '', limit: 1 })).data[0] ?? null,
    enabled: Boolean(event) && plan.isSuccess && !planned,
  });
  const ready = plan.isSuccess && (planned || !event || !latest.isPending);
  const title = event ?? 'Plan an event';

  return (
    <div className="page">
      <Link to="/tracking-plan" className="plan-back">
        <Icon name="chevronRight" size={15} className="plan-back-icon" />
        Tracking plan
      </Link>
      <PageHeader
        title={title}
        description={
          !event
            ? 'Name the event as your code sends it (the track call’s event), describe it, and give the JSON Schema its properties must follow.'
            : planned
              ? planned.description || 'A planned event.'
              : plan.isSuccess
                ? 'Seen, but not in the plan: its properties are not checked.'
                : undefined
        }
        actions={
          event && plan.isSuccess ? (
            planned ? (
              planned.block ? (
                <Badge tone="warning">Blocks violations</Badge>
              ) : (
                <Badge tone="success" dot>
                  Planned
                </Badge>
              )
            ) : (
              <Badge tone="neutral">Not planned</Badge>
            )
          ) : undefined
        }
      />
      {plan.isError ? (
        <ErrorState error={plan.error} onRetry={() => void plan.refetch()} />
      ) : !ready ? (
        <LoadingState />
      ) : (
        <>
          {stats && <EventStats stats={stats} />}
          <div className="plan-detail">
            <PlanEventForm
              event={event}
              planned={planned}
              example={planned ? null : (latest.data ?? null)}
              canManage={canManage}
              taken={plan.data.planned.map((p) => p.event)}
            />
            <Violations stats={stats} planned={Boolean(planned)} />
          </div>
        </>
      )}
    </div>
  );
}

function EventStats({ stats }: { stats: SeenEvent }) {
  return (
    <dl className="card plan-summary plan-event-stats" aria-label="Counts">
      <div>
        <dt>Seen</dt>
        <dd>{stats.seen.toLocaleString()}</dd>
      </div>
      <div>
        <dt>Violations</dt>
        <dd className={stats.violations ? 'plan-summary-bad' : undefined}>
          {stats.violations.toLocaleString()}
          {stats.seen > 0 && <span className="plan-summary-rate">{rateLabel(stats.violations, stats.seen)}</span>}
        </dd>
      </div>
      <div>
        <dt>Refused</dt>
        <dd>{stats.blocked.toLocaleString()}</dd>
      </div>
      <div>
        <dt>Last seen</dt>
        <dd className="plan-summary-time">
          <When at={stats.lastSeenAt} />
        </dd>
      </div>
    </dl>
  );
}

interface Example {
  properties: Record<string, unknown>;
  timestamp: string;
}

function PlanEventForm({
  event,
  planned,
  example,
  canManage,
  taken,
}: {
  event: string | null;
  planned: PlanEvent | undefined;
  example: Example | null;
  canManage: boolean;
  taken: string[];
}) {
  const qc = useQueryClient();
  const toast = useToast();
  const navigate = route.useNavigate();
  const schemaId = useId();
  const [name, setName] = useState('');
  const [description, setDescription] = useState(planned?.description ?? '');
  const [text, setText] = useState(() =>
    schemaText(planned ? planned.schema : example ? schemaFromExample(example.properties) : emptySchema),
  );
  const [block, setBlock] = useState(planned?.block ?? false);
  const [jsonError, setJsonError] = useState<string | null>(null);
  const [nameError, setNameError] = useState<string | null>(null);
  const [confirmRemove, setConfirmRemove] = useState(false);
  const target = event ?? name.trim();

  const save = useMutation({
    mutationFn: (body: { description: string; schema: Record<string, unknown>; block: boolean }) =>
      api.put(`/tracking-plan/events/${encodeURIComponent(target)}`, planEventSchema, body),
    onSuccess: async (saved) => {
      await qc.invalidateQueries({ queryKey: trackingPlanQuery.queryKey });
      toast(planned ? `${saved.event} was saved` : `${saved.event} is in the plan`);
      if (!event) await navigate({ search: { event: saved.event } });
    },
  });
  const remove = useMutation({
    mutationFn: () => api.delete(`/tracking-plan/events/${encodeURIComponent(target)}`),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: trackingPlanQuery.queryKey });
      toast(`${target} was removed from the plan`);
      await navigate({ search: {} });
    },
  });
  const fieldErrors = problemFieldErrors(save.error);
  const schemaError = jsonError ?? fieldErrors.schema;
  const otherError = save.error && !fieldErrors.schema && !fieldErrors.description ? save.error : null;

  const submit = () => {
    save.reset();
    let schema: unknown;
    try {
      schema = JSON.parse(text);
    } catch (err) {
      setJsonError(`This is not valid JSON: ${(err as Error).message}`);
      return;
    }
    if (!schema || typeof schema !== 'object' || Array.isArray(schema)) {
      setJsonError('The schema must be a JSON object, such as {"type": "object"}.');
      return;
    }
    if (!event) {
      if (!target) return setNameError('Give the event’s name');
      if (taken.includes(target)) return setNameError('This event is already in the plan');
    }
    save.mutate({ description, schema: schema as Record<string, unknown>, block });
  };

  const readOnly = !canManage;
  return (
    <section className="card plan-form" aria-labelledby="plan-form-title">
      <h2 className="record-section-title" id="plan-form-title">
        {planned ? 'Schema' : 'Add to the plan'}
      </h2>
      <form
        className="form"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        {!event && (
          <TextField
            label="Event name"
            value={name}
            onChange={(v) => {
              setName(v);
              setNameError(null);
            }}
            error={nameError ?? fieldErrors.params}
            placeholder="Order Completed"
            maxLength={500}
            autoFocus
            hint="Exactly as the track call sends it; names are case-sensitive."
          />
        )}
        <TextField
          label="Description"
          value={description}
          onChange={setDescription}
          error={fieldErrors.description}
          placeholder="When it is sent, and what it means"
          maxLength={1000}
          readOnly={readOnly}
        />
        <div className={`field${schemaError ? ' field-invalid' : ''}`}>
          <label className="field-label" htmlFor={schemaId}>
            JSON Schema for the properties
          </label>
          <textarea
            id={schemaId}
            className="input plan-schema-input"
            rows={Math.min(22, Math.max(10, text.split('\n').length + 1))}
            value={text}
            onChange={(e) => {
              setText(e.target.value);
              setJsonError(null);
              if (save.error) save.reset();
            }}
            spellCheck={false}
            readOnly={readOnly}
            aria-invalid={schemaError ? true : undefined}
            aria-describedby={`${schemaId}-msg`}
          />
          {schemaError ? (
            <p className="field-error" id={`${schemaId}-msg`}>
              {schemaError}
            </p>
          ) : (
            <p className="field-hint" id={`${schemaId}-msg`}>
              {example && !planned
                ? `Drafted from the latest ${event ?? ''} sent (${formatRelative(example.timestamp).toLowerCase()}): every property it had, typed and required. Tighten it before saving.`
                : 'Draft 2020-12 or draft-07: types, required properties, enums, formats, patterns.'}
            </p>
          )}
        </div>
        <div className="plan-block">
          <label className="switch">
            <input type="checkbox" role="switch" checked={block} disabled={readOnly} onChange={(e) => setBlock(e.target.checked)} />
            <span className="switch-track" aria-hidden="true" />
            <span>Refuse events that violate it</span>
          </label>
          <p className="field-hint">
            {block
              ? 'A violating event is not stored: the sender gets it back as rejected, and it is counted here as refused.'
              : 'Violating events are stored as sent; they are counted here and the latest are kept as examples.'}
          </p>
        </div>
        <ProblemAlert error={otherError} />
        {canManage && (
          <div className="plan-form-actions">
            {planned && (
              <Button variant="danger-ghost" icon="trash" onClick={() => setConfirmRemove(true)}>
                Remove from plan
              </Button>
            )}
            <Button type="submit" variant="primary" busy={save.isPending}>
              {planned ? 'Save changes' : 'Add to plan'}
            </Button>
          </div>
        )}
      </form>
      {confirmRemove && (
        <ConfirmDialog
          title={`Remove ${target} from the plan?`}
          confirmLabel="Remove"
          busy={remove.isPending}
          error={remove.error}
          onConfirm={() => remove.mutate()}
          onClose={() => setConfirmRemove(false)}
        >
          <p>
            Its schema is deleted and its events are no longer checked. The counts and examples seen so far stay, under “Seen but not in the
            plan”.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}

function Violations({ stats, planned }: { stats: SeenEvent | undefined; planned: boolean }) {
  const examples = useMemo(() => (stats?.examples ?? []).toSorted((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0)), [stats]);
  return (
    <section className="card plan-examples" aria-labelledby="plan-examples-title">
      <div className="record-section-head">
        <h2 className="record-section-title" id="plan-examples-title">
          Latest violations
        </h2>
        {stats?.lastViolationAt && (
          <span className="muted plan-examples-when" title={formatDateTime(stats.lastViolationAt, true)}>
            last {formatRelative(stats.lastViolationAt).toLowerCase()}
          </span>
        )}
      </div>
      {examples.length === 0 ? (
        <p className="muted record-section-empty">
          {!planned
            ? 'Events are checked once they are in the plan; the latest that do not fit it will show here.'
            : stats?.seen
              ? `All ${stats.seen.toLocaleString()} sent so far fit the schema.`
              : 'None yet: nothing has been sent since it was planned.'}
        </p>
      ) : (
        <ol className="plan-example-list" aria-label="Violation examples">
          {examples.map((x) => (
            <li key={`${x.messageId}:${x.at}`} className="plan-example">
              <div className="plan-example-head">
                <time dateTime={x.at} title={formatDateTime(x.at, true)}>
                  {formatRelative(x.at)}
                </time>
                <code className="plan-example-id" title={`messageId ${x.messageId}`}>
                  {x.messageId}
                </code>
              </div>
              <ul className="plan-errors">
                {x.errors.map((err, i) => {
                  const { property, message } = violationParts(err);
                  return (
                    <li key={i}>
                      {property ? <code className="code-pill">{property}</code> : <span className="plan-errors-all">properties</span>}
                      <span>{message}</span>
                    </li>
                  );
                })}
              </ul>
              <details className="plan-example-props">
                <summary>Properties sent</summary>
                <JsonView value={x.properties} label="Properties sent" />
              </details>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
