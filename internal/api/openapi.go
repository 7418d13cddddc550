package api

import (
	_ "embed"
	"net/http"
	"strconv"
)

// openAPIDoc describes the whole HTTP surface of hookcast (management, admin,
// delivery log, ingest, health) and, under "webhooks", the payloads it sends.
//
//go:embed openapi.json
var openAPIDoc []byte

// OpenAPI returns a copy of the OpenAPI 3.1 document served at /api/openapi.json.
func OpenAPI() []byte {
	return append([]byte(nil), openAPIDoc...)
}

func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(openAPIDoc)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(openAPIDoc) // the client went away: nothing left to tell it
	}
}
