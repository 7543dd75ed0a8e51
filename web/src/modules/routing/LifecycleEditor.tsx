import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { z } from 'zod';
import { stageKeys, type StagesSettings } from '../../../../src/modules/routing/lifecycle.schema.js';
import { api } from '../../lib/api.js';
import { useCan } from '../../lib/session.js';
import { Badge } from '../../ui/Badge.js';
import { Button } from '../../ui/Button.js';
import { EmptyState, ErrorState } from '../../ui/EmptyState.js';
import { ProblemAlert } from '../../ui/ProblemAlert.js';
import { LoadingState } from '../../ui/Spinner.js';
import { useToast } from '../../ui/Toast.js';
import { accountKind, contactKind } from '../records/record-kinds.js';
import { useFieldCatalog } from '../records/record-queries.js';
import { ConditionBuilder } from '../segments/ConditionBuilder.js';
import { buildDefinition, countConditions, newGroup, rootFrom, type Catalogs, type GroupNode } from '../segments/definition.js';
import { segmentCatalog } from '../segments/segment-fields.js';
import '../segments/segments.css';
import { lifecycleRulesSchema, stagesSettingsSchema, type LifecycleRule } from './routing-queries.js';

type StageKey = (typeof stageKeys)[number];
const modelsSchema = z.object({ data: z.array(z.object({ id: z.string(), name: z.string() })) });

/** Stage labels, the stages that start routing, allowed backward moves, and the stage rules. */
export function LifecycleEditor() {
  const stages = useQuery({ queryKey: ['lifecycle', 'stages'], queryFn: () => api.get('/lifecycle/stages', stagesSettingsSchema) });
  const rules = useQuery({ queryKey: ['lifecycle', 'rules'], queryFn: () => api.get('/lifecycle/rules', lifecycleRulesSchema) });
  const contact = useFieldCatalog(contactKind);
  const account = useFieldCatalog(accountKind);
  const catalogs = useMemo(
    () => ({ contact: segmentCatalog(contact.catalog), account: segmentCatalog(account.catalog) }),
    [contact.catalog, account.catalog],
  );
  if (stages.isError) return <ErrorState error={stages.error} onRetry={() => void stages.refetch()} />;
  if (rules.isError) return <ErrorState error={rules.error} onRetry={() => void rules.refetch()} />;
  if (!stages.data || !rules.data || contact.isPending || account.isPending) return <LoadingState label="Loading lifecycle…" />;
  return (
    <>
      <StagesForm key={JSON.stringify(stages.data)} value={stages.data} />
      <RulesForm key={JSON.stringify(rules.data)} rules={rules.data.data} catalogs={catalogs} labels={stages.data} />
    </>
  );
}

