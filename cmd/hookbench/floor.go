package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
)

// benchFloor is -mode single without hookcast: in its place a relay that
// stores nothing, hands each ingest request's body to a goroutine that posts
// it to the receiver, and answers. The same load and receiver processes, the
// same two HTTP hops, the same three processes on the machine's cores: run
// alternated with -mode single -rate N, it gives the part of signal → webhook
// latency that no change inside hookcast can remove, as the machine is at that
// moment (docs/PERFORMANCE.md).
func benchFloor(ctx context.Context, o options, out io.Writer) error {
	recv, recvURL, err := receiverRole(ctx)
	if err != nil {
		return err
	}
	defer recv.close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fwd := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		go func() {
			resp, err := fwd.Post(recvURL, "application/json", bytes.NewReader(body))
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
		_, _ = io.WriteString(w, `{"status":"success","data":{"accepted":1,"events":1}}`)
	})}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	fmt.Fprintln(out, "floor: a relay in hookcast's place (nothing stored)")
	return singleLoad(ctx, o, out, recv, "http://"+ln.Addr().String(), "floor", "relay")
}
