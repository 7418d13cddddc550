package api

import (
	"fmt"
	"net/http"
	"testing"
)

// BenchmarkGetWebhook measures one authenticated read: bearer hash, secret lookup,
// webhook lookup, envelope (handler only, no network).
func BenchmarkGetWebhook(b *testing.B) {
	bb := setup(b)
	w := bb.createWebhook(bb.secretA, "https://hooks.example.com/")
	path := fmt.Sprintf("/api/webhooks/%d", w.ID)
	b.ReportAllocs()
	for b.Loop() {
		if rec := serve(bb, "GET", path, ""); rec.Code != http.StatusOK {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkCreateWebhook measures a validated create: strict decoding, URL check,
// secret generation and one store write.
func BenchmarkCreateWebhook(b *testing.B) {
	bb := setup(b)
	body := `{"url":"https://hooks.example.com/x","isFeedHooks":true,"isViewerConnectionHooks":true,"filter":"^live_"}`
	b.ReportAllocs()
	for b.Loop() {
		if rec := serve(bb, "POST", "/api/webhooks", body); rec.Code != http.StatusOK {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
}
