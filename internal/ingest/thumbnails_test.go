package ingest_test

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/ingest"
	"github.com/hookcast/hookcast/internal/thumbnail"
)

func testJPEG(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 32, 18))
	for x := range 32 {
		img.Set(x, x%18, color.RGBA{255, 0, 0, 255})
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestThumbnailIngest(t *testing.T) {
	t.Parallel()
	now := time.UnixMilli(1700000000123)
	h, rec := setupWith(t, func(h *ingest.Handler) { h.Now = func() time.Time { return now } })
	img := testJPEG(t)

	code, body := post(t, h, "/api/ingest/thumbnails?token=abc&accountId=ABC123&name=show&feedId=f1", "image/jpeg", string(img))
	if code != http.StatusOK {
		t.Fatalf("status %d %v", code, body)
	}
	code, _ = post(t, h, "/api/ingest/thumbnails?token=abc&accountId=DEF&name=s.2&feedId=f2&tokenId=42&at=1600000000000", "image/jpeg", string(img))
	if code != http.StatusOK {
		t.Fatalf("with tokenId and at: status %d", code)
	}
	if len(rec.events) != 2 {
		t.Fatalf("%d events stored", len(rec.events))
	}
	e := rec.events[0]
	if e.AccountID != "ABC123" || e.Type != "thumbnail" || e.Event != "captured" || e.StreamName != "show" ||
		e.ContentType != "image/jpeg" || e.Timestamp != now.UnixMilli() || !bytes.Equal(e.Body, img) {
		t.Errorf("event %+v", e)
	}
	wantH := map[string]string{"X-Millicast-Timestamp": "1700000000123", "X-Millicast-Feed-Id": "f1", "X-Millicast-Stream-Id": "ABC123/show"}
	if len(e.Headers) != len(wantH) {
		t.Errorf("headers %v", e.Headers)
	}
	for k, v := range wantH {
		if e.Headers[k] != v {
			t.Errorf("header %s = %q, want %q", k, e.Headers[k], v)
		}
	}
	if e := rec.events[1]; e.Headers["X-Millicast-Token-Id"] != "42" || e.Timestamp != 1600000000000 {
		t.Errorf("second event %+v", e)
	}
}

func TestThumbnailIngestBadInput(t *testing.T) {
	t.Parallel()
	img := string(testJPEG(t))
	var pngBuf bytes.Buffer
	_ = png.Encode(&pngBuf, image.NewGray(image.Rect(0, 0, 4, 4)))
	huge := img + strings.Repeat("\x00", thumbnail.MaxSize)
	q := "/api/ingest/thumbnails?token=abc"
	tests := []struct {
		name, target, body string
		status             int
		field              string
	}{
		{"no account", q + "&name=s&feedId=f", img, 400, "accountId"},
		{"unknown account", q + "&accountId=NOPE&name=s&feedId=f", img, 400, "accountId"},
		{"bad name", q + "&accountId=DEF&name=a/b&feedId=f", img, 400, "name"},
		{"no feed", q + "&accountId=DEF&name=s", img, 400, "feedId"},
		{"bad token id", q + "&accountId=DEF&name=s&feedId=f&tokenId=%0A", img, 400, "tokenId"},
		{"bad at", q + "&accountId=DEF&name=s&feedId=f&at=yesterday", img, 400, "at"},
		{"empty body", q + "&accountId=DEF&name=s&feedId=f", "", 400, "body"},
		{"a PNG", q + "&accountId=DEF&name=s&feedId=f", pngBuf.String(), 400, "body"},
		{"a truncated JPEG", q + "&accountId=DEF&name=s&feedId=f", img[:20], 400, "body"},
		{"too large", q + "&accountId=DEF&name=s&feedId=f", huge, 413, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, rec := setup(t)
			code, body := post(t, h, tt.target, "image/jpeg", tt.body)
			if code != tt.status {
				t.Fatalf("status %d %v, want %d", code, body, tt.status)
			}
			if tt.field != "" {
				if data, _ := body["data"].(map[string]any); data[tt.field] == nil {
					t.Errorf("answer %v does not name %q", body, tt.field)
				}
			}
			if len(rec.events) != 0 {
				t.Errorf("stored %d events", len(rec.events))
			}
		})
	}
}

func TestThumbnailIngestUnavailable(t *testing.T) {
	t.Parallel()
	img := string(testJPEG(t))
	target := "/api/ingest/thumbnails?token=abc&accountId=DEF&name=s&feedId=f"
	h, _ := setupWith(t, func(h *ingest.Handler) { h.Events = nil })
	if code, _ := post(t, h, target, "image/jpeg", img); code != http.StatusNotImplemented {
		t.Errorf("without an event sink: status %d, want 501", code)
	}
	h, rec := setup(t)
	rec.fail = errors.New("store down")
	if code, _ := post(t, h, target, "image/jpeg", img); code != http.StatusServiceUnavailable {
		t.Errorf("outage: status %d, want 503", code)
	}
}
