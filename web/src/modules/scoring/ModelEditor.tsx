import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { api } from '../../lib/api.js';
import { useDebounced } from '../../lib/use-debounced.js';
import { useCan } from '../../lib/session.js';
import { Button } from '../../ui/Button.js';
import { Combobox } from '../../ui/Combobox.js';
import { ProblemAlert } from '../../ui/ProblemAlert.js';
import { Spinner } from '../../ui/Spinner.js';
import { searchRecords } from '../records/FieldInput.js';
import { contactKind } from '../records/record-kinds.js';
import { ConditionBuilder } from '../segments/ConditionBuilder.js';
import type { Catalogs } from '../segments/definition.js';
import { touchpointFieldLabels } from '../segments/segment-fields.js';
import { touchpointFields } from '../../../../src/modules/segments/segments.schema.js';
import {
  engagementDraft,
  fitDraft,
  newBand,
  touchpointOps,
  type DraftProblems,
  type EngagementDraft,
  type FitDraft,
  type ModelDraft,
  type TouchpointField,
  type TouchpointOp,
} from './rule-drafts.js';
import { pointsLabel, previewResultSchema, type ModelDefinition } from './scoring-queries.js';

const tpOpLabels: Record<TouchpointOp, string> = { eq: 'is', neq: 'is not', contains: 'contains', starts_with: 'starts with' };

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
  const setFit = (key: string, f: FitDraft | null) =>
    onChange({ ...draft, fit: draft.fit.flatMap((x) => (x.key === key ? (f ? [f] : []) : [x])) });
  const setEng = (key: string, e: EngagementDraft | null) =>
    onChange({ ...draft, engagement: draft.engagement.flatMap((x) => (x.key === key ? (e ? [e] : []) : [x])) });

  return (
    <div className="scoring-editor">
      <fieldset className="scoring-rules" disabled={readOnly}>
        <section className="card scoring-section" aria-labelledby="fit-title">
          <div className="scoring-section-head">
            <div>
              <h2 className="section-title" id="fit-title">
                Fit rules
              </h2>
              <p className="section-description">
                Who the contact is: points when the condition holds (contact and account fields, lists, segments).
              </p>
            </div>
            <Button size="sm" onClick={() => onChange({ ...draft, fit: [...draft.fit, fitDraft(null, catalogs)] })} icon="plus">
              Fit rule
            </Button>
          </div>
          {draft.fit.length === 0 && <p className="scoring-none muted">No fit rules: every contact gets 0 fit points.</p>}
          {draft.fit.map((f, i) => (
            <div key={f.key} className="scoring-rule" data-rule={f.name || `fit-${i}`}>
              <div className="scoring-rule-head">
                <input
                  className="input scoring-rule-name"
                  aria-label="Rule name"
                  placeholder="Rule name, e.g. VP title"
                  value={f.name}
                  onChange={(e) => setFit(f.key, { ...f, name: e.target.value })}
                />
                <PointsInput
                  value={f.points}
                  onChange={(points) => setFit(f.key, { ...f, points })}
                  label={`Points for ${f.name || 'this rule'}`}
                />
                <Button
                  variant="ghost"
                  size="sm"
                  aria-label={`Remove ${f.name || 'rule'}`}
                  onClick={() => setFit(f.key, null)}
                  icon="trash"
                />
              </div>
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
              {problems.get(f.key) && <p className="field-error">{problems.get(f.key)}</p>}
            </div>
          ))}
        </section>

        <section className="card scoring-section" aria-labelledby="eng-title">
          <div className="scoring-section-head">
            <div>
              <h2 className="section-title" id="eng-title">
                Engagement rules
              </h2>
              <p className="section-description">
                What the contact did: points per event, page visit or visit from a traffic source, with caps and decay.
              </p>
            </div>
            <Button size="sm" onClick={() => onChange({ ...draft, engagement: [...draft.engagement, engagementDraft(null)] })} icon="plus">
              Engagement rule
            </Button>
          </div>
          {draft.engagement.length === 0 && <p className="scoring-none muted">No engagement rules yet.</p>}
          {draft.engagement.map((e, i) => (
            <EngagementEditor key={e.key} rule={e} index={i} onChange={(x) => setEng(e.key, x)} problem={problems.get(e.key)} />
          ))}
          <div className="scoring-model-decay">
            <span className="field-label">Decay for rules without their own</span>
            <label>
              halve every{' '}
              <input
                className="input input-xs"
                inputMode="numeric"
                aria-label="Model half-life in days"
                value={draft.halfLife}
                onChange={(ev) => onChange({ ...draft, halfLife: ev.target.value })}
              />{' '}
              days
            </label>
            <label>
              forget after{' '}
              <input
                className="input input-xs"
                inputMode="numeric"
                aria-label="Model expiry in days"
                value={draft.expire}
                onChange={(ev) => onChange({ ...draft, expire: ev.target.value })}
              />{' '}
              days
            </label>
            {problems.get('model') && <p className="field-error">{problems.get('model')}</p>}
          </div>
        </section>

        <section className="card scoring-section" aria-labelledby="bands-title">
          <div className="scoring-section-head">
            <div>
              <h2 className="section-title" id="bands-title">
                Bands
              </h2>
              <p className="section-description">A score at or above a band’s minimum gets the highest such band.</p>
            </div>
            <Button size="sm" onClick={() => onChange({ ...draft, bands: [...draft.bands, newBand()] })} icon="plus">
              Band
            </Button>
          </div>
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
                    <input
                      className="input input-sm"
                      aria-label="Band name"
                      value={b.name}
                      onChange={(ev) =>
                        onChange({ ...draft, bands: draft.bands.map((x) => (x.key === b.key ? { ...x, name: ev.target.value } : x)) })
                      }
                    />
                  </td>
                  <td>
                    <input
                      className="input input-sm"
                      inputMode="decimal"
                      aria-label={`Minimum score of band ${b.name}`}
                      value={b.min}
                      onChange={(ev) =>
                        onChange({ ...draft, bands: draft.bands.map((x) => (x.key === b.key ? { ...x, min: ev.target.value } : x)) })
                      }
                    />
                  </td>
                  <td className="col-actions">
                    <Button
                      variant="ghost"
                      size="sm"
                      aria-label={`Remove band ${b.name}`}
                      onClick={() => onChange({ ...draft, bands: draft.bands.filter((x) => x.key !== b.key) })}
                      icon="trash"
                    />
                  </td>
                </tr>
              ))}
              <tr>
                <td>
                  <input
                    className="input input-sm"
                    aria-label="Band below all others"
                    value={draft.otherwise}
                    onChange={(ev) => onChange({ ...draft, otherwise: ev.target.value })}
                  />
                </td>
                <td className="muted">below every band</td>
                <td />
              </tr>
            </tbody>
          </table>
          {problems.get('bands') && <p className="field-error">{problems.get('bands')}</p>}
        </section>
      </fieldset>
      <ScorePreview modelId={modelId} definition={definition} />
    </div>
  );
}

