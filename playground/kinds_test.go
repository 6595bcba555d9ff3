package playground

import (
	"bufio"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestKindJSMatchesGo runs each kind's JavaScript (the code the demo shows, and the code its
// editor's Reset runs) on npm socket.io 4.8 in Node and in our sandbox (RunCode on a demo
// instance of the kind, as Reset does), drives the same client actions against both and against
// the kind's Go handlers on another instance, and requires the same observations on all three:
// what each client received, in order, its acks and its connect errors.
func TestKindJSMatchesGo(t *testing.T) {
	node := requireNode(t)
	reg, srv := newTestRegistry(t, Options{})
	for _, sc := range kindScenarios {
		t.Run(sc.name, func(t *testing.T) {
			kind := KindOf(sc.kind)
			cfg, err := ParseDemo(sc.kind, json.RawMessage(sc.config))
			if err != nil {
				t.Fatal(err)
			}
			code, err := kind.ServerJS(cfg)
			if err != nil {
				t.Fatal(err)
			}
			nodeURL := startNodeKind(t, node, code, kind.ServerOptions())
			status, in := create(t, srv.URL, sc.kind, sc.config)
			if status != 201 {
				t.Fatalf("create %s: %d %s", sc.kind, status, in.Error)
			}
			status, js := create(t, srv.URL, sc.kind, sc.config)
			if status != 201 {
				t.Fatalf("create %s: %d %s", sc.kind, status, js.Error)
			}
			if err := reg.lookup(js.ID).RunCode(code); err != nil {
				t.Fatalf("the %s kind's JavaScript does not run in the sandbox: %v", sc.kind, err)
			}
			recovery := kind.Recovery != nil
			goObs := runScenario(t, srv.URL, in.Path, sc, recovery)
			nodeObs := runScenario(t, nodeURL, "/socket.io/", sc, recovery)
			jsObs := runScenario(t, srv.URL, js.Path, sc, recovery)
			for _, name := range slices.Sorted(maps.Keys(nodeObs)) {
				g, n, j := strings.Join(goObs[name], "\n  "), strings.Join(nodeObs[name], "\n  "), strings.Join(jsObs[name], "\n  ")
				if g != n {
					t.Errorf("%s observed on the Go hub:\n  %s\non socket.io in Node:\n  %s", name, g, n)
				}
				if j != n {
					t.Errorf("%s observed on the sandbox running the kind's JavaScript:\n  %s\non socket.io in Node:\n  %s", name, j, n)
				}
			}
			if testing.Verbose() {
				t.Logf("observations: %v", goObs)
			}
		})
	}
}

// startNodeProcess starts cmd (node, in node/) and returns its stdout with the first line read;
// the test ends it with SIGTERM (a host stops what it started) and waits for it.
func startNodeProcess(t *testing.T, cmd *exec.Cmd) *bufio.Scanner {
	t.Helper()
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		for lines.Scan() { // drain, so that Wait returns
		}
		cmd.Wait()
	})
	if !lines.Scan() {
		t.Fatalf("%s printed nothing: %v", strings.Join(cmd.Args, " "), lines.Err())
	}
	return lines
}

// startNodeKind runs node/kinds/serve.js with the code and returns its base URL.
func startNodeKind(t *testing.T, node, code string, options map[string]any) string {
	t.Helper()
	cmd := exec.Command(node, "kinds/serve.js")
	cmd.Dir = filepath.Join("..", "node")
	in, _ := json.Marshal(map[string]any{"code": code, "options": options})
	cmd.Stdin = strings.NewReader(string(in))
	lines := startNodeProcess(t, cmd)
	var ready struct{ Port int }
	if err := json.Unmarshal(lines.Bytes(), &ready); err != nil || ready.Port == 0 {
		t.Fatalf("node kinds/serve.js: first line %q", lines.Text())
	}
	return "http://127.0.0.1:" + strconv.Itoa(ready.Port)
}

// issuedToken matches a login's answer: a fresh token and its expiry.
var issuedToken = regexp.MustCompile(`\{"exp":\d+,"token":"[\w-]+\.[\w-]+\.[\w-]+"\}`)

// forgedToken is Mallory's claims under the signature of Ada's: the MAC does not match.
func forgedToken() string {
	ada := strings.Split(signToken(tokenClaims{Sub: "Ada", Exp: 4102444800}), ".")
	mallory := strings.Split(signToken(tokenClaims{Sub: "Mallory", Exp: 4102444800}), ".")
	return mallory[0] + "." + mallory[1] + "." + ada[2]
}

