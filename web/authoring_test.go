package web

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"testing/synctest"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"

	"socketlab/lessons"
	"socketlab/playground/stream"
	"socketlab/web/browsertest"
	"socketlab/web/webtest"
)

// TestCheckRules runs the checker on the bad courses of lessons/testdata/check, one per rule
// family, and wants exactly these diagnostics, in the form editors jump to.
func TestCheckRules(t *testing.T) {
	const dir = "../lessons/testdata/check"
	tests := []struct {
		name string
		want []string
	}{
		{"good", nil},
		{"frontmatter", []string{
			`CASE/01-a.md:3:1: front matter: unknown key "sumary" (did you mean "summary"?)`,
			"CASE/01-a.md:4:8: front matter: cannot unmarshal !!str `first` into int",
			"CASE/02-b.md:4:8: front matter: cannot unmarshal !!str `maybe` into bool",
		}},
		{"fm-title", []string{`CASE/01-a.md:1:1: front matter: "title" is required`}},
		{"fm-summary", []string{`CASE/01-a.md:1:1: front matter: "summary" is required`}},
		{"fm-type", []string{ // a title of the wrong type is not also reported missing
			"CASE/01-a.md:2:9: front matter: cannot unmarshal !!seq into string",
			"CASE/01-a.md:4:13: front matter: cannot unmarshal !!str `Join a ...` into []string",
		}},
		{"fm-syntax", []string{ // the body is checked even when the YAML cannot be read
			"CASE/01-a.md:5:1: front matter: found character that cannot start any token",
			`CASE/01-a.md:8:9: unknown demo "room" (did you mean "rooms"?)`,
		}},
		{"fm-several", []string{ // every problem of the file in one run, the body's links and images included
			`CASE/01-a.md:1:1: front matter: "summary" is required`,
			`CASE/01-a.md:2:1: front matter: unknown key "tittle" (did you mean "title"?)`,
			"CASE/01-a.md:3:8: front matter: cannot unmarshal !!str `first` into int",
			"CASE/01-a.md:4:8: front matter: cannot unmarshal !!str `maybe` into bool",
			`CASE/01-a.md:9:71: link "/lessons/room": no lesson with slug "room"`,
			`CASE/01-a.md:11:12: image "missing.png" not found (looked for missing.png)`,
		}},
		{"demos", []string{
			`CASE/01-a.md:6:9: unknown demo "room" (did you mean "rooms"?)`,
			`CASE/01-a.md:11:1: demo chat: unknown key "scirpt" (did you mean "script"?)`,
			`CASE/01-a.md:19:23: demo rooms: script[1]: room "kitchen" is never created by this demo's config (declare it in rooms)`,
			`CASE/01-a.md:24:26: demo namespaces: clients[0] (A): namespace "/orders" is not declared in namespaces or tenants`,
			`CASE/01-a.md:28:9: demo chat: rooms[0]: want a string, got the number 1`,
			`CASE/01-a.md:31:5: demo chat: clients[0]: rooms: want a list of names, e.g. [a, b], got a mapping`,
			`CASE/01-a.md:36:17: demo console: controls[1]: unknown control "emt" (did you mean "emit"? known: emit, scopes, panel, say, disconnect, rename, remove, rooms, multiplex, tools, add, code, diagram, console, log)`,
			`CASE/01-a.md:40:22: demo console: controls[2]: want a string, got the number 3`,
		}},
		{"yaml-lines", []string{ // a YAML syntax error where it is, not where its block starts or ends
			`CASE/01-a.md:2:8: front matter: the quoted value that starts here is never closed`,
			`CASE/02-b.md:12:6: quiz: invalid YAML: did not find expected '-' indicator`,
		}},
		{"demos-several", []string{ // every problem of a demo block, each at its line, with suggestions
			`CASE/01-a.md:9:36: demo chat: script[0]: unknown scope "brodcast" (did you mean "broadcast"? known: all, broadcast, except, room, self, socket-room)`,
			`CASE/01-a.md:10:14: demo chat: script[1]: client "Grase" is not one of the demo's clients (Ada, Grace) (did you mean "Grace"?)`,
			`CASE/01-a.md:11:41: demo chat: script[2]: unknown key "romm" (did you mean "room"?)`,
			`CASE/01-a.md:13:41: demo chat: predict: unknown scope "everyone" (known: all, broadcast, except, room, self, socket-room)`,
		}},
		{"demos-outcome", []string{ // predict the outcome: a misspelt key, mode, client or ack at its place
			`CASE/01-a.md:11:32: demo acks: outcome: steps[0]: unknown answer mode "nevr" (did you mean "never"? known: fast, slow, never)`,
			`CASE/01-a.md:12:26: demo acks: outcome: steps[1]: ask: client "Grase" is not one of the demo's clients (Ada, Grace) (did you mean "Grace"?)`,
			"CASE/01-a.md:13:3: demo acks: outcome: choices: 2 choices, want 3 to 8",
			`CASE/01-a.md:15:34: demo acks: outcome: choices[0]: expect: unknown ack outcome "rely" (did you mean "reply"? known: reply, error, none)`,
			`CASE/01-a.md:17:41: demo acks: outcome: choices[1]: expect: unknown key "eror" (did you mean "error"?)`,
			"CASE/01-a.md:32:7: demo queue: outcome: choices[2]: expect: the same outcome as choices[1]: one of them could never be the only match",
		}},
		{"quiz", []string{
			`CASE/01-a.md:7:3: quiz question 1: exactly one choice must be correct, got 2 (set multiple: true for several)`,
			`CASE/01-a.md:14:17: quiz question 2 choice 2: unknown key "explian" (did you mean "explain"?)`,
			`CASE/01-a.md:20:17: quiz question 1 choice 1: unknown key "corect" (did you mean "correct"?)`,
		}},
		{"exercise", []string{
			`CASE/01-a.md:9:1: exercise: "solution" is required`,
			`CASE/01-a.md:9:14: exercise demo: unknown demo "chta" (did you mean "chat"?)`,
			`CASE/01-a.md:18:18: exercise check 1 (Ada's chat reaches Grace) expect 1: unknown client "Grase" (did you mean "Grace"?)`,
			`CASE/01-a.md:19:23: exercise check 1 (Ada's chat reaches Grace) expect 2: unknown key "recieves" (did you mean "receives"?)`,
		}},
		{"links", []string{
			`CASE/01-a.md:8:24: link "/lessons/room": no lesson with slug "room"`,
			`CASE/01-a.md:8:59: link "/lessons/b#joinning": no heading with anchor "joinning" in 02-b.md (did you mean "#joining"?)`,
			`CASE/01-a.md:9:9: link "#getting-startd": no heading with anchor "getting-startd" in this lesson (did you mean "#getting-started"?)`,
			`CASE/01-a.md:9:38: link "02-b.md" points at a lesson file: write /lessons/b`,
			`CASE/01-a.md:9:61: warning: link "/lessons/c": 03-c.md is a draft, hidden unless served with -drafts`,
			`CASE/01-a.md:12:12: image "missing.png" not found (looked for missing.png)`,
		}},
		{"images", []string{
			`CASE/01-a.md:8:10: image "notes.txt" is not served: the lessons folder serves only png, jpg, jpeg, gif, webp, svg files`,
			`CASE/01-a.md:10:11: image "_private/x.png" is not served: no folder or file on its path may start with "." or "_"`,
		}},
		{"dups", []string{
			`CASE/02-b.md:4:1: duplicate order 1 (also 01-a.md)`,
			`CASE/03-c.md:4:1: duplicate slug "a" (also 01-a.md)`,
		}},
		{"dups-both", []string{ // a lesson's order and slug clashes in one run
			`CASE/02-b.md:4:1: duplicate order 1 (also 01-a.md)`,
			`CASE/02-b.md:5:1: duplicate slug "a" (also 01-a.md)`,
			`CASE/03-c.md:4:1: duplicate order 1 (also 01-a.md)`,
		}},
		{"chapter-order", []string{ // a chapter's order clash is the chapter.yaml's, once
			`CASE/02-ch/chapter.yaml:2:1: chapter: duplicate order 1 (also 01-ch)`,
		}},
		{"chapter", []string{
			`CASE/02-basics/chapter.yaml:4:3: chapter defaults: unknown key "objetives" (did you mean "objectives"?)`,
			`CASE/03-more/chapter.yaml:1:1: chapter: unknown key "titel" (did you mean "title"?)`,
		}},
		{"chapter-several", []string{ // every problem of a chapter.yaml in one run
			`CASE/basics/chapter.yaml:1:1: chapter: unknown key "titel" (did you mean "title"?)`,
			"CASE/basics/chapter.yaml:2:11: chapter: cannot unmarshal !!seq into string",
			"CASE/basics/chapter.yaml:3:8: chapter: cannot unmarshal !!str `first` into int",
			"CASE/basics/chapter.yaml:5:10: chapter: cannot unmarshal !!str `maybe` into bool",
			`CASE/basics/chapter.yaml:6:3: chapter defaults: unknown key "objetives" (did you mean "objectives"?)`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			caseDir := dir + "/" + tt.name
			var got []string
			for _, d := range lessons.Check(os.DirFS(caseDir), LessonOptions(caseDir, true)) {
				got = append(got, d.String())
			}
			var want []string
			for _, w := range tt.want {
				want = append(want, strings.Replace(w, "CASE", caseDir, 1))
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("diagnostics (-want +got):\n%s", d)
			}
		})
	}
}

