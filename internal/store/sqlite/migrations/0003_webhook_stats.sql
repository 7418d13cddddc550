-- Rollups of recorded attempt results, per webhook per minute (epoch minutes),
-- written by FinishAttempts in the same transaction as the attempts: the
-- dashboard's charts and GET /api/stats read these, never the delivery log.
-- l0 … l11 count attempts by latency bucket (store.LatencyBounds). Like the
-- log, rows outlive their webhook (no foreign key).
CREATE TABLE webhook_stats (
    account_id TEXT NOT NULL,
    webhook_id INTEGER NOT NULL,
    minute     INTEGER NOT NULL,
    succeeded  INTEGER NOT NULL DEFAULT 0,
    failed     INTEGER NOT NULL DEFAULT 0,
    retried    INTEGER NOT NULL DEFAULT 0,
    skipped    INTEGER NOT NULL DEFAULT 0,
    l0 INTEGER NOT NULL DEFAULT 0, l1 INTEGER NOT NULL DEFAULT 0, l2 INTEGER NOT NULL DEFAULT 0,
    l3 INTEGER NOT NULL DEFAULT 0, l4 INTEGER NOT NULL DEFAULT 0, l5 INTEGER NOT NULL DEFAULT 0,
    l6 INTEGER NOT NULL DEFAULT 0, l7 INTEGER NOT NULL DEFAULT 0, l8 INTEGER NOT NULL DEFAULT 0,
    l9 INTEGER NOT NULL DEFAULT 0, l10 INTEGER NOT NULL DEFAULT 0, l11 INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (webhook_id, minute)
) WITHOUT ROWID;
CREATE INDEX webhook_stats_account ON webhook_stats (account_id, minute);
