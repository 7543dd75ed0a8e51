import { Button } from '../../ui/Button.js';
import { Icon } from '../../ui/Icon.js';
import { Glyph } from '../import/glyphs.js';
import { downloadText, errorsCsv, fileSlug } from './errors-csv.js';
import type { MembersChange, MembersOp } from './lists-queries.js';

function plural(n: number, noun: string): string {
  return `${n.toLocaleString()} ${n === 1 ? noun : `${noun}s`}`;
}

/** Shown after an add or remove: what happened, in counts, and every value that named no contact. */
export function MembersChangeResult({
  result,
  op,
  source,
  listName,
  onDismiss,
}: {
  result: MembersChange;
  op: MembersOp;
  /** Where the contacts came from: "people.csv", "the pasted emails", "Trial users". */
  source: string;
  listName: string;
  onDismiss: () => void;
}) {
  const tiles =
    op === 'add'
      ? [
          { key: 'added', label: 'Added', value: result.added, tone: 'good' },
          { key: 'alreadyMembers', label: 'Already on the list', value: result.alreadyMembers, tone: 'plain' },
          { key: 'errors', label: 'Not added', value: result.errors.length, tone: 'bad' },
        ]
      : [
          { key: 'removed', label: 'Removed', value: result.removed, tone: 'good' },
          { key: 'notMembers', label: 'Not on the list', value: result.notMembers, tone: 'plain' },
          { key: 'errors', label: 'Not found', value: result.errors.length, tone: 'bad' },
        ];
  const withRows = result.errors.some((e) => e.row !== undefined);

  return (
    <section className="lst-result" aria-label="Result" data-testid="members-result">
      <header className="lst-result-head">
        <p className="lst-result-title">
          <Icon name={result.errors.length ? 'alert' : 'check'} size={17} className={result.errors.length ? 'lst-warn' : 'lst-ok'} />
          <span>
            {op === 'add' ? 'Added' : 'Removed'} {plural(op === 'add' ? result.added : result.removed, 'contact')} from {source}. The list
            has {plural(result.memberCount, 'member')} now.
          </span>
        </p>
        <Button size="sm" variant="ghost" icon="x" onClick={onDismiss} aria-label="Dismiss the result" />
      </header>
      <dl className="lst-tiles">
        {tiles.map((t) => (
          <div key={t.key} className={`lst-tile lst-tile-${t.tone}${t.value === 0 ? ' lst-tile-zero' : ''}`} data-count={t.key}>
            <dt>{t.label}</dt>
            <dd>{t.value.toLocaleString()}</dd>
          </div>
        ))}
      </dl>
      {result.errors.length > 0 && (
        <div className="lst-errors">
          <div className="lst-errors-head">
            <h3 className="lst-errors-title">
              {result.errors.length.toLocaleString()} {result.errors.length === 1 ? 'value was' : 'values were'} not{' '}
              {op === 'add' ? 'added' : 'removed'}
            </h3>
            <button
              type="button"
              className="btn btn-secondary btn-sm"
              onClick={() =>
                downloadText(errorsCsv(result.errors), `${fileSlug(listName)}-${op === 'add' ? 'not-added' : 'not-removed'}.csv`)
              }
            >
              <Glyph name="download" size={15} />
              <span>Download as CSV</span>
            </button>
          </div>
          <div className="table-scroll lst-errors-scroll">
            <table className="table lst-errors-table" aria-label="Rows not applied">
              <thead>
                <tr>
                  {withRows && (
                    <th scope="col" className="cell-number">
                      Row
                    </th>
                  )}
                  <th scope="col">Value</th>
                  <th scope="col">Reason</th>
                </tr>
              </thead>
              <tbody>
                {result.errors.map((e, i) => (
                  <tr key={`${e.row ?? ''}-${i}`} data-row={e.row}>
                    {withRows && <td className="cell-number value-number">{e.row ?? '—'}</td>}
                    <td className="lst-error-value">{e.value ? <code>{e.value}</code> : <span className="muted">(empty)</span>}</td>
                    <td>{e.reason}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
    </section>
  );
}
