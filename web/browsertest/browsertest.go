// Package browsertest is the one harness of the browser tests (web's and templates'): it finds
// headless Chromium, launches it with the flags every browser test uses, and runs steps with a
// timeout. Without Chromium a developer's run skips the browser tests; under CI (env CI set) they
// fail instead.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// StepTimeout bounds one Do or Eval, so that a stuck page fails its test instead of hanging it.
const StepTimeout = 20 * time.Second

// Chromium is the browser to drive: SOCKETLAB_CHROMIUM, else chromium on PATH. Without one the
// test is skipped, or fails under CI.
func Chromium(t testing.TB) string {
	t.Helper()
	chrome := os.Getenv("SOCKETLAB_CHROMIUM")
	if chrome == "" {
		chrome, _ = exec.LookPath("chromium")
	}
	if chrome == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CI needs Chromium for the browser tests: set SOCKETLAB_CHROMIUM or put chromium on PATH")
		}
		t.Skip("no chromium (SOCKETLAB_CHROMIUM): browser tests skipped")
	}
	if testing.Short() && os.Getenv("CI") == "" {
		t.Skip("browser test skipped in -short mode")
	}
	return chrome
}

// Allocator starts nothing yet: the first context run on it launches Chromium, headless, with
// a fresh profile, and without anything that would reach the network on its own.
func Allocator(t testing.TB) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(Chromium(t)),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	return actx
}

// ErrorProbe is a script for BeforeScripts: it collects the page's script errors, unhandled
// rejections and Content-Security-Policy violations in window.__errors.
const ErrorProbe = `
window.__errors = [];
window.addEventListener("error", (e) => window.__errors.push(String(e.message)));
window.addEventListener("unhandledrejection", (e) => window.__errors.push(String(e.reason)));
document.addEventListener("securitypolicyviolation", (e) => window.__errors.push("CSP: " + e.violatedDirective + " " + e.blockedURI));
`

// BeforeScripts runs source in every page of the tab before the page's own scripts (and outside
// its CSP): a setup action for Browser, or a step for a new tab.
func BeforeScripts(source string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: source})
		return err
	})
}

// Browser launches Chromium for a test and returns its first tab, after running setup there
// (say, a script every page gets first). The browser ends with the test. The first run on a
// tab must not carry a timeout: cancelling it would end the tab.
func Browser(t testing.TB, setup ...chromedp.Action[chromedp.Void]) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(Allocator(t))
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx, setup...); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

// Tab opens another tab in the browser of ctx (with chromedp.WithNewBrowserContext: another
// device, with its own storage). Like the browser, it is created by a run without a timeout.
func Tab(t testing.TB, ctx context.Context, opts ...chromedp.ContextOption) context.Context {
	t.Helper()
	tab, cancel := chromedp.NewContext(ctx, opts...)
	t.Cleanup(cancel)
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	return tab
}

// Do runs steps in the tab ctx within StepTimeout; what names them in the failure.
func Do(t testing.TB, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, StepTimeout)
	defer cancel()
	if err := chromedp.Do(tctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// Eval evaluates a JavaScript expression in the tab ctx within StepTimeout.
func Eval[T any](t testing.TB, ctx context.Context, expr string, opts ...chromedp.EvaluateOption) T {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, StepTimeout)
	defer cancel()
	v, err := chromedp.Run(tctx, chromedp.Evaluate[T](expr, opts...))
	if err != nil {
		t.Fatalf("evaluate %.200s: %v", expr, err)
	}
	return v
}
