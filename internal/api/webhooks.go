package api

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/hookcast/hookcast/internal/store"
)

// Paging of GET /api/webhooks/list.
const (
	defaultItemCount = 10
	maxItemCount     = 100
)

var (
	createFields = append([]string{"url", "filter", "retryPolicy"}, hookFields...)
	updateFields = append([]string{"refreshSecret", "reEnable"}, createFields...)
)

// listWebhooks is GET /api/webhooks/list?startingId=&itemCount=&isDescending=.
// Empty parameters take their defaults (Millicast's are nullable).
func (a *API) listWebhooks(r *http.Request, acct string) (any, error) {
	q := r.URL.Query()
	fail := map[string]string{}
	var start int64
	if s := q.Get("startingId"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			fail["startingId"] = "must be a non-negative integer"
		}
		start = n
	}
	count := defaultItemCount
	if s := q.Get("itemCount"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxItemCount {
			fail["itemCount"] = "must be an integer from 1 to " + strconv.Itoa(maxItemCount)
		}
		count = n
	}
	desc := false
	if s := q.Get("isDescending"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			fail["isDescending"] = "must be true or false"
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
	if url := o.string("url", maxURLBytes); url != nil && *url != w.URL {
		if a.checkURL(o, *url) {
			w.URL = *url
			clearDisabled(&w)
		}
	}
	applyCommon(o, &w)
	refresh, reEnable := o.bool("refreshSecret"), o.bool("reEnable")
	if err := o.err(); err != nil {
		return nil, err
	}
	if refresh != nil && *refresh {
		if w.Secret, err = NewWebhookSecret(); err != nil {
			return nil, err
		}
	}
	if reEnable != nil && *reEnable {
		clearDisabled(&w)
	}
	if err := a.d.Store.UpdateWebhook(r.Context(), &w); err != nil {
		return nil, storeErr(err, "webhook")
	}
	return a.toJSON(w), nil
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

// testWebhook is POST /api/webhooks/test/{webhookType}: a sample event of that
// type to every webhook of the account that has it enabled.
func (a *API) testWebhook(r *http.Request, acct string) (any, error) {
	typ, ok := payloadType(r.PathValue("webhookType"))
	if !ok {
		return nil, failf("webhookType",
			"must be one of Feeds, ViewerConnection, Media, Recordings, Transcoder, Thumbnail")
	}
	if a.d.SendTest == nil {
		return nil, httpErr(http.StatusNotImplemented, "test events are not available")
	}
	if err := a.d.SendTest(r.Context(), acct, typ); err != nil {
		return nil, fmt.Errorf("send test event: %w", err)
	}
	return true, nil
}
