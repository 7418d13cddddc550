// Package cliflag is what hookcast's subcommands share on top of the flag
// package: a help text that gives each flag's environment variable, one-line
// errors in place of the flag package's usage dump, and durations that say
// which unit they want.
package cliflag

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
)

// New returns a flag set for a subcommand that prints nothing itself: Parse
// reports errors (and -h as flag.ErrHelp) and the caller words them.
func New(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// Message rewords an error of flag.FlagSet.Parse in the terms of the command
// line a user typed ("--feed-timeout", not "flag -feed-timeout").
func Message(err error) string {
	s := err.Error()
	if name, ok := strings.CutPrefix(s, "flag provided but not defined: -"); ok {
		return "unknown flag --" + strings.TrimPrefix(name, "-")
	}
	if name, ok := strings.CutPrefix(s, "flag needs an argument: -"); ok {
		return "--" + strings.TrimPrefix(name, "-") + " needs a value"
	}
	if rest, ok := strings.CutPrefix(s, "invalid value "); ok {
		// invalid value "5" for flag -feed-timeout: <the Value's error>
		if _, after, ok := strings.Cut(rest, " for flag -"); ok {
			if name, why, ok := strings.Cut(after, ": "); ok {
				return "--" + name + ": " + why
			}
		}
	}
	if rest, ok := strings.CutPrefix(s, "invalid boolean value "); ok {
		// invalid boolean value "maybe" for -allow-private-targets: parse error
		if value, after, ok := strings.Cut(rest, " for -"); ok {
			if name, _, ok := strings.Cut(after, ": "); ok {
				return "--" + name + ": invalid value " + value + ": want true or false"
			}
		}
	}
	return s
}

// Fail prints a parse error as one line that points at the help, e.g.
// `hookcast serve: unknown flag --nope (see "hookcast serve -h")`.
func Fail(w io.Writer, command string, err error) {
	fmt.Fprintf(w, "%s: %s (see `%s -h`)\n", command, Message(err), command)
}

// IsHelp reports whether Parse stopped at -h or --help.
func IsHelp(err error) bool { return errors.Is(err, flag.ErrHelp) }

// PrintFlags writes every flag of fs with its value's kind, its description,
// its default and, when env names one, its environment variable.
func PrintFlags(w io.Writer, fs *flag.FlagSet, env func(name string) string) {
	fs.VisitAll(func(f *flag.Flag) {
		kind, usage := flag.UnquoteUsage(f)
		if _, ok := f.Value.(*durationValue); ok {
			kind = "duration"
		}
		line := "  --" + f.Name
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); !ok || !b.IsBoolFlag() {
			line += " " + strings.ToUpper(kind)
		}
		fmt.Fprintln(w, line)
		fmt.Fprintf(w, "      %s\n", strings.ReplaceAll(usage, "\n", "\n      "))
		var notes []string
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0s" {
			notes = append(notes, "default "+f.DefValue)
		}
		if env != nil {
			if name := env(f.Name); name != "" {
				notes = append(notes, "env "+name)
			}
		}
		if len(notes) > 0 {
			fmt.Fprintf(w, "      (%s)\n", strings.Join(notes, "; "))
		}
	})
}

// EnvName is the environment variable of a flag that follows hookcast's rule:
// HOOKCAST_ and the flag's name in capitals, dashes as underscores.
func EnvName(flagName string) string {
	return "HOOKCAST_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// Duration defines a duration flag whose parse errors say what to write
// ("invalid duration "5": use a unit, e.g. 5s") instead of "parse error".
func Duration(fs *flag.FlagSet, p *time.Duration, name string, value time.Duration, usage string) {
	*p = value
	fs.Var((*durationValue)(p), name, usage)
}

type durationValue time.Duration

func (d *durationValue) String() string { return time.Duration(*d).String() }

func (d *durationValue) Set(s string) error {
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = durationValue(v)
	return nil
}

// ParseDuration is time.ParseDuration with an error that says how to fix the
// value: a bare number gets the hint to add a unit.
func ParseDuration(s string) (time.Duration, error) {
	v, err := time.ParseDuration(s)
	if err == nil {
		return v, nil
	}
	t := strings.TrimSpace(s)
	if t != "" && strings.Trim(t, "0123456789.") == "" {
		return 0, fmt.Errorf("invalid duration %q: use a unit, e.g. %ss", s, t)
	}
	return 0, fmt.Errorf("invalid duration %q: want a number with a unit (ms, s, m, h), e.g. 10s or 1m30s", s)
}
