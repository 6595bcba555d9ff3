package socketio

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

type recWorld struct {
	srv     *Server
	socks   chan *Socket
	mwRuns  int
	reasons []string
}

func newRecWorld(t *testing.T, ro RecoveryOptions) *recWorld {
	w := &recWorld{socks: make(chan *Socket, 4)}
	w.srv = newTestServer(t, Options{Recovery: &ro})
	w.srv.Use(func(s *Socket, next func(error)) { w.mwRuns++; next(nil) })
	w.srv.OnConnection(func(s *Socket) {
		s.OnDisconnect(func(r string) { w.reasons = append(w.reasons, r) })
		w.socks <- s
	})
	return w
}

// connectReply parses a CONNECT reply with recovery on.
func connectReply(t *testing.T, text string) (sid, pid string) {
	t.Helper()
	var v map[string]string
	if !strings.HasPrefix(text, "0{") || json.Unmarshal([]byte(text[1:]), &v) != nil || v["sid"] == "" || v["pid"] == "" {
		t.Fatalf("got %q, want 0{\"sid\":...,\"pid\":...}", text)
	}
	return v["sid"], v["pid"]
}

// lastOffset returns the offset appended to an event packet.
func lastOffset(t *testing.T, text string) string {
	t.Helper()
	i := strings.LastIndex(text, `,"`)
	if i < 0 || !strings.HasSuffix(text, `"]`) {
		t.Fatalf("no offset in %q", text)
	}
	return text[i+2 : len(text)-2]
}

func TestRecovery(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newRecWorld(t, RecoveryOptions{MaxDisconnectionDuration: 5 * time.Second})
		a := dial(t, w.srv)
		a.send("0")
		sid, pid := connectReply(t, a.take()[0])
		s := <-w.socks
		s.Join("R")
		s.Set("name", "ada")
		s.Emit("hello", "first")
		hello := a.take()
		if len(hello) != 1 || !strings.HasPrefix(hello[0], `2["hello","first","`) {
			t.Fatalf("got %q, want hello with an offset", hello)
		}
		offset := lastOffset(t, hello[0])

		a.Close("transport close")
		if want := []string{"transport close"}; !slices.Equal(w.reasons, want) {
			t.Errorf("got reasons %q, want %q", w.reasons, want)
		}
		for i := range 20 {
			w.srv.To("R").Emit("room", i)
		}
		for i := range 5 {
			w.srv.To(sid).Emit("direct", i)
		}
		w.srv.Volatile().To("R").Emit("volatile")
		w.srv.To("other").Emit("not for a")

		b := dial(t, w.srv)
		b.send(fmt.Sprintf(`0{"pid":%q,"offset":%q,"token":"x"}`, pid, offset))
		got := b.take()
		if len(got) != 26 {
			t.Fatalf("got %d packets %q, want 25 missed and CONNECT", len(got), got)
		}
		for i := range 20 {
			if want := fmt.Sprintf(`2["room",%d,`, i); !strings.HasPrefix(got[i], want) {
				t.Errorf("packet %d: got %q, want prefix %q", i, got[i], want)
			}
		}
		for i := range 5 {
			if want := fmt.Sprintf(`2["direct",%d,`, i); !strings.HasPrefix(got[20+i], want) {
				t.Errorf("packet %d: got %q, want prefix %q", 20+i, got[20+i], want)
			}
		}
		sid2, pid2 := connectReply(t, got[25])
		if sid2 != sid || pid2 != pid {
			t.Errorf("got sid %q pid %q, want the same %q %q", sid2, pid2, sid, pid)
		}
		s2 := <-w.socks
		if !s2.Recovered() {
			t.Error("Recovered() = false")
		}
		if got, want := s2.Rooms(), []string{sid, "R"}; !slices.Equal(got, want) { // as joined, like socket.rooms
			t.Errorf("got rooms %q, want %q", got, want)
		}
		if v, _ := s2.Get("name"); v != "ada" {
			t.Errorf("got data %v, want ada", v)
		}
		if w.mwRuns != 2 {
			t.Errorf("middleware ran %d times, want 2 (SkipMiddlewares false)", w.mwRuns)
		}

		// The pid is used up: a second reconnect with it starts afresh.
		c := dial(t, w.srv)
		c.send(fmt.Sprintf(`0{"pid":%q,"offset":%q}`, pid, offset))
		if sid3, _ := connectReply(t, c.take()[0]); sid3 == sid {
			t.Error("a pid recovered twice")
		}
	})
}

