package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// hotStatements are prepared on the write connection when the store opens and
// kept for its life: parsing a statement costs about as much as running it, and
// the hot paths (group commit, recording attempts) run these in every
// transaction. They cannot be prepared lazily: inside a transaction the one
// write connection is taken, and preparing on the pool would wait for it forever.
var hotStatements = func() []string {
	qs := []string{dueStreams, webhooksVersion, accountWebhooks, lastDeliveryID}
	for _, n := range chunkSizes {
		qs = append(qs, moveLatestAttempts(n), releaseFinished(n), finishWebhooks(n), insertEventRows(n),
			insertDeliveryRows(n), upsertStats(n), upsertStreamRows(n), upsertStreamStates(n), insertViewerRows(n))
	}
	for _, n := range keySizes {
		qs = append(qs, lockStreamRows(n), deleteStreamRows(n), lookupViewerRows(n), deleteViewerRows(n), clearViewerRows(n))
	}
	return qs
}()

// prepareHot prepares hotStatements on s.write.
func (s *Store) prepareHot(ctx context.Context) error {
	s.stmts = make(map[string]*sql.Stmt, len(hotStatements))
	for _, q := range hotStatements {
		st, err := s.write.PrepareContext(ctx, q)
		if err != nil {
			return wrap("prepare", err)
		}
		s.stmts[q] = st
	}
	return nil
}

// txStmt returns the prepared statement q bound to tx. database/sql reuses the
// statement already prepared on the write connection (or prepares it again on a
// new one, should the old connection have been dropped).
func (s *Store) txStmt(ctx context.Context, tx *sql.Tx, q string) (*sql.Stmt, error) {
	st, ok := s.stmts[q]
	if !ok {
		return nil, fmt.Errorf("statement not among the prepared ones: %.40q", q)
	}
	return tx.StmtContext(ctx, st), nil
}
