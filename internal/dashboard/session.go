package dashboard

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hookcast/hookcast/internal/auth"
)

// CookieName is the session cookie.
const CookieName = "hookcast_session"

// CSRFHeader carries the session's CSRF token on every unsafe request.
const CSRFHeader = "X-CSRF-Token"

// maxCookieBytes bounds what is decoded: a real session cookie is ~250 bytes.
const maxCookieBytes = 1024

// session is the signed payload of the cookie. It is not secret (base64, not
// encrypted) but cannot be changed without the key.
type session struct {
	AccountID  string `json:"accountId"`
	Expiry     int64  `json:"expiry"` // unix seconds
	CSRF       string `json:"csrf"`
	SecretHash string `json:"sh,omitempty"` // base64 SHA-256 of the API secret signed in with
	// Portal marks a session opened by a portal link (no API secret behind it);
	// ReadOnly one that may only read.
	Portal   bool `json:"p,omitempty"`
	ReadOnly bool `json:"ro,omitempty"`
}

// Reasons a session is refused. They stay inside the server: clients only learn
// "sign in again" or "refused".
var (
	errNoSession      = errors.New("no session cookie")
	errBadSession     = errors.New("session cookie malformed or not signed by this service")
	errExpired        = errors.New("session expired")
	errRevoked        = errors.New("the API secret of the session was revoked")
	errCSRF           = errors.New("missing or wrong " + CSRFHeader + " header")
	errCrossOrigin    = errors.New("cross-origin request refused")
	crossOriginGuard  = http.NewCrossOriginProtection()
	sessionEncoding   = base64.RawURLEncoding
	csrfTokenBytes    = 32
	secretHashEncoded = base64.StdEncoding
)

// newSession starts a session for the account, valid for the TTL from now.
func (d *Dashboard) newSession(accountID, apiSecret string) session {
	tok := make([]byte, csrfTokenBytes)
	_, _ = rand.Read(tok) // never fails (Go 1.24+)
	return session{
		AccountID:  accountID,
		Expiry:     d.d.Now().Add(d.d.SessionTTL).Unix(),
		CSRF:       sessionEncoding.EncodeToString(tok),
		SecretHash: secretHashEncoded.EncodeToString(auth.HashSecret(apiSecret)),
	}
}

// encode is base64(payload) "." base64(HMAC-SHA256(key, payload)).
func (d *Dashboard) encode(s session) string {
	payload, _ := json.Marshal(s) // a struct of strings and ints: cannot fail
	return sessionEncoding.EncodeToString(payload) + "." + sessionEncoding.EncodeToString(d.mac(payload))
}

func (d *Dashboard) mac(payload []byte) []byte {
	m := hmac.New(sha256.New, d.key)
	m.Write(payload)
	return m.Sum(nil)
}

// decode checks the signature (in constant time) before reading anything, then
// the expiry.
func (d *Dashboard) decode(value string) (session, error) {
	var s session
	if len(value) > maxCookieBytes {
		return s, errBadSession
	}
	p64, m64, ok := strings.Cut(value, ".")
	if !ok {
		return s, errBadSession
	}
	payload, err1 := sessionEncoding.DecodeString(p64)
	mac, err2 := sessionEncoding.DecodeString(m64)
	if err1 != nil || err2 != nil || !hmac.Equal(mac, d.mac(payload)) {
		return s, errBadSession
	}
	if err := json.Unmarshal(payload, &s); err != nil || s.AccountID == "" || s.CSRF == "" {
		return session{}, errBadSession
	}
	if d.d.Now().Unix() >= s.Expiry {
		return session{}, errExpired
	}
	return s, nil
}

// SessionAccount returns the account of a valid session cookie; for unsafe methods
// the X-CSRF-Token header must match the session too.
//
// The REST API calls it when a request has no bearer token. A request is refused
// when the cookie is missing, tampered with, signed with another key or expired;
// when its API secret has been revoked (if Deps.AccountBySecretHash is set); and,
// for methods other than GET, HEAD and OPTIONS, when it comes from another origin
// (Origin or Sec-Fetch-Site) or lacks the session's CSRF token.
func (d *Dashboard) SessionAccount(r *http.Request) (string, bool) {
	acct, _, ok := d.SessionAccess(r)
	return acct, ok
}

