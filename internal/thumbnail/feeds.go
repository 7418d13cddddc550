package thumbnail

import (
	"context"
	"fmt"

	"github.com/hookcast/hookcast/internal/engine"
	"github.com/hookcast/hookcast/internal/store"
)

// AccountLister lists accounts; store.Store implements it.
type AccountLister interface {
	ListAccounts(ctx context.Context) ([]store.Account, error)
}

// FeedsFrom builds Options.LiveFeeds from the stream states: streams lists an
// account's streams (the committer's Streams), accounts lists every account for the
// periodic captures.
func FeedsFrom(accounts AccountLister, streams func(ctx context.Context, accountID string) ([]engine.StreamView, error)) func(ctx context.Context, accountID string) ([]Feed, error) {
	return func(ctx context.Context, accountID string) ([]Feed, error) {
		ids := []string{accountID}
		if accountID == "" {
			accs, err := accounts.ListAccounts(ctx)
			if err != nil {
				return nil, fmt.Errorf("list accounts: %w", err)
			}
			ids = ids[:0]
			for _, a := range accs {
				ids = append(ids, a.ID)
			}
		}
		var out []Feed
		for _, id := range ids {
			views, err := streams(ctx, id)
			if err != nil {
				return nil, fmt.Errorf("list streams of %s: %w", id, err)
			}
			for _, v := range views {
				for _, f := range v.Feeds {
					out = append(out, Feed{AccountID: v.AccountID, Name: v.Name, FeedID: f.FeedID, Started: f.Started})
				}
			}
		}
		return out, nil
	}
}
