package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hookcast/hookcast/internal/engine"
	"github.com/hookcast/hookcast/internal/store"
)

// logFixture is a delivery log written through the store as the committer would.
type logFixture struct {
	feed, thumb, viewer, other int64 // delivery ids; other is account B's
	jpeg                       []byte
	t0                         time.Time
}

func (b *bundle) insert(ev store.Event, webhookID int64) int64 {
	b.t.Helper()
	var ids [][]int64
	err := b.st.InTx(context.Background(), func(tx store.Tx) error {
		var err error
		ids, err = tx.InsertEvents(context.Background(), []store.NewEvent{{Event: ev, Deliveries: []store.Delivery{{
			WebhookID: webhookID, State: store.DeliveryPending, NextAttemptAt: ev.CreatedAt, CreatedAt: ev.CreatedAt,
		}}}})
		return err
	})
	if err != nil {
		b.t.Fatalf("insert event: %v", err)
	}
	return ids[0][0]
}

// fail records one failed attempt of delivery id, as the dispatcher would.
func (b *bundle) failDelivery(id int64, response []byte) {
	b.t.Helper()
	ctx := context.Background()
	now := time.Now()
	got, err := b.st.ClaimDeliveries(ctx, store.Claim{Owner: "test", Now: now, Lease: time.Minute})
	var others []int64
	attempts := -1
	for _, cd := range got {
		if cd.Delivery.ID == id {
			attempts = cd.Delivery.Attempts
		} else {
			others = append(others, cd.Delivery.ID)
		}
	}
	if err != nil || attempts < 0 {
		b.t.Fatalf("claim %d: %v (%d claimed)", id, err, len(got))
	}
	if err := b.st.ReleaseDeliveries(ctx, "test", others); err != nil {
		b.t.Fatal(err)
	}
	err = b.st.FinishAttempts(ctx, []store.AttemptResult{{Owner: "test", State: store.DeliveryFailed,
		Attempt: store.Attempt{DeliveryID: id, N: attempts + 1, At: now, Status: 500,
			Latency: 1234567 * time.Nanosecond, Error: "HTTP 500", Response: response}}})[0]
	if err != nil {
		b.t.Fatalf("finish %d: %v", id, err)
	}
}

func (b *bundle) logFixture() logFixture {
	b.t.Helper()
	wa := b.createWebhook(b.secretA, "https://hooks.example.com/a")
	wb := b.createWebhook(b.secretB, "https://hooks.example.com/b")
	f := logFixture{jpeg: []byte{0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 'J', 'F', 'I', 'F', 0xff, 0xd9}, t0: time.Now().Add(-time.Hour)}
	feed := `{"type":"feeds","event":"started","timestamp":1638463486489,"data":{"feedId":"f1","accountId":"ZG6NWV","name":"s","streamId":"ZG6NWV/s","started":1638463486359,"active":true}}`
	f.feed = b.insert(store.Event{ID: "ev-feed", AccountID: acctA, Type: "feeds", Event: "started", StreamName: "s",
		Timestamp: 1638463486489, ContentType: "application/json", Body: []byte(feed), CreatedAt: f.t0}, wa.ID)
	f.thumb = b.insert(store.Event{ID: "ev-thumb", AccountID: acctA, Type: "thumbnail", Event: "", StreamName: "s",
		Timestamp: 1638463487000, ContentType: "image/jpeg", Body: f.jpeg, CreatedAt: f.t0.Add(time.Minute),
		Headers: map[string]string{"X-Millicast-Feed-Id": "f1"}}, wa.ID)
	f.viewer = b.insert(store.Event{ID: "ev-viewer", AccountID: acctA, Type: "viewerConnection", Event: "viewerAttempt",
		StreamName: "s", Timestamp: 1638463488000, ContentType: "application/json",
		Body:      []byte(`{"type":"viewerConnection","event":"viewerAttempt","timestamp":1638463488000,"data":{}}`),
		CreatedAt: f.t0.Add(2 * time.Minute)}, wa.ID)
	f.other = b.insert(store.Event{ID: "ev-b", AccountID: acctB, Type: "feeds", Event: "ended", StreamName: "s",
		Timestamp: 1638463489000, ContentType: "application/json", Body: []byte(`{}`), CreatedAt: f.t0}, wb.ID)
	resp := append([]byte("oops \xff\xfe "), bytes.Repeat([]byte("x"), 5000)...)
	b.failDelivery(f.feed, resp)
	return f
}

