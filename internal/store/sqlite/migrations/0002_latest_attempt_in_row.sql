-- A delivery's latest attempt is kept in its own row (last_at > 0), the earlier
-- ones in attempts: a delivery answered at the first try, which most are, then
-- costs one row written when it is recorded instead of two (and the attempts
-- table and its index stay small). Rows from before keep every attempt in
-- attempts (last_at 0); last_status and last_error already were the latest's.
ALTER TABLE deliveries ADD COLUMN last_n INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN last_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN last_latency_us INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN last_response BLOB;
