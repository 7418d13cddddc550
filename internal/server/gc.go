package server

import (
	"os"
	"runtime/debug"
	"strconv"
)

// GCPercent is the garbage collector's target serve runs with unless the
// environment sets GOGC. Go's default (100) collects whenever the heap has
// doubled; serve's live heap is small (tens of MB: the SQLite page cache is not
// on it) while every delivery allocates its request, response and bookkeeping,
// so at 100 the collector and its write barriers took a fifth of the CPU at
// saturation. At 400 the heap may grow to five times the live one, a few hundred
// MB at most; GOMEMLIMIT still caps it where memory is short.
const GCPercent = 400

// TuneGC applies GCPercent unless GOGC is set, and returns the setting in force.
// It is process-wide, so the commands that run serve call it, not New.
func TuneGC() string {
	if v := os.Getenv("GOGC"); v != "" {
		return v
	}
	debug.SetGCPercent(GCPercent)
	return strconv.Itoa(GCPercent)
}
