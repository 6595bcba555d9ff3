package sandbox

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"

	"socketlab/playground/socketio"
)

// counter is a fake connection that counts packets and signals when a target is reached.
type counter struct {
	n      atomic.Int64
	target atomic.Int64
	done   chan struct{}
}

func (c *counter) Send(*socketio.Packet) error {
	if c.n.Add(1) == c.target.Load() {
		c.done <- struct{}{}
	}
	return nil
}
func (c *counter) Close(string)      {}
func (c *counter) Transport() string { return "websocket" }

// expectPackets arms the counter for n more packets.
func (c *counter) expectPackets(n int64) { c.target.Store(c.n.Load() + n) }

type benchServer struct {
	io    *socketio.Server
	stop  func()
	kind  string
	peers []*socketio.Client
	cs    []*counter
}

const echoJS = `io.on("connection", (socket) => {
  socket.on("echo", (...args) => args.pop()(...args));
  socket.on("chat", (msg) => io.emit("chat", msg));
});`

func goHandlers(io *socketio.Server) {
	io.OnConnection(func(s *socketio.Socket) {
		s.On("echo", func(e *socketio.Event) { _ = e.Ack(e.Values()...) })
		s.On("chat", func(e *socketio.Event) { _ = io.Emit("chat", e.Args[0]) })
	})
}

func newBenchServer(b *testing.B, kind string, peers int) *benchServer {
	io := socketio.NewServer(socketio.Options{RateLimit: -1})
	bs := &benchServer{io: io, kind: kind}
	switch kind {
	case "go":
		goHandlers(io)
		bs.stop = io.Close
	case "js":
		d := NewDispatcher(io)
		sb := New(d, Options{EmitsPerSecond: 1 << 30, QueueSize: 4096})
		if err := sb.Run(echoJS, "bench.js"); err != nil {
			b.Fatal(err)
		}
		d.Replace(sb)
		bs.stop = func() { d.Replace(nil); io.Close() }
	}
	for range peers {
		c := &counter{done: make(chan struct{}, 1)}
		cl := io.Accept(c, socketio.Handshake{Address: "127.0.0.1"})
		c.expectPackets(1)
		cl.OnText([]byte("0"))
		<-c.done
		bs.peers = append(bs.peers, cl)
		bs.cs = append(bs.cs, c)
	}
	return bs
}

// BenchmarkEcho: one client sends events with an ack in batches of 256; the handler acks its
// arguments back. One op is one event in and its ack out.
func BenchmarkEcho(b *testing.B) {
	for _, kind := range []string{"go", "js"} {
		b.Run(kind, func(b *testing.B) {
			bs := newBenchServer(b, kind, 1)
			defer bs.stop()
			cl, c := bs.peers[0], bs.cs[0]
			msgs := make([][]byte, 256)
			for i := range msgs {
				msgs[i] = fmt.Appendf(nil, `2%d["echo","hello",{"n":%d}]`, i, i)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for done := 0; done < b.N; {
				n := min(256, b.N-done)
				c.expectPackets(int64(n))
				for i := range n {
					cl.OnText(msgs[i])
				}
				<-c.done
				done += n
			}
		})
	}
}

// BenchmarkFanout: one of 100 clients sends a chat message that the handler emits to all; one
// op is one event in and 100 packets out.
func BenchmarkFanout(b *testing.B) {
	const peers = 100
	for _, kind := range []string{"go", "js"} {
		b.Run(kind, func(b *testing.B) {
			bs := newBenchServer(b, kind, peers)
			defer bs.stop()
			last := bs.cs[peers-1]
			msg := []byte(`2["chat","hello everyone"]`)
			b.ReportAllocs()
			b.ResetTimer()
			for done := 0; done < b.N; {
				n := min(64, b.N-done)
				last.expectPackets(int64(n)) // every peer gets every message; the last one is counted
				for range n {
					bs.peers[0].OnText(msg)
				}
				<-last.done
				done += n
			}
		})
	}
}

// BenchmarkIdleSandbox reports the heap one idle sandbox running the chat program keeps
// (runtime, facade, loop), measured over 50 sandboxes after GC.
func BenchmarkIdleSandbox(b *testing.B) {
	const n = 50
	for range b.N {
		io := socketio.NewServer(socketio.Options{})
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		sbs := make([]*Sandbox, n)
		for i := range sbs {
			sbs[i] = New(NewDispatcher(io), Options{})
			if err := sbs[i].Run(echoJS, "chat.js"); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heap-B/sandbox")
		for _, sb := range sbs {
			sb.Close()
		}
		io.Close()
	}
}

// BenchmarkRunReplace: compile and run a program and make it current in place of the previous
// one (the server side of the editor's Run button, before clients reconnect).
func BenchmarkRunReplace(b *testing.B) {
	io := socketio.NewServer(socketio.Options{})
	defer io.Close()
	d := NewDispatcher(io)
	defer d.Replace(nil)
	b.ReportAllocs()
	for range b.N {
		sb := New(d, Options{})
		if err := sb.Run(echoJS, "chat.js"); err != nil {
			b.Fatal(err)
		}
		d.Replace(sb)
	}
}
