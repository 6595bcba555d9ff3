package templates

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
	"github.com/google/go-cmp/cmp"
)

const xss = `<script>alert("x")</script>`

var testSite = Site{
	CSS:  []string{"/static/css/site.11111111.css", "/static/css/chroma.22222222.css"},
	JS:   []string{"/static/js/site.33333333.js"},
	Name: "Socket Lab",
}

// render renders c with a CSP nonce in the context and parses the result.
func render(t *testing.T, c templ.Component) (*goquery.Document, string) {
	t.Helper()
	return renderCtx(t, templ.WithNonce(context.Background(), "n0nce"), c)
}

func renderCtx(t *testing.T, ctx context.Context, c templ.Component) (*goquery.Document, string) {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(ctx, &buf); err != nil {
		t.Fatalf("render: %v", err)
	}
	html := buf.String()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(html))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return doc, html
}

func texts(sel *goquery.Selection) []string {
	var out []string
	sel.Each(func(_ int, s *goquery.Selection) { out = append(out, strings.Join(strings.Fields(s.Text()), " ")) })
	return out
}

func attrs(sel *goquery.Selection, name string) []string {
	var out []string
	sel.Each(func(_ int, s *goquery.Selection) { out = append(out, s.AttrOr(name, "(none)")) })
	return out
}

func testid(doc *goquery.Document, id string) *goquery.Selection {
	return doc.Find(`[data-testid="` + id + `"]`)
}

var lessonsList = []LessonLink{
	{Slug: "intro", Title: "Why Socket.IO", Summary: "Polling versus push.", Number: 1},
	{Slug: "emit", Title: "Emitting events", Summary: "Events and payloads.", Number: 2},
	{Slug: "rooms", Title: "Rooms", Summary: "Grouping sockets.", Number: 3, Draft: true},
}

func sampleQuiz() QuizView {
	return QuizView{ID: "q1", Questions: []QuestionView{
		{ID: "a", PromptHTML: "Which call reaches <code>everyone</code>?", Choices: []ChoiceView{
			{ID: "1", TextHTML: "<code>io.emit</code>", ExplanationHTML: "<p>All clients.</p>", Correct: true},
			{ID: "2", TextHTML: "<code>socket.emit</code>", ExplanationHTML: "<p>Only this one.</p>"},
		}},
		{ID: "b", PromptHTML: "Pick the transports", Multiple: true, Choices: []ChoiceView{
			{ID: "1", TextHTML: "polling", Correct: true},
			{ID: "2", TextHTML: "websocket", Correct: true},
			{ID: "3", TextHTML: "carrier pigeon", ExplanationHTML: "Too slow."},
		}},
	}}
}

func sampleLesson() LessonView {
	return LessonView{
		Site: testSite, Slug: "emit", Title: "Emitting events", Summary: "Events and payloads.",
		Objectives: []string{"Emit an event", "Send an ack"},
		Questions:  []string{"What is an event?", "Who receives it?"},
		Number:     2, Total: 3,
		Prev: &lessonsList[0], Next: &lessonsList[2],
		TOC:  []TOCItem{{Level: 2, ID: "events", Text: "Events"}, {Level: 3, ID: "acks", Text: "Acks"}},
		Body: `<h2 id="events">Events</h2><p>Body <em>text</em></p><h3 id="acks">Acks</h3>`,
	}
}

