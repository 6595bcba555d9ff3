package templates

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"socketlab/web/browsertest"

	"github.com/a-h/templ"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The browser test drives static/js/site.js over pages rendered by these
// components, served under the real server's CSP (CSP: nonce +
// strict-dynamic, style-src 'self'). It reads the asset files directly:
// templates does not import static.

// probe runs before any page script (and outside the CSP): it records
// errors and CSP violations, and captures clicks on rel=prev/next links so
// keyboard navigation can be asserted without racing a real navigation.
const probe = browsertest.ErrorProbe + `
window.__clicked = "";
window.__copied = null;
// The theme in force when the first frame is rendered (no flash of the wrong theme).
requestAnimationFrame(() => { window.__firstFrameTheme = document.documentElement.dataset.theme || "none"; });
if (navigator.clipboard) {
  const write = navigator.clipboard.writeText.bind(navigator.clipboard);
  navigator.clipboard.writeText = (text) => { window.__copied = text; return write(text); };
}
const exec = document.execCommand.bind(document);
document.execCommand = (cmd, ...rest) => {
  if (cmd === "copy") window.__copied = document.activeElement && document.activeElement.value;
  return exec(cmd, ...rest);
};
document.addEventListener("click", (e) => {
  const a = e.target.closest && e.target.closest("a[rel]");
  if (a && window.__captureNav) { window.__clicked = a.rel; e.preventDefault(); }
}, true);
`

// jsGate holds back site.js while closed, so a test can look at a page
// before the module has run.
type jsGate struct {
	mu   sync.Mutex
	open chan struct{} // nil: not held
}

func (g *jsGate) hold() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.open = make(chan struct{})
}

func (g *jsGate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.open != nil {
		close(g.open)
		g.open = nil
	}
}

func (g *jsGate) wait(ctx context.Context) {
	g.mu.Lock()
	ch := g.open
	g.mu.Unlock()
	if ch == nil {
		return
	}
	select {
	case <-ch:
	case <-ctx.Done():
	}
}

