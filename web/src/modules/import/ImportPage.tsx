import { useQuery, useQueryClient } from '@tanstack/react-query';
import { getRouteApi, Link } from '@tanstack/react-router';
import { useState } from 'react';
import { ApiError } from '../../lib/api.js';
import { formatRelative } from '../../lib/format.js';
import { useCan } from '../../lib/session.js';
import { Badge } from '../../ui/Badge.js';
import { EmptyState, ErrorState } from '../../ui/EmptyState.js';
import { PageHeader } from '../../ui/PageHeader.js';
import { Forbidden } from '../../ui/RouteStates.js';
import { LoadingState } from '../../ui/Spinner.js';
import { CheckStep } from './CheckStep.js';
import { Glyph } from './glyphs.js';
import { formatBytes, importFieldsQuery, importQuery, objectWords, statusLabels, statusTones, type ImportView } from './import-queries.js';
import { ImportSteps, type StepKey } from './ImportSteps.js';
import { MappingStep } from './MappingStep.js';
import { RunProgress, RunResult } from './RunStep.js';
import './import.css';

const route = getRouteApi('/_app/imports/$id');

function stepOf(imp: ImportView, editing: boolean): StepKey {
  switch (imp.status) {
    case 'uploaded':
      return 'map';
    case 'dry_running':
    case 'ready':
      return editing ? 'map' : 'check';
    default:
      return 'run';
  }
}

const delimiterNames: Record<string, string> = { ',': 'comma', ';': 'semicolon', '\t': 'tab', '|': 'pipe' };

/** One import, at whatever step it is: mapping, dry run, progress or result. The server's status decides. */
export function ImportPage() {
  const { id } = route.useParams();
  const qc = useQueryClient();
  const imp = useQuery(importQuery(id));
  const object = imp.data?.object ?? 'contact';
  const targets = useQuery({ ...importFieldsQuery(object), enabled: imp.data !== undefined });
  const [editing, setEditing] = useState(false);
  const can = useCan();

  const accept = (next: ImportView) => {
    qc.setQueryData(importQuery(id).queryKey, next);
    void qc.invalidateQueries({ queryKey: ['imports', 'list'] });
    setEditing(false);
  };

  if (!can('contacts.import')) return <Forbidden what="Imports" />;
  if (imp.isPending) return <LoadingState label="Loading the import…" />;
  if (imp.isError) {
    return (
      <div className="page page-narrow">
        {imp.error instanceof ApiError && imp.error.status === 404 ? (
          <EmptyState
            icon="search"
            title="Import not found"
            action={
              <Link to="/imports" className="btn btn-secondary">
                All imports
              </Link>
            }
          >
            It may belong to another workspace, or the link may be mistyped.
          </EmptyState>
        ) : (
          <ErrorState error={imp.error} onRetry={() => void imp.refetch()} />
        )}
      </div>
    );
  }

  const data = imp.data;
  const words = objectWords[data.object];
  const step = stepOf(data, editing);
  const finished = ['completed', 'undoing', 'undone'].includes(data.status);

  return (
    <div className="page imp-page">
      <Link to="/imports" className="imp-back">
        <Glyph name="arrowLeft" size={15} />
        All imports
      </Link>
      <PageHeader
        title={`Import ${words.many}`}
        description={
          <>
            <span className="imp-file-line">
              <Glyph name="file" size={15} />
              <strong>{data.fileName}</strong>
              <span>
                {formatBytes(data.fileSize)} · {data.encoding.toUpperCase()}, {delimiterNames[data.delimiter] ?? `“${data.delimiter}”`}{' '}
                separated
              </span>
            </span>
            <span className="imp-file-by">
              Uploaded by {data.actor} {formatRelative(data.createdAt).toLowerCase()}
            </span>
          </>
        }
        actions={
          <Badge tone={statusTones[data.status]} dot>
            {statusLabels[data.status]}
          </Badge>
        }
      />
      <ImportSteps current={step} finished={finished} />

      {targets.isError ? (
        <ErrorState error={targets.error} onRetry={() => void targets.refetch()} />
      ) : step === 'map' ? (
        targets.data ? (
          <MappingStep
            key={`${data.id}-${data.status}-${data.failure ?? ''}`}
            imp={data}
            targets={targets.data}
            onChecked={accept}
            onBack={data.status === 'ready' ? () => setEditing(false) : undefined}
          />
        ) : (
          <LoadingState label="Loading the fields…" />
        )
      ) : step === 'check' ? (
        <CheckStep imp={data} targets={targets.data ?? []} onStarted={accept} onEditMapping={() => setEditing(true)} />
      ) : data.status === 'queued' || data.status === 'running' ? (
        <RunProgress imp={data} />
      ) : (
        <RunResult imp={data} />
      )}
    </div>
  );
}
