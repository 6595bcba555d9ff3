package web

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"socketlab/web/browsertest"

	"github.com/chromedp/chromedp"
)

// e2eWait polls a JavaScript condition until it holds (10 s at most). A poll cut short by a
// navigation (a link, a form, a live reload) starts again on the new page.
func e2eWait(t testing.TB, ctx context.Context, cond string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			t.Fatalf("waiting for %s: timed out\npage: %s", cond, e2ePageState(ctx))
		}
		tctx, cancel := context.WithTimeout(ctx, left)
		_, err := chromedp.Run(tctx, chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(left)))
		cancel()
		if err == nil {
			return
		}
		if !navigatedAway(err) {
			t.Fatalf("waiting for %s: %v\npage: %s", cond, err, e2ePageState(ctx))
		}
	}
}

// e2ePageState describes the page for a failure message: its address and the start of its text.
func e2ePageState(ctx context.Context) string {
	tctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	v, err := chromedp.Run(tctx, chromedp.Evaluate[string](`location.href + "\n" + document.body.innerText.slice(0, 600)`))
	if err != nil {
		return "(unavailable: " + err.Error() + ")"
	}
	return v
}

// navigatedAway reports whether err is Chromium saying the page's JavaScript context went away.
func navigatedAway(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "navigated") || strings.Contains(msg, "Execution context was destroyed") ||
		strings.Contains(msg, "Cannot find context")
}

func e2eScreenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100 is PNG; below, JPEG
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(t.TempDir(), name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("SOCKETLAB_SHOTS"); dir != "" {
		os.MkdirAll(dir, 0o755)
		os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
	}
	t.Logf("screenshot: %s", path)
}

// TestBrowserLessonFlow is a student's first visit: open a lesson, answer its quiz, go to the next
// lesson, reload, and find the progress and the answers kept.
func TestBrowserLessonFlow(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	a, srv := newTestApp(t)
	all := a.content.Load().idx.Lessons()
	if len(all) < 2 {
		t.Fatalf("the course has %d lessons; this flow needs two", len(all))
	}
	first, second := all[0], all[1]
	ctx := browsertest.Browser(t)

	browsertest.Do(t, ctx, "open the first lesson", chromedp.Navigate(srv.URL+"/lessons/"+first.Slug))
	e2eWait(t, ctx, `document.querySelector("[data-done-wrap]:not([hidden])") !== null`)
	// Every module, also those only imported by other modules (./sio.js), loads from its
	// content-hashed URL through the page's import map: cached forever, never revalidated.
	e2eWait(t, ctx, `performance.getEntriesByType("resource").some(e => /\/static\/js\/sio\.[0-9a-f]{8}\.js$/.test(e.name))`)
	if plain := browsertest.Eval[[]string](t, ctx, `performance.getEntriesByType("resource").map(e => new URL(e.name).pathname).filter(p => /^\/static\/js\/[a-z-]+\.js$/.test(p))`); len(plain) > 0 {
		t.Errorf("modules loaded from unhashed URLs: %v", plain)
	}
	// Answer every question of the first quiz correctly, then check.
	browsertest.Eval[bool](t, ctx, `(() => {
		const form = document.querySelector("form[data-quiz]");
		for (const input of form.querySelectorAll("input[data-correct=true]")) input.click();
		form.querySelector("button[type=submit]").click();
		return true;
	})()`)
	e2eWait(t, ctx, `document.querySelector("form[data-quiz] [data-quiz-result]").textContent.includes("Correct")`)
	if hidden := browsertest.Eval[int](t, ctx, `document.querySelectorAll("form[data-quiz] [data-explanation]:not([hidden])").length`); hidden == 0 {
		t.Errorf("no explanation shown after checking the quiz")
	}
	e2eScreenshot(t, ctx, "lesson-quiz-answered")
	if got := browsertest.Eval[string](t, ctx, `document.querySelector("[data-done-status]").textContent`); got != "To finish this lesson: pass the exercise." {
		t.Errorf("done status with the quiz right: %q, want the exercise still to do", got)
	}

	// Next lesson by its link, then reload it.
	browsertest.Do(t, ctx, "follow the next link", chromedp.Click(chromedp.CSS(`a[rel=next]`)))
	e2eWait(t, ctx, `location.pathname === "/lessons/`+second.Slug+`"`)
	browsertest.Do(t, ctx, "reload", chromedp.Reload())
	e2eWait(t, ctx, `document.readyState === "complete"`)
	if got := browsertest.Eval[string](t, ctx, `document.querySelector("[data-testid=lesson-title]").textContent`); got != second.Title {
		t.Errorf("after reload the title is %q, want %q", got, second.Title)
	}

	// Home: the first lesson is started (its quiz is right, its exercise still to pass: done
	// means both), the second started, and "resume" points at the second.
	browsertest.Do(t, ctx, "open home", chromedp.Navigate(srv.URL+"/"))
	e2eWait(t, ctx, `document.querySelector("[data-progress='`+first.Slug+`']").dataset.state !== "none"`)
	if got := browsertest.Eval[string](t, ctx, `document.querySelector("[data-progress='`+first.Slug+`']").dataset.state`); got != "visited" {
		t.Errorf("first lesson progress = %q, want visited (its exercise is not passed)", got)
	}
	if got := browsertest.Eval[string](t, ctx, `document.querySelector("[data-progress='`+second.Slug+`']").dataset.state`); got != "visited" {
		t.Errorf("second lesson progress = %q, want visited", got)
	}
	if got := browsertest.Eval[string](t, ctx, `new URL(document.querySelector("[data-resume]").href).pathname`); got != "/lessons/"+second.Slug {
		t.Errorf("resume link = %q, want /lessons/%s", got, second.Slug)
	}
	if text := browsertest.Eval[string](t, ctx, `document.querySelector("[data-progress='`+first.Slug+`']").textContent`); !strings.Contains(text, "Started") {
		t.Errorf("progress mark %q does not say Started in text", text)
	}
	e2eScreenshot(t, ctx, "home-progress")

	// Back on the first lesson, the quiz answers are restored.
	browsertest.Do(t, ctx, "reopen the first lesson", chromedp.Navigate(srv.URL+"/lessons/"+first.Slug))
	e2eWait(t, ctx, `document.querySelectorAll("form[data-quiz] input[data-correct=true]:checked").length > 0`)

	// Phone width: no horizontal scroll.
	browsertest.Do(t, ctx, "phone width", chromedp.EmulateViewport(360, 780))
	browsertest.Do(t, ctx, "reload at phone width", chromedp.Reload())
	e2eWait(t, ctx, `document.readyState === "complete"`)
	if overflow := browsertest.Eval[bool](t, ctx, `document.documentElement.scrollWidth > window.innerWidth + 1`); overflow {
		t.Errorf("horizontal scroll at 360 px")
	}
	e2eScreenshot(t, ctx, "lesson-phone")
}
