package sqlutil

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/hookcast/hookcast/internal/store"
)

// CheckResults splits the results FinishAttempts may record (an owner and a known
// state) from the others, which get their error here.
func CheckResults(storeName string, rs []store.AttemptResult) (errs []error, valid []int) {
	errs = make([]error, len(rs))
	for i, f := range rs {
		if f.Owner == "" || !ValidState(f.State) {
			errs[i] = fmt.Errorf("%s: finish attempt: need an owner and a valid state (got %q)", storeName, f.State)
			continue
		}
		valid = append(valid, i)
	}
	return errs, valid
}

// FinishErrors gives every valid result the transaction's error when it failed,
// and wraps each result's own error (a lost lease) otherwise.
func FinishErrors(errs []error, valid []int, txErr error, wrap func(string, error) error) []error {
	for _, i := range valid {
		if txErr != nil {
			errs[i] = wrap("finish attempt", txErr)
		} else if errs[i] != nil {
			errs[i] = wrap("finish attempt", errs[i])
		}
	}
	return errs
}

// AttemptAt is when the attempt happened: its time, or now when unset.
func AttemptAt(f store.AttemptResult) time.Time {
	if f.Attempt.At.IsZero() {
		return Now()
	}
	return f.Attempt.At
}

// WebhookEffect is what a batch of attempt results does to one webhook.
type WebhookEffect struct {
	ID      int64
	Reset   bool // a success: the failure count restarts from the failures after it
	N       int  // failures after the last success (or all of them, without one)
	Disable bool
	Until   time.Time
	Reason  string
}

// WebhookEffects gathers a batch's effects, so each webhook is written once.
type WebhookEffects map[int64]*WebhookEffect

// Add folds in one recorded result of webhook id, in the order of the batch.
func (m WebhookEffects) Add(id int64, f store.AttemptResult) {
	e := m[id]
	if e == nil {
		e = &WebhookEffect{ID: id}
		m[id] = e
	}
	if f.Attempt.N > 0 {
		switch {
		case f.Success:
			e.Reset, e.N = true, 0
		case !f.Throttled: // a receiver asking to wait is not failing
			e.N++
		}
	}
	if f.Disable {
		e.Disable, e.Until, e.Reason = true, f.DisableUntil, f.DisableReason
	}
}

// Sorted lists the effects by webhook id: the lock order every writer keeps, so
// replicas recording attempts for the same webhooks cannot deadlock.
func (m WebhookEffects) Sorted() []*WebhookEffect {
	out := make([]*WebhookEffect, 0, len(m))
	for _, e := range m {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b *WebhookEffect) int { return cmp.Compare(a.ID, b.ID) })
	return out
}
