package socketio

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// conformanceServer behaves like the official v5 suite's test server
// (protocol.md §4).
func conformanceServer(t *testing.T, opts Options) *Server {
	srv := newTestServer(t, opts)
	onConn := func(s *Socket) {
		auth := s.Handshake().Auth
		if auth == nil {
			auth = json.RawMessage(`{}`)
		}
		s.Emit("auth", auth)
		s.On("message", func(e *Event) { s.Emit("message-back", e.Values()...) })
		s.On("message-with-ack", func(e *Event) { e.Ack(e.Values()...) })
	}
	srv.OnConnection(onConn)
	srv.Of("/custom").OnConnection(onConn)
	return srv
}

func sidOf(t *testing.T, text, prefix string) string {
	t.Helper()
	var v map[string]string
	if !strings.HasPrefix(text, prefix) || json.Unmarshal([]byte(text[len(prefix):]), &v) != nil {
		t.Fatalf("got %q, want %s{\"sid\":...}", text, prefix)
	}
	if len(v) != 1 || len(v["sid"]) < 20 {
		t.Fatalf("CONNECT reply %q: want exactly a sid of >= 120 bits", text)
	}
	return v["sid"]
}

// TestConformance ports the Socket.IO v5 suite's cases (our code).
func TestConformance(t *testing.T) {
	t.Run("connect to main namespace", func(t *testing.T) {
		p := dial(t, conformanceServer(t, Options{}))
		p.send("0")
		got := p.take()
		if len(got) != 2 {
			t.Fatalf("got %q, want CONNECT and auth", got)
		}
		sidOf(t, got[0], "0")
		if want := `2["auth",{}]`; got[1] != want {
			t.Errorf("got %q, want %q", got[1], want)
		}
	})
	t.Run("connect with auth to custom namespace", func(t *testing.T) {
		p := dial(t, conformanceServer(t, Options{}))
		p.send(`0/custom,{"token":"abc"}`)
		got := p.take()
		sidOf(t, got[0], "0/custom,")
		if want := `2/custom,["auth",{"token":"abc"}]`; got[1] != want {
			t.Errorf("got %q, want %q", got[1], want)
		}
	})
	t.Run("unknown namespace without comma", func(t *testing.T) {
		p := dial(t, conformanceServer(t, Options{}))
		p.send("0/random")
		if got, want := p.take(), []string{`4/random,{"message":"Invalid namespace"}`}; !slices.Equal(got, want) {
			t.Errorf("got %q, want %q", got, want)
		}
		if closed, _ := p.isClosed(); closed {
			t.Error("session closed, want it kept")
		}
		p.send("0")
		sidOf(t, p.take()[0], "0")
	})
	t.Run("socket ids differ per namespace", func(t *testing.T) {
		p := dial(t, conformanceServer(t, Options{}))
		a, b := p.connect("/"), p.connect("/custom")
		if a == b {
			t.Errorf("same socket id %q on two namespaces", a)
		}
	})
	t.Run("disconnect then keep session", func(t *testing.T) {
		p := dial(t, conformanceServer(t, Options{}))
		p.connect("/")
		p.send("0/custom")
		p.take()
		p.send("1/custom")
		if got := p.take(); len(got) != 0 {
			t.Errorf("got %q after 1/custom, want nothing", got)
		}
		p.send(`2["message",1]`)
		if got, want := p.take(), []string{`2["message-back",1]`}; !slices.Equal(got, want) {
			t.Errorf("got %q, want %q", got, want)
		}
		p.send("1")
		p.send("0")
		sidOf(t, p.take()[0], "0")
	})
	t.Run("message echo byte exact", func(t *testing.T) {
		p := dial(t, conformanceServer(t, Options{}))
		p.connect("/")
		p.send(`2["message",1,"2",{"3":[true]}]`)
		if got, want := p.take(), []string{`2["message-back",1,"2",{"3":[true]}]`}; !slices.Equal(got, want) {
			t.Errorf("got %q, want %q", got, want)
		}
	})
	t.Run("message with ack", func(t *testing.T) {
		p := dial(t, conformanceServer(t, Options{}))
		p.connect("/")
		p.send(`2456["message-with-ack",1,"2",{"3":[false]}]`)
		if got, want := p.take(), []string{`3456[1,"2",{"3":[false]}]`}; !slices.Equal(got, want) {
			t.Errorf("got %q, want %q", got, want)
		}
	})
	t.Run("binary echo", func(t *testing.T) {
		p := dial(t, conformanceServer(t, Options{}))
		p.connect("/")
		p.send(`52-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`)
		p.c.OnBinary([]byte{1, 2, 3})
		p.c.OnBinary([]byte{4, 5, 6})
		got := p.takePackets()
		if len(got) != 1 {
			t.Fatalf("got %d packets, want 1", len(got))
		}
		if want := `52-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`; got[0].Text != want {
			t.Errorf("got %q, want %q", got[0].Text, want)
		}
		if diff := cmp.Diff([][]byte{{1, 2, 3}, {4, 5, 6}}, got[0].Attachments); diff != "" {
			t.Errorf("attachments (-want +got):\n%s", diff)
		}
	})
	t.Run("binary ack", func(t *testing.T) {
		p := dial(t, conformanceServer(t, Options{}))
		p.connect("/")
		p.send(`52-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`)
		p.c.OnBinary([]byte{1, 2, 3})
		p.c.OnBinary([]byte{4, 5, 6})
		got := p.takePackets()
		if want := `62-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`; len(got) != 1 || got[0].Text != want {
			t.Fatalf("got %v, want %q", got, want)
		}
	})
	t.Run("zero attachments delivered at once", func(t *testing.T) {
		p := dial(t, conformanceServer(t, Options{}))
		p.connect("/")
		p.send(`50-["message","x"]`)
		if got, want := p.take(), []string{`2["message-back","x"]`}; !slices.Equal(got, want) {
			t.Errorf("got %q, want %q", got, want)
		}
	})
}

