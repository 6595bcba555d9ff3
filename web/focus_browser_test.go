package web

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"socketlab/lessons"
	"socketlab/web/browsertest"
)

// Issue 16 item 1, "one idea in view", on the embedded course in headless Chromium: a lesson's
// demo shows the controls its YAML declares and no others, "All controls" brings out the rest;
// the control that acts and the columns that light up fit one 1280×800 screen; on a 360×740
// phone the "who got it" strip sits by the button that acted, and a demo is at most two
// screens tall.

// courseDemo is one demo of the embedded course with what its lesson declares.
type courseDemo struct {
	lesson   *lessons.Lesson
	n        int      // its index among the page's demos
	kind     string   // the demo kind
	controls []string // nil: the lesson declares none (the full toolbox)
	declared bool
	exercise bool // an exercise of the page is written in this demo's editor
}

// courseDemos lists every demo of the embedded course.
func courseDemos(t *testing.T) []courseDemo {
	t.Helper()
	idx, err := LoadLessons("", false)
	if err != nil {
		t.Fatalf("the embedded course does not load:\n%v", err)
	}
	var out []courseDemo
	for _, l := range idx.Lessons() {
		first := len(out)
		for i, d := range l.Demos {
			var cfg struct {
				Controls *[]string `json:"controls"`
			}
			if err := json.Unmarshal(d.Config, &cfg); err != nil {
				t.Fatalf("%s demo %d: %v", l.File, i, err)
			}
			cd := courseDemo{lesson: l, n: i, kind: d.Name}
			if cfg.Controls != nil {
				cd.declared, cd.controls = true, *cfg.Controls
			}
			out = append(out, cd)
		}
		// An exercise is written in the nearest demo of its kind before it, else the first after.
		for _, x := range l.Exercises {
			at := -1
			for i, d := range l.Demos {
				if d.Name != x.Demo {
					continue
				}
				if d.Line < x.Line || at < 0 {
					at = i
				}
			}
			if at >= 0 {
				out[first+at].exercise = true
			}
		}
	}
	return out
}

// openLesson opens a lesson page and waits until every demo runs and its clients connected
// (but for one a middleware refuses on purpose, as in the tenants lesson).
func (b *browser) openLesson(url string, demos int) {
	b.t.Helper()
	b.navigate(url, fmt.Sprintf(`(() => {
		const s = [...document.querySelectorAll("section.demo")];
		return s.length === %d && s.every((d) => d.dataset.ready !== undefined) &&
			[...document.querySelectorAll("section.demo [data-testid=client]")].every((c) =>
				c.querySelector("[data-testid=client-status]").dataset.state === "on" ||
				c.querySelector("[data-testid=client-note]").textContent.startsWith("connect_error"));
	})()`, demos))
}

func (b *browser) theme(theme string) {
	b.t.Helper()
	evalJS[bool](b.t, b, fmt.Sprintf(`(document.documentElement.dataset.theme = %q, true)`, theme))
}

// shownControls: the control names of demo n that have an element of their own (tagged with
// that one name) on screen, and every control name the widget has. An element tagged with
// several names holds or serves several controls, and is left out of "shown".
const shownControlsJS = `(() => {
	const d = document.querySelectorAll("section.demo")[%d];
	const shown = new Set(), all = new Set();
	for (const el of d.querySelectorAll("[data-control]")) {
		const names = el.dataset.control.split(" ");
		for (const n of names) all.add(n);
		if (names.length === 1 && el.checkVisibility({visibilityProperty: true})) shown.add(names[0]);
	}
	return [[...shown].sort(), [...all].sort()];
})()`

