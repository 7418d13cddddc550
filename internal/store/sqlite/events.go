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

// InsertEvents implements store.Tx: the events, then their deliveries, go in
// multi-row INSERTs of the sizes in chunkSizes. The delivery ids are given here,
// from the table's largest id: the transaction holds SQLite's only write lock,
// so nothing else inserts meanwhile, and rowid tables would have picked the same
// ones.
func (t *sqlTx) InsertEvents(ctx context.Context, evs []store.NewEvent) ([][]int64, error) {
	now := sqlutil.Now()
	seen := make(map[string]bool, len(evs))
	n := 0
	for i := range evs {
		n += len(evs[i].Deliveries)
	}
	evArgs := make([]any, 0, len(evs)*eventColumns)
	ds := make([]store.Delivery, 0, n)
	var stored []string
	for i := range evs {
		ev := evs[i].Event
		if seen[ev.ID] {
			return nil, wrap("insert events", fmt.Errorf("event %q twice: %w", ev.ID, store.ErrConflict))
		}
		seen[ev.ID] = true
		first := len(ds)
		ds = append(ds, evs[i].Deliveries...)
		sqlutil.PrepareEvent(&ev, ds[first:], now)
		if evs[i].Stored {
			stored = append(stored, ev.ID)
			continue
		}
		args, err := sqlutil.EventValues(&ev)
		if err != nil {
			return nil, wrap("insert events", err)
		}
		evArgs = append(evArgs, args...)
	}
	if err := t.storedEvents(ctx, stored); err != nil {
		return nil, wrap("insert events", err)
	}
	if err := t.s.execRows(ctx, t.tx, insertEventRows, eventColumns, evArgs); err != nil {
		if isConstraint(err) {
			err = t.eventConflict(ctx, evs, err)
		}
		return nil, wrap("insert events", err)
	}
	out := make([][]int64, len(evs))
	if len(ds) == 0 {
		return out, nil
	}
	var last int64
	st, err := t.s.txStmt(ctx, t.tx, lastDeliveryID)
	if err == nil {
		err = st.QueryRowContext(ctx).Scan(&last)
	}
	if err != nil {
		return nil, wrap("insert deliveries", err)
	}
	dArgs := make([]any, 0, len(ds)*deliveryColumns)
	for i := range ds {
		dArgs = append(dArgs, last+1+int64(i))
		dArgs = sqlutil.AppendDeliveryValues(dArgs, &ds[i])
	}
	if err := t.s.execRows(ctx, t.tx, insertDeliveryRows, deliveryColumns, dArgs); err != nil {
		return nil, wrap("insert deliveries", err)
	}
	next := last + 1
	for i := range evs {
		out[i] = make([]int64, len(evs[i].Deliveries))
		for j := range out[i] {
			out[i][j] = next
			next++
		}
	}
	return out, nil
}

const lastDeliveryID = "SELECT coalesce(max(id), 0) FROM deliveries"

var (
	eventColumns    = strings.Count(sqlutil.EventColumns, ",") + 1
	deliveryColumns = strings.Count(sqlutil.DeliveryWriteColumns, ",") + 2 // and id
)

// insertEventRows and insertDeliveryRows insert n rows; ids are explicit, so a
// conflict is an error (ABORT: the statement writes nothing).
func insertEventRows(n int) string {
	return "INSERT INTO events (" + sqlutil.EventColumns + ") " + valuesRows(n, eventColumns)
}

func insertDeliveryRows(n int) string {
	return "INSERT INTO deliveries (id, " + sqlutil.DeliveryWriteColumns + ") " + valuesRows(n, deliveryColumns)
}

// storedEvents checks that the events of ids (NewEvent.Stored) exist: their
// deliveries would otherwise break the foreign key, a less clear error.
func (t *sqlTx) storedEvents(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	var a sqlutil.Args
	in := a.AddStrings(ids)
	var n int
	if err := t.tx.QueryRowContext(ctx, "SELECT count(*) FROM events WHERE id IN ("+in+")", a.List...).Scan(&n); err != nil {
		return err
	}
	if n != len(ids) {
		return fmt.Errorf("deliveries of events stored before (%d of %d found): %w", n, len(ids), store.ErrNotFound)
	}
	return nil
}

// eventConflict names the event whose id already existed, which made the insert
// fail with err.
func (t *sqlTx) eventConflict(ctx context.Context, evs []store.NewEvent, err error) error {
	for _, ev := range evs {
		if ev.Stored {
			continue
		}
		var n int
		if e := t.tx.QueryRowContext(ctx, "SELECT count(*) FROM events WHERE id = ?", ev.Event.ID).Scan(&n); e != nil {
			return errors.Join(err, e)
		}
		if n > 0 {
			return fmt.Errorf("event %q: %w", ev.Event.ID, store.ErrConflict)
		}
	}
	return err
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