func browserServer(t *testing.T, gate *jsGate) *httptest.Server {
	t.Helper()
	js, err := os.ReadFile("../static/js/site.js")
	if err != nil {
		t.Fatalf("read site.js: %v", err)
	}
	css, err := os.ReadFile("../static/css/site.css")
	if err != nil {
		t.Fatalf("read site.css: %v", err)
	}
	site := Site{CSS: []string{"/static/site.css"}, JS: []string{"/static/site.js"}, Name: "Socket Lab"}
	var quiz bytes.Buffer
	if err := Quiz(sampleQuiz()).Render(context.Background(), &quiz); err != nil {
		t.Fatalf("render quiz: %v", err)
	}
	var demo bytes.Buffer
	if err := DemoWidget(DemoView{ID: "d1", Name: "chat", ConfigJSON: `{"clients":["A","B"]}`}).Render(context.Background(), &demo); err != nil {
		t.Fatalf("render demo: %v", err)
	}
	body := `<h2 id="events">Events</h2><p>An event has a name and arguments.</p>` +
		`<div class="code" data-copy data-lang="js"><pre><code>io.emit("hello", "world");` + "\n" + `</code></pre></div>` +
		`<pre data-copy><code>npm install socket.io-client</code></pre>` +
		demo.String() + `<h3 id="acks">Acks</h3><p>Acks confirm delivery.</p>` + quiz.String()
	views := map[string]LessonView{}
	for i, l := range lessonsList {
		v := LessonView{Site: site, Slug: l.Slug, Title: l.Title, Summary: l.Summary, Number: l.Number, Total: len(lessonsList),
			Body: "<p>Short lesson.</p>"}
		if i > 0 {
			v.Prev = &lessonsList[i-1]
		}
		if i+1 < len(lessonsList) {
			v.Next = &lessonsList[i+1]
		}
		views[l.Slug] = v
	}
	intro := views["intro"]
	intro.Body = strings.Repeat("<p>Socket.IO keeps one connection open and sends events both ways. This paragraph is long enough to wrap on a phone.</p>", 40)
	views["intro"] = intro
	emit := views["emit"]
	emit.Body, emit.TOC = body, []TOCItem{{2, "events", "Events"}, {3, "acks", "Acks"}}
	emit.Objectives, emit.Questions = []string{"Emit an event"}, []string{"What is an event?"}
	views["emit"] = emit
	pair := func(js, goCode string) string {
		return `<div class="code" data-copy data-lang="js"><pre><code>` + js + `</code></pre></div>` +
			`<div class="code" data-copy data-lang="go"><pre><code>` + goCode + `</code></pre></div>`
	}
	rooms := views["rooms"]
	rooms.Body = `<p>Join a room.</p>` + pair(`socket.join("a");`, `s.Join("a")`) + `<p>Then emit.</p>` +
		pair(`io.to("a").emit("x");`, `io.To("a").Emit("x")`) + `<div class="code" data-copy data-lang="js"><pre><code>alone();</code></pre></div>`
	views["rooms"] = rooms

	mux := http.NewServeMux()
	asset := func(ctype string, b []byte) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", ctype)
			w.Write(b)
		}
	}
	serveJS := asset("text/javascript; charset=utf-8", js)
	mux.Handle("GET /static/site.js", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gate.wait(r.Context())
		serveJS(w, r)
	}))
	mux.Handle("GET /static/site.css", asset("text/css; charset=utf-8", css))
	pageHandler := func(pick func(r *http.Request) (templ.Component, int)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			var b [16]byte
			rand.Read(b[:])
			nonce := base64.RawURLEncoding.EncodeToString(b[:])
			w.Header().Set("Content-Security-Policy", CSP(nonce))
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			c, status := pick(r)
			w.WriteHeader(status)
			if err := c.Render(templ.WithNonce(r.Context(), nonce), w); err != nil {
				t.Errorf("render %s: %v", r.URL.Path, err)
			}
		}
	}
	mux.Handle("GET /{$}", pageHandler(func(*http.Request) (templ.Component, int) {
		return HomePage(HomeView{Site: site, Lessons: lessonsList}), 200
	}))
	mux.Handle("GET /lessons/{slug}", pageHandler(func(r *http.Request) (templ.Component, int) {
		v, ok := views[r.PathValue("slug")]
		if !ok {
			return NotFoundPage(NotFoundView{Site: site, Path: r.URL.Path}), 404
		}
		return LessonPage(v), 200
	}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func ready(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			_, err := chromedp.Poll[bool](`document.querySelector(`+"`"+sel+"`"+`) !== null`, chromedp.WithPollingTimeout(10*time.Second))(ctx, tg)
			return chromedp.Void{}, err
		},
	)
}

func noErrors(t *testing.T, ctx context.Context) {
	t.Helper()
	if errs := browsertest.Eval[[]string](t, ctx, `window.__errors`); len(errs) > 0 {
		t.Errorf("page errors: %q", errs)
	}
}

// toBottom scrolls to the end of the page and again after two frames: reaching
// the end marks the lesson done, which may change the page's height.
const toBottom = `new Promise((resolve) => {
  const bottom = () => window.scrollTo({top: document.documentElement.scrollHeight, behavior: "instant"});
  bottom();
  requestAnimationFrame(() => requestAnimationFrame(() => { bottom(); resolve(true); }));
})`

