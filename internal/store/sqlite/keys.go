package sqlite

import (
	"context"
	"strings"
	"time"

	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/internal/store/internal/sqlutil"
)

// keyChunk is how many keys one statement claims.
const keyChunk = 500

// ClaimKeys implements store.Tx: one upsert per chunk of keys, whose RETURNING
// lists the fresh ones, then one read of what the others stored.
func (t *sqlTx) ClaimKeys(ctx context.Context, keys []string, at, notBefore time.Time) ([]store.KeyClaim, error) {
	out := make([]store.KeyClaim, len(keys))
	uniq, first := sqlutil.UniqueKeys(keys)
	fresh := make(map[string]bool, len(uniq))
	for start := 0; start < len(uniq); start += keyChunk {
		chunk := uniq[start:min(start+keyChunk, len(uniq))]
		a := sqlutil.Args{}
		vals := make([]string, len(chunk))
		for i, k := range chunk {
			vals[i] = "(" + a.Add(k) + ", NULL, " + a.Add(sqlutil.Micros(at)) + ")"
		}
		q := "INSERT INTO idempotency_keys (key, result, created_at) VALUES " + strings.Join(vals, ", ") +
			" ON CONFLICT (key) DO UPDATE SET result = NULL, created_at = excluded.created_at" +
			" WHERE idempotency_keys.created_at < " + a.Add(sqlutil.Micros(notBefore)) + " RETURNING key"
		rows, err := t.tx.QueryContext(ctx, q, a.List...)
		got, err := collect(rows, err, scanString)
		if err != nil {
			return nil, wrap("claim keys", err)
		}
		for _, k := range got {
			fresh[k] = true
		}
	}
	var seen []string
	for _, k := range uniq {
		if !fresh[k] {
			seen = append(seen, k)
		}
	}
	results := map[string][]byte{}
	for start := 0; start < len(seen); start += keyChunk {
		chunk := seen[start:min(start+keyChunk, len(seen))]
		a := sqlutil.Args{}
		ph := make([]string, len(chunk))
		for i, k := range chunk {
			ph[i] = a.Add(k)
		}
		rows, err := t.tx.QueryContext(ctx, "SELECT key, result FROM idempotency_keys WHERE key IN ("+
			strings.Join(ph, ", ")+")", a.List...)
		if _, err := collect(rows, err, func(sc sqlutil.Scanner) (struct{}, error) {
			var k string
			var r []byte
			err := sc.Scan(&k, &r)
			results[k] = r
			return struct{}{}, err
		}); err != nil {
			return nil, wrap("claim keys", err)
		}
	}
	for i, k := range keys {
		if first[i] && fresh[k] {
			out[i].Fresh = true
		} else {
			out[i].Result = results[k]
		}
	}
	return out, nil
}

// SetKeyResult implements store.Tx.
func (t *sqlTx) SetKeyResult(ctx context.Context, key string, result []byte) error {
	_, err := t.tx.ExecContext(ctx, "UPDATE idempotency_keys SET result = ? WHERE key = ?", result, key)
	return wrap("set key result", err)
}

func scanString(sc sqlutil.Scanner) (string, error) {
	var s string
	err := sc.Scan(&s)
	return s, err
}
