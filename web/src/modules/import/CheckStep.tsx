import { useMutation } from '@tanstack/react-query';
import { importSchema } from '../../../../src/modules/imports/imports.schema.js';
import { api } from '../../lib/api.js';
import { shortId } from '../../lib/format.js';
import { Badge } from '../../ui/Badge.js';
import { Button } from '../../ui/Button.js';
import { ProblemAlert } from '../../ui/ProblemAlert.js';
import { Spinner } from '../../ui/Spinner.js';
import { Glyph } from './glyphs.js';
import { ImportCounts } from './ImportCounts.js';
import { objectWords, plural, previewKey, targetLabel, type ImportTarget, type ImportView } from './import-queries.js';

type PreviewRow = NonNullable<ImportView['dryRun']>['preview'][number];

const actionBadges: Record<PreviewRow['action'], { label: string; tone: 'success' | 'accent' | 'neutral' | 'danger' }> = {
  create: { label: 'Create', tone: 'success' },
  update: { label: 'Update', tone: 'accent' },
  skip: { label: 'Skip', tone: 'neutral' },
  error: { label: 'Error', tone: 'danger' },
};

function show(key: string, v: unknown): string {
  if (v === null || v === undefined || v === '') return '';
  if (key === 'ownerEmail' && typeof v === 'string') return `user ${shortId(v)}`;
  if (Array.isArray(v)) return v.join(', ');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** The dry run: what the import will do, row by row for the first rows, before anything is written. */
export function CheckStep({
  imp,
  targets,
  onStarted,
  onEditMapping,
}: {
  imp: ImportView;
  targets: readonly ImportTarget[];
  onStarted: (next: ImportView) => void;
  onEditMapping: () => void;
}) {
  const words = objectWords[imp.object];
  const start = useMutation({ mutationFn: () => api.post(`/imports/${imp.id}/start`, importSchema), onSuccess: onStarted });
  const dry = imp.dryRun;

  if (imp.status === 'dry_running' || !dry) {
    return (
      <div className="card imp-wait" role="status" aria-live="polite">
        <Spinner size={22} />
        <div>
          <p className="imp-wait-title">Checking every row of {imp.fileName}…</p>
          <p className="muted">Each value is read as it will be stored and matched against your {words.many}. Nothing is written yet.</p>
        </div>
      </div>
    );
  }

  // Preview columns: the mapped fields, in the file's column order.
  const columns = imp.mapping.filter((k): k is string => k !== null);
  const writes = dry.created + dry.updated;
  const shownErrors = new Set(dry.preview.filter((p) => p.action === 'error').map((p) => p.row));
  const moreErrors = dry.errorSamples.filter((e) => !shownErrors.has(e.row));

  return (
    <div className="imp-check">
      <section className="card imp-section" aria-labelledby="imp-dry-title">
        <header className="imp-section-head">
          <div>
            <h2 className="section-title" id="imp-dry-title">
              Dry run: what the import will do
            </h2>
            <p className="section-description">Every row of {imp.fileName} was checked. Nothing has been written yet.</p>
          </div>
        </header>
        <ImportCounts counts={dry} rows={dry.rows} tense="future" />
      </section>

      <section className="card imp-section imp-preview" aria-labelledby="imp-preview-title">
        <header className="imp-section-head">
          <div>
            <h2 className="section-title" id="imp-preview-title">
              The first {plural(dry.preview.length, 'row')}, as they will be stored
            </h2>
            <p className="section-description">
              Values after cleaning: emails in lower case, options and dates in their stored form.
              {columns.length > 6 && ' Scroll sideways for every column.'}
            </p>
          </div>
        </header>
        <div className="table-scroll">
          <table className="table imp-preview-table" aria-label="Dry run preview">
            <thead>
              <tr>
                <th scope="col" className="imp-col-line">
                  Line
                </th>
                <th scope="col">Result</th>
                {columns.map((k) => (
                  <th scope="col" key={k}>
                    {targetLabel(targets, k)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {dry.preview.map((p) => {
                const values = Object.fromEntries(Object.entries(p.values).map(([k, v]) => [previewKey(imp.object, k), v]));
                const badge = actionBadges[p.action];
                return (
                  <tr key={p.row} className={`imp-row-${p.action}`} data-line={p.row} data-action={p.action}>
                    <td className="imp-col-line">{p.row}</td>
                    <td>
                      <Badge tone={badge.tone} dot>
                        {badge.label}
                      </Badge>
                    </td>
                    {p.action === 'error' || (p.action === 'skip' && Object.keys(values).length === 0) ? (
                      <td colSpan={Math.max(columns.length, 1)} className="imp-reason">
                        {p.reason}
                      </td>
                    ) : (
                      columns.map((k) => (
                        <td key={k} className="imp-cell">
                          <span className="cell-truncate" title={show(k, values[k])}>
                            {show(k, values[k]) || <span className="muted">—</span>}
                          </span>
                        </td>
                      ))
                    )}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
        {moreErrors.length > 0 && (
          <details className="imp-more-errors">
            <summary>
              {plural(moreErrors.length, 'more error')} further down the file
              {dry.errors > dry.errorSamples.length
                ? ` (the first ${dry.errorSamples.length} of ${dry.errors.toLocaleString()} shown)`
                : ''}
            </summary>
            <ul>
              {moreErrors.map((e) => (
                <li key={e.row}>
                  <span className="imp-col-line">Line {e.row}</span> {e.reason}
                </li>
              ))}
            </ul>
          </details>
        )}
      </section>

      <div className="imp-actionbar">
        <div className="imp-actionbar-text">
          {writes > 0 ? (
            <p>
              <strong>
                {[
                  dry.created > 0 && `${plural(dry.created, words.one, words.many)} will be created`,
                  dry.updated > 0 && `${plural(dry.updated, words.one, words.many)} updated`,
                ]
                  .filter(Boolean)
                  .join(', ')}
              </strong>
              {dry.errors > 0 &&
                `. ${plural(dry.errors, 'row')} with errors will be left out: afterwards you can download them with the reasons`}
              .
            </p>
          ) : (
            <p className="imp-map-warning">No row would change anything. Check the mapping and the mode.</p>
          )}
        </div>
        <div className="imp-actionbar-buttons">
          <Button variant="ghost" onClick={onEditMapping} disabled={start.isPending}>
            <Glyph name="arrowLeft" size={16} />
            Change the mapping
          </Button>
          <Button variant="primary" onClick={() => start.mutate()} busy={start.isPending} disabled={writes === 0}>
            Import {plural(writes, words.one, words.many)}
          </Button>
        </div>
      </div>
      <ProblemAlert error={start.error} className="imp-actionbar-problem" />
    </div>
  );
}
