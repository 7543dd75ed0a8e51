import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useMemo, useState, type ReactNode } from 'react';
import { api } from '../../lib/api.js';
import { useDebounced } from '../../lib/use-debounced.js';
import { useCan } from '../../lib/session.js';
import { Button } from '../../ui/Button.js';
import { Combobox } from '../../ui/Combobox.js';
import { EnumSelect, TextInput, type TextInputProps } from '../../ui/Controls.js';
import { ProblemAlert } from '../../ui/ProblemAlert.js';
import { Spinner } from '../../ui/Spinner.js';
import { searchRecords } from '../records/FieldInput.js';
import { contactKind } from '../records/record-kinds.js';
import { ConditionBuilder } from '../segments/ConditionBuilder.js';
import type { Catalogs } from '../segments/definition.js';
import { touchpointFieldLabels, touchpointOpLabels } from '../segments/segment-fields.js';
import { touchpointFields } from '../../../../src/modules/segments/segments.schema.js';
import {
  engagementDraft,
  fitDraft,
  newBand,
  touchpointOps,
  type BandDraft,
  type DraftProblems,
  type EngagementDraft,
  type FitDraft,
  type ModelDraft,
} from './rule-drafts.js';
import { pointsLabel, previewResultSchema, type ModelDefinition } from './scoring-queries.js';

/**
 * The model editor's rules: fit rules (a condition in the segment builder and points), engagement
 * rules (an event, page visit or traffic source with points, caps and decay), bands; beside them
 * the live preview of one contact's score with the rules as they stand (saved or not).
 */
export function ModelEditor({
  modelId,
  draft,
  onChange,
  catalogs,
  problems,
  conditionProblems,
  definition,
  readOnly,
}: {
  modelId: string;
  draft: ModelDraft;
  onChange: (d: ModelDraft) => void;
  catalogs: Catalogs;
  problems: DraftProblems;
  conditionProblems: ReadonlyMap<string, string>;
  definition: ModelDefinition | null;
  readOnly: boolean;
}) {
  const can = useCan();
  const setFit = (key: string, f: FitDraft | null) => onChange({ ...draft, fit: replaceKeyed(draft.fit, key, f) });
  const setEng = (key: string, e: EngagementDraft | null) => onChange({ ...draft, engagement: replaceKeyed(draft.engagement, key, e) });
  const setBand = (b: BandDraft | null, key: string) => onChange({ ...draft, bands: replaceKeyed(draft.bands, key, b) });

  return (
    <div className="scoring-editor">
      <fieldset className="scoring-rules" disabled={readOnly}>
        <RuleSection
          id="fit-title"
          title="Fit rules"
          description="Who the contact is: points when the condition holds (contact and account fields, lists, segments)."
          addLabel="Fit rule"
          onAdd={() => onChange({ ...draft, fit: [...draft.fit, fitDraft(null, catalogs)] })}
        >
          {draft.fit.length === 0 && <p className="scoring-none muted">No fit rules: every contact gets 0 fit points.</p>}
          {draft.fit.map((f, i) => (
            <RuleRow
              key={f.key}
              rule={f}
              dataRule={f.name || `fit-${i}`}
              placeholder="Rule name, e.g. VP title"
              onChange={(x) => setFit(f.key, x)}
              problem={problems.get(f.key)}
            >
              {f.raw !== null ? (
                <p className="muted">
                  This condition was written through the API and is kept as it is: {JSON.stringify(f.raw).slice(0, 160)}
                </p>
              ) : (
                <ConditionBuilder
                  root={f.root}
                  onChange={(root) => setFit(f.key, { ...f, root })}
                  catalogs={catalogs}
                  problems={conditionProblems}
                  selfId={undefined}
                  canReadTracking={can('tracking.read')}
                />
              )}
            </RuleRow>
          ))}
        </RuleSection>

        <RuleSection
          id="eng-title"
          title="Engagement rules"
          description="What the contact did: points per event, page visit or visit from a traffic source, with caps and decay."
          addLabel="Engagement rule"
          onAdd={() => onChange({ ...draft, engagement: [...draft.engagement, engagementDraft(null)] })}
        >
          {draft.engagement.length === 0 && <p className="scoring-none muted">No engagement rules yet.</p>}
          {draft.engagement.map((e, i) => (
            <EngagementEditor key={e.key} rule={e} index={i} onChange={(x) => setEng(e.key, x)} problem={problems.get(e.key)} />
          ))}
          <div className="scoring-model-decay">
            <span className="field-label">Decay for rules without their own</span>
            <DecayInputs value={draft} onChange={onChange} labels={['Model half-life in days', 'Model expiry in days']} />
            {problems.get('model') && <p className="field-error">{problems.get('model')}</p>}
          </div>
        </RuleSection>

        <RuleSection
          id="bands-title"
          title="Bands"
          description="A score at or above a band’s minimum gets the highest such band."
          addLabel="Band"
          onAdd={() => onChange({ ...draft, bands: [...draft.bands, newBand()] })}
        >
          <table className="table scoring-bands" aria-label="Bands">
            <thead>
              <tr>
                <th scope="col">Band</th>
                <th scope="col">From score</th>
                <th scope="col" className="col-actions">
                  <span className="sr-only">Remove</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {draft.bands.map((b) => (
                <tr key={b.key}>
                  <td>
                    <TextInput
                      className="input input-sm"
                      aria-label="Band name"
                      value={b.name}
                      onChange={(name) => setBand({ ...b, name }, b.key)}
                    />
                  </td>
                  <td>
                    <TextInput
                      className="input input-sm"
                      inputMode="decimal"
                      aria-label={`Minimum score of band ${b.name}`}
                      value={b.min}
                      onChange={(min) => setBand({ ...b, min }, b.key)}
                    />
                  </td>
                  <td className="col-actions">
                    <Button
                      variant="ghost"
                      size="sm"
                      aria-label={`Remove band ${b.name}`}
                      onClick={() => setBand(null, b.key)}
                      icon="trash"
                    />
                  </td>
                </tr>
              ))}
              <tr>
                <td>
                  <TextInput
                    className="input input-sm"
                    aria-label="Band below all others"
                    value={draft.otherwise}
                    onChange={(otherwise) => onChange({ ...draft, otherwise })}
                  />
                </td>
                <td className="muted">below every band</td>
                <td />
              </tr>
            </tbody>
          </table>
          {problems.get('bands') && <p className="field-error">{problems.get('bands')}</p>}
        </RuleSection>
      </fieldset>
      <ScorePreview modelId={modelId} definition={definition} />
    </div>
  );
}

