package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hookcast/hookcast/internal/engine"
	"github.com/hookcast/hookcast/internal/store"
)

// ErrRateLimited is what Deps.Thumbnail returns (wrapped) when a stream asked for
// too many thumbnails; the API answers 429.
var ErrRateLimited = errors.New("rate limited")

// resendResult is the data of both resend routes: the deliveries made pending.
type resendResult struct {
	Resent []int64 `json:"resent"`
}

// resendOne is POST /api/deliveries/{id}/resend: that delivery again, whatever its
// state, as a new attempt due now.
func (a *API) resendOne(r *http.Request, acct string) (any, error) {
	id, err := pathID(r, "deliveryId", "delivery")
	if err != nil {
		return nil, err
	}
	if _, _, err := a.d.Store.GetDelivery(r.Context(), acct, id); err != nil {
		return nil, storeErr(err, "delivery")
	}
	ids, err := a.d.Store.Resend(r.Context(), acct, []int64{id},
		store.DeliveryQuery{AccountID: acct}, a.d.Now())
	if err != nil {
		return nil, storeErr(err, "delivery")
	}
	if len(ids) == 0 {
		return nil, httpErr(http.StatusConflict,
			"delivery %d cannot be sent again now: an attempt is in progress, or its webhook was deleted", id)
	}
	return a.resent(ids), nil
}

// resendMany is POST /api/deliveries/resend {"since", "until"?, "webhookId"?,
// "eventType"?, "state"?}: every failed or skipped delivery created since then
// (and before until), filtered: a recovery after an outage of the receiver. since
// is required so that a bare call cannot replay the whole history.
func (a *API) resendMany(r *http.Request, acct string) (any, error) {
	o, err := readObject(r, false, "since", "until", "webhookId", "eventType", "state")
	if err != nil {
		return nil, err
	}
	q := store.DeliveryQuery{AccountID: acct}
	if v := o.value("since"); v == nil {
		o.setFail("since", "required")
	} else if t, err := sinceJSON(v); err != nil {
		o.setFail("since", err.Error())
	} else {
		q.Since = t
	}
	if v := o.value("until"); v != nil {
		if t, err := sinceJSON(v); err != nil {
			o.setFail("until", err.Error())
		} else if !q.Since.IsZero() && !t.After(q.Since) {
			o.setFail("until", "must be after since")
		} else {
			q.Until = t
		}
	}
	if id := o.int("webhookId"); id != nil {
		q.WebhookID = *id
	}
	if s := o.string("eventType", 64); s != nil {
		if q.EventType, _ = payloadType(*s); q.EventType == "" {
			o.setFail("eventType", "must be one of feeds, viewerConnection, media, recordings, transcoder, thumbnail")
		}
	}
	if s := o.string("state", 64); s != nil {
		st, ok := parseState(*s, []store.DeliveryState{store.DeliveryFailed, store.DeliverySkipped})
		if !ok {
			o.setFail("state", "must be failed or skipped")
		}
		q.State = st
	}
	if err := o.err(); err != nil {
		return nil, err
	}
	ids, err := store.ResendChunks(r.Context(), a.d.Store, acct, q, a.d.Now(), resendChunk)
	if err != nil {
		if len(ids) > 0 && a.d.Wake != nil {
			a.d.Wake() // the chunks before the error are resent
		}
		return nil, fmt.Errorf("resend deliveries: %w", err)
	}
	return a.resent(ids), nil
}

// resendChunk is how many deliveries one store transaction resends (see
// store.ResendChunks): a bulk resend of any size goes in chunks of this.
const resendChunk = 2000

func (a *API) resent(ids []int64) resendResult {
	if ids == nil {
		ids = []int64{}
	}
	if len(ids) > 0 && a.d.Wake != nil {
		a.d.Wake()
	}
	return resendResult{Resent: ids}
}

