//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package server

// lockDataDir does nothing where flock(2) is not available (Linux is the
// target): there, keeping to one serve per data directory is up to the user.
func lockDataDir(dir string) (*dirLock, error) { return &dirLock{}, nil }
