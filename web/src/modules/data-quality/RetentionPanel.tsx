import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useMemo, useState, type FormEvent } from 'react';
import { formatDateTime, formatRelative } from '../../lib/format.js';
import { problemFieldErrors, zodFieldErrors, type FieldErrors } from '../../lib/form.js';
import { useCan } from '../../lib/session.js';
import { Badge } from '../../ui/Badge.js';
import { Button } from '../../ui/Button.js';
import { ConfirmDialog } from '../../ui/ConfirmDialog.js';
import { ErrorState } from '../../ui/EmptyState.js';
import { Notice, ProblemAlert } from '../../ui/ProblemAlert.js';
import { LoadingState } from '../../ui/Spinner.js';
import { useToast } from '../../ui/Toast.js';
import { approxDuration, formatDays, policyText } from './retention-display.js';
import {
  legalFloors,
  putRetentionPoliciesSchema,
  retentionDataTypes,
  retentionPoliciesQuery,
  saveRetentionPolicies,
  type PutRetentionPolicies,
  type RetentionDataType,
  type RetentionPolicy,
} from './retention-queries.js';
import { RetentionRuns } from './RetentionRuns.js';

/**
 * How long each kind of data is kept (the workspace's retention policies, applied by daily jobs),
 * and below, the passes those jobs made and what they deleted.
 */
export function RetentionPanel() {
  const policies = useQuery(retentionPoliciesQuery);
  const [savedNote, setSavedNote] = useState<string | null>(null);
  return (
    <div className="dq-retention">
      {policies.isError ? (
        <ErrorState error={policies.error} onRetry={() => void policies.refetch()} />
      ) : !policies.data ? (
        <LoadingState label="Loading retention policies…" />
      ) : (
        <PoliciesForm
          key={JSON.stringify(policies.data.map((p) => [p.dataType, p.keepDays]))}
          saved={policies.data}
          savedNote={savedNote}
          onSaved={setSavedNote}
        />
      )}
      <RetentionRuns />
    </div>
  );
}

interface Choice {
  forever: boolean;
  /** As typed. */
  days: string;
}
type Draft = Record<RetentionDataType, Choice>;

function draftOf(policies: RetentionPolicy[]): Draft {
  // Every type has a choice, even one the API left out (kept for good until set).
  const d = Object.fromEntries(retentionDataTypes.map((t) => [t, { forever: true, days: '' }])) as Draft;
  for (const p of policies) d[p.dataType] = { forever: p.keepDays === null, days: p.keepDays === null ? '' : String(p.keepDays) };
  return d;
}

/**
 * The draft as PUT /retention-policies takes it (the whole set), checked with the API's own
 * schema: its minimums and their messages are the server's. Text that is no number at all is
 * caught first, so the message is about days rather than types.
 */
function checkDraft(d: Draft): { body: PutRetentionPolicies | null; errors: FieldErrors } {
  const body: Record<string, number | null> = {};
  const errors: FieldErrors = {};
  for (const t of retentionDataTypes) {
    const c = d[t];
    if (c.forever) body[t] = null;
    else if (/^-?\d+(\.\d+)?$/.test(c.days.trim())) body[t] = Number(c.days.trim());
    else errors[t] = 'Enter a number of days, or keep forever';
  }
  const parsed = putRetentionPoliciesSchema.safeParse(body);
  if (!parsed.success) for (const [k, m] of Object.entries(zodFieldErrors(parsed.error))) errors[k] ??= m;
  return { body: parsed.success && Object.keys(errors).length === 0 ? parsed.data : null, errors };
}

/** Types whose new keep is shorter than today's (kept for good counts as longest): their older records go at the next run. */
function shortened(saved: RetentionPolicy[], body: PutRetentionPolicies): Array<{ policy: RetentionPolicy; days: number }> {
  return saved.flatMap((p) => {
    const next = body[p.dataType];
    return typeof next === 'number' && (p.keepDays === null || next < p.keepDays) ? [{ policy: p, days: next }] : [];
  });
}

const deletionWarning = (days: number) => `Records older than ${formatDays(days)} will be deleted at the next daily run.`;

