import { Link } from '@tanstack/react-router';
import { useEffect, useState } from 'react';
import { importsPageSchema } from '../../../../src/modules/imports/imports.schema.js';
import { api } from '../../lib/api.js';
import { formatDateTime, formatRelative } from '../../lib/format.js';
import { useCan } from '../../lib/session.js';
import { useCursorList } from '../../lib/use-cursor-list.js';
import { Badge } from '../../ui/Badge.js';
import { Button } from '../../ui/Button.js';
import { ErrorState } from '../../ui/EmptyState.js';
import { LoadMore } from '../../ui/LoadMore.js';
import { PageHeader } from '../../ui/PageHeader.js';
import { Forbidden } from '../../ui/RouteStates.js';
import { SkeletonRows } from '../../ui/Spinner.js';
import { ExportDialog } from './ExportDialog.js';
import { Glyph } from './glyphs.js';
import {
  busyStatuses,
  formatBytes,
  formatDuration,
  objectWords,
  plural,
  statusLabels,
  statusTones,
  type ImportView,
} from './import-queries.js';
import { UndoImportDialog } from './UndoImportDialog.js';
import './import.css';

const PAGE_SIZE = 25;

function Outcome({ imp }: { imp: ImportView }) {
  const c = imp.counts;
  if (['completed', 'undoing', 'undone', 'failed', 'running'].includes(imp.status)) {
    const parts = [
      c.created > 0 && `${c.created.toLocaleString()} created`,
      c.updated > 0 && `${c.updated.toLocaleString()} updated`,
      c.skipped > 0 && `${c.skipped.toLocaleString()} skipped`,
    ].filter(Boolean);
    return (
      <span className="imp-outcome">
        <span>{parts.length ? parts.join(' · ') : 'Nothing changed'}</span>
        {c.errors > 0 && <span className="imp-outcome-errors">{plural(c.errors, 'error')}</span>}
      </span>
    );
  }
  if (imp.status === 'ready' && imp.dryRun) {
    const d = imp.dryRun;
    const parts = [
      d.created > 0 && `${d.created.toLocaleString()} to create`,
      d.updated > 0 && `${d.updated.toLocaleString()} to update`,
      d.errors > 0 && plural(d.errors, 'error'),
    ].filter(Boolean);
    return <span className="muted">Dry run: {parts.length ? parts.join(', ') : 'nothing to change'}</span>;
  }
  return <span className="muted">—</span>;
}

