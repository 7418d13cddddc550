-- hookcast schema, SQLite. Times are epoch microseconds (0 = not set), except
-- streams.due_at and events.timestamp, which are epoch milliseconds like the engine's.

CREATE TABLE accounts (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);

CREATE TABLE api_secrets (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    hash       BLOB NOT NULL UNIQUE,
    label      TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    revoked_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX api_secrets_account ON api_secrets (account_id, id);

-- AUTOINCREMENT: webhook ids are never reused, even after the newest is deleted.
CREATE TABLE webhooks (
    id                         INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id                 TEXT NOT NULL REFERENCES accounts (id),
    url                        TEXT NOT NULL,
    secret                     TEXT NOT NULL,
    is_feed_hooks              INTEGER NOT NULL DEFAULT 0,
    is_recording_hooks         INTEGER NOT NULL DEFAULT 0,
    is_thumbnail_hooks         INTEGER NOT NULL DEFAULT 0,
    is_transcoder_hooks        INTEGER NOT NULL DEFAULT 0,
    is_media_hooks             INTEGER NOT NULL DEFAULT 0,
    is_viewer_connection_hooks INTEGER NOT NULL DEFAULT 0,
    filter                     TEXT NOT NULL DEFAULT '',
    retry_policy               TEXT NOT NULL DEFAULT '',
    disabled                   INTEGER NOT NULL DEFAULT 0,
    disabled_until             INTEGER NOT NULL DEFAULT 0,
    disabled_reason            TEXT NOT NULL DEFAULT '',
    consecutive_failures       INTEGER NOT NULL DEFAULT 0,
    created_at                 INTEGER NOT NULL,
    updated_at                 INTEGER NOT NULL
);
CREATE INDEX webhooks_account ON webhooks (account_id, id);

-- No foreign key to accounts: signals may name an account before it exists.
CREATE TABLE streams (
    account_id TEXT NOT NULL,
    name       TEXT NOT NULL,
    state      BLOB NOT NULL,
    due_at     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, name)
) WITHOUT ROWID;
CREATE INDEX streams_due ON streams (due_at) WHERE due_at > 0;

CREATE TABLE events (
    id           TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL,
    type         TEXT NOT NULL,
    event        TEXT NOT NULL,
    stream_name  TEXT NOT NULL DEFAULT '',
    timestamp    INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    headers      TEXT NOT NULL DEFAULT '{}',
    body         BLOB NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX events_account_created ON events (account_id, created_at);

-- webhook_id has no foreign key on purpose: the delivery log outlives its webhooks.
CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    event_id        TEXT NOT NULL REFERENCES events (id),
    account_id      TEXT NOT NULL,
    webhook_id      INTEGER NOT NULL,
    event_type      TEXT NOT NULL,
    event_name      TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'succeeded', 'failed', 'skipped')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT 0,
    lease_owner     TEXT NOT NULL DEFAULT '',
    lease_until     INTEGER NOT NULL DEFAULT 0,
    last_status     INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX deliveries_claim ON deliveries (state, next_attempt_at);
CREATE INDEX deliveries_account ON deliveries (account_id, id);

CREATE TABLE attempts (
    delivery_id INTEGER NOT NULL REFERENCES deliveries (id),
    n           INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    status      INTEGER NOT NULL DEFAULT 0,
    latency_us  INTEGER NOT NULL DEFAULT 0,
    error       TEXT NOT NULL DEFAULT '',
    response    BLOB
);
CREATE INDEX attempts_delivery ON attempts (delivery_id, n);

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
