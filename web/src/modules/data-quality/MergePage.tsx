import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { getRouteApi, Link } from '@tanstack/react-router';
import { useState } from 'react';
import { api, ApiError } from '../../lib/api.js';
import { formatDate, formatDateTime, formatRelative } from '../../lib/format.js';
import { useCan } from '../../lib/session.js';
import { Button } from '../../ui/Button.js';
import { EmptyState } from '../../ui/EmptyState.js';
import { Icon } from '../../ui/Icon.js';
import { PageHeader } from '../../ui/PageHeader.js';
import { Notice, ProblemAlert } from '../../ui/ProblemAlert.js';
import { Forbidden } from '../../ui/RouteStates.js';
import { LoadingState } from '../../ui/Spinner.js';
import { formatValue, OwnerName } from '../records/FieldValue.js';
import { isEmpty, type FieldCatalog, type FieldInfo } from '../records/fields.js';
import { accountKind, contactKind } from '../records/record-kinds.js';
import { useAccountName, useFieldCatalog } from '../records/record-queries.js';
import { movedItems, objectNoun, ruleLabel } from './dedupe-display.js';
import { invalidateAfterMerge } from './MergeHistory.js';
import {
  mergePreviewSchema,
  mergeSchema,
  pluralOf,
  undoResultSchema,
  type MatchObject,
  type MergeField,
  type MergePreview,
  type MergeView,
  type UndoResult,
} from './quality-queries.js';
import { RecordBack, RecordName } from './RecordName.js';
import './data-quality.css';

const route = getRouteApi('/_app/data-quality/merge');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The merge screen for two (or more) records: a column per record, a row per field with the value
 * survivorship picks and the rule that picked it. Click another record's value to keep that one
 * instead; choose which record survives in its column head. "Merge" folds the others into it, then
 * says what moved, with Undo.
 */
export function MergePage() {
  const can = useCan();
  const search = route.useSearch();
  const object = search.object ?? 'contact';
  const ids = [...new Set((search.ids ?? '').split(',').filter((id) => UUID.test(id)))];
  if (!can('dedupe.review')) return <Forbidden what="Merging records" />;
  if (ids.length < 2) {
    return (
      <div className="page page-narrow">
        <EmptyState
          icon="merge"
          title="Choose the records to merge"
          action={
            <Link to="/data-quality" search={{ tab: 'duplicates' }} className="btn btn-secondary">
              Open the review queue
            </Link>
          }
        >
          Open a pair from the review queue with “Review &amp; merge”.
        </EmptyState>
      </div>
    );
  }
  return <MergeScreen key={`${object}:${ids.join()}`} object={object} ids={ids} />;
}

type Stage =
  { kind: 'review' } | { kind: 'merged'; merge: MergeView; names: Record<string, string> } | { kind: 'undone'; undo: UndoResult };

