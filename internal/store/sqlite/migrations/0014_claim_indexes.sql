-- The poller's claims (the one way back into the dispatcher) find free rows
-- and rows whose lease ran out through two small partial indexes, instead of
-- walking the claim index past every row leased right now (the dispatcher's
-- queues: thousands under load).
CREATE INDEX deliveries_free ON deliveries (next_attempt_at, id) WHERE state = 'pending' AND lease_until = 0;
CREATE INDEX deliveries_leased ON deliveries (lease_until) WHERE state = 'pending' AND lease_until > 0;
