package socketio

import (
	"bytes"
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"
)

func TestTap(t *testing.T) {
	srv := newTestServer(t, Options{})
	events, cancel := srv.Observe(64)
	defer cancel()
	var sock *Socket
	srv.Use(func(s *Socket, next func(error)) { next(nil) })
	srv.OnConnection(func(s *Socket) {
		sock = s
		s.On("say", func(e *Event) {
			s.To("lobby").Emit("said", e.Args[0])
			e.Ack("ok")
		})
	})
	a, b := dial(t, srv), dial(t, srv)
	a.connect("/")
	aSock := sock
	b.connect("/")
	bSock := sock
	aSock.Join("lobby")
	bSock.Join("lobby")
	b.send(`21["say","hi"]`)
	b.Close("transport close")

	var kinds []TapKind
	var out TapEvent
	for len(events) > 0 {
		ev := <-events
		kinds = append(kinds, ev.Kind)
		if ev.Kind == TapEventOut {
			out = *ev
		}
		if ev.Kind == TapDisconnect && ev.Reason != "transport close" {
			t.Errorf("got reason %q, want %q", ev.Reason, "transport close")
		}
	}
	want := []TapKind{
		TapMiddleware, TapConnect, TapMiddleware, TapConnect, TapJoin, TapJoin,
		TapEventIn, TapEventOut, TapAckOut, TapLeave, TapDisconnect,
	}
	if !slices.Equal(kinds, want) {
		t.Errorf("got %q, want %q", kinds, want)
	}
	if out.Socket != bSock.ID() || out.Event != "said" || !slices.Equal(out.Recipients, []string{aSock.ID()}) ||
		!slices.Equal(out.Rooms, []string{"lobby"}) || !slices.Equal(out.Except, []string{bSock.ID()}) || out.Scope != "rooms" {
		t.Errorf("got event_out %+v", out)
	}
}

func TestTapDropsFullObserver(t *testing.T) {
	srv := newTestServer(t, Options{})
	events, cancel := srv.Observe(1)
	defer cancel()
	p := dial(t, srv)
	p.connect("/")
	p.send("0/nope,") // connect_error
	srv.Emit("x")
	n := 0
	for range events { // closed when dropped
		n++
	}
	if n != 1 {
		t.Errorf("got %d events before the drop, want 1", n)
	}
	cancel() // after a drop: no panic
	srv.Emit("y")
}

func TestLogs(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	srv := newTestServer(t, Options{Logger: log})
	p := dial(t, srv)
	p.send(`0{"token":"secret-token"}`)
	p.Close("transport close")
	out := buf.String()
	for _, want := range []string{`msg="a user connected" nsp=/`, "transport=websocket", `msg="user disconnected"`, `reason="transport close"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log %q lacks %q", out, want)
		}
	}
	if strings.Contains(out, "secret-token") {
		t.Error("token logged")
	}
	if srv.log.Enabled(context.Background(), slog.LevelDebug) {
		t.Error("debug enabled at info level")
	}
}

// TestLogsRoomsAndMiddleware: joins and leaves of named rooms are records of the proof-of-life log
// at Info (the socket's own room is not announced); a middleware refusal is a Debug record.
func TestLogsRoomsAndMiddleware(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := newTestServer(t, Options{Logger: log})
	var sock *Socket
	srv.OnConnection(func(s *Socket) { sock = s })
	srv.Of("/admin").Use(func(s *Socket, next func(error)) { next(&ConnectError{Message: "not authorized"}) })
	p := dial(t, srv)
	p.connect("/")
	sock.Join("room-1")
	sock.Leave("room-1")
	p.send("0/admin,")
	out := buf.String()
	for _, want := range []string{
		`level=INFO msg="joined room" nsp=/ sid=` + sock.ID() + ` room=room-1`,
		`level=INFO msg="left room" nsp=/ sid=` + sock.ID() + ` room=room-1`,
		`level=DEBUG msg="middleware refused a connection" nsp=/admin err="not authorized"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "room="+sock.ID()) {
		t.Errorf("the socket's own room is logged:\n%s", out)
	}
}

// TestTapOneObserver: a hub has one observer at a time (the fan-out to a demo's listeners is
// playground/stream's); once it is cancelled, or dropped, another may observe.
func TestTapOneObserver(t *testing.T) {
	srv := newTestServer(t, Options{})
	_, cancel := srv.Observe(4)
	func() {
		defer func() {
			if recover() == nil {
				t.Error("a second Observe while the first is set did not panic")
			}
		}()
		srv.Observe(4)
	}()
	cancel()
	events, cancel := srv.Observe(4)
	defer cancel()
	p := dial(t, srv)
	p.connect("/")
	if ev := <-events; ev.Kind != TapMiddleware && ev.Kind != TapConnect {
		t.Errorf("the new observer got %q first, want the connect", ev.Kind)
	}
}

// TestTapUnhandled: an event nobody listens for is marked in the tap, so a demo can say why
// nothing happened ("nobody on / listens for order").
func TestTapUnhandled(t *testing.T) {
	for _, tc := range []struct {
		name      string
		setup     func(s *Socket)
		unhandled bool
	}{
		{"no listener", func(s *Socket) { s.On("other", func(*Event) {}) }, true},
		{"a listener", func(s *Socket) { s.On("order", func(*Event) {}) }, false},
		{"onAny only", func(s *Socket) { s.OnAny(func(*Event) {}) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newTestServer(t, Options{})
			events, cancel := srv.Observe(64)
			defer cancel()
			srv.OnConnection(tc.setup)
			c := dial(t, srv)
			c.connect("/")
			c.send(`2["order","tea"]`)
			c.Close("transport close")
			var in *TapEvent
			for len(events) > 0 {
				if ev := <-events; ev.Kind == TapEventIn {
					in = ev
				}
			}
			if in == nil || in.Event != "order" {
				t.Fatalf("got event_in %+v, want one for order", in)
			}
			if in.Unhandled != tc.unhandled {
				t.Errorf("got Unhandled %v, want %v", in.Unhandled, tc.unhandled)
			}
		})
	}
}
