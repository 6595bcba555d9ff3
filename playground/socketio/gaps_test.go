package socketio

// The semantic gaps with npm socket.io 4.8 that issue 13 found, each checked on Node first
// (node/diff/programs/21-gaps.js runs the same scenarios on both servers).

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// io.of(name) for a name a RegExp namespace matches makes it that namespace's child: the
// parent's middleware guards it. A function parent is not asked (as in socket.io).
func TestOfMatchingRegexpMakesChild(t *testing.T) {
	srv := newTestServer(t, Options{})
	parent := srv.OfRegexp(regexp.MustCompile(`^/dyn-\d+$`))
	parent.Use(func(s *Socket, next func(error)) { next(errors.New("refused by parent")) })
	byFunc := srv.OfFunc(func(name string, _ json.RawMessage) bool { return strings.HasPrefix(name, "/f-") })
	byFunc.Use(func(s *Socket, next func(error)) { next(errors.New("refused by func parent")) })

	child := srv.Of("/dyn-1")
	if got, ok := srv.LookupNamespace("/dyn-1"); !ok || got != child {
		t.Fatalf("LookupNamespace(/dyn-1) = %p %v, want the namespace Of made", got, ok)
	}
	plain := srv.Of("/f-1")

	tests := []struct{ nsp, want string }{
		{"/dyn-1", `4/dyn-1,{"message":"refused by parent"}`}, // made by Of: still guarded
		{"/dyn-2", `4/dyn-2,{"message":"refused by parent"}`}, // made by a CONNECT
		{"/f-1", `0/f-1,{"sid":`},                             // a plain namespace, as in socket.io
	}
	for _, tt := range tests {
		t.Run(tt.nsp, func(t *testing.T) {
			p := dial(t, srv)
			p.send("0" + tt.nsp + ",")
			got := p.take()
			if len(got) != 1 || !strings.HasPrefix(got[0], tt.want) {
				t.Errorf("got %q, want one packet starting %q", got, tt.want)
			}
		})
	}
	if n := len(plain.FetchSockets()); n != 1 {
		t.Errorf("/f-1 has %d sockets, want 1", n)
	}
	if got := parent.targets(); !slices.Contains(got, child) {
		t.Errorf("the parent's operators do not reach /dyn-1 (targets %v)", got)
	}
}

func TestTimeoutZeroTimesOutAtOnce(t *testing.T) {
	for _, d := range []time.Duration{0, -time.Second} {
		t.Run("socket "+d.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				_, p, s := connected(t, Options{})
				start := time.Now()
				_, err := s.Timeout(d).EmitWithAck(context.Background(), "q", 1)
				if !errors.Is(err, ErrTimeout) || time.Since(start) != 0 {
					t.Errorf("got %v after %v, want %v at once", err, time.Since(start), ErrTimeout)
				}
				if got, want := p.take(), []string{`20["q",1]`}; !slices.Equal(got, want) {
					t.Errorf("client got %q, want %q (the event is still sent)", got, want)
				}
				p.send(`30["late"]`) // ignored: nothing waits for it
				if closed, _ := p.isClosed(); closed {
					t.Error("a late reply closed the connection")
				}
			})
		})
	}
	t.Run("socket callback", func(t *testing.T) {
		_, _, s := connected(t, Options{})
		var got error
		if err := s.Timeout(0).EmitWithAckFunc("q", func(_ Payload, err error) { got = err }); err != nil {
			t.Fatal(err)
		}
		if !errors.Is(got, ErrTimeout) {
			t.Errorf("done got %v before EmitWithAckFunc returned, want %v", got, ErrTimeout)
		}
	})
	t.Run("broadcast", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			srv, p, _ := connected(t, Options{})
			replies, err := srv.Timeout(0).EmitWithAck(context.Background(), "q")
			if !errors.Is(err, ErrTimeout) || len(replies) != 0 {
				t.Errorf("got %v %v, want no replies and %v", replies, err, ErrTimeout)
			}
			if got := p.take(); len(got) != 1 || !strings.HasSuffix(got[0], `["q"]`) {
				t.Errorf("client got %q, want the event", got)
			}
			// An empty room resolves with no error, as in socket.io.
			replies, err = srv.To("nobody").Timeout(0).EmitWithAck(context.Background(), "q")
			if err != nil || len(replies) != 0 {
				t.Errorf("empty room: got %v %v, want no replies and no error", replies, err)
			}
		})
	})
	t.Run("without Timeout the default applies", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			_, p, s := connected(t, Options{AckTimeout: time.Minute})
			res := make(chan error, 1)
			go func() {
				_, err := s.EmitWithAck(context.Background(), "q")
				res <- err
			}()
			synctest.Wait()
			p.take()
			time.Sleep(59 * time.Second) // synctest's clock
			p.send(`30["ok"]`)
			if err := <-res; err != nil {
				t.Errorf("got %v, want the reply", err)
			}
		})
	})
}

