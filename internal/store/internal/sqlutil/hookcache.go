package sqlutil

import (
	"fmt"
	"sync"

	"github.com/hookcast/hookcast/internal/store"
)

// HookCacheAccounts bounds how many accounts' webhooks a HookCache keeps: the
// accounts that send signals right now fit, and many accounts cannot grow the
// process without end.
const HookCacheAccounts = 4096

// HookCache keeps each account's webhooks with the account's webhooks_version,
// which a trigger on the webhooks table raises on every insert, update and
// delete (migration webhooks_version), whoever makes them, this process or
// another replica. WebhooksFor reads the version, a point read by primary key,
// and reads the webhooks again only when it moved: every group commit used to
// read them again.
//
// A transaction that writes webhooks must not fill the cache (it would keep
// what a rollback undoes): store.Tx has no webhook writes, so the signal path
// cannot.
type HookCache struct {
	mu sync.Mutex
	m  map[string]cachedHooks
}

type cachedHooks struct {
	version int64
	hooks   []store.Webhook // all of the account's, by id
}

// Get returns the account's webhooks of type typ when the cache holds them at
// version.
func (c *HookCache) Get(accountID string, version int64, typ string) ([]store.Webhook, bool, error) {
	c.mu.Lock()
	e, ok := c.m[accountID]
	c.mu.Unlock()
	if !ok || e.version != version {
		return nil, false, nil
	}
	out, err := HooksOfType(e.hooks, typ)
	return out, true, err
}

// Put keeps hooks, all of the account's webhooks, as of version.
func (c *HookCache) Put(accountID string, version int64, hooks []store.Webhook) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]cachedHooks)
	}
	if _, ok := c.m[accountID]; !ok && len(c.m) >= HookCacheAccounts {
		for k := range c.m { // one out, whichever: a miss costs one read
			delete(c.m, k)
			break
		}
	}
	c.m[accountID] = cachedHooks{version: version, hooks: hooks}
}

// HooksOfType returns the webhooks of hooks that have typ enabled, in a new
// slice (callers may keep it).
func HooksOfType(hooks []store.Webhook, typ string) ([]store.Webhook, error) {
	if _, err := HookColumn(typ); err != nil {
		return nil, err
	}
	var out []store.Webhook
	for _, h := range hooks {
		if wants(&h, typ) {
			out = append(out, h)
		}
	}
	return out, nil
}

// wants is HookColumn's switch on a webhook in memory.
func wants(w *store.Webhook, typ string) bool {
	switch typ {
	case "feeds":
		return w.IsFeedHooks
	case "recordings":
		return w.IsRecordingHooks
	case "thumbnail":
		return w.IsThumbnailHooks
	case "transcoder":
		return w.IsTranscoderHooks
	case "media":
		return w.IsMediaHooks
	case "viewerConnection":
		return w.IsViewerConnectionHooks
	case "operational":
		return w.IsOperationalHooks
	}
	panic(fmt.Sprintf("sqlutil: event type %q has a column but no switch", typ))
}
