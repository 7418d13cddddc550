package cliflag

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestMessages(t *testing.T) {
	var d time.Duration
	var b bool
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--nope"}, "unknown flag --nope"},
		{[]string{"--wait"}, "--wait needs a value"},
		{[]string{"--wait", "5"}, `--wait: invalid duration "5": use a unit, e.g. 5s`},
		{[]string{"--wait", "1.5"}, `--wait: invalid duration "1.5": use a unit, e.g. 1.5s`},
		{[]string{"--wait", "soon"}, `--wait: invalid duration "soon": want a number with a unit (ms, s, m, h), e.g. 10s or 1m30s`},
		{[]string{"--on=maybe"}, `--on: invalid value "maybe": want true or false`},
	}
	for _, tt := range tests {
		fs := New("x")
		Duration(fs, &d, "wait", time.Second, "how long")
		fs.BoolVar(&b, "on", false, "switch")
		err := fs.Parse(tt.args)
		if err == nil || Message(err) != tt.want {
			t.Errorf("%v: %v, want %q", tt.args, err, tt.want)
		}
	}
	fs := New("x")
	Duration(fs, &d, "wait", time.Second, "how long")
	if err := fs.Parse([]string{"--wait", "0"}); err != nil || d != 0 {
		t.Fatalf("--wait 0: %v, %v", d, err)
	}
}

func TestPrintFlags(t *testing.T) {
	fs := New("x")
	var d time.Duration
	Duration(fs, &d, "feed-timeout", 0, "end a feed after this long")
	fs.String("listen", "127.0.0.1:1", "`host:port` to listen on")
	fs.Bool("allow", false, "allow it")
	var out bytes.Buffer
	PrintFlags(&out, fs, EnvName)
	for _, want := range []string{
		"  --allow\n      allow it\n      (env HOOKCAST_ALLOW)\n",
		"  --feed-timeout DURATION\n      end a feed after this long\n      (env HOOKCAST_FEED_TIMEOUT)\n",
		"  --listen HOST:PORT\n      host:port to listen on\n      (default 127.0.0.1:1; env HOOKCAST_LISTEN)\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q:\n%s", want, &out)
		}
	}
}
