package netguard

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckURL(t *testing.T) {
	t.Parallel()
	long := "https://example.com/" + strings.Repeat("a", MaxURLLength)
	tests := []struct {
		url          string
		allowPrivate bool
		want         error
	}{
		{"https://example.com/hook", false, nil},
		{"http://example.com:8080/hook?x=1", false, nil},
		{"HTTPS://Example.COM/", false, nil},
		{"https://8.8.8.8/", false, nil},
		{"https://[2001:4860:4860::8888]:443/", false, nil},
		{"https://example.com./", false, nil},
		{"", false, ErrURLEmpty},
		{long, false, ErrURLTooLong},
		{"ftp://example.com/", false, ErrURLScheme},
		{"file:///etc/passwd", false, ErrURLScheme},
		{"gopher://example.com/", true, ErrURLScheme},
		{"example.com/hook", false, ErrURLScheme},
		{"https:example.com", false, ErrURLNoHost},
		{"https:///path", false, ErrURLNoHost},
		{"https://user:pass@example.com/", false, ErrURLUserinfo},
		{"https://user@example.com/", true, ErrURLUserinfo},
		{"https://example.com/#frag", false, ErrURLFragment},
		{"https://example.com/#", false, ErrURLFragment},
		{"https://example.com:0/", false, ErrURLPort},
		{"https://example.com:70000/", false, ErrURLPort},
		{"https://example.com:/", false, ErrURLPort},
		{"https://exa mple.com/", false, ErrURLInvalid},
		{"https://127.0.0.1/", false, ErrURLPrivate},
		{"https://127.0.0.1/", true, nil},
		{"https://10.1.2.3:8443/", false, ErrURLPrivate},
		{"https://169.254.169.254/latest/meta-data", false, ErrURLPrivate},
		{"https://[::1]/", false, ErrURLPrivate},
		{"https://[::ffff:127.0.0.1]/", false, ErrURLPrivate},
		{"https://[fe80::1%25eth0]/", false, ErrURLPrivate},
		{"https://0.0.0.0/", false, ErrURLPrivate},
		{"https://127.1/", false, ErrURLNumericHost},
		{"https://127.1/", true, ErrURLNumericHost},
		{"https://2130706433/", false, ErrURLNumericHost},
		{"https://0x7f.0.0.1/", false, ErrURLNumericHost},
		{"https://0177.0.0.1/", false, ErrURLNumericHost},
		{"https://localhost/", false, ErrURLLocalName},
		{"https://LOCALHOST./", false, ErrURLLocalName},
		{"https://localhost:8080/", true, nil},
		{"https://app.localhost/", false, ErrURLLocalName},
		{"https://printer.local/", false, ErrURLLocalName},
		{"https://metadata.google.internal/computeMetadata/v1/", false, ErrURLLocalName},
		{"https://metadata/", false, ErrURLLocalName},
		{"https://db.internal/", false, ErrURLLocalName},
		{"https://nas.home.arpa/", false, ErrURLLocalName},
		{"https://intranet/", false, ErrURLSingleLabel},
		{"https://intranet/", true, nil},
	}
	for _, tt := range tests {
		err := CheckURL(tt.url, tt.allowPrivate)
		if !errors.Is(err, tt.want) {
			name := tt.url
			if len(name) > 60 {
				name = name[:60] + "..."
			}
			t.Errorf("CheckURL(%q, %v) = %v, want %v", name, tt.allowPrivate, err, tt.want)
		}
	}
}

// FuzzCheckURL checks that CheckURL never panics and that whatever it accepts
// without allowPrivate it also accepts with it.
func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{"https://example.com/", "http://127.0.0.1:80/", "https://[::1]/",
		"https://a@b/", "http://0x7f.1/", "https://x.local#y", "http://[fe80::1%25en0]:99/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if CheckURL(s, false) == nil && CheckURL(s, true) != nil {
			t.Fatalf("%q accepted strictly but refused with allowPrivate", s)
		}
	})
}
