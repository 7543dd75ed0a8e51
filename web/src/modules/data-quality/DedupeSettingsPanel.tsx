import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { api } from '../../lib/api.js';
import { problemFieldErrors, type FieldErrors } from '../../lib/form.js';
import { useCan } from '../../lib/session.js';
import { Button } from '../../ui/Button.js';
import { ErrorState } from '../../ui/EmptyState.js';
import { TextField } from '../../ui/Field.js';
import { Notice, ProblemAlert } from '../../ui/ProblemAlert.js';
import { LoadingState } from '../../ui/Spinner.js';
import { useToast } from '../../ui/Toast.js';
import { accountKind, contactKind } from '../records/record-kinds.js';
import { useFieldCatalog } from '../records/record-queries.js';
import { objectNoun, ruleDescriptions, ruleLabels } from './dedupe-display.js';
import { ObjectSwitch } from './ObjectSwitch.js';
import {
  dedupeSettingsPatchSchema,
  dedupeSettingsSchema,
  settingsQuery,
  survivorshipRuleSchema,
  type DedupeSettings,
  type MatchObject,
  type SurvivorshipRule,
} from './quality-queries.js';

const rules = survivorshipRuleSchema.options;

/** How duplicates are found (thresholds, block size) and merged (survivorship rules per field). */
export function DedupeSettingsPanel({ object }: { object: MatchObject }) {
  const settings = useQuery(settingsQuery(object));
  return (
    <div className="dq-settings">
      <div className="toolbar">
        <ObjectSwitch object={object} tab="settings" />
      </div>
      {settings.isError ? (
        <ErrorState error={settings.error} onRetry={() => void settings.refetch()} />
      ) : !settings.data ? (
        <LoadingState />
      ) : (
        <SettingsForm key={`${object}:${JSON.stringify(settings.data)}`} object={object} saved={settings.data} />
      )}
    </div>
  );
}

interface Draft {
  review: string;
  autoMerge: boolean;
  autoThreshold: string;
  maxBlockSize: string;
  defaultRule: SurvivorshipRule;
  fields: Record<string, SurvivorshipRule>;
  trusted: string;
}

const toPct = (p: number) => String(Math.round(p * 1000) / 10);

function draftOf(s: DedupeSettings): Draft {
  return {
    review: toPct(s.reviewThreshold),
    autoMerge: s.autoMerge,
    autoThreshold: toPct(s.autoMergeThreshold),
    maxBlockSize: String(s.maxBlockSize),
    defaultRule: s.survivorship.default,
    fields: { ...s.survivorship.fields },
    trusted: s.survivorship.trustedSources.join('\n'),
  };
}

