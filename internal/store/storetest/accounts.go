package storetest

import (
	"crypto/sha256"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/store"
)

func testMigrate(t *testing.T, s store.Store) {
	newAccount(t, s, "A")
	must(t, s.Migrate(ctx(t)))
	must(t, s.Migrate(ctx(t)))
	must(t, s.Ping(ctx(t)))
	if _, err := s.GetAccount(ctx(t), "A"); err != nil {
		t.Fatalf("data lost by Migrate: %v", err)
	}
}

func testMeta(t *testing.T, s store.Store) {
	c := ctx(t)
	_, err := s.GetMeta(c, "admin_token")
	wantErr(t, err, store.ErrNotFound)

	got, err := s.SetMetaIfAbsent(c, "admin_token", "first")
	must(t, err)
	if got != "first" {
		t.Fatalf("SetMetaIfAbsent on an absent key = %q, want first", got)
	}
	got, err = s.SetMetaIfAbsent(c, "admin_token", "second")
	must(t, err)
	if got != "first" {
		t.Fatalf("SetMetaIfAbsent on a present key = %q, want the stored first", got)
	}
	must(t, s.SetMeta(c, "admin_token", "third"))
	must(t, s.SetMeta(c, "other", ""))
	for key, want := range map[string]string{"admin_token": "third", "other": ""} {
		got, err := s.GetMeta(c, key)
		must(t, err)
		if got != want {
			t.Fatalf("GetMeta(%s) = %q, want %q", key, got, want)
		}
	}
}

func testAccounts(t *testing.T, s store.Store) {
	c := ctx(t)
	must(t, s.CreateAccount(c, store.Account{ID: "B", Name: "Bee", CreatedAt: t0}))
	must(t, s.CreateAccount(c, store.Account{ID: "A", Name: "Ay"}))
	wantErr(t, s.CreateAccount(c, store.Account{ID: "A", Name: "again"}), store.ErrConflict)
	if err := s.CreateAccount(c, store.Account{}); err == nil {
		t.Fatal("an account without id was accepted")
	}

	b, err := s.GetAccount(c, "B")
	must(t, err)
	if b != (store.Account{ID: "B", Name: "Bee", CreatedAt: t0}) {
		t.Fatalf("GetAccount = %+v", b)
	}
	a, err := s.GetAccount(c, "A")
	must(t, err)
	if a.Name != "Ay" || a.CreatedAt.IsZero() || a.CreatedAt.Location() != time.UTC {
		t.Fatalf("GetAccount(A) = %+v: want name kept and CreatedAt set, in UTC", a)
	}
	_, err = s.GetAccount(c, "nobody")
	wantErr(t, err, store.ErrNotFound)

	all, err := s.ListAccounts(c)
	must(t, err)
	if len(all) != 2 || all[0].ID != "A" || all[1].ID != "B" {
		t.Fatalf("ListAccounts = %+v, want A and B by id", all)
	}
}

func testAPISecrets(t *testing.T, s store.Store) {
	c := ctx(t)
	newAccount(t, s, "A")
	newAccount(t, s, "B")
	h1, h2, h3 := sha256.Sum256([]byte("one")), sha256.Sum256([]byte("two")), sha256.Sum256([]byte("three"))

	_, err := s.AddAPISecret(c, "nobody", h3[:], "x")
	wantErr(t, err, store.ErrNotFound)
	s1, err := s.AddAPISecret(c, "A", h1[:], "deploy")
	must(t, err)
	if s1.ID == 0 || s1.AccountID != "A" || s1.Label != "deploy" || s1.CreatedAt.IsZero() || !s1.RevokedAt.IsZero() {
		t.Fatalf("AddAPISecret = %+v", s1)
	}
	s2, err := s.AddAPISecret(c, "A", h2[:], "ci")
	must(t, err)
	_, err = s.AddAPISecret(c, "B", h1[:], "same hash")
	wantErr(t, err, store.ErrConflict)

	for _, h := range [][32]byte{h1, h2} {
		acct, err := s.AccountBySecretHash(c, h[:])
		must(t, err)
		if acct != "A" {
			t.Fatalf("AccountBySecretHash = %q, want A", acct)
		}
	}
	_, err = s.AccountBySecretHash(c, h3[:])
	wantErr(t, err, store.ErrNotFound)

	wantErr(t, s.RevokeAPISecret(c, "B", s1.ID), store.ErrNotFound) // not B's to revoke
	wantErr(t, s.RevokeAPISecret(c, "A", s2.ID+100), store.ErrNotFound)
	must(t, s.RevokeAPISecret(c, "A", s1.ID))
	_, err = s.AccountBySecretHash(c, h1[:])
	wantErr(t, err, store.ErrNotFound)
	if _, err := s.AccountBySecretHash(c, h2[:]); err != nil {
		t.Fatalf("revoking one secret broke another: %v", err)
	}

	list, err := s.ListAPISecrets(c, "A")
	must(t, err)
	if len(list) != 2 || list[0].ID != s1.ID || list[1].ID != s2.ID {
		t.Fatalf("ListAPISecrets = %+v", list)
	}
	revokedAt := list[0].RevokedAt
	if revokedAt.IsZero() || !list[1].RevokedAt.IsZero() {
		t.Fatalf("RevokedAt: got %v and %v, want set and zero", revokedAt, list[1].RevokedAt)
	}
	must(t, s.RevokeAPISecret(c, "A", s1.ID)) // idempotent
	list, err = s.ListAPISecrets(c, "A")
	must(t, err)
	if !list[0].RevokedAt.Equal(revokedAt) {
		t.Fatalf("second revoke moved RevokedAt from %v to %v", revokedAt, list[0].RevokedAt)
	}
	if other, err := s.ListAPISecrets(c, "B"); err != nil || len(other) != 0 {
		t.Fatalf("ListAPISecrets(B) = %v, %v: want none", other, err)
	}
}
