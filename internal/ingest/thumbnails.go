package ingest

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/hookcast/hookcast/internal/engine"
	"github.com/hookcast/hookcast/internal/httpx"
	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/internal/thumbnail"
)

// thumbnails serves POST /api/ingest/thumbnails?accountId=&name=&feedId=
// [&tokenId=][&at=]: the body is one JPEG (at most thumbnail.MaxSize), sent as a
// thumbnail event to the account's webhooks with isThumbnailHooks. at is the
// capture time in epoch ms (default: now).
func (h *Handler) thumbnails(w http.ResponseWriter, r *http.Request) {
	sink := h.Events
	if sink == nil {
		httpx.Error(w, http.StatusNotImplemented, "thumbnails are not enabled on this server")
		return
	}
	shot, err := h.readShot(w, r)
	if err != nil {
		var bi *badInput
		if errors.As(err, &bi) {
			if bi.field == "body" && bi.reason == tooLarge {
				httpx.Error(w, http.StatusRequestEntityTooLarge, "thumbnail "+tooLarge)
				return
			}
			httpx.Fail(w, map[string]string{bi.field: bi.reason})
			return
		}
		h.unavailable(w, err)
		return
	}
	if err := sink.SubmitEvents(r.Context(), []store.Event{shot.Event()}); err != nil {
		h.unavailable(w, fmt.Errorf("submit thumbnail: %w", err))
		return
	}
	httpx.Success(w, Result{Accepted: 1, Events: 1})
}

var tooLarge = fmt.Sprintf("larger than %d bytes", thumbnail.MaxSize)

// readShot checks the query and the image. Errors are *badInput except a failed
// account lookup (the store's).
func (h *Handler) readShot(w http.ResponseWriter, r *http.Request) (thumbnail.Shot, error) {
	q := r.URL.Query()
	s := thumbnail.Shot{AccountID: q.Get("accountId"), Name: q.Get("name"), FeedID: q.Get("feedId"), TokenID: q.Get("tokenId")}
	// Reuse the signal rules for names and ids: a feed.started carries the same.
	probe := engine.Signal{Kind: engine.FeedStarted, AccountID: s.AccountID, Name: s.Name, FeedID: s.FeedID}
	if err := probe.Validate(); err != nil {
		var se *engine.SignalError
		if errors.As(err, &se) {
			return s, bad(se.Field, se.Reason)
		}
		return s, bad("query", err.Error())
	}
	if s.TokenID != "" && !validID(s.TokenID) {
		return s, bad("tokenId", "must be 1-256 bytes of UTF-8 text without control characters")
	}
	s.At = h.now()
	if v := q.Get("at"); v != "" {
		ms, err := strconv.ParseInt(v, 10, 64)
		if err != nil || ms <= 0 {
			return s, bad("at", "must be a positive number of epoch milliseconds")
		}
		s.At = time.UnixMilli(ms)
	}
	ok, err := h.Accounts.AccountExists(r.Context(), s.AccountID)
	if err != nil {
		return s, fmt.Errorf("look up account: %w", err)
	}
	if !ok {
		return s, bad("accountId", fmt.Sprintf("no such account: %q", s.AccountID))
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, thumbnail.MaxSize))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return s, bad("body", tooLarge)
		}
		return s, bad("body", "could not read the body")
	}
	if err := thumbnail.Check(body); err != nil {
		return s, bad("body", err.Error())
	}
	s.JPEG = body
	return s, nil
}