/** The draft as PATCH /duplicates/settings takes it, or what is wrong with it. */
function toPatch(object: MatchObject, d: Draft): { patch: unknown } | { errors: FieldErrors } {
  const errors: FieldErrors = {};
  const pct = (v: string, key: string) => {
    const n = Number(v.replace(',', '.').replace('%', '').trim());
    if (v.trim() === '' || !Number.isFinite(n) || n < 50 || n > 100) {
      errors[key] = 'A percentage from 50 to 100';
      return 0;
    }
    return Math.round(n * 10) / 1000;
  };
  const reviewThreshold = pct(d.review, 'reviewThreshold');
  const autoMergeThreshold = pct(d.autoThreshold, 'autoMergeThreshold');
  if (!errors.reviewThreshold && !errors.autoMergeThreshold && autoMergeThreshold < reviewThreshold)
    errors.autoMergeThreshold = `At least the review threshold (${toPct(reviewThreshold)}%)`;
  const maxBlockSize = Number(d.maxBlockSize.trim());
  if (!Number.isInteger(maxBlockSize) || maxBlockSize < 2 || maxBlockSize > 1000) errors.maxBlockSize = 'A whole number from 2 to 1,000';
  const trustedSources = [
    ...new Set(
      d.trusted
        .split('\n')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
  if (trustedSources.length > 50) errors.survivorship = 'At most 50 trusted sources';
  if (Object.keys(errors).length) return { errors };
  const patch = {
    object,
    reviewThreshold,
    autoMergeThreshold,
    autoMerge: d.autoMerge,
    maxBlockSize,
    survivorship: { default: d.defaultRule, fields: d.fields, trustedSources },
  };
  const parsed = dedupeSettingsPatchSchema.safeParse(patch);
  if (!parsed.success) return { errors: { _form: parsed.error.issues[0]?.message ?? 'These settings are not valid' } };
  return { patch: parsed.data };
}

function SettingsForm({ object, saved }: { object: MatchObject; saved: DedupeSettings }) {
  const can = useCan();
  const qc = useQueryClient();
  const toast = useToast();
  const id = useId();
  const canEdit = can('dedupe.configure');
  const kind = object === 'contact' ? contactKind : accountKind;
  const { catalog } = useFieldCatalog(kind);
  const [d, setD] = useState<Draft>(() => draftOf(saved));
  const [errors, setErrors] = useState<FieldErrors>({});
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => {
    setD((x) => ({ ...x, [key]: value }));
    setErrors({});
  };
  const save = useMutation({
    mutationFn: (patch: unknown) => api.patch('/duplicates/settings', dedupeSettingsSchema, patch),
    onSuccess: (s) => {
      qc.setQueryData(settingsQuery(object).queryKey, s);
      toast(`Duplicate settings for ${objectNoun(object, true)} saved`);
    },
    onError: (err) => setErrors(problemFieldErrors(err)),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const r = toPatch(object, d);
    if ('errors' in r) setErrors(r.errors);
    else save.mutate(r.patch);
  };
  const fields = [...catalog.core, ...catalog.custom];
  const ruleOptions = (withDefault: boolean) => (
    <>
      {withDefault && <option value="">Default ({ruleLabels[d.defaultRule].toLowerCase()})</option>}
      {rules.map((r) => (
        <option key={r} value={r}>
          {ruleLabels[r]}
        </option>
      ))}
    </>
  );

  return (
    <form className="dq-settings-form" onSubmit={submit} noValidate aria-label={`Duplicate settings for ${objectNoun(object, true)}`}>
      {!canEdit && <Notice>Only admins and marketing-ops managers can change these settings.</Notice>}
      <fieldset className="card dq-card dq-fieldset" disabled={!canEdit}>
        <legend className="dq-card-title">Finding duplicates</legend>
        <div className="dq-form-grid">
          <TextField
            label="Review threshold (%)"
            inputMode="decimal"
            value={d.review}
            onChange={(v) => set('review', v)}
            error={errors.reviewThreshold}
            hint="Pairs at least this likely go to the review queue."
          />
          <TextField
            label="Largest block"
            inputMode="numeric"
            value={d.maxBlockSize}
            onChange={(v) => set('maxBlockSize', v)}
            error={errors.maxBlockSize}
            hint="Records sharing a key more common than this (a generic company name) are not compared on it."
          />
        </div>
        <label className="switch dq-switch-row">
          <input type="checkbox" checked={d.autoMerge} onChange={(e) => set('autoMerge', e.target.checked)} />
          <span className="switch-track" aria-hidden="true" />
          <span>Merge the most certain pairs automatically</span>
        </label>
        <div className="dq-form-grid">
          <TextField
            label="Auto-merge threshold (%)"
            inputMode="decimal"
            value={d.autoThreshold}
            onChange={(v) => set('autoThreshold', v)}
            error={errors.autoMergeThreshold}
            disabled={!d.autoMerge}
            hint="Off by default. Automatic merges are listed in the merge history and can be undone for 30 days."
          />
        </div>
        <p className="dq-card-note">Match weights: {saved.model ? 'estimated from this workspace’s data' : 'the built-in ones'}.</p>
      </fieldset>

      <fieldset className="card dq-card dq-fieldset" disabled={!canEdit}>
        <legend className="dq-card-title">Which value a merge keeps</legend>
        <div className="field">
          <label className="field-label" htmlFor={`${id}-default`}>
            Default rule
          </label>
          <select
            id={`${id}-default`}
            className="input select dq-rule-select"
            value={d.defaultRule}
            onChange={(e) => {
              const r = rules.find((x) => x === e.target.value);
              if (r) set('defaultRule', r);
            }}
          >
            {ruleOptions(false)}
          </select>
          <p className="field-hint">{ruleDescriptions[d.defaultRule]}.</p>
        </div>
        <table className="table dq-rules-table" aria-label="Rule per field">
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">Rule</th>
            </tr>
          </thead>
          <tbody>
            {fields.map((f) => (
              <tr key={f.key}>
                <th scope="row" className="cell-plain">
                  <label htmlFor={`${id}-f-${f.key}`}>{f.label}</label>
                </th>
                <td>
                  <select
                    id={`${id}-f-${f.key}`}
                    className="input select dq-rule-select"
                    value={d.fields[f.key] ?? ''}
                    onChange={(e) => {
                      const r = rules.find((x) => x === e.target.value);
                      const next = { ...d.fields };
                      if (r) next[f.key] = r;
                      else delete next[f.key];
                      set('fields', next);
                    }}
                  >
                    {ruleOptions(true)}
                  </select>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <div className="field">
          <label className="field-label" htmlFor={`${id}-trusted`}>
            Trusted sources
          </label>
          <textarea
            id={`${id}-trusted`}
            className="input dq-textarea"
            rows={3}
            value={d.trusted}
            onChange={(e) => set('trusted', e.target.value)}
            aria-describedby={`${id}-trusted-hint`}
          />
          <p className="field-hint" id={`${id}-trusted-hint`}>
            One source a line, most trusted first, for fields with the “Trusted source” rule (a record’s Source field).
          </p>
          {errors.survivorship && <p className="field-error">{errors.survivorship}</p>}
        </div>
      </fieldset>
      {errors._form && <p className="field-error">{errors._form}</p>}
      <ProblemAlert error={save.error} />
      {canEdit && (
        <div className="form-actions dq-settings-actions">
          <Button type="submit" variant="primary" busy={save.isPending}>
            Save settings
          </Button>
        </div>
      )}
    </form>
  );
}
