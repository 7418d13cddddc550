package webhook

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const testSecret = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

var testBody = []byte(`{"type":"feeds","event":"started","timestamp":1638463486489,"data":{"feedId":"369e4a86-f937-4254-bd9f-99dc484d2bd6","accountId":"ZG6NWV","name":"sample_stream","streamId":"ZG6NWV/sample_stream","started":1638463486359,"active":true}}`)

// The signature of testBody with testSecret, from shared/vectors/signatures.json.
const testSig = "sha1=000e7393cbfa0f4db40a21e908b6285792bd537e"

func TestVerifyErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, secret, sig string
		body              []byte
		want              error
	}{
		{"valid", testSecret, testSig, testBody, nil},
		{"upper-case hex", testSecret, "sha1=" + strings.ToUpper(testSig[5:]), testBody, nil},
		{"whsec_ secret", "whsec_" + testSecret, testSig, testBody, nil},
		{"missing", testSecret, "", testBody, ErrMissingSignature},
		{"no prefix", testSecret, testSig[5:], testBody, ErrSignaturePrefix},
		{"upper-case prefix", testSecret, "SHA1=" + testSig[5:], testBody, ErrSignaturePrefix},
		{"sha256 label", testSecret, "sha256=" + testSig[5:], testBody, ErrSignaturePrefix},
		{"short hex", testSecret, testSig[:44], testBody, ErrMalformedSignature},
		{"long hex", testSecret, testSig + "00", testBody, ErrMalformedSignature},
		{"not hex", testSecret, testSig[:44] + "g", testBody, ErrMalformedSignature},
		{"trailing space", testSecret, testSig[:44] + " ", testBody, ErrMalformedSignature},
		{"mismatch", testSecret, "sha1=" + strings.Repeat("0", 40), testBody, ErrSignatureMismatch},
		{"other body", testSecret, testSig, append(testBody[:len(testBody):len(testBody)], ' '), ErrSignatureMismatch},
		{"secret not base64", "not base64!", testSig, testBody, ErrInvalidSecret},
		{"secret empty", "", testSig, testBody, ErrInvalidSecret},
		{"secret raw url base64", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", testSig, testBody, ErrInvalidSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := Verify(tt.secret, tt.body, tt.sig)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestSignErrors(t *testing.T) {
	t.Parallel()
	if _, err := Sign("%%%", testBody); !errors.Is(err, ErrInvalidSecret) {
		t.Errorf("Sign with bad secret: %v", err)
	}
	if _, err := SignStandard("", "id", 1, testBody); !errors.Is(err, ErrInvalidSecret) {
		t.Errorf("SignStandard with empty secret: %v", err)
	}
	if err := VerifyStandard("%%%", http.Header{}, testBody, time.Now(), 0); !errors.Is(err, ErrInvalidSecret) {
		t.Errorf("VerifyStandard with bad secret: %v", err)
	}
}

func TestVerifyStandard(t *testing.T) {
	t.Parallel()
	const id, ts = "msg_2Kx7Yw9s1p", int64(1700000000)
	now := time.Unix(ts, 0)
	good, err := SignStandard(testSecret, id, ts, testBody)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := SignStandard("YW5vdGhlciB3ZWJob29rIHNlY3JldCwgMzIgYnl0ZXM=", id, ts, testBody)
	tsStr := strconv.FormatInt(ts, 10)
	tests := []struct {
		name   string
		secret string
		h      http.Header
		now    time.Time
		tol    time.Duration
		want   error
	}{
		{"valid", testSecret, standardHeader(id, tsStr, good), now, 0, nil},
		{"whsec_ secret", "whsec_" + testSecret, standardHeader(id, tsStr, good), now, 0, nil},
		{"rotation: second entry matches", testSecret, standardHeader(id, tsStr, other+" "+good), now, 0, nil},
		{"extra spaces and other scheme", testSecret, standardHeader(id, tsStr, "  v1a,AAAA   "+good+" "), now, 0, nil},
		{"lower-case keys built by hand", testSecret, http.Header{"webhook-id": {id}, "webhook-timestamp": {tsStr}, "webhook-signature": {good}}, now, 0, nil},
		{"edge of tolerance, late", testSecret, standardHeader(id, tsStr, good), now.Add(DefaultTolerance), 0, nil},
		{"edge of tolerance, early", testSecret, standardHeader(id, tsStr, good), now.Add(-DefaultTolerance), 0, nil},
		{"too old", testSecret, standardHeader(id, tsStr, good), now.Add(DefaultTolerance + time.Second), 0, ErrTimestampTolerance},
		{"from the future", testSecret, standardHeader(id, tsStr, good), now.Add(-DefaultTolerance - time.Second), 0, ErrTimestampTolerance},
		{"custom tolerance", testSecret, standardHeader(id, tsStr, good), now.Add(2 * time.Second), time.Second, ErrTimestampTolerance},
		{"no signature", testSecret, standardHeader(id, tsStr, ""), now, 0, ErrMissingSignature},
		{"no id", testSecret, standardHeader("", tsStr, good), now, 0, ErrMissingSignature},
		{"no timestamp", testSecret, standardHeader(id, "", good), now, 0, ErrMissingSignature},
		{"timestamp in ms", testSecret, standardHeader(id, tsStr+"000", good), now, 0, ErrTimestampTolerance},
		{"timestamp signed", testSecret, standardHeader(id, "+"+tsStr, good), now, 0, ErrInvalidTimestamp},
		{"timestamp not a number", testSecret, standardHeader(id, "yesterday", good), now, 0, ErrInvalidTimestamp},
		{"timestamp huge", testSecret, standardHeader(id, strings.Repeat("9", 30), good), now, 0, ErrInvalidTimestamp},
		{"no v1 entry", testSecret, standardHeader(id, tsStr, "v2,"+good[3:]), now, 0, ErrSignaturePrefix},
		{"v1 not base64", testSecret, standardHeader(id, tsStr, "v1,"+strings.Repeat("!", 44)), now, 0, ErrMalformedSignature},
		{"v1 wrong length", testSecret, standardHeader(id, tsStr, good[:20]), now, 0, ErrMalformedSignature},
		{"other secret", testSecret, standardHeader(id, tsStr, other), now, 0, ErrSignatureMismatch},
		{"other id", testSecret, standardHeader("msg_other", tsStr, good), now, 0, ErrSignatureMismatch},
		{"other timestamp", testSecret, standardHeader(id, strconv.FormatInt(ts+1, 10), good), now, 0, ErrSignatureMismatch},
		{"leading zero timestamp", testSecret, standardHeader(id, "0"+tsStr, good), now, 0, ErrSignatureMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := VerifyStandard(tt.secret, tt.h, testBody, tt.now, tt.tol)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("VerifyStandard = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestSignerConcurrent shares one Signer between goroutines, as the delivery
// workers do; with -race it also proves the pooled states are not shared.
func TestSignerConcurrent(t *testing.T) {
	t.Parallel()
	s, err := NewSigner(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	wantStd, _ := SignStandard(testSecret, "msg_1", 1700000000, testBody)
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				if got := s.Millicast(testBody); got != testSig {
					errs <- "Millicast = " + got
					return
				}
				if got := s.Standard("msg_1", 1700000000, testBody); got != wantStd {
					errs <- "Standard = " + got
					return
				}
				if err := s.VerifyMillicast(testBody, testSig); err != nil {
					errs <- err.Error()
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestStandardLongID checks that an id larger than the pooled scratch buffer
// signs the same as a fresh computation and does not poison later calls.
func TestStandardLongID(t *testing.T) {
	t.Parallel()
	s, _ := NewSigner(testSecret)
	long := strings.Repeat("x", 4*maxScratch)
	first := s.Standard(long, 1, testBody)
	if again := s.Standard(long, 1, testBody); again != first {
		t.Fatalf("long id signature not stable: %q vs %q", first, again)
	}
	short, _ := SignStandard(testSecret, "msg_1", 1700000000, testBody)
	if got := s.Standard("msg_1", 1700000000, testBody); got != short {
		t.Fatalf("after a long id: %q, want %q", got, short)
	}
}
