package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/hookcast/hookcast/internal/sample"
	"github.com/hookcast/hookcast/internal/store"
)

// Paging of GET /api/webhooks/list.
const (
	defaultItemCount = 10
	maxItemCount     = 100
)

var (
	createFields = append([]string{"url", "filter", "retryPolicy", "maxConcurrency", "maxPerSecond", "headers"}, hookFields...)
	updateFields = append([]string{"refreshSecret", "secretOverlapSeconds", "reEnable"}, createFields...)
)

// listWebhooks is GET /api/webhooks/list?startingId=&itemCount=&isDescending=.
// Empty parameters take their defaults (Millicast's are nullable). itemCount may
// be spelled item_count, as Dolby's Python client sends it.
func (a *API) listWebhooks(r *http.Request, acct string) (any, error) {
	q, fail := r.URL.Query(), map[string]string{}
	var start int64
	if s := queryParam(q, fail, "startingId"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			fail["startingId"] = "must be a non-negative integer"
		}
		start = n
	}
	count := defaultItemCount
	if s := queryParam(q, fail, "itemCount", "item_count"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxItemCount {
			fail["itemCount"] = "must be an integer from 1 to " + strconv.Itoa(maxItemCount)
		}
		count = n
	}
	desc := false
	if s := queryParam(q, fail, "isDescending"); s != "" {
		b, ok := queryBool(s)
		if !ok {
			fail["isDescending"] = "must be true or false (or 1 or 0)"
		}
		desc = b
	}
	if len(fail) > 0 {
		return nil, &FailError{Fields: fail}
	}
	hooks, err := a.d.Store.ListWebhooks(r.Context(), acct, start, count, desc)
	if err != nil {
		return nil, storeErr(err, "list webhooks")
	}
	out := make([]webhookJSON, len(hooks))
	for i, w := range hooks {
		out[i] = a.toJSON(w)
	}
	return out, nil
}

// createWebhook is POST /api/webhooks (Millicast's AddWebhookModel).
func (a *API) createWebhook(r *http.Request, acct string) (any, error) {
	o, err := readObject(r, false, createFields...)
	if err != nil {
		return nil, err
	}
	w := store.Webhook{AccountID: acct, RetryPolicy: RetryExponential}
	url := o.string("url", maxURLBytes)
	if url == nil {
		o.setFail("url", "required")
	}
	if !o.has("isFeedHooks") {
		o.setFail("isFeedHooks", "required")
	}
	applyCommon(o, &w)
	if url != nil && a.checkURL(o, *url) {
		w.URL = *url
	}
	if err := o.err(); err != nil {
		return nil, err
	}
	if w.Secret, err = NewWebhookSecret(); err != nil {
		return nil, err
	}
	a.createMu.Lock()
	defer a.createMu.Unlock()
	if err := a.checkWebhookQuota(r.Context(), acct); err != nil {
		return nil, err
	}
	if err := a.d.Store.CreateWebhook(r.Context(), &w); err != nil {
		return nil, storeErr(err, "create webhook")
	}
	return a.toJSON(w), nil
}

func (a *API) getWebhook(r *http.Request, acct string) (any, error) {
	id, err := pathID(r, "webhookId", "webhook")
	if err != nil {
		return nil, err
	}
	w, err := a.d.Store.GetWebhook(r.Context(), acct, id)
	if err != nil {
		return nil, storeErr(err, "webhook")
	}
	return a.toJSON(w), nil
}

