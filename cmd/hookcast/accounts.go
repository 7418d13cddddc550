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
	"github.com/hookcast/hookcast/internal/server"
	"github.com/hookcast/hookcast/internal/store"
)

// runAccounts manages accounts offline, against the same data directory or
// database as serve (which may be running: both stores allow it).
func runAccounts(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "create" && args[0] != "list") {
		fmt.Fprintln(stderr, "usage: hookcast accounts create [--id ID] [--name NAME] | list   [--data-dir DIR | --database URL]")
		return 2
	}
	sub := args[0]
	fs := flag.NewFlagSet("accounts "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data-dir", envOr("HOOKCAST_DATA_DIR", "./hookcast-data"), "directory of the embedded SQLite store")
	database := fs.String("database", os.Getenv("HOOKCAST_DATABASE"), "postgres://… URL")
	id := fs.String("id", "", "account id (create; default: generated)")
	name := fs.String("name", "", "account name (create)")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	ctx := context.Background()
	st, err := server.OpenStore(ctx, server.Config{DataDir: *dataDir, Database: *database})
	if err != nil {
		fmt.Fprintf(stderr, "hookcast accounts: %v\n", err)
		return 2
	}
	defer st.Close()
	switch sub {
	case "create":
		if *id != "" && !api.ValidName(*id) {
			fmt.Fprintln(stderr, "hookcast accounts: --id must be 1-64 letters, digits, '_', '-' or '.'")
			return 2
		}
		na, err := api.CreateAccount(ctx, st, store.Account{ID: *id, Name: *name, CreatedAt: time.Now()})
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

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
