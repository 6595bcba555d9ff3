package web

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"socketlab/web/browsertest"
)

// The demo's server code edited and run in the page (static/js/demo-code.js) in headless
// Chromium: the student types in the editor, runs it, and the clients that receive a message
// follow the new code; a syntax error is marked at its line while the old server keeps serving;
// the edit survives a reload; a lesson's exercise fails with its starter and passes once the
// student fixes the code in the editor.

// typeAt selects part (empty: nothing, the caret goes before it) of the first occurrence of find
// in demo n's editor and types text there with real key events, as a student would.
func (b *browser) typeAt(n int, find, part, text string) {
	b.t.Helper()
	b.js(n, fmt.Sprintf(`{ const i = d.querySelector("[data-testid=server-code-js] textarea");
		const at = i.value.indexOf(%q); if (at < 0) throw new Error("not in the editor: " + %q);
		const from = at + %q.indexOf(%q);
		i.focus(); i.setSelectionRange(from, from + %d); }`, find, find, find, part, len(part)))
	b.run("type "+text, chromedp.KeyEvent(text))
}

// runCode presses Ctrl+Enter in demo n's editor and waits for the status line to say want.
func (b *browser) runCode(n int, want string) {
	b.t.Helper()
	b.js(n, `d.querySelector("[data-testid=server-code-js] textarea").focus()`)
	b.run("Ctrl+Enter", chromedp.KeyEvent(kb.Enter, chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	b.waitCodeStatus(n, want)
}

func (b *browser) waitCodeStatus(n int, want string) {
	b.t.Helper()
	b.waitFor("code status "+want, fmt.Sprintf(`(document.querySelectorAll("section.demo")[%d].querySelector("[data-testid=code-status]")?.textContent ?? "").includes(%q)`, n, want))
}

// allConnected waits until every client of demo n is connected to the server now running and
// the server's state (the rooms diagram) lists each of them by name.
func (b *browser) allConnected(n int) {
	b.t.Helper()
	b.waitFor("clients back on the new server", fmt.Sprintf(`(() => { const d = document.querySelectorAll("section.demo")[%d];
		const cols = [...d.querySelectorAll("[data-testid=client]")];
		const w = globalThis.socketlabDemos.find((w) => w.section === d);
		return cols.length > 0 && w.clients.every((c) => c.connected && d.querySelector("[data-testid=diagram] [data-member='" + c.name + "']")
			&& w.stateSockets.has(c.socket.id));
	})()`, n))
}

// codeBrowser is one Chromium on the test lessons' server (skipped in -short mode).
func codeBrowser(t *testing.T) (*browser, *httptest.Server) {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	return newBrowser(t, browsertest.Allocator(t)), demoServer(t)
}

func TestCodeEditorBrowser(t *testing.T) {
	b, srv := codeBrowser(t)
	chat := srv.URL + "/lessons/chat"
	send := func(from, text string) []string {
		return b.act(0, setv("[data-testid=chat-from]", from)+";"+setv("[data-testid=chat-text]", text)+";"+click("[data-testid=chat-send]"))
	}

	b.open(chat, 1)
	if got := b.text(0, "[data-testid=server-code-go-note]"); !strings.Contains(got, "Go equivalent of the original handlers") {
		t.Errorf("Go tab note: %q", got)
	}

	t.Run("broadcast instead of io.emit", func(t *testing.T) {
		b.t = t
		b.typeAt(0, `io.emit("chat message"`, "io.emit", "socket.broadcast.emit")
		b.runCode(0, "Running your code.")
		b.allConnected(0)
		got := send("Grace", "only the others")
		wantReceived(t, got, "Ada", "Linus")
		if r := b.roles(0); r["Grace"] != "sender" || r["Ada"] != "received" || r["Linus"] != "received" {
			t.Errorf("roles after the edit: %v", r)
		}
		if got := b.text(0, "[data-testid=demo-result]"); !strings.Contains(got, "socket.broadcast.emit") || !strings.Contains(got, "Ada") || !strings.Contains(got, "Linus") {
			t.Errorf("who got it: %q", got)
		}
		// The program's console.log (its middleware logs every connection) is shown as its output.
		b.waitFor("the program's console", `[...document.querySelectorAll("[data-testid=console-program]")].some((l) => l.textContent.includes("middleware / Grace allowed"))`)
		b.noErrors()
	})

	t.Run("survives a reload", func(t *testing.T) {
		b.t = t
		b.open(chat, 1)
		code := evalJS[string](t, b, `document.querySelector("[data-testid=server-code-js] textarea").value`)
		if !strings.Contains(code, `socket.broadcast.emit("chat message"`) {
			t.Fatalf("after a reload the editor holds:\n%s", code)
		}
		b.waitCodeStatus(0, "Running your code.")
		b.allConnected(0)
		wantReceived(t, send("Ada", "after reload"), "Grace", "Linus")
	})

	t.Run("syntax error", func(t *testing.T) {
		b.t = t
		b.typeAt(0, `io.on("connection"`, "", "%% ")
		b.js(0, click("[data-testid=code-run]"))
		b.waitCodeStatus(0, "the previous server keeps running")
		status := b.text(0, "[data-testid=code-status]")
		if !strings.HasPrefix(status, "Line 2: SyntaxError") {
			t.Errorf("status: %q", status)
		}
		marked := evalJS[[]string](t, b, `[...document.querySelectorAll("[data-testid=server-code-js] .ce-gutter .ce-ln-error")].map((e) => e.textContent)`)
		if strings.Join(marked, ",") != "2" {
			t.Errorf("gutter marks on lines %q, want 2", marked)
		}
		if msg := b.text(0, "[data-testid=server-code-js] .ce-errors"); !strings.Contains(msg, "Line 2, column 1") || !strings.Contains(msg, "SyntaxError") {
			t.Errorf("error under the editor: %q", msg)
		}
		// The previous server (the broadcast one) still serves.
		wantReceived(t, send("Ada", "still broadcast"), "Grace", "Linus")
	})

	t.Run("reset", func(t *testing.T) {
		b.t = t
		b.js(0, click("[data-testid=code-reset]"))
		b.waitCodeStatus(0, "Running the demo's original code.")
		b.allConnected(0)
		wantReceived(t, send("Ada", "everyone again"), "Ada", "Grace", "Linus")
		if n := evalJS[int](t, b, `Object.keys(localStorage).filter((k) => k.startsWith("socketlab:code:")).length`); n != 0 {
			t.Errorf("%d code entries left in localStorage after Reset", n)
		}
		b.noErrors()
	})

	// The server's handlers follow the reader's language like the lesson's code tabs do, and a
	// pick there is remembered for the whole site.
	t.Run("the Go tab is the reader's language", func(t *testing.T) {
		b.t = t
		selected := func() string {
			return evalJS[string](t, b, `[...document.querySelectorAll("section.demo [data-testid=server-code] [role=tab][aria-selected=true]")].map((t) => t.dataset.testid).join()
				+ " " + localStorage.getItem("socketlab:code-lang")
				+ " " + document.querySelector("section.demo [data-testid=server-code-go]").checkVisibility()`)
		}
		b.js(0, click("[data-testid=server-code] [data-testid=tab-go]"))
		if got := selected(); got != "tab-go go true" {
			t.Errorf("after choosing Go: %q", got)
		}
		b.open(chat, 1)
		if got := selected(); got != "tab-go go true" {
			t.Errorf("after a reload: %q, want the Go tab still chosen", got)
		}
		b.js(0, click("[data-testid=server-code] [data-testid=tab-js]"))
		if got := selected(); got != "tab-js js false" {
			t.Errorf("after choosing JavaScript: %q", got)
		}
		b.noErrors()
	})
}

// TestExerciseInEditorBrowser does lesson 2's exercise as a student would: Start puts the starter
// in the chat demo's editor, Check fails it (the sender alone gets the message), the student
// types the fix in the editor, Check passes, and the pass is remembered after a reload.
func TestExerciseInEditorBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	_, base := newClassTestApp(t)
	b := newBrowser(t, browsertest.Allocator(t))
	b.run("open lesson chat", chromedp.Navigate(base+"/lessons/chat"))
	b.waitFor("demos ready", `[...document.querySelectorAll("section.demo")].every((s) => s.dataset.ready !== undefined)`)
	const ex = `document.querySelector("section.exercise")`
	b.js(0, ex+`.querySelector("[data-testid=exercise-start]").click()`)
	b.waitFor("the starter in the editor", `document.querySelector("section.demo [data-testid=server-code-js] textarea").value.includes('socket.emit("chat message", msg)')`)
	if focused := evalJS[bool](t, b, `document.activeElement === document.querySelector("section.demo [data-testid=server-code-js] textarea")`); !focused {
		t.Error("Start the exercise did not move the focus to the editor")
	}
	check := func() string {
		b.js(0, ex+`.querySelector("[data-testid=exercise-check]").click()`)
		b.waitFor("checked", ex+`.querySelector("[data-testid=exercise-status]").textContent.match(/Passed|failed|did not start/) !== null`)
		return evalJS[string](t, b, ex+`.querySelector("[data-testid=exercise-status]").textContent + "\n" + `+ex+`.querySelector("[data-testid=exercise-results]").textContent`)
	}
	got := check()
	if !strings.Contains(got, "failed") || !strings.Contains(got, "✗") {
		t.Errorf("the starter code passed or did not run:\n%s", got)
	}
	b.typeAt(0, `socket.emit("chat message", msg)`, "socket.emit", "io.emit")
	got = check()
	if !strings.Contains(got, "✓ Passed") {
		t.Errorf("the fixed code did not pass:\n%s", got)
	}
	if n := evalJS[int](t, b, `[...document.querySelectorAll("[data-testid=exercise-result]")].filter((r) => r.textContent.startsWith("✓")).length`); n != 2 {
		t.Errorf("%d checks passed, want 2", n)
	}
	// The exercise alone does not finish the lesson: its quiz is still to pass.
	if got := evalJS[string](t, b, `localStorage.getItem("socketlab:progress:chat") + " " + document.querySelector("[data-done-status]").textContent`); got != "visited To finish this lesson: answer the quiz right." {
		t.Errorf("after the exercise: %q, want the quiz still to do", got)
	}
	b.js(0, `{ const f = document.querySelector("form[data-quiz]");
		for (const fs of f.querySelectorAll("fieldset[data-question]")) for (const i of fs.querySelectorAll("input")) i.checked = i.dataset.correct === "true";
		f.querySelector("[data-testid=quiz-check]").click(); }`)
	if got := evalJS[string](t, b, `localStorage.getItem("socketlab:progress:chat") + " " + document.querySelector("[data-done-status]").textContent`); got != "done ✓ Done: quiz and exercise passed." {
		t.Errorf("after the exercise and the quiz: %q, want done", got)
	}
	b.run("reload", chromedp.Navigate(base+"/lessons/chat"))
	b.waitFor("demos ready", `[...document.querySelectorAll("section.demo")].every((s) => s.dataset.ready !== undefined)`)
	if got := evalJS[string](t, b, ex+`.querySelector("[data-testid=exercise-status]").textContent`); !strings.Contains(got, "Passed") {
		t.Errorf("after a reload the exercise says %q", got)
	}
	if code := evalJS[string](t, b, `document.querySelector("section.demo [data-testid=server-code-js] textarea").value`); !strings.Contains(code, `io.emit("chat message", msg)`) {
		t.Errorf("after a reload the editor holds:\n%s", code)
	}
	b.waitCodeStatus(0, "Running your code.")
	b.noErrors()
	for _, vp := range []struct {
		label string
		w, h  int64
	}{{"1280x800", 1280, 800}, {"360x740", 360, 740}} {
		b.run("viewport", chromedp.EmulateViewport(vp.w, vp.h))
		buf, err := chromedp.Run(b.ctx, chromedp.Screenshot("section.exercise"))
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		if os.MkdirAll("/tmp/shots", 0o755) == nil {
			os.WriteFile(filepath.Join("/tmp/shots", "exercise-"+vp.label+".png"), buf, 0o644)
		}
	}
}

// TestCodeEditorScreens takes the chat demo, its code edited and a syntax error marked, at
// 1280×800 and 360×740 in the light and the dark theme, and checks nothing overflows sideways.
func TestCodeEditorScreens(t *testing.T) {
	b, srv := codeBrowser(t)
	b.open(srv.URL+"/lessons/chat", 1)
	b.runCode(0, "Running the demo's original code.") // the program's console.log in the console
	b.allConnected(0)
	b.waitFor("the program's console", `document.querySelectorAll("[data-testid=console-program]").length >= 3`)
	b.typeAt(0, `io.on("connection"`, "", "%% ")
	b.js(0, click("[data-testid=code-run]"))
	b.waitCodeStatus(0, "the previous server keeps running")
	dir := t.TempDir()
	for _, theme := range []string{"light", "dark"} {
		b.js(0, fmt.Sprintf(`document.documentElement.dataset.theme = %q`, theme))
		for _, vp := range []struct {
			label string
			w, h  int64
		}{{"1280x800", 1280, 800}, {"360x740", 360, 740}} {
			var panel, demo []byte
			ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
			err := chromedp.Do(ctx, chromedp.EmulateViewport(vp.w, vp.h), chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				var err error
				if _, err = chromedp.Evaluate[bool](`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`, chromedp.EvalAwaitPromise)(ctx, tg); err != nil {
					return err
				}
				if panel, err = chromedp.Screenshot("section.demo .demo-server")(ctx, tg); err != nil {
					return err
				}
				demo, err = chromedp.Screenshot("section.demo")(ctx, tg)
				return err
			}))
			cancel()
			if err != nil {
				t.Fatalf("screenshot: %v", err)
			}
			over := evalJS[[]int](t, b, `(() => { const r = document.querySelector("section.demo .code-editor").getBoundingClientRect();
				return [document.documentElement.scrollWidth, window.innerWidth, Math.round(r.right)]; })()`)
			if over[0] > over[1] || over[2] > over[1] {
				t.Errorf("%s %s: overflow: page %d, editor right edge %d, viewport %d", theme, vp.label, over[0], over[2], over[1])
			}
			for what, buf := range map[string][]byte{"code-editor": panel, "code-demo": demo} {
				file := fmt.Sprintf("%s-%s-%s.png", what, vp.label, theme)
				if err := os.WriteFile(filepath.Join(dir, file), buf, 0o644); err != nil {
					t.Fatal(err)
				}
				if os.MkdirAll("/tmp/shots", 0o755) == nil {
					os.WriteFile(filepath.Join("/tmp/shots", file), buf, 0o644)
				}
			}
		}
	}
	b.run("viewport back", chromedp.EmulateViewport(1280, 900))
}