func TestFocusedDemosBrowser(t *testing.T) {
	demos, base, b := courseBrowser(t)
	declared := 0
	for _, theme := range []string{"light", "dark"} {
		for _, l := range lessonsOf(demos) {
			t.Run(theme+"/"+l.Slug, func(t *testing.T) {
				b.t = t
				b.openLesson(base+"/lessons/"+l.Slug, len(l.Demos))
				b.theme(theme)
				for _, d := range demos {
					if d.lesson != l {
						continue
					}
					got := evalJS[[][]string](t, b, fmt.Sprintf(shownControlsJS, d.n))
					shown, all := got[0], got[1]
					hasAll := evalJS[bool](t, b, fmt.Sprintf(`!!document.querySelectorAll("section.demo")[%d].querySelector("[data-testid=all-controls]")`, d.n))
					if !d.declared {
						if hasAll {
							t.Errorf("demo %d declares no controls, yet has an \"All controls\" button", d.n)
						}
						if !slices.Equal(shown, all) {
							t.Errorf("demo %d declares no controls: shows %q, want the full toolbox %q", d.n, shown, all)
						}
						continue
					}
					if theme == "light" {
						declared++
					}
					var want []string
					for _, n := range all {
						if slices.Contains(d.controls, n) || (n == "code" && d.exercise) {
							want = append(want, n)
						}
					}
					for _, n := range d.controls {
						if !slices.Contains(all, n) {
							t.Errorf("demo %d (%s) declares %q, which a %s demo does not have", d.n, d.kind, n, d.kind)
						}
					}
					if !slices.Equal(shown, want) {
						t.Errorf("demo %d declares %q (exercise: %v): shows %q, want %q", d.n, d.controls, d.exercise, shown, want)
					}
					if !hasAll {
						t.Fatalf("demo %d declares controls but has no \"All controls\" button", d.n)
					}
					b.js(d.n, `$("[data-testid=all-controls]").click()`)
					got = evalJS[[][]string](t, b, fmt.Sprintf(shownControlsJS, d.n))
					if !slices.Equal(got[0], got[1]) {
						t.Errorf("demo %d after \"All controls\": shows %q, want all of %q", d.n, got[0], got[1])
					}
					if txt := b.text(d.n, "[data-testid=all-controls]"); txt != "Fewer controls" {
						t.Errorf("the toggle after a click says %q, want \"Fewer controls\"", txt)
					}
					b.js(d.n, `$("[data-testid=all-controls]").click()`)
					if got := evalJS[[][]string](t, b, fmt.Sprintf(shownControlsJS, d.n)); !slices.Equal(got[0], want) {
						t.Errorf("demo %d after \"Fewer controls\": shows %q, want %q again", d.n, got[0], want)
					}
				}
				b.noErrors()
			})
		}
	}
	if declared < 12 {
		t.Errorf("%d demos of the course declare their controls, want every demo of lessons 1-9 and 14 (at least 12)", declared)
	}

	// The playground has the full toolbox, even when its link's setup names controls.
	t.Run("playground", func(t *testing.T) {
		b.t = t
		setup := base64.RawURLEncoding.EncodeToString([]byte(`{"clients":["A","B"],"controls":["say"]}`))
		b.run("open the playground", chromedp.Navigate(base+"/playground#c="+setup))
		b.waitFor("the playground's demo", `document.querySelector("section.demo[data-ready]") !== null`)
		got := evalJS[[][]string](t, b, fmt.Sprintf(shownControlsJS, 0))
		if !slices.Equal(got[0], got[1]) || len(got[1]) < 10 {
			t.Errorf("playground shows %q of %q, want every control", got[0], got[1])
		}
		if evalJS[bool](t, b, `document.querySelector("[data-testid=all-controls]") !== null`) {
			t.Errorf("the playground has an \"All controls\" button")
		}
	})

	// Lesson 1's demo: the clients, each with a message box and Disconnect, and the log.
	t.Run("lesson 1 is clients plus one button", func(t *testing.T) {
		b.t = t
		b.openLesson(base+"/lessons/welcome", 2)
		tabbable := evalJS[[]string](t, b, `[...document.querySelector("section.demo").querySelectorAll("button, input, select, textarea, summary, [tabindex]")]
			.filter((e) => e.checkVisibility({visibilityProperty: true}) && !e.disabled && e.tabIndex >= 0).map((e) => e.dataset.testid || e.tagName.toLowerCase())`)
		want := []string{"all-controls", "client-say", "client-say-send", "client-toggle", "client-say", "client-say-send", "client-toggle", "log-filter", "log-pause", "log-clear", "div"}
		if !slices.Equal(tabbable, want) {
			t.Errorf("tab stops of lesson 1's demo: %q, want %q", tabbable, want)
		}
	})
}

// courseBrowser serves the embedded course and opens a browser on it (skipped in -short mode).
func courseBrowser(t *testing.T) ([]courseDemo, string, *browser) {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	demos := courseDemos(t)
	_, base := newClassTestApp(t)
	return demos, base, newBrowser(t, browsertest.Allocator(t))
}

// pressActing presses demo n's acting control (actingControlJS marked it), typing a message
// first into a column's box, and waits for the message to settle.
func (b *browser) pressActing(n int, control string) {
	b.t.Helper()
	if strings.Contains(control, "outcome-run") { // a prediction of the outcome runs once an answer is picked
		b.act(n, `$("[data-testid=outcome-choice-0]").click(); $("[data-acting]").click()`)
		return
	}
	if strings.Contains(control, "client-say-send") {
		b.act(n, `$("[data-acting]").closest("form").querySelector("input").value = "hello"; $("[data-acting]").click()`)
		return
	}
	b.act(n, `$("[data-acting]").click()`)
}