// sinceJSON reads since as an RFC 3339 string or epoch milliseconds (a number or a
// string of digits).
func sinceJSON(v json.RawMessage) (time.Time, error) {
	var ms int64
	if json.Unmarshal(v, &ms) == nil && ms >= 0 {
		return time.UnixMilli(ms), nil
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		return time.Time{}, errors.New("must be an RFC 3339 time or epoch milliseconds")
	}
	return parseSince(s)
}

// maxStreamsPage is the largest page of GET /api/streams.
const maxStreamsPage = 1000

// streamsPage is a page of GET /api/streams: streams by name, and the name to
// ask after for the next page (null on the last).
type streamsPage struct {
	Streams []engine.StreamView `json:"streams"`
	Next    *string             `json:"next"`
}

// streams is GET /api/streams: the live state of the account's streams, by
// name. Without parameters, all of them (an array, as ever); with itemCount
// (1–1000) and/or after (a stream name, exclusive), one page of them in
// {"streams": […], "next": name|null}, so an account with thousands of
// streams is read a page at a time.
func (a *API) streams(r *http.Request, acct string) (any, error) {
	if a.d.Streams == nil {
		return nil, httpErr(http.StatusNotImplemented, "stream state is not available")
	}
	q, fail := r.URL.Query(), map[string]string{}
	after := queryParam(q, fail, "after")
	count, paged := maxStreamsPage, after != ""
	if s := queryParam(q, fail, "itemCount", "item_count"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxStreamsPage {
			fail["itemCount"] = "must be an integer from 1 to " + strconv.Itoa(maxStreamsPage)
		}
		count, paged = n, true
	}
	if len(fail) > 0 {
		return nil, &FailError{Fields: fail}
	}
	all, err := a.d.Streams(r.Context(), acct)
	if err != nil {
		return nil, fmt.Errorf("streams: %w", err)
	}
	if !paged {
		return all, nil
	}
	all = slices.DeleteFunc(all, func(v engine.StreamView) bool { return v.Name <= after })
	slices.SortFunc(all, func(x, y engine.StreamView) int { return strings.Compare(x.Name, y.Name) })
	page := streamsPage{Streams: all}
	if all == nil {
		page.Streams = []engine.StreamView{}
	}
	if len(all) > count {
		page.Streams = all[:count]
		next := all[count-1].Name
		page.Next = &next
	}
	return page, nil
}

// namePattern is what account ids and stream names may be (interfaces.md §3).
var namePattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// ValidName reports whether s is a valid account id or stream name: 1–64 letters,
// digits, '_', '-' or '.' (interfaces.md §3).
func ValidName(s string) bool { return namePattern.MatchString(s) }

// thumbnail is POST /api/thumbnails {"streamName", "tokenId"?}: capture one now.
func (a *API) thumbnail(r *http.Request, acct string) (any, error) {
	o, err := readObject(r, false, "streamName", "tokenId")
	if err != nil {
		return nil, err
	}
	name := o.string("streamName", 64)
	if name == nil {
		o.setFail("streamName", "required")
	} else if !namePattern.MatchString(*name) {
		o.setFail("streamName", "must be 1 to 64 letters, digits, '_', '-' or '.'")
	}
	var token string
	if t := o.string("tokenId", 256); t != nil {
		token = *t
	}
	if err := o.err(); err != nil {
		return nil, err
	}
	if a.d.Thumbnail == nil {
		return nil, httpErr(http.StatusNotImplemented, "on-demand thumbnails are off: serve captures them when started with --thumbnail-source")
	}
	switch err := a.d.Thumbnail(r.Context(), acct, *name, token); {
	case errors.Is(err, ErrRateLimited):
		return nil, httpErr(http.StatusTooManyRequests, "too many thumbnails requested for %s", strconv.Quote(*name))
	case errors.Is(err, store.ErrNotFound):
		return nil, httpErr(http.StatusNotFound, "stream %s is not live", strconv.Quote(*name))
	case err != nil:
		return nil, fmt.Errorf("thumbnail: %w", err)
	}
	return true, nil
}
