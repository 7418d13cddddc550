package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/hookcast/hookcast/internal/server"
)

func runServe(args []string, stdout, stderr io.Writer) int {
	cfg, err := server.ParseConfig(args, os.Getenv)
	if errors.Is(err, server.ErrHelp) {
		server.Usage(stdout)
		return 0
	}
	if err != nil {
		return configError(stderr, err)
	}
	server.TuneGC()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := server.New(ctx, cfg, version, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "hookcast serve: %s\n", oneLine(err))
		return 2
	}
	printWelcome(stdout, srv)
	if err := srv.Run(ctx); err != nil {
		fmt.Fprintf(stderr, "hookcast serve: %s\n", oneLine(err))
		return 1
	}
	return 0
}

// configError prints a configuration error in one line that points at the
// help; the exit status is 2.
func configError(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "hookcast serve: %s (see `hookcast serve -h`)\n", strings.TrimPrefix(err.Error(), server.ErrUsage.Error()+": "))
	return 2
}

// printWelcome tells a new user what they need; secrets appear only on the start
// that generated them (they are kept hashed).
func printWelcome(w io.Writer, srv *server.Server) {
	base := "http://" + srv.Addr()
	fmt.Fprintf(w, "hookcast %s is running\n", version)
	fmt.Fprintf(w, "  dashboard and API: %s/\n", base)
	fmt.Fprintf(w, "  default account:   %s\n", srv.Default)
	f := srv.Firsts
	if f.APISecret != "" {
		fmt.Fprintf(w, "  API secret:        %s   (Authorization: Bearer … on /api/webhooks; dashboard sign-in)\n", f.APISecret)
	}
	if f.AdminToken != "" {
		fmt.Fprintf(w, "  admin token:       %s   (/api/admin/…)\n", f.AdminToken)
	}
	if f.IngestToken != "" {
		fmt.Fprintf(w, "  ingest token:      %s   (media servers: /api/ingest/…)\n", f.IngestToken)
	}
	if f.APISecret != "" || f.AdminToken != "" || f.IngestToken != "" {
		fmt.Fprintln(w, "  These secrets are shown once and kept only as hashes: copy them now.")
	} else {
		fmt.Fprintln(w, "  Secrets were shown on first start; set --admin-token/--ingest-token to replace them,")
		fmt.Fprintln(w, "  and `hookcast accounts create` makes a new account with a new API secret.")
	}
}

// oneLine folds a multi-line error (pgx lists every address it tried) into one line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
