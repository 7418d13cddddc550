package api

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hookcast/hookcast/internal/netguard"
	"github.com/hookcast/hookcast/internal/store"
)

// Limits on what a webhook may hold.
const (
	maxURLBytes    = 4096 // netguard applies the real limit; this only bounds decoding
	maxFilterBytes = 1024
	// A webhook's delivery limits: attempts in flight (default 4) and started
	// per second (0: unlimited).
	defaultMaxConcurrency = 4
	maxMaxConcurrency     = 64
	maxMaxPerSecond       = 1000
)

// Retry policies (events.md §4).
const (
	RetryNone        = "none"
	RetryExponential = "exponential"
)

// webhookJSON is Millicast's WebhookModel plus this project's filter and retryPolicy,
// and isClipHooks, which Millicast's official clients read and write (it is kept,
// but no event of this service is a clip event).
// disabled is always present, null unless the webhook is disabled, so clients can
// read it without checking for the key (the reference marks it nullable).
type webhookJSON struct {
	ID                      int64  `json:"id"`
	URL                     string `json:"url"`
	Secret                  string `json:"secret"`
	IsFeedHooks             bool   `json:"isFeedHooks"`
	IsRecordingHooks        bool   `json:"isRecordingHooks"`
	IsThumbnailHooks        bool   `json:"isThumbnailHooks"`
	IsTranscoderHooks       bool   `json:"isTranscoderHooks"`
	IsMediaHooks            bool   `json:"isMediaHooks"`
	IsViewerConnectionHooks bool   `json:"isViewerConnectionHooks"`
	IsClipHooks             bool   `json:"isClipHooks"`
	// IsOperationalHooks: hookcast's operational events about the account's
	// other webhooks (type "operational").
	IsOperationalHooks bool          `json:"isOperationalHooks"`
	Filter             string        `json:"filter"`
	RetryPolicy        string        `json:"retryPolicy"`
	MaxConcurrency     int           `json:"maxConcurrency"`
	MaxPerSecond       int           `json:"maxPerSecond"`
	Disabled           *disabledJSON `json:"disabled"`
	// PreviousSecretExpiresAt is when the secret replaced by the last
	// refreshSecret stops signing; null when no overlap is running.
	PreviousSecretExpiresAt *string `json:"previousSecretExpiresAt"`
	// Headers are sent with every delivery; values are shown masked.
	Headers map[string]string `json:"headers"`
}

// disabledJSON is Millicast's DisabledInfoModel. until is null when the webhook
// stays disabled until someone re-enables it.
type disabledJSON struct {
	Until  *string `json:"until"`
	Reason *string `json:"reason"`
}

// toJSON presents a webhook. A webhook whose disabled period is over is shown as
// enabled: that is how it is treated from then on.
func (a *API) toJSON(w store.Webhook) webhookJSON {
	out := webhookJSON{
		ID: w.ID, URL: w.URL, Secret: w.Secret,
		IsFeedHooks: w.IsFeedHooks, IsRecordingHooks: w.IsRecordingHooks,
		IsThumbnailHooks: w.IsThumbnailHooks, IsTranscoderHooks: w.IsTranscoderHooks,
		IsMediaHooks: w.IsMediaHooks, IsViewerConnectionHooks: w.IsViewerConnectionHooks,
		IsClipHooks: w.IsClipHooks, IsOperationalHooks: w.IsOperationalHooks, Filter: w.Filter, RetryPolicy: w.RetryPolicy,
		MaxConcurrency: w.MaxConcurrency, MaxPerSecond: w.MaxPerSecond,
		Headers: maskedHeaders(w.Headers),
	}
	if out.MaxConcurrency <= 0 {
		out.MaxConcurrency = defaultMaxConcurrency
	}
	if out.RetryPolicy == "" {
		out.RetryPolicy = RetryExponential
	}
	if w.PreviousSecretAt(a.d.Now()) != "" {
		out.PreviousSecretExpiresAt = optTime(w.PreviousSecretExpiresAt)
	}
	if w.Disabled && (w.DisabledUntil.IsZero() || w.DisabledUntil.After(a.d.Now())) {
		d := &disabledJSON{}
		if !w.DisabledUntil.IsZero() {
			s := formatTime(w.DisabledUntil)
			d.Until = &s
		}
		if w.DisabledReason != "" {
			r := w.DisabledReason
			d.Reason = &r
		}
		out.Disabled = d
	}
	return out
}

// formatTime is the one time format of the API: RFC 3339, UTC, milliseconds.
func formatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

func optTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := formatTime(t)
	return &s
}

