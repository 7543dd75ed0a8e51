-- The time-window pass (segments.time-windows, every minute) re-checks only the contacts whose
-- activity or date fields crossed a window's edge since the segment's last check, instead of
-- evaluating the whole segment: `windows_at` is that last check (NULL: never, so the next pass
-- evaluates the whole segment once). A rebuild sets it too, as it evaluates every contact.
ALTER TABLE segments ADD COLUMN windows_at timestamptz;
-- Bumped with every definition change (of the segment or of one it reads): a rebuild marks the
-- segment ready only if no change came while it evaluated the definition it read, so a change
-- saved during a rebuild is rebuilt again instead of lost (the time-window pass alone would never
-- repair it).
ALTER TABLE segments ADD COLUMN build_seq integer NOT NULL DEFAULT 0;