// TestViolationsClose: protocol.md §2.4, reliability.md T20, T22, T26.
// Each input closes the connection and no handler runs.
func TestViolationsClose(t *testing.T) {
	tests := []struct {
		name   string
		before []string // non-nil: the handler may run (a complete packet came first)
		input  func(p *peer)
	}{
		{"4abc", nil, func(p *peer) { p.send("4abc") }},
		{"unknown type", nil, func(p *peer) { p.send("9") }},
		{"client CONNECT_ERROR", nil, func(p *peer) { p.send(`4{"message":"x"}`) }},
		{"42{}", nil, func(p *peer) { p.send("2{}") }},
		{"42abc", nil, func(p *peer) { p.send(`2abc["message",1]`) }},
		{"truncated", nil, func(p *peer) { p.send(`2["some","data"`) }},
		{"reserved name", nil, func(p *peer) { p.send(`2["disconnect","123"]`) }},
		{"toString", nil, func(p *peer) { p.send(`2[{"toString":"foo"}]`) }},
		{"null name", nil, func(p *peer) { p.send(`2[null,"bar"]`) }},
		{"trailing garbage", nil, func(p *peer) { p.send(`2["a"]xyz`) }},
		{"namespace not joined", nil, func(p *peer) { p.send(`2/admin,["x"]`) }},
		{"ack for namespace not joined", nil, func(p *peer) { p.send(`3/admin,1[]`) }},
		{"disconnect not joined", nil, func(p *peer) { p.send(`1/admin,`) }},
		{"duplicate CONNECT", nil, func(p *peer) { p.send("0") }},
		{"too many attachments", nil, func(p *peer) { p.send(`511-["message"]`) }},
		{"binary without header", nil, func(p *peer) { p.c.OnBinary([]byte{1}) }},
		{"extra binary", []string{"delivers the first"}, func(p *peer) {
			p.send(`51-["message",{"_placeholder":true,"num":0}]`)
			p.c.OnBinary([]byte{1})
			p.c.OnBinary([]byte{2})
		}},
		{"text while awaiting attachments", nil, func(p *peer) {
			p.send(`52-["message",{"_placeholder":true,"num":0}]`)
			p.c.OnBinary([]byte{1})
			p.send(`2["message"]`)
		}},
		{"placeholder out of range", nil, func(p *peer) { p.send(`51-["message",{"_placeholder":true,"num":1}]`) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newTestServer(t, Options{})
			var handled bool
			srv.OnConnection(func(s *Socket) {
				s.OnAny(func(*Event) { handled = true })
			})
			p := dial(t, srv)
			p.connect("/")
			tt.input(p)
			if closed, _ := p.isClosed(); !closed {
				t.Error("connection open, want it closed")
			}
			if handled && tt.before == nil {
				t.Error("a handler ran")
			}
			// The same client can connect again and work.
			p2 := dial(t, srv)
			p2.connect("/")
		})
	}
	t.Run("first packet not CONNECT", func(t *testing.T) {
		p := dial(t, newTestServer(t, Options{}))
		p.send(`2["x"]`)
		if closed, reason := p.isClosed(); !closed || reason != "invalid state" {
			t.Errorf("got closed=%v reason %q, want closed with %q", closed, reason, "invalid state")
		}
	})
}