/** The list with the item of that key replaced, or left out when `next` is null. */
function replaceKeyed<T extends { key: string }>(list: readonly T[], key: string, next: T | null): T[] {
  return list.flatMap((x) => (x.key === key ? (next ? [next] : []) : [x]));
}

/** A card of the editor: its title and what it is for, the button that adds one more, and the rows. */
function RuleSection({
  id,
  title,
  description,
  addLabel,
  onAdd,
  children,
}: {
  id: string;
  title: string;
  description: string;
  addLabel: string;
  onAdd: () => void;
  children: ReactNode;
}) {
  return (
    <section className="card scoring-section" aria-labelledby={id}>
      <div className="scoring-section-head">
        <div>
          <h2 className="section-title" id={id}>
            {title}
          </h2>
          <p className="section-description">{description}</p>
        </div>
        <Button size="sm" onClick={onAdd} icon="plus">
          {addLabel}
        </Button>
      </div>
      {children}
    </section>
  );
}

/**
 * One fit or engagement rule: its name, its points and the button that removes it; below them what
 * the rule counts (the children) and what is wrong with it.
 */
function RuleRow<R extends { name: string; points: string }>({
  rule,
  dataRule,
  placeholder,
  onChange,
  problem,
  children,
}: {
  rule: R;
  /** Tests find a rule by this: its name, or its kind and place while it has none. */
  dataRule: string;
  placeholder: string;
  onChange: (r: R | null) => void;
  problem: string | undefined;
  children: ReactNode;
}) {
  return (
    <div className="scoring-rule" data-rule={dataRule}>
      <div className="scoring-rule-head">
        <TextInput
          className="input scoring-rule-name"
          aria-label="Rule name"
          placeholder={placeholder}
          value={rule.name}
          onChange={(name) => onChange({ ...rule, name })}
        />
        <label className="scoring-points">
          <SmallNumber
            inputMode="decimal"
            aria-label={`Points for ${rule.name || 'this rule'}`}
            value={rule.points}
            onChange={(points) => onChange({ ...rule, points })}
          />
          <span className="muted">points</span>
        </label>
        <Button variant="ghost" size="sm" aria-label={`Remove ${rule.name || 'rule'}`} onClick={() => onChange(null)} icon="trash" />
      </div>
      {children}
      {problem && <p className="field-error">{problem}</p>}
    </div>
  );
}

