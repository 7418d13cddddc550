package ingest_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hookcast/hookcast/internal/engine"
	"github.com/hookcast/hookcast/internal/ingest"
)

func TestDecodeSignals(t *testing.T) {
	t.Parallel()
	one := `{"kind":"viewer.connected","accountId":"ACC","name":"show","viewerId":"v1"}`
	two := `{"kind":"feed.started","accountId":"ACC","name":"show","feedId":"f","priority":1.5,"at":17}`
	sigs, err := ingest.DecodeSignals([]byte(" \n" + one))
	if err != nil || len(sigs) != 1 || sigs[0].ViewerID != "v1" {
		t.Fatalf("one object: %v %+v", err, sigs)
	}
	sigs, err = ingest.DecodeSignals([]byte("[" + one + ",\n" + two + "]\n"))
	if err != nil || len(sigs) != 2 || *sigs[1].Priority != 1.5 || sigs[1].At != 17 {
		t.Fatalf("array: %v %+v", err, sigs)
	}
}

// TestDecodeSignalsFields: every field of the API lands in its engine.Signal field.
func TestDecodeSignalsFields(t *testing.T) {
	t.Parallel()
	two := 2.0
	tests := []struct {
		body string
		want engine.Signal
	}{
		{`{"kind":"feed.started","accountId":"A","id":"i1","name":"s","feedId":"f","priority":2,"sourceId":"src","simulcastId":"h","at":5}`,
			engine.Signal{Kind: engine.FeedStarted, AccountID: "A", ID: "i1", Name: "s", FeedID: "f", Priority: &two, SourceID: "src", SimulcastID: "h", At: 5}},
		{`{"kind":"feed.ended","accountId":"A","name":"s","feedId":"f","reason":"timeout"}`,
			engine.Signal{Kind: engine.FeedEnded, AccountID: "A", Name: "s", FeedID: "f", Reason: engine.ReasonTimeout}},
		{`{"kind":"viewer.disconnected","accountId":"A","name":"s","viewerId":"v"}`,
			engine.Signal{Kind: engine.ViewerDisconnected, AccountID: "A", Name: "s", ViewerID: "v"}},
		{`{"kind":"media.updated","accountId":"A","event":"completed","mediaAssetId":"m","type":"clip","streamName":"s","tokenId":"t","startTime":7,"expiration":9,"metadata":{"k":1}}`,
			engine.Signal{Kind: engine.MediaUpdated, AccountID: "A", Event: "completed", MediaAssetID: "m", Type: "clip", StreamName: "s",
				TokenID: "t", StartTime: 7, Expiration: 9, Metadata: json.RawMessage(`{"k":1}`)}},
		{`{"kind":"transcoder.updated","accountId":"A","event":"ACTIVE","transcoderId":"t","transcoderName":"n","cluster":"c","createdOn":"2024-01-02T03:04:05Z"}`,
			engine.Signal{Kind: engine.TranscoderUpdated, AccountID: "A", Event: "ACTIVE", TranscoderID: "t", TranscoderName: "n", Cluster: "c", CreatedOn: "2024-01-02T03:04:05Z"}},
	}
	for _, tt := range tests {
		sigs, err := ingest.DecodeSignals([]byte(tt.body))
		if err != nil || len(sigs) != 1 || !reflect.DeepEqual(sigs[0], tt.want) {
			t.Errorf("%s:\n got  %+v %v\n want %+v", tt.body, sigs, err, tt.want)
		}
	}
}

