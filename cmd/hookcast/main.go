// Command hookcast gives any live-streaming stack Millicast-compatible webhooks.
// See the README for the subcommands; each lives in its own file here.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// command is one subcommand: it gets its own arguments and returns the exit status.
type command func(args []string, stdout, stderr io.Writer) int

var commands = map[string]command{
	"serve":    runServe,
	"listen":   runListen,
	"trigger":  runTrigger,
	"accounts": runAccounts,
	"version":  runVersion,
}

const usage = `usage: hookcast <command> [flags]

commands:
  serve      run the service (REST API, ingest, dashboard, delivery)
  listen     a local receiver that verifies and prints webhooks
  trigger    send one signed sample event (e.g. feeds.started) to a URL
  accounts   create or list accounts offline (create | list)
  version    print the version (also: hookcast --version)

Each command's flags: hookcast <command> -h
`

func main() {
	version = buildVersion(version)
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// buildVersion names a build made without -ldflags by its commit, when Go
// recorded one ("dev+1a2b3c4"), so User-Agent and logs tell builds apart.
func buildVersion(v string) string {
	if v != "dev" {
		return v
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 7 {
			return v + "+" + s.Value[:7]
		}
	}
	return v
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, ok := commands[args[0]]
	if !ok {
		switch args[0] {
		case "-h", "-help", "--help", "help":
			fmt.Fprint(stdout, usage)
			return 0
		case "-version", "--version":
			return runVersion(args[1:], stdout, stderr)
		}
		fmt.Fprintf(stderr, "hookcast: unknown command %q (see `hookcast -h`)\n", args[0])
		return 2
	}
	return cmd(args[1:], stdout, stderr)
}
