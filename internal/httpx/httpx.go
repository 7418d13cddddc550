// Package httpx holds the small HTTP helpers every handler of hookcast shares: the
// JSON envelopes of the Millicast API and bearer-token checks.
package httpx

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
)

// Success writes {"status":"success","data":data} with status 200.
func Success(w http.ResponseWriter, data any) {
	WriteJSON(w, http.StatusOK, struct {
		Status string `json:"status"`
		Data   any    `json:"data"`
	}{"success", data})
}

// Fail writes a 400 {"status":"fail","data":fields}: fields names what was wrong,
// one reason per field. data also carries "message", the reasons in one line:
// Millicast's own clients read data.message from every 4xx answer (Dolby's Python
// client builds its HttpRequestError from it and fails with a TypeError without it).
func Fail(w http.ResponseWriter, fields map[string]string) {
	data := make(map[string]string, len(fields)+1)
	for k, v := range fields {
		data[k] = v
	}
	if _, ok := data["message"]; !ok {
		data["message"] = FailMessage(fields)
	}
	WriteJSON(w, http.StatusBadRequest, struct {
		Status string            `json:"status"`
		Data   map[string]string `json:"data"`
	}{"fail", data})
}

// FailMessage is fields as one line, "field: reason; …" in field order.
func FailMessage(fields map[string]string) string {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + fields[k]
	}
	return strings.Join(parts, "; ")
}

// ErrorData is the data of an error envelope: the message again, where
// Millicast's clients look for it (see Fail).
type ErrorData struct {
	Message string `json:"message"`
}

// Error writes {"status":"error","message":msg,"code":code,"data":{"message":msg}}
// with that status: the spec's envelope, and data as Millicast's ErrorResponse
// schema allows it, for the clients that read data.message.
func Error(w http.ResponseWriter, code int, msg string) {
	WriteJSON(w, code, struct {
		Status  string    `json:"status"`
		Message string    `json:"message"`
		Code    int       `json:"code"`
		Data    ErrorData `json:"data"`
	}{"error", msg, code, ErrorData{msg}})
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
