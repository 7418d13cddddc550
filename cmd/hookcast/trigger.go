package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"

	"github.com/hookcast/hookcast/internal/cliflag"
	"github.com/hookcast/hookcast/internal/sample"
	"github.com/hookcast/hookcast/webhook"
)

// triggerConfig is what `hookcast trigger` runs with once its flags are parsed.
type triggerConfig struct {
	typ, event string // canonical
	url        string
	signer     *webhook.Signer
	timeout    time.Duration
}

const triggerUsage = `usage: hookcast trigger TYPE.EVENT [--url URL] --secret SECRET

Sends one realistic sample event, signed with the secret (X-Millicast-Signature
and the Standard Webhooks headers) exactly as a delivery is, and prints the
receiver's answer. Exit status 0 on a 2xx answer, 1 otherwise.

events: %s

flags:
`

func runTrigger(args []string, stdout, stderr io.Writer) int {
	fs := cliflag.New("trigger")
	target := fs.String("url", "", "receiver `URL` (default http://127.0.0.1:9000/, where hookcast listen is)")
	secret := fs.String("secret", "", "the webhook `secret` to sign with (standard base64)")
	var timeout time.Duration
	cliflag.Duration(fs, &timeout, "timeout", 10*time.Second, "give up on the receiver after this long")
	names, err := parseInterspersed(fs, args)
	if cliflag.IsHelp(err) {
		fmt.Fprintf(stdout, triggerUsage, strings.Join(sample.Names(), ", "))
		cliflag.PrintFlags(stdout, fs, envOf(map[string]string{"url": "HOOKCAST_URL", "secret": "HOOKCAST_SECRET"}))
		return 0
	}
	if err != nil {
		cliflag.Fail(stderr, "hookcast trigger", err)
		return 2
	}
	cfg, msg := triggerSetup(names, *target, *secret, timeout)
	if msg != "" {
		fmt.Fprintln(stderr, "hookcast trigger: "+msg+" (see `hookcast trigger -h`)")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return trigger(ctx, cfg, stdout, stderr)
}

// triggerSetup checks the arguments; a non-empty msg says what to fix.
func triggerSetup(names []string, target, secret string, timeout time.Duration) (cfg triggerConfig, msg string) {
	if len(names) != 1 {
		return cfg, "want exactly one TYPE.EVENT, one of: " + strings.Join(sample.Names(), ", ")
	}
	typ, event, ok := sample.Lookup(names[0])
	if !ok {
		return cfg, fmt.Sprintf("unknown event %q; valid: %s", names[0], strings.Join(sample.Names(), ", "))
	}
	target = cmp.Or(target, os.Getenv("HOOKCAST_URL"), "http://127.0.0.1:9000/")
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return cfg, fmt.Sprintf("--url %q: want an http:// or https:// URL", target)
	}
	secret = cmp.Or(secret, os.Getenv("HOOKCAST_SECRET"))
	if secret == "" {
		return cfg, "--secret is required (the webhook's secret, or set HOOKCAST_SECRET)"
	}
	signer, err := webhook.NewSigner(secret)
	if err != nil {
		return cfg, fmt.Sprintf("--secret: %v", err)
	}
	if timeout <= 0 {
		return cfg, "--timeout must be positive"
	}
	return triggerConfig{typ: typ, event: event, url: target, signer: signer, timeout: timeout}, ""
}

// trigger sends the sample and reports the answer.
func trigger(ctx context.Context, cfg triggerConfig, stdout, stderr io.Writer) int {
	now := time.Now()
	name := cfg.typ + "." + cfg.event
	contentType, body, headers, err := sample.Event(cfg.typ, cfg.event, now)
	if err != nil {
		fmt.Fprintf(stderr, "hookcast trigger: %v\n", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.url, bytes.NewReader(body))
	if err != nil {
		fmt.Fprintf(stderr, "hookcast trigger: %v\n", err)
		return 1
	}
	id := "msg_" + rand.Text()
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", "hookcast/"+version)
	req.Header.Set(webhook.HeaderSignature, cfg.signer.Millicast(body))
	req.Header.Set(webhook.HeaderWebhookID, id)
	req.Header.Set(webhook.HeaderWebhookTimestamp, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(webhook.HeaderWebhookSignature, cfg.signer.Standard(id, now.Unix(), body))
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	client := &http.Client{
		// A webhook is delivered to its URL, not wherever that URL points:
		// report a redirect instead of following it.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "hookcast trigger: %s to %s: %v\n", name, cfg.url, err)
		return 1
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	fmt.Fprintf(stdout, "%s %s (%d bytes) → %s\n", name, cfg.url, len(body), resp.Status)
	if line := firstLine(answer); line != "" {
		fmt.Fprintf(stdout, "  %s\n", line)
	}
	if resp.StatusCode/100 != 2 {
		return 1
	}
	return 0
}

// parseInterspersed lets positional arguments and flags come in any order
// (`trigger feeds.started --url …` and `trigger --url … feeds.started`), which
// the flag package alone does not.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// firstLine is the start of a response body, printable and on one line.
func firstLine(b []byte) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	s = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return '?'
	}, s)
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:200], "") + "…"
	}
	return s
}
