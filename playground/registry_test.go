package playground

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"socketlab/playground/wsclient"
)

// rawClient is the playground's test client (wsclient.Client: it dials, answers pings, queues
// packets) as these tests spell packets: whole Engine.IO frames, "42[...]", and a test failure
// instead of an error.
type rawClient struct {
	t *testing.T
	c *wsclient.Client
}

func dialRaw(t *testing.T, srvURL, path, nsp, auth string) *rawClient {
	t.Helper()
	c, err := wsclient.Dial(srvURL, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	rc := &rawClient{t: t, c: c}
	prefix := "40"
	if nsp != "/" {
		prefix += nsp + ","
	}
	rc.write(prefix + auth)
	return rc
}

// write sends one Engine.IO message frame ("4" and a Socket.IO packet).
func (c *rawClient) write(frame string) {
	c.t.Helper()
	pkt, ok := strings.CutPrefix(frame, "4")
	if !ok {
		c.t.Fatalf("write %q: not an Engine.IO message", frame)
	}
	if err := c.c.Send(pkt); err != nil {
		c.t.Fatalf("write %q: %v", frame, err)
	}
}

// read returns the next message frame.
func (c *rawClient) read() string {
	c.t.Helper()
	pkt, err := c.c.Next(5 * time.Second)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return "4" + pkt
}

// expect reads until a frame with the prefix arrives (skipping others) and returns it.
func (c *rawClient) expect(prefix string) string {
	c.t.Helper()
	for range 50 {
		if f := c.read(); strings.HasPrefix(f, prefix) {
			return f
		}
	}
	c.t.Fatalf("no frame starting with %q", prefix)
	return ""
}

// closed returns once the server has closed the connection (reading what comes until then, as a
// browser does); the test fails after d.
func (c *rawClient) closed(d time.Duration) {
	c.t.Helper()
	for deadline := time.Now().Add(d); ; {
		_, err := c.c.Next(time.Until(deadline))
		if errors.Is(err, wsclient.ErrClosed) {
			return
		}
		if err != nil {
			c.t.Fatalf("still connected after %v: %v", d, err)
		}
	}
}

func newTestRegistry(t *testing.T, opts Options) (*Registry, *httptest.Server) {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	r := NewRegistry(opts)
	srv := httptest.NewServer(playRoutes(http.NewServeMux(), r))
	t.Cleanup(func() { srv.Close(); r.Close() })
	return r, srv
}

// playRoutes mounts the registry's handlers on mux at the paths web/routes.go gives them.
func playRoutes(mux *http.ServeMux, r *Registry) *http.ServeMux {
	mux.Handle("POST /play/{demo}", r.HandleCreate())
	mux.Handle("GET /play/{id}/tap", r.HandleTap())
	mux.Handle("/play/{id}/socket.io/", r.HandleSocket())
	mux.Handle("POST /play/{id}/code", r.HandleCode())
	mux.Handle("POST /play/{id}/adapter", r.HandleAdapter())
	mux.Handle("POST /play/{id}/fault", r.HandleFault())
	return mux
}

type created struct {
	ID, Path, Tap string
	Server        struct{ JS, Go string }
	Error         string
}

func create(t *testing.T, srvURL, demo, config string) (int, created) {
	t.Helper()
	resp, err := http.Post(srvURL+"/play/"+demo, "application/json", strings.NewReader(config))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var c created
	json.NewDecoder(resp.Body).Decode(&c)
	return resp.StatusCode, c
}

func TestCreate(t *testing.T) {
	_, srv := newTestRegistry(t, Options{MaxInstances: 2})
	tests := []struct {
		name, demo, config string
		status             int
		err                string
	}{
		{"valid", "rooms", `{"clients":["Ada","Grace"],"rooms":["room-1"]}`, 201, ""},
		{"unknown demo", "nope", `{}`, 400, `unknown demo "nope"`},
		{"unknown field", "rooms", `{"client":["Ada"]}`, 400, `unknown field "client"`},
		{"undeclared room", "rooms", `{"clients":["Ada"],"script":[{"client":"Ada","join":"r9"}]}`, 400, `room "r9" is never created`},
		{"too large", "rooms", `{"title":"` + strings.Repeat("x", maxConfigBytes) + `"}`, 413, "larger than"},
		{"cap reached", "chat", `{}`, 201, ""},
		{"over the cap", "chat", `{}`, 503, "too many live demos"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, c := create(t, srv.URL, tt.demo, tt.config)
			if status != tt.status || !strings.Contains(c.Error, tt.err) {
				t.Fatalf("POST /play/%s = %d %q, want %d %q", tt.demo, status, c.Error, tt.status, tt.err)
			}
			if status == 201 && (c.Path != "/play/"+c.ID+"/socket.io/" || c.Server.JS == "" || c.Server.Go == "") {
				t.Errorf("create response = %+v", c)
			}
		})
	}
}

