package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"socketlab/web/browsertest"
)

// sioModule evaluates in a page of the app: it imports static/js/sio.js through the page's import
// map (its hashed URL, under the page's CSP) and creates a console demo instance to connect to.
const sioModule = `
const map = JSON.parse(document.querySelector("script[type=importmap]").textContent);
const sio = await import(Object.values(map.imports).find((u) => /\/sio\.[0-9a-f]{8}\.js$/.test(u)));
const res = await fetch("/play/console", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ clients: ["Ada"] }), credentials: "same-origin" });
const inst = await res.json();
const next = (emitter, ev) => new Promise((resolve) => emitter.once(ev, (...args) => resolve(args)));
const upgraded = async (s) => {
  if (!s.connected) await next(s, "connect");
  if (s.io.engine.transport.name !== "websocket") await next(s.io.engine, "upgrade");
};
const bytes = (b) => [...new Uint8Array(b)];
// The instance's server log, as its demo console shows it (the tap's "log" messages).
const logs = [];
const tap = new EventSource(inst.tap);
tap.onmessage = (e) => { const d = JSON.parse(e.data); if (d.type === "log") logs.push(d); };
await new Promise((resolve) => (tap.onopen = resolve));
// Resolves with the log line msg about socket id (the hub logs it before anything else follows).
const logged = (msg, id) => new Promise((resolve) => {
  const look = () => logs.find((d) => d.msg === msg && d.attrs.sid === id);
  const found = look();
  if (found) return resolve(found);
  tap.addEventListener("message", function on() { const f = look(); if (f) { tap.removeEventListener("message", on); resolve(f); } });
});
`

// TestSioPollingBrowser runs the page's own client (static/js/sio.js) against the Go hub in
// headless Chromium, on a lesson page under its real CSP: the handshake over HTTP long-polling,
// the probe and the upgrade to WebSocket, events, acks and binary over polling only, reconnection
// over polling, WebSocket only, and a refused Origin.
func TestSioPollingBrowser(t *testing.T) {
	srv := demoServer(t)
	b := newBrowser(t, browsertest.Allocator(t))
	b.open(srv.URL+"/lessons/console", 1)
	run := func(body string) string {
		t.Helper()
		return evalJS[string](t, b, "(async () => {"+sioModule+body+"})()")
	}

	t.Run("default: polling handshake, probe, upgrade, then WebSocket", func(t *testing.T) {
		b.t = t
		got := run(`
const s = sio.io("/", { path: inst.path, auth: { name: "poller" }, forceNew: true });
const steps = [["created", s.io.engine.transport.name]];
const rx = [];
s.io.engine.on("packet", (p) => rx.length < 1 && rx.push([p.type, s.io.engine.transport.name]));
s.io.on("open", () => steps.push(["open", s.io.engine.transport.name]));
s.io.engine.on("upgrading", (t) => steps.push(["upgrading", t.name]));
s.io.engine.on("upgrade", (t) => steps.push(["upgrade", t.name]));
await upgraded(s);
const id = s.id;
const r = await s.timeout(5000).emitWithAck("send", { event: "hello", args: ["after"], scope: "self" });
s.disconnect();
const [hi, bye] = await Promise.all([logged("a user connected", id), logged("user disconnected", id)]);
tap.close();
return JSON.stringify({ steps, rx, r, server: [hi.attrs.transport, bye.attrs.transport, bye.attrs.reason] });`)
		want := `{"steps":[["created","polling"],["open","polling"],["upgrading","websocket"],["upgrade","websocket"]],` +
			`"rx":[["open","polling"]],"r":{"recipients":1},` +
			`"server":["polling","websocket","client namespace disconnect"]}`
		if got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	})

	t.Run("polling only: events, acks and binary both ways; reconnection over polling", func(t *testing.T) {
		b.t = t
		got := run(`
// This instance runs a server program of our own: an echo that acks back what it gets.
const ran = await fetch("/play/" + inst.id + "/code", { method: "POST", headers: { "Content-Type": "application/json" }, credentials: "same-origin",
  body: JSON.stringify({ code: 'io.on("connection", (socket) => { socket.on("echo", (...args) => args.pop()(...args)); socket.on("ask", (n, ack) => socket.emit("question", n, (r) => ack(r))); });' }) });
const path = (await ran.json()).path;
const s = sio.io("/", { path, auth: { name: "p2" }, forceNew: true, transports: ["polling"], reconnectionDelay: 50, reconnectionDelayMax: 100 });
s.on("question", (n, ack) => ack(n + 1));
const asked = await s.timeout(5000).emitWithAck("ask", 41);
const [buf, obj] = await new Promise((resolve) => s.emit("echo", new Uint8Array([1, 2, 3]), { x: new Uint8Array([250]).buffer }, (...r) => resolve(r)));
const first = s.id;
const gone = next(s, "disconnect");
s.io.engine.close(); // the connection drops (like a lost network); the client reconnects
const [reason] = await gone;
const back = s.timeout(5000).emitWithAck("echo", "buffered while away");
await next(s, "connect");
const out = { asked, buf: bytes(buf), x: bytes(obj.x), reason, back: await back, newId: s.id !== first, transport: s.io.engine.transport.name };
s.disconnect();
return JSON.stringify(out);`)
		want := `{"asked":42,"buf":[1,2,3],"x":[250],"reason":"forced close","back":"buffered while away","newId":true,"transport":"polling"}`
		if got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	})

	t.Run("WebSocket only: no polling request", func(t *testing.T) {
		b.t = t
		got := run(`
const s = sio.io("/", { path: inst.path, auth: { name: "ws" }, forceNew: true, transports: ["websocket"], query: { tag: "wsonly" } });
const first = s.io.engine.transport.name;
const r = await s.timeout(5000).emitWithAck("send", { event: "e", args: [1], scope: "self" });
const id = s.id;
s.disconnect();
const hi = await logged("a user connected", id);
tap.close();
const polls = performance.getEntriesByType("resource").filter((e) => e.name.includes("tag=wsonly") && e.name.includes("transport=polling")).length;
return JSON.stringify({ first, r, polls, server: hi.attrs.transport });`)
		if want := `{"first":"websocket","r":{"recipients":1},"polls":0,"server":"websocket"}`; got != want {
			t.Errorf("got %s\nwant %s", got, want)
		}
	})
	b.t = t
	b.noErrors() // no CSP violation (connect-src) and no script error on the lesson page
}

