package api

import (
	"context"
	"fmt"
	"time"

	"github.com/hookcast/hookcast/internal/sample"
	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/webhook"
)

// The test route's events are built here, where its request is read: the API
// is their only source, and all it needs from the rest of the service is the
// commit that stores an event with its deliveries (Deps.SubmitTest), the
// same one every other event takes.

// testEvents is the event POST /api/webhooks/test/{webhookType} sends a sample
// of, by payload type (a thumbnail has none).
var testEvents = map[string]string{
	webhook.TypeFeeds:            webhook.FeedStarted,
	webhook.TypeViewerConnection: webhook.ViewerAttempt,
	webhook.TypeMedia:            webhook.MediaCompleted,
	webhook.TypeRecordings:       webhook.RecordingCompleted,
	webhook.TypeTranscoder:       webhook.TranscoderActive,
	webhook.TypeThumbnail:        "",
}

// testEvent is the sample event of payload type typ at now, naming the
// caller's account and the stream or transcoder the request gave (Dolby's
// Node client sends both; empty keeps the sample's own), so a receiver
// checking account ids accepts the test as it would a real event.
func testEvent(typ string, subject sample.Subject, now time.Time) (store.Event, error) {
	event, ok := testEvents[typ]
	if !ok {
		return store.Event{}, fmt.Errorf("no test event for payload type %q", typ)
	}
	ct, body, headers, err := sample.EventFor(typ, event, now, subject)
	if err != nil {
		return store.Event{}, fmt.Errorf("sample %s event: %w", typ, err)
	}
	return store.Event{
		AccountID:   subject.AccountID,
		Type:        typ,
		Event:       event,
		Timestamp:   now.UnixMilli(),
		ContentType: ct,
		Headers:     headers,
		Body:        body,
	}, nil
}

// sendTest stores the test event for every webhook of its account that has
// its type enabled, whatever their filters; the dispatcher sends them like any
// other.
func (a *API) sendTest(ctx context.Context, ev store.Event) error {
	if err := a.d.SubmitTest(ctx, []store.Event{ev}); err != nil {
		return fmt.Errorf("send test event: %w", err)
	}
	return nil
}