func TestShapeViolationsKeepConnection(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"too deep", `21["x",` + strings.Repeat("[", 32) + strings.Repeat("]", 32) + `]`, `31[{"error":"too deep"}]`},
		{"duplicate key", `21["x",{"a":1,"a":2}]`, `31[{"error":"duplicate key"}]`},
		{"long name", `21["` + strings.Repeat("n", 129) + `"]`, `31[{"error":"too large"}]`},
		{"too many args", `21["x"` + strings.Repeat(",0", 17) + `]`, `31[{"error":"too large"}]`},
		{"number range", `21["x",1e400]`, `31[{"error":"number out of range"}]`},
		{"numeric name: no handler, no ack (as socket.io)", `21[7]`, ""},
		{"unknown event: no handler, no ack (as socket.io)", `21["nope"]`, ""},
		{"no ack id: dropped", `2["x",{"a":1,"a":2}]`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newTestServer(t, Options{})
			var handled bool
			srv.OnConnection(func(s *Socket) { s.On("x", func(*Event) { handled = true }) })
			p := dial(t, srv)
			p.connect("/")
			p.send(tt.in)
			var want []string
			if tt.want != "" {
				want = []string{tt.want}
			}
			if got := p.take(); !slices.Equal(got, want) {
				t.Errorf("got %q, want %q", got, want)
			}
			if closed, _ := p.isClosed(); closed {
				t.Error("connection closed, want it kept")
			}
			if handled {
				t.Error("handler ran")
			}
		})
	}
}

