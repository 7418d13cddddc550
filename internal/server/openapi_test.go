package server

import (
	"encoding/json"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/hookcast/hookcast/internal/api"
)

// TestOpenAPIIngestRoutes checks the ingest part of /api/openapi.json against the
// routes the server really serves (internal/api checks its own routes the same way).
func TestOpenAPIIngestRoutes(t *testing.T) {
	r := start(t, testConfig(t.TempDir()))
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(api.OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	routes := r.srv.ingest.Routes()
	for _, rt := range routes {
		method, path, _ := strings.Cut(rt, " ")
		if _, ok := doc.Paths[path][strings.ToLower(method)]; !ok {
			t.Errorf("ingest route %s is not in the OpenAPI document", rt)
		}
	}
	for path, item := range doc.Paths {
		if !strings.HasPrefix(path, "/api/ingest/") {
			continue
		}
		for method := range item {
			if !slices.Contains([]string{"get", "post", "put", "delete", "patch"}, method) {
				continue
			}
			concrete := strings.ReplaceAll(path, "{hook}", "ready")
			req := httptest.NewRequest(strings.ToUpper(method), concrete, nil)
			if _, pattern := r.srv.mux.Handler(req); pattern != strings.ToUpper(method)+" "+path {
				t.Errorf("%s %s (from the document) reaches %q", strings.ToUpper(method), path, pattern)
			}
		}
	}
	if len(routes) < 6 {
		t.Fatalf("only %d ingest routes", len(routes))
	}
}