func TestHomePage(t *testing.T) {
	tests := []struct {
		name       string
		lessons    []LessonLink
		wantTitles []string
		wantNums   []string
		wantSlugs  []string
		wantDrafts int
	}{
		{
			name: "three lessons in order", lessons: lessonsList,
			wantTitles: []string{"Why Socket.IO", "Emitting events", "Rooms"},
			wantNums:   []string{"Lesson 1", "Lesson 2", "Lesson 3"},
			wantSlugs:  []string{"intro", "emit", "rooms"},
			wantDrafts: 1,
		},
		{name: "no lessons"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, _ := render(t, HomePage(HomeView{Site: testSite, Lessons: tt.lessons}))
			items := testid(doc, "lesson-item")
			if diff := cmp.Diff(tt.wantTitles, texts(items.Find(`[data-testid="lesson-title"]`))); diff != "" {
				t.Errorf("titles (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantNums, texts(items.Find(`[data-testid="lesson-number"]`))); diff != "" {
				t.Errorf("numbers (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantSlugs, attrs(items.Find("[data-progress]"), "data-progress")); diff != "" {
				t.Errorf("progress slugs (-want +got):\n%s", diff)
			}
			var wantHrefs []string
			for _, s := range tt.wantSlugs {
				wantHrefs = append(wantHrefs, "/lessons/"+s)
			}
			if diff := cmp.Diff(wantHrefs, attrs(items.Find("a.lesson-link"), "href")); diff != "" {
				t.Errorf("links (-want +got):\n%s", diff)
			}
			if got := testid(doc, "draft").Length(); got != tt.wantDrafts {
				t.Errorf("draft badges: got %d, want %d", got, tt.wantDrafts)
			}
			// Progress marks say it in text, not only colour.
			testid(doc, "progress").Each(func(i int, s *goquery.Selection) {
				if got, want := strings.TrimSpace(s.Find(".progress-text").Text()), "Not started"; got != want {
					t.Errorf("progress %d: got %q, want %q", i, got, want)
				}
			})
			if len(tt.lessons) == 0 && testid(doc, "no-lessons").Length() != 1 {
				t.Errorf("empty course: no 'No lessons yet' message")
			}
			resume := testid(doc, "resume")
			if resume.Length() != 1 {
				t.Fatalf("resume link: got %d, want 1", resume.Length())
			}
			if _, hidden := resume.Parent().Attr("hidden"); !hidden {
				t.Errorf("resume link must be hidden until JS knows the last lesson")
			}
		})
	}
}

func TestLessonPage(t *testing.T) {
	first, middle, last := sampleLesson(), sampleLesson(), sampleLesson()
	first.Number, first.Prev = 1, nil
	last.Number, last.Next, last.TOC = 3, nil, nil

	tests := []struct {
		name         string
		view         LessonView
		wantPosition string
		wantPrev     string // href, "" if absent
		wantNext     string
		wantTOC      int
	}{
		{"first", first, "Lesson 1 of 3", "", "/lessons/rooms", 2},
		{"middle", middle, "Lesson 2 of 3", "/lessons/intro", "/lessons/rooms", 2},
		{"last without toc", last, "Lesson 3 of 3", "/lessons/intro", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, _ := render(t, LessonPage(tt.view))
			if got := strings.TrimSpace(testid(doc, "lesson-position").Text()); got != tt.wantPosition {
				t.Errorf("position: got %q, want %q", got, tt.wantPosition)
			}
			if got := doc.Find("h1").Text(); got != "Emitting events" {
				t.Errorf("h1: got %q, want %q", got, "Emitting events")
			}
			if got := doc.Find("title").Text(); got != "Emitting events · Socket Lab" {
				t.Errorf("title: got %q", got)
			}
			for _, link := range []struct{ rel, testid, want, title string }{
				{"prev", "prev", tt.wantPrev, "Why Socket.IO"},
				{"next", "next", tt.wantNext, "Rooms"},
			} {
				a := doc.Find(`a[rel="` + link.rel + `"]`)
				if link.want == "" {
					if a.Length() != 0 {
						t.Errorf("rel=%s: got %d links, want none", link.rel, a.Length())
					}
					continue
				}
				if got := a.AttrOr("href", ""); got != link.want {
					t.Errorf("rel=%s href: got %q, want %q", link.rel, got, link.want)
				}
				if got := a.AttrOr("data-testid", ""); got != link.testid {
					t.Errorf("rel=%s testid: got %q, want %q", link.rel, got, link.testid)
				}
				if got := strings.TrimSpace(a.Find(".pager-title").Text()); got != link.title {
					t.Errorf("rel=%s title: got %q, want %q", link.rel, got, link.title)
				}
			}
			toc := doc.Find(`nav[aria-label="On this page"]`)
			if got := toc.Find("a").Length(); got != tt.wantTOC {
				t.Errorf("toc links: got %d, want %d", got, tt.wantTOC)
			}
			toc.Find("a").Each(func(_ int, a *goquery.Selection) {
				id := strings.TrimPrefix(a.AttrOr("href", ""), "#")
				if doc.Find(`[id="`+id+`"]`).Length() != 1 {
					t.Errorf("toc link %q has no target in the page", id)
				}
			})
			skip := testid(doc, "skip-link")
			if got := skip.AttrOr("href", ""); got != "#main-content" || doc.Find("main#main-content").Length() != 1 {
				t.Errorf("skip link: href %q, main#main-content count %d", got, doc.Find("main#main-content").Length())
			}
			if doc.Find("body > *").First().Is(`a[data-testid="skip-link"]`) == false {
				t.Errorf("skip link must be the first element of <body>")
			}
			if got := texts(testid(doc, "reading-questions").Find("li")); !cmp.Equal(got, tt.view.Questions) {
				t.Errorf("reading questions: got %q, want %q", got, tt.view.Questions)
			}
			if testid(doc, "reading-questions").Is("blockquote") == false {
				t.Errorf("reading questions must be a blockquote")
			}
			if got := texts(testid(doc, "objectives").Find("li")); !cmp.Equal(got, tt.view.Objectives) {
				t.Errorf("objectives: got %q, want %q", got, tt.view.Objectives)
			}
			if got := testid(doc, "lesson-body").Find("em").Text(); got != "text" {
				t.Errorf("body HTML not rendered raw: <em> text %q", got)
			}
			if got := doc.Find("article[data-lesson]").AttrOr("data-lesson", ""); got != "emit" {
				t.Errorf("data-lesson: got %q, want %q", got, "emit")
			}
			done := testid(doc, "mark-done")
			if done.Length() != 1 || done.AttrOr("type", "") != "button" {
				t.Errorf("mark-done button missing or not type=button")
			}
			if doc.Find(`[data-done-status][aria-live="polite"]`).Length() != 1 {
				t.Errorf("mark-done status region missing")
			}
		})
	}
}

