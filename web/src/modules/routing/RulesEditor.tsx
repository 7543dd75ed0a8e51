import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { regions } from '../../../../src/modules/routing/routing.schema.js';
import { api } from '../../lib/api.js';
import { useCan } from '../../lib/session.js';
import { Badge } from '../../ui/Badge.js';
import { Button } from '../../ui/Button.js';
import { ConfirmDialog } from '../../ui/ConfirmDialog.js';
import { Dialog } from '../../ui/Dialog.js';
import { EmptyState, ErrorState } from '../../ui/EmptyState.js';
import { SelectField, TextField } from '../../ui/Field.js';
import { ProblemAlert } from '../../ui/ProblemAlert.js';
import { LoadingState } from '../../ui/Spinner.js';
import { useToast } from '../../ui/Toast.js';
import { accountKind, contactKind } from '../records/record-kinds.js';
import { useFieldCatalog } from '../records/record-queries.js';
import { ConditionBuilder } from '../segments/ConditionBuilder.js';
import { buildDefinition, countConditions, newGroup, rootFrom, type Catalogs, type GroupNode } from '../segments/definition.js';
import { segmentCatalog } from '../segments/segment-fields.js';
import '../segments/segments.css';
import { fetchReps, fetchRules, routingRuleSchema, type Rep, type RoutingAction, type RoutingRule } from './routing-queries.js';
import { RoutingSettingsPanel } from './RoutingSettingsPanel.js';

const actionLabels: Record<RoutingAction['type'], string> = {
  round_robin: 'Round robin',
  territory: 'Territory',
  account_owner: 'Account owner',
  queue: 'Named queue',
};

function describeAction(a: RoutingAction, repName: (id: string) => string): string {
  switch (a.type) {
    case 'round_robin':
      return `Round robin: ${a.reps.map(repName).join(', ')}`;
    case 'territory':
      return `Territories: ${a.territories.map((t) => `${t.name} (${t.reps.map(repName).join(', ')})`).join('; ')}`;
    case 'account_owner':
      return "The owner of the lead's account";
    case 'queue':
      return `Queue “${a.queue}”`;
  }
}

/** Routing rules in order (the first that assigns wins), and the fallback queue and reject reasons. */
export function RulesEditor() {
  const can = useCan();
  const qc = useQueryClient();
  const canEdit = can('routing.configure');
  const rules = useQuery({ queryKey: ['routing', 'rules'], queryFn: fetchRules });
  const reps = useQuery({ queryKey: ['routing', 'reps'], queryFn: fetchReps });
  const [editing, setEditing] = useState<RoutingRule | 'new' | null>(null);
  const [deleting, setDeleting] = useState<RoutingRule | null>(null);
  const repName = (id: string) => reps.data?.data.find((r) => r.userId === id)?.name ?? 'a removed rep';
  const move = useMutation({
    mutationFn: (v: { id: string; position: number }) => api.patch(`/routing/rules/${v.id}`, routingRuleSchema, { position: v.position }),
    onSettled: () => qc.invalidateQueries({ queryKey: ['routing', 'rules'] }),
  });
  const toggle = useMutation({
    mutationFn: (r: RoutingRule) => api.patch(`/routing/rules/${r.id}`, routingRuleSchema, { enabled: !r.enabled }),
    onSettled: () => qc.invalidateQueries({ queryKey: ['routing', 'rules'] }),
  });
  const remove = useMutation({
    mutationFn: (r: RoutingRule) => api.delete(`/routing/rules/${r.id}`),
    onSuccess: async () => {
      setDeleting(null);
      await qc.invalidateQueries({ queryKey: ['routing', 'rules'] });
    },
  });
  const addButton = canEdit && (
    <Button variant="primary" icon="plus" onClick={() => setEditing('new')}>
      New rule
    </Button>
  );
  if (rules.isError) return <ErrorState error={rules.error} onRetry={() => void rules.refetch()} />;
  if (rules.isPending) return <LoadingState label="Loading rules…" />;
  const list = rules.data.data;

  return (
    <section aria-label="Routing rules">
      <div className="rt-section-head">
        <p className="muted">
          Evaluated top to bottom for every new lead; the first rule that assigns someone wins. Nothing assigns: the fallback queue.
        </p>
        {list.length > 0 && addButton}
      </div>
      {list.length === 0 ? (
        <EmptyState icon="filter" title="No routing rules yet" action={addButton}>
          Without rules every new lead lands in the fallback queue. Add a round robin over your reps, territories, or send leads to their
          account’s owner.
        </EmptyState>
      ) : (
        <ol className="rt-rules">
          {list.map((r, i) => (
            <li key={r.id} className={`card rt-rule${r.enabled ? '' : ' rt-rule-off'}`} data-rule={r.name}>
              <span className="rt-rule-pos" aria-hidden="true">
                {i + 1}
              </span>
              <div className="rt-rule-text">
                <div className="rt-rule-name">
                  {r.name} {!r.enabled && <Badge>Off</Badge>}
                </div>
                <div className="cell-secondary">
                  {r.condition ? 'Leads matching a condition' : 'Every lead'} → {describeAction(r.action as RoutingAction, repName)}
                </div>
              </div>
              {canEdit && (
                <div className="row-actions">
                  <Button
                    size="sm"
                    variant="ghost"
                    aria-label={`Move ${r.name} up`}
                    disabled={i === 0 || move.isPending}
                    onClick={() => move.mutate({ id: r.id, position: i - 1 })}
                  >
                    ↑
                  </Button>
                  <Button
                    size="sm"
                    variant="ghost"
                    aria-label={`Move ${r.name} down`}
                    disabled={i === list.length - 1 || move.isPending}
                    onClick={() => move.mutate({ id: r.id, position: i + 1 })}
                  >
                    ↓
                  </Button>
                  <Button size="sm" onClick={() => toggle.mutate(r)}>
                    {r.enabled ? 'Turn off' : 'Turn on'}
                  </Button>
                  <Button size="sm" icon="edit" onClick={() => setEditing(r)}>
                    Edit
                  </Button>
                  <Button size="sm" variant="danger-ghost" icon="trash" aria-label={`Delete ${r.name}`} onClick={() => setDeleting(r)} />
                </div>
              )}
            </li>
          ))}
        </ol>
      )}
      {(move.isError || toggle.isError) && <ProblemAlert error={move.error ?? toggle.error} />}
      <RoutingSettingsPanel canEdit={canEdit} />
      {editing && <RuleDialog rule={editing === 'new' ? null : editing} reps={reps.data?.data ?? []} onClose={() => setEditing(null)} />}
      {deleting && (
        <ConfirmDialog
          title={`Delete “${deleting.name}”?`}
          confirmLabel="Delete rule"
          busy={remove.isPending}
          error={remove.error}
          onConfirm={() => remove.mutate(deleting)}
          onClose={() => setDeleting(null)}
        >
          Leads already assigned by it keep their rep; the routing log keeps its decisions.
        </ConfirmDialog>
      )}
    </section>
  );
}

