package webhook

// HTTP header names of a delivery (events.md §1 and §3.5). Go canonicalises
// header keys, so these work with http.Header.Get whatever their case here;
// the Standard Webhooks ones are written in lower case as that specification does.
const (
	// HeaderSignature carries "sha1=" + hex HMAC-SHA1 of the body, on every delivery.
	HeaderSignature = "X-Millicast-Signature"

	// Standard Webhooks headers (https://www.standardwebhooks.com), sent by hookcast
	// next to HeaderSignature. HeaderWebhookID is the same on every retry of an
	// event, so a receiver can drop duplicates.
	HeaderWebhookID        = "webhook-id"
	HeaderWebhookTimestamp = "webhook-timestamp"
	HeaderWebhookSignature = "webhook-signature"

	// Thumbnail headers: the body of a thumbnail hook is the image itself, so what
	// other hooks put in "data" travels in these.
	HeaderTimestamp = "X-Millicast-Timestamp" // epoch ms of the capture
	HeaderFeedID    = "X-Millicast-Feed-Id"
	HeaderStreamID  = "X-Millicast-Stream-Id"
	HeaderTokenID   = "X-Millicast-Token-Id" // only when known
)

// Content types of a delivery body.
const (
	ContentTypeJSON = "application/json"
	ContentTypeJPEG = "image/jpeg"
)