// TestAuthoringGuideExample checks the complete example lesson of docs/authoring.md, so the
// guide cannot drift from what the checker accepts.
func TestAuthoringGuideExample(t *testing.T) {
	doc, err := os.ReadFile("../docs/authoring.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- example-lesson -->\\s*````markdown\n(.*?)\n````").FindSubmatch(doc)
	if m == nil {
		t.Fatal("docs/authoring.md has no ````markdown block after <!-- example-lesson -->")
	}
	ch := regexp.MustCompile("(?s)<!-- example-chapter -->.*?```yaml\n(.*?)```").FindSubmatch(doc)
	if ch == nil {
		t.Fatal("docs/authoring.md has no ```yaml block after <!-- example-chapter -->")
	}
	fsys := fstest.MapFS{
		"05-rooms.md":               {Data: append(m[1], '\n')},
		"06-scaling/chapter.yaml":   {Data: ch[1]},
		"06-scaling/01-adapters.md": {Data: []byte(lessonText("Adapters", "Two servers."))},
	}
	ds := lessons.Check(fsys, LessonOptions("docs/authoring.md example", true))
	if len(ds) > 0 {
		t.Errorf("the guide's example lesson does not pass check:\n%v", ds)
	}
	idx, err := lessons.Load(fsys, LessonOptions("example", true))
	if err != nil {
		t.Fatal(err)
	}
	var l *lessons.Lesson
	for _, x := range idx.Lessons() {
		if x.File == "05-rooms.md" {
			l = x
		} else if x.Chapter == nil || x.Chapter.Title != "Scaling out" {
			t.Errorf("the example chapter did not load: %+v", x.Chapter)
		}
	}
	if l == nil {
		t.Fatal("the example lesson did not load")
	}
	if len(l.Demos) == 0 || len(l.Quizzes) == 0 {
		t.Errorf("the example has %d demos and %d quizzes, want at least one of each", len(l.Demos), len(l.Quizzes))
	}
}

// TestDebounce: a burst of changes fires once, after the folder has been quiet for the debounce
// time; changes after a fire fire again; closing the input ends the loop without a late fire.
func TestDebounce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		changes := make(chan struct{})
		fired := make(chan time.Duration, 10)
		start := time.Now()
		done := make(chan struct{})
		go func() {
			defer close(done)
			debounceLoop(changes, 40*time.Millisecond, func() { fired <- time.Since(start) })
		}()
		for range 5 { // a burst: one write every 10 ms
			changes <- struct{}{}
			time.Sleep(10 * time.Millisecond)
		}
		synctest.Wait()
		if len(fired) != 0 {
			t.Fatalf("fired during the burst")
		}
		time.Sleep(40 * time.Millisecond)
		synctest.Wait()
		if got := len(fired); got != 1 {
			t.Fatalf("got %d fires after the burst, want 1", got)
		}
		if got, want := <-fired, 80*time.Millisecond; got != want {
			t.Errorf("fired at %v, want %v (40 ms after the last change)", got, want)
		}
		changes <- struct{}{}
		time.Sleep(40 * time.Millisecond)
		synctest.Wait()
		if got := len(fired); got != 1 {
			t.Errorf("got %d fires for a later change, want 1", got)
		}
		changes <- struct{}{}
		close(changes)
		<-done
		time.Sleep(time.Second)
		synctest.Wait()
		if got := len(fired); got != 1 {
			t.Errorf("fired after the input closed")
		}
	})
}

const watchLesson = `---
title: %s
summary: A lesson being edited.
---

## Section

%s
`

func lessonText(title, body string) string {
	return strings.Replace(strings.Replace(watchLesson, "%s", title, 1), "%s", body, 1)
}

// watchApp serves a temp lesson folder with -watch and subscribes to its reload events.
func watchApp(t testing.TB, files map[string]string) (dir string, a *App, srv *httptest.Server, events <-chan stream.Event[reloadEvent], term *webtest.SyncBuffer) {
	t.Helper()
	return watchAppConfig(t, files, Config{})
}

