package socketio

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// world is a server with sockets A–D on "/" and E on "/x":
// A in r1, B in r1 and r2, C in r2, D in no room, E in r1 of "/x".
type world struct {
	srv   *Server
	peers map[string]*peer
	socks map[string]*Socket
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{srv: newTestServer(t, Options{}), peers: map[string]*peer{}, socks: map[string]*Socket{}}
	var mu sync.Mutex
	byID := map[string]*Socket{}
	record := func(s *Socket) {
		mu.Lock()
		byID[s.ID()] = s
		mu.Unlock()
	}
	w.srv.OnConnection(record)
	w.srv.Of("/x").OnConnection(record)
	rooms := map[string][]string{"A": {"r1"}, "B": {"r1", "r2"}, "C": {"r2"}, "D": nil, "E": {"r1"}}
	for _, name := range []string{"A", "B", "C", "D", "E"} {
		p := dial(t, w.srv)
		nsp := "/"
		if name == "E" {
			nsp = "/x"
		}
		id := p.connect(nsp)
		w.peers[name] = p
		w.socks[name] = byID[id]
		if err := byID[id].Join(rooms[name]...); err != nil {
			t.Fatalf("Join: %v", err)
		}
	}
	return w
}

// received returns the names of the peers that got event ev since the
// last call.
func (w *world) received(ev string) []string {
	var out []string
	for name, p := range w.peers {
		for _, text := range p.take() {
			if strings.Contains(text, `["`+ev+`"`) {
				out = append(out, name)
			}
		}
	}
	slices.Sort(out)
	return out
}

// TestRecipients is protocol.md §3.1, row by row.
func TestRecipients(t *testing.T) {
	tests := []struct {
		name string
		emit func(w *world) error
		want []string
	}{
		{"io.emit", func(w *world) error { return w.srv.Emit("ev") }, []string{"A", "B", "C", "D"}},
		{"nsp.emit", func(w *world) error { return w.srv.Of("/x").Emit("ev") }, []string{"E"}},
		{"socket.emit", func(w *world) error { return w.socks["A"].Emit("ev") }, []string{"A"}},
		{"socket.broadcast.emit", func(w *world) error { return w.socks["A"].Broadcast().Emit("ev") }, []string{"B", "C", "D"}},
		{"io.to(r).emit", func(w *world) error { return w.srv.To("r1").Emit("ev") }, []string{"A", "B"}},
		{"io.in(r).emit", func(w *world) error { return w.srv.In("r1").Emit("ev") }, []string{"A", "B"}},
		{"socket.to(r).emit", func(w *world) error { return w.socks["A"].To("r1").Emit("ev") }, []string{"B"}},
		{"io.except(r).emit", func(w *world) error { return w.srv.Except("r1").Emit("ev") }, []string{"C", "D"}},
		{"io.to(a).to(b)", func(w *world) error { return w.srv.To("r1").To("r2").Emit("ev") }, []string{"A", "B", "C"}},
		{"io.to([a,b])", func(w *world) error { return w.srv.To("r1", "r2").Emit("ev") }, []string{"A", "B", "C"}},
		{"io.to(b).except(a)", func(w *world) error { return w.srv.To("r2").Except("r1").Emit("ev") }, []string{"C"}},
		{"except first", func(w *world) error { return w.srv.Except("r1").To("r2").Emit("ev") }, []string{"C"}},
		{"io.to(socketId)", func(w *world) error { return w.srv.To(w.socks["C"].ID()).Emit("ev") }, []string{"C"}},
		{"socket.to(socket.id)", func(w *world) error { return w.socks["C"].To(w.socks["C"].ID()).Emit("ev") }, nil},
		{"io.to(unknown)", func(w *world) error { return w.srv.To("unknown").Emit("ev") }, nil},
		{"room names per namespace", func(w *world) error { return w.srv.Of("/x").To("r2").Emit("ev") }, nil},
		{"chained modifiers", func(w *world) error {
			return w.socks["B"].Volatile().To("r1").To("r2").Except(w.socks["C"].ID()).Emit("ev")
		}, []string{"A"}},
		{"socket.except", func(w *world) error { return w.socks["D"].Except("r2").Emit("ev") }, []string{"A"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			if err := tt.emit(w); err != nil {
				t.Fatalf("emit: %v", err)
			}
			if diff := cmp.Diff(tt.want, w.received("ev")); diff != "" {
				t.Errorf("recipients (-want +got):\n%s", diff)
			}
		})
	}
}

