package storetest

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/store"
)

func testWebhooks(t *testing.T, s store.Store) {
	c := ctx(t)
	newAccount(t, s, "A")
	err := s.CreateWebhook(c, &store.Webhook{AccountID: "nobody", URL: "http://127.0.0.1:9/"})
	wantErr(t, err, store.ErrNotFound)

	w := newWebhook(t, s, "A", func(w *store.Webhook) {
		w.IsRecordingHooks, w.IsMediaHooks, w.IsClipHooks, w.IsOperationalHooks = false, false, true, true
		w.Filter, w.RetryPolicy = "^cam", "none"
		w.Disabled, w.DisabledUntil, w.DisabledReason = true, t0, "410 Gone"
		w.ConsecutiveFailures = 3
		w.PreviousSecret, w.PreviousSecretExpiresAt = "b2xk", t0.Add(24*time.Hour)
		w.Headers = map[string]string{"Authorization": "Bearer t0k3n", "X-Tenant": "ü \"quoted\""}
	})
	if w.ID == 0 || w.CreatedAt.IsZero() || !w.UpdatedAt.Equal(w.CreatedAt) {
		t.Fatalf("CreateWebhook set ID %d, CreatedAt %v, UpdatedAt %v", w.ID, w.CreatedAt, w.UpdatedAt)
	}
	got, err := s.GetWebhook(c, "A", w.ID)
	must(t, err)
	if !reflect.DeepEqual(got, w) {
		t.Fatalf("GetWebhook =\n%+v\nwant\n%+v", got, w)
	}

	// Every field but the keys and CreatedAt is written by UpdateWebhook.
	upd := w
	upd.URL, upd.Secret = "http://127.0.0.1:9/new", "bmV3"
	upd.IsFeedHooks, upd.IsRecordingHooks, upd.IsThumbnailHooks = false, true, false
	upd.IsTranscoderHooks, upd.IsMediaHooks, upd.IsViewerConnectionHooks = false, true, false
	upd.IsClipHooks, upd.IsOperationalHooks = false, false
	upd.Filter, upd.RetryPolicy = "", "exponential"
	upd.Disabled, upd.DisabledUntil, upd.DisabledReason, upd.ConsecutiveFailures = false, time.Time{}, "", 0
	upd.PreviousSecret, upd.PreviousSecretExpiresAt = "", time.Time{}
	upd.Headers = nil // none: comes back nil, not empty
	upd.CreatedAt = time.Time{}
	must(t, s.UpdateWebhook(c, &upd))
	if !upd.CreatedAt.Equal(w.CreatedAt) || upd.UpdatedAt.Before(w.UpdatedAt) {
		t.Fatalf("UpdateWebhook times: created %v (want %v), updated %v", upd.CreatedAt, w.CreatedAt, upd.UpdatedAt)
	}
	got, err = s.GetWebhook(c, "A", w.ID)
	must(t, err)
	if !reflect.DeepEqual(got, upd) {
		t.Fatalf("after UpdateWebhook got\n%+v\nwant\n%+v", got, upd)
	}
	missing := upd
	missing.ID += 1000
	wantErr(t, s.UpdateWebhook(c, &missing), store.ErrNotFound)

	// Ids increase and are never reused, even after the newest is deleted.
	w2 := newWebhook(t, s, "A")
	must(t, s.DeleteWebhook(c, "A", w2.ID))
	w3 := newWebhook(t, s, "A")
	if !(w.ID < w2.ID && w2.ID < w3.ID) {
		t.Fatalf("ids %d, %d, %d: want increasing, never reused", w.ID, w2.ID, w3.ID)
	}
	_, err = s.GetWebhook(c, "A", w2.ID)
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.DeleteWebhook(c, "A", w2.ID), store.ErrNotFound)
}

