package webhook_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	"github.com/hookcast/hookcast/webhook"
)

// The webhook secret as the API shows it (standard base64 of 32 bytes).
const secret = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

var body = []byte(`{"type":"feeds","event":"started","timestamp":1638463486489,"data":{"feedId":"369e4a86-f937-4254-bd9f-99dc484d2bd6","accountId":"ZG6NWV","name":"sample_stream","streamId":"ZG6NWV/sample_stream","started":1638463486359,"active":true}}`)

func ExampleSign() {
	sig, err := webhook.Sign(secret, body)
	if err != nil {
		panic(err)
	}
	fmt.Println(sig)
	// Output: sha1=000e7393cbfa0f4db40a21e908b6285792bd537e
}

func ExampleSignStandard() {
	sig, err := webhook.SignStandard(secret, "msg_2Kx7Yw9s1p", 1700000000, body)
	if err != nil {
		panic(err)
	}
	fmt.Println(sig)
	// Output: v1,KsuyGrGbLHOJvUM+4b7yAKkNqBERiHDeEO2HlCxPp2c=
}

func ExampleVerify() {
	// In a handler: webhook.Verify(secret, body, r.Header.Get(webhook.HeaderSignature))
	fmt.Println(webhook.Verify(secret, body, "sha1=000e7393cbfa0f4db40a21e908b6285792bd537e"))

	tampered := bytes.Replace(body, []byte("started"), []byte("ended"), 1)
	err := webhook.Verify(secret, tampered, "sha1=000e7393cbfa0f4db40a21e908b6285792bd537e")
	fmt.Println(err, errors.Is(err, webhook.ErrSignatureMismatch))

	err = webhook.Verify(secret, body, "")
	fmt.Println(errors.Is(err, webhook.ErrMissingSignature))
	// Output:
	// <nil>
	// webhook: signature does not match true
	// true
}

func ExampleDecode() {
	e, err := webhook.Decode(http.Header{"Content-Type": {"application/json"}}, body)
	if err != nil {
		panic(err)
	}
	switch e := e.(type) {
	case *webhook.FeedsEvent:
		fmt.Println(e.EventName(), e.Data.StreamID, e.Data.Active, e.When().UTC())
	case *webhook.ThumbnailEvent:
		fmt.Println("image of", len(e.Image), "bytes")
	}
	// Output: started ZG6NWV/sample_stream true 2021-12-02 16:44:46.489 +0000 UTC
}

func ExampleNewHandler() {
	h, err := webhook.NewHandler(secret, func(ctx context.Context, e webhook.Event) error {
		fmt.Println("received", e.WebhookType(), e.EventName())
		return nil // an error answers 500
	})
	if err != nil {
		panic(err) // the secret is not base64
	}
	srv := httptest.NewServer(h) // in a real receiver: http.Handle("POST /hooks", h)
	defer srv.Close()

	// What hookcast (or Millicast) sends:
	req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
	req.Header.Set("Content-Type", webhook.ContentTypeJSON)
	sig, _ := webhook.Sign(secret, body)
	req.Header.Set(webhook.HeaderSignature, sig)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.Status)

	// A forged request never reaches the function.
	req, _ = http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
	req.Header.Set(webhook.HeaderSignature, "sha1=0000000000000000000000000000000000000000")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.Status)
	// Output:
	// received feeds started
	// 200 OK
	// 400 Bad Request
}

// During a secret rotation: after "Renew" (refreshSecret) hookcast signs with the
// new secret at once, and until the webhook's previousSecretExpiresAt its
// webhook-signature header carries a second signature made with the old one. A
// receiver still on the old secret keeps working; one given both accepts either,
// so the receivers can be updated one by one at any time within the overlap.
func ExampleNewHandler_rotation() {
	const oldSecret = secret
	const newSecret = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="
	fn := func(ctx context.Context, e webhook.Event) error { return nil }
	notUpdated, _ := webhook.NewHandler(oldSecret, fn)
	updated, _ := webhook.NewHandler(newSecret, fn, webhook.WithSecrets(oldSecret)) // or NewHandler("new old", fn)
	newOnly, _ := webhook.NewHandler(newSecret, fn)

	// What hookcast sends during the overlap, and after it.
	send := func(h http.Handler, secrets ...string) string {
		ts := time.Now().Unix()
		req := httptest.NewRequest(http.MethodPost, "/hooks", bytes.NewReader(body))
		req.Header.Set("Content-Type", webhook.ContentTypeJSON)
		sig, _ := webhook.Sign(secrets[0], body) // the new secret only
		req.Header.Set(webhook.HeaderSignature, sig)
		req.Header.Set(webhook.HeaderWebhookID, "msg_2Kx7Yw9s1p")
		req.Header.Set(webhook.HeaderWebhookTimestamp, strconv.FormatInt(ts, 10))
		var sigs []string
		for _, s := range secrets {
			sig, _ := webhook.SignStandard(s, "msg_2Kx7Yw9s1p", ts, body)
			sigs = append(sigs, sig)
		}
		req.Header.Set(webhook.HeaderWebhookSignature, strings.Join(sigs, " ")) // "v1,… v1,…"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return http.StatusText(rec.Code)
	}
	fmt.Println("overlap:", send(notUpdated, newSecret, oldSecret), send(updated, newSecret, oldSecret), send(newOnly, newSecret, oldSecret))
	fmt.Println("after:  ", send(notUpdated, newSecret), send(updated, newSecret), send(newOnly, newSecret))
	// Output:
	// overlap: OK OK OK
	// after:   Bad Request OK OK
}
