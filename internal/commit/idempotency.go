package commit

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/hookcast/hookcast/internal/engine"
	"github.com/hookcast/hookcast/internal/store"
)

// Outcome is what one committed request did: the answer its caller gets, and
// a replay of it (same Idempotency-Key within the window) gets again.
type Outcome struct {
	Accepted int `json:"accepted"` // signals taken (repeats included: they were taken the first time)
	Events   int `json:"events"`   // webhook events they made
	// Replayed is set when the request's key was seen before: nothing was
	// applied, and Accepted and Events are the first request's.
	Replayed bool `json:"-"`
}

// requestKey is the stored key of an Idempotency-Key: hashed, so any length
// and character set costs the same row, and prefixed so it cannot meet a
// signal's key.
func requestKey(k string) string { return "r:" + digest(k) }

// signalKey is the stored key that makes a signal a repeat of an earlier one:
// its id when it carries one (per account); for a media or transcoder signal
// without id, its content — the same asset (or transcoder), event and time is
// the same callback sent again. Without an id or a time there is nothing to
// tell a retry from a new signal, and the signal is not de-duplicated ("").
func signalKey(s *engine.Signal) string {
	if s.ID != "" {
		return "s:" + digest(s.AccountID, s.ID)
	}
	switch s.Kind {
	case engine.MediaUpdated:
		if s.At != 0 || s.StartTime != 0 {
			return "c:" + digest(string(s.Kind), s.AccountID, s.MediaAssetID, s.Type, s.Event,
				strconv.FormatInt(s.At, 10), strconv.FormatInt(s.StartTime, 10))
		}
	case engine.TranscoderUpdated:
		if s.At != 0 {
			return "c:" + digest(string(s.Kind), s.AccountID, s.TranscoderID, s.Event, strconv.FormatInt(s.At, 10))
		}
	}
	return ""
}

func digest(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(strconv.Itoa(len(p))))
		h.Write([]byte{':'})
		h.Write([]byte(p))
	}
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// dedup claims the group's keys in tx, first the requests' (a replayed request
// is skipped whole, its first answer found), then the signals' of the others
// (a repeated signal is skipped). It fills res.outcomes for replays and
// returns which signals to skip.
func (p *Committer) dedup(ctx context.Context, tx store.Tx, group []*request, res *result) (map[*request][]bool, error) {
	if p.opts.IdempotencyWindow <= 0 {
		return nil, nil
	}
	now := p.opts.Now()
	notBefore := now.Add(-p.opts.IdempotencyWindow)
	var keys []string
	var keyed []*request
	for _, r := range group {
		if r.key != "" {
			keys = append(keys, requestKey(r.key))
			keyed = append(keyed, r)
		}
	}
	res.replayed = map[*request]bool{}
	if len(keys) > 0 {
		claims, err := tx.ClaimKeys(ctx, keys, now, notBefore)
		if err != nil {
			return nil, fmt.Errorf("idempotency keys: %w", err)
		}
		first := map[string]*request{}
		for i, r := range keyed {
			switch {
			case claims[i].Fresh:
				first[keys[i]] = r
			case claims[i].Result != nil:
				var o Outcome
				if err := json.Unmarshal(claims[i].Result, &o); err != nil {
					return nil, fmt.Errorf("stored answer of an idempotency key: %w", err)
				}
				o.Replayed = true
				res.replayed[r] = true
				res.outcomes[r] = o
			default:
				// Claimed earlier in this group: answered like that request
				// once it has its outcome (finishOutcomes).
				res.replayed[r] = true
				res.sameAs[r] = first[keys[i]]
			}
		}
	}
	keys = keys[:0]
	type at struct {
		r *request
		i int
	}
	var where []at
	for _, r := range group {
		if res.replayed[r] {
			continue
		}
		for i := range r.sigs {
			if k := signalKey(&r.sigs[i]); k != "" {
				keys = append(keys, k)
				where = append(where, at{r, i})
			}
		}
	}
	if len(keys) == 0 {
		return nil, nil
	}
	claims, err := tx.ClaimKeys(ctx, keys, now, notBefore)
	if err != nil {
		return nil, fmt.Errorf("signal keys: %w", err)
	}
	skip := map[*request][]bool{}
	for j, w := range where {
		if claims[j].Fresh {
			continue
		}
		if skip[w.r] == nil {
			skip[w.r] = make([]bool, len(w.r.sigs))
		}
		skip[w.r][w.i] = true
	}
	return skip, nil
}

// finishOutcomes stores the answer of each keyed request that was applied, and
// gives requests replayed within the group their first's answer.
func (p *Committer) finishOutcomes(ctx context.Context, tx store.Tx, group []*request, res *result) error {
	for _, r := range group {
		if r.key == "" || res.replayed[r] {
			continue
		}
		b, err := json.Marshal(res.outcomes[r])
		if err != nil {
			return err
		}
		if err := tx.SetKeyResult(ctx, requestKey(r.key), b); err != nil {
			return fmt.Errorf("idempotency key: %w", err)
		}
	}
	for r, first := range res.sameAs {
		o := res.outcomes[first]
		o.Replayed = true
		res.outcomes[r] = o
	}
	return nil
}
