package playground

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"socketlab/playground/engineio"
	"socketlab/playground/socketio"
	"socketlab/playground/socketio/sandbox"
	"socketlab/playground/wsclient"
)

// benchJS is the JavaScript twin of the bench server's echo and fan-out handlers.
const benchJS = `io.on("connection", (socket) => {
  socket.on("echo", (...args) => args.pop()(...args));
  socket.on("chat", (msg) => io.emit("chat", msg));
});`

// newEchoHub serves a hub whose handlers are Go ("go") or sandboxed JavaScript ("js").
func newEchoHub(b *testing.B, kind string) *httptest.Server {
	hub := NewHub(engineio.Options{MaxQueuePackets: 4096, MaxQueueBytes: 8 << 20}, socketio.Options{RateLimit: -1})
	close := hub.Close
	switch kind {
	case "go":
		io := hub.IO
		io.OnConnection(func(s *socketio.Socket) {
			s.On("echo", func(e *socketio.Event) { _ = e.Ack(e.Values()...) })
			s.On("chat", func(e *socketio.Event) { _ = io.Emit("chat", e.Args[0]) })
		})
	case "js":
		d := sandbox.NewDispatcher(hub.IO)
		sb := sandbox.New(d, sandbox.Options{EmitsPerSecond: 1 << 30, QueueSize: 4096})
		if err := sb.Run(benchJS, "bench.js"); err != nil {
			b.Fatal(err)
		}
		d.Replace(sb)
		close = func() { d.Replace(nil); hub.Close() }
	}
	srv := httptest.NewServer(hub)
	b.Cleanup(func() { close(); srv.Close() })
	return srv
}

// benchClients dials n WebSocket clients that count packets and signal every `every`-th.
func benchClients(b *testing.B, srv *httptest.Server, n int) ([]*wsclient.Client, []*atomic.Int64, chan struct{}) {
	var cs []*wsclient.Client
	var counts []*atomic.Int64
	tick := make(chan struct{}, 1024)
	for range n {
		cnt := new(atomic.Int64)
		c, err := wsclient.Dial(srv.URL, "/socket.io/", nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.ConnectNsp("/", ""); err != nil {
			b.Fatal(err)
		}
		c.SetOnPacket(func(string) {
			cnt.Add(1)
			select {
			case tick <- struct{}{}:
			default:
			}
		})
		cs = append(cs, c)
		counts = append(counts, cnt)
		b.Cleanup(c.Close)
	}
	return cs, counts, tick
}

// BenchmarkHubEcho: events with an ack over a real WebSocket, handled in Go or in the sandbox;
// one op is one event and its ack, pipelined in batches of 128.
func BenchmarkHubEcho(b *testing.B) {
	for _, kind := range []string{"go", "js"} {
		b.Run(kind, func(b *testing.B) {
			srv := newEchoHub(b, kind)
			cs, counts, tick := benchClients(b, srv, 1)
			b.ResetTimer()
			for done := 0; done < b.N; {
				n := min(128, b.N-done)
				want := counts[0].Load() + int64(n)
				for i := range n {
					if err := cs[0].Send(fmt.Sprintf(`2%d["echo","hello",{"n":%d}]`, i, i)); err != nil {
						b.Fatal(err)
					}
				}
				for counts[0].Load() < want {
					<-tick
				}
				done += n
			}
		})
	}
}

// BenchmarkHubFanout: one of 20 WebSocket clients sends chat messages that the handler emits to
// all; one op is one message in and 20 out.
func BenchmarkHubFanout(b *testing.B) {
	const peers = 20
	for _, kind := range []string{"go", "js"} {
		b.Run(kind, func(b *testing.B) {
			srv := newEchoHub(b, kind)
			cs, counts, tick := benchClients(b, srv, peers)
			last := counts[peers-1]
			b.ResetTimer()
			for done := 0; done < b.N; {
				n := min(64, b.N-done)
				want := last.Load() + int64(n)
				for range n {
					if err := cs[0].Send(`2["chat","hello everyone"]`); err != nil {
						b.Fatal(err)
					}
				}
				for last.Load() < want {
					<-tick
				}
				done += n
			}
		})
	}
}

// BenchmarkRunCodeLive measures how soon an edited server is live (issue 12 item 9: within 300
// ms of Run on loopback): three raw WebSocket clients are connected to a demo instance; one op
// is RunCode with a new program, the clients reconnecting as soon as the old server closes their
// connection, until all three are connected again and have each received the new program's
// first packet. ms/op is that time.
func BenchmarkRunCodeLive(b *testing.B) {
	reg := NewRegistry(Options{})
	b.Cleanup(reg.Close)
	in, err := reg.Open(Spec{Demo: "chat", Setup: KindOf("chat").Setup})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(in)
	b.Cleanup(srv.Close)
	connect := func() *wsclient.Client {
		c, err := wsclient.Dial(srv.URL, "/socket.io/", nil)
		if err != nil {
			b.Fatal(err)
		}
		if p, err := c.ConnectNsp("/", ""); err != nil || !strings.HasPrefix(p, "0{") {
			b.Fatalf("connect: %q %v", p, err)
		}
		return c
	}
	clients := []*wsclient.Client{connect(), connect(), connect()}
	b.Cleanup(func() {
		for _, c := range clients {
			c.Close()
		}
	})
	var total time.Duration
	for i := 0; b.Loop(); i++ {
		code := fmt.Sprintf("io.on(\"connection\", (socket) => socket.emit(\"gen\", %d));\n", i)
		want := fmt.Sprintf(`2["gen",%d]`, i)
		start := time.Now()
		errs := make(chan error, len(clients))
		var wg sync.WaitGroup
		for j, old := range clients {
			wg.Go(func() {
				for range old.Packets() { // until the old server closes the connection
				}
				old.Close()
				c, err := wsclient.Dial(srv.URL, "/socket.io/", nil)
				if err == nil {
					_, err = c.ConnectNsp("/", "")
				}
				if err == nil {
					_, err = c.WaitFor(want, 5*time.Second)
				}
				if c != nil {
					clients[j] = c
				}
				errs <- err
			})
		}
		if err := in.RunCode(code); err != nil {
			b.Fatal(err)
		}
		wg.Wait()
		total += time.Since(start)
		close(errs)
		for err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/op")
}
