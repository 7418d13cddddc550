package delivery

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/store"
)

// batchOutbox records the size of every FinishAttempts call.
type batchOutbox struct {
	mu      sync.Mutex
	batches []int
}

func (b *batchOutbox) ClaimDeliveries(context.Context, store.Claim) ([]store.ClaimedDelivery, error) {
	return nil, nil
}
func (b *batchOutbox) ReleaseDeliveries(context.Context, string, []int64) error { return nil }
func (b *batchOutbox) FinishAttempts(_ context.Context, rs []store.AttemptResult) []error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.batches = append(b.batches, len(rs))
	return make([]error, len(rs))
}

func (b *batchOutbox) calls() []int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]int(nil), b.batches...)
}

// TestRecordInterval: the recorder takes RecordInterval from its options. The
// first attempt is recorded at once; the two that finish within the interval
// after it (an hour here) wait and share one transaction, recorded when the
// recorder is stopped before the hour is up.
func TestRecordInterval(t *testing.T) {
	st := &batchOutbox{}
	d := New(st, Options{RecordInterval: time.Hour})
	done := make(chan struct{})
	go func() { d.recordLoop(); close(done) }()
	finish := func(id int64) {
		d.finishCh <- finishReq{res: store.AttemptResult{Attempt: store.Attempt{DeliveryID: id}}}
	}
	finish(1)
	waitFor(t, "the first attempt recorded", func() bool { return len(st.calls()) == 1 })
	finish(2)
	finish(3)
	waitFor(t, "the others taken by the recorder", func() bool { return len(d.finishCh) == 0 })
	close(d.finishCh)
	<-done
	if got := fmt.Sprint(st.calls()); got != "[1 2]" {
		t.Fatalf("FinishAttempts batches %s, want [1 2]", got)
	}
}
