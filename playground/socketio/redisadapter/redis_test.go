package redisadapter

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"socketlab/playground/socketio"
)

func TestMain(m *testing.M) {
	redis.SetLogger(quietLogger{}) // go-redis reports each failed dial of the restart test
	goleak.VerifyTestMain(m)
}

type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

// redisServer is a real redis-server on 127.0.0.1, for one test.
type redisServer struct {
	t    testing.TB
	port int
	cmd  *exec.Cmd
}

// redisBinary is Debian's redis-server (.ci/run installs it) wherever PATH finds it.
var redisBinary, redisMissing = exec.LookPath("redis-server")

// startRedis starts redis-server on a free port; it skips the test when the binary is missing,
// unless CI is set (as every test that needs a tool does).
func startRedis(t testing.TB) *redisServer {
	t.Helper()
	if err := redisMissing; err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("redis-server is required in CI: %v", err)
		}
		t.Skipf("redis-server not installed: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	r := &redisServer{t: t, port: port}
	r.start()
	t.Cleanup(r.stop)
	return r
}

func (r *redisServer) url() string { return fmt.Sprintf("redis://127.0.0.1:%d", r.port) }

// client is a plain Redis client, closed with the test.
func (r *redisServer) client() *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", r.port), DisableIdentity: true})
	r.t.Cleanup(func() { c.Close() })
	return c
}

// start runs the server and returns once it logged that it accepts connections.
func (r *redisServer) start() {
	r.t.Helper()
	cmd := exec.Command(redisBinary, "--port", fmt.Sprint(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--loglevel", "notice")
	out, err := cmd.StdoutPipe()
	if err != nil {
		r.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	var log []string
	for sc.Scan() {
		log = append(log, sc.Text())
		if strings.Contains(sc.Text(), "Ready to accept connections") {
			go func() { // keep the pipe drained
				for sc.Scan() {
				}
			}()
			r.cmd = cmd
			return
		}
	}
	_ = cmd.Wait()
	r.t.Fatalf("redis-server did not start:\n%s", strings.Join(log, "\n"))
}

func (r *redisServer) stop() {
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	_ = r.cmd.Wait()
	r.cmd = nil
}

// conn is a client connection as socketio sees it; packets arrive on a channel.
type conn struct {
	packets chan *socketio.Packet
	mu      sync.Mutex
	closed  bool
	client  *socketio.Client
}

func (c *conn) Send(p *socketio.Packet) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return errors.New("closed")
	}
	select {
	case c.packets <- p:
		return nil
	default:
		return errors.New("test client too slow")
	}
}

func (c *conn) Close(reason string) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	cl := c.client
	c.mu.Unlock()
	if cl != nil {
		cl.Closed(reason)
	}
}

func (c *conn) Transport() string { return "websocket" }

// next returns the next packet, failing the test after a generous bound instead of hanging.
func (c *conn) next(t *testing.T) string {
	t.Helper()
	select {
	case p := <-c.packets:
		return p.Text
	case <-time.After(10 * time.Second):
		t.Fatal("no packet within 10s")
		return ""
	}
}