// hookFields are the type switches, in Millicast's names: the six event types,
// and isClipHooks, which Dolby's Node and Python clients send on every create
// and update (it is stored and returned; no event here is a clip event).
var hookFields = []string{"isFeedHooks", "isRecordingHooks", "isThumbnailHooks",
	"isTranscoderHooks", "isMediaHooks", "isViewerConnectionHooks", "isClipHooks", "isOperationalHooks"}

func hookField(w *store.Webhook, name string) *bool {
	switch name {
	case "isFeedHooks":
		return &w.IsFeedHooks
	case "isRecordingHooks":
		return &w.IsRecordingHooks
	case "isThumbnailHooks":
		return &w.IsThumbnailHooks
	case "isTranscoderHooks":
		return &w.IsTranscoderHooks
	case "isMediaHooks":
		return &w.IsMediaHooks
	case "isViewerConnectionHooks":
		return &w.IsViewerConnectionHooks
	case "isClipHooks":
		return &w.IsClipHooks
	case "isOperationalHooks":
		return &w.IsOperationalHooks
	}
	panic("api: unknown hook field " + name)
}

// applyCommon reads the members POST and PUT share, except url, into w.
func applyCommon(o *object, w *store.Webhook) {
	if h := readHeaders(o, w.Headers); h != nil {
		w.Headers = h
		if len(h) == 0 {
			w.Headers = nil
		}
	}
	for _, name := range hookFields {
		if b := o.bool(name); b != nil {
			*hookField(w, name) = *b
		}
	}
	// Unlike the other members, a null filter is not "unchanged": Millicast's
	// clients document null as the way to clear it.
	if o.null("filter") {
		w.Filter = ""
	}
	if f := o.string("filter", maxFilterBytes); f != nil {
		if _, err := regexp.Compile(*f); err != nil {
			o.setFail("filter", "not a valid regular expression: "+err.Error())
		} else {
			w.Filter = *f
		}
	}
	if n, ok := o.intIn("maxConcurrency", 1, maxMaxConcurrency); ok {
		w.MaxConcurrency = n
	}
	if n, ok := o.intIn("maxPerSecond", 0, maxMaxPerSecond); ok {
		w.MaxPerSecond = n
	}
	if p := o.string("retryPolicy", 64); p != nil {
		switch strings.ToLower(*p) {
		case RetryNone, RetryExponential:
			w.RetryPolicy = strings.ToLower(*p)
		default:
			o.setFail("retryPolicy", `must be "none" or "exponential"`)
		}
	}
}

// checkURL validates a target URL as it is saved.
func (a *API) checkURL(o *object, raw string) bool {
	if raw == "" {
		o.setFail("url", "required")
		return false
	}
	if err := netguard.CheckURL(raw, a.d.AllowPrivateTargets); err != nil {
		o.setFail("url", strings.TrimPrefix(err.Error(), "url: "))
		return false
	}
	return true
}

// clearDisabled re-enables a webhook and forgets its failures.
func clearDisabled(w *store.Webhook) {
	w.Disabled = false
	w.DisabledUntil = time.Time{}
	w.DisabledReason = ""
	w.ConsecutiveFailures = 0
}

// webhookTypes maps the {webhookType} of the test route (Millicast's WebhookType
// enum) to the payload type of events.md.
var webhookTypes = []struct{ name, typ string }{
	{"Feeds", "feeds"},
	{"ViewerConnection", "viewerConnection"},
	{"Media", "media"},
	{"Recordings", "recordings"},
	{"Transcoder", "transcoder"},
	{"Thumbnail", "thumbnail"},
}

// payloadType resolves either form (WebhookType or payload type), in any case.
func payloadType(s string) (string, bool) {
	for _, t := range webhookTypes {
		if strings.EqualFold(s, t.name) || strings.EqualFold(s, t.typ) {
			return t.typ, true
		}
	}
	return "", false
}

// positiveID parses an integer id as found in a path or query: digits only.
func positiveID(s string) (int64, bool) {
	if s == "" || len(s) > 19 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}

// pathID is the {name} path value as an id; anything else names nothing, so it is
// a 404 like a missing row (Millicast's ids are integer path parameters).
func pathID(r *http.Request, name, what string) (int64, error) {
	id, ok := positiveID(r.PathValue(name))
	if !ok {
		return 0, httpErr(http.StatusNotFound, "%s not found", what)
	}
	return id, nil
}

// storeErr names what was not found, and wraps anything else with context.
func storeErr(err error, what string) error {
	if errors.Is(err, store.ErrNotFound) {
		return httpErr(http.StatusNotFound, "%s not found", what)
	}
	return fmt.Errorf("%s: %w", what, err)
}