function PoliciesForm({
  saved,
  savedNote,
  onSaved,
}: {
  saved: RetentionPolicy[];
  savedNote: string | null;
  onSaved: (note: string | null) => void;
}) {
  const can = useCan();
  const qc = useQueryClient();
  const toast = useToast();
  const canEdit = can('quality.retention');
  const [draft, setDraft] = useState<Draft>(() => draftOf(saved));
  const [confirming, setConfirming] = useState(false);
  const checked = useMemo(() => checkDraft(draft), [draft]);
  const save = useMutation({
    mutationFn: saveRetentionPolicies,
    onSuccess: (policies, body) => {
      const changed = saved.filter((p) => (body[p.dataType] ?? null) !== p.keepDays).map((p) => p.label);
      const note = changed.length ? `Saved: ${changed.join(', ')}.` : 'Saved; nothing changed.';
      onSaved(note);
      toast('Retention policies saved');
      setConfirming(false);
      qc.setQueryData(retentionPoliciesQuery.queryKey, policies);
    },
    onError: () => setConfirming(false),
  });
  // What the server refused lands on its field too, until the next edit.
  const errors: FieldErrors = { ...problemFieldErrors(save.error), ...checked.errors };
  const dirty = saved.some((p) => {
    const c = draft[p.dataType];
    return c.forever ? p.keepDays !== null : Number(c.days.trim()) !== p.keepDays;
  });
  const shorter = checked.body ? shortened(saved, checked.body) : [];

  const edit = (t: RetentionDataType, c: Partial<Choice>) => {
    setDraft((d) => ({ ...d, [t]: { ...d[t], ...c } }));
    if (save.error) save.reset();
    if (savedNote) onSaved(null);
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!checked.body || !dirty) return;
    if (shorter.length) setConfirming(true);
    else save.mutate(checked.body);
  };
  const invalid = Object.keys(checked.errors).length;

  return (
    <>
      <form className="dq-ret-form" onSubmit={submit} noValidate aria-label="Retention policies">
        {!canEdit && (
          <Notice>
            Only admins and marketing-ops managers can change how long data is kept. You can see the policies and what each daily run
            deleted.
          </Notice>
        )}
        {savedNote && <Notice tone="success">{savedNote} The daily runs apply the new periods from tonight.</Notice>}
        <div className="card dq-ret-card">
          <div className="dq-ret-head">
            <h2 className="dq-card-title">How long data is kept</h2>
            <p className="dq-card-note">
              Without a policy a kind of data is kept for good. With one, a job deletes older records once a day, in batches; every run is
              listed below and in the audit log.
            </p>
          </div>
          {saved.map((p) => (
            <PolicyRow
              key={p.dataType}
              policy={p}
              choice={draft[p.dataType]}
              error={errors[p.dataType]}
              shorterTo={shorter.find((s) => s.policy.dataType === p.dataType)?.days ?? null}
              disabled={!canEdit}
              onChange={(c) => edit(p.dataType, c)}
            />
          ))}
        </div>
        <ProblemAlert error={save.error} />
        {canEdit && (
          <div className="form-actions dq-ret-actions">
            <span className="muted dq-ret-status" aria-live="polite">
              {invalid
                ? `Fix ${invalid === 1 ? 'the value' : `${invalid} values`} above to save`
                : dirty
                  ? 'Unsaved changes'
                  : 'No changes'}
            </span>
            {dirty && (
              <Button
                onClick={() => {
                  setDraft(draftOf(saved));
                  save.reset();
                }}
                disabled={save.isPending}
              >
                Discard changes
              </Button>
            )}
            <Button type="submit" variant="primary" busy={save.isPending} disabled={!dirty || invalid > 0}>
              Save retention policies
            </Button>
          </div>
        )}
      </form>
      {/* Outside the form: the dialog is a form of its own, and a submit would bubble to this one. */}
      {confirming && checked.body && (
        <ConfirmDialog
          title="Delete older records?"
          confirmLabel="Save and delete"
          busy={save.isPending}
          error={save.error}
          onConfirm={() => checked.body && save.mutate(checked.body)}
          onClose={() => setConfirming(false)}
        >
          <ul className="dq-ret-confirm-list">
            {shorter.map((s) => (
              <li key={s.policy.dataType}>
                <strong>{s.policy.label}:</strong> {deletionWarning(s.days).toLowerCase()}
              </li>
            ))}
          </ul>
          <p>Deleted records cannot be brought back.</p>
        </ConfirmDialog>
      )}
    </>
  );
}

