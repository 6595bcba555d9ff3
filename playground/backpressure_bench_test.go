package playground

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"socketlab/playground/engineio"
	"socketlab/playground/socketio"
)

// BenchmarkAckBurst: one op is one acknowledged request of a burst sent without waiting for any
// answer (reliability.md §3, outbound queue: the hub reads the client as fast as it reads its
// answers). Every answer is checked, in order; acks/s is the figure.
//
//   - client=go: a raw Go WebSocket client (b.N requests, one writer and one reader goroutine);
//   - client=npm: node/client/burst.js (socket.io-client 4.8.4), b.N requests from one client,
//     against the hub (server=go) and against npm socket.io 4.8.4 (server=npm,
//     node/bench/server.js), on each transport. Use -benchtime 100000x (polling 10000x).
func BenchmarkAckBurst(b *testing.B) {
	b.Run("client=go/server=go/transport=websocket", benchGoAckBurst)
	node, err := exec.LookPath("node")
	if err != nil {
		b.Skipf("the npm client needs node: %v", err)
	}
	for _, server := range []string{"go", "npm"} {
		for _, transport := range []string{"websocket", "polling"} {
			b.Run(fmt.Sprintf("client=npm/server=%s/transport=%s", server, transport), func(b *testing.B) {
				url := benchHub(b)
				if server == "npm" {
					url = npmServer(b, node)
				}
				r := runBurst(b, node, url, transport, 1, b.N)[0]
				if r.Answers != b.N || r.Echoed != b.N || r.Disconnect != nil || string(r.FirstWrong) != "null" {
					b.Fatalf("got %d of %d answers (%d echoed), disconnect %v, first wrong %s",
						r.Answers, b.N, r.Echoed, deref(r.Disconnect), r.FirstWrong)
				}
				b.ReportMetric(float64(b.N)/(r.Ms/1000), "acks/s")
			})
		}
	}
}

// benchHub serves a hub with the test handlers and no rate limit (like npm socket.io).
func benchHub(b *testing.B) string {
	hub := NewHub(engineio.Options{PingInterval: time.Hour, PingTimeout: time.Hour}, socketio.Options{RateLimit: -1})
	testHandlers(hub.IO)
	return serveHub(b, hub)
}

func benchGoAckBurst(b *testing.B) {
	url := "ws" + strings.TrimPrefix(benchHub(b), "http") + "/socket.io/?EIO=4&transport=websocket"
	c, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	if _, open, err := c.ReadMessage(); err != nil || !strings.HasPrefix(string(open), "0{") {
		b.Fatalf("open packet %q: %v", open, err)
	}
	if err := c.WriteMessage(websocket.TextMessage, []byte("40")); err != nil {
		b.Fatal(err)
	}
	if _, reply, err := c.ReadMessage(); err != nil || !strings.HasPrefix(string(reply), "40{") {
		b.Fatalf("CONNECT reply %q: %v", reply, err)
	}
	b.ResetTimer()
	var werr error
	var wg sync.WaitGroup
	wg.Go(func() {
		var buf []byte
		for i := range b.N {
			buf = fmt.Appendf(buf[:0], `42%d["echo",%d]`, i, i)
			if werr = c.WriteMessage(websocket.TextMessage, buf); werr != nil {
				return
			}
		}
	})
	var want []byte
	for i := range b.N {
		_, m, err := c.ReadMessage()
		if err != nil {
			b.Fatalf("answer %d: %v", i, err)
		}
		want = fmt.Appendf(want[:0], `43%d[%d]`, i, i)
		if string(m) != string(want) {
			b.Fatalf("answer %d: got %q, want %q", i, m, want)
		}
	}
	wg.Wait()
	b.StopTimer()
	if werr != nil {
		b.Fatal(werr)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "acks/s")
}

// npmServer starts node/bench/server.js (npm socket.io 4.8.4) on a free loopback port until the
// benchmark ends and returns its URL.
func npmServer(b *testing.B, node string) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close() // server.js listens on it next
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, node, "bench/server.js", strconv.Itoa(port))
	cmd.Dir = filepath.Join("..", "node")
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		cancel()
		cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "listening ") {
		b.Fatalf("node bench/server.js printed %q: %v", line, err)
	}
	return strings.TrimSpace(strings.TrimPrefix(line, "listening "))
}
