package httpx

import (
	"bytes"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxCheckedBody is the most of a body RequireUTF8 reads to check it: the
// largest body any route takes (ingest: 1 MiB). A longer body goes on to the
// handler unchecked, which refuses it as too large.
const maxCheckedBody = 1 << 20

// RequireUTF8 refuses, with 400 naming the field, a request whose path, query
// or text body (JSON or a form) holds bytes that are not UTF-8, before any
// handler sees it: Go's decoders would otherwise turn them into U+FFFD and
// store a name nobody sent. Binary bodies (a thumbnail's JPEG) pass.
func RequireUTF8(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if field := badURL(r.URL); field != "" {
			Fail(w, map[string]string{field: "must be UTF-8"})
			return
		}
		if r.Body != nil && r.Body != http.NoBody && textBody(r.Header.Get("Content-Type")) {
			buf, err := io.ReadAll(io.LimitReader(r.Body, maxCheckedBody+1))
			if err != nil {
				Error(w, http.StatusBadRequest, "could not read body")
				return
			}
			if len(buf) <= maxCheckedBody {
				if field := BadUTF8Field(buf, r.Header.Get("Content-Type")); field != "" {
					Fail(w, map[string]string{field: "must be UTF-8"})
					return
				}
			}
			r.Body = struct {
				io.Reader
				io.Closer
			}{io.MultiReader(bytes.NewReader(buf), r.Body), r.Body}
		}
		next.ServeHTTP(w, r)
	})
}

// textBody reports whether a body of this type is text to check: JSON, a
// form, text, or no type given (decoders read those as JSON or forms anyway).
func textBody(ct string) bool {
	if ct == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return true
	}
	return mt == "application/x-www-form-urlencoded" || strings.HasPrefix(mt, "text/") ||
		mt == "application/json" || strings.HasSuffix(mt, "+json")
}

func badURL(u *url.URL) string {
	if !utf8.ValidString(u.Path) {
		return "path"
	}
	if f := badForm(u.RawQuery); f != "" {
		return f
	}
	return ""
}

// badForm names the first key of a query or form whose key or value is not
// UTF-8 once unescaped ("" when all are).
func badForm(raw string) string {
	for part := range strings.SplitSeq(raw, "&") {
		k, v, _ := strings.Cut(part, "=")
		uk, err1 := url.QueryUnescape(k)
		uv, err2 := url.QueryUnescape(v)
		if err1 != nil {
			uk = k
		}
		if !utf8.ValidString(uk) {
			return "query"
		}
		if err2 == nil && !utf8.ValidString(uv) {
			return uk
		}
	}
	return ""
}

// BadUTF8Field names where in body (JSON or a form, by ct) the first byte that
// is not UTF-8 lies (a form's values also once unescaped): a JSON path such as
// "[3].name" or "url", a form key, or "body" when it cannot tell. "" means
// the body is clean.
func BadUTF8Field(body []byte, ct string) string {
	if mt, _, _ := mime.ParseMediaType(ct); mt == "application/x-www-form-urlencoded" {
		if f := badForm(string(body)); f != "" {
			return f
		}
		if !utf8.Valid(body) {
			return "body"
		}
		return ""
	}
	if utf8.Valid(body) {
		return ""
	}
	if p := jsonPathAt(body); p != "" {
		return p
	}
	return "body"
}

// jsonPathAt scans JSON text and returns the path of the first string (key or
// value) that is not UTF-8. It follows only the structure (objects, arrays,
// strings); anything malformed gives "".
func jsonPathAt(b []byte) string {
	type frame struct {
		array bool
		index int
		key   string
	}
	var stack []frame
	path := func(key string) string {
		var sb strings.Builder
		for _, f := range stack {
			if f.array {
				sb.WriteString("[" + strconv.Itoa(f.index) + "]")
			} else if f.key != "" {
				if sb.Len() > 0 {
					sb.WriteByte('.')
				}
				sb.WriteString(f.key)
			}
		}
		if key != "" {
			if sb.Len() > 0 {
				sb.WriteByte('.')
			}
			sb.WriteString(key)
		}
		if sb.Len() == 0 {
			return "body"
		}
		return sb.String()
	}
	expectKey := false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '{':
			stack = append(stack, frame{})
			expectKey = true
		case '[':
			stack = append(stack, frame{array: true})
			expectKey = false
		case '}', ']':
			if len(stack) == 0 {
				return ""
			}
			stack = stack[:len(stack)-1]
		case ',':
			if len(stack) == 0 {
				return ""
			}
			top := &stack[len(stack)-1]
			if top.array {
				top.index++
			} else {
				expectKey = true
			}
		case '"':
			end := i + 1
			for end < len(b) && b[end] != '"' {
				if b[end] == '\\' {
					end++
				}
				end++
			}
			if end >= len(b) {
				return ""
			}
			s := b[i+1 : end]
			if len(stack) > 0 && !stack[len(stack)-1].array && expectKey {
				key := string(s)
				if !utf8.Valid(s) {
					stack[len(stack)-1].key = ""
					return path(strings.ToValidUTF8(key, "?"))
				}
				if k, err := strconv.Unquote(`"` + key + `"`); err == nil {
					key = k
				}
				stack[len(stack)-1].key = key
				expectKey = false
			} else if !utf8.Valid(s) {
				return path("")
			}
			i = end
		}
	}
	return ""
}
