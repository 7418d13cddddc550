-- Per-webhook delivery limits (issue 13): attempts in flight at once (0: the
-- dispatcher's default, 4) and attempts started per second (0: unlimited).
ALTER TABLE webhooks ADD COLUMN max_concurrency INTEGER NOT NULL DEFAULT 0;
ALTER TABLE webhooks ADD COLUMN max_per_second INTEGER NOT NULL DEFAULT 0;
