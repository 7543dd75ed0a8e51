import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { getRouteApi, Link, useNavigate } from '@tanstack/react-router';
import { useId, useMemo, useState, type FormEvent, type KeyboardEvent } from 'react';
import { api, ApiError } from '../../lib/api.js';
import { problemFieldErrors, validate, type FieldErrors } from '../../lib/form.js';
import { useCan } from '../../lib/session.js';
import { Button } from '../../ui/Button.js';
import { ErrorState } from '../../ui/EmptyState.js';
import { TextField } from '../../ui/Field.js';
import { Icon } from '../../ui/Icon.js';
import { PageHeader } from '../../ui/PageHeader.js';
import { ProblemAlert } from '../../ui/ProblemAlert.js';
import { Forbidden } from '../../ui/RouteStates.js';
import { LoadingState } from '../../ui/Spinner.js';
import { useToast } from '../../ui/Toast.js';
import { accountKind, contactKind } from '../records/record-kinds.js';
import { useFieldCatalog } from '../records/record-queries.js';
import { ConditionBuilder } from './ConditionBuilder.js';
import { buildDefinition, countConditions, newGroup, NotVisual, rootFrom, type Catalogs, type GroupNode } from './definition.js';
import { ExplainPanel } from './ExplainPanel.js';
import { segmentCatalog } from './segment-fields.js';
import { SegmentPreview, useSegmentPreview } from './SegmentPreview.js';
import { createSegmentSchema, explainSchema, segmentQuery, segmentSchema, type Segment } from './segments-queries.js';
import './segments.css';

const editRoute = getRouteApi('/_app/segments/$id/edit');

export function NewSegmentPage() {
  const can = useCan();
  if (!can('segments.write')) return <Forbidden what="Creating segments" />;
  return <SegmentEditor segment={null} />;
}

