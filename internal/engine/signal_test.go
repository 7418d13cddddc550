package engine

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
)

func TestValidateSignal(t *testing.T) {
	t.Parallel()
	nan, two := math.NaN(), 2.0
	with := func(s Signal, f func(*Signal)) Signal { f(&s); return s }
	tr := Signal{Kind: TranscoderUpdated, AccountID: acc, Event: "ACTIVE", TranscoderID: "t", TranscoderName: "n", Cluster: "c", CreatedOn: "2024-01-02T03:04:05Z"}
	tests := []struct {
		name string
		sig  Signal
		want string // empty: valid
	}{
		{"viewer connected", conn("v1"), ""},
		{"attempt without viewer", att(), ""},
		{"feed with options", with(start("f1"), func(s *Signal) { s.Priority, s.SourceID, s.SimulcastID = &two, "s", "h"; s.At = 5 }), ""},
		{"feed ended with reason", with(end("f1"), func(s *Signal) { s.Reason = ReasonTimeout }), ""},
		{"media", media("deleted", "clip"), ""},
		{"transcoder", tr, ""},
		{"no kind", Signal{AccountID: acc}, "kind: required"},
		{"unknown kind", with(att(), func(s *Signal) { s.Kind = "viewer.left" }), "kind: must be one of"},
		{"no account", with(att(), func(s *Signal) { s.AccountID = "" }), "accountId: required"},
		{"account with a slash", with(att(), func(s *Signal) { s.AccountID = "a/b" }), "accountId: must be 1-64 characters of letters, digits, _ - ."},
		{"name too long", with(att(), func(s *Signal) { s.Name = strings.Repeat("n", 65) }), "name: must be 1-64 characters"},
		{"name of 64 is fine", with(att(), func(s *Signal) { s.Name = strings.Repeat("n", 64) }), ""},
		{"name with a space", with(att(), func(s *Signal) { s.Name = "my show" }), "name: must be 1-64"},
		{"no name", with(att(), func(s *Signal) { s.Name = "" }), "name: required"},
		{"no feed id", start(""), "feedId: required"},
		{"no viewer id", conn(""), "viewerId: required"},
		{"viewer id with a newline", conn("a\nb"), "viewerId: must be 1-256 bytes"},
		{"viewer id too long", conn(strings.Repeat("v", 257)), "viewerId: must be 1-256 bytes"},
		{"viewer id not UTF-8", conn("\xff"), "viewerId: must be 1-256 bytes"},
		{"field of another kind", with(conn("v1"), func(s *Signal) { s.FeedID = "f" }), "feedId: not allowed for kind viewer.connected"},
		{"reason on started", with(start("f1"), func(s *Signal) { s.Reason = "publisher" }), "reason: not allowed for kind feed.started"},
		{"bad reason", with(end("f1"), func(s *Signal) { s.Reason = "crash" }), "reason: must be publisher or timeout"},
		{"NaN priority", with(start("f1"), func(s *Signal) { s.Priority = &nan }), "priority: must be a finite number"},
		{"negative at", with(att(), func(s *Signal) { s.At = -1 }), "at: must not be negative"},
		{"media bad event", with(media("done", "clip"), func(*Signal) {}), "event: must be one of processing"},
		{"media bad type", media("completed", "movie"), "type: must be clip or recording"},
		{"media no asset", with(media("completed", "clip"), func(s *Signal) { s.MediaAssetID = "" }), "mediaAssetId: required"},
		{"media no stream name", with(media("completed", "clip"), func(s *Signal) { s.StreamName = "" }), "streamName: required"},
		{"media name on media", with(media("completed", "clip"), func(s *Signal) { s.Name = "x" }), "name: not allowed for kind media.updated"},
		{"media metadata array", with(media("completed", "clip"), func(s *Signal) { s.Metadata = json.RawMessage(`[1]`) }), "metadata: must be a JSON object"},
		{"media metadata broken", with(media("completed", "clip"), func(s *Signal) { s.Metadata = json.RawMessage(`{"a":`) }), "metadata: must be a JSON object"},
		{"media metadata too big", with(media("completed", "clip"), func(s *Signal) {
			s.Metadata = json.RawMessage(`{"a":"` + strings.Repeat("x", MaxMetadataLen) + `"}`)
		}), "metadata: must be at most 16384 bytes"},
		{"media negative start", with(media("completed", "clip"), func(s *Signal) { s.StartTime = -5 }), "startTime: must not be negative"},
		{"transcoder lower case event", with(tr, func(s *Signal) { s.Event = "active" }), "event: must be one of ACTIVE, STOPPED, DELETED"},
		{"transcoder no cluster", with(tr, func(s *Signal) { s.Cluster = "" }), "cluster: required"},
		{"transcoder bad date", with(tr, func(s *Signal) { s.CreatedOn = "yesterday" }), "createdOn: must be an ISO-8601"},
		{"transcoder with a stream name", with(tr, func(s *Signal) { s.StreamName = "x" }), "streamName: not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.sig.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("error %v, want prefix %q", err, tt.want)
			}
			var se *SignalError
			if !errors.As(err, &se) || se.Field == "" {
				t.Errorf("error %#v is not a field-level *SignalError", err)
			}
		})
	}
}

func TestSignalStream(t *testing.T) {
	t.Parallel()
	m := media("completed", "clip")
	tr := Signal{Kind: TranscoderUpdated, AccountID: acc, TranscoderName: "tn"}
	for _, tt := range []struct {
		sig      Signal
		stateful bool
		key      StreamKey
	}{
		{conn("v"), true, StreamKey{acc, stream}}, {start("f"), true, StreamKey{acc, stream}},
		{m, false, StreamKey{acc, stream}}, {tr, false, StreamKey{acc, "tn"}},
	} {
		if tt.sig.Stateful() != tt.stateful || tt.sig.Stream() != tt.key {
			t.Errorf("%s: stateful %v stream %v", tt.sig.Kind, tt.sig.Stateful(), tt.sig.Stream())
		}
	}
}