function PointsInput({ value, onChange, label }: { value: string; onChange: (v: string) => void; label: string }) {
  return (
    <label className="scoring-points">
      <input className="input input-xs" inputMode="decimal" aria-label={label} value={value} onChange={(e) => onChange(e.target.value)} />
      <span className="muted">points</span>
    </label>
  );
}

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
  return (
    <div className="scoring-rule" data-rule={e.name || `engagement-${index}`}>
      <div className="scoring-rule-head">
        <input
          className="input scoring-rule-name"
          aria-label="Rule name"
          placeholder="Rule name, e.g. Demo requested"
          value={e.name}
          onChange={(ev) => set({ name: ev.target.value })}
        />
        <PointsInput value={e.points} onChange={(points) => set({ points })} label={`Points for ${e.name || 'this rule'}`} />
        <Button variant="ghost" size="sm" aria-label={`Remove ${e.name || 'rule'}`} onClick={() => onChange(null)} icon="trash" />
      </div>
      <div className="scoring-rule-line">
        <span className="muted">per</span>
        <select
          className="input select input-sm"
          aria-label="What counts"
          value={e.kind}
          onChange={(ev) => set({ kind: ev.target.value as EngagementDraft['kind'] })}
        >
          <option value="event">event</option>
          <option value="page">page visit</option>
          <option value="touchpoint">visit from</option>
        </select>
        {e.kind === 'event' && (
          <input
            className="input input-sm"
            aria-label="Event name"
            placeholder="Demo Requested"
            value={e.event}
            onChange={(ev) => set({ event: ev.target.value })}
          />
        )}
        {e.kind === 'event' && e.where.length > 0 && <span className="muted">with {e.where.length} property filter(s)</span>}
        {e.kind === 'page' && (
          <input
            className="input input-sm"
            aria-label="Page URL pattern"
            placeholder="*/pricing*"
            value={e.url}
            onChange={(ev) => set({ url: ev.target.value })}
          />
        )}
        {e.kind === 'touchpoint' && (
          <>
            <select
              className="input select input-sm"
              aria-label="Traffic field"
              value={e.tpField}
              onChange={(ev) => set({ tpField: ev.target.value as TouchpointField })}
            >
              {touchpointFields.map((f) => (
                <option key={f} value={f}>
                  {touchpointFieldLabels[f]}
                </option>
              ))}
            </select>
            <select
              className="input select input-sm"
              aria-label="Comparison"
              value={e.tpOp}
              onChange={(ev) => set({ tpOp: ev.target.value as TouchpointOp })}
            >
              {touchpointOps.map((o) => (
                <option key={o} value={o}>
                  {tpOpLabels[o]}
                </option>
              ))}
            </select>
            <input
              className="input input-sm"
              aria-label="Traffic value"
              placeholder="linkedin"
              value={e.tpValue}
              onChange={(ev) => set({ tpValue: ev.target.value })}
            />
          </>
        )}
      </div>
      <div className="scoring-rule-line scoring-rule-limits">
        <label>
          at most{' '}
          <input
            className="input input-xs"
            inputMode="decimal"
            aria-label="Cap"
            placeholder="no cap"
            value={e.cap}
            onChange={(ev) => set({ cap: ev.target.value })}
          />{' '}
          points
        </label>
        <label>
          at most{' '}
          <input
            className="input input-xs"
            inputMode="decimal"
            aria-label="Window cap points"
            value={e.windowMax}
            onChange={(ev) => set({ windowMax: ev.target.value })}
          />{' '}
          per{' '}
          <input
            className="input input-xs"
            inputMode="numeric"
            aria-label="Window days"
            value={e.windowDays}
            onChange={(ev) => set({ windowDays: ev.target.value })}
          />{' '}
          days
        </label>
        <label className="scoring-own-decay">
          <input type="checkbox" checked={e.ownDecay} onChange={(ev) => set({ ownDecay: ev.target.checked })} /> own decay
        </label>
        {e.ownDecay && (
          <>
            <label>
              halve every{' '}
              <input
                className="input input-xs"
                inputMode="numeric"
                aria-label="Half-life in days"
                value={e.halfLife}
                onChange={(ev) => set({ halfLife: ev.target.value })}
              />{' '}
              days
            </label>
            <label>
              forget after{' '}
              <input
                className="input input-xs"
                inputMode="numeric"
                aria-label="Expiry in days"
                value={e.expire}
                onChange={(ev) => set({ expire: ev.target.value })}
              />{' '}
              days
            </label>
          </>
        )}
      </div>
      {problem && <p className="field-error">{problem}</p>}
    </div>
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
