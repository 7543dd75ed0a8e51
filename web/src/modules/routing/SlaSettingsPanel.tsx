import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { stageKeys } from '../../../../src/modules/routing/lifecycle.schema.js';
import { usersPageSchema } from '../../../../src/modules/users/users.schema.js';
import { api } from '../../lib/api.js';
import { Button } from '../../ui/Button.js';
import { SelectField, TextField } from '../../ui/Field.js';
import { ProblemAlert } from '../../ui/ProblemAlert.js';
import { useToast } from '../../ui/Toast.js';
import { minutesLabel, slaSettingsSchema, type SlaSettings } from './routing-queries.js';

interface Row {
  stage: string;
  within: string;
  remind: string;
  escalateTo: string;
}

/** The workspace calendar's hours in words (they are edited through the API). */
function hoursSummary(h: SlaSettings['workspaceCalendar']['workingHours']): string {
  const days = Object.entries(h).filter(([, p]) => p.length > 0);
  if (days.length === 7 && days.every(([, p]) => p.length === 1 && p[0]?.[0] === '00:00' && p[0]?.[1] === '24:00'))
    return 'Round the clock, every day';
  const office = ['mon', 'tue', 'wed', 'thu', 'fri'];
  if (days.length === 5 && days.every(([d, p]) => office.includes(d) && p.length === 1 && p[0]?.[0] === '09:00' && p[0]?.[1] === '17:00'))
    return 'Mon–Fri 09:00–17:00 in this zone';
  return days.length === 0 ? 'No working hours set' : 'Custom hours in this zone (set through the API)';
}