func TestMiddleware(t *testing.T) {
	t.Run("refused with data", func(t *testing.T) {
		srv := newTestServer(t, Options{})
		admin := srv.Of("/admin")
		var connected bool
		var joinedInMiddleware *Socket
		admin.Use(func(s *Socket, next func(error)) {
			s.Join("vip")
			joinedInMiddleware = s
			var auth struct{ Token string }
			if json.Unmarshal(s.Handshake().Auth, &auth) != nil || auth.Token != "secret" {
				next(&ConnectError{Message: "not authorized", Data: map[string]string{"hint": "token"}})
				return
			}
			next(nil)
		})
		admin.OnConnection(func(*Socket) { connected = true })
		p := dial(t, srv)
		p.send(`0/admin,{"token":"wrong"}`)
		want := []string{`4/admin,{"message":"not authorized","data":{"hint":"token"}}`}
		if got := p.take(); !slices.Equal(got, want) {
			t.Errorf("got %q, want %q", got, want)
		}
		if connected {
			t.Error("connection handler ran")
		}
		if n := len(admin.In("vip").FetchSockets()); n != 0 {
			t.Errorf("got %d sockets in vip, want 0 (rolled back)", n)
		}
		if joinedInMiddleware.Connected() {
			t.Error("refused socket reports connected")
		}
		p.send(`2/admin,["x"]`)
		if closed, _ := p.isClosed(); !closed {
			t.Error("event on a refused namespace: connection open, want closed")
		}
	})
	t.Run("accepted in order, rooms kept", func(t *testing.T) {
		srv := newTestServer(t, Options{})
		var order []string
		srv.Use(func(s *Socket, next func(error)) { order = append(order, "1"); s.Join("vip"); next(nil) })
		srv.Use(func(s *Socket, next func(error)) { order = append(order, "2"); next(nil); next(errors.New("ignored")) })
		srv.OnConnection(func(s *Socket) { order = append(order, "conn") })
		p := dial(t, srv)
		p.connect("/")
		if want := []string{"1", "2", "conn"}; !slices.Equal(order, want) {
			t.Errorf("got %q, want %q", order, want)
		}
		if n := len(srv.In("vip").FetchSockets()); n != 1 {
			t.Errorf("got %d sockets in vip, want 1", n)
		}
	})
	t.Run("plain error", func(t *testing.T) {
		srv := newTestServer(t, Options{})
		srv.Use(func(s *Socket, next func(error)) { next(errors.New("nope")) })
		p := dial(t, srv)
		p.send("0")
		if got, want := p.take(), []string{`4{"message":"nope"}`}; !slices.Equal(got, want) {
			t.Errorf("got %q, want %q", got, want)
		}
	})
	t.Run("async next and client gone", func(t *testing.T) {
		srv := newTestServer(t, Options{})
		nexts := make(chan func(error), 1)
		var connected bool
		srv.Use(func(s *Socket, next func(error)) { nexts <- next })
		srv.OnConnection(func(*Socket) { connected = true })
		p := dial(t, srv)
		p.send("0")
		next := <-nexts
		p.Close("transport close")
		next(nil)
		if connected || len(srv.FetchSockets()) != 0 {
			t.Error("socket created after its client left")
		}
		if got := p.take(); len(got) != 0 {
			t.Errorf("got %q, want nothing", got)
		}
	})
	t.Run("async next buffers early events", func(t *testing.T) {
		srv := newTestServer(t, Options{})
		nexts := make(chan func(error), 1)
		srv.Use(func(s *Socket, next func(error)) { nexts <- next })
		var got []string
		gate, inHandler := make(chan struct{}), make(chan struct{})
		srv.OnConnection(func(s *Socket) {
			close(inHandler) // a raw client may pipeline events before it sees the CONNECT reply
			<-gate
			s.On("x", func(e *Event) { got = append(got, string(e.Args[0])) })
		})
		p := dial(t, srv)
		p.send("0")
		done := make(chan struct{})
		go func() { (<-nexts)(nil); close(done) }()
		<-inHandler
		p.send(`2["x",1]`)
		p.send(`2["x",2]`)
		close(gate)
		<-done
		if want := []string{"1", "2"}; !slices.Equal(got, want) {
			t.Errorf("got %q, want %q", got, want)
		}
	})
}

