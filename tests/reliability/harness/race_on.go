//go:build race

package harness

// raceEnabled is true when this binary was built with -race: the serve binary
// the tests start is then built with -race too, so data races inside real
// replicas are reported (and fail the test that ran them).
const raceEnabled = true
