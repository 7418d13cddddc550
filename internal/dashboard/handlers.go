package dashboard

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hookcast/hookcast/internal/auth"
	"github.com/hookcast/hookcast/internal/store"
)

// maxLoginBody bounds a sign-in request: an API secret is 43 characters.
const maxLoginBody = 4096

// sessionInfo is the data of /dashboard/login and /dashboard/session: what the
// page needs to call the API (the CSRF token) and to greet the user.
type sessionInfo struct {
	AccountID string `json:"accountId"`
	CSRF      string `json:"csrf"`
	ExpiresAt string `json:"expiresAt"`
	// Portal: opened by a portal link; ReadOnly: changes are refused (the page
	// hides its controls).
	Portal   bool `json:"portal"`
	ReadOnly bool `json:"readOnly"`
}

func info(s session) sessionInfo {
	return sessionInfo{
		AccountID: s.AccountID, CSRF: s.CSRF,
		ExpiresAt: time.Unix(s.Expiry, 0).UTC().Format(time.RFC3339),
		Portal:    s.Portal, ReadOnly: s.ReadOnly,
	}
}

// login is POST /dashboard/login with {"apiSecret": "…"} as JSON or as a form.
// JSON callers get the session info; a form is redirected to the dashboard.
func (d *Dashboard) login(w http.ResponseWriter, r *http.Request) {
	if err := crossOriginGuard.Check(r); err != nil {
		writeError(w, http.StatusForbidden, "Sign-in refused: it did not come from this dashboard's own page.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxLoginBody)
	secret, isForm, err := readSecret(r)
	if err != nil {
		writeFail(w, map[string]string{"apiSecret": err.Error()})
		return
	}
	peer := clientAddr(r)
	ok, wait := d.limiter.take(peer)
	if !ok {
		secs := int(math.Ceil(wait.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		writeError(w, http.StatusTooManyRequests, fmt.Sprintf(
			"Too many failed sign-ins from your address. Try again in %d seconds.", secs))
		return
	}
	acct, err := d.d.Authenticate(r.Context(), secret)
	switch {
	case err == nil && acct != "":
	case err == nil, errors.Is(err, auth.ErrUnauthorized), errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusUnauthorized,
			"That API secret is not valid. Check that you pasted the whole secret, and that it has not been revoked.")
		return
	case errors.Is(err, store.ErrUnavailable):
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, "The service cannot reach its storage right now. Try again in a moment.")
		return
	default:
		d.log.ErrorContext(r.Context(), "dashboard sign-in failed", "err", err)
		writeError(w, http.StatusInternalServerError, "Sign-in failed because of an internal error. Try again; if it persists, check the server's log.")
		return
	}
	d.limiter.giveBack(peer)
	s := d.newSession(acct, secret)
	d.setCookie(w, r, s)
	if isForm {
		http.Redirect(w, r, "/#/webhooks", http.StatusSeeOther)
		return
	}
	writeSuccess(w, info(s))
}

// readSecret reads apiSecret from a JSON object or a form.
func readSecret(r *http.Request) (secret string, isForm bool, err error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/x-www-form-urlencoded", "multipart/form-data":
		if err := r.ParseForm(); err != nil {
			return "", true, errors.New("could not read the form")
		}
		secret, isForm = r.PostForm.Get("apiSecret"), true
	case "application/json", "":
		var body struct {
			APISecret string `json:"apiSecret"`
		}
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&body); err != nil {
			return "", false, errors.New(`send a JSON object {"apiSecret": "…"}`)
		}
		secret = body.APISecret
	default:
		return "", false, errors.New("send JSON or a form")
	}
	secret = strings.TrimSpace(secret)
	if secret == "" {
		return "", isForm, errors.New("required: paste the API secret")
	}
	return secret, isForm, nil
}

// logout is POST /dashboard/logout. With a valid session it needs the CSRF token
// (so another site cannot sign the user out); with none there is nothing to
// protect and the cookie is just cleared. Sessions are stateless: a copy of the
// cookie taken before stays valid until it expires, unless its API secret is
// revoked (Deps.AccountBySecretHash).
func (d *Dashboard) logout(w http.ResponseWriter, r *http.Request) {
	_, err := d.check(r)
	if errors.Is(err, errCSRF) || errors.Is(err, errCrossOrigin) {
		writeError(w, http.StatusForbidden, "Sign-out refused: the request did not come from this dashboard's page. Reload the page and try again.")
		return
	}
	clearCookie(w, r)
	writeSuccess(w, true)
}

// session is GET /dashboard/session: who is signed in, and the CSRF token the
// page sends with every change.
func (d *Dashboard) session(w http.ResponseWriter, r *http.Request) {
	s, err := d.check(r)
	if err != nil {
		writeError(w, http.StatusUnauthorized, "Not signed in, or the sign-in has expired.")
		return
	}
	writeSuccess(w, info(s))
}

// The dashboard's own routes answer with the API's envelopes, so the page reads
// both the same way.

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v) // the client went away: nothing left to tell it
}

func writeSuccess(w http.ResponseWriter, data any) {
	writeJSON(w, http.StatusOK, map[string]any{"status": "success", "data": data})
}

func writeFail(w http.ResponseWriter, fields map[string]string) {
	writeJSON(w, http.StatusBadRequest, map[string]any{"status": "fail", "data": fields})
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]any{"status": "error", "message": msg, "code": code})
}
