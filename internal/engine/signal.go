package engine

import "encoding/json"

// Kind names what a signal reports (interfaces.md §3).
type Kind string

// The signal kinds a media server (or an adapter on its behalf) can send.
const (
	FeedStarted        Kind = "feed.started"
	FeedHeartbeat      Kind = "feed.heartbeat"
	FeedEnded          Kind = "feed.ended"
	ViewerConnected    Kind = "viewer.connected"
	ViewerDisconnected Kind = "viewer.disconnected"
	ViewerAttempted    Kind = "viewer.attempted"
	MediaUpdated       Kind = "media.updated"
	TranscoderUpdated  Kind = "transcoder.updated"
)

// Reasons a feed.ended may carry. The feeds webhook carries no reason: it is kept
// for the log and for adapters that want to say why.
const (
	ReasonPublisher = "publisher"
	ReasonTimeout   = "timeout"
)

// Signal is one thing a media server saw, with the fields of interfaces.md §3.
// Its JSON form is the ingest API's (ingest.DecodeSignals): the engine takes typed
// signals only, so it knows no wire format and a signal passes through it once.
// Which fields a kind takes is checked by Validate; a field a kind does not take is
// refused rather than ignored, so a mistake in an adapter shows at once.
type Signal struct {
	Kind      Kind
	AccountID string
	// ID, when given, names this signal for de-duplication: the same id again
	// (in the same account, within the idempotency window) changes nothing. Any
	// kind may carry one; the engine itself never reads it (the committer does).
	ID string
	// Name is the stream name for feed.* and viewer.* signals.
	Name string

	FeedID      string
	Priority    *float64 // redundant ingest; any finite number
	SourceID    string
	SimulcastID string
	Reason      string // feed.ended: publisher or timeout

	ViewerID string

	// At is when the media server saw it (epoch ms); 0 means "when received". The
	// caller turns it into the now it passes to Apply.
	At int64

	// Event is the media or transcoder event (processing… / ACTIVE…).
	Event        string
	MediaAssetID string
	Type         string // clip or recording
	StreamName   string
	TokenID      string
	StartTime    int64           // epoch ms; 0: the signal's time
	Expiration   int64           // epoch ms
	Metadata     json.RawMessage // a JSON object, passed through

	TranscoderID   string
	TranscoderName string
	Cluster        string
	CreatedOn      string // ISO-8601, passed through

	// ViewersClosed, on a feed.ended, says that the media server closed every
	// viewer of the stream together with this feed: MediaMTX closes a path's
	// readers when its source goes, nginx-rtmp its players with idle_streams off.
	// Their own disconnects are then on their way, racing this signal, and those
	// viewers are not waiting for the stream: when the feed was the stream's last,
	// they leave at this instant instead of becoming waiting viewers (no
	// viewerAttempt, V1/V2), and their disconnects change nothing when they arrive
	// (V6). Only adapters set it, from what they know of their server; it is not
	// part of the ingest API (its JSON form has no such field), so the rules of
	// events.md stay as written for every signal a client sends.
	ViewersClosed bool
}

// StreamKey names one stream: an account and a stream name.
type StreamKey struct {
	AccountID string
	Name      string
}

// String is accountId/name, the streamId of the payloads.
func (k StreamKey) String() string { return k.AccountID + "/" + k.Name }

// Stateful reports whether the signal needs its stream's state: feed.* and viewer.*
// do; media.updated and transcoder.updated become events without any.
func (s *Signal) Stateful() bool {
	switch s.Kind {
	case FeedStarted, FeedHeartbeat, FeedEnded, ViewerConnected, ViewerDisconnected, ViewerAttempted:
		return true
	}
	return false
}

// Stream is the stream the signal is about: accountId and name (streamName for
// media, transcoderName for transcoder, the names webhook filters match).
func (s *Signal) Stream() StreamKey {
	switch s.Kind {
	case MediaUpdated:
		return StreamKey{s.AccountID, s.StreamName}
	case TranscoderUpdated:
		return StreamKey{s.AccountID, s.TranscoderName}
	}
	return StreamKey{s.AccountID, s.Name}
}

// Member is the viewer whose membership of the stream Apply reads (viewer.connected
// and viewer.disconnected), "" for the other kinds: the id a holder of a partially
// loaded State tells it about first (State.ViewerKnown).
func (s *Signal) Member() string {
	switch s.Kind {
	case ViewerConnected, ViewerDisconnected:
		return s.ViewerID
	}
	return ""
}
