package ingest_test

import (
	"bytes"
	"context"
	"fmt"
	"image/jpeg"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/server"
	"github.com/hookcast/hookcast/webhook"
)

// TestE2ENginxRTMP runs the whole path with real parts: a real nginx with the RTMP
// module posts its notifications to a real hookcast server, ffmpeg plays and
// publishes, the thumbnail capturer reads the stream with ffmpeg, and a receiver
// verifies every webhook with the SDK.
//
//	player waits on an unpublished stream → viewerAttempt, repeated every I
//	publisher starts                      → feeds started, firstViewerConnection
//	capturer (marked, not a viewer)       → a thumbnail JPEG
//	player leaves                         → noActiveViewers after D
//	publisher stops                       → feeds ended, media + recordings completed
func TestE2ENginxRTMP(t *testing.T) {
	nginxBin, module := requireMedia(t)
	// Stopped by the cleanups, in reverse order: ffmpeg and nginx first, while
	// hookcast still answers their last notifications, then hookcast.
	ctx, cancel := context.WithTimeout(context.Background(), 55*time.Second)
	const ingestToken = "ingest-token-0123456789"

	port := freePort(t)
	rtmp := fmt.Sprintf("rtmp://127.0.0.1:%d/live/", port)
	// serve's own thumbnail capturer reads the live streams from nginx.
	srv, err := server.New(ctx, server.Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(),
		AdminToken: "admin-token-0123456789", IngestToken: ingestToken,
		ViewerAttemptInterval: time.Second, NoViewersDelay: 2 * time.Second,
		AllowPrivateTargets: true, LogLevel: "error",
		ThumbnailSource: rtmp + "{name}", ThumbnailInterval: time.Second}, "test", io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	runDone := make(chan struct{})
	go func() { _ = srv.Run(ctx); close(runDone) }()
	t.Cleanup(func() { cancel(); <-runDone })
	base := "http://" + srv.Addr()
	api := &apiClient{base: base, secret: srv.Firsts.APISecret}

	rcv := newReceiver(t)
	var hook struct {
		Secret string `json:"secret"`
	}
	api.do(t, "POST", "/api/webhooks", map[string]any{"url": rcv.URL, "isFeedHooks": true,
		"isViewerConnectionHooks": true, "isMediaHooks": true, "isRecordingHooks": true, "isThumbnailHooks": true}, &hook)
	rcv.setSecret(hook.Secret)

	dir := t.TempDir()
	startNginx(t, nginxBin, module, dir, port, base+"/api/ingest/nginx-rtmp?token="+ingestToken)
	acct := srv.Default

	// A player waits on a stream nobody publishes; it reads 3 s once it flows.
	player := ffmpeg(ctx, t, "player", "-i", rtmp+"show", "-t", "3", "-f", "null", "-")
	first := rcv.expect(t, "viewerConnection", "viewerAttempt", 15*time.Second)
	second := rcv.expect(t, "viewerConnection", "viewerAttempt", 10*time.Second)
	if d := second.ts - first.ts; d < 900 || d > 5000 {
		t.Errorf("viewerAttempt repeated after %d ms while the viewer waits, want about I = 1000 ms", d)
	}

	pub := ffmpeg(ctx, t, "publisher", "-re", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25",
		"-f", "lavfi", "-i", "sine", "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency",
		"-g", "25", "-c:a", "aac", "-f", "flv", rtmp+"show")
	started := rcv.expect(t, "feeds", "started", 15*time.Second)
	fvc := rcv.expect(t, "viewerConnection", "firstViewerConnection", 15*time.Second)
	if fvc.ts < started.ts {
		t.Errorf("firstViewerConnection at %d before feeds started at %d", fvc.ts, started.ts)
	}
	feed := started.ev.(*webhook.FeedsEvent).Data
	if feed.AccountID != acct || feed.Name != "show" || feed.StreamID != acct+"/show" || !feed.Active || !strings.HasPrefix(feed.FeedID, "nginx-") {
		t.Errorf("feeds started data %+v", feed)
	}

	thumb := rcv.expect(t, "thumbnail", "captured", 20*time.Second).ev.(*webhook.ThumbnailEvent)
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(thumb.Image))
	if err != nil || cfg.Width != 320 || cfg.Height != 240 {
		t.Errorf("thumbnail: %v, %dx%d", err, cfg.Width, cfg.Height)
	}
	if thumb.FeedID != feed.FeedID || thumb.StreamID != acct+"/show" {
		t.Errorf("thumbnail headers: feed %q stream %q", thumb.FeedID, thumb.StreamID)
	}

	// The player leaves after its 3 s; the capturer keeps reading the stream, yet
	// noActiveViewers comes: its plays are not counted as viewers.
	if err := player.wait(15 * time.Second); err != nil {
		t.Errorf("player: %v", err)
	}
	rcv.expect(t, "viewerConnection", "noActiveViewers", 10*time.Second)

	pub.stop(t)
	ended := rcv.expect(t, "feeds", "ended", 15*time.Second).ev.(*webhook.FeedsEvent).Data
	if ended.FeedID != feed.FeedID || ended.Active || ended.Ended < ended.Started {
		t.Errorf("feeds ended data %+v", ended)
	}
	media := rcv.expect(t, "media", "completed", 15*time.Second).ev.(*webhook.MediaEvent).Data
	if media.Type != "recording" || media.StreamName != "show" || !strings.HasPrefix(media.MediaAssetID, "show-") {
		t.Errorf("media completed data %+v", media)
	}
	if _, err := os.Stat(filepath.Join(dir, "rec", media.MediaAssetID)); err != nil {
		t.Errorf("the recording named by mediaAssetId: %v", err)
	}
	rec := rcv.expect(t, "recordings", "completed", 15*time.Second).ev.(*webhook.RecordingsEvent).Data
	if rec.RecordFileID != media.MediaAssetID || rec.StreamName != "show" {
		t.Errorf("recordings completed data %+v", rec)
	}
	if n := rcv.count("viewerConnection", "firstViewerConnection"); n != 1 {
		t.Errorf("%d firstViewerConnection, want 1", n)
	}
	t.Logf("received: %s", rcv.summary())
}

