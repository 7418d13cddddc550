-- Deliveries by state, kept by triggers as rows come, change state and go, so
-- that /metrics does not count the table. Each statement appends its changes
-- as delta rows (one per state it touched) instead of updating four shared
-- counters, which would make every writer of every replica wait for the
-- others; CountDeliveries folds the deltas into one row per state and sums.
CREATE TABLE delivery_count_deltas (
    id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    state text NOT NULL,
    d     bigint NOT NULL
);
INSERT INTO delivery_count_deltas (state, d) SELECT state, count(*) FROM deliveries GROUP BY state;

CREATE FUNCTION deliveries_count_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO delivery_count_deltas (state, d) SELECT state, count(*) FROM new_rows GROUP BY state;
    RETURN NULL;
END $$;
CREATE FUNCTION deliveries_count_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO delivery_count_deltas (state, d)
        SELECT state, sum(d) FROM (
            SELECT state, -1 AS d FROM old_rows UNION ALL SELECT state, 1 FROM new_rows
        ) x GROUP BY state HAVING sum(d) <> 0;
    RETURN NULL;
END $$;
CREATE FUNCTION deliveries_count_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO delivery_count_deltas (state, d) SELECT state, -count(*) FROM old_rows GROUP BY state;
    RETURN NULL;
END $$;
CREATE TRIGGER deliveries_count_insert AFTER INSERT ON deliveries
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION deliveries_count_insert();
CREATE TRIGGER deliveries_count_update AFTER UPDATE ON deliveries
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION deliveries_count_update();
CREATE TRIGGER deliveries_count_delete AFTER DELETE ON deliveries
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION deliveries_count_delete();
