package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/internal/store/internal/sqlutil"
)

var (
	insertEvent = "INSERT INTO events (" + sqlutil.EventColumns + ") VALUES (" +
		placeholders(sqlutil.EventColumns) + ") ON CONFLICT (id) DO NOTHING"
	insertDelivery = "INSERT INTO deliveries (" + sqlutil.DeliveryWriteColumns + ") VALUES (" +
		placeholders(sqlutil.DeliveryWriteColumns) + ")"
)

func placeholders(columns string) string {
	return strings.TrimSuffix(strings.Repeat("?, ", strings.Count(columns, ",")+1), ", ")
}

// InsertEvent implements store.Tx.
func (t *sqlTx) InsertEvent(ctx context.Context, ev store.Event, deliveries []store.Delivery) ([]int64, error) {
	ds := append([]store.Delivery(nil), deliveries...)
	sqlutil.PrepareEvent(&ev, ds, sqlutil.Now())
	args, err := sqlutil.EventValues(&ev)
	if err != nil {
		return nil, wrap("insert event", err)
	}
	ins, err := t.stmt(ctx, insertEvent)
	if err != nil {
		return nil, wrap("insert event", err)
	}
	res, err := ins.ExecContext(ctx, args...)
	if err == nil {
		err = mustAffect(res, fmt.Errorf("event %q: %w", ev.ID, store.ErrConflict))
	}
	if err != nil {
		return nil, wrap("insert event", err)
	}
	ids := make([]int64, len(ds))
	insD, err := t.stmt(ctx, insertDelivery)
	if err != nil {
		return nil, wrap("insert delivery", err)
	}
	for i := range ds {
		res, err := insD.ExecContext(ctx, sqlutil.DeliveryValues(&ds[i])...)
		if err == nil {
			ids[i], err = res.LastInsertId()
		}
		if err != nil {
			return nil, wrap("insert delivery", err)
		}
	}
	return ids, nil
}

// GetEvent implements store.Store.
func (s *Store) GetEvent(ctx context.Context, accountID, eventID string) (store.Event, error) {
	e, err := sqlutil.ScanEvent(s.read.QueryRowContext(ctx,
		"SELECT "+sqlutil.EventColumns+" FROM events WHERE account_id = ? AND id = ?", accountID, eventID))
	if errors.Is(err, sql.ErrNoRows) {
		err = fmt.Errorf("event %q: %w", eventID, store.ErrNotFound)
	}
	return e, wrap("get event", err)
}

// ListEvents implements store.Store.
func (s *Store) ListEvents(ctx context.Context, q store.EventQuery) ([]store.Event, error) {
	var a sqlutil.Args
	where := "1 = 1"
	if q.AccountID != "" {
		where += " AND account_id = " + a.Add(q.AccountID)
	}
	if q.StreamName != "" {
		where += " AND stream_name = " + a.Add(q.StreamName)
	}
	if q.Type != "" {
		where += " AND type = " + a.Add(q.Type)
	}
	rows, err := s.read.QueryContext(ctx, "SELECT "+sqlutil.EventColumns+" FROM events WHERE "+where+
		" ORDER BY created_at DESC, id DESC LIMIT "+a.Add(sqlutil.Limit(q.Limit, true)), a.List...)
	out, err := collect(rows, err, sqlutil.ScanEvent)
	return out, wrap("list events", err)
}
