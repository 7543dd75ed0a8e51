import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { usersPageSchema } from '../../../../src/modules/users/users.schema.js';
import { api } from '../../lib/api.js';
import { useCan } from '../../lib/session.js';
import { Badge } from '../../ui/Badge.js';
import { Button } from '../../ui/Button.js';
import { EmptyState, ErrorState } from '../../ui/EmptyState.js';
import { ProblemAlert } from '../../ui/ProblemAlert.js';
import { SkeletonRows } from '../../ui/Spinner.js';
import { useToast } from '../../ui/Toast.js';
import { fetchReps, repsSchema, type Rep, type WorkingHours } from './routing-queries.js';

const officeHours: WorkingHours = {
  mon: [['09:00', '17:00']],
  tue: [['09:00', '17:00']],
  wed: [['09:00', '17:00']],
  thu: [['09:00', '17:00']],
  fri: [['09:00', '17:00']],
};
type HoursChoice = 'always' | 'office' | 'custom';
interface Draft {
  userId: string;
  name: string;
  openLeads: number;
  active: boolean;
  weight: string;
  capacity: string;
  timeZone: string;
  hours: HoursChoice;
  custom: WorkingHours | null;
  available: boolean;
}

function hoursChoice(h: unknown): HoursChoice {
  if (h === null || h === undefined) return 'always';
  return JSON.stringify(h) === JSON.stringify(officeHours) ? 'office' : 'custom';
}
const draftOf = (r: Rep): Draft => ({
  userId: r.userId,
  name: r.name,
  openLeads: r.openLeads,
  active: r.active,
  weight: String(r.weight),
  capacity: r.capacity === null ? '' : String(r.capacity),
  timeZone: r.timeZone,
  hours: hoursChoice(r.workingHours),
  custom: (r.workingHours as WorkingHours | null) ?? null,
  available: r.available,
});

