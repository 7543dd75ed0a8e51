import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useState } from 'react';
import { defaultLabels, funnelStages, type StageKey } from '../../../../src/modules/routing/lifecycle.schema.js';
import { ApiError } from '../../lib/api.js';
import { formatDateTime, formatRelative } from '../../lib/format.js';
import { problemFieldErrors, useFormState, validate } from '../../lib/form.js';
import { useCan } from '../../lib/session.js';
import { useCursorList } from '../../lib/use-cursor-list.js';
import { Badge } from '../../ui/Badge.js';
import { Button } from '../../ui/Button.js';
import { Dialog } from '../../ui/Dialog.js';
import { EmptyState, ErrorState } from '../../ui/EmptyState.js';
import { SelectField } from '../../ui/Field.js';
import { LoadMore } from '../../ui/LoadMore.js';
import { ProblemAlert } from '../../ui/ProblemAlert.js';
import { LoadingState, Spinner } from '../../ui/Spinner.js';
import { useToast } from '../../ui/Toast.js';
import { contactKind } from '../records/record-kinds.js';
import { recordQuery, userLabel, useUsers } from '../records/record-queries.js';
import {
  contactAssignmentQuery,
  contactLifecycleQuery,
  contactRoutingLogKey,
  durationLabel,
  fetchContactRoutingLog,
  lifecycleRulesQuery,
  logKindLabel,
  logKindTone,
  setContactStage,
  setStageSchema,
  stagesQuery,
  type ContactAssignment,
  type RoutingLogEntry,
  type RoutingLogKind,
  type StageChange,
} from './contact-lifecycle-queries.js';
import { ageOf, dueIn, fetchReps, slaStateLabel, slaTone } from './routing-queries.js';
import './contact-lifecycle.css';

const HISTORY_PAGE = 10;
const LOG_PAGE = 20;
/** After a stage change that starts routing, the log is read again every 2 s for this long (routing runs in the background). */
const WATCH_MS = 30_000;

/** Stage labels as the workspace names them (the API's defaults until the settings have loaded). */
function useStageLabel(): (key: string | null) => string {
  const stages = useQuery(stagesQuery);
  return (key) => {
    if (key === null) return 'No stage';
    return stages.data?.stages.find((s) => s.key === key)?.label ?? defaultLabels[key as StageKey] ?? key;
  };
}

/** A user's name for an id or an email (what the API records as actors); other actors (API keys, rules, the demo) as given. */
function usePeople() {
  const { byId, byEmail } = useUsers();
  const can = useCan();
  const reps = useQuery({ queryKey: ['routing', 'reps'], queryFn: fetchReps, enabled: can('routing.read'), staleTime: 60_000 });
  return {
    byId: (id: string) => {
      const u = byId.get(id);
      if (u) return userLabel(u);
      return reps.data?.data.find((r) => r.userId === id)?.name ?? 'a former user';
    },
    actor: (label: string) => {
      const u = byEmail.get(label);
      return u ? userLabel(u) : label;
    },
  };
}

/**
 * A contact's Lifecycle tab: its stage now and every stage change, newest first (from, to, why,
 * the stage rule that moved it, who and when, time in the stage), with "Change stage" for roles
 * that may; then its routing: the current assignment and each routing decision with the rule that
 * fired, the rep or queue, and, folded, why earlier rules and reps were passed over.
 */
export function ContactLifecycle({ contactId }: { contactId: string }) {
  const can = useCan();
  const [watchUntil, setWatchUntil] = useState(0);
  return (
    <div className="contact-lifecycle">
      <StageSection contactId={contactId} onRoutingStarts={() => setWatchUntil(Date.now() + WATCH_MS)} />
      {can('routing.read') && <RoutingSection contactId={contactId} watchUntil={watchUntil} />}
    </div>
  );
}

