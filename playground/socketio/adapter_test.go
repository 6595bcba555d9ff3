package socketio

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// bus joins servers in one process the way a broker does: each namespace's adapter applies what
// it is told to the same namespace of every other server through LocalNamespace, at once.
type bus struct {
	mu      sync.Mutex
	members map[string][]*busAdapter // by namespace
	deaf    map[*Server]bool         // servers that never answer requests
	log     []string                 // operations published, in order
}

type busAdapter struct {
	b      *bus
	local  LocalNamespace
	srv    *Server
	closed bool
}

func (b *bus) factory(srv *Server) AdapterFactory {
	return func(l LocalNamespace) Adapter {
		a := &busAdapter{b: b, local: l, srv: srv}
		b.mu.Lock()
		if b.members == nil {
			b.members = map[string][]*busAdapter{}
		}
		b.members[l.Name()] = append(b.members[l.Name()], a)
		b.mu.Unlock()
		return a
	}
}

// others returns the other live adapters of a's namespace and records op.
func (a *busAdapter) others(op string) []*busAdapter {
	a.b.mu.Lock()
	defer a.b.mu.Unlock()
	a.b.log = append(a.b.log, op)
	var out []*busAdapter
	for _, o := range a.b.members[a.local.Name()] {
		if o != a && !o.closed {
			out = append(out, o)
		}
	}
	return out
}

func (a *busAdapter) answers(o *busAdapter) bool {
	a.b.mu.Lock()
	defer a.b.mu.Unlock()
	return !a.b.deaf[o.srv]
}

func (a *busAdapter) Broadcast(ev EventData, opts BroadcastOptions) {
	for _, o := range a.others("broadcast " + string(ev.JSON)) {
		if err := o.local.Broadcast(ev, opts); err != nil {
			panic(err)
		}
	}
}

func (a *busAdapter) BroadcastWithAck(ev EventData, opts BroadcastOptions, onCount func(int), onAck func(json.RawMessage)) {
	for _, o := range a.others("broadcastWithAck " + string(ev.JSON)) {
		if !a.answers(o) {
			continue
		}
		n, err := o.local.BroadcastWithAck(ev, opts, onAck)
		if err != nil {
			panic(err)
		}
		onCount(n)
	}
}

func (a *busAdapter) AddSockets(opts BroadcastOptions, rooms []string) {
	for _, o := range a.others("addSockets") {
		o.local.AddSockets(opts, rooms)
	}
}

func (a *busAdapter) DelSockets(opts BroadcastOptions, rooms []string) {
	for _, o := range a.others("delSockets") {
		o.local.DelSockets(opts, rooms)
	}
}

func (a *busAdapter) DisconnectSockets(opts BroadcastOptions, close bool) {
	for _, o := range a.others("disconnectSockets") {
		o.local.DisconnectSockets(opts, close)
	}
}

func (a *busAdapter) FetchSockets(ctx context.Context, opts BroadcastOptions) ([]RemoteSocket, error) {
	var out []RemoteSocket
	for _, o := range a.others("fetchSockets") {
		if !a.answers(o) {
			<-ctx.Done()
			return nil, ctx.Err()
		}
		out = append(out, o.local.FetchSockets(opts)...)
	}
	return out, nil
}

func (a *busAdapter) ServerSideEmit(data json.RawMessage) error {
	for _, o := range a.others("serverSideEmit " + string(data)) {
		if err := o.local.ServerSideEmit(data, nil); err != nil {
			return err
		}
	}
	return nil
}

