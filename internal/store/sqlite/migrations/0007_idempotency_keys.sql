-- Idempotency keys (Tx.ClaimKeys): a request's Idempotency-Key, a signal's id,
-- or the content of a media or transcoder signal, hashed; result is what a
-- replay of the request is answered. The pruner deletes keys past the window.
CREATE TABLE idempotency_keys (
    key        TEXT PRIMARY KEY,
    result     BLOB,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