function StageSection({ contactId, onRoutingStarts }: { contactId: string; onRoutingStarts: () => void }) {
  const can = useCan();
  const lifecycle = useQuery(contactLifecycleQuery(contactId));
  const contact = useQuery({ ...recordQuery(contactKind, contactId), enabled: false });
  const label = useStageLabel();
  const [changing, setChanging] = useState(false);
  const deleted = Boolean(contact.data?.deletedAt);
  const mayChange = can('lifecycle.set_stage');

  return (
    <section className="card record-section lc-stage" aria-labelledby="contact-lifecycle-stage">
      <div className="record-section-head">
        <h2 className="record-section-title" id="contact-lifecycle-stage">
          Lifecycle stage
        </h2>
        <div className="record-section-actions">
          {lifecycle.isRefetching && <Spinner size={15} />}
          {mayChange ? (
            <Button
              size="sm"
              variant="primary"
              icon="edit"
              onClick={() => setChanging(true)}
              disabled={!lifecycle.data || deleted}
              title={deleted ? 'A deleted contact keeps its stage' : undefined}
            >
              Change stage
            </Button>
          ) : (
            <span className="muted lc-no-action" data-testid="stage-read-only">
              Your role can see the stage and its history, not change them.
            </span>
          )}
        </div>
      </div>
      {lifecycle.isPending ? (
        <LoadingState label="Loading the stage history…" />
      ) : lifecycle.isError ? (
        <ErrorState error={lifecycle.error} onRetry={() => void lifecycle.refetch()} />
      ) : (
        <>
          <CurrentStage
            stage={lifecycle.data.stage}
            label={lifecycle.data.label ?? label(lifecycle.data.stage)}
            latest={lifecycle.data.data[0]}
          />
          <StageHistory history={lifecycle.data.data} stage={lifecycle.data.stage} />
        </>
      )}
      {changing && lifecycle.data && (
        <ChangeStageDialog
          contactId={contactId}
          contactName={contact.data ? contactKind.displayName(contact.data) : undefined}
          current={lifecycle.data.stage}
          onClose={() => setChanging(false)}
          onChanged={(startsRouting) => {
            setChanging(false);
            if (startsRouting) onRoutingStarts();
          }}
        />
      )}
    </section>
  );
}

function CurrentStage({ stage, label, latest }: { stage: string | null; label: string; latest: StageChange | undefined }) {
  const stageLabel = useStageLabel();
  const at = funnelStages.indexOf(stage as (typeof funnelStages)[number]);
  const since = latest?.current ? latest : undefined;
  return (
    <div className="lc-current">
      <div className="lc-current-head">
        <span className={`lc-stage-now${stage ? '' : ' lc-stage-none'}`} data-testid="current-stage">
          {stage ? label : 'No stage yet'}
        </span>
        {since && (
          <span className="muted">
            for {durationLabel(since.timeInStageMs)} · since{' '}
            <time dateTime={since.at} title={formatDateTime(since.at, true)}>
              {formatDateTime(since.at)}
            </time>
          </span>
        )}
        {stage && at < 0 && <Badge tone={stage === 'disqualified' ? 'danger' : 'warning'}>Outside the funnel</Badge>}
      </div>
      <ol className="lc-funnel" aria-label="Funnel">
        {funnelStages.map((s, i) => (
          <li
            key={s}
            className={`lc-funnel-step${i === at ? ' lc-funnel-current' : at >= 0 && i < at ? ' lc-funnel-passed' : ''}`}
            aria-current={i === at ? 'step' : undefined}
          >
            {stageLabel(s)}
          </li>
        ))}
      </ol>
    </div>
  );
}

function StageHistory({ history, stage }: { history: StageChange[]; stage: string | null }) {
  const label = useStageLabel();
  const people = usePeople();
  const rules = useQuery(lifecycleRulesQuery);
  const [shown, setShown] = useState(HISTORY_PAGE);
  const ruleName = (id: string) => rules.data?.find((r) => r.id === id)?.name;

  if (history.length === 0) {
    return (
      <EmptyState icon="target" title="No stage changes yet">
        {stage
          ? `The stage (${label(stage)}) was set before Keel kept a history of stage changes. Changes from now on will show here, whoever makes them: by hand, a stage rule, an edit of the contact or an import.`
          : 'Every change of stage will show here: by hand with a reason, or by a stage rule, with who made it and how long the contact stayed.'}
      </EmptyState>
    );
  }
  return (
    <div className="lc-history">
      <h3 className="lc-subtitle">History, newest first</h3>
      <ol className="lc-history-list" aria-label="Stage history">
        {history.slice(0, shown).map((h) => (
          <li key={h.id} className="lc-change" data-stage-change={h.toStage} data-current={h.current || undefined}>
            <div className="lc-change-head">
              <span className="lc-move">
                <span className="muted">{label(h.fromStage)}</span>
                <span aria-label="to" className="lc-arrow">
                  →
                </span>
                <span className="lc-move-to">{label(h.toStage)}</span>
              </span>
              {h.current && <Badge tone="accent">Current</Badge>}
              <span className="lc-change-time" title="Time in stage">
                {durationLabel(h.timeInStageMs)} in {label(h.toStage)}
                {h.current ? ' so far' : ''}
              </span>
            </div>
            <p className="lc-change-reason">{h.reason}</p>
            <p className="lc-change-meta">
              <span className="lc-who">{people.actor(h.actor)}</span>
              {' · '}
              <time dateTime={h.at} title={formatDateTime(h.at, true)}>
                {formatDateTime(h.at)}
              </time>
              {h.ruleId && <> · Stage rule “{ruleName(h.ruleId) ?? 'a rule since deleted'}”</>}
            </p>
          </li>
        ))}
      </ol>
      <LoadMore
        count={Math.min(shown, history.length)}
        noun="change"
        hasMore={history.length > shown}
        loading={false}
        onLoadMore={() => setShown((n) => n + HISTORY_PAGE * 2)}
      />
      {history.length >= 500 && (
        <p className="muted lc-cap">The API returns the latest 500 changes of a contact; older ones are kept but not shown.</p>
      )}
    </div>
  );
}