func (b *bundle) listIDs(query string) ([]int64, *int64) {
	b.t.Helper()
	r := b.do("GET", "/api/deliveries"+query, b.secretA, "")
	if r.Status != "success" {
		b.t.Fatalf("list %s: %s", query, r.raw)
	}
	var page deliveryPage
	if err := json.Unmarshal(r.Data, &page); err != nil {
		b.t.Fatal(err)
	}
	ids := []int64{}
	for _, d := range page.Deliveries {
		ids = append(ids, d.ID)
	}
	return ids, page.NextBeforeID
}

func TestDeliveryList(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := b.logFixture()
	tests := []struct {
		query string
		want  []int64
	}{
		{"", []int64{f.viewer, f.thumb, f.feed}},
		{"?eventType=FEEDS", []int64{f.feed}},
		{"?eventType=ViewerConnection", []int64{f.viewer}},
		{"?state=failed", []int64{f.feed}},
		{"?state=pending", []int64{f.viewer, f.thumb}},
		{fmt.Sprintf("?since=%d", f.t0.Add(30*time.Second).UnixMilli()), []int64{f.viewer, f.thumb}},
		{"?since=" + f.t0.Add(90*time.Second).UTC().Format(time.RFC3339), []int64{f.viewer}},
		{fmt.Sprintf("?beforeId=%d", f.viewer), []int64{f.thumb, f.feed}},
		{"?webhookId=999999", []int64{}},
	}
	for _, tc := range tests {
		if got, _ := b.listIDs(tc.query); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("list%s = %v, want %v", tc.query, got, tc.want)
		}
	}
	// Paging: nextBeforeId until null.
	var seen []int64
	query := "?limit=2"
	for range 5 {
		ids, next := b.listIDs(query)
		seen = append(seen, ids...)
		if next == nil {
			break
		}
		query = fmt.Sprintf("?limit=2&beforeId=%d", *next)
	}
	if fmt.Sprint(seen) != fmt.Sprint([]int64{f.viewer, f.thumb, f.feed}) {
		t.Errorf("paged %v", seen)
	}
	for q, field := range map[string]string{
		"?webhookId=x": "webhookId", "?eventType=nope": "eventType", "?state=done": "state",
		"?since=yesterday": "since", "?beforeId=0": "beforeId", "?limit=0": "limit", "?limit=501": "limit",
	} {
		if fl := b.do("GET", "/api/deliveries"+q, b.secretA, "").fail(t); fl[field] == "" {
			t.Errorf("%s: fail %v", q, fl)
		}
	}
}

