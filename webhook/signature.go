package webhook

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"
	"sync"
)

// Errors of signature checks. They are distinct so a receiver can tell a
// misconfigured secret (its own bug) from a forged or damaged request; test them
// with errors.Is, as the returned errors add context.
var (
	ErrInvalidSecret      = errors.New("webhook: secret is not standard base64")
	ErrMissingSignature   = errors.New("webhook: missing signature")
	ErrSignaturePrefix    = errors.New("webhook: signature has the wrong prefix")
	ErrMalformedSignature = errors.New("webhook: malformed signature")
	ErrSignatureMismatch  = errors.New("webhook: signature does not match")
	ErrInvalidTimestamp   = errors.New("webhook: malformed webhook-timestamp")
	ErrTimestampTolerance = errors.New("webhook: webhook-timestamp outside tolerance")
)

const (
	millicastPrefix = "sha1="
	standardPrefix  = "v1,"
	// secretPrefix is how Standard Webhooks libraries print secrets; the bytes
	// after it are the same base64 secret, so accepting it costs nothing.
	secretPrefix = "whsec_"
	// maxScratch bounds the buffer a pooled state keeps, so one huge webhook-id
	// does not pin memory for the life of the Signer.
	maxScratch = 1 << 10
)

// Signer computes both signatures of a delivery with a secret decoded once. It
// is safe for concurrent use; each call costs one allocation (the returned
// string), because the HMAC states are pooled and reset instead of rebuilt.
type Signer struct {
	sha1Pool   sync.Pool // of *macState over HMAC-SHA1
	sha256Pool sync.Pool // of *macState over HMAC-SHA256
}

// macState is one reusable HMAC with buffers, so nothing escapes per call.
type macState struct {
	h       hash.Hash
	sum     [sha256.Size]byte
	scratch []byte // "id.timestamp." of a Standard Webhooks message
}

// NewSigner decodes secret (standard base64, optionally prefixed "whsec_") and
// returns a Signer for it. An empty or undecodable secret is ErrInvalidSecret.
func NewSigner(secret string) (*Signer, error) {
	key, err := decodeSecret(secret)
	if err != nil {
		return nil, err
	}
	s := &Signer{}
	s.sha1Pool.New = func() any { return &macState{h: hmac.New(sha1.New, key)} }
	s.sha256Pool.New = func() any { return &macState{h: hmac.New(sha256.New, key)} }
	return s, nil
}

func decodeSecret(secret string) ([]byte, error) {
	secret = strings.TrimPrefix(secret, secretPrefix)
	if secret == "" {
		return nil, fmt.Errorf("%w: empty", ErrInvalidSecret)
	}
	key, err := base64.StdEncoding.DecodeString(secret)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidSecret, err)
	}
	return key, nil
}

// Sign returns the X-Millicast-Signature value of body: "sha1=" and the lowercase
// hex HMAC-SHA1 of body keyed with the base64-decoded secret.
func Sign(secret string, body []byte) (string, error) {
	st, err := newState(secret, sha1.New)
	if err != nil {
		return "", err
	}
	return st.millicastString(body), nil
}

// newState is a single-use HMAC state, for the one-shot functions: cheaper than
// a Signer with its pools when the secret is used once.
func newState(secret string, h func() hash.Hash) (*macState, error) {
	key, err := decodeSecret(secret)
	if err != nil {
		return nil, err
	}
	return &macState{h: hmac.New(h, key)}, nil
}

// Verify checks an X-Millicast-Signature value against body in constant time.
// It returns nil on a match, else an error matching one of ErrInvalidSecret,
// ErrMissingSignature, ErrSignaturePrefix, ErrMalformedSignature or
// ErrSignatureMismatch. Hex digits may be in either case.
func Verify(secret string, body []byte, signature string) error {
	st, err := newState(secret, sha1.New)
	if err != nil {
		return err
	}
	return st.verifyMillicast(body, signature)
}

// Millicast returns the X-Millicast-Signature value of body.
func (s *Signer) Millicast(body []byte) string {
	st := s.sha1Pool.Get().(*macState)
	defer s.sha1Pool.Put(st)
	return st.millicastString(body)
}

// VerifyMillicast is Verify with the secret of s.
func (s *Signer) VerifyMillicast(body []byte, signature string) error {
	st := s.sha1Pool.Get().(*macState)
	defer s.sha1Pool.Put(st)
	return st.verifyMillicast(body, signature)
}

func (st *macState) millicastString(body []byte) string {
	var out [len(millicastPrefix) + 2*sha1.Size]byte
	copy(out[:], millicastPrefix)
	hex.Encode(out[len(millicastPrefix):], st.millicast(body))
	return string(out[:])
}

func (st *macState) verifyMillicast(body []byte, signature string) error {
	if signature == "" {
		return ErrMissingSignature
	}
	digits, ok := strings.CutPrefix(signature, millicastPrefix)
	if !ok {
		return fmt.Errorf("%w: want %q", ErrSignaturePrefix, millicastPrefix)
	}
	if len(digits) != 2*sha1.Size {
		return fmt.Errorf("%w: want %d hex digits after %q, got %d characters",
			ErrMalformedSignature, 2*sha1.Size, millicastPrefix, len(digits))
	}
	var got [sha1.Size]byte
	for i := range got {
		hi, ok1 := fromHex(digits[2*i])
		lo, ok2 := fromHex(digits[2*i+1])
		if !ok1 || !ok2 {
			return fmt.Errorf("%w: not hexadecimal", ErrMalformedSignature)
		}
		got[i] = hi<<4 | lo
	}
	if !hmac.Equal(st.millicast(body), got[:]) {
		return ErrSignatureMismatch
	}
	return nil
}

// Standard returns the webhook-signature value ("v1," + base64 HMAC-SHA256 of
// "id.timestamp.body") for a delivery; timestamp is in Unix seconds.
func (s *Signer) Standard(id string, timestamp int64, body []byte) string {
	st := s.sha256Pool.Get().(*macState)
	defer s.sha256Pool.Put(st)
	return st.standardString(id, timestamp, body)
}

func (st *macState) standardString(id string, timestamp int64, body []byte) string {
	var ts [20]byte
	var out [len(standardPrefix) + 44]byte // 44 = base64 length of 32 bytes
	copy(out[:], standardPrefix)
	base64.StdEncoding.Encode(out[len(standardPrefix):], st.standard(id, strconv.AppendInt(ts[:0], timestamp, 10), body))
	return string(out[:])
}

// millicast returns HMAC(body) in st.sum and leaves the state reset for reuse.
func (st *macState) millicast(body []byte) []byte {
	st.h.Write(body)
	sum := st.h.Sum(st.sum[:0])
	st.h.Reset()
	return sum
}

// standard returns HMAC(id "." ts "." body) in st.sum, reset like millicast.
func (st *macState) standard(id string, ts, body []byte) []byte {
	b := append(st.scratch[:0], id...)
	b = append(b, '.')
	b = append(b, ts...)
	b = append(b, '.')
	st.h.Write(b)
	st.h.Write(body)
	sum := st.h.Sum(st.sum[:0])
	st.h.Reset()
	if cap(b) <= maxScratch {
		st.scratch = b
	}
	return sum
}

func fromHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
