import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState, type ReactNode } from 'react';
import { z } from 'zod';
import { stageKeys, type StagesSettings } from '../../../../src/modules/routing/lifecycle.schema.js';
import { api } from '../../lib/api.js';
import { useCan } from '../../lib/session.js';
import { Badge } from '../../ui/Badge.js';
import { Button } from '../../ui/Button.js';
import { EnumSelect, TextInput } from '../../ui/Controls.js';
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
import { ListEditor } from './ListEditor.js';
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

/**
 * A card that edits one lifecycle setting and saves it whole: its title and what it is for, the
 * fields, what went wrong saving, and (for editors, when `footer` is given) the add and save buttons.
 */
function SettingsForm({
  label,
  title,
  description,
  save,
  footer,
  children,
}: {
  label: string;
  title: string;
  description: string;
  save: { mutate: () => void; isPending: boolean; isError: boolean; error: unknown };
  footer: false | { addLabel: string; onAdd: () => void; saveLabel: string };
  children: ReactNode;
}) {
  return (
    <form
      className="card rt-card"
      aria-label={label}
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <h2 className="section-title">{title}</h2>
      <p className="section-description">{description}</p>
      {children}
      {save.isError && <ProblemAlert error={save.error} />}
      {footer && (
        <div className="form-actions rt-form-actions">
          <Button icon="plus" onClick={footer.onAdd}>
            {footer.addLabel}
          </Button>
          <span className="rt-spacer" />
          <Button type="submit" variant="primary" busy={save.isPending}>
            {footer.saveLabel}
          </Button>
        </div>
      )}
    </form>
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
    <SettingsForm
      label="Lifecycle stages"
      title="Stages"
      description="Contacts move forward through the funnel; a move back, or into recycle or disqualified, needs an allowed move below."
      save={save}
      footer={
        canEdit && { addLabel: 'Allow a move', onAdd: () => setAllowed([...allowed, { from: '*', to: 'lead' }]), saveLabel: 'Save stages' }
      }
    >
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
      <ListEditor
        className="rt-allowed"
        items={allowed}
        onChange={setAllowed}
        canEdit={canEdit}
        itemKey={(_, i) => i}
        removeLabel={() => 'Remove this move'}
      >
        {(t, { update }) => (
          <>
            <StageSelect
              aria-label="From"
              value={t.from}
              disabled={!canEdit}
              onChange={(from) => update({ from })}
              stageLabel={(k) => labels[k]}
            >
              <option value="*">any stage</option>
            </StageSelect>
            <span aria-hidden="true">→</span>
            <StageSelect aria-label="To" value={t.to} disabled={!canEdit} onChange={(to) => update({ to })} stageLabel={(k) => labels[k]} />
          </>
        )}
      </ListEditor>
    </SettingsForm>
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
    <SettingsForm
      label="Stage rules"
      title="Stage rules"
      description="Checked in order whenever a contact changes, does something or is scored; each rule whose trigger holds moves the contact forward."
      save={save}
      footer={canEdit && drafts.length + rules.length > 0 && { addLabel: 'Add a rule', onAdd: addRule, saveLabel: 'Save stage rules' }}
    >
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
        <ListEditor
          ordered
          className="rt-rules"
          items={drafts}
          onChange={setDrafts}
          canEdit={canEdit}
          itemKey={(d, i) => d.id ?? `new-${i}`}
          itemProps={(d) => ({ className: 'card rt-rule rt-lc-rule', 'data-stage-rule': d.name })}
          removeLabel={(d) => `Remove ${d.name || 'rule'}`}
          removeVariant="danger-ghost"
          actions={(d, { move, update, first, last }) => (
            <>
              {!d.enabled && <Badge>Off</Badge>}
              <Button size="sm" variant="ghost" aria-label={`Move ${d.name || 'rule'} up`} disabled={first} onClick={() => move(-1)}>
                ↑
              </Button>
              <Button size="sm" variant="ghost" aria-label={`Move ${d.name || 'rule'} down`} disabled={last} onClick={() => move(1)}>
                ↓
              </Button>
              <Button size="sm" onClick={() => update({ enabled: !d.enabled })}>
                {d.enabled ? 'Turn off' : 'Turn on'}
              </Button>
            </>
          )}
        >
          {(d, { index, update }) => (
            <>
              <span className="rt-rule-pos" aria-hidden="true">
                {index + 1}
              </span>
              <StageRuleFields
                draft={d}
                update={update}
                canEdit={canEdit}
                label={label}
                models={models.data?.data ?? []}
                catalogs={catalogs}
              />
            </>
          )}
        </ListEditor>
      )}
    </SettingsForm>
  );
}