/** The next funnel stage after the current one: what a person changing the stage most often wants. */
function suggestedStage(current: string | null, keys: string[]): string {
  const i = funnelStages.indexOf(current as (typeof funnelStages)[number]);
  const next = i >= 0 ? funnelStages[i + 1] : current === null ? 'lead' : undefined;
  return next ?? keys.find((k) => k !== current) ?? 'lead';
}

function ChangeStageDialog({
  contactId,
  contactName,
  current,
  onClose,
  onChanged,
}: {
  contactId: string;
  contactName: string | undefined;
  current: string | null;
  onClose: () => void;
  onChanged: (startsRouting: boolean) => void;
}) {
  const qc = useQueryClient();
  const toast = useToast();
  const id = useId();
  const stages = useQuery(stagesQuery);
  const label = useStageLabel();
  const keys = stages.data?.stages.map((s) => s.key) ?? [...funnelStages];
  const { values, set, errors, setErrors } = useFormState({ stage: suggestedStage(current, keys), reason: '' });

  const save = useMutation({
    mutationFn: (input: { stage: StageKey; reason: string }) => setContactStage(contactId, input),
    onSuccess: async (result, input) => {
      qc.setQueryData(contactLifecycleQuery(contactId).queryKey, result);
      toast(`Stage changed to ${result.label ?? label(input.stage)}`);
      onChanged(Boolean(stages.data?.routeOn.includes(input.stage)));
      await Promise.all([
        qc.invalidateQueries({ queryKey: recordQuery(contactKind, contactId).queryKey }),
        qc.invalidateQueries({ queryKey: [contactKind.plural, 'timeline', contactId] }),
        qc.invalidateQueries({ queryKey: contactRoutingLogKey(contactId) }),
        qc.invalidateQueries({ queryKey: contactAssignmentQuery(contactId).queryKey }),
      ]);
    },
    // A refused move names the stage too; it is said once, above the form, not again at the field.
    onError: (err) => {
      if (err instanceof ApiError && err.code === 'validation_failed') setErrors(problemFieldErrors(err));
    },
  });

  const submit = () => {
    const parsed = validate(setStageSchema, { stage: values.stage, reason: values.reason }, (errs) =>
      setErrors({
        ...errs,
        ...(errs.reason && !values.reason.trim() && { reason: 'Say why: the reason is kept in the stage history' }),
      }),
    );
    if (parsed) save.mutate(parsed);
  };
  // A refused move (409) and anything else that is not about a field: the API's own words, above the form.
  const showProblem = save.error && !(save.error instanceof ApiError && save.error.code === 'validation_failed');

  return (
    <Dialog
      title="Change stage"
      description={
        <>
          {contactName ? `${contactName} is ` : 'Now '}
          <strong>{current ? label(current) : 'without a stage'}</strong>. The change is kept in the stage history with your reason and your
          name.
        </>
      }
      busy={save.isPending}
      onClose={onClose}
      onSubmit={submit}
      footer={
        <>
          <Button onClick={onClose} disabled={save.isPending}>
            Cancel
          </Button>
          <Button type="submit" variant="primary" busy={save.isPending}>
            Change stage
          </Button>
        </>
      }
    >
      {showProblem && <ProblemAlert error={save.error} />}
      <SelectField
        label="New stage"
        value={values.stage}
        onChange={set('stage')}
        options={keys.map((k) => ({ value: k, label: k === current ? `${label(k)} (now)` : label(k) }))}
        error={errors.stage}
        hint={
          stages.data?.routeOn.includes(values.stage as StageKey)
            ? 'Entering this stage sends the contact to lead routing.'
            : 'The funnel moves forward; a move back is refused unless the workspace allows it.'
        }
      />
      <div className={`field${errors.reason ? ' field-invalid' : ''}`}>
        <label className="field-label" htmlFor={`${id}-reason`}>
          Reason
        </label>
        <textarea
          id={`${id}-reason`}
          className="input lc-textarea"
          rows={3}
          value={values.reason}
          onChange={(e) => set('reason')(e.target.value)}
          placeholder="Booked a demo call with sales"
          maxLength={500}
          aria-invalid={errors.reason ? true : undefined}
          aria-describedby={`${id}-reason-hint`}
        />
        <p className={errors.reason ? 'field-error' : 'field-hint'} id={`${id}-reason-hint`}>
          {errors.reason ?? 'Why the stage changes; shown in the history.'}
        </p>
      </div>
    </Dialog>
  );
}

