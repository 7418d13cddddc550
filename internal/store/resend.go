package store

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Resender is what ResendChunks uses: Store.Resend.
type Resender interface {
	Resend(ctx context.Context, accountID string, ids []int64, q DeliveryQuery, now time.Time) ([]int64, error)
}

// ResendChunks resends what q matches (Store.Resend with no ids: the failed
// or skipped deliveries of the account) in transactions of at most chunk
// deliveries, whatever their number: one transaction for all would hold the
// writer (SQLite's only one) for long, and a list of ids per delivery would
// pass SQLite's bound on a statement's variables. Each chunk takes the newest
// below the last one, so a delivery resent and failed again meanwhile is not
// resent twice. It returns the ids resent, ascending; after an error, the
// chunks before it stay resent.
func ResendChunks(ctx context.Context, s Resender, accountID string, q DeliveryQuery, now time.Time, chunk int) ([]int64, error) {
	var all []int64
	q.Limit = chunk
	for {
		ids, err := s.Resend(ctx, accountID, nil, q, now)
		if err != nil {
			return all, fmt.Errorf("resend after %d: %w", len(all), err)
		}
		all = append(all, ids...)
		if len(ids) < chunk {
			break
		}
		q.BeforeID = ids[0] // ascending: the lowest
	}
	slices.Sort(all)
	return all, nil
}
