package postgres

import (
	"context"
	"time"

	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/internal/store/internal/sqlutil"
)

// ClaimKeys implements store.Tx in one upsert, whose RETURNING lists the fresh
// keys, then one read of what the others stored. Keys go in sorted order, so
// two transactions claiming overlapping keys wait for each other rather than
// deadlock; the second sees the first's keys once it commits.
func (t *pgTx) ClaimKeys(ctx context.Context, keys []string, at, notBefore time.Time) ([]store.KeyClaim, error) {
	out := make([]store.KeyClaim, len(keys))
	uniq, first := sqlutil.UniqueKeys(keys)
	if len(uniq) == 0 {
		return out, nil
	}
	rows, err := t.tx.Query(ctx, `INSERT INTO idempotency_keys (key, result, created_at)
		SELECT k, NULL, $2 FROM unnest($1::text[]) AS k ORDER BY k
		ON CONFLICT (key) DO UPDATE SET result = NULL, created_at = excluded.created_at
		WHERE idempotency_keys.created_at < $3 RETURNING key`, uniq, sqlutil.Micros(at), sqlutil.Micros(notBefore))
	got, err := collect(rows, err, func(sc sqlutil.Scanner) (string, error) {
		var k string
		err := sc.Scan(&k)
		return k, err
	})
	if err != nil {
		return nil, wrap("claim keys", err)
	}
	fresh := make(map[string]bool, len(got))
	for _, k := range got {
		fresh[k] = true
	}
	var seen []string
	for _, k := range uniq {
		if !fresh[k] {
			seen = append(seen, k)
		}
	}
	results := map[string][]byte{}
	if len(seen) > 0 {
		rows, err := t.tx.Query(ctx, "SELECT key, result FROM idempotency_keys WHERE key = ANY($1)", seen)
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
func (t *pgTx) SetKeyResult(ctx context.Context, key string, result []byte) error {
	_, err := t.tx.Exec(ctx, "UPDATE idempotency_keys SET result = $1 WHERE key = $2", result, key)
	return wrap("set key result", err)
}
