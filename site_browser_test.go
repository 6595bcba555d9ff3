package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// e2eBrowser starts headless Debian Chromium for a test. Without Chromium a developer's run skips;
// CI (env CI set) must have it.
func e2eBrowser(t *testing.T) context.Context {
	t.Helper()
	chrome := os.Getenv("SOCKETLAB_CHROMIUM")
	if chrome == "" {
		chrome, _ = exec.LookPath("chromium")
	}
	if chrome == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CI needs Debian's chromium for the browser tests")
		}
		t.Skip("no chromium: browser tests skipped")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelA() })
	// The first Run starts the browser and must not carry a timeout: cancelling it would end the browser.
	if err := chromedp.Do(ctx, chromedp.Steps()); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

func e2eDo(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(tctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func e2eEval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// e2eWait polls a JavaScript condition until it holds.
func e2eWait(t *testing.T, ctx context.Context, cond string) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := chromedp.Run(tctx, chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("waiting for %s: %v", cond, err)
	}
}

func e2eScreenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(90))
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
	all := a.idx.Lessons()
	if len(all) < 2 {
		t.Fatalf("the course has %d lessons; this flow needs two", len(all))
	}
	first, second := all[0], all[1]
	ctx := e2eBrowser(t)

	e2eDo(t, ctx, "open the first lesson", chromedp.Navigate(srv.URL+"/lessons/"+first.Slug))
	e2eWait(t, ctx, `document.querySelector("[data-done-wrap]:not([hidden])") !== null`)
	// Answer every question of the first quiz correctly, then check.
	e2eEval[bool](t, ctx, `(() => {
		const form = document.querySelector("form[data-quiz]");
		for (const input of form.querySelectorAll("input[data-correct=true]")) input.click();
		form.querySelector("button[type=submit]").click();
		return true;
	})()`)
	e2eWait(t, ctx, `document.querySelector("form[data-quiz] [data-quiz-result]").textContent.includes("Correct")`)
	if hidden := e2eEval[int](t, ctx, `document.querySelectorAll("form[data-quiz] [data-explanation]:not([hidden])").length`); hidden == 0 {
		t.Errorf("no explanation shown after checking the quiz")
	}
	e2eScreenshot(t, ctx, "lesson-quiz-answered")

	// Next lesson by its link, then reload it.
	e2eDo(t, ctx, "follow the next link", chromedp.Click(chromedp.CSS(`a[rel=next]`)))
	e2eWait(t, ctx, `location.pathname === "/lessons/`+second.Slug+`"`)
	e2eDo(t, ctx, "reload", chromedp.Reload())
	e2eWait(t, ctx, `document.readyState === "complete"`)
	if got := e2eEval[string](t, ctx, `document.querySelector("[data-testid=lesson-title]").textContent`); got != second.Title {
		t.Errorf("after reload the title is %q, want %q", got, second.Title)
	}

	// Home: the first lesson is done, the second started, and "resume" points at the second.
	e2eDo(t, ctx, "open home", chromedp.Navigate(srv.URL+"/"))
	e2eWait(t, ctx, `document.querySelector("[data-progress='`+first.Slug+`']").dataset.state !== "none"`)
	if got := e2eEval[string](t, ctx, `document.querySelector("[data-progress='`+first.Slug+`']").dataset.state`); got != "done" {
		t.Errorf("first lesson progress = %q, want done", got)
	}
	if got := e2eEval[string](t, ctx, `document.querySelector("[data-progress='`+second.Slug+`']").dataset.state`); got != "visited" {
		t.Errorf("second lesson progress = %q, want visited", got)
	}
	if got := e2eEval[string](t, ctx, `new URL(document.querySelector("[data-resume]").href).pathname`); got != "/lessons/"+second.Slug {
		t.Errorf("resume link = %q, want /lessons/%s", got, second.Slug)
	}
	if text := e2eEval[string](t, ctx, `document.querySelector("[data-progress='`+first.Slug+`']").textContent`); !strings.Contains(text, "Done") {
		t.Errorf("progress mark %q does not say Done in text", text)
	}
	e2eScreenshot(t, ctx, "home-progress")

	// Back on the first lesson, the quiz answers are restored.
	e2eDo(t, ctx, "reopen the first lesson", chromedp.Navigate(srv.URL+"/lessons/"+first.Slug))
	e2eWait(t, ctx, `document.querySelectorAll("form[data-quiz] input[data-correct=true]:checked").length > 0`)

	// Phone width: no horizontal scroll.
	e2eDo(t, ctx, "phone width", chromedp.EmulateViewport(360, 780))
	e2eDo(t, ctx, "reload at phone width", chromedp.Reload())
	e2eWait(t, ctx, `document.readyState === "complete"`)
	if overflow := e2eEval[bool](t, ctx, `document.documentElement.scrollWidth > window.innerWidth + 1`); overflow {
		t.Errorf("horizontal scroll at 360 px")
	}
	e2eScreenshot(t, ctx, "lesson-phone")
}
