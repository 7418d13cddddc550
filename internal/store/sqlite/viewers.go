package sqlite

import (
	"context"

	"github.com/hookcast/hookcast/internal/store"
)

// The statements of stream_viewers, all prepared once (hotStatements): the reads
// and deletes take IN lists of keySizes as LockStreams does, the inserts go in
// rows of chunkSizes. Every one is a seek on the primary key, so a join or leave
// costs the same whatever the audience of its stream.

func lookupViewerRows(n int) string {
	return "SELECT account_id, name, viewer_id FROM stream_viewers WHERE (account_id, name, viewer_id) IN (" +
		valuesRows(n, 3) + ")"
}

func deleteViewerRows(n int) string {
	return "DELETE FROM stream_viewers WHERE (account_id, name, viewer_id) IN (" + valuesRows(n, 3) + ")"
}

func clearViewerRows(n int) string {
	return "DELETE FROM stream_viewers WHERE (account_id, name) IN (" + valuesRows(n, 2) + ")"
}

func insertViewerRows(n int) string {
	return "INSERT INTO stream_viewers (account_id, name, viewer_id) " + valuesRows(n, 3) + " ON CONFLICT DO NOTHING"
}

// viewerArgs appends the arguments of keys[:size], the last key repeated past len(keys).
func viewerArgs(args []any, keys []store.ViewerKey, size int) []any {
	for i := range size {
		k := keys[min(i, len(keys)-1)]
		args = append(args, k.AccountID, k.Name, k.ViewerID)
	}
	return args
}

// Viewers implements store.Tx.
func (t *sqlTx) Viewers(ctx context.Context, keys []store.ViewerKey) (map[store.ViewerKey]bool, error) {
	out := make(map[store.ViewerKey]bool)
	var args []any
	for len(keys) > 0 {
		n, size := keysChunk(len(keys))
		st, err := t.s.txStmt(ctx, t.tx, lookupViewerRows(size))
		if err != nil {
			return nil, wrap("viewers", err)
		}
		args = viewerArgs(args[:0], keys[:n], size)
		rows, err := st.QueryContext(ctx, args...)
		if err != nil {
			return nil, wrap("viewers", err)
		}
		for rows.Next() {
			var k store.ViewerKey
			if err := rows.Scan(&k.AccountID, &k.Name, &k.ViewerID); err != nil {
				rows.Close()
				return nil, wrap("viewers", err)
			}
			out[k] = true
		}
		if err := rows.Close(); err != nil {
			return nil, wrap("viewers", err)
		}
		if err := rows.Err(); err != nil {
			return nil, wrap("viewers", err)
		}
		keys = keys[n:]
	}
	return out, nil
}

// SaveViewers implements store.Tx.
func (t *sqlTx) SaveViewers(ctx context.Context, c store.ViewerChanges) error {
	var args []any
	for clear := c.Clear; len(clear) > 0; {
		n, size := keysChunk(len(clear))
		st, err := t.s.txStmt(ctx, t.tx, clearViewerRows(size))
		if err != nil {
			return wrap("save viewers", err)
		}
		args = keyArgs(args[:0], clear[:n], size)
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return wrap("save viewers", err)
		}
		clear = clear[n:]
	}
	for del := c.Remove; len(del) > 0; {
		n, size := keysChunk(len(del))
		st, err := t.s.txStmt(ctx, t.tx, deleteViewerRows(size))
		if err != nil {
			return wrap("save viewers", err)
		}
		args = viewerArgs(args[:0], del[:n], size)
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return wrap("save viewers", err)
		}
		del = del[n:]
	}
	args = args[:0]
	for _, k := range c.Add {
		args = append(args, k.AccountID, k.Name, k.ViewerID)
	}
	return wrap("save viewers", t.s.execRows(ctx, t.tx, insertViewerRows, 3, args))
}
