package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"

	"github.com/hookcast/hookcast/internal/httpx"
	"github.com/hookcast/hookcast/internal/store"
)

// HashSecret is how an API secret is kept and looked up: its SHA-256. The secret
// itself is shown once, at creation, and never stored.
func HashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// NewSecret returns a new API secret: 32 random bytes, base64url without padding,
// so it can be pasted into a header, a URL or a shell without quoting.
func NewSecret() (string, error) {
	b, err := randomBytes(32)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// NewWebhookSecret returns a new webhook signing secret: 32 random bytes in standard
// base64, the form Millicast shows and receivers base64-decode into the HMAC key
// (events.md §1).
func NewWebhookSecret() (string, error) {
	b, err := randomBytes(32)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

func randomBytes(n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("random bytes: %w", err)
	}
	return b, nil
}

// Authenticate returns the account whose live API secret r presents as a bearer
// token. It fails with ErrUnauthorized when there is none, and with a wrapped
// store error (store.ErrUnavailable) when the store cannot answer.
func (a *API) Authenticate(r *http.Request) (string, error) {
	tok := httpx.BearerToken(r)
	if tok == "" {
		// No bearer token: a signed-in dashboard session may stand for it.
		if a.d.Session != nil {
			if acct, readOnly, ok := a.d.Session(r); ok {
				if readOnly && r.Method != http.MethodGet && r.Method != http.MethodHead {
					return "", httpErr(http.StatusForbidden, "this dashboard was opened read-only: changes are refused")
				}
				return acct, nil
			}
		}
		if a.d.SessionRefusal != nil {
			if why := a.d.SessionRefusal(r); why != "" {
				return "", httpErr(http.StatusUnauthorized, "%s", why)
			}
		}
		return "", ErrUnauthorized
	}
	return a.AuthenticateSecret(r.Context(), tok)
}

// AuthenticateSecret returns the account of a live API secret (the dashboard's
// sign-in uses it too). The lookup is by the secret's hash, so the time it takes
// reveals nothing about any stored secret.
func (a *API) AuthenticateSecret(ctx context.Context, secret string) (string, error) {
	if secret == "" {
		return "", ErrUnauthorized
	}
	acct, err := a.d.Store.AccountBySecretHash(ctx, HashSecret(secret))
	if errors.Is(err, store.ErrNotFound) {
		return "", ErrUnauthorized
	}
	if err != nil {
		return "", fmt.Errorf("authenticate: %w", err)
	}
	return acct, nil
}

// authenticateAdmin checks the admin bearer token. With no checker configured the
// admin API refuses everyone.
func (a *API) authenticateAdmin(r *http.Request) error {
	tok := httpx.BearerToken(r)
	if tok == "" || a.d.AdminToken == nil || !a.d.AdminToken(tok) {
		return httpErr(http.StatusUnauthorized, "missing or invalid admin token (serve prints it on its first start; --admin-token sets it)")
	}
	return nil
}