// lessonsOf: the lessons of demos, in order, each once.
func lessonsOf(demos []courseDemo) []*lessons.Lesson {
	var out []*lessons.Lesson
	for _, d := range demos {
		if !slices.Contains(out, d.lesson) {
			out = append(out, d.lesson)
		}
	}
	return out
}

// actingControl is the testid of the control a student presses in a demo: the prediction (of
// who receives, or of the outcome), the script's next step, else the first of the send buttons
// on screen.
const actingControlJS = `(() => {
	const d = document.querySelectorAll("section.demo")[%d];
	const on = (s) => [...d.querySelectorAll(s)].find((e) => e.checkVisibility({visibilityProperty: true}) && !e.disabled);
	for (const s of ["[data-testid=predict-run]", "[data-testid=outcome-run]", "[data-testid=script-step]", "[data-testid=chat-send]", "[data-testid=ask-send]",
		"[data-testid=deliver-send]", "[data-testid=order-send]", "[data-testid=scope-all]", "[data-testid=composer-send]", "[data-testid=client-say-send]"]) {
		const e = on(s);
		if (e) { e.dataset.acting = ""; return s; }
	}
	return "";
})()`

// rectsJS: the viewport rectangles [top, bottom] of the acting control, the client columns
// and the who-got-it strip of demo n, the demo's height and the viewport's.
const rectsJS = `new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => {
	const d = document.querySelectorAll("section.demo")[%d];
	const box = (e) => { if (!e || !e.checkVisibility({visibilityProperty: true})) return [-1, -1]; const b = e.getBoundingClientRect(); return [Math.round(b.top), Math.round(b.bottom)]; };
	r({control: box(d.querySelector("[data-acting]")), columns: box(d.querySelector("[data-testid=demo-columns]")),
		strip: box(d.querySelector("[data-testid=who-got-it]")), strip_text: d.querySelector("[data-testid=who-got-it]")?.textContent ?? "",
		demo: Math.round(d.getBoundingClientRect().height), viewport: innerHeight, scroll_width: document.documentElement.scrollWidth, width: innerWidth,
		log: (() => {
			const wrap = d.querySelector(".demo-log-wrap"), head = [...d.querySelectorAll(".demo-log-head > span")].find((e) => e.textContent === "Recipients");
			if (!wrap || !wrap.checkVisibility() || !head) return null;
			const w = wrap.getBoundingClientRect(), hr = head.getBoundingClientRect();
			return {box: [Math.round(w.left), Math.round(w.right)], recipients: [Math.round(hr.left), Math.round(hr.right)],
				scrolls: wrap.scrollWidth > wrap.clientWidth, sign: d.querySelector("[data-testid=log-more]").checkVisibility()};
		})()});
})))`

type demoRects struct {
	Control     []int  `json:"control"`
	Columns     []int  `json:"columns"`
	Strip       []int  `json:"strip"`
	StripText   string `json:"strip_text"`
	Demo        int    `json:"demo"`
	Viewport    int    `json:"viewport"`
	ScrollWidth int    `json:"scroll_width"`
	Width       int    `json:"width"`
	Log         *struct {
		Box        []int `json:"box"`        // the log's visible box, left and right
		Recipients []int `json:"recipients"` // its Recipients column header
		Scrolls    bool  `json:"scrolls"`    // wider than its box
		Sign       bool  `json:"sign"`       // "More columns → scroll sideways" on screen
	} `json:"log"`
}

func inView(r []int, viewport int) bool { return r[0] >= 0 && r[1] <= viewport && r[1] > r[0] }

