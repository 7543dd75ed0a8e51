import { useQuery } from '@tanstack/react-query';
import { getRouteApi, Link } from '@tanstack/react-router';
import { Fragment, useEffect, useMemo, useState } from 'react';
import { formatDateTime } from '../../lib/format.js';
import { useCan } from '../../lib/session.js';
import { useDebounced } from '../../lib/use-debounced.js';
import { Button } from '../../ui/Button.js';
import { EmptyState, ErrorState } from '../../ui/EmptyState.js';
import { Icon } from '../../ui/Icon.js';
import { PageHeader } from '../../ui/PageHeader.js';
import { Notice, ProblemAlert } from '../../ui/ProblemAlert.js';
import { Forbidden } from '../../ui/RouteStates.js';
import { SkeletonRows } from '../../ui/Spinner.js';
import { CodeBlock } from './CodeBlock.js';
import { eventTitle, formatClock, typeLabels } from './event-display.js';
import { EventDetail } from './EventDetail.js';
import { EventTypeBadge } from './EventTypeBadge.js';
import { curlTrack, WRITE_KEY_PLACEHOLDER } from './install-snippets.js';
import { messageTypes, sourcesQuery, type MessageType, type StreamEvent, type StreamFilters } from './tracking-queries.js';
import { MAX_ROWS, useLiveEvents } from './use-live-events.js';
import './tracking.css';

const route = getRouteApi('/_app/events');
const COLS = 6;

export function LiveEventsPage() {
  const can = useCan();
  if (!can('tracking.read')) return <Forbidden what="The event debugger" />;
  return <LiveEvents />;
}

function PauseGlyph({ paused }: { paused: boolean }) {
  return (
    <svg className="icon" width={16} height={16} viewBox="0 0 24 24" fill="currentColor" aria-hidden="true" focusable="false">
      {paused ? <path d="M7 4.5v15l13-7.5z" /> : <path d="M6 4h4v16H6zM14 4h4v16h-4z" />}
    </svg>
  );
}

/** Free-text filters are typed into local state and reach the URL (and the API) once typing pauses. */
function useTextFilter(value: string | undefined, apply: (v: string | undefined) => void) {
  const [text, setText] = useState(value ?? '');
  const settled = useDebounced(text.trim(), 350);
  useEffect(() => {
    // Only the settled text decides; `apply` and `value` are read as they are then.
    if ((value ?? '') !== settled) apply(settled || undefined);
  }, [settled]);

  return [text, setText] as const;
}

