package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/hookcast/hookcast/internal/cliflag"
)

// parseFlags parses a subcommand's flags. -h prints synopsis and the flags (with
// their environment variables, env maps flag to variable) on stdout; a bad flag
// is one line on stderr that points at -h. ok is false when the command is done,
// with code as its exit status.
func parseFlags(fs *flag.FlagSet, args []string, synopsis string, env map[string]string, stdout, stderr io.Writer) (code int, ok bool) {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return 0, true
	case cliflag.IsHelp(err):
		io.WriteString(stdout, synopsis)
		cliflag.PrintFlags(stdout, fs, envOf(env))
		return 0, false
	default:
		cliflag.Fail(stderr, "hookcast "+fs.Name(), err)
		return 2, false
	}
}

// envOf turns a map of flag names to environment variables into PrintFlags' form.
func envOf(m map[string]string) func(string) string {
	return func(name string) string { return m[name] }
}

// versionUsage is `hookcast version -h`.
const versionUsage = "usage: hookcast version   (or hookcast --version)\n\nPrints the version of this binary.\n"

func runVersion(args []string, stdout, stderr io.Writer) int {
	fs := cliflag.New("version")
	if code, ok := parseFlags(fs, args, versionUsage, nil, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "hookcast version: unexpected argument %q (see `hookcast version -h`)\n", fs.Arg(0))
		return 2
	}
	fmt.Fprintln(stdout, "hookcast", version)
	return 0
}
