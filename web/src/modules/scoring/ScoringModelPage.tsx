import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { getRouteApi, Link } from '@tanstack/react-router';
import { useMemo, useState } from 'react';
import { api } from '../../lib/api.js';
import { formatDateTime } from '../../lib/format.js';
import { useCan } from '../../lib/session.js';
import { Badge } from '../../ui/Badge.js';
import { Button } from '../../ui/Button.js';
import { ConfirmDialog } from '../../ui/ConfirmDialog.js';
import { ErrorState } from '../../ui/EmptyState.js';
import { PageHeader } from '../../ui/PageHeader.js';
import { ProblemAlert } from '../../ui/ProblemAlert.js';
import { Forbidden } from '../../ui/RouteStates.js';
import { LoadingState } from '../../ui/Spinner.js';
import { useToast } from '../../ui/Toast.js';
import { accountKind, contactKind } from '../records/record-kinds.js';
import { useFieldCatalog } from '../records/record-queries.js';
import type { Catalogs } from '../segments/definition.js';
import { segmentCatalog } from '../segments/segment-fields.js';
import { EvaluationView } from './EvaluationView.js';
import { ModelEditor } from './ModelEditor.js';
import { modelDraft, toDefinition, type ModelDraft } from './rule-drafts.js';
import { definitionOf, scoringModelQuery, scoringModelSchema, versionsQuery, type ScoringModel } from './scoring-queries.js';
import { WhatIfView } from './WhatIfView.js';
import './scoring.css';

const route = getRouteApi('/_app/scoring/$id');

const tabs = [
  { id: 'rules', label: 'Rules', permission: 'scoring.read' },
  { id: 'what-if', label: 'What-if', permission: 'scoring.evaluate' },
  { id: 'evaluation', label: 'Evaluation', permission: 'scoring.evaluate' },
  { id: 'versions', label: 'Versions', permission: 'scoring.read' },
] as const;
export type ScoringTab = (typeof tabs)[number]['id'];

function useCatalogs(): { catalogs: Catalogs; ready: boolean } {
  const contact = useFieldCatalog(contactKind);
  const account = useFieldCatalog(accountKind);
  const catalogs = useMemo(
    () => ({ contact: segmentCatalog(contact.catalog), account: segmentCatalog(account.catalog) }),
    [contact.catalog, account.catalog],
  );
  return { catalogs, ready: !contact.isPending && !account.isPending };
}

/** One scoring model: its draft's rules with a live preview, what publishing would change, how well it predicted, its versions. */
export function ScoringModelPage() {
  const can = useCan();
  const { id } = route.useParams();
  const model = useQuery(scoringModelQuery(id));
  const { catalogs, ready } = useCatalogs();
  if (!can('scoring.read')) return <Forbidden what="Lead scoring" />;
  if (model.isError) {
    return (
      <div className="page page-narrow">
        <ErrorState error={model.error} onRetry={() => void model.refetch()} />
      </div>
    );
  }
  if (!model.data || !ready) return <LoadingState label="Loading the model…" />;
  return <ModelScreen key={model.data.id} model={model.data} catalogs={catalogs} />;
}