// updateWebhook is PUT /api/webhooks/{id} (Millicast's UpdateWebhookModel): absent
// or null members stay as they are. A new URL, like reEnable, lifts a disable and
// forgets past failures: the old failures were about another endpoint.
func (a *API) updateWebhook(r *http.Request, acct string) (any, error) {
	id, err := pathID(r, "webhookId", "webhook")
	if err != nil {
		return nil, err
	}
	o, err := readObject(r, false, updateFields...)
	if err != nil {
		return nil, err
	}
	w, err := a.d.Store.GetWebhook(r.Context(), acct, id)
	if err != nil {
		return nil, storeErr(err, "webhook")
	}
	wasDisabled := w.Disabled && (w.DisabledUntil.IsZero() || w.DisabledUntil.After(a.d.Now()))
	if url := o.string("url", maxURLBytes); url != nil && *url != w.URL {
		if a.checkURL(o, *url) {
			w.URL = *url
			clearDisabled(&w)
		}
	}
	applyCommon(o, &w)
	refresh, reEnable := o.bool("refreshSecret"), o.bool("reEnable")
	overlap := a.d.SecretOverlap
	if secs := o.nonNegative("secretOverlapSeconds", maxSecretOverlap); secs != nil {
		if refresh == nil || !*refresh {
			o.setFail("secretOverlapSeconds", "only with refreshSecret: true")
		}
		overlap = time.Duration(*secs) * time.Second
	}
	if err := o.err(); err != nil {
		return nil, err
	}
	if refresh != nil && *refresh {
		if err := a.rotateSecret(&w, overlap); err != nil {
			return nil, err
		}
	}
	if reEnable != nil && *reEnable {
		clearDisabled(&w)
	}
	if err := a.d.Store.UpdateWebhook(r.Context(), &w); err != nil {
		return nil, storeErr(err, "webhook")
	}
	if wasDisabled && !w.Disabled && a.d.WebhookEnabled != nil {
		a.d.WebhookEnabled(w)
	}
	return a.toJSON(w), nil
}

// maxSecretOverlap bounds secretOverlapSeconds: 30 days.
const maxSecretOverlap = 30 * 24 * 60 * 60

// rotateSecret gives w a new secret, used at once (X-Millicast-Signature, as in
// Millicast), and keeps the one it replaces valid for overlap: until then
// deliveries also carry a webhook-signature entry made with it. Only two secrets
// are ever valid: renewing again during an overlap ends the older one's.
func (a *API) rotateSecret(w *store.Webhook, overlap time.Duration) error {
	secret, err := NewWebhookSecret()
	if err != nil {
		return err
	}
	w.PreviousSecret, w.PreviousSecretExpiresAt = "", time.Time{}
	if overlap > 0 {
		w.PreviousSecret, w.PreviousSecretExpiresAt = w.Secret, a.d.Now().Add(overlap).UTC().Truncate(time.Microsecond)
	}
	w.Secret = secret
	return nil
}

func (a *API) deleteWebhook(r *http.Request, acct string) (any, error) {
	id, err := pathID(r, "webhookId", "webhook")
	if err != nil {
		return nil, err
	}
	if err := a.d.Store.DeleteWebhook(r.Context(), acct, id); err != nil {
		return nil, storeErr(err, "webhook")
	}
	return true, nil
}

// testWebhook is POST /api/webhooks/test/{webhookType} {"streamName"?,
// "transcoderName"?}: a sample event of that type, naming the caller's account
// and the names given, to every webhook of the account that has the type enabled.
// The body is optional: Millicast's reference defines none.
func (a *API) testWebhook(r *http.Request, acct string) (any, error) {
	o, err := readObject(r, true, "streamName", "transcoderName")
	if err != nil {
		return nil, err
	}
	typ, ok := payloadType(r.PathValue("webhookType"))
	if !ok {
		o.setFail("webhookType", "must be one of Feeds, ViewerConnection, Media, Recordings, Transcoder, Thumbnail")
	}
	subject := sample.Subject{AccountID: acct}
	for name, dst := range map[string]*string{"streamName": &subject.StreamName, "transcoderName": &subject.TranscoderName} {
		if s := o.string(name, 64); s != nil {
			if !ValidName(*s) {
				o.setFail(name, "must be 1 to 64 letters, digits, '_', '-' or '.'")
			} else {
				*dst = *s
			}
		}
	}
	if err := o.err(); err != nil {
		return nil, err
	}
	if a.d.SubmitTest == nil {
		return nil, httpErr(http.StatusNotImplemented, "test events are not available")
	}
	ev, err := testEvent(typ, subject, a.d.Now())
	if err != nil {
		return nil, err
	}
	if err := a.checkTestRate(acct); err != nil {
		return nil, err
	}
	if err := a.sendTest(r.Context(), ev); err != nil {
		return nil, err
	}
	return true, nil
}
