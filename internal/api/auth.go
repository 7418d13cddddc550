package api

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"

	"github.com/hookcast/hookcast/internal/auth"
	"github.com/hookcast/hookcast/internal/httpx"
)

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
// token. It fails with auth.ErrUnauthorized when there is none, and with a
// wrapped store error (store.ErrUnavailable) when the store cannot answer.
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
		return "", auth.ErrUnauthorized
	}
	return a.d.Secrets.Account(r.Context(), tok)
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
