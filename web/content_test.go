package web

import (
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"socketlab/lessons"
)

// TestContent checks the real embedded course: every lesson loads with its demos validated, has
// what issue 5 asks of a lesson (lessonShape), and every internal link and heading anchor resolves.
func TestContent(t *testing.T) {
	idx, err := LoadLessons("", true)
	if err != nil {
		t.Fatalf("the embedded course does not load:\n%v", err)
	}
	all := idx.Lessons()
	if len(all) == 0 {
		t.Fatal("no lessons")
	}
	anchors := map[string]map[string]bool{}
	for _, l := range all {
		ids := map[string]bool{}
		for _, h := range l.TOC {
			ids[h.ID] = true
		}
		anchors[l.Slug] = ids
	}
	for _, l := range all {
		t.Run(l.Slug, func(t *testing.T) {
			src, err := fs.ReadFile(lessons.Content, l.File)
			if err != nil {
				t.Fatalf("%s: %v", l.File, err)
			}
			for _, p := range lessonShape(l, src) {
				t.Errorf("%s: %s", l.File, p)
			}
			for _, link := range append(append([]lessons.Link{}, l.Links...), l.Images...) {
				u, err := url.Parse(link.Href)
				if err != nil {
					t.Errorf("%s:%d: bad link %q: %v", l.File, link.Line, link.Href, err)
					continue
				}
				if u.Scheme != "" || u.Host != "" {
					continue // external: not checked offline
				}
				slug := l.Slug
				switch {
				case u.Path == "":
				case strings.HasPrefix(u.Path, "/lessons/"):
					slug = strings.TrimPrefix(u.Path, "/lessons/")
				case u.Path == "/" || u.Path == "/playground":
					continue
				default:
					t.Errorf("%s:%d: link %q points outside the lessons (use /lessons/SLUG)", l.File, link.Line, link.Href)
					continue
				}
				ids, ok := anchors[path.Clean(slug)]
				if !ok {
					t.Errorf("%s:%d: link %q: no lesson %q", l.File, link.Line, link.Href, slug)
					continue
				}
				if u.Fragment != "" && !ids[u.Fragment] && !strings.HasPrefix(u.Fragment, "demo-") && !strings.HasPrefix(u.Fragment, "quiz-") {
					t.Errorf("%s:%d: link %q: lesson %q has no heading #%s", l.File, link.Line, link.Href, slug, u.Fragment)
				}
			}
		})
	}
}

// lessonShape lists what a lesson lacks of what every lesson must have: objectives, the reading
// questions it answers, a live demo, a quiz of two to five questions, and code on both sides in
// JavaScript (```js) and in Go (```go). src is the lesson's Markdown.
func lessonShape(l *lessons.Lesson, src []byte) []string {
	var problems []string
	if len(l.Objectives) == 0 {
		problems = append(problems, "no objectives in the front matter")
	}
	if len(l.Questions) == 0 {
		problems = append(problems, "no reading questions (questions:) in the front matter")
	}
	if len(l.Demos) == 0 {
		problems = append(problems, "no live demo")
	}
	questions := 0
	for _, q := range l.Quizzes {
		questions += len(q.Questions)
	}
	switch {
	case len(l.Quizzes) == 0:
		problems = append(problems, "no quiz")
	case questions < 2 || questions > 5:
		problems = append(problems, fmt.Sprintf("the quiz has %d questions, want 2 to 5", questions))
	}
	langs := map[string]bool{}
	for _, f := range fences(src) {
		if strings.TrimSpace(f.Code) != "" {
			langs[f.lang()] = true
		}
	}
	if !langs["js"] && !langs["javascript"] {
		problems = append(problems, "no JavaScript code (```js)")
	}
	if !langs["go"] {
		problems = append(problems, "no Go code (```go)")
	}
	return problems
}