// TestBroadcastOnlyOnSocket: as in socket.io, "everyone but the sender" needs a sender, so
// Broadcast is a method of a socket (and of its emitter) and of nothing that io, a namespace or a
// room selection returns (lesson 4: there is no io.broadcast).
func TestBroadcastOnlyOnSocket(t *testing.T) {
	tests := []struct {
		typ  reflect.Type
		want bool
	}{
		{reflect.TypeFor[*Socket](), true},
		{reflect.TypeFor[*SocketEmitter](), true},
		{reflect.TypeFor[*Server](), false},
		{reflect.TypeFor[*Namespace](), false},
		{reflect.TypeFor[*Operator](), false},
	}
	for _, tt := range tests {
		if _, got := tt.typ.MethodByName("Broadcast"); got != tt.want {
			t.Errorf("%v has a Broadcast method: %v, want %v", tt.typ, got, tt.want)
		}
	}
}

func TestEmitEncodesOnce(t *testing.T) {
	w := newWorld(t)
	if err := w.srv.Emit("ev", "x"); err != nil {
		t.Fatal(err)
	}
	var first *Packet
	for _, name := range []string{"A", "B", "C", "D"} {
		ps := w.peers[name].takePackets()
		if len(ps) != 1 {
			t.Fatalf("%s got %d packets, want 1", name, len(ps))
		}
		if first == nil {
			first = ps[0]
		} else if ps[0] != first {
			t.Errorf("%s got a different *Packet", name)
		}
	}
	if got, want := first.Text, `2["ev","x"]`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestRoomsLifecycle(t *testing.T) {
	srv := newTestServer(t, Options{})
	var seen []string
	var mu sync.Mutex
	log := func(s string) { mu.Lock(); seen = append(seen, s); mu.Unlock() }
	var sock *Socket
	srv.OnConnection(func(s *Socket) {
		sock = s
		if got, want := s.Rooms(), []string{s.ID()}; !slices.Equal(got, want) {
			t.Errorf("rooms on connect: got %q, want %q", got, want)
		}
		s.OnDisconnecting(func(reason string) { log(fmt.Sprintf("disconnecting %s %d", reason, len(s.Rooms()))) })
		s.OnDisconnect(func(reason string) { log(fmt.Sprintf("disconnect %s %d", reason, len(s.Rooms()))) })
	})
	p := dial(t, srv)
	p.connect("/")
	if err := sock.Join("a", "b"); err != nil {
		t.Fatal(err)
	}
	sock.Join("a") // no duplicate
	if got := len(srv.To("a").FetchSockets()); got != 1 {
		t.Errorf("got %d sockets in a, want 1", got)
	}
	sock.Leave("b")
	p.Close("transport close")
	want := []string{"disconnecting transport close 2", "disconnect transport close 0"}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	ns := srv.Of("/")
	ns.mu.Lock()
	rooms, socks := len(ns.rooms), len(ns.sockets)
	ns.mu.Unlock()
	if rooms != 0 || socks != 0 {
		t.Errorf("got %d rooms and %d sockets left, want none", rooms, socks)
	}
	if err := sock.Join("late"); !errors.Is(err, ErrDisconnected) {
		t.Errorf("join after disconnect: got %v, want %v", err, ErrDisconnected)
	}
}

func TestRoomLimit(t *testing.T) {
	srv := newTestServer(t, Options{})
	srv.OnConnection(func(s *Socket) {
		s.On("join", func(e *Event) {
			var room string
			if err := e.Decode(0, &room); err != nil {
				e.AckError(err)
				return
			}
			if err := s.Join(room); err != nil {
				e.AckError(err)
				return
			}
			e.Ack("ok")
		})
	})
	p := dial(t, srv)
	p.connect("/")
	for i := range 33 {
		p.send(fmt.Sprintf(`2%d["join","room-%d"]`, i, i))
	}
	got := p.take()
	if len(got) != 33 {
		t.Fatalf("got %d replies, want 33", len(got))
	}
	if want := `331["ok"]`; got[31] != want {
		t.Errorf("32nd join: got %q, want %q", got[31], want)
	}
	if want := `332[{"error":"limit exceeded"}]`; got[32] != want {
		t.Errorf("33rd join: got %q, want %q", got[32], want)
	}
	for _, name := range []string{"", strings.Repeat("r", 256)} {
		s := srv.FetchSockets()[0]
		if err := s.Join(name); !errors.Is(err, ErrInvalidName) {
			t.Errorf("Join(%d bytes): got %v, want %v", len(name), err, ErrInvalidName)
		}
	}
}

func TestFetchSocketsJoinLeaveDisconnect(t *testing.T) {
	w := newWorld(t)
	if got := len(w.srv.FetchSockets()); got != 4 {
		t.Errorf("got %d sockets, want 4", got)
	}
	w.srv.In("r2").SocketsJoin("r3")
	if got := len(w.srv.In("r3").FetchSockets()); got != 2 {
		t.Errorf("got %d sockets in r3, want 2", got)
	}
	w.srv.SocketsLeave("r3")
	if got := len(w.srv.In("r3").FetchSockets()); got != 0 {
		t.Errorf("got %d sockets in r3, want 0", got)
	}
	w.srv.In("r1").DisconnectSockets(false)
	if got := w.peers["A"].take(); !slices.Equal(got, []string{"1"}) {
		t.Errorf("A got %q, want [\"1\"]", got)
	}
	if closed, _ := w.peers["A"].isClosed(); closed {
		t.Error("A's connection closed, want it open")
	}
	w.srv.DisconnectSockets(true)
	if closed, _ := w.peers["C"].isClosed(); !closed {
		t.Error("C's connection open, want it closed")
	}
}

func TestVolatileFlag(t *testing.T) {
	tests := []struct {
		name string
		emit func(w *world) error
		want bool
	}{
		{"io.volatile", func(w *world) error { return w.srv.Volatile().Emit("ev") }, true},
		{"socket.volatile", func(w *world) error { return w.socks["A"].Volatile().Emit("ev") }, true},
		{"socket.volatile.broadcast", func(w *world) error { return w.socks["B"].Volatile().To("r1").Emit("ev") }, true},
		{"plain", func(w *world) error { return w.srv.Emit("ev") }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			if err := tt.emit(w); err != nil {
				t.Fatal(err)
			}
			ps := w.peers["A"].takePackets()
			if len(ps) != 1 || ps[0].Volatile != tt.want {
				t.Errorf("got %v, want one packet with Volatile=%v", ps, tt.want)
			}
		})
	}
}