function MergeScreen({ object, ids }: { object: MatchObject; ids: string[] }) {
  const can = useCan();
  const qc = useQueryClient();
  const kind = object === 'contact' ? contactKind : accountKind;
  const { catalog } = useFieldCatalog(kind);
  const [survivorId, setSurvivorId] = useState(ids[0] ?? '');
  const [overrides, setOverrides] = useState<Record<string, string>>({});
  const [stage, setStage] = useState<Stage>({ kind: 'review' });
  const [showEmpty, setShowEmpty] = useState(false);
  const from = ids.filter((id) => id !== survivorId);
  const body = { from, fields: overrides };

  const preview = useQuery({
    queryKey: ['duplicates', 'preview', object, survivorId, body],
    queryFn: () => api.post(`/${pluralOf(object)}/${survivorId}/merge/preview`, mergePreviewSchema, body),
    enabled: stage.kind === 'review',
    placeholderData: keepPreviousData,
    retry: false,
    staleTime: 0,
  });
  const p = preview.data;
  const names = p ? recordNames(object, p) : {};

  const merge = useMutation({
    mutationFn: () => api.post(`/${pluralOf(object)}/${survivorId}/merge`, mergeSchema, body),
    onSuccess: async (m) => {
      setStage({ kind: 'merged', merge: m, names });
      await invalidateAfterMerge(qc);
    },
  });
  const undo = useMutation({
    mutationFn: (id: string) => api.post(`/merges/${id}/undo`, undoResultSchema),
    onSuccess: async (u) => {
      setStage({ kind: 'undone', undo: u });
      await invalidateAfterMerge(qc);
    },
  });

  const title = `Merge ${objectNoun(object, true)}`;
  const back = (
    <nav className="breadcrumb" aria-label="Breadcrumb">
      <Link to="/data-quality" search={{ tab: 'duplicates', object: object === 'contact' ? undefined : object }}>
        Duplicates
      </Link>
      <Icon name="chevronRight" size={14} />
      <span aria-current="page">{title}</span>
    </nav>
  );

  if (stage.kind === 'merged') {
    const m = stage.merge;
    const survivorName = stage.names[m.survivorId] ?? `The ${objectNoun(object)}`;
    // What moved, the moves first; then which values came over from the merged records.
    const moved = movedItems(m.moved).sort((a, b) => Number(b.count > 0) - Number(a.count > 0));
    const taken = m.from
      .map((id) => ({
        id,
        fields: Object.entries(m.chosen)
          .filter(([, rid]) => rid === id)
          .map(([f]) => (catalog.get(f)?.label ?? catalog.label(f)).toLowerCase()),
      }))
      .filter((t) => t.fields.length > 0);
    return (
      <div className="page dq-merge-page">
        {back}
        <PageHeader title={title} />
        <section className="card dq-card dq-outcome" aria-labelledby="dq-merged-title" data-testid="merge-result">
          <h2 className="dq-outcome-title" id="dq-merged-title">
            <Icon name="check" size={20} />
            {m.from.map((id) => stage.names[id] ?? objectNoun(object)).join(', ')} merged into {survivorName}
          </h2>
          <p className="dq-card-note">
            {m.from.length === 1 ? 'The merged record now points' : 'The merged records now point'} to{' '}
            <RecordName object={object} id={m.survivorId} />. What hung off {m.from.length === 1 ? 'it' : 'them'} moved over:
          </p>
          <ul className="dq-moved" aria-label="What moved">
            {moved.map((x) => (
              <li key={x.key} data-moved={x.key} className={x.count === 0 ? 'muted' : undefined}>
                {x.text}
              </li>
            ))}
          </ul>
          <p className="dq-card-note" data-testid="values-taken">
            {taken.length
              ? taken.map((t) => `From ${stage.names[t.id] ?? objectNoun(object)}: ${t.fields.join(', ')}.`).join(' ')
              : `Every value is ${survivorName}’s own.`}
          </p>
          {undo.error ? <MergeProblem error={undo.error} names={stage.names} /> : null}
          <div className="dq-outcome-actions">
            {m.canUndo && can('dedupe.merge') && (
              <Button icon="undo" busy={undo.isPending} onClick={() => undo.mutate(m.id)}>
                Undo merge
              </Button>
            )}
            <Link to={kind.recordPath} params={{ id: m.survivorId }} className="btn btn-secondary">
              Open {survivorName}
            </Link>
            <Link
              to="/data-quality"
              search={{ tab: 'duplicates', object: object === 'contact' ? undefined : object }}
              className="btn btn-primary"
            >
              Back to the review queue
            </Link>
          </div>
          {m.canUndo && <p className="dq-card-note">Can be undone until {formatDateTime(m.undoUntil)}, also from the merge history.</p>}
        </section>
      </div>
    );
  }

  if (stage.kind === 'undone') {
    const u = stage.undo;
    return (
      <div className="page dq-merge-page">
        {back}
        <PageHeader title={title} />
        <section className="card dq-card dq-outcome" aria-labelledby="dq-undone-title" data-testid="undo-result">
          <h2 className="dq-outcome-title" id="dq-undone-title">
            <Icon name="undo" size={20} />
            Merge undone: the records are back
          </h2>
          <p className="dq-card-note">Each record has the values it had before the merge, and what moved over went back to it.</p>
          <ul className="dq-moved dq-back" aria-label="Records">
            {[u.survivorId, ...u.from].map((id) => (
              <li key={id}>
                <RecordBack object={object} id={id} />
              </li>
            ))}
          </ul>
          {u.kept.length > 0 && <Notice>Changed since the merge, so kept as they are now: {u.kept.join(', ')}.</Notice>}
          <div className="dq-outcome-actions">
            <Link
              to="/data-quality"
              search={{ tab: 'duplicates', object: object === 'contact' ? undefined : object }}
              className="btn btn-primary"
            >
              Back to the review queue
            </Link>
          </div>
        </section>
      </div>
    );
  }

  const rows = p?.fields.filter((f) => showEmpty || f.values.some((v) => !isEmpty(v.value))) ?? [];
  const emptyCount = p ? p.fields.length - p.fields.filter((f) => f.values.some((v) => !isEmpty(v.value))).length : 0;
  const choose = (field: string, recordId: string) => setOverrides((o) => ({ ...o, [field]: recordId }));
  const canMerge = can('dedupe.merge');

  return (
    <div className="page dq-merge-page">
      {back}
      <PageHeader
        title={title}
        description="Pick the record that stays and, where the rules chose a value you would not, click the one to keep. Nothing changes until you merge; a merge can be undone for 30 days."
      />
      {preview.isError && <MergeProblem error={preview.error} names={names} onRetry={() => void preview.refetch()} />}
      {!p ? (
        preview.isError ? null : (
          <LoadingState label="Comparing the records…" />
        )
      ) : (
        <>
          <div className="card table-card">
            <div className="table-scroll">
              <table className="table dq-merge-grid" aria-label="Fields to merge" aria-busy={preview.isFetching || undefined}>
                <thead>
                  <tr>
                    <th scope="col" className="dq-merge-field-col">
                      Field
                    </th>
                    {ids.map((id) => {
                      const meta = p.records.find((r) => r.id === id);
                      return (
                        <th
                          key={id}
                          scope="col"
                          className={`dq-merge-rec${id === survivorId ? ' dq-merge-survivor' : ''}`}
                          data-record={id}
                        >
                          <RecordHead
                            id={id}
                            name={names[id] ?? objectNoun(object)}
                            meta={meta}
                            survivor={id === survivorId}
                            onKeep={() => setSurvivorId(id)}
                          />
                        </th>
                      );
                    })}
                    <th scope="col" className="dq-merge-result-col">
                      Result
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((f) => (
                    <FieldRow key={f.field} f={f} ids={ids} names={names} catalog={catalog} onChoose={choose} />
                  ))}
                </tbody>
              </table>
            </div>
            <div className="table-foot">
              <span className="muted">
                {Object.keys(overrides).length
                  ? `${Object.keys(overrides).length} ${Object.keys(overrides).length === 1 ? 'value' : 'values'} chosen by you, the rest by the rules`
                  : 'Every value chosen by the survivorship rules'}
              </span>
              <span className="dq-foot-actions">
                {emptyCount > 0 && (
                  <Button size="sm" variant="ghost" onClick={() => setShowEmpty((s) => !s)}>
                    {showEmpty ? 'Hide empty fields' : `Show ${emptyCount} empty ${emptyCount === 1 ? 'field' : 'fields'}`}
                  </Button>
                )}
                {Object.keys(overrides).length > 0 && (
                  <Button size="sm" variant="ghost" onClick={() => setOverrides({})}>
                    Reset choices
                  </Button>
                )}
              </span>
            </div>
          </div>
          {merge.error ? (
            <MergeProblem
              error={merge.error}
              names={names}
              onRetry={() => {
                merge.reset();
                void preview.refetch();
              }}
            />
          ) : null}
          <div className="dq-merge-actions">
            <p className="muted">
              {from.map((id) => names[id] ?? objectNoun(object)).join(', ')} will be merged into <strong>{names[survivorId]}</strong>: its
              activity, list memberships, consents{object === 'contact' ? ', account links' : ', contacts'} and external ids move over.
            </p>
            {canMerge ? (
              <Button variant="primary" icon="merge" busy={merge.isPending} disabled={preview.isFetching} onClick={() => merge.mutate()}>
                Merge
              </Button>
            ) : (
              <span className="muted">Your role may review merges but not carry them out.</span>
            )}
          </div>
        </>
      )}
    </div>
  );
}

