package redisadapter

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"socketlab/playground/socketio"
)

// countConn counts the packets delivered to it and signals every want-th one.
type countConn struct {
	n    *atomic.Int64
	want int64
	done chan struct{}
}

func (c countConn) Send(*socketio.Packet) error {
	if c.n.Add(1)%c.want == 0 {
		c.done <- struct{}{}
	}
	return nil
}
func (countConn) Close(string)      {}
func (countConn) Transport() string { return "websocket" }

// BenchmarkRedisFanout: server A emits to a room whose 100 members are on server B, at most 256
// emits in flight; one op is one emit delivered to all 100 through a real redis-server.
func BenchmarkRedisFanout(b *testing.B) {
	rs := startRedis(b)
	mk := func() (*socketio.Server, *Redis) {
		r, err := New(context.Background(), rs.url(), Options{QueueSize: 1 << 16, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		srv := socketio.NewServer(socketio.Options{Adapter: r.Adapter, RateLimit: -1})
		if err := r.Ready(context.Background()); err != nil {
			b.Fatal(err)
		}
		return srv, r
	}
	a, ra := mk()
	bs, rb := mk()
	defer func() { a.Close(); bs.Close(); ra.Close(); rb.Close() }()
	const members = 100
	const window = 256 // emits in flight
	var n atomic.Int64
	done := make(chan struct{}, window+1)
	bs.OnConnection(func(s *socketio.Socket) { _ = s.Join("room") })
	for range members {
		bs.Accept(countConn{n: &n, want: members, done: done}, socketio.Handshake{}).OnText([]byte("0"))
	}
	<-done // the CONNECT replies
	n.Store(0)
	b.ResetTimer()
	start := time.Now()
	sent := 0
	for b.Loop() {
		if sent >= window {
			<-done
		}
		_ = a.To("room").Emit("tick", 42, "hello")
		sent++
	}
	for range min(sent, window) {
		<-done
	}
	b.ReportMetric(float64(b.N*members)/time.Since(start).Seconds(), "deliveries/s")
	if st := ra.Stats(); st.Lost > 0 {
		b.Errorf("lost %d", st.Lost)
	}
}