/** Reps: weight (share of round robin), capacity (open leads at once), hours and time zone, availability. */
export function RepsEditor() {
  const can = useCan();
  const qc = useQueryClient();
  const toast = useToast();
  const canEdit = can('routing.configure');
  const reps = useQuery({ queryKey: ['routing', 'reps'], queryFn: fetchReps });
  const users = useQuery({
    queryKey: ['users', 'all-active'],
    queryFn: () => api.get('/users', usersPageSchema, { status: 'active', limit: 200 }),
    enabled: canEdit,
  });
  const [drafts, setDrafts] = useState<Draft[] | null>(null);
  const rows = drafts ?? reps.data?.data.map(draftOf) ?? [];
  const set = (i: number, patch: Partial<Draft>) => setDrafts(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const save = useMutation({
    mutationFn: () =>
      api.put('/routing/reps', repsSchema, {
        reps: rows.map((r) => ({
          userId: r.userId,
          weight: Number(r.weight),
          capacity: r.capacity.trim() === '' ? null : Number(r.capacity),
          timeZone: r.timeZone.trim(),
          workingHours: r.hours === 'always' ? null : r.hours === 'office' ? officeHours : r.custom,
          available: r.available,
        })),
      }),
    onSuccess: async () => {
      setDrafts(null);
      toast('Reps saved');
      await qc.invalidateQueries({ queryKey: ['routing'] });
    },
  });
  const candidates = (users.data?.data ?? []).filter((u) => !rows.some((r) => r.userId === u.id));
  const [adding, setAdding] = useState('');

  if (reps.isError) return <ErrorState error={reps.error} onRetry={() => void reps.refetch()} />;
  return (
    <section aria-label="Reps">
      {!reps.isPending && rows.length === 0 && !canEdit ? (
        <EmptyState icon="users" title="No reps yet">
          A manager adds the people who take leads here, with their share, capacity and working hours.
        </EmptyState>
      ) : (
        <div className="card table-card">
          <div className="table-scroll">
            <table className="table rt-reps" aria-label="Reps" aria-busy={reps.isPending || undefined}>
              <thead>
                <tr>
                  <th scope="col">Rep</th>
                  <th scope="col">Weight</th>
                  <th scope="col">Capacity</th>
                  <th scope="col">Working hours</th>
                  <th scope="col">Time zone</th>
                  <th scope="col">Available</th>
                  <th scope="col" className="col-actions">
                    <span className="sr-only">Remove</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {reps.isPending ? (
                  <SkeletonRows cols={7} rows={3} />
                ) : (
                  rows.map((r, i) => (
                    <tr key={r.userId} data-rep={r.name}>
                      <td className="cell-name">
                        <span className="cell-primary">{r.name}</span>
                        <div className="cell-secondary">
                          {r.openLeads} open {r.openLeads === 1 ? 'lead' : 'leads'} {!r.active && <Badge tone="danger">Disabled</Badge>}
                        </div>
                      </td>
                      <td>
                        <input
                          className="input rt-num"
                          aria-label={`Weight of ${r.name}`}
                          inputMode="numeric"
                          value={r.weight}
                          disabled={!canEdit}
                          onChange={(e) => set(i, { weight: e.target.value })}
                        />
                      </td>
                      <td>
                        <input
                          className="input rt-num"
                          aria-label={`Capacity of ${r.name}`}
                          placeholder="No cap"
                          inputMode="numeric"
                          value={r.capacity}
                          disabled={!canEdit}
                          onChange={(e) => set(i, { capacity: e.target.value })}
                        />
                      </td>
                      <td>
                        <select
                          className="input select"
                          aria-label={`Working hours of ${r.name}`}
                          value={r.hours}
                          disabled={!canEdit}
                          onChange={(e) => set(i, { hours: e.target.value as HoursChoice })}
                        >
                          <option value="always">Always</option>
                          <option value="office">Mon–Fri 09:00–17:00</option>
                          {r.custom && hoursChoice(r.custom) === 'custom' && <option value="custom">Custom (set through the API)</option>}
                        </select>
                      </td>
                      <td>
                        <input
                          className="input"
                          aria-label={`Time zone of ${r.name}`}
                          value={r.timeZone}
                          disabled={!canEdit}
                          onChange={(e) => set(i, { timeZone: e.target.value })}
                        />
                      </td>
                      <td>
                        <input
                          type="checkbox"
                          aria-label={`${r.name} is available`}
                          checked={r.available}
                          disabled={!canEdit}
                          onChange={(e) => set(i, { available: e.target.checked })}
                        />
                      </td>
                      <td className="col-actions">
                        {canEdit && (
                          <Button
                            size="sm"
                            variant="ghost"
                            icon="trash"
                            aria-label={`Remove ${r.name}`}
                            onClick={() => setDrafts(rows.filter((_, j) => j !== i))}
                          />
                        )}
                      </td>
                    </tr>
                  ))
                )}
              </tbody>
            </table>
          </div>
        </div>
      )}
      {canEdit && (
        <div className="form-actions rt-form-actions">
          <select className="input select rt-add-rep" aria-label="Add a rep" value={adding} onChange={(e) => setAdding(e.target.value)}>
            <option value="">Add a rep…</option>
            {candidates.map((u) => (
              <option key={u.id} value={u.id}>
                {u.name || u.email} ({u.role})
              </option>
            ))}
          </select>
          <Button
            icon="plus"
            disabled={!adding}
            onClick={() => {
              const u = candidates.find((c) => c.id === adding);
              if (!u) return;
              setDrafts([
                ...rows,
                {
                  userId: u.id,
                  name: u.name || u.email,
                  openLeads: 0,
                  active: true,
                  weight: '1',
                  capacity: '',
                  timeZone: 'UTC',
                  hours: 'always',
                  custom: null,
                  available: true,
                },
              ]);
              setAdding('');
            }}
          >
            Add
          </Button>
          <span className="rt-spacer" />
          {drafts && (
            <Button onClick={() => setDrafts(null)} disabled={save.isPending}>
              Discard changes
            </Button>
          )}
          <Button variant="primary" busy={save.isPending} disabled={!drafts} onClick={() => save.mutate()}>
            Save reps
          </Button>
        </div>
      )}
      {save.isError && <ProblemAlert error={save.error} />}
      <p className="muted rt-footnote">
        Weight is a rep’s share of round-robin leads (0: never picked). Capacity is the most leads waiting for their decision at once.
        Outside working hours, or unavailable, a rep is skipped and keeps the leads they have.
      </p>
    </section>
  );
}
