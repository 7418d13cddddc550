package storetest

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/store"
)

// testPortalTokens: a token is taken once, never after it expires; an unknown
// account or a hash kept already is refused; making a token clears expired ones.
func testPortalTokens(t *testing.T, s store.Store) {
	c := ctx(t)
	newAccount(t, s, "A")
	tok := func(b byte, ro bool, ttl time.Duration) store.PortalToken {
		return store.PortalToken{Hash: bytes.Repeat([]byte{b}, 32), AccountID: "A", ReadOnly: ro, CreatedAt: t0, ExpiresAt: t0.Add(ttl)}
	}
	must(t, s.CreatePortalToken(c, tok(1, true, time.Hour)))
	wantErr(t, s.CreatePortalToken(c, tok(1, false, time.Hour)), store.ErrConflict)
	bad := tok(2, false, time.Hour)
	bad.AccountID = "nobody"
	wantErr(t, s.CreatePortalToken(c, bad), store.ErrNotFound)

	// Two at once: exactly one gets it.
	var wg sync.WaitGroup
	got := make([]store.PortalToken, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Go(func() { got[i], errs[i] = s.TakePortalToken(c, tok(1, true, 0).Hash, t0.Add(time.Minute)) })
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Fatalf("two takes of one token: %v, %v (want one success)", errs[0], errs[1])
	}
	won := got[0]
	if errs[0] != nil {
		won = got[1]
		wantErr(t, errs[0], store.ErrNotFound)
	}
	if won.AccountID != "A" || !won.ReadOnly || !won.ExpiresAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("taken token = %+v", won)
	}

	// Expired when taken: refused.
	must(t, s.CreatePortalToken(c, tok(3, false, time.Minute)))
	_, err := s.TakePortalToken(c, tok(3, false, 0).Hash, t0.Add(time.Minute))
	wantErr(t, err, store.ErrNotFound)

	// Expired tokens are cleared when another is made.
	must(t, s.CreatePortalToken(c, tok(4, false, time.Minute)))
	later := tok(5, false, time.Hour)
	later.CreatedAt = t0.Add(2 * time.Minute)
	must(t, s.CreatePortalToken(c, later))
	_, err = s.TakePortalToken(c, tok(4, false, 0).Hash, t0)
	wantErr(t, err, store.ErrNotFound)
	if _, err := s.TakePortalToken(c, later.Hash, t0.Add(3*time.Minute)); err != nil {
		t.Fatalf("a live token: %v", err)
	}
}
