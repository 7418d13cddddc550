package server

import (
	"context"
	"errors"
	"sync"

	"github.com/hookcast/hookcast/internal/store"
)

// accountCache answers "does this account exist" for every ingest request without
// a query each time. Only positive answers are kept: accounts are not deleted, and
// one created on another replica is found on the next miss.
type accountCache struct {
	st   store.Store
	mu   sync.RWMutex
	seen map[string]bool
}

func newAccountCache(st store.Store) *accountCache {
	return &accountCache{st: st, seen: map[string]bool{}}
}

func (c *accountCache) AccountExists(ctx context.Context, id string) (bool, error) {
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
		return false, err
	}
	c.mu.Lock()
	c.seen[id] = true
	c.mu.Unlock()
	return true, nil
}
