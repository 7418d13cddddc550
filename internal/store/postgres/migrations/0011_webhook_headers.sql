-- Per-webhook custom headers, sent with every delivery: a JSON object of
-- name to value (at most 10, checked by the API).
ALTER TABLE webhooks ADD COLUMN headers text NOT NULL DEFAULT '{}';