// TestDemoVisibleTogether: for every focused demo of the course, at 1280×800 the control that
// acts and the client columns are on one screen (scrolled to where both begin, nothing
// scrolls after the click); at 360×740 the "who got it" strip of the message just sent is on
// screen right under the control that sent it, and the demo is at most two screens tall. Both
// themes.
func TestDemoVisibleTogether(t *testing.T) {
	demos, base, b := courseBrowser(t)
	t.Cleanup(func() { chromedp.Do(b.ctx, chromedp.EmulateViewport(1280, 900)) })
	for _, vp := range []struct {
		name string
		w, h int64
	}{{"1280x800", 1280, 800}, {"360x740", 360, 740}} {
		for _, theme := range []string{"light", "dark"} {
			for _, l := range lessonsOf(demos) {
				t.Run(vp.name+"/"+theme+"/"+l.Slug, func(t *testing.T) {
					b.t = t
					b.run("viewport", chromedp.EmulateViewport(vp.w, vp.h))
					b.openLesson(base+"/lessons/"+l.Slug, len(l.Demos))
					b.theme(theme)
					for _, d := range demos {
						if d.lesson != l || !d.declared {
							continue
						}
						control := evalJS[string](t, b, fmt.Sprintf(actingControlJS, d.n))
						if control == "" {
							t.Errorf("demo %d: no control to press", d.n)
							continue
						}
						if vp.w > 600 {
							// Scroll to where the control and the columns begin: both must fit.
							b.js(d.n, `const a = $("[data-acting]").getBoundingClientRect(), c = $("[data-testid=demo-columns]").getBoundingClientRect();
								scrollBy({top: Math.min(a.top, c.top) - 8, behavior: "instant"})`)
						} else {
							b.js(d.n, `$("[data-acting]").scrollIntoView({block: "center", behavior: "instant"})`)
						}
						b.pressActing(d.n, control)
						var r demoRects
						raw := evalJS[json.RawMessage](t, b, fmt.Sprintf(rectsJS, d.n))
						if err := json.Unmarshal(raw, &r); err != nil {
							t.Fatal(err)
						}
						if r.ScrollWidth > r.Width {
							t.Errorf("demo %d: the page scrolls sideways (%d > %d)", d.n, r.ScrollWidth, r.Width)
						}
						if vp.w > 600 {
							if !inView(r.Control, r.Viewport) || !inView(r.Columns, r.Viewport) {
								t.Errorf("demo %d: %s at %v and the columns at %v are not both in the %d px screen", d.n, control, r.Control, r.Columns, r.Viewport)
							}
							continue
						}
						if !inView(r.Control, r.Viewport) || !inView(r.Strip, r.Viewport) {
							t.Errorf("demo %d: %s at %v, its who-got-it strip at %v (%q): not both on the %d px screen", d.n, control, r.Control, r.Strip, r.StripText, r.Viewport)
						} else if gap := r.Strip[0] - r.Control[1]; gap < -4 || gap > 120 {
							t.Errorf("demo %d: the who-got-it strip is %d px from %s, want it right under it", d.n, gap, control)
						}
						if !strings.HasPrefix(r.StripText, "✔ Got ") {
							t.Errorf("demo %d: who-got-it strip says %q", d.n, r.StripText)
						}
						if r.Log != nil && (r.Log.Recipients[1] > r.Log.Box[1] || r.Log.Scrolls && !r.Log.Sign) {
							t.Errorf("demo %d: the log's Recipients column ends at %d px, its box at %d px; it scrolls sideways: %v, and says so: %v", d.n, r.Log.Recipients[1], r.Log.Box[1], r.Log.Scrolls, r.Log.Sign)
						}
						if r.Demo > 2*r.Viewport {
							t.Errorf("demo %d is %d px tall on a %d px phone screen, more than two screens", d.n, r.Demo, r.Viewport)
						}
					}
					b.noErrors()
				})
			}
		}
	}
}

