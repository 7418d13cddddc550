// Package thumbnail makes thumbnail events (events.md §3.5): it checks JPEG images,
// turns them into prepared events, captures them from live streams with ffmpeg
// every Interval, and on demand within a per-stream rate limit.
package thumbnail

import (
	"bytes"
	"errors"
	"fmt"
	"image/jpeg"
	"strconv"
	"time"

	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/webhook"
)

// MaxSize caps a thumbnail: a video frame as JPEG is tens of KB; 4 MiB leaves room
// for 4K frames and refuses anything that is not a thumbnail.
const MaxSize = 4 << 20

// Errors of Check; the returned errors wrap one of them with the reason.
var (
	ErrTooLarge = errors.New("thumbnail larger than 4 MiB")
	ErrNotJPEG  = errors.New("not a JPEG image")
)

// Check verifies that b is one JPEG image of at most MaxSize bytes whose header
// decodes, so receivers are never sent something they cannot show.
func Check(b []byte) error {
	if len(b) > MaxSize {
		return fmt.Errorf("%w: %d bytes", ErrTooLarge, len(b))
	}
	if len(b) == 0 {
		return fmt.Errorf("%w: empty body", ErrNotJPEG)
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNotJPEG, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return fmt.Errorf("%w: %dx%d pixels", ErrNotJPEG, cfg.Width, cfg.Height)
	}
	return nil
}

// Shot is one captured image and what it shows.
type Shot struct {
	AccountID string
	Name      string // stream name
	FeedID    string
	TokenID   string // optional: the token the stream was published with, when known
	At        time.Time
	JPEG      []byte
}

// Event turns a shot into the prepared event the committer stores: the JPEG is the
// body, and the X-Millicast-* headers carry what other types put in "data". The
// committer fills in the id and creation time.
func (s Shot) Event() store.Event {
	h := map[string]string{
		webhook.HeaderTimestamp: strconv.FormatInt(s.At.UnixMilli(), 10),
		webhook.HeaderFeedID:    s.FeedID,
		webhook.HeaderStreamID:  s.AccountID + "/" + s.Name,
	}
	if s.TokenID != "" {
		h[webhook.HeaderTokenID] = s.TokenID
	}
	return store.Event{
		AccountID:   s.AccountID,
		Type:        webhook.TypeThumbnail,
		Event:       webhook.ThumbnailCaptured,
		StreamName:  s.Name,
		Timestamp:   s.At.UnixMilli(),
		ContentType: webhook.ContentTypeJPEG,
		Headers:     h,
		Body:        s.JPEG,
	}
}