// watchAppConfig is watchApp with more of the app's Config (LessonDir, Watch and Origins are set).
func watchAppConfig(t testing.TB, files map[string]string, cfg Config) (dir string, a *App, srv *httptest.Server, events <-chan stream.Event[reloadEvent], term *webtest.SyncBuffer) {
	t.Helper()
	dir = t.TempDir()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	term = &webtest.SyncBuffer{}
	log := slog.New(slog.NewTextHandler(term, &slog.HandlerOptions{Level: slog.LevelInfo}))
	cfg.LessonDir, cfg.Watch, cfg.Origins = dir, true, []string{"http://127.0.0.1"}
	a, err := New(log, cfg)
	if err != nil {
		t.Fatalf("newApp: %v", err)
	}
	srv = httptest.NewServer(a.Handler())
	ch, cancel, err := a.reload.Subscribe(0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); srv.Close(); a.Close() })
	return dir, a, srv, ch, term
}

// waitReload waits for a reload event that names slug (events for other pages are skipped).
func waitReload(t *testing.T, events <-chan stream.Event[reloadEvent], slug string) reloadEvent {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-events:
			if slices.Contains(ev.Value.Slugs, slug) {
				return ev.Value
			}
		case <-timeout:
			t.Fatalf("no reload event for %q within 10 s", slug)
		}
	}
}

// getPage is get (routes_test.go) for a test that wants the status code and the body.
func getPage(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, body := get(t, url)
	return resp.StatusCode, body
}

// TestWatch edits a lesson folder the ways an editor does and checks each change reaches the
// served pages and the reload stream, with exactly the pages it changed: write in place, save by
// rename, a broken file (its page shows the error and the lines, the others stay up), the fix,
// a new file, a delete.
func TestWatch(t *testing.T) {
	dir, _, srv, events, term := watchApp(t, map[string]string{
		"01-one.md": lessonText("One", "First version."),
		"02-two.md": lessonText("Two", "Second lesson."),
	})
	if code, body := getPage(t, srv.URL+"/lessons/one"); code != 200 || !strings.Contains(body, "First version.") {
		t.Fatalf("before any change: got %d %q", code, body)
	}
	write := func(name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("write in place", func(t *testing.T) {
		write("01-one.md", lessonText("One", "Second version."))
		// Only one's body changed: two's page (its prev link names one by title) and the home
		// page (titles and summaries) are the same bytes, so only one's tabs reload.
		wantReload(t, events, reloadEvent{Slugs: []string{"one"}})
		if _, body := getPage(t, srv.URL+"/lessons/one"); !strings.Contains(body, "Second version.") {
			t.Errorf("page does not show the edit")
		}
	})
	t.Run("save by rename", func(t *testing.T) {
		tmp := filepath.Join(dir, ".01-one.md.swp")
		if err := os.WriteFile(tmp, []byte(lessonText("One", "Renamed into place.")), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, "01-one.md")); err != nil {
			t.Fatal(err)
		}
		wantReload(t, events, reloadEvent{Slugs: []string{"one"}}) // the temporary file alone changes nothing
		if _, body := getPage(t, srv.URL+"/lessons/one"); !strings.Contains(body, "Renamed into place.") {
			t.Errorf("page does not show the renamed file")
		}
	})
	t.Run("broken file", func(t *testing.T) {
		write("01-one.md", lessonText("One", "```quiz\n- question: q\n  choices: [{text: a, explain: x}, {text: b, explain: y}]\n```"))
		// one keeps its place in the course (its page shows the errors; two's link to it is the
		// same), and the home page marks it and lists the error.
		wantReload(t, events, reloadEvent{Slugs: []string{"one"}, Home: true})
		code, body := getPage(t, srv.URL+"/lessons/one")
		at := filepath.ToSlash(dir) + "/01-one.md:9:3"
		msg := "quiz question 1: exactly one choice must be correct, got 0 (set multiple: true for several)"
		want := at + ": " + msg
		if code != 200 || !strings.Contains(body, `data-testid="lesson-errors"`) || !strings.Contains(body, want) {
			t.Errorf("broken page: got %d, want the error %q in:\n%s", code, want, body)
		}
		if !strings.Contains(body, "&gt;    9 | - question: q") {
			t.Errorf("broken page does not show the offending line")
		}
		if _, body := getPage(t, srv.URL+"/lessons/two"); !strings.Contains(body, "Second lesson.") {
			t.Errorf("the other lesson went down with the broken one")
		}
		if line := fmt.Sprintf("level=ERROR msg=\"lesson error\" at=%s problem=%q", at, msg); strings.Count(term.String(), line) != 1 {
			t.Errorf("terminal: got %q, want once %q", term.String(), line)
		}
	})
	t.Run("fix", func(t *testing.T) {
		write("01-one.md", lessonText("One", "Fixed."))
		wantReload(t, events, reloadEvent{Slugs: []string{"one"}, Home: true})
		if _, body := getPage(t, srv.URL+"/lessons/one"); !strings.Contains(body, "Fixed.") || strings.Contains(body, "lesson-errors") {
			t.Errorf("fixed page still broken")
		}
		if !strings.Contains(term.String(), "level=INFO msg=\"lesson problem fixed\"") {
			t.Errorf("terminal does not say the errors are fixed: %q", term.String())
		}
	})
	t.Run("new file", func(t *testing.T) {
		write("03-three.md", lessonText("Three", "New lesson."))
		// New pages, and "of N" changes on every other one.
		wantReload(t, events, reloadEvent{Slugs: []string{"one", "three", "two"}, Home: true})
		if code, _ := getPage(t, srv.URL+"/lessons/three"); code != 200 {
			t.Errorf("new lesson: got %d", code)
		}
	})
	t.Run("delete", func(t *testing.T) {
		if err := os.Remove(filepath.Join(dir, "02-two.md")); err != nil {
			t.Fatal(err)
		}
		wantReload(t, events, reloadEvent{Slugs: []string{"one", "three", "two"}, Home: true})
		if code, _ := getPage(t, srv.URL+"/lessons/two"); code != 404 {
			t.Errorf("deleted lesson: got %d, want 404", code)
		}
	})
}

