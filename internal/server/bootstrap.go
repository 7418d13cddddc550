package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

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

// token is a bearer token known only by its hash, compared in constant time.
type token struct{ hash [32]byte }

func (t token) check(presented string) bool {
	h := sha256.Sum256([]byte(presented))
	return subtle.ConstantTimeCompare(h[:], t.hash[:]) == 1
}

// bootstrap makes sure the store has a default account and both tokens. A token
// given in the configuration replaces the kept one; an absent one is generated once
// and kept, so media servers configured with it keep working across restarts.
// Several replicas starting at once agree through SetMetaIfAbsent.
func bootstrap(ctx context.Context, st store.Store, c Config, now time.Time) (Firsts, string, token, token, error) {
	var f Firsts
	admin, gen, err := keepToken(ctx, st, metaAdminToken, c.AdminToken)
	if err != nil {
		return f, "", token{}, token{}, err
	}
	f.AdminToken = gen
	ingest, gen, err := keepToken(ctx, st, metaIngestToken, c.IngestToken)
	if err != nil {
		return f, "", token{}, token{}, err
	}
	f.IngestToken = gen

	def, err := st.GetMeta(ctx, metaDefaultAccount)
	if err == nil {
		return f, def, admin, ingest, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return f, "", token{}, token{}, fmt.Errorf("read default account: %w", err)
	}
	id, secret, err := CreateAccount(ctx, st, "", "default", now)
	if err != nil {
		return f, "", token{}, token{}, err
	}
	kept, err := st.SetMetaIfAbsent(ctx, metaDefaultAccount, id)
	if err != nil {
		return f, "", token{}, token{}, fmt.Errorf("keep default account: %w", err)
	}
	if kept == id {
		f.AccountID, f.APISecret = id, secret
	}
	return f, kept, admin, ingest, nil
}

func keepToken(ctx context.Context, st store.Store, key, given string) (token, string, error) {
	var t token
	if given != "" {
		t.hash = sha256.Sum256([]byte(given))
		if err := st.SetMeta(ctx, key, hex.EncodeToString(t.hash[:])); err != nil {
			return t, "", fmt.Errorf("keep %s: %w", key, err)
		}
		return t, "", nil
	}
	gen := randomToken()
	h := sha256.Sum256([]byte(gen))
	kept, err := st.SetMetaIfAbsent(ctx, key, hex.EncodeToString(h[:]))
	if err != nil {
		return t, "", fmt.Errorf("keep %s: %w", key, err)
	}
	b, err := hex.DecodeString(kept)
	if err != nil || len(b) != 32 {
		return t, "", fmt.Errorf("stored %s is corrupt", key)
	}
	copy(t.hash[:], b)
	if kept != hex.EncodeToString(h[:]) {
		gen = "" // another start generated it first; it was shown there
	}
	return t, gen, nil
}

func randomToken() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// accountAlphabet makes ids like Millicast's ("ZG6NWV").
const accountAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// NewAccountID returns a random 6-character account id.
func NewAccountID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	var sb strings.Builder
	for _, c := range b {
		sb.WriteByte(accountAlphabet[int(c)%len(accountAlphabet)])
	}
	return sb.String()
}

// CreateAccount creates an account (id generated when empty) with a first API
// secret, and returns the id and the secret, which is stored only as a hash.
func CreateAccount(ctx context.Context, st store.Store, id, name string, now time.Time) (string, string, error) {
	if id == "" {
		id = NewAccountID()
	}
	if err := st.CreateAccount(ctx, store.Account{ID: id, Name: name, CreatedAt: now}); err != nil {
		return "", "", fmt.Errorf("create account %s: %w", id, err)
	}
	secret := randomToken()
	h := sha256.Sum256([]byte(secret))
	if _, err := st.AddAPISecret(ctx, id, h[:], "first"); err != nil {
		return "", "", fmt.Errorf("add API secret to %s: %w", id, err)
	}
	return id, secret, nil
}

// ValidAccountID checks an account id as the ingest API does: 1–64 letters,
// digits, '_', '-' or '.'.
func ValidAccountID(id string) error {
	if len(id) == 0 || len(id) > 64 {
		return fmt.Errorf("must be 1-64 characters")
	}
	for _, c := range []byte(id) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'
		if !ok {
			return fmt.Errorf("must be letters, digits, '_', '-' or '.'")
		}
	}
	return nil
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