// A kindScenario is clients and the steps they take.
type kindScenario struct {
	name, kind, config string
	clients            []scenarioClient
	steps              []scenarioStep
}

type scenarioClient struct {
	name, nsp, auth string
	answer          bool   // acks "question" (with "NAME: yes") and "delivery" (with "ok")
	job             string // acks "job" with this string ("done", "failed"); "" never answers
	later           bool   // connects at its first step, not at the start
	server          string // the cluster demo's server (?server=)
}

// A scenarioStep: client emits event with the JSON args (with an ack unless noAck), or connects.
type scenarioStep struct {
	client, event, args string
	noAck, connect      bool
	// drop closes the client's WebSocket without a DISCONNECT (a lost network) and waits until
	// the server saw it go; recover connects it again with its pid and last offset, as
	// socket.io-client does to recover its session.
	drop, recover bool
	// waitFor records the client's packets until it has received this event (what a server
	// sends on its own, after several round trips with other clients: a redelivery, a dead letter).
	waitFor string
	// ends: the server ends the client's socket in answer to the event (a kick): the client
	// reads up to the DISCONNECT packet and closes its connection.
	ends bool
}

var kindScenarios = []kindScenario{
	{name: "chat", kind: "chat", config: `{}`,
		clients: []scenarioClient{{name: "Ada"}, {name: "Grace"}, {name: "Linus"}},
		steps: []scenarioStep{
			{client: "Ada", event: "chat message", args: `"hello"`, noAck: true},
			{client: "Grace", event: "chat message", args: `"hi Ada"`, noAck: true},
			{client: "Linus", event: "chat message", args: `42`},
			{client: "Linus", event: "send", args: `{"event":"chat","args":["x"],"scope":"broadcast"}`},
		}},
	{name: "emit-scopes", kind: "emit-scopes", config: `{}`,
		clients: []scenarioClient{{name: "A"}, {name: "B"}, {name: "C"}},
		steps: []scenarioStep{
			{client: "B", event: "send", args: `{"event":"chat","args":["one"],"scope":"self"}`},
			{client: "B", event: "send", args: `{"event":"chat","args":["one again"],"scope":""}`},
			{client: "C", event: "send", args: `{"event":"chat","args":["no scope"]}`},
			{client: "B", event: "send", args: `{"event":"chat","args":["two",{"n":2}],"scope":"all"}`},
			{client: "B", event: "send", args: `{"event":"chat","args":[],"scope":"broadcast"}`},
			{client: "B", event: "send", args: `{"args":[],"scope":"all"}`},
			{client: "B", event: "send", args: `{"event":"chat","args":[],"scope":"room"}`},
			{client: "B", event: "send", args: `{"event":"chat","args":[],"scope":"nowhere"}`},
		}},
	{name: "rooms", kind: "rooms", config: `{"rooms":["room-1","room-2"]}`,
		clients: []scenarioClient{{name: "A"}, {name: "B"}, {name: "C"}},
		steps: []scenarioStep{
			{client: "A", event: "join", args: `"room-1"`},
			{client: "B", event: "join", args: `"room-1"`},
			{client: "B", event: "join", args: `"room-2"`},
			{client: "C", event: "join", args: `"room-2"`},
			{client: "C", event: "join", args: `""`},
			{client: "A", event: "send", args: `{"event":"news","args":["to room-1"],"scope":"room","room":"room-1"}`},
			{client: "A", event: "send", args: `{"event":"news","args":["to both"],"scope":"room","to":["room-1","room-2"]}`},
			{client: "A", event: "send", args: `{"event":"news","args":["not me"],"scope":"socket-room","to":["room-1","room-2"]}`},
			{client: "A", event: "send", args: `{"event":"news","args":["but room-2"],"scope":"room","to":"room-1","except":"room-2"}`},
			{client: "C", event: "send", args: `{"event":"news","args":["not room-1"],"scope":"except","except":"room-1"}`},
			{client: "C", event: "send", args: `{"event":"news","args":["room as except"],"scope":"except","room":"room-2"}`},
			{client: "B", event: "leave", args: `"room-1"`},
			{client: "C", event: "send", args: `{"event":"news","args":["after leave"],"scope":"room","room":"room-1"}`},
		}},
	{name: "namespaces", kind: "namespaces", config: `{"namespaces":["/orders"]}`,
		clients: []scenarioClient{
			{name: "A"}, {name: "B", nsp: "/orders", auth: `"token":"t"`}, {name: "C", nsp: "/orders"}, {name: "D", nsp: "/orders", auth: `"token":"u"`}},
		steps: []scenarioStep{
			{client: "B", event: "order", args: `"2 teas"`},
			{client: "B", event: "order", args: `""`},
			{client: "A", event: "order", args: `"1 cake"`, noAck: true},
			{client: "D", event: "send", args: `{"event":"chat","args":["orders only"],"scope":"all"}`},
			{client: "A", event: "send", args: `{"event":"chat","args":["slash only"],"scope":"all"}`},
		}},
	{name: "tenants", kind: "tenants", config: `{"tenants":[{"name":"acme","token":"a"},{"name":"globex","token":"g"}]}`,
		clients: []scenarioClient{
			{name: "A", nsp: "/org-acme", auth: `"token":"a"`}, {name: "B", nsp: "/org-acme", auth: `"token":"g"`},
			{name: "C", nsp: "/org-globex", auth: `"token":"g"`}, {name: "D", nsp: "/org-acme", auth: `"token":"a"`}, {name: "E", nsp: "/org-nobody"}},
		steps: []scenarioStep{
			{client: "A", event: "send", args: `{"event":"chat","args":["acme"],"scope":"all"}`},
			{client: "C", event: "send", args: `{"event":"chat","args":["globex"],"scope":"broadcast"}`},
		}},
	{name: "acks", kind: "acks", config: `{}`,
		clients: []scenarioClient{{name: "A"}, {name: "B", answer: true}, {name: "C"}},
		steps: []scenarioStep{
			{client: "A", event: "ask", args: `{"to":"B","question":"are you there?","timeout":1000}`},
			{client: "A", event: "ask", args: `{"to":"C","question":"and you?","timeout":100}`},
			{client: "A", event: "ask", args: `{"to":"Z","question":"?","timeout":100}`},
			{client: "A", event: "ask", args: `"bad"`},
		}},
	// One server, as node/kinds/serve.js runs one (no adapter): io.local.emit, fetchSockets
	// ("who") and the common scopes; TestClusterDemo covers three servers and the broker.
	{name: "cluster", kind: "cluster", config: `{}`,
		clients: []scenarioClient{{name: "Ada"}, {name: "Grace"}},
		steps: []scenarioStep{
			{client: "Ada", event: "local", args: `{"event":"only-here","args":[1]}`},
			{client: "Grace", event: "who", args: `null`},
			{client: "Grace", event: "send", args: `{"event":"news","args":["x"],"scope":"all"}`},
			{client: "Ada", event: "local", args: `{"args":[]}`},
			{client: "Grace", event: "join", args: `"room-1"`},
			{client: "Ada", event: "broadcast", args: `{"event":"to-room","args":[2],"room":"room-1"}`},
			{client: "Ada", event: "broadcast", args: `{"event":"to-all","args":[]}`},
			{client: "Grace", event: "broadcast", args: `{"args":[]}`},
		}},
	{name: "queue", kind: "queue", config: `{}`,
		clients: []scenarioClient{{name: "A", answer: true}, {name: "B", answer: true}, {name: "Z", answer: true, later: true}},
		steps: []scenarioStep{
			{client: "A", event: "deliver", args: `{"to":"B","text":"parcel 1"}`},
			{client: "A", event: "deliver", args: `{"to":"Z","text":"parcel 2"}`},
			{client: "A", event: "deliver", args: `{"to":"Z","text":"parcel 3"}`},
			{client: "A", event: "deliver", args: `{"text":"nobody"}`},
			{client: "Z", connect: true},
			{client: "A", event: "send", args: `{"event":"chat","args":["recovery offsets"],"scope":"all"}`},
			{client: "B", event: "join", args: `"room-1"`},
			{client: "B", drop: true},
			{client: "A", event: "send", args: `{"event":"chat","args":["missed by B"],"scope":"all"}`},
			{client: "A", event: "send", args: `{"event":"chat","args":["to room-1"],"scope":"room","room":"room-1"}`},
			{client: "A", event: "deliver", args: `{"to":"B","text":"parcel 4"}`},
			{client: "B", recover: true},
			{client: "B", event: "send", args: `{"event":"chat","args":["B is back"],"scope":"room","room":"room-1"}`},
		}},
	{name: "broker", kind: "broker", config: `{}`,
		clients: []scenarioClient{{name: "P"}, {name: "W1", auth: `"worker":true`, job: "done"}, {name: "W2", auth: `"worker":true`, job: "done"},
			{name: "H", auth: `"worker":true`, later: true}, {name: "F", auth: `"worker":true`, job: "failed", later: true}},
		steps: []scenarioStep{
			{client: "P", event: "publish", args: `{"text":"m1"}`}, // pub/sub to W1 and W2; the job to W1
			{client: "P", event: "publish", args: `{"text":"m2"}`}, // the job to W2: competing consumers
			{client: "W2", drop: true},
			{client: "P", event: "publish", args: `{"text":"m3 missed by W2"}`},
			{client: "W1", drop: true},
			{client: "P", event: "publish", args: `{"text":"m4 waits"}`}, // no worker: it waits in the queue
			{client: "W2", connect: true},                                // gets m4, not m3's news
			{client: "H", connect: true},                                 // H never answers
			{client: "P", event: "publish", args: `{"text":"m5"}`},       // to W2
			{client: "P", event: "publish", args: `{"text":"m6 held by H"}`},
			{client: "H", drop: true}, // H leaves holding m6: it goes to W2, attempt 2
			{client: "W2", waitFor: "job"},
			{client: "F", connect: true},
			{client: "P", event: "publish", args: `{"text":"m7"}`}, // to W2, idle longer than F
			{client: "W2", drop: true},
			{client: "P", event: "publish", args: `{"text":"m8 poison"}`}, // F fails it 3 times: a dead letter for P
			{client: "P", waitFor: "dead letter"},
			{client: "P", event: "publish", args: `"bad"`},
			{client: "P", event: "publish", args: `{"text":42}`},
		}},
	{name: "reconnection", kind: "reconnection", config: `{"clients":["A","B"]}`,
		clients: []scenarioClient{{name: "A"}, {name: "B"}},
		steps: []scenarioStep{
			{client: "A", event: "send", args: `{"event":"msg","args":["A #1"],"scope":"all"}`},
			{client: "B", event: "kick", args: `null`, ends: true},
			{client: "A", event: "send", args: `{"event":"msg","args":["B was kicked"],"scope":"all"}`},
			{client: "B", connect: true},
			{client: "A", event: "send", args: `{"event":"msg","args":["B is back"],"scope":"broadcast"}`},
		}},
	{name: "authentication", kind: "authentication", config: `{}`,
		clients: []scenarioClient{
			{name: "Ada", auth: `"token":"` + signToken(tokenClaims{Sub: "Ada", Exp: 4102444800}) + `"`},
			{name: "Grace", nsp: "/login"},
			{name: "Mallory", auth: `"token":"` + forgedToken() + `"`},
			{name: "Old", auth: `"token":"` + signToken(tokenClaims{Sub: "Old", Exp: 1_000_000_000}) + `"`},
			{name: "Nobody"},
			{name: "Bad", auth: `"token":"a.b"`},
		},
		steps: []scenarioStep{
			{client: "Ada", event: "whoami"},
			{client: "Grace", event: "login", args: `"Grace"`},
			{client: "Grace", event: "login", args: `""`},
			{client: "Ada", event: "send", args: `{"event":"hello","args":["from Ada"],"scope":"all"}`},
		}},
	{name: "console", kind: "console", config: `{"clients":["Ada","Grace"]}`,
		clients: []scenarioClient{{name: "Ada"}, {name: "Grace"}},
		steps: []scenarioStep{
			{client: "Ada", event: "chat message", args: `"nobody listens"`, noAck: true},
			{client: "Ada", event: "send", args: `{"event":"chat message","args":["hello"],"scope":"all"}`},
		}},
}

