package blocks

import (
	"context"
	"fmt"
	"html"
	"io"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/util"
)

type nodeRenderer struct{ opts Options }

// RegisterFuncs implements renderer.NodeRenderer.
func (r *nodeRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(KindDemo, r.renderDemo)
	reg.Register(KindQuiz, r.renderQuiz)
	reg.Register(KindExercise, r.renderExercise)
}

// DefaultExercise is the fallback exercise renderer:
// <div class="exercise" data-exercise="{config JSON}">goal, hidden hints</div>.
func DefaultExercise(_ context.Context, w io.Writer, x Exercise) error {
	cfg, err := x.Config()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "<div class=\"exercise\" id=\"sl-%s\" data-exercise=\"%s\">\n%s\n</div>\n",
		html.EscapeString(x.ID), html.EscapeString(string(cfg)), exerciseText(x))
	return err
}

func (r *nodeRenderer) renderDemo(w util.BufWriter, _ []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
	d := n.(*DemoNode).Demo
	return renderBlock(w, entering, d, d.Line, fmt.Sprintf("demo %q", d.Name), r.opts.RenderDemo, DefaultDemo)
}

func (r *nodeRenderer) renderQuiz(w util.BufWriter, _ []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
	q := n.(*QuizNode).Quiz
	return renderBlock(w, entering, q, q.Line, "quiz", r.opts.RenderQuiz, DefaultQuiz)
}

func (r *nodeRenderer) renderExercise(w util.BufWriter, _ []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
	x := n.(*ExerciseNode).Exercise
	return renderBlock(w, entering, x, x.Line, "exercise", r.opts.RenderExercise, DefaultExercise)
}

// renderBlock writes one block with the injected renderer, else the fallback;
// an error carries the block's fence line.
func renderBlock[T any](w io.Writer, entering bool, v T, line int, what string,
	render, fallback func(context.Context, io.Writer, T) error) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	if render == nil {
		render = fallback
	}
	if err := render(context.Background(), w, v); err != nil {
		return ast.WalkStop, &LineError{Line: line, Err: fmt.Errorf("rendering %s: %w", what, err)}
	}
	return ast.WalkSkipChildren, nil
}

// DefaultDemo is the fallback demo renderer:
// <div class="demo" data-demo="NAME" data-demo-id="demo-1" data-config="{...}"></div>.
func DefaultDemo(_ context.Context, w io.Writer, d Demo) error {
	_, err := fmt.Fprintf(w, "<div class=\"demo\" data-demo=\"%s\" data-demo-id=\"%s\" data-config=\"%s\"></div>\n",
		html.EscapeString(d.Name), html.EscapeString(d.ID), html.EscapeString(string(d.Config)))
	return err
}

// DefaultQuiz is the fallback quiz renderer: one <fieldset> per question,
// radio buttons (checkboxes when Multiple), each explanation hidden after
// its choice. The *HTML fields are already safe HTML.
func DefaultQuiz(_ context.Context, w io.Writer, q Quiz) error {
	ew := &errWriter{w: w}
	ew.printf("<div class=\"quiz\" data-quiz=\"%s\">\n", html.EscapeString(q.ID))
	for _, qu := range q.Questions {
		typ := "radio"
		if qu.Multiple {
			typ = "checkbox"
		}
		ew.printf("<fieldset class=\"quiz-question\" data-question=\"%s\">\n<legend>%s</legend>\n",
			html.EscapeString(qu.ID), qu.PromptHTML)
		for _, c := range qu.Choices {
			correct := ""
			if c.Correct {
				correct = " data-correct"
			}
			ew.printf("<label class=\"quiz-choice\"><input type=\"%s\" name=\"%s\" value=\"%s\"%s> %s</label>\n",
				typ, html.EscapeString(qu.ID), html.EscapeString(c.ID), correct, c.TextHTML)
			ew.printf("<div class=\"quiz-explain\" data-explains=\"%s\" hidden>%s</div>\n",
				html.EscapeString(c.ID), c.ExplanationHTML)
		}
		ew.printf("</fieldset>\n")
	}
	ew.printf("</div>\n")
	return ew.err
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}
