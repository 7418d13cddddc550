-- Retention deletes stats rollups by age, oldest first, across accounts.
CREATE INDEX webhook_stats_minute ON webhook_stats (minute);
