package web

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"socketlab/playground"
	"socketlab/playground/socketio"
	"socketlab/templates"
	"socketlab/web/browsertest"
	"socketlab/web/webtest"
)

// The demo widgets (static/js/demos.js) driven in headless Chromium over the real server: real
// hub instances, real connections, and assertions on exactly which client columns received each
// message (a column lights up only when its own socket's onAny saw the event).

// demoLessons are the lessons the browser test serves: one per demo kind, plus a page with three
// demos of four clients each for the start-up measurement.
var demoLessons = map[string]string{
	"01-chat.md":   "```demo chat\nclients: [Ada, Grace, Linus]\n```\n",
	"02-scopes.md": "```demo emit-scopes\nclients: [A, B, C]\nevent: chat\npayload: hi\n```\n",
	"03-rooms.md": "```demo rooms\n" + `clients:
  - {name: A, rooms: [room-1]}
  - {name: B, rooms: [room-1]}
  - C
rooms: [room-1, room-2]
predict:
  question: A calls socket.to("room-1").emit. Who receives it?
  client: A
  emit: news
  args: [hello room]
  scope: socket-room
  room: room-1
script:
  - {client: C, join: room-1}
  - {client: B, emit: news, args: [step two], scope: room, room: room-1}
  - {client: C, leave: room-1}
  - {client: A, emit: news, args: [two rooms], scope: room, to: [room-1, room-2]}
` + "```\n",
	"04-namespaces.md": "```demo namespaces\n" + `clients:
  - A
  - {name: B, namespace: /orders}
namespaces: [/orders]
` + "```\n",
	"05-tenants.md": "```demo tenants\n" + `tenants:
  - {name: acme, token: t-acme}
  - {name: beta, token: t-beta}
clients:
  - {name: A, namespace: /org-acme, auth: {token: t-acme}}
  - {name: B, namespace: /org-beta, auth: {token: t-beta}}
  - {name: C, namespace: /org-acme, auth: {token: t-acme}}
` + "```\n",
	"06-acks.md":    "```demo acks\nclients: [A, B, C]\n```\n",
	"07-queue.md":   "```demo queue\nclients: [A, B]\n```\n",
	"08-console.md": "```demo console\nclients: [Ada, Grace]\n```\n",
	"10-cluster.md": "```demo cluster\n" + `clients:
  - {name: Ada, server: A}
  - {name: Grace, server: B, rooms: [room-1]}
  - {name: Mary, server: A}
` + "```\n",
	"11-reconnection.md":   "```demo reconnection\nclients: [Ada, Grace]\n```\n",
	"12-authentication.md": "```demo authentication\nclients: [Ada, Grace]\n```\n",
	"09-three.md": "```demo emit-scopes\nclients: [A, B, C, D]\n```\n\nText.\n\n" +
		"```demo rooms\nclients: [A, B, C, D]\nrooms: [room-1]\n```\n\nMore text.\n\n" +
		"```demo chat\nclients: [A, B, C, D]\n```\n",
}

// demoServer serves the real app with the test lessons on 127.0.0.1 (its origin allowed).
func demoServer(t testing.TB) *httptest.Server {
	t.Helper()
	return demoServerWith(t, nil)
}

// demoServerWith is demoServer; with sopts, the demo instances (/play/) are served by a registry
// whose hubs use these Socket.IO options (the rest of the app is unchanged).
// writeDemoLessons writes demoLessons into a new folder and returns it.
func writeDemoLessons(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range demoLessons {
		slug := strings.TrimSuffix(name[3:], ".md")
		front := fmt.Sprintf("---\ntitle: Demo %s\nsummary: The %s demo under test.\n---\n\n## Try it\n\n", slug, slug)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(front+body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func demoServerWith(t testing.TB, sopts *socketio.Options) *httptest.Server {
	t.Helper()
	dir := writeDemoLessons(t)
	cfg := Config{LessonDir: dir}
	if sopts != nil {
		cfg.socket = *sopts
	}
	return appServer(t, cfg)
}

// appServer serves the real app with cfg on 127.0.0.1, its own origin allowed.
func appServer(t testing.TB, cfg Config) *httptest.Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Origins = append(cfg.Origins, "http://"+ln.Addr().String())
	a, err := New(slog.New(slog.DiscardHandler), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewUnstartedServer(a.Handler())
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(func() {
		a.Close() // first: it ends the demos' event streams and sockets, which srv.Close waits for
		srv.Close()
	})
	return srv
}

const pageProbe = browsertest.ErrorProbe + `
window.__longtasks = [];
try { new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__longtasks.push([Math.round(e.startTime), Math.round(e.duration)]); }).observe({type: "longtask"}); } catch {}
`

type browser struct {
	t   testing.TB
	ctx context.Context
}

func newBrowser(t testing.TB, actx context.Context, opts ...chromedp.ContextOption) *browser {
	t.Helper()
	ctx, cancel := chromedp.NewContext(actx, opts...)
	t.Cleanup(cancel)
	err := chromedp.Do(ctx, browsertest.BeforeScripts(pageProbe), chromedp.EmulateViewport(1280, 900))
	if err != nil {
		t.Fatalf("start browser: %v", err)
	}
	return &browser{t: t, ctx: ctx}
}

func evalJS[T any](t testing.TB, b *browser, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %.120s: %v", expr, err)
	}
	return v
}

func (b *browser) run(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// waitFor polls a JS condition (up to 10 s).
func (b *browser) waitFor(what, cond string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 12*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(10*time.Second), chromedp.WithPollingInterval(20*time.Millisecond))); err != nil {
		diag, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`JSON.stringify({status: [...document.querySelectorAll("[data-testid=demo-status]")].map(e => e.textContent), errors: window.__errors, notes: [...document.querySelectorAll("[data-testid=client-note]")].map(e => e.textContent)})`))
		b.t.Fatalf("waiting for %s (%.200s): %v\npage: %s", what, cond, err, diag)
	}
}

func (b *browser) open(url string, demos int) {
	b.t.Helper()
	b.navigate(url, fmt.Sprintf(`document.querySelectorAll("section.demo[data-ready]").length >= %d && [...document.querySelectorAll("section.demo")].every(s => [...s.querySelectorAll("[data-testid=client-status]")].every(e => e.textContent.includes("connected") && !e.textContent.includes("offline")))`, demos))
}

// navigate opens url and waits until ready (a JavaScript condition) holds, with no page error.
func (b *browser) navigate(url, ready string) {
	b.t.Helper()
	b.run("open "+url, chromedp.Navigate(url))
	b.waitFor("demos ready", ready)
	b.noErrors()
}

func (b *browser) noErrors() {
	b.t.Helper()
	if errs := evalJS[[]string](b.t, b, `window.__errors`); len(errs) > 0 {
		b.t.Errorf("page errors: %q", errs)
	}
}

// js runs a statement in the page with d = the demo section number n (0-based).
func (b *browser) js(n int, stmt string) {
	b.t.Helper()
	evalJS[bool](b.t, b, fmt.Sprintf(`(async () => { const d = document.querySelectorAll("section.demo")[%d]; const $ = (s) => d.querySelector(s); %s; return true; })()`, n, stmt))
}

// act performs stmt and waits until one more message of demo n has settled (every receipt the
// hub's tap announced has arrived); it returns the clients whose column says "received".
func (b *browser) act(n int, stmt string) []string {
	b.t.Helper()
	before := evalJS[int](b.t, b, fmt.Sprintf(`Number(document.querySelectorAll("section.demo")[%d].dataset.settled || 0)`, n))
	b.js(n, stmt)
	b.waitFor("message settled", fmt.Sprintf(`Number(document.querySelectorAll("section.demo")[%d].dataset.settled || 0) > %d`, n, before))
	return b.received(n)
}

func (b *browser) received(n int) []string {
	b.t.Helper()
	// one animation frame so the columns are drawn
	return evalJS[[]string](b.t, b, fmt.Sprintf(`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(
		[...document.querySelectorAll("section.demo")[%d].querySelectorAll("[data-testid=client]")]
		.filter(c => (c.dataset.role || "").split(" ").includes("received")).map(c => c.dataset.client)))))`, n))
}