func TestRecoveryRefused(t *testing.T) {
	tests := []struct {
		name string
		ro   RecoveryOptions
		drop func(p *peer, s *Socket)
		gap  func(srv *Server)
		pid  func(pid string) string
	}{
		{"after a kick", RecoveryOptions{}, func(p *peer, s *Socket) { s.Disconnect(false) }, nil, nil},
		{"client namespace disconnect", RecoveryOptions{}, func(p *peer, s *Socket) { p.send("1") }, nil, nil},
		{"expired", RecoveryOptions{MaxDisconnectionDuration: 5 * time.Second}, func(p *peer, s *Socket) { p.Close("ping timeout") },
			func(*Server) { time.Sleep(6 * time.Second) }, nil},
		{"unknown pid", RecoveryOptions{}, func(p *peer, s *Socket) { p.Close("transport close") }, nil,
			func(string) string { return "nope" }},
		{"buffer overflow", RecoveryOptions{MaxPackets: 10}, func(p *peer, s *Socket) { p.Close("transport close") },
			func(srv *Server) {
				for range 11 {
					srv.Emit("x")
				}
			}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := newRecWorld(t, tt.ro)
				a := dial(t, w.srv)
				a.send("0")
				sid, pid := connectReply(t, a.take()[0])
				s := <-w.socks
				s.Emit("hello")
				offset := lastOffset(t, a.take()[0])
				tt.drop(a, s)
				if tt.gap != nil {
					tt.gap(w.srv)
				}
				if tt.pid != nil {
					pid = tt.pid(pid)
				}
				b := dial(t, w.srv)
				b.send(fmt.Sprintf(`0{"pid":%q,"offset":%q}`, pid, offset))
				got := b.take()
				if len(got) != 1 {
					t.Fatalf("got %q, want only a CONNECT reply", got)
				}
				if sid2, _ := connectReply(t, got[0]); sid2 == sid {
					t.Error("session recovered, want a fresh one")
				}
				if s2 := <-w.socks; s2.Recovered() {
					t.Error("Recovered() = true")
				}
			})
		})
	}
}

func TestRecoverySkipMiddlewares(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newRecWorld(t, RecoveryOptions{SkipMiddlewares: true})
		a := dial(t, w.srv)
		a.send("0")
		_, pid := connectReply(t, a.take()[0])
		s := <-w.socks
		s.Emit("hello")
		offset := lastOffset(t, a.take()[0])
		a.Close("transport error")
		b := dial(t, w.srv)
		b.send(fmt.Sprintf(`0{"pid":%q,"offset":%q}`, pid, offset))
		<-w.socks
		if w.mwRuns != 1 {
			t.Errorf("middleware ran %d times, want 1", w.mwRuns)
		}
	})
}

func TestRecoveryAckedNotStored(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newRecWorld(t, RecoveryOptions{})
		a := dial(t, w.srv)
		a.send("0")
		connectReply(t, a.take()[0])
		<-w.socks
		w.srv.Volatile().Emit("v")
		if got, want := a.take(), []string{`2["v"]`}; !slices.Equal(got, want) {
			t.Errorf("volatile: got %q, want %q (no offset)", got, want)
		}
		ns := w.srv.Of("/")
		ns.rec.mu.Lock()
		n := len(ns.rec.packets) - ns.rec.head
		ns.rec.mu.Unlock()
		if n != 0 {
			t.Errorf("got %d stored packets, want 0", n)
		}
	})
}

func TestRecoverySkipMiddlewaresPerNamespace(t *testing.T) {
	tests := []struct {
		name     string
		global   bool
		override func(ns *Namespace)
		wantRuns int
	}{
		{"global skip", true, nil, 1},
		{"global run", false, nil, 2},
		{"namespace forces run", true, func(ns *Namespace) { ns.RecoverySkipMiddlewares(false) }, 2},
		{"namespace forces skip", false, func(ns *Namespace) { ns.RecoverySkipMiddlewares(true) }, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := newRecWorld(t, RecoveryOptions{SkipMiddlewares: tt.global})
				if tt.override != nil {
					tt.override(w.srv.Of("/"))
				}
				a := dial(t, w.srv)
				a.send("0")
				_, pid := connectReply(t, a.take()[0])
				s := <-w.socks
				s.Emit("hello")
				offset := lastOffset(t, a.take()[0])
				a.Close("transport close")
				b := dial(t, w.srv)
				b.send(fmt.Sprintf(`0{"pid":%q,"offset":%q}`, pid, offset))
				if s2 := <-w.socks; !s2.Recovered() {
					t.Error("not recovered")
				}
				if w.mwRuns != tt.wantRuns {
					t.Errorf("middleware ran %d times, want %d", w.mwRuns, tt.wantRuns)
				}
			})
		})
	}
}

func TestRecoverySessionsExpireWithoutTraffic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newRecWorld(t, RecoveryOptions{MaxDisconnectionDuration: 5 * time.Second})
		for range 3 {
			p := dial(t, w.srv)
			p.send("0")
			<-w.socks
			p.Close("transport close")
		}
		rec := w.srv.Of("/").rec
		if n := rec.storedSessions(); n != 3 {
			t.Fatalf("got %d sessions, want 3", n)
		}
		time.Sleep(6 * time.Second)
		if n := rec.storedSessions(); n != 0 {
			t.Errorf("got %d sessions after the window, want 0", n)
		}
	})
}
