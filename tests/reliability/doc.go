// Package reliability holds no code: its tests prove hookcast's promises
// (shared/spec/events.md, docs/RELIABILITY.md) on real `hookcast serve`
// processes: several replicas on one PostgreSQL, kill -9 under load, receivers
// and databases that fail, and bad input at scale. The processes, receivers and
// the stoppable PostgreSQL cluster come from the harness subpackage.
//
// `go test ./tests/reliability/` runs the short versions (part of make test);
// HOOKCAST_LONG=1 runs the long ones, whose figures docs/RELIABILITY.md records.
package reliability