func TestBrowserSiteJS(t *testing.T) {
	gate := &jsGate{}
	defer gate.release()
	srv := browserServer(t, gate)

	ctx := browsertest.Browser(t, browsertest.BeforeScripts(probe), chromedp.EmulateViewport(360, 640))
	ctx, cancelT := context.WithTimeout(ctx, 45*time.Second)
	defer cancelT()

	home, lesson := srv.URL+"/", srv.URL+"/lessons/emit"

	t.Run("home before any visit", func(t *testing.T) {
		browsertest.Do(t, ctx, "open home", chromedp.Navigate(home))
		browsertest.Eval[bool](t, ctx, `localStorage.clear(), true`)
		browsertest.Do(t, ctx, "reload", chromedp.Reload(), ready(`[data-theme-switch]:not([hidden])`))
		got := browsertest.Eval[[]string](t, ctx, `[...document.querySelectorAll(".progress-text")].map(e => e.textContent)`)
		if strings.Join(got, ",") != "Not started,Not started,Not started" {
			t.Errorf("progress: got %q", got)
		}
		if !browsertest.Eval[bool](t, ctx, `document.querySelector("[data-resume-wrap]").hidden`) {
			t.Errorf("resume link visible before any lesson was opened")
		}
		noErrors(t, ctx)
	})

	t.Run("lesson visit and layout at 360px", func(t *testing.T) {
		browsertest.Do(t, ctx, "open lesson", chromedp.Navigate(lesson), ready(`[data-done-wrap]:not([hidden])`))
		if got := browsertest.Eval[string](t, ctx, `localStorage.getItem("socketlab:progress:emit")`); got != "visited" {
			t.Errorf("progress: got %q, want %q", got, "visited")
		}
		if got := browsertest.Eval[string](t, ctx, `JSON.parse(localStorage.getItem("socketlab:last")).url`); got != "/lessons/emit" {
			t.Errorf("last url: got %q, want %q", got, "/lessons/emit")
		}
		if w := browsertest.Eval[[]int](t, ctx, `[document.documentElement.scrollWidth, window.innerWidth]`); w[0] > w[1] {
			t.Errorf("horizontal scroll at 360px: scrollWidth %d > innerWidth %d", w[0], w[1])
		}
		if got := browsertest.Eval[string](t, ctx, `getComputedStyle(document.body).backgroundColor`); got == "rgba(0, 0, 0, 0)" {
			t.Errorf("site.css not applied (body background %q)", got)
		}
		noErrors(t, ctx)
	})

	t.Run("keyboard navigation", func(t *testing.T) {
		browsertest.Eval[bool](t, ctx, `window.__captureNav = true`)
		tests := []struct {
			name  string
			focus string // JS expression focusing something, or ""
			key   string
			mods  []chromedp.Modifier
			want  string
		}{
			{"bare right arrow does nothing", "", kb.ArrowRight, nil, ""},
			{"bare left arrow does nothing", "", kb.ArrowLeft, nil, ""},
			{"alt+right goes next", "", kb.ArrowRight, []chromedp.Modifier{chromedp.ModifierAlt}, "next"},
			{"alt+left goes prev", "", kb.ArrowLeft, []chromedp.Modifier{chromedp.ModifierAlt}, "prev"},
			{"ctrl+alt+right does nothing", "", kb.ArrowRight, []chromedp.Modifier{chromedp.ModifierAlt, chromedp.ModifierCtrl}, ""},
			{"page up at the top goes prev", `window.scrollTo({top: 0, behavior: "instant"})`, kb.PageUp, nil, "prev"},
			{"page down at the top only scrolls", `window.scrollTo({top: 0, behavior: "instant"})`, kb.PageDown, nil, ""},
			{"page down at the bottom goes next", toBottom, kb.PageDown, nil, "next"},
			{"page up at the bottom only scrolls", toBottom, kb.PageUp, nil, ""},
			{"alt+right in a quiz input does nothing", `document.getElementById("sl-q1--a--1").focus()`, kb.ArrowRight, []chromedp.Modifier{chromedp.ModifierAlt}, ""},
			{"alt+right in the theme select does nothing", `document.getElementById("theme-select").focus()`, kb.ArrowRight, []chromedp.Modifier{chromedp.ModifierAlt}, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				browsertest.Eval[bool](t, ctx, `window.__clicked = "", document.activeElement && document.activeElement.blur(), true`)
				if tt.focus != "" {
					if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](tt.focus, chromedp.EvalAwaitPromise)); err != nil {
						t.Fatalf("evaluate %s: %v", tt.focus, err)
					}
				}
				browsertest.Do(t, ctx, "key", chromedp.KeyEvent(tt.key, chromedp.KeyModifiers(tt.mods...)))
				if got := browsertest.Eval[string](t, ctx, `window.__clicked`); got != tt.want {
					t.Errorf("navigated: got %q, want %q", got, tt.want)
				}
			})
		}
		browsertest.Eval[bool](t, ctx, `window.__captureNav = false, document.activeElement.blur(), true`)
		res, err := chromedp.RunResponse(ctx, chromedp.KeyEvent(kb.ArrowRight, chromedp.KeyModifiers(chromedp.ModifierAlt)))
		if err != nil {
			t.Fatalf("alt+right for real: %v", err)
		}
		if !strings.HasSuffix(res.URL, "/lessons/rooms") {
			t.Errorf("alt+right went to %q, want /lessons/rooms", res.URL)
		}
		browsertest.Do(t, ctx, "rooms ready", ready(`article[data-lesson="rooms"] [data-done-wrap]:not([hidden])`))
		browsertest.Do(t, ctx, "back to lesson", chromedp.Navigate(lesson), ready(`[data-done-wrap]:not([hidden])`))
	})

	t.Run("quiz grading, restore and done", func(t *testing.T) {
		click := func(id string) { browsertest.Eval[bool](t, ctx, `document.getElementById("`+id+`").click(), true`) }
		check := func() string {
			browsertest.Eval[bool](t, ctx, `document.querySelector("[data-testid=quiz-check]").click(), true`)
			return browsertest.Eval[string](t, ctx, `document.querySelector("[data-quiz-result]").textContent`)
		}
		click("sl-q1--a--2") // wrong
		click("sl-q1--b--1")
		click("sl-q1--b--2")
		if got := check(); !strings.Contains(got, "Not quite: 1 of 2 right") {
			t.Errorf("result: got %q, want Not quite", got)
		}
		if !browsertest.Eval[bool](t, ctx, `!document.getElementById("sl-q1--a--2-explanation").hidden && document.getElementById("sl-q1--a--1-explanation").hidden`) {
			t.Errorf("after a wrong answer only the chosen choice's explanation should show")
		}
		if got := browsertest.Eval[string](t, ctx, `document.getElementById("sl-q1--a--2-explanation").querySelector("[data-verdict]").textContent`); !strings.Contains(got, "Not this one") {
			t.Errorf("verdict: got %q", got)
		}
		// Answering is not passing: done means the quiz is right.
		if got := browsertest.Eval[string](t, ctx, `localStorage.getItem("socketlab:progress:emit")`); got != "visited" {
			t.Errorf("a quiz answered with a wrong answer: progress %q, want visited", got)
		}
		if got := browsertest.Eval[string](t, ctx, `document.querySelector("[data-done-status]").textContent`); got != "To finish this lesson: answer the quiz right." {
			t.Errorf("done status with a wrong answer: %q", got)
		}
		click("sl-q1--a--1")
		if got := browsertest.Eval[string](t, ctx, `document.querySelector("[data-quiz-result]").textContent`); got != "" {
			t.Errorf("changing an answer should clear the result, got %q", got)
		}
		if got := check(); !strings.Contains(got, "Correct! All 2 answers are right.") {
			t.Errorf("result: got %q, want Correct", got)
		}
		if n := browsertest.Eval[int](t, ctx, `document.querySelectorAll("[data-explanation]:not([hidden])").length`); n != 5 {
			t.Errorf("visible explanations after all right: got %d, want 5", n)
		}
		if got := browsertest.Eval[string](t, ctx, `localStorage.getItem("socketlab:progress:emit") + " " + document.querySelector("[data-done-status]").textContent`); got != "done ✓ Done: quiz passed." {
			t.Errorf("a quiz answered right: progress and status %q, want done", got)
		}
		if browsertest.Eval[bool](t, ctx, `document.querySelector("[data-mark-done]").getClientRects().length > 0`) {
			t.Errorf("a lesson with a quiz shows the Mark as done button: passing is what counts")
		}

		browsertest.Do(t, ctx, "reload", chromedp.Reload(), ready(`[data-done-wrap]:not([hidden])`))
		if got := browsertest.Eval[[]bool](t, ctx, `["sl-q1--a--1","sl-q1--a--2","sl-q1--b--1","sl-q1--b--2","sl-q1--b--3"].map(id => document.getElementById(id).checked)`); !equalBools(got, []bool{true, false, true, true, false}) {
			t.Errorf("restored answers: got %v", got)
		}
		if got := browsertest.Eval[string](t, ctx, `document.querySelector("[data-quiz-result]").textContent`); !strings.Contains(got, "Correct!") {
			t.Errorf("restored result: got %q", got)
		}
		if got := browsertest.Eval[string](t, ctx, `document.querySelector("[data-done-status]").textContent`); got != "✓ Done: quiz passed." {
			t.Errorf("done status after a reload: got %q", got)
		}
		noErrors(t, ctx)
	})

	t.Run("copy button", func(t *testing.T) {
		if n := browsertest.Eval[int](t, ctx, `document.querySelectorAll(".code-block > .code-toolbar:first-child > .copy-button").length`); n != 2 {
			t.Fatalf("copy buttons: got %d, want 2 (one per [data-copy])", n)
		}
		if got := browsertest.Eval[string](t, ctx, `document.querySelector(".code-toolbar .code-lang").textContent`); got != "js" {
			t.Errorf("language label: got %q, want %q", got, "js")
		}
		// A real click: the clipboard needs a user gesture.
		browsertest.Do(t, ctx, "click copy", chromedp.Click(chromedp.CSS(".copy-button")))
		got, err := chromedp.Run(ctx, chromedp.Poll[string](`document.querySelector(".copy-button").textContent !== "Copy" && document.querySelector(".copy-button").textContent`, chromedp.WithPollingTimeout(5*time.Second)))
		if err != nil || got != "Copied" {
			t.Errorf("copy button: got %q (%v), want %q", got, err, "Copied")
		}
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector("[data-announcer]")?.textContent === "Copied"`, chromedp.WithPollingTimeout(5*time.Second))); err != nil {
			t.Errorf("no \"Copied\" announcement: %v", err)
		}
		if got, want := browsertest.Eval[string](t, ctx, `String(window.__copied)`), `io.emit("hello", "world");`; got != want {
			t.Errorf("copied text: got %q, want %q", got, want)
		}
		noErrors(t, ctx)
	})

	t.Run("theme persists", func(t *testing.T) {
		browsertest.Eval[bool](t, ctx, `(s => { s.value = "dark"; s.dispatchEvent(new Event("change")); })(document.getElementById("theme-select")), true`)
		if got := browsertest.Eval[string](t, ctx, `document.documentElement.dataset.theme || ""`); got != "dark" {
			t.Errorf("data-theme: got %q, want dark", got)
		}
		dark := browsertest.Eval[string](t, ctx, `getComputedStyle(document.body).backgroundColor`)
		browsertest.Do(t, ctx, "reload", chromedp.Reload(), ready(`[data-theme-switch]:not([hidden])`))
		if got := browsertest.Eval[[]string](t, ctx, `[document.documentElement.dataset.theme || "", document.getElementById("theme-select").value]`); strings.Join(got, ",") != "dark,dark" {
			t.Errorf("after reload (theme, select): got %q", got)
		}
		browsertest.Eval[bool](t, ctx, `(s => { s.value = "light"; s.dispatchEvent(new Event("change")); })(document.getElementById("theme-select")), true`)
		if light := browsertest.Eval[string](t, ctx, `getComputedStyle(document.body).backgroundColor`); light == dark {
			t.Errorf("light and dark backgrounds are both %q", light)
		}
		browsertest.Eval[bool](t, ctx, `(s => { s.value = "system"; s.dispatchEvent(new Event("change")); })(document.getElementById("theme-select")), true`)
		if got := browsertest.Eval[string](t, ctx, `String(localStorage.getItem("socketlab:theme"))`); got != "null" {
			t.Errorf("system theme should clear the stored choice, got %q", got)
		}
		noErrors(t, ctx)
	})

	t.Run("reaching the end is not done; without a quiz the reader says so", func(t *testing.T) {
		browsertest.Do(t, ctx, "open intro", chromedp.Navigate(srv.URL+"/lessons/intro"), ready(`[data-done-wrap]:not([hidden])`))
		if got := browsertest.Eval[string](t, ctx, `localStorage.getItem("socketlab:progress:intro")`); got != "visited" {
			t.Fatalf("progress on arrival: got %q, want visited", got)
		}
		browsertest.Eval[bool](t, ctx, `window.scrollTo(0, document.documentElement.scrollHeight), true`)
		// Give an end-of-page observer its chance (it reports on a later frame) before looking.
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`new Promise(r => setTimeout(() => requestAnimationFrame(() => requestAnimationFrame(() => r(true))), 100))`, chromedp.EvalAwaitPromise)); err != nil {
			t.Fatal(err)
		}
		if got := browsertest.Eval[string](t, ctx, `localStorage.getItem("socketlab:progress:intro")`); got != "visited" {
			t.Errorf("after scrolling to the end: progress %q, want visited (scrolling is not done)", got)
		}
		// Mark as done, undo, and done again, by hand.
		browsertest.Eval[bool](t, ctx, `document.querySelector("[data-mark-done]").click(), true`)
		if got := browsertest.Eval[string](t, ctx, `localStorage.getItem("socketlab:progress:intro") + " " + document.querySelector("[data-mark-done]").getAttribute("aria-pressed")`); got != "done true" {
			t.Errorf("mark done: got %q", got)
		}
		browsertest.Eval[bool](t, ctx, `document.querySelector("[data-mark-done]").click(), true`)
		if got := browsertest.Eval[string](t, ctx, `localStorage.getItem("socketlab:progress:intro")`); got != "visited" {
			t.Errorf("undo done: got %q, want visited", got)
		}
		browsertest.Eval[bool](t, ctx, `document.querySelector("[data-mark-done]").click(), true`)
		if got := browsertest.Eval[string](t, ctx, `document.querySelector("[data-done-status]").textContent`); got != "Marked as done." {
			t.Errorf("done status: got %q", got)
		}
		noErrors(t, ctx)
	})

	t.Run("stored theme applies before site.js runs", func(t *testing.T) {
		browsertest.Eval[bool](t, ctx, `localStorage.setItem("socketlab:theme", "dark"), true`)
		gate.hold()
		browsertest.Eval[bool](t, ctx, `location.href = "/lessons/rooms", true`)
		// The init script alone (site.js is held) must set the theme; the
		// switch stays hidden until site.js runs.
		got := pollAcrossNav[[]string](t, ctx, `location.pathname === "/lessons/rooms" && document.documentElement.dataset.theme === "dark" && [document.documentElement.dataset.theme, String(document.querySelector("[data-theme-switch]").hidden)]`)
		if strings.Join(got, ",") != "dark,true" {
			t.Errorf("before site.js (data-theme, switch hidden): got %q, want [dark true]", got)
		}
		if got := pollAcrossNav[string](t, ctx, `window.__firstFrameTheme`); got != "dark" {
			t.Errorf("theme at the first rendered frame: got %q, want dark", got)
		}
		gate.release()
		browsertest.Do(t, ctx, "site.js runs", ready(`[data-theme-switch]:not([hidden])`))
		browsertest.Eval[bool](t, ctx, `localStorage.removeItem("socketlab:theme"), true`)
		noErrors(t, ctx)
	})

	t.Run("language tabs", func(t *testing.T) {
		browsertest.Do(t, ctx, "open rooms", chromedp.Navigate(srv.URL+"/lessons/rooms"), ready(`[data-done-wrap]:not([hidden])`))
		shown := func() string {
			return browsertest.Eval[string](t, ctx, `[...document.querySelectorAll("[data-code-tabs]")].map(g =>
				[...g.querySelectorAll("[role=tab]")].map(b => b.textContent + (b.getAttribute("aria-selected") === "true" ? "*" : "")).join("/") + ":" +
				[...g.querySelectorAll("[role=tabpanel]")].filter(p => p.getClientRects().length > 0).map(p => p.textContent.replace(/^.*Copy/, "")).join()).join(" | ")`)
		}
		if got := shown(); got != `JavaScript*/Go:socket.join("a"); | JavaScript*/Go:io.to("a").emit("x");` {
			t.Errorf("tabs on arrival: %s", got)
		}
		if n := browsertest.Eval[int](t, ctx, `[...document.querySelectorAll("div.code")].filter(c => !c.closest("[data-code-tabs]")).length`); n != 1 {
			t.Errorf("%d code blocks outside tabs, want 1 (the one without a pair)", n)
		}
		browsertest.Do(t, ctx, "choose Go", chromedp.Click(chromedp.CSS(`[data-code-tabs] [role=tab][data-lang=go]`)))
		if got := shown(); got != `JavaScript/Go*:s.Join("a") | JavaScript/Go*:io.To("a").Emit("x")` {
			t.Errorf("after choosing Go (every pair follows): %s", got)
		}
		browsertest.Do(t, ctx, "reload", chromedp.Reload(), ready(`[data-done-wrap]:not([hidden])`))
		if got := shown(); got != `JavaScript/Go*:s.Join("a") | JavaScript/Go*:io.To("a").Emit("x")` {
			t.Errorf("after a reload (the choice is remembered): %s", got)
		}
		browsertest.Do(t, ctx, "focus the Go tab", chromedp.Focus(chromedp.CSS(`[data-code-tabs] [role=tab][data-lang=go]`)))
		browsertest.Do(t, ctx, "arrow left", chromedp.KeyEvent(kb.ArrowLeft))
		if got := browsertest.Eval[string](t, ctx, `document.activeElement.textContent + " " + localStorage.getItem("socketlab:code-lang")`); got != "JavaScript js" {
			t.Errorf("after ArrowLeft: focus and choice %q", got)
		}
		noErrors(t, ctx)
	})

	t.Run("home shows progress and resume", func(t *testing.T) {
		browsertest.Do(t, ctx, "open home", chromedp.Navigate(home), ready(`[data-resume-wrap]:not([hidden])`))
		got := browsertest.Eval[[]string](t, ctx, `[...document.querySelectorAll("[data-progress]")].map(e => e.dataset.progress + "=" + e.querySelector(".progress-text").textContent)`)
		if strings.Join(got, ",") != "intro=Done,emit=Done,rooms=Started" {
			t.Errorf("progress: got %q", got)
		}
		if got := browsertest.Eval[string](t, ctx, `document.querySelector("[data-resume]").getAttribute("href")`); got != "/lessons/rooms" {
			t.Errorf("resume href: got %q, want /lessons/rooms (the last lesson opened)", got)
		}
		noErrors(t, ctx)
	})

	t.Run("reduced motion", func(t *testing.T) {
		browsertest.Do(t, ctx, "open lesson", chromedp.Navigate(lesson), ready(`[data-done-wrap]:not([hidden])`))
		motion := `[getComputedStyle(document.documentElement).scrollBehavior, getComputedStyle(document.querySelector(".pager-link")).transitionDuration]`
		setMotion := func(v string) {
			t.Helper()
			browsertest.Do(t, ctx, "emulate prefers-reduced-motion: "+v, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
					Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: v}},
				})
				return err
			}))
		}
		setMotion("no-preference")
		if got := browsertest.Eval[[]string](t, ctx, motion); got[0] != "smooth" || got[1] == "0s" {
			t.Errorf("no preference: scroll-behavior %q, transition %q; want smooth and a transition", got[0], got[1])
		}
		setMotion("reduce")
		defer setMotion("")
		if got := browsertest.Eval[[]string](t, ctx, motion); got[0] != "auto" || (got[1] != "0s" && got[1] != "1e-05s") {
			t.Errorf("reduced motion: scroll-behavior %q, transition %q; want auto and none", got[0], got[1])
		}
	})

	t.Run("back to home shows fresh progress", func(t *testing.T) {
		// A page restored from the back/forward cache runs no script again; it
		// gets pageshow with persisted=true. chromedp cannot follow a real bfcache
		// restore reliably, so simulate one: progress changes elsewhere, then
		// the restored page is shown.
		browsertest.Do(t, ctx, "open home", chromedp.Navigate(home), ready(`[data-resume-wrap]:not([hidden])`))
		browsertest.Eval[bool](t, ctx, `localStorage.setItem("socketlab:progress:rooms", "done"), true`)
		if got := browsertest.Eval[string](t, ctx, `document.querySelector('[data-progress="rooms"] .progress-text').textContent`); got != "Started" {
			t.Fatalf("before pageshow: got %q, want the stale %q", got, "Started")
		}
		browsertest.Eval[bool](t, ctx, `window.dispatchEvent(new PageTransitionEvent("pageshow", {persisted: true})), true`)
		if got := browsertest.Eval[string](t, ctx, `document.querySelector('[data-progress="rooms"] .progress-text').textContent`); got != "Done" {
			t.Errorf("after pageshow(persisted): got %q, want %q", got, "Done")
		}
		noErrors(t, ctx)
	})
}

// pollAcrossNav polls expr until it is truthy, starting again when a
// navigation replaces the document under the poll. Bounded by ctx.
func pollAcrossNav[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	for {
		v, err := chromedp.Run(ctx, chromedp.Poll[T](expr, chromedp.WithPollingTimeout(5*time.Second)))
		if err == nil {
			return v
		}
		if ctx.Err() != nil {
			t.Fatalf("poll %s: %v", expr, err)
		}
	}
}

func equalBools(a, b []bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
