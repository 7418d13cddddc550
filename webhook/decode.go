package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// Errors of Decode; the returned errors wrap one of them with the reason.
var (
	ErrUnknownType = errors.New("webhook: unknown webhook type")
	ErrMalformed   = errors.New("webhook: malformed event")
)

// Decode turns a delivery's headers and body into its typed event: one of
// *FeedsEvent, *ViewerConnectionEvent, *MediaEvent, *RecordingsEvent,
// *TranscoderEvent or *ThumbnailEvent. It does not check signatures: call
// Verify first (the Handler does both).
//
// A body is a thumbnail when Content-Type is an image type or, without one, when
// it starts like a JPEG; its Image aliases body. Otherwise it must be the JSON
// envelope of events.md with a known "type" (any letter case), a non-empty
// "event" and an object "data". Unknown event names of a known type are kept,
// so a receiver built today does not reject events added later; unknown fields
// are ignored for the same reason.
func Decode(h http.Header, body []byte) (Event, error) {
	if isImage(h, body) {
		e, err := decodeThumbnail(h, body)
		if err != nil {
			return nil, err // not a typed nil inside the interface
		}
		return e, nil
	}
	var env Envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if env.Type == "" {
		return nil, fmt.Errorf("%w: no \"type\"", ErrMalformed)
	}
	if equalFold(env.Type, TypeOperational) {
		if len(env.Data) == 0 || env.Data[0] != '{' {
			return nil, fmt.Errorf("%w: operational event whose \"data\" is not an object", ErrMalformed)
		}
		e := &OperationalEvent{Type: env.Type, Event: env.Event, Timestamp: env.Timestamp}
		if err := json.Unmarshal(env.Data, &e.Data); err != nil {
			return nil, fmt.Errorf("%w: operational %s data: %w", ErrMalformed, env.Event, err)
		}
		return e, nil
	}
	typ, ok := CanonicalType(env.Type)
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownType, env.Type)
	}
	if env.Event == "" {
		return nil, fmt.Errorf("%w: %s event with no \"event\"", ErrMalformed, typ)
	}
	if len(env.Data) == 0 || env.Data[0] != '{' {
		return nil, fmt.Errorf("%w: %s %s event whose \"data\" is not an object", ErrMalformed, typ, env.Event)
	}
	var (
		ev   Event
		data any
	)
	switch typ {
	case TypeFeeds:
		e := &FeedsEvent{Type: env.Type, Event: env.Event, Timestamp: env.Timestamp}
		ev, data = e, &e.Data
	case TypeViewerConnection:
		e := &ViewerConnectionEvent{Type: env.Type, Event: env.Event, Timestamp: env.Timestamp}
		ev, data = e, &e.Data
	case TypeMedia:
		e := &MediaEvent{Type: env.Type, Event: env.Event, Timestamp: env.Timestamp}
		ev, data = e, &e.Data
	case TypeRecordings:
		e := &RecordingsEvent{Type: env.Type, Event: env.Event, Timestamp: env.Timestamp}
		ev, data = e, &e.Data
	case TypeTranscoder:
		e := &TranscoderEvent{Type: env.Type, Event: env.Event, Timestamp: env.Timestamp}
		ev, data = e, &e.Data
	default: // TypeThumbnail
		return nil, fmt.Errorf("%w: a thumbnail is sent as an image, not as JSON", ErrMalformed)
	}
	if err := json.Unmarshal(env.Data, data); err != nil {
		return nil, fmt.Errorf("%w: %s %s data: %w", ErrMalformed, typ, env.Event, err)
	}
	return ev, nil
}

// jpegMagic starts every JPEG file (SOI marker and the next marker's 0xFF); no
// JSON text can start with 0xFF.
var jpegMagic = []byte{0xFF, 0xD8, 0xFF}

func isImage(h http.Header, body []byte) bool {
	if ct := h.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err == nil {
			return strings.HasPrefix(mt, "image/")
		}
	}
	return bytes.HasPrefix(body, jpegMagic)
}

func decodeThumbnail(h http.Header, body []byte) (*ThumbnailEvent, error) {
	if len(body) == 0 {
		return nil, fmt.Errorf("%w: thumbnail with an empty image", ErrMalformed)
	}
	ts := headerValue(h, HeaderTimestamp)
	if ts == "" {
		return nil, fmt.Errorf("%w: thumbnail without %s header", ErrMalformed, HeaderTimestamp)
	}
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("%w: thumbnail %s header %q is not epoch milliseconds", ErrMalformed, HeaderTimestamp, ts)
	}
	return &ThumbnailEvent{
		Image:     body,
		Timestamp: ms,
		FeedID:    headerValue(h, HeaderFeedID),
		StreamID:  headerValue(h, HeaderStreamID),
		TokenID:   headerValue(h, HeaderTokenID),
	}, nil
}

// Header returns the headers a thumbnail delivery carries (Content-Type and the
// X-Millicast-* ones, signatures excepted), for senders and tests.
func (e *ThumbnailEvent) Header() http.Header {
	h := http.Header{}
	h.Set("Content-Type", ContentTypeJPEG)
	h.Set(HeaderTimestamp, strconv.FormatInt(e.Timestamp, 10))
	h.Set(HeaderFeedID, e.FeedID)
	h.Set(HeaderStreamID, e.StreamID)
	if e.TokenID != "" {
		h.Set(HeaderTokenID, e.TokenID)
	}
	return h
}