func TestDeliveryDetail(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := b.logFixture()
	var d struct {
		deliveryJSON
		Attempts []attemptJSON `json:"attempts"`
		Event    *eventJSON    `json:"event"`
	}
	r := b.do("GET", fmt.Sprintf("/api/deliveries/%d", f.feed), b.secretA, "")
	if err := json.Unmarshal(r.Data, &d); err != nil {
		t.Fatalf("%v: %s", err, r.raw)
	}
	if d.State != "failed" || d.EventName != "started" || d.EventType != "feeds" || d.AttemptCount != 1 || len(d.Attempts) != 1 || d.LastStatus != 500 {
		t.Fatalf("delivery %s", r.Data)
	}
	a := d.Attempts[0]
	if a.Status != 500 || a.N != 1 || a.LatencyMs != 1.234 || a.Error != "HTTP 500" {
		t.Fatalf("attempt %+v", a)
	}
	if len(a.Response) > 4096 || !utf8.ValidString(a.Response) || !strings.HasPrefix(a.Response, "oops ") {
		t.Fatalf("response: %d bytes, valid %v, %.20q", len(a.Response), utf8.ValidString(a.Response), a.Response)
	}
	if d.Event == nil || d.Event.BodyEncoding != "json" || d.Event.Type != "feeds" ||
		!strings.Contains(string(d.Event.Body), `"feedId":"f1"`) {
		t.Fatalf("event %s", r.Data)
	}

	r = b.do("GET", fmt.Sprintf("/api/deliveries/%d", f.thumb), b.secretA, "")
	if err := json.Unmarshal(r.Data, &d); err != nil {
		t.Fatal(err)
	}
	var b64 string
	_ = json.Unmarshal(d.Event.Body, &b64)
	if body, _ := base64.StdEncoding.DecodeString(b64); d.Event.BodyEncoding != "base64" || !bytes.Equal(body, f.jpeg) ||
		d.Event.Headers["X-Millicast-Feed-Id"] != "f1" || d.NextAttemptAt == nil {
		t.Fatalf("thumbnail delivery %s", r.Data)
	}

	for _, path := range []string{fmt.Sprintf("/api/deliveries/%d", f.other), "/api/deliveries/abc", "/api/deliveries/0"} {
		if r := b.do("GET", path, b.secretA, ""); r.code != 404 {
			t.Errorf("%s: %d %s", path, r.code, r.raw)
		}
	}
}

func TestResend(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := b.logFixture()
	ctx := context.Background()
	r := b.do("POST", fmt.Sprintf("/api/deliveries/%d/resend", f.feed), b.secretA, "")
	if string(r.Data) != fmt.Sprintf(`{"resent":[%d]}`, f.feed) {
		t.Fatalf("resend one: %s", r.raw)
	}
	if d, _, _ := b.st.GetDelivery(ctx, acctA, f.feed); d.State != store.DeliveryPending {
		t.Fatalf("state after resend: %s", d.State)
	}
	if n := b.wakeCalls(); n != 1 {
		t.Fatalf("dispatcher woken %d times after a resend, want 1", n)
	}
	// Another account's delivery is not found and not touched.
	if r := b.do("POST", fmt.Sprintf("/api/deliveries/%d/resend", f.other), b.secretA, ""); r.code != 404 {
		t.Fatalf("resend B's: %d %s", r.code, r.raw)
	}

	b.failDelivery(f.feed, nil)
	b.failDelivery(f.viewer, nil)
	for body, field := range map[string]string{
		`{}`:                            "since",
		`{"since":"last week"}`:         "since",
		`{"since":0,"state":"pending"}`: "state",
		`{"since":0,"eventType":"x"}`:   "eventType",
		`{"since":0,"webhookId":-1}`:    "webhookId",
		`{"since":0,"limit":5}`:         "limit",
	} {
		if fl := b.do("POST", "/api/deliveries/resend", b.secretA, body).fail(t); fl[field] == "" {
			t.Errorf("%s: %v", body, fl)
		}
	}
	if d, _, _ := b.st.GetDelivery(ctx, acctA, f.viewer); d.State != store.DeliveryFailed {
		t.Fatalf("a refused bulk resend changed state: %s", d.State)
	}
	since := f.t0.Add(time.Minute).Format(time.RFC3339)
	r = b.do("POST", "/api/deliveries/resend", b.secretA, fmt.Sprintf(`{"since":%q,"state":"failed"}`, since))
	if string(r.Data) != fmt.Sprintf(`{"resent":[%d]}`, f.viewer) {
		t.Fatalf("bulk resend since %s: %s", since, r.raw)
	}
	r = b.do("POST", "/api/deliveries/resend", b.secretB, `{"since":0}`)
	if string(r.Data) != `{"resent":[]}` {
		t.Fatalf("B's bulk resend: %s", r.raw)
	}
	r = b.do("POST", "/api/deliveries/resend", b.secretA, `{"since":0,"eventType":"feeds"}`)
	if string(r.Data) != fmt.Sprintf(`{"resent":[%d]}`, f.feed) {
		t.Fatalf("bulk resend feeds: %s", r.raw)
	}
}

