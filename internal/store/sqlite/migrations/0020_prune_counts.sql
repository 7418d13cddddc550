-- The pruner is the only thing that deletes deliveries, a batch of thousands
-- at a time; the delete trigger ran a counter update per row, a tenth of what
-- pruning a delivery cost (BenchmarkPrune: 8.6 → 7.7 µs). The pruner now takes
-- what it removed off delivery_counts itself, one update per state a batch.
DROP TRIGGER deliveries_count_delete;