function RoutingSection({ contactId, watchUntil }: { contactId: string; watchUntil: number }) {
  const stages = useQuery(stagesQuery);
  const label = useStageLabel();
  const log = useCursorList(contactRoutingLogKey(contactId), (cursor) => fetchContactRoutingLog(contactId, cursor, LOG_PAGE));
  const assignment = useQuery(contactAssignmentQuery(contactId));
  const { refetch } = log;
  const { refetch: refetchAssignment } = assignment;

  // A stage change that starts routing is decided in the background: read the log and the
  // assignment again until it shows.
  useEffect(() => {
    if (Date.now() >= watchUntil) return;
    const timer = setInterval(() => {
      if (Date.now() >= watchUntil) clearInterval(timer);
      else void Promise.all([refetch(), refetchAssignment()]);
    }, 2_000);
    return () => clearInterval(timer);
  }, [watchUntil, refetch, refetchAssignment]);

  const routeOn = (stages.data?.routeOn ?? []).map((s) => label(s)).join(' or ');
  return (
    <section className="card record-section lc-routing" aria-labelledby="contact-lifecycle-routing">
      <div className="record-section-head">
        <h2 className="record-section-title" id="contact-lifecycle-routing">
          Lead routing
        </h2>
        {(log.isRefetching || log.isLoadingMore || assignment.isRefetching) && <Spinner size={15} />}
      </div>
      {log.isPending ? (
        <LoadingState label="Loading the routing log…" />
      ) : log.isError ? (
        <ErrorState error={log.error} onRetry={() => void log.refetch()} />
      ) : log.items.length === 0 ? (
        <EmptyState icon="users" title="Not routed yet">
          {routeOn ? `Routing starts when the contact becomes ${routeOn}` : 'No stage starts routing in this workspace'}. Each decision will
          show here with the rule that fired, the rep or queue, and why the other rules and reps were passed over.
        </EmptyState>
      ) : (
        <>
          {assignment.isError ? (
            <ErrorState error={assignment.error} onRetry={() => void assignment.refetch()} />
          ) : (
            assignment.isSuccess && <CurrentAssignment assignment={assignment.data} />
          )}
          <h3 className="lc-subtitle">Routing log, newest first</h3>
          <ol className="lc-log" aria-label="Routing log">
            {log.items.map((e) => (
              <LogEntry key={e.id} entry={e} />
            ))}
          </ol>
          <LoadMore
            count={log.items.length}
            noun="routing event"
            hasMore={log.hasMore}
            loading={log.isLoadingMore}
            onLoadMore={log.loadMore}
          />
        </>
      )}
    </section>
  );
}

/**
 * Who has the lead now (`GET /contacts/:id/assignment`): a rep or a queue, open (with the SLA as
 * the API computes it) or accepted; nobody when the contact has no live assignment.
 */
