package lessons

import (
	"bytes"
	"fmt"
	"regexp"
	"sync"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
)

// Limits on a lesson's shape, checked before the real parse (T47): past
// them goldmark takes seconds, or its output grows past 10× its input.
const (
	// MaxParagraph caps the bytes of one paragraph or heading. goldmark
	// parses inlines one block at a time, quadratically on some inputs
	// ("[a](<b"×N takes seconds at 60 KB).
	MaxParagraph = 16 << 10
	// MaxBrackets and MaxDelimiters cap the '[' and the '*', '_', '~' of
	// one paragraph: the link and emphasis parsers are quadratic in them
	// ("[a](<b", "![a](", "[a][", "*_" repeated take seconds at 16 KiB).
	MaxBrackets   = 256
	MaxDelimiters = 512
	// MaxNesting caps nested block quotes and lists (the HTML grows with
	// depth × lines: "> "×10000 is 13× its size).
	MaxNesting = 16
	// MaxIndent caps a line's indentation in columns: nested lists over
	// lines make goldmark's block parser superlinear (2 000 levels: 14 s).
	MaxIndent = 80
)

// containerMarkerRE matches one block quote or list marker at a line start.
var containerMarkerRE = regexp.MustCompile(`^[ \t]*(?:>|[*+-][ \t]|[0-9]{1,9}[.)][ \t])`)

// blockParser parses block structure only: no inline parsers, no
// paragraph transformers, so it is linear once lines are bounded.
var blockParser = sync.OnceValue(func() parser.Parser {
	return parser.NewParser(parser.WithBlockParsers(parser.DefaultBlockParsers()...))
})

// checkShape bounds what goldmark will be given. A cheap pass over lines
// bounds indentation and the markers a line opens; then a block-only parse
// (goldmark's own, so fences, HTML blocks and indented code are seen as
// the real parse sees them) bounds each inline-parsed block and the
// nesting depth. Problems are reported at their lines.
func checkShape(body []byte) []*Error {
	var errs []*Error
	for n, rest := 1, body; len(rest) > 0; n++ {
		line, next, _ := bytes.Cut(rest, []byte("\n"))
		rest = next
		col := 0
		for _, c := range line {
			if c == ' ' {
				col++
			} else if c == '\t' {
				col += 4 - col%4
			} else {
				break
			}
		}
		if col > MaxIndent {
			errs = append(errs, lineErr(n, "line indented %d columns, over %d", col, MaxIndent))
			continue
		}
		depth := 0
		for l := line; depth <= MaxNesting; depth++ {
			m := containerMarkerRE.Find(l)
			if m == nil {
				break
			}
			l = l[len(m):]
		}
		if depth > MaxNesting {
			errs = append(errs, lineErr(n, "block quotes and lists nested deeper than %d levels", MaxNesting))
		}
		if len(errs) >= 10 {
			return errs
		}
	}
	if len(errs) > 0 {
		return errs
	}

	doc := blockParser().Parse(text.NewReader(body))
	var idx []int
	lineOf := func(pos int) int {
		if idx == nil {
			idx = append(idx, 0)
			for i, c := range body {
				if c == '\n' {
					idx = append(idx, i+1)
				}
			}
		}
		lo, hi := 0, len(idx)
		for lo < hi {
			m := (lo + hi) / 2
			if idx[m] <= pos {
				lo = m + 1
			} else {
				hi = m
			}
		}
		return lo
	}
	depth := 0
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		switch n.Kind() {
		case ast.KindBlockquote, ast.KindList:
			if !entering {
				depth--
				return ast.WalkContinue, nil
			}
			depth++
			if depth > MaxNesting {
				errs = append(errs, lineErr(lineOf(max(n.Pos(), 0)), "block quotes and lists nested deeper than %d levels", MaxNesting))
				return ast.WalkStop, nil
			}
			return ast.WalkContinue, nil
		}
		if !entering || n.Type() != ast.TypeBlock || n.IsRaw() || n.Lines().Len() == 0 {
			return ast.WalkContinue, nil
		}
		var size, brackets, delims int
		lines := n.Lines()
		for i := 0; i < lines.Len(); i++ {
			seg := lines.At(i)
			v := seg.Value(body)
			size += len(v)
			brackets += bytes.Count(v, []byte("["))
			for _, c := range v {
				if c == '*' || c == '_' || c == '~' {
					delims++
				}
			}
		}
		var msg string
		switch {
		case size > MaxParagraph:
			msg = fmt.Sprintf("paragraph over %d bytes (split it with blank lines)", MaxParagraph)
		case brackets > MaxBrackets:
			msg = fmt.Sprintf("paragraph with over %d '[' (split it)", MaxBrackets)
		case delims > MaxDelimiters:
			msg = fmt.Sprintf("paragraph with over %d '*', '_' and '~' (split it)", MaxDelimiters)
		default:
			return ast.WalkContinue, nil
		}
		errs = append(errs, lineErr(lineOf(lines.At(0).Start), "%s", msg))
		if len(errs) >= 10 {
			return ast.WalkStop, nil
		}
		return ast.WalkContinue, nil
	})
	return errs
}
