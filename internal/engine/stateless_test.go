package engine

import (
	"encoding/json"
	"testing"
)

func media(event, typ string) Signal {
	return Signal{Kind: MediaUpdated, AccountID: acc, Event: event, MediaAssetID: "a1", Type: typ,
		StreamName: stream, TokenID: "tok", StartTime: 1000, Expiration: 9000, Metadata: json.RawMessage(` {"k": "v<&>"} `)}
}

func TestMediaEvents(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		sig  Signal
		want []string
	}{
		{"recording processing → started", media("processing", "recording"), []string{
			`{"type":"media","event":"processing","timestamp":5000,"data":{"mediaAssetId":"a1","type":"recording","startTime":1000,"streamName":"show","streamId":"ACC/show","tokenId":"tok","expiration":9000,"metadata":{"k":"v<&>"}}}`,
			`{"type":"recordings","event":"started","timestamp":5000,"data":{"recordFileId":"a1","tokenId":"tok","streamName":"show","recordedOn":1000}}`,
		}},
		{"recording completed → completed with metadata", media("completed", "recording"), []string{
			`{"type":"media","event":"completed","timestamp":5000,"data":{"mediaAssetId":"a1","type":"recording","startTime":1000,"streamName":"show","streamId":"ACC/show","tokenId":"tok","expiration":9000,"metadata":{"k":"v<&>"}}}`,
			`{"type":"recordings","event":"completed","timestamp":5000,"data":{"recordFileId":"a1","tokenId":"tok","streamName":"show","recordedOn":1000,"metadata":{"k":"v<&>"}}}`,
		}},
		{"recording errored → error", media("errored", "recording"), []string{
			`{"type":"media","event":"errored","timestamp":5000,"data":{"mediaAssetId":"a1","type":"recording","startTime":1000,"streamName":"show","streamId":"ACC/show","tokenId":"tok","expiration":9000,"metadata":{"k":"v<&>"}}}`,
			`{"type":"recordings","event":"error","timestamp":5000,"data":{"recordFileId":"a1","tokenId":"tok","streamName":"show","recordedOn":1000}}`,
		}},
		{"recording deleted → deleted with removedOn", media("deleted", "recording"), []string{
			`{"type":"media","event":"deleted","timestamp":5000,"data":{"mediaAssetId":"a1","type":"recording","startTime":1000,"streamName":"show","streamId":"ACC/show","tokenId":"tok","expiration":9000,"metadata":{"k":"v<&>"}}}`,
			`{"type":"recordings","event":"deleted","timestamp":5000,"data":{"recordFileId":"a1","tokenId":"tok","streamName":"show","recordedOn":1000,"removedOn":5000}}`,
		}},
		{"a clip has no legacy event", media("completed", "clip"), []string{
			`{"type":"media","event":"completed","timestamp":5000,"data":{"mediaAssetId":"a1","type":"clip","startTime":1000,"streamName":"show","streamId":"ACC/show","tokenId":"tok","expiration":9000,"metadata":{"k":"v<&>"}}}`,
		}},
		{"only what is known; no startTime means the signal's time",
			Signal{Kind: MediaUpdated, AccountID: acc, Event: "processing", MediaAssetID: "a1", Type: "clip", StreamName: stream, Metadata: json.RawMessage("null")},
			[]string{`{"type":"media","event":"processing","timestamp":5000,"data":{"mediaAssetId":"a1","type":"clip","startTime":5000,"streamName":"show","streamId":"ACC/show"}}`}},
	}
	e := New(DefaultConfig())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := tt.sig.Validate(); err != nil {
				t.Fatal(err)
			}
			checkBodies(t, e.Apply(nil, tt.sig, 5000), tt.want, stream)
		})
	}
}

func TestTranscoderEvents(t *testing.T) {
	t.Parallel()
	e := New(DefaultConfig())
	for _, tt := range []struct{ event, status string }{
		{"ACTIVE", "Active"}, {"STOPPED", "Shutdown"}, {"DELETED", "Deleted"},
	} {
		t.Run(tt.event, func(t *testing.T) {
			t.Parallel()
			sig := Signal{Kind: TranscoderUpdated, AccountID: acc, Event: tt.event, TranscoderID: "tr1",
				TranscoderName: "my-transcoder", Cluster: "us-east-1", CreatedOn: "2024-05-01T10:00:00.000Z"}
			if err := sig.Validate(); err != nil {
				t.Fatal(err)
			}
			checkBodies(t, e.Apply(nil, sig, 7000), []string{
				`{"type":"transcoder","event":"` + tt.event + `","timestamp":7000,"data":{"transcoderId":"tr1","transcoderName":"my-transcoder","cluster":"us-east-1","createdOn":"2024-05-01T10:00:00.000Z","status":"` + tt.status + `"}}`,
			}, "my-transcoder")
		})
	}
}

// TestStatelessLeavesStateAlone: media and transcoder signals touch no stream state,
// so a nil state is fine and a given one is not changed.
func TestStatelessLeavesStateAlone(t *testing.T) {
	t.Parallel()
	e := New(DefaultConfig())
	st := NewState(StreamKey{acc, stream})
	e.Apply(st, conn("v1"), 100)
	before, _ := st.MarshalBinary()
	if evs := e.Apply(st, media("completed", "recording"), 1_000_000); len(evs) != 2 {
		t.Fatalf("got %d events", len(evs))
	}
	after, _ := st.MarshalBinary()
	if string(before) != string(after) {
		t.Error("a media signal changed the stream state")
	}
	if evs := e.Apply(nil, Signal{Kind: "nonsense"}, 1); len(evs) != 0 {
		t.Errorf("an unknown kind produced %d events", len(evs))
	}
}

func checkBodies(t *testing.T, evs []Event, want []string, name string) {
	t.Helper()
	if len(evs) != len(want) {
		t.Fatalf("got %d events, want %d", len(evs), len(want))
	}
	for i, ev := range evs {
		b, err := ev.Body()
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != want[i] {
			t.Errorf("event %d:\n got  %s\n want %s", i, b, want[i])
		}
		if ev.Name != name || ev.AccountID != acc {
			t.Errorf("event %d: name %q account %q", i, ev.Name, ev.AccountID)
		}
	}
}
