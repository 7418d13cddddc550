package postgres

import (
	"context"

	"github.com/hookcast/hookcast/internal/store"
)

// viewerArrays splits keys into the column arrays unnest takes.
func viewerArrays(keys []store.ViewerKey) (accounts, names, ids []string) {
	accounts, names, ids = make([]string, len(keys)), make([]string, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		accounts[i], names[i], ids[i] = k.AccountID, k.Name, k.ViewerID
	}
	return accounts, names, ids
}

// Viewers implements store.Tx: one statement over arrays, each key a seek on
// the primary key.
func (t *pgTx) Viewers(ctx context.Context, keys []store.ViewerKey) (map[store.ViewerKey]bool, error) {
	out := make(map[store.ViewerKey]bool)
	if len(keys) == 0 {
		return out, nil
	}
	a, n, v := viewerArrays(keys)
	rows, err := t.tx.Query(ctx, `SELECT account_id, name, viewer_id FROM stream_viewers
		WHERE (account_id, name, viewer_id) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))`, a, n, v)
	if err != nil {
		return nil, wrap("viewers", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k store.ViewerKey
		if err := rows.Scan(&k.AccountID, &k.Name, &k.ViewerID); err != nil {
			return nil, wrap("viewers", err)
		}
		out[k] = true
	}
	return out, wrap("viewers", rows.Err())
}

// SaveViewers implements store.Tx: the clears, deletes and inserts over arrays,
// in one round trip.
func (t *pgTx) SaveViewers(ctx context.Context, c store.ViewerChanges) error {
	var qs []query
	if len(c.Clear) > 0 {
		a, n := make([]string, len(c.Clear)), make([]string, len(c.Clear))
		for i, k := range c.Clear {
			a[i], n[i] = k.AccountID, k.Name
		}
		qs = append(qs, query{`DELETE FROM stream_viewers WHERE (account_id, name) IN
			(SELECT * FROM unnest($1::text[], $2::text[]))`, []any{a, n}})
	}
	if len(c.Remove) > 0 {
		a, n, v := viewerArrays(c.Remove)
		qs = append(qs, query{`DELETE FROM stream_viewers WHERE (account_id, name, viewer_id) IN
			(SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))`, []any{a, n, v}})
	}
	if len(c.Add) > 0 {
		a, n, v := viewerArrays(c.Add)
		qs = append(qs, query{`INSERT INTO stream_viewers (account_id, name, viewer_id)
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING`, []any{a, n, v}})
	}
	if len(qs) == 0 {
		return nil
	}
	br := t.tx.SendBatch(ctx, batchOf(qs...))
	for range qs {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return wrap("save viewers", err)
		}
	}
	return wrap("save viewers", br.Close())
}