// TestInstancesAreIsolated: an io.emit in one instance never reaches a client of another, and
// both use the real names ("/", "room-1").
func TestInstancesAreIsolated(t *testing.T) {
	_, srv := newTestRegistry(t, Options{})
	_, a := create(t, srv.URL, "rooms", `{"rooms":["room-1"]}`)
	_, b := create(t, srv.URL, "rooms", `{"rooms":["room-1"]}`)
	ada := dialRaw(t, srv.URL, a.Path, "/", `{"name":"Ada"}`)
	ada.expect("40{")
	bob := dialRaw(t, srv.URL, b.Path, "/", `{"name":"Bob"}`)
	bob.expect("40{")
	ada.write(`421["send",{"event":"news","args":["for instance A"],"scope":"all"}]`)
	if got := ada.expect(`42["news"`); got != `42["news","for instance A"]` {
		t.Errorf("Ada got %q", got)
	}
	ada.expect("431")
	bob.write(`421["send",{"event":"news","args":["for instance B"],"scope":"all"}]`)
	if got := bob.expect(`42["news"`); got != `42["news","for instance B"]` {
		t.Errorf("Bob got %q, want only instance B's message", got)
	}
}

// TestSendScopesAndCalls: the send handler's scoped emits reach exactly the right sockets, and its
// ack names the exact call (JS and Go) and how many sockets it was sent to (docs/play-api.md).
func TestSendScopesAndCalls(t *testing.T) {
	_, srv := newTestRegistry(t, Options{})
	_, in := create(t, srv.URL, "rooms", `{"rooms":["room-1","room-2"]}`)
	ada := dialRaw(t, srv.URL, in.Path, "/", `{"name":"Ada"}`)
	ada.expect("40{")
	grace := dialRaw(t, srv.URL, in.Path, "/", `{"name":"Grace"}`)
	grace.expect("40{")
	linus := dialRaw(t, srv.URL, in.Path, "/", `{"name":"Linus"}`)
	linus.expect("40{")
	for i, j := range []struct {
		c    *rawClient
		room string
	}{{grace, "room-1"}, {grace, "room-2"}, {linus, "room-2"}, {ada, "room-1"}} {
		j.c.write(fmt.Sprintf(`42%d["join",%q]`, 10+i, j.room))
		j.c.expect(fmt.Sprintf("43%d", 10+i))
	}
	tap := openTap(t, srv.URL+in.Tap)
	// The ack says how many sockets the emit reached; the tap's event_out carries the exact call.
	tests := []struct {
		name, send, ack, call, goCall string
		got                           []*rawClient
	}{
		{"socket.to one room", `{"event":"chat","args":["one"],"scope":"socket-room","room":"room-1"}`, `{"recipients":1}`,
			`socket.to("room-1").emit("chat", "one")`, `s.To("room-1").Emit("chat", "one")`, []*rawClient{grace}},
		{"io.to several rooms, once each", `{"event":"chat","args":["two"],"scope":"room","to":["room-1","room-2"]}`, `{"recipients":3}`,
			`io.to(["room-1", "room-2"]).emit("chat", "two")`, `io.To("room-1", "room-2").Emit("chat", "two")`, []*rawClient{ada, grace, linus}},
		{"socket.to several rooms", `{"event":"chat","args":["three"],"scope":"socket-room","to":["room-2","room-1"]}`, `{"recipients":2}`,
			`socket.to(["room-2", "room-1"]).emit("chat", "three")`, `s.To("room-2", "room-1").Emit("chat", "three")`, []*rawClient{grace, linus}},
		{"all", `{"event":"chat","args":["four"],"scope":"all"}`, `{"recipients":3}`,
			`io.emit("chat", "four")`, `io.Emit("chat", "four")`, []*rawClient{ada, grace, linus}},
		{"self", `{"event":"chat","args":["five"],"scope":"self"}`, `{"recipients":1}`,
			`socket.emit("chat", "five")`, `s.Emit("chat", "five")`, []*rawClient{ada}},
		{"broadcast", `{"event":"chat","args":[{"b":1,"a":"six"}],"scope":"broadcast"}`, `{"recipients":2}`,
			`socket.broadcast.emit("chat", {"a":"six","b":1})`, `s.Broadcast().Emit("chat", {"a":"six","b":1})`, []*rawClient{grace, linus}},
		{"except", `{"event":"chat","args":[7],"scope":"except","except":"room-2"}`, `{"recipients":1}`,
			`io.except("room-2").emit("chat", 7)`, `io.Except("room-2").Emit("chat", 7)`, []*rawClient{ada}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, c := range []*rawClient{ada, grace, linus} {
				c.t = t
			}
			id := 20 + i
			ada.write(fmt.Sprintf(`42%d["send",%s]`, id, tt.send))
			// Then a fence to everyone: a socket that got the message sees it exactly once before
			// the fence, the others see the fence first.
			ada.write(fmt.Sprintf(`42%d["send",{"event":"fence","args":[%d],"scope":"all"}]`, 50+i, i))
			ack := ""
			for _, c := range []*rawClient{ada, grace, linus} {
				var chats int
				for f := c.read(); !strings.HasPrefix(f, `42["fence"`); f = c.read() {
					if strings.HasPrefix(f, `42["chat"`) {
						chats++
					}
					if strings.HasPrefix(f, fmt.Sprintf("43%d[", id)) {
						ack = f
					}
				}
				want := 0
				if slices.Contains(tt.got, c) {
					want = 1
				}
				if chats != want {
					t.Errorf("%s got the message %d times, want %d", map[*rawClient]string{ada: "Ada", grace: "Grace", linus: "Linus"}[c], chats, want)
				}
			}
			if want := fmt.Sprintf("43%d[%s]", id, tt.ack); ack != want {
				t.Errorf("ack = %s, want %s", ack, want)
			}
			for {
				m := tap(t)
				if m["kind"] != "event_out" || m["event"] != "chat" {
					continue
				}
				if m["call"] != tt.call || m["go"] != tt.goCall {
					t.Errorf("tap call = %v / %v, want %s / %s", m["call"], m["go"], tt.call, tt.goCall)
				}
				break
			}
		})
	}
}

