package webhook

import "encoding/json"

// Webhook types, as they appear in the "type" field of a body.
const (
	TypeFeeds            = "feeds"
	TypeViewerConnection = "viewerConnection"
	TypeMedia            = "media"
	TypeRecordings       = "recordings"
	TypeTranscoder       = "transcoder"
	TypeThumbnail        = "thumbnail"
)

// Event names per type. Receivers should compare them case-insensitively
// (strings.EqualFold): the documentation this follows is not consistent about case.
const (
	FeedStarted = "started"
	FeedEnded   = "ended"

	ViewerAttempt         = "viewerAttempt"
	FirstViewerConnection = "firstViewerConnection"
	NoActiveViewers       = "noActiveViewers"

	MediaProcessing = "processing"
	MediaCompleted  = "completed"
	MediaErrored    = "errored"
	MediaDeleted    = "deleted"

	RecordingStarted   = "started"
	RecordingCompleted = "completed"
	RecordingError     = "error"
	RecordingDeleted   = "deleted"

	TranscoderActive  = "ACTIVE"
	TranscoderStopped = "STOPPED"
	TranscoderDeleted = "DELETED"
)

// Envelope is the common shape of every JSON webhook body. Data is kept raw so a
// receiver can decode it into the type-specific struct once it knows the type.
type Envelope struct {
	Type      string          `json:"type"`
	Event     string          `json:"event"`
	Timestamp int64           `json:"timestamp"` // epoch ms when the event happened
	Data      json.RawMessage `json:"data"`
}

// FeedData is the data of a "feeds" event: one publisher (feed) of a stream.
type FeedData struct {
	FeedID    string `json:"feedId"`
	AccountID string `json:"accountId"`
	Name      string `json:"name"`
	StreamID  string `json:"streamId"`
	Started   int64  `json:"started,omitempty"` // epoch ms
	Active    bool   `json:"active"`
	Ended     int64  `json:"ended,omitempty"` // epoch ms, only on "ended"
	// Optional, when the source reports them.
	Priority    *float64 `json:"priority,omitempty"`
	SourceID    string   `json:"sourceId,omitempty"`
	SimulcastID string   `json:"simulcastId,omitempty"`
}

// ViewerConnectionData is the data of a "viewerConnection" event.
type ViewerConnectionData struct {
	Name      string `json:"name"`
	AccountID string `json:"accountId"`
	StreamID  string `json:"streamId"`
}

// MediaData is the data of a "media" event (clips and recordings).
type MediaData struct {
	MediaAssetID string          `json:"mediaAssetId"`
	Type         string          `json:"type"`      // "clip" or "recording"
	StartTime    int64           `json:"startTime"` // epoch ms
	StreamName   string          `json:"streamName,omitempty"`
	StreamID     string          `json:"streamId,omitempty"`
	TokenID      string          `json:"tokenId,omitempty"`
	Expiration   int64           `json:"expiration,omitempty"` // epoch ms
	Metadata     json.RawMessage `json:"metadata,omitempty"`
}

// RecordingData is the data of a legacy "recordings" event.
type RecordingData struct {
	RecordFileID string          `json:"recordFileId"`
	TokenID      string          `json:"tokenId,omitempty"`
	StreamName   string          `json:"streamName"`
	RecordedOn   int64           `json:"recordedOn"`          // epoch ms
	RemovedOn    int64           `json:"removedOn,omitempty"` // epoch ms, only on "deleted"
	Metadata     json.RawMessage `json:"metadata,omitempty"`  // only on "completed"
}

// TranscoderData is the data of a "transcoder" event.
type TranscoderData struct {
	TranscoderID   string `json:"transcoderId"`
	TranscoderName string `json:"transcoderName"`
	Cluster        string `json:"cluster"`
	CreatedOn      string `json:"createdOn"` // ISO-8601
	Status         string `json:"status"`    // "Active", "Shutdown", "Deleted"
}
