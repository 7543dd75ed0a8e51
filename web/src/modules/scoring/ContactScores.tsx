import { useQuery } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { useCan } from '../../lib/session.js';
import { Button } from '../../ui/Button.js';
import { Spinner } from '../../ui/Spinner.js';
import { ExplanationList } from './ModelEditor.js';
import { contactScoresQuery } from './scoring-queries.js';
import './scoring.css';

/** On a contact's page: its score in each published model, with the lines that add up to it. */
export function ContactScores({ contactId }: { contactId: string }) {
  const can = useCan();
  const q = useQuery({ ...contactScoresQuery(contactId), enabled: can('scoring.read') });
  if (!can('scoring.read')) return null;
  return (
    <section className="card record-section scoring-contact" aria-labelledby="contact-scores-title">
      <div className="record-section-head">
        <h2 className="record-section-title" id="contact-scores-title">
          Scores
        </h2>
        {q.isFetching && <Spinner size={15} />}
      </div>
      {q.isError ? (
        <p className="field-error">
          The scores could not be loaded.{' '}
          <Button variant="ghost" size="sm" onClick={() => void q.refetch()}>
            Try again
          </Button>
        </p>
      ) : !q.data ? (
        <p className="muted">Loading scores…</p>
      ) : q.data.length === 0 ? (
        <p className="record-section-empty muted">
          Not scored: no scoring model is published yet, or it has not reached this contact. <Link to="/scoring">Lead scoring</Link>
        </p>
      ) : (
        q.data.map((s) => (
          <details key={s.model.id} className="scoring-contact-model" open={q.data.length === 1}>
            <summary>
              <span className="scoring-contact-name">{s.model.name}</span>
              <span className="scoring-contact-score" data-testid="contact-score">
                {s.score.toLocaleString(undefined, { maximumFractionDigits: 2 })}
              </span>
              <span className="scoring-band-pill">Band {s.band}</span>
            </summary>
            <ExplanationList lines={s.explanation} />
          </details>
        ))
      )}
    </section>
  );
}