func TestTapStream(t *testing.T) {
	_, srv := newTestRegistry(t, Options{})
	_, in := create(t, srv.URL, "console", `{}`)
	next := openTap(t, srv.URL+in.Tap) // a missing message fails, not hangs
	if m := next(t); m["type"] != "state" {
		t.Fatalf("first message = %v, want the state", m)
	}
	ada := dialRaw(t, srv.URL, in.Path, "/", `{"name":"Ada"}`)
	ada.expect("40{")
	var sawConnect, sawState, sawLog bool
	for !(sawConnect && sawState && sawLog) {
		m := next(t)
		switch {
		case m["type"] == "tap" && m["kind"] == "connect" && m["name"] == "Ada":
			sawConnect = true
		case m["type"] == "state" && strings.Contains(toJSON(m), `"name":"Ada"`):
			sawState = true
		case m["type"] == "log" && m["msg"] == "a user connected":
			sawLog = true
		}
	}
}

// Lesson 3's console demo logs every event a client sends (its server's socket.onAny), which
// the lesson promises; it used to log only connects and disconnects.
func TestConsoleLogsEveryEvent(t *testing.T) {
	_, srv := newTestRegistry(t, Options{})
	_, in := create(t, srv.URL, "console", `{}`)
	next := openTap(t, srv.URL+in.Tap)
	ada := dialRaw(t, srv.URL, in.Path, "/", `{"name":"Ada"}`)
	ada.expect("40{")
	ada.write(`42["chat message","hello"]`)
	for {
		m := next(t)
		if m["type"] == "log" && m["msg"] == "got" {
			attrs, _ := m["attrs"].(map[string]any)
			if attrs["event"] != "chat message" || attrs["args"] != `["hello"]` {
				t.Errorf("got line %v, want event \"chat message\" args [\"hello\"]", attrs)
			}
			return
		}
	}
}

func toJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestSweepReclaimsIdleInstances(t *testing.T) {
	var now atomic.Int64 // the server's handlers read the clock while the test moves it
	now.Store(1_000_000)
	r, srv := newTestRegistry(t, Options{IdleTimeout: time.Minute, now: func() time.Time { return time.Unix(now.Load(), 0) }})
	_, idle := create(t, srv.URL, "chat", `{}`)
	_, busy := create(t, srv.URL, "chat", `{}`)
	kept, err := r.Open(Spec{Demo: "run", Private: true, Keep: true}) // socketlab run's hub
	if err != nil {
		t.Fatal(err)
	}
	c := dialRaw(t, srv.URL, busy.Path, "/", `{"name":"Ada"}`)
	c.expect("40{")
	now.Add(int64(2 * time.Minute / time.Second))
	if n := r.Sweep(); n != 1 {
		t.Fatalf("Sweep reclaimed %d instances, want 1", n)
	}
	if r.lookup(idle.ID) != nil || r.lookup(busy.ID) == nil || r.lookup(kept.ID()) == nil || kept.Closed() {
		t.Fatalf("the idle instance must go, the busy one and the kept one (Spec.Keep) stay")
	}
	resp, err := http.Get(srv.URL + idle.Path + "?EIO=4&transport=polling")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("reclaimed instance answered %d, want 404", resp.StatusCode)
	}
}

