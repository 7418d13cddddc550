-- The oldest pending delivery (hookcast_oldest_pending_delivery_age_seconds,
-- read by the metrics worker once a second) is the first entry of this index,
-- found in O(log n). Through deliveries_claim, ordered by next_attempt_at,
-- min(id) walked every pending entry (SQLite: 5–14 ms a reading with 20,000 pending
-- in the retention soak), and a backlog of millions would take seconds. One
-- more index entry per pending delivery, gone when it is recorded: no
-- measurable cost on SQLite's BenchmarkDeliveryCycle (its migration 0018).
CREATE INDEX deliveries_pending_id ON deliveries (id) WHERE state = 'pending';
