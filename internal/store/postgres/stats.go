package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/internal/store/internal/sqlutil"
)

// Stats implements store.Store: a range of the account's rollups (index
// webhook_stats_account, or the key for one webhook), summed per step in SQL.
func (s *Store) Stats(ctx context.Context, q store.StatsQuery) ([]store.StatsRow, error) {
	from, to, step, err := sqlutil.StatsSpan(q)
	if err != nil {
		return nil, err
	}
	a := sqlutil.Args{Dollar: true}
	f, st := a.Add(from)+"::bigint", a.Add(step)+"::bigint"
	start := "(minute - " + f + ") / " + st + " * " + st + " + " + f
	where := "account_id = " + a.Add(q.AccountID) + " AND minute >= " + f + " AND minute < " + a.Add(to)
	if q.WebhookID != 0 {
		where += " AND webhook_id = " + a.Add(q.WebhookID)
	}
	rows, err := s.pool.Query(ctx, "SELECT webhook_id, "+start+" AS start, "+sqlutil.StatsSums("::bigint")+
		" FROM webhook_stats WHERE "+where+" GROUP BY webhook_id, start ORDER BY webhook_id, start", a.List...)
	out, err := collect(rows, err, sqlutil.ScanStats)
	return out, wrap("stats", err)
}

// Backlog implements store.Store (index deliveries_claim, which holds pending rows only: migration 0017).
func (s *Store) Backlog(ctx context.Context, accountID string) ([]store.Backlog, error) {
	rows, err := s.pool.Query(ctx, `SELECT webhook_id, count(*), min(created_at) FROM deliveries
		WHERE state = 'pending' AND account_id = $1 GROUP BY webhook_id ORDER BY webhook_id`, accountID)
	out, err := collect(rows, err, sqlutil.ScanBacklog)
	return out, wrap("backlog", err)
}

// upsertStats adds a batch's rollups to webhook_stats in one statement: one
// array per column, unnested into rows (in the order given: sorted, the lock
// order every writer keeps).
var upsertStats = func() string {
	ph := make([]string, sqlutil.StatsWidth)
	for i := range ph {
		typ := "bigint[]"
		if i == 0 {
			typ = "text[]"
		}
		ph[i] = fmt.Sprintf("$%d::%s", i+1, typ)
	}
	return `INSERT INTO webhook_stats (` + sqlutil.StatsColumns + `) SELECT * FROM unnest(` + strings.Join(ph, ", ") +
		`) ON CONFLICT (webhook_id, minute) DO UPDATE SET ` + sqlutil.StatsAdd
}()

// writeRollups runs upsertStats for rs, if any.
func writeRollups(ctx context.Context, tx pgx.Tx, rs []*sqlutil.Rollup) error {
	q, ok := rollupsQuery(rs)
	if !ok {
		return nil
	}
	_, err := tx.Exec(ctx, q.sql, q.args...)
	return err
}

// rollupsQuery is upsertStats for rs, unless there are none (to go in a batch).
func rollupsQuery(rs []*sqlutil.Rollup) (query, bool) {
	if len(rs) == 0 {
		return query{}, false
	}
	accounts := make([]string, len(rs))
	cols := make([][]int64, sqlutil.StatsWidth-1)
	for c := range cols {
		cols[c] = make([]int64, len(rs))
	}
	for i, r := range rs {
		args := r.Args(nil)
		accounts[i] = r.AccountID
		for c := range cols {
			cols[c][i] = args[c+1].(int64)
		}
	}
	args := []any{accounts}
	for _, c := range cols {
		args = append(args, c)
	}
	return query{upsertStats, args}, true
}
