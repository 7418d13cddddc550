// Package reliability holds no code: its tests prove hookcast's promises
// (shared/spec/events.md, docs/RELIABILITY.md) on real `hookcast serve`
// processes: several replicas on one PostgreSQL, kill -9 under load, receivers
// and databases that fail, and bad input at scale. The processes and receivers
// come from the harness subpackage; PostgreSQL, shared or stoppable, from
// internal/testpg.
//
// `go test ./tests/reliability/` runs the short versions (part of make test);
// HOOKCAST_LONG=1 runs the long ones, whose figures docs/RELIABILITY.md records.
package reliability
