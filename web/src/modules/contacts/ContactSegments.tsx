import { useQuery } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { api } from '../../lib/api.js';
import { formatDateTime, formatRelative } from '../../lib/format.js';
import { useCan } from '../../lib/session.js';
import { useCursorList } from '../../lib/use-cursor-list.js';
import { Badge } from '../../ui/Badge.js';
import { ErrorState } from '../../ui/EmptyState.js';
import { Icon } from '../../ui/Icon.js';
import { LoadMore } from '../../ui/LoadMore.js';
import { LoadingState, SkeletonRows } from '../../ui/Spinner.js';
import { segmentChoicesQuery } from '../segments/segments-queries.js';
import { addedByOf, contactHistoryPageSchema, contactMembershipSchema, type ContactMembership } from './contact-segments-queries.js';

const HISTORY_PAGE = 25;

/** "3 minutes ago", or "just now" in the middle of a sentence ("Entered just now"). */
function When({ at, inSentence = false }: { at: string; inSentence?: boolean }) {
  const text = formatRelative(at);
  return (
    <time dateTime={at} title={formatDateTime(at, true)}>
      {inSentence && text === 'Just now' ? 'just now' : text}
    </time>
  );
}

/** The segments and lists a contact is in now, and every time it entered or left a segment. */
export function ContactSegments({ contactId }: { contactId: string }) {
  const membership = useQuery({
    queryKey: ['segments', 'contact', contactId],
    queryFn: () => api.get(`/contacts/${contactId}/segments`, contactMembershipSchema),
    staleTime: 0,
  });
  return (
    <div className="contact-segments">
      {membership.isPending ? (
        <LoadingState label="Loading segments and lists…" />
      ) : membership.isError ? (
        <ErrorState error={membership.error} onRetry={() => void membership.refetch()} />
      ) : (
        <div className="contact-member-grid">
          <SegmentsNow segments={membership.data.segments} />
          <ListsNow lists={membership.data.lists} />
        </div>
      )}
      <History contactId={contactId} />
    </div>
  );
}

function SegmentsNow({ segments }: { segments: ContactMembership['segments'] }) {
  return (
    <section className="card record-section" aria-labelledby="contact-segments-now">
      <div className="record-section-head">
        <h2 className="record-section-title" id="contact-segments-now">
          Segments
        </h2>
        <span className="muted contact-member-count">{segments.length}</span>
      </div>
      {segments.length === 0 ? (
        <p className="muted record-section-empty">Not in any segment now.</p>
      ) : (
        <ul className="contact-member-list" aria-label="Segments this contact is in">
          {segments.map((s) => (
            <li key={s.id} data-segment-name={s.name}>
              <span className="contact-member-icon" aria-hidden="true">
                <Icon name="filter" size={15} />
              </span>
              <span className="contact-member-text">
                <Link to="/segments/$id" params={{ id: s.id }} className="contact-member-name">
                  {s.name}
                </Link>
                <span className="contact-member-sub">
                  Entered <When at={s.enteredAt} inSentence />
                </span>
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function ListsNow({ lists }: { lists: ContactMembership['lists'] }) {
  const can = useCan();
  // Names for "copied from segment X": only asked for when a list row came from a snapshot.
  const fromSegments = lists.some((l) => addedByOf(l.addedBy).kind === 'segment');
  const segments = useQuery({ ...segmentChoicesQuery, enabled: fromSegments });
  const segmentName = (id: string | undefined) => segments.data?.find((s) => s.id === id)?.name;
  const canRead = can('lists.read');
  return (
    <section className="card record-section" aria-labelledby="contact-lists-now">
      <div className="record-section-head">
        <h2 className="record-section-title" id="contact-lists-now">
          Lists
        </h2>
        <span className="muted contact-member-count">{lists.length}</span>
      </div>
      {lists.length === 0 ? (
        <p className="muted record-section-empty">
          Not on any list.{' '}
          {can('lists.write') && (
            <>
              Add it from a <Link to="/lists">list’s page</Link>.
            </>
          )}
        </p>
      ) : (
        <ul className="contact-member-list" aria-label="Lists this contact is on">
          {lists.map((l) => {
            const by = addedByOf(l.addedBy);
            const how =
              by.kind === 'file'
                ? 'from a file'
                : by.kind === 'segment'
                  ? `from ${segmentName(by.segmentId) ?? 'a segment'}`
                  : by.kind === 'api'
                    ? 'by email or id'
                    : null;
            return (
              <li key={l.id} data-list-name={l.name}>
                <span className="contact-member-icon" aria-hidden="true">
                  <Icon name="list" size={15} />
                </span>
                <span className="contact-member-text">
                  {canRead ? (
                    <Link to="/lists/$id" params={{ id: l.id }} className="contact-member-name">
                      {l.name}
                    </Link>
                  ) : (
                    <span className="contact-member-name">{l.name}</span>
                  )}
                  <span className="contact-member-sub">
                    Added <When at={l.addedAt} inSentence />
                    {how && ` ${how}`}
                  </span>
                </span>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

function History({ contactId }: { contactId: string }) {
  const history = useCursorList(['segments', 'contact-history', contactId], (cursor) =>
    api.get(`/contacts/${contactId}/segment-history`, contactHistoryPageSchema, { limit: HISTORY_PAGE, cursor }),
  );
  return (
    <section className="card record-section contact-history" aria-labelledby="contact-segment-history">
      <div className="record-section-head">
        <h2 className="record-section-title" id="contact-segment-history">
          Segment history
        </h2>
        <span className="muted contact-member-count">Entries and exits, newest first</span>
      </div>
      {history.isError ? (
        <ErrorState error={history.error} onRetry={() => void history.refetch()} />
      ) : !history.isPending && history.items.length === 0 ? (
        <p className="muted record-section-empty">This contact has not entered or left a segment yet.</p>
      ) : (
        <>
          <div className="table-scroll contact-history-scroll">
            <table className="table" aria-label="Segment history" aria-busy={history.isPending || undefined}>
              <thead>
                <tr>
                  <th scope="col">Segment</th>
                  <th scope="col">Change</th>
                  <th scope="col" className="hide-sm">
                    Reason
                  </th>
                  <th scope="col">When</th>
                </tr>
              </thead>
              <tbody>
                {history.isPending ? (
                  <SkeletonRows cols={4} rows={3} />
                ) : (
                  history.items.map((h) => (
                    <tr key={h.id} data-change={h.change} data-segment-name={h.segmentName}>
                      <td className="cell-name">
                        <Link to="/segments/$id" params={{ id: h.segmentId }}>
                          {h.segmentName}
                        </Link>
                      </td>
                      <td>
                        <Badge tone={h.change === 'entered' ? 'success' : 'neutral'} dot>
                          {h.change === 'entered' ? 'Entered' : 'Exited'}
                        </Badge>
                      </td>
                      <td className="hide-sm">{h.reason ? h.reason : <span className="muted">—</span>}</td>
                      <td className="nowrap">
                        <When at={h.at} />
                      </td>
                    </tr>
                  ))
                )}
              </tbody>
            </table>
          </div>
          <LoadMore
            count={history.items.length}
            noun="change"
            hasMore={history.hasMore}
            loading={history.isLoadingMore}
            onLoadMore={history.loadMore}
          />
        </>
      )}
    </section>
  );
}
