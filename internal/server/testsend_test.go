package server

import (
	"encoding/json"
	"testing"

	"github.com/hookcast/hookcast/webhook"
)

// The test endpoint's sample names the caller's account (not the docs' ZG6NWV)
// and the stream or transcoder its body gives, as Dolby's Node client sends them.
func TestTestEventNamesCallerAndBody(t *testing.T) {
	r := start(t, testConfig(t.TempDir()))
	acc, secret := r.srv.Default, r.srv.Firsts.APISecret
	rc := newReceiver(t)
	code, out := r.call(t, "POST", "/api/webhooks", secret, map[string]any{
		"url": rc.srv.URL, "isFeedHooks": true, "isTranscoderHooks": true})
	if code != 200 {
		t.Fatalf("create webhook: %d %v", code, out)
	}
	whSecret := out["data"].(map[string]any)["secret"].(string)

	tests := []struct {
		typ   string
		body  map[string]any
		check func(env webhook.Envelope) bool
	}{
		{"Feeds", map[string]any{"streamName": "cam_1"}, func(env webhook.Envelope) bool {
			var d webhook.FeedData
			return json.Unmarshal(env.Data, &d) == nil && d.AccountID == acc && d.Name == "cam_1" && d.StreamID == acc+"/cam_1"
		}},
		{"Feeds", nil, func(env webhook.Envelope) bool {
			var d webhook.FeedData
			return json.Unmarshal(env.Data, &d) == nil && d.AccountID == acc && d.Name == "sample_stream"
		}},
		{"Transcoder", map[string]any{"streamName": "ignored", "transcoderName": "tx_1"}, func(env webhook.Envelope) bool {
			var d webhook.TranscoderData
			return json.Unmarshal(env.Data, &d) == nil && d.TranscoderName == "tx_1"
		}},
	}
	for _, tc := range tests {
		var body any
		if tc.body != nil {
			body = tc.body
		}
		if code, out := r.call(t, "POST", "/api/webhooks/test/"+tc.typ, secret, body); code != 200 {
			t.Fatalf("test %s %v: %d %v", tc.typ, tc.body, code, out)
		}
		env := decode(t, whSecret, rc.next(t))
		if !tc.check(env) {
			t.Errorf("test %s %v: got %s.%s %s (account %s)", tc.typ, tc.body, env.Type, env.Event, env.Data, acc)
		}
	}
}
