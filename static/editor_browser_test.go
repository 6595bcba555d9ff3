package static

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"socketlab/templates"
	"socketlab/web/browsertest"
)

// The editor's browser test mounts static/js/code-editor.js on a page served through the real
// Assets handler (hashed URLs, import map) under the site's CSP, inside the same demo-panel markup
// and stylesheets a lesson page has, and drives it with real key events. The policy is the site's
// own (templates.CSP, which web's securityHeaders sends) and the browser is the one harness's
// (web/browsertest): neither is copied here.

// sampleServer is the code the editor starts with: every token kind, a long line, and enough
// lines to scroll.
const sampleServer = `// Chat: everyone gets every message.
const MAX = 1_000, re = /^[a-z]+$/i;
io.on("connection", (socket) => {
  socket.data.name = ` + "`guest-${socket.id.slice(0, 4)}`" + `;
  socket.on("chat", (msg, ack) => {
    if (typeof msg !== "string" || msg.length > MAX) return ack?.({ ok: false, error: "too long" });
    io.emit("chat", { from: socket.data.name, text: msg, valid: re.test(msg), at: Date.now() / 1000 });
    ack?.({ ok: true });
  });
  /* rooms */
  socket.on("join", (room) => socket.join(room));
  socket.on("disconnect", (reason) => console.log(socket.id, "left:", reason, null, true));
});
`

