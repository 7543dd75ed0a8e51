import { useQuery } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { useCan } from '../../lib/session.js';
import { Icon } from '../../ui/Icon.js';
import { Probability } from './DuplicatesQueue.js';
import { MatchReasons } from './MatchReasons.js';
import { recordDuplicatesQuery, type MatchObject } from './quality-queries.js';

/**
 * On a record's page: the records it may be a duplicate of (open pairs), each with why and a way to
 * the merge screen. Nothing shows while there are none.
 */
export function RecordDuplicates({ object, id }: { object: MatchObject; id: string }) {
  const can = useCan();
  const q = useQuery({ ...recordDuplicatesQuery(object, id), enabled: can('dedupe.read') });
  const open = (q.data ?? []).filter((p) => p.status === 'open');
  if (open.length === 0) return null;
  return (
    <section className="card record-section dq-record-dups" aria-labelledby="dq-record-dups-title">
      <div className="record-section-head">
        <h2 className="record-section-title" id="dq-record-dups-title">
          Possible duplicates
        </h2>
      </div>
      <ul className="dq-record-dup-list">
        {open.map((p) => {
          const other = p.records.find((r) => r.id !== id);
          if (!other) return null;
          return (
            <li key={p.ids.join()} className="dq-record-dup">
              <div className="dq-record-dup-main">
                <Link to={object === 'contact' ? '/contacts/$id' : '/accounts/$id'} params={{ id: other.id }} className="dq-pair-name">
                  {other.label}
                </Link>
                {other.email && <span className="cell-secondary">{other.email}</span>}
                <MatchReasons reasons={p.reasons} />
              </div>
              <Probability p={p.probability} />
              {can('dedupe.review') && (
                <Link to="/data-quality/merge" search={{ object, ids: [id, other.id].join(',') }} className="btn btn-secondary btn-sm">
                  <Icon name="merge" size={15} />
                  <span>Review &amp; merge</span>
                </Link>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
