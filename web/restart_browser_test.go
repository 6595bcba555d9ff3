package web

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"socketlab/web/browsertest"
)

// restartable serves the app on one address and one state file, one process after another: a
// restart closes the app the way serve's shutdown does (hubs first, classes saved), then starts a
// new app on the same address, as `socketlab serve` started again would.
type restartable struct {
	t    testing.TB
	addr string
	base string
	cfg  Config
	log  *slog.Logger
	app  *App
	srv  *http.Server
}

func newRestartable(t testing.TB, cfg Config) *restartable {
	t.Helper()
	return newRestartableLog(t, cfg, slog.New(slog.DiscardHandler))
}

func newRestartableLog(t testing.TB, cfg Config, log *slog.Logger) *restartable {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &restartable{t: t, addr: ln.Addr().String(), base: "http://" + ln.Addr().String(), cfg: cfg, log: log}
	r.cfg.Origins = []string{r.base}
	if r.cfg.StatePath == "" {
		r.cfg.StatePath = filepath.Join(t.TempDir(), "state", "classes.db")
	}
	r.start(ln)
	t.Cleanup(r.stop)
	return r
}

func (r *restartable) start(ln net.Listener) {
	r.t.Helper()
	a, err := New(r.log, r.cfg)
	if err != nil {
		r.t.Fatalf("New: %v", err)
	}
	r.app, r.srv = a, &http.Server{Handler: a.Handler()}
	go r.srv.Serve(ln)
}

func (r *restartable) stop() {
	if r.app == nil {
		return
	}
	r.app.Close() // the hubs first (their sockets are hijacked connections), saving the classes
	r.srv.Close()
	r.app = nil
}

func (r *restartable) restart() {
	r.t.Helper()
	r.stop()
	ln, err := net.Listen("tcp", r.addr)
	if err != nil {
		r.t.Fatalf("listening again on %s: %v", r.addr, err)
	}
	r.start(ln)
}

// countProbe counts the WebSocket handshakes and fetches a page makes (window.__ws, __fetches).
const countProbe = `
window.__ws = 0; window.__fetches = 0;
{ const WS = window.WebSocket; window.WebSocket = class extends WS { constructor(...a) { super(...a); window.__ws++; } }; }
{ const f = window.fetch; window.fetch = (...a) => { window.__fetches++; return f(...a); }; }
`