// TestSioPollingRefusedOrigin: a page on an origin the hub does not allow gets the polling
// handshake refused (connect_error "xhr poll error", like socket.io-client) and no session.
func TestSioPollingRefusedOrigin(t *testing.T) {
	srv := demoServer(t)
	src, err := os.ReadFile("../static/js/sio.js")
	if err != nil {
		t.Fatal(err)
	}
	// Another origin (another port) serving a bare page and sio.js.
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/sio.js" {
			w.Header().Set("Content-Type", "text/javascript")
			w.Write(src)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<!doctype html><title>elsewhere</title>")
	}))
	t.Cleanup(other.Close)
	// A real instance of the app (created like its own pages do, same origin); the other origin
	// only tries to connect to it.
	req, err := http.NewRequest("POST", srv.URL+"/play/console", strings.NewReader(`{"clients":["Ada"]}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", srv.URL)
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var inst struct{ Path string }
	err = json.NewDecoder(res.Body).Decode(&inst)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("creating an instance: %d %v", res.StatusCode, err)
	}
	b := newBrowser(t, browsertest.Allocator(t))
	b.run("open the other origin", chromedp.Navigate(other.URL+"/"))
	got := evalJS[string](t, b, fmt.Sprintf(`(async () => {
const sio = await import("/sio.js");
const out = {};
for (const transports of [["polling", "websocket"], ["websocket"]]) {
  const s = sio.io(%q, { path: %q, transports, reconnection: false, forceNew: true });
  const err = await new Promise((resolve) => s.once("connect_error", resolve));
  out[transports[0]] = [err.message, err.type, s.connected];
}
return JSON.stringify(out);
})()`, srv.URL, inst.Path))
	want := `{"polling":["xhr poll error","TransportError",false],"websocket":["websocket error","TransportError",false]}`
	if got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
}
