package webhook

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"
)

// vectorFile is the shape of shared/vectors/signatures.json.
type vectorFile struct {
	Millicast struct {
		Valid, Invalid []vector
	}
	StandardWebhooks struct {
		Valid, Invalid []vector
	}
}

type vector struct {
	Name       string
	Secret     string
	ID         string
	Timestamp  string
	BodyBase64 string
	Signature  string
}

func (v vector) body(t *testing.T) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(v.BodyBase64)
	if err != nil {
		t.Fatalf("vector %q: bodyBase64: %v", v.Name, err)
	}
	return b
}

// invalidWant names the error each known invalid vector must produce; vectors
// added later must at least fail.
var invalidWant = map[string]error{
	"signature made with another secret":                ErrSignatureMismatch,
	"body changed by one byte after signing":            ErrSignatureMismatch,
	"missing sha1= prefix":                              ErrSignaturePrefix,
	"sha256 algorithm label":                            ErrSignaturePrefix,
	"empty header":                                      ErrMissingSignature,
	"truncated hex":                                     ErrMalformedSignature,
	"secret used as raw text instead of base64-decoded": ErrSignatureMismatch,
}

func TestVectorsCopy(t *testing.T) { testVectors(t, "testdata/signatures.json") }

// TestVectorsShared runs the file as shared/ has it now, so a vector added there
// is checked without waiting for the copy in testdata to be refreshed.
func TestVectorsShared(t *testing.T) {
	const path = "../../shared/vectors/signatures.json"
	if _, err := os.Stat(path); err != nil {
		t.Skipf("shared vectors not beside the project (%v); testdata copy is tested by TestVectorsCopy", err)
	}
	testVectors(t, path)
}

func testVectors(t *testing.T, path string) {
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f vectorFile
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(f.Millicast.Valid) == 0 || len(f.Millicast.Invalid) == 0 || len(f.StandardWebhooks.Valid) == 0 {
		t.Fatalf("%s: a vector list is empty", path)
	}
	for _, v := range f.Millicast.Valid {
		body := v.body(t)
		if err := Verify(v.Secret, body, v.Signature); err != nil {
			t.Errorf("valid %q: Verify: %v", v.Name, err)
		}
		if got, err := Sign(v.Secret, body); err != nil || got != v.Signature {
			t.Errorf("valid %q: Sign = %q, %v; want %q", v.Name, got, err, v.Signature)
		}
	}
	for _, v := range f.Millicast.Invalid {
		err := Verify(v.Secret, v.body(t), v.Signature)
		if err == nil {
			t.Errorf("invalid %q: Verify accepted it", v.Name)
			continue
		}
		if want, ok := invalidWant[v.Name]; ok && !errors.Is(err, want) {
			t.Errorf("invalid %q: Verify = %v, want %v", v.Name, err, want)
		}
	}
	for _, v := range f.StandardWebhooks.Valid {
		body := v.body(t)
		sec, err := strconv.ParseInt(v.Timestamp, 10, 64)
		if err != nil {
			t.Fatalf("valid %q: timestamp: %v", v.Name, err)
		}
		if got, err := SignStandard(v.Secret, v.ID, sec, body); err != nil || got != v.Signature {
			t.Errorf("valid standard %q: SignStandard = %q, %v; want %q", v.Name, got, err, v.Signature)
		}
		if err := VerifyStandard(v.Secret, standardHeader(v.ID, v.Timestamp, v.Signature), body, time.Unix(sec, 0), 0); err != nil {
			t.Errorf("valid standard %q: VerifyStandard: %v", v.Name, err)
		}
	}
	for _, v := range f.StandardWebhooks.Invalid {
		sec, _ := strconv.ParseInt(v.Timestamp, 10, 64)
		if err := VerifyStandard(v.Secret, standardHeader(v.ID, v.Timestamp, v.Signature), v.body(t), time.Unix(sec, 0), 0); err == nil {
			t.Errorf("invalid standard %q: VerifyStandard accepted it", v.Name)
		}
	}
}

func standardHeader(id, ts, sig string) http.Header {
	h := http.Header{}
	h.Set(HeaderWebhookID, id)
	h.Set(HeaderWebhookTimestamp, ts)
	h.Set(HeaderWebhookSignature, sig)
	return h
}
