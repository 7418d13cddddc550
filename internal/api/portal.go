package api

import (
	"net/http"
	"time"

	"github.com/hookcast/hookcast/internal/auth"
	"github.com/hookcast/hookcast/internal/store"
)

// Portal links: POST /api/admin/accounts/{accountId}/portal.
const (
	defaultPortalTTL = time.Hour
	maxPortalTTL     = 7 * 24 * time.Hour
	// PortalPath is where a portal link opens the dashboard; the token follows
	// in the fragment, which browsers send to no server (nor in Referer), so it
	// stays out of access logs. The page trades it for a session
	// (POST /dashboard/portal).
	PortalPath = "/#/portal/"
)

type portalJSON struct {
	URL       string `json:"url"`
	Path      string `json:"path"`
	ExpiresAt string `json:"expiresAt"`
	ReadOnly  bool   `json:"readOnly"`
}

// createPortal is POST /api/admin/accounts/{id}/portal {"ttlSeconds"?,
// "readOnly"?}: a one-time link that opens the dashboard signed in to the
// account until it expires (the session ends then too). Only the token's
// SHA-256 is kept; the link is shown in this answer only.
func (a *API) createPortal(r *http.Request, _ string) (any, error) {
	id, err := a.account(r)
	if err != nil {
		return nil, err
	}
	o, err := readObject(r, true, "ttlSeconds", "readOnly")
	if err != nil {
		return nil, err
	}
	ttl := defaultPortalTTL
	if n := o.int("ttlSeconds"); n != nil {
		if *n < 60 || *n > int64(maxPortalTTL/time.Second) {
			o.setFail("ttlSeconds", "must be from 60 to 604800 (a week)")
		}
		ttl = time.Duration(*n) * time.Second
	}
	var readOnly bool
	if b := o.bool("readOnly"); b != nil {
		readOnly = *b
	}
	if err := o.err(); err != nil {
		return nil, err
	}
	tok, err := auth.NewSecret()
	if err != nil {
		return nil, err
	}
	now := a.d.Now()
	t := store.PortalToken{Hash: auth.HashSecret(tok), AccountID: id, ReadOnly: readOnly, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	if err := a.d.Store.CreatePortalToken(r.Context(), t); err != nil {
		return nil, storeErr(err, "account")
	}
	path := PortalPath + tok
	return portalJSON{URL: origin(r) + path, Path: path, ExpiresAt: formatTime(t.ExpiresAt), ReadOnly: readOnly}, nil
}

// origin is the scheme and host the request came to: https when it came over
// TLS or through a proxy that says so (X-Forwarded-Proto), for links only.
func origin(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
