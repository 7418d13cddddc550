// Package auth says whose a presented credential is: an account's API secret
// (kept only by its SHA-256) or a service token (the admin and ingest tokens,
// known only by their hashes). The REST API and the dashboard's sign-in both
// ask it, so neither reaches into the other for it and the server wires both
// from one value built before either.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/hookcast/hookcast/internal/httpx"
	"github.com/hookcast/hookcast/internal/store"
)

// ErrUnauthorized is a missing, malformed, unknown or revoked API secret. The
// answer never says which, so secrets cannot be probed.
var ErrUnauthorized = errors.New("missing or invalid API secret")

// HashSecret is how an API secret (or a portal link's token) is kept and looked
// up: its SHA-256. The secret itself is shown once, at creation, and never stored.
func HashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// NewSecret returns a new API secret or token: 32 random bytes, base64url
// without padding, so it can be pasted into a header, a URL or a shell without
// quoting.
func NewSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random bytes: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// SecretStore is what Secrets reads: the account of a live secret's hash
// (store.ErrNotFound when there is none).
type SecretStore interface {
	AccountBySecretHash(ctx context.Context, hash []byte) (string, error)
}

// Secrets maps API secrets to their accounts.
type Secrets struct{ st SecretStore }

// NewSecrets returns the secrets kept in st.
func NewSecrets(st SecretStore) *Secrets { return &Secrets{st: st} }

// Account returns the account of a live API secret. It fails with
// ErrUnauthorized when there is none, and with a wrapped store error
// (store.ErrUnavailable) when the store cannot answer. The lookup is by the
// secret's hash, so the time it takes reveals nothing about any stored secret.
func (s *Secrets) Account(ctx context.Context, secret string) (string, error) {
	if secret == "" {
		return "", ErrUnauthorized
	}
	return s.AccountByHash(ctx, HashSecret(secret))
}

// AccountByHash is Account for a secret known by its hash (HashSecret): a
// dashboard session keeps only that, and asks on every request whether the
// secret it was signed in with is still live.
func (s *Secrets) AccountByHash(ctx context.Context, hash []byte) (string, error) {
	acct, err := s.st.AccountBySecretHash(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		return "", ErrUnauthorized
	}
	if err != nil {
		return "", fmt.Errorf("authenticate: %w", err)
	}
	return acct, nil
}

// Token is a service's bearer token (admin, ingest) known only by its SHA-256.
type Token struct{ hash [32]byte }

// TokenOf is the token given in clear (a flag).
func TokenOf(clear string) Token { return Token{hash: sha256.Sum256([]byte(clear))} }

// TokenFromHash is the token whose SHA-256 is hash (as kept in the store).
func TokenFromHash(hash [32]byte) Token { return Token{hash: hash} }

// Hash is the token's SHA-256, the form it is kept in.
func (t Token) Hash() [32]byte { return t.hash }

// Check is the token's constant-time check of a presented token, for the
// handlers (httpx.HashChecker).
func (t Token) Check() func(presented string) bool { return httpx.HashChecker(t.hash) }
