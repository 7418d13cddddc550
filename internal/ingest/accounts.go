package ingest

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/hookcast/hookcast/internal/store"
)

// AccountStore is what AccountCache reads.
type AccountStore interface {
	GetAccount(ctx context.Context, id string) (store.Account, error)
}

// AccountCache is the Accounts of a running service: it answers "does this
// account exist" for every ingest request without a query each time. Only
// positive answers are kept: accounts are not deleted, and one created on
// another replica is found on the next miss. It lives beside the handler that
// asks, its only user.
type AccountCache struct {
	st   AccountStore
	mu   sync.RWMutex
	seen map[string]bool
}

// NewAccountCache returns an empty cache over st.
func NewAccountCache(st AccountStore) *AccountCache {
	return &AccountCache{st: st, seen: map[string]bool{}}
}

// AccountExists reports whether the account exists (Accounts).
func (c *AccountCache) AccountExists(ctx context.Context, id string) (bool, error) {
	c.mu.RLock()
	ok := c.seen[id]
	c.mu.RUnlock()
	if ok {
		return true, nil
	}
	_, err := c.st.GetAccount(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look up account %s: %w", id, err)
	}
	c.mu.Lock()
	c.seen[id] = true
	c.mu.Unlock()
	return true, nil
}
