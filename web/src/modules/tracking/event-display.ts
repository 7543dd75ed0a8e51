import type { MessageType, TrackedEvent } from './tracking-queries.js';

export const typeLabels: Record<MessageType, string> = {
  track: 'Track',
  page: 'Page',
  screen: 'Screen',
  identify: 'Identify',
  group: 'Group',
  alias: 'Alias',
};

function text(v: unknown): string | null {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : null;
}

function record(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** The path of a URL, or the text itself when it is not one. */
export function pathOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.pathname}${u.search}` || '/';
  } catch {
    return url;
  }
}

/**
 * What a person reads in the Event column, as Segment's debugger names a message: a track's event
 * name, a page's name (else its path), who an identify is about, the group's name.
 */
export function eventTitle(e: TrackedEvent): string {
  switch (e.type) {
    case 'track':
      return e.event ?? 'Track';
    case 'page':
    case 'screen': {
      const page = record(e.context.page);
      const url = text(page.url) ?? text(e.properties.url);
      return e.name ?? text(e.properties.title) ?? text(page.path) ?? text(e.properties.path) ?? (url ? pathOf(url) : 'Page view');
    }
    case 'identify':
      return text(e.traits.email) ?? text(e.traits.name) ?? e.userId ?? 'Identify';
    case 'group':
      return text(e.traits.name) ?? text(e.traits.domain) ?? 'Group';
    case 'alias':
      return e.userId ? `Alias to ${e.userId}` : 'Alias';
  }
}

/** The page the event happened on, when it says. */
export function pageUrlOf(e: TrackedEvent): string | null {
  return text(record(e.context.page).url) ?? text(e.properties.url);
}

/** The event as a Segment message: what was sent, plus what Keel added (receivedAt). Empty parts left out. */
export function asMessage(e: TrackedEvent): Record<string, unknown> {
  const message: Record<string, unknown> = { type: e.type };
  if (e.event !== null) message.event = e.event;
  if (e.name !== null) message.name = e.name;
  if (e.userId !== null) message.userId = e.userId;
  if (e.anonymousId !== null) message.anonymousId = e.anonymousId;
  const withProperties = e.type === 'track' || e.type === 'page' || e.type === 'screen';
  if (withProperties || Object.keys(e.properties).length) message.properties = e.properties;
  if (e.type === 'identify' || e.type === 'group' || Object.keys(e.traits).length) message.traits = e.traits;
  message.context = e.context;
  message.messageId = e.messageId;
  message.timestamp = e.timestamp;
  message.receivedAt = e.receivedAt;
  return message;
}

const timeOfDay = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
const shortDay = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });

/** "14:03:27", with the day in front when it is not today: the debugger's time column. */
export function formatClock(iso: string, now = new Date()): string {
  const d = new Date(iso);
  const sameDay = d.toDateString() === now.toDateString();
  return sameDay ? timeOfDay.format(d) : `${shortDay.format(d)}, ${timeOfDay.format(d)}`;
}

/** How long after the client's timestamp the server received it ("0.4 s", "3 min"); null when within 50 ms. */
export function formatDelay(timestamp: string, receivedAt: string): string | null {
  const ms = new Date(receivedAt).getTime() - new Date(timestamp).getTime();
  const abs = Math.abs(ms);
  if (abs < 50) return null;
  const sign = ms < 0 ? '-' : '';
  if (abs < 60_000) return `${sign}${(abs / 1000).toFixed(abs < 10_000 ? 1 : 0)} s`;
  if (abs < 3_600_000) return `${sign}${Math.round(abs / 60_000)} min`;
  if (abs < 86_400_000) return `${sign}${Math.round(abs / 3_600_000)} h`;
  return `${sign}${Math.round(abs / 86_400_000)} d`;
}