func TestJSNumber(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{42, "42"}, {-5, "-5"}, {1e3, "1000"}, {0.1, "0.1"}, {1.5, "1.5"}, {-0.0, "0"},
		{1e21, "1e+21"}, {12345678901234567890, "12345678901234567000"}, {1.5e-7, "1.5e-7"},
		{1e-7, "1e-7"}, {0.000001, "0.000001"}, {123e-20, "1.23e-18"}, {1.7976931348623157e308, "1.7976931348623157e+308"},
	}
	for _, tt := range tests {
		if got := jsNumber(tt.in); got != tt.want {
			t.Errorf("jsNumber(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// A number as event name reaches OnAny and the handlers of its JavaScript text, as it reaches
// onAny and socket.on("42") in socket.io (checked on Node: 42[1e3] → onAny(1000)).
func TestNumericEventNames(t *testing.T) {
	tests := []struct {
		packet, name string
		numeric      bool
		args         []string
	}{
		{`2[42,"x"]`, "42", true, []string{`"x"`}},
		{`2[1e3]`, "1000", true, []string{}},
		{`2[-0,"z"]`, "0", true, []string{`"z"`}},
		{`2[0.1]`, "0.1", true, []string{}},
		{`2[1e21]`, "1e+21", true, []string{}},
		{`2["42","s"]`, "42", false, []string{`"s"`}},
	}
	for _, tt := range tests {
		t.Run(tt.packet, func(t *testing.T) {
			srv := newTestServer(t, Options{})
			var anys, ons []*Event
			srv.OnConnection(func(s *Socket) {
				s.OnAny(func(e *Event) { anys = append(anys, e) })
				s.On(tt.name, func(e *Event) { ons = append(ons, e) })
			})
			p := dial(t, srv)
			p.connect("/")
			p.send(tt.packet)
			if len(anys) != 1 || len(ons) != 1 {
				t.Fatalf("OnAny ran %d times, On(%q) %d times, want 1 each", len(anys), tt.name, len(ons))
			}
			e := anys[0]
			var args []string
			for _, a := range e.Args {
				args = append(args, string(a))
			}
			if e.Name != tt.name || e.Numeric != tt.numeric || !slices.Equal(args, tt.args) && len(args)+len(tt.args) > 0 {
				t.Errorf("got name %q numeric %v args %q, want %q %v %q", e.Name, e.Numeric, args, tt.name, tt.numeric, tt.args)
			}
		})
	}
}

// Connection handlers run before the client observes the connection: a client that has its
// CONNECT reply finds what the handler recorded.
func TestConnectionHandlersRunBeforeConnectReply(t *testing.T) {
	t.Run("inline", func(t *testing.T) {
		srv := newTestServer(t, Options{})
		var p *peer
		var seenInHandler []string
		srv.OnConnection(func(s *Socket) {
			s.Emit("welcome")
			seenInHandler = p.take()
			_ = s.Join("lobby")
		})
		p = dial(t, srv)
		p.send("0")
		if len(seenInHandler) != 0 {
			t.Errorf("the client saw %q while the handler ran, want nothing", seenInHandler)
		}
		got := p.take()
		if len(got) != 2 || !strings.HasPrefix(got[0], `0{"sid":`) || got[1] != `2["welcome"]` {
			t.Fatalf("got %q, want the CONNECT reply, then welcome", got)
		}
		if err := srv.To("lobby").Emit("news"); err != nil {
			t.Fatal(err)
		}
		if got, want := p.take(), []string{`2["news"]`}; !slices.Equal(got, want) {
			t.Errorf("got %q, want %q: the handler's join was not there", got, want)
		}
	})
	t.Run("DelayConnect", func(t *testing.T) {
		srv := newTestServer(t, Options{})
		releases := make(chan func(), 1)
		first := true
		srv.OnConnection(func(s *Socket) {
			if !first {
				return
			}
			first = false
			release := s.DelayConnect()
			releases <- func() {
				s.Emit("from the loop")
				release()
				release() // a second call does nothing
			}
		})
		p := dial(t, srv)
		p.send("0")
		other := dial(t, srv)
		other.connect("/") // another client is not held
		if err := srv.Emit("broadcast"); err != nil {
			t.Fatal(err)
		}
		if got := p.take(); len(got) != 0 {
			t.Fatalf("got %q before release, want nothing", got)
		}
		(<-releases)()
		got := p.take()
		if len(got) != 3 || !strings.HasPrefix(got[0], `0{"sid":`) || got[1] != `2["broadcast"]` || got[2] != `2["from the loop"]` {
			t.Errorf("got %q, want CONNECT, broadcast, from the loop, in order", got)
		}
	})
	t.Run("DelayConnect released by a disconnect", func(t *testing.T) {
		srv := newTestServer(t, Options{})
		srv.OnConnection(func(s *Socket) {
			s.DelayConnect() // never released by the handler
			s.Disconnect(false)
		})
		p := dial(t, srv)
		p.send("0")
		got := p.take()
		if len(got) != 2 || !strings.HasPrefix(got[0], `0{"sid":`) || got[1] != `1` {
			t.Errorf("got %q, want CONNECT then DISCONNECT", got)
		}
	})
	t.Run("disconnect(true) in the handler", func(t *testing.T) {
		srv := newTestServer(t, Options{})
		srv.OnConnection(func(s *Socket) {
			s.Emit("bye")
			s.Disconnect(true)
		})
		p := dial(t, srv)
		p.send("0")
		got := p.take()
		if len(got) != 3 || !strings.HasPrefix(got[0], `0{"sid":`) || got[1] != `2["bye"]` || got[2] != "1" {
			t.Errorf("got %q, want CONNECT, bye, DISCONNECT", got)
		}
		if closed, _ := p.isClosed(); !closed {
			t.Error("connection open, want it closed")
		}
	})
	t.Run("too much while held", func(t *testing.T) {
		srv := newTestServer(t, Options{})
		srv.OnConnection(func(s *Socket) {
			for range maxHeld + 1 {
				_ = s.Emit("x")
			}
		})
		p := dial(t, srv)
		p.send("0")
		if closed, _ := p.isClosed(); !closed {
			t.Error("connection open, want it closed like a full queue")
		}
	})
}

func TestPortAPI(t *testing.T) {
	srv := newTestServer(t, Options{})
	socks := make(chan *Socket, 2)
	var reasons sync.Map
	srv.OnConnection(func(s *Socket) {
		s.OnDisconnect(func(r string) { reasons.Store(s.ID(), r) })
		socks <- s
	})
	if _, ok := srv.LookupNamespace("/nope"); ok {
		t.Error("LookupNamespace found /nope")
	}
	if _, ok := srv.LookupNamespace("/nope"); ok {
		t.Error("LookupNamespace created /nope")
	}
	a, b := dial(t, srv), dial(t, srv)
	idA, idB := a.connect("/"), b.connect("/")
	sa, sb := <-socks, <-socks
	if got, ok := srv.Of("/").Socket(idA); !ok || got != sa {
		t.Errorf("Socket(%q) = %v %v, want a's socket", idA, got, ok)
	}
	if _, ok := srv.Of("/").Socket("unknown"); ok {
		t.Error("Socket(unknown) found one")
	}
	_ = sa.Join("r1")
	_ = sb.Join("r1", "r2")
	sb.Leave(idB)
	rooms := srv.Of("/").Rooms()
	want := map[string][]string{idA: {idA}, "r1": sorted(idA, idB), "r2": {idB}}
	if !equalRooms(rooms, want) {
		t.Errorf("Rooms() = %v, want %v", rooms, want)
	}
	rooms["r1"][0] = "changed"
	delete(rooms, "r2")
	if !equalRooms(srv.Of("/").Rooms(), want) {
		t.Error("changing the snapshot changed the hub")
	}

	// One Emitter for every chain.
	emitters := map[string]Emitter{
		"server": srv, "namespace": srv.Of("/"), "operator": srv.To("r1"),
		"socket": sa, "socket emitter": sa.Timeout(time.Second),
	}
	for name, e := range emitters {
		if err := e.Emit("hi", name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	a.take()

	c := sa.Conn()
	if c.Transport() != "websocket" || c.RemoteAddress() != "127.0.0.1" {
		t.Errorf("Conn: transport %q address %q", c.Transport(), c.RemoteAddress())
	}
	_ = sa.Emit("last")
	c.Close()
	if got := a.take(); !slices.Equal(got, []string{`2["last"]`}) {
		t.Errorf("got %q, want what was sent before the close", got)
	}
	if closed, _ := a.isClosed(); !closed {
		t.Error("connection open after Conn().Close()")
	}
	if r, _ := reasons.Load(idA); r != "forced close" {
		t.Errorf("server reason %q, want %q", r, "forced close")
	}
	if _, ok := srv.Of("/").Socket(idA); ok {
		t.Error("a closed socket is still found by id")
	}
}

func sorted(ids ...string) []string { slices.Sort(ids); return ids }

func equalRooms(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

// A namespace whose events carry a credential keeps it out of the observer; the handler still
// gets it.
func TestHideInTap(t *testing.T) {
	srv := newTestServer(t, Options{})
	events, cancel := srv.Observe(64)
	defer cancel()
	ns := srv.Of("/instructor")
	ns.HideInTap("token")
	var handled []string
	ns.OnConnection(func(s *Socket) {
		s.On("emit", func(e *Event) { handled = append(handled, string(e.Args[0])) })
	})
	p := dial(t, srv)
	p.connect("/instructor")
	p.send(`2/instructor,["emit",{"a":1,"token":"s3cret","b":{"token":"x"}},"token",{"c":2}]`)
	if want := `{"a":1,"token":"s3cret","b":{"token":"x"}}`; len(handled) != 1 || handled[0] != want {
		t.Fatalf("handler got %q, want %q", handled, want)
	}
	var args []string
	for len(events) > 0 {
		if ev := <-events; ev.Kind == TapEventIn {
			for _, a := range ev.Args {
				args = append(args, string(a))
			}
		}
	}
	want := []string{`{"a":1,"token":"[hidden]","b":{"token":"x"}}`, `"token"`, `{"c":2}`}
	if !slices.Equal(args, want) {
		t.Errorf("tap args %q, want %q", args, want)
	}
}
