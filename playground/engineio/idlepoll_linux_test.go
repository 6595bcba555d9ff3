package engineio

import (
	"log/slog"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"
)

// parked reports how many connections are parked.
func (p *idlePoller) parked() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}

// TestIdlePoller: over real loopback sockets, idle WebSocket connections are held by the idle
// poller with no goroutine each, wake up for their next message, and are noticed when the peer
// goes away while parked; Close ends the poller.
func TestIdlePoller(t *testing.T) {
	defer goleak.VerifyNone(t)
	const n = 40
	ch := countingHandler{closed: make(chan string, n)}
	srv := NewServer(Options{Handler: ch, Logger: slog.New(slog.DiscardHandler), WriteTimeout: time.Second})
	parks := make(chan struct{}, 4*n)
	srv.onIdlePark = func() { parks <- struct{}{} }
	ts := httptest.NewServer(srv)
	defer ts.Close()
	waitParks := func(k int) {
		t.Helper()
		timeout := time.After(10 * time.Second) // a bound on failure, not a wait for success
		for range k {
			select {
			case <-parks:
			case <-timeout:
				t.Fatalf("connections parked: %d, want %d more", srv.idlePoller(false).parked(), k)
			}
		}
	}
	wsURL := "ws" + strings.TrimPrefix(ts.URL, "http") + "/?EIO=4&transport=websocket"
	echo := func(c *websocket.Conn, msg string) {
		t.Helper()
		if err := c.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, got, err := c.ReadMessage()
		if err != nil || string(got) != msg {
			t.Fatalf("echo of %q: got %q, %v", msg, got, err)
		}
	}

	base := runtime.NumGoroutine()
	conns := make([]*websocket.Conn, n)
	for i := range conns {
		c, _, err := websocket.DefaultDialer.Dial(wsURL, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, open, err := c.ReadMessage(); err != nil || open[0] != '0' {
			t.Fatalf("open packet: %q, %v", open, err)
		}
		echo(c, "4first") // the first message: then the reader parks
		conns[i] = c
	}
	waitParks(n)
	if got := srv.idlePoller(false).parked(); got != n {
		t.Fatalf("parked %d connections, want %d", got, n)
	}
	// n idle connections, no reader each: at most the poller and writers finishing up.
	if g := runtime.NumGoroutine(); g > base+n/2 {
		t.Errorf("%d goroutines with %d idle connections (%d before): readers are not parked", g, n, base)
	}

	// A parked connection wakes up for its next message, and stays a reader while busy.
	for _, c := range conns {
		echo(c, "4second")
		echo(c, "4third")
	}
	// A pong parks it again (the server's ping is not needed: the reader only looks at the type).
	for _, c := range conns {
		if err := c.WriteMessage(websocket.TextMessage, []byte("3")); err != nil {
			t.Fatal(err)
		}
	}
	waitParks(n)

	// The peer goes away while parked: the session closes ("transport close" or "transport error").
	conns[0].Close()
	select {
	case reason := <-ch.closed:
		if reason != ReasonTransportClose && reason != ReasonTransportError {
			t.Errorf("closed with %q", reason)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a parked connection whose peer left was not closed")
	}

	// Close closes the parked connections (close frame, then the peer's answer wakes them) and
	// ends the poller (goleak).
	srv.Close()
	for _, c := range conns[1:] {
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if code, _ := readUntilClose(c); code != websocket.CloseGoingAway {
			t.Errorf("close code %d, want %d", code, websocket.CloseGoingAway)
		}
	}
}