// TestPlaygroundLinkCarriesCode: the playground's share link carries the edited server code; the
// page opened from it (in a browser with nothing stored) shows and runs that code.
func TestPlaygroundLinkCarriesCode(t *testing.T) {
	b, srv := codeBrowser(t)
	b.open(srv.URL+"/playground", 1)
	b.waitFor("extras", `document.querySelector("[data-playground-ready]") !== null`)
	b.typeAt(0, `io.use(allowEveryone);`, ";", "; // from the link")
	b.runCode(0, "Running your code.")
	b.js(0, click("[data-testid=pg-make-link]"))
	link := evalJS[string](t, b, `document.querySelector("[data-testid=pg-link]").value`)
	if !strings.HasPrefix(link, srv.URL+"/playground#c=") {
		t.Fatalf("share link: %q", link)
	}
	evalJS[bool](t, b, `(localStorage.clear(), true)`)
	b.run("blank", chromedp.Navigate("about:blank"))
	b.open(link, 1)
	code := evalJS[string](t, b, `document.querySelector("[data-testid=server-code-js] textarea").value`)
	if !strings.HasPrefix(code, "io.use(allowEveryone); // from the link\n") {
		t.Errorf("the editor opened from the link holds:\n%.200s", code)
	}
	b.waitCodeStatus(0, "Running your code.")
	b.allConnected(0)
	b.noErrors()
}

