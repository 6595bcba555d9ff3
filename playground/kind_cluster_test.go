package playground

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// eventsUntil reads c's packets until the event named last arrives and returns the names of the
// events it received on the way (last included); the test fails after 5 s without a packet.
func eventsUntil(c *scenarioConn, last string) []string {
	c.t.Helper()
	var got []string
	for {
		p := c.next()
		if _, ev, ok := parseEvent(strings.TrimPrefix(p, "2"+c.nsp)); ok && strings.HasPrefix(p, "2") {
			got = append(got, ev)
			if ev == last {
				return got
			}
		}
	}
}

// connected dials a client on server and waits for its CONNECT reply.
func connected(t *testing.T, base, path, name, server string) *scenarioConn {
	t.Helper()
	c := dialScenario(t, base, path, scenarioClient{name: name, server: server}, "")
	if p := c.next(); !strings.HasPrefix(p, "0{") {
		t.Fatalf("%s on %s: %q, want a CONNECT reply", name, server, p)
	}
	return c
}

func switchAdapter(t *testing.T, base, id string, on bool) {
	t.Helper()
	body := `{"on":false}`
	if on {
		body = `{"on":true}`
	}
	resp, err := http.Post(base+"/play/"+id+"/adapter", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("adapter %s: %d", body, resp.StatusCode)
	}
}