// scenarioConn is one client: a reader goroutine answers pings (and questions, deliveries when
// the client answers) and passes every other packet on.
type scenarioConn struct {
	t       *testing.T
	ws      *websocket.Conn
	mu      sync.Mutex // the reader answers pings and questions while the test writes
	offset  string     // the last recovery offset received; guarded by mu
	pid     string     // the session's private id, with connection state recovery
	done    chan struct{}
	dropped bool
	name    string
	nsp     string // "" for "/", else "/orders,"
	sid     string
	packets chan string
	nextAck int
}

func dialScenario(t *testing.T, base, path string, c scenarioClient, recover string) *scenarioConn {
	t.Helper()
	u := "ws" + strings.TrimPrefix(base, "http") + path + "?EIO=4&transport=websocket"
	if c.server != "" {
		u += "&server=" + c.server
	}
	ws, _, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", u, err)
	}
	sc := &scenarioConn{t: t, ws: ws, name: c.name, packets: make(chan string, 256), nextAck: 100}
	if c.nsp != "" && c.nsp != "/" {
		sc.nsp = c.nsp + ","
	}
	done := make(chan struct{})
	sc.done = done
	t.Cleanup(func() { ws.Close(); <-done })
	go func() {
		defer close(done)
		defer close(sc.packets)
		for {
			ws.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, b, err := ws.ReadMessage()
			if err != nil {
				return
			}
			f := string(b)
			switch {
			case f == "2":
				sc.write("3")
				continue
			case !strings.HasPrefix(f, "4"):
				continue // the open packet
			}
			if body := strings.TrimPrefix(f[2:], sc.nsp); f[1] == '2' && strings.HasPrefix(body, "[") {
				var args []any // an event without an ack: with recovery on, its last argument is its offset
				if json.Unmarshal([]byte(body), &args) == nil && len(args) > 1 {
					if off, ok := args[len(args)-1].(string); ok {
						sc.mu.Lock()
						sc.offset = off
						sc.mu.Unlock()
					}
				}
			}
			if id, ev, ok := parseEvent(strings.TrimPrefix(f[2:], sc.nsp)); ok && f[1] == '2' && ev == "job" && c.job != "" {
				sc.write(fmt.Sprintf("43%s%d[%q]", sc.nsp, id, c.job))
			}
			if c.answer {
				if id, ev, ok := parseEvent(strings.TrimPrefix(f[2:], sc.nsp)); ok && f[1] == '2' {
					switch ev {
					case "question":
						sc.write(fmt.Sprintf("43%s%d[%q]", sc.nsp, id, c.name+": yes"))
					case "delivery":
						sc.write(fmt.Sprintf(`43%s%d["ok"]`, sc.nsp, id))
					}
				}
			}
			sc.packets <- f[1:]
		}
	}()
	auth := `{"name":"` + c.name + `"`
	if c.auth != "" {
		auth += "," + c.auth
	}
	if recover != "" {
		auth += "," + recover
	}
	sc.write("40" + sc.nsp + auth + "}")
	return sc
}