// TestRunOriginalCodeEveryKind runs each demo kind's own JavaScript (Ctrl+Enter, unedited) on its instance: the
// clients come back at once under their names (the rooms diagram lists each by name with its new
// socket id), the setup's rooms are joined again, and a scoped send still names its recipients.
func TestRunOriginalCodeEveryKind(t *testing.T) {
	b, srv := codeBrowser(t)
	for _, slug := range []string{"chat", "scopes", "rooms", "namespaces", "tenants", "acks", "queue", "cluster", "console"} {
		t.Run(slug, func(t *testing.T) {
			b.t = t
			b.open(srv.URL+"/lessons/"+slug, 1)
			before := evalJS[[]string](t, b, `globalThis.socketlabDemos.at(-1).clients.map((c) => c.socket.id)`)
			b.runCode(0, "Running the demo's original code.")
			b.allConnected(0)
			after := evalJS[[]string](t, b, `globalThis.socketlabDemos.at(-1).clients.map((c) => c.socket.id)`)
			for i := range before {
				if before[i] == after[i] {
					t.Errorf("client %d kept socket id %s: it did not reconnect to the new server", i, after[i])
				}
			}
			if slug == "rooms" {
				b.waitFor("A and B back in room-1", `[...document.querySelectorAll("[data-room='room-1'] [data-member]")].map((e) => e.dataset.member).sort().join() === "A,B"`)
			}
			if slug == "scopes" {
				got := b.act(0, setv("[data-testid=composer-from]", "A\x000")+";"+setv("[data-testid=composer-scope]", "broadcast")+";"+click("[data-testid=composer-send]"))
				wantReceived(t, got, "B", "C")
			}
			b.noErrors()
		})
	}
}