func TestLayout(t *testing.T) {
	doc, _ := render(t, NotFoundPage(NotFoundView{Site: testSite, Path: "/nope"}))
	if got := doc.Find("html").AttrOr("lang", ""); got != "en" {
		t.Errorf("lang: got %q, want %q", got, "en")
	}
	if got := attrs(doc.Find(`link[rel="stylesheet"]`), "href"); !cmp.Equal(got, testSite.CSS) {
		t.Errorf("stylesheets: got %q, want %q", got, testSite.CSS)
	}
	if got := attrs(doc.Find("script[src]"), "src"); !cmp.Equal(got, testSite.JS) {
		t.Errorf("scripts: got %q, want %q", got, testSite.JS)
	}
	for _, id := range []string{"site-header", "site-footer", "theme-switch", "skip-link"} {
		if testid(doc, id).Length() != 1 {
			t.Errorf("layout lacks %s", id)
		}
	}
	if got := attrs(testid(doc, "theme-switch").Find("option"), "value"); !cmp.Equal(got, []string{"system", "light", "dark"}) {
		t.Errorf("theme options: got %q", got)
	}
	if got := doc.Find(`label[for="theme-select"]`).Length(); got != 1 {
		t.Errorf("theme switch has %d labels, want 1", got)
	}
}

