package lessons

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"go.uber.org/goleak"

	"socketlab/lessons/blocks"
)

// md builds a lesson file from front matter lines and a body.
func md(front, body string) *fstest.MapFile {
	return &fstest.MapFile{Data: []byte("---\n" + front + "---\n" + body)}
}

func TestLoad(t *testing.T) {
	defer goleak.VerifyNone(t) // Load's workers are gone when it returns
	fsys := fstest.MapFS{
		"02-rooms.md":         md("title: Rooms\nsummary: Join and leave.\nobjectives: [Join a room]\n", "## Join\n"),
		"intro.md":            md("title: Intro\nsummary: Start here.\norder: 1\nslug: start\n", "Hi.\n"),
		"03-chapter/index.md": md("title: Chapter\nsummary: A folder lesson.\n", "Text.\n"),
		"03-chapter/notes.md": {Data: []byte("not a lesson")},
		"04-wip.md":           md("title: WIP\nsummary: Not yet.\ndraft: true\n", "Soon.\n"),
		"README.md":           {Data: []byte("# About these files\n")},
		"_template.md":        {Data: []byte("no front matter")},
		"image.png":           {Data: []byte("\x89PNG")},
		"testdata/x.md":       {Data: []byte("ignored")},
	}
	tests := []struct {
		name   string
		drafts bool
		want   []string // slugs in order
	}{
		{"published", false, []string{"start", "rooms", "chapter"}},
		{"with drafts", true, []string{"start", "rooms", "chapter", "wip"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idx, err := Load(fsys, Options{Prefix: "lessons", Drafts: tt.drafts})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for i, l := range idx.Lessons() {
				got = append(got, l.Slug)
				bl, bi, ok := idx.BySlug(l.Slug)
				if !ok || bl != l || bi != i {
					t.Errorf("BySlug(%q): got %p %d %v, want %p %d true", l.Slug, bl, bi, ok, l, i)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if _, i, ok := idx.BySlug("nope"); ok || i != -1 {
				t.Errorf("BySlug(nope): got %d %v, want -1 false", i, ok)
			}
		})
	}
	idx, err := Load(fsys, Options{})
	if err != nil {
		t.Fatal(err)
	}
	l, _, _ := idx.BySlug("chapter")
	if l.File != "03-chapter/index.md" || l.Order != 3 {
		t.Errorf("folder lesson: got %q order %d, want 03-chapter/index.md order 3", l.File, l.Order)
	}
	l, _, _ = idx.BySlug("rooms")
	want := &Lesson{File: "02-rooms.md", Slug: "rooms", Title: "Rooms", Summary: "Join and leave.",
		Objectives: []string{"Join a room"}, Order: 2,
		HTML: "<h2 id=\"join\">Join</h2>\n", TOC: []Heading{{Level: 2, ID: "join", Text: "Join"}}, Anchors: []string{"join"}}
	if d := cmp.Diff(want, l, cmpopts.IgnoreUnexported(Lesson{})); d != "" {
		t.Errorf("rooms (-want +got):\n%s", d)
	}
	// Lessons returns a copy: the index cannot be changed through it.
	idx.Lessons()[0] = nil
	if idx.Lessons()[0] == nil {
		t.Error("Lessons() exposes the index's slice")
	}
}

func TestLoadErrors(t *testing.T) {
	defer goleak.VerifyNone(t)
	ok := "title: T\nsummary: S\n"
	quiz := "```quiz\n- question: q\n  choices:\n    - {text: a, explain: x}\n    - {text: b, explain: y}\n```\n"
	tests := []struct {
		name  string
		files fstest.MapFS
		want  string
	}{
		{"no front matter", fstest.MapFS{"01-a.md": {Data: []byte("# A\n")}},
			"lessons/01-a.md:1: missing front matter: start the file with a --- line, then title: and summary:"},
		{"unclosed front matter", fstest.MapFS{"01-a.md": {Data: []byte("---\ntitle: x\n")}},
			"lessons/01-a.md:1: front matter: no closing --- line"},
		{"unknown key", fstest.MapFS{"01-a.md": md(ok+"tittle: x\n", "")},
			`lessons/01-a.md:4: front matter: unknown key "tittle" (did you mean "title"?)`},
		{"missing title and summary", fstest.MapFS{"01-a.md": md("objectives: [x]\n", "")},
			"lessons/01-a.md:1: front matter: \"title\" is required\nlessons/01-a.md:1: front matter: \"summary\" is required"},
		{"empty front matter", fstest.MapFS{"01-a.md": md("", "")},
			"lessons/01-a.md:1: front matter: title and summary are required"},
		{"wrong type", fstest.MapFS{"01-a.md": md(ok+"order: first\n", "")},
			"lessons/01-a.md:4: front matter: cannot unmarshal !!str `first` into int"},
		{"YAML syntax", fstest.MapFS{"01-a.md": md(ok+"objectives:\n\t- x\n", "")},
			"lessons/01-a.md:5: front matter: found character that cannot start any token"},
		{"every front-matter problem, then the body", fstest.MapFS{"01-a.md": md("sumary: S\norder: [1]\n", "\n```demo room\n```\n")},
			"lessons/01-a.md:1: front matter: \"title\" is required\n" +
				"lessons/01-a.md:2: front matter: unknown key \"sumary\" (did you mean \"summary\"?)\n" +
				"lessons/01-a.md:3: front matter: cannot unmarshal !!seq into int\n" +
				"lessons/01-a.md:6: unknown demo \"room\""},
		{"YAML syntax, then the body", fstest.MapFS{"01-a.md": md("title: [\n", "```demo room\n```\n")},
			"lessons/01-a.md:2: front matter: did not find expected node content\nlessons/01-a.md:4: unknown demo \"room\""},
		{"chapter: every problem", fstest.MapFS{"basics/chapter.yaml": {Data: []byte("summary: S\n")}, "basics/01-a.md": md(ok, "")},
			"lessons/basics/chapter.yaml:1: chapter: \"title\" is required\n" +
				"lessons/basics/chapter.yaml:1: chapter: no order: set \"order\" or name the folder NN-basics"},
		{"empty objective", fstest.MapFS{"01-a.md": md(ok+"\nobjectives: [a, '']\n", "")},
			"lessons/01-a.md:5: front matter: objectives item 2 is empty"},
		{"no order", fstest.MapFS{"intro.md": md(ok, "")},
			`lessons/intro.md:1: no order: set "order" in the front matter or name the file NN-intro.md`},
		{"bad order", fstest.MapFS{"01-a.md": md(ok+"order: 0\n", "")},
			"lessons/01-a.md:4: order must be 1 or more, got 0"},
		{"bad slug", fstest.MapFS{"01-a.md": md(ok+"slug: Hello World\n", "")},
			`lessons/01-a.md:4: invalid slug "Hello World" (want lower-case letters, digits and single dashes)`},
		{"duplicate order", fstest.MapFS{"01-a.md": md(ok, ""), "b.md": md(ok+"order: 1\n", "")},
			"lessons/b.md:4: duplicate order 1 (also 01-a.md)"},
		{"duplicate slug", fstest.MapFS{"01-a.md": md(ok, ""), "02-b.md": md(ok+"slug: a\n", "")},
			`lessons/02-b.md:4: duplicate slug "a" (also 01-a.md)`},
		{"block error at its file line", fstest.MapFS{"01-a.md": md(ok, "\nIntro.\n\n"+quiz)},
			"lessons/01-a.md:9: quiz question 1: exactly one choice must be correct, got 0 (set multiple: true for several)"},
		{"unknown demo", fstest.MapFS{"01-a.md": md(ok, "# A\n\n```demo room\n```\n")},
			`lessons/01-a.md:7: unknown demo "room"`},
		{"demo YAML line", fstest.MapFS{"01-a.md": md(ok, "```demo chat\nclients: [A]\n  x: 1\n```\n")},
			`lessons/01-a.md:7: demo "chat": invalid YAML: did not find expected key`},
		{"errors from several files", fstest.MapFS{"01-a.md": md("title: T\n", ""), "02-b.md": md(ok, "```demo\n```\n")},
			"lessons/01-a.md:1: front matter: \"summary\" is required\nlessons/02-b.md:5: demo: missing name (write ```demo NAME)"},
		{"over the size cap", fstest.MapFS{"01-big.md": {Data: []byte(strings.Repeat("x", 10<<20))}},
			"lessons/01-big.md:1: file is 10485760 bytes, over the 262144-byte limit for a lesson"},
		{"paragraph cap", fstest.MapFS{"01-a.md": md(ok, "Intro.\n\n"+strings.Repeat("word ", 3500)+"\n")},
			"lessons/01-a.md:7: paragraph over 16384 bytes (split it with blank lines)"},
		{"bracket cap", fstest.MapFS{"01-a.md": md(ok, "x\n"+strings.Repeat("[a] ", 257)+"\n\nok\n")},
			"lessons/01-a.md:5: paragraph with over 256 '[' (split it)"},
		{"nesting", fstest.MapFS{"01-a.md": md(ok, nestedList(20))},
			"lessons/01-a.md:21: block quotes and lists nested deeper than 16 levels"},
		{"render hook panic", fstest.MapFS{"01-a.md": md(ok, "```demo panic\n```\n"), "02-b.md": md(ok, "")},
			"lessons/01-a.md:1: internal error loading the lesson: kaboom"},
		{"render hook error", fstest.MapFS{"01-a.md": md(ok, "\n```demo fail\n```\n")},
			`lessons/01-a.md:6: rendering demo "fail": boom`},
	}
	opts := Options{Prefix: "lessons", Blocks: blocks.Options{
		ValidateDemo: func(name string, _ json.RawMessage) error {
			if name == "room" {
				return fmt.Errorf("unknown demo %q", name)
			}
			return nil
		},
		RenderDemo: func(_ context.Context, w io.Writer, d blocks.Demo) error {
			switch d.Name {
			case "fail":
				return errors.New("boom")
			case "panic":
				panic("kaboom")
			}
			return blocks.DefaultDemo(context.Background(), w, d)
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idx, err := Load(tt.files, opts)
			if err == nil {
				t.Fatalf("got %d lessons and no error, want %q", len(idx.Lessons()), tt.want)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			var le *Error
			if !errors.As(err, &le) {
				t.Errorf("got %T, want a *lessons.Error inside", err)
			}
		})
	}
}

func TestRender(t *testing.T) {
	body := `
# Title in the body

Intro with [a link](/lessons/rooms#join "t") and <https://socket.io>.

## Emit to a room

![diagram](rooms.svg)

` + "```js\nsocket.to(\"lobby\").emit(\"hi\");\n```\n" + `
### No language & more

` + "```\nplain <b>\n```\n" + `
    indented <i>

` + "```nosuchlang\nx \"y\"\n```\n" +
		"```quiz\n- question: See [rooms](/lessons/rooms)\n  choices:\n    - {text: a, correct: true, explain: ok}\n    - {text: b, explain: \"![x](b.png)\"}\n```\n" + `
## Emit to a room
`
	idx, err := Load(fstest.MapFS{"01-a.md": md("title: T\nsummary: S\n", body)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	l := idx.Lessons()[0]
	wantHTML := `<h1 id="title-in-the-body">Title in the body</h1>
<p>Intro with <a href="/lessons/rooms#join" title="t">a link</a> and <a href="https://socket.io">https://socket.io</a>.</p>
<h2 id="emit-to-a-room">Emit to a room</h2>
<p><img src="/lesson-files/rooms.svg" alt="diagram"></p>
<div class="code" data-copy data-lang="js"><pre class="chroma"><code><span class="line"><span class="cl"><span class="nx">socket</span><span class="p">.</span><span class="nx">to</span><span class="p">(</span><span class="s2">&#34;lobby&#34;</span><span class="p">).</span><span class="nx">emit</span><span class="p">(</span><span class="s2">&#34;hi&#34;</span><span class="p">);</span>
</span></span></code></pre></div>
<h3 id="no-language--more">No language &amp; more</h3>
<div class="code" data-copy><pre><code>plain &lt;b&gt;
</code></pre></div>
<div class="code" data-copy><pre><code>indented &lt;i&gt;
</code></pre></div>
<div class="code" data-copy data-lang="nosuchlang"><pre><code class="language-nosuchlang">x &#34;y&#34;
</code></pre></div>
<div class="quiz" data-quiz="quiz-1">
<fieldset class="quiz-question" data-question="quiz-1-q1">
<legend>See <a href="/lessons/rooms">rooms</a></legend>
<label class="quiz-choice"><input type="radio" name="quiz-1-q1" value="quiz-1-q1-c1" data-correct> a</label>
<div class="quiz-explain" data-explains="quiz-1-q1-c1" hidden>ok</div>
<label class="quiz-choice"><input type="radio" name="quiz-1-q1" value="quiz-1-q1-c2"> b</label>
<div class="quiz-explain" data-explains="quiz-1-q1-c2" hidden><img src="/lesson-files/b.png" alt="x"></div>
</fieldset>
</div>
<h2 id="emit-to-a-room-1">Emit to a room</h2>
`
	if l.HTML != wantHTML {
		t.Errorf("HTML:\n%s", cmp.Diff(wantHTML, l.HTML))
	}
	wantTOC := []Heading{
		{Level: 2, ID: "emit-to-a-room", Text: "Emit to a room"},
		{Level: 3, ID: "no-language--more", Text: "No language & more"},
		{Level: 2, ID: "emit-to-a-room-1", Text: "Emit to a room"},
	}
	if d := cmp.Diff(wantTOC, l.TOC); d != "" {
		t.Errorf("TOC (-want +got):\n%s", d)
	}
	wantLinks := []Link{{Href: "/lessons/rooms#join", Line: 8}, {Href: "https://socket.io", Line: 8}, {Href: "/lessons/rooms", Line: 30}}
	if d := cmp.Diff(wantLinks, l.Links); d != "" {
		t.Errorf("Links (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]Link{{Href: "rooms.svg", Line: 12}, {Href: "b.png", Line: 33}}, l.Images); d != "" {
		t.Errorf("Images (-want +got):\n%s", d)
	}
	if strings.Contains(l.HTML, "style=") {
		t.Errorf("inline style in the output (breaks the CSP): %q", l.HTML)
	}
}

func TestHeadingIDs(t *testing.T) {
	body := "## Demo 1\n\n```demo chat\n```\n\n## Quiz 2\n\n## Main content\n\n## Main content\n"
	idx, err := Load(fstest.MapFS{"01-a.md": md("title: T\nsummary: S\n", body)}, Options{ReservedIDs: []string{"main-content"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range idx.Lessons()[0].TOC {
		got = append(got, h.ID)
	}
	want := []string{"demo-1-1", "quiz-2-1", "main-content-1", "main-content-2"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestHighlightCSS(t *testing.T) {
	for _, style := range []string{LightStyle, DarkStyle} {
		t.Run(style, func(t *testing.T) {
			css, err := HighlightCSS(style)
			if err != nil {
				t.Fatal(err)
			}
			for _, sel := range []string{".chroma {", ".chroma .k {", ".chroma .s2 {"} {
				if !strings.Contains(css, sel) {
					t.Errorf("got %q, want a rule for %q", css, sel)
				}
			}
		})
	}
	if _, err := HighlightCSS("no-such-style"); err == nil {
		t.Error("unknown style: got no error")
	}
}
