import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate } from '@tanstack/react-router';
import { useState } from 'react';
import { z } from 'zod';
import { api } from '../../lib/api.js';
import { formatDateTime } from '../../lib/format.js';
import { useCan, useSession } from '../../lib/session.js';
import { Badge } from '../../ui/Badge.js';
import { Button } from '../../ui/Button.js';
import { Dialog } from '../../ui/Dialog.js';
import { EmptyState, ErrorState } from '../../ui/EmptyState.js';
import { SelectField } from '../../ui/Field.js';
import { LoadMore } from '../../ui/LoadMore.js';
import { ProblemAlert } from '../../ui/ProblemAlert.js';
import { SkeletonRows } from '../../ui/Spinner.js';
import { useToast } from '../../ui/Toast.js';
import { scoringModelsQuery } from '../scoring/scoring-queries.js';
import { ageOf, dueIn, fetchQueue, fetchReps, fetchRoutingSettings, slaStateLabel, slaTone, type QueueEntry } from './routing-queries.js';

const PAGE = 25;

/**
 * A rep's leads: waiting ones first, with their age, SLA due time and score; accept, or reject
 * with a reason from the workspace's list. Managers (routing.decide_any) pick whose queue to see;
 * when more than one scoring model is published, anyone picks whose scores to show (`model`, in
 * the URL; left out: the API's default, the workspace's oldest published model).
 */
export function SalesQueue({ rep, model }: { rep: string | undefined; model: string | undefined }) {
  const { user } = useSession();
  const can = useCan();
  const navigate = useNavigate();
  const manager = can('routing.decide_any');
  const reps = useQuery({ queryKey: ['routing', 'reps'], queryFn: fetchReps, enabled: manager });
  const ownerId = manager ? (rep ?? user.id) : user.id;
  const models = useQuery(scoringModelsQuery);
  // The API's order for its default: oldest first, so the first one is the model shown when none is chosen.
  const published = (models.data?.data ?? [])
    .filter((m) => m.publishedVersion !== null)
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || (a.id < b.id ? -1 : 1));
  // New leads arrive while a rep looks at the queue (routing runs in the background): it refreshes itself.
  const queue = useQuery({
    queryKey: ['routing', 'queue', ownerId, model ?? null],
    queryFn: () => fetchQueue(ownerId, model),
    staleTime: 0,
    refetchInterval: 5_000,
  });
  const [shown, setShown] = useState(PAGE);
  const [rejecting, setRejecting] = useState<QueueEntry | null>(null);
  const canDecide = can('routing.decide') && (ownerId === user.id || manager);

  const repOptions = [
    ...(reps.data?.data.some((r) => r.userId === user.id) ? [] : [{ value: user.id, label: `${user.name || user.email} (you)` }]),
    ...(reps.data?.data ?? []).map((r) => ({ value: r.userId, label: r.userId === user.id ? `${r.name} (you)` : r.name })),
  ];
  const items = queue.data?.data ?? [];
  const waiting = items.filter((i) => i.status === 'waiting').length;
  const accepted = items.filter((i) => i.status === 'accepted').length;
  const movedOn = items.length - waiting - accepted;

  return (
    <section aria-label="Sales queue">
      <div className="toolbar rt-toolbar">
        {manager && (
          <SelectField
            label="Rep"
            fieldClassName="toolbar-filter rt-rep-picker"
            value={ownerId}
            onChange={(v) => void navigate({ to: '/routing', search: { rep: v, model } })}
            options={repOptions}
          />
        )}
        {published.length > 1 && (
          <SelectField
            label="Scoring model"
            fieldClassName="toolbar-filter rt-model-picker"
            value={model ?? published[0]?.id ?? ''}
            onChange={(v) => void navigate({ to: '/routing', search: { rep, model: v } })}
            options={published.map((m, i) => ({ value: m.id, label: i === 0 ? `${m.name} (default)` : m.name }))}
          />
        )}
        {queue.data && (
          <p className="muted rt-queue-count" aria-live="polite">
            {items.length === 0
              ? 'No leads'
              : `${waiting} waiting for a decision · ${accepted} accepted${movedOn ? ` · ${movedOn} moved on` : ''}`}
          </p>
        )}
      </div>
      {queue.isError ? (
        <ErrorState error={queue.error} onRetry={() => void queue.refetch()} />
      ) : !queue.isPending && items.length === 0 ? (
        <EmptyState icon="user" title={ownerId === user.id ? 'Your queue is empty' : 'This queue is empty'}>
          New leads appear here as soon as routing assigns them, with the time you have to accept or reject each one.
        </EmptyState>
      ) : (
        <div className="card table-card">
          <div className="table-scroll">
            <table className="table rt-queue" aria-label="Leads" aria-busy={queue.isPending || queue.isRefetching || undefined}>
              <thead>
                <tr>
                  <th scope="col">Lead</th>
                  <th scope="col">Score</th>
                  <th scope="col" className="hide-sm">
                    Assigned
                  </th>
                  <th scope="col">SLA</th>
                  <th scope="col" className="col-actions">
                    <span className="sr-only">Decision</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {queue.isPending ? (
                  <SkeletonRows cols={5} rows={4} />
                ) : (
                  items
                    .slice(0, shown)
                    .map((e) => <QueueRow key={e.assignment.id} entry={e} canDecide={canDecide} onReject={() => setRejecting(e)} />)
                )}
              </tbody>
            </table>
          </div>
          <LoadMore
            count={Math.min(shown, items.length)}
            noun="lead"
            hasMore={items.length > shown}
            loading={false}
            onLoadMore={() => setShown((n) => n + PAGE)}
          />
        </div>
      )}
      {rejecting && <RejectDialog entry={rejecting} onClose={() => setRejecting(null)} />}
    </section>
  );
}

