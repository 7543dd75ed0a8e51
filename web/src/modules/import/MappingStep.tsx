import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useMemo, useState } from 'react';
import { objectDefs } from '../../../../src/modules/crm/crm-objects.js';
import { fieldTypeLabels } from '../../../../src/modules/crm/field-types.js';
import { importMappingSchema, importSchema, type UpdateImportInput } from '../../../../src/modules/imports/imports.schema.js';
import { api, ApiError } from '../../lib/api.js';
import { Badge } from '../../ui/Badge.js';
import { Button } from '../../ui/Button.js';
import { ChoiceCards } from '../../ui/ChoiceCards.js';
import { Dialog } from '../../ui/Dialog.js';
import { TextField } from '../../ui/Field.js';
import { Icon } from '../../ui/Icon.js';
import { ProblemAlert } from '../../ui/ProblemAlert.js';
import { useToast } from '../../ui/Toast.js';
import { Glyph } from './glyphs.js';
import {
  objectWords,
  plural,
  savedMappingsQuery,
  suggestionFor,
  type ImportTarget,
  type ImportView,
  type SavedMapping,
} from './import-queries.js';
import { confidenceLabels, suggestionConfidence, traitName } from './mapping-confidence.js';

type Mode = ImportView['mode'];
type DateFormat = ImportView['dateFormat'];
/** Where a column's current choice came from: as loaded, a saved mapping, or a choice made here. */
type Source = 'loaded' | 'saved' | 'manual';

const groupTitles: ReadonlyArray<[ImportTarget['group'], string]> = [
  ['core', 'Fields'],
  ['custom', 'Custom fields'],
  ['owner', 'Owner'],
  ['external', 'External ids'],
  ['trait', 'Traits'],
];

const dateFormats: ReadonlyArray<{ value: DateFormat; label: string }> = [
  { value: 'auto', label: 'Detect from the values' },
  { value: 'iso', label: 'Year first: 2024-03-31' },
  { value: 'us', label: 'US, month first: 03/31/2024' },
  { value: 'eu', label: 'Day first: 31/03/2024' },
];

/** A column's first few distinct values, as they read in a cell (line breaks shown as ↵). */
function samplesOf(imp: ImportView, column: number): string[] {
  const out: string[] = [];
  for (const row of imp.sample) {
    const v = (row[column] ?? '').trim();
    if (v && !out.includes(v)) out.push(v);
    if (out.length === 3) break;
  }
  return out.map((v) => v.replace(/\r?\n/g, ' ↵ '));
}

/** The targets of an unknown key (a trait or external id named in a saved mapping, say). */
function extraTarget(key: string): ImportTarget | null {
  if (key.startsWith('traits.')) return { key, label: `${key.slice(7)} (trait)`, type: 'text', required: false, group: 'trait' };
  if (key.startsWith('externalIds.'))
    return { key, label: `External id: ${key.slice(12)}`, type: 'text', required: false, group: 'external' };
  return null;
}

/** What a chosen target will do with the column, in a line under the picker. */
function describeTarget(t: ImportTarget | undefined, one: string): string {
  if (!t) return 'Left out of the import.';
  switch (t.group) {
    case 'owner':
      return `The email of a Keel user: the ${one} is assigned to them.`;
    case 'external':
      return 'An id from another system; rows can be matched on it.';
    case 'trait':
      return `Kept on the ${one} as the trait “${t.key.slice(7)}”.`;
    default: {
      const type = fieldTypeLabels[t.type as keyof typeof fieldTypeLabels] ?? t.type;
      const detail = t.options?.length
        ? `: ${t.options.join(', ')}`
        : t.maxLength
          ? `, up to ${t.maxLength.toLocaleString()} characters`
          : '';
      return `${type}${detail}${t.required ? `; every new ${one} needs one` : ''}.`;
    }
  }
}