func (b *browser) roles(n int) map[string]string {
	b.t.Helper()
	return evalJS[map[string]string](b.t, b, fmt.Sprintf(`Object.fromEntries([...document.querySelectorAll("section.demo")[%d].querySelectorAll("[data-testid=client]")].map(c => [c.dataset.client, c.dataset.role || ""]))`, n))
}

func (b *browser) text(n int, sel string) string {
	b.t.Helper()
	return evalJS[string](b.t, b, fmt.Sprintf(`(document.querySelectorAll("section.demo")[%d].querySelector(%q) || {textContent: "<missing>"}).textContent`, n, sel))
}

// setv sets a form control's value and fires input/change, like a student would.
func setv(sel, v string) string {
	return fmt.Sprintf(`{ const e = $(%q); e.value = %q; e.dispatchEvent(new Event("input", {bubbles: true})); e.dispatchEvent(new Event("change", {bubbles: true})); }`, sel, v)
}

func col(name, sel string) string {
	return fmt.Sprintf(`d.querySelector('[data-testid=client][data-client=%q] %s')`, name, sel)
}

func click(sel string) string { return fmt.Sprintf(`$(%q).click()`, sel) }

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func wantReceived(t *testing.T, got []string, want ...string) {
	t.Helper()
	if g, w := strings.Join(sorted(got), ","), strings.Join(sorted(want), ","); g != w {
		t.Errorf("received by %q, want %q", g, w)
	}
}

// viewport is a screenshot's window size; label names the file.
type viewport struct {
	label string
	w, h  int64
}

// screenshot saves the demos (PNG) at desktop and phone width (t.TempDir, and /tmp/shots for review).
func (b *browser) screenshot(name string) {
	b.t.Helper()
	b.screenshotAt(name, viewport{"desktop", 1280, 900}, viewport{"390", 390, 844})
}

// screenshotAt saves the demos at each viewport (demo-NAME-LABEL.png).
func (b *browser) screenshotAt(name string, viewports ...viewport) {
	b.t.Helper()
	b.shoot("section.demo", "demo-"+name, viewports...)
}

// shoot saves the element sel as PREFIX-LABEL.png at each viewport; at a phone's width (under
// 400 px) the page must not scroll sideways, and the demos' tap targets must be large enough.
func (b *browser) shoot(sel, prefix string, viewports ...viewport) {
	b.t.Helper()
	dir := shotDir(b.t)
	for _, vp := range viewports {
		var buf []byte
		ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
		err := chromedp.Do(ctx, chromedp.EmulateViewport(vp.w, vp.h), chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			var err error
			// let the layout settle at the new width
			if _, err = chromedp.Evaluate[bool](`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`, chromedp.EvalAwaitPromise)(ctx, tg); err != nil {
				return err
			}
			buf, err = chromedp.Screenshot(sel)(ctx, tg)
			return err
		}))
		cancel()
		if err != nil {
			b.t.Fatalf("screenshot %s: %v", prefix, err)
		}
		if vp.w < 500 {
			if w := evalJS[[]int](b.t, b, `[document.documentElement.scrollWidth, window.innerWidth]`); w[0] > w[1] {
				wide := evalJS[[]string](b.t, b, `[...document.querySelectorAll("body *")].filter((e) => {
					if (e.getBoundingClientRect().right <= window.innerWidth + 0.5 || e.getClientRects().length === 0) return false;
					for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) if (getComputedStyle(p).overflowX !== "visible") return false;
					return true; })
					.slice(-3).map((e) => e.tagName + "." + e.className + " [" + e.dataset.testid + "] right " + Math.round(e.getBoundingClientRect().right) + ": " + e.textContent.slice(0, 60))`)
				b.t.Errorf("%s: horizontal scroll at %dpx: scrollWidth %d > innerWidth %d; the widest: %q", prefix, vp.w, w[0], w[1], wide)
			}
			// Tap targets on a phone: every visible button, menu, field and checkbox is 24 px
			// or more (checkboxes) and 40 px or more tall (the rest).
			small := evalJS[[]string](b.t, b, `[...document.querySelectorAll("section.demo .demo-btn, section.demo select, section.demo input")].filter(e => {
				const r = e.getBoundingClientRect();
				if (!r.width || !r.height) return false;
				const box = e.type === "checkbox" || e.type === "radio";
				return r.height < (box ? 23.5 : 39.5);
			}).map(e => (e.dataset.testid || e.outerHTML.slice(0, 60)) + " " + Math.round(e.getBoundingClientRect().height) + "px")`)
			if len(small) > 0 {
				b.t.Errorf("%s: tap targets under 40 px at %dpx: %v", prefix, vp.w, small)
			}
		}
		file := fmt.Sprintf("%s-%s.png", prefix, vp.label)
		if err := os.WriteFile(filepath.Join(dir, file), buf, 0o644); err != nil {
			b.t.Fatal(err)
		}
		if os.MkdirAll("/tmp/shots", 0o755) == nil {
			os.WriteFile(filepath.Join("/tmp/shots", file), buf, 0o644)
		}
	}
	b.run("viewport back", chromedp.EmulateViewport(1280, 900))
}

var shotDirs = map[testing.TB]string{}

func shotDir(t testing.TB) string {
	for p, d := range shotDirs {
		if strings.HasPrefix(t.Name(), p.Name()) {
			return d
		}
	}
	return t.TempDir()
}

// startDemoBrowser skips in -short mode, else starts the demo server and a browser whose
// screenshots go to a folder of the test's own.
func startDemoBrowser(t *testing.T) (*httptest.Server, *browser) {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	srv := demoServer(t)
	shotDirs[t] = t.TempDir()
	t.Cleanup(func() { delete(shotDirs, t) })
	return srv, newBrowser(t, browsertest.Allocator(t))
}

// lessonShots are the sizes of the new lessons' demo screenshots: a laptop and a small phone.
var lessonShots = []viewport{{"1280x800", 1280, 800}, {"360x740", 360, 740}}

// openDemoLesson starts the demo server and a browser (startDemoBrowser) on the test lesson
// with that slug, its one demo ready.
func openDemoLesson(t *testing.T, slug string) *browser {
	t.Helper()
	srv, b := startDemoBrowser(t)
	b.open(srv.URL+"/lessons/"+slug, 1)
	return b
}

