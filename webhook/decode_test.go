package webhook

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Compact bodies exactly as events.md and the Millicast pages show them: a
// decoded event must marshal back to the same bytes.
var roundTripBodies = []string{
	string(testBody),
	`{"type":"feeds","event":"ended","timestamp":1638463501075,"data":{"feedId":"369e4a86-f937-4254-bd9f-99dc484d2bd6","accountId":"ZG6NWV","name":"sample_stream","streamId":"ZG6NWV/sample_stream","active":false,"ended":1638463500963}}`,
	`{"type":"feeds","event":"started","timestamp":1638463486489,"data":{"feedId":"f2","accountId":"ZG6NWV","name":"s","streamId":"ZG6NWV/s","started":1638463486359,"active":true,"priority":-1.5,"sourceId":"cam2","simulcastId":"h"}}`,
	`{"type":"viewerConnection","event":"noActiveViewers","timestamp":1727442841663,"data":{"name":"café-演唱会","accountId":"ABC123","streamId":"ABC123/café-演唱会"}}`,
	`{"type":"media","event":"completed","timestamp":1725259930753,"data":{"mediaAssetId":"c6631104197a4091943775697948adbe","type":"clip","startTime":1725259930643,"streamName":"test-record-clip","streamId":"dkxfvY/test-record-clip","tokenId":"1187282","expiration":1733900336143,"metadata":{"duration":30}}}`,
	`{"type":"recordings","event":"deleted","timestamp":1725259930753,"data":{"recordFileId":"r1","tokenId":"7","streamName":"s","recordedOn":1725259930000,"removedOn":1725259930700}}`,
	`{"type":"transcoder","event":"STOPPED","timestamp":1724891135725,"data":{"transcoderId":"fddcbce-e3a3-4efe-8a42-060c31189a2","transcoderName":"test_webhooks","cluster":"lon-1","createdOn":"2024-08-28T22:10:05Z","status":"Shutdown"}}`,
}

func TestDecodeRoundTrip(t *testing.T) {
	t.Parallel()
	for _, body := range roundTripBodies {
		ev, err := Decode(jsonHeader(), []byte(body))
		if err != nil {
			t.Errorf("Decode(%s): %v", body, err)
			continue
		}
		got, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != body {
			t.Errorf("round trip:\n got %s\nwant %s", got, body)
		}
	}
}

