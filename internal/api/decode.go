package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// maxBody is the largest request body accepted (413 above it).
const maxBody = 64 << 10

// object is a request body decoded as a JSON object whose members are then read one
// by one, so that every problem names its field and all of them are reported at once.
//
// Member names match case-insensitively, as they do in Millicast's ASP.NET service
// (its own documentation writes "reenable" for reEnable): code written against it may
// rely on that. A member given twice under different cases is refused.
type object struct {
	raw  map[string]json.RawMessage // keyed by canonical name
	fail map[string]string
}

// readObject reads r's body as a JSON object whose members must be among allowed.
// An empty body is an empty object when optional, a 400 otherwise.
func readObject(r *http.Request, optional bool, allowed ...string) (*object, error) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, httpErr(http.StatusRequestEntityTooLarge,
				"request body larger than %d bytes", mbe.Limit)
		}
		return nil, failf("body", "could not be read")
	}
	o := &object{raw: map[string]json.RawMessage{}, fail: map[string]string{}}
	if len(bytes.TrimSpace(data)) == 0 {
		if optional {
			return o, nil
		}
		return nil, failf("body", "a JSON object is required")
	}
	var members map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&members); err != nil {
		return nil, failf("body", "%s", jsonProblem(err))
	}
	if members == nil {
		return nil, failf("body", "must be a JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, failf("body", "unexpected data after the JSON object")
	}
	for name, v := range members {
		canon := canonical(name, allowed)
		if canon == "" {
			o.fail[name] = "unknown field"
			continue
		}
		if _, dup := o.raw[canon]; dup {
			o.fail[canon] = "given more than once"
			continue
		}
		o.raw[canon] = v
	}
	return o, nil
}

func canonical(name string, allowed []string) string {
	for _, a := range allowed {
		if strings.EqualFold(name, a) {
			return a
		}
	}
	return ""
}

// jsonProblem turns a decoding error into a reason a client can act on.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("malformed JSON at offset %d: %s", se.Offset, se.Error())
	case errors.As(err, &te):
		return "must be a JSON object"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "malformed JSON: unexpected end of input"
	default:
		return "malformed JSON"
	}
}

// value returns the raw member, or nil when it is absent or null (Millicast's
// request fields are nullable: null means "not given").
func (o *object) value(name string) json.RawMessage {
	v, ok := o.raw[name]
	if !ok || string(bytes.TrimSpace(v)) == "null" {
		return nil
	}
	return v
}

// null reports whether the member is present with the value null.
func (o *object) null(name string) bool {
	v, ok := o.raw[name]
	return ok && string(bytes.TrimSpace(v)) == "null"
}

// has reports whether the member is present and not null.
func (o *object) has(name string) bool { return o.value(name) != nil }

func (o *object) bool(name string) *bool {
	v := o.value(name)
	if v == nil {
		return nil
	}
	var b bool
	if err := json.Unmarshal(v, &b); err != nil {
		o.fail[name] = "must be a boolean"
		return nil
	}
	return &b
}

// string reads a string member of at most maxLen bytes.
func (o *object) string(name string, maxLen int) *string {
	v := o.value(name)
	if v == nil {
		return nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		o.fail[name] = "must be a string"
		return nil
	}
	if len(s) > maxLen {
		o.fail[name] = fmt.Sprintf("longer than %d bytes", maxLen)
		return nil
	}
	return &s
}

// int reads a positive integer member.
func (o *object) int(name string) *int64 {
	v := o.value(name)
	if v == nil {
		return nil
	}
	var n int64
	if err := json.Unmarshal(v, &n); err != nil || n <= 0 {
		o.fail[name] = "must be a positive integer"
		return nil
	}
	return &n
}

// nonNegative reads an integer member from 0 to max.
func (o *object) nonNegative(name string, max int64) *int64 {
	v := o.value(name)
	if v == nil {
		return nil
	}
	var n int64
	if err := json.Unmarshal(v, &n); err != nil || n < 0 || n > max {
		o.fail[name] = fmt.Sprintf("must be an integer from 0 to %d", max)
		return nil
	}
	return &n
}

// intIn reads an integer member from lo to hi; ok is false when it is absent,
// null or out of range (then with a reason recorded).
func (o *object) intIn(name string, lo, hi int) (int, bool) {
	v := o.value(name)
	if v == nil {
		return 0, false
	}
	var n int
	if err := json.Unmarshal(v, &n); err != nil || n < lo || n > hi {
		o.setFail(name, fmt.Sprintf("must be an integer from %d to %d", lo, hi))
		return 0, false
	}
	return n, true
}

// setFail records a reason for a field unless one is already recorded.
func (o *object) setFail(name, reason string) {
	if _, ok := o.fail[name]; !ok {
		o.fail[name] = reason
	}
}

// err is the accumulated 400, or nil when every member was acceptable.
func (o *object) err() error {
	if len(o.fail) == 0 {
		return nil
	}
	return &FailError{Fields: o.fail}
}

// queryParam is the query parameter name, or any of its aliases, matched without
// regard to case like a body member. Empty when absent; giving it under two
// spellings with different values is a fail recorded under name.
func queryParam(q url.Values, fail map[string]string, name string, aliases ...string) string {
	names := append([]string{name}, aliases...)
	var val string
	found := false
	for key, vs := range q {
		if canonical(key, names) == "" || len(vs) == 0 || vs[0] == "" {
			continue
		}
		if found && vs[0] != val {
			fail[name] = "given more than once (as " + strings.Join(names, " or ") + "), with different values"
			return ""
		}
		val, found = vs[0], true
	}
	return val
}

// queryBool reads a boolean query parameter as the clients write them:
// true/false in any case (.NET and Python write True/False) or 1/0.
func queryBool(s string) (v, ok bool) {
	switch {
	case strings.EqualFold(s, "true") || s == "1":
		return true, true
	case strings.EqualFold(s, "false") || s == "0":
		return false, true
	}
	return false, false
}
