// Package blocks holds the goldmark extensions that turn the lesson-only
// fenced blocks ```demo NAME, ```quiz and ```exercise into widgets.
//
// The pattern follows abhinav/goldmark-mermaid: an ASTTransformer first
// collects the fenced code blocks by language, then replaces each one with a
// node of its own kind (KindDemo, KindQuiz); a NodeRenderer registered through
// util.Prioritized renders those nodes. Transform cannot return an error, so
// problems are collected in the parser.Context (see Errors) with the source
// line of the fence, and the loader reports them as "file:line: message".
//
// Rendering is injected: main passes templ components as RenderDemo,
// RenderQuiz and RenderExercise; without them a minimal, escaped HTML fallback is written.
package blocks

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/util"
)

// Demo is one ```demo NAME block.
type Demo struct {
	ID     string          // unique per document: "demo-1", "demo-2", ...
	Name   string          // the word after "demo" in the fence's info string
	Config json.RawMessage // the YAML body converted to JSON; {} when empty
	Line   int             // line of the opening fence in the source
}

// Choice is one answer of a quiz question.
type Choice struct {
	ID              string // "quiz-1-q1-c1"
	TextHTML        string // inline Markdown rendered to safe HTML
	ExplanationHTML string // why this choice is right or wrong, safe HTML
	Correct         bool
}

// Question is one question of a quiz.
type Question struct {
	ID         string // "quiz-1-q1"
	PromptHTML string // inline Markdown rendered to safe HTML
	Multiple   bool   // several choices may be correct (checkboxes)
	Choices    []Choice
}

// Quiz is one ```quiz block.
type Quiz struct {
	ID        string // unique per document: "quiz-1", "quiz-2", ...
	Questions []Question
	Line      int    // line of the opening fence in the source
	Links     []Link // links in prompts, choices and explanations, as written
	Images    []Link // images there, as written
}

// Link is a link or image destination as written (references resolved,
// before URL filtering) and the source line of the text holding it.
type Link struct {
	Href string
	Line int
}

// Options configure the extension. Every field may be nil.
type Options struct {
	// RenderDemo writes the widget for d. Nil: a minimal <div class="demo">.
	RenderDemo func(ctx context.Context, w io.Writer, d Demo) error
	// RenderQuiz writes the widget for q. Nil: a <fieldset> per question.
	RenderQuiz func(ctx context.Context, w io.Writer, q Quiz) error
	// RenderExercise writes the widget for x. Nil: DefaultExercise.
	RenderExercise func(ctx context.Context, w io.Writer, x Exercise) error
	// ValidateDemo checks a demo name and its JSON config. Its error message
	// is reported verbatim at the fence line, so make it self-describing
	// (`unknown demo "room"`). Nil: every well-formed name is accepted.
	ValidateDemo func(name string, config json.RawMessage) error
}

// LineError is a problem found while parsing a block, at a 1-based line of
// the source given to goldmark.
type LineError struct {
	Line int
	Col  int // 1-based byte column, 0 when unknown
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

var errorsKey = parser.NewContextKey()

// Errors returns the problems collected in pc while parsing, in source order.
func Errors(pc parser.Context) []*LineError {
	v, _ := pc.Get(errorsKey).([]*LineError)
	return v
}

func addError(pc parser.Context, line, col int, format string, args ...any) {
	errs := append(Errors(pc), &LineError{Line: line, Col: col, Err: fmt.Errorf(format, args...)})
	pc.Set(errorsKey, errs)
}

type extender struct {
	opts   Options
	inline goldmark.Markdown
}

// New returns the extension for ```demo and ```quiz blocks.
func New(opts Options) goldmark.Extender {
	return &extender{
		opts: opts,
		// Quiz prompts, choices and explanations: inline Markdown, safe
		// mode (no raw HTML, dangerous URLs dropped), built once.
		inline: goldmark.New(
			goldmark.WithExtensions(extension.Strikethrough, SafeURLs()),
			goldmark.WithParserOptions(parser.WithASTTransformers(util.Prioritized(linkCollector{}, 10))),
		),
	}
}

// Extend implements goldmark.Extender.
func (e *extender) Extend(m goldmark.Markdown) {
	m.Parser().AddOptions(parser.WithASTTransformers(
		util.Prioritized(&transformer{opts: e.opts, inline: e.inline}, 100),
	))
	m.Renderer().AddOptions(renderer.WithNodeRenderers(
		util.Prioritized(&nodeRenderer{opts: e.opts}, 100),
	))
}
