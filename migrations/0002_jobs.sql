-- Idempotency keys for background jobs: enqueueing the same key twice yields the first job,
-- for as long as this row lives (pg-boss archives job rows, so its own id check is not enough).
CREATE TABLE job_keys (
  queue       text NOT NULL,
  key         text NOT NULL,
  job_id      uuid NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (queue, key)
);
