package auth_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/auth"
	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/internal/store/sqlite"
)

// TestSecrets: a live secret names its account, by itself or by its hash; an
// empty, unknown or revoked one is ErrUnauthorized; a store that cannot answer
// is its error, not ErrUnauthorized.
func TestSecrets(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateAccount(ctx, store.Account{ID: "ACC1", Name: "a", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	add := func() (string, store.APISecret) {
		s, err := auth.NewSecret()
		if err != nil {
			t.Fatal(err)
		}
		kept, err := st.AddAPISecret(ctx, "ACC1", auth.HashSecret(s), "test")
		if err != nil {
			t.Fatal(err)
		}
		return s, kept
	}
	live, _ := add()
	revoked, r := add()
	if err := st.RevokeAPISecret(ctx, "ACC1", r.ID); err != nil {
		t.Fatal(err)
	}
	secrets := auth.NewSecrets(st)
	for _, tc := range []struct {
		name, secret, want string
		err                error
	}{
		{"live", live, "ACC1", nil},
		{"empty", "", "", auth.ErrUnauthorized},
		{"unknown", "not-a-secret", "", auth.ErrUnauthorized},
		{"revoked", revoked, "", auth.ErrUnauthorized},
	} {
		got, err := secrets.Account(ctx, tc.secret)
		if got != tc.want || !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
			t.Errorf("%s: Account = %q, %v; want %q, %v", tc.name, got, err, tc.want, tc.err)
		}
		if tc.secret == "" {
			continue
		}
		got, err = secrets.AccountByHash(ctx, auth.HashSecret(tc.secret))
		if got != tc.want || !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
			t.Errorf("%s: AccountByHash = %q, %v; want %q, %v", tc.name, got, err, tc.want, tc.err)
		}
	}
	st.Close()
	if _, err := secrets.Account(ctx, live); err == nil || errors.Is(err, auth.ErrUnauthorized) {
		t.Fatalf("closed store: %v, want its error", err)
	}
}

// TestToken: a token checks only itself, whether given in clear or by the hash
// it is kept as.
func TestToken(t *testing.T) {
	tok := auth.TokenOf("admin-token")
	for _, check := range []func(string) bool{tok.Check(), auth.TokenFromHash(tok.Hash()).Check()} {
		if !check("admin-token") || check("admin-token ") || check("") || check("other") {
			t.Fatal("a token check accepts the wrong tokens or refuses its own")
		}
	}
}
