package blocks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/parser"
)

// convert renders src with the extension and returns the HTML and the
// collected errors as "line N: message".
func convert(t testing.TB, opts Options, src string) (string, []string) {
	t.Helper()
	return convertAs(t, opts, src, (*LineError).Error)
}

// convertAs is convert with the errors formatted by format.
func convertAs(t testing.TB, opts Options, src string, format func(*LineError) string) (string, []string) {
	t.Helper()
	md := goldmark.New(goldmark.WithExtensions(New(opts), SafeURLs()))
	pc := parser.NewContext()
	var buf bytes.Buffer
	if err := md.Convert([]byte(src), &buf, parser.WithContext(pc)); err != nil {
		t.Fatalf("Convert: %v", err)
	}
	var errs []string
	for _, e := range Errors(pc) {
		errs = append(errs, format(e))
	}
	return buf.String(), errs
}

func TestDemo(t *testing.T) {
	tests := []struct {
		name, src string
		want      string
	}{
		{
			name: "config as JSON in YAML order",
			src:  "```demo console\nclients: [Ada, Grace]\nrooms: 2\n```\n",
			want: `<div class="demo" data-demo="console" data-demo-id="demo-1" data-config="{&#34;clients&#34;:[&#34;Ada&#34;,&#34;Grace&#34;],&#34;rooms&#34;:2}"></div>` + "\n",
		},
		{
			name: "empty body is {}",
			src:  "```demo chat\n```\n",
			want: `<div class="demo" data-demo="chat" data-demo-id="demo-1" data-config="{}"></div>` + "\n",
		},
		{
			name: "only a comment is {}",
			src:  "```demo chat\n# nothing\n```\n",
			want: `<div class="demo" data-demo="chat" data-demo-id="demo-1" data-config="{}"></div>` + "\n",
		},
		{
			name: "quotes and markup in values are escaped",
			src:  "```demo chat\nnick: \"'\\\"><script>x</script>\"\n```\n",
			want: `<div class="demo" data-demo="chat" data-demo-id="demo-1" data-config="{&#34;nick&#34;:&#34;&#39;\&#34;\u003e\u003cscript\u003ex\u003c/script\u003e&#34;}"></div>` + "\n",
		},
		{
			name: "scalars: bool, null, float, nested",
			src:  "~~~demo acks\na: true\nb: null\nc: 1.5\nd: {e: [1, x]}\nt: 2024-01-02\n~~~\n",
			want: `<div class="demo" data-demo="acks" data-demo-id="demo-1" data-config="{&#34;a&#34;:true,&#34;b&#34;:null,&#34;c&#34;:1.5,&#34;d&#34;:{&#34;e&#34;:[1,&#34;x&#34;]},&#34;t&#34;:&#34;2024-01-02&#34;}"></div>` + "\n",
		},
		{
			name: "ids count per document",
			src:  "```demo chat\n```\n\n```demo rooms\n```\n",
			want: `<div class="demo" data-demo="chat" data-demo-id="demo-1" data-config="{}"></div>` + "\n" +
				`<div class="demo" data-demo="rooms" data-demo-id="demo-2" data-config="{}"></div>` + "\n",
		},
		{
			name: "other languages untouched",
			src:  "```demos\nx\n```\n",
			want: "<pre><code class=\"language-demos\">x\n</code></pre>\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := convert(t, Options{}, tt.src)
			if len(errs) > 0 {
				t.Fatalf("errors: %q", errs)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDemoValidateAndRender(t *testing.T) {
	var got []Demo
	opts := Options{
		ValidateDemo: func(name string, config json.RawMessage) error {
			if name != "console" {
				return fmt.Errorf("unknown demo %q", name)
			}
			return nil
		},
		RenderDemo: func(_ context.Context, w io.Writer, d Demo) error {
			got = append(got, d)
			_, err := fmt.Fprintf(w, "[%s %s]\n", d.ID, d.Config)
			return err
		},
	}
	html, errs := convert(t, opts, "text\n\n```demo console\nclients: [Ada]\n```\n")
	if len(errs) > 0 {
		t.Fatalf("errors: %q", errs)
	}
	if want := "<p>text</p>\n[demo-1 {\"clients\":[\"Ada\"]}]\n"; html != want {
		t.Errorf("got %q, want %q", html, want)
	}
	want := []Demo{{ID: "demo-1", Name: "console", Config: json.RawMessage(`{"clients":["Ada"]}`), Line: 3}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("demos (-want +got):\n%s", d)
	}

	_, errs = convert(t, opts, "# x\n\n```demo room\n```\n")
	if want := []string{`line 3: unknown demo "room"`}; !cmp.Equal(errs, want) {
		t.Errorf("got %q, want %q", errs, want)
	}
}

func TestRenderError(t *testing.T) {
	boom := errors.New("boom")
	md := goldmark.New(goldmark.WithExtensions(New(Options{
		RenderQuiz: func(context.Context, io.Writer, Quiz) error { return boom },
	})))
	err := md.Convert([]byte("a\n\n```quiz\n- question: q\n  choices:\n    - {text: a, correct: true, explain: x}\n    - {text: b, explain: y}\n```\n"), io.Discard)
	var le *LineError
	if !errors.As(err, &le) || le.Line != 3 || !errors.Is(err, boom) {
		t.Fatalf("got %v, want a *LineError at line 3 wrapping boom", err)
	}
}

const quizSrc = "Intro\n\n```quiz\n" + `- question: "Which call reaches everyone **except** the sender?"
  choices:
    - text: "` + "`io.emit`" + `"
      explain: "` + "`io.emit`" + ` reaches every socket, the sender included."
    - text: "` + "`socket.broadcast.emit`" + `"
      correct: true
      explain: "The broadcast flag on the socket leaves the sender out."
  multiple: false
- question: Which are transports?
  multiple: true
  choices:
    - {text: WebSocket, correct: true, explain: Yes.}
    - {text: HTTP long-polling, correct: true, explain: Yes.}
    - {text: "<b>carrier</b> pigeon", explain: "[No](javascript:alert(1))."}
` + "```\n"

func TestQuiz(t *testing.T) {
	var got []Quiz
	opts := Options{RenderQuiz: func(_ context.Context, w io.Writer, q Quiz) error {
		got = append(got, q)
		return nil
	}}
	if _, errs := convert(t, opts, quizSrc); len(errs) > 0 {
		t.Fatalf("errors: %q", errs)
	}
	want := []Quiz{{
		ID:   "quiz-1",
		Line: 3,
		Questions: []Question{
			{
				ID:         "quiz-1-q1",
				PromptHTML: "Which call reaches everyone <strong>except</strong> the sender?",
				Choices: []Choice{
					{ID: "quiz-1-q1-c1", TextHTML: "<code>io.emit</code>", ExplanationHTML: "<code>io.emit</code> reaches every socket, the sender included."},
					{ID: "quiz-1-q1-c2", TextHTML: "<code>socket.broadcast.emit</code>", ExplanationHTML: "The broadcast flag on the socket leaves the sender out.", Correct: true},
				},
			},
			{
				ID:         "quiz-1-q2",
				PromptHTML: "Which are transports?",
				Multiple:   true,
				Choices: []Choice{
					{ID: "quiz-1-q2-c1", TextHTML: "WebSocket", ExplanationHTML: "Yes.", Correct: true},
					{ID: "quiz-1-q2-c2", TextHTML: "HTTP long-polling", ExplanationHTML: "Yes.", Correct: true},
					{ID: "quiz-1-q2-c3", TextHTML: "<!-- raw HTML omitted -->carrier<!-- raw HTML omitted --> pigeon", ExplanationHTML: `<a href="">No</a>.`},
				},
			},
		},
		Links: []Link{{Href: "javascript:alert(1)", Line: 17}},
	}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("quiz (-want +got):\n%s", d)
	}
}

func TestQuizDefaultHTML(t *testing.T) {
	src := "```quiz\n- question: Pick `a`\n  choices:\n    - {text: a, correct: true, explain: \"Right: **a**.\"}\n    - {text: b, explain: \"No.\"}\n```\n"
	want := `<div class="quiz" data-quiz="quiz-1">
<fieldset class="quiz-question" data-question="quiz-1-q1">
<legend>Pick <code>a</code></legend>
<label class="quiz-choice"><input type="radio" name="quiz-1-q1" value="quiz-1-q1-c1" data-correct> a</label>
<div class="quiz-explain" data-explains="quiz-1-q1-c1" hidden>Right: <strong>a</strong>.</div>
<label class="quiz-choice"><input type="radio" name="quiz-1-q1" value="quiz-1-q1-c2"> b</label>
<div class="quiz-explain" data-explains="quiz-1-q1-c2" hidden>No.</div>
</fieldset>
</div>
`
	got, errs := convert(t, Options{}, src)
	if len(errs) > 0 {
		t.Fatalf("errors: %q", errs)
	}
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	got, _ = convert(t, Options{}, strings.Replace(src, "- question:", "- multiple: true\n  question:", 1))
	if !strings.Contains(got, `<input type="checkbox"`) || strings.Contains(got, `type="radio"`) {
		t.Errorf("multiple: got %q, want checkboxes", got)
	}
}

func TestErrors(t *testing.T) {
	choices := "  choices:\n    - {text: a, correct: true, explain: x}\n    - {text: b, explain: y}\n"
	tests := []struct {
		name, src string
		want      []string
	}{
		{"demo without name", "# t\n\n```demo\n```\n", []string{"line 3: demo: missing name (write ```demo NAME)"}},
		{"demo two names", "```demo a b\n```\n", []string{`line 1: demo "a": want one name after "demo", got "a b"`}},
		{"demo bad name", "```demo Rooms!\n```\n", []string{`line 1: demo: invalid name "Rooms!" (want lower-case letters, digits and dashes)`}},
		{"demo YAML syntax error at its line", "x\n\n```demo chat\na: 1\n\tb: 2\n```\n", []string{`line 5: demo "chat": invalid YAML: found a tab character that violates indentation`}},
		{"demo YAML error in a list item", "- x\n\n  ```demo chat\n  a: 1\n  a: 2\n  ```\n", []string{`line 5: config: duplicate key "a"`}},
		{"demo config not a mapping", "```demo chat\n\n- a\n```\n", []string{`line 3: demo "chat": config must be a YAML mapping (key: value)`}},
		{"demo alias", "```demo chat\na: &x 1\nb: *x\n```\n", []string{`line 3: config: YAML aliases are not allowed`}},
		{"demo non-finite", "```demo chat\na: .inf\n```\n", []string{`line 2: config: number ".inf" is not finite`}},
		{"demo complex key", "```demo chat\n? [a]\n: 1\n```\n", []string{`line 2: config: keys must be plain strings`}},
		{"quiz with info", "```quiz x\n```\n", []string{`line 1: quiz: unexpected "x" after "quiz"`}},
		{"quiz empty", "```quiz\n```\n", []string{"line 1: quiz: needs at least one question"}},
		{"quiz empty list", "```quiz\n[]\n```\n", []string{"line 1: quiz: needs at least one question"}},
		{"quiz not a list", "```quiz\nquestion: x\n```\n", []string{"line 2: quiz: want a YAML list of questions (- question: ...)"}},
		{"question not a mapping", "```quiz\n- x\n```\n", []string{"line 2: quiz question 1: want a mapping with keys question, choices, multiple"}},
		{"unknown key and missing prompt", "```quiz\n- promt: x\n" + choices + "```\n", []string{
			`line 2: quiz question 1: unknown key "promt" (want question, choices, multiple)`,
			`line 2: quiz question 1: "question" is required`,
		}},
		{"no choices", "```quiz\n- question: q\n```\n", []string{`line 2: quiz question 1: "choices" is required`}},
		{"choices not a list", "```quiz\n- question: q\n  choices: a\n```\n", []string{`line 3: quiz question 1: "choices" must be a list`}},
		{"one choice", "```quiz\n- question: q\n  choices:\n    - {text: a, correct: true, explain: x}\n```\n", []string{"line 4: quiz question 1: needs at least 2 choices, got 1"}},
		{"no correct", "```quiz\n- question: q\n  choices:\n    - {text: a, explain: x}\n    - {text: b, explain: y}\n```\n", []string{
			"line 2: quiz question 1: exactly one choice must be correct, got 0 (set multiple: true for several)",
		}},
		{"two correct single", "```quiz\n- question: q\n  choices:\n    - {text: a, correct: true, explain: x}\n    - {text: b, correct: true, explain: y}\n```\n", []string{
			"line 2: quiz question 1: exactly one choice must be correct, got 2 (set multiple: true for several)",
		}},
		{"multiple none correct", "```quiz\n- question: q\n  multiple: true\n  choices:\n    - {text: a, explain: x}\n    - {text: b, explain: y}\n```\n", []string{
			"line 2: quiz question 1: at least one choice must be correct",
		}},
		{"choice problems", "```quiz\n- question: q\n  choices:\n    - {text: a, correct: yes, explain: x}\n    - {text: b, why: y}\n    - {text: c, correct: true, explain: \"\"}\n```\n", []string{
			`line 4: quiz question 1 choice 1: "correct" must be true or false`,
			`line 5: quiz question 1 choice 2: unknown key "why" (want text, correct, explain)`,
			`line 5: quiz question 1 choice 2: "explain" is required`,
			`line 6: quiz question 1 choice 3: "explain" is empty`,
		}},
		{"multiple not bool", "```quiz\n- question: q\n  multiple: 1\n" + choices + "```\n", []string{`line 3: quiz question 1: "multiple" must be true or false`}},
		{"duplicate key", "```quiz\n- question: q\n  question: r\n" + choices + "```\n", []string{`line 3: quiz question 1: duplicate key "question"`}},
		{"second quiz question", "```quiz\n- question: q\n" + choices + "- question: r\n  choices: []\n```\n", []string{"line 7: quiz question 2: needs at least 2 choices, got 0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			html, errs := convert(t, Options{}, tt.src)
			if !cmp.Equal(errs, tt.want) {
				t.Errorf("got %q, want %q", errs, tt.want)
			}
			if strings.Contains(html, `class="demo"`) || strings.Contains(html, `class="quiz"`) {
				t.Errorf("a broken block was rendered as a widget: %q", html)
			}
		})
	}
}
