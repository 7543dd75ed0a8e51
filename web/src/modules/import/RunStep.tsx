import { Link } from '@tanstack/react-router';
import { useState } from 'react';
import { formatDateTime } from '../../lib/format.js';
import { useCan } from '../../lib/session.js';
import { Button } from '../../ui/Button.js';
import { Icon } from '../../ui/Icon.js';
import { Spinner } from '../../ui/Spinner.js';
import { Glyph } from './glyphs.js';
import { HrefLink } from './HrefLink.js';
import { ImportCounts } from './ImportCounts.js';
import { formatDuration, objectWords, plural, rowsPerSecond, type ImportView } from './import-queries.js';
import { UndoImportDialog } from './UndoImportDialog.js';

function eta(seconds: number | null): string | null {
  if (seconds === null) return null;
  if (seconds < 5) return 'a few seconds left';
  if (seconds < 60) return `about ${Math.round(seconds / 5) * 5} s left`;
  if (seconds < 3600) return `about ${Math.round(seconds / 60)} min left`;
  return `about ${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min left`;
}

/** Queued or running: a progress bar with the rows done, the speed and the time left. */
export function RunProgress({ imp }: { imp: ImportView }) {
  const words = objectWords[imp.object];
  const total = imp.dryRun?.rows ?? null;
  const rps = imp.progress.rowsPerSecond;
  // The dry run counted the rows, so progress and time left go by rows: the server's percent
  // follows the bytes read, which run ahead of the rows written by the reader's buffer.
  const byRows = total !== null && total > 0;
  const pct = Math.max(0, Math.min(100, byRows ? (imp.progress.rowsDone / total) * 100 : imp.progress.percent));
  const left = eta(byRows && rps ? Math.max(0, (total - imp.progress.rowsDone) / rps) : imp.progress.etaSeconds);
  const queued = imp.status === 'queued';
  return (
    <section className="card imp-section imp-run" aria-labelledby="imp-run-title">
      <header className="imp-section-head">
        <div>
          <h2 className="section-title" id="imp-run-title">
            {queued ? 'Starting the import…' : `Importing ${imp.fileName}`}
          </h2>
          <p className="section-description">It runs on the server: you can leave this page and come back, or close the tab.</p>
        </div>
      </header>
      <div
        className="imp-progress imp-progress-lg"
        role="progressbar"
        aria-label="Import progress"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(pct)}
        aria-valuetext={`${Math.round(pct)}%, ${plural(imp.progress.rowsDone, 'row')} done`}
      >
        <span className={`imp-progress-fill${queued ? ' imp-progress-pulse' : ''}`} style={{ width: `${queued ? 100 : pct}%` }} />
      </div>
      <div className="imp-run-stats" aria-live="polite">
        <span>
          <strong>{Math.round(pct)}%</strong>
        </span>
        <span>
          {imp.progress.rowsDone.toLocaleString()}
          {total !== null && ` of ${total.toLocaleString()}`} rows
        </span>
        {rps !== null && <span>{rps.toLocaleString()} rows/s</span>}
        {left && <span>{left}</span>}
      </div>
      <p className="imp-run-live muted">
        So far: {plural(imp.counts.created, words.one, words.many)} created, {imp.counts.updated.toLocaleString()} updated,{' '}
        {imp.counts.skipped.toLocaleString()} skipped, {plural(imp.counts.errors, 'error')}.
      </p>
    </section>
  );
}

