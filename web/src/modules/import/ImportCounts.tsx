import { plural } from './import-queries.js';

export interface Counts {
  created: number;
  updated: number;
  skipped: number;
  errors: number;
}

const parts: ReadonlyArray<{ key: keyof Counts; label: string; future: string; tone: string }> = [
  { key: 'created', label: 'Created', future: 'Will be created', tone: 'create' },
  { key: 'updated', label: 'Updated', future: 'Will be updated', tone: 'update' },
  { key: 'skipped', label: 'Skipped', future: 'Will be skipped', tone: 'skip' },
  { key: 'errors', label: 'Errors', future: 'Errors', tone: 'error' },
];

/**
 * The four outcomes as big numbers over one bar that splits the rows between them: the dry run
 * says what will happen, the finished import what did.
 */
export function ImportCounts({ counts, rows, tense }: { counts: Counts; rows?: number; tense: 'future' | 'past' }) {
  const total = parts.reduce((n, p) => n + counts[p.key], 0);
  return (
    <div className="imp-counts">
      <dl className="imp-tiles">
        {rows !== undefined && (
          <div className="imp-tile imp-tile-rows">
            <dt>Rows in the file</dt>
            <dd>{rows.toLocaleString()}</dd>
          </div>
        )}
        {parts.map((p) => (
          <div key={p.key} className={`imp-tile imp-tile-${p.tone}${counts[p.key] === 0 ? ' imp-tile-zero' : ''}`} data-count={p.key}>
            <dt>
              <span className="imp-swatch" aria-hidden="true" />
              {tense === 'future' ? p.future : p.label}
            </dt>
            <dd>{counts[p.key].toLocaleString()}</dd>
          </div>
        ))}
      </dl>
      {total > 0 && (
        <div
          className="imp-bar"
          role="img"
          aria-label={parts
            .filter((p) => counts[p.key] > 0)
            .map((p) => `${plural(counts[p.key], 'row')} ${p.label.toLowerCase()}`)
            .join(', ')}
        >
          {parts.map((p) =>
            counts[p.key] > 0 ? (
              <span
                key={p.key}
                className={`imp-bar-part imp-bar-${p.tone}`}
                style={{ flexGrow: counts[p.key] }}
                title={`${p.label}: ${counts[p.key].toLocaleString()} (${Math.round((counts[p.key] / total) * 100)}%)`}
              />
            ) : null,
          )}
        </div>
      )}
      {total > 0 && (
        <p className="imp-bar-legend muted">
          {parts
            .filter((p) => counts[p.key] > 0)
            .map((p) => `${Math.round((counts[p.key] / total) * 100)}% ${p.label.toLowerCase()}`)
            .join(' · ')}
        </p>
      )}
    </div>
  );
}
