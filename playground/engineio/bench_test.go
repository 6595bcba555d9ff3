package engineio

import (
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

type collectHandler struct {
	mu       sync.Mutex
	sessions []*Session
}

func (c *collectHandler) Open(s *Session) SessionHandler {
	c.mu.Lock()
	c.sessions = append(c.sessions, s)
	c.mu.Unlock()
	return nopHandler{}
}

// BenchmarkFanoutWebSocket sends one prepared message to every session over
// real loopback WebSockets; clients (on the same CPUs) read and discard.
// deliveries/s is the number that matters.
func BenchmarkFanoutWebSocket(b *testing.B) {
	for _, clients := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			ch := &collectHandler{}
			srv := NewServer(Options{
				PingInterval: time.Hour, PingTimeout: time.Hour,
				MaxQueuePackets: 1 << 20, MaxQueueBytes: 1 << 30,
				Handler: ch, Logger: slog.New(slog.DiscardHandler),
			})
			ts := httptest.NewServer(srv)
			defer ts.Close()
			defer srv.Close()
			url := "ws" + strings.TrimPrefix(ts.URL, "http") + "/?EIO=4&transport=websocket"
			payload := []byte(`2["tick",{"seq":123456,"room":"class-1"}]`)
			var done sync.WaitGroup
			conns := make([]*websocket.Conn, clients)
			for i := range conns {
				c, _, err := websocket.DefaultDialer.Dial(url, nil)
				if err != nil {
					b.Fatal(err)
				}
				if _, _, err := c.ReadMessage(); err != nil { // open packet
					b.Fatal(err)
				}
				conns[i] = c
			}
			b.ResetTimer()
			for _, c := range conns {
				done.Go(func() {
					for range b.N {
						_, r, err := c.NextReader()
						if err != nil {
							b.Error(err)
							return
						}
						io.Copy(io.Discard, r)
					}
				})
			}
			for range b.N {
				p := Prepare(Message{Data: payload})
				for _, s := range ch.sessions {
					if err := s.SendPrepared(p); err != nil {
						b.Fatal(err)
					}
				}
			}
			done.Wait()
			b.StopTimer()
			b.ReportMetric(float64(b.N*clients)/b.Elapsed().Seconds(), "deliveries/s")
			for _, c := range conns {
				c.Close()
			}
		})
	}
}

// BenchmarkSendPrepared measures the enqueue side alone (per delivery).
func BenchmarkSendPrepared(b *testing.B) {
	srv := NewServer(Options{MaxQueuePackets: 1 << 30, MaxQueueBytes: 1 << 60})
	ss := make([]*Session, 1000)
	for i := range ss {
		ss[i] = newSession(srv, fmt.Sprint(i), httptest.NewRequest("GET", "/", nil), transportPolling)
	}
	p := Prepare(Message{Data: []byte(`2["tick",1]`)})
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		s := ss[i%len(ss)]
		if err := s.SendPrepared(p); err != nil {
			b.Fatal(err)
		}
		if len(s.queue) > 64 {
			s.mu.Lock()
			clear(s.queue)
			s.queue, s.queueBytes = s.queue[:0], 0
			s.mu.Unlock()
		}
	}
}