/** Names for the column heads, from the preview's own values (the records are not loaded otherwise). */
function recordNames(object: MatchObject, p: MergePreview): Record<string, string> {
  const val = (field: string, id: string) => {
    const v = p.fields.find((f) => f.field === field)?.values.find((x) => x.recordId === id)?.value;
    return typeof v === 'string' ? v.trim() : '';
  };
  const out: Record<string, string> = {};
  for (const r of p.records) {
    const id = typeof r.id === 'string' ? r.id : '';
    out[id] =
      object === 'contact'
        ? [val('firstName', id), val('lastName', id)].filter(Boolean).join(' ') || val('email', id) || '(no name)'
        : val('name', id) || val('domain', id) || '(no name)';
  }
  return out;
}

function RecordHead({
  id,
  name,
  meta,
  survivor,
  onKeep,
}: {
  id: string;
  name: string;
  meta: Record<string, unknown> | undefined;
  survivor: boolean;
  onKeep: () => void;
}) {
  const str = (k: string) => (typeof meta?.[k] === 'string' ? (meta[k] as string) : null);
  const created = str('createdAt');
  const updated = str('updatedAt');
  const source = str('source');
  return (
    <div className="dq-rec-head">
      <span className="dq-rec-name">{name}</span>
      <span className="dq-rec-meta">
        {created && <>Created {formatDate(created)}</>}
        {updated && (
          <>
            {' · '}updated{' '}
            <time dateTime={updated} title={formatDateTime(updated)}>
              {formatRelative(updated).toLowerCase()}
            </time>
          </>
        )}
        {source && <> · {source}</>}
      </span>
      <label className="dq-keep">
        <input type="radio" name="survivor" checked={survivor} onChange={onKeep} data-record={id} />
        <span>{survivor ? 'This record stays' : 'Keep this record instead'}</span>
      </label>
    </div>
  );
}