function PolicyRow({
  policy: p,
  choice,
  error,
  shorterTo,
  disabled,
  onChange,
}: {
  policy: RetentionPolicy;
  choice: Choice;
  error: string | undefined;
  /** The new, shorter keep when the draft shortens this policy. */
  shorterTo: number | null;
  disabled: boolean;
  onChange: (c: Partial<Choice>) => void;
}) {
  const id = useId();
  const legal = legalFloors[p.dataType];
  const typed = Number(choice.days.trim());
  // How long a typed period is, while it differs from the policy (the badge says it for the saved one).
  const approx = !choice.forever && !error && Number.isInteger(typed) && typed > 0 && typed !== p.keepDays ? approxDuration(typed) : null;
  const run = p.lastRun;
  const messageId = `${id}-message`;
  return (
    <section className="dq-ret-row" data-retention-type={p.dataType} aria-labelledby={`${id}-title`}>
      <div className="dq-ret-about">
        <h3 className="dq-ret-title" id={`${id}-title`}>
          {p.label}
        </h3>
        <p className="dq-ret-desc">{p.description}</p>
        <dl className="dq-ret-facts">
          <div>
            <dt>Policy now</dt>
            <dd data-testid="retention-current">
              <Badge tone={p.keepDays === null ? 'neutral' : 'accent'}>{policyText(p.keepDays)}</Badge>
            </dd>
          </div>
          <div>
            <dt>{legal ? 'Legal floor' : 'Shortest allowed'}</dt>
            <dd data-testid="retention-floor">
              {formatDays(p.minDays)}
              {legal && <span className="cell-secondary">{legal}</span>}
            </dd>
          </div>
          <div>
            <dt>Last run</dt>
            <dd>
              {run ? (
                <>
                  <time dateTime={run.startedAt} title={formatDateTime(run.startedAt)}>
                    {formatRelative(run.startedAt)}
                  </time>
                  {run.status === 'failed' ? (
                    <>
                      {' '}
                      <Badge tone="danger">Failed</Badge>
                    </>
                  ) : (
                    `: ${run.deleted.toLocaleString()} deleted`
                  )}
                </>
              ) : (
                <span className="muted">None yet</span>
              )}
            </dd>
          </div>
          {p.updatedAt && (
            <div>
              <dt>Set</dt>
              <dd>
                <time dateTime={p.updatedAt} title={formatDateTime(p.updatedAt)}>
                  {formatRelative(p.updatedAt)}
                </time>
                {p.updatedBy && ` by ${p.updatedBy}`}
              </dd>
            </div>
          )}
        </dl>
      </div>
      <fieldset className="dq-ret-editor" disabled={disabled}>
        <legend className="dq-ret-legend">Keep {p.label.toLowerCase()}</legend>
        <label className={`dq-ret-choice${choice.forever ? ' active' : ''}`}>
          <input type="radio" name={`${id}-mode`} checked={choice.forever} onChange={() => onChange({ forever: true })} />
          <span>Forever</span>
        </label>
        <label className={`dq-ret-choice${choice.forever ? '' : ' active'}`}>
          <input
            type="radio"
            name={`${id}-mode`}
            checked={!choice.forever}
            onChange={() => onChange({ forever: false, days: choice.days || String(Math.max(p.minDays, 30)) })}
          />
          <span>For</span>
        </label>
        <span className="dq-ret-days-wrap">
          <input
            className="input dq-ret-days"
            inputMode="numeric"
            aria-label={`${p.label}: days to keep`}
            value={choice.forever ? '' : choice.days}
            placeholder={choice.forever ? '—' : undefined}
            onChange={(e) => onChange({ forever: false, days: e.target.value })}
            aria-invalid={error ? true : undefined}
            aria-describedby={error || shorterTo !== null || approx ? messageId : undefined}
          />
          <span>days</span>
        </span>
        {error ? (
          <p className="field-error dq-ret-message" id={messageId}>
            {error}
          </p>
        ) : shorterTo !== null ? (
          <p className="dq-ret-warning dq-ret-message" id={messageId}>
            {p.keepDays === null ? 'Kept for good until now. ' : `Shorter than the ${formatDays(p.keepDays)} now. `}
            {deletionWarning(shorterTo)}
          </p>
        ) : approx ? (
          <p className="field-hint dq-ret-message" id={messageId}>
            That is {approx}.
          </p>
        ) : null}
      </fieldset>
    </section>
  );
}
