package webhook

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzVerify: Verify never panics, and accepts exactly the signatures Sign makes
// (up to the case of the hex digits).
func FuzzVerify(f *testing.F) {
	f.Add(testSecret, testBody, testSig)
	f.Add(testSecret, testBody, "")
	f.Add(testSecret, testBody, "sha1=")
	f.Add(testSecret, testBody, "sha256="+testSig[5:])
	f.Add(testSecret, testBody, testSig[:44])
	f.Add(testSecret, []byte{}, "sha1=b459b2a1c9fc2f668c6509f6907d41f2209f507c")
	f.Add("whsec_"+testSecret, []byte("\xff\xd8\xff"), "sha1=ZZ")
	f.Add("not base64", testBody, testSig)
	f.Fuzz(func(t *testing.T, secret string, body []byte, sig string) {
		err := Verify(secret, body, sig)
		want, signErr := Sign(secret, body)
		if signErr != nil {
			if err == nil {
				t.Fatalf("Verify accepted with a secret Sign refuses: %v", signErr)
			}
			return
		}
		if (err == nil) != strings.EqualFold(sig, want) || (err == nil && !strings.HasPrefix(sig, "sha1=")) {
			t.Fatalf("Verify(%q) = %v, Sign = %q", sig, err, want)
		}
		if err := Verify(secret, body, want); err != nil {
			t.Fatalf("Verify rejects Sign's own signature: %v", err)
		}
	})
}

// FuzzDecode: Decode never panics; what it accepts has a known type, and for JSON
// events re-encoding is stable after one decode (decode∘encode is a fixed point).
func FuzzDecode(f *testing.F) {
	for _, b := range roundTripBodies {
		f.Add(ContentTypeJSON, "", []byte(b))
	}
	f.Add(ContentTypeJSON, "", []byte(`{"type":"MEDIA","event":"completed","timestamp":1,"data":{"tokenId":1187282,"metadata":{ "a" : [1, 2] }}}`))
	f.Add(ContentTypeJSON, "", []byte(`{"type":"recordings","event":"started","data":{"tokenId":1e3}}`))
	f.Add(ContentTypeJSON, "", []byte(`{"type":"thumbnail","event":"captured","data":{}}`))
	f.Add(ContentTypeJSON, "", []byte(`not json`))
	f.Add(ContentTypeJPEG, "1727442713604", []byte("\xff\xd8\xff\xe0\x00\x10JFIF"))
	f.Add("", "12", []byte("\xff\xd8\xff"))
	f.Add("image/png; charset=\"", "x", []byte("{}"))
	f.Fuzz(func(t *testing.T, contentType, ts string, body []byte) {
		h := http.Header{}
		if contentType != "" {
			h.Set("Content-Type", contentType)
		}
		if ts != "" {
			h.Set(HeaderTimestamp, ts)
		}
		e, err := Decode(h, body)
		if err != nil {
			if e != nil {
				t.Fatalf("both an event and an error: %v", err)
			}
			return
		}
		if _, ok := CanonicalType(e.WebhookType()); !ok || e.EventName() == "" {
			t.Fatalf("accepted %s.%s", e.WebhookType(), e.EventName())
		}
		if th, ok := e.(*ThumbnailEvent); ok {
			if !bytes.Equal(th.Image, body) || len(body) == 0 {
				t.Fatal("thumbnail image is not the body")
			}
			return
		}
		once, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("marshal decoded event: %v", err)
		}
		e2, err := Decode(h, once)
		if err != nil {
			t.Fatalf("re-decode of %s: %v", once, err)
		}
		twice, _ := json.Marshal(e2)
		if !bytes.Equal(once, twice) || e2.WebhookType() != e.WebhookType() || e2.EventName() != e.EventName() {
			t.Fatalf("not stable:\n%s\n%s", once, twice)
		}
	})
}

// FuzzVerifyStandard: VerifyStandard never panics and accepts a header only when
// one of its entries is the signature SignStandard makes.
func FuzzVerifyStandard(f *testing.F) {
	good, _ := SignStandard(testSecret, "msg_1", 1700000000, testBody)
	f.Add("msg_1", "1700000000", good, testBody)
	f.Add("msg_1", "1700000000", "v1,AAAA "+good, testBody)
	f.Add("msg_1", "01700000000", good, testBody)
	f.Add("", "1700000000", good, testBody)
	f.Add("msg_1", "1700000000", "v1a,"+good[3:], []byte{})
	now := time.Unix(1700000000, 0)
	f.Fuzz(func(t *testing.T, id, ts, sig string, body []byte) {
		h := http.Header{}
		h.Set(HeaderWebhookID, id)
		h.Set(HeaderWebhookTimestamp, ts)
		h.Set(HeaderWebhookSignature, sig)
		if VerifyStandard(testSecret, h, body, now, 0) != nil {
			return
		}
		sec, err := strconv.ParseInt(ts, 10, 64)
		if err != nil {
			t.Fatalf("accepted timestamp %q", ts)
		}
		want, _ := SignStandard(testSecret, id, sec, body)
		if strconv.FormatInt(sec, 10) == ts && !slices.Contains(strings.Fields(h.Get(HeaderWebhookSignature)), want) {
			t.Fatalf("accepted %q, want an entry %q", sig, want)
		}
	})
}
