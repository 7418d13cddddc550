-- Deliveries by state, kept by triggers as rows come, change state and go, so
-- that /metrics reads four rows instead of counting the table (100 ms at a
-- million rows). One writer: the counter rows are never contended.
CREATE TABLE delivery_counts (
    state TEXT PRIMARY KEY,
    n     INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO delivery_counts (state, n)
    SELECT s, (SELECT count(*) FROM deliveries WHERE state = s) FROM (
        SELECT 'pending' AS s UNION ALL SELECT 'succeeded' UNION ALL SELECT 'failed' UNION ALL SELECT 'skipped');
CREATE TRIGGER deliveries_count_insert AFTER INSERT ON deliveries BEGIN
    UPDATE delivery_counts SET n = n + 1 WHERE state = NEW.state;
END;
CREATE TRIGGER deliveries_count_update AFTER UPDATE OF state ON deliveries WHEN OLD.state <> NEW.state BEGIN
    UPDATE delivery_counts SET n = n + (state = NEW.state) - (state = OLD.state) WHERE state IN (OLD.state, NEW.state);
END;
CREATE TRIGGER deliveries_count_delete AFTER DELETE ON deliveries BEGIN
    UPDATE delivery_counts SET n = n - 1 WHERE state = OLD.state;
END;
