-- Rollups of recorded attempt results, per webhook per minute (epoch minutes),
-- written by FinishAttempts in the same transaction as the attempts: the
-- dashboard's charts and GET /api/stats read these, never the delivery log.
-- l0 … l11 count attempts by latency bucket (store.LatencyBounds). Like the
-- log, rows outlive their webhook (no foreign key).
CREATE TABLE webhook_stats (
    account_id text NOT NULL,
    webhook_id bigint NOT NULL,
    minute     bigint NOT NULL,
    succeeded  bigint NOT NULL DEFAULT 0,
    failed     bigint NOT NULL DEFAULT 0,
    retried    bigint NOT NULL DEFAULT 0,
    skipped    bigint NOT NULL DEFAULT 0,
    l0 bigint NOT NULL DEFAULT 0, l1 bigint NOT NULL DEFAULT 0, l2 bigint NOT NULL DEFAULT 0,
    l3 bigint NOT NULL DEFAULT 0, l4 bigint NOT NULL DEFAULT 0, l5 bigint NOT NULL DEFAULT 0,
    l6 bigint NOT NULL DEFAULT 0, l7 bigint NOT NULL DEFAULT 0, l8 bigint NOT NULL DEFAULT 0,
    l9 bigint NOT NULL DEFAULT 0, l10 bigint NOT NULL DEFAULT 0, l11 bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (webhook_id, minute)
);
CREATE INDEX webhook_stats_account ON webhook_stats (account_id, minute);