func TestDecodeTypes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body      string
		wantType, event string
		check           func(t *testing.T, e Event)
	}{
		{
			name:     "pretty-printed viewerAttempt from the docs",
			body:     "{\n  \"type\": \"viewerConnection\",\n  \"event\": \"viewerAttempt\",\n  \"timestamp\": 1727442713604,\n  \"data\": {\n    \"name\": \"myAwesomeStream\",\n    \"accountId\": \"ABC123\",\n    \"streamId\": \"ABC123/myAwesomeStream\"\n  }\n}",
			wantType: TypeViewerConnection, event: ViewerAttempt,
			check: func(t *testing.T, e Event) {
				if d := e.(*ViewerConnectionEvent).Data; d.StreamID != "ABC123/myAwesomeStream" || d.Name != "myAwesomeStream" {
					t.Errorf("data = %+v", d)
				}
				if !e.When().Equal(time.UnixMilli(1727442713604)) {
					t.Errorf("When = %v", e.When())
				}
			},
		},
		{
			name:     "media with tokenId as a number, as Millicast sends it",
			body:     `{"type":"media","event":"processing","timestamp":1725259930753,"data":{"mediaAssetId":"c66","tokenId":1187282,"streamName":"test-record-clip","streamId":"dkxfvY/test-record-clip","startTime":1725259930643,"type":"clip","metadata":{},"expiration":1733900336143}}`,
			wantType: TypeMedia, event: MediaProcessing,
			check: func(t *testing.T, e Event) {
				d := e.(*MediaEvent).Data
				if d.TokenID != "1187282" || d.Type != "clip" || d.Expiration != 1733900336143 || string(d.Metadata) != "{}" {
					t.Errorf("data = %+v", d)
				}
			},
		},
		{
			name:     "recordings error, tokenId null",
			body:     `{"type":"recordings","event":"error","timestamp":1,"data":{"recordFileId":"r1","tokenId":null,"streamName":"s","recordedOn":1}}`,
			wantType: TypeRecordings, event: RecordingError,
			check: func(t *testing.T, e Event) {
				if d := e.(*RecordingsEvent).Data; d.RecordFileID != "r1" || d.TokenID != "" {
					t.Errorf("data = %+v", d)
				}
			},
		},
		{
			name:     "type and event in other letter case",
			body:     `{"type":"FEEDS","event":"Started","timestamp":1,"data":{"feedId":"f"}}`,
			wantType: TypeFeeds, event: FeedStarted,
			check: func(t *testing.T, e Event) {
				if fe := e.(*FeedsEvent); fe.Type != "FEEDS" || fe.Event != "Started" {
					t.Errorf("raw fields changed: %q %q", fe.Type, fe.Event)
				}
			},
		},
		{
			name: "transcoder event in lower case", body: `{"type":"transcoder","event":"active","timestamp":1,"data":{"status":"Active"}}`,
			wantType: TypeTranscoder, event: TranscoderActive,
		},
		{
			name: "viewerConnection all caps", body: `{"type":"VIEWERCONNECTION","event":"NOACTIVEVIEWERS","timestamp":1,"data":{}}`,
			wantType: TypeViewerConnection, event: NoActiveViewers,
		},
		{
			name: "unknown event of a known type is kept", body: `{"type":"feeds","event":"paused","timestamp":1,"data":{}}`,
			wantType: TypeFeeds, event: "paused",
		},
		{
			name: "unknown fields ignored", body: `{"type":"media","event":"deleted","timestamp":1,"version":2,"data":{"mediaAssetId":"m","channelId":"c"}}`,
			wantType: TypeMedia, event: MediaDeleted,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, err := Decode(nil, []byte(tt.body))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if e.WebhookType() != tt.wantType || e.EventName() != tt.event {
				t.Fatalf("got %s.%s, want %s.%s", e.WebhookType(), e.EventName(), tt.wantType, tt.event)
			}
			if tt.check != nil {
				tt.check(t, e)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	jpeg := "\xff\xd8\xff\xe0rest"
	tests := []struct {
		name string
		h    http.Header
		body string
		want error
		msg  string // part of the error text
	}{
		{"empty", nil, "", ErrMalformed, "unexpected end"},
		{"not JSON", nil, "hello", ErrMalformed, "invalid character"},
		{"truncated", nil, `{"type":"feeds"`, ErrMalformed, ""},
		{"array", nil, `[]`, ErrMalformed, ""},
		{"no type", nil, `{"event":"started","data":{}}`, ErrMalformed, `no "type"`},
		{"unknown type", nil, `{"type":"feed","event":"started","data":{}}`, ErrUnknownType, `"feed"`},
		{"long s is not s", nil, `{"type":"feedſ","event":"started","data":{}}`, ErrUnknownType, ""},
		{"no event", nil, `{"type":"feeds","data":{}}`, ErrMalformed, `no "event"`},
		{"no data", nil, `{"type":"feeds","event":"started"}`, ErrMalformed, "not an object"},
		{"data null", nil, `{"type":"feeds","event":"started","data":null}`, ErrMalformed, "not an object"},
		{"data array", nil, `{"type":"feeds","event":"started","data":[]}`, ErrMalformed, "not an object"},
		{"timestamp a string", nil, `{"type":"feeds","event":"started","timestamp":"1","data":{}}`, ErrMalformed, ""},
		{"field of wrong type", nil, `{"type":"feeds","event":"started","data":{"active":"yes"}}`, ErrMalformed, "feeds started data"},
		{"tokenId an object", nil, `{"type":"media","event":"completed","data":{"tokenId":{}}}`, ErrMalformed, "tokenId"},
		{"thumbnail as JSON", nil, `{"type":"thumbnail","event":"captured","data":{}}`, ErrMalformed, "image"},
		{"thumbnail empty", http.Header{"Content-Type": {"image/jpeg"}, "X-Millicast-Timestamp": {"1"}}, "", ErrMalformed, "empty"},
		{"thumbnail no timestamp", http.Header{"Content-Type": {"image/jpeg"}}, jpeg, ErrMalformed, HeaderTimestamp},
		{"thumbnail bad timestamp", http.Header{"X-Millicast-Timestamp": {"now"}}, jpeg, ErrMalformed, "epoch milliseconds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, err := Decode(tt.h, []byte(tt.body))
			if !errors.Is(err, tt.want) || e != nil {
				t.Fatalf("Decode = %v, %v; want error %v", e, err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("error %q does not say %q", err, tt.msg)
			}
		})
	}
}

func TestDecodeThumbnail(t *testing.T) {
	t.Parallel()
	img := []byte("\xff\xd8\xff\xdbnot really a jpeg but starts like one\xff\xd9")
	want := &ThumbnailEvent{Image: img, Timestamp: 1727442713604, FeedID: "f1", StreamID: "ABC123/s", TokenID: "42"}
	for name, h := range map[string]http.Header{
		"from Header()":        want.Header(),
		"without Content-Type": func() http.Header { h := want.Header(); h.Del("Content-Type"); return h }(),
		"image/png, params":    func() http.Header { h := want.Header(); h.Set("Content-Type", "image/png; q=1"); return h }(),
	} {
		e, err := Decode(h, img)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, ok := e.(*ThumbnailEvent)
		if !ok || string(got.Image) != string(img) || got.Timestamp != want.Timestamp || got.FeedID != "f1" ||
			got.StreamID != "ABC123/s" || got.TokenID != "42" {
			t.Fatalf("%s: got %+v", name, e)
		}
		if e.WebhookType() != TypeThumbnail || e.EventName() != ThumbnailCaptured || e.When().UnixMilli() != want.Timestamp {
			t.Fatalf("%s: %s.%s at %v", name, e.WebhookType(), e.EventName(), e.When())
		}
	}
	// A JSON content type wins over the bytes: the body is then bad JSON.
	if _, err := Decode(jsonHeader(), img); !errors.Is(err, ErrMalformed) {
		t.Fatalf("JPEG bytes labelled JSON: %v", err)
	}
}

func TestNames(t *testing.T) {
	t.Parallel()
	if got := Types(); len(got) != 6 || got[0] != TypeFeeds || got[5] != TypeThumbnail {
		t.Fatalf("Types = %v", got)
	}
	if got := Events("VIEWERconnection"); strings.Join(got, ",") != "viewerAttempt,firstViewerConnection,noActiveViewers" {
		t.Fatalf("Events = %v", got)
	}
	Events(TypeFeeds)[0] = "changed"
	if Events(TypeFeeds)[0] != FeedStarted {
		t.Fatal("Events returned the package's own slice")
	}
	if Events("nope") != nil {
		t.Fatal("Events of an unknown type")
	}
}

func jsonHeader() http.Header { return http.Header{"Content-Type": {ContentTypeJSON}} }
