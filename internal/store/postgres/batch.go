package postgres

import "github.com/jackc/pgx/v5"

type query struct {
	sql  string
	args []any
}

// batchOf queues qs to be sent in one round trip and run in order.
func batchOf(qs ...query) *pgx.Batch {
	b := &pgx.Batch{}
	for _, q := range qs {
		b.Queue(q.sql, q.args...)
	}
	return b
}
