package web

import (
	"fmt"
	"regexp"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"

	"socketlab/web/browsertest"
)

// TestOutcomePredictionsBrowser opens lessons 8 and 9 in Chromium and answers each one's
// predict-the-outcome demo right, then wrong, at 1280×800 and 360×740, light and dark: the
// scenario plays on the real hub, the page grades by what it observed, and the grade names what
// happened. A lesson whose choices do not match what a correct hub does fails here.
// Then the page's own honesty: when no choice or several match, it grades nothing.
func TestOutcomePredictionsBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	tests := []struct {
		slug, question string
		online         []string
		right, wrong   int            // the choice that happens, a plausible wrong one
		correct        *regexp.Regexp // the grade of the right answer
		graded         *regexp.Regexp // the grade of the wrong one
		minMS          int            // with an ack: the callback ran this late at the earliest
	}{
		{slug: "acks", question: "Grace never answers. Ada asks her", online: []string{"Ada", "Grace"}, right: 2, wrong: 1,
			correct: regexp.MustCompile(`^✔ Correct: Ada's callback got the error "operation has timed out" after (\d+) ms\.$`),
			graded:  regexp.MustCompile(`^✘ Not quite: Ada's callback got the error "operation has timed out" after (\d+) ms\.$`),
			minMS:   1500},
		{slug: "queues", question: "Ravi disconnects, the dispatcher delivers two jobs", online: []string{"Dispatcher", "Ravi"}, right: 2, wrong: 3,
			correct: regexp.MustCompile(`^✔ Correct: Ravi received 2 "delivery" messages in all; Ravi's queue on the server is empty\.$`),
			graded:  regexp.MustCompile(`^✘ Not quite: Ravi received 2 "delivery" messages in all; Ravi's queue on the server is empty\.$`)},
	}
	_, base := newClassTestApp(t)
	b := newBrowser(t, browsertest.Allocator(t))
	for _, tt := range tests {
		t.Run(tt.slug, func(t *testing.T) {
			b.t = t
			b.run("viewport", chromedp.EmulateViewport(1280, 800))
			b.run("open", chromedp.Navigate(base+"/lessons/"+tt.slug))
			find := fmt.Sprintf(`[...document.querySelectorAll("section.demo")].find((s) => (s.querySelector("[data-testid=outcome]")?.textContent ?? "").includes(%q))`, tt.question)
			b.waitFor("the outcome demo", find+" !== undefined")
			ready := fmt.Sprintf(`(() => { const d = %s; return d.dataset.ready !== undefined && %s.every((n) => d.querySelector('[data-testid=client][data-client="' + n + '"] [data-testid=client-status]')?.textContent.includes("● connected")); })()`, find, jsList(tt.online))
			b.waitFor("its clients connected", ready)
			result := find + `.querySelector("[data-testid=outcome-result]")`
			answer := func(choice int) string {
				b.t.Helper()
				evalJS[bool](t, b, fmt.Sprintf(`(() => { const d = %s;
					d.querySelector("[data-testid=outcome-choice-%d]").click();
					d.querySelector("[data-testid=outcome-run]").click(); return true; })()`, find, choice))
				b.waitFor("graded", result+`.dataset.state === "correct" || `+result+`.dataset.state === "wrong" || `+result+`.dataset.state === "misbehaved"`)
				// once graded, every input is locked until "Try again"
				if locked := evalJS[bool](t, b, find+`.querySelectorAll("[data-testid=outcome] input:not(:disabled)").length === 0`); !locked {
					t.Errorf("the choices are not locked after the run")
				}
				return evalJS[string](t, b, result+`.textContent`)
			}
			late := func(re *regexp.Regexp, got string) {
				t.Helper()
				if tt.minMS == 0 {
					return
				}
				if ms, _ := strconv.Atoi(re.FindStringSubmatch(got)[1]); ms < tt.minMS {
					t.Errorf("the callback ran after %d ms, before the %d ms timeout", ms, tt.minMS)
				}
			}
			for _, vp := range []viewport{{"1280x800", 1280, 800}, {"360x740", 360, 740}} {
				for _, theme := range []string{"light", "dark"} {
					b.run("viewport", chromedp.EmulateViewport(vp.w, vp.h))
					b.theme(theme)
					if vis := evalJS[bool](t, b, fmt.Sprintf(`(() => { const f = %s.querySelector("[data-testid=outcome]"); f.scrollIntoView(); const r = f.querySelector("[data-testid=outcome-run]").getBoundingClientRect(); return r.width > 0 && r.height > 0 && r.right <= innerWidth; })()`, find)); !vis {
						t.Errorf("%s %s: the Run button is not visible", vp.label, theme)
					}
					if got := answer(tt.right); !tt.correct.MatchString(got) {
						t.Errorf("%s %s: the right answer: got %q, want %v", vp.label, theme, got, tt.correct)
					} else {
						late(tt.correct, got)
					}
					evalJS[bool](t, b, find+`.querySelector("[data-testid=outcome-again]").click() ?? true`)
					if got := answer(tt.wrong); !tt.graded.MatchString(got) {
						t.Errorf("%s %s: the wrong answer: got %q, want %v", vp.label, theme, got, tt.graded)
					} else {
						late(tt.graded, got)
					}
					// The page marks what happened and the student's answer in words, not by colour alone.
					marks := evalJS[[]string](t, b, find+`.querySelectorAll(".demo-outcome-mark").values().map((m) => m.closest("label").querySelector("input").dataset.testid + " " + m.textContent).toArray()`)
					if want := []string{fmt.Sprintf("outcome-choice-%d ← what happened", tt.right), fmt.Sprintf("outcome-choice-%d ← your answer", tt.wrong)}; fmt.Sprint(sorted(marks)) != fmt.Sprint(sorted(want)) {
						t.Errorf("%s %s: marks %q, want %q", vp.label, theme, marks, want)
					}
					evalJS[bool](t, b, find+`.setAttribute("data-shot", "") ?? true`)
					b.shoot("[data-shot]", fmt.Sprintf("outcome-%s-%s", tt.slug, theme), vp)
					evalJS[bool](t, b, find+`.removeAttribute("data-shot") ?? true`)
					evalJS[bool](t, b, find+`.querySelector("[data-testid=outcome-again]").click() ?? true`)
				}
			}
			b.noErrors()
		})
	}
	// When no choice, or more than one, matches what the page observed, it says the demo
	// misbehaved and grades nothing: the lesson's expectations are edited in the page so that the
	// real, correct run matches none, then two.
	t.Run("misbehaved", func(t *testing.T) {
		b.t = t
		b.run("viewport", chromedp.EmulateViewport(1280, 800))
		b.run("open", chromedp.Navigate(base+"/lessons/queues"))
		const w = `window.socketlabDemos.find((w) => w.cfg?.outcome)`
		b.waitFor("the outcome demo ready", w+` !== undefined && `+w+`.section.dataset.ready !== undefined && `+w+`.clients.every((c) => c.connected)`)
		run := func(edit string) string {
			t.Helper()
			evalJS[bool](t, b, fmt.Sprintf(`(() => { const w = %s; const ch = w.cfg.outcome.choices; %s;
				const d = w.section; d.querySelector("[data-testid=outcome-again]").click();
				d.querySelector("[data-testid=outcome-choice-0]").click(); d.querySelector("[data-testid=outcome-run]").click(); return true; })()`, w, edit))
			b.waitFor("graded", w+`.section.querySelector("[data-testid=outcome-result]").dataset.state !== undefined && !`+w+`.section.querySelector("[data-testid=outcome-again]").hidden`)
			return evalJS[string](t, b, `[`+w+`.section.querySelector("[data-testid=outcome-result]")].map((r) => r.dataset.state + " " + r.textContent)[0]`)
		}
		none := run(`ch[2].expect.times = 3`)
		if want := `misbehaved ⚠ The demo misbehaved: no choice matches what happened (Ravi received 2 "delivery" messages in all; Ravi's queue on the server is empty). Your answer is not graded.`; none != want {
			t.Errorf("no choice matches: got %q, want %q", none, want)
		}
		two := run(`ch[2].expect.times = 2; ch[0].expect = {client: "Ravi", queued: 0}`)
		if want := `misbehaved ⚠ The demo misbehaved: 2 choices match what happened (Ravi's queue on the server is empty; Ravi received 2 "delivery" messages in all). Your answer is not graded.`; two != want {
			t.Errorf("two choices match: got %q, want %q", two, want)
		}
		b.noErrors()
	})
}
