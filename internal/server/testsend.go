package server

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hookcast/hookcast/internal/api"
	"github.com/hookcast/hookcast/internal/sample"
	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/webhook"
)

// testEvents maps the webhookType of POST /api/webhooks/test/{webhookType} to the
// sample event sent for it.
var testEvents = map[string][2]string{
	"feeds":            {webhook.TypeFeeds, webhook.FeedStarted},
	"viewerconnection": {webhook.TypeViewerConnection, webhook.ViewerAttempt},
	"media":            {webhook.TypeMedia, webhook.MediaCompleted},
	"recordings":       {webhook.TypeRecordings, webhook.RecordingCompleted},
	"transcoder":       {webhook.TypeTranscoder, webhook.TranscoderActive},
	"thumbnail":        {webhook.TypeThumbnail, ""},
}

// sendTest stores one sample event of the type, naming the caller's account and
// the stream or transcoder the request gave, for every webhook of the account
// that has the type enabled; the dispatcher sends them like any other.
func (s *Server) sendTest(ctx context.Context, req api.TestRequest) error {
	te, ok := testEvents[strings.ToLower(req.Type)]
	if !ok {
		return fmt.Errorf("unknown webhook type %q", req.Type)
	}
	now := time.Now()
	ct, body, headers, err := sample.EventFor(te[0], te[1], now, sample.Subject{
		AccountID: req.AccountID, StreamName: req.StreamName, TranscoderName: req.TranscoderName})
	if err != nil {
		return fmt.Errorf("sample %s event: %w", te[0], err)
	}
	return s.pipe.SubmitTest(ctx, []store.Event{{
		AccountID:   req.AccountID,
		Type:        te[0],
		Event:       te[1],
		Timestamp:   now.UnixMilli(),
		ContentType: ct,
		Headers:     headers,
		Body:        body,
	}})
}
