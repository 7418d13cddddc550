package server

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestIngestAnswersSayWhatHappened: every ingest route answers how many signals
// it accepted and how many events they produced, through the real committer, so
// "nothing happened" is visible: the second feed.started of a live stream is
// accepted and produces no event.
func TestIngestAnswersSayWhatHappened(t *testing.T) {
	r := start(t, testConfig(t.TempDir()))
	acc := r.srv.Default
	const form = "application/x-www-form-urlencoded"
	feed := `{"kind":"feed.started","accountId":"` + acc + `","name":"show","feedId":"enc1"}`
	steps := []struct {
		name, path, contentType, body string
		want                          string // the data of the answer (SRS: the whole answer)
	}{
		{"signal", "/api/ingest/signals", "application/json", feed, `{"accepted":1,"events":1}`},
		{"same signal, stream already live", "/api/ingest/signals", "application/json", feed, `{"accepted":1,"events":0}`},
		{"heartbeat", "/api/ingest/signals", "application/json",
			`[{"kind":"feed.heartbeat","accountId":"` + acc + `","name":"show","feedId":"enc1"}]`, `{"accepted":1,"events":0}`},
		{"nginx-rtmp publish", "/api/ingest/nginx-rtmp?token=" + testIngest, form,
			"app=live&clientid=7&call=publish&name=ngx&type=live", `{"accepted":1,"events":1}`},
		{"nginx-rtmp publish again", "/api/ingest/nginx-rtmp?token=" + testIngest, form,
			"app=live&clientid=7&call=publish&name=ngx&type=live", `{"accepted":1,"events":0}`},
		{"nginx-rtmp connect", "/api/ingest/nginx-rtmp?token=" + testIngest, form,
			"app=live&clientid=8&call=connect", `{"accepted":0,"events":0,"ignored":`},
		{"MediaMTX ready", "/api/ingest/mediamtx/ready?token=" + testIngest, form,
			"path=live/mtx&source_id=s1", `{"accepted":1,"events":1}`},
		{"SRS publish", "/api/ingest/srs?token=" + testIngest, "application/json",
			`{"action":"on_publish","client_id":"c1","app":"live","stream":"srs","param":""}`, `{"accepted":1,"code":0,"events":1}`},
	}
	for _, s := range steps {
		req, _ := http.NewRequest("POST", r.base+s.path, strings.NewReader(s.body))
		req.Header.Set("Content-Type", s.contentType)
		req.Header.Set("Authorization", "Bearer "+testIngest)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got := string(body)
		if !strings.HasPrefix(s.path, "/api/ingest/srs") {
			var env struct {
				Status string          `json:"status"`
				Data   json.RawMessage `json:"data"`
			}
			if err := json.Unmarshal(body, &env); err != nil || env.Status != "success" {
				t.Fatalf("%s: %d %s", s.name, resp.StatusCode, body)
			}
			got = string(env.Data)
		}
		if resp.StatusCode != 200 || !strings.HasPrefix(strings.TrimSpace(got), s.want) {
			t.Fatalf("%s: %d %s, want %s", s.name, resp.StatusCode, got, s.want)
		}
	}
}
