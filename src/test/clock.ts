import type { Clock } from '../platform/clock.js';

/** A clock the test sets: the app, the services and the jobs built with it all read the same time. */
export function settableClock(startIso: string): { clock: Clock; setNow: (iso: string) => void } {
  let ms = Date.parse(startIso);
  return {
    clock: { now: () => new Date(ms) },
    setNow: (iso) => {
      ms = Date.parse(iso);
    },
  };
}