// TestBrowserRestart: `socketlab serve` restarts under an open lesson page, a student's class
// page and the projector page. The demo notices its server is gone, starts a fresh one, reconnects
// its clients into their rooms and says so, without a storm of requests; the student's device
// reconnects by itself and lands in its breakout room under its name, told that the server
// restarted; the projector reconnects with its key, shows the student again and reaches them.
func TestBrowserRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	r := newRestartable(t, Config{LessonDir: writeDemoLessons(t)})
	b := newBrowser(t, browsertest.Allocator(t))
	browsertest.Do(t, b.ctx, "count requests", browsertest.BeforeScripts(countProbe))
	b.open(r.base+"/lessons/rooms", 1)
	b.waitFor("initial rooms", `[...document.querySelectorAll("[data-testid=client-rooms]")].map(e => e.textContent).join("|") === "room-1|room-1|none"`)
	oldPath := evalJS[string](t, b, `socketlabDemos[0].instance.path`)

	// A class: the projector page, and one student, whom a breakout into 2 rooms puts in room-1.
	code, key := startClass(t, r.base, "")
	present := browsertest.Tab(t, b.ctx, chromedp.WithNewBrowserContext())
	browsertest.Do(t, present, "open the projector view", chromedp.Navigate(r.base+"/class/"+code+"/present#key="+key))
	e2eWait(t, present, `document.querySelector("[data-testid=class-status]")?.textContent.includes("live")`)
	ada := browsertest.Tab(t, b.ctx, chromedp.WithNewBrowserContext())
	browsertest.Do(t, ada, "open the class", chromedp.Navigate(r.base+"/join/"+code))
	e2eWait(t, ada, `"ready" in (document.querySelector("[data-class-student]")?.dataset ?? {})`)
	fill(t, ada, "student-name", "Ada")
	e2eWait(t, ada, `!document.querySelector("[data-testid=student-client]").hidden`)
	browsertest.Eval[bool](t, present, `(() => {
		document.querySelector("[data-testid=breakout-n]").value = "2";
		document.querySelector("[data-testid=breakout]").click();
		return true;
	})()`)
	e2eWait(t, ada, `document.querySelector("[data-testid=student-rooms]").textContent === "room-1"`)
	e2eWait(t, present, `document.querySelector("[data-testid=class-count]").textContent === "1"`)

	// Down for a while: the clients wait while the tap alone probes the server.
	r.stop()
	b.waitFor("the page knows", `document.querySelector("[data-testid=demo-status]").textContent === "Lost the connection to the server: reconnecting…"`)
	down := evalJS[int](t, b, `window.__ws + window.__fetches`)
	b.waitFor("a retry of the tap", `socketlabDemos[0].tapErrors >= 2`)
	if n := evalJS[int](t, b, `window.__ws + window.__fetches`) - down; n != 0 {
		t.Errorf("%d WebSocket handshakes or fetches while the server was down, want none (the tap probes)", n)
	}

	before := evalJS[int](t, b, `window.__ws + window.__fetches`)
	r.restart()

	// The lesson page: a fresh instance, the clients back in their rooms, the status line true.
	b.waitFor("the demo restarted", `document.querySelector("[data-testid=demo-status]").textContent === "Server restarted: demo restarted. Ready: 3 of 3 clients connected."`)
	if got := evalJS[string](t, b, `socketlabDemos[0].instance.path`); got == oldPath {
		t.Errorf("the demo still uses its old instance %s", got)
	}
	b.waitFor("rooms joined again", `[...document.querySelectorAll("[data-testid=client-rooms]")].map(e => e.textContent).join("|") === "room-1|room-1|none"`)
	b.act(0, click("[data-testid=predict-B]")+";"+click("[data-testid=predict-run]"))
	b.waitFor("graded", `document.querySelector("[data-testid=predict-result]").dataset.state !== undefined`)
	if got := b.text(0, "[data-testid=predict-result]"); !strings.HasPrefix(got, "✔ Correct: B received it.") {
		t.Errorf("after the restart, socket.to(room-1) from A: %q, want B alone to receive it", got)
	}
	// Three clients and one tap: a few handshakes each and one create, not a storm.
	n := evalJS[int](t, b, `window.__ws + window.__fetches`) - before
	t.Logf("the page recovered with %d WebSocket handshakes and fetches", n)
	if n > 20 {
		t.Errorf("the page made %d WebSocket handshakes and fetches to recover, want at most 20", n)
	}
	b.noErrors()

	// The student: back by itself, in room-1, under its name, told what happened.
	e2eWait(t, ada, `document.querySelector("[data-student-status]").textContent === "The server restarted: you are back in the class, in room-1."`)
	if got := browsertest.Eval[string](t, ada, `document.querySelector("[data-testid=student-rooms]").textContent + " / " + document.querySelector("[data-testid=student-me]").textContent`); got != "room-1 / Ada" {
		t.Errorf("student page after the restart: %q, want room-1 / Ada", got)
	}
	// The projector: reconnected with its key, says so, shows Ada and reaches her room.
	e2eWait(t, present, `document.querySelector("[data-testid=class-status]").textContent.startsWith("The server restarted: your class is back")`)
	e2eWait(t, present, `document.querySelector("[data-testid=class-count]").textContent === "1" && document.querySelector("[data-testid=class-code]").textContent === `+fmt.Sprintf("%q", code))
	browsertest.Eval[bool](t, present, `(() => {
		const f = document.querySelector("[data-emit-form]");
		f.elements.to.value = "room";
		f.elements.to.dispatchEvent(new Event("change"));
		f.elements.room.value = "room-1";
		f.elements.text.value = "Still in room one";
		f.requestSubmit();
		return true;
	})()`)
	e2eWait(t, ada, `[...document.querySelectorAll("[data-msg-text]")].some(e => e.textContent === "Still in room one")`)
}