/** The per-stage SLAs: read for everyone, edited by managers (routing.sla_configure). */
export function SlaSettingsPanel({ settings, canEdit }: { settings: SlaSettings; canEdit: boolean }) {
  const qc = useQueryClient();
  const toast = useToast();
  const users = useQuery({
    queryKey: ['users', 'all-active'],
    queryFn: () => api.get('/users', usersPageSchema, { status: 'active', limit: 200 }),
  });
  const toRows = (s: SlaSettings): Row[] =>
    s.slas.map((r) => ({
      stage: r.stage,
      within: String(r.withinMinutes),
      remind: String(r.remindBeforeMinutes),
      escalateTo: r.escalateTo ?? '',
    }));
  const [rows, setRows] = useState<Row[]>(() => toRows(settings));
  const [calendar, setCalendar] = useState(settings.calendar);
  const [timeZone, setTimeZone] = useState(settings.workspaceCalendar.timeZone);
  const [holidays, setHolidays] = useState(settings.workspaceCalendar.holidays.join(', '));
  const [escalateTo, setEscalateTo] = useState(settings.escalateTo ?? '');
  const userOptions = [{ value: '', label: 'No one' }, ...(users.data?.data ?? []).map((u) => ({ value: u.id, label: u.name || u.email }))];
  const nameOf = (id: string | null) => (id ? (users.data?.data.find((u) => u.id === id)?.name ?? 'a manager') : 'no one');

  const save = useMutation({
    mutationFn: () =>
      api.put('/routing/sla/settings', slaSettingsSchema, {
        calendar,
        escalateTo: escalateTo || null,
        workspaceCalendar: {
          timeZone: timeZone.trim(),
          workingHours: settings.workspaceCalendar.workingHours,
          holidays: holidays
            .split(/[\s,]+/)
            .map((h) => h.trim())
            .filter(Boolean),
        },
        slas: rows.map((r) => ({
          stage: r.stage,
          withinMinutes: Number(r.within),
          remindBeforeMinutes: Number(r.remind),
          escalateTo: r.escalateTo || null,
        })),
      }),
    onSuccess: async (saved) => {
      setRows(toRows(saved));
      toast('SLAs saved');
      await qc.invalidateQueries({ queryKey: ['routing'] });
    },
  });
  const set = (i: number, patch: Partial<Row>) => setRows((rs) => rs.map((r, j) => (j === i ? { ...r, ...patch } : r)));

  if (!canEdit) {
    return (
      <div className="card rt-card rt-settings">
        <h2 className="section-title">SLAs</h2>
        {settings.slas.length === 0 ? (
          <p className="muted">No SLAs are set. A manager can set them here.</p>
        ) : (
          <ul className="rt-sla-summary">
            {settings.slas.map((r) => (
              <li key={r.stage}>
                <b>{r.stage}</b>: accept or reject within {minutesLabel(r.withinMinutes)} of working time; reminder{' '}
                {minutesLabel(r.remindBeforeMinutes)} before; escalated to {nameOf(r.escalateTo ?? settings.escalateTo)}.
              </li>
            ))}
          </ul>
        )}
      </div>
    );
  }

  return (
    <form
      className="card rt-card rt-settings"
      aria-label="SLA settings"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <h2 className="section-title">SLA settings</h2>
      <p className="section-description">
        Times are working minutes: on each rep’s own hours and time zone, or on one workspace calendar. Holidays (YYYY-MM-DD) count as no
        working time.
      </p>
      <div className="rt-form-grid">
        <SelectField
          label="Calendar"
          value={calendar}
          onChange={(v) => setCalendar(v as SlaSettings['calendar'])}
          options={[
            { value: 'rep', label: "Each rep's working hours" },
            { value: 'workspace', label: 'Workspace calendar' },
          ]}
        />
        <TextField
          label="Workspace time zone"
          value={timeZone}
          onChange={setTimeZone}
          hint={hoursSummary(settings.workspaceCalendar.workingHours)}
        />
        <TextField label="Holidays" value={holidays} onChange={setHolidays} placeholder="2026-12-25, 2026-12-26" />
        <SelectField label="Escalate breaches to" value={escalateTo} onChange={setEscalateTo} options={userOptions} />
      </div>
      <table className="table rt-sla-table" aria-label="SLA per stage">
        <thead>
          <tr>
            <th scope="col">Stage</th>
            <th scope="col">Within (working minutes)</th>
            <th scope="col">Remind before (minutes)</th>
            <th scope="col">Escalate to</th>
            <th scope="col" className="col-actions">
              <span className="sr-only">Remove</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>
              <td>
                <select className="input select" aria-label="Stage" value={r.stage} onChange={(e) => set(i, { stage: e.target.value })}>
                  {stageKeys.map((k) => (
                    <option key={k} value={k}>
                      {k}
                    </option>
                  ))}
                </select>
              </td>
              <td>
                <input
                  className="input"
                  aria-label="Within minutes"
                  inputMode="numeric"
                  value={r.within}
                  onChange={(e) => set(i, { within: e.target.value })}
                />
              </td>
              <td>
                <input
                  className="input"
                  aria-label="Remind before minutes"
                  inputMode="numeric"
                  value={r.remind}
                  onChange={(e) => set(i, { remind: e.target.value })}
                />
              </td>
              <td>
                <select
                  className="input select"
                  aria-label="Escalate to"
                  value={r.escalateTo}
                  onChange={(e) => set(i, { escalateTo: e.target.value })}
                >
                  <option value="">The default above</option>
                  {(users.data?.data ?? []).map((u) => (
                    <option key={u.id} value={u.id}>
                      {u.name || u.email}
                    </option>
                  ))}
                </select>
              </td>
              <td className="col-actions">
                <Button
                  size="sm"
                  variant="ghost"
                  icon="trash"
                  aria-label={`Remove the ${r.stage} SLA`}
                  onClick={() => setRows((rs) => rs.filter((_, j) => j !== i))}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {save.isError && <ProblemAlert error={save.error} />}
      <div className="form-actions rt-form-actions">
        <Button icon="plus" onClick={() => setRows((rs) => [...rs, { stage: 'mql', within: '240', remind: '60', escalateTo: '' }])}>
          Add an SLA
        </Button>
        <Button type="submit" variant="primary" busy={save.isPending}>
          Save SLAs
        </Button>
      </div>
    </form>
  );
}