func TestDecodeSignalsErrors(t *testing.T) {
	t.Parallel()
	ok := `{"kind":"viewer.attempted","accountId":"ACC","name":"show"}`
	tests := []struct{ name, body, want string }{
		{"empty body", "", "empty body"},
		{"empty array", " [ ] ", "empty array"},
		{"not an object", `"hello"`, "body must be a signal object or an array"},
		{"null", `null`, "body must be a signal object or an array"},
		{"broken JSON", `{"kind":`, "signal 0: invalid JSON"},
		{"broken array", `[` + ok + `,`, "invalid JSON"},
		{"array of junk", `[` + ok + `, 5]`, "signal 1: must be a JSON object"},
		{"null element", `[null]`, "signal 0: must be a JSON object"},
		{"unknown field", `[` + ok + `,` + ok + `,` + ok + `,{"kind":"viewer.attempted","accountId":"ACC","name":"show","colour":"red"}]`, `signal 3: colour: unknown field`},
		{"bad name names index and field", `[` + ok + `,` + ok + `,` + ok + `,{"kind":"viewer.attempted","accountId":"ACC","name":"a b"}]`,
			"signal 3: name: must be 1-64 characters of letters, digits, _ - ."},
		{"wrong type", `{"kind":"feed.started","accountId":"ACC","name":"show","feedId":"f","priority":"high"}`, "signal 0: priority: must be a number"},
		{"number for a string", `{"kind":"viewer.attempted","accountId":7,"name":"show"}`, "signal 0: accountId: must be a string"},
		{"metadata not an object", `{"kind":"media.updated","accountId":"A","event":"completed","mediaAssetId":"m","type":"clip","streamName":"s","metadata":[1]}`, "signal 0: metadata: must be a JSON object"},
		{"trailing data after object", ok + ` {}`, "signal 0: unexpected data after the signal object"},
		{"trailing data after array", `[` + ok + `] x`, "unexpected data after the array"},
		{"too many", "[" + strings.Repeat(ok+",", ingest.MaxBatch) + ok + "]", "more than 1000 signals in one batch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sigs, err := ingest.DecodeSignals([]byte(tt.body))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to contain %q", err, tt.want)
			}
			if sigs != nil {
				t.Errorf("signals returned with an error: %d", len(sigs))
			}
			var se *ingest.DecodeError
			if !errors.As(err, &se) {
				t.Errorf("error %T is not a *ingest.DecodeError", err)
			}
		})
	}
	if _, err := ingest.DecodeSignals([]byte("[" + strings.Repeat(ok+",", ingest.MaxBatch-1) + ok + "]")); err != nil {
		t.Errorf("a batch of exactly ingest.MaxBatch: %v", err)
	}
}

// TestViewersClosedNotInTheAPI: the ingest API cannot set the adapters' flag, so
// the rules of events.md stay as written for every signal a client sends.
func TestViewersClosedNotInTheAPI(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		`{"kind":"feed.ended","accountId":"ACC","name":"show","feedId":"f1","viewersClosed":true}`,
		`{"kind":"feed.ended","accountId":"ACC","name":"show","feedId":"f1","ViewersClosed":true}`,
	} {
		if sigs, err := ingest.DecodeSignals([]byte(body)); err == nil {
			t.Errorf("%s: decoded as %+v, want an unknown field error", body, sigs)
		}
	}
}

func FuzzDecodeSignals(f *testing.F) {
	f.Add([]byte(`{"kind":"viewer.connected","accountId":"ACC","name":"show","viewerId":"v1"}`))
	f.Add([]byte(`[{"kind":"feed.started","accountId":"A","name":"s","feedId":"f","priority":2,"sourceId":"x","simulcastId":"h","at":1}]`))
	f.Add([]byte(`{"kind":"media.updated","accountId":"A","event":"completed","mediaAssetId":"m","type":"recording","streamName":"s","metadata":{"a":[1,{"b":null}]}}`))
	f.Add([]byte(`{"kind":"transcoder.updated","accountId":"A","event":"ACTIVE","transcoderId":"t","transcoderName":"n","cluster":"c","createdOn":"2024-01-01T00:00:00Z"}`))
	f.Add([]byte(`[1, null, "x", {}]`))
	f.Add([]byte(`{"kind":"feed.ended","accountId":"A","name":"s","feedId":"f","reason":"timeout"} trailing`))
	if files, _ := filepath.Glob(filepath.Join("..", "engine", "testdata", "conformance", "*.json")); len(files) > 0 {
		if b, err := os.ReadFile(files[0]); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		sigs, err := ingest.DecodeSignals(body)
		if err != nil {
			if sigs != nil {
				t.Fatal("signals returned with an error")
			}
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if len(sigs) == 0 || len(sigs) > ingest.MaxBatch {
			t.Fatalf("%d signals accepted", len(sigs))
		}
		sub := newEngineSubmitter(engine.DefaultConfig())
		for i := range sigs {
			if err := sigs[i].Validate(); err != nil {
				t.Fatalf("accepted signal %d does not validate: %v", i, err)
			}
			sub.at(int64(1000 * i))
			if _, err := sub.Submit(context.Background(), sigs[i:i+1]); err != nil {
				t.Fatal(err)
			}
		}
		for _, ev := range sub.evs {
			if _, err := ev.Body(); err != nil {
				t.Fatalf("event of an accepted signal does not encode: %v", err)
			}
		}
	})
}