// node is one socketio.Server on Redis.
type node struct {
	srv   *socketio.Server
	redis *Redis
	socks chan *socketio.Socket
	logs  *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newNode(t *testing.T, url string, opts Options) *node {
	t.Helper()
	n := &node{socks: make(chan *socketio.Socket, 16), logs: &syncBuffer{}}
	opts.Logger = slog.New(slog.NewTextHandler(n.logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := New(ctx, url, opts)
	if err != nil {
		t.Fatal(err)
	}
	n.redis = r
	n.srv = socketio.NewServer(socketio.Options{Adapter: r.Adapter, RateLimit: -1})
	n.srv.OnConnection(func(s *socketio.Socket) { n.socks <- s })
	t.Cleanup(func() {
		n.srv.Close()
		if err := r.Close(); err != nil {
			t.Errorf("closing the adapter: %v", err)
		}
	})
	if err := r.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	return n
}

// dial connects a client to "/" and returns its connection and server-side socket.
func (n *node) dial(t *testing.T) (*conn, *socketio.Socket) {
	t.Helper()
	c := &conn{packets: make(chan *socketio.Packet, 64)}
	cl := n.srv.Accept(c, socketio.Handshake{Address: "127.0.0.1", URL: "/socket.io/?EIO=4"})
	c.mu.Lock()
	c.client = cl
	c.mu.Unlock()
	cl.OnText([]byte("0"))
	if got := c.next(t); !strings.HasPrefix(got, `0{"sid":`) {
		t.Fatalf("CONNECT reply %q", got)
	}
	return c, <-n.socks
}

// waitServers waits until every node's subscriptions are confirmed, then checks that the
// namespace counts want servers.
func waitServers(t *testing.T, want int, nodes ...*node) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, n := range nodes {
		if err := n.redis.Ready(ctx); err != nil {
			t.Fatalf("subscriptions not confirmed: %v", err)
		}
	}
	got, err := nodes[0].srv.Of("/").ServerCount(ctx)
	if err != nil || got != want {
		t.Fatalf("ServerCount = %d, %v; want %d", got, err, want)
	}
}

// twoNodes starts Redis and two servers on it, both subscribed.
func twoNodes(t *testing.T) (*redisServer, *node, *node) {
	t.Helper()
	rs := startRedis(t)
	a, b := newNode(t, rs.url(), Options{}), newNode(t, rs.url(), Options{})
	waitServers(t, 2, a, b)
	return rs, a, b
}

func TestRedisCluster(t *testing.T) {
	_, a, b := twoNodes(t)
	ca, sa := a.dial(t)
	cb, sb := b.dial(t)
	cb2, sb2 := b.dial(t)
	if err := sa.Join("r"); err != nil {
		t.Fatal(err)
	}
	if err := sb.Join("r"); err != nil {
		t.Fatal(err)
	}
	sb.Set("name", "bob")

	t.Run("broadcast reaches the other server", func(t *testing.T) {
		if err := a.srv.Emit("hello", "world", []byte{1, 2}); err != nil {
			t.Fatal(err)
		}
		want := `51-["hello","world",{"_placeholder":true,"num":0}]`
		for _, c := range []*conn{ca, cb, cb2} {
			if got := c.next(t); got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		}
	})
	t.Run("room, except and local", func(t *testing.T) {
		_ = a.srv.To("r").Emit("room")              // ca, cb
		_ = a.srv.Except("r").Emit("notr")          // cb2
		_ = a.srv.Local().Emit("local")             // ca only
		_ = sa.Broadcast().Emit("bcast")            // cb, cb2
		_ = b.srv.To(sb2.ID()).Emit("direct")       // cb2
		_ = a.srv.To("r").Except(sb.ID()).Emit("x") // ca
		_ = a.srv.Emit("end")                       // all: a barrier
		want := map[*conn][]string{
			ca:  {`2["end"]`, `2["local"]`, `2["room"]`, `2["x"]`},
			cb:  {`2["bcast"]`, `2["end"]`, `2["room"]`},
			cb2: {`2["bcast"]`, `2["direct"]`, `2["end"]`, `2["notr"]`},
		}
		for c, w := range want {
			var got []string
			for len(got) == 0 || got[len(got)-1] != `2["end"]` {
				got = append(got, c.next(t))
			}
			// b's own emit is delivered at once, a's after a trip through Redis: compare sets.
			slices.Sort(got)
			if !slices.Equal(got, w) {
				t.Errorf("got %q, want %q", got, w)
			}
		}
	})
	t.Run("emitWithAck counts every server's clients", func(t *testing.T) {
		type result struct {
			r   []socketio.Reply
			err error
		}
		res := make(chan result, 1)
		go func() {
			r, err := a.srv.Timeout(5*time.Second).To("r").EmitWithAck(context.Background(), "q")
			res <- result{r, err}
		}()
		for _, c := range []*conn{ca, cb} {
			got := c.next(t)
			id := strings.TrimSuffix(strings.TrimPrefix(got, "2"), `["q"]`)
			c.client.OnText([]byte("3" + id + `["ok"]`))
		}
		r := <-res
		if r.err != nil || len(r.r) != 2 {
			t.Fatalf("got %d replies, %v; want 2", len(r.r), r.err)
		}
		for _, rep := range r.r {
			if string(rep.Args[0]) != `"ok"` {
				t.Errorf("reply %q", rep.Args)
			}
		}
	})
	t.Run("fetchSockets, socketsJoin, allRooms", func(t *testing.T) {
		got, err := a.srv.In("r").FetchClusterSockets(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, s := range got {
			ids = append(ids, s.ID)
			if s.ID == sb.ID() && string(s.Data) != `{"name":"bob"}` {
				t.Errorf("bob's data %s", s.Data)
			}
		}
		slices.Sort(ids)
		want := []string{sa.ID(), sb.ID()}
		slices.Sort(want)
		if !slices.Equal(ids, want) {
			t.Errorf("fetched %q, want %q", ids, want)
		}
		a.srv.In("r").SocketsJoin("joined")
		if err := a.redis.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		// b applies the join when it reads the request; a round trip through b proves it did.
		rooms, err := a.srv.Of("/").AllRooms(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(rooms, "joined") || !slices.Contains(rooms, sb2.ID()) {
			t.Errorf("all rooms %q", rooms)
		}
		if !slices.Contains(sb.Rooms(), "joined") {
			t.Errorf("bob's rooms %q after a remote socketsJoin", sb.Rooms())
		}
	})
	t.Run("serverSideEmit", func(t *testing.T) {
		got := make(chan string, 2)
		b.srv.Of("/").OnServerSideEmit("ping", func(args socketio.Payload, ack func(any) error) {
			got <- string(args.Args[0])
			if ack != nil {
				_ = ack("pong")
			}
		})
		if err := a.srv.Of("/").ServerSideEmit("ping", 1); err != nil {
			t.Fatal(err)
		}
		replies, err := a.srv.Of("/").ServerSideEmitWithAck(context.Background(), "ping", 2)
		if err != nil || len(replies) != 1 || string(replies[0]) != `"pong"` {
			t.Errorf("replies %q, %v", replies, err)
		}
		if x, y := <-got, <-got; x != "1" || y != "2" {
			t.Errorf("handler got %s, %s", x, y)
		}
	})
	t.Run("disconnectSockets", func(t *testing.T) {
		a.srv.In("joined").DisconnectSockets(false)
		if got := cb.next(t); got != "1" {
			t.Errorf("bob got %q, want a DISCONNECT", got)
		}
		if sb2.Connected() == false {
			t.Error("a socket outside the room was disconnected")
		}
	})
}

func TestRedisKeyPrefix(t *testing.T) {
	rs := startRedis(t)
	a := newNode(t, rs.url(), Options{Key: "lab"})
	b := newNode(t, rs.url(), Options{Key: "lab"})
	other := newNode(t, rs.url(), Options{})
	waitServers(t, 2, a, b)
	waitServers(t, 1, other)
	cb, _ := b.dial(t)
	co, _ := other.dial(t)
	_ = a.srv.Emit("hi")
	_ = other.srv.Local().Emit("end")
	if got := cb.next(t); got != `2["hi"]` {
		t.Errorf("same prefix got %q", got)
	}
	if got := co.next(t); got != `2["end"]` {
		t.Errorf("another prefix got %q before its own event", got)
	}
}

// TestRedisRestart: Redis goes away and comes back. What is emitted meanwhile is counted as
// lost and logged; the subscriptions come back on their own.
func TestRedisRestart(t *testing.T) {
	rs, a, b := twoNodes(t)
	cb, _ := b.dial(t)
	_ = a.srv.Emit("before")
	if got := cb.next(t); got != `2["before"]` {
		t.Fatalf("got %q", got)
	}

	rs.stop()
	for i := range 3 {
		_ = a.srv.Emit("while down", i)
	}
	if err := a.redis.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := a.redis.Stats(); st.Lost != 3 {
		t.Errorf("lost %d, want 3 (%+v)", st.Lost, st)
	}
	if !strings.Contains(a.logs.String(), "redis unreachable") {
		t.Errorf("no outage in the log:\n%s", a.logs)
	}

	rs.start()
	waitServers(t, 2, a, b) // the subscriptions came back by themselves
	ctx := context.Background()
	_ = a.srv.Emit("after")
	if got := cb.next(t); got != `2["after"]` {
		t.Errorf("after the restart got %q", got)
	}
	if st := b.redis.Stats(); st.Reconnects < 1 {
		t.Errorf("b reconnects %d", st.Reconnects)
	}
	if err := a.redis.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(a.logs.String(), "lost_while_down=3") {
		t.Errorf("the recovery does not report the loss:\n%s", a.logs)
	}
}

// TestRedisDeafServer: a server that subscribes but never answers makes requests fail after
// the timeout with a clear error; pending requests stay bounded and are released.
func TestRedisDeafServer(t *testing.T) {
	rs := startRedis(t)
	a := newNode(t, rs.url(), Options{RequestsTimeout: 300 * time.Millisecond, MaxPendingRequests: 2})
	sub := rs.client().Subscribe(context.Background(), "socket.io-request#/#")
	defer sub.Close()
	if _, err := sub.Receive(context.Background()); err != nil { // the subscription confirmation
		t.Fatal(err)
	}
	waitServers(t, 2, a)

	_, err := a.srv.FetchClusterSockets(context.Background())
	if !errors.Is(err, ErrRequestTimeout) || !strings.Contains(err.Error(), "fetchSockets") || !strings.Contains(err.Error(), "0 of 1 servers answered") {
		t.Errorf("got %v, want a fetchSockets timeout naming the servers", err)
	}
	_, err = a.srv.Of("/").ServerSideEmitWithAck(context.Background(), "x")
	if !errors.Is(err, socketio.ErrServerSideAck) {
		t.Errorf("serverSideEmitWithAck: %v", err)
	}

	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := a.srv.Of("/").AllRooms(context.Background())
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	var timeouts, refused int
	for err := range errs {
		switch {
		case errors.Is(err, ErrRequestTimeout):
			timeouts++
		case errors.Is(err, ErrTooManyRequests):
			refused++
		default:
			t.Errorf("allRooms: %v", err)
		}
	}
	if timeouts < 1 || timeouts+refused != 3 {
		t.Errorf("%d timeouts, %d refused", timeouts, refused)
	}
	if p := a.redis.Pending(); p != 0 {
		t.Errorf("%d requests still pending", p)
	}
}

// TestRedisMalformed: garbage on the adapter's channels is counted and ignored.
func TestRedisMalformed(t *testing.T) {
	rs, a, b := twoNodes(t)
	cb, _ := b.dial(t)
	raw := rs.client()
	ctx := context.Background()
	for _, m := range []struct{ ch, msg string }{
		{"socket.io#/#", "\x93\xa1u"},
		{"socket.io#/#", "not msgpack"},
		{"socket.io-request#/#", `{"type":`},
		{"socket.io-request#/#", "\x81\xa4type\x07"},
	} {
		if err := raw.Publish(ctx, m.ch, m.msg).Err(); err != nil {
			t.Fatal(err)
		}
	}
	_ = a.srv.Emit("fine")
	if got := cb.next(t); got != `2["fine"]` {
		t.Errorf("got %q", got)
	}
	if st := b.redis.Stats(); st.Malformed != 4 {
		t.Errorf("malformed %d, want 4", st.Malformed)
	}
}
