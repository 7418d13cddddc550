package dashboard

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// Sign-in attempts per client address: a bucket of loginBurst attempts refilled
// one every loginRefill. A successful sign-in gives its attempt back, so only
// failures count. API secrets are 256-bit random, so this is not what keeps them
// safe; it keeps a script from hammering the store and the logs.
const (
	loginBurst    = 10
	loginRefill   = 3 * time.Second
	maxLoginPeers = 10000 // addresses remembered before idle ones are forgotten
)

type loginLimiter struct {
	now func() time.Time
	mu  sync.Mutex
	m   map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLoginLimiter(now func() time.Time) *loginLimiter {
	return &loginLimiter{now: now, m: make(map[string]*bucket)}
}

// take uses one attempt of key; when none is left it says how long to wait.
func (l *loginLimiter) take(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.m[key]
	if b == nil {
		if len(l.m) >= maxLoginPeers {
			l.prune(now)
		}
		b = &bucket{tokens: loginBurst, at: now}
		l.m[key] = b
	}
	l.refill(b, now)
	if b.tokens < 1 {
		wait := time.Duration((1 - b.tokens) * float64(loginRefill))
		return false, wait
	}
	b.tokens--
	return true, 0
}

// giveBack returns the attempt of a successful sign-in.
func (l *loginLimiter) giveBack(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b := l.m[key]; b != nil {
		b.tokens = min(b.tokens+1, loginBurst)
	}
}

func (l *loginLimiter) refill(b *bucket, now time.Time) {
	if el := now.Sub(b.at); el > 0 {
		b.tokens = min(loginBurst, b.tokens+float64(el)/float64(loginRefill))
		b.at = now
	}
}

// prune forgets addresses whose bucket is full again (they lose nothing); if all
// are still limited, it forgets them all rather than grow without bound.
func (l *loginLimiter) prune(now time.Time) {
	for k, b := range l.m {
		if l.refill(b, now); b.tokens >= loginBurst {
			delete(l.m, k)
		}
	}
	if len(l.m) >= maxLoginPeers {
		clear(l.m)
	}
}

// clientAddr is the peer's IP. Behind a reverse proxy every client shares the
// proxy's address, and so its bucket: acceptable for a limit this light.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
