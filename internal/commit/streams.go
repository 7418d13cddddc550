package commit

import (
	"context"
	"fmt"

	"github.com/hookcast/hookcast/internal/engine"
)

// Streams returns the live view of an account's streams for the API and dashboard:
// those with something going on. A stream at rest whose state is kept only for its
// clock (engine.Config.ForgetAfter) is left out, as it was before that existed.
func (p *Committer) Streams(ctx context.Context, accountID string) ([]engine.StreamView, error) {
	rows, err := p.st.ListStreams(ctx, accountID)
	if err != nil {
		return nil, fmt.Errorf("list streams: %w", err)
	}
	out := make([]engine.StreamView, 0, len(rows))
	for _, row := range rows {
		st, err := decodeState(row.Key, row)
		if err != nil {
			return nil, err
		}
		if st.AtRest() {
			continue
		}
		out = append(out, st.Snapshot())
	}
	return out, nil
}
