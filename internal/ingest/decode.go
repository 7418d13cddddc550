package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/hookcast/hookcast/internal/engine"
)

// MaxBatch is the most signals one ingest request may carry: a batch is applied in
// one transaction, so it must stay small enough to commit quickly.
const MaxBatch = 1000

// DecodeError says which signal of an ingest body is refused, which field, and why.
// The signals API shows it as is; Field lets it answer {"signals[3].name": "reason"}.
type DecodeError struct {
	Index  int    // position in the batch; -1 when the error is about the whole body
	Field  string // JSON field name; empty when the error is about the whole signal or body
	Reason string
}

func (e *DecodeError) Error() string {
	var b strings.Builder
	if e.Index >= 0 {
		fmt.Fprintf(&b, "signal %d: ", e.Index)
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

func bodyErr(reason string) *DecodeError { return &DecodeError{Index: -1, Reason: reason} }

// signalJSON is a signal as the ingest API writes it (interfaces.md §3): the JSON
// field names live here, at the edge, so the engine deals in typed signals only.
// What each field means is documented on engine.Signal. ViewersClosed has no JSON
// form: only adapters set it, so a client cannot change the rules of events.md.
type signalJSON struct {
	Kind           engine.Kind     `json:"kind"`
	AccountID      string          `json:"accountId"`
	ID             string          `json:"id"`
	Name           string          `json:"name"`
	FeedID         string          `json:"feedId"`
	Priority       *float64        `json:"priority"`
	SourceID       string          `json:"sourceId"`
	SimulcastID    string          `json:"simulcastId"`
	Reason         string          `json:"reason"`
	ViewerID       string          `json:"viewerId"`
	At             int64           `json:"at"`
	Event          string          `json:"event"`
	MediaAssetID   string          `json:"mediaAssetId"`
	Type           string          `json:"type"`
	StreamName     string          `json:"streamName"`
	TokenID        string          `json:"tokenId"`
	StartTime      int64           `json:"startTime"`
	Expiration     int64           `json:"expiration"`
	Metadata       json.RawMessage `json:"metadata"`
	TranscoderID   string          `json:"transcoderId"`
	TranscoderName string          `json:"transcoderName"`
	Cluster        string          `json:"cluster"`
	CreatedOn      string          `json:"createdOn"`
}

func (w *signalJSON) signal() engine.Signal {
	return engine.Signal{
		Kind: w.Kind, AccountID: w.AccountID, ID: w.ID, Name: w.Name,
		FeedID: w.FeedID, Priority: w.Priority, SourceID: w.SourceID, SimulcastID: w.SimulcastID, Reason: w.Reason,
		ViewerID: w.ViewerID, At: w.At,
		Event: w.Event, MediaAssetID: w.MediaAssetID, Type: w.Type, StreamName: w.StreamName, TokenID: w.TokenID,
		StartTime: w.StartTime, Expiration: w.Expiration, Metadata: w.Metadata,
		TranscoderID: w.TranscoderID, TranscoderName: w.TranscoderName, Cluster: w.Cluster, CreatedOn: w.CreatedOn,
	}
}

// DecodeSignals parses an ingest body: one signal object or an array of at most
// MaxBatch of them. Every signal is validated by the engine's rules; unknown fields
// are refused. The error is a *DecodeError that names the signal's index and the
// field ("signal 3: name: must be …"); on error no signal is returned, so a batch is
// taken whole or not at all.
func DecodeSignals(body []byte) ([]engine.Signal, error) {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, bodyErr("empty body: send a signal object or an array of signals")
	}
	switch trimmed[0] {
	case '{':
		s, err := decodeOne(trimmed)
		if err != nil {
			return nil, at(0, err)
		}
		return []engine.Signal{s}, nil
	case '[':
	default:
		return nil, bodyErr("body must be a signal object or an array of signals")
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if _, err := dec.Token(); err != nil { // the '['
		return nil, syntaxErr(err)
	}
	var sigs []engine.Signal
	for dec.More() {
		if len(sigs) == MaxBatch {
			return nil, bodyErr(fmt.Sprintf("more than %d signals in one batch", MaxBatch))
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, syntaxErr(err)
		}
		s, err := decodeOne(raw)
		if err != nil {
			return nil, at(len(sigs), err)
		}
		sigs = append(sigs, s)
	}
	if _, err := dec.Token(); err != nil { // the ']'
		return nil, syntaxErr(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, bodyErr("unexpected data after the array")
	}
	if len(sigs) == 0 {
		return nil, bodyErr("empty array: send at least one signal")
	}
	return sigs, nil
}

// decodeOne decodes and validates one signal object, refusing unknown fields and
// anything after the object. The error is a *DecodeError without an index.
func decodeOne(raw []byte) (engine.Signal, *DecodeError) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return engine.Signal{}, bodyErr("must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var w signalJSON
	if err := dec.Decode(&w); err != nil {
		return engine.Signal{}, jsonErr(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return engine.Signal{}, bodyErr("unexpected data after the signal object")
	}
	s := w.signal()
	if err := s.Validate(); err != nil {
		var se *engine.SignalError
		if errors.As(err, &se) {
			return engine.Signal{}, &DecodeError{Index: -1, Field: se.Field, Reason: se.Reason}
		}
		return engine.Signal{}, bodyErr(err.Error())
	}
	return s, nil
}

// jsonErr turns encoding/json's errors into field-level reasons.
func jsonErr(err error) *DecodeError {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field == "" {
			return bodyErr("must be a JSON object")
		}
		return &DecodeError{Index: -1, Field: te.Field, Reason: "must be " + jsonKind(te.Type.Kind().String())}
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return &DecodeError{Index: -1, Field: strings.Trim(f, `"`), Reason: "unknown field"}
	}
	return syntaxErr(err)
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "int64":
		return "an integer"
	case "float64", "ptr":
		return "a number"
	case "slice":
		return "a JSON object"
	}
	return "of another type"
}

func syntaxErr(err error) *DecodeError {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return bodyErr(fmt.Sprintf("invalid JSON at byte %d: %s", se.Offset, se.Error()))
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return bodyErr("invalid JSON: unexpected end of body")
	}
	return bodyErr("invalid JSON: " + err.Error())
}

// at puts a batch index on an error of decodeOne.
func at(i int, err *DecodeError) error {
	err.Index = i
	return err
}
