import { useQuery } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'react';
import { api } from '../../lib/api.js';
import { streamPageSchema, type StreamEvent, type StreamFilters } from './tracking-queries.js';

const PAGE = 50;
/** How often the newest page is fetched again. */
export const POLL_MS = 1000;
/** How long a new row stays highlighted. */
const FRESH_MS = 3000;
/** The most rows kept on screen: an open debugger on a busy site must not grow without end. */
export const MAX_ROWS = 500;

type Page = { data: StreamEvent[]; nextCursor: string | null };

interface State {
  /** The filters this state belongs to; a change of filters starts over. */
  key: string;
  items: StreamEvent[];
  /** Where "Load older" continues; null when the oldest event is on screen (or rows were trimmed). */
  olderCursor: string | null;
  /** Rows were dropped from the end to stay under MAX_ROWS. */
  trimmed: boolean;
  /** Ids of rows that arrived while watching, with the time their highlight ends. */
  fresh: ReadonlyMap<string, number>;
}

type Action =
  { type: 'head'; key: string; page: Page; now: number } | { type: 'older'; key: string; page: Page } | { type: 'prune'; now: number };

const empty = (key: string): State => ({ key, items: [], olderCursor: null, trimmed: false, fresh: new Map() });

/** New events in the newest page that the screen does not have yet; `all` when none of it overlaps. */
function unseen(state: State, page: Page): { events: StreamEvent[]; all: boolean } {
  const known = new Set(state.items.map((e) => e.id));
  const events = page.data.filter((e) => !known.has(e.id));
  return { events, all: events.length === page.data.length };
}

/**
 * An identify links a visitor to a contact after their earlier events were stored, and merges
 * can move them: rows already on screen take the contact the newest page says they have now.
 */
function relinked(state: State, page: Page): State {
  const contactOf = new Map(page.data.map((e) => [e.id, e.contactId]));
  let changed = false;
  const items = state.items.map((e) => {
    const contactId = contactOf.get(e.id);
    if (contactId === undefined || contactId === e.contactId) return e;
    changed = true;
    return { ...e, contactId };
  });
  return changed ? { ...state, items } : state;
}

function reduce(state: State, action: Action): State {
  switch (action.type) {
    case 'head': {
      const { page, key, now } = action;
      if (state.key !== key) return { ...empty(key), items: page.data, olderCursor: page.nextCursor };
      const { events, all } = unseen(state, page);
      if (events.length === 0) return relinked(state, page);
      const fresh = new Map(state.fresh);
      for (const e of events) fresh.set(e.id, now + FRESH_MS);
      // More arrived than one page holds: start again from the newest page. Older events stay
      // reachable through its cursor, so nothing is skipped in between.
      if (all && page.nextCursor) return { key, items: page.data, olderCursor: page.nextCursor, trimmed: false, fresh };
      const items = [...events, ...relinked(state, page).items];
      if (items.length <= MAX_ROWS) return { ...state, items, fresh };
      return { ...state, items: items.slice(0, MAX_ROWS), olderCursor: null, trimmed: true, fresh };
    }
    case 'older': {
      if (state.key !== action.key) return state;
      const known = new Set(state.items.map((e) => e.id));
      return {
        ...state,
        items: [...state.items, ...action.page.data.filter((e) => !known.has(e.id))],
        olderCursor: action.page.nextCursor,
      };
    }
    case 'prune': {
      const fresh = new Map([...state.fresh].filter(([, until]) => until > action.now));
      return fresh.size === state.fresh.size ? state : { ...state, fresh };
    }
  }
}

/**
 * The live event stream for the debugger: the newest page is fetched every second and what is new
 * is put on top (highlighted for a moment). While paused, the screen holds still and only counts
 * what is waiting; resuming shows it. Older events load a page at a time.
 */
export function useLiveEvents(filters: StreamFilters, paused: boolean) {
  const key = JSON.stringify(filters);
  const [state, dispatch] = useReducer(reduce, key, empty);
  const head = useQuery({
    queryKey: ['tracking', 'stream', filters],
    queryFn: () => api.get('/events', streamPageSchema, { ...filters, limit: PAGE }),
    refetchInterval: POLL_MS,
    staleTime: 0,
    gcTime: 0,
  });

  // Merge each new answer (React Query keeps the same object while nothing changed).
  useEffect(() => {
    if (head.data && (!paused || state.key !== key)) dispatch({ type: 'head', key, page: head.data, now: Date.now() });
  }, [head.data, paused, key, state.key]);

  useEffect(() => {
    if (state.fresh.size === 0) return;
    const next = Math.min(...state.fresh.values());
    const t = setTimeout(() => dispatch({ type: 'prune', now: Date.now() }), Math.max(0, next - Date.now()) + 20);
    return () => clearTimeout(t);
  }, [state.fresh]);

  const waiting = useMemo(() => {
    if (!paused || !head.data || state.key !== key) return { count: 0, more: false };
    const { events, all } = unseen(state, head.data);
    return { count: events.length, more: all && events.length > 0 && head.data.nextCursor !== null };
  }, [paused, head.data, state, key]);

  const [loadingOlder, setLoadingOlder] = useState(false);
  const [olderError, setOlderError] = useState<unknown>(null);
  const current = useRef(state);
  current.current = state;
  const loadOlder = useCallback(async () => {
    const { olderCursor, key: at } = current.current;
    if (!olderCursor) return;
    setLoadingOlder(true);
    setOlderError(null);
    try {
      const page = await api.get('/events', streamPageSchema, { ...filters, limit: PAGE, cursor: olderCursor });
      dispatch({ type: 'older', key: at, page });
    } catch (err) {
      setOlderError(err);
    } finally {
      setLoadingOlder(false);
    }
  }, [filters]);

  const ready = Boolean(head.data) && state.key === key;
  return {
    /** Null until the first page of these filters is in. */
    items: ready ? state.items : null,
    fresh: state.fresh,
    hasOlder: ready && state.olderCursor !== null,
    trimmed: state.trimmed,
    loadOlder,
    loadingOlder,
    olderError,
    waiting,
    /** The first load failed (nothing to show). */
    error: head.data ? null : head.error,
    /** A later poll failed: the rows shown may be out of date. */
    stale: Boolean(head.data) && head.isError,
    retry: () => void head.refetch(),
  };
}
