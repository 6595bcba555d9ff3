package playground

import (
	"bufio"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// rawClient speaks just enough Engine.IO v4 + Socket.IO v5 over WebSocket for these tests.
type rawClient struct {
	t  *testing.T
	ws *websocket.Conn
}

func dialRaw(t *testing.T, srvURL, path, nsp, auth string) *rawClient {
	t.Helper()
	u := "ws" + strings.TrimPrefix(srvURL, "http") + path + "?EIO=4&transport=websocket"
	ws, _, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", u, err)
	}
	c := &rawClient{t: t, ws: ws}
	t.Cleanup(func() { ws.Close() })
	if open := c.read(); !strings.HasPrefix(open, "0{") {
		t.Fatalf("open packet = %q", open)
	}
	prefix := "40"
	if nsp != "/" {
		prefix += nsp + ","
	}
	c.write(prefix + auth)
	return c
}

func (c *rawClient) write(s string) {
	c.t.Helper()
	if err := c.ws.WriteMessage(websocket.TextMessage, []byte(s)); err != nil {
		c.t.Fatalf("write %q: %v", s, err)
	}
}

// read returns the next text frame that is not a ping (answered with a pong).
func (c *rawClient) read() string {
	c.t.Helper()
	for {
		c.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, b, err := c.ws.ReadMessage()
		if err != nil {
			c.t.Fatalf("read: %v", err)
		}
		if string(b) == "2" {
			c.write("3")
			continue
		}
		return string(b)
	}
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

func newTestRegistry(t *testing.T, opts Options) (*Registry, *httptest.Server) {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	r := NewRegistry(opts)
	srv := httptest.NewServer(r.Handler())
	t.Cleanup(func() { srv.Close(); r.Close() })
	return r, srv
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

func TestSendScopesAndCalls(t *testing.T) {
	_, srv := newTestRegistry(t, Options{})
	_, in := create(t, srv.URL, "rooms", `{"rooms":["room-1"]}`)
	ada := dialRaw(t, srv.URL, in.Path, "/", `{"name":"Ada"}`)
	ada.expect("40{")
	grace := dialRaw(t, srv.URL, in.Path, "/", `{"name":"Grace"}`)
	grace.expect("40{")
	grace.write(`421["join","room-1"]`)
	grace.expect("431")
	ada.write(`422["send",{"event":"chat","args":["hi"],"scope":"socket-room","room":"room-1"}]`)
	ack := ada.expect("432")
	if want := `432[{"call":"socket.to(\"room-1\").emit(\"chat\", …)","go":"s.To(\"room-1\").Emit(\"chat\", …)"}]`; ack != want {
		t.Errorf("ack = %s, want %s", ack, want)
	}
	if got := grace.expect(`42["chat"`); got != `42["chat","hi"]` {
		t.Errorf("Grace got %q", got)
	}
}

func TestTapStream(t *testing.T) {
	_, srv := newTestRegistry(t, Options{})
	_, in := create(t, srv.URL, "console", `{}`)
	resp, err := http.Get(srv.URL + in.Tap)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type = %q", ct)
	}
	lines := bufio.NewScanner(resp.Body)
	next := func() map[string]any {
		t.Helper()
		for lines.Scan() {
			if data, ok := strings.CutPrefix(lines.Text(), "data: "); ok {
				var m map[string]any
				if err := json.Unmarshal([]byte(data), &m); err != nil {
					t.Fatalf("bad SSE data %q: %v", data, err)
				}
				return m
			}
		}
		t.Fatalf("tap stream ended: %v", lines.Err())
		return nil
	}
	if m := next(); m["type"] != "state" {
		t.Fatalf("first message = %v, want the state", m)
	}
	ada := dialRaw(t, srv.URL, in.Path, "/", `{"name":"Ada"}`)
	ada.expect("40{")
	var sawConnect, sawState, sawLog bool
	for !(sawConnect && sawState && sawLog) {
		m := next()
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

func toJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestSweepReclaimsIdleInstances(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	r, srv := newTestRegistry(t, Options{IdleTimeout: time.Minute, now: func() time.Time { return now }})
	_, idle := create(t, srv.URL, "chat", `{}`)
	_, busy := create(t, srv.URL, "chat", `{}`)
	c := dialRaw(t, srv.URL, busy.Path, "/", `{"name":"Ada"}`)
	c.expect("40{")
	now = now.Add(2 * time.Minute)
	if n := r.Sweep(); n != 1 {
		t.Fatalf("Sweep reclaimed %d instances, want 1", n)
	}
	if r.lookup(idle.ID) != nil || r.lookup(busy.ID) == nil {
		t.Fatalf("the idle instance must go and the busy one stay")
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
	for i, want := range []string{`"parcel 1"`, `"parcel 2"`} {
		f := grace.expect(`42`)
		if !strings.Contains(f, `"delivery"`) || !strings.Contains(f, want) {
			t.Fatalf("delivery %d = %q, want %s", i, f, want)
		}
		id := strings.TrimPrefix(f[:strings.Index(f, "[")], "42")
		grace.write("43" + id + `["ok"]`)
	}
}
