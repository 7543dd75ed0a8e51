import { useQuery } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { useMemo, useState } from 'react';
import { api } from '../../lib/api.js';
import { formatDate, formatDateTime, formatRelative, shortId } from '../../lib/format.js';
import { useCursorList } from '../../lib/use-cursor-list.js';
import { Button } from '../../ui/Button.js';
import { ErrorState } from '../../ui/EmptyState.js';
import { Icon } from '../../ui/Icon.js';
import { LoadingState } from '../../ui/Spinner.js';
import { ChannelBadge } from './channel-display.js';
import { eventTitle, pageUrlOf, pathOf } from './event-display.js';
import { EventDetail } from './EventDetail.js';
import { EventsPerDayChart, type DayCount } from './EventsPerDayChart.js';
import { EventTypeBadge } from './EventTypeBadge.js';
import {
  contactEventsPageSchema,
  identitiesSchema,
  mergesSchema,
  sourcesQuery,
  touchpointsPageSchema,
  type Identity,
  type Merge,
  type TrackedEvent,
  type Touchpoint,
} from './tracking-queries.js';
import './tracking.css';

const EVENTS_PAGE = 100;
const DAYS = 30;

function localDay(d: Date): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** Events per local day over the last DAYS days, today last. */
function perDay(events: TrackedEvent[], now = new Date()): DayCount[] {
  const days: DayCount[] = [];
  for (let i = DAYS - 1; i >= 0; i--) {
    const date = new Date(now.getFullYear(), now.getMonth(), now.getDate() - i);
    days.push({ day: localDay(date), date, count: 0 });
  }
  const index = new Map(days.map((d, i) => [d.day, i]));
  for (const e of events) {
    const i = index.get(localDay(new Date(e.timestamp)));
    const d = i === undefined ? undefined : days[i];
    if (d) d.count++;
  }
  return days;
}

/** What tracking knows about a contact: events over time, the ids it was seen with, where it came from, and every event. */
export function ContactActivity({ contactId }: { contactId: string }) {
  const events = useCursorList(['tracking', 'contact-events', contactId], (cursor) =>
    api.get(`/contacts/${contactId}/events`, contactEventsPageSchema, { limit: EVENTS_PAGE, cursor }),
  );
  const identities = useQuery({
    queryKey: ['tracking', 'contact-identities', contactId],
    queryFn: async () => (await api.get(`/contacts/${contactId}/identities`, identitiesSchema)).data,
  });
  const merges = useQuery({
    queryKey: ['tracking', 'contact-merges', contactId],
    queryFn: async () => (await api.get(`/contacts/${contactId}/merges`, mergesSchema)).data,
  });
  const days = useMemo(() => perDay(events.items), [events.items]);
  const total = days.reduce((n, d) => n + d.count, 0);
  const oldestLoaded = events.items[events.items.length - 1];
  // Counts are from the events loaded; say so when older pages could still add to the window.
  const partial = events.hasMore && oldestLoaded !== undefined && new Date(oldestLoaded.timestamp) > new Date(days[0]?.date ?? 0);
  const busiest = days.reduce<DayCount | undefined>((b, d) => (!b || d.count > b.count ? d : b), undefined);
  const firstSeen = identities.data?.reduce<string | null>((min, i) => (!min || i.firstSeenAt < min ? i.firstSeenAt : min), null) ?? null;
  const lastSeen = events.items[0]?.timestamp ?? null;

  if (events.isPending) return <LoadingState label="Loading activity…" />;
  if (events.isError) return <ErrorState error={events.error} onRetry={() => void events.refetch()} />;

  return (
    <div className="activity">
      <section className="card record-section" aria-labelledby={`${contactId}-per-day`}>
        <div className="record-section-head">
          <h2 className="record-section-title" id={`${contactId}-per-day`}>
            Events per day
          </h2>
          <span className="muted activity-window">Last {DAYS} days</span>
        </div>
        <dl className="activity-stats">
          <div>
            <dt>Events</dt>
            <dd>
              {total}
              {partial && '+'}
            </dd>
          </div>
          <div>
            <dt>Last seen</dt>
            <dd title={lastSeen ? formatDateTime(lastSeen) : undefined}>{lastSeen ? formatRelative(lastSeen) : 'Never'}</dd>
          </div>
          <div>
            <dt>First seen</dt>
            <dd title={firstSeen ? formatDateTime(firstSeen) : undefined}>{firstSeen ? formatDate(firstSeen) : '—'}</dd>
          </div>
        </dl>
        {events.items.length === 0 ? (
          <p className="muted record-section-empty activity-none">
            No tracked events yet. They appear here once this contact is identified on a tracked site or app (an identify with their email).
          </p>
        ) : (
          <EventsPerDayChart
            days={days}
            label={`Events per day over the last ${DAYS} days: ${total} in all${busiest && busiest.count > 0 ? `, most on ${formatDate(busiest.date.toISOString())} (${busiest.count})` : ''}.`}
          />
        )}
        {partial && <p className="field-hint">Counted from the events loaded so far; load older events below to complete the chart.</p>}
      </section>

      <Identities state={identities} />
      <Merges state={merges} identities={identities.data} />
      <Touchpoints contactId={contactId} />
      <EventList list={events} />
    </div>
  );
}