// TestFetchSocketsSkipsClosing: once a socket's DISCONNECT is sent (a kick), FetchSockets no
// longer finds it, even before its disconnecting handlers are done; in socket.io nothing can run
// in between (one thread), here another goroutine could count a socket its client already left.
func TestFetchSocketsSkipsClosing(t *testing.T) {
	srv := newTestServer(t, Options{})
	var kicked *Socket
	inHandler := make(chan int, 1)
	release := make(chan struct{})
	srv.OnConnection(func(s *Socket) {
		if kicked == nil {
			kicked = s
			s.OnDisconnecting(func(string) {
				inHandler <- len(srv.FetchSockets())
				<-release // hold the close half-way, as a slow handler would
			})
		}
	})
	a, b := dial(t, srv), dial(t, srv)
	a.connect("/")
	b.connect("/")
	if n := len(srv.FetchSockets()); n != 2 {
		t.Fatalf("FetchSockets before the kick: %d, want 2", n)
	}
	go kicked.Disconnect(false)
	if n := <-inHandler; n != 1 {
		t.Errorf("FetchSockets while the kicked socket's disconnecting handler runs: %d, want 1", n)
	}
	if n := len(srv.FetchSockets()); n != 1 {
		t.Errorf("FetchSockets from another goroutine, the kick half done: %d, want 1", n)
	}
	close(release)
}
