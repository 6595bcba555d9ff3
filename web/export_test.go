package web

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"socketlab/web/browsertest"
)

// TestExportFolder: export writes a page per lesson with relative links, and refuses a folder
// that is not empty (it never overwrites an author's files).
func TestExportFolder(t *testing.T) {
	out := t.TempDir()
	n, err := Export(ExportOptions{Out: out})
	if err != nil {
		t.Fatal(err)
	}
	if n < 10 {
		t.Errorf("exported %d lessons, want the course's", n)
	}
	page, err := os.ReadFile(filepath.Join(out, "lessons", "rooms.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{`href="/`, `src="/`, `type="module" src`, "importmap", "class-start"} {
		if strings.Contains(string(page), bad) {
			t.Errorf("rooms.html has %q: it would not work from a file", bad)
		}
	}
	if _, err := Export(ExportOptions{Out: out}); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("export into a folder with files: got %v, want a refusal", err)
	}
}

// TestBrowserExport opens the exported course from disk (file://) in Chromium: the home page
// lists the lessons, a lesson's link leads to the next page, its demo says what it does and how
// to make it live, a quiz checks an answer, and progress shows on the home page.
func TestBrowserExport(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	out := t.TempDir()
	if _, err := Export(ExportOptions{Out: out}); err != nil {
		t.Fatal(err)
	}
	ctx := browsertest.Browser(t)
	home := "file://" + filepath.ToSlash(filepath.Join(out, "index.html"))
	browsertest.Do(t, ctx, "open the exported home page", chromedp.Navigate(home))
	if n := browsertest.Eval[int](t, ctx, `document.querySelectorAll("[data-testid=lesson-item]").length`); n < 10 {
		t.Fatalf("home lists %d lessons", n)
	}
	// The stylesheet loaded from the relative URL: the page is styled (the lesson list has no bullets).
	if got := browsertest.Eval[string](t, ctx, `getComputedStyle(document.querySelector(".lesson-list")).listStyleType`); got != "none" {
		t.Errorf("lesson list style %q: site.css did not load from the file", got)
	}
	browsertest.Do(t, ctx, "open the rooms lesson", chromedp.Click(chromedp.CSS(`[data-slug=rooms] a.lesson-link`)))
	e2eWait(t, ctx, `location.pathname.endsWith("/lessons/rooms.html") && document.readyState === "complete"`)
	live := browsertest.Eval[string](t, ctx, `document.querySelector("[data-testid=static-widget]").textContent`)
	for _, want := range []string{"Live demo: Rooms", `io.to("lobby").emit("news"`, "socketlab serve"} {
		if !strings.Contains(live, want) {
			t.Errorf("the demo says %q, want %q in it", live, want)
		}
	}
	// A quiz: the correct choice of every question, then Check.
	browsertest.Eval[bool](t, ctx, `(() => {
		const form = document.querySelector("form[data-quiz]");
		for (const q of form.querySelectorAll("[data-question]")) q.querySelector("input[data-correct=true]").click();
		form.querySelector("[data-testid=quiz-check]").click();
		return true;
	})()`)
	e2eWait(t, ctx, `document.querySelector("[data-testid=quiz-result]").textContent.trim() !== ""`)
	if got := browsertest.Eval[string](t, ctx, `document.querySelector("[data-testid=quiz-result]").textContent`); !strings.Contains(strings.ToLower(got), "correct") {
		t.Errorf("quiz result %q, want it to say the answers are correct", got)
	}
	browsertest.Do(t, ctx, "follow the next-lesson link", chromedp.Click(chromedp.CSS(`[data-testid=next]`)))
	e2eWait(t, ctx, `location.pathname.endsWith(".html") && !location.pathname.endsWith("/rooms.html") && document.readyState === "complete"`)
	browsertest.Do(t, ctx, "back home", chromedp.Navigate(home))
	e2eWait(t, ctx, `document.querySelector("[data-progress=rooms]")?.dataset.state !== "none"`)
	e2eScreenshot(t, ctx, "export-home")
}
