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
	startNginx(t, nginxBin, module, dir, port, base+"/api/ingest/nginx-rtmp?token="+ingestToken, true)
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

// TestE2ENginxRTMPIdleStreamsOff is issue 12's race with a real nginx: with
// idle_streams off, nginx closes a stream's players when its publisher leaves, and
// their play_done races the publish_done. With &idle_streams=off on the URL no
// viewerAttempt may come of it (nobody is waiting, an encoder started on it would
// run for nobody), in several trials, whichever notification lands first.
//
//	publisher starts, a player reads → feeds started, firstViewerConnection
//	publisher stops, nginx closes the player → feeds ended, noActiveViewers after D
func TestE2ENginxRTMPIdleStreamsOff(t *testing.T) {
	nginxBin, module := requireMedia(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	const ingestToken = "ingest-token-0123456789"
	port := freePort(t)
	rtmp := fmt.Sprintf("rtmp://127.0.0.1:%d/live/", port)
	srv, err := server.New(ctx, server.Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(),
		AdminToken: "admin-token-0123456789", IngestToken: ingestToken,
		ViewerAttemptInterval: time.Second, NoViewersDelay: 2 * time.Second,
		AllowPrivateTargets: true, LogLevel: "error"}, "test", io.Discard)
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
	api.do(t, "POST", "/api/webhooks", map[string]any{"url": rcv.URL, "isFeedHooks": true, "isViewerConnectionHooks": true}, &hook)
	rcv.setSecret(hook.Secret)
	startNginx(t, nginxBin, module, t.TempDir(), port, base+"/api/ingest/nginx-rtmp?token="+ingestToken+"&idle_streams=off", false)

	const trials = 4
	for i := range trials {
		name := fmt.Sprintf("show%d", i)
		pub := ffmpeg(ctx, t, "publisher "+name, "-re", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=25",
			"-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "25", "-f", "flv", rtmp+name)
		rcv.expect(t, "feeds", "started", 15*time.Second)
		player := ffmpeg(ctx, t, "player "+name, "-i", rtmp+name, "-f", "null", "-")
		rcv.expect(t, "viewerConnection", "firstViewerConnection", 15*time.Second)
		pub.stop(t)
		rcv.expect(t, "feeds", "ended", 15*time.Second)
		// nginx closed the player: ffmpeg ends (with an error: its input vanished).
		if err := player.wait(15 * time.Second); err != nil && strings.Contains(err.Error(), "still running") {
			t.Fatalf("nginx did not close the player: %v", err)
		}
		// D after the player left; a viewerAttempt of the same instant would have
		// been sent before it.
		rcv.expect(t, "viewerConnection", "noActiveViewers", 15*time.Second)
	}
	if n := rcv.count("viewerConnection", "viewerAttempt"); n != 0 {
		t.Errorf("%d viewerAttempt for players nginx closed itself, want none", n)
	}
	if n := rcv.count("viewerConnection", "noActiveViewers"); n != trials {
		t.Errorf("%d noActiveViewers, want %d", n, trials)
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
// notifies hookcast of everything, and waits until it accepts connections. With
// idleStreams false the application has idle_streams off (and records nothing).
func startNginx(t *testing.T, bin, module, dir string, port int, notify string, idleStreams bool) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "rec"), 0o755); err != nil {
		t.Fatal(err)
	}
	app := fmt.Sprintf(`idle_streams on;
            record all;
            record_path %s/rec;
            record_unique on;`, dir)
	if !idleStreams {
		app = "idle_streams off;"
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
            %[5]s
            on_publish %[4]s;
            on_play %[4]s;
            on_play_done %[4]s;
            on_publish_done %[4]s;
            on_record_done %[4]s;
        }
    }
}
`, module, dir, port, notify, app)
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
