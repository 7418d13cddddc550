package thumbnail_test

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/thumbnail"
)

func encodeJPEG(t testing.TB, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, w, h)), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestCheck(t *testing.T) {
	t.Parallel()
	good := encodeJPEG(t, 16, 9)
	var p bytes.Buffer
	_ = png.Encode(&p, image.NewGray(image.Rect(0, 0, 2, 2)))
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"a JPEG", good, nil},
		{"empty", nil, thumbnail.ErrNotJPEG},
		{"a PNG", p.Bytes(), thumbnail.ErrNotJPEG},
		{"text", []byte("hello"), thumbnail.ErrNotJPEG},
		{"a JPEG cut in its header", good[:12], thumbnail.ErrNotJPEG},
		{"too large", append(good, make([]byte, thumbnail.MaxSize)...), thumbnail.ErrTooLarge},
	}
	for _, tt := range tests {
		err := thumbnail.Check(tt.b)
		if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Errorf("%s: Check = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestShotEvent(t *testing.T) {
	t.Parallel()
	img := encodeJPEG(t, 4, 4)
	at := time.UnixMilli(1638463486489)
	e := thumbnail.Shot{AccountID: "ZG6NWV", Name: "cam", FeedID: "f-1", At: at, JPEG: img}.Event()
	if e.Type != "thumbnail" || e.Event != "captured" || e.AccountID != "ZG6NWV" || e.StreamName != "cam" ||
		e.Timestamp != 1638463486489 || e.ContentType != "image/jpeg" || !bytes.Equal(e.Body, img) || e.ID != "" {
		t.Fatalf("event %+v", e)
	}
	want := map[string]string{"X-Millicast-Timestamp": "1638463486489", "X-Millicast-Feed-Id": "f-1", "X-Millicast-Stream-Id": "ZG6NWV/cam"}
	if len(e.Headers) != len(want) {
		t.Fatalf("headers %v, want %v (no token header without a token)", e.Headers, want)
	}
	for k, v := range want {
		if e.Headers[k] != v {
			t.Errorf("%s = %q, want %q", k, e.Headers[k], v)
		}
	}
	e = thumbnail.Shot{AccountID: "A", Name: "b", FeedID: "f", TokenID: "77", At: at, JPEG: img}.Event()
	if e.Headers["X-Millicast-Token-Id"] != "77" {
		t.Errorf("token header %v", e.Headers)
	}
}

func FuzzCheck(f *testing.F) {
	f.Add(encodeJPEG(f, 3, 5))
	f.Add([]byte("\xff\xd8\xff\xe0"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := thumbnail.Check(b); err == nil {
			if _, err := jpeg.DecodeConfig(bytes.NewReader(b)); err != nil {
				t.Fatalf("Check accepted what does not decode: %v", err)
			}
		} else if !strings.HasPrefix(err.Error(), "not a JPEG") && !errors.Is(err, thumbnail.ErrTooLarge) {
			t.Fatalf("unexpected error %v", err)
		}
	})
}