/** The narrow number box of the rule lines (points, caps, days). */
function SmallNumber(props: Omit<TextInputProps, 'className'>) {
  return <TextInput {...props} className="input input-xs" />;
}

/** A number inside a sentence, named by `aria-label`: "halve every [14] days". */
function NumberInLine({ before, after, ...input }: Omit<TextInputProps, 'className'> & { before: string; after: string }) {
  return (
    <label>
      {before} <SmallNumber {...input} /> {after}
    </label>
  );
}

/** Decay of a rule, or of the model for rules without their own: the half-life and when points are forgotten. */
function DecayInputs<D extends { halfLife: string; expire: string }>({
  value,
  onChange,
  labels: [halfLifeLabel, expireLabel],
}: {
  value: D;
  onChange: (d: D) => void;
  labels: [halfLife: string, expire: string];
}) {
  const days = (field: 'halfLife' | 'expire', before: string, label: string) => (
    <NumberInLine
      before={before}
      after="days"
      inputMode="numeric"
      aria-label={label}
      value={value[field]}
      onChange={(v) => onChange({ ...value, [field]: v })}
    />
  );
  return (
    <>
      {days('halfLife', 'halve every', halfLifeLabel)}
      {days('expire', 'forget after', expireLabel)}
    </>
  );
}

const engagementKinds = ['event', 'page', 'touchpoint'] as const satisfies ReadonlyArray<EngagementDraft['kind']>;
const engagementKindLabels: Record<EngagementDraft['kind'], string> = { event: 'event', page: 'page visit', touchpoint: 'visit from' };

function EngagementEditor({
  rule: e,
  index,
  onChange,
  problem,
}: {
  rule: EngagementDraft;
  index: number;
  onChange: (e: EngagementDraft | null) => void;
  problem: string | undefined;
}) {
  const set = (patch: Partial<EngagementDraft>) => onChange({ ...e, ...patch });
  /** What the rule counts is one text box per kind (an event name, a URL pattern, a traffic value). */
  const what = (field: 'event' | 'url' | 'tpValue', label: string, placeholder: string) => (
    <TextInput
      className="input input-sm"
      aria-label={label}
      placeholder={placeholder}
      value={e[field]}
      onChange={(v) => set({ [field]: v })}
    />
  );
  return (
    <RuleRow
      rule={e}
      dataRule={e.name || `engagement-${index}`}
      placeholder="Rule name, e.g. Demo requested"
      onChange={onChange}
      problem={problem}
    >
      <div className="scoring-rule-line">
        <span className="muted">per</span>
        <EnumSelect
          className="input select input-sm"
          aria-label="What counts"
          options={engagementKinds}
          labels={engagementKindLabels}
          value={e.kind}
          onChange={(kind) => set({ kind })}
        />
        {e.kind === 'event' && what('event', 'Event name', 'Demo Requested')}
        {e.kind === 'event' && e.where.length > 0 && <span className="muted">with {e.where.length} property filter(s)</span>}
        {e.kind === 'page' && what('url', 'Page URL pattern', '*/pricing*')}
        {e.kind === 'touchpoint' && (
          <>
            <EnumSelect
              className="input select input-sm"
              aria-label="Traffic field"
              options={touchpointFields}
              labels={touchpointFieldLabels}
              value={e.tpField}
              onChange={(tpField) => set({ tpField })}
            />
            <EnumSelect
              className="input select input-sm"
              aria-label="Comparison"
              options={touchpointOps}
              labels={touchpointOpLabels}
              value={e.tpOp}
              onChange={(tpOp) => set({ tpOp })}
            />
            {what('tpValue', 'Traffic value', 'linkedin')}
          </>
        )}
      </div>
      <div className="scoring-rule-line scoring-rule-limits">
        <NumberInLine
          before="at most"
          after="points"
          inputMode="decimal"
          aria-label="Cap"
          placeholder="no cap"
          value={e.cap}
          onChange={(cap) => set({ cap })}
        />
        <label>
          at most{' '}
          <SmallNumber
            inputMode="decimal"
            aria-label="Window cap points"
            value={e.windowMax}
            onChange={(windowMax) => set({ windowMax })}
          />{' '}
          per{' '}
          <SmallNumber inputMode="numeric" aria-label="Window days" value={e.windowDays} onChange={(windowDays) => set({ windowDays })} />{' '}
          days
        </label>
        <label className="scoring-own-decay">
          <input type="checkbox" checked={e.ownDecay} onChange={(ev) => set({ ownDecay: ev.target.checked })} /> own decay
        </label>
        {e.ownDecay && <DecayInputs value={e} onChange={onChange} labels={['Half-life in days', 'Expiry in days']} />}
      </div>
    </RuleRow>
  );
}

