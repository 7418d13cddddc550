package api

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

func TestAdminAccounts(t *testing.T) {
	t.Parallel()
	b := setup(t)
	admin := testAdminToken

	r := b.do("POST", "/api/admin/accounts", admin, `{"accountId":"ACME-1.prod_2","name":"Acme"}`)
	var acc newAccountJSON
	if err := json.Unmarshal(r.Data, &acc); err != nil || acc.AccountID != "ACME-1.prod_2" || acc.Name != "Acme" || acc.APISecret == "" {
		t.Fatalf("create: %s", r.raw)
	}
	// The new secret works on the management API, for that account only.
	w := b.createWebhook(acc.APISecret, "https://acme.example.com/")
	if r := b.do("GET", fmt.Sprintf("/api/webhooks/%d", w.ID), b.secretA, ""); r.code != 404 {
		t.Fatalf("A sees Acme's webhook: %d", r.code)
	}

	for _, body := range []string{"", "{}", `{"name":null,"accountId":null}`} {
		r = b.do("POST", "/api/admin/accounts", admin, body)
		var gen newAccountJSON
		_ = json.Unmarshal(r.Data, &gen)
		if !regexp.MustCompile(`^[A-Z0-9]{6}$`).MatchString(gen.AccountID) || gen.APISecret == "" {
			t.Fatalf("generated account for %q: %s", body, r.raw)
		}
	}

	before, _ := b.st.ListAccounts(t.Context())
	for _, tc := range []struct {
		body  string
		code  int
		field string
	}{
		{`{"accountId":"ACME-1.prod_2"}`, 409, ""},
		{`{"accountId":"has space"}`, 400, "accountId"},
		{`{"accountId":"a/b"}`, 400, "accountId"},
		{`{"accountId":""}`, 400, "accountId"},
		{`{"accountId":"` + strings.Repeat("a", 65) + `"}`, 400, "accountId"},
		{`{"accountId":7}`, 400, "accountId"},
		{`{"name":"` + strings.Repeat("n", 300) + `"}`, 400, "name"},
		{`{"plan":"gold"}`, 400, "plan"},
		{`[`, 400, "body"},
	} {
		r := b.do("POST", "/api/admin/accounts", admin, tc.body)
		if r.code != tc.code || (tc.field != "" && r.fail(t)[tc.field] == "") {
			t.Errorf("%.40s: %d %s", tc.body, r.code, r.raw)
		}
	}
	if after, _ := b.st.ListAccounts(t.Context()); len(after) != len(before) {
		t.Fatalf("refused creations added accounts: %d → %d", len(before), len(after))
	}

	r = b.do("GET", "/api/admin/accounts", admin, "")
	var list []accountJSON
	_ = json.Unmarshal(r.Data, &list)
	if len(list) != len(before) {
		t.Fatalf("list: %s", r.raw)
	}
}

func TestAdminSecrets(t *testing.T) {
	t.Parallel()
	b := setup(t)
	admin := testAdminToken
	base := "/api/admin/accounts/" + acctA + "/secrets"

	r := b.do("POST", base, admin, `{"label":"ci"}`)
	var sec newSecretJSON
	if err := json.Unmarshal(r.Data, &sec); err != nil || sec.ID <= 0 || sec.APISecret == "" {
		t.Fatalf("add: %s", r.raw)
	}
	if r := b.do("GET", "/api/webhooks/list", sec.APISecret, ""); r.code != 200 {
		t.Fatalf("new secret refused: %d", r.code)
	}
	if r := b.do("POST", base, admin, ""); r.code != 200 {
		t.Fatalf("add without body: %s", r.raw)
	}

	r = b.do("GET", base, admin, "")
	if strings.Contains(string(r.raw), sec.APISecret) || strings.Contains(string(r.raw), b.secretA) {
		t.Fatal("secret values listed")
	}
	var secs []secretJSON
	_ = json.Unmarshal(r.Data, &secs)
	if len(secs) != 3 || secs[1].Label != "ci" || secs[1].RevokedAt != nil {
		t.Fatalf("list: %s", r.Data)
	}

	if r := b.do("DELETE", fmt.Sprintf("%s/%d", base, sec.ID), admin, ""); string(r.Data) != "true" {
		t.Fatalf("revoke: %s", r.raw)
	}
	if r := b.do("GET", "/api/webhooks/list", sec.APISecret, ""); r.code != 401 {
		t.Fatalf("revoked secret still works: %d", r.code)
	}
	if r := b.do("GET", "/api/webhooks/list", b.secretA, ""); r.code != 200 {
		t.Fatalf("other secret revoked too: %d", r.code)
	}
	r = b.do("GET", base, admin, "")
	_ = json.Unmarshal(r.Data, &secs)
	if secs[1].RevokedAt == nil {
		t.Fatalf("revokedAt not shown: %s", r.Data)
	}

	notFound := []struct{ method, path string }{
		{"GET", "/api/admin/accounts/NOPE42/secrets"},
		{"POST", "/api/admin/accounts/NOPE42/secrets"},
		{"DELETE", "/api/admin/accounts/NOPE42/secrets/1"},
		{"DELETE", base + "/abc"},
		{"DELETE", base + "/999999"},
		// B's secret through A's path: not found, and not revoked.
		{"DELETE", fmt.Sprintf("/api/admin/accounts/%s/secrets/%d", acctA, b.secretIDOf(acctB))},
	}
	for _, nf := range notFound {
		if r := b.do(nf.method, nf.path, admin, ""); r.code != 404 {
			t.Errorf("%s %s: %d %s", nf.method, nf.path, r.code, r.raw)
		}
	}
	if r := b.do("GET", "/api/webhooks/list", b.secretB, ""); r.code != 200 {
		t.Fatal("B's secret revoked through A's path")
	}
}

func (b *bundle) secretIDOf(acct string) int64 {
	secs, err := b.st.ListAPISecrets(b.t.Context(), acct)
	if err != nil || len(secs) == 0 {
		b.t.Fatalf("secrets of %s: %v", acct, err)
	}
	return secs[0].ID
}

func TestAdminAuth(t *testing.T) {
	t.Parallel()
	b := setup(t)
	nb := setup(t, func(d *Deps) { d.AdminToken = nil })
	for _, tc := range []struct {
		b     *bundle
		token string
	}{
		{b, ""}, {b, "wrong"}, {b, b.secretA}, {b, testAdminToken + "x"}, {nb, testAdminToken}, {nb, ""},
	} {
		for _, rt := range []struct{ method, path string }{
			{"GET", "/api/admin/accounts"}, {"POST", "/api/admin/accounts"},
			{"GET", "/api/admin/accounts/ZG6NWV/secrets"}, {"DELETE", "/api/admin/accounts/ZG6NWV/secrets/1"},
		} {
			if r := tc.b.do(rt.method, rt.path, tc.token, ""); r.code != 401 {
				t.Errorf("token %q: %s %s = %d", tc.token, rt.method, rt.path, r.code)
			}
		}
	}
	if accs, _ := b.st.ListAccounts(t.Context()); len(accs) != 2 {
		t.Fatalf("unauthorized admin calls created accounts: %d", len(accs))
	}
	if secs, _ := b.st.ListAPISecrets(t.Context(), acctA); secs[0].RevokedAt.IsZero() == false {
		t.Fatal("unauthorized admin call revoked a secret")
	}
}