export function EditSegmentPage() {
  const can = useCan();
  const { id } = editRoute.useParams();
  const segment = useQuery(segmentQuery(id));
  if (!can('segments.write')) return <Forbidden what="Editing segments" />;
  if (segment.isError) {
    return (
      <div className="page page-narrow">
        <ErrorState error={segment.error} onRetry={() => void segment.refetch()} />
      </div>
    );
  }
  if (!segment.data) return <LoadingState label="Loading the segment…" />;
  return <SegmentEditor key={segment.data.id} segment={segment.data} />;
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

function SegmentEditor({ segment }: { segment: Segment | null }) {
  const { catalogs, ready } = useCatalogs();
  // Custom fields (currency digits, select options) shape how values are shown: wait for them.
  if (!ready) return <LoadingState label="Loading fields…" />;
  return <SegmentForm segment={segment} catalogs={catalogs} />;
}

type Tab = 'visual' | 'json';

interface Start {
  root: GroupNode;
  tab: Tab;
  json: string;
  note: string | null;
}

function startFrom(segment: Segment | null, catalogs: Catalogs): Start {
  if (!segment) return { root: newGroup('all'), tab: 'visual', json: '', note: null };
  const json = JSON.stringify(segment.definition, null, 2);
  try {
    return { root: rootFrom(segment.definition, catalogs), tab: 'visual', json, note: null };
  } catch (err) {
    // Saved by the API or the CLI with something the builder does not draw: edit it as JSON.
    return { root: newGroup('all'), tab: 'json', json, note: err instanceof NotVisual ? err.message : String(err) };
  }
}

function SegmentForm({ segment, catalogs }: { segment: Segment | null; catalogs: Catalogs }) {
  const can = useCan();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const toast = useToast();
  const tabsId = useId();
  const [start] = useState(() => startFrom(segment, catalogs));
  const [name, setName] = useState(segment?.name ?? '');
  const [description, setDescription] = useState(segment?.description ?? '');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [tab, setTab] = useState<Tab>(start.tab);
  const [root, setRoot] = useState<GroupNode>(start.root);
  const [jsonText, setJsonText] = useState(start.json);
  // Why the visual tab cannot show the JSON (shown on the JSON tab until it can).
  const [visualNote, setVisualNote] = useState<string | null>(start.note);
  const [explainOpen, setExplainOpen] = useState(false);

  const built = useMemo(() => buildDefinition(root, catalogs), [root, catalogs]);
  const parsedJson = useMemo((): { ok: true; value: unknown } | { ok: false; message: string } => {
    try {
      return { ok: true, value: JSON.parse(jsonText) as unknown };
    } catch (err) {
      return { ok: false, message: (err as Error).message };
    }
  }, [jsonText]);

  // The definition as it stands, or null while it cannot be sent (unfinished conditions, bad JSON).
  const current: unknown = tab === 'visual' ? (built.problems.size ? null : built.definition) : parsedJson.ok ? parsedJson.value : null;
  const currentJson = current === null ? null : JSON.stringify(current);
  const preview = useSegmentPreview(currentJson);
  const unfinished = tab === 'visual' ? built.problems.size > 0 : !parsedJson.ok;

  const openTab = (t: Tab) => {
    if (t === tab) return;
    if (t === 'json') {
      setJsonText(JSON.stringify(built.definition, null, 2));
      setVisualNote(null);
      setTab('json');
      return;
    }
    if (!parsedJson.ok) {
      setVisualNote(`Fix the JSON first: ${parsedJson.message}`);
      return;
    }
    try {
      setRoot(rootFrom(parsedJson.value, catalogs));
      setVisualNote(null);
      setTab('visual');
    } catch (err) {
      setVisualNote(err instanceof NotVisual ? `The visual builder cannot show this: ${err.message}` : String(err));
    }
  };
  const onTabKey = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
    e.preventDefault();
    const next = tab === 'visual' ? 'json' : 'visual';
    openTab(next);
    document.getElementById(`${tabsId}-${next}`)?.focus();
  };

  const explain = useMutation({
    mutationFn: (definition: unknown) => api.post('/segments/explain', explainSchema, { definition }),
  });
  const runExplain = () => {
    setExplainOpen(true);
    if (current !== null) explain.mutate(current);
  };

  const save = useMutation({
    mutationFn: (body: { name: string; description: string; definition: unknown }) =>
      segment ? api.patch(`/segments/${segment.id}`, segmentSchema, body) : api.post('/segments', segmentSchema, body),
    onSuccess: async (saved) => {
      await qc.invalidateQueries({ queryKey: ['segments'] });
      toast(segment ? `${saved.name} was saved` : `${saved.name} was created`);
      await navigate({ to: '/segments/$id', params: { id: saved.id } });
    },
    onError: (err) => setErrors(problemFieldErrors(err)),
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const fields = validate(createSegmentSchema.pick({ name: true, description: true }), { name, description }, setErrors);
    if (!fields || current === null) return;
    save.mutate({ name: fields.name, description: fields.description, definition: current });
  };

  // A definition the API refused: its message and the paths it names, beside the builder.
  const refused = preview.error instanceof ApiError && preview.error.status === 400 ? preview.error : null;
  const previewFailed = preview.error && !refused ? preview.error : null;
  const title = segment ? `Edit ${segment.name}` : 'New segment';
  const conditions = countConditions(root);

  return (
    <form className="page page-wide seg-edit" onSubmit={submit} noValidate>
      <PageHeader
        title={title}
        description="Describe who belongs in the segment. The count updates as you edit; membership is kept current once it is saved."
        actions={
          <>
            {segment ? (
              <Link to="/segments/$id" params={{ id: segment.id }} className="btn btn-secondary">
                Cancel
              </Link>
            ) : (
              <Link to="/segments" className="btn btn-secondary">
                Cancel
              </Link>
            )}
            <Button type="submit" variant="primary" busy={save.isPending} disabled={current === null}>
              {segment ? 'Save segment' : 'Create segment'}
            </Button>
          </>
        }
      />
      <ProblemAlert error={save.error} className="seg-save-error" />

      <div className="card seg-meta">
        <TextField
          label="Name"
          value={name}
          onChange={(v) => {
            setName(v);
            setErrors((x) => ({ ...x, name: undefined }));
          }}
          error={errors.name}
          maxLength={200}
          placeholder="Engaged trial users in Germany"
          autoFocus={!segment}
        />
        <TextField
          label="Description"
          value={description}
          onChange={setDescription}
          error={errors.description}
          maxLength={2000}
          placeholder="What the segment is for (optional)"
        />
      </div>

      <div className="seg-layout">
        <div className="seg-main">
          {/* Enter in a condition's input would submit the whole form: there it does nothing. */}
          <section
            className="card seg-definition"
            aria-label="Definition"
            onKeyDown={(e) => {
              if (e.key === 'Enter' && e.target instanceof HTMLInputElement) e.preventDefault();
            }}
          >
            <header className="seg-definition-head">
              <div className="seg-tabs" role="tablist" aria-label="Edit the definition as" onKeyDown={onTabKey}>
                {(
                  [
                    ['visual', 'Visual'],
                    ['json', 'JSON'],
                  ] as const
                ).map(([t, label]) => (
                  <button
                    key={t}
                    id={`${tabsId}-${t}`}
                    type="button"
                    role="tab"
                    aria-selected={tab === t}
                    aria-controls={`${tabsId}-panel`}
                    tabIndex={tab === t ? 0 : -1}
                    className={`seg-tab${tab === t ? ' active' : ''}`}
                    onClick={() => openTab(t)}
                  >
                    {label}
                  </button>
                ))}
              </div>
              <span className="seg-definition-meta muted">
                {tab === 'visual' && `${conditions} ${conditions === 1 ? 'condition' : 'conditions'}`}
              </span>
              <Button size="sm" icon="search" onClick={runExplain} disabled={current === null} busy={explain.isPending}>
                Explain
              </Button>
            </header>

            {refused && (
              <div className="alert alert-error seg-refused" role="alert">
                <Icon name="alert" className="alert-icon" />
                <div>
                  <p className="alert-title">{refused.problem.detail ?? refused.problem.title}</p>
                  {(refused.problem.errors ?? []).filter((e) => e.message !== refused.problem.detail).length > 0 && (
                    <ul className="seg-refused-list">
                      {(refused.problem.errors ?? [])
                        .filter((e) => e.message !== refused.problem.detail)
                        .map((e, i) => (
                          <li key={i}>
                            {e.path && <code>{e.path}</code>} {e.message}
                          </li>
                        ))}
                    </ul>
                  )}
                </div>
              </div>
            )}
            {previewFailed ? <ProblemAlert error={previewFailed} /> : null}

            <div id={`${tabsId}-panel`} role="tabpanel" aria-labelledby={`${tabsId}-${tab}`} className="seg-definition-body">
              {tab === 'visual' ? (
                <ConditionBuilder
                  root={root}
                  onChange={setRoot}
                  catalogs={catalogs}
                  problems={built.problems}
                  selfId={segment?.id}
                  canReadTracking={can('tracking.read')}
                />
              ) : (
                <div className="seg-json">
                  {visualNote && (
                    <p className="seg-json-note" role="status">
                      {visualNote}
                    </p>
                  )}
                  <textarea
                    aria-label="Definition as JSON"
                    className={`input seg-json-input${parsedJson.ok ? '' : ' seg-json-invalid'}`}
                    spellCheck={false}
                    value={jsonText}
                    aria-invalid={!parsedJson.ok || undefined}
                    aria-describedby={parsedJson.ok ? undefined : `${tabsId}-json-error`}
                    onChange={(e) => setJsonText(e.target.value)}
                    rows={Math.min(28, Math.max(10, jsonText.split('\n').length + 1))}
                  />
                  {!parsedJson.ok && (
                    <p className="field-error" id={`${tabsId}-json-error`} role="alert">
                      Not valid JSON: {parsedJson.message}
                    </p>
                  )}
                </div>
              )}
            </div>
          </section>

          {explainOpen && (
            <ExplainPanel explain={explain.data} error={explain.error} busy={explain.isPending} onClose={() => setExplainOpen(false)} />
          )}
        </div>
        <SegmentPreview state={preview} unfinished={unfinished} />
      </div>
    </form>
  );
}