// TestEveryExerciseInItsDemo grades every exercise of the embedded course through the page, in
// the editor of the demo it is wired to: the starter fails, the solution passes.
func TestEveryExerciseInItsDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	idx, err := LoadLessons("", false)
	if err != nil {
		t.Fatal(err)
	}
	_, base := newClassTestApp(t)
	b := newBrowser(t, browsertest.Allocator(t))
	n := 0
	for _, l := range idx.Lessons() {
		for i := range l.Exercises {
			n++
			t.Run(fmt.Sprintf("%s/%d", l.Slug, i), func(t *testing.T) {
				b.t = t
				b.run("open", chromedp.Navigate(base+"/lessons/"+l.Slug))
				b.waitFor("demos ready", `[...document.querySelectorAll("section.demo")].every((s) => s.dataset.ready !== undefined)`)
				ex := fmt.Sprintf(`document.querySelectorAll("section.exercise")[%d]`, i)
				grade := func(which string) string {
					b.js(0, fmt.Sprintf(`{ const x = %s; const cfg = JSON.parse(x.dataset.exercise);
						x.querySelector("[data-testid=exercise-start]").click();
						const ta = () => [...document.querySelectorAll("section.demo [data-testid=server-code-js] textarea")].find((t) => t.value === cfg.starter);
						await new Promise((r) => { const tick = () => (ta() ? r() : requestAnimationFrame(tick)); tick(); });
						const t = ta(); t.value = cfg[%q]; t.dispatchEvent(new Event("input", {bubbles: true}));
						x.querySelector("[data-testid=exercise-check]").click(); }`, ex, which))
					b.waitFor("checked", ex+`.querySelector("[data-testid=exercise-status]").textContent.match(/Passed|failed|did not start/) !== null`)
					return evalJS[string](t, b, ex+`.querySelector("[data-testid=exercise-status]").textContent`)
				}
				if got := grade("starter"); !strings.Contains(got, "failed") {
					t.Errorf("the starter: %q", got)
				}
				evalJS[bool](t, b, `(localStorage.clear(), true)`)
				b.run("reload", chromedp.Navigate(base+"/lessons/"+l.Slug))
				b.waitFor("demos ready", `[...document.querySelectorAll("section.demo")].every((s) => s.dataset.ready !== undefined)`)
				if got := grade("solution"); !strings.Contains(got, "Passed") {
					t.Errorf("the solution: %q\n%s", got, evalJS[string](t, b, ex+`.querySelector("[data-testid=exercise-results]").textContent`))
				}
				b.noErrors()
			})
		}
	}
	if n < 7 {
		t.Errorf("%d exercises in the course, want at least 7", n)
	}
}
