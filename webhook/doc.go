// Package webhook receives the webhooks of hookcast and of Millicast (Dolby.io
// Real-time Streaming): it verifies their signatures, decodes them into one Go
// type per webhook type, and serves them through an http.Handler.
//
// Most receivers need only the Handler:
//
//	h, err := webhook.NewHandler(os.Getenv("WEBHOOK_SECRET"), func(ctx context.Context, e webhook.Event) error {
//		switch e := e.(type) {
//		case *webhook.ViewerConnectionEvent:
//			if e.EventName() == webhook.ViewerAttempt {
//				return startEncoder(ctx, e.Data.StreamID)
//			}
//		case *webhook.ThumbnailEvent:
//			return saveJPEG(e.StreamID, e.Image)
//		}
//		return nil
//	})
//	if err != nil { … }
//	http.Handle("POST /hooks", h)
//
// Lower down, Verify checks an X-Millicast-Signature ("sha1=" + hex HMAC-SHA1 of
// the body, keyed with the base64-decoded webhook secret), VerifyStandard checks
// the Standard Webhooks headers hookcast adds (webhook-id, webhook-timestamp,
// webhook-signature), and Decode turns headers and body into an Event. Sign,
// SignStandard and Signer produce the same signatures, for senders and tests.
//
// During a secret rotation hookcast signs X-Millicast-Signature with the new
// secret and webhook-signature with the new and the old one, until the
// webhook's previousSecretExpiresAt: a Handler given several secrets (a list in
// NewHandler's secret, or WithSecrets) accepts a request signed with any.
//
// Event names are compared case-insensitively and returned in canonical case by
// Event.EventName, since the documentation these hooks follow is not consistent
// about case. The package uses only the standard library.
package webhook