// TestImportMapFirst: the import map that sends module imports to hashed URLs is the first script
// of the page (a map after a module has started loading is ignored), carries the nonce, and is JSON.
func TestImportMapFirst(t *testing.T) {
	site := testSite
	site.ImportMap = map[string]string{"/static/js/sio.js": "/static/js/sio.0123abcd.js"}
	doc, _ := render(t, HomePage(HomeView{Site: site, Lessons: lessonsList}))
	first := doc.Find("script").First()
	if got := first.AttrOr("type", ""); got != "importmap" {
		t.Fatalf("first script type: got %q, want importmap", got)
	}
	if got := first.AttrOr("nonce", ""); got != "n0nce" {
		t.Errorf("import map nonce: got %q, want n0nce", got)
	}
	var m struct{ Imports map[string]string }
	if err := json.Unmarshal([]byte(first.Text()), &m); err != nil || m.Imports["/static/js/sio.js"] != "/static/js/sio.0123abcd.js" {
		t.Errorf("import map %q: got %v (%v)", first.Text(), m.Imports, err)
	}
	if doc.Find(`script[type=importmap]`).Length() != 1 {
		t.Errorf("want exactly one import map")
	}
}

func TestScriptsAreNoncedModules(t *testing.T) {
	pages := map[string]templ.Component{
		"home":     HomePage(HomeView{Site: testSite, Lessons: lessonsList}),
		"lesson":   LessonPage(sampleLesson()),
		"notfound": NotFoundPage(NotFoundView{Site: testSite}),
	}
	tests := []struct {
		name      string
		ctx       context.Context
		wantNonce string // "(none)" when absent
	}{
		{"with nonce", templ.WithNonce(context.Background(), "abc123"), "abc123"},
		{"without nonce", context.Background(), "(none)"},
	}
	for _, tt := range tests {
		for page, c := range pages {
			t.Run(tt.name+"/"+page, func(t *testing.T) {
				doc, _ := renderCtx(t, tt.ctx, c)
				scripts := doc.Find("script")
				if got, want := scripts.Length(), 1+len(testSite.JS); got != want {
					t.Errorf("scripts: got %d, want %d", got, want)
				}
				scripts.Each(func(i int, s *goquery.Selection) {
					if got := s.AttrOr("type", ""); got != "module" {
						t.Errorf("script %d type: got %q, want %q", i, got, "module")
					}
					if got := s.AttrOr("nonce", "(none)"); got != tt.wantNonce {
						t.Errorf("script %d nonce: got %q, want %q", i, got, tt.wantNonce)
					}
				})
			})
		}
	}
}

func TestNotFoundPage(t *testing.T) {
	tests := []struct {
		path     string
		wantPath string
	}{
		{"/lessons/nope", "/lessons/nope"},
		{"/" + xss, "/" + xss},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			doc, _ := render(t, NotFoundPage(NotFoundView{Site: testSite, Path: tt.path}))
			if got := testid(doc, "home-link").AttrOr("href", ""); got != "/" {
				t.Errorf("home link: got %q, want %q", got, "/")
			}
			if got := testid(doc, "not-found-path").Text(); got != tt.wantPath {
				t.Errorf("path: got %q, want %q", got, tt.wantPath)
			}
			if got := doc.Find("h1").Text(); got != "Page not found" {
				t.Errorf("h1: got %q", got)
			}
		})
	}
}

