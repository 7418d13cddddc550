package webhook

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

// benchBody is a realistic 312-byte feeds event (the signature vectors' first).
var benchBody = testBody

func BenchmarkSign(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchBody)))
	for b.Loop() {
		if _, err := Sign(testSecret, benchBody); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchBody)))
	for b.Loop() {
		if err := Verify(testSecret, benchBody, testSig); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSignStandard(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchBody)))
	for b.Loop() {
		if _, err := SignStandard(testSecret, "msg_2Kx7Yw9s1p", 1700000000, benchBody); err != nil {
			b.Fatal(err)
		}
	}
}

// The Signer benchmarks are the delivery hot path: secret decoded once.
func BenchmarkSignerMillicast(b *testing.B) {
	s, _ := NewSigner(testSecret)
	b.ReportAllocs()
	b.SetBytes(int64(len(benchBody)))
	for b.Loop() {
		_ = s.Millicast(benchBody)
	}
}

func BenchmarkSignerStandard(b *testing.B) {
	s, _ := NewSigner(testSecret)
	b.ReportAllocs()
	b.SetBytes(int64(len(benchBody)))
	for b.Loop() {
		_ = s.Standard("msg_2Kx7Yw9s1p", 1700000000, benchBody)
	}
}

func BenchmarkSignerVerify(b *testing.B) {
	s, _ := NewSigner(testSecret)
	b.ReportAllocs()
	b.SetBytes(int64(len(benchBody)))
	for b.Loop() {
		if err := s.VerifyMillicast(benchBody, testSig); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSignerVerifyStandard(b *testing.B) {
	s, _ := NewSigner(testSecret)
	h := http.Header{}
	h.Set(HeaderWebhookID, "msg_2Kx7Yw9s1p")
	h.Set(HeaderWebhookTimestamp, strconv.Itoa(1700000000))
	h.Set(HeaderWebhookSignature, s.Standard("msg_2Kx7Yw9s1p", 1700000000, benchBody))
	now := time.Unix(1700000000, 0)
	b.ReportAllocs()
	b.SetBytes(int64(len(benchBody)))
	for b.Loop() {
		if err := s.VerifyStandard(h, benchBody, now, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchBody)))
	for b.Loop() {
		if _, err := Decode(nil, benchBody); err != nil {
			b.Fatal(err)
		}
	}
}
