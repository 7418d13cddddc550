package sqlite

import (
	"context"

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
	a := sqlutil.Args{}
	start := "(minute - " + a.Add(from) + ") / " + a.Add(step) + " * " + a.Add(step) + " + " + a.Add(from)
	where := "account_id = " + a.Add(q.AccountID) + " AND minute >= " + a.Add(from) + " AND minute < " + a.Add(to)
	if q.WebhookID != 0 {
		where += " AND webhook_id = " + a.Add(q.WebhookID)
	}
	rows, err := s.read.QueryContext(ctx, "SELECT webhook_id, "+start+" AS start, "+sqlutil.StatsSums("")+
		" FROM webhook_stats WHERE "+where+" GROUP BY webhook_id, start ORDER BY webhook_id, start", a.List...)
	out, err := collect(rows, err, sqlutil.ScanStats)
	return out, wrap("stats", err)
}

// Backlog implements store.Store (index deliveries_claim, which holds pending rows only: migration 0019).
func (s *Store) Backlog(ctx context.Context, accountID string) ([]store.Backlog, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT webhook_id, count(*), min(created_at) FROM deliveries
		WHERE state = 'pending' AND account_id = ? GROUP BY webhook_id ORDER BY webhook_id`, accountID)
	out, err := collect(rows, err, sqlutil.ScanBacklog)
	return out, wrap("backlog", err)
}
