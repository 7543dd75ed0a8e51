import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate } from '@tanstack/react-router';
import { useState, type FormEvent } from 'react';
import { api } from '../../lib/api.js';
import { formatDateTime, formatRelative } from '../../lib/format.js';
import { useCan } from '../../lib/session.js';
import { Badge } from '../../ui/Badge.js';
import { Button } from '../../ui/Button.js';
import { Dialog } from '../../ui/Dialog.js';
import { EmptyState, ErrorState } from '../../ui/EmptyState.js';
import { TextField } from '../../ui/Field.js';
import { PageHeader } from '../../ui/PageHeader.js';
import { ProblemAlert } from '../../ui/ProblemAlert.js';
import { Forbidden } from '../../ui/RouteStates.js';
import { SkeletonRows } from '../../ui/Spinner.js';
import { scoringModelSchema, scoringModelsQuery, type ScoringModel } from './scoring-queries.js';
import './scoring.css';

/** Every scoring model with its published version, how many contacts it scores and broken rules. */
export function ScoringModelsPage() {
  const can = useCan();
  const list = useQuery(scoringModelsQuery);
  const [creating, setCreating] = useState(false);
  if (!can('scoring.read')) return <Forbidden what="Lead scoring" />;
  const canWrite = can('scoring.write');
  const newButton = canWrite && (
    <Button variant="primary" onClick={() => setCreating(true)} icon="plus">
      New model
    </Button>
  );
  const models = list.data?.data ?? [];

  return (
    <div className="page">
      <PageHeader
        title="Lead scoring"
        description="Models that score every contact on fit (who they are) and engagement (what they did), with an explanation of every point. Edit a draft, see what it would change, then publish."
        actions={newButton}
      />
      {list.isError ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : !list.isPending && models.length === 0 ? (
        <EmptyState icon="target" title="No scoring models yet" action={newButton}>
          A model gives points for fit rules (“VP title”, “enterprise account”) and engagement (“requested a demo”, “visited pricing”), with
          caps and decay, and sorts contacts into bands such as A–D.
        </EmptyState>
      ) : (
        <div className="card table-card">
          <div className="table-scroll">
            <table className="table" aria-label="Scoring models" aria-busy={list.isPending || undefined}>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Published</th>
                  <th scope="col" className="cell-number">
                    Scored contacts
                  </th>
                  <th scope="col" className="hide-sm">
                    Draft
                  </th>
                  <th scope="col" className="hide-sm">
                    Updated
                  </th>
                </tr>
              </thead>
              <tbody>{list.isPending ? <SkeletonRows cols={5} rows={3} /> : models.map((m) => <ModelRow key={m.id} model={m} />)}</tbody>
            </table>
          </div>
        </div>
      )}
      {creating && <NewModelDialog onClose={() => setCreating(false)} />}
    </div>
  );
}

function ModelRow({ model: m }: { model: ScoringModel }) {
  const broken = m.draftProblems.length + m.problems.length;
  return (
    <tr data-model-name={m.name}>
      <td className="cell-name">
        <Link to="/scoring/$id" params={{ id: m.id }} className="scoring-model-link">
          {m.name}
        </Link>
        {m.description && <div className="cell-secondary cell-truncate">{m.description}</div>}
      </td>
      <td>{m.publishedVersion === null ? <Badge>Not published</Badge> : <Badge tone="success">Version {m.publishedVersion}</Badge>}</td>
      <td className="cell-number value-number">{m.scoredContacts.toLocaleString()}</td>
      <td className="hide-sm">
        {broken ? (
          <Badge tone="danger">
            {broken} broken rule{broken === 1 ? '' : 's'}
          </Badge>
        ) : (
          <span className="muted">OK</span>
        )}
      </td>
      <td className="nowrap hide-sm">
        <time dateTime={m.updatedAt} title={formatDateTime(m.updatedAt)}>
          {formatRelative(m.updatedAt)}
        </time>
      </td>
    </tr>
  );
}

function NewModelDialog({ onClose }: { onClose: () => void }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const create = useMutation({
    mutationFn: () => api.post('/scoring/models', scoringModelSchema, { name }),
    onSuccess: async (m) => {
      await qc.invalidateQueries({ queryKey: ['scoring', 'models'] });
      await navigate({ to: '/scoring/$id', params: { id: m.id } });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (name.trim()) create.mutate();
  };
  return (
    <Dialog
      title="New scoring model"
      onClose={onClose}
      footer={
        <>
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button variant="primary" type="submit" form="new-scoring-model" disabled={!name.trim() || create.isPending}>
            Create
          </Button>
        </>
      }
    >
      <form id="new-scoring-model" onSubmit={submit} className="form-stack">
        {create.isError && <ProblemAlert error={create.error} />}
        <TextField label="Name" value={name} onChange={setName} autoFocus placeholder="Lead score" />
      </form>
    </Dialog>
  );
}