/** Sample values the target will refuse, said before the dry run does. */
function sampleWarning(t: ImportTarget | undefined, samples: readonly string[]): string | null {
  if (!t) return null;
  if ((t.type === 'select' || t.type === 'multiselect') && t.options) {
    const opts = t.options.map((o) => o.toLowerCase());
    const values = t.type === 'multiselect' ? samples.flatMap((s) => s.split(/[;,]/).map((x) => x.trim())) : samples;
    const bad = values.find((v) => v && !opts.includes(v.toLowerCase()));
    if (bad) return `“${bad}” is not one of its options: rows with it will be refused.`;
  }
  if (t.type === 'email') {
    const bad = samples.find((s) => !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s));
    if (bad) return `“${bad}” is not an email address: rows with it will be refused.`;
  }
  return null;
}

export function MappingStep({
  imp,
  targets,
  onChecked,
  onBack,
}: {
  imp: ImportView;
  targets: readonly ImportTarget[];
  /** The dry run has started: the import as the server now has it. */
  onChecked: (next: ImportView) => void;
  /** Back to the dry run's results, unchanged (only when there are some). */
  onBack?: () => void;
}) {
  const toast = useToast();
  const words = objectWords[imp.object];
  const def = objectDefs[imp.object];
  const suggestion = useMemo(() => suggestionFor(imp.id), [imp.id]);
  const [mapping, setMapping] = useState<Array<string | null>>(imp.mapping);
  const [source, setSource] = useState<Source[]>(() => imp.mapping.map(() => 'loaded'));
  const [mode, setMode] = useState<Mode>(imp.mode);
  const [matchKey, setMatchKey] = useState(imp.matchKey);
  const [dateFormat, setDateFormat] = useState<DateFormat>(imp.dateFormat);
  const [applied, setApplied] = useState<SavedMapping | null>(null);
  const [saving, setSaving] = useState(false);
  const [serverErrors, setServerErrors] = useState<Record<number, string>>({});
  const ids = useId();

  const byKey = useMemo(() => new Map(targets.map((t) => [t.key, t])), [targets]);
  const targetOf = (key: string | null): ImportTarget | undefined => (key ? (byKey.get(key) ?? extraTarget(key) ?? undefined) : undefined);

  const setColumn = (i: number, key: string | null, from: Source = 'manual') => {
    setMapping((m) => m.map((x, k) => (k === i ? key : x)));
    setSource((s) => s.map((x, k) => (k === i ? from : x)));
    setServerErrors((e) => {
      const { [i]: _gone, ...rest } = e;
      return rest;
    });
  };

  // Each field once: the second column to claim one is flagged, naming the first.
  const firstUse = new Map<string, number>();
  const duplicateOf: Array<number | null> = mapping.map((m, i) => {
    if (!m) return null;
    const first = firstUse.get(m);
    if (first === undefined) {
      firstUse.set(m, i);
      return null;
    }
    return first;
  });
  const mappedCount = mapping.filter(Boolean).length;
  const hasDuplicates = duplicateOf.some((d) => d !== null);
  const matchMapped = mapping.includes(matchKey);
  const matchError = mode !== 'create' && !matchMapped ? `No column is mapped to ${targetOf(matchKey)?.label ?? matchKey}` : null;
  const requiredMissing = mode !== 'update' ? def.required.filter((k) => !mapping.includes(k)).map((k) => targetOf(k)?.label ?? k) : [];
  const hasDates = mapping.some((k) => {
    const t = targetOf(k);
    return t?.type === 'date' || t?.type === 'datetime';
  });
  const dateFailure = imp.failure !== null && /date format|month first|day first/i.test(imp.failure);

  const matchChoices = [
    ...targets.filter((t) => t.key === def.naturalKey || t.group === 'external'),
    ...mapping.filter((k): k is string => !!k && k.startsWith('externalIds.') && !byKey.has(k)).map((k) => extraTarget(k)),
  ].filter((t): t is ImportTarget => t !== null);

  const check = useMutation({
    mutationFn: async (override: { dateFormat?: DateFormat }) => {
      const body: UpdateImportInput = { mapping, mode, matchKey, dateFormat: override.dateFormat ?? dateFormat };
      await api.patch(`/imports/${imp.id}`, importSchema, body);
      return api.post(`/imports/${imp.id}/dry-run`, importSchema);
    },
    onSuccess: onChecked,
    onError: (err) => {
      const rows: Record<number, string> = {};
      if (err instanceof ApiError)
        for (const e of err.problem.errors ?? []) {
          const m = /^(?:body\.)?mapping\.(\d+)$/.exec(e.path ?? '');
          if (m) rows[Number(m[1])] = e.message;
        }
      setServerErrors(rows);
    },
  });

  const runCheck = (override: { dateFormat?: DateFormat } = {}) => {
    if (hasDuplicates || mappedCount === 0 || matchError) return;
    if (override.dateFormat) setDateFormat(override.dateFormat);
    check.mutate(override);
  };

  const applySaved = (m: SavedMapping) => {
    let hits = 0;
    const next = imp.headers.map((h, i) => {
      if (!(h in m.mapping)) return mapping[i] ?? null;
      hits++;
      return m.mapping[h] ?? null;
    });
    setMapping(next);
    setSource((s) => s.map((x, i) => ((imp.headers[i] ?? '') in m.mapping ? 'saved' : x)));
    setServerErrors({});
    setApplied(m);
    toast(
      hits ? `Applied “${m.name}” to ${plural(hits, 'column')} of ${imp.headers.length}` : `“${m.name}” has none of this file’s headers`,
      'info',
    );
  };

  const blocked = hasDuplicates || mappedCount === 0 || matchError !== null;

  return (
    <div className="imp-map">
      {imp.failure && imp.status === 'uploaded' && (
        <div className="alert alert-error imp-failure" role="alert">
          <Icon name="alert" className="alert-icon" />
          <div>
            <p className="alert-title">The dry run stopped before the end</p>
            <p className="alert-detail">{imp.failure}</p>
            {dateFailure && (
              <div className="imp-failure-actions">
                <span>Dates in this file are written</span>
                <Button
                  size="sm"
                  variant="secondary"
                  onClick={() => runCheck({ dateFormat: 'us' })}
                  busy={check.isPending && check.variables.dateFormat === 'us'}
                >
                  Month first (US)
                </Button>
                <Button
                  size="sm"
                  variant="secondary"
                  onClick={() => runCheck({ dateFormat: 'eu' })}
                  busy={check.isPending && check.variables.dateFormat === 'eu'}
                >
                  Day first (EU)
                </Button>
              </div>
            )}
          </div>
        </div>
      )}

      <section className="card imp-section" aria-labelledby={`${ids}-cols`}>
        <header className="imp-section-head">
          <div>
            <h2 className="section-title" id={`${ids}-cols`}>
              Map the columns
            </h2>
            <p className="section-description">
              Each column of <strong>{imp.fileName}</strong> next to the field it fills. Suggestions come from its header; check them
              against the sample values.
            </p>
          </div>
          <SavedMappings object={imp.object} applied={applied} onApply={applySaved} onSave={() => setSaving(true)} />
        </header>
        <div className="table-scroll">
          <table className="table imp-map-table" aria-label="Column mapping">
            <thead>
              <tr>
                <th scope="col">Column in the file</th>
                <th scope="col" className="hide-sm">
                  Sample values
                </th>
                <th scope="col">Import as</th>
                <th scope="col" className="hide-sm">
                  Suggestion
                </th>
              </tr>
            </thead>
            <tbody>
              {imp.headers.map((header, i) => {
                const key = mapping[i] ?? null;
                const target = targetOf(key);
                const samples = samplesOf(imp, i);
                const dup = duplicateOf[i];
                const error = dup != null ? `${target?.label ?? key} is already chosen for “${imp.headers[dup]}”` : serverErrors[i];
                const warning = error ? null : sampleWarning(target, samples);
                const trait = def.hasTraits ? `traits.${traitName(header)}` : null;
                const selectId = `${ids}-col-${i}`;
                const suggested = suggestion !== null && suggestion[i] === key;
                const conf = key && suggested && target ? suggestionConfidence(imp.object, header, target) : null;
                return (
                  <tr key={i} className={key ? undefined : 'imp-map-off'} data-column={header}>
                    <th scope="row" className="imp-map-header">
                      <span className="imp-map-name">{header || <span className="muted">(no header)</span>}</span>
                      <span className="cell-secondary">Column {i + 1}</span>
                    </th>
                    <td className="hide-sm">
                      {samples.length ? (
                        <ul className="imp-samples">
                          {samples.map((s) => (
                            <li key={s} title={s}>
                              {s}
                            </li>
                          ))}
                        </ul>
                      ) : (
                        <span className="muted">Empty in the first rows</span>
                      )}
                    </td>
                    <td className="imp-map-target">
                      <label className="sr-only" htmlFor={selectId}>
                        Import “{header}” as
                      </label>
                      <select
                        id={selectId}
                        className="input select"
                        value={key ?? ''}
                        aria-invalid={error ? true : undefined}
                        aria-describedby={`${selectId}-note`}
                        onChange={(e) => setColumn(i, e.target.value || null)}
                      >
                        <option value="">Don’t import</option>
                        {groupTitles.map(([group, title]) => {
                          const options = targets.filter((t) => t.group === group);
                          const extra = [...new Set(mapping)]
                            .filter((k): k is string => !!k && !byKey.has(k))
                            .map(extraTarget)
                            .filter((t): t is ImportTarget => t?.group === group);
                          if (group === 'trait' && trait && !byKey.has(trait) && !extra.some((t) => t.key === trait))
                            extra.push({
                              key: trait,
                              label: `Keep as a trait: ${trait.slice(7)}`,
                              type: 'text',
                              required: false,
                              group: 'trait',
                            });
                          const all = [...options, ...extra];
                          if (all.length === 0) return null;
                          return (
                            <optgroup key={group} label={title}>
                              {all.map((t) => {
                                const usedAt = firstUse.get(t.key);
                                const elsewhere = usedAt !== undefined && usedAt !== i;
                                return (
                                  <option key={t.key} value={t.key}>
                                    {t.label}
                                    {t.required ? ' (required)' : ''}
                                    {elsewhere ? ' · in use' : ''}
                                  </option>
                                );
                              })}
                            </optgroup>
                          );
                        })}
                      </select>
                      <p
                        id={`${selectId}-note`}
                        className={error ? 'field-error' : warning ? 'imp-map-warning' : 'field-hint'}
                        role={error ? 'alert' : undefined}
                      >
                        {error ?? warning ?? describeTarget(target, words.one)}
                      </p>
                    </td>
                    <td className="hide-sm imp-map-conf">
                      {conf ? (
                        <span title={confidenceLabels[conf].hint}>
                          <Badge tone={confidenceLabels[conf].tone} dot>
                            {confidenceLabels[conf].label}
                          </Badge>
                        </span>
                      ) : key && source[i] === 'saved' ? (
                        <Badge tone="neutral">Saved mapping</Badge>
                      ) : key && (source[i] === 'manual' || suggestion) ? (
                        // A loaded choice that differs from the remembered suggestion was made on an earlier visit.
                        <Badge tone="neutral">Chosen by you</Badge>
                      ) : key ? null : (
                        <span className="muted">{suggested ? 'No match' : 'Left out'}</span>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </section>

      <section className="card imp-section" aria-labelledby={`${ids}-how`}>
        <header className="imp-section-head">
          <div>
            <h2 className="section-title" id={`${ids}-how`}>
              How rows become {words.many}
            </h2>
            <p className="section-description">Blank cells never erase a value that is already stored.</p>
          </div>
        </header>
        <div className="imp-settings">
          <ChoiceCards<Mode>
            legend="Mode"
            value={mode}
            onChange={setMode}
            columns={3}
            choices={[
              {
                value: 'upsert',
                label: 'Add and update',
                description: `New ${words.many} are created; ${words.many} that already exist get the file’s values.`,
              },
              { value: 'create', label: 'Only add new', description: `Rows that match an existing ${words.one} are skipped.` },
              {
                value: 'update',
                label: 'Only update existing',
                description: `Rows that match no ${words.one} are skipped; nothing is created.`,
              },
            ]}
          />
          <div className="form-row">
            <div className={`field${matchError && mode !== 'create' ? ' field-invalid' : ''}`}>
              <label className="field-label" htmlFor={`${ids}-match`}>
                Match existing {words.many} on
              </label>
              <select
                id={`${ids}-match`}
                className="input select"
                value={matchKey}
                onChange={(e) => setMatchKey(e.target.value)}
                aria-invalid={matchError ? true : undefined}
                aria-describedby={`${ids}-match-note`}
              >
                {matchChoices.map((t) => (
                  <option key={t.key} value={t.key}>
                    {t.label}
                    {mapping.includes(t.key) ? '' : ' (not mapped)'}
                  </option>
                ))}
              </select>
              <p id={`${ids}-match-note`} className={matchError ? 'field-error' : 'field-hint'}>
                {matchError
                  ? `${matchError}: map one, or choose “Only add new”.`
                  : `A row whose ${targetOf(matchKey)?.label.toLowerCase() ?? matchKey} is already in Keel updates that ${words.one}.`}
              </p>
            </div>
            <div className={`field${dateFailure ? ' field-invalid' : ''}`}>
              <label className="field-label" htmlFor={`${ids}-dates`}>
                Date format
              </label>
              <select
                id={`${ids}-dates`}
                className="input select"
                value={dateFormat}
                onChange={(e) => setDateFormat(dateFormats.find((d) => d.value === e.target.value)?.value ?? 'auto')}
                aria-describedby={`${ids}-dates-note`}
              >
                {dateFormats.map((d) => (
                  <option key={d.value} value={d.value}>
                    {d.label}
                  </option>
                ))}
              </select>
              <p id={`${ids}-dates-note`} className="field-hint">
                {hasDates
                  ? 'When the values cannot tell (03/04/2024 could be either), choose US or day first.'
                  : 'No date columns are mapped, so this does not matter here.'}
              </p>
            </div>
          </div>
        </div>
      </section>

      <div className="imp-actionbar">
        <div className="imp-actionbar-text">
          <p>
            <strong>
              {mappedCount} of {plural(imp.headers.length, 'column')}
            </strong>{' '}
            will be imported{mappedCount < imp.headers.length ? `; ${imp.headers.length - mappedCount} left out` : ''}.
          </p>
          {requiredMissing.length > 0 && !blocked && (
            <p className="imp-map-warning">
              No column is mapped to {requiredMissing.join(', ')}: rows that would create a {words.one} will be refused.
            </p>
          )}
          {hasDuplicates && <p className="field-error">Each field can take one column: change the columns marked in red.</p>}
          {mappedCount === 0 && <p className="field-error">Map at least one column.</p>}
        </div>
        <div className="imp-actionbar-buttons">
          {onBack && (
            <Button variant="ghost" onClick={onBack} disabled={check.isPending}>
              Back to the dry run
            </Button>
          )}
          <Button variant="primary" onClick={() => runCheck()} busy={check.isPending} disabled={blocked}>
            Run a dry run
            <Glyph name="arrowRight" size={16} />
          </Button>
        </div>
      </div>
      {check.error && !Object.keys(serverErrors).length && <ProblemAlert error={check.error} className="imp-actionbar-problem" />}

      {saving && (
        <SaveMappingDialog
          imp={imp}
          mapping={mapping}
          defaultName={applied?.name ?? imp.fileName.replace(/\.[^.]+$/, '')}
          onSaved={setApplied}
          onClose={() => setSaving(false)}
        />
      )}
    </div>
  );
}

function SavedMappings({
  object,
  applied,
  onApply,
  onSave,
}: {
  object: ImportView['object'];
  applied: SavedMapping | null;
  onApply: (m: SavedMapping) => void;
  onSave: () => void;
}) {
  const qc = useQueryClient();
  const toast = useToast();
  const id = useId();
  const saved = useQuery(savedMappingsQuery(object));
  const remove = useMutation({
    mutationFn: (m: SavedMapping) => api.delete(`/import-mappings/${m.id}`),
    onSuccess: async (_, m) => {
      await qc.invalidateQueries({ queryKey: ['import-mappings', object] });
      toast(`Deleted the saved mapping “${m.name}”`);
    },
  });
  const list = saved.data ?? [];
  const current = applied && list.some((m) => m.id === applied.id) ? applied : null;
  return (
    <div className="imp-saved">
      {list.length > 0 && (
        <div className="imp-saved-apply">
          <label className="sr-only" htmlFor={id}>
            Apply a saved mapping
          </label>
          <select
            id={id}
            className="input select"
            value={current?.id ?? ''}
            onChange={(e) => {
              const m = list.find((x) => x.id === e.target.value);
              if (m) onApply(m);
            }}
          >
            <option value="" disabled>
              Apply a saved mapping…
            </option>
            {list.map((m) => (
              <option key={m.id} value={m.id}>
                {m.name}
              </option>
            ))}
          </select>
          {current && (
            <button
              type="button"
              className="icon-btn"
              aria-label={`Delete the saved mapping ${current.name}`}
              title="Delete this saved mapping"
              onClick={() => remove.mutate(current)}
              disabled={remove.isPending}
            >
              <Icon name="trash" size={16} />
            </button>
          )}
        </div>
      )}
      <Button onClick={onSave}>Save this mapping as…</Button>
    </div>
  );
}

function SaveMappingDialog({
  imp,
  mapping,
  defaultName,
  onSaved,
  onClose,
}: {
  imp: ImportView;
  mapping: Array<string | null>;
  defaultName: string;
  onSaved: (m: SavedMapping) => void;
  onClose: () => void;
}) {
  const qc = useQueryClient();
  const toast = useToast();
  const [name, setName] = useState(defaultName);
  const [error, setError] = useState<string | undefined>();
  const saved = useQuery(savedMappingsQuery(imp.object));
  const replaces = saved.data?.some((m) => m.name === name.trim());
  const save = useMutation({
    mutationFn: () =>
      api.post('/import-mappings', importMappingSchema, {
        object: imp.object,
        name: name.trim(),
        mapping: Object.fromEntries(imp.headers.map((h, i) => [h, mapping[i] ?? null])),
      }),
    onSuccess: async (m) => {
      await qc.invalidateQueries({ queryKey: ['import-mappings', imp.object] });
      toast(`Saved the mapping “${m.name}”`);
      onSaved(m);
      onClose();
    },
  });
  const submit = () => {
    if (!name.trim()) return setError('Give the mapping a name');
    if (name.trim().length > 100) return setError('At most 100 characters');
    save.mutate();
  };
  return (
    <Dialog
      title="Save this mapping"
      description="Next time a file with the same headers arrives (the next export from the same tool), apply it in one step."
      size="sm"
      busy={save.isPending}
      onClose={onClose}
      onSubmit={submit}
      footer={
        <>
          <Button onClick={onClose} disabled={save.isPending}>
            Cancel
          </Button>
          <Button type="submit" variant="primary" busy={save.isPending}>
            {replaces ? 'Replace mapping' : 'Save mapping'}
          </Button>
        </>
      }
    >
      <ProblemAlert error={save.error} />
      <TextField
        label="Name"
        value={name}
        onChange={(v) => {
          setName(v);
          setError(undefined);
        }}
        error={error}
        hint={replaces ? 'A saved mapping has this name: saving replaces it.' : 'For example “HubSpot contacts export”.'}
        maxLength={100}
        autoComplete="off"
      />
    </Dialog>
  );
}