// TestLessonShape proves lessonShape fails a lesson for each thing it lacks.
func TestLessonShape(t *testing.T) {
	const head = "---\ntitle: T\nsummary: S.\nobjectives: [Learn]\nquestions: [Why]\n---\n\n"
	const demo = "```demo chat\n```\n\n"
	quiz := func(n int) string {
		var b strings.Builder
		b.WriteString("```quiz\n")
		for i := range n {
			fmt.Fprintf(&b, "- question: Question %d\n  choices:\n    - text: Yes\n      correct: true\n      explain: Because.\n    - text: No\n      explain: Not so.\n", i+1)
		}
		b.WriteString("```\n\n")
		return b.String()
	}
	const js = "```js\nio.on(\"connection\", () => {});\n```\n\n"
	const goCode = "```go\nio.OnConnection(func(s *socketio.Socket) {})\n```\n\n"
	tests := []struct {
		name, src string
		want      []string
	}{
		{"complete", head + demo + quiz(2) + js + goCode, nil},
		{"five questions", head + demo + quiz(5) + js + goCode, nil},
		{"no objectives", strings.Replace(head, "objectives: [Learn]\n", "", 1) + demo + quiz(2) + js + goCode, []string{"no objectives in the front matter"}},
		{"no reading questions", strings.Replace(head, "questions: [Why]\n", "", 1) + demo + quiz(2) + js + goCode, []string{"no reading questions (questions:) in the front matter"}},
		{"no demo", head + quiz(2) + js + goCode, []string{"no live demo"}},
		{"no quiz", head + demo + js + goCode, []string{"no quiz"}},
		{"one question", head + demo + quiz(1) + js + goCode, []string{"the quiz has 1 questions, want 2 to 5"}},
		{"six questions", head + demo + quiz(6) + js + goCode, []string{"the quiz has 6 questions, want 2 to 5"}},
		{"no JavaScript", head + demo + quiz(2) + goCode, []string{"no JavaScript code (```js)"}},
		{"no Go", head + demo + quiz(2) + js, []string{"no Go code (```go)"}},
		{"Go only in prose", head + demo + quiz(2) + js + "Call `io.OnConnection` in Go.\n", []string{"no Go code (```go)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "01-t.md"), []byte(tt.src), 0o644); err != nil {
				t.Fatal(err)
			}
			idx, err := LoadLessons(dir, true)
			if err != nil {
				t.Fatalf("the test lesson does not load: %v", err)
			}
			got := lessonShape(idx.Lessons()[0], []byte(tt.src))
			if !slices.Equal(got, tt.want) {
				t.Errorf("lessonShape = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestReadingQuestionsRendered: the reading questions at the top of each real lesson page show
// their inline Markdown rendered (code, emphasis), never as raw backticks or asterisks.
func TestReadingQuestionsRendered(t *testing.T) {
	_, srv := newTestApp(t)
	idx, err := LoadLessons("", false)
	if err != nil {
		t.Fatalf("the embedded course does not load:\n%v", err)
	}
	tests := []struct {
		slug       string
		code, em   []string // text of the <code> and <em> elements the questions must contain
		wantPrefix string   // start of the first question as the student reads it
	}{
		{slug: "emit-and-broadcast", code: []string{"io.emit()"}, em: []string{"except"},
			wantPrefix: "io.emit() sends an event to everyone."},
	}
	checked := map[string]bool{}
	for _, tt := range tests {
		checked[tt.slug] = true
	}
	for _, l := range idx.Lessons() {
		if !checked[l.Slug] {
			tests = append(tests, struct {
				slug       string
				code, em   []string
				wantPrefix string
			}{slug: l.Slug})
		}
	}
	for _, tt := range tests {
		t.Run(tt.slug, func(t *testing.T) {
			resp, body := get(t, srv.URL+"/lessons/"+tt.slug)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET /lessons/%s: %s", tt.slug, resp.Status)
			}
			doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
			if err != nil {
				t.Fatalf("parsing the page: %v", err)
			}
			items := doc.Find(`[data-testid="reading-questions"] li`)
			if items.Length() == 0 {
				t.Fatal("no reading questions on the page")
			}
			items.Each(func(i int, li *goquery.Selection) {
				if text := li.Text(); strings.ContainsAny(text, "`*") {
					t.Errorf("question %d shows raw Markdown: %q", i+1, text)
				}
			})
			texts := func(sel string) []string {
				return doc.Find(`[data-testid="reading-questions"] ` + sel).Map(func(_ int, s *goquery.Selection) string { return s.Text() })
			}
			for _, want := range tt.code {
				if !slices.Contains(texts("code"), want) {
					t.Errorf("no <code>%s</code> in the reading questions (got %q)", want, texts("code"))
				}
			}
			for _, want := range tt.em {
				if !slices.Contains(texts("em"), want) {
					t.Errorf("no <em>%s</em> in the reading questions (got %q)", want, texts("em"))
				}
			}
			if first := strings.TrimSpace(items.First().Text()); !strings.HasPrefix(first, tt.wantPrefix) {
				t.Errorf("first question reads %q, want it to start %q", first, tt.wantPrefix)
			}
			if n := doc.Find(`[data-testid="reading-questions"] script, [data-testid="reading-questions"] li p, [data-testid="reading-questions"] li div`).Length(); n != 0 {
				t.Errorf("%d unexpected elements in the reading questions", n)
			}
		})
	}
}