var eventRE = regexp.MustCompile(`^(\d*)\["((?:[^"\\]|\\.)*)"`)

// parseEvent reads the ack id (-1 without) and the event name of an EVENT packet's body.
func parseEvent(body string) (id int, event string, ok bool) {
	m := eventRE.FindStringSubmatch(body)
	if m == nil {
		return 0, "", false
	}
	id = -1
	if m[1] != "" {
		id, _ = strconv.Atoi(m[1])
	}
	event, _ = strconv.Unquote(`"` + m[2] + `"`)
	return id, event, true
}

func (c *scenarioConn) write(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ws.WriteMessage(websocket.TextMessage, []byte(s))
}

// next is the next packet (without the Engine.IO "4"); the test fails after 5 s without one.
func (c *scenarioConn) next() string {
	c.t.Helper()
	select {
	case p, ok := <-c.packets:
		if !ok {
			c.t.Fatalf("%s: connection closed", c.name)
		}
		return p
	case <-time.After(5 * time.Second):
		c.t.Fatalf("%s: no packet for 5 s", c.name)
		return ""
	}
}

// runScenario plays a scenario on a server and returns, per client, what it observed with
// socket ids replaced by client names and JSON normalized (sorted keys, recovery offsets cut).
func runScenario(t *testing.T, base, path string, sc kindScenario, recovery bool) map[string][]string {
	conns := map[string]*scenarioConn{}
	obs := map[string][]string{}
	var fenceLater []*scenarioConn
	connect := func(c scenarioClient, recover string) {
		conn := dialScenario(t, base, path, c, recover)
		conns[c.name] = conn
		p := conn.next()
		for strings.HasPrefix(p, "2") { // a recovered session's missed packets come before the CONNECT reply, in socket.io too
			if !strings.HasPrefix(p, "2"+conn.nsp+`["probe"`) {
				obs[c.name] = append(obs[c.name], "before the CONNECT reply: "+canonicalPacket(conn.nsp, p, recovery))
			}
			p = conn.next()
		}
		if sid, ok := strings.CutPrefix(p, "0"+conn.nsp); ok {
			var v struct{ Sid, Pid string }
			json.Unmarshal([]byte(sid), &v)
			conn.sid, conn.pid = v.Sid, v.Pid
			obs[c.name] = append(obs[c.name], "connected")
			// On the hub the connection handler runs after the CONNECT reply (in socket.io, in
			// the same tick): the next step waits until it ran (its "send" handler answers).
			fenceLater = append(fenceLater, conn)
		} else {
			obs[c.name] = append(obs[c.name], "packet "+p)
		}
	}
	for _, c := range sc.clients {
		if !c.later {
			connect(c, "")
		}
	}

	normalize := func(p string) string {
		for name, c := range conns {
			if c.sid != "" {
				p = strings.ReplaceAll(p, c.sid, "<id of "+name+">")
			}
		}
		// A token issued during the run, and its expiry, depend on the clock.
		p = issuedToken.ReplaceAllString(p, `{"exp":"(now + life)","token":"(a token)"}`)
		return p
	}
	// record reads c's packets until stop says so, keeping those stop does not skip.
	record := func(c *scenarioConn, stop func(p string) (done, skip bool)) {
		for {
			p := c.next()
			done, skip := stop(p)
			skip = skip || strings.HasPrefix(p, "2"+c.nsp+`["probe"`)
			if !skip {
				obs[c.name] = append(obs[c.name], normalize(canonicalPacket(c.nsp, p, recovery)))
			}
			if done {
				return
			}
		}
	}
	// fence makes sure c received everything the server sent it so far: it emits to itself.
	fence := func(c *scenarioConn) {
		c.nextAck++
		c.write(fmt.Sprintf(`42%s%d["send",{"event":"fence","args":[],"scope":"self"}]`, c.nsp, c.nextAck))
		id := c.nextAck
		sawFence, sawAck := false, false
		record(c, func(p string) (bool, bool) {
			switch {
			case strings.HasPrefix(p, "2"+c.nsp+`["fence"`):
				sawFence = true
			case strings.HasPrefix(p, fmt.Sprintf("3%s%d[", c.nsp, id)):
				sawAck = true
			default:
				return false, false
			}
			return sawFence && sawAck, true
		})
	}
	// drop closes c's connection like a lost network, keeps what it had received, and waits
	// until the server saw it go: another client of its namespace emits to everyone until the
	// ack counts one socket fewer.
	drop := func(c *scenarioConn) {
		c.ws.Close()
		<-c.done
		for p := range c.packets {
			if !strings.HasPrefix(p, "2"+c.nsp+`["probe"`) {
				obs[c.name] = append(obs[c.name], normalize(canonicalPacket(c.nsp, p, recovery)))
			}
		}
		c.dropped = true
		var prober *scenarioConn
		want := 0
		for _, o := range sc.clients {
			if oc := conns[o.name]; oc != nil && oc.sid != "" && !oc.dropped && oc.nsp == c.nsp {
				prober, want = oc, want+1
			}
		}
		for range 1000 {
			prober.nextAck++
			ack := fmt.Sprintf("3%s%d", prober.nsp, prober.nextAck)
			prober.write(fmt.Sprintf(`42%s%d["send",{"event":"probe","args":[],"scope":"all"}]`, prober.nsp, prober.nextAck))
			var got []struct{ Recipients int }
			record(prober, func(p string) (bool, bool) {
				if rest, ok := strings.CutPrefix(p, ack); ok {
					json.Unmarshal([]byte(rest), &got)
					return true, true
				}
				return false, false
			})
			if len(got) == 1 && got[0].Recipients == want {
				return
			}
		}
		t.Fatalf("the server still counts %s after 1000 emits", c.name)
	}
	fences := func() {
		for _, c := range fenceLater {
			fence(c)
		}
		fenceLater = nil
	}
	fences()
	var mark, cur map[string]int // how many observations each client had when the previous (this) step began
	for i, st := range sc.steps {
		mark, cur = cur, map[string]int{}
		for name := range obs {
			cur[name] = len(obs[name])
		}
		switch {
		case st.drop:
			drop(conns[st.client])
			continue
		case st.waitFor != "":
			c := conns[st.client]
			seen := false // it may have come while the previous step waited (a drop's prober records too)
			for _, o := range obs[c.name][mark[c.name]:] {
				seen = seen || strings.Contains(o, `[`+strconv.Quote(st.waitFor))
			}
			if !seen {
				record(c, func(p string) (bool, bool) {
					_, ev, ok := parseEvent(strings.TrimPrefix(p[1:], c.nsp))
					return ok && p[0] == '2' && ev == st.waitFor, false
				})
			}
		case st.ends:
			c := conns[st.client]
			c.write(fmt.Sprintf(`42%s[%q,%s]`, c.nsp, st.event, st.args))
			record(c, func(p string) (bool, bool) { return strings.HasPrefix(p, "1"+c.nsp), false })
			c.ws.Close()
			<-c.done
			c.dropped = true
		case st.connect || st.recover:
			conn := conns[st.client]
			var recover string
			if st.recover {
				conn.mu.Lock()
				recover = fmt.Sprintf(`"pid":%q,"offset":%q`, conn.pid, conn.offset)
				conn.mu.Unlock()
			}
			for _, c := range sc.clients {
				if c.name == st.client {
					connect(c, recover)
				}
			}
			if st.recover && conns[st.client].sid == conn.sid {
				obs[st.client] = append(obs[st.client], "the same id as before")
			}
			fences()
		default:
			c := conns[st.client]
			args := fmt.Sprintf(`%q`, st.event)
			if st.args != "" {
				args += "," + st.args
			}
			if st.noAck {
				c.write(fmt.Sprintf(`42%s[%s]`, c.nsp, args))
			} else {
				c.nextAck++
				id := c.nextAck
				c.write(fmt.Sprintf(`42%s%d[%s]`, c.nsp, id, args))
				record(c, func(p string) (bool, bool) {
					if strings.HasPrefix(p, fmt.Sprintf("3%s%d[", c.nsp, id)) {
						obs[c.name] = append(obs[c.name], fmt.Sprintf("step %d: ack %s", i, normalize(canonicalJSON(p[len(fmt.Sprintf("3%s%d", c.nsp, id)):]))))
						return true, true
					}
					return false, false
				})
			}
		}
		// The actor first: once its fence is back, the server has handled its step (and made
		// the step's emits to the others, which then precede their own fences).
		if c := conns[st.client]; c.sid != "" && !c.dropped {
			fence(c)
		}
		for _, c := range sc.clients {
			if conn := conns[c.name]; conn != nil && conn.sid != "" && !conn.dropped && c.name != st.client {
				fence(conn)
			}
		}
	}
	return obs
}