function Identities({ state }: { state: { data?: Identity[] | undefined; isPending: boolean; isError: boolean; error: unknown } }) {
  return (
    <section className="card record-section" aria-labelledby="activity-identities">
      <h2 className="record-section-title" id="activity-identities">
        Identities
      </h2>
      {state.isPending ? (
        <LoadingState label="Loading identities…" />
      ) : state.isError ? (
        <ErrorState error={state.error} />
      ) : !state.data?.length ? (
        <p className="muted record-section-empty">No user ids or anonymous ids yet.</p>
      ) : (
        <ul className="identity-list" aria-label="Identities">
          {state.data.map((i) => (
            <li key={`${i.kind}:${i.value}`} className="identity" data-identity-kind={i.kind}>
              <span className={`badge ${i.kind === 'userId' ? 'badge-accent' : 'badge-neutral'} identity-kind`}>
                {i.kind === 'userId' ? 'User id' : 'Anonymous id'}
              </span>
              <code className="identity-value" title={i.value}>
                {i.value}
              </code>
              <span className="identity-seen" title={formatDateTime(i.firstSeenAt)}>
                first seen {formatRelative(i.firstSeenAt).toLowerCase()}
              </span>
              <Link
                to="/events"
                search={{ user: i.value }}
                className="icon-btn icon-btn-sm"
                aria-label={`Live events of ${i.value}`}
                title="Live events"
              >
                <Icon name="monitor" size={15} />
              </Link>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** Why two profiles became one, in words: ingestion records the message type or the id they shared. */
function mergeReason(reason: string): string {
  if (reason === 'alias') return 'An alias call joined the two ids';
  if (reason === 'same email') return 'Both were identified with the same email';
  if (reason === 'same userId') return 'Both were seen with the same user id';
  if (reason === 'same anonymousId') return 'Both were seen with the same anonymous id';
  const both = /^(\w+) with userId and anonymousId$/.exec(reason);
  const type = both?.[1];
  if (type) return `${/^[aeiou]/.test(type) ? 'An' : 'A'} ${type} call carried both ids`;
  return reason;
}

/**
 * The identity merges behind this profile, newest first: each folded one profile (an anonymous
 * visitor, or a second known one) into another, so a person sees how the contact was stitched.
 */
function Merges({
  state,
  identities,
}: {
  state: { data?: Merge[] | undefined; isPending: boolean; isError: boolean; error: unknown };
  identities: Identity[] | undefined;
}) {
  // Identities move to the surviving profile, so theirs is the profile of this contact now.
  const current = new Set((identities ?? []).map((i) => i.profileId));
  const profile = (id: string) => (
    <code className={`merge-profile${current.has(id) ? ' merge-profile-current' : ''}`} title={`Profile ${id}`}>
      {current.has(id) ? 'this profile' : `profile ${shortId(id)}`}
    </code>
  );
  return (
    <section className="card record-section" aria-labelledby="activity-merges">
      <div className="record-section-head">
        <h2 className="record-section-title" id="activity-merges">
          Identity merges
        </h2>
        {state.data && state.data.length > 0 && (
          <span className="muted activity-window">
            {state.data.length} {state.data.length === 1 ? 'merge' : 'merges'}
          </span>
        )}
      </div>
      {state.isPending ? (
        <LoadingState label="Loading merges…" />
      ) : state.isError ? (
        <ErrorState error={state.error} />
      ) : !state.data?.length ? (
        <p className="muted record-section-empty">No merges: every id was first seen on this profile.</p>
      ) : (
        <ol className="merge-list" aria-label="Identity merges">
          {state.data.map((m) => (
            <li key={`${m.fromProfile}:${m.at}`} className="merge" data-reason={m.reason}>
              <span className="merge-path">
                {profile(m.fromProfile)}
                <Icon name="chevronRight" size={14} className="merge-arrow" />
                {profile(m.intoProfile)}
              </span>
              <span className="merge-reason">
                {mergeReason(m.reason)}
                {m.messageId && (
                  <span className="merge-message" title={`messageId ${m.messageId}`}>
                    {' '}
                    · message <code>{shortId(m.messageId)}</code>
                  </span>
                )}
              </span>
              <time className="merge-when" dateTime={m.at} title={formatDateTime(m.at, true)}>
                {formatRelative(m.at)}
              </time>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

function Touchpoints({ contactId }: { contactId: string }) {
  const list = useCursorList(['tracking', 'contact-touchpoints', contactId], (cursor) =>
    api.get(`/contacts/${contactId}/touchpoints`, touchpointsPageSchema, { limit: 20, cursor }),
  );
  return (
    <section className="card record-section touchpoints" aria-labelledby="activity-touchpoints">
      <h2 className="record-section-title" id="activity-touchpoints">
        Touchpoints
      </h2>
      {list.isPending ? (
        <LoadingState label="Loading touchpoints…" />
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : list.items.length === 0 ? (
        <p className="muted record-section-empty">No visits with a source yet (UTM parameters, a click id or a referring site).</p>
      ) : (
        <div className="table-scroll">
          <table className="table touchpoint-table" aria-label="Touchpoints">
            <thead>
              <tr>
                <th scope="col" className="touchpoint-when">
                  When
                </th>
                <th scope="col" className="touchpoint-channel">
                  Channel
                </th>
                <th scope="col" className="touchpoint-source">
                  Source / medium
                </th>
                <th scope="col">Landing page</th>
              </tr>
            </thead>
            <tbody>
              {list.items.map((t) => (
                <TouchpointRow key={t.id} t={t} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {list.hasMore && (
        <div className="activity-more">
          <Button size="sm" onClick={list.loadMore} busy={list.isLoadingMore}>
            Show older
          </Button>
        </div>
      )}
    </section>
  );
}

function TouchpointRow({ t }: { t: Touchpoint }) {
  const sourceMedium = [t.source, t.medium].filter(Boolean).join(' / ');
  return (
    <tr data-channel={t.channel}>
      <td className="nowrap">
        <time dateTime={t.timestamp} title={formatDateTime(t.timestamp, true)}>
          {formatDate(t.timestamp)}
        </time>
        <div className="cell-secondary">{formatRelative(t.timestamp)}</div>
      </td>
      <td>
        <ChannelBadge channel={t.channel} />
      </td>
      <td>
        <div className="cell-truncate touchpoint-sm" title={sourceMedium || undefined}>
          {sourceMedium || <span className="muted">—</span>}
        </div>
        {t.campaign && (
          <div className="cell-secondary cell-truncate" title={`Campaign ${t.campaign}`}>
            {t.campaign}
          </div>
        )}
      </td>
      <td>
        {t.landingPage ? (
          <span className="cell-truncate touchpoint-page" title={t.landingPage}>
            {pathOf(t.landingPage).split('?')[0]}
          </span>
        ) : (
          <span className="muted">—</span>
        )}
        {t.referrer && (
          <div className="cell-secondary cell-truncate touchpoint-page" title={t.referrer}>
            from {hostOf(t.referrer)}
          </div>
        )}
      </td>
    </tr>
  );
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return url;
  }
}

function EventList({ list }: { list: ReturnType<typeof useCursorList<TrackedEvent>> }) {
  const sources = useQuery(sourcesQuery);
  const names = useMemo(() => new Map((sources.data ?? []).map((s) => [s.id, s.name])), [sources.data]);
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const toggle = (id: string) =>
    setOpen((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  return (
    <section className="card record-section contact-events" aria-labelledby="activity-events">
      <h2 className="record-section-title" id="activity-events">
        Events
      </h2>
      {list.items.length === 0 ? (
        <p className="muted record-section-empty">Nothing tracked yet.</p>
      ) : (
        <ol className="contact-event-list" aria-label="Tracked events">
          {list.items.map((e) => {
            const isOpen = open.has(e.id);
            const title = eventTitle(e);
            const url = pageUrlOf(e);
            return (
              <li key={e.id} className={`contact-event${isOpen ? ' open' : ''}`} data-type={e.type}>
                <button type="button" className="contact-event-head" aria-expanded={isOpen} onClick={() => toggle(e.id)}>
                  <Icon name={isOpen ? 'chevronDown' : 'chevronRight'} size={15} className="contact-event-caret" />
                  <EventTypeBadge type={e.type} />
                  <span className="contact-event-title">
                    <span className="contact-event-name">{title}</span>
                    {url && e.type !== 'page' && <span className="contact-event-url">{pathOf(url)}</span>}
                  </span>
                  <time className="contact-event-time" dateTime={e.timestamp} title={formatDateTime(e.timestamp, true)}>
                    {formatRelative(e.timestamp)}
                  </time>
                </button>
                {isOpen && (
                  <div className="contact-event-detail">
                    <EventDetail event={e} sourceName={names.get(e.sourceId) ?? e.sourceId} />
                  </div>
                )}
              </li>
            );
          })}
        </ol>
      )}
      {list.hasMore && (
        <div className="activity-more">
          <Button size="sm" onClick={list.loadMore} busy={list.isLoadingMore}>
            Load older events
          </Button>
        </div>
      )}
    </section>
  );
}
