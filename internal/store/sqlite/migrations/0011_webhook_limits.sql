-- Per-webhook delivery limits (issue 13): attempts in flight at once (0: the
-- dispatcher's default, 4) and attempts started per second (0: unlimited).
ALTER TABLE webhooks ADD COLUMN max_concurrency INTEGER NOT NULL DEFAULT 0;
ALTER TABLE webhooks ADD COLUMN max_per_second INTEGER NOT NULL DEFAULT 0;

-- The poller's claims (the one way back into the dispatcher) find free rows
-- and rows whose lease ran out through two small partial indexes, instead of
-- walking the claim index past every row leased right now (the dispatcher's
-- queues: thousands under load).
CREATE INDEX deliveries_free ON deliveries (next_attempt_at, id) WHERE state = 'pending' AND lease_until = 0;
CREATE INDEX deliveries_leased ON deliveries (lease_until) WHERE state = 'pending' AND lease_until > 0;
