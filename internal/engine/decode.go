package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MaxBatch is the most signals one ingest request may carry: a batch is applied in
// one transaction, so it must stay small enough to commit quickly.
const MaxBatch = 1000

// DecodeSignals parses an ingest body: one signal object or an array of them. Every
// signal is validated; unknown fields are refused. The error is a *SignalError that
// names the signal's index and the field ("signal 3: name: must be …"); on error no
// signal is returned, so a batch is taken whole or not at all.
func DecodeSignals(body []byte) ([]Signal, error) {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, &SignalError{Index: -1, Reason: "empty body: send a signal object or an array of signals"}
	}
	switch trimmed[0] {
	case '{':
		var s Signal
		if err := decodeOne(trimmed, &s); err != nil {
			return nil, at(0, err)
		}
		return []Signal{s}, nil
	case '[':
	default:
		return nil, &SignalError{Index: -1, Reason: "body must be a signal object or an array of signals"}
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if _, err := dec.Token(); err != nil { // the '['
		return nil, bodyErr(err)
	}
	var sigs []Signal
	for dec.More() {
		if len(sigs) == MaxBatch {
			return nil, &SignalError{Index: -1, Reason: fmt.Sprintf("more than %d signals in one batch", MaxBatch)}
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, bodyErr(err)
		}
		var s Signal
		if err := decodeOne(raw, &s); err != nil {
			return nil, at(len(sigs), err)
		}
		sigs = append(sigs, s)
	}
	if _, err := dec.Token(); err != nil { // the ']'
		return nil, bodyErr(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &SignalError{Index: -1, Reason: "unexpected data after the array"}
	}
	if len(sigs) == 0 {
		return nil, &SignalError{Index: -1, Reason: "empty array: send at least one signal"}
	}
	return sigs, nil
}

// decodeOne decodes and validates one signal object, refusing unknown fields and
// anything after the object.
func decodeOne(raw []byte, s *Signal) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return &SignalError{Index: -1, Reason: "must be a JSON object"}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(s); err != nil {
		return jsonErr(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return &SignalError{Index: -1, Reason: "unexpected data after the signal object"}
	}
	return s.Validate()
}

// jsonErr turns encoding/json's errors into field-level reasons.
func jsonErr(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field == "" {
			return &SignalError{Index: -1, Reason: "must be a JSON object"}
		}
		return fieldErr(te.Field, "must be "+jsonKind(te.Type.Kind().String()))
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return fieldErr(strings.Trim(f, `"`), "unknown field")
	}
	return bodyErr(err)
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

func bodyErr(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &SignalError{Index: -1, Reason: fmt.Sprintf("invalid JSON at byte %d: %s", se.Offset, se.Error())}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return &SignalError{Index: -1, Reason: "invalid JSON: unexpected end of body"}
	}
	return &SignalError{Index: -1, Reason: "invalid JSON: " + err.Error()}
}

// at puts a batch index on an error.
func at(i int, err error) error {
	var se *SignalError
	if errors.As(err, &se) {
		c := *se
		c.Index = i
		return &c
	}
	return &SignalError{Index: i, Reason: err.Error()}
}
