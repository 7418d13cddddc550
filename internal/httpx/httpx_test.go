package httpx

import (
	"net/http/httptest"
	"testing"
)

func TestBearerToken(t *testing.T) {
	for _, c := range []struct{ header, want string }{
		{"Bearer abc", "abc"},
		{"bearer  abc ", "abc"},
		{"Basic abc", ""},
		{"Bearer", ""},
		{"", ""},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if c.header != "" {
			r.Header.Set("Authorization", c.header)
		}
		if got := BearerToken(r); got != c.want {
			t.Errorf("BearerToken(%q) = %q, want %q", c.header, got, c.want)
		}
	}
}

func TestTokenChecker(t *testing.T) {
	check := TokenChecker("right-token-0123456789")
	for _, c := range []struct {
		presented string
		want      bool
	}{{"right-token-0123456789", true}, {"right-token-012345678", false}, {"", false}, {"other", false}} {
		if got := check(c.presented); got != c.want {
			t.Errorf("check(%q) = %v", c.presented, got)
		}
	}
	if TokenChecker("")("") {
		t.Error("an empty token must accept nothing, not even an empty one")
	}
}