function useCatalogs(): { catalogs: Catalogs; ready: boolean } {
  const contact = useFieldCatalog(contactKind);
  const account = useFieldCatalog(accountKind);
  const catalogs = useMemo(
    () => ({ contact: segmentCatalog(contact.catalog), account: segmentCatalog(account.catalog) }),
    [contact.catalog, account.catalog],
  );
  return { catalogs, ready: !contact.isPending && !account.isPending };
}

interface TerritoryDraft {
  name: string;
  countries: string;
  regions: string[];
  reps: string[];
}

function RuleDialog({ rule, reps, onClose }: { rule: RoutingRule | null; reps: Rep[]; onClose: () => void }) {
  const { catalogs, ready } = useCatalogs();
  if (!ready) return null;
  return <RuleForm rule={rule} reps={reps} catalogs={catalogs} onClose={onClose} />;
}

function RuleForm({ rule, reps, catalogs, onClose }: { rule: RoutingRule | null; reps: Rep[]; catalogs: Catalogs; onClose: () => void }) {
  const qc = useQueryClient();
  const toast = useToast();
  const can = useCan();
  const start = rule?.action as RoutingAction | undefined;
  const [name, setName] = useState(rule?.name ?? '');
  const [root, setRoot] = useState<GroupNode>(() => (rule?.condition ? rootFrom(rule.condition, catalogs) : newGroup()));
  const [type, setType] = useState<RoutingAction['type']>(start?.type ?? 'round_robin');
  const [rrReps, setRrReps] = useState<string[]>(start?.type === 'round_robin' ? start.reps : []);
  const [queue, setQueue] = useState(start?.type === 'queue' ? start.queue : '');
  const [territories, setTerritories] = useState<TerritoryDraft[]>(
    start?.type === 'territory'
      ? start.territories.map((t) => ({
          name: t.name,
          countries: (t.match.countries ?? []).join(', '),
          regions: t.match.regions ?? [],
          reps: t.reps,
        }))
      : [{ name: '', countries: '', regions: [], reps: [] }],
  );
  const built = useMemo(() => buildDefinition(root, catalogs), [root, catalogs]);
  const hasCondition = countConditions(root) > 0;

  const action = (): RoutingAction => {
    if (type === 'round_robin') return { type, reps: rrReps };
    if (type === 'queue') return { type, queue: queue.trim() };
    if (type === 'account_owner') return { type };
    return {
      type,
      territories: territories.map((t) => {
        const countries = t.countries
          .split(/[\s,]+/)
          .map((c) => c.trim().toUpperCase())
          .filter(Boolean);
        return {
          name: t.name.trim(),
          match: { ...(countries.length && { countries }), ...(t.regions.length && { regions: t.regions }) },
          reps: t.reps,
        };
      }),
    };
  };
  const save = useMutation({
    mutationFn: () => {
      const body = { name: name.trim(), condition: hasCondition ? built.definition : null, action: action() };
      return rule ? api.patch(`/routing/rules/${rule.id}`, routingRuleSchema, body) : api.post('/routing/rules', routingRuleSchema, body);
    },
    onSuccess: async () => {
      toast(rule ? 'Rule saved' : 'Rule added');
      await qc.invalidateQueries({ queryKey: ['routing', 'rules'] });
      onClose();
    },
  });
  const repPicker = (chosen: string[], onChange: (ids: string[]) => void, label: string) => (
    <fieldset className="fieldset rt-rep-checks">
      <legend className="fieldset-legend">{label}</legend>
      {reps.length === 0 ? (
        <p className="muted">No reps yet: add them under Reps first.</p>
      ) : (
        reps.map((r) => (
          <label key={r.userId} className="rt-check">
            <input
              type="checkbox"
              checked={chosen.includes(r.userId)}
              onChange={(e) => onChange(e.target.checked ? [...chosen, r.userId] : chosen.filter((x) => x !== r.userId))}
            />
            {r.name} <span className="cell-secondary">weight {r.weight}</span>
          </label>
        ))
      )}
    </fieldset>
  );

  return (
    <Dialog
      title={rule ? `Edit “${rule.name}”` : 'New routing rule'}
      size="lg"
      busy={save.isPending}
      onClose={onClose}
      onSubmit={() => save.mutate()}
      footer={
        <>
          <Button onClick={onClose} disabled={save.isPending}>
            Cancel
          </Button>
          <Button type="submit" variant="primary" busy={save.isPending} disabled={hasCondition && built.problems.size > 0}>
            {rule ? 'Save rule' : 'Add rule'}
          </Button>
        </>
      }
    >
      <TextField label="Name" value={name} onChange={setName} required maxLength={200} placeholder="EMEA enterprise" />
      <div className="field">
        <span className="field-label">Which leads</span>
        <p className="field-hint">No conditions: every lead. Same condition language as segments.</p>
        <ConditionBuilder
          root={root}
          onChange={setRoot}
          catalogs={catalogs}
          problems={built.problems}
          selfId={undefined}
          canReadTracking={can('tracking.read')}
        />
      </div>
      <SelectField
        label="Assign to"
        value={type}
        onChange={(v) => setType(v as RoutingAction['type'])}
        options={Object.entries(actionLabels).map(([value, label]) => ({ value, label }))}
      />
      {type === 'round_robin' && repPicker(rrReps, setRrReps, 'Reps in the round robin')}
      {type === 'queue' && (
        <TextField label="Queue name" value={queue} onChange={setQueue} placeholder="inbound" hint="Lower-case letters, digits, - and _" />
      )}
      {type === 'account_owner' && (
        <p className="muted">The owner of the lead’s account takes it, whatever their capacity. No account or owner: the next rule.</p>
      )}
      {type === 'territory' && (
        <div className="rt-territories">
          {territories.map((t, i) => {
            const set = (patch: Partial<TerritoryDraft>) => setTerritories((ts) => ts.map((x, j) => (j === i ? { ...x, ...patch } : x)));
            return (
              <fieldset key={i} className="fieldset rt-territory">
                <legend className="fieldset-legend">Territory {i + 1}</legend>
                <div className="rt-form-grid">
                  <TextField label="Name" value={t.name} onChange={(v) => set({ name: v })} placeholder="DACH" />
                  <TextField label="Countries" value={t.countries} onChange={(v) => set({ countries: v })} placeholder="DE, AT, CH" />
                </div>
                <div className="rt-regions" role="group" aria-label="Regions">
                  {Object.keys(regions).map((reg) => (
                    <label key={reg} className="rt-check">
                      <input
                        type="checkbox"
                        checked={t.regions.includes(reg)}
                        onChange={(e) => set({ regions: e.target.checked ? [...t.regions, reg] : t.regions.filter((x) => x !== reg) })}
                      />
                      {reg}
                    </label>
                  ))}
                </div>
                {repPicker(t.reps, (ids) => set({ reps: ids }), 'Reps')}
                {territories.length > 1 && (
                  <Button
                    size="sm"
                    variant="danger-ghost"
                    icon="trash"
                    onClick={() => setTerritories((ts) => ts.filter((_, j) => j !== i))}
                  >
                    Remove territory
                  </Button>
                )}
              </fieldset>
            );
          })}
          <Button size="sm" icon="plus" onClick={() => setTerritories((ts) => [...ts, { name: '', countries: '', regions: [], reps: [] }])}>
            Add territory
          </Button>
        </div>
      )}
      {save.isError && <ProblemAlert error={save.error} />}
    </Dialog>
  );
}
