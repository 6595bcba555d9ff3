package lessons

import (
	"bytes"
	"fmt"
	"html"
	"slices"
	"strings"
	"sync"

	chromahtml "github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/alecthomas/chroma/v2/lexers"
	"github.com/alecthomas/chroma/v2/styles"
	"github.com/yuin/goldmark"
	highlighting "github.com/yuin/goldmark-highlighting/v2"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"

	"socketlab/lessons/blocks"
)

// Chroma styles for the highlighted code: serve HighlightCSS(LightStyle)
// and HighlightCSS(DarkStyle) (e.g. inside a prefers-color-scheme query).
const (
	LightStyle = "github"
	DarkStyle  = "github-dark"
)

// HighlightCSS returns the stylesheet for the classes the code highlighter
// writes (".chroma .k { ... }"), in the named chroma style.
func HighlightCSS(style string) (string, error) {
	s, ok := styles.Registry[strings.ToLower(style)]
	if !ok {
		return "", fmt.Errorf("unknown highlight style %q", style)
	}
	var buf bytes.Buffer
	if err := chromahtml.New(chromahtml.WithClasses(true)).WriteCSS(&buf, s); err != nil {
		return "", fmt.Errorf("writing %s highlight CSS: %w", style, err)
	}
	return buf.String(), nil
}

// newMarkdown builds the one goldmark instance Load uses for every file:
// GFM, auto heading ids, no attribute syntax, no unsafe HTML, chroma with
// CSS classes (no inline styles, for the CSP), code blocks wrapped for the
// copy button, demo/quiz blocks, URL allowlist.
func newMarkdown(opts blocks.Options) goldmark.Markdown {
	return goldmark.New(
		goldmark.WithExtensions(
			extension.GFM,
			highlighting.NewHighlighting(
				highlighting.WithStyle(LightStyle),
				highlighting.WithFormatOptions(chromahtml.WithClasses(true)),
				highlighting.WithWrapperRenderer(wrapCode),
			),
			blocks.New(opts),
			blocks.SafeURLs(),
		),
		goldmark.WithParserOptions(
			parser.WithAutoHeadingID(),
			// Runs before SafeURLs (900) so Links keep what the author wrote.
			parser.WithASTTransformers(
				util.Prioritized(collector{}, 10),
				// After blocks (100): demo/quiz fences that failed stay code.
				util.Prioritized(plainFences{}, 500),
			),
		),
		goldmark.WithRendererOptions(
			renderer.WithNodeRenderers(util.Prioritized(codeRenderer{}, 200)),
		),
	)
}

// wrapCode puts every fenced code block in <div class="code" data-copy>,
// which the page script turns into a copy button.
func wrapCode(w util.BufWriter, c highlighting.CodeBlockContext, entering bool) {
	lang, _ := c.Language()
	if entering {
		_, _ = w.WriteString(`<div class="code" data-copy`)
		if len(lang) > 0 {
			_, _ = w.WriteString(` data-lang="` + html.EscapeString(string(lang)) + `"`)
		}
		_, _ = w.WriteString(">")
		if !c.Highlighted() {
			_, _ = w.WriteString("<pre><code")
			if len(lang) > 0 {
				_, _ = w.WriteString(` class="language-` + html.EscapeString(string(lang)) + `"`)
			}
			_, _ = w.WriteString(">")
		}
		return
	}
	if !c.Highlighted() {
		_, _ = w.WriteString("</code></pre>")
	}
	_, _ = w.WriteString("</div>\n")
}

// lexerNames are the chroma lexer names and aliases, lower-cased.
var lexerNames = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for _, n := range lexers.GlobalLexerRegistry.Names(true) {
		m[strings.ToLower(n)] = true
	}
	return m
})

// kindPlainFence is a fenced code block in a language chroma does not know.
var kindPlainFence = ast.NewNodeKind("PlainFence")

type plainFence struct {
	ast.BaseBlock
	lang string
}

func (n *plainFence) Kind() ast.NodeKind { return kindPlainFence }
func (n *plainFence) IsRaw() bool        { return true }
func (n *plainFence) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, map[string]string{"Lang": n.lang}, nil)
}

// plainFences takes fenced blocks whose language chroma does not know by
// name or alias away from the highlighter: for those, chroma's lookup
// falls back to matching the name against every lexer's file patterns,
// milliseconds per block, which a page of ```x fences turns into minutes.
type plainFences struct{}

func (plainFences) Transform(doc *ast.Document, reader text.Reader, _ parser.Context) {
	source := reader.Source()
	var unknown []*ast.FencedCodeBlock
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if cb, ok := n.(*ast.FencedCodeBlock); ok && entering {
			if lang := cb.Language(source); lang != nil && !lexerNames()[strings.ToLower(string(lang))] {
				unknown = append(unknown, cb)
			}
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	for _, cb := range unknown {
		p := &plainFence{lang: string(cb.Language(source))}
		p.SetLines(cb.Lines())
		p.SetPos(cb.Pos())
		cb.Parent().ReplaceChild(cb.Parent(), cb, p)
	}
}

// codeRenderer renders indented code blocks and plain fences with the
// same copy-button wrapper as highlighted ones.
type codeRenderer struct{}

func (codeRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindCodeBlock, renderPlainCode)
	reg.Register(kindPlainFence, renderPlainCode)
}