/** Completed, failed, undoing or undone: what happened, the error file, and undo. */
export function RunResult({ imp }: { imp: ImportView }) {
  const can = useCan();
  const [undoing, setUndoing] = useState(false);
  const words = objectWords[imp.object];
  const rps = rowsPerSecond(imp);
  const canUndo = imp.status === 'completed' && can('contacts.import') && imp.counts.created + imp.counts.updated > 0;
  const failed = imp.status === 'failed';

  return (
    <div className="imp-result">
      {failed ? (
        <div className="alert alert-error" role="alert">
          <Icon name="alert" className="alert-icon" />
          <div>
            <p className="alert-title">The import failed</p>
            <p className="alert-detail">{imp.failure ?? 'It stopped before the end.'}</p>
          </div>
        </div>
      ) : imp.status === 'undoing' ? (
        <div className="card imp-wait" role="status" aria-live="polite">
          <Spinner size={22} />
          <div>
            <p className="imp-wait-title">Undoing the import…</p>
            <p className="muted">Created {words.many} go to the trash and updated ones get their earlier values back.</p>
          </div>
        </div>
      ) : imp.status === 'undone' ? (
        <div className="alert alert-warning imp-undone" role="status">
          <Glyph name="undo" className="alert-icon" />
          <div>
            <p className="alert-title">This import was undone {imp.undoneAt ? `on ${formatDateTime(imp.undoneAt)}` : ''}</p>
            <p className="alert-detail">
              {plural(imp.undoResult?.deleted ?? 0, words.one, words.many)} moved to the trash,{' '}
              {plural(imp.undoResult?.restored ?? 0, words.one, words.many)} given back their earlier values
              {(imp.undoResult?.kept ?? 0) > 0 &&
                `, ${plural(imp.undoResult?.kept ?? 0, words.one, words.many)} kept as they were because someone changed them after the import`}
              .
            </p>
          </div>
        </div>
      ) : (
        <div className="imp-done-head" role="status">
          <span className="imp-done-icon" aria-hidden="true">
            <Icon name="check" size={22} />
          </span>
          <div>
            <h2 className="imp-done-title">Import complete</h2>
            <p className="muted">
              {imp.fileName}: {plural(imp.progress.rowsDone, 'row')} in {formatDuration(imp.durationMs)}
              {rps !== null && ` (${rps.toLocaleString()} rows/s)`}.
            </p>
          </div>
        </div>
      )}

      <section className="card imp-section" aria-label="Result">
        <ImportCounts counts={imp.counts} tense="past" />
        <dl className="facts imp-facts">
          <div>
            <dt>Started</dt>
            <dd>{formatDateTime(imp.startedAt, true)}</dd>
          </div>
          <div>
            <dt>Duration</dt>
            <dd>{formatDuration(imp.durationMs)}</dd>
          </div>
          <div>
            <dt>Speed</dt>
            <dd>{rps !== null ? `${rps.toLocaleString()} rows/s` : '—'}</dd>
          </div>
          <div>
            <dt>By</dt>
            <dd>{imp.actor}</dd>
          </div>
        </dl>
        {imp.errorFileUrl && (
          <div className="imp-errorfile">
            <div>
              <p className="imp-errorfile-title">{plural(imp.counts.errors, 'row')} could not be imported</p>
              <p className="muted">
                The error file holds those rows as they were in your file, with an “Import error” column saying why. Fix them and import the
                file again.
              </p>
            </div>
            <a className="btn btn-secondary" href={imp.errorFileUrl} download>
              <Glyph name="download" size={17} />
              <span>Download error file ({plural(imp.counts.errors, 'row')})</span>
            </a>
          </div>
        )}
      </section>

      <div className="imp-actionbar">
        <div className="imp-actionbar-buttons imp-actionbar-start">
          {!failed && imp.status !== 'undone' && (
            <HrefLink href={words.listPath} className="btn btn-primary">
              See the {words.many}
            </HrefLink>
          )}
          <Link to="/imports/new" search={{ object: imp.object }} className="btn btn-secondary">
            Import another file
          </Link>
        </div>
        {canUndo && (
          <Button variant="danger-ghost" onClick={() => setUndoing(true)}>
            <Glyph name="undo" size={16} />
            Undo import
          </Button>
        )}
      </div>
      {undoing && <UndoImportDialog imp={imp} onClose={() => setUndoing(false)} />}
    </div>
  );
}