// requireMedia finds nginx, its RTMP module and ffmpeg, or skips (fails in CI:
// scripts/install-media-deps.sh installs them).
func requireMedia(t *testing.T) (nginx, module string) {
	t.Helper()
	missing := func(what string) {
		msg := what + " is missing: run scripts/install-media-deps.sh"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		if _, err := os.Stat("/usr/sbin/nginx"); err != nil {
			missing("nginx")
		}
		nginx = "/usr/sbin/nginx"
	}
	for _, m := range []string{"/usr/lib/nginx/modules/ngx_rtmp_module.so", "/usr/share/nginx/modules/ngx_rtmp_module.so"} {
		if _, err := os.Stat(m); err == nil {
			module = m
		}
	}
	if module == "" {
		missing("the nginx RTMP module (libnginx-mod-rtmp)")
	}
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		missing("ffmpeg")
	}
	return nginx, module
}

// startNginx runs nginx in the foreground with an RTMP application "live" that
// notifies hookcast of everything, and waits until it accepts connections.
func startNginx(t *testing.T, bin, module, dir string, port int, notify string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "rec"), 0o755); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf(`load_module %s;
daemon off;
master_process off;
worker_processes 1;
pid %[2]s/nginx.pid;
error_log %[2]s/error.log warn;
events { worker_connections 64; }
rtmp {
    server {
        listen 127.0.0.1:%[3]d;
        application live {
            live on;
            idle_streams on;
            record all;
            record_path %[2]s/rec;
            record_unique on;
            on_publish %[4]s;
            on_play %[4]s;
            on_play_done %[4]s;
            on_publish_done %[4]s;
            on_record_done %[4]s;
        }
    }
}
`, module, dir, port, notify)
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-c", path, "-p", dir+"/", "-e", filepath.Join(dir, "error.log"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start nginx: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Logf("nginx output: %s\nerror.log: %s", out.String(), log)
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			c.Close()
			return
		}
		select {
		case err := <-done:
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx exited: %v: %s %s", err, out.String(), log)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx does not listen on %d: %v", port, err)
		}
	}
}
