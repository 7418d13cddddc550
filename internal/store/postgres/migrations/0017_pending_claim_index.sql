-- deliveries_claim held every delivery ever made, by state; what reads it asks
-- for pending rows only (the backlog, the oldest pending delivery, releasing
-- leases, a deleted webhook's deliveries). Pending rows only, as on SQLite
-- (its migration 0019): recording an attempt no longer inserts the delivery
-- into the index under its new state, and the index stays the size of the
-- queue, not of the log.
DROP INDEX deliveries_claim;
CREATE INDEX deliveries_claim ON deliveries (state, next_attempt_at) WHERE state = 'pending';