// highlightClasses lists the token classes of css/highlight.css: the ones that colour text
// (layout classes, line highlight and whitespace are left out).
func highlightClasses(t *testing.T) []string {
	t.Helper()
	css, err := files.ReadFile("css/highlight.css")
	if err != nil {
		t.Fatal(err)
	}
	skip := map[string]bool{"lnlinks": true, "lntd": true, "lntable": true, "line": true, "hl": true, "w": true}
	var out []string
	for _, m := range regexp.MustCompile(`\.chroma \.([a-z0-9]+) \{`).FindAllStringSubmatch(string(css), -1) {
		if !skip[m[1]] && !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	if len(out) < 40 {
		t.Fatalf("found only %d token classes in highlight.css: %q", len(out), out)
	}
	return out
}

func editorServer(t *testing.T) *httptest.Server {
	t.Helper()
	a, err := New()
	if err != nil {
		t.Fatal(err)
	}
	importMap, err := json.Marshal(map[string]any{"imports": a.ImportMap()})
	if err != nil {
		t.Fatal(err)
	}
	var chroma strings.Builder
	for _, c := range highlightClasses(t) {
		fmt.Fprintf(&chroma, `<span class="%s" data-hl>%s</span> `, c, c)
	}
	links := ""
	for _, css := range []string{"css/site.css", "css/highlight.css", "css/demos.css", "css/editor.css"} {
		links += `<link rel="stylesheet" href="` + a.URL(css) + `">`
	}
	mux := http.NewServeMux()
	mux.Handle(Prefix, a.Handler())
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		var b [18]byte
		rand.Read(b[:])
		nonce := base64.RawURLEncoding.EncodeToString(b[:])
		w.Header().Set("Content-Security-Policy", templates.CSP(nonce))
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="color-scheme" content="light dark">
<title>Editor</title>
<script type="importmap" nonce="%[1]s">%[2]s</script>
%[3]s
<script type="module" nonce="%[1]s">
import { createEditor } from "/static/js/code-editor.js";
window.__runs = [];
window.__changes = [];
window.__ed = createEditor(document.getElementById("ed"), {
  labelledBy: "ed-title",
  onRun: (code) => window.__runs.push(code),
  onChange: (code) => window.__changes.push(code),
});
</script></head>
<body><main id="main-content">
<h1>Write the server</h1>
<div class="demo demo-live"><div class="demo-grid"><div class="demo-main">
<section class="demo-panel"><h3 class="demo-h" id="ed-title">The server's handlers</h3>
<div id="ed"><pre><code>%[4]s</code></pre></div>
<button type="button" class="demo-btn" id="run">Run</button>
</section></div><div class="demo-side"><section class="demo-panel"><h3 class="demo-h">Clients</h3><p>Ada, Grace</p></section></div></div></div>
<div class="code"><pre class="chroma"><code>%[5]s</code></pre></div>
</main></body></html>`, nonce, importMap, links, html.EscapeString(sampleServer), chroma.String())
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// edEval evaluates expr in the tab, awaiting a promise it returns (browsertest.Eval).
func edEval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	return browsertest.Eval[T](t, ctx, expr, chromedp.EvalAwaitPromise)
}

// edKeys presses each key of keys as a keyboard does from a page's point of view: one keydown
// that carries the character (so cancelling the keydown cancels the typing), then a keyup.
// chromedp.KeyEvent sends the character as a separate "char" event, which Chromium inserts even
// after the page cancelled the keydown, and no real keyboard does that.
func edKeys(keys string, mods ...chromedp.Modifier) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		for _, r := range keys {
			var down, up input.DispatchKeyEventParams
			for _, k := range kb.Encode(r) {
				switch k.Type {
				case kb.KeyDown:
					down = *k
				case kb.KeyUp:
					up = *k
				case kb.KeyChar:
					down.Text, down.UnmodifiedText = k.Text, k.UnmodifiedText
				}
			}
			for _, m := range mods {
				down.Modifiers |= int64(m)
				up.Modifiers |= int64(m)
			}
			if down.Modifiers&^int64(chromedp.ModifierShift) != 0 {
				down.Text, down.UnmodifiedText = "", "" // a shortcut types nothing
			}
			for _, ev := range []input.DispatchKeyEventParams{down, up} {
				if _, err := cdp.Call(ctx, tg, input.DispatchKeyEvent, ev); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func setMedia(scheme string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		})
		return err
	})
}

// shot saves a screenshot of the page in the test's temp dir (and SOCKETLAB_SHOTS if set).
func shot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	if d := os.Getenv("SOCKETLAB_SHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err == nil {
			os.WriteFile(filepath.Join(d, name+".png"), png, 0o644)
		}
	}
	t.Logf("screenshot: %s", path)
}

// contrastJS measures, for every element matching sel, its text colour against the first
// opaque background behind it (its own, or an ancestor's, or what the caller names), and
// returns the ones below 4.5:1 as "class: ratio (colour on background)". It also returns how
// many elements it measured, so a selector that matches nothing cannot pass.
const contrastJS = `((sel, bgOf) => {
  const rgb = (s) => (s.match(/[\d.]+/g) || []).map(Number);
  const lin = (v) => (v /= 255) <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  const lum = ([r, g, b]) => 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  const opaqueBg = (el) => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] === 1)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const bad = [];
  const els = [...document.querySelectorAll(sel)];
  for (const el of els) {
    const fg = rgb(getComputedStyle(el).color);
    const bg = bgOf ? rgb(getComputedStyle(document.querySelector(bgOf)).backgroundColor).slice(0, 3) : opaqueBg(el);
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    if (ratio < 4.5) bad.push(el.className + ": " + ratio.toFixed(2) + " (" + getComputedStyle(el).color + " on rgb(" + bg.join(", ") + "))");
  }
  return { n: els.length, bad };
})`

type contrastResult struct {
	N   int      `json:"n"`
	Bad []string `json:"bad"`
}

func TestEditorBrowser(t *testing.T) {
	srv := editorServer(t)
	shots := t.TempDir()

	// The probe runs before every page's own scripts.
	ctx := browsertest.Browser(t, browsertest.BeforeScripts(browsertest.ErrorProbe))

	load := func(t *testing.T) {
		t.Helper()
		mounted := chromedp.Poll[bool](`window.__ed !== undefined`, chromedp.WithPollingTimeout(10*time.Second))
		browsertest.Do(t, ctx, "open the page", chromedp.Navigate(srv.URL+"/"),
			func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
				_, err := mounted(ctx, tg)
				return chromedp.Void{}, err
			})
	}
	noErrors := func(t *testing.T) {
		t.Helper()
		if errs := edEval[[]string](t, ctx, `window.__errors`); len(errs) > 0 {
			t.Errorf("page errors: %q", errs)
		}
	}
	// setCode replaces the code and puts the caret at offset (-1: the end).
	setCode := func(t *testing.T, code string, offset int) {
		t.Helper()
		js, _ := json.Marshal(code)
		edEval[bool](t, ctx, fmt.Sprintf(`(() => { __ed.value = %s; const ta = document.querySelector(".ce-input"); ta.focus();
			const o = %d < 0 ? ta.value.length : %d; ta.setSelectionRange(o, o); return true; })()`, js, offset, offset))
	}
	value := func(t *testing.T) string { t.Helper(); return edEval[string](t, ctx, `__ed.value`) }

	browsertest.Do(t, ctx, "desktop viewport", chromedp.EmulateViewport(1280, 800), setMedia("light"))
	load(t)

	t.Run("mounted from the page's code, hashed URL, CSP clean", func(t *testing.T) {
		if got := value(t); got != sampleServer {
			t.Errorf("initial value from the host's <pre>: got %q, want %q", got, sampleServer)
		}
		if got := edEval[string](t, ctx, `document.getElementById(document.querySelector(".ce-input").getAttribute("aria-labelledby")).textContent`); got != "The server's handlers" {
			t.Errorf("the textarea is named %q", got)
		}
		if !edEval[bool](t, ctx, `performance.getEntriesByType("resource").some(e => /\/static\/js\/code-editor\.[0-9a-f]{8}\.js$/.test(e.name))`) {
			t.Errorf("code-editor.js was not loaded from its hashed URL through the import map")
		}
		// The mirror shows exactly the text, one gutter number per line.
		got := edEval[[]string](t, ctx, `[document.querySelector(".ce-mirror").textContent, String(document.querySelectorAll(".ce-ln").length)]`)
		if strings.TrimSuffix(got[0], " ") != sampleServer {
			t.Errorf("mirror text %q differs from the code", got[0])
		}
		if want := fmt.Sprint(strings.Count(sampleServer, "\n") + 1); got[1] != want {
			t.Errorf("gutter has %s numbers, want %s", got[1], want)
		}
		// Each token kind is coloured.
		kinds := edEval[[]string](t, ctx, `[...new Set([...document.querySelectorAll(".ce-mirror span")].map(s => s.className))].sort()`)
		want := []string{"tok-com", "tok-const", "tok-id", "tok-kw", "tok-num", "tok-prop", "tok-punct", "tok-re", "tok-str"}
		if !slices.Equal(kinds, want) {
			t.Errorf("token kinds in the mirror: got %q, want %q", kinds, want)
		}
		// The textarea lies exactly over the mirror: same box, same font metrics.
		layers := edEval[[]string](t, ctx, `(() => {
			const m = document.querySelector(".ce-mirror"), ta = document.querySelector(".ce-input");
			const d = (el) => { const r = el.getBoundingClientRect(), s = getComputedStyle(el);
				return [r.left, r.top, r.width, r.height, s.fontFamily, s.fontSize, s.lineHeight, s.paddingLeft, s.paddingTop, s.letterSpacing, s.tabSize].join("|"); };
			return [d(m), d(ta), String(ta.scrollHeight <= ta.clientHeight + 1 && ta.scrollWidth <= ta.clientWidth + 1)];
		})()`)
		if layers[0] != layers[1] {
			t.Errorf("textarea and mirror differ:\n mirror   %s\n textarea %s", layers[0], layers[1])
		}
		if layers[2] != "true" {
			t.Errorf("the textarea scrolls inside itself (it should be as big as its text)")
		}
		noErrors(t)
	})

	t.Run("tokenizer", func(t *testing.T) {
		tests := []struct {
			name, src string
			want      string // the non-blank tokens as kind:text, space-separated
		}{
			{"division after a name", "a / b / c", "id:a punct:/ id:b punct:/ id:c"},
			{"regex after =", "x = /[/]\\//gi;", "id:x punct:= re:/[/]\\//gi punct:;"},
			{"regex after return", "return /a/.test(s)", "kw:return re:/a/ punct:. prop:test punct:( id:s punct:)"},
			{"after ) it is division", "if (x) /a/", "kw:if punct:( id:x punct:) punct:/ id:a punct:/"},
			{"a slash that never closes is not a regex", "x = / 2", "id:x punct:= punct:/ num:2"},
			{"template with nested template", "`a${`b${c}`}d`", "str:`a punct:${ str:`b punct:${ id:c punct:} str:` punct:} str:d`"},
			{"braces inside an interpolation", "`${ {a: 1}.a }`", "str:` punct:${ punct:{ prop:a punct:: num:1 punct:} punct:. prop:a punct:} str:`"},
			{"comments", "a // b\n/* c\nd */ e", "id:a com:// b com:/* c\nd */ id:e"},
			{"object keys, not ternaries", "({ k: 1, 'q': 2, v: c ? d : e })", "punct:( punct:{ prop:k punct:: num:1 punct:, str:'q' punct:: num:2 punct:, prop:v punct:: id:c punct:? id:d punct:: id:e punct:} punct:)"},
			{"numbers", "0x1F 1_000n .5e-3 0b1 1.5", "num:0x1F num:1_000n num:.5e-3 num:0b1 num:1.5"},
			{"keywords, constants, optional chaining", "const a = this?.b ?? null; await f()", "kw:const id:a punct:= const:this punct:?. prop:b punct:?? const:null punct:; kw:await id:f punct:( punct:)"},
			{"unterminated string stops at the line end", "\"ab\nc", "str:\"ab id:c"},
			{"unicode names", "const café = ünï;", "kw:const id:café punct:= id:ünï punct:;"},
		}
		edEval[bool](t, ctx, `import("/static/js/code-editor.js").then(m => (window.__tok = m.tokenize, true))`)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				js, _ := json.Marshal(tt.src)
				got := edEval[[]string](t, ctx, `(() => { const toks = __tok(`+string(js)+`);
					if (toks.map(t => t[1]).join("") !== `+string(js)+`) return ["tokens do not join back to the source"];
					return toks.filter(t => t[0] !== "ws").map(t => t[0] + ":" + t[1]); })()`)
				if g := strings.Join(got, " "); g != tt.want {
					t.Errorf("tokenize(%q):\n got %s\nwant %s", tt.src, g, tt.want)
				}
			})
		}
	})

	t.Run("typing: auto-close, step over, Enter indents", func(t *testing.T) {
		setCode(t, "", 0)
		browsertest.Do(t, ctx, "type", edKeys(`io.on("connection", (socket) => {`), edKeys(kb.Enter),
			edKeys(`socket.on("chat", (msg) => io.emit("chat", msg));`))
		want := "io.on(\"connection\", (socket) => {\n  socket.on(\"chat\", (msg) => io.emit(\"chat\", msg));\n})"
		if got := value(t); got != want {
			t.Errorf("after typing:\n got %q\nwant %q", got, want)
		}
		// The caret is where the typing left it: after the ";" on line 2.
		if got := edEval[int](t, ctx, `document.querySelector(".ce-input").selectionStart`); got != strings.Index(want, ";")+1 {
			t.Errorf("caret at %d, want %d", got, strings.Index(want, ";")+1)
		}
		if n := edEval[int](t, ctx, `__changes.length`); n == 0 {
			t.Errorf("onChange never called")
		}
		// The mirror followed every edit.
		if got := edEval[string](t, ctx, `document.querySelector(".ce-mirror").textContent`); got != want {
			t.Errorf("mirror %q, want %q", got, want)
		}
		// Enter on an indented line keeps the indentation; a quote after a letter does not pair.
		browsertest.Do(t, ctx, "enter, type", edKeys(kb.Enter), edKeys(`x = don't`))
		if got := value(t); !strings.Contains(got, "msg));\n  x = don't\n})") {
			t.Errorf("Enter kept no indentation or the quote paired: %q", got)
		}
		// Backspace inside an empty pair removes both.
		setCode(t, "f", -1)
		browsertest.Do(t, ctx, "pair and delete", edKeys("("), edKeys(kb.Backspace))
		if got := value(t); got != "f" {
			t.Errorf("backspace in (): got %q, want %q", got, "f")
		}
	})

	t.Run("Tab and Shift+Tab indent, undo restores", func(t *testing.T) {
		setCode(t, "a\nb\nc", 0)
		browsertest.Do(t, ctx, "tab", edKeys(kb.Tab))
		if got := value(t); got != "  a\nb\nc" {
			t.Errorf("Tab at a line start: got %q", got)
		}
		edEval[bool](t, ctx, `document.querySelector(".ce-input").setSelectionRange(0, 7), true`)
		browsertest.Do(t, ctx, "tab", edKeys(kb.Tab))
		if got := value(t); got != "    a\n  b\n  c" {
			t.Errorf("Tab over three lines: got %q", got)
		}
		sel := edEval[[]int](t, ctx, `[document.querySelector(".ce-input").selectionStart, document.querySelector(".ce-input").selectionEnd]`)
		if sel[0] != 2 || sel[1] != len("    a\n  b\n  c") {
			t.Errorf("selection after indenting: %v, want the same lines selected", sel)
		}
		browsertest.Do(t, ctx, "shift+tab", edKeys(kb.Tab, chromedp.ModifierShift))
		if got := value(t); got != "  a\nb\nc" {
			t.Errorf("Shift+Tab over three lines: got %q", got)
		}
		// Shift+Tab with the caret inside the indentation: the caret stays on its line.
		setCode(t, "x\n  a", 3)
		browsertest.Do(t, ctx, "shift+tab in the indentation", edKeys(kb.Tab, chromedp.ModifierShift))
		if got, c := value(t), edEval[int](t, ctx, `document.querySelector(".ce-input").selectionEnd`); got != "x\na" || c != 2 {
			t.Errorf("Shift+Tab with the caret in the indentation: %q, caret %d, want %q, caret 2", got, c, "x\na")
		}
		// Backspace in the indentation goes back one step.
		setCode(t, "{\n    ", -1)
		browsertest.Do(t, ctx, "backspace", edKeys(kb.Backspace))
		if got := value(t); got != "{\n  " {
			t.Errorf("Backspace in the indentation: got %q, want %q", got, "{\n  ")
		}
		setCode(t, "    a\n  b\n  c", 0)
		edEval[bool](t, ctx, `document.querySelector(".ce-input").setSelectionRange(2, 13), true`)
		browsertest.Do(t, ctx, "shift+tab", edKeys(kb.Tab, chromedp.ModifierShift))
		browsertest.Do(t, ctx, "undo", edKeys("z", chromedp.ModifierCtrl))
		if got := value(t); got != "    a\n  b\n  c" {
			t.Errorf("Ctrl+Z after Shift+Tab: got %q (the edit is not on the undo stack)", got)
		}
		if got := edEval[string](t, ctx, `document.activeElement.className`); got != "ce-input" {
			t.Errorf("Tab moved focus to %q: it should indent", got)
		}
	})

	t.Run("Escape then Tab leaves the editor", func(t *testing.T) {
		setCode(t, "x", -1)
		hint := edEval[string](t, ctx, `document.getElementById(document.querySelector(".ce-input").getAttribute("aria-describedby").split(" ")[0]).textContent`)
		if !strings.Contains(hint, "Escape, then Tab") || !strings.Contains(hint, "Ctrl+Enter") {
			t.Errorf("aria-describedby hint %q does not explain how to leave or run", hint)
		}
		browsertest.Do(t, ctx, "escape, tab", edKeys(kb.Escape), edKeys(kb.Tab))
		if got := edEval[string](t, ctx, `document.activeElement.id`); got != "run" {
			t.Errorf("after Escape, Tab: focus on %q, want the Run button", got)
		}
		if got := value(t); got != "x" {
			t.Errorf("Escape, Tab changed the code: %q", got)
		}
		browsertest.Do(t, ctx, "shift+tab back", edKeys(kb.Tab, chromedp.ModifierShift))
		if got := edEval[string](t, ctx, `document.activeElement.className`); got != "ce-input" {
			t.Errorf("Shift+Tab from the button: focus on %q, want the editor", got)
		}
	})

	t.Run("a selection is wrapped, a new value clears the errors", func(t *testing.T) {
		setCode(t, "say hi", -1)
		edEval[bool](t, ctx, `document.querySelector(".ce-input").setSelectionRange(4, 6), true`)
		browsertest.Do(t, ctx, "quote the selection", edKeys(`"`))
		if got := value(t); got != `say "hi"` {
			t.Errorf("typing a quote over a selection: got %q", got)
		}
		edEval[bool](t, ctx, `__ed.markError(1, 1, "Error: x"), __ed.value = "ok", true`)
		if n := edEval[int](t, ctx, `document.querySelectorAll(".ce-ln-error, .ce-error-line, .ce-error").length`); n != 0 {
			t.Errorf("setting a new value left %d error marks", n)
		}
	})

	t.Run("read only: no typing, no Tab trap; destroy restores the host", func(t *testing.T) {
		edEval[bool](t, ctx, `(() => {
			const host = document.createElement("div"); host.id = "ro"; host.innerHTML = "<pre>const a = 1;</pre>";
			document.getElementById("run").after(host);
			return true;
		})()`)
		edEval[bool](t, ctx, `import("/static/js/code-editor.js").then(m => { window.__ro = m.createEditor(document.getElementById("ro"), { label: "Example", readOnly: true }); document.querySelector("#ro .ce-input").focus(); return true; })`)
		if got := edEval[string](t, ctx, `__ro.value`); got != "const a = 1;" {
			t.Errorf("read-only value %q", got)
		}
		browsertest.Do(t, ctx, "type, tab", edKeys("x"), edKeys(kb.Tab))
		if got := edEval[string](t, ctx, `__ro.value`); got != "const a = 1;" {
			t.Errorf("a read-only editor took typing: %q", got)
		}
		if edEval[bool](t, ctx, `document.activeElement === document.querySelector("#ro .ce-input")`) {
			t.Errorf("Tab in a read-only editor kept the focus")
		}
		edEval[bool](t, ctx, `__ro.destroy(), true`)
		if got := edEval[string](t, ctx, `document.getElementById("ro").innerHTML`); got != "<pre>const a = 1;</pre>" {
			t.Errorf("destroy left %q in the host", got)
		}
		edEval[bool](t, ctx, `document.getElementById("ro").remove(), true`)
	})

	t.Run("long code is recoloured by the next frame", func(t *testing.T) {
		setCode(t, strings.Repeat("socket.emit(\"tick\", 1);\n", 1000), -1) // 24 KB: drawn lazily
		browsertest.Do(t, ctx, "type", edKeys("x"))
		ok := edEval[bool](t, ctx, `new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() =>
			resolve(document.querySelector(".ce-mirror").textContent === __ed.value && document.querySelectorAll(".ce-ln").length === 1001))))`)
		if !ok {
			t.Errorf("two frames after typing, the mirror or the gutter still shows the old code")
		}
	})

	t.Run("Ctrl+Enter runs", func(t *testing.T) {
		setCode(t, "io.on(\"connection\", () => {});", -1)
		edEval[bool](t, ctx, `__runs.length = 0, true`)
		browsertest.Do(t, ctx, "ctrl+enter", edKeys(kb.Enter, chromedp.ModifierCtrl))
		if got := edEval[[]string](t, ctx, `__runs`); len(got) != 1 || got[0] != "io.on(\"connection\", () => {});" {
			t.Errorf("onRun calls: %q", got)
		}
		if got := value(t); got != "io.on(\"connection\", () => {});" {
			t.Errorf("Ctrl+Enter changed the code: %q", got)
		}
	})

	t.Run("markError shows the line and the message", func(t *testing.T) {
		setCode(t, sampleServer, 0)
		edEval[bool](t, ctx, `__ed.markError(3, 7, "SyntaxError: Unexpected token", { focus: true }), true`)
		got := edEval[map[string]any](t, ctx, `(() => {
			const ta = document.querySelector(".ce-input");
			const lns = [...document.querySelectorAll(".ce-ln")];
			const marked = lns.flatMap((l, i) => l.classList.contains("ce-ln-error") ? [i + 1] : []);
			const alert = document.querySelector(".ce-errors");
			// Where line 3 is drawn in the mirror: the band, the gutter number and the text agree.
			const band = document.querySelector(".ce-error-line").getBoundingClientRect();
			const num = lns[2].getBoundingClientRect();
			const walker = document.createTreeWalker(document.querySelector(".ce-mirror"), NodeFilter.SHOW_TEXT);
			let off = ta.value.split("\n").slice(0, 2).join("\n").length + 1, node;
			while ((node = walker.nextNode()) && off >= node.length) off -= node.length;
			const r = document.createRange(); r.setStart(node, off); r.setEnd(node, off + 1);
			const text = r.getBoundingClientRect();
			return { marked, role: alert.getAttribute("role"), alert: alert.textContent, visible: alert.getBoundingClientRect().height > 0,
				caret: ta.selectionStart, focused: document.activeElement === ta, invalid: ta.getAttribute("aria-invalid"),
				bandTop: band.top, numTop: num.top, textTop: text.top, bandH: band.height, numH: num.height };
		})()`)
		if fmt.Sprint(got["marked"]) != "[3]" {
			t.Errorf("gutter marks lines %v, want [3]", got["marked"])
		}
		if got["role"] != "alert" || !strings.Contains(got["alert"].(string), "Line 3, column 7") || !strings.Contains(got["alert"].(string), "SyntaxError: Unexpected token") || got["visible"] != true {
			t.Errorf("message: role %v, text %q, visible %v", got["role"], got["alert"], got["visible"])
		}
		lines := strings.SplitN(sampleServer, "\n", 3)
		if want := len(lines[0]) + 1 + len(lines[1]) + 1 + 6; int(got["caret"].(float64)) != want || got["focused"] != true {
			t.Errorf("caret at %v (focused %v), want %d (3:7)", got["caret"], got["focused"], want)
		}
		if got["invalid"] != "true" {
			t.Errorf("aria-invalid = %v", got["invalid"])
		}
		for _, k := range []string{"numTop", "textTop"} {
			if d := got[k].(float64) - got["bandTop"].(float64); d < -2 || d > 2 {
				t.Errorf("error band top %v, %s %v: not on the same line", got["bandTop"], k, got[k])
			}
		}
		if d := got["bandH"].(float64) - got["numH"].(float64); d < -1 || d > 1 {
			t.Errorf("error band height %v, a line is %v", got["bandH"], got["numH"])
		}
		// The button in the message takes the caret back to the error.
		edEval[bool](t, ctx, `document.querySelector(".ce-input").setSelectionRange(0, 0), document.querySelector(".ce-error-at").click(), true`)
		if c := edEval[int](t, ctx, `document.querySelector(".ce-input").selectionStart`); c != int(got["caret"].(float64)) {
			t.Errorf("'Line 3, column 7' put the caret at %d", c)
		}
		// A second error on the same line adds its message; one without a line marks nothing;
		// a line past the end marks the last line.
		edEval[bool](t, ctx, `__ed.markError(3, 1, "second"), __ed.markError(0, 0, "Error: no position"), __ed.markError(999, 1, "past the end"), true`)
		counts := edEval[[]int](t, ctx, `[document.querySelectorAll(".ce-error").length, document.querySelectorAll(".ce-error-line").length,
			document.querySelectorAll(".ce-error-at").length, document.querySelectorAll(".ce-ln")[document.querySelectorAll(".ce-ln").length - 1].classList.contains("ce-ln-error") ? 1 : 0]`)
		if !slices.Equal(counts, []int{4, 2, 3, 1}) {
			t.Errorf("messages, bands, line buttons, last line marked: got %v, want [4 2 3 1]", counts)
		}
		edEval[bool](t, ctx, `__ed.clearErrors(), true`)
		if n := edEval[int](t, ctx, `document.querySelectorAll(".ce-ln-error, .ce-error-line, .ce-error").length`); n != 0 {
			t.Errorf("clearErrors left %d marks", n)
		}
	})

	t.Run("an error far down scrolls the editor to it", func(t *testing.T) {
		long := strings.Repeat("socket.emit(\"tick\");\n", 80)
		setCode(t, long, 0)
		edEval[bool](t, ctx, `document.querySelector(".ce-scroll").scrollTop = 0, __ed.markError(70, 1, "ReferenceError: tik is not defined"), true`)
		got := edEval[[]float64](t, ctx, `(() => { const s = document.querySelector(".ce-scroll").getBoundingClientRect(), l = document.querySelectorAll(".ce-ln")[69].getBoundingClientRect();
			return [document.querySelector(".ce-scroll").scrollTop, l.top - s.top, s.bottom - l.bottom]; })()`)
		if got[0] <= 0 || got[1] < 0 || got[2] < 0 {
			t.Errorf("line 70 not scrolled into the editor's view: scrollTop %v, top gap %v, bottom gap %v", got[0], got[1], got[2])
		}
		// Typing at the end of the code keeps the caret in view (the scroll container follows it).
		edEval[bool](t, ctx, `__ed.clearErrors(), document.querySelector(".ce-scroll").scrollTop = 0, true`)
		browsertest.Do(t, ctx, "type at the end", chromedp.Evaluate[chromedp.Void](`(() => { const ta = document.querySelector(".ce-input"); ta.focus(); ta.setSelectionRange(ta.value.length, ta.value.length); })()`), edKeys("x"))
		if top := edEval[float64](t, ctx, `document.querySelector(".ce-scroll").scrollTop`); top <= 0 {
			t.Errorf("typing on the last line left the editor scrolled to the top")
		}
	})

	type theme struct{ name, media, attr string }
	themes := []theme{
		{"light", "light", ""},
		{"dark-system", "dark", ""},
		{"dark-toggle", "light", "dark"},
		{"light-toggle-on-dark-system", "dark", "light"},
	}
	setTheme := func(t *testing.T, th theme) {
		t.Helper()
		browsertest.Do(t, ctx, "media", setMedia(th.media))
		if th.attr == "" {
			edEval[bool](t, ctx, `delete document.documentElement.dataset.theme, true`)
		} else {
			edEval[bool](t, ctx, `document.documentElement.dataset.theme = "`+th.attr+`", true`)
		}
	}
	t.Run("contrast of every token in both themes", func(t *testing.T) {
		setCode(t, sampleServer, 0)
		for _, th := range themes {
			t.Run(th.name, func(t *testing.T) {
				setTheme(t, th)
				dark := edEval[bool](t, ctx, `getComputedStyle(document.querySelector(".ce-scroll")).backgroundColor === "rgb(35, 39, 44)"`)
				if wantDark := strings.HasPrefix(th.name, "dark"); dark != wantDark {
					t.Fatalf("theme %s: dark = %v", th.name, dark)
				}
				checks := []struct{ what, sel, bg string }{
					{"editor tokens", ".ce-mirror span", ".ce-scroll"},
					{"editor tokens on an error line", ".ce-mirror span", ".ce-error-line"},
					{"line numbers", ".ce-ln", ""},
					{"hint", ".ce-hint", ""},
					{"error message", ".ce-error-msg, .ce-error-at", ""},
					{"highlight.css tokens", ".chroma [data-hl]", ""},
				}
				edEval[bool](t, ctx, `__ed.clearErrors(), __ed.markError(2, 1, "Error: boom"), true`)
				for _, c := range checks {
					bg := "null"
					if c.bg != "" {
						bg = `"` + c.bg + `"`
					}
					res := edEval[contrastResult](t, ctx, contrastJS+`("`+c.sel+`", `+bg+`)`)
					if res.N == 0 {
						t.Errorf("%s: nothing matched %s", c.what, c.sel)
					}
					for _, b := range res.Bad {
						t.Errorf("%s below 4.5:1: %s", c.what, b)
					}
				}
			})
		}
		edEval[bool](t, ctx, `__ed.clearErrors(), true`)
	})

	for _, vp := range []struct {
		name string
		w, h int64
		opts []chromedp.EmulateViewportOption
	}{
		{"desktop", 1280, 800, nil},
		{"phone", 360, 740, []chromedp.EmulateViewportOption{chromedp.EmulateMobile, chromedp.EmulateTouch}},
	} {
		t.Run(vp.name, func(t *testing.T) {
			browsertest.Do(t, ctx, "viewport", chromedp.EmulateViewport(vp.w, vp.h, vp.opts...))
			load(t)
			edEval[bool](t, ctx, `__ed.markError(6, 68, "SyntaxError: Unexpected token ')'"), document.activeElement.blur(), scrollTo(0, 0), true`)
			if vp.name == "phone" {
				got := edEval[[]float64](t, ctx, `(() => { const s = document.querySelector(".ce-scroll");
					return [document.documentElement.scrollWidth, innerWidth, s.scrollWidth, s.clientWidth, parseFloat(getComputedStyle(document.querySelector(".ce-input")).fontSize), matchMedia("(pointer: coarse)").matches ? 1 : 0]; })()`)
				if got[0] > got[1] {
					t.Errorf("the page scrolls sideways at 360px: scrollWidth %v > %v", got[0], got[1])
				}
				if got[2] <= got[3] {
					t.Errorf("the long lines should scroll inside the editor: scrollWidth %v, clientWidth %v", got[2], got[3])
				}
				if got[5] != 1 {
					t.Fatalf("touch emulation does not give (pointer: coarse)")
				}
				if got[4] < 16 {
					t.Errorf("font size %vpx on a touch screen: iOS zooms below 16px", got[4])
				}
				// Column 68 of line 6 is far right of a phone's editor: markError scrolled to it,
				// clear of the sticky gutter.
				at := edEval[[]float64](t, ctx, `(() => {
					const s = document.querySelector(".ce-scroll"), g = document.querySelector(".ce-gutter").getBoundingClientRect();
					const ta = document.querySelector(".ce-input"), off = ta.value.split("\n").slice(0, 5).join("\n").length + 1 + 67;
					const walker = document.createTreeWalker(document.querySelector(".ce-mirror"), NodeFilter.SHOW_TEXT);
					let rest = off, node;
					while ((node = walker.nextNode()) && rest >= node.length) rest -= node.length;
					const r = document.createRange(); r.setStart(node, rest); r.setEnd(node, rest + 1);
					const c = r.getBoundingClientRect(), v = s.getBoundingClientRect();
					return [s.scrollLeft, c.left - g.right, v.left + s.clientLeft + s.clientWidth - c.right];
				})()`)
				if at[0] <= 0 || at[1] < 0 || at[2] < 0 {
					t.Errorf("line 6, column 68 not in the editor's view: scrollLeft %v, gap to the gutter %v, to the right edge %v", at[0], at[1], at[2])
				}
			}
			for _, th := range themes[:3] {
				setTheme(t, th)
				edEval[bool](t, ctx, `document.querySelector(".demo").scrollIntoView(), true`)
				shot(t, ctx, shots, fmt.Sprintf("editor-%s-%s", vp.name, th.name))
			}
			// Focused with a selection: the textarea's selection and caret over the coloured text.
			setTheme(t, themes[0])
			edEval[bool](t, ctx, `(() => { const ta = document.querySelector(".ce-input"), i = ta.value.indexOf("connection");
				ta.focus(); ta.setSelectionRange(i, i + "connection".length); return true; })()`)
			edEval[bool](t, ctx, `document.querySelector(".ce-scroll").scrollLeft = 0, document.querySelector(".demo").scrollIntoView(), true`)
			shot(t, ctx, shots, fmt.Sprintf("editor-%s-light-selection", vp.name))
			noErrors(t)
		})
	}
}
