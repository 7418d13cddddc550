package delivery

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
)

// TestNewPost: the request built from a URL parsed once per webhook is the one
// http.NewRequestWithContext would build, body and all.
func TestNewPost(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		url  string
		body []byte
	}{
		{"https://hooks.example.com/millicast?token=a%20b", []byte(`{"type":"feeds"}`)},
		{"http://hooks.example.com:8080/", nil},
		{"http://hooks.example.com:/path", []byte("x")},
		{"https://user:pass@hooks.example.com/a/../b", []byte{0xff, 0xd8}},
	} {
		want, err := http.NewRequestWithContext(ctx, http.MethodPost, tc.url, bytes.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		var c targetCache
		tg, err := c.get(1, newSecret(t), tc.url)
		if err != nil {
			t.Fatalf("%s: %v", tc.url, err)
		}
		got := newPost(ctx, tg.url, http.Header{}, tc.body)
		if got.Method != want.Method || got.URL.String() != want.URL.String() || got.Host != want.Host ||
			got.ContentLength != want.ContentLength || got.Proto != want.Proto || got.Context() != ctx {
			t.Fatalf("%s: got %s %s host %q length %d, want %s %s host %q length %d", tc.url,
				got.Method, got.URL, got.Host, got.ContentLength, want.Method, want.URL, want.Host, want.ContentLength)
		}
		for _, r := range []*http.Request{got, want} {
			b, _ := io.ReadAll(r.Body)
			rb, _ := r.GetBody()
			b2, _ := io.ReadAll(rb)
			if !bytes.Equal(b, tc.body) || !bytes.Equal(b2, tc.body) {
				t.Fatalf("%s: body %q, again %q, want %q", tc.url, b, b2, tc.body)
			}
		}
		if (got.Body == http.NoBody) != (want.Body == http.NoBody) {
			t.Fatalf("%s: NoBody %v, want %v", tc.url, got.Body == http.NoBody, want.Body == http.NoBody)
		}
	}
	var c targetCache
	for _, bad := range []string{"ftp://example.com/", "/relative", "http://", "http://[::1"} {
		if _, err := c.get(2, newSecret(t), bad); err == nil {
			t.Errorf("%q accepted as a webhook URL", bad)
		}
	}
}