// The cluster demo: with the adapter off a broadcast stays on its server; on, it reaches every
// server through the broker (the built-in stand-in), on the channel the tap's monitor names;
// io.local stays on its server either way; fetchSockets ("who") sees every server only with it.
func TestClusterDemo(t *testing.T) {
	reg, srv := newTestRegistry(t, Options{})
	status, in := create(t, srv.URL, "cluster", `{}`)
	if status != 201 {
		t.Fatalf("create: %d %s", status, in.Error)
	}
	tapResp, err := http.Get(srv.URL + in.Tap)
	if err != nil {
		t.Fatal(err)
	}
	defer tapResp.Body.Close()
	tap := bufio.NewScanner(tapResp.Body)
	tap.Buffer(make([]byte, 1<<20), 1<<20)

	emit := func(c *scenarioConn, id int, event, arg string) {
		c.write("42" + itoa(id) + `["` + event + `",` + arg + `]`)
	}
	for _, on := range []bool{false, true} {
		if on {
			switchAdapter(t, srv.URL, in.ID, true)
		}
		ada := connected(t, srv.URL, in.Path, "Ada", "A")
		grace := connected(t, srv.URL, in.Path, "Grace", "B")
		linus := connected(t, srv.URL, in.Path, "Linus", "A")
		// io.local.emit, then a broadcast to everyone: pub/sub keeps one publisher's order, so
		// Grace (on B) has the local emit before "hello" if it ever travels.
		emit(ada, 1, "local", `{"event":"only-A","args":[]}`)
		emit(ada, 2, "send", `{"event":"hello","args":["hi"],"scope":"all"}`)
		if got := eventsUntil(linus, "hello"); strings.Join(got, ",") != "only-A,hello" {
			t.Errorf("on=%v: Linus (A) received %v, want only-A then hello", on, got)
		}
		emit(ada, 3, "who", `null`)
		var ack string
		for ack == "" {
			if p := ada.next(); strings.HasPrefix(p, "33[") {
				ack = p[2:]
			}
		}
		want := `[[{"name":"Ada","server":"A"},{"name":"Linus","server":"A"}]]`
		if on {
			want = `[[{"name":"Ada","server":"A"},{"name":"Linus","server":"A"},{"name":"Grace","server":"B"}]]`
		}
		if ack != want {
			t.Errorf("on=%v: who acked %s, want %s", on, ack, want)
		}
		// Grace's own emit to herself is the fence: with the adapter off nothing can come
		// before it; with it on, hello must.
		emit(grace, 4, "send", `{"event":"fence","args":[],"scope":"self"}`)
		got := strings.Join(eventsUntil(grace, "fence"), ",")
		if want := map[bool]string{false: "fence", true: "hello,fence"}[on]; got != want {
			t.Errorf("on=%v: Grace (B) received %s, want %s", on, got, want)
		}
		for _, c := range []*scenarioConn{ada, grace, linus} {
			c.ws.Close()
			<-c.done
		}
	}
	// The monitor saw the broadcast on the adapter's channel, named by the broker.
	key := "demo-" + in.ID[:8] + ":socket.io"
	seen := map[string]bool{}
	for tap.Scan() && !(seen["broadcast "+key+"#/#"] && seen["request "+key+"-request#/#"]) {
		line, ok := strings.CutPrefix(tap.Text(), "data: ")
		if !ok {
			continue
		}
		var m struct{ Type, Kind, Channel, Request, Event string }
		json.Unmarshal([]byte(line), &m)
		if m.Type == "broker" {
			seen[m.Kind+" "+m.Channel] = true
			if m.Kind == "broadcast" && m.Event == "only-A" {
				t.Errorf("io.local.emit reached the broker: %s", line)
			}
		}
	}
	if !seen["broadcast "+key+"#/#"] || !seen["request "+key+"-request#/#"] {
		t.Errorf("the broker monitor saw %v", seen)
	}
	if reg.lookup(in.ID).SetAdapter(false) != nil {
		t.Error("switching off failed")
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// A student's program runs on every server (RunCode), and with the adapter on its
// io.fetchSockets() finds the clients of the other servers: the lesson's exercise solution.
func TestClusterRunCodeOnEveryServer(t *testing.T) {
	reg, srv := newTestRegistry(t, Options{})
	status, in := create(t, srv.URL, "cluster", `{"adapter":true}`)
	if status != 201 {
		t.Fatalf("create: %d %s", status, in.Error)
	}
	code := `io.on("connection", (socket) => {
  socket.on("online", async (callback) => {
    const sockets = await io.fetchSockets();
    callback(sockets.map((s) => s.handshake.auth.name).sort());
  });
});`
	if err := reg.lookup(in.ID).RunCode(code); err != nil {
		t.Fatal(err)
	}
	ada := connected(t, srv.URL, in.Path, "Ada", "A")
	connected(t, srv.URL, in.Path, "Grace", "B")
	connected(t, srv.URL, in.Path, "Linus", "C")
	ada.write(`421["online"]`)
	if p := ada.next(); p != `31[["Ada","Grace","Linus"]]` {
		t.Errorf("Ada's online answered %q, want every server's clients", p)
	}
	// Off again: the same program restarts in memory, and sees its own server only.
	if err := reg.lookup(in.ID).SetAdapter(false); err != nil {
		t.Fatal(err)
	}
	ada = connected(t, srv.URL, in.Path, "Ada", "A")
	connected(t, srv.URL, in.Path, "Grace", "B")
	ada.write(`421["online"]`)
	if p := ada.next(); p != `31[["Ada"]]` {
		t.Errorf("adapter off: Ada's online answered %q, want her own server's clients", p)
	}
}

// The cluster kind's JavaScript on three npm socket.io 4.8 servers with @socket.io/redis-adapter
// on a real redis-server (node/exercise/cluster-host.js), the kind's Go handlers on three hubs
// with the adapter on, and the same JavaScript in the sandbox on three hubs: the same
// observations. Only the request/answer steps, whose results do not depend on when a broker
// message arrives (fetchSockets, io.local).
func TestClusterJSMatchesNode(t *testing.T) {
	node := requireNode(t)
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI needs redis-server: %v", err)
		}
		t.Skipf("needs redis-server: %v", err)
	}
	reg, srv := newTestRegistry(t, Options{})
	code, err := KindOf("cluster").ServerJS(&DemoConfig{})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "server.js")
	if err := os.WriteFile(file, []byte(code), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "exercise/cluster-host.js", "0", file)
	cmd.Dir = filepath.Join("..", "node")
	lines := startNodeProcess(t, cmd) // SIGTERM at the end: it stops its redis-server
	if !strings.HasPrefix(lines.Text(), "listening ") {
		t.Fatalf("cluster-host.js: %q %v", lines.Text(), lines.Err())
	}
	nodeURL := "http://127.0.0.1:" + strings.TrimPrefix(lines.Text(), "listening ")

	sc := kindScenario{name: "cluster-3", kind: "cluster",
		clients: []scenarioClient{{name: "Ada", server: "A"}, {name: "Grace", server: "B"}, {name: "Linus", server: "C"}, {name: "Mary", server: "A"}},
		steps: []scenarioStep{
			{client: "Grace", event: "who", args: `null`},
			{client: "Ada", event: "local", args: `{"event":"only-A","args":[]}`},
			{client: "Linus", event: "local", args: `{"event":"only-C","args":[]}`},
			{client: "Mary", event: "who", args: `null`},
		}}
	status, goIn := create(t, srv.URL, "cluster", `{"adapter":true}`)
	if status != 201 {
		t.Fatalf("create: %d %s", status, goIn.Error)
	}
	status, jsIn := create(t, srv.URL, "cluster", `{"adapter":true}`)
	if status != 201 {
		t.Fatalf("create: %d %s", status, jsIn.Error)
	}
	if err := reg.lookup(jsIn.ID).RunCode(code); err != nil {
		t.Fatal(err)
	}
	nodeObs := runScenario(t, nodeURL, "/socket.io/", sc, false)
	goObs := runScenario(t, srv.URL, goIn.Path, sc, false)
	jsObs := runScenario(t, srv.URL, jsIn.Path, sc, false)
	for _, c := range sc.clients {
		n, g, j := strings.Join(nodeObs[c.name], "\n  "), strings.Join(goObs[c.name], "\n  "), strings.Join(jsObs[c.name], "\n  ")
		if g != n {
			t.Errorf("%s on the Go hubs:\n  %s\non socket.io in Node:\n  %s", c.name, g, n)
		}
		if j != n {
			t.Errorf("%s on the sandbox:\n  %s\non socket.io in Node:\n  %s", c.name, j, n)
		}
	}
	if want := `[{"name":"Ada","server":"A"},{"name":"Mary","server":"A"},{"name":"Grace","server":"B"},{"name":"Linus","server":"C"}]`; !strings.Contains(strings.Join(nodeObs["Grace"], "\n"), want) {
		t.Errorf("Grace's who on Node: %v, want every server's clients %s", nodeObs["Grace"], want)
	}
}