function CurrentAssignment({ assignment: a }: { assignment: ContactAssignment | null }) {
  const people = usePeople();
  const stageLabel = useStageLabel();
  if (!a) {
    return (
      <div className="lc-assignment" data-assignment="none">
        <span className="lc-assignment-label muted">Assigned to</span>
        <span className="lc-assignment-who">Nobody now</span>
      </div>
    );
  }
  const who = a.ownerId ? (a.ownerName ? a.ownerName : people.byId(a.ownerId)) : `the ${a.queue ?? ''} queue`;
  const status =
    a.status === 'accepted'
      ? { label: 'Accepted', tone: 'success' as const }
      : { label: a.ownerId ? 'Open: waiting for the rep' : 'Open: in a queue', tone: 'warning' as const };
  return (
    <div className="lc-assignment" data-assignment={a.status}>
      <span className="lc-assignment-label muted">Assigned to</span>
      <span className="lc-assignment-who">{who}</span>
      <Badge tone={status.tone} dot>
        {status.label}
      </Badge>
      <time className="muted" dateTime={a.assignedAt} title={formatDateTime(a.assignedAt, true)}>
        assigned {ageOf(a.assignedAt)}
        {a.stage ? ` as ${stageLabel(a.stage)}` : ''}
      </time>
      {a.acceptedAt && (
        <time className="muted" dateTime={a.acceptedAt} title={formatDateTime(a.acceptedAt, true)}>
          · accepted {formatRelative(a.acceptedAt)}
        </time>
      )}
      {a.sla && (
        <span className="lc-assignment-sla" title={a.sla.dueAt ? `Due ${formatDateTime(a.sla.dueAt)}` : undefined}>
          <Badge tone={slaTone[a.sla.state]}>SLA {slaStateLabel[a.sla.state].toLowerCase()}</Badge>{' '}
          <span className="muted">{dueIn(a.sla.dueAt)}</span>
        </span>
      )}
    </div>
  );
}

const logHeads: Record<Exclude<RoutingLogKind, 'routed' | 'queued'>, string> = {
  accepted: 'The rep accepted the lead',
  rejected: 'The rep rejected the lead',
  released: 'Released from its rep or queue',
  sla_reminder: 'SLA reminder sent',
  sla_escalation: 'SLA breached, escalated',
};

function LogEntry({ entry: e }: { entry: RoutingLogEntry }) {
  const people = usePeople();
  const kind = e.kind;
  const decision = kind === 'routed' || kind === 'queued';
  const target = e.assignedTo ? people.byId(e.assignedTo) : e.queue ? `queue ${e.queue}` : null;
  const head = decision ? (e.rule ? `Rule “${e.rule}” fired` : 'No rule assigned the lead: fallback queue') : logHeads[kind];
  // Rules passed over as a whole (condition not met, no account, no rep left) and reps passed over within a rule.
  const rulesSkipped = new Set(e.skipped.filter((s) => !s.repId).map((s) => s.ruleId ?? s.rule)).size;
  const repsSkipped = e.skipped.filter((s) => s.repId).length;
  const skippedSummary = [
    rulesSkipped > 0 && `${rulesSkipped} ${rulesSkipped === 1 ? 'rule' : 'rules'}`,
    repsSkipped > 0 && `${repsSkipped} ${repsSkipped === 1 ? 'rep' : 'reps'}`,
  ]
    .filter(Boolean)
    .join(' and ');
  const verb = rulesSkipped + repsSkipped === 1 ? 'was' : 'were';
  return (
    <li className="lc-log-entry" data-log-kind={kind}>
      <div className="lc-log-head">
        <Badge tone={logKindTone[kind]}>{logKindLabel[kind]}</Badge>
        <span className="lc-log-title">
          {head}
          {target && decision && (
            <>
              {' '}
              <span className="lc-arrow" aria-label="to">
                →
              </span>{' '}
              <strong className="lc-log-target">{target}</strong>
            </>
          )}
        </span>
        <time className="muted lc-log-when" dateTime={e.at} title={formatDateTime(e.at, true)}>
          {formatDateTime(e.at)}
        </time>
      </div>
      <p className="lc-log-reason">{e.reason}</p>
      {e.skipped.length > 0 && (
        <details className="lc-skipped">
          <summary>
            Why {skippedSummary} {verb} passed over
          </summary>
          <ul aria-label="Passed over">
            {e.skipped.map((s, i) => (
              <li key={`${s.ruleId ?? 'none'}-${s.repId ?? ''}-${i}`}>
                <span className="lc-skipped-what">
                  {s.rule ? `“${s.rule}”` : 'A rule'}
                  {s.repId && <> · {people.byId(s.repId)}</>}
                </span>
                <span className="lc-skipped-why">{s.reason}</span>
              </li>
            ))}
          </ul>
        </details>
      )}
    </li>
  );
}