func TestQuiz(t *testing.T) {
	doc, _ := render(t, Quiz(sampleQuiz()))
	form := doc.Find("form[data-quiz]")
	if form.Length() != 1 || form.AttrOr("data-quiz", "") != "q1" {
		t.Fatalf("form[data-quiz=q1]: got %d", form.Length())
	}
	fieldsets := form.Find("fieldset")
	if got := fieldsets.Length(); got != 2 {
		t.Fatalf("fieldsets: got %d, want 2", got)
	}
	tests := []struct {
		question    int
		wantType    string
		wantLegend  string
		wantCorrect []string // data-correct per input
	}{
		{0, "radio", "Which call reaches everyone?", []string{"true", "(none)"}},
		{1, "checkbox", "Pick the transports", []string{"true", "true", "(none)"}},
	}
	for _, tt := range tests {
		t.Run(tt.wantLegend, func(t *testing.T) {
			fs := fieldsets.Eq(tt.question)
			legend := fs.ChildrenFiltered("legend")
			if got := strings.TrimSpace(legend.Text()); legend.Length() != 1 || got != tt.wantLegend {
				t.Errorf("legend: got %q, want %q", got, tt.wantLegend)
			}
			inputs := fs.Find("input")
			for i, typ := range attrs(inputs, "type") {
				if typ != tt.wantType {
					t.Errorf("input %d type: got %q, want %q", i, typ, tt.wantType)
				}
			}
			if got := attrs(inputs, "data-correct"); !cmp.Equal(got, tt.wantCorrect) {
				t.Errorf("data-correct: got %q, want %q", got, tt.wantCorrect)
			}
			names := map[string]bool{}
			inputs.Each(func(i int, in *goquery.Selection) {
				names[in.AttrOr("name", "")] = true
				id := in.AttrOr("id", "")
				if fs.Find(`label[for="`+id+`"]`).Length() != 1 {
					t.Errorf("input %q has no label", id)
				}
			})
			if len(names) != 1 {
				t.Errorf("inputs of one question must share a name, got %v", names)
			}
			fs.Find(`[data-testid="explanation"]`).Each(func(i int, e *goquery.Selection) {
				if _, hidden := e.Attr("hidden"); !hidden {
					t.Errorf("explanation %d is not hidden before checking", i)
				}
			})
		})
	}
	if got := strings.TrimSpace(fieldsets.Eq(0).Find("label").First().Find("code").Text()); got != "io.emit" {
		t.Errorf("choice HTML not rendered: got %q", got)
	}
	if got := testid(doc, "explanation").Length(); got != 5 {
		t.Errorf("explanations: got %d, want one per choice (5)", got)
	}
	result := testid(doc, "quiz-result")
	if result.AttrOr("aria-live", "") != "polite" || result.AttrOr("role", "") != "status" {
		t.Errorf("result region: aria-live %q role %q", result.AttrOr("aria-live", ""), result.AttrOr("role", ""))
	}
	check := testid(doc, "quiz-check")
	if check.AttrOr("type", "") != "submit" || strings.TrimSpace(check.Text()) != "Check" {
		t.Errorf("check button: type %q text %q", check.AttrOr("type", ""), check.Text())
	}
	if doc.Find("script").Length() != 0 {
		t.Errorf("Quiz must not render <script>")
	}
}

func TestDemoWidget(t *testing.T) {
	tests := []struct {
		name   string
		view   DemoView
		wantID string
	}{
		{"rooms", DemoView{ID: "d1", Name: "rooms", ConfigJSON: `{"clients":["A","B"],"title":"` + strings.ReplaceAll(xss, `"`, `\"`) + `"}`}, "sl-d1"},
		{"no id", DemoView{Name: "chat", ConfigJSON: `{}`}, "(none)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, _ := render(t, DemoWidget(tt.view))
			d := doc.Find(".demo[data-demo]")
			if d.Length() != 1 {
				t.Fatalf(".demo[data-demo]: got %d, want 1", d.Length())
			}
			if got := d.AttrOr("data-demo", ""); got != tt.view.Name {
				t.Errorf("data-demo: got %q, want %q", got, tt.view.Name)
			}
			if got := d.AttrOr("id", "(none)"); got != tt.wantID {
				t.Errorf("id: got %q, want %q", got, tt.wantID)
			}
			cfg := d.AttrOr("data-config", "")
			if cfg != tt.view.ConfigJSON || !json.Valid([]byte(cfg)) {
				t.Errorf("data-config: got %q, want %q", cfg, tt.view.ConfigJSON)
			}
			if doc.Find("script").Length() != 0 {
				t.Errorf("DemoWidget must not render <script>")
			}
		})
	}
}