func renderPlainCode(w util.BufWriter, source []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	lang := ""
	if p, ok := n.(*plainFence); ok {
		lang = html.EscapeString(p.lang)
	}
	if lang != "" {
		_, _ = w.WriteString(`<div class="code" data-copy data-lang="` + lang + `"><pre><code class="language-` + lang + `">`)
	} else {
		_, _ = w.WriteString(`<div class="code" data-copy><pre><code>`)
	}
	lines := n.Lines()
	for i := 0; i < lines.Len(); i++ {
		seg := lines.At(i)
		_, _ = w.WriteString(html.EscapeString(string(seg.Value(source))))
	}
	_, _ = w.WriteString("</code></pre></div>\n")
	return ast.WalkSkipChildren, nil
}

var collectedKey = parser.NewContextKey()

type collected struct{ links, images []Link }

// collector records every link, autolink and image destination with its line.
type collector struct{}

func (collector) Transform(doc *ast.Document, reader text.Reader, pc parser.Context) {
	source := reader.Source()
	var idx []int // line starts, built on first use
	lineOf := func(n ast.Node) int {
		pos := n.Pos()
		for p := n; pos < 0 && p != nil; p = p.Parent() {
			if p.Type() == ast.TypeBlock && p.Lines().Len() > 0 {
				pos = p.Lines().At(0).Start
			} else {
				pos = p.Pos()
			}
		}
		if pos < 0 {
			return 0
		}
		if idx == nil {
			idx = append(idx, 0)
			for i, c := range source {
				if c == '\n' {
					idx = append(idx, i+1)
				}
			}
		}
		i, found := slices.BinarySearch(idx, pos)
		if found {
			return i + 1
		}
		return i
	}
	c := &collected{}
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Link:
			c.links = append(c.links, Link{Href: string(blocks.ResolveURL(n.Destination)), Line: lineOf(n)})
		case *ast.AutoLink:
			c.links = append(c.links, Link{Href: string(n.URL(source)), Line: lineOf(n)})
		case *ast.Image:
			c.images = append(c.images, Link{Href: string(blocks.ResolveURL(n.Destination)), Line: lineOf(n)})
		}
		return ast.WalkContinue, nil
	})
	pc.Set(collectedKey, c)
}

// inlineMarkdown renders a line of inline Markdown only: every block is a
// paragraph (no headings, lists, code blocks or quotes), and the inline
// syntax is code spans, emphasis, strikethrough, links and autolinks. Raw
// HTML is not parsed (it stays text, escaped), link reference definitions
// are not read, and link URLs pass the same allowlist as lesson bodies.
var inlineMarkdown = sync.OnceValue(func() goldmark.Markdown {
	return goldmark.New(
		goldmark.WithParser(parser.NewParser(
			parser.WithBlockParsers(util.Prioritized(parser.NewParagraphParser(), 100)),
			parser.WithInlineParsers(
				util.Prioritized(parser.NewCodeSpanParser(), 100),
				util.Prioritized(parser.NewLinkParser(), 200),
				util.Prioritized(parser.NewAutoLinkParser(), 300),
				util.Prioritized(parser.NewEmphasisParser(), 500),
			),
		)),
		goldmark.WithExtensions(extension.Strikethrough, blocks.SafeURLs()),
	)
})

// InlineHTML renders s, one line of inline Markdown (a reading question),
// to safe HTML with no block element around it: `code`, *emphasis*,
// **strong**, ~~strike~~ and links, everything else escaped text.
// Paragraphs (text split by a blank line) are joined with a space.
func InlineHTML(s string) string {
	md := inlineMarkdown()
	// Indentation means nothing inline; the paragraph parser would drop a line indented 4 spaces.
	lines := strings.Split(s, "\n")
	for i, line := range lines {
		lines[i] = strings.TrimLeft(line, " \t")
	}
	src := []byte(strings.Join(lines, "\n"))
	doc := md.Parser().Parse(text.NewReader(src))
	var buf bytes.Buffer
	for block := doc.FirstChild(); block != nil; block = block.NextSibling() {
		if block != doc.FirstChild() {
			buf.WriteByte(' ')
		}
		for n := block.FirstChild(); n != nil; n = n.NextSibling() {
			if err := md.Renderer().Render(&buf, src, n); err != nil {
				return html.EscapeString(s) // a bytes.Buffer never fails; plain text if it did
			}
		}
	}
	return strings.TrimSpace(buf.String())
}
