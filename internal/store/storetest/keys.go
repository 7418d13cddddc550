package storetest

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/store"
)

// claimKeys claims keys at at in a transaction of their own (abort: rolled back).
func claimKeys(t *testing.T, s store.Store, at, notBefore time.Time, abort bool, keys ...string) []store.KeyClaim {
	t.Helper()
	var got []store.KeyClaim
	errAbort := errors.New("abort")
	err := s.InTx(ctx(t), func(tx store.Tx) error {
		var err error
		if got, err = tx.ClaimKeys(ctx(t), keys, at, notBefore); err != nil {
			return err
		}
		for i, k := range keys {
			if got[i].Fresh {
				if err := tx.SetKeyResult(ctx(t), k, []byte("result of "+k)); err != nil {
					return err
				}
			}
		}
		if abort {
			return errAbort
		}
		return nil
	})
	if !abort {
		must(t, err)
	} else if !errors.Is(err, errAbort) {
		t.Fatalf("aborted transaction: %v", err)
	}
	return got
}

func fresh(cs []store.KeyClaim) []bool {
	out := make([]bool, len(cs))
	for i, c := range cs {
		out[i] = c.Fresh
	}
	return out
}

// testClaimKeys: a key is fresh once within its window, the repeat finds what
// the first stored; a rolled-back claim leaves nothing; past the window a key is
// fresh again; Prune removes keys older than KeysBefore.
func testClaimKeys(t *testing.T, s store.Store) {
	got := claimKeys(t, s, t0, t0.Add(-time.Hour), false, "a", "b", "a")
	if w := []bool{true, true, false}; !slices.Equal(fresh(got), w) {
		t.Fatalf("first claim fresh = %v, want %v", fresh(got), w)
	}
	if got[2].Result != nil {
		t.Fatalf("a key repeated in one claim carries result %q before it was set", got[2].Result)
	}
	got = claimKeys(t, s, t0.Add(time.Minute), t0.Add(-time.Hour), true, "a", "c")
	if w := []bool{false, true}; !slices.Equal(fresh(got), w) || !bytes.Equal(got[0].Result, []byte("result of a")) {
		t.Fatalf("second claim = %+v, want a seen with its result, c fresh", got)
	}
	// c's claim was rolled back: fresh again.
	got = claimKeys(t, s, t0.Add(time.Minute), t0.Add(-time.Hour), false, "c")
	if !got[0].Fresh {
		t.Fatal("a key whose claim was rolled back is not fresh")
	}
	// Past its window, a is fresh again and recorded anew.
	got = claimKeys(t, s, t0.Add(2*time.Hour), t0.Add(time.Hour), false, "a", "b")
	if w := []bool{true, true}; !slices.Equal(fresh(got), w) {
		t.Fatalf("claim past the window fresh = %v, want %v", fresh(got), w)
	}
	r, err := s.Prune(ctx(t), store.PruneBatch{KeysBefore: t0.Add(time.Hour)})
	must(t, err)
	if r.Keys != 1 { // c, recorded at t0+1m; a and b were recorded anew at t0+2h
		t.Fatalf("Prune removed %d keys, want 1", r.Keys)
	}
	got = claimKeys(t, s, t0.Add(2*time.Hour), t0, false, "a", "c")
	if w := []bool{false, true}; !slices.Equal(fresh(got), w) {
		t.Fatalf("after prune fresh = %v, want %v", fresh(got), w)
	}
}
