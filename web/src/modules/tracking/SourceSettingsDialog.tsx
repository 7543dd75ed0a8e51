import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { ApiError, api } from '../../lib/api.js';
import { problemFieldErrors } from '../../lib/form.js';
import { Button } from '../../ui/Button.js';
import { Dialog } from '../../ui/Dialog.js';
import { SelectField, TextField } from '../../ui/Field.js';
import { ProblemAlert } from '../../ui/ProblemAlert.js';
import { useToast } from '../../ui/Toast.js';
import { kindLabels, retentionChoices, retentionLabel } from './source-kinds.js';
import { sourceSchema, sourcesQuery, type Source } from './tracking-queries.js';

const linesOf = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

/** The server's messages about excluded addresses (paths body.excludedIps.N), each with the line it is about. */
function ipErrors(err: unknown, lines: string[]): string[] {
  if (!(err instanceof ApiError)) return [];
  const out: string[] = [];
  for (const e of err.problem.errors ?? []) {
    const m = /^body\.excludedIps(?:\.(\d+))?$/.exec(e.path ?? '');
    if (!m) continue;
    const i = m[1] === undefined ? null : Number(m[1]);
    out.push(i === null ? e.message : `Line ${i + 1} (${lines[i] ?? ''}): ${e.message}`);
  }
  return out;
}

/** A source's name, how long it keeps events, and the addresses whose events it drops as the team's own. */
export function SourceSettingsDialog({ source, onClose }: { source: Source; onClose: () => void }) {
  const qc = useQueryClient();
  const toast = useToast();
  const ipsId = useId();
  const [name, setName] = useState(source.name);
  const [retention, setRetention] = useState(source.retentionDays === null ? '' : String(source.retentionDays));
  const [ips, setIps] = useState(source.excludedIps.join('\n'));
  const [sent, setSent] = useState<string[]>([]);
  const choices = retentionChoices.some((c) => c.value === retention)
    ? retentionChoices
    : [
        ...retentionChoices,
        {
          value: retention,
          label: retentionLabel(Number(retention))
            .replace(/^Keeps /, '')
            .replace(/ of events$/, ''),
        },
      ];

  const update = useMutation({
    mutationFn: (body: { name: string; retentionDays: number | null; excludedIps: string[] }) =>
      api.patch(`/sources/${source.id}`, sourceSchema, body),
    onSuccess: async (updated) => {
      qc.setQueryData(sourcesQuery.queryKey, (old: Source[] | undefined) => old?.map((s) => (s.id === updated.id ? updated : s)));
      await qc.invalidateQueries({ queryKey: sourcesQuery.queryKey });
      toast(`${updated.name} was saved`);
      onClose();
    },
  });
  const fields = problemFieldErrors(update.error);
  const ipProblems = ipErrors(update.error, sent);
  const general = update.error && !fields.name && !fields.retentionDays && ipProblems.length === 0 ? update.error : null;

  const submit = () => {
    const excludedIps = linesOf(ips);
    setSent(excludedIps);
    update.mutate({ name, retentionDays: retention ? Number(retention) : null, excludedIps });
  };
  const count = linesOf(ips).length;

  return (
    <Dialog
      title={`Settings of ${source.name}`}
      description={`${kindLabels[source.kind]} source`}
      size="lg"
      busy={update.isPending}
      onClose={onClose}
      onSubmit={submit}
      footer={
        <>
          <Button onClick={onClose} disabled={update.isPending}>
            Cancel
          </Button>
          <Button type="submit" variant="primary" busy={update.isPending}>
            Save settings
          </Button>
        </>
      }
    >
      <ProblemAlert error={general} />
      <div className="form-row">
        <TextField label="Name" value={name} onChange={setName} error={fields.name} maxLength={100} />
        <SelectField
          label="Keep events"
          value={retention}
          onChange={setRetention}
          options={choices}
          error={fields.retentionDays}
          hint="Older events are deleted every night."
        />
      </div>
      <div className={`field${ipProblems.length ? ' field-invalid' : ''}`}>
        <label className="field-label" htmlFor={ipsId}>
          Excluded IP addresses
          {count > 0 && <span className="muted source-ips-count"> · {count}</span>}
        </label>
        <textarea
          id={ipsId}
          className="input source-ips-input"
          rows={6}
          value={ips}
          onChange={(e) => {
            setIps(e.target.value);
            if (update.error) update.reset();
          }}
          placeholder={'203.0.113.7\n10.0.0.0/8\n2001:db8::/32'}
          spellCheck={false}
          aria-invalid={ipProblems.length ? true : undefined}
          aria-describedby={`${ipsId}-msg`}
        />
        {ipProblems.length ? (
          <ul className="field-error source-ips-errors" id={`${ipsId}-msg`}>
            {ipProblems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        ) : (
          <p className="field-hint" id={`${ipsId}-msg`}>
            One address or CIDR range per line: your office, VPN, staging servers. Their events are dropped before they are stored and
            counted as internal. The address is the event’s <code>context.ip</code> (what server-side libraries forward), else the sender’s.
          </p>
        )}
      </div>
    </Dialog>
  );
}
