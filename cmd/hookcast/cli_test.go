package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestHelp: every command's -h (and --help) prints its synopsis and its flags,
// each with the environment variable that sets it, on stdout, and exits 0.
func TestHelp(t *testing.T) {
	tests := []struct {
		args []string
		want []string // in stdout
	}{
		{[]string{"-h"}, []string{"usage: hookcast <command>", "hookcast <command> -h"}},
		{[]string{"serve", "-h"}, []string{"usage: hookcast serve [flags]", "--allow-private-targets\n",
			"env HOOKCAST_ALLOW_PRIVATE_TARGETS", "--feed-timeout DURATION", "env HOOKCAST_FEED_TIMEOUT",
			"--listen HOST:PORT", "default 127.0.0.1:8080; env HOOKCAST_LISTEN", "env HOOKCAST_DATA_DIR"}},
		{[]string{"serve", "--help"}, []string{"usage: hookcast serve"}},
		{[]string{"listen", "-h"}, []string{"usage: hookcast listen", "--secret SECRET", "env HOOKCAST_SECRET", "default 127.0.0.1:9000"}},
		{[]string{"trigger", "-h"}, []string{"usage: hookcast trigger", "events: feeds.started", "env HOOKCAST_URL", "--timeout DURATION"}},
		{[]string{"accounts", "-h"}, []string{"usage: hookcast accounts create", "env HOOKCAST_DATA_DIR", "env HOOKCAST_DATABASE"}},
		{[]string{"accounts", "create", "-h"}, []string{"usage: hookcast accounts create", "--id ID"}},
		{[]string{"version", "-h"}, []string{"usage: hookcast version"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := run(tt.args, &out, &errOut); code != 0 || errOut.Len() != 0 {
				t.Fatalf("exit %d, stderr %q; want 0 and nothing", code, &errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("help lacks %q:\n%s", w, &out)
				}
			}
		})
	}
}

// TestBadFlags: a bad flag is one line on stderr that says what is wrong and
// points at the command's help; the exit status is 2.
func TestBadFlags(t *testing.T) {
	t.Setenv("HOOKCAST_SECRET", "")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--nope"}, "hookcast serve: unknown flag --nope (see `hookcast serve -h`)"},
		{[]string{"serve", "--feed-timeout", "5"}, `hookcast serve: --feed-timeout: invalid duration "5": use a unit, e.g. 5s (see ` + "`hookcast serve -h`)"},
		{[]string{"serve", "--no-viewers-delay", "soon"}, `--no-viewers-delay: invalid duration "soon": want a number with a unit`},
		{[]string{"serve", "--listen"}, "hookcast serve: --listen needs a value"},
		{[]string{"serve", "--allow-private-targets=maybe"}, "hookcast serve: --allow-private-targets: "},
		{[]string{"serve", "--log-level", "loud"}, "see `hookcast serve -h`"},
		{[]string{"listen", "--port", "1"}, "hookcast listen: unknown flag --port (see `hookcast listen -h`)"},
		{[]string{"trigger", "feeds.started", "--timeout", "3"}, `hookcast trigger: --timeout: invalid duration "3": use a unit, e.g. 3s`},
		{[]string{"trigger", "feeds.started", "--verbose"}, "hookcast trigger: unknown flag --verbose (see `hookcast trigger -h`)"},
		{[]string{"accounts", "list", "--x"}, "hookcast accounts list: unknown flag --x (see `hookcast accounts list -h`)"},
		{[]string{"accounts"}, "see `hookcast accounts -h`"},
		{[]string{"version", "--short"}, "hookcast version: unknown flag --short"},
		{[]string{"bogus"}, "hookcast: unknown command \"bogus\" (see `hookcast -h`)"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(tt.args, &out, &errOut)
			msg := errOut.String()
			if code != 2 || out.Len() != 0 || strings.Count(msg, "\n") != 1 || !strings.Contains(msg, tt.want) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want 2, nothing, and one line with %q", code, &out, msg, tt.want)
			}
		})
	}
}

// TestVersion: `hookcast version` and `hookcast --version` both print it.
func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}, {"-version"}} {
		var out, errOut bytes.Buffer
		if code := run(args, &out, &errOut); code != 0 || out.String() != "hookcast "+version+"\n" {
			t.Fatalf("%v: exit %d, stdout %q, stderr %q", args, code, &out, &errOut)
		}
	}
}
