import { CopyButton } from '../../ui/CopyButton.js';
import { ProblemAlert } from '../../ui/ProblemAlert.js';
import { LoadingState } from '../../ui/Spinner.js';
import type { Explain } from './segments-queries.js';

/** For analysts: the SQL a definition compiles to and PostgreSQL's plan for it. */
export function ExplainPanel({
  explain,
  error,
  busy,
  onClose,
}: {
  explain: Explain | undefined;
  error: unknown;
  busy: boolean;
  onClose: () => void;
}) {
  return (
    <section className="card seg-explain" aria-label="Explain">
      <header className="seg-explain-head">
        <h2 className="seg-card-title">How Keel finds these contacts</h2>
        <button type="button" className="btn btn-ghost btn-sm" onClick={onClose}>
          Close
        </button>
      </header>
      {busy && <LoadingState label="Asking the database for its plan…" />}
      {!busy && error ? <ProblemAlert error={error} /> : null}
      {!busy && explain && (
        <>
          <div className="seg-explain-block">
            <div className="seg-explain-label">
              <h3>SQL</h3>
              <CopyButton text={explain.sql} label="Copy SQL" />
            </div>
            <pre className="seg-mono" tabIndex={0} aria-label="SQL">
              <code>{explain.sql}</code>
            </pre>
          </div>
          {explain.parameters && explain.parameters.length > 0 && (
            <div className="seg-explain-block">
              <div className="seg-explain-label">
                <h3>Parameters</h3>
              </div>
              <ol className="seg-params" aria-label="Parameters">
                {explain.parameters.map((p, i) => (
                  <li key={i}>
                    <code className="seg-param-n">${i + 1}</code> <code>{JSON.stringify(p)}</code>
                  </li>
                ))}
              </ol>
            </div>
          )}
          <div className="seg-explain-block">
            <div className="seg-explain-label">
              <h3>Query plan</h3>
            </div>
            <pre className="seg-mono seg-mono-plan" tabIndex={0} aria-label="Query plan">
              <code>{explain.plan.join('\n')}</code>
            </pre>
          </div>
        </>
      )}
    </section>
  );
}
