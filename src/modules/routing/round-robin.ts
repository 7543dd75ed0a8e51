import { weekdays, type WorkingHours } from './routing.schema.js';

/**
 * Smooth weighted round robin (the algorithm nginx uses for upstream weights): every pick adds each
 * candidate's weight to its counter, takes the highest counter, and takes the total weight off the
 * winner. Over any run of picks whose length is a multiple of the total weight, each candidate is
 * picked exactly `weight` times, spread out rather than in bursts. Ties go to the earlier candidate,
 * so the result depends only on the stored counters: deterministic across processes.
 */
export function smoothPick(
  candidates: ReadonlyArray<{ id: string; weight: number }>,
  counters: Map<string, number>,
): { id: string; counters: Map<string, number> } | null {
  const live = candidates.filter((c) => c.weight > 0);
  if (live.length === 0) return null;
  const next = new Map(counters);
  let total = 0;
  let best: { id: string; value: number } | null = null;
  for (const c of live) {
    const v = (next.get(c.id) ?? 0) + c.weight;
    next.set(c.id, v);
    total += c.weight;
    if (!best || v > best.value) best = { id: c.id, value: v };
  }
  if (!best) return null;
  next.set(best.id, best.value - total);
  return { id: best.id, counters: next };
}

const formats = new Map<string, Intl.DateTimeFormat>();
function formatFor(tz: string): Intl.DateTimeFormat {
  let f = formats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formats.set(tz, f);
  }
  return f;
}

/** The weekday and HH:MM on the wall clock in `tz` at `at` (Intl applies daylight-saving time). */
export function localTime(at: Date, tz: string): { day: (typeof weekdays)[number]; time: string } {
  const parts = formatFor(tz).formatToParts(at);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  const day = get('weekday').toLowerCase().slice(0, 3) as (typeof weekdays)[number];
  return { day, time: `${get('hour')}:${get('minute')}` };
}

/** Is `at` inside the rep's working hours? No hours set: always. Periods are [start, end). */
export function withinWorkingHours(hours: WorkingHours | null, tz: string, at: Date): boolean {
  if (!hours) return true;
  const { day, time } = localTime(at, tz);
  return (hours[day] ?? []).some(([from, to]) => time >= from && time < to);
}
