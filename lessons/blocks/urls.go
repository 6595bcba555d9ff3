package blocks

import (
	"bytes"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// SafeURLs returns an extension that keeps only relative URLs and the
// schemes http, https and mailto in links, images and autolinks; any other
// destination is emptied (autolinks become plain text). It backs up
// goldmark's own dangerous-URL check with an allowlist, reading the scheme
// the way a browser does (leading C0 controls and spaces ignored, tabs and
// newlines removed, case-insensitive).
func SafeURLs() goldmark.Extender { return safeURLs{} }

type safeURLs struct{}

func (safeURLs) Extend(m goldmark.Markdown) {
	m.Parser().AddOptions(parser.WithASTTransformers(util.Prioritized(safeURLs{}, 900)))
}

// Transform implements parser.ASTTransformer.
func (safeURLs) Transform(doc *ast.Document, reader text.Reader, _ parser.Context) {
	source := reader.Source()
	var autolinks []*ast.AutoLink
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Link:
			if !AllowedURL(ResolveURL(n.Destination)) {
				n.Destination = nil
			}
		case *ast.Image:
			if !AllowedURL(ResolveURL(n.Destination)) {
				n.Destination = nil
			}
		case *ast.AutoLink:
			if !AllowedURL(n.URL(source)) {
				autolinks = append(autolinks, n)
			}
		}
		return ast.WalkContinue, nil
	})
	for _, n := range autolinks {
		s := ast.NewString(append([]byte(nil), n.Label(source)...))
		n.Parent().ReplaceChild(n.Parent(), n, s)
	}
}

// ResolveURL returns a link destination as written in Markdown with its
// backslash escapes and character references resolved: the URL the
// renderer will write (before percent-encoding).
func ResolveURL(dest []byte) []byte {
	return util.ResolveEntityNames(util.ResolveNumericReferences(util.UnescapePunctuations(dest)))
}

// AllowedURL reports whether u is relative or uses http, https or mailto.
func AllowedURL(u []byte) bool {
	// What a browser's URL parser does first: strip leading and trailing
	// C0 controls and spaces, then remove every tab and newline.
	u = bytes.TrimFunc(u, func(r rune) bool { return r <= 0x20 })
	u = bytes.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, u)
	i := bytes.IndexAny(u, ":/?#")
	if i < 0 || u[i] != ':' {
		return true // no scheme: relative reference
	}
	scheme := bytes.ToLower(u[:i])
	if !validScheme(scheme) {
		// Not a scheme to a browser either ("a b:c" is a relative path),
		// but there is no reason for lessons to write one: refuse.
		return false
	}
	switch string(scheme) {
	case "http", "https", "mailto":
		return true
	}
	return false
}

func validScheme(s []byte) bool {
	if len(s) == 0 || !(s[0] >= 'a' && s[0] <= 'z') {
		return false
	}
	for _, c := range s[1:] {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

var linksKey = parser.NewContextKey()

type links struct{ links, images []string }

// linkCollector records link and image destinations before SafeURLs (900)
// empties the refused ones, so a content check sees what was written.
type linkCollector struct{}

func (linkCollector) Transform(doc *ast.Document, reader text.Reader, pc parser.Context) {
	source := reader.Source()
	l := &links{}
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Link:
			l.links = append(l.links, string(ResolveURL(n.Destination)))
		case *ast.AutoLink:
			l.links = append(l.links, string(n.URL(source)))
		case *ast.Image:
			l.images = append(l.images, string(ResolveURL(n.Destination)))
		}
		return ast.WalkContinue, nil
	})
	pc.Set(linksKey, l)
}
