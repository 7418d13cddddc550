package sqlutil

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hookcast/hookcast/internal/store"
)

// StatsColumns are the columns of webhook_stats in the order Rollup.Args gives
// them: the key, the four outcomes, then the latency histogram l0 … l11.
var StatsColumns = "account_id, webhook_id, minute, succeeded, failed, retried, skipped, " + latencyColumns("")

// StatsWidth is the number of StatsColumns.
const StatsWidth = 7 + store.LatencyBuckets

// StatsSums is the select list of a Stats query after the webhook and the start:
// the sums of the counters, in StatsRow's order, each followed by cast
// (PostgreSQL's sum of bigints is a numeric: "::bigint").
func StatsSums(cast string) string {
	cols := strings.Split("succeeded, failed, retried, skipped, "+latencyColumns(""), ", ")
	for i, c := range cols {
		cols[i] = "sum(" + c + ")" + cast
	}
	return strings.Join(cols, ", ")
}

// StatsAdd is the SET list of the upsert: every counter grows by the new row's.
var StatsAdd = func() string {
	cols := strings.Split("succeeded, failed, retried, skipped, "+latencyColumns(""), ", ")
	for i, c := range cols {
		cols[i] = fmt.Sprintf("%s = webhook_stats.%s + excluded.%s", c, c, c)
	}
	return strings.Join(cols, ", ")
}()

func latencyColumns(prefix string) string {
	cols := make([]string, store.LatencyBuckets)
	for i := range cols {
		cols[i] = fmt.Sprintf("%sl%d", prefix, i)
	}
	return strings.Join(cols, ", ")
}

// Minute is the rollup minute of t: whole minutes since the epoch.
func Minute(t time.Time) int64 { return t.Unix() / 60 }

// RollupKey is one rollup row: a webhook's minute.
type RollupKey struct {
	WebhookID int64
	Minute    int64
}

// Rollup is what a batch adds to one rollup row.
type Rollup struct {
	RollupKey
	AccountID string
	Outcomes  [4]int64 // succeeded, failed, retried, skipped
	Latency   [store.LatencyBuckets]int64
}

// Args appends the row's values in StatsColumns order.
func (r *Rollup) Args(args []any) []any {
	args = append(args, r.AccountID, r.WebhookID, r.Minute, r.Outcomes[0], r.Outcomes[1], r.Outcomes[2], r.Outcomes[3])
	for _, n := range r.Latency {
		args = append(args, n)
	}
	return args
}

// Rollups gathers a batch's results per webhook and minute, so each rollup row
// is written once per transaction.
type Rollups map[RollupKey]*Rollup

// Add folds in one recorded result of a delivery of account's webhook.
func (m Rollups) Add(account string, webhook int64, f store.AttemptResult) {
	k := RollupKey{WebhookID: webhook, Minute: Minute(AttemptAt(f))}
	r := m[k]
	if r == nil {
		r = &Rollup{RollupKey: k, AccountID: account}
		m[k] = r
	}
	switch f.State {
	case store.DeliverySucceeded:
		r.Outcomes[0]++
	case store.DeliveryFailed:
		r.Outcomes[1]++
	case store.DeliveryPending:
		r.Outcomes[2]++
	case store.DeliverySkipped:
		r.Outcomes[3]++
	}
	if f.Attempt.N > 0 {
		r.Latency[store.LatencyBucket(f.Attempt.Latency)]++
	}
}

// Sorted lists the rows by webhook and minute: the lock order of every writer,
// so replicas adding to the same rows cannot deadlock.
func (m Rollups) Sorted() []*Rollup {
	out := make([]*Rollup, 0, len(m))
	for _, r := range m {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b *Rollup) int {
		return cmp.Or(cmp.Compare(a.WebhookID, b.WebhookID), cmp.Compare(a.Minute, b.Minute))
	})
	return out
}

// StatsSpan checks a StatsQuery and returns its first minute, its end (exclusive)
// and its step, in minutes.
func StatsSpan(q store.StatsQuery) (from, to, step int64, err error) {
	step = int64(q.Step / time.Minute)
	from, to = Minute(q.From), Minute(q.To)
	if q.AccountID == "" || step < 1 || q.Step%time.Minute != 0 || to < from {
		return 0, 0, 0, fmt.Errorf("stats: need an account, a step of whole minutes and From <= To (got %v, %v … %v)", q.Step, q.From, q.To)
	}
	return from, to, step, nil
}

// ScanStats reads a row of webhook id, start minute, then StatsSums.
func ScanStats(s Scanner) (store.StatsRow, error) {
	var r store.StatsRow
	var start int64
	dest := []any{&r.WebhookID, &start, &r.Succeeded, &r.Failed, &r.Retried, &r.Skipped}
	for i := range r.Latency {
		dest = append(dest, &r.Latency[i])
	}
	err := s.Scan(dest...)
	r.Start = time.Unix(start*60, 0).UTC()
	return r, err
}

// ScanBacklog reads webhook id, pending count, oldest creation (µs).
func ScanBacklog(s Scanner) (store.Backlog, error) {
	var b store.Backlog
	var oldest int64
	err := s.Scan(&b.WebhookID, &b.Pending, &oldest)
	b.Oldest = Time(oldest)
	return b, err
}