// A swept cluster instance leaves nothing on the broker: its servers' subscriptions and its
// monitor's pattern are gone (goleak, in TestMain, checks their goroutines); another instance's
// stay. Bad requests to the switch get precise answers.
func TestClusterSweepAndSwitchErrors(t *testing.T) {
	var now atomic.Int64
	now.Store(1_000_000)
	r, srv := newTestRegistry(t, Options{IdleTimeout: time.Minute, now: func() time.Time { return time.Unix(now.Load(), 0) }})
	_, idle := create(t, srv.URL, "cluster", `{"adapter":true}`)
	_, busy := create(t, srv.URL, "cluster", `{"adapter":true}`)
	_, chat := create(t, srv.URL, "chat", `{}`)
	connected(t, srv.URL, busy.Path, "Ada", "B")
	broker, err := r.demoBroker()
	if err != nil {
		t.Fatal(err)
	}
	opts, _ := redis.ParseURL(broker.URL)
	rc := redis.NewClient(opts)
	defer rc.Close()
	ctx := context.Background()
	// subscribers counts the servers listening for an instance's requests.
	subscribers := func(in created) int64 {
		key := "demo-" + in.ID[:8] + ":socket.io"
		n, err := rc.PubSubNumSub(ctx, key+"-request#/#").Result()
		if err != nil {
			t.Fatal(err)
		}
		return n[key+"-request#/#"]
	}
	if n := subscribers(idle); n != 3 {
		t.Fatalf("before the sweep: %d servers subscribed to the idle instance's requests, want 3", n)
	}
	idleIn := r.lookup(idle.ID)
	now.Add(int64(2 * time.Minute / time.Second))
	if n := r.Sweep(); n != 2 { // the idle cluster and the chat
		t.Fatalf("Sweep reclaimed %d instances, want 2", n)
	}
	// The swept instance closed its servers' Redis connections and its monitor (the broker
	// forgets a closed connection's subscriptions when it notices the close, later; goleak sees
	// that no goroutine of theirs is left).
	if !idleIn.Closed() || !idleIn.cur.Load().adapters.closed.Load() || idleIn.kindState.(*clusterState).monitor != nil {
		t.Errorf("the swept instance still holds its adapters or its monitor")
	}
	if n := subscribers(busy); n != 3 {
		t.Errorf("the busy instance has %d subscribers, want its 3 servers", n)
	}

	for _, tc := range []struct {
		name, id, body string
		status         int
		want           string
	}{
		{"no body", busy.ID, ``, 400, `{"on": true}`},
		{"no on", busy.ID, `{"off":true}`, 400, `{"on": true}`},
		{"swept", chat.ID, `{"on":true}`, 404, "unknown or expired"},
		{"unknown", "nope", `{"on":true}`, 404, "unknown or expired"},
	} {
		resp, err := http.Post(srv.URL+"/play/"+tc.id+"/adapter", "application/json", strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		var body struct{ Error string }
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || !strings.Contains(body.Error, tc.want) {
			t.Errorf("%s: %d %q, want %d with %q", tc.name, resp.StatusCode, body.Error, tc.status, tc.want)
		}
	}
	_, chat2 := create(t, srv.URL, "chat", `{}`)
	resp, err := http.Post(srv.URL+"/play/"+chat2.ID+"/adapter", "application/json", strings.NewReader(`{"on":true}`))
	if err != nil {
		t.Fatal(err)
	}
	var body struct{ Error string }
	json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if resp.StatusCode != 400 || body.Error != ErrOneServer.Error() {
		t.Errorf("a one-server demo: %d %q, want 400 %q", resp.StatusCode, body.Error, ErrOneServer)
	}
}
