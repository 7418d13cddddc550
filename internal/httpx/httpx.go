// Package httpx holds the small HTTP helpers every handler of hookcast shares: the
// JSON envelopes of the Millicast API and bearer-token checks.
package httpx

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strings"
)

// Success writes {"status":"success","data":data} with status 200.
func Success(w http.ResponseWriter, data any) {
	WriteJSON(w, http.StatusOK, struct {
		Status string `json:"status"`
		Data   any    `json:"data"`
	}{"success", data})
}

// Fail writes a 400 {"status":"fail","data":fields}: fields names what was wrong.
func Fail(w http.ResponseWriter, fields map[string]string) {
	WriteJSON(w, http.StatusBadRequest, struct {
		Status string            `json:"status"`
		Data   map[string]string `json:"data"`
	}{"fail", fields})
}

// Error writes {"status":"error","message":msg,"code":code} with that status.
func Error(w http.ResponseWriter, code int, msg string) {
	WriteJSON(w, code, struct {
		Status  string `json:"status"`
		Message string `json:"message"`
		Code    int    `json:"code"`
	}{"error", msg, code})
}

// WriteJSON writes v as JSON with the given status.
func WriteJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	// Answers carry webhook and API secrets: never let a proxy or browser keep them.
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client went away: nothing left to tell it
}

// BearerToken returns the token of an "Authorization: Bearer …" header, or "".
// The scheme is case-insensitive (RFC 9110 §11.1).
func BearerToken(r *http.Request) string {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

// HashChecker returns a constant-time check of presented tokens against the
// SHA-256 of the expected one: tokens are kept only as hashes, and comparing
// hashes keeps the time the same whatever the presented length.
func HashChecker(hash [32]byte) func(presented string) bool {
	return func(presented string) bool {
		h := sha256.Sum256([]byte(presented))
		return subtle.ConstantTimeCompare(h[:], hash[:]) == 1
	}
}

// TokenChecker is HashChecker for a token given in clear. An empty token accepts
// nothing.
func TokenChecker(token string) func(presented string) bool {
	if token == "" {
		return func(string) bool { return false }
	}
	return HashChecker(sha256.Sum256([]byte(token)))
}