/** The first contact of the workspace, so the preview shows something before anyone picks. */
function useFirstContact() {
  return useQuery({
    queryKey: ['scoring', 'sample-contact'],
    queryFn: async () => (await searchRecords(contactKind)(''))[0] ?? null,
    staleTime: 60_000,
  });
}

function ScorePreview({ modelId, definition }: { modelId: string; definition: ModelDefinition | null }) {
  const can = useCan();
  if (!can('scoring.write')) {
    return (
      <aside className="card scoring-preview" aria-labelledby="preview-title">
        <h2 className="section-title" id="preview-title">
          Point preview
        </h2>
        <p className="muted">Previewing a draft is for roles that may edit scoring models. A contact’s published score is on its page.</p>
      </aside>
    );
  }
  return <LivePreview modelId={modelId} definition={definition} />;
}

function LivePreview({ modelId, definition }: { modelId: string; definition: ModelDefinition | null }) {
  const first = useFirstContact();
  const [picked, setPicked] = useState<{ id: string; label: string } | null>(null);
  const contact = picked ?? (first.data ? { id: first.data.id, label: first.data.label } : null);
  const json = useMemo(() => (definition ? JSON.stringify(definition) : null), [definition]);
  const debounced = useDebounced(json, 400);
  const preview = useQuery({
    queryKey: ['scoring', 'models', modelId, 'preview', contact?.id, debounced],
    queryFn: () =>
      api.post(`/scoring/models/${modelId}/preview`, previewResultSchema, {
        contactId: contact?.id,
        draft: JSON.parse(debounced ?? '{}') as unknown,
      }),
    enabled: Boolean(contact && debounced),
    placeholderData: keepPreviousData,
  });
  const p = preview.data;
  return (
    <aside className="card scoring-preview" aria-labelledby="preview-title" aria-busy={preview.isFetching || undefined}>
      <div className="scoring-section-head">
        <h2 className="section-title" id="preview-title">
          Point preview
        </h2>
        {(preview.isFetching || json !== debounced) && <Spinner size={16} />}
      </div>
      <Combobox
        label="Sample contact"
        value={contact?.id ?? null}
        valueLabel={contact?.label ?? null}
        onChange={(o) => setPicked(o ? { id: o.id, label: o.label } : null)}
        queryKey={['contacts', 'pick']}
        search={searchRecords(contactKind)}
        placeholder="Search contacts"
      />
      {!contact ? (
        <p className="muted">{first.isPending ? 'Finding a contact…' : 'Add a contact to preview its score.'}</p>
      ) : !definition ? (
        <p className="muted">Finish the highlighted rules to see the preview.</p>
      ) : preview.isError ? (
        <ProblemAlert error={preview.error} />
      ) : !p ? (
        <p className="muted">Scoring…</p>
      ) : (
        <>
          <div className="scoring-preview-total">
            <span className="scoring-preview-score" data-testid="preview-score">
              {p.score.toLocaleString(undefined, { maximumFractionDigits: 2 })}
            </span>
            <span className="scoring-band-pill">Band {p.band}</span>
          </div>
          <ExplanationList lines={p.explanation} />
          {p.problems.length > 0 && <p className="field-error">Broken: {p.problems.map((x) => `${x.rule} (${x.message})`).join('; ')}</p>}
        </>
      )}
    </aside>
  );
}

const when = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', year: 'numeric' });

/** Explanation lines: a rule and its points (and when, for engagement), caps and decay as lines of their own. */
export function ExplanationList({ lines }: { lines: Array<{ rule: string; points: number; at: string | null }> }) {
  if (lines.length === 0) return <p className="muted">No rule gives this contact any points.</p>;
  return (
    <ul className="scoring-explanation" aria-label="Score explanation">
      {lines.map((l, i) => (
        <li key={i} className={l.rule.startsWith('cap: ') || l.rule.startsWith('decay: ') ? 'scoring-line-adjust' : undefined}>
          <span className="scoring-line-rule">{l.rule}</span>
          {l.at && <time className="muted scoring-line-at">{when.format(new Date(l.at))}</time>}
          <span className={`scoring-line-points${l.points < 0 ? ' negative' : ''}`}>{pointsLabel(l.points)}</span>
        </li>
      ))}
    </ul>
  );
}
