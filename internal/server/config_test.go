package server

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	cases := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
		check   func(Config) bool
	}{
		{name: "defaults", check: func(c Config) bool {
			return c.Listen == "127.0.0.1:8080" && c.DataDir == "./hookcast-data" && c.NoViewersDelay == time.Minute &&
				c.ViewerAttemptInterval == 10*time.Second && c.FeedTimeout == 0 && !c.AllowPrivateTargets &&
				c.Retention == 720*time.Hour && c.ThumbnailRetention == 24*time.Hour && !c.KeepUnwantedEvents &&
				c.IdempotencyWindow == 24*time.Hour && c.SecretOverlap == 24*time.Hour
		}},
		{name: "secret overlap", env: map[string]string{"HOOKCAST_SECRET_OVERLAP": "0"}, check: func(c Config) bool { return c.SecretOverlap == 0 }},
		{name: "egress proxy", args: []string{"--egress-proxy", "http://user:pw@10.0.0.5:3128"}, check: func(c Config) bool {
			u, err := c.EgressProxyURL()
			return err == nil && u.Host == "10.0.0.5:3128"
		}},
		{name: "egress proxy scheme", args: []string{"--egress-proxy", "ftp://proxy:21"}, wantErr: "--egress-proxy"},
		{name: "egress proxy not a URL", env: map[string]string{"HOOKCAST_EGRESS_PROXY": "proxy:3128"}, wantErr: "--egress-proxy"},
		{name: "secret overlap too long", args: []string{"--secret-overlap", "721h"}, wantErr: "--secret-overlap"},
		{name: "retention", args: []string{"--retention", "2m", "--keep-unwanted-events"}, env: map[string]string{"HOOKCAST_THUMBNAIL_RETENTION": "0"},
			check: func(c Config) bool {
				return c.Retention == 2*time.Minute && c.ThumbnailRetention == 0 && c.KeepUnwantedEvents
			}},
		{name: "negative retention", args: []string{"--retention", "-1h"}, wantErr: "--retention"},
		{name: "negative window", args: []string{"--idempotency-window", "-1s"}, wantErr: "--idempotency-window"},
		{name: "env", env: map[string]string{"HOOKCAST_NO_VIEWERS_DELAY": "5s", "HOOKCAST_ALLOW_PRIVATE_TARGETS": "true"},
			check: func(c Config) bool { return c.NoViewersDelay == 5*time.Second && c.AllowPrivateTargets }},
		{name: "flag beats env", args: []string{"--listen", "127.0.0.1:9"}, env: map[string]string{"HOOKCAST_LISTEN": "0.0.0.0:1"},
			check: func(c Config) bool { return c.Listen == "127.0.0.1:9" }},
		{name: "bad duration", args: []string{"--no-viewers-delay", "soon"}, wantErr: "no-viewers-delay"},
		{name: "bad env", env: map[string]string{"HOOKCAST_FEED_TIMEOUT": "x"}, wantErr: "HOOKCAST_FEED_TIMEOUT"},
		{name: "bad listen", args: []string{"--listen", "8080"}, wantErr: "--listen"},
		{name: "bad database", args: []string{"--database", "mysql://x"}, wantErr: "postgres://"},
		{name: "short token", args: []string{"--ingest-token", "abc"}, wantErr: "at least 16"},
		{name: "zero interval", args: []string{"--viewer-attempt-interval", "0s"}, wantErr: "at least 1ms"},
		{name: "extra arg", args: []string{"now"}, wantErr: "unexpected argument"},
		{name: "unknown flag", args: []string{"--nope"}, wantErr: "unknown flag --nope"},
		{name: "duration without unit", args: []string{"--feed-timeout", "5"}, wantErr: `--feed-timeout: invalid duration "5": use a unit, e.g. 5s`},
		{name: "env duration without unit", env: map[string]string{"HOOKCAST_NO_VIEWERS_DELAY": "60"}, wantErr: "use a unit, e.g. 60s"},
		{name: "zero duration", args: []string{"--feed-timeout", "0"}, check: func(c Config) bool { return c.FeedTimeout == 0 }},
		{name: "missing value", args: []string{"--listen"}, wantErr: "--listen needs a value"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := ParseConfig(c.args, env(c.env))
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) || !errors.Is(err, ErrUsage) {
					t.Fatalf("err = %v, want usage error containing %q", err, c.wantErr)
				}
				return
			}
			if err != nil || !c.check(cfg) {
				t.Fatalf("cfg = %+v, err = %v", cfg, err)
			}
		})
	}
}