func TestStreams(t *testing.T) {
	t.Parallel()
	b := setup(t, func(d *Deps) {
		d.Streams = func(ctx context.Context, acct string) ([]engine.StreamView, error) {
			return []engine.StreamView{{AccountID: acct, Name: "s", StreamID: acct + "/s", Live: true, Feeds: []engine.FeedView{}}}, nil
		}
	})
	r := b.do("GET", "/api/streams", b.secretB, "")
	if string(r.Data) != `[{"accountId":"OTHER1","name":"s","streamId":"OTHER1/s","live":true,"feeds":[],"viewers":0,"armed":false}]` {
		t.Fatalf("streams: %s", r.raw)
	}
	nb := setup(t)
	if r := nb.do("GET", "/api/streams", nb.secretA, ""); r.code != 501 {
		t.Fatalf("nil Streams: %d", r.code)
	}
}

func TestThumbnail(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var calls []string
	b := setup(t, func(d *Deps) {
		d.Thumbnail = func(ctx context.Context, acct, name, token string) error {
			mu.Lock()
			calls = append(calls, acct+"/"+name+"/"+token)
			mu.Unlock()
			switch name {
			case "busy":
				return fmt.Errorf("stream busy: %w", ErrRateLimited)
			case "gone":
				return fmt.Errorf("stream gone: %w", store.ErrNotFound)
			}
			return nil
		}
	})
	tests := []struct {
		body  string
		code  int
		field string
	}{
		{`{"streamName":"live1","tokenId":"t9"}`, 200, ""},
		{`{"streamName":"busy"}`, 429, ""},
		{`{"streamName":"gone"}`, 404, ""},
		{`{}`, 400, "streamName"},
		{`{"streamName":"a/b"}`, 400, "streamName"},
		{`{"streamName":"s","size":1}`, 400, "size"},
	}
	for _, tc := range tests {
		r := b.do("POST", "/api/thumbnails", b.secretA, tc.body)
		if r.code != tc.code || (tc.field != "" && r.fail(t)[tc.field] == "") {
			t.Errorf("%s: %d %s", tc.body, r.code, r.raw)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(calls) != "[ZG6NWV/live1/t9 ZG6NWV/busy/ ZG6NWV/gone/]" {
		t.Fatalf("calls %v", calls)
	}
}

// TestStreamsPages: with itemCount or after, GET /api/streams answers one page
// of streams by name and the name to continue after; bad paging is a 400.
func TestStreamsPages(t *testing.T) {
	t.Parallel()
	b := setup(t, func(d *Deps) {
		d.Streams = func(ctx context.Context, acct string) ([]engine.StreamView, error) {
			return []engine.StreamView{{Name: "c"}, {Name: "a"}, {Name: "e"}, {Name: "b"}, {Name: "d"}}, nil
		}
	})
	for _, tc := range []struct{ query, want string }{
		{"?itemCount=2", `[a b] b`},
		{"?itemCount=2&after=b", `[c d] d`},
		{"?item_count=2&after=d", `[e] <nil>`},
		{"?after=e", `[] <nil>`},
		{"?after=a", `[b c d e] <nil>`},
	} {
		r := b.do("GET", "/api/streams"+tc.query, b.secretB, "")
		var page struct {
			Streams []struct {
				Name string `json:"name"`
			} `json:"streams"`
			Next *string `json:"next"`
		}
		if err := json.Unmarshal(r.Data, &page); err != nil || page.Streams == nil {
			t.Errorf("%s: %d %s: %v", tc.query, r.code, r.Data, err)
			continue
		}
		names := []string{}
		for _, s := range page.Streams {
			names = append(names, s.Name)
		}
		next := "<nil>"
		if page.Next != nil {
			next = *page.Next
		}
		if got := fmt.Sprint(names) + " " + next; r.code != 200 || got != tc.want {
			t.Errorf("%s: %d %s, want %s", tc.query, r.code, got, tc.want)
		}
	}
	for _, q := range []string{"?itemCount=0", "?itemCount=1001", "?itemCount=x"} {
		if r := b.do("GET", "/api/streams"+q, b.secretB, ""); r.code != 400 {
			t.Errorf("%s: %d, want 400", q, r.code)
		}
	}
}

// TestResendRange: recovery by time range resends the failed and skipped
// deliveries of the window [since, until) (of one webhook when given), and
// nothing else.
func TestResendRange(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	w1, w2 := b.createWebhook(b.secretA, "https://a.example.com/"), b.createWebhook(b.secretA, "https://b.example.com/")
	t0 := time.Date(2025, 2, 1, 10, 0, 0, 0, time.UTC)
	type key struct {
		hour int
		wh   int64
	}
	ids := map[key]int64{}
	for h := range 4 {
		ev := store.Event{ID: fmt.Sprintf("evt_range_%d", h), AccountID: acctA, Type: "feeds", Event: "started",
			ContentType: "application/json", Body: []byte(`{}`), CreatedAt: t0.Add(time.Duration(h) * time.Hour)}
		states := []store.DeliveryState{store.DeliveryFailed, store.DeliverySkipped}
		var got [][]int64
		err := b.st.InTx(ctx, func(tx store.Tx) error {
			var err error
			got, err = tx.InsertEvents(ctx, []store.NewEvent{{Event: ev, Deliveries: []store.Delivery{
				{WebhookID: w1.ID, State: states[h%2]}, {WebhookID: w2.ID, State: store.DeliveryFailed},
			}}})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		ids[key{h, w1.ID}], ids[key{h, w2.ID}] = got[0][0], got[0][1]
	}
	for body, field := range map[string]string{
		`{"since":0,"until":"soon"}`: "until",
		fmt.Sprintf(`{"since":%q,"until":%q}`, t0.Add(time.Hour).Format(time.RFC3339), t0.Format(time.RFC3339)): "until",
		fmt.Sprintf(`{"until":%q}`, t0.Format(time.RFC3339)):                                                    "since",
	} {
		if fl := b.do("POST", "/api/deliveries/resend", b.secretA, body).fail(t); fl[field] == "" {
			t.Errorf("%s: fail %v, want %s named", body, fl, field)
		}
	}
	body := fmt.Sprintf(`{"since":%q,"until":%d,"webhookId":%d}`,
		t0.Add(time.Hour).Format(time.RFC3339), t0.Add(3*time.Hour).UnixMilli(), w1.ID)
	r := b.do("POST", "/api/deliveries/resend", b.secretA, body)
	if want := fmt.Sprintf(`{"resent":[%d,%d]}`, ids[key{1, w1.ID}], ids[key{2, w1.ID}]); string(r.Data) != want {
		t.Fatalf("resend [1h, 3h) of webhook %d: %s, want %s", w1.ID, r.raw, want)
	}
	for k, id := range ids {
		d, _, err := b.st.GetDelivery(ctx, acctA, id)
		if err != nil {
			t.Fatal(err)
		}
		inRange := k.wh == w1.ID && (k.hour == 1 || k.hour == 2)
		if (d.State == store.DeliveryPending) != inRange {
			t.Errorf("delivery of hour %d, webhook %d: %s (in the range: %v)", k.hour, k.wh, d.State, inRange)
		}
	}
	// The log lists the same window.
	r = b.do("GET", fmt.Sprintf("/api/deliveries?webhookId=%d&since=%s&until=%s", w2.ID,
		t0.Add(time.Hour).Format(time.RFC3339), t0.Add(2*time.Hour).Format(time.RFC3339)), b.secretA, "")
	if !strings.Contains(string(r.Data), fmt.Sprintf(`"id":%d,`, ids[key{1, w2.ID}])) || strings.Count(string(r.Data), `"eventId"`) != 1 {
		t.Fatalf("list [1h, 2h) of webhook %d: %s", w2.ID, r.raw)
	}
}