// TestWatchLog: under -watch the request log is DEBUG unless -v, so the lesson problems (WARN for
// a broken link, ERROR for what stops a lesson) stand out in the terminal, each printed once.
func TestWatchLog(t *testing.T) {
	files := map[string]string{
		"01-one.md": lessonText("One", "See [two](/lessons/tow)."),
		"02-two.md": lessonText("Two", "```demo room\n```"),
	}
	for _, verbose := range []bool{false, true} {
		t.Run(map[bool]string{false: "quiet", true: "verbose"}[verbose], func(t *testing.T) {
			dir, _, srv, _, term := watchAppConfig(t, files, Config{Verbose: verbose})
			for range 2 {
				getPage(t, srv.URL+"/lessons/one")
			}
			out := term.String()
			if got := strings.Contains(out, "msg=request"); got != verbose {
				t.Errorf("request lines at INFO: %v, want %v:\n%s", got, verbose, out)
			}
			for _, want := range []string{
				`level=WARN msg="lesson warning" at=DIR/01-one.md:8:11 problem="link \"/lessons/tow\": no lesson with slug \"tow\""`,
				`level=ERROR msg="lesson error" at=DIR/02-two.md:8:9 problem="unknown demo \"room\" (did you mean \"rooms\"?)"`,
			} {
				if n := strings.Count(strings.ReplaceAll(out, filepath.ToSlash(dir), "DIR"), want); n != 1 {
					t.Errorf("terminal has %d times %q, want once:\n%s", n, want, out)
				}
			}
		})
	}
}

// wantReload wants the next reload event to be exactly want, and no other event to follow it
// (a burst of writes is one reload).
func wantReload(t *testing.T, events <-chan stream.Event[reloadEvent], want reloadEvent) {
	t.Helper()
	select {
	case got := <-events:
		if d := cmp.Diff(want, got.Value); d != "" {
			t.Errorf("reload event (-want +got):\n%s", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no reload event within 10 s, want %+v", want)
	}
	select {
	case extra := <-events:
		t.Errorf("a second reload event followed: %+v", extra.Value)
	case <-time.After(3 * watchDebounce):
	}
}

// TestReloadStream reads the SSE stream as a browser would and ends it with the app.
func TestReloadStream(t *testing.T) {
	dir, a, srv, _, _ := watchApp(t, map[string]string{"01-one.md": lessonText("One", "v1")})
	resp, err := http.Get(srv.URL + "/__reload")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("got Content-Type %q, want text/event-stream", ct)
	}
	if err := os.WriteFile(filepath.Join(dir, "01-one.md"), []byte(lessonText("One", "v2")), 0o644); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		buf := make([]byte, 4096)
		var acc string
		for {
			n, err := resp.Body.Read(buf)
			acc += string(buf[:n])
			for {
				i := strings.Index(acc, "\n\n")
				if i < 0 {
					break
				}
				lines <- acc[:i]
				acc = acc[i+2:]
			}
			if err != nil {
				return
			}
		}
	}()
	want := "event: reload\ndata: {\"slugs\":[\"one\"],\"home\":false}"
	for got := range lines {
		if got == want {
			a.Close() // ends the stream: the body reaches EOF
			for range lines {
			}
			return
		}
	}
	t.Errorf("stream ended without %q", want)
}

// TestEmbeddedCourseHasNoReload: without -watch there is no reload script or endpoint.
func TestEmbeddedCourseHasNoReload(t *testing.T) {
	_, srv := newTestApp(t)
	if code, _ := getPage(t, srv.URL+"/__reload"); code != 404 {
		t.Errorf("/__reload without -watch: got %d, want 404", code)
	}
	// The import map may name every module; what matters is that no script loads reload.js.
	getDoc(t, srv.URL+"/").Find("script").Each(func(_ int, s *goquery.Selection) {
		if src := s.AttrOr("src", ""); strings.Contains(src, "reload.") || s.AttrOr("type", "") != "importmap" && strings.Contains(s.Text(), "reload.") {
			t.Errorf("home page loads reload.js without -watch: %s", src+s.Text())
		}
	})
}

// TestBrowserLiveReload opens a lesson served with -watch, scrolls down, changes the file on disk
// and sees the page show the change at the same scroll position; then a broken save shows the
// error in place of the lesson, and the fix brings it back.
func TestBrowserLiveReload(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	var long strings.Builder
	for i := range 60 {
		fmt.Fprintf(&long, "Paragraph %d of a long lesson, so that the page scrolls.\n\n", i)
	}
	dir, _, srv, events, _ := watchApp(t, map[string]string{
		"01-one.md": lessonText("One", long.String()+"Original ending."),
		"02-two.md": lessonText("Two", "Second lesson."),
	})
	file := filepath.Join(dir, "01-one.md")
	ctx := browsertest.Browser(t)
	browsertest.Do(t, ctx, "open the lesson", chromedp.Navigate(srv.URL+"/lessons/one"))
	e2eWait(t, ctx, `"reloadReady" in document.documentElement.dataset`)
	y := browsertest.Eval[float64](t, ctx, `window.scrollTo({top: 900, behavior: "instant"}), window.scrollY`)
	if y < 800 {
		t.Fatalf("scrolled to %v, want 900: the page is too short", y)
	}

	// A save shows in the page, at the old scroll position (reload.js restores it). How soon is
	// BenchmarkLiveReload's.
	for n := range 2 {
		text := fmt.Sprintf("Edited on disk, save %d.", n+1)
		if err := os.WriteFile(file, []byte(lessonText("One", long.String()+text)), 0o644); err != nil {
			t.Fatal(err)
		}
		e2eWait(t, ctx, fmt.Sprintf(`document.body.textContent.includes(%q) && "reloadReady" in document.documentElement.dataset &&
			performance.getEntriesByType("navigation")[0].loadEventEnd > 0`, text))
		if got := browsertest.Eval[float64](t, ctx, `window.scrollY`); got < y-2 || got > y+2 {
			t.Errorf("save %d: after the reload the page is at %v, want %v", n+1, got, y)
		}
	}
	waitReload(t, events, "one")

	if err := os.WriteFile(file, []byte(lessonText("One", "```demo room\n```")), 0o644); err != nil {
		t.Fatal(err)
	}
	e2eWait(t, ctx, `document.querySelector("[data-testid=lesson-error]") !== null`)
	if got := browsertest.Eval[string](t, ctx, `document.querySelector("[data-testid=lesson-error]").textContent`); !strings.HasSuffix(got, `01-one.md:8:9: unknown demo "room" (did you mean "rooms"?)`) {
		t.Errorf("error shown: %q", got)
	}
	e2eScreenshot(t, ctx, "live-reload-broken-lesson")

	if err := os.WriteFile(file, []byte(lessonText("One", "Fixed again.")), 0o644); err != nil {
		t.Fatal(err)
	}
	e2eWait(t, ctx, `document.body.textContent.includes("Fixed again.") && !document.querySelector("[data-testid=lesson-error]")`)
}

