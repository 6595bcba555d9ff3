package web

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"socketlab/lessons"
	"socketlab/web/browsertest"
)

// TestLessonsBrowser opens every lesson of the embedded course in one headless Chromium, one
// after another, and checks what a student would notice first: every live demo on the page
// starts (data-ready, none data-failed) with its clients connected, and the page reports no
// script error and no CSP violation (pageProbe). The rooms lesson's "try it" (a private message through a socket's own
// room) is then done as the lesson tells the student to.
func TestLessonsBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	idx, err := LoadLessons("", false)
	if err != nil {
		t.Fatalf("the embedded course does not load:\n%v", err)
	}
	_, base := newClassTestApp(t) // the real embedded course, its own origin allowed
	b := newBrowser(t, browsertest.Allocator(t))
	for _, l := range idx.Lessons() {
		t.Run(l.Slug, func(t *testing.T) {
			b.t = t
			b.run("open /lessons/"+l.Slug, chromedp.Navigate(base+"/lessons/"+l.Slug))
			b.waitFor(fmt.Sprintf("%d demos started", len(l.Demos)), fmt.Sprintf(`(() => {
				const s = [...document.querySelectorAll("section.demo")];
				return s.length === %d && s.every(d => d.dataset.ready !== undefined || d.dataset.failed !== undefined);
			})()`, len(l.Demos)))
			failed := evalJS[[]string](t, b, `[...document.querySelectorAll("section.demo[data-failed]")].map(d => d.id + ": " + d.querySelector("[data-testid=demo-status]").textContent)`)
			for _, f := range failed {
				t.Errorf("%s: demo did not start: %s", l.File, f)
			}
			// Every client connects (ready means the demo's instance and columns exist; the
			// sockets may still be on their way), except one a demo's middleware refuses on
			// purpose (its column shows the connect_error, as in the tenants lesson).
			const offline = `[...document.querySelectorAll("section.demo [data-testid=client]")]
				.filter(c => c.querySelector("[data-testid=client-status]").dataset.state !== "on"
					&& !c.querySelector("[data-testid=client-note]").textContent.startsWith("connect_error"))
				.map(c => c.closest("section.demo").id + " " + c.dataset.client + ": " + c.querySelector("[data-testid=client-status]").textContent + " " + c.querySelector("[data-testid=client-note]").textContent)`
			b.waitFor(l.File+": every client connected", offline+".length === 0")
			b.noErrors()
		})
	}

	// Lesson 5's try-it: Ada sends with io.to(room).emit to Grace's own room (only Grace gets
	// it), then with socket.to(room).emit to her own room (nobody does).
	t.Run("rooms private message", func(t *testing.T) {
		b.t = t
		var l *lessons.Lesson
		for _, x := range idx.Lessons() {
			if x.Slug == "rooms" {
				l = x
			}
		}
		if l == nil {
			t.Fatal("no lesson rooms")
		}
		demo := -1
		for i, d := range l.Demos {
			if strings.Contains(string(d.Config), "own room") {
				demo = i
			}
		}
		if demo < 0 {
			t.Fatal("the rooms lesson has no private-message demo (title mentioning \"own room\")")
		}
		b.open(base+"/lessons/rooms", len(l.Demos))
		pickRoom := func(owner string) string {
			return fmt.Sprintf(`{ const r = $("[data-testid=composer-room]"); let n = 0;
				for (const o of r.options) { o.selected = o.textContent.startsWith(%q); if (o.selected) n++; }
				if (n !== 1) throw new Error("own-room options for %s: " + n);
				r.dispatchEvent(new Event("change", {bubbles: true})); }`, owner+"'s own room", owner)
		}
		from := setv("[data-testid=composer-from]", "Ada\x000")
		got := b.act(demo, from+";"+setv("[data-testid=composer-scope]", "room")+";"+pickRoom("Grace")+";"+click("[data-testid=composer-send]"))
		wantReceived(t, got, "Grace")
		got = b.act(demo, from+";"+setv("[data-testid=composer-scope]", "socket-room")+";"+pickRoom("Ada")+";"+click("[data-testid=composer-send]"))
		wantReceived(t, got)
		b.noErrors()
	})
}