func (a *busAdapter) ServerSideEmitWithAck(ctx context.Context, data json.RawMessage) ([]json.RawMessage, error) {
	var out []json.RawMessage
	for _, o := range a.others("serverSideEmitWithAck " + string(data)) {
		if err := o.local.ServerSideEmit(data, func(r json.RawMessage) { out = append(out, r) }); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (a *busAdapter) ServerCount(context.Context) (int, error) {
	return len(a.others("serverCount")) + 1, nil
}

func (a *busAdapter) AllRooms(context.Context) ([]string, error) {
	var out []string
	for _, o := range a.others("allRooms") {
		out = append(out, o.local.Rooms()...)
	}
	return out, nil
}

func (a *busAdapter) Close() error {
	a.b.mu.Lock()
	a.closed = true
	a.b.mu.Unlock()
	return nil
}

// cluster is two servers on one bus: A and B connected to server 1, C and D to server 2; A and C
// in room "r", B in room "s".
type cluster struct {
	bus   *bus
	srv   [2]*Server
	peers map[string]*peer
	socks map[string]*Socket
}

func newCluster(t *testing.T) *cluster {
	t.Helper()
	c := &cluster{bus: &bus{}, peers: map[string]*peer{}, socks: map[string]*Socket{}}
	for i := range c.srv {
		c.srv[i] = newTestServer(t, Options{Adapter: c.bus.factory(nil)})
	}
	c.bus.mu.Lock()
	for _, ms := range c.bus.members {
		for i, m := range ms {
			m.srv = c.srv[i]
		}
	}
	c.bus.mu.Unlock()
	got := make(chan *Socket, 4)
	for _, srv := range c.srv {
		srv.OnConnection(func(s *Socket) { got <- s })
	}
	rooms := map[string]string{"A": "r", "B": "s", "C": "r"}
	for i, name := range []string{"A", "B", "C", "D"} {
		p := dial(t, c.srv[i/2])
		p.connect("/")
		s := <-got
		if r := rooms[name]; r != "" {
			if err := s.Join(r); err != nil {
				t.Fatal(err)
			}
		}
		s.Set("name", name)
		c.peers[name], c.socks[name] = p, s
	}
	return c
}

// received returns the sorted names of the peers that got event ev since the last call.
func (c *cluster) received(ev string) []string { return (&world{peers: c.peers}).received(ev) }

func (c *cluster) names(ids []string) []string {
	var out []string
	for name, s := range c.socks {
		if slices.Contains(ids, s.ID()) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

func TestAdapterBroadcast(t *testing.T) {
	tests := []struct {
		name string
		emit func(c *cluster) error
		want []string
	}{
		{"io.emit reaches every server", func(c *cluster) error { return c.srv[0].Emit("ev", 1) }, []string{"A", "B", "C", "D"}},
		{"to(room)", func(c *cluster) error { return c.srv[0].To("r").Emit("ev") }, []string{"A", "C"}},
		{"except(room)", func(c *cluster) error { return c.srv[1].Except("r").Emit("ev") }, []string{"B", "D"}},
		{"to(socket id) on another server", func(c *cluster) error { return c.srv[0].To(c.socks["D"].ID()).Emit("ev") }, []string{"D"}},
		{"socket.broadcast", func(c *cluster) error { return c.socks["A"].Broadcast().Emit("ev") }, []string{"B", "C", "D"}},
		{"socket.to(room) skips the sender", func(c *cluster) error { return c.socks["C"].To("r").Emit("ev") }, []string{"A"}},
		{"volatile", func(c *cluster) error { return c.srv[0].Volatile().Emit("ev") }, []string{"A", "B", "C", "D"}},
		{"local stays on its server", func(c *cluster) error { return c.srv[0].Local().Emit("ev") }, []string{"A", "B"}},
		{"local to(room)", func(c *cluster) error { return c.srv[1].Local().To("r").Emit("ev") }, []string{"C"}},
		{"socket.emit is never published", func(c *cluster) error { return c.socks["A"].Emit("ev") }, []string{"A"}},
		{"binary", func(c *cluster) error { return c.srv[1].Emit("ev", []byte{1, 2}) }, []string{"A", "B", "C", "D"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCluster(t)
			c.received("ev")
			if err := tt.emit(c); err != nil {
				t.Fatal(err)
			}
			if got := c.received("ev"); !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAdapterBinaryAcrossServers(t *testing.T) {
	c := newCluster(t)
	c.received("ev")
	if err := c.srv[0].To("r").Emit("ev", "x", []byte{7, 8}); err != nil {
		t.Fatal(err)
	}
	pk := c.peers["C"].takePackets()
	if len(pk) != 1 || pk[0].Text != `51-["ev","x",{"_placeholder":true,"num":0}]` || len(pk[0].Attachments) != 1 || string(pk[0].Attachments[0]) != "\x07\x08" {
		t.Fatalf("C got %+v", pk)
	}
}

// answer makes peer p acknowledge every event with an ack id it received, replying with its name.
func answer(p *peer, name string) int {
	n := 0
	for _, text := range p.take() {
		if !strings.HasPrefix(text, "2") {
			continue
		}
		i := 1
		for i < len(text) && text[i] >= '0' && text[i] <= '9' {
			i++
		}
		if i == 1 {
			continue
		}
		p.send("3" + text[1:i] + `["` + name + `"]`)
		n++
	}
	return n
}

func TestAdapterBroadcastWithAck(t *testing.T) {
	t.Run("every server's clients answer", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			c := newCluster(t)
			type result struct {
				r   []Reply
				err error
			}
			res := make(chan result, 1)
			go func() {
				r, err := c.srv[0].Timeout(time.Second).To("r", "s").EmitWithAck(context.Background(), "q")
				res <- result{r, err}
			}()
			synctest.Wait()
			for _, name := range []string{"A", "B", "C"} {
				if n := answer(c.peers[name], name); n != 1 {
					t.Fatalf("%s got %d questions, want 1", name, n)
				}
			}
			r := <-res
			var got []string
			for _, rep := range r.r {
				got = append(got, string(rep.Args[0]))
			}
			sort.Strings(got)
			if r.err != nil || !slices.Equal(got, []string{`"A"`, `"B"`, `"C"`}) {
				t.Errorf("got %q, %v; want A, B, C and no error", got, r.err)
			}
			if n := answer(c.peers["D"], "D"); n != 0 {
				t.Errorf("D got %d questions", n)
			}
		})
	})
	t.Run("a remote client that does not answer times out", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			c := newCluster(t)
			start := time.Now()
			done := make(chan error, 1)
			var replies []Reply
			if err := c.srv[0].Timeout(time.Second).To("r").EmitWithAckFunc("q", func(r []Reply, err error) {
				replies = r
				done <- err
			}); err != nil {
				t.Fatal(err)
			}
			synctest.Wait()
			answer(c.peers["A"], "A")
			err := <-done
			if !errors.Is(err, ErrTimeout) || len(replies) != 1 || time.Since(start) != time.Second {
				t.Errorf("got %v with %d replies after %v; want ErrTimeout, 1 reply, 1s", err, len(replies), time.Since(start))
			}
		})
	})
	t.Run("a server that never reports its count times out", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			c := newCluster(t)
			c.bus.mu.Lock()
			c.bus.deaf = map[*Server]bool{c.srv[1]: true}
			c.bus.mu.Unlock()
			_, err := c.srv[0].Timeout(500*time.Millisecond).To("s").EmitWithAck(context.Background(), "q")
			if !errors.Is(err, ErrTimeout) {
				t.Errorf("got %v, want ErrTimeout", err)
			}
		})
	})
	t.Run("local skips the other servers", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			c := newCluster(t)
			res := make(chan error, 1)
			go func() {
				_, err := c.srv[0].Local().Timeout(time.Second).EmitWithAck(context.Background(), "q")
				res <- err
			}()
			synctest.Wait()
			answer(c.peers["A"], "A")
			answer(c.peers["B"], "B")
			if err := <-res; err != nil {
				t.Fatal(err)
			}
			if got := c.received("q"); len(got) != 0 {
				t.Errorf("%q got the local question", got)
			}
		})
	})
}

