package engine

import (
	"bytes"
	"encoding/json"

	"github.com/hookcast/hookcast/webhook"
)

// appendStateless turns media.updated and transcoder.updated into events. They need
// no stream state: each signal is one (or two) events of its own, stamped now.
func (e *Engine) appendStateless(dst []Event, sig *Signal, now int64) []Event {
	switch sig.Kind {
	case MediaUpdated:
		return appendMedia(dst, sig, now)
	case TranscoderUpdated:
		return append(dst, transcoderEvent(sig, now))
	}
	return dst
}

// recordingEvents maps a media event to the legacy recordings event (events.md §3.3).
var recordingEvents = map[string]string{
	webhook.MediaProcessing: webhook.RecordingStarted,
	webhook.MediaCompleted:  webhook.RecordingCompleted,
	webhook.MediaErrored:    webhook.RecordingError,
	webhook.MediaDeleted:    webhook.RecordingDeleted,
}

// appendMedia emits the media event and, for a recording, the matching legacy
// recordings event; a clip has no legacy counterpart. Without a startTime the
// signal's time stands in for it.
func appendMedia(dst []Event, sig *Signal, now int64) []Event {
	start := sig.StartTime
	if start == 0 {
		start = now
	}
	meta := metadata(sig.Metadata)
	dst = append(dst, Event{
		Type: webhook.TypeMedia, Event: sig.Event, Timestamp: now, AccountID: sig.AccountID, Name: sig.StreamName,
		Data: webhook.MediaData{
			MediaAssetID: sig.MediaAssetID, Type: sig.Type, StartTime: start,
			StreamName: sig.StreamName, StreamID: sig.AccountID + "/" + sig.StreamName,
			TokenID: sig.TokenID, Expiration: sig.Expiration, Metadata: meta,
		},
	})
	legacy, ok := recordingEvents[sig.Event]
	if sig.Type != "recording" || !ok {
		return dst
	}
	d := webhook.RecordingData{RecordFileID: sig.MediaAssetID, TokenID: sig.TokenID, StreamName: sig.StreamName, RecordedOn: start}
	switch legacy {
	case webhook.RecordingDeleted:
		d.RemovedOn = now
	case webhook.RecordingCompleted:
		d.Metadata = meta
	}
	return append(dst, Event{Type: webhook.TypeRecordings, Event: legacy, Timestamp: now,
		AccountID: sig.AccountID, Name: sig.StreamName, Data: d})
}

// metadata returns a copy of a metadata object, nil when absent or null, so an event
// never shares bytes with the caller's signal.
func metadata(m json.RawMessage) json.RawMessage {
	m = bytes.TrimSpace(m)
	if len(m) == 0 || string(m) == "null" {
		return nil
	}
	return bytes.Clone(m)
}

var transcoderStatus = map[string]string{
	webhook.TranscoderActive:  "Active",
	webhook.TranscoderStopped: "Shutdown",
	webhook.TranscoderDeleted: "Deleted",
}

func transcoderEvent(sig *Signal, now int64) Event {
	return Event{
		Type: webhook.TypeTranscoder, Event: sig.Event, Timestamp: now, AccountID: sig.AccountID, Name: sig.TranscoderName,
		Data: webhook.TranscoderData{
			TranscoderID: sig.TranscoderID, TranscoderName: sig.TranscoderName, Cluster: sig.Cluster,
			CreatedOn: sig.CreatedOn, Status: transcoderStatus[sig.Event],
		},
	}
}
