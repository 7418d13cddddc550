package server

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/hookcast/hookcast/internal/api"
	"github.com/hookcast/hookcast/internal/auth"
	"github.com/hookcast/hookcast/internal/store"
)

// Meta keys kept in the store.
const (
	metaDefaultAccount = "default_account"
	metaAdminToken     = "admin_token_sha256"
	metaIngestToken    = "ingest_token_sha256"
)

// Firsts is what a first start generated and must show the user once.
type Firsts struct {
	AccountID   string // the default account, created now ("" when it existed)
	APISecret   string
	AdminToken  string // generated now ("" when given or kept from before)
	IngestToken string
}

// bootstrap makes sure the store has a default account and both tokens. A token
// given in the configuration replaces the kept one; an absent one is generated once
// and kept, so media servers configured with it keep working across restarts.
// Several replicas starting at once agree through SetMetaIfAbsent.
func bootstrap(ctx context.Context, st store.Store, c Config, now time.Time) (Firsts, string, auth.Token, auth.Token, error) {
	var f Firsts
	admin, gen, err := keepToken(ctx, st, metaAdminToken, c.AdminToken)
	if err != nil {
		return f, "", auth.Token{}, auth.Token{}, err
	}
	f.AdminToken = gen
	ingest, gen, err := keepToken(ctx, st, metaIngestToken, c.IngestToken)
	if err != nil {
		return f, "", auth.Token{}, auth.Token{}, err
	}
	f.IngestToken = gen

	def, err := st.GetMeta(ctx, metaDefaultAccount)
	if err == nil {
		return f, def, admin, ingest, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return f, "", auth.Token{}, auth.Token{}, fmt.Errorf("read default account: %w", err)
	}
	na, err := api.CreateAccount(ctx, st, store.Account{Name: "default", CreatedAt: now})
	if err != nil {
		return f, "", auth.Token{}, auth.Token{}, err
	}
	id, secret := na.ID, na.APISecret
	kept, err := st.SetMetaIfAbsent(ctx, metaDefaultAccount, id)
	if err != nil {
		return f, "", auth.Token{}, auth.Token{}, fmt.Errorf("keep default account: %w", err)
	}
	if kept == id {
		f.AccountID, f.APISecret = id, secret
	}
	return f, kept, admin, ingest, nil
}

func keepToken(ctx context.Context, st store.Store, key, given string) (auth.Token, string, error) {
	if given != "" {
		t := auth.TokenOf(given)
		h := t.Hash()
		if err := st.SetMeta(ctx, key, hex.EncodeToString(h[:])); err != nil {
			return auth.Token{}, "", fmt.Errorf("keep %s: %w", key, err)
		}
		return t, "", nil
	}
	gen, err := auth.NewSecret()
	if err != nil {
		return auth.Token{}, "", err
	}
	h := auth.TokenOf(gen).Hash()
	kept, err := st.SetMetaIfAbsent(ctx, key, hex.EncodeToString(h[:]))
	if err != nil {
		return auth.Token{}, "", fmt.Errorf("keep %s: %w", key, err)
	}
	b, err := hex.DecodeString(kept)
	if err != nil || len(b) != len(h) {
		return auth.Token{}, "", fmt.Errorf("stored %s is corrupt", key)
	}
	if kept != hex.EncodeToString(h[:]) {
		gen = "" // another start generated it first; it was shown there
	}
	return auth.TokenFromHash([32]byte(b)), gen, nil
}

// sessionKey is the key that signs dashboard session cookies: random on the first
// start and kept in the store, so every replica accepts every session.
func sessionKey(ctx context.Context, st store.Store) ([]byte, error) {
	var b [32]byte
	_, _ = rand.Read(b[:])
	kept, err := st.SetMetaIfAbsent(ctx, "session_key", base64.StdEncoding.EncodeToString(b[:]))
	if err != nil {
		return nil, fmt.Errorf("keep session key: %w", err)
	}
	key, err := base64.StdEncoding.DecodeString(kept)
	if err != nil || len(key) < 32 {
		return nil, fmt.Errorf("stored session key is corrupt")
	}
	return key, nil
}