func TestTenantsMiddleware(t *testing.T) {
	_, srv := newTestRegistry(t, Options{})
	_, in := create(t, srv.URL, "tenants", `{"tenants":[{"name":"acme","token":"a-1"},{"name":"globex","token":"g-1"}]}`)
	ok := dialRaw(t, srv.URL, in.Path, "/org-acme", `{"name":"Ada","token":"a-1"}`)
	ok.expect("40/org-acme,{")
	cross := dialRaw(t, srv.URL, in.Path, "/org-globex", `{"name":"Ada","token":"a-1"}`)
	if got := cross.expect("44"); got != `44/org-globex,{"message":"not authorized","data":{"org":"globex"}}` {
		t.Errorf("crossing tenants: got %q", got)
	}
	unknown := dialRaw(t, srv.URL, in.Path, "/orders", `{}`)
	if got := unknown.expect("44"); got != `44/orders,{"message":"Invalid namespace"}` {
		t.Errorf("undeclared namespace: got %q", got)
	}
}

func TestQueueDeliversAfterReconnect(t *testing.T) {
	_, srv := newTestRegistry(t, Options{})
	_, in := create(t, srv.URL, "queue", `{"clients":["Ada","Grace"]}`)
	ada := dialRaw(t, srv.URL, in.Path, "/", `{"name":"Ada"}`)
	ada.expect("40{")
	ada.write(`421["deliver",{"to":"Grace","text":"parcel 1"}]`)
	ada.expect(`431[{"id":1,"queued":1}]`)
	ada.write(`422["deliver",{"to":"Grace","text":"parcel 2"}]`)
	ada.expect(`432[{"id":2,"queued":2}]`)
	// Grace comes online: she gets both, in order, each only after acking the previous.
	grace := dialRaw(t, srv.URL, in.Path, "/", `{"name":"Grace"}`)
	grace.expect("40{")
	grace.expect(`42["welcome"`) // recovery's bookmark (see TestQueueRecovery)
	for i, want := range []string{`"parcel 1"`, `"parcel 2"`} {
		f := grace.expect(`42`)
		if !strings.Contains(f, `"delivery"`) || !strings.Contains(f, want) {
			t.Fatalf("delivery %d = %q, want %s", i, f, want)
		}
		id := strings.TrimPrefix(f[:strings.Index(f, "[")], "42")
		grace.write("43" + id + `["ok"]`)
	}
}

// TestNamespacesDemo: /orders has its own middleware (no token, no connection) and its own
// "order" handler, which "/" does not have.
func TestNamespacesDemo(t *testing.T) {
	_, srv := newTestRegistry(t, Options{})
	_, in := create(t, srv.URL, "namespaces", `{"clients":["A",{"name":"B","namespace":"/orders","auth":{"token":"t"}}],"namespaces":["/orders"]}`)
	for _, s := range []string{in.Server.JS, in.Server.Go} {
		if !strings.Contains(s, `"token required"`) || !strings.Contains(s, `"order:new"`) {
			t.Errorf("server code shown does not have the /orders middleware and handler:\n%s", s)
		}
	}
	refused := dialRaw(t, srv.URL, in.Path, "/orders", `{"name":"C"}`)
	if got := refused.expect("4"); got != `44/orders,{"message":"token required"}` {
		t.Errorf("no token: got %q", got)
	}
	b := dialRaw(t, srv.URL, in.Path, "/orders", `{"name":"B","token":"t"}`)
	b.expect("40/orders,{")
	a := dialRaw(t, srv.URL, in.Path, "/", `{"name":"A"}`)
	a.expect("40{")
	b.write(`42/orders,1["order","tea"]`)
	if got := b.expect(`42/orders,["order:new"`); got != `42/orders,["order:new",{"from":"B","item":"tea"}]` {
		t.Errorf("order on /orders: got %q", got)
	}
	b.expect(`43/orders,1[{"ok":true}]`)
	// On "/" nobody listens for "order": no broadcast and, as in socket.io, no ack at all.
	a.write(`421["order","tea"]`)
	a.write(`422["send",{"event":"ping","args":[],"scope":"self"}]`)
	if f := a.read(); f != `42["ping"]` {
		t.Errorf(`"order" on "/": got %q, want nothing before the ping`, f)
	}
}

