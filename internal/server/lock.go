package server

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
)

// lockFileName is the file in a SQLite data directory that serve holds an OS
// lock on while it runs; it also names the holder's process id.
const lockFileName = "serve.lock"

// ErrDataDirInUse is wrapped by the error of a serve that finds its data
// directory held by another process.
var ErrDataDirInUse = errors.New("data directory in use")

// dirLock is a held data-directory lock; release gives it back. The kernel
// also gives it back when the process ends, however it ends, so a crash never
// leaves the directory locked.
type dirLock struct{ f *os.File }

func (l *dirLock) release() {
	if l != nil && l.f != nil {
		l.f.Close()
		l.f = nil
	}
}

// inUse is the one-line refusal of a second serve: which directory, and which
// process holds it.
func inUse(dir string, pid int) error {
	holder := "another process"
	if pid > 0 {
		holder = "process " + strconv.Itoa(pid)
	}
	return fmt.Errorf("%w: %s is held by %s (a running hookcast serve): only one serve may use a SQLite data directory; stop it, or use --database postgres://… for several",
		ErrDataDirInUse, dir, holder)
}

// readPID reads the process id the holder wrote (0 when unknown: it may be
// between taking the lock and writing it).
func readPID(f *os.File) int {
	b := make([]byte, 32)
	n, _ := f.ReadAt(b, 0)
	line, _, _ := bytes.Cut(b[:n], []byte("\n"))
	pid, err := strconv.Atoi(string(bytes.TrimSpace(line)))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

// writePID records this process as the holder, for the refusal of the next one.
func writePID(f *os.File) error {
	b := []byte(strconv.Itoa(os.Getpid()) + "\n")
	if _, err := f.WriteAt(b, 0); err != nil {
		return err
	}
	return f.Truncate(int64(len(b)))
}