function LiveEvents() {
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const sources = useQuery(sourcesQuery);
  const [paused, setPaused] = useState(false);
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());

  const setFilter = (patch: Partial<StreamFilters>) => void navigate({ search: (s) => ({ ...s, ...patch }), replace: true });
  const [eventText, setEventText] = useTextFilter(search.event, (event) => setFilter({ event }));
  const [userText, setUserText] = useTextFilter(search.user, (user) => setFilter({ user }));

  const filters = useMemo<StreamFilters>(
    () => ({ sourceId: search.sourceId, type: search.type, event: search.event, user: search.user }),
    [search.sourceId, search.type, search.event, search.user],
  );
  const filtered = Object.values(filters).some(Boolean);
  const live = useLiveEvents(filters, paused);

  const sourceNames = useMemo(() => new Map((sources.data ?? []).map((s) => [s.id, s.name])), [sources.data]);
  // Names already seen, offered while typing the event filter (the API matches names exactly).
  const eventNames = useMemo(
    () => [...new Set((live.items ?? []).flatMap((e) => (e.event ? [e.event] : [])))].sort().slice(0, 50),
    [live.items],
  );

  const clear = () => {
    setEventText('');
    setUserText('');
    void navigate({ search: {}, replace: true });
  };
  const toggle = (id: string) =>
    setOpen((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  const waiting = live.waiting.count > 0;
  const status = paused ? (waiting ? `Paused · ${live.waiting.count}${live.waiting.more ? '+' : ''} new` : 'Paused') : 'Live';

  return (
    <div className="page">
      <PageHeader
        title="Live events"
        description="Events as they arrive from your sources, newest first. Check here that tracking works before you rely on it."
        actions={
          <>
            <span className={`live-status${paused ? ' paused' : ''}`} role="status" aria-live="polite">
              <span className="live-dot" aria-hidden="true" />
              {status}
            </span>
            <button type="button" className="btn btn-secondary" aria-pressed={paused} onClick={() => setPaused((p) => !p)}>
              <PauseGlyph paused={paused} />
              <span>{paused ? 'Resume' : 'Pause'}</span>
            </button>
          </>
        }
      />

      <form className="filters card" onSubmit={(e) => e.preventDefault()} aria-label="Filter events">
        <div className="filters-grid stream-filters">
          <div className="field">
            <label className="field-label" htmlFor="stream-source">
              Source
            </label>
            <select
              id="stream-source"
              className="input select"
              value={search.sourceId ?? ''}
              onChange={(e) => setFilter({ sourceId: e.target.value || undefined })}
            >
              <option value="">All sources</option>
              {(sources.data ?? []).map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label className="field-label" htmlFor="stream-type">
              Type
            </label>
            <select
              id="stream-type"
              className="input select"
              value={search.type ?? ''}
              onChange={(e) => setFilter({ type: (e.target.value || undefined) as MessageType | undefined })}
            >
              <option value="">All types</option>
              {messageTypes.map((t) => (
                <option key={t} value={t}>
                  {typeLabels[t]}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label className="field-label" htmlFor="stream-event">
              Event name
            </label>
            <input
              id="stream-event"
              className="input"
              type="search"
              list="stream-event-names"
              placeholder="Signed Up"
              autoComplete="off"
              value={eventText}
              onChange={(e) => setEventText(e.target.value)}
            />
            <datalist id="stream-event-names">
              {eventNames.map((n) => (
                <option key={n} value={n} />
              ))}
            </datalist>
          </div>
          <div className="field">
            <label className="field-label" htmlFor="stream-user">
              User
            </label>
            <input
              id="stream-user"
              className="input"
              type="search"
              placeholder="User id or anonymous id"
              autoComplete="off"
              value={userText}
              onChange={(e) => setUserText(e.target.value)}
            />
          </div>
        </div>
        {filtered && (
          <div className="filters-foot">
            <span className="muted">Only events that match every filter are shown. Event names match exactly.</span>
            <Button variant="ghost" size="sm" onClick={clear}>
              Clear filters
            </Button>
          </div>
        )}
      </form>

      {live.stale && (
        <div className="stream-notice">
          <Notice tone="warning">The newest events cannot be fetched right now. Keel keeps trying every second.</Notice>
        </div>
      )}

      {live.error ? (
        <ErrorState error={live.error} onRetry={live.retry} />
      ) : live.items && live.items.length === 0 ? (
        filtered ? (
          <EmptyState icon="filter" title="No events match these filters yet" action={<Button onClick={clear}>Clear filters</Button>}>
            This list keeps watching: a matching event will appear here the moment it arrives.
          </EmptyState>
        ) : (
          <FirstEvent hasSources={(sources.data?.length ?? 0) > 0} />
        )
      ) : (
        <div className="card table-card">
          <div className="table-scroll">
            <table className="table stream-table" aria-label="Events" aria-busy={live.items === null || undefined}>
              <thead>
                <tr>
                  <th scope="col" className="col-toggle">
                    <span className="sr-only">Details</span>
                  </th>
                  <th scope="col">Received</th>
                  <th scope="col">Type</th>
                  <th scope="col">Event</th>
                  <th scope="col">User</th>
                  <th scope="col" className="hide-sm">
                    Source
                  </th>
                </tr>
              </thead>
              <tbody>
                {live.items === null ? (
                  <SkeletonRows cols={COLS} rows={6} />
                ) : (
                  live.items.map((e) => (
                    <StreamRow
                      key={e.id}
                      event={e}
                      sourceName={sourceNames.get(e.sourceId)}
                      isOpen={open.has(e.id)}
                      isNew={live.fresh.has(e.id)}
                      onToggle={() => toggle(e.id)}
                    />
                  ))
                )}
              </tbody>
            </table>
          </div>
          {live.items && live.items.length > 0 && (
            <div className="table-foot">
              <span className="muted">
                {live.trimmed
                  ? `Showing the newest ${MAX_ROWS} events. Pause or filter to look closer.`
                  : `${live.items.length} ${live.items.length === 1 ? 'event' : 'events'}${live.hasOlder ? ' so far' : ''}`}
              </span>
              {live.hasOlder && (
                <Button size="sm" onClick={() => void live.loadOlder()} busy={live.loadingOlder}>
                  Load older
                </Button>
              )}
            </div>
          )}
          {Boolean(live.olderError) && <ProblemAlert error={live.olderError} className="stream-older-error" />}
        </div>
      )}
    </div>
  );
}

function StreamRow({
  event: e,
  sourceName,
  isOpen,
  isNew,
  onToggle,
}: {
  event: StreamEvent;
  sourceName: string | undefined;
  isOpen: boolean;
  isNew: boolean;
  onToggle: () => void;
}) {
  const title = eventTitle(e);
  const detailId = `event-${e.id}`;
  const user = e.userId ?? e.anonymousId;
  return (
    <Fragment>
      <tr
        className={`stream-row${isOpen ? ' open' : ''}${isNew ? ' stream-row-new' : ''}`}
        data-event-id={e.id}
        data-type={e.type}
        onClick={onToggle}
      >
        <td className="col-toggle">
          <button
            type="button"
            className="icon-btn icon-btn-sm"
            aria-expanded={isOpen}
            aria-controls={detailId}
            aria-label={`${isOpen ? 'Hide' : 'Show'} the ${typeLabels[e.type].toLowerCase()} event ${title}`}
            onClick={(ev) => {
              ev.stopPropagation();
              onToggle();
            }}
          >
            <Icon name={isOpen ? 'chevronDown' : 'chevronRight'} size={16} />
          </button>
        </td>
        <td className="nowrap stream-time">
          <time dateTime={e.receivedAt} title={formatDateTime(e.receivedAt, true)}>
            {formatClock(e.receivedAt)}
          </time>
        </td>
        <td>
          <EventTypeBadge type={e.type} />
        </td>
        <td className="stream-event">
          <span className="cell-truncate" title={title}>
            {title}
          </span>
        </td>
        <td className="stream-user">
          {user ? (
            e.contactId ? (
              <Link
                to="/contacts/$id"
                params={{ id: e.contactId }}
                search={{ tab: 'activity' }}
                className="stream-user-link"
                title={`Open the contact of ${user}`}
                onClick={(ev) => ev.stopPropagation()}
              >
                <Icon name="user" size={14} />
                <span>{user}</span>
              </Link>
            ) : (
              <span className="cell-truncate mono-soft" title={user}>
                {user}
              </span>
            )
          ) : (
            <span className="muted">—</span>
          )}
          {e.userId && e.anonymousId && (
            <div className="cell-secondary cell-truncate" title={`Anonymous id ${e.anonymousId}`}>
              {e.anonymousId}
            </div>
          )}
        </td>
        <td className="hide-sm">
          <span className="cell-truncate" title={sourceName}>
            {sourceName ?? '—'}
          </span>
        </td>
      </tr>
      {isOpen && (
        <tr className="stream-detail-row" id={detailId}>
          <td />
          <td colSpan={COLS - 1}>
            <EventDetail event={e} sourceName={sourceName ?? e.sourceId} contactId={e.contactId} />
          </td>
        </tr>
      )}
    </Fragment>
  );
}

/** The empty debugger: how to send a first event, with the curl command. */
function FirstEvent({ hasSources }: { hasSources: boolean }) {
  const can = useCan();
  return (
    <div className="state state-empty first-event">
      <span className="state-icon">
        <Icon name="monitor" size={22} />
      </span>
      <h3 className="state-title">Waiting for the first event</h3>
      <p className="state-text">
        {hasSources
          ? 'Send an event with a source’s write key and it shows up here within a second. From a terminal:'
          : 'Events come in through a source. Add one to get its write key, then send an event like this:'}
      </p>
      <div className="first-event-code">
        <CodeBlock code={curlTrack(WRITE_KEY_PLACEHOLDER, window.location.origin)} label="A first track event with curl" />
      </div>
      <p className="state-text first-event-hint">
        Replace <code>{WRITE_KEY_PLACEHOLDER}</code> with the key shown when the source was created or its key rotated.
      </p>
      <div className="state-action">
        <Link to="/sources" className={`btn ${hasSources || !can('tracking.manage') ? 'btn-secondary' : 'btn-primary'}`}>
          {hasSources ? 'Go to sources' : can('tracking.manage') ? 'Add a source' : 'See sources'}
        </Link>
      </div>
      <p className="state-meta first-event-foot">
        Segment and RudderStack libraries work unchanged: set their host to {window.location.origin}.
      </p>
    </div>
  );
}
