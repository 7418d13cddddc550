package sample

import (
	"bytes"
	"errors"
	"image/jpeg"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookcast/hookcast/webhook"
)

func TestEveryNameDecodes(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 22, 10, 0, 0, 123e6, time.UTC)
	names := Names()
	if len(names) != 17 || names[0] != "feeds.started" || names[len(names)-1] != "thumbnail.captured" {
		t.Fatalf("Names = %v", names)
	}
	for _, name := range names {
		typ, event, _ := strings.Cut(name, ".")
		ct, body, hdrs, err := Event(typ, event, now)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		h := http.Header{"Content-Type": {ct}}
		for k, v := range hdrs {
			h.Set(k, v)
		}
		e, err := webhook.Decode(h, body)
		if err != nil {
			t.Fatalf("%s: Decode: %v\n%s", name, err, body)
		}
		if e.WebhookType() != typ || e.EventName() != event || !e.When().Equal(now) {
			t.Fatalf("%s: decoded as %s.%s at %v", name, e.WebhookType(), e.EventName(), e.When())
		}
		switch e := e.(type) {
		case *webhook.FeedsEvent:
			if e.Data.StreamID != StreamID || e.Data.Active != (event == "started") || (e.Data.Ended != 0) != (event == "ended") {
				t.Fatalf("%s: data %+v", name, e.Data)
			}
		case *webhook.TranscoderEvent:
			if _, err := time.Parse(time.RFC3339, e.Data.CreatedOn); err != nil || e.Data.Status == "" {
				t.Fatalf("%s: data %+v", name, e.Data)
			}
		case *webhook.RecordingsEvent:
			if (e.Data.RemovedOn != 0) != (event == "deleted") || (e.Data.Metadata != nil) != (event == "completed") {
				t.Fatalf("%s: data %+v", name, e.Data)
			}
		case *webhook.ThumbnailEvent:
			if ct != "image/jpeg" || e.FeedID != FeedID || e.StreamID != StreamID || e.TokenID != TokenID {
				t.Fatalf("%s: %s %+v", name, ct, e)
			}
			img, err := jpeg.Decode(bytes.NewReader(e.Image))
			if err != nil || img.Bounds().Dx() != 160 || img.Bounds().Dy() != 90 {
				t.Fatalf("thumbnail is not a 160x90 JPEG: %v", err)
			}
		}
	}
}

func TestUnknown(t *testing.T) {
	t.Parallel()
	for _, te := range [][2]string{{"feeds", "paused"}, {"feed", "started"}, {"", ""}, {"transcoder", ""}} {
		_, _, _, err := Event(te[0], te[1], time.Now())
		if !errors.Is(err, ErrUnknown) || !strings.Contains(err.Error(), "viewerConnection.noActiveViewers") {
			t.Fatalf("Event(%q, %q) = %v", te[0], te[1], err)
		}
	}
}

func TestLookup(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, typ, event string }{
		{"feeds.started", "feeds", "started"},
		{"FEEDS.Ended", "feeds", "ended"},
		{"viewerconnection.NOACTIVEVIEWERS", "viewerConnection", "noActiveViewers"},
		{"transcoder.active", "transcoder", "ACTIVE"},
		{"thumbnail", "thumbnail", "captured"},
		{"thumbnail.captured", "thumbnail", "captured"},
		{"thumbnail.other", "", ""},
		{"feeds", "", ""},
		{"feeds.started.extra", "", ""},
	}
	for _, tt := range tests {
		typ, event, ok := Lookup(tt.in)
		if typ != tt.typ || event != tt.event || ok != (tt.typ != "") {
			t.Errorf("Lookup(%q) = %q, %q, %v", tt.in, typ, event, ok)
		}
	}
}

func TestJPEGIsACopy(t *testing.T) {
	t.Parallel()
	a := JPEG()
	a[0] = 0
	if JPEG()[0] != 0xFF {
		t.Fatal("JPEG returned shared bytes")
	}
}

// EventFor names the given account, stream and transcoder wherever a sample
// names them (the test endpoint sends the caller's account, not ZG6NWV), and
// nothing of the defaults is left.
func TestEventForNamesTheSubject(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	sub := Subject{AccountID: "ACC123", StreamName: "cam_7", TranscoderName: "tx_9"}
	for _, name := range Names() {
		typ, event, _ := strings.Cut(name, ".")
		ct, body, hdrs, err := EventFor(typ, event, now, sub)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		h := http.Header{"Content-Type": {ct}}
		for k, v := range hdrs {
			h.Set(k, v)
		}
		e, err := webhook.Decode(h, body)
		if err != nil {
			t.Fatalf("%s: Decode: %v", name, err)
		}
		var got []string
		switch e := e.(type) {
		case *webhook.FeedsEvent:
			got = []string{e.Data.AccountID, e.Data.Name, e.Data.StreamID}
		case *webhook.ViewerConnectionEvent:
			got = []string{e.Data.AccountID, e.Data.Name, e.Data.StreamID}
		case *webhook.MediaEvent:
			got = []string{e.Data.StreamName, e.Data.StreamID}
		case *webhook.RecordingsEvent:
			got = []string{e.Data.StreamName}
		case *webhook.TranscoderEvent:
			got = []string{e.Data.TranscoderName}
		case *webhook.ThumbnailEvent:
			got = []string{h.Get(webhook.HeaderStreamID)}
		default:
			t.Fatalf("%s: decoded as %T", name, e)
		}
		for _, v := range got {
			if !strings.Contains(v, "ACC123") && !strings.Contains(v, "cam_7") && v != "tx_9" {
				t.Errorf("%s: %q names none of the subject", name, v)
			}
		}
		for _, def := range []string{AccountID, StreamName, "test_webhooks"} {
			if bytes.Contains(body, []byte(def)) || strings.Contains(h.Get(webhook.HeaderStreamID), def) {
				t.Errorf("%s still names the sample's %s", name, def)
			}
		}
	}
}