// canonicalPacket prints a Socket.IO packet (type digit, nsp, ack id, JSON) with its JSON
// re-encoded with sorted keys and its ack id and recovery offset left out.
func canonicalPacket(nsp, p string, recovery bool) string {
	typ, body := p[:1], strings.TrimPrefix(p[1:], nsp)
	withAck := false
	for len(body) > 0 && body[0] >= '0' && body[0] <= '9' {
		body, withAck = body[1:], true
	}
	var v []any
	if typ != "2" || json.Unmarshal([]byte(body), &v) != nil {
		return "packet " + typ + " " + canonicalJSON(body)
	}
	// With connection state recovery, an event without an ack ends with its offset, which
	// differs from server to server.
	if recovery && !withAck && len(v) > 1 {
		if _, ok := v[len(v)-1].(string); ok {
			v[len(v)-1] = "(offset)"
		}
	}
	b, _ := json.Marshal(v)
	if withAck {
		return "event with ack " + string(b)
	}
	return "event " + string(b)
}

func canonicalJSON(s string) string {
	var v any
	if json.Unmarshal([]byte(s), &v) != nil {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// TestKindRegistry: every kind registered here has its panel module in static/js/kinds/ and is
// listed by static/js/kinds/index.js, and the other way round; its Go code shows real source;
// its JavaScript needs nothing but a global io.
func TestKindRegistry(t *testing.T) {
	dir := filepath.Join("..", "static", "js", "kinds")
	index, err := os.ReadFile(filepath.Join(dir, "index.js"))
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, m := range regexp.MustCompile(`(?m)^import \w+ from "\./([a-z0-9-]+)\.js";$`).FindAllStringSubmatch(string(index), -1) {
		listed = append(listed, m[1])
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.js"))
	var modules []string
	for _, f := range files {
		if name := strings.TrimSuffix(filepath.Base(f), ".js"); name != "index" {
			modules = append(modules, name)
			src, _ := os.ReadFile(f)
			if !strings.Contains(string(src), `name: "`+name+`"`) {
				t.Errorf("%s: its default export has no name: %q", f, name)
			}
		}
	}
	want := slices.Sorted(slices.Values(DemoNames))
	if slices.Sort(listed); !slices.Equal(listed, want) {
		t.Errorf("static/js/kinds/index.js imports %q, the Go registry (playground/kind.go) has %q", listed, want)
	}
	if !slices.Equal(modules, want) {
		t.Errorf("static/js/kinds/ has modules %q, the Go registry has %q", modules, want)
	}
	regions := showRegions()
	for _, k := range kinds {
		if k.Setup == nil {
			t.Errorf("%s: no Setup", k.Name)
		}
		for _, r := range k.Show {
			if strings.TrimSpace(regions[r]) == "" {
				t.Errorf("%s: no // show:%s region in the kind files", k.Name, r)
			}
		}
		// The Go code shown starts where the kind starts: its Setup function.
		setup := runtime.FuncForPC(reflect.ValueOf(k.Setup).Pointer()).Name()
		setup = setup[strings.LastIndex(setup, ".")+1:]
		if !strings.Contains(k.ServerGo(), "func "+setup+"(") {
			t.Errorf("%s: the Go code shown does not have its Setup, func %s", k.Name, setup)
		}
		js, err := k.ServerJS(&DemoConfig{Namespaces: []string{"/x"}})
		if err != nil {
			t.Errorf("%s: %v", k.Name, err)
		}
		for _, bad := range []string{"require(", "import ", "new Server("} {
			for line := range strings.Lines(js) {
				if strings.Contains(strings.ReplaceAll(line, `require("node:crypto")`, ""), bad) && !strings.HasPrefix(strings.TrimSpace(line), "//") {
					t.Errorf("%s: its JavaScript has %q outside a comment: %s", k.Name, bad, line)
				}
			}
		}
	}
}

// TestSandboxRecoveryRestoresData: with connection state recovery (skipMiddlewares), a socket
// restored after a lost connection reaches the program's connection handler with
// socket.recovered true and its socket.data back, on npm socket.io 4.8 and in the sandbox alike.
func TestSandboxRecoveryRestoresData(t *testing.T) {
	node := requireNode(t)
	reg, srv := newTestRegistry(t, Options{})
	common, err := KindOf("console").ServerJS(&DemoConfig{})
	if err != nil {
		t.Fatal(err)
	}
	code := `io.use((socket, next) => {
  socket.data.name = "data of " + socket.handshake.auth.name;
  next();
});
io.on("connection", (socket) => {
  socket.on("whoami", (_, ack) => ack(socket.recovered, socket.data.name ?? null));
  socket.on("rename", (_, ack) => { socket.data = { name: "renamed" }; ack(); });
});
` + common
	sc := kindScenario{name: "recovery", kind: "queue",
		clients: []scenarioClient{{name: "A"}, {name: "B"}},
		steps: []scenarioStep{
			{client: "A", event: "whoami", args: `null`},
			{client: "A", drop: true},
			{client: "A", recover: true},
			{client: "A", event: "whoami", args: `null`},
			{client: "B", event: "rename", args: `null`},
			{client: "B", drop: true},
			{client: "B", recover: true},
			{client: "B", event: "whoami", args: `null`},
		}}
	status, js := create(t, srv.URL, "queue", `{}`)
	if status != 201 {
		t.Fatalf("create: %d %s", status, js.Error)
	}
	if err := reg.lookup(js.ID).RunCode(code); err != nil {
		t.Fatal(err)
	}
	jsObs := runScenario(t, srv.URL, js.Path, sc, true)
	nodeObs := runScenario(t, startNodeKind(t, node, code, KindOf("queue").ServerOptions()), "/socket.io/", sc, true)
	for _, name := range []string{"A", "B"} {
		j, n := strings.Join(jsObs[name], "\n  "), strings.Join(nodeObs[name], "\n  ")
		if j != n {
			t.Errorf("%s observed in the sandbox:\n  %s\non socket.io in Node:\n  %s", name, j, n)
		}
	}
	for name, want := range map[string]string{"A": `ack [true,"data of A"]`, "B": `ack [true,"renamed"]`} {
		if last := jsObs[name][len(jsObs[name])-1]; !strings.HasSuffix(last, want) {
			t.Errorf("%s's last observation %q, want the recovered socket's data: %s", name, last, want)
		}
	}
}