/**
 * A select of the stages, each by its label (after `prefix`, as in "to MQL"); `children` are
 * options shown before them ("any stage"). The value is one of those options.
 */
function StageSelect<V extends string>({
  'aria-label': ariaLabel,
  value,
  onChange,
  disabled,
  stageLabel,
  prefix = '',
  children,
}: {
  'aria-label': string;
  value: V;
  onChange: (value: V) => void;
  disabled: boolean;
  stageLabel: (k: StageKey) => string;
  prefix?: string;
  children?: ReactNode;
}) {
  return (
    <select
      className="input select"
      aria-label={ariaLabel}
      value={value}
      disabled={disabled}
      onChange={(e) => onChange(e.target.value as V)}
    >
      {children}
      {stageKeys.map((k) => (
        <option key={k} value={k}>
          {prefix + stageLabel(k)}
        </option>
      ))}
    </select>
  );
}

const triggerKinds = ['event', 'score', 'condition'] as const satisfies readonly Kind[];
const triggerKindLabels: Record<Kind, string> = {
  event: 'when they do something',
  score: 'when their score passes',
  condition: 'when they match a condition',
};

/** A stage rule's fields: its name, the move, and the trigger (an event, a score or a condition). */
function StageRuleFields({
  draft: d,
  update,
  canEdit,
  label,
  models,
  catalogs,
}: {
  draft: RuleDraft;
  update: (patch: Partial<RuleDraft>) => void;
  canEdit: boolean;
  label: (k: string) => string;
  models: ReadonlyArray<{ id: string; name: string }>;
  catalogs: Catalogs;
}) {
  const can = useCan();
  const text = (
    field: 'name' | 'event' | 'withinDays' | 'gte' | 'bands',
    ariaLabel: string,
    placeholder: string,
    numeric?: 'numeric' | 'decimal',
  ) => (
    <TextInput
      aria-label={ariaLabel}
      placeholder={placeholder}
      inputMode={numeric}
      value={d[field]}
      disabled={!canEdit}
      onChange={(v) => update({ [field]: v })}
    />
  );
  return (
    <div className="rt-rule-text">
      <div className="rt-lc-grid">
        {text('name', 'Rule name', 'Asked for a demo')}
        <StageSelect
          aria-label="Move to"
          value={d.toStage}
          disabled={!canEdit}
          onChange={(toStage) => update({ toStage })}
          stageLabel={label}
          prefix="to "
        />
        <StageSelect
          aria-label="From stage"
          value={d.fromStage}
          disabled={!canEdit}
          onChange={(fromStage) => update({ fromStage })}
          stageLabel={label}
          prefix="from "
        >
          <option value="">from any earlier stage</option>
          <option value="none">from no stage yet</option>
        </StageSelect>
        <EnumSelect
          aria-label="When"
          options={triggerKinds}
          labels={triggerKindLabels}
          value={d.kind}
          disabled={!canEdit}
          onChange={(kind) => update({ kind })}
        />
      </div>
      {d.kind === 'event' ? (
        <div className="rt-lc-grid">
          {text('event', 'Event', 'Demo Requested')}
          {text('withinDays', 'Within days', 'within days (any time)', 'numeric')}
        </div>
      ) : d.kind === 'score' ? (
        <div className="rt-lc-grid">
          <select
            className="input select"
            aria-label="Scoring model"
            value={d.modelId}
            disabled={!canEdit}
            onChange={(e) => update({ modelId: e.target.value })}
          >
            <option value="">Pick a scoring model…</option>
            {models.map((m) => (
              <option key={m.id} value={m.id}>
                {m.name}
              </option>
            ))}
          </select>
          {text('gte', 'Score at least', 'score at least', 'decimal')}
          {text('bands', 'Bands', 'or bands: A, B')}
        </div>
      ) : (
        <ConditionBuilder
          root={d.root}
          onChange={(root) => update({ root })}
          catalogs={catalogs}
          problems={new Map()}
          selfId={undefined}
          canReadTracking={can('tracking.read')}
        />
      )}
    </div>
  );
}
