-- The time-window pass (segments.time-windows, every minute) re-checks only the contacts whose
-- activity or date fields crossed a window's edge since the segment's last check, instead of
-- evaluating the whole segment: `windows_at` is that last check (NULL: never, so the next pass
-- evaluates the whole segment once). A rebuild sets it too, as it evaluates every contact.
ALTER TABLE segments ADD COLUMN windows_at timestamptz;
