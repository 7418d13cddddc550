package api

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/hookcast/hookcast/internal/auth"
	"github.com/hookcast/hookcast/internal/httpx"
	"github.com/hookcast/hookcast/internal/store"
)

// The three envelopes of Millicast's API (JSend): success carries data, fail (400)
// carries one reason per offending field, error carries a message and the HTTP code.

type successEnvelope struct {
	Status string `json:"status"`
	Data   any    `json:"data"`
}

type failEnvelope struct {
	Status string            `json:"status"`
	Data   map[string]string `json:"data"`
}

type errorEnvelope struct {
	Status  string `json:"status"`
	Message string `json:"message"`
	Code    int    `json:"code"`
}

// FailError is a 400: the request names something wrong, field by field.
type FailError struct {
	Fields map[string]string
}

func (e *FailError) Error() string {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + e.Fields[k]
	}
	return "bad request: " + strings.Join(parts, "; ")
}

// failf is a FailError for one field.
func failf(field, format string, args ...any) *FailError {
	return &FailError{Fields: map[string]string{field: fmt.Sprintf(format, args...)}}
}

// HTTPError is any other refusal: a status code and a message safe to show,
// and for a 429 how many seconds to wait (the Retry-After header; 0: none).
type HTTPError struct {
	Code       int
	Message    string
	RetryAfter int
}

func (e *HTTPError) Error() string { return fmt.Sprintf("%d: %s", e.Code, e.Message) }

func httpErr(code int, format string, args ...any) *HTTPError {
	return &HTTPError{Code: code, Message: fmt.Sprintf(format, args...)}
}

func writeJSON(w http.ResponseWriter, code int, v any) { httpx.WriteJSON(w, code, v) }

func writeSuccess(w http.ResponseWriter, data any) {
	writeJSON(w, http.StatusOK, successEnvelope{Status: "success", Data: data})
}

func writeErrorCode(w http.ResponseWriter, code int, msg string) {
	if code == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="hookcast"`)
	}
	writeJSON(w, code, errorEnvelope{Status: "error", Message: msg, Code: code})
}

// writeErr maps an error to its envelope. Store errors become 404/409/503; anything
// unknown is a 500 whose detail goes to the log, not to the client.
func (a *API) writeErr(w http.ResponseWriter, r *http.Request, err error) {
	var fe *FailError
	var he *HTTPError
	switch {
	case errors.As(err, &fe):
		writeJSON(w, http.StatusBadRequest, failEnvelope{Status: "fail", Data: fe.Fields})
	case errors.As(err, &he):
		if he.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(he.RetryAfter))
		}
		writeErrorCode(w, he.Code, he.Message)
	case errors.Is(err, auth.ErrUnauthorized):
		writeErrorCode(w, http.StatusUnauthorized, auth.ErrUnauthorized.Error())
	case errors.Is(err, store.ErrNotFound):
		writeErrorCode(w, http.StatusNotFound, "not found")
	case errors.Is(err, store.ErrConflict):
		writeErrorCode(w, http.StatusConflict, "already exists")
	case errors.Is(err, store.ErrUnavailable):
		w.Header().Set("Retry-After", "1")
		writeErrorCode(w, http.StatusServiceUnavailable, "storage unavailable, retry shortly")
	default:
		a.log.ErrorContext(r.Context(), "api request failed",
			"method", r.Method, "path", r.URL.Path, "err", err)
		writeErrorCode(w, http.StatusInternalServerError, "internal error")
	}
}
