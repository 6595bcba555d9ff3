package socketio

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestConcurrentChurn runs emits, joins, acks and disconnects of many
// clients at once; -race and goleak check the locking.
func TestConcurrentChurn(t *testing.T) {
	srv := newTestServer(t, Options{Recovery: &RecoveryOptions{}, RateLimit: -1})
	srv.OnConnection(func(s *Socket) {
		s.On("join", func(e *Event) {
			s.Join("room")
			e.Ack("ok")
		})
		s.On("say", func(e *Event) { s.To("room").Emit("said", e.Args[0]) })
		s.OnDisconnecting(func(string) { s.Broadcast().Emit("bye") })
	})
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 10 {
				p := dial(t, srv)
				p.send("0")
				p.send(`21["join"]`)
				p.send(fmt.Sprintf(`2["say",%d]`, j))
				if i%2 == 0 {
					for _, s := range srv.In("room").FetchSockets() {
						ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
						s.EmitWithAck(ctx, "q")
						cancel()
					}
				}
				switch j % 3 {
				case 0:
					p.Close("transport close")
				case 1:
					p.send("1")
					p.Close("transport close")
				default:
					srv.In("room").DisconnectSockets(j%2 == 0)
					p.Close("transport close")
				}
			}
		}()
	}
	wg.Wait()
	if n := len(srv.FetchSockets()); n != 0 {
		t.Errorf("got %d sockets left, want 0", n)
	}
	ns := srv.Of("/")
	ns.mu.Lock()
	rooms := len(ns.rooms)
	ns.mu.Unlock()
	if rooms != 0 {
		t.Errorf("got %d rooms left, want 0", rooms)
	}
	srv.mu.Lock()
	clients := len(srv.clients)
	srv.mu.Unlock()
	if clients != 0 {
		t.Errorf("got %d clients left, want 0", clients)
	}
}

type nopConn struct{}

func (nopConn) Send(*Packet) error { return nil }
func (nopConn) Close(string)       {}
func (nopConn) Transport() string  { return "websocket" }

// BenchmarkBroadcast measures one io.to(room).emit to 1000 sockets
// (deliveries = b.N × 1000).
func BenchmarkBroadcast(b *testing.B) {
	for _, n := range []int{10, 1000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			srv := NewServer(Options{})
			defer srv.Close()
			srv.OnConnection(func(s *Socket) { s.Join("room") })
			for range n {
				srv.Accept(nopConn{}, Handshake{}).OnText([]byte("0"))
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				srv.To("room").Emit("tick", 42, "hello")
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "deliveries/s")
		})
	}
}

func BenchmarkDecodeEvent(b *testing.B) {
	in := []byte(`2/chat,12["message",{"user":"ada","text":"hello, world","n":[1,2,3]},true]`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodePacket(in, 10); err != nil {
			b.Fatal(err)
		}
	}
}

// slowConn closes itself from inside Send, as a transport may do when its
// queue is full.
type slowConn struct {
	mu     sync.Mutex
	full   bool
	client *Client
}

func (c *slowConn) Send(*Packet) error {
	c.mu.Lock()
	full, cl := c.full, c.client
	c.mu.Unlock()
	if full {
		cl.Closed("slow")
		return errFakeClosed
	}
	return nil
}
func (c *slowConn) Close(string)      {}
func (c *slowConn) Transport() string { return "websocket" }

func TestCloseFromInsideSend(t *testing.T) {
	srv := newTestServer(t, Options{})
	reasons := make(chan string, 2)
	srv.OnConnection(func(s *Socket) {
		s.Join("room")
		s.OnDisconnect(func(r string) { reasons <- r })
	})
	slow := &slowConn{}
	c := srv.Accept(slow, Handshake{})
	slow.client = c
	c.OnText([]byte("0"))
	ok := dial(t, srv)
	ok.connect("/")
	slow.mu.Lock()
	slow.full = true
	slow.mu.Unlock()
	if err := srv.To("room").Emit("x"); err != nil { // must not deadlock
		t.Fatal(err)
	}
	if r := <-reasons; r != "slow" {
		t.Errorf("got reason %q, want %q", r, "slow")
	}
	if got := ok.take(); len(got) != 1 {
		t.Errorf("healthy client got %q, want the event", got)
	}
}
