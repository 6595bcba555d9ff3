package web

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"socketlab/web/browsertest"
)

// TestLessonPredictionsBrowser opens each course lesson that has a predict-then-run demo, in
// Chromium at 1280×800, answers its prediction right and then wrong, and checks the grade the
// student reads: the real hub decides who received the emit, so a wrong answer key in a lesson
// fails here.
func TestLessonPredictionsBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	tests := []struct {
		slug     string
		question string   // a part of the predict question, which finds the demo on the page
		online   []string // the clients that must be connected before predicting
		right    []string // the clients that receive the emit, in column order
		wrong    []string // a plausible wrong answer
		graded   string   // the grade for the wrong answer
	}{
		{slug: "welcome", question: `on Ada's socket. Whose column`, online: []string{"Ada", "Grace", "Linus"},
			right: []string{"Ada"}, wrong: []string{"Ada", "Grace", "Linus"},
			graded: "✘ Not quite. Received: Ada. Wrongly included: Grace, Linus."},
		{slug: "chat", question: `relays it with io.emit`, online: []string{"Ada", "Grace", "Linus"},
			right: []string{"Ada", "Grace", "Linus"}, wrong: []string{"Grace", "Linus"},
			graded: "✘ Not quite. Received: Ada, Grace, Linus. Missed: Ada."},
		{slug: "proof-of-life", question: `answers with socket.emit on her socket`, online: []string{"Ada", "Grace", "Linus"},
			right: []string{"Grace"}, wrong: []string{"Ada", "Linus"},
			graded: "✘ Not quite. Received: Grace. Missed: Grace. Wrongly included: Ada, Linus."},
		{slug: "emit-and-broadcast", question: `calls socket.broadcast.emit`, online: []string{"A", "B", "C"},
			right: []string{"A", "C"}, wrong: []string{"A", "B", "C"},
			graded: "✘ Not quite. Received: A, C. Wrongly included: B."},
		{slug: "emit-and-broadcast", question: `Does B receive it too?`, online: []string{"A", "B", "C"},
			right: []string{"A", "B", "C"}, wrong: []string{"A", "C"},
			graded: "✘ Not quite. Received: A, B, C. Missed: B."},
		{slug: "rooms", question: `calls io.to("lobby").emit`, online: []string{"Ada", "Grace", "Linus"},
			right: []string{"Ada", "Grace"}, wrong: []string{"Grace"},
			graded: "✘ Not quite. Received: Ada, Grace. Missed: Ada."},
		{slug: "namespaces", question: `Ada is in room-1 of /`, online: []string{"Ada", "Grace", "Linus"},
			right: []string{"Grace"}, wrong: []string{"Ada", "Grace"},
			graded: "✘ Not quite. Received: Grace. Wrongly included: Ada."},
		// Mallory's connection is refused by the middleware: she is never online, and never receives.
		{slug: "tenants", question: `emits the news to all its sockets`, online: []string{"Ada", "Bob", "Gus"},
			right: []string{"Ada", "Bob"}, wrong: []string{"Bob", "Mallory"},
			graded: "✘ Not quite. Received: Ada, Bob. Missed: Ada. Wrongly included: Mallory."},
		{slug: "bring-your-own-client", question: `Your script (Ada) sends`, online: []string{"Ada", "Grace"},
			right: []string{"Ada", "Grace"}, wrong: []string{"Grace"},
			graded: "✘ Not quite. Received: Ada, Grace. Missed: Ada."},
	}
	_, base := newClassTestApp(t)
	b := newBrowser(t, browsertest.Allocator(t))
	b.run("viewport 1280×800", chromedp.EmulateViewport(1280, 800))
	for _, tt := range tests {
		t.Run(tt.slug+"/"+tt.question, func(t *testing.T) {
			b.t = t
			b.run("open", chromedp.Navigate(base+"/lessons/"+tt.slug))
			// d: the demo whose predict question holds tt.question.
			find := fmt.Sprintf(`[...document.querySelectorAll("section.demo")].find((s) => (s.querySelector(".demo-predict")?.textContent ?? "").includes(%q))`, tt.question)
			b.waitFor("the predict demo", find+" !== undefined")
			ready := fmt.Sprintf(`(() => { const d = %s; return d.dataset.ready !== undefined && %s.every((n) => d.querySelector('[data-testid=client][data-client="' + n + '"] [data-testid=client-status]')?.textContent.includes("● connected")); })()`, find, jsList(tt.online))
			b.waitFor("its clients connected", ready)
			if vis := evalJS[bool](t, b, fmt.Sprintf(`(() => { const f = %s.querySelector(".demo-predict"); f.scrollIntoView(); const r = f.querySelector("[data-testid=predict-run]").getBoundingClientRect(); return r.width > 0 && r.height > 0 && r.right <= innerWidth; })()`, find)); !vis {
				t.Errorf("the Run button of the prediction is not visible at 1280×800")
			}
			answer := func(names []string) string {
				b.t.Helper()
				evalJS[bool](t, b, fmt.Sprintf(`(() => { const d = %s;
					for (const n of %s) d.querySelector('[data-testid="predict-' + n + '"]').click();
					d.querySelector("[data-testid=predict-run]").click(); return true; })()`, find, jsList(names)))
				b.waitFor("graded", find+`.querySelector("[data-testid=predict-result]").dataset.state !== undefined`)
				return evalJS[string](t, b, find+`.querySelector("[data-testid=predict-result]").textContent`)
			}
			want := "✔ Correct: " + strings.Join(tt.right, ", ") + " received it."
			if got := answer(tt.right); got != want {
				t.Errorf("the right answer %v: got %q, want %q", tt.right, got, want)
			}
			evalJS[bool](t, b, find+`.querySelector("[data-testid=predict-again]").click() ?? true`)
			if got := answer(tt.wrong); got != tt.graded {
				t.Errorf("the wrong answer %v: got %q, want %q", tt.wrong, got, tt.graded)
			}
			b.noErrors()
		})
	}
}

// jsList is a Go list of names as a JavaScript array literal.
func jsList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