function QueueRow({ entry: e, canDecide, onReject }: { entry: QueueEntry; canDecide: boolean; onReject: () => void }) {
  const qc = useQueryClient();
  const toast = useToast();
  const accept = useMutation({
    mutationFn: () => api.post(`/routing/leads/${e.contact.id}/accept`, z.unknown(), {}),
    onSuccess: async () => {
      toast(`Accepted ${e.contact.name || e.contact.email || 'the lead'}`);
      await qc.invalidateQueries({ queryKey: ['routing'] });
    },
  });
  // A lead whose contact has moved on (sal, sql, recycled, disqualified) was handled: no SLA, no decision to make.
  const open = e.status === 'waiting';
  const label = e.contact.name || e.contact.email || 'Unnamed contact';
  return (
    <tr data-lead={e.contact.email ?? e.contact.id}>
      <td className="cell-name">
        <Link to="/contacts/$id" params={{ id: e.contact.id }} className="cell-primary">
          {label}
        </Link>{' '}
        {e.contact.lifecycleStage && <span className="code-pill rt-stage-pill">{e.contact.lifecycleStage}</span>}
        <div className="cell-secondary cell-truncate">
          {[e.contact.company, e.contact.name ? e.contact.email : null].filter(Boolean).join(' · ')}
        </div>
        {accept.isError && <ProblemAlert error={accept.error} className="rt-row-error" />}
      </td>
      <td className="nowrap">
        {e.score ? (
          <span title={e.score.model}>
            <span className="value-number">{Math.round(e.score.score)}</span> <Badge tone="accent">{e.score.band}</Badge>
          </span>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
      <td className="hide-sm nowrap">
        <time dateTime={e.assignment.assignedAt} title={formatDateTime(e.assignment.assignedAt)}>
          {ageOf(e.assignment.assignedAt)}
        </time>
      </td>
      <td className="nowrap">
        {e.status === 'accepted' ? (
          <Badge tone="neutral">Accepted</Badge>
        ) : e.status === 'moved_on' ? (
          <span title="The contact has moved to another stage since it was assigned: no SLA runs">
            <Badge tone="neutral">Handled</Badge> <span className="cell-secondary">moved on</span>
          </span>
        ) : e.sla ? (
          <span className="rt-sla" title={e.sla.dueAt ? `Due ${formatDateTime(e.sla.dueAt)}` : undefined}>
            <Badge tone={slaTone[e.sla.state]} dot>
              {slaStateLabel[e.sla.state]}
            </Badge>{' '}
            <span className="cell-secondary">{dueIn(e.sla.dueAt)}</span>
          </span>
        ) : (
          <span className="muted">No SLA</span>
        )}
      </td>
      <td className="col-actions">
        {open && canDecide && (
          <div className="row-actions rt-decide">
            <Button
              size="sm"
              variant="primary"
              icon="check"
              busy={accept.isPending}
              onClick={() => accept.mutate()}
              aria-label={`Accept ${label}`}
            >
              Accept
            </Button>
            <Button size="sm" onClick={onReject} disabled={accept.isPending} aria-label={`Reject ${label}`}>
              Reject
            </Button>
          </div>
        )}
      </td>
    </tr>
  );
}

function RejectDialog({ entry, onClose }: { entry: QueueEntry; onClose: () => void }) {
  const qc = useQueryClient();
  const toast = useToast();
  const settings = useQuery({ queryKey: ['routing', 'settings'], queryFn: fetchRoutingSettings });
  const [reason, setReason] = useState('');
  const reasons = settings.data?.rejectReasons ?? [];
  const chosen = reason || reasons[0] || '';
  const reject = useMutation({
    mutationFn: () => api.post(`/routing/leads/${entry.contact.id}/reject`, z.unknown(), { reason: chosen }),
    onSuccess: async () => {
      toast('Rejected: the lead goes to someone else', 'info');
      await qc.invalidateQueries({ queryKey: ['routing'] });
      onClose();
    },
  });
  return (
    <Dialog
      title={`Reject ${entry.contact.name || entry.contact.email || 'this lead'}`}
      description="The lead is routed again at once, never back to you. Your reason feeds the report marketing reads."
      size="sm"
      busy={reject.isPending}
      onClose={onClose}
      onSubmit={() => reject.mutate()}
      footer={
        <>
          <Button onClick={onClose} disabled={reject.isPending}>
            Cancel
          </Button>
          <Button type="submit" variant="danger" busy={reject.isPending} disabled={!chosen}>
            Reject lead
          </Button>
        </>
      }
    >
      {settings.isError ? (
        <ProblemAlert error={settings.error} />
      ) : (
        <SelectField
          label="Reason"
          value={chosen}
          onChange={setReason}
          options={reasons.map((r) => ({ value: r, label: r }))}
          disabled={settings.isPending}
        />
      )}
      {reject.isError && <ProblemAlert error={reject.error} />}
    </Dialog>
  );
}
