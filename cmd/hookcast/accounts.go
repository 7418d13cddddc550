package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/hookcast/hookcast/internal/api"
	"github.com/hookcast/hookcast/internal/cliflag"
	"github.com/hookcast/hookcast/internal/server"
	"github.com/hookcast/hookcast/internal/store"
)

// runAccounts manages accounts offline, against the same data directory or
// database as serve (which may be running: both stores allow it).
func runAccounts(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "create" && args[0] != "list") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
			io.WriteString(stdout, accountsUsage)
			cliflag.PrintFlags(stdout, accountsFlags("create"), envOf(accountsEnv))
			return 0
		}
		fmt.Fprintln(stderr, "hookcast accounts: want create or list (see `hookcast accounts -h`)")
		return 2
	}
	sub := args[0]
	fs := accountsFlags(sub)
	if code, ok := parseFlags(fs, args[1:], accountsUsage, accountsEnv, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "hookcast accounts %s: unexpected argument %q (see `hookcast accounts -h`)\n", sub, fs.Arg(0))
		return 2
	}
	// A flag on the command line wins over the environment.
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	value := func(name string) string {
		if v := os.Getenv(accountsEnv[name]); v != "" && !set[name] {
			return v
		}
		return fs.Lookup(name).Value.String()
	}
	dataDir, database, id, name := value("data-dir"), value("database"), value("id"), value("name")
	ctx := context.Background()
	st, err := server.OpenStore(ctx, server.Config{DataDir: dataDir, Database: database})
	if err != nil {
		fmt.Fprintf(stderr, "hookcast accounts: %v\n", err)
		return 2
	}
	defer st.Close()
	switch sub {
	case "create":
		if id != "" && !api.ValidName(id) {
			fmt.Fprintln(stderr, "hookcast accounts: --id must be 1-64 letters, digits, '_', '-' or '.'")
			return 2
		}
		na, err := api.CreateAccount(ctx, st, store.Account{ID: id, Name: name, CreatedAt: time.Now()})
		if err != nil {
			fmt.Fprintf(stderr, "hookcast accounts: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "account:    %s\nAPI secret: %s   (shown once)\n", na.ID, na.APISecret)
	case "list":
		accs, err := st.ListAccounts(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "hookcast accounts: %v\n", err)
			return 1
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tCREATED")
		for _, a := range accs {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", a.ID, a.Name, a.CreatedAt.UTC().Format(time.RFC3339))
		}
		tw.Flush()
	}
	return 0
}

const accountsUsage = `usage: hookcast accounts create [--id ID] [--name NAME] [--data-dir DIR | --database URL]
       hookcast accounts list [--data-dir DIR | --database URL]

Creates an account (and prints its API secret, once) or lists the accounts,
offline: against the same data directory or database as serve, which may be
running.

flags:
`

// accountsEnv names the environment variables the accounts flags share with serve.
var accountsEnv = map[string]string{"data-dir": "HOOKCAST_DATA_DIR", "database": "HOOKCAST_DATABASE"}

func accountsFlags(sub string) *flag.FlagSet {
	fs := cliflag.New("accounts " + sub)
	fs.String("data-dir", "./hookcast-data", "`directory` of the embedded SQLite store")
	fs.String("database", "", "a postgres:// `URL`: the PostgreSQL database instead")
	fs.String("id", "", "the new account's `id` (create; default: generated)")
	fs.String("name", "", "the new account's `name` (create)")
	return fs
}