// writeCourse writes files (slash paths) into a new temp folder.
func writeCourse(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// chapterCourse is a course with lessons before, in and after a chapter whose defaults make its
// lessons drafts unless they say otherwise.
var chapterCourse = map[string]string{
	"01-intro.md": lessonText("Intro", "Start here."),
	"02-basics/chapter.yaml": "title: The basics\nsummary: Events, rooms and namespaces, one at a time.\n" +
		"defaults:\n  draft: true\n  objectives: [Use the chapter's objective]\n",
	"02-basics/01-events.md": "---\ntitle: Events\nsummary: Emit and listen.\ndraft: false\n---\nText.\n",
	"02-basics/02-rooms.md":  "---\ntitle: Rooms\nsummary: Join and leave.\ndraft: false\nobjectives: [Join a room]\n---\nText.\n",
	"02-basics/03-wip.md":    lessonText("Work in progress", "Inherits draft: true."),
	"03-outro.md":            lessonText("Outro", "The end."),
}

// TestHomeChapters: the home page lists lessons outside chapters as before and each chapter as a
// section with its title and summary, numbering the lessons through the whole course (the lesson
// pages' "n of N" agrees); a chapter's draft default hides the lessons that do not override it.
func TestHomeChapters(t *testing.T) {
	type item struct{ Group, Number, Title string }
	tests := []struct {
		name     string
		drafts   bool
		want     []item
		start    []string // the start= of each list ("" for 1)
		summary  string
		position map[string]string // slug → its page's "Lesson n of N"
	}{
		{"published", false, []item{
			{"", "Lesson 1", "Intro"},
			{"The basics", "Lesson 2", "Events"},
			{"The basics", "Lesson 3", "Rooms"},
			{"", "Lesson 4", "Outro"},
		}, []string{"", "2", "4"}, "Events, rooms and namespaces, one at a time.",
			map[string]string{"intro": "Lesson 1 of 4", "rooms": "Lesson 3 of 4", "outro": "Lesson 4 of 4"}},
		{"with drafts", true, []item{
			{"", "Lesson 1", "Intro"},
			{"The basics", "Lesson 2", "Events"},
			{"The basics", "Lesson 3", "Rooms"},
			{"The basics", "Lesson 4", "Work in progress"},
			{"", "Lesson 5", "Outro"},
		}, []string{"", "2", "5"}, "Events, rooms and namespaces, one at a time.",
			map[string]string{"wip": "Lesson 4 of 5", "outro": "Lesson 5 of 5"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeCourse(t, chapterCourse)
			a, err := New(slog.New(slog.DiscardHandler), Config{LessonDir: dir, Drafts: tt.drafts, Origins: []string{"http://127.0.0.1"}})
			if err != nil {
				t.Fatalf("newApp: %v", err)
			}
			srv := httptest.NewServer(a.Handler())
			t.Cleanup(func() { srv.Close(); a.Close() })

			doc := getDoc(t, srv.URL+"/")
			var got []item
			doc.Find("[data-testid=lesson-item]").Each(func(_ int, s *goquery.Selection) {
				got = append(got, item{
					Group:  s.Closest("[data-testid=chapter]").Find("[data-testid=chapter-title]").Text(),
					Number: s.Find("[data-testid=lesson-number]").Text(),
					Title:  s.Find("[data-testid=lesson-title]").Text(),
				})
			})
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("home page lessons (-want +got):\n%s", d)
			}
			var starts []string
			doc.Find("[data-testid=lesson-list]").Each(func(_ int, s *goquery.Selection) {
				starts = append(starts, s.AttrOr("start", ""))
			})
			if d := cmp.Diff(tt.start, starts); d != "" {
				t.Errorf("lists' start= (-want +got):\n%s", d)
			}
			ch := doc.Find("[data-testid=chapter]")
			if ch.Length() != 1 {
				t.Fatalf("got %d chapter sections, want 1", ch.Length())
			}
			if got := ch.Find("[data-testid=chapter-summary]").Text(); got != tt.summary {
				t.Errorf("chapter summary: got %q, want %q", got, tt.summary)
			}
			title := ch.Find("[data-testid=chapter-title]")
			if id, _ := title.Attr("id"); id == "" || ch.AttrOr("aria-labelledby", "") != id || ch.Find("ol").AttrOr("aria-labelledby", "") != id {
				t.Errorf("the chapter section and its list are not labelled by its heading (id %q)", id)
			}
			for slug, want := range tt.position {
				if got := getDoc(t, srv.URL+"/lessons/"+slug).Find("[data-testid=lesson-position]").Text(); got != want {
					t.Errorf("/lessons/%s: got %q, want %q", slug, got, want)
				}
			}
		})
	}
}

