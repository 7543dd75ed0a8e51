import { weekdays, type WorkingHours } from './routing.schema.js';

/** Working periods by weekday in a time zone, minus holidays (local dates, YYYY-MM-DD). */
export interface WorkCalendar {
  timeZone: string;
  workingHours: WorkingHours;
  holidays?: readonly string[];
}

const formats = new Map<string, Intl.DateTimeFormat>();
function formatFor(tz: string): Intl.DateTimeFormat {
  let f = formats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    formats.set(tz, f);
  }
  return f;
}

/** The wall-clock date and time in `tz` at `at`, as numbers. */
function wallClock(at: number, tz: string): { y: number; m: number; d: number; hh: number; mm: number; ss: number } {
  const parts = formatFor(tz).formatToParts(new Date(at));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return { y: get('year'), m: get('month'), d: get('day'), hh: get('hour'), mm: get('minute'), ss: get('second') };
}

/** The zone's offset from UTC at `at`, in ms (Intl knows the daylight-saving rules). */
function offsetMs(at: number, tz: string): number {
  const w = wallClock(at, tz);
  return Date.UTC(w.y, w.m - 1, w.d, w.hh, w.mm, w.ss) - Math.floor(at / 1000) * 1000;
}

/**
 * The instant a wall-clock time in `tz` happens. A time that happens twice (autumn) resolves to
 * its first occurrence; one skipped by a spring-forward change to the instant an hour later on
 * the wall clock (02:30 -> 03:30). `24:00` is midnight at the end of the day.
 */
export function wallToInstant(y: number, m: number, d: number, hhmm: string, tz: string): number {
  const [hh, mm] = hhmm.split(':').map(Number);
  const guess = Date.UTC(y, m - 1, d, hh ?? 0, mm ?? 0);
  // The offsets in force half a day either side: a zone changes at most once in that span.
  const early = guess - offsetMs(guess - 43_200_000, tz);
  const late = guess - offsetMs(guess + 43_200_000, tz);
  const valid = [early, late].filter((x) => offsetMs(x, tz) === guess - x);
  return valid.length ? Math.min(...valid) : early;
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * The instant `minutes` of working time after `start` in the calendar: time counts only inside
 * the day's working periods (local wall clock, so a daylight-saving change moves them in UTC), not
 * on holidays. Working time is elapsed time: a period that spans a clock change counts its real
 * length. Null when the calendar has no working time within a year of `start`.
 */
export function addWorkingMinutes(start: Date, minutes: number, cal: WorkCalendar): Date | null {
  let left = Math.round(minutes * 60_000);
  const s = start.getTime();
  if (left <= 0) return new Date(s);
  let cur = s; // working time before this has been counted (periods may overlap)
  const holidays = new Set(cal.holidays ?? []);
  const w = wallClock(s, cal.timeZone);
  const firstDay = Date.UTC(w.y, w.m - 1, w.d) - 86_400_000; // a day early: periods that started before `start`
  for (let i = 0; i < 368; i++) {
    const day = new Date(firstDay + i * 86_400_000);
    const y = day.getUTCFullYear();
    const m = day.getUTCMonth() + 1;
    const d = day.getUTCDate();
    if (holidays.has(`${y}-${pad(m)}-${pad(d)}`)) continue;
    const wd = weekdays[(day.getUTCDay() + 6) % 7] ?? 'mon';
    const periods = [...(cal.workingHours[wd] ?? [])].sort((a, b) => (a[0] < b[0] ? -1 : 1));
    for (const [from, to] of periods) {
      const a = Math.max(wallToInstant(y, m, d, from, cal.timeZone), cur);
      const b = wallToInstant(y, m, d, to, cal.timeZone);
      if (b <= a) continue;
      if (b - a >= left) return new Date(a + left);
      left -= b - a;
      cur = b;
    }
  }
  return null;
}

/** Monday to Friday, 09:00-17:00: the workspace calendar until one is set. */
export const officeHours: WorkingHours = {
  mon: [['09:00', '17:00']],
  tue: [['09:00', '17:00']],
  wed: [['09:00', '17:00']],
  thu: [['09:00', '17:00']],
  fri: [['09:00', '17:00']],
};
