package dashboard

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hookcast/hookcast/internal/store"
)

// maxPortalBody bounds POST /dashboard/portal: a token is 43 characters.
const maxPortalBody = 1024

// portal is POST /dashboard/portal {"token": "…"}: the page a portal link
// opens (#/portal/<token>) trades the one-time token for a session of its
// account, read-only if the link was, ending when the link would have
// expired. The token is looked up by its SHA-256 (which reveals nothing about
// any kept token), and the store deletes it in the same statement, so it works
// once.
func (d *Dashboard) portal(w http.ResponseWriter, r *http.Request) {
	if err := crossOriginGuard.Check(r); err != nil {
		writeError(w, http.StatusForbidden, "Refused: the request did not come from this dashboard's own page.")
		return
	}
	if d.d.TakePortalToken == nil {
		writeError(w, http.StatusNotFound, "Portal links are not available on this server.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxPortalBody)
	var body struct {
		Token string `json:"token"`
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil || body.Token == "" {
		writeFail(w, map[string]string{"token": `send a JSON object {"token": "…"}`})
		return
	}
	hash := sha256.Sum256([]byte(body.Token))
	now := d.d.Now()
	t, err := d.d.TakePortalToken(r.Context(), hash[:], now)
	switch {
	case err == nil && subtle.ConstantTimeCompare(t.Hash, hash[:]) == 1 && t.AccountID != "":
	case err == nil, errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusUnauthorized,
			"This link has already been used or has expired. Ask for a new one where you got it.")
		return
	case errors.Is(err, store.ErrUnavailable):
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, "The service cannot reach its storage right now. Try again in a moment.")
		return
	default:
		d.log.ErrorContext(r.Context(), "dashboard portal sign-in failed", "err", err)
		writeError(w, http.StatusInternalServerError, "Sign-in failed because of an internal error. Try again; if it persists, check the server's log.")
		return
	}
	s := d.newPortalSession(t.AccountID, t.ReadOnly, t.ExpiresAt)
	d.setCookie(w, r, s)
	writeSuccess(w, info(s))
}

// newPortalSession is a session opened by a portal link. It has no API secret
// behind it, so revoking secrets does not end it: it ends at expiry.
func (d *Dashboard) newPortalSession(accountID string, readOnly bool, expiry time.Time) session {
	s := d.newSession(accountID, "")
	s.SecretHash, s.Portal, s.ReadOnly = "", true, readOnly
	s.Expiry = expiry.Unix()
	return s
}

// frameable reports whether the cookie of this request's session must work
// inside a frame of another site: SameSite=None, which browsers take only with
// Secure, and Partitioned (CHIPS), so that browsers that block third-party
// cookies still keep it, for that embedding site only. Browsers store Secure
// cookies from https pages and from http://localhost and loopback addresses
// (secure contexts); on plain http elsewhere they would drop the cookie, so
// there the portal session keeps SameSite=Lax: it works top-level, not framed.
func frameable(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	if o, err := url.Parse(r.Header.Get("Origin")); err == nil && o.Scheme == "https" {
		return true // behind a proxy that ends TLS: the page itself is https
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ParseFrameAncestors checks the origins of serve --portal-frame-ancestors
// (comma or space separated, each scheme://host[:port]) and returns them
// normalized.
func ParseFrameAncestors(list string) ([]string, error) {
	var out []string
	for _, f := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' }) {
		u, err := url.Parse(f)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil ||
			strings.ContainsAny(u.Host, ";' ") {
			return nil, errors.New("want origins such as https://console.example.com, separated by commas; got " + f)
		}
		out = append(out, u.Scheme+"://"+strings.ToLower(u.Host))
	}
	return out, nil
}