// SessionAccess is SessionAccount that also says whether the session is
// read-only (a read-only portal link): the API then refuses changes with 403.
func (d *Dashboard) SessionAccess(r *http.Request) (accountID string, readOnly, ok bool) {
	s, err := d.check(r)
	if err != nil {
		return "", false, false
	}
	return s.AccountID, s.ReadOnly, true
}

// SessionRefusal says why a request with a signed-in session cookie is refused
// when the reason is the request's, not the session's: another origin, or no
// CSRF token. Empty for anything else, which the API answers with its generic
// "missing or invalid API secret" (so no secret can be probed).
func (d *Dashboard) SessionRefusal(r *http.Request) string {
	switch _, err := d.check(r); {
	case errors.Is(err, errCSRF):
		return "a dashboard request must carry the session's CSRF token in the " + CSRFHeader +
			" header (GET /dashboard/session gives it); scripts use Authorization: Bearer <API secret> instead"
	case errors.Is(err, errCrossOrigin):
		return "cross-origin request refused: a dashboard session works only from the dashboard's own pages"
	}
	return ""
}

// check is SessionAccount with the reason for a refusal.
func (d *Dashboard) check(r *http.Request) (session, error) {
	c, err := r.Cookie(CookieName)
	if err != nil {
		return session{}, errNoSession
	}
	s, err := d.decode(c.Value)
	if err != nil {
		return session{}, err
	}
	if !safeMethod(r.Method) {
		if err := crossOriginGuard.Check(r); err != nil {
			return session{}, errCrossOrigin
		}
		got := r.Header.Get(CSRFHeader)
		if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(s.CSRF)) != 1 {
			return session{}, errCSRF
		}
	}
	if err := d.stillLive(r, s); err != nil {
		return session{}, err
	}
	return s, nil
}

// stillLive asks the store whether the session's API secret still maps to its
// account. A store failure refuses the request too: better a retry than a
// revoked secret that keeps working.
func (d *Dashboard) stillLive(r *http.Request, s session) error {
	if d.d.AccountBySecretHash == nil || s.Portal {
		return nil
	}
	h, err := secretHashEncoded.DecodeString(s.SecretHash)
	if err != nil || len(h) != sha256.Size {
		return errRevoked
	}
	acct, err := d.d.AccountBySecretHash(r.Context(), h)
	if err != nil {
		return fmt.Errorf("%w: %w", errRevoked, err)
	}
	if acct != s.AccountID {
		return errRevoked
	}
	return nil
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// setCookie sends the session; HttpOnly keeps it from scripts (they get the CSRF
// token from /dashboard/session instead), SameSite=Strict from other sites. A
// portal session may be shown in a frame of another site, where a Strict (or
// Lax) cookie is never sent: see frameable.
func (d *Dashboard) setCookie(w http.ResponseWriter, r *http.Request, s session) {
	c := &http.Cookie{
		Name:     CookieName,
		Value:    d.encode(s),
		Path:     "/",
		Expires:  time.Unix(s.Expiry, 0),
		MaxAge:   int(time.Unix(s.Expiry, 0).Sub(d.d.Now()).Seconds()),
		HttpOnly: true,
		Secure:   r.TLS != nil,
		SameSite: http.SameSiteStrictMode,
	}
	if s.Portal {
		c.SameSite = http.SameSiteLaxMode
		if frameable(r) {
			c.SameSite, c.Secure, c.Partitioned = http.SameSiteNoneMode, true, true
		}
	}
	http.SetCookie(w, c)
}

// clearCookie ends the session cookie, and its partitioned twin that a portal
// session in a frame may have (a browser keeps the two apart).
func clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode,
	})
	if frameable(r) {
		http.SetCookie(w, &http.Cookie{
			Name: CookieName, Value: "", Path: "/", MaxAge: -1,
			HttpOnly: true, Secure: true, SameSite: http.SameSiteNoneMode, Partitioned: true,
		})
	}
}
