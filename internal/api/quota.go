package api

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// checkWebhookQuota refuses a new webhook once the account has MaxWebhooks:
// every webhook costs the dispatcher a queue and the committer a row per event,
// so one account must not grow them without bound. The caller holds createMu,
// so two creations in this process cannot both take the last place (replicas
// sharing a database may, by one each).
func (a *API) checkWebhookQuota(ctx context.Context, acct string) error {
	hooks, err := a.d.Store.ListWebhooks(ctx, acct, 0, a.d.MaxWebhooks, false)
	if err != nil {
		return fmt.Errorf("count webhooks: %w", err)
	}
	if len(hooks) >= a.d.MaxWebhooks {
		return httpErr(http.StatusConflict,
			"this account already has %d webhooks, the most allowed (--max-webhooks-per-account); delete one first",
			a.d.MaxWebhooks)
	}
	return nil
}

// checkTestRate refuses a test event call beyond TestsPerMinute in any minute
// of the account: each call makes a delivery per webhook, so unbounded calls
// would fill the outbox and the log (issue 13: 81 calls/s made 81,000).
func (a *API) checkTestRate(acct string) error {
	if wait := a.tests.take(acct, a.d.Now()); wait > 0 {
		secs := int((wait + time.Second - 1) / time.Second)
		return &HTTPError{Code: http.StatusTooManyRequests, RetryAfter: secs,
			Message: fmt.Sprintf("at most %d test events a minute per account; retry in %d s", a.d.TestsPerMinute, secs)}
	}
	return nil
}

// windowLimiter allows n events per key in any window of length per: it keeps
// each key's last n times, and an event may happen when the oldest of them is
// a window old.
type windowLimiter struct {
	n   int
	per time.Duration
	mu  sync.Mutex
	m   map[string][]time.Time
}

// take records an event of key at now and returns 0, or, when the key is at
// its limit, records nothing and returns how long until it may.
func (l *windowLimiter) take(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = make(map[string][]time.Time)
	}
	ts := l.m[key]
	if len(ts) >= l.n {
		if wait := ts[0].Add(l.per).Sub(now); wait > 0 {
			return wait
		}
		ts = ts[1:]
	}
	l.m[key] = append(ts, now)
	if len(l.m) > 4096 { // forget keys whose window is over: bounded memory
		for k, v := range l.m {
			if now.Sub(v[len(v)-1]) >= l.per {
				delete(l.m, k)
			}
		}
	}
	return 0
}