// testWebhookIsolation: a webhook of A does not exist for B, whatever B tries.
func testWebhookIsolation(t *testing.T, s store.Store) {
	c := ctx(t)
	newAccount(t, s, "A")
	newAccount(t, s, "B")
	w := newWebhook(t, s, "A")
	_, err := s.GetWebhook(c, "B", w.ID)
	wantErr(t, err, store.ErrNotFound)
	stolen := w
	stolen.AccountID, stolen.URL = "B", "http://127.0.0.1:9/stolen"
	wantErr(t, s.UpdateWebhook(c, &stolen), store.ErrNotFound)
	wantErr(t, s.DeleteWebhook(c, "B", w.ID), store.ErrNotFound)
	list, err := s.ListWebhooks(c, "B", 0, 0, false)
	must(t, err)
	if len(list) != 0 {
		t.Fatalf("B lists %d webhooks of A", len(list))
	}
	got, err := s.GetWebhook(c, "A", w.ID)
	must(t, err)
	if got.URL != w.URL {
		t.Fatalf("B's update changed A's webhook: %s", got.URL)
	}
}

func testListWebhooks(t *testing.T, s store.Store) {
	newAccount(t, s, "A")
	newAccount(t, s, "B")
	var ids []int64 // A's, interleaved with B's so ids have gaps
	for range 5 {
		newWebhook(t, s, "B")
		ids = append(ids, newWebhook(t, s, "A").ID)
	}
	tests := []struct {
		name       string
		start      int64
		limit      int
		descending bool
		want       []int64
	}{
		{"first page", 0, 2, false, ids[:2]},
		{"from an id, inclusive", ids[2], 10, false, ids[2:]},
		{"from between two ids", ids[2] + 1, 10, false, ids[3:]},
		{"no limit", 0, 0, false, ids},
		{"past the end", ids[4] + 100, 10, false, nil},
		{"descending from the end", 0, 2, true, []int64{ids[4], ids[3]}},
		{"descending from an id, inclusive", ids[2], 10, true, []int64{ids[2], ids[1], ids[0]}},
		{"descending, no limit", 0, 0, true, []int64{ids[4], ids[3], ids[2], ids[1], ids[0]}},
		{"descending before the start", ids[0] - 1, 10, true, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ListWebhooks(ctx(t), "A", tc.start, tc.limit, tc.descending)
			must(t, err)
			if !slices.Equal(webhookIDs(got), tc.want) {
				t.Fatalf("ListWebhooks(%d, %d, %v) = %v, want %v", tc.start, tc.limit, tc.descending, webhookIDs(got), tc.want)
			}
			for _, w := range got {
				if w.AccountID != "A" {
					t.Fatalf("listed a webhook of %s", w.AccountID)
				}
			}
		})
	}
}

// testClaimExpiringSecrets: a previous secret expiring within the window is
// returned once per expiry, whoever asks; a new renewal comes due again.
func testClaimExpiringSecrets(t *testing.T, s store.Store) {
	c := ctx(t)
	newAccount(t, s, "A")
	newAccount(t, s, "B")
	rotated := func(account string, expires time.Time) store.Webhook {
		return newWebhook(t, s, account, func(w *store.Webhook) { w.PreviousSecret, w.PreviousSecretExpiresAt = "b2xk", expires })
	}
	soon := rotated("A", t0.Add(30*time.Minute))
	other := rotated("B", t0.Add(time.Hour)) // at the edge: included
	rotated("A", t0.Add(2*time.Hour))        // later
	rotated("A", t0.Add(-time.Minute))       // over already
	newWebhook(t, s, "A")                    // never rotated
	got, err := s.ClaimExpiringSecrets(c, t0, t0.Add(time.Hour))
	must(t, err)
	slices.SortFunc(got, func(a, b store.Webhook) int { return int(a.ID - b.ID) })
	if !slices.Equal(webhookIDs(got), []int64{soon.ID, other.ID}) {
		t.Fatalf("ClaimExpiringSecrets = %v, want %v", webhookIDs(got), []int64{soon.ID, other.ID})
	}
	if got[0].AccountID != "A" || got[0].PreviousSecret != "b2xk" {
		t.Fatalf("claimed %+v", got[0])
	}
	got, err = s.ClaimExpiringSecrets(c, t0, t0.Add(time.Hour))
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("claimed again: %v", webhookIDs(got))
	}
	// Renewed again: a new expiry, due again.
	soon.PreviousSecretExpiresAt = t0.Add(45 * time.Minute)
	must(t, s.UpdateWebhook(c, &soon))
	got, err = s.ClaimExpiringSecrets(c, t0, t0.Add(time.Hour))
	must(t, err)
	if !slices.Equal(webhookIDs(got), []int64{soon.ID}) {
		t.Fatalf("after a new renewal: %v, want %d", webhookIDs(got), soon.ID)
	}
}
