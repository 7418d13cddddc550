// Package sqlutil holds what the SQLite and PostgreSQL stores share: the row
// layouts and scanners (both drivers' rows have the same Scan method), the time
// encoding, the hook-type columns and the migration file list. The SQL itself
// stays in each store: the dialects differ enough that sharing it would hide them.
package sqlutil

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/hookcast/hookcast/internal/store"
)

// Scanner is a row of database/sql or pgx.
type Scanner interface {
	Scan(dest ...any) error
}

// Micros encodes a time as epoch microseconds; the zero time is 0, so "not set"
// survives the round trip.
func Micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// Time decodes Micros: 0 is the zero time, anything else a UTC time.
func Time(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// HookColumn is the webhooks column that enables an Event.Type.
func HookColumn(typ string) (string, error) {
	switch typ {
	case "feeds":
		return "is_feed_hooks", nil
	case "recordings":
		return "is_recording_hooks", nil
	case "thumbnail":
		return "is_thumbnail_hooks", nil
	case "transcoder":
		return "is_transcoder_hooks", nil
	case "media":
		return "is_media_hooks", nil
	case "viewerConnection":
		return "is_viewer_connection_hooks", nil
	case "operational":
		return "is_operational_hooks", nil
	}
	return "", fmt.Errorf("unknown event type %q", typ)
}

// SortKeys returns keys sorted and without duplicates: locks taken in one global
// order cannot deadlock.
func SortKeys(keys []store.StreamKey) []store.StreamKey {
	out := slices.Clone(keys)
	slices.SortFunc(out, func(a, b store.StreamKey) int {
		if a.AccountID != b.AccountID {
			if a.AccountID < b.AccountID {
				return -1
			}
			return 1
		}
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	return slices.Compact(out)
}

// EncodeHeaders stores event headers as a JSON object (never null).
func EncodeHeaders(h map[string]string) (string, error) {
	if h == nil {
		return "{}", nil
	}
	b, err := json.Marshal(h)
	if err != nil {
		return "", fmt.Errorf("encode headers: %w", err)
	}
	return string(b), nil
}

// DecodeHeaders reverses EncodeHeaders; an empty object becomes a nil map.
func DecodeHeaders(s string) (map[string]string, error) {
	if s == "{}" { // most events: no JSON decoding (a claim reads many)
		return nil, nil
	}
	var h map[string]string
	if err := json.Unmarshal([]byte(s), &h); err != nil {
		return nil, fmt.Errorf("decode headers: %w", err)
	}
	if len(h) == 0 {
		return nil, nil
	}
	return h, nil
}