// TestLessonScreens saves screenshots of every lesson's demos at 1280×800 and 360×740, light
// and dark, and of the class projector at 1920×1080, into $SOCKETLAB_SHOTS (for people to look
// at: it asserts nothing else). Without the variable it is skipped.
func TestLessonScreens(t *testing.T) {
	dir := os.Getenv("SOCKETLAB_SHOTS")
	if dir == "" {
		t.Skip("set SOCKETLAB_SHOTS=DIR to save the screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	demos, base, b := courseBrowser(t)
	save := func(name string, shot chromedp.Action[[]byte]) {
		ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
		defer cancel()
		buf, err := chromedp.Run(ctx, shot)
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, vp := range []struct {
		name string
		w, h int64
	}{{"1280", 1280, 800}, {"360", 360, 740}} {
		for _, theme := range []string{"light", "dark"} {
			for _, l := range lessonsOf(demos) {
				b.t = t
				b.run("viewport", chromedp.EmulateViewport(vp.w, vp.h))
				b.openLesson(base+"/lessons/"+l.Slug, len(l.Demos))
				b.theme(theme)
				save(fmt.Sprintf("%02d-%s-%s-%s-top", l.Order, l.Slug, vp.name, theme), chromedp.CaptureScreenshot())
				for i := range l.Demos {
					control := evalJS[string](t, b, fmt.Sprintf(actingControlJS, i))
					if control != "" {
						b.js(i, `$("[data-acting]").scrollIntoView({block: "center", behavior: "instant"})`)
						b.pressActing(i, control)
					}
					b.js(i, `d.scrollIntoView({block: "start", behavior: "instant"})`)
					save(fmt.Sprintf("%02d-%s-%s-%s-demo%d", l.Order, l.Slug, vp.name, theme, i+1), chromedp.CaptureScreenshot())
					if vp.w < 600 {
						b.js(i, `for (const e of document.querySelectorAll("[data-shot]")) delete e.dataset.shot; d.dataset.shot = ""`)
						save(fmt.Sprintf("%02d-%s-%s-%s-demo%d-whole", l.Order, l.Slug, vp.name, theme, i+1), chromedp.Screenshot("[data-shot]"))
					}
				}
			}
		}
	}
	// The projector of a class started from lesson 1, with two students.
	b.run("viewport", chromedp.EmulateViewport(1920, 1080))
	b.run("open a lesson", chromedp.Navigate(base+"/lessons/"+demos[0].lesson.Slug))
	b.run("start the class", chromedp.Click(chromedp.CSS(`[data-testid=class-start-button]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=class-joinbox]`)))
	e2eWait(t, b.ctx, `document.querySelector("[data-testid=class-status]")?.textContent.includes("live")`)
	code := evalJS[string](t, b, `document.querySelector("[data-testid=class-code]").textContent`)
	for _, n := range []string{"Ada", "Grace"} {
		tab := browsertest.Tab(t, b.ctx, chromedp.WithNewBrowserContext())
		browsertest.Do(t, tab, "join", chromedp.Navigate(base+"/join/"+code))
		e2eWait(t, tab, `"ready" in (document.querySelector("[data-class-student]")?.dataset ?? {})`)
		fill(t, tab, "student-name", n)
		e2eWait(t, tab, `!document.querySelector("[data-testid=student-client]").hidden`)
	}
	e2eWait(t, b.ctx, `document.querySelector("[data-testid=class-count]").textContent === "2"`)
	for _, theme := range []string{"light", "dark"} {
		b.theme(theme)
		save("projector-1920-"+theme, chromedp.CaptureScreenshot())
	}
}

// TestColumnControlsBrowser: a column's menus have visible labels (the namespaces demo had three
// unlabelled ones per column), Leave acts on the room picked, not on a name typed for Join, and
// a room joined by name joins the menu.
func TestColumnControlsBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	srv := demoServer(t)
	b := newBrowser(t, browsertest.Allocator(t))

	b.open(srv.URL+"/lessons/namespaces", 1)
	unlabelled := evalJS[[]string](t, b, `[...document.querySelectorAll("[data-testid=client] select")]
		.filter((s) => s.checkVisibility() && !(s.closest("label")?.querySelector(".demo-field-label")?.checkVisibility()))
		.map((s) => s.closest("[data-testid=client]").dataset.client + " " + s.dataset.testid)`)
	if len(unlabelled) > 0 {
		t.Errorf("menus in the columns without a visible label: %q", unlabelled)
	}

	b.open(srv.URL+"/lessons/rooms", 1)
	b.waitFor("A in room-1", `document.querySelector("[data-client=A] [data-testid=client-rooms]").textContent === "room-1"`)
	// Pick room-1, type another name, press Leave: A leaves room-1.
	b.js(0, setv("[data-client=A] [data-testid=client-room]", "room-1")+";"+
		`{ const i = `+col("A", "[data-testid=client-room-new]")+`; i.value = "kitchen"; }`+";"+col("A", "[data-testid=client-leave]")+".click()")
	b.waitFor("A left room-1", `document.querySelector("[data-client=A] [data-testid=client-rooms]").textContent === "none"`)
	if got := b.text(0, "[data-client=A] [data-testid=client-note]"); got != "left room-1" {
		t.Errorf("A's note after Leave: %q, want \"left room-1\"", got)
	}
	// Join takes the typed name, which then is in the menu, picked, and the box is empty.
	b.js(0, col("A", "[data-testid=client-join]")+".click()")
	b.waitFor("A in kitchen", `document.querySelector("[data-client=A] [data-testid=client-rooms]").textContent === "kitchen"`)
	b.waitFor("kitchen picked", `document.querySelector("[data-client=A] [data-testid=client-room]").value === "kitchen" && document.querySelector("[data-client=A] [data-testid=client-room-new]").value === ""`)
	b.js(0, col("A", "[data-testid=client-leave]")+".click()")
	b.waitFor("A left kitchen", `document.querySelector("[data-client=A] [data-testid=client-rooms]").textContent === "none"`)
	b.noErrors()
}
