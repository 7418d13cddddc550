package delivery

import (
	"log/slog"
	"sync"
	"time"

	"github.com/hookcast/hookcast/internal/store"
)

const (
	// failLogEvery is how often a failing webhook is logged at most: a receiver
	// that is down makes every delivery fail, and retries for a day.
	failLogEvery = time.Minute
	// failLogMax bounds the webhooks remembered at once (about 50 bytes each);
	// failing webhooks beyond it are counted together in one line per minute.
	failLogMax = 10000
)

// failureLog logs failed attempts at warn, with their reason, at most once per
// webhook per failLogEvery: the operator sees that deliveries fail and why
// without a line per attempt. Each line says how many failures of the webhook
// were left out since its previous one.
type failureLog struct {
	mu      sync.Mutex
	hooks   map[int64]failLine // webhook id → its last line
	sweptAt time.Time
	// Failures of webhooks not remembered (the map was full), and when they
	// were last reported.
	others     int
	othersAt   time.Time
	othersSeen bool
}

type failLine struct {
	at      time.Time
	skipped int // failures not logged since at
}

// failed reports a failed attempt of a delivery to wh at now; dec is its fate.
func (l *failureLog) failed(log *slog.Logger, wh *store.Webhook, attempt int, dec Decision, now time.Time) {
	l.mu.Lock()
	if l.hooks == nil {
		l.hooks = make(map[int64]failLine)
	}
	last, known := l.hooks[wh.ID]
	if known && now.Sub(last.at) < failLogEvery {
		last.skipped++
		l.hooks[wh.ID] = last
		l.mu.Unlock()
		return
	}
	if !known && len(l.hooks) >= failLogMax {
		l.sweep(now)
	}
	if !known && len(l.hooks) >= failLogMax {
		l.others++
		if l.othersSeen && now.Sub(l.othersAt) < failLogEvery {
			l.mu.Unlock()
			return
		}
		n := l.others
		l.others, l.othersAt, l.othersSeen = 0, now, true
		l.mu.Unlock()
		log.Warn("delivery: attempts failing at more webhooks than are logged one by one", "failures", n)
		return
	}
	l.hooks[wh.ID] = failLine{at: now}
	l.mu.Unlock()

	then := "given up"
	if dec.State == store.DeliveryPending {
		then = "retry at " + dec.NextAttemptAt.UTC().Format(time.RFC3339)
	}
	log.Warn("delivery: attempt failed", "webhook", wh.ID, "account", wh.AccountID, "reason", dec.Reason,
		"attempt", attempt, "then", then, "failuresNotLogged", last.skipped)
}

// sweep forgets webhooks whose last line is older than failLogEvery (their next
// failure is logged anyway), at most once a second: with the map full of recent
// lines, a sweep per failure would cost O(map) each.
func (l *failureLog) sweep(now time.Time) {
	if now.Sub(l.sweptAt) < time.Second {
		return
	}
	l.sweptAt = now
	for id, line := range l.hooks {
		if now.Sub(line.at) >= failLogEvery {
			delete(l.hooks, id)
		}
	}
}