func TestAdapterRemoteRoomsAndDisconnect(t *testing.T) {
	c := newCluster(t)
	c.srv[0].In("r").SocketsJoin("joined")
	c.received("ev")
	c.srv[1].To("joined").Emit("ev")
	if got, want := c.received("ev"), []string{"A", "C"}; !slices.Equal(got, want) {
		t.Errorf("after socketsJoin: got %q, want %q", got, want)
	}
	c.srv[1].In("joined").Except("s").SocketsLeave("r")
	if got := c.socks["A"].Rooms(); slices.Contains(got, "r") {
		t.Errorf("A's rooms %q after a remote socketsLeave", got)
	}
	c.srv[0].In("joined").DisconnectSockets(false)
	for _, name := range []string{"A", "C"} {
		if c.socks[name].Connected() {
			t.Errorf("%s still connected", name)
		}
	}
	if !c.socks["D"].Connected() {
		t.Error("D disconnected")
	}
}

func TestAdapterFetchClusterSockets(t *testing.T) {
	c := newCluster(t)
	got, err := c.srv[1].In("r").FetchClusterSockets(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, rs := range got {
		ids = append(ids, rs.ID)
		name := c.names([]string{rs.ID})[0]
		if want := []string{rs.ID, "r"}; !slices.Equal(rs.Rooms, want) {
			t.Errorf("%s rooms %q, want %q", name, rs.Rooms, want)
		}
		if want := `{"name":"` + name + `"}`; string(rs.Data) != want {
			t.Errorf("%s data %s, want %s", name, rs.Data, want)
		}
		var hs struct{ Address string }
		if err := json.Unmarshal(rs.Handshake, &hs); err != nil || hs.Address != "127.0.0.1" {
			t.Errorf("%s handshake %s: %v", name, rs.Handshake, err)
		}
	}
	if got, want := c.names(ids), []string{"A", "C"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if local := c.srv[1].In("r").FetchSockets(); len(local) != 1 || local[0] != c.socks["C"] {
		t.Errorf("local FetchSockets = %v, want C only", local)
	}

	t.Run("a server that never answers fails with the context", func(t *testing.T) {
		c.bus.mu.Lock()
		c.bus.deaf = map[*Server]bool{c.srv[0]: true}
		c.bus.mu.Unlock()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := c.srv[1].FetchClusterSockets(ctx)
		if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "fetchSockets /") {
			t.Errorf("got %v, want a wrapped context.Canceled", err)
		}
	})
}

func TestAdapterServerSideEmit(t *testing.T) {
	c := newCluster(t)
	var got []string
	var mu sync.Mutex
	c.srv[1].Of("/").OnServerSideEmit("hello", func(args Payload, ack func(any) error) {
		mu.Lock()
		got = append(got, string(args.Args[0]))
		mu.Unlock()
		if ack != nil {
			if err := ack("pong"); err != nil {
				t.Error(err)
			}
			if err := ack("twice"); !errors.Is(err, ErrAlreadyAcked) {
				t.Errorf("second ack: %v", err)
			}
		}
	})
	self := 0 // the sender's own handler: never run by its ServerSideEmit
	c.srv[0].Of("/").OnServerSideEmit("hello", func(Payload, func(any) error) { mu.Lock(); self++; mu.Unlock() })
	if err := c.srv[0].Of("/").ServerSideEmit("hello", "world"); err != nil {
		t.Fatal(err)
	}
	replies, err := c.srv[0].Of("/").ServerSideEmitWithAck(context.Background(), "hello", 2)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{`"world"`, `2`}; !slices.Equal(got, want) {
		t.Errorf("handler got %q, want %q", got, want)
	}
	mu.Lock()
	ran := self
	mu.Unlock()
	if ran != 0 {
		t.Errorf("the sending server's own handler ran %d times, want 0", ran)
	}
	if len(replies) != 1 || string(replies[0]) != `"pong"` {
		t.Errorf("replies %q, want [\"pong\"]", replies)
	}
	if err := c.srv[0].Of("/").ServerSideEmit("bin", []byte{1}); err == nil {
		t.Error("binary serverSideEmit accepted")
	}
	if got := c.received("hello"); len(got) != 0 {
		t.Errorf("clients %q got a server-side event", got)
	}
}

func TestAdapterServerCountAndAllRooms(t *testing.T) {
	c := newCluster(t)
	n, err := c.srv[0].Of("/").ServerCount(context.Background())
	if err != nil || n != 2 {
		t.Errorf("ServerCount = %d, %v; want 2", n, err)
	}
	rooms, err := c.srv[0].Of("/").AllRooms(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"r", "s"}
	for _, s := range c.socks {
		want = append(want, s.ID())
	}
	sort.Strings(want)
	if diff := cmp.Diff(want, rooms); diff != "" {
		t.Errorf("AllRooms (-want +got):\n%s", diff)
	}
	alone := newTestServer(t, Options{})
	if n, err := alone.Of("/").ServerCount(context.Background()); n != 1 || err != nil {
		t.Errorf("in-memory ServerCount = %d, %v; want 1", n, err)
	}
}

func TestAdapterLifecycle(t *testing.T) {
	b := &bus{}
	srv := NewServer(Options{Adapter: b.factory(nil), CleanupEmptyChildNamespaces: true})
	srv.Of("/orders")
	b.mu.Lock()
	var names []string
	for name := range b.members {
		names = append(names, name)
	}
	b.mu.Unlock()
	sort.Strings(names)
	if want := []string{"/", "/orders"}; !slices.Equal(names, want) {
		t.Errorf("adapters for %q, want %q", names, want)
	}
	srv.Close()
	b.mu.Lock()
	defer b.mu.Unlock()
	for name, ms := range b.members {
		for i, m := range ms {
			if !m.closed {
				t.Errorf("adapter %s #%d not closed by Server.Close", name, i)
			}
		}
	}
	if err := srv.Of("/late").Emit("x"); !errors.Is(err, ErrClosed) {
		t.Errorf("emit after close: %v", err)
	}
	if _, ok := b.members["/late"]; ok {
		t.Error("an adapter was made after Close")
	}
}

// reentrant touches its own namespace from every call: a lock held around an adapter call would
// deadlock here.
type reentrant struct {
	busAdapter
	calls int
}

func (r *reentrant) touch() {
	r.local.Rooms()
	r.local.FetchSockets(BroadcastOptions{})
	r.local.HasRoom("r")
	r.calls++
}

func (r *reentrant) Broadcast(EventData, BroadcastOptions) { r.touch() }
func (r *reentrant) BroadcastWithAck(_ EventData, _ BroadcastOptions, onCount func(int), _ func(json.RawMessage)) {
	r.touch()
}
func (r *reentrant) AddSockets(BroadcastOptions, []string)    { r.touch() }
func (r *reentrant) DelSockets(BroadcastOptions, []string)    { r.touch() }
func (r *reentrant) DisconnectSockets(BroadcastOptions, bool) { r.touch() }
func (r *reentrant) ServerCount(context.Context) (int, error) { r.touch(); return 1, nil }

func TestAdapterCalledOutsideLocks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var ad *reentrant
		srv := newTestServer(t, Options{Adapter: func(l LocalNamespace) Adapter {
			if l.Name() == "/" {
				ad = &reentrant{busAdapter: busAdapter{b: &bus{}, local: l}}
				return ad
			}
			return nil
		}})
		p := dial(t, srv)
		p.connect("/")
		_ = srv.To("r").Emit("x")
		_ = srv.Volatile().Emit("x")
		_, _ = srv.Timeout(time.Second).EmitWithAck(context.Background(), "q")
		srv.SocketsJoin("r")
		srv.SocketsLeave("r")
		srv.DisconnectSockets(false)
		synctest.Wait()
		if ad.calls != 7 {
			t.Errorf("%d adapter calls, want 7", ad.calls)
		}
	})
}