func getDoc(t *testing.T, url string) *goquery.Document {
	t.Helper()
	code, body := getPage(t, url)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d", url, code)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestLessonImages serves a folder lesson's images at the URLs its rendered page uses (the body's
// and a quiz's, a chapter lesson's, one in a shared folder), SVG sandboxed; everything that is not
// an image of the lessons folder is a 404: other files, folders, hidden names, traversal, and a
// symbolic link out of the folder.
func TestLessonImages(t *testing.T) {
	png := "\x89PNG\r\n\x1a\nnot really"
	svg := `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`
	dir := writeCourse(t, map[string]string{
		"01-pics/index.md": lessonText("Pics", "![diagram](diagram.png)\n\n![logo](../shared/logo.svg)\n\n"+
			"```quiz\n- question: Which?\n  choices:\n    - {text: a, correct: true, explain: \"![big](img/big.JPG)\"}\n    - {text: b, explain: no}\n```"),
		"01-pics/diagram.png":        png,
		"01-pics/img/big.JPG":        "jpeg bytes",
		"01-pics/notes.txt":          "secret notes",
		"01-pics/.hidden.png":        png,
		"01-pics/_private/x.png":     png,
		"01-pics/folder.png/a.png":   png,
		"shared/logo.svg":            svg,
		"02-basics/chapter.yaml":     "title: Basics\n",
		"02-basics/01-rooms.md":      lessonText("Rooms", "![rooms](rooms.gif)"),
		"02-basics/rooms.gif":        "GIF89a",
		"02-basics/page.html":        "<script>alert(1)</script>",
		"02-basics/renamed.svg.html": "<script>alert(1)</script>",
	})
	outside := filepath.Join(t.TempDir(), "outside.png")
	if err := os.WriteFile(outside, []byte("OUTSIDE THE FOLDER"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "01-pics", "link.png")); err != nil {
		t.Fatal(err)
	}
	a, err := New(slog.New(slog.DiscardHandler), Config{LessonDir: dir, Origins: []string{"http://127.0.0.1"}})
	if err != nil {
		t.Fatalf("newApp: %v", err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(func() { srv.Close(); a.Close() })

	// The pages use the served URLs.
	var srcs []string
	for _, slug := range []string{"pics", "rooms"} {
		getDoc(t, srv.URL+"/lessons/"+slug).Find("main img").Each(func(_ int, s *goquery.Selection) {
			src, version, _ := strings.Cut(s.AttrOr("src", ""), "?")
			if !regexp.MustCompile(`^v=[0-9a-z]+$`).MatchString(version) {
				t.Errorf("image %s: got query %q, want the file's version v=...", src, version)
			}
			srcs = append(srcs, src)
		})
	}
	wantSrcs := []string{"/lesson-files/01-pics/diagram.png", "/lesson-files/shared/logo.svg", "/lesson-files/01-pics/img/big.JPG", "/lesson-files/02-basics/rooms.gif"}
	if d := cmp.Diff(wantSrcs, srcs); d != "" {
		t.Errorf("image URLs in the pages (-want +got):\n%s", d)
	}

	served := []struct{ path, ctype, body string }{
		{"/lesson-files/01-pics/diagram.png", "image/png", png},
		{"/lesson-files/shared/logo.svg", "image/svg+xml", svg},
		{"/lesson-files/01-pics/img/big.JPG", "image/jpeg", "jpeg bytes"},
		{"/lesson-files/02-basics/rooms.gif", "image/gif", "GIF89a"},
	}
	for _, tt := range served {
		t.Run("serves "+tt.path, func(t *testing.T) {
			resp, err := http.Get(srv.URL + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 || string(body) != tt.body {
				t.Fatalf("got %d %q, want 200 %q", resp.StatusCode, body, tt.body)
			}
			h := resp.Header
			if h.Get("Content-Type") != tt.ctype || h.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("got Content-Type %q, nosniff %q; want %q, nosniff", h.Get("Content-Type"), h.Get("X-Content-Type-Options"), tt.ctype)
			}
			csp := h.Get("Content-Security-Policy")
			if isSVG := tt.ctype == "image/svg+xml"; isSVG != strings.HasPrefix(csp, "sandbox;") {
				t.Errorf("got Content-Security-Policy %q: want a sandbox exactly for SVG", csp)
			}
		})
	}

	notServed := []string{
		"/lesson-files/01-pics/notes.txt",
		"/lesson-files/01-pics/index.md",
		"/lesson-files/02-basics/chapter.yaml",
		"/lesson-files/02-basics/page.html",
		"/lesson-files/02-basics/renamed.svg.html",
		"/lesson-files/01-pics/",
		"/lesson-files/01-pics",
		"/lesson-files/",
		"/lesson-files/01-pics/missing.png",
		"/lesson-files/01-pics/.hidden.png",
		"/lesson-files/01-pics/_private/x.png",
		"/lesson-files/01-pics/folder.png",
		"/lesson-files/01-pics/link.png",
		"/lesson-files/01-pics/..%2f..%2fgo.mod.png",
		"/lesson-files/%2e%2e/outside.png",
		"/lesson-files/01-pics/%5c..%5cnotes.png",
		"/lesson-files/../authoring.go",
		"/lesson-files//etc/passwd.png",
	}
	for _, p := range notServed {
		t.Run("404 "+p, func(t *testing.T) {
			resp, err := http.Get(srv.URL + p) // redirects (the mux cleans "..") are followed
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("got %d, want 404", resp.StatusCode)
			}
			for _, leak := range []string{"secret notes", "OUTSIDE THE FOLDER", "<script>alert", "\x89PNG", "module socketlab"} {
				if strings.Contains(string(body), leak) {
					t.Errorf("the response leaks %q", leak)
				}
			}
		})
	}
}

// TestBrowserChaptersAndImages: in a real browser the home page shows the chapter heading and
// summary over its lessons, and a chapter lesson's images (a PNG beside it, an SVG in a shared
// folder) load under the site's CSP from the URLs the page uses.
func TestBrowserChaptersAndImages(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	var pngBuf bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, 40, 20))
	for x := range 40 {
		for y := range 20 {
			img.Set(x, y, color.RGBA{R: 11, G: 92, B: 173, A: 255})
		}
	}
	if err := png.Encode(&pngBuf, img); err != nil {
		t.Fatal(err)
	}
	files := maps.Clone(chapterCourse)
	files["02-basics/01-events.md"] = "---\ntitle: Events\nsummary: Emit and listen.\ndraft: false\n---\n\n![the flow](flow.png)\n\n![logo](../shared/logo.svg)\n"
	files["02-basics/flow.png"] = pngBuf.String()
	files["shared/logo.svg"] = `<svg xmlns="http://www.w3.org/2000/svg" width="30" height="30"><rect width="30" height="30" fill="#1a7f37"/><script>document.title="svg ran"</script></svg>`
	dir := writeCourse(t, files)
	a, err := New(slog.New(slog.DiscardHandler), Config{LessonDir: dir, Origins: []string{"http://127.0.0.1"}})
	if err != nil {
		t.Fatalf("newApp: %v", err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(func() { srv.Close(); a.Close() })

	ctx := browsertest.Browser(t)
	browsertest.Do(t, ctx, "open the home page", chromedp.Navigate(srv.URL+"/"))
	got := browsertest.Eval[[]string](t, ctx, `[...document.querySelectorAll("[data-testid=chapter]")].map(c => {
		const r = c.getBoundingClientRect();
		return c.querySelector("h3").textContent + " | " + c.querySelector("[data-testid=chapter-summary]").textContent + " | " +
			[...c.querySelectorAll("[data-testid=lesson-number]")].map(n => n.textContent).join(", ") + " | " + (r.height > 0);
	})`)
	want := []string{"The basics | Events, rooms and namespaces, one at a time. | Lesson 2, Lesson 3 | true"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("chapters on the home page (-want +got):\n%s", d)
	}
	e2eScreenshot(t, ctx, "home-chapters")

	browsertest.Do(t, ctx, "open the chapter lesson", chromedp.Navigate(srv.URL+"/lessons/events"))
	e2eWait(t, ctx, `[...document.querySelectorAll("main img")].length === 2 && [...document.querySelectorAll("main img")].every(i => i.complete)`)
	sizes := browsertest.Eval[[]string](t, ctx, `[...document.querySelectorAll("main img")].map(i => new URL(i.src).pathname + " " + i.naturalWidth + "x" + i.naturalHeight)`)
	if d := cmp.Diff([]string{"/lesson-files/02-basics/flow.png 40x20", "/lesson-files/shared/logo.svg 30x30"}, sizes); d != "" {
		t.Errorf("images shown (-want +got):\n%s", d)
	}
	// Opened on its own, the SVG is a document whose script must not run (its CSP is a sandbox,
	// TestLessonImages checks the header; this checks the outcome).
	browsertest.Do(t, ctx, "open the SVG", chromedp.Navigate(srv.URL+"/lesson-files/shared/logo.svg"))
	if title := browsertest.Eval[string](t, ctx, `document.title`); title == "svg ran" {
		t.Error("the SVG's script ran")
	}
}

// TestWatchImage: saving an image reloads exactly the lessons that show it (its URL carries the
// file's version), and the page then refers to the new version; other files reload nothing.
func TestWatchImage(t *testing.T) {
	dir, _, srv, events, _ := watchApp(t, map[string]string{
		"01-one.md":   lessonText("One", "![diagram](diagram.png)"),
		"02-two.md":   lessonText("Two", "No images."),
		"diagram.png": "first version",
	})
	src := func() string {
		return getDoc(t, srv.URL+"/lessons/one").Find("main img").AttrOr("src", "")
	}
	before := src()
	tests := []struct {
		name, file, text string
		want             *reloadEvent // nil: no reload
	}{
		{"the image", "diagram.png", "second, longer version", &reloadEvent{Slugs: []string{"one"}}},
		{"an image no lesson shows", "other.png", "unused", nil},
		{"another file", "notes.txt", "notes", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(filepath.Join(dir, tt.file), []byte(tt.text), 0o644); err != nil {
				t.Fatal(err)
			}
			if tt.want != nil {
				wantReload(t, events, *tt.want)
				return
			}
			// The folder is reloaded (nothing tells which file changed) but no page differs.
			select {
			case ev := <-events:
				t.Errorf("got reload event %+v, want none", ev.Value)
			case <-time.After(10 * watchDebounce):
			}
		})
	}
	after := src()
	if p, _, _ := strings.Cut(after, "?"); p != "/lesson-files/diagram.png" || after == before {
		t.Errorf("image URL: before %q, after %q: want the same file, a new version", before, after)
	}
	if code, body := getPage(t, srv.URL+after); code != 200 || body != "second, longer version" {
		t.Errorf("GET %s: got %d %q", after, code, body)
	}
}

// BenchmarkLiveReload is issue 6's live-reload figure (target 300 ms): from just before a save to
// the moment the reloaded page had shown the new text, the later of its first contentful paint
// and the end of its load event, read from the page's own performance timeline on the wall clock
// (so the polling adds nothing), reported as shown-ms (the mean over b.N saves).
func BenchmarkLiveReload(b *testing.B) {
	var long strings.Builder
	for i := range 60 {
		fmt.Fprintf(&long, "Paragraph %d of a long lesson, so that the page scrolls.\n\n", i)
	}
	dir, _, srv, _, _ := watchApp(b, map[string]string{"01-one.md": lessonText("One", long.String()+"Original ending.")})
	file := filepath.Join(dir, "01-one.md")
	ctx := browsertest.Browser(b)
	browsertest.Do(b, ctx, "open the lesson", chromedp.Navigate(srv.URL+"/lessons/one"))
	e2eWait(b, ctx, `"reloadReady" in document.documentElement.dataset`)
	var total float64
	n := 0
	for b.Loop() {
		n++
		text := fmt.Sprintf("Edited on disk, save %d.", n)
		written := float64(time.Now().UnixNano()) / 1e6
		if err := os.WriteFile(file, []byte(lessonText("One", long.String()+text)), 0o644); err != nil {
			b.Fatal(err)
		}
		e2eWait(b, ctx, fmt.Sprintf(`document.body.textContent.includes(%q) && "reloadReady" in document.documentElement.dataset &&
			performance.getEntriesByType("navigation")[0].loadEventEnd > 0`, text))
		shown := browsertest.Eval[float64](b, ctx, `(() => {
			const nav = performance.getEntriesByType("navigation")[0];
			const fcp = performance.getEntriesByName("first-contentful-paint")[0];
			return performance.timeOrigin + Math.max(nav.loadEventEnd, fcp ? fcp.startTime : 0);
		})()`)
		total += shown - written
	}
	b.ReportMetric(total/float64(b.N), "shown-ms")
}

// The guide's exercise example passes check and loads as one exercise.
func TestAuthoringGuideExercise(t *testing.T) {
	doc, err := os.ReadFile("../docs/authoring.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- example-exercise -->\\s*````\n(.*?)\n````").FindSubmatch(doc)
	if m == nil {
		t.Fatal("docs/authoring.md has no ```` block after <!-- example-exercise -->")
	}
	fsys := fstest.MapFS{"01-a.md": {Data: []byte(lessonText("A", "S") + "\n" + string(m[1]) + "\n")}}
	if ds := lessons.Check(fsys, LessonOptions("docs/authoring.md exercise", true)); len(ds) > 0 {
		t.Fatalf("the guide's exercise does not pass check:\n%v", ds)
	}
	idx, err := lessons.Load(fsys, LessonOptions("example", true))
	if err != nil {
		t.Fatal(err)
	}
	l := idx.Lessons()[0]
	if len(l.Exercises) != 1 || l.Exercises[0].Demo != "emit-scopes" || len(l.Exercises[0].HintsHTML) != 1 {
		t.Errorf("the guide's exercise loaded as %+v", l.Exercises)
	}
}

// firstVisibleJS names the first heading or paragraph of the lesson's prose (not of a widget) whose
// top is on screen, and where it is: "text@top".
const firstVisibleJS = `(() => {
  for (const el of document.querySelectorAll(".lesson-body > :is(h2, h3, h4, p)")) {
    const r = el.getBoundingClientRect();
    if (r.top >= 0 && r.top < innerHeight && r.height > 0) return el.textContent.trim().slice(0, 60) + "@" + Math.round(r.top);
  }
  return "";
})()`

// demosLaidOutJS is true once every demo of the page has started (or failed) and two frames have
// been drawn since, so whatever the widgets grew by is laid out.
const demosLaidOutJS = `new Promise((resolve) => {
  const check = () => {
    const demos = [...document.querySelectorAll("section.demo[data-demo]")];
    if (demos.length > 0 && demos.every((d) => "ready" in d.dataset || "failed" in d.dataset) &&
        performance.getEntriesByType("navigation")[0].loadEventEnd > 0) {
      requestAnimationFrame(() => requestAnimationFrame(() => resolve(true)));
    } else setTimeout(check, 20);
  };
  check();
})`

// TestBrowserLiveReloadKeepsPlace reloads a real lesson with several demos (05-rooms.md) scrolled
// to its middle: after the reload, once the demos have rendered above and below, the same heading
// or paragraph is first on screen at the same height.
func TestBrowserLiveReloadKeepsPlace(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	// The real lesson alone (it links to no other): a reload renders one lesson, not ten.
	rooms, err := os.ReadFile("../lessons/05-rooms.md")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"05-rooms.md": string(rooms)}
	dir, _, srv, events, _ := watchApp(t, files)
	ctx := browsertest.Browser(t)
	browsertest.Do(t, ctx, "open the lesson", chromedp.Navigate(srv.URL+"/lessons/rooms"))
	e2eWait(t, ctx, `"reloadReady" in document.documentElement.dataset`)
	if n := browsertest.Eval[int](t, ctx, `document.querySelectorAll("section.demo[data-demo]").length`); n < 2 {
		t.Fatalf("the lesson has %d demos, want several", n)
	}
	browsertest.Eval[bool](t, ctx, demosLaidOutJS, chromedp.EvalAwaitPromise)
	// The middle of the lesson, with a paragraph of prose near the top of the screen (demos fill
	// whole screens).
	browsertest.Eval[float64](t, ctx, `(() => {
		const prose = document.querySelectorAll(".lesson-body > p");
		const mid = prose[Math.floor(prose.length / 2)];
		window.scrollTo({top: mid.getBoundingClientRect().top + scrollY - 150, behavior: "instant"});
		return scrollY;
	})()`)
	before := browsertest.Eval[string](t, ctx, firstVisibleJS)
	if before == "" {
		t.Fatal("no heading or paragraph on screen in the middle of the lesson")
	}

	for n := range 2 {
		text := fmt.Sprintf("Edited on disk, save %d.", n+1)
		if err := os.WriteFile(filepath.Join(dir, "05-rooms.md"), []byte(files["05-rooms.md"]+"\n"+text+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		waitReload(t, events, "rooms")
		e2eWait(t, ctx, fmt.Sprintf(`document.body.textContent.includes(%q) && "reloadReady" in document.documentElement.dataset`, text))
		browsertest.Eval[bool](t, ctx, demosLaidOutJS, chromedp.EvalAwaitPromise)
		if after := browsertest.Eval[string](t, ctx, firstVisibleJS); after != before {
			t.Errorf("save %d: first on screen after the reload is %q, want %q (as before it)", n+1, after, before)
		}
	}
}

// TestWatchPages: under -watch every page shows what the checker finds in its file. A lesson with
// a broken link stays up with the link as a warning above it; a lesson that does not load keeps
// its number and neighbours, shows its errors at line:col with the lines, and offers neither
// "Mark as done" nor "Start a class"; the home page marks it and lists every problem. A broken
// draft stays listed, marked, with -drafts.
func TestWatchPages(t *testing.T) {
	files := map[string]string{
		"01-one.md":   lessonText("One", "See [two](/lessons/tow)."),
		"02-two.md":   lessonText("Two", "```demo room\n```"),
		"03-three.md": lessonText("Three", "Fine."),
		"04-wip.md":   "---\ntitle: Work in progress\nsummary: S.\ndraft: true\nsumary: x\n---\nText.\n",
	}
	_, _, srv, _, _ := watchAppConfig(t, files, Config{Drafts: true})
	text := func(s *goquery.Selection) string { return strings.Join(strings.Fields(s.Text()), " ") }

	one := getDoc(t, srv.URL+"/lessons/one")
	if got := one.Find("[data-testid=lesson-problem]"); got.Length() != 1 || got.AttrOr("data-severity", "") != "warning" ||
		!strings.HasSuffix(text(got.Find("[data-testid=lesson-error]")), `01-one.md:8:11: link "/lessons/tow": no lesson with slug "tow"`) {
		t.Errorf("lesson one: got problems %q (%s), want the broken link as a warning", text(got), got.AttrOr("data-severity", ""))
	}
	if one.Find("[data-testid=lesson-body]").Text() == "" || one.Find("[data-testid=mark-done]").Length() != 1 {
		t.Error("lesson one with a warning is not served whole")
	}

	two := getDoc(t, srv.URL+"/lessons/two")
	for _, c := range []struct{ sel, want string }{
		{"[data-testid=lesson-position]", "Lesson 2 of 4"},
		{"[data-testid=prev] .pager-title", "One"},
		{"[data-testid=next] .pager-title", "Three"},
	} {
		if got := text(two.Find(c.sel)); got != c.want {
			t.Errorf("broken lesson: %s is %q, want %q", c.sel, got, c.want)
		}
	}
	if got := two.Find("[data-testid=lesson-problem]"); got.AttrOr("data-severity", "") != "error" ||
		!strings.HasSuffix(text(got.Find("[data-testid=lesson-error]")), `02-two.md:8:9: unknown demo "room" (did you mean "rooms"?)`) ||
		!strings.Contains(got.Find("[data-testid=lesson-error-lines]").Text(), ">    8 | ```demo room") {
		t.Errorf("broken lesson: got problems %q, want the unknown demo at 8:9 with its line", text(got))
	}
	for _, sel := range []string{"[data-testid=mark-done]", "[data-testid=class-start]", "[data-lesson-end]"} {
		if two.Find(sel).Length() != 0 {
			t.Errorf("broken lesson offers %s", sel)
		}
	}
	if two.Find("article[data-broken]").Length() != 1 {
		t.Error("broken lesson's article is not marked data-broken (site.js would count it as visited)")
	}

	home := getDoc(t, srv.URL+"/")
	var listed []string
	home.Find("[data-testid=lesson-item]").Each(func(_ int, s *goquery.Selection) {
		item := s.AttrOr("data-slug", "")
		if s.Find("[data-testid=broken]").Length() > 0 {
			item += " (broken)"
		}
		listed = append(listed, item)
	})
	if want := []string{"one", "two (broken)", "three", "wip (broken)"}; !slices.Equal(listed, want) {
		t.Errorf("home lists %q, want %q", listed, want)
	}
	var problems []string
	home.Find("[data-testid=course-problems] [data-testid=lesson-error]").Each(func(_ int, s *goquery.Selection) {
		problems = append(problems, text(s))
	})
	if len(problems) != 3 || !strings.HasPrefix(text(home.Find("#problems-heading")), "The lesson checker found 2 errors and 1 warning") {
		t.Errorf("home: %q lists %q, want the 3 problems", text(home.Find("#problems-heading")), problems)
	}
}

// TestWatchChapterClash: a lesson stopped by its chapter.yaml's order shows that error on its page.
func TestWatchChapterClash(t *testing.T) {
	dir := writeCourse(t, map[string]string{
		"01-ch/chapter.yaml": "title: One\norder: 1\n",
		"01-ch/01-a.md":      lessonText("A", "A."),
		"02-ch/chapter.yaml": "title: Two\norder: 1\n",
		"02-ch/01-b.md":      lessonText("B", "B."),
	})
	a, err := New(slog.New(slog.DiscardHandler), Config{LessonDir: dir, Watch: true, Origins: []string{"http://127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(func() { srv.Close(); a.Close() })
	got := getDoc(t, srv.URL+"/lessons/b").Find("[data-testid=lesson-error]").Text()
	if want := `02-ch/chapter.yaml:2:1: chapter: duplicate order 1 (also 01-ch)`; !strings.HasSuffix(got, want) {
		t.Errorf("lesson b shows %q, want the chapter's %q", got, want)
	}
}