/** Every import, newest first: how each went, and the way back to its error file or its undo. */
export function ImportsPage() {
  const can = useCan();
  const canImport = can('contacts.import') || can('accounts.import');
  const canExport = can('contacts.export') || can('accounts.export');
  const [exporting, setExporting] = useState(false);
  const [undo, setUndo] = useState<ImportView | null>(null);
  const list = useCursorList(['imports', 'list'], (cursor) => api.get('/imports', importsPageSchema, { limit: PAGE_SIZE, cursor }), {
    staleTime: 0,
  });
  const busy = list.items.some((i) => busyStatuses.has(i.status));
  const { refetch } = list;

  // While one of them is running, keep the list current (its progress and counts move).
  useEffect(() => {
    if (!busy) return;
    const t = setInterval(() => void refetch(), 1500);
    return () => clearInterval(t);
  }, [busy, refetch]);

  // The navigation hides Imports from other roles; this is for someone who follows a link.
  if (!canImport) return <Forbidden what="Imports" />;

  const importButton = canImport && (
    <Link to="/imports/new" search={{ object: can('contacts.import') ? 'contact' : 'account' }} className="btn btn-primary">
      <Glyph name="upload" size={17} />
      <span>Import CSV</span>
    </Link>
  );

  return (
    <div className="page imp-page">
      <PageHeader
        title="Imports"
        description="Files brought into Keel, how each went, their error files, and undo. Export contacts or accounts from here too."
        actions={
          <>
            {canExport && (
              <Button onClick={() => setExporting(true)}>
                <Glyph name="download" size={17} />
                Export
              </Button>
            )}
            {importButton}
          </>
        }
      />

      {list.isError ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : !list.isPending && list.items.length === 0 ? (
        <div className="state state-empty imp-empty">
          <span className="state-icon">
            <Glyph name="upload" size={22} />
          </span>
          <h3 className="state-title">No imports yet</h3>
          <p className="state-text">
            Bring your contacts in from a CSV file: an export from HubSpot, Salesforce, Marketo, Mautic, Pipedrive or a spreadsheet. You map
            the columns, see a dry run, and can undo the import afterwards.
          </p>
          {importButton && <div className="state-action">{importButton}</div>}
        </div>
      ) : (
        <div className="card table-card">
          <div className="table-scroll">
            <table className="table" aria-label="Imports" aria-busy={list.isPending || undefined}>
              <thead>
                <tr>
                  <th scope="col">File</th>
                  <th scope="col">Status</th>
                  <th scope="col" className="hide-sm">
                    Result
                  </th>
                  <th scope="col" className="hide-sm">
                    By
                  </th>
                  <th scope="col" className="hide-sm">
                    Duration
                  </th>
                  <th scope="col" className="col-actions">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.isPending ? (
                  <SkeletonRows cols={6} rows={3} />
                ) : (
                  list.items.map((imp) => (
                    <tr key={imp.id} data-import-file={imp.fileName}>
                      <td className="cell-name">
                        <Link to="/imports/$id" params={{ id: imp.id }} className="imp-list-file">
                          {imp.fileName}
                        </Link>
                        <div className="cell-secondary">
                          {objectWords[imp.object].Many} · {formatBytes(imp.fileSize)}
                          {imp.dryRun && ` · ${plural(imp.dryRun.rows, 'row')}`}
                        </div>
                        <div className="cell-secondary show-sm">
                          <Outcome imp={imp} />
                        </div>
                      </td>
                      <td>
                        <Badge tone={statusTones[imp.status]} dot>
                          {statusLabels[imp.status]}
                          {imp.status === 'running' && ` ${Math.round(imp.progress.percent)}%`}
                        </Badge>
                      </td>
                      <td className="hide-sm">
                        <Outcome imp={imp} />
                      </td>
                      <td className="hide-sm">
                        <div>{imp.actor}</div>
                        <div className="cell-secondary" title={formatDateTime(imp.createdAt)}>
                          {formatRelative(imp.createdAt)}
                        </div>
                      </td>
                      <td className="hide-sm nowrap">{formatDuration(imp.durationMs)}</td>
                      <td className="col-actions">
                        <div className="row-actions">
                          {imp.errorFileUrl && (
                            <a
                              className="btn btn-ghost btn-sm"
                              href={imp.errorFileUrl}
                              download
                              aria-label={`Download the error file of ${imp.fileName} (${plural(imp.counts.errors, 'row')})`}
                            >
                              <Glyph name="download" size={15} />
                              <span>Error file</span>
                            </a>
                          )}
                          {imp.status === 'completed' && can('contacts.import') && imp.counts.created + imp.counts.updated > 0 && (
                            <Button
                              size="sm"
                              variant="danger-ghost"
                              onClick={() => setUndo(imp)}
                              aria-label={`Undo the import of ${imp.fileName}`}
                            >
                              Undo
                            </Button>
                          )}
                          {['uploaded', 'ready'].includes(imp.status) && (
                            <Link to="/imports/$id" params={{ id: imp.id }} className="btn btn-ghost btn-sm">
                              Continue
                            </Link>
                          )}
                        </div>
                      </td>
                    </tr>
                  ))
                )}
              </tbody>
            </table>
          </div>
          <LoadMore
            count={list.items.length}
            noun="import"
            hasMore={list.hasMore}
            loading={list.isLoadingMore}
            onLoadMore={list.loadMore}
          />
        </div>
      )}

      {exporting && <ExportDialog onClose={() => setExporting(false)} />}
      {undo && <UndoImportDialog imp={undo} onClose={() => setUndo(null)} />}
    </div>
  );
}