// TestNoInlineStyleOrHandlers: style attributes and on* handlers break the CSP.
func TestNoInlineStyleOrHandlers(t *testing.T) {
	lesson := sampleLesson()
	var body bytes.Buffer
	body.WriteString(lesson.Body)
	if err := Quiz(sampleQuiz()).Render(context.Background(), &body); err != nil {
		t.Fatal(err)
	}
	if err := DemoWidget(DemoView{ID: "d", Name: "chat", ConfigJSON: "{}"}).Render(context.Background(), &body); err != nil {
		t.Fatal(err)
	}
	lesson.Body = body.String()
	components := map[string]templ.Component{
		"home":     HomePage(HomeView{Site: testSite, Lessons: lessonsList}),
		"lesson":   LessonPage(lesson),
		"notfound": NotFoundPage(NotFoundView{Site: testSite, Path: "/x"}),
		"quiz":     Quiz(sampleQuiz()),
		"demo":     DemoWidget(DemoView{ID: "d", Name: "chat", ConfigJSON: "{}"}),
	}
	for name, c := range components {
		t.Run(name, func(t *testing.T) {
			doc, _ := render(t, c)
			doc.Find("*").Each(func(_ int, s *goquery.Selection) {
				for _, a := range s.Nodes[0].Attr {
					if a.Key == "style" || strings.HasPrefix(a.Key, "on") {
						t.Errorf("<%s> has attribute %s=%q", goquery.NodeName(s), a.Key, a.Val)
					}
				}
			})
			if got := doc.Find("style").Length(); got != 0 {
				t.Errorf("got %d <style> elements, want 0", got)
			}
			ids := map[string]int{}
			doc.Find("[id]").Each(func(_ int, s *goquery.Selection) { ids[s.AttrOr("id", "")]++ })
			for id, n := range ids {
				if n > 1 {
					t.Errorf("id %q used %d times", id, n)
				}
			}
		})
	}
}

// TestEscaping: every string from a lesson file is text, never markup
// (only LessonView.Body and the quiz HTML fields are trusted).
func TestEscaping(t *testing.T) {
	evil := LessonLink{Slug: "evil", Title: xss, Summary: xss, Number: 1}
	lesson := LessonView{
		Site: Site{Name: xss, CSS: testSite.CSS, JS: testSite.JS}, Slug: `a"b`, Title: xss, Summary: xss,
		Objectives: []string{xss}, Questions: []string{xss}, Number: 1, Total: 1,
		Prev: &evil, Next: &evil, TOC: []TOCItem{{Level: 2, ID: `x" onclick="y`, Text: xss}},
	}
	tests := []struct {
		name      string
		c         templ.Component
		scripts   int
		wantTexts []string // testids whose text must be exactly xss
	}{
		{"home", HomePage(HomeView{Site: lesson.Site, Lessons: []LessonLink{evil}}), 2, []string{"home-title", "lesson-title", "lesson-summary", "site-name"}},
		{"lesson", LessonPage(lesson), 2, []string{"lesson-title", "lesson-summary", "site-name"}},
		{"notfound", NotFoundPage(NotFoundView{Site: lesson.Site, Path: xss}), 2, []string{"not-found-path"}},
		{"demo", DemoWidget(DemoView{ID: `"><script>`, Name: xss, ConfigJSON: `{"a":"</script>"}`}), 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, html := render(t, tt.c)
			if got := doc.Find("script").Length(); got != tt.scripts {
				t.Errorf("script elements: got %d, want %d", got, tt.scripts)
			}
			if strings.Contains(html, xss) {
				t.Errorf("raw %q found in output", xss)
			}
			for _, id := range tt.wantTexts {
				testid(doc, id).Each(func(_ int, s *goquery.Selection) {
					if got := strings.TrimSpace(s.Text()); got != xss {
						t.Errorf("%s: got %q, want %q", id, got, xss)
					}
				})
			}
			doc.Find("*").Each(func(_ int, s *goquery.Selection) {
				if _, ok := s.Attr("onclick"); ok {
					t.Errorf("attribute injection: <%s onclick>", goquery.NodeName(s))
				}
			})
		})
	}
}

func BenchmarkLessonPage(b *testing.B) {
	v := sampleLesson()
	v.Body = strings.Repeat("<p>Socket.IO keeps one connection open and sends events both ways.</p>", 200)
	ctx := templ.WithNonce(context.Background(), "n0nce")
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := LessonPage(v).Render(ctx, &buf); err != nil {
			b.Fatal(err)
		}
	}
}
