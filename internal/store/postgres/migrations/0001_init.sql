-- hookcast schema, PostgreSQL. Times are epoch microseconds (0 = not set), except
-- streams.due_at and events.timestamp, which are epoch milliseconds like the engine's.

CREATE TABLE accounts (
    id         text PRIMARY KEY,
    name       text NOT NULL DEFAULT '',
    created_at bigint NOT NULL
);

CREATE TABLE api_secrets (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id text NOT NULL REFERENCES accounts (id),
    hash       bytea NOT NULL UNIQUE,
    label      text NOT NULL DEFAULT '',
    created_at bigint NOT NULL,
    revoked_at bigint NOT NULL DEFAULT 0
);
CREATE INDEX api_secrets_account ON api_secrets (account_id, id);

CREATE TABLE webhooks (
    id                         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id                 text NOT NULL REFERENCES accounts (id),
    url                        text NOT NULL,
    secret                     text NOT NULL,
    is_feed_hooks              boolean NOT NULL DEFAULT false,
    is_recording_hooks         boolean NOT NULL DEFAULT false,
    is_thumbnail_hooks         boolean NOT NULL DEFAULT false,
    is_transcoder_hooks        boolean NOT NULL DEFAULT false,
    is_media_hooks             boolean NOT NULL DEFAULT false,
    is_viewer_connection_hooks boolean NOT NULL DEFAULT false,
    filter                     text NOT NULL DEFAULT '',
    retry_policy               text NOT NULL DEFAULT '',
    disabled                   boolean NOT NULL DEFAULT false,
    disabled_until             bigint NOT NULL DEFAULT 0,
    disabled_reason            text NOT NULL DEFAULT '',
    consecutive_failures       integer NOT NULL DEFAULT 0,
    created_at                 bigint NOT NULL,
    updated_at                 bigint NOT NULL
);
CREATE INDEX webhooks_account ON webhooks (account_id, id);

-- No foreign key to accounts: signals may name an account before it exists.
CREATE TABLE streams (
    account_id text NOT NULL,
    name       text NOT NULL,
    state      bytea NOT NULL,
    due_at     bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, name)
);
CREATE INDEX streams_due ON streams (due_at) WHERE due_at > 0;

CREATE TABLE events (
    id           text PRIMARY KEY,
    account_id   text NOT NULL,
    type         text NOT NULL,
    event        text NOT NULL,
    stream_name  text NOT NULL DEFAULT '',
    timestamp    bigint NOT NULL,
    content_type text NOT NULL,
    headers      text NOT NULL DEFAULT '{}',
    body         bytea NOT NULL,
    created_at   bigint NOT NULL
);
CREATE INDEX events_account_created ON events (account_id, created_at);

-- webhook_id has no foreign key on purpose: the delivery log outlives its webhooks.
CREATE TABLE deliveries (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id        text NOT NULL REFERENCES events (id),
    account_id      text NOT NULL,
    webhook_id      bigint NOT NULL,
    event_type      text NOT NULL,
    event_name      text NOT NULL,
    state           text NOT NULL CHECK (state IN ('pending', 'succeeded', 'failed', 'skipped')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at bigint NOT NULL DEFAULT 0,
    lease_owner     text NOT NULL DEFAULT '',
    lease_until     bigint NOT NULL DEFAULT 0,
    last_status     integer NOT NULL DEFAULT 0,
    last_error      text NOT NULL DEFAULT '',
    created_at      bigint NOT NULL,
    updated_at      bigint NOT NULL
);
CREATE INDEX deliveries_claim ON deliveries (state, next_attempt_at);
CREATE INDEX deliveries_account ON deliveries (account_id, id);

CREATE TABLE attempts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id bigint NOT NULL REFERENCES deliveries (id),
    n           integer NOT NULL,
    at          bigint NOT NULL,
    status      integer NOT NULL DEFAULT 0,
    latency_us  bigint NOT NULL DEFAULT 0,
    error       text NOT NULL DEFAULT '',
    response    bytea
);
CREATE INDEX attempts_delivery ON attempts (delivery_id, n);

CREATE TABLE meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);