func TestStepTo(t *testing.T) {
	tests := []struct {
		name, config, err string
	}{
		{"list", `{"rooms":["r1","r2"],"script":[{"client":"A","emit":"x","scope":"room","to":["r1","r2"]}]}`, ""},
		{"one as a string", `{"rooms":["r1"],"script":[{"client":"A","emit":"x","scope":"socket-room","to":"r1"}]}`, ""},
		{"undeclared", `{"rooms":["r1"],"script":[{"client":"A","emit":"x","scope":"room","to":["r1","r9"]}]}`, `room "r9" is never created`},
		{"both", `{"rooms":["r1"],"script":[{"client":"A","emit":"x","scope":"room","room":"r1","to":["r1"]}]}`, "not both"},
		{"wrong scope", `{"rooms":["r1"],"script":[{"client":"A","emit":"x","scope":"all","to":["r1"]}]}`, "to: is for the scopes"},
		{"not rooms", `{"script":[{"client":"A","emit":"x","scope":"room","to":{"a":1}}]}`, "a room name or a list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateDemo("rooms", json.RawMessage(tt.config))
			if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
				t.Errorf("ValidateDemo = %v, want %q", err, tt.err)
			}
		})
	}
}

// TestTapReplaysHistory: a tap opened after the clients connected still gets their connects and
// the server's "a user connected" (after the state), and a reconnecting EventSource that sends
// Last-Event-ID gets only what came after that event.
func TestTapReplaysHistory(t *testing.T) {
	_, srv := newTestRegistry(t, Options{})
	_, in := create(t, srv.URL, "console", `{}`)
	ada := dialRaw(t, srv.URL, in.Path, "/", `{"name":"Ada"}`)
	ada.expect("40{")
	type event struct {
		id  string
		msg map[string]any
	}
	open := func(lastID string) func() event {
		// Bounded: a missing event fails the test instead of hanging it.
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		t.Cleanup(cancel)
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+in.Tap, nil)
		if lastID != "" {
			req.Header.Set("Last-Event-ID", lastID)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		lines := bufio.NewScanner(resp.Body)
		return func() event {
			t.Helper()
			var ev event
			for lines.Scan() {
				if id, ok := strings.CutPrefix(lines.Text(), "id: "); ok {
					ev.id = id
				}
				if data, ok := strings.CutPrefix(lines.Text(), "data: "); ok {
					json.Unmarshal([]byte(data), &ev.msg)
					return ev
				}
			}
			t.Fatalf("tap stream ended: %v", lines.Err())
			return ev
		}
	}
	// The instance learns of Ada's connect from the hub's tap, just after Ada's client does: wait
	// on a first subscription until a state has her, so the one under test starts after that.
	for warm := open(""); ; {
		if ev := warm(); ev.msg["type"] == "state" && strings.Contains(toJSON(ev.msg), `"name":"Ada"`) {
			break
		}
	}
	next := open("")
	if ev := next(); ev.msg["type"] != "state" || ev.id != "" || !strings.Contains(toJSON(ev.msg), `"name":"Ada"`) {
		t.Fatalf("first event = %+v, want the state with Ada and no id", ev)
	}
	var connectID string
	for sawLog := false; connectID == "" || !sawLog; {
		ev := next()
		if ev.id == "" {
			t.Fatalf("a replayed event without an id: %v", ev.msg)
		}
		if ev.msg["kind"] == "connect" && ev.msg["name"] == "Ada" {
			connectID = ev.id
		}
		sawLog = sawLog || ev.msg["msg"] == "a user connected"
	}
	// Reconnecting after the connect: the state, then nothing from before it.
	again := open(connectID)
	if ev := again(); ev.msg["type"] != "state" {
		t.Fatalf("first event after reconnecting = %+v, want the state", ev)
	}
	grace := dialRaw(t, srv.URL, in.Path, "/", `{"name":"Grace"}`)
	grace.expect("40{")
	for {
		ev := again()
		id, _ := strconv.Atoi(ev.id)
		if ev.id != "" && id <= must(strconv.Atoi(connectID)) {
			t.Fatalf("replayed event %s again after Last-Event-ID %s: %v", ev.id, connectID, ev.msg)
		}
		if ev.msg["kind"] == "connect" && ev.msg["name"] == "Grace" {
			break
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
