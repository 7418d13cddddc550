package delivery

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
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
		tg, err := c.get(1, newSecret(t), "", tc.url)
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
		if _, err := c.get(2, newSecret(t), "", bad); err == nil {
			t.Errorf("%q accepted as a webhook URL", bad)
		}
	}
}

// TestHTTPErrorText: a refusal is recorded as its status and the start of its
// body on one line, bounded, valid UTF-8.
func TestHTTPErrorText(t *testing.T) {
	long := bytes.Repeat([]byte("é"), 300)
	for _, tc := range []struct {
		status int
		body   []byte
		want   string
	}{
		{400, []byte("{\"error\":\n  \"missing field x\"}\n"), `HTTP 400 Bad Request: {"error": "missing field x"}`},
		{503, nil, "HTTP 503 Service Unavailable"},
		{599, []byte("  \n"), "HTTP 599"},
		{500, []byte{'a', 0xff, 'b'}, "HTTP 500 Internal Server Error: a?b"},
		{500, long, "HTTP 500 Internal Server Error: " + string(long[:2*maxBodyInError]) + "…"},
		{500, bytes.Repeat([]byte("ab "), 10), "HTTP 500 Internal Server Error: " + strings.TrimSpace(strings.Repeat("ab ", 10))},
	} {
		if got := httpErrorText(tc.status, tc.body); got != tc.want {
			t.Errorf("httpErrorText(%d, %q) = %q, want %q", tc.status, tc.body, got, tc.want)
		}
	}
}