function StagesForm({ value }: { value: StagesSettings }) {
  const can = useCan();
  const qc = useQueryClient();
  const toast = useToast();
  const canEdit = can('lifecycle.configure');
  const [labels, setLabels] = useState(() => Object.fromEntries(value.stages.map((s) => [s.key, s.label])) as Record<StageKey, string>);
  const [routeOn, setRouteOn] = useState<StageKey[]>(value.routeOn);
  const [allowed, setAllowed] = useState(value.allowed);
  const save = useMutation({
    mutationFn: () =>
      api.put('/lifecycle/stages', stagesSettingsSchema, {
        stages: stageKeys.map((k) => ({ key: k, label: labels[k] })),
        routeOn,
        allowed,
      }),
    onSuccess: async () => {
      toast('Stages saved');
      await qc.invalidateQueries({ queryKey: ['lifecycle'] });
    },
  });
  return (
    <form
      className="card rt-card"
      aria-label="Lifecycle stages"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <h2 className="section-title">Stages</h2>
      <p className="section-description">
        Contacts move forward through the funnel; a move back, or into recycle or disqualified, needs an allowed move below.
      </p>
      <div className="rt-stages">
        {stageKeys.map((k) => (
          <div key={k} className="rt-stage">
            <label className="field-label" htmlFor={`stage-${k}`}>
              <code className="code-pill">{k}</code>
            </label>
            <input
              id={`stage-${k}`}
              className="input"
              value={labels[k]}
              disabled={!canEdit}
              onChange={(e) => setLabels({ ...labels, [k]: e.target.value })}
            />
            <label className="rt-check">
              <input
                type="checkbox"
                checked={routeOn.includes(k)}
                disabled={!canEdit}
                onChange={(e) => setRouteOn(e.target.checked ? [...routeOn, k] : routeOn.filter((x) => x !== k))}
              />
              Starts routing
            </label>
          </div>
        ))}
      </div>
      <h3 className="rt-subtitle">Allowed moves back or off the funnel</h3>
      <ul className="rt-allowed">
        {allowed.map((t, i) => (
          <li key={i}>
            <select
              className="input select"
              aria-label="From"
              value={t.from}
              disabled={!canEdit}
              onChange={(e) => setAllowed(allowed.map((x, j) => (j === i ? { ...x, from: e.target.value as StageKey | '*' } : x)))}
            >
              <option value="*">any stage</option>
              {stageKeys.map((k) => (
                <option key={k} value={k}>
                  {labels[k]}
                </option>
              ))}
            </select>
            <span aria-hidden="true">→</span>
            <select
              className="input select"
              aria-label="To"
              value={t.to}
              disabled={!canEdit}
              onChange={(e) => setAllowed(allowed.map((x, j) => (j === i ? { ...x, to: e.target.value as StageKey } : x)))}
            >
              {stageKeys.map((k) => (
                <option key={k} value={k}>
                  {labels[k]}
                </option>
              ))}
            </select>
            {canEdit && (
              <Button
                size="sm"
                variant="ghost"
                icon="trash"
                aria-label="Remove this move"
                onClick={() => setAllowed(allowed.filter((_, j) => j !== i))}
              />
            )}
          </li>
        ))}
      </ul>
      {save.isError && <ProblemAlert error={save.error} />}
      {canEdit && (
        <div className="form-actions rt-form-actions">
          <Button icon="plus" onClick={() => setAllowed([...allowed, { from: '*', to: 'lead' }])}>
            Allow a move
          </Button>
          <span className="rt-spacer" />
          <Button type="submit" variant="primary" busy={save.isPending}>
            Save stages
          </Button>
        </div>
      )}
    </form>
  );
}

type Kind = 'condition' | 'event' | 'score';
interface RuleDraft {
  id?: string;
  name: string;
  toStage: StageKey;
  fromStage: string;
  enabled: boolean;
  kind: Kind;
  root: GroupNode;
  event: string;
  withinDays: string;
  modelId: string;
  gte: string;
  bands: string;
}

function draftOf(r: LifecycleRule, catalogs: Catalogs): RuleDraft {
  const t = r.trigger as {
    kind: Kind;
    condition?: unknown;
    event?: string;
    withinDays?: number;
    modelId?: string;
    gte?: number;
    bands?: string[];
  };
  return {
    id: r.id,
    name: r.name,
    toStage: r.toStage as StageKey,
    fromStage: r.fromStages?.length === 1 ? (r.fromStages[0] ?? '') : '',
    enabled: r.enabled,
    kind: t.kind,
    root: t.kind === 'condition' && t.condition ? rootFrom(t.condition, catalogs) : newGroup(),
    event: t.event ?? '',
    withinDays: t.withinDays === undefined ? '' : String(t.withinDays),
    modelId: t.modelId ?? '',
    gte: t.gte === undefined ? '' : String(t.gte),
    bands: (t.bands ?? []).join(', '),
  };
}