// TestLocalBroadcastWithAckCount: the count reported to the asking server leaves out sockets
// that cannot answer (at MaxPendingAcks), or it would wait for replies that never come.
func TestLocalBroadcastWithAckCount(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var local LocalNamespace
		srv := newTestServer(t, Options{MaxPendingAcks: 1, Adapter: func(l LocalNamespace) Adapter {
			if l.Name() == "/" {
				local = l
			}
			return nil
		}})
		socks := make(chan *Socket, 2)
		srv.OnConnection(func(s *Socket) { socks <- s })
		a, b := dial(t, srv), dial(t, srv)
		a.connect("/")
		b.connect("/")
		sa := <-socks
		<-socks
		if err := sa.Timeout(time.Second).EmitWithAckFunc("busy", func(Payload, error) {}); err != nil {
			t.Fatal(err)
		}
		var replies []string
		n, err := local.BroadcastWithAck(EventData{JSON: json.RawMessage(`["q"]`)},
			BroadcastOptions{Flags: BroadcastFlags{Timeout: time.Second}}, func(r json.RawMessage) { replies = append(replies, string(r)) })
		if err != nil || n != 1 {
			t.Fatalf("count %d, %v; want 1 (a is at its ack limit)", n, err)
		}
		for _, text := range b.take() {
			if strings.HasPrefix(text, "2") {
				id := strings.TrimSuffix(text[1:], `["q"]`)
				b.send("3" + id + `["yes"]`)
			}
		}
		if !slices.Equal(replies, []string{`"yes"`}) {
			t.Errorf("replies %q", replies)
		}
		if _, err := local.BroadcastWithAck(EventData{JSON: json.RawMessage(`{"not":"an array"}`)}, BroadcastOptions{}, nil); err == nil {
			t.Error("an object accepted as event data")
		}
		synctest.Wait()
	})
}