func TestDynamicNamespaces(t *testing.T) {
	srv := newTestServer(t, Options{})
	// A static namespace made before the dynamic one wins over it (made after, it would be the
	// dynamic one's child: TestOfMatchingRegexpMakesChild).
	static := srv.Of("/dyn-7")
	static.OnConnection(func(s *Socket) { s.Emit("static") })
	parent := srv.OfRegexp(regexp.MustCompile(`^/dyn-\d+$`))
	var mwNames []string
	var mu sync.Mutex
	parent.Use(func(s *Socket, next func(error)) {
		mu.Lock()
		mwNames = append(mwNames, s.Namespace().Name())
		mu.Unlock()
		next(nil)
	})
	parent.OnConnection(func(s *Socket) { s.Emit("hello", s.Namespace().Name()) })
	byFunc := srv.OfFunc(func(name string, auth json.RawMessage) bool {
		return strings.HasPrefix(name, "/org-") && string(auth) == `{"ok":true}`
	})
	byFunc.OnConnection(func(s *Socket) { s.Emit("org") })

	a, b := dial(t, srv), dial(t, srv)
	a.send("0/dyn-1,")
	if got, want := a.take()[1], `2/dyn-1,["hello","/dyn-1"]`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	b.send("0/dyn-2,")
	b.take()
	a.send("0/dyn-7,")
	if got, want := a.take()[1], `2/dyn-7,["static"]`; got != want {
		t.Errorf("static wins: got %q, want %q", got, want)
	}
	if want := []string{"/dyn-1", "/dyn-2"}; !slices.Equal(mwNames, want) {
		t.Errorf("parent middleware ran for %q, want %q", mwNames, want)
	}
	if err := parent.Emit("all"); err != nil {
		t.Fatal(err)
	}
	if got, want := a.take(), []string{`2/dyn-1,["all"]`}; !slices.Equal(got, want) {
		t.Errorf("a: got %q, want %q", got, want)
	}
	if got, want := b.take(), []string{`2/dyn-2,["all"]`}; !slices.Equal(got, want) {
		t.Errorf("b: got %q, want %q", got, want)
	}
	if n := len(parent.FetchSockets()); n != 2 {
		t.Errorf("parent.FetchSockets: got %d, want 2", n)
	}
	a.send(`0/org-x,{"ok":false}`)
	if got, want := a.take(), []string{`4/org-x,{"message":"Invalid namespace"}`}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	a.send(`0/org-x,{"ok":true}`)
	if got := a.take(); len(got) != 2 || got[1] != `2/org-x,["org"]` {
		t.Errorf("got %q, want CONNECT and org", got)
	}
	a.send("0/dyn-x,")
	if got, want := a.take(), []string{`4/dyn-x,{"message":"Invalid namespace"}`}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestCleanupEmptyChildNamespaces(t *testing.T) {
	srv := newTestServer(t, Options{CleanupEmptyChildNamespaces: true})
	srv.OfRegexp(regexp.MustCompile(`^/class-\d+$`))
	p := dial(t, srv)
	p.send("0/class-1,")
	p.take()
	p.send("1/class-1,")
	srv.mu.Lock()
	_, ok := srv.nsps["/class-1"]
	srv.mu.Unlock()
	if ok {
		t.Error("empty child namespace kept")
	}
}

// A connection refused by a dynamic child's middleware leaves no namespace behind when empty
// children are cleaned up (issue 13: 1,000 refusals used to leave 1,001 namespaces).
func TestCleanupRefusedChildNamespaces(t *testing.T) {
	srv := newTestServer(t, Options{CleanupEmptyChildNamespaces: true})
	srv.OfRegexp(regexp.MustCompile(`^/org-\w+$`)).Use(func(s *Socket, next func(error)) {
		next(&ConnectError{Message: "not authorized"})
	})
	p := dial(t, srv)
	for i := range 20 {
		p.send(fmt.Sprintf("0/org-%d,", i))
	}
	for _, pkt := range p.take() {
		if !strings.HasPrefix(pkt, "4/org-") {
			t.Fatalf("got %q, want a CONNECT_ERROR", pkt)
		}
	}
	srv.mu.Lock()
	n := len(srv.nsps)
	srv.mu.Unlock()
	if n != 1 { // "/" only
		t.Errorf("%d namespaces after 20 refusals, want 1 (the main namespace)", n)
	}
}

func TestDisconnectReasons(t *testing.T) {
	tests := []struct {
		name       string
		act        func(p *peer, s *Socket)
		want       string
		wantSent   []string
		wantClosed bool
	}{
		{"server namespace disconnect", func(p *peer, s *Socket) { s.Disconnect(false) }, "server namespace disconnect", []string{"1"}, false},
		{"server disconnect(true)", func(p *peer, s *Socket) { s.Disconnect(true) }, "server namespace disconnect", []string{"1"}, true},
		{"client namespace disconnect", func(p *peer, s *Socket) { p.send("1") }, "client namespace disconnect", nil, false},
		{"transport close", func(p *peer, s *Socket) { p.Close("transport close") }, "transport close", nil, true},
		{"ping timeout", func(p *peer, s *Socket) { p.Close("ping timeout") }, "ping timeout", nil, true},
		{"parse error", func(p *peer, s *Socket) { p.send("2{}") }, "parse error", nil, true},
		{"server shutting down", func(p *peer, s *Socket) { s.ns.srv.Close() }, "server shutting down", nil, true},
		{"send failure", func(p *peer, s *Socket) {
			p.mu.Lock()
			p.failSend = true
			p.mu.Unlock()
			s.Emit("x")
		}, "transport error", nil, true},
		{"send failure naming its reason", func(p *peer, s *Socket) {
			p.mu.Lock()
			p.failSend, p.sendErr = true, reasonError("slow")
			p.mu.Unlock()
			s.Emit("x")
		}, "slow", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newTestServer(t, Options{})
			var sock *Socket
			var reasons []string
			srv.OnConnection(func(s *Socket) {
				sock = s
				s.OnDisconnect(func(r string) { reasons = append(reasons, r) })
			})
			p := dial(t, srv)
			p.connect("/")
			tt.act(p, sock)
			if want := []string{tt.want}; !slices.Equal(reasons, want) {
				t.Errorf("got reasons %q, want %q", reasons, want)
			}
			if got := p.take(); !slices.Equal(got, tt.wantSent) {
				t.Errorf("sent %q, want %q", got, tt.wantSent)
			}
			if closed, _ := p.isClosed(); closed != tt.wantClosed {
				t.Errorf("got closed %v, want %v", closed, tt.wantClosed)
			}
		})
	}
}