function ModelScreen({ model, catalogs }: { model: ScoringModel; catalogs: Catalogs }) {
  const can = useCan();
  const qc = useQueryClient();
  const toast = useToast();
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const [draft, setDraft] = useState<ModelDraft>(() => modelDraft(definitionOf(model.draft), catalogs));
  // What is saved, as the editor writes it (a lone fit condition comes back inside "all"), so
  // opening a model does not count as a change.
  const [saved, setSaved] = useState(() => JSON.stringify(toDefinition(draft, catalogs).definition));
  const [confirming, setConfirming] = useState(false);
  const built = useMemo(() => toDefinition(draft, catalogs), [draft, catalogs]);
  const dirty = built.definition === null || JSON.stringify(built.definition) !== saved;
  const shown = tabs.filter((t) => can(t.permission));
  const active = shown.find((t) => t.id === search.tab) ?? shown[0];

  const refresh = async (m: ScoringModel) => {
    qc.setQueryData(scoringModelQuery(m.id).queryKey, m);
    await qc.invalidateQueries({ queryKey: ['scoring', 'models'] });
  };
  const save = useMutation({
    mutationFn: () => api.patch(`/scoring/models/${model.id}`, scoringModelSchema, { draft: built.definition }),
    onSuccess: async (m) => {
      setSaved(JSON.stringify(built.definition));
      await refresh(m);
      toast('Draft saved');
    },
  });
  const publish = useMutation({
    mutationFn: () => api.post(`/scoring/models/${model.id}/publish`, scoringModelSchema),
    onSuccess: async (m) => {
      setConfirming(false);
      await refresh(m);
      toast(`Version ${m.publishedVersion ?? ''} published: scores are being recomputed`);
    },
  });

  const canWrite = can('scoring.write');
  const publishBlocked = !can('scoring.publish')
    ? 'Publishing needs the marketing-ops manager or admin role'
    : dirty
      ? 'Save the draft first'
      : model.draftProblems.length
        ? 'Fix the broken rules first'
        : null;

  return (
    <div className="page scoring-page">
      <PageHeader
        title={model.name}
        description={
          <>
            <Link to="/scoring">Lead scoring</Link> ·{' '}
            {model.publishedVersion === null
              ? 'not published yet'
              : `version ${model.publishedVersion} scores ${model.scoredContacts.toLocaleString()} contacts`}
            {model.description && <> · {model.description}</>}
          </>
        }
        actions={
          <div className="scoring-actions">
            {dirty ? <Badge tone="warning">Unsaved changes</Badge> : <Badge tone="neutral">Draft saved</Badge>}
            {canWrite && (
              <Button onClick={() => save.mutate()} disabled={!dirty || built.definition === null || save.isPending}>
                Save draft
              </Button>
            )}
            <span className="scoring-publish-wrap" title={publishBlocked ?? undefined}>
              <Button
                variant="primary"
                onClick={() => setConfirming(true)}
                disabled={publishBlocked !== null || publish.isPending}
                aria-describedby="publish-why"
              >
                Publish
              </Button>
            </span>
          </div>
        }
      />
      {publishBlocked && (
        <p className="scoring-publish-why muted" id="publish-why">
          {publishBlocked}.
        </p>
      )}
      {save.isError && <ProblemAlert error={save.error} />}
      {model.draftProblems.length > 0 && (
        <ProblemAlert
          error={new Error(`Broken rules (they give 0 points): ${model.draftProblems.map((p) => `${p.rule}: ${p.message}`).join('; ')}`)}
        />
      )}
      <nav className="tabs" aria-label="Scoring model">
        {shown.map((t) => (
          <button
            key={t.id}
            type="button"
            className={`tab${t.id === active?.id ? ' active' : ''}`}
            aria-current={t.id === active?.id ? 'page' : undefined}
            onClick={() => void navigate({ search: { tab: t.id === 'rules' ? undefined : t.id }, replace: true })}
          >
            {t.label}
          </button>
        ))}
      </nav>
      {active?.id === 'what-if' ? (
        <WhatIfView model={model} unsaved={dirty} />
      ) : active?.id === 'evaluation' ? (
        <EvaluationView model={model} />
      ) : active?.id === 'versions' ? (
        <Versions model={model} />
      ) : (
        <ModelEditor
          modelId={model.id}
          draft={draft}
          onChange={setDraft}
          catalogs={catalogs}
          problems={built.problems}
          conditionProblems={built.conditionProblems}
          definition={built.definition}
          readOnly={!canWrite}
        />
      )}
      {confirming && (
        <ConfirmDialog
          title={`Publish version ${(model.versions[0]?.version ?? 0) + 1}?`}
          confirmLabel="Publish"
          onConfirm={() => publish.mutate()}
          onClose={() => setConfirming(false)}
          tone="primary"
          error={publish.error}
          busy={publish.isPending}
        >
          Every contact’s score is recomputed with the draft, and lifecycle and routing rules that read this model act on the new scores.
          Publishing is recorded in the audit log.
        </ConfirmDialog>
      )}
    </div>
  );
}

function Versions({ model }: { model: ScoringModel }) {
  const versions = useQuery(versionsQuery(model.id));
  if (versions.isError) return <ErrorState error={versions.error} onRetry={() => void versions.refetch()} />;
  if (!versions.data) return <LoadingState label="Loading versions…" />;
  if (versions.data.data.length === 0)
    return <p className="card scoring-empty muted">Not published yet: the draft scores nobody until it is.</p>;
  return (
    <div className="card table-card">
      <table className="table" aria-label="Published versions">
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Published</th>
            <th scope="col">By</th>
            <th scope="col">Rules</th>
          </tr>
        </thead>
        <tbody>
          {versions.data.data.map((v) => {
            const d = definitionOf(v.definition);
            return (
              <tr key={v.version}>
                <td>
                  {v.version} {v.version === model.publishedVersion && <Badge tone="success">live</Badge>}
                </td>
                <td>{formatDateTime(v.publishedAt)}</td>
                <td>{v.publishedBy}</td>
                <td className="muted">
                  {d.fit.length} fit, {d.engagement.length} engagement; bands{' '}
                  {[...d.bands.map((b) => `${b.name} ≥ ${b.min}`), d.otherwise].join(', ')}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
