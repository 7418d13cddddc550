package thumbnail

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os/exec"
	"strings"
	"time"
)

// FFmpegGrab returns a Grab that runs bin (ffmpeg) to read one video frame from a
// URL and encode it as JPEG on its standard output:
//
//	ffmpeg -hide_banner -loglevel error -nostdin -i URL -frames:v 1 -an -f image2 -c:v mjpeg -q:v 4 pipe:1
//
// The context bounds the run (the process is killed when it is done). Output
// beyond MaxSize is an error; the error quotes ffmpeg's last words, and the URL
// with any password redacted.
func FFmpegGrab(bin string) func(ctx context.Context, src string) ([]byte, error) {
	return func(ctx context.Context, src string) ([]byte, error) {
		cmd := exec.CommandContext(ctx, bin, "-hide_banner", "-loglevel", "error", "-nostdin",
			"-i", src, "-frames:v", "1", "-an", "-f", "image2", "-c:v", "mjpeg", "-q:v", "4", "pipe:1")
		out := &capped{max: MaxSize + 1}
		errOut := &capped{max: 4 << 10}
		cmd.Stdout, cmd.Stderr = out, errOut
		cmd.WaitDelay = 2 * time.Second
		err := cmd.Run()
		switch {
		case ctx.Err() != nil:
			return nil, fmt.Errorf("ffmpeg %s: %w", redact(src), ctx.Err())
		case err != nil:
			if cmd.ProcessState == nil { // it never started
				return nil, fmt.Errorf("ffmpeg not found (install it, or give its path): %w", err)
			}
			return nil, fmt.Errorf("ffmpeg %s: %w: %s", redact(src), err, lastLine(errOut.Bytes()))
		case out.over:
			return nil, fmt.Errorf("ffmpeg %s: %w", redact(src), ErrTooLarge)
		}
		return out.Bytes(), nil
	}
}

// capped is a buffer that keeps at most max bytes and notes that more came.
type capped struct {
	bytes.Buffer
	max  int
	over bool
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.Len(); len(p) > room {
		c.over = true
		if room > 0 {
			c.Buffer.Write(p[:room])
		}
		return len(p), nil
	}
	return c.Buffer.Write(p)
}

func redact(src string) string {
	u, err := url.Parse(src)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

func lastLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	if s == "" {
		return "no message"
	}
	return s
}