// TestOnAnySeesEveryEvent: OnAny runs for every event the client sends, in order, whether or not
// the event has a handler of its own, with its name and arguments (lesson 3's log of every event).
func TestOnAnySeesEveryEvent(t *testing.T) {
	srv := newTestServer(t, Options{})
	var seen []string
	handled := 0
	srv.OnConnection(func(s *Socket) {
		s.OnAny(func(e *Event) { seen = append(seen, fmt.Sprintf("%s %s", e.Name, e.Args)) })
		s.On("chat message", func(*Event) { handled++ })
	})
	p := dial(t, srv)
	p.connect("/")
	for _, pkt := range []string{`2["chat message","hi"]`, `2["typing"]`, `21["rate",5,{"of":"chat"}]`} {
		p.send(pkt)
	}
	if want := []string{`chat message ["hi"]`, `typing []`, `rate [5 {"of":"chat"}]`}; !slices.Equal(seen, want) || handled != 1 {
		t.Errorf("OnAny saw %q and the handler ran %d times, want %q and once", seen, handled, want)
	}
}

func TestConnectTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := NewServer(Options{ConnectTimeout: time.Second})
		defer srv.Close()
		idle, joined := dial(t, srv), dial(t, srv)
		joined.connect("/")
		time.Sleep(999 * time.Millisecond)
		if closed, _ := idle.isClosed(); closed {
			t.Fatal("closed before connectTimeout")
		}
		time.Sleep(2 * time.Millisecond)
		if closed, reason := idle.isClosed(); !closed || reason != "forced server close" {
			t.Errorf("got closed=%v %q, want closed with %q", closed, reason, "forced server close")
		}
		if closed, _ := joined.isClosed(); closed {
			t.Error("a client that joined was closed")
		}
	})
}

func TestServerClose(t *testing.T) {
	srv := newTestServer(t, Options{})
	p := dial(t, srv)
	p.connect("/")
	srv.Close()
	if closed, reason := p.isClosed(); !closed || reason != "server shutting down" {
		t.Errorf("got closed=%v %q, want closed with %q", closed, reason, "server shutting down")
	}
	if err := srv.Emit("x"); !errors.Is(err, ErrClosed) {
		t.Errorf("Emit after Close: got %v, want %v", err, ErrClosed)
	}
	late := dial(t, srv)
	if closed, _ := late.isClosed(); !closed {
		t.Error("Accept after Close: connection open, want closed")
	}
	srv.Close() // idempotent
}

func TestConnectAttemptsRateLimited(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := newTestServer(t, Options{})
		p := dial(t, srv)
		for range 40 {
			p.send("0/instructor,")
		}
		p.take()
		p.send("0/instructor,")
		if got, want := p.take(), []string{`4/instructor,{"message":"too many requests"}`}; !slices.Equal(got, want) {
			t.Errorf("got %q, want %q", got, want)
		}
		time.Sleep(time.Second)
		p.send("0")
		sidOf(t, p.take()[0], "0")
	})
}

func TestHandshake(t *testing.T) {
	srv := newTestServer(t, Options{})
	var hs Handshake
	srv.OnConnection(func(s *Socket) { hs = s.Handshake() })
	f := &fakeConn{transport: "polling"}
	c := srv.Accept(f, Handshake{Address: "10.0.0.1", URL: "/socket.io/?EIO=4&transport=polling", Auth: json.RawMessage(`"ignored"`)})
	c.OnText([]byte(`0{"token":"t"}`))
	if hs.Address != "10.0.0.1" || hs.Query().Get("EIO") != "4" || string(hs.Auth) != `{"token":"t"}` {
		t.Errorf("got %+v", hs)
	}
	c.Closed("transport close")
}
