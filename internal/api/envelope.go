package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/hookcast/hookcast/internal/auth"
	"github.com/hookcast/hookcast/internal/httpx"
	"github.com/hookcast/hookcast/internal/store"
)

// FailError is a 400: the request names something wrong, field by field.
type FailError struct {
	Fields map[string]string
}

func (e *FailError) Error() string { return "bad request: " + httpx.FailMessage(e.Fields) }

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
	httpx.Success(w, data)
}

func writeErrorCode(w http.ResponseWriter, code int, msg string) {
	if code == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="hookcast"`)
	}
	httpx.Error(w, code, msg)
}

// writeErr maps an error to its envelope. Store errors become 404/409/503; anything
// unknown is a 500 whose detail goes to the log, not to the client.
func (a *API) writeErr(w http.ResponseWriter, r *http.Request, err error) {
	var fe *FailError
	var he *HTTPError
	switch {
	case errors.As(err, &fe):
		httpx.Fail(w, fe.Fields)
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