function FieldRow({
  f,
  ids,
  names,
  catalog,
  onChoose,
}: {
  f: MergeField;
  ids: string[];
  names: Record<string, string>;
  catalog: FieldCatalog;
  onChoose: (field: string, recordId: string) => void;
}) {
  const info = catalog.get(f.field);
  const label = info?.label ?? catalog.label(f.field);
  const present = f.values.filter((v) => !isEmpty(v.value));
  const differs = new Set(present.map((v) => JSON.stringify(v.value))).size > 1;
  return (
    <tr className={differs ? 'dq-row-differs' : undefined} data-field={f.field}>
      <th scope="row" className="dq-merge-field-col cell-plain">
        {label}
        {differs && <span className="dq-differs">differs</span>}
      </th>
      {ids.map((id) => {
        const v = f.values.find((x) => x.recordId === id)?.value;
        const chosen = f.chosen === id;
        if (isEmpty(v)) {
          return (
            <td key={id} className="dq-merge-cell">
              <span className="muted" aria-label="Empty">
                —
              </span>
            </td>
          );
        }
        return (
          <td key={id} className="dq-merge-cell">
            <button
              type="button"
              className={`dq-value${chosen ? ' dq-value-chosen' : ''}`}
              aria-pressed={chosen}
              onClick={() => onChoose(f.field, id)}
              data-record={id}
              title={chosen ? 'This value is kept' : `Keep this value (from ${names[id] ?? 'this record'})`}
            >
              {chosen && <Icon name="check" size={14} />}
              <span className="dq-value-text">
                <ValueText value={v} field={info} />
              </span>
            </button>
          </td>
        );
      })}
      <td className="dq-merge-result">
        <span className="dq-result-value">
          <ValueText value={f.value} field={info} />
        </span>
        {present.length > 0 && (
          <span className={`dq-rule${f.rule === 'chosen' ? ' dq-rule-chosen' : ''}`} data-testid="rule">
            {ruleLabel(f.rule)}
          </span>
        )}
      </td>
    </tr>
  );
}

function AccountNameText({ id }: { id: string }) {
  const name = useAccountName(id);
  return <>{name ?? 'Account'}</>;
}

/** A value as text (never a link: it sits inside a button). */
function ValueText({ value, field }: { value: unknown; field: FieldInfo | undefined }) {
  if (isEmpty(value)) return <span className="muted">—</span>;
  if (field?.kind === 'account' && typeof value === 'string') return <AccountNameText id={value} />;
  if (field?.kind === 'owner' && typeof value === 'string') return <OwnerName id={value} />;
  return <>{formatValue(value, field)}</>;
}

/**
 * A refused merge, preview or undo. A 409 means the records changed under this screen (someone
 * merged them first, a record was deleted): said in those words, with the record names in place
 * of their ids, and a way to compare them again.
 */
function MergeProblem({ error, names, onRetry }: { error: unknown; names: Record<string, string>; onRetry?: () => void }) {
  if (!(error instanceof ApiError) || error.status !== 409) return <ProblemAlert error={error} />;
  let detail = (error.problem.detail ?? error.problem.title).replace(/\.?$/, '.');
  for (const [id, name] of Object.entries(names)) detail = detail.split(id).join(name);
  return (
    <div className="alert alert-error" role="alert">
      <Icon name="alert" className="alert-icon" />
      <div>
        <p className="alert-title">These records were merged or changed in the meantime</p>
        <p className="alert-detail">{detail}</p>
        {onRetry && (
          <div className="dq-alert-actions">
            <Button size="sm" icon="refresh" onClick={onRetry}>
              Compare again
            </Button>
          </div>
        )}
      </div>
    </div>
  );
}
