package commit

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"time"
)

var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// NewEventID returns an id for an event: "msg_" and 26 characters that sort by
// creation time (48 bits of milliseconds, then 80 random bits, as a ULID). It is
// also the webhook-id header, so receivers can drop duplicates across retries.
func NewEventID(now time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixMilli())<<16)
	_, _ = rand.Read(b[6:]) // crypto/rand.Read never fails (Go 1.24+)
	return "msg_" + idEncoding.EncodeToString(b[:])
}
