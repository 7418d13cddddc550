package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// Limits of a webhook's custom headers.
const (
	maxHeaders         = 10
	maxHeaderNameLen   = 64
	maxHeaderValueLen  = 1024
	headerMask         = "••••••••"
	headerMaskShowLast = 4 // characters of a long value shown after the mask
	headerMaskMinLen   = 16
)

// forbiddenHeaders are the names a webhook's headers may not use: the
// signatures and Content-Type (the dispatcher sets them; a receiver must be able
// to trust them), User-Agent (set too), and what frames the message.
var forbiddenHeaders = map[string]bool{
	"X-Millicast-Signature": true, "Webhook-Id": true, "Webhook-Timestamp": true, "Webhook-Signature": true,
	"Content-Type": true, "User-Agent": true,
	"Host": true, "Content-Length": true, "Transfer-Encoding": true, "Connection": true, "Te": true,
	"Trailer": true, "Upgrade": true, "Keep-Alive": true, "Proxy-Connection": true, "Proxy-Authorization": true,
	"Content-Encoding": true, "Expect": true,
}

// readHeaders reads the headers member: an object of at most maxHeaders names
// to string values, replacing all of a webhook's headers (an empty object
// clears them). A value that is the masked form of the value the webhook has
// under that name (what GET shows) keeps that value, so a client may send back
// what it read. nil when absent or null.
func readHeaders(o *object, current map[string]string) map[string]string {
	v := o.value("headers")
	if v == nil {
		return nil
	}
	var in map[string]json.RawMessage
	if err := json.Unmarshal(v, &in); err != nil || in == nil {
		o.setFail("headers", "must be an object of header names to string values")
		return nil
	}
	if len(in) > maxHeaders {
		o.setFail("headers", fmt.Sprintf("at most %d headers", maxHeaders))
		return nil
	}
	out := make(map[string]string, len(in))
	names := make([]string, 0, len(in))
	for name := range in {
		names = append(names, name)
	}
	sort.Strings(names) // the first problem reported is the same every time
	for _, name := range names {
		canon := http.CanonicalHeaderKey(name)
		var val string
		switch {
		case !validHeaderName(name):
			o.setFail("headers", fmt.Sprintf("%q is not a valid header name (letters, digits and !#$%%&'*+-.^_`|~, at most %d)", name, maxHeaderNameLen))
		case forbiddenHeaders[canon] || strings.HasPrefix(canon, "Webhook-") || strings.HasPrefix(canon, "X-Millicast-"):
			o.setFail("headers", fmt.Sprintf("%s is set by hookcast and cannot be replaced (signatures, Content-Type, webhook-* and X-Millicast-* headers)", canon))
		case json.Unmarshal(in[name], &val) != nil:
			o.setFail("headers", fmt.Sprintf("the value of %s must be a string", canon))
		case !validHeaderValue(val):
			o.setFail("headers", fmt.Sprintf("the value of %s must be at most %d bytes without control characters", canon, maxHeaderValueLen))
		default:
			if _, dup := out[canon]; dup {
				o.setFail("headers", fmt.Sprintf("%s is given twice (header names ignore case)", canon))
				continue
			}
			if old, ok := current[canon]; ok && val == maskHeader(old) {
				val = old
			}
			out[canon] = val
			continue
		}
		return nil
	}
	return out
}

func validHeaderName(s string) bool {
	if s == "" || len(s) > maxHeaderNameLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

func validHeaderValue(s string) bool {
	if len(s) > maxHeaderValueLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// maskHeader is how a header value is shown: never whole, as it is often a
// credential; a long one ends with its last characters, so two can be told apart.
func maskHeader(v string) string {
	if len(v) < headerMaskMinLen {
		return headerMask
	}
	return headerMask + v[len(v)-headerMaskShowLast:]
}

// maskedHeaders is the headers member of a webhook as the API shows it.
func maskedHeaders(h map[string]string) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		out[k] = maskHeader(v)
	}
	return out
}