function RulesForm({ rules, catalogs, labels }: { rules: LifecycleRule[]; catalogs: Catalogs; labels: StagesSettings }) {
  const can = useCan();
  const qc = useQueryClient();
  const toast = useToast();
  const canEdit = can('lifecycle.configure');
  const models = useQuery({
    queryKey: ['scoring', 'models', 'names'],
    queryFn: () => api.get('/scoring/models', modelsSchema, { limit: 100 }),
    enabled: can('scoring.read'),
  });
  const [drafts, setDrafts] = useState(() => rules.map((r) => draftOf(r, catalogs)));
  const label = (k: string) => labels.stages.find((s) => s.key === k)?.label ?? k;
  const set = (i: number, patch: Partial<RuleDraft>) => setDrafts((ds) => ds.map((d, j) => (j === i ? { ...d, ...patch } : d)));
  const swap = (i: number, j: number) =>
    setDrafts((ds) => {
      const next = [...ds];
      const a = next[i];
      const b = next[j];
      if (!a || !b) return ds;
      next[i] = b;
      next[j] = a;
      return next;
    });
  const save = useMutation({
    mutationFn: () => {
      const body = {
        rules: drafts.map((d) => ({
          ...(d.id && { id: d.id }),
          name: d.name.trim(),
          toStage: d.toStage,
          ...(d.fromStage && { fromStages: [d.fromStage] }),
          enabled: d.enabled,
          trigger:
            d.kind === 'event'
              ? { kind: 'event', event: d.event.trim(), ...(d.withinDays.trim() && { withinDays: Number(d.withinDays) }) }
              : d.kind === 'score'
                ? {
                    kind: 'score',
                    modelId: d.modelId,
                    ...(d.gte.trim() && { gte: Number(d.gte) }),
                    ...(d.bands.trim() && {
                      bands: d.bands
                        .split(',')
                        .map((b) => b.trim())
                        .filter(Boolean),
                    }),
                  }
                : {
                    kind: 'condition',
                    condition: countConditions(d.root) > 0 ? buildDefinition(d.root, catalogs).definition : { all: [] },
                  },
        })),
      };
      return api.put('/lifecycle/rules', lifecycleRulesSchema, body);
    },
    onSuccess: async () => {
      toast('Stage rules saved');
      await qc.invalidateQueries({ queryKey: ['lifecycle'] });
    },
  });
  const addRule = () =>
    setDrafts((ds) => [
      ...ds,
      {
        name: '',
        toStage: 'mql',
        fromStage: '',
        enabled: true,
        kind: 'event',
        root: newGroup(),
        event: '',
        withinDays: '30',
        modelId: '',
        gte: '',
        bands: '',
      },
    ]);

  return (
    <form
      className="card rt-card"
      aria-label="Stage rules"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <h2 className="section-title">Stage rules</h2>
      <p className="section-description">
        Checked in order whenever a contact changes, does something or is scored; each rule whose trigger holds moves the contact forward.
      </p>
      {drafts.length === 0 ? (
        <EmptyState
          icon="filter"
          title="No stage rules"
          action={
            canEdit && (
              <Button icon="plus" onClick={addRule}>
                Add a rule
              </Button>
            )
          }
        >
          Without rules, stages change only by hand. Move contacts to MQL when they ask for a demo or pass a score, for example.
        </EmptyState>
      ) : (
        <ol className="rt-rules">
          {drafts.map((d, i) => (
            <li key={d.id ?? `new-${i}`} className="card rt-rule rt-lc-rule" data-stage-rule={d.name}>
              <span className="rt-rule-pos" aria-hidden="true">
                {i + 1}
              </span>
              <div className="rt-rule-text">
                <div className="rt-lc-grid">
                  <input
                    className="input"
                    aria-label="Rule name"
                    placeholder="Asked for a demo"
                    value={d.name}
                    disabled={!canEdit}
                    onChange={(e) => set(i, { name: e.target.value })}
                  />
                  <select
                    className="input select"
                    aria-label="Move to"
                    value={d.toStage}
                    disabled={!canEdit}
                    onChange={(e) => set(i, { toStage: e.target.value as StageKey })}
                  >
                    {stageKeys.map((k) => (
                      <option key={k} value={k}>
                        to {label(k)}
                      </option>
                    ))}
                  </select>
                  <select
                    className="input select"
                    aria-label="From stage"
                    value={d.fromStage}
                    disabled={!canEdit}
                    onChange={(e) => set(i, { fromStage: e.target.value })}
                  >
                    <option value="">from any earlier stage</option>
                    <option value="none">from no stage yet</option>
                    {stageKeys.map((k) => (
                      <option key={k} value={k}>
                        from {label(k)}
                      </option>
                    ))}
                  </select>
                  <select
                    className="input select"
                    aria-label="When"
                    value={d.kind}
                    disabled={!canEdit}
                    onChange={(e) => set(i, { kind: e.target.value as Kind })}
                  >
                    <option value="event">when they do something</option>
                    <option value="score">when their score passes</option>
                    <option value="condition">when they match a condition</option>
                  </select>
                </div>
                {d.kind === 'event' ? (
                  <div className="rt-lc-grid">
                    <input
                      className="input"
                      aria-label="Event"
                      placeholder="Demo Requested"
                      value={d.event}
                      disabled={!canEdit}
                      onChange={(e) => set(i, { event: e.target.value })}
                    />
                    <input
                      className="input"
                      aria-label="Within days"
                      placeholder="within days (any time)"
                      inputMode="numeric"
                      value={d.withinDays}
                      disabled={!canEdit}
                      onChange={(e) => set(i, { withinDays: e.target.value })}
                    />
                  </div>
                ) : d.kind === 'score' ? (
                  <div className="rt-lc-grid">
                    <select
                      className="input select"
                      aria-label="Scoring model"
                      value={d.modelId}
                      disabled={!canEdit}
                      onChange={(e) => set(i, { modelId: e.target.value })}
                    >
                      <option value="">Pick a scoring model…</option>
                      {(models.data?.data ?? []).map((m) => (
                        <option key={m.id} value={m.id}>
                          {m.name}
                        </option>
                      ))}
                    </select>
                    <input
                      className="input"
                      aria-label="Score at least"
                      placeholder="score at least"
                      inputMode="decimal"
                      value={d.gte}
                      disabled={!canEdit}
                      onChange={(e) => set(i, { gte: e.target.value })}
                    />
                    <input
                      className="input"
                      aria-label="Bands"
                      placeholder="or bands: A, B"
                      value={d.bands}
                      disabled={!canEdit}
                      onChange={(e) => set(i, { bands: e.target.value })}
                    />
                  </div>
                ) : (
                  <ConditionBuilder
                    root={d.root}
                    onChange={(root) => set(i, { root })}
                    catalogs={catalogs}
                    problems={new Map()}
                    selfId={undefined}
                    canReadTracking={can('tracking.read')}
                  />
                )}
              </div>
              {canEdit && (
                <div className="row-actions">
                  {!d.enabled && <Badge>Off</Badge>}
                  <Button
                    size="sm"
                    variant="ghost"
                    aria-label={`Move ${d.name || 'rule'} up`}
                    disabled={i === 0}
                    onClick={() => swap(i, i - 1)}
                  >
                    ↑
                  </Button>
                  <Button
                    size="sm"
                    variant="ghost"
                    aria-label={`Move ${d.name || 'rule'} down`}
                    disabled={i === drafts.length - 1}
                    onClick={() => swap(i, i + 1)}
                  >
                    ↓
                  </Button>
                  <Button size="sm" onClick={() => set(i, { enabled: !d.enabled })}>
                    {d.enabled ? 'Turn off' : 'Turn on'}
                  </Button>
                  <Button
                    size="sm"
                    variant="danger-ghost"
                    icon="trash"
                    aria-label={`Remove ${d.name || 'rule'}`}
                    onClick={() => setDrafts((ds) => ds.filter((_, j) => j !== i))}
                  />
                </div>
              )}
            </li>
          ))}
        </ol>
      )}
      {save.isError && <ProblemAlert error={save.error} />}
      {canEdit && drafts.length + rules.length > 0 && (
        <div className="form-actions rt-form-actions">
          <Button icon="plus" onClick={addRule}>
            Add a rule
          </Button>
          <span className="rt-spacer" />
          <Button type="submit" variant="primary" busy={save.isPending}>
            Save stage rules
          </Button>
        </div>
      )}
    </form>
  );
}