func TestDemosBrowser(t *testing.T) {
	srv, b := startDemoBrowser(t)
	lesson := func(slug string) string { return srv.URL + "/lessons/" + slug }

	t.Run("chat", func(t *testing.T) {
		b.t = t
		b.open(lesson("chat"), 1)
		got := b.act(0, setv("[data-testid=chat-from]", "Grace")+";"+setv("[data-testid=chat-text]", "hi all")+";"+click("[data-testid=chat-send]"))
		wantReceived(t, got, "Ada", "Grace", "Linus")
		if r := b.roles(0)["Grace"]; r != "sender received" {
			t.Errorf("Grace's role: got %q, want %q", r, "sender received")
		}
		// A chat reads as one: who said what, not the event's JSON.
		if got := b.text(0, "[data-testid=client][data-client=Ada] [data-testid=client-received]"); !strings.Contains(got, "Grace: hi all") || strings.Contains(got, `"from"`) {
			t.Errorf("Ada's received list: got %q, want Grace: hi all", got)
		}
		b.screenshot("chat")

		t.Run("rename", func(t *testing.T) {
			b.t = t
			b.js(0, col("Linus", "[data-testid=client-rename]")+".click()")
			b.js(0, `{ const i = d.querySelector("[data-testid=client-rename-input]"); i.value = "Margaret"; i.form.requestSubmit(); }`)
			b.waitFor("Margaret connected", `document.querySelector("[data-client=Margaret] [data-testid=client-status]")?.textContent === "● connected"`)
			b.waitFor("the server knows Margaret", `document.querySelector("[data-member=Margaret]") !== null && document.querySelector("[data-member=Linus]") === null`)
			got := b.act(0, setv("[data-testid=chat-from]", "Margaret")+";"+setv("[data-testid=chat-text]", "new name")+";"+click("[data-testid=chat-send]"))
			wantReceived(t, got, "Ada", "Grace", "Margaret")
			if got := b.text(0, "[data-testid=result-received]"); got != "✔ Received: Ada, Grace, Margaret" {
				t.Errorf("who got it: %q", got)
			}
			if got := b.text(0, "[data-client=Ada] [data-testid=client-received]"); !strings.Contains(got, "Margaret: new name") {
				t.Errorf("Ada's received list: %q, want the message from Margaret", got)
			}
		})
		t.Run("remove", func(t *testing.T) {
			b.t = t
			b.js(0, col("Grace", "[data-testid=client-remove]")+".focus(); "+col("Grace", "[data-testid=client-remove]")+".click()")
			b.waitFor("Grace gone from the server", `document.querySelector("[data-member=Grace]") === null`)
			// From the keyboard, the focus stays in the demo: on the Remove of the column that took Grace's place.
			if got := evalJS[string](t, b, `document.activeElement.dataset.testid + " " + document.activeElement.closest("[data-client]")?.dataset.client`); got != "client-remove Margaret" {
				t.Errorf("focus after Remove: %q, want Margaret's Remove", got)
			}
			if n := evalJS[int](t, b, `document.querySelectorAll("[data-testid=client][data-client=Grace]").length`); n != 0 {
				t.Errorf("Grace's column is still there")
			}
			if got := evalJS[[]string](t, b, `[...document.querySelector("[data-testid=chat-from]").options].map(o => o.value)`); strings.Join(got, ",") != "Ada,Margaret" {
				t.Errorf("senders after remove: %q", got)
			}
			wantReceived(t, b.act(0, setv("[data-testid=chat-from]", "Ada")+";"+click("[data-testid=chat-send]")), "Ada", "Margaret")
		})
		b.t = t
	})

	t.Run("emit-scopes", func(t *testing.T) {
		b.t = t
		b.open(lesson("scopes"), 1)
		from := setv("[data-testid=composer-from]", "B\x000") + ";"
		tests := []struct {
			scope, js, goCall string
			want              []string
			roleB             string
		}{
			{"self", `socket.emit("chat"`, `s.Emit("chat"`, []string{"B"}, "sender received"},
			{"all", `io.emit("chat"`, `io.Emit("chat"`, []string{"A", "B", "C"}, "sender received"},
			{"broadcast", `socket.broadcast.emit("chat"`, `s.Broadcast().Emit("chat"`, []string{"A", "C"}, "sender"},
		}
		for _, tt := range tests {
			t.Run(tt.scope, func(t *testing.T) {
				b.t = t
				got := b.act(0, from+click("[data-testid=scope-"+tt.scope+"]"))
				wantReceived(t, got, tt.want...)
				if r := b.roles(0)["B"]; r != tt.roleB {
					t.Errorf("B's role: got %q, want %q", r, tt.roleB)
				}
				if got := b.text(0, "[data-testid=result-call]"); !strings.HasPrefix(got, tt.js) {
					t.Errorf("JS call: got %q, want prefix %q", got, tt.js)
				}
				if got := b.text(0, "[data-testid=result-call-go]"); !strings.HasPrefix(got, tt.goCall) {
					t.Errorf("Go call: got %q, want prefix %q", got, tt.goCall)
				}
			})
		}
		b.t = t
		if got := b.text(0, "[data-testid=result-check]"); !strings.Contains(got, "exactly these") {
			t.Errorf("cross-check with the tap: got %q", got)
		}
		b.screenshot("emit-scopes")

		// An error shows where the result shows, instead of the previous message's success.
		b.js(0, col("B", "[data-testid=client-toggle]")+".click()")
		b.waitFor("B offline", `document.querySelector("[data-client=B] [data-testid=client-status]").textContent.includes("offline")`)
		b.js(0, from+click("[data-testid=scope-all]"))
		b.waitFor("the error in the result panel", `document.querySelector("[data-testid=result-error]")?.textContent.includes("B is offline")`)
		if n := evalJS[int](t, b, `document.querySelectorAll("[data-testid=demo-result] [data-testid=result-received]").length`); n != 0 {
			t.Errorf("the result panel still shows the previous success next to the error")
		}
		b.js(0, col("B", "[data-testid=client-toggle]")+".click()")
		b.waitFor("B back", `document.querySelector("[data-client=B] [data-testid=client-status]").textContent.includes("● connected")`)
	})

	t.Run("rooms", func(t *testing.T) {
		b.t = t
		b.open(lesson("rooms"), 1)
		b.waitFor("initial rooms", `[...document.querySelectorAll("[data-testid=client-rooms]")].map(e => e.textContent).join("|") === "room-1|room-1|none"`)

		t.Run("predict correct", func(t *testing.T) {
			b.t = t
			b.act(0, click("[data-testid=predict-B]")+";"+click("[data-testid=predict-run]"))
			b.waitFor("graded", `document.querySelector("[data-testid=predict-result]").dataset.state !== undefined`)
			if got := b.text(0, "[data-testid=predict-result]"); !strings.HasPrefix(got, "✔ Correct: B received it.") {
				t.Errorf("grade: got %q", got)
			}
			wantReceived(t, b.received(0), "B")
			if r := b.roles(0); r["A"] != "sender" || r["C"] != "none" {
				t.Errorf("roles: got %v, want A sender, C none", r)
			}
			if got := evalJS[bool](t, b, `[...document.querySelectorAll("[data-testid^=predict-] input, input[data-testid^=predict-]")].every(e => e.disabled)`); !got {
				t.Errorf("the answer is not locked after running")
			}
		})
		t.Run("predict wrong", func(t *testing.T) {
			b.t = t
			b.js(0, click("[data-testid=predict-again]"))
			b.act(0, click("[data-testid=predict-A]")+";"+click("[data-testid=predict-C]")+";"+click("[data-testid=predict-run]"))
			b.waitFor("graded", `document.querySelector("[data-testid=predict-result]").dataset.state === "wrong"`)
			want := "✘ Not quite. Received: B. Missed: B. Wrongly included: A, C."
			if got := b.text(0, "[data-testid=predict-result]"); got != want {
				t.Errorf("grade: got %q, want %q", got, want)
			}
		})
		t.Run("join, to, except, private", func(t *testing.T) {
			b.t = t
			b.js(0, setv(`[data-testid=client][data-client=C] [data-testid=client-room]`, "room-2")+";"+col("C", "[data-testid=client-join]")+".click()")
			b.waitFor("C in room-2", `document.querySelector("[data-client=C] [data-testid=client-rooms]").textContent === "room-2"`)
			if got := b.text(0, "[data-room=room-2]"); !strings.Contains(got, "C") {
				t.Errorf("diagram room-2: got %q", got)
			}
			compose := func(from, scope, room, except string) string {
				s := setv("[data-testid=composer-from]", from+"\x000") + ";" + setv("[data-testid=composer-scope]", scope)
				if room != "" {
					s += ";" + setv("[data-testid=composer-room]", room)
				}
				if except != "" {
					s += ";" + setv("[data-testid=composer-except]", except)
				}
				return s + ";" + click("[data-testid=composer-send]")
			}
			wantReceived(t, b.act(0, compose("A", "room", "room-2", "")), "C")
			wantReceived(t, b.act(0, compose("A", "room", "room-1", "")), "A", "B")
			wantReceived(t, b.act(0, compose("A", "socket-room", "room-1", "")), "B")
			got := b.act(0, compose("C", "except", "", "room-1"))
			wantReceived(t, got, "C")
			if r := b.roles(0); r["A"] != "excluded" || r["B"] != "excluded" {
				t.Errorf("except room-1: roles %v, want A and B excluded", r)
			}

			// Several rooms at once: B joins room-2 too, so B is in both; it receives the message once.
			b.js(0, setv(`[data-testid=client][data-client=B] [data-testid=client-room]`, "room-2")+";"+col("B", "[data-testid=client-join]")+".click()")
			b.waitFor("B in room-1 and room-2", `document.querySelector("[data-client=B] [data-testid=client-rooms]").textContent === "room-1, room-2"`)
			toBoth := func(from, scope, text string) string {
				return setv("[data-testid=composer-from]", from+"\x000") + ";" + setv("[data-testid=composer-scope]", scope) + ";" +
					`{ const r = $("[data-testid=composer-room]"); for (const o of r.options) o.selected = o.value === "room-1" || o.value === "room-2"; r.dispatchEvent(new Event("change", {bubbles: true})); }` + ";" +
					setv("[data-testid=composer-payload]", text) + ";" + click("[data-testid=composer-send]")
			}
			for _, tt := range []struct {
				scope, text, js, goCall string
				want                    []string
			}{
				{"room", "to both", `io.to(["room-1", "room-2"]).emit("chat"`, `io.To("room-1", "room-2").Emit("chat"`, []string{"A", "B", "C"}},
				{"socket-room", "to both but me", `socket.to(["room-1", "room-2"]).emit("chat"`, `s.To("room-1", "room-2").Emit("chat"`, []string{"B", "C"}},
			} {
				wantReceived(t, b.act(0, toBoth("A", tt.scope, tt.text)), tt.want...)
				if got := b.text(0, "[data-testid=result-call]"); !strings.HasPrefix(got, tt.js) {
					t.Errorf("%s to two rooms: JS call %q, want prefix %q", tt.scope, got, tt.js)
				}
				if got := b.text(0, "[data-testid=result-call-go]"); !strings.HasPrefix(got, tt.goCall) {
					t.Errorf("%s to two rooms: Go call %q, want prefix %q", tt.scope, got, tt.goCall)
				}
				if n := evalJS[int](t, b, fmt.Sprintf(`[...document.querySelectorAll("[data-client=B] [data-testid=client-received] li")].filter(li => li.textContent.includes(%q)).length`, `"`+tt.text+`"`)); n != 1 {
					t.Errorf("%s to two rooms: B (in both rooms) received it %d times, want once", tt.scope, n)
				}
			}
			b.js(0, setv(`[data-testid=client][data-client=B] [data-testid=client-room]`, "room-2")+";"+col("B", "[data-testid=client-leave]")+".click()")
			b.waitFor("B back in room-1 only", `document.querySelector("[data-client=B] [data-testid=client-rooms]").textContent === "room-1"`)
			bid := evalJS[string](t, b, `document.querySelector("[data-client=B] [data-testid=client-id]").textContent`)
			wantReceived(t, b.act(0, compose("A", "room", bid, "")), "B")
			if got := b.text(0, "[data-testid=result-call]"); !strings.Contains(got, bid) {
				t.Errorf("private message call: got %q, want B's id %q", got, bid)
			}
		})
		t.Run("script", func(t *testing.T) {
			b.t = t
			b.js(0, click("[data-testid=script-step]"))
			b.waitFor("step 1", `document.querySelector("[data-testid=script-status]").textContent === "Step 2 of 4 is next."`)
			b.waitFor("C in room-1", `document.querySelector("[data-client=C] [data-testid=client-rooms]").textContent.includes("room-1")`)
			wantReceived(t, b.act(0, click("[data-testid=script-step]")), "A", "B", "C")
			b.js(0, click("[data-testid=script-step]"))
			b.waitFor("step 3", `document.querySelector("[data-testid=script-status]").textContent === "Step 4 of 4 is next."`)
			b.waitFor("C left room-1", `!document.querySelector("[data-client=C] [data-testid=client-rooms]").textContent.includes("room-1")`)
			// to: [room-1, room-2]: A and B are in room-1, B and C in room-2; each gets it once.
			wantReceived(t, b.act(0, click("[data-testid=script-step]")), "A", "B", "C")
			if got := b.text(0, "[data-testid=result-call]"); !strings.HasPrefix(got, `io.to(["room-1", "room-2"]).emit("news"`) {
				t.Errorf("script step to two rooms: call %q", got)
			}
			b.waitFor("done", `document.querySelector("[data-testid=script-status]").textContent === "All 4 steps played."`)
		})
		t.Run("large payload", func(t *testing.T) {
			// The hub's tap carries a 2 KiB preview of a larger payload (socketio.TapPreviewBytes):
			// the page still ties it to the receipts (one message, checked against the tap) and says
			// how large it is.
			b.t = t
			rows := evalJS[int](t, b, `document.querySelectorAll("section.demo")[0].querySelectorAll("[data-kind=message]").length`)
			big := strings.Repeat("lorem ipsum ", 250) // 3000 characters
			wantReceived(t, b.act(0, setv("[data-testid=composer-from]", "A\x000")+";"+setv("[data-testid=composer-scope]", "all")+";"+
				setv("[data-testid=composer-payload]", big)+";"+click("[data-testid=composer-send]")), "A", "B", "C")
			if got, want := b.text(0, ".demo-result-head"), `A emitted chat with payload 2.9 KiB: "lorem ipsum`; !strings.HasPrefix(got, want) {
				t.Errorf("result: got %.80q, want it to start %q", got, want)
			}
			if got, want := b.text(0, "[data-testid=result-check]"), "Checked against the server's tap: it sent to exactly these."; got != want {
				t.Errorf("check: got %q, want %q", got, want)
			}
			if got := b.text(0, "[data-testid=result-call]"); !strings.Contains(got, "/* 2.9 KiB of arguments */") {
				t.Errorf("call %q does not say the payload's size", got)
			}
			if n := evalJS[int](t, b, `document.querySelectorAll("section.demo")[0].querySelectorAll("[data-kind=message]").length`); n != rows+1 {
				t.Errorf("%d message rows after one large message, want %d", n, rows+1)
			}
		})
		// Lesson 5, "Leaving happens by itself on disconnect": C (in room-2) disconnects; the log
		// shows C leaving room-2, then the disconnect, and the diagram no longer lists C there.
		t.Run("leaving on disconnect", func(t *testing.T) {
			b.t = t
			b.js(0, col("C", "[data-testid=client-toggle]")+".click()")
			b.waitFor("C gone", `![...document.querySelectorAll("[data-member=C]")].length`)
			rows := evalJS[[]string](t, b, `[...document.querySelectorAll("section.demo")[0].querySelectorAll("[data-testid=log-row]")].filter(r => r.children[3].textContent === "C" && (r.dataset.kind === "leave" || r.dataset.kind === "disconnect")).map(r => r.dataset.kind + " " + r.children[5].textContent + " " + r.children[1].textContent)`)
			// The log lists the newest row first: the disconnect, after a leave for each room.
			if len(rows) < 2 || rows[0] != "disconnect — disconnect (client namespace disconnect)" || !slices.Contains(rows[1:], "leave room-2 leave") {
				t.Errorf("log rows for C: %q, want a leave of room-2, then the disconnect", rows)
			}
			if got := b.text(0, "[data-room=room-2]"); strings.Contains(got, "C") {
				t.Errorf("diagram room-2 still lists C: %q", got)
			}
		})
		b.t = t
		b.noErrors()
		b.screenshot("rooms")
	})

	t.Run("namespaces", func(t *testing.T) {
		b.t = t
		b.open(lesson("namespaces"), 1)
		send := func(from string) string {
			return setv("[data-testid=composer-from]", from) + ";" + setv("[data-testid=composer-scope]", "all") + ";" + click("[data-testid=composer-send]")
		}
		wantReceived(t, b.act(0, send("A\x000")), "A")
		b.js(0, setv("[data-client=A] [data-testid=client-multiplex-nsp]", "/orders")+";"+col("A", "[data-testid=client-multiplex]")+".click()")
		b.waitFor("A on /orders", `document.querySelectorAll("[data-client=A] [data-testid=client-id]").length === 2 && ![...document.querySelectorAll("[data-client=A] [data-testid=client-id]")].some(e => e.textContent === "—")`)
		if got := b.text(0, "[data-client=A] [data-testid=client-multiplex]"); got != "1 connection carries / and /orders" {
			t.Errorf("multiplex: got %q", got)
		}
		wantReceived(t, b.act(0, send("A\x001")), "A", "B")
		if got := b.text(0, `[data-nsp="/orders"]`); !strings.Contains(got, "A") || !strings.Contains(got, "B") {
			t.Errorf("diagram /orders: got %q", got)
		}

		t.Run("the /orders handler", func(t *testing.T) {
			b.t = t
			order := func(from, item string) string {
				return setv("[data-testid=order-from]", from) + ";" + setv("[data-testid=order-item]", item) + ";" + click("[data-testid=order-send]")
			}
			// B emits "order" on /orders: its own handler broadcasts "order:new" to /orders only.
			wantReceived(t, b.act(0, order("B\x000", "2 teas")), "A", "B")
			b.waitFor("order taken", `document.querySelector("[data-testid=order-result]").dataset.state === "ok"`)
			if got := b.text(0, "[data-client=A] [data-testid=client-received]"); !strings.Contains(got, `order:new {"from":"B","item":"2 teas"} on /orders`) {
				t.Errorf("A's received list: got %q, want order:new on /orders", got)
			}
			// A emits "order" on "/": no handler there, nobody gets anything.
			b.js(0, order("A\x000", "1 cake"))
			b.waitFor("no handler on /", `document.querySelector("[data-testid=order-result]").dataset.state === "error"`)
			if got := b.text(0, "[data-testid=order-result]"); !strings.Contains(got, `No "order" handler on /`) || !strings.Contains(got, `Nobody on / listens for "order"`) {
				t.Errorf("order on /: got %q, want the tap's reason", got)
			}
			// The no-op says why where results appear, and in the log (from the tap's event_in).
			if got := b.text(0, "[data-testid=result-error]"); !strings.Contains(got, `Nobody on / listens for "order": the server dropped A's emit`) {
				t.Errorf("result panel: got %q, want why nothing happened", got)
			}
			b.waitFor("unhandled row", `document.querySelector("[data-testid=log-row][data-kind=unhandled]") !== null`)
			if got := evalJS[string](t, b, `document.querySelector("[data-testid=log-body]").textContent`); strings.Contains(got, "1 cake") {
				t.Errorf(`"order" on "/" was broadcast: %q`, got)
			}
		})

		t.Run("rooms are per namespace", func(t *testing.T) {
			b.t = t
			for _, c := range []string{"A", "B"} {
				b.js(0, `{ const i = `+col(c, "[data-testid=client-room-new]")+`; i.value = "room-1"; }`+";"+col(c, "[data-testid=client-join]")+".click()")
			}
			b.waitFor("room-1 in both namespaces", `document.querySelector('[data-nsp="/"] [data-room=room-1]') !== null && document.querySelector('[data-nsp="/orders"] [data-room=room-1]') !== null`)
			members := func(nsp string) string {
				return evalJS[string](t, b, fmt.Sprintf(`[...document.querySelectorAll('[data-nsp=%q] [data-room=room-1] [data-member]')].map(m => m.dataset.member).join(",")`, nsp))
			}
			if got := members("/"); got != "A" {
				t.Errorf(`diagram: room-1 of "/" has %q, want A`, got)
			}
			if got := members("/orders"); got != "B" {
				t.Errorf(`diagram: room-1 of "/orders" has %q, want B`, got)
			}
			to := func(from string) string {
				return setv("[data-testid=composer-from]", from) + ";" + setv("[data-testid=composer-scope]", "room") + ";" +
					setv("[data-testid=composer-room]", "room-1") + ";" + click("[data-testid=composer-send]")
			}
			wantReceived(t, b.act(0, to("B\x000")), "B")
			if got := b.text(0, "[data-testid=result-call]"); !strings.HasPrefix(got, `io.of("/orders").to("room-1").emit(`) {
				t.Errorf("call: got %q", got)
			}
			wantReceived(t, b.act(0, to("A\x000")), "A")
		})

		t.Run("middleware refuses a connection without a token", func(t *testing.T) {
			b.t = t
			b.js(0, col("A", "[data-testid=client-no-token]")+".click()")
			b.waitFor("refused", `document.querySelector("[data-client=A] [data-testid=client-note]").textContent.includes("connect_error")`)
			if got := b.text(0, "[data-client=A] [data-testid=client-note]"); got != `⚠ no token: connect_error "token required" from /orders` {
				t.Errorf("no token: got %q", got)
			}
			if got := b.text(0, "[data-testid=server-code-js]"); !strings.Contains(got, `next(new Error("token required"))`) || !strings.Contains(got, `io.of("/orders").emit("order:new"`) {
				t.Errorf("the server code shown lacks the /orders middleware or handler:\n%s", got)
			}
		})
		b.t = t
		b.noErrors()
		b.screenshot("namespaces")
	})

	t.Run("tenants", func(t *testing.T) {
		b.t = t
		b.open(lesson("tenants"), 1)
		got := b.act(0, setv("[data-testid=composer-from]", "A\x000")+";"+setv("[data-testid=composer-scope]", "all")+";"+click("[data-testid=composer-send]"))
		wantReceived(t, got, "A", "C")
		b.js(0, col("A", "[data-testid=client-wrong-token]")+".click()")
		b.waitFor("wrong token refused", `document.querySelector("[data-client=A] [data-testid=client-note]").textContent.includes("connect_error")`)
		if got := b.text(0, "[data-client=A] [data-testid=client-note]"); !strings.Contains(got, `"not authorized"`) {
			t.Errorf("wrong token: got %q", got)
		}
		b.js(0, col("A", "[data-testid=client-cross-tenant]")+".click()")
		b.waitFor("cross tenant refused", `document.querySelector("[data-client=A] [data-testid=client-note]").textContent.includes("another tenant: connect_error")`)
		b.screenshot("tenants")
	})

	t.Run("acks", func(t *testing.T) {
		b.t = t
		b.open(lesson("acks"), 1)
		ask := setv("[data-testid=ask-from]", "A") + ";" + setv("[data-testid=ask-to]", "B") + ";" + setv("[data-testid=ask-timeout]", "500") + ";" + click("[data-testid=ask-send]")
		wantReceived(t, b.act(0, ask), "B")
		b.waitFor("answer", `document.querySelector("[data-testid=ask-result]").dataset.state === "ok"`)
		if got := b.text(0, "[data-testid=ask-result]"); !strings.Contains(got, "B: yes") {
			t.Errorf("fast answer: got %q", got)
		}
		b.js(0, setv("[data-client=B] [data-testid=client-answer]", "never"))
		wantReceived(t, b.act(0, ask), "B")
		b.waitFor("timeout", `document.querySelector("[data-testid=ask-result]").dataset.state === "error"`)
		if got := b.text(0, "[data-testid=ask-result]"); !strings.Contains(got, "operation has timed out") {
			t.Errorf("never answers: got %q", got)
		}
		// A slow responder (answers after 2 s): too slow for a 500 ms timeout, in time for 3 s.
		b.js(0, setv("[data-client=B] [data-testid=client-answer]", "slow"))
		for _, tt := range []struct {
			timeout, state, text string
		}{
			{"500", "error", "operation has timed out"},
			{"3000", "ok", "B: yes"},
		} {
			ask := setv("[data-testid=ask-from]", "A") + ";" + setv("[data-testid=ask-to]", "B") + ";" + setv("[data-testid=ask-timeout]", tt.timeout) + ";" + click("[data-testid=ask-send]")
			wantReceived(t, b.act(0, ask), "B")
			b.waitFor("slow answer "+tt.timeout, `document.querySelector("[data-testid=ask-result]").dataset.state === "`+tt.state+`"`)
			got := b.text(0, "[data-testid=ask-result]")
			if !strings.Contains(got, tt.text) {
				t.Errorf("slow responder, timeout %s ms: got %q, want %q", tt.timeout, got, tt.text)
			}
			var took int
			if _, err := fmt.Sscanf(got[strings.Index(got, "after "):], "after %d ms", &took); err != nil || tt.state == "ok" && (took < 1900 || took > 3000) || tt.state == "error" && took > 1900 {
				t.Errorf("slow responder, timeout %s ms: %q (took %d ms)", tt.timeout, got, took)
			}
		}
		b.screenshot("acks")
	})

	t.Run("queue", func(t *testing.T) {
		b.t = t
		b.open(lesson("queue"), 1)
		b.js(0, col("B", "[data-testid=client-toggle]")+".click()")
		b.waitFor("B offline", `document.querySelector("[data-client=B] [data-testid=client-status]").textContent.includes("offline")`)
		// The status line stays true: it no longer says every client is connected.
		if got := b.text(0, "[data-testid=demo-status]"); got != "Ready: 1 of 2 clients connected (offline: B)." {
			t.Errorf("status line with B offline: got %q", got)
		}
		// The lesson: "deliver two jobs to him from the dispatcher" (the first client to the second).
		if got := evalJS[string](t, b, `document.querySelector("[data-testid=deliver-from]").value + " → " + document.querySelector("[data-testid=deliver-to]").value`); got != "A → B" {
			t.Errorf("deliver defaults: %q, want A → B", got)
		}
		for _, text := range []string{"order #1", "order #2"} {
			b.js(0, setv("[data-testid=deliver-from]", "A")+";"+setv("[data-testid=deliver-to]", "B")+";"+setv("[data-testid=deliver-text]", text)+";"+click("[data-testid=deliver-send]"))
			b.waitFor("queued "+text, `document.querySelector("[data-testid=deliver-result]").textContent.startsWith("Server: queued")`)
			b.js(0, `$("[data-testid=deliver-result]").textContent = ""`)
		}
		b.waitFor("server queue", `document.querySelector("[data-queue=B]")?.dataset.count === "2"`)
		if got := b.text(0, "[data-client=B] [data-testid=client-received]"); strings.Contains(got, "order #") {
			t.Errorf("B received while offline: %q", got)
		}
		b.screenshot("queue")
		b.js(0, col("B", "[data-testid=client-toggle]")+".click()")
		b.waitFor("caught up", `document.querySelector("[data-client=B] [data-testid=client-received]").textContent.includes("order #2")`)
		b.waitFor("queue empty", `document.querySelector("[data-testid=queue-empty]") !== null`)
		b.waitFor("status line back to all", `document.querySelector("[data-testid=demo-status]").textContent === "Ready: 2 of 2 clients connected."`)
		got := b.text(0, "[data-client=B] [data-testid=client-received]")
		if n1, n2 := strings.Count(got, "order #1"), strings.Count(got, "order #2"); n1 != 1 || n2 != 1 || strings.Count(got, "acked") != 2 {
			t.Errorf("B's deliveries: got %q, want each order once, acked", got)
		}

		// Connection state recovery (node/truth/09-queues.test.js): the network drops (the
		// WebSocket closes, no DISCONNECT packet), the server keeps B's session; when the
		// network is back B gets the same id, and what was sent meanwhile arrives.
		t.Run("lose network, recover", func(t *testing.T) {
			b.t = t
			id := b.text(0, "[data-client=B] [data-testid=client-id]")
			b.js(0, col("B", "[data-testid=client-network]")+".click()")
			b.waitFor("B lost the network", `document.querySelector("[data-client=B] [data-testid=client-status]").textContent.includes("offline") && document.querySelector("[data-client=B] [data-testid=client-network]").textContent === "Network back"`)
			b.waitFor("the server saw B go", `![...document.querySelectorAll("[data-member=B]")].length`)
			if got := b.text(0, "[data-testid=log-body]"); !strings.Contains(got, "disconnect (transport close)") {
				t.Errorf("log: no \"disconnect (transport close)\" row for B")
			}
			// Sent while B is away: a broadcast (kept by recovery) and a queued delivery.
			wantReceived(t, b.act(0, setv("[data-testid=composer-from]", "A\x000")+";"+setv("[data-testid=composer-scope]", "all")+";"+
				setv("[data-testid=composer-payload]", `"sent while B was away"`)+";"+click("[data-testid=composer-send]")), "A")
			b.js(0, setv("[data-testid=deliver-from]", "A")+";"+setv("[data-testid=deliver-to]", "B")+";"+setv("[data-testid=deliver-text]", "order #3")+";"+click("[data-testid=deliver-send]"))
			b.waitFor("order #3 queued", `document.querySelector("[data-queue=B]")?.dataset.count === "1"`)

			b.js(0, col("B", "[data-testid=client-network]")+".click()")
			b.waitFor("recovered", `document.querySelector("[data-client=B] [data-testid=client-note]").textContent.includes("recovered")`)
			if got, want := b.text(0, "[data-client=B] [data-testid=client-note]"), "↻ recovered: same socket id "+id+";"; !strings.HasPrefix(got, want) {
				t.Errorf("B's note: got %q, want prefix %q", got, want)
			}
			if got := b.text(0, "[data-client=B] [data-testid=client-id]"); got != id {
				t.Errorf("B's id after recovery: %q, want %q", got, id)
			}
			b.waitFor("missed broadcast replayed", `document.querySelector("[data-client=B] [data-testid=client-received]").textContent.includes("sent while B was away")`)
			b.waitFor("order #3 delivered", `document.querySelector("[data-client=B] [data-testid=client-received]").textContent.includes("order #3")`)
			b.waitFor("queue empty", `document.querySelector("[data-testid=queue-empty]") !== null`)
			if got := b.text(0, "[data-testid=console]"); !strings.Contains(got, "connection recovered") {
				t.Errorf("server console: no \"connection recovered\" line")
			}
			b.noErrors()
			b.screenshot("queue-recovered")
		})
	})

	t.Run("console", func(t *testing.T) {
		b.t = t
		b.open(lesson("console"), 1)
		b.waitFor("proof of life", `document.querySelector("[data-testid=console]").textContent.includes("a user connected")`)
		got := b.act(0, col("Ada", "[data-testid=client-say]")+".value = 'hello from Ada';"+col("Ada", "[data-testid=client-say-send]")+".click()")
		wantReceived(t, got, "Ada", "Grace")
		b.screenshot("console")

		// Lesson 03's "Two ways to carry the same events": the columns connect over polling and
		// upgrade; the log's connection line names polling, a later disconnect names websocket.
		b.waitFor("connected over polling", `[...document.querySelectorAll("[data-testid=console] *")].some((e) => e.children.length === 0 && /a user connected .*transport=polling/.test(e.textContent))`)
		b.waitFor("Grace upgraded", `document.querySelector("[data-client=Grace] [data-testid=client-transport]")?.textContent === "polling → websocket"`)
		b.js(0, col("Grace", "[data-testid=client-toggle]")+".click()")
		b.waitFor("left over WebSocket", `[...document.querySelectorAll("[data-testid=console] *")].some((e) => e.children.length === 0 && /user disconnected .*transport=websocket/.test(e.textContent))`)
	})

	t.Run("isolation between two students", func(t *testing.T) {
		b.t = t
		other := newBrowser(t, b.ctx, chromedp.WithNewBrowserContext())
		b.open(lesson("chat"), 1)
		other.open(lesson("chat"), 1)
		p1 := evalJS[string](t, b, `socketlabDemos.at(-1).instance.path`)
		p2 := evalJS[string](t, other, `socketlabDemos.at(-1).instance.path`)
		if p1 == p2 {
			t.Fatalf("both students got instance %q", p1)
		}
		wantReceived(t, b.act(0, click("[data-testid=chat-send]")), "Ada", "Grace", "Linus")
		wantReceived(t, other.act(0, setv("[data-testid=chat-text]", "only mine")+";"+click("[data-testid=chat-send]")), "Ada", "Grace", "Linus")
		if got := evalJS[string](t, b, `document.querySelector("[data-testid=log-body]").textContent`); strings.Contains(got, "only mine") {
			t.Errorf("student 1's log shows student 2's message: %q", got)
		}
		if got := evalJS[int](t, b, `Number(document.querySelector("section.demo").dataset.settled)`); got != 1 {
			t.Errorf("student 1 saw %d messages, want 1", got)
		}
	})

	// Issue 4, item 8: a lesson page with three demos of four clients each: each demo marks itself
	// ready on the page's performance timeline ("socketlab:demo-ready": its hub instance exists,
	// its tap is open and all its clients are connected). How soon is BenchmarkDemoStartup's.
	t.Run("three demos of four clients: start-up", func(t *testing.T) {
		b.t = t
		b.open(lesson("three"), 3)
		if marks := evalJS[[]float64](t, b, `performance.getEntriesByName("socketlab:demo-ready").map(m => m.startTime)`); len(marks) != 3 {
			t.Fatalf("%d demo-ready marks on the timeline, want 3", len(marks))
		}
		if n := evalJS[int](t, b, `document.querySelectorAll("[data-testid=client-status]").length`); n != 12 {
			t.Errorf("%d client columns, want 12", n)
		}
		b.screenshot("three-demos")
	})

	// 1,000 real messages through the hub while the page is watched for long tasks and frame gaps
	// (logged: figures in docs/benchmarks.md, "Demos (issue 4)"; no wall-clock budget here).
	// The production hub limits a socket to 20 events/s (burst 40), which would stretch 1,000 emits
	// over 50 s; this subtest's demo instances run with that limit off (demoServerWith), and
	// nothing else differs: real emits, the real send handler, the real tap and receipts.
	t.Run("1000 messages stay smooth", func(t *testing.T) {
		b.t = t
		fast := demoServerWith(t, &socketio.Options{RateLimit: -1})
		defer b.run("leave the page", chromedp.Navigate("about:blank"))
		b.open(fast.URL+"/lessons/scopes", 1)
		wantReceived(t, b.act(0, setv("[data-testid=composer-from]", "A\x000")+";"+setv("[data-testid=composer-scope]", "all")+";"+click("[data-testid=composer-send]")), "A", "B", "C")
		// Up to 50 s in the page: the race detector slows the hub (not the page) several times over.
		ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
		defer cancel()
		res, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]float64](`(async () => {
			const w = socketlabDemos.at(-1);
			const d = w.section;
			const start = Number(d.dataset.settled || 0);
			let longest = 0, longTasks = 0, frames = 0, last = performance.now(), worstGap = 0, running = true;
			const obs = new PerformanceObserver((l) => { for (const e of l.getEntries()) { longTasks++; longest = Math.max(longest, e.duration); } });
			obs.observe({type: "longtask"});
			const gaps = [];
			const tick = (t) => { gaps.push(t - last); worstGap = Math.max(worstGap, t - last); last = t; frames++; if (running) requestAnimationFrame(tick); };
			requestAnimationFrame(tick);
			const t0 = performance.now();
			const a = w.clients[0].socket;
			let acked = 0;
			const drops = [];
			for (const c of w.clients) c.socket.on("disconnect", (reason) => drops.push(c.name + ": " + reason));
			// 1,000 real emits of A's "send" (io.emit to A, B and C) as fast as the hub acks them,
			// at most 100 in flight (the hub drops a client whose outbound queue passes 256 packets).
			let sent = 0;
			while (sent < 1000) {
				while (sent < 1000 && sent - acked < 100) { const j = sent++; a.emit("send", {event: "flood", args: [j], scope: "all"}, () => acked++); }
				await new Promise(r => setTimeout(r, 0));
			}
			while (Number(d.dataset.settled || 0) < start + 1000 && performance.now() - t0 < 50000) await new Promise(r => setTimeout(r, 20));
			const ms = performance.now() - t0;
			await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
			running = false;
			obs.disconnect();
			return {settled: Number(d.dataset.settled || 0) - start, acked, ms, rows: d.querySelectorAll("[data-testid=log-row]").length,
				longest, longTasks, worstGap, frames, medianGap: gaps.sort((x, y) => x - y)[gaps.length >> 1], drops: drops.length, received: d.querySelectorAll("[data-client=C] [data-testid=client-received] li").length};
		})()`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("1,000 messages: %v", err)
		}
		t.Logf("1000 real messages × 3 clients: %v acked, %v settled in %.0f ms; %v log rows in the DOM; %v long tasks (> 50 ms), longest %.0f ms; frame gaps: median %.0f ms, worst %.0f ms over %v frames",
			res["acked"], res["settled"], res["ms"], res["rows"], res["longTasks"], res["longest"], res["medianGap"], res["worstGap"], res["frames"])
		if res["drops"] > 0 {
			t.Errorf("%v client connections dropped during the flood", res["drops"])
		}
		if res["settled"] < 1000 || res["acked"] != 1000 {
			t.Errorf("%v messages settled and %v acked, want 1000", res["settled"], res["acked"])
		}
		if res["rows"] > 500 {
			t.Errorf("%v log rows in the DOM, want ≤ 500", res["rows"])
		}
		if res["received"] > 8 {
			t.Errorf("column keeps %v received items, want ≤ 8", res["received"])
		}
		b.t = t
		b.js(0, click("[data-testid=log-pause]"))
		b.js(0, `socketlabDemos.at(-1).clients[0].socket.emit("send", {event: "while-paused", args: [1], scope: "all"})`)
		b.waitFor("held", `document.querySelector("[data-testid=log-held]").textContent.startsWith("Paused: 1 new row")`)
		if got := evalJS[string](t, b, `document.querySelector("[data-testid=log-body]").textContent`); strings.Contains(got, "while-paused") {
			t.Errorf("paused log shows a new row")
		}
		b.js(0, click("[data-testid=log-pause]"))
		b.waitFor("resumed", `document.querySelector("[data-testid=log-body]").textContent.includes("while-paused")`)
		b.js(0, setv("[data-testid=log-filter]", "while-paused"))
		if n := evalJS[int](t, b, `[...document.querySelectorAll("[data-testid=log-row]")].filter(r => !r.hidden).length`); n != 1 {
			t.Errorf("filter: %d rows visible, want 1", n)
		}
	})

	t.Run("playground with an outside client", func(t *testing.T) {
		b.t = t
		node, err := exec.LookPath("node")
		if err == nil {
			_, err = os.Stat(filepath.Join("..", "node", "node_modules", "socket.io-client"))
		}
		if err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("CI needs node and socket.io-client: %v", err)
			}
			t.Skipf("needs node and node/node_modules/socket.io-client: %v", err)
		}
		b.open(srv.URL+"/playground", 1)
		b.waitFor("extras", `document.querySelector("[data-playground-ready]") !== null`)
		// Headings go down one level at a time (h1, then h2, …), for screen-reader navigation.
		if jumps := evalJS[[]string](t, b, `(() => { let last = 0; const out = [];
			for (const h of document.querySelectorAll("main h1, main h2, main h3, main h4, main h5, main h6")) {
				if (!h.getClientRects().length) continue;
				const n = +h.tagName[1];
				if (n > last + 1) out.push(h.tagName + " " + h.textContent.trim().slice(0, 40) + " after h" + last);
				last = n;
			}
			return out; })()`); len(jumps) > 0 {
			t.Errorf("the playground's headings skip levels: %q", jumps)
		}
		path := b.text(0, "[data-testid=pg-path]")
		snippet := b.text(0, "[data-testid=pg-snippet]")
		if !strings.Contains(snippet, `io("`+srv.URL+`/", { path: "`+path+`", auth: { name: "me" } })`) {
			t.Errorf("snippet: got %q", snippet)
		}
		// "Snippet copied." appears under the snippet's own button, not under the share panel.
		b.js(0, click("[data-testid=pg-copy-snippet]"))
		b.waitFor("copy feedback", `document.querySelector("[data-testid=pg-snippet-copied]").textContent !== ""`)
		if !evalJS[bool](t, b, `document.querySelector("[data-testid=pg-snippet-copied]").closest("section").contains(document.querySelector("[data-testid=pg-copy-snippet]"))`) {
			t.Errorf("the snippet's copy feedback is not in the snippet's panel")
		}
		// The outside client: connect, say something to everyone, stay until told to go.
		script := `import { io } from "socket.io-client";
const socket = io(process.env.URL, { path: process.env.SIO_PATH, auth: { name: "outsider" }, transports: ["websocket"] });
socket.on("connect", () => setTimeout(() => socket.emit("send", { event: "chat", args: ["from node"], scope: "all" }, () => console.log("sent")), 300));
socket.on("connect_error", (e) => { console.error("connect_error", e.message); process.exit(2); });
process.stdin.on("end", () => socket.close()); // stay until the test closes our stdin
process.stdin.resume();`
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, node, "--input-type=module", "-e", script)
		cmd.Dir = "../node"
		cmd.Env = append(os.Environ(), "URL="+srv.URL+"/", "SIO_PATH="+path)
		var out webtest.SyncBuffer
		cmd.Stdout, cmd.Stderr = &out, &out
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer cmd.Wait()
		defer stdin.Close()
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("node client output:\n%s", out.String())
			}
		})
		b.waitFor("outsider in the diagram", `document.querySelector("[data-member=outsider].is-external") !== null`)
		b.waitFor("outsider's message", `[...document.querySelectorAll("[data-testid=log-row]")].some(r => r.textContent.includes("from node") && r.textContent.includes("outsider"))`)
		wantReceived(t, b.received(0), "A", "B", "C")
		b.screenshot("playground")
		stdin.Close()
		if err := cmd.Wait(); err != nil {
			t.Errorf("node client: %v\n%s", err, out.String())
		}

		// The shareable link recreates the setup (here: one more client, D, in room-2).
		b.js(0, `$("[data-testid=add-client] input").value = "D"; $("[data-testid=add-client] button").click()`)
		b.waitFor("D connected", `document.querySelector("[data-client=D] [data-testid=client-status]")?.textContent.includes("● connected")`)
		b.js(0, setv("[data-client=D] [data-testid=client-room]", "room-2")+";"+col("D", "[data-testid=client-join]")+".click()")
		b.waitFor("D in room-2", `document.querySelector("[data-client=D] [data-testid=client-rooms]").textContent === "room-2"`)
		b.js(0, click("[data-testid=pg-make-link]"))
		link := b.text(0, "[data-testid=pg-link]")
		link = evalJS[string](t, b, `document.querySelector("[data-testid=pg-link]").value`)
		if !strings.HasPrefix(link, srv.URL+"/playground#c=") {
			t.Fatalf("share link: got %q", link)
		}
		b.run("blank", chromedp.Navigate("about:blank"))
		b.open(link, 1)
		b.waitFor("extras", `document.querySelector("[data-playground-ready]") !== null`)
		if got := evalJS[[]string](t, b, `[...document.querySelectorAll("[data-testid=client]")].map(c => c.dataset.client)`); strings.Join(got, ",") != "A,B,C,D" {
			t.Errorf("clients from the link: got %q, want A,B,C,D", got)
		}
		b.waitFor("D back in room-2", `document.querySelector("[data-client=D] [data-testid=client-rooms]").textContent === "room-2"`)

		// The address bar follows the setup: D leaves room-2, and a reload brings back the sandbox
		// as it is now (it used to restore the setup the page was opened with).
		b.js(0, setv("[data-client=D] [data-testid=client-room]", "room-2")+";"+col("D", "[data-testid=client-leave]")+".click()")
		b.waitFor("D left", `document.querySelector("[data-client=D] [data-testid=client-rooms]").textContent !== "room-2"`)
		b.waitFor("the address bar has D in no room", `(() => {
			const cfg = JSON.parse(atob(location.hash.slice(3).replace(/-/g, "+").replace(/_/g, "/")));
			const d = cfg.clients.find((c) => c.name === "D");
			return d && !(d.rooms ?? []).length;
		})()`)
		here := evalJS[string](t, b, `location.href`)
		b.run("blank", chromedp.Navigate("about:blank"))
		b.open(here, 1) // what a reload loads
		b.waitFor("reloaded", `document.querySelector("[data-playground-ready]") !== null && document.querySelector("[data-client=D] [data-testid=client-status]")?.textContent.includes("● connected")`)
		if got := b.text(0, "[data-client=D] [data-testid=client-rooms]"); got == "room-2" {
			t.Errorf("after a reload D is back in room-2, the stale setup")
		}
	})

	t.Run("keyboard and accessibility", func(t *testing.T) {
		b.t = t
		b.open(lesson("scopes"), 1)
		checks := evalJS[map[string]any](t, b, `(() => {
			const d = document.querySelector("section.demo");
			const unlabeled = [...d.querySelectorAll("input, select, textarea, button")].filter(e => {
				if (e.closest("[hidden]")) return false;
				const lab = e.labels && e.labels.length ? e.labels[0].textContent.trim() : "";
				return !lab && !e.getAttribute("aria-label") && !e.textContent.trim() && e.type !== "hidden";
			}).map(e => e.outerHTML.slice(0, 80));
			// One emit is announced once, by the result: the event log and the console (role=log,
			// live by default) are marked off.
			const logs = [...d.querySelectorAll("[role=log]")].map(e => e.getAttribute("aria-live")).join();
			return {unlabeled, logs, tabs: d.querySelectorAll("[role=tab]").length};
		})()`)
		if u, _ := checks["unlabeled"].([]any); len(u) > 0 {
			t.Errorf("controls without a name: %v", u)
		}
		if checks["logs"] != "off,off" {
			t.Errorf("the log and the console's aria-live: %v, want off,off (the result announces)", checks["logs"])
		}
		// Tabs switch with the arrow keys.
		b.js(0, `$("[role=tab]").focus()`)
		b.run("arrow", chromedp.KeyEvent(kb.ArrowRight))
		if got := evalJS[string](t, b, `document.activeElement.textContent + ":" + document.activeElement.getAttribute("aria-selected")`); got != "Go:true" {
			t.Errorf("tab after ArrowRight: got %q, want Go:true", got)
		}
		// The three scope buttons are reachable with Tab and work with Enter.
		b.js(0, `$("[data-testid=composer-send]").focus()`)
		before := evalJS[int](t, b, `Number(document.querySelector("section.demo").dataset.settled || 0)`)
		b.run("enter", chromedp.KeyEvent("\r"))
		b.waitFor("sent with Enter", fmt.Sprintf(`Number(document.querySelector("section.demo").dataset.settled || 0) > %d`, before))
	})
	b.t = t
}

// TestPlaygroundConfigIsValid: the sandbox's default setup passes the same validation as lesson YAML.
func TestPlaygroundConfigIsValid(t *testing.T) {
	if err := playground.ValidateDemo("rooms", json.RawMessage(templates.PlaygroundConfig)); err != nil {
		t.Fatalf("PlaygroundConfig: %v", err)
	}
}

// BenchmarkDemoStartup is issue 4's start-up figure (target 300 ms): from navigation start to the
// last of the three "socketlab:demo-ready" marks of a lesson page with three demos of four clients
// each, reported as ready-ms (the mean over b.N page loads).
func BenchmarkDemoStartup(b *testing.B) {
	srv := demoServer(b)
	br := newBrowser(b, browsertest.Allocator(b))
	var total float64
	for b.Loop() {
		br.open(srv.URL+"/lessons/three", 3)
		marks := evalJS[[]float64](b, br, `performance.getEntriesByName("socketlab:demo-ready").map(m => m.startTime)`)
		if len(marks) != 3 {
			b.Fatalf("%d demo-ready marks on the timeline, want 3", len(marks))
		}
		total += slices.Max(marks)
	}
	b.ReportMetric(total/float64(b.N), "ready-ms")
}
