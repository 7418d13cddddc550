package sqlutil

import "github.com/hookcast/hookcast/internal/store"

// PruneRows is what both drivers' result sets offer for PickPrunable.
type PruneRows interface {
	Next() bool
	Scan(dest ...any) error
}

// PickPrunable reads a prune pass's candidate rows, (id, deletable, old) in id
// order, up to the first row that is not old: it advances res.NextID past every
// old row, sets res.Full when the batch of limit rows was all old, and returns
// the ids to delete. The caller closes rows and checks their error.
func PickPrunable(rows PruneRows, limit int, res *store.PruneResult) ([]int64, error) {
	var ids []int64
	n := 0
	for rows.Next() {
		var id int64
		var del, old bool
		if err := rows.Scan(&id, &del, &old); err != nil {
			return nil, err
		}
		n++
		if !old {
			res.Full = false
			return ids, nil
		}
		res.NextID = id
		if del {
			ids = append(ids, id)
		}
	}
	res.Full = n == limit
	return ids, nil
}
