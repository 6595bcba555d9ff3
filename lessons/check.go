package lessons

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"slices"
	"strings"

	"socketlab/lessons/blocks"
)

// Severity of a Diagnostic.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
)

// Diagnostic is one problem Check found, at a 1-based line and byte column.
type Diagnostic struct {
	File     string `json:"file"` // with Options.Prefix
	Line     int    `json:"line"`
	Col      int    `json:"col"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
	// Stops is true for a problem the loader found: the lesson (or the chapter) is not served
	// until it is fixed. Link and image problems leave the page up.
	Stops bool `json:"-"`
}

// String is the form editors jump to: "file:line:col: message", with
// "warning: " before the message of a warning.
func (d Diagnostic) String() string {
	msg := d.Message
	if d.Severity == SeverityWarning {
		msg = "warning: " + msg
	}
	return fmt.Sprintf("%s:%d:%d: %s", d.File, d.Line, d.Col, msg)
}

// Check validates every lesson of fsys, drafts included, without serving
// it: everything Load checks (front matter, demo names and config, quiz
// blocks, duplicate slugs and orders, chapters), plus the links between
// lessons and to heading anchors, and that images exist. Diagnostics come
// sorted by file, line and column.
func Check(fsys fs.FS, opts Options) []Diagnostic {
	opts.Drafts = true
	x, err := LoadPartial(fsys, opts)
	return Diagnose(fsys, opts.Prefix, x, err)
}

// Diagnose is Check for an index LoadPartial already returned (with err, its error) from fsys
// with Options.Prefix prefix: what serve -watch shows after each reload. Drafts that are not
// served are checked too, and links to them are warnings.
func Diagnose(fsys fs.FS, prefix string, x *Index, err error) []Diagnostic {
	var out []Diagnostic
	if x == nil {
		return []Diagnostic{{File: prefix, Line: 1, Col: 1, Severity: SeverityError, Message: err.Error(), Stops: true}}
	}
	for _, e := range joined(err) {
		var le *Error
		if errors.As(e, &le) {
			out = append(out, Diagnostic{File: le.File, Line: le.Line, Col: max(le.Col, 1), Severity: SeverityError, Message: le.Err.Error(), Stops: true})
		} else {
			out = append(out, Diagnostic{File: prefix, Line: 1, Col: 1, Severity: SeverityError, Message: e.Error(), Stops: true})
		}
	}
	failed := map[string]bool{}
	for _, f := range x.failed {
		failed[f.Slug] = true
	}
	byFile := map[string]*Lesson{}
	// Lessons whose front matter is wrong still have their links and images
	// checked, so one run reports every problem of a file.
	checked := slices.Concat(x.lessons, x.hidden)
	for _, f := range x.failed {
		if f.partial != nil {
			checked = append(checked, f.partial)
		}
	}
	for _, l := range checked {
		byFile[l.File] = l
	}
	for _, l := range checked {
		c := &checker{fsys: fsys, x: x, l: l, failed: failed, byFile: byFile, file: path.Join(prefix, l.File)}
		c.src, _ = readCapped(fsys, l.File)
		for _, k := range l.Links {
			c.link(k)
		}
		for _, k := range l.Images {
			c.image(k)
		}
		out = append(out, c.out...)
	}
	slices.SortStableFunc(out, func(a, b Diagnostic) int {
		if a.File != b.File {
			return strings.Compare(a.File, b.File)
		}
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Col - b.Col
	})
	return out
}

func joined(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

type checker struct {
	fsys   fs.FS
	x      *Index
	l      *Lesson
	failed map[string]bool
	byFile map[string]*Lesson
	file   string
	src    []byte
	out    []Diagnostic
}

func (c *checker) report(k Link, severity, format string, args ...any) {
	c.out = append(c.out, Diagnostic{File: c.file, Line: max(k.Line, 1), Col: c.col(k), Severity: severity, Message: fmt.Sprintf(format, args...)})
}

// col finds the link's destination on its line (links only carry a line).
func (c *checker) col(k Link) int {
	line := c.line(k.Line)
	if i := bytes.Index(line, []byte("("+k.Href)); i >= 0 {
		return i + 2
	}
	if i := bytes.Index(line, []byte(k.Href)); i >= 0 {
		return i + 1
	}
	return 1
}

func (c *checker) line(n int) []byte {
	rest := c.src
	for i := 1; i < n && rest != nil; i++ {
		_, rest, _ = bytes.Cut(rest, []byte("\n"))
	}
	line, _, _ := bytes.Cut(rest, []byte("\n"))
	return line
}

// widgetAnchor reports whether id is an element id every lesson page has.
func widgetAnchor(l *Lesson, id string) bool {
	if id == "main-content" {
		return true
	}
	for _, d := range l.Demos {
		if id == "sl-"+d.ID {
			return true
		}
	}
	for _, q := range l.Quizzes {
		if id == "sl-"+q.ID {
			return true
		}
	}
	for _, x := range l.Exercises {
		if id == "sl-"+x.ID {
			return true
		}
	}
	return false
}

func (c *checker) anchor(k Link, target *Lesson, frag string) {
	if frag == "" || slices.Contains(target.Anchors, frag) || widgetAnchor(target, frag) {
		return
	}
	where := "this lesson"
	if target != c.l {
		where = target.File
	}
	if s := blocks.Suggest(frag, target.Anchors); s != "" {
		c.report(k, SeverityError, "link %q: no heading with anchor %q in %s (did you mean %q?)", k.Href, frag, where, "#"+s)
		return
	}
	c.report(k, SeverityError, "link %q: no heading with anchor %q in %s", k.Href, frag, where)
}

func (c *checker) link(k Link) {
	u, err := url.Parse(k.Href)
	if err != nil || u.Scheme != "" || u.Host != "" {
		return // external, or refused by the renderer already
	}
	switch {
	case u.Path == "" && u.Fragment != "":
		c.anchor(k, c.l, u.Fragment)
	case strings.HasPrefix(u.Path, "/lessons/"):
		slug := strings.TrimSuffix(strings.TrimPrefix(u.Path, "/lessons/"), "/")
		target, _, ok := c.x.BySlug(slug)
		if i := slices.IndexFunc(c.x.hidden, func(l *Lesson) bool { return l.Slug == slug }); !ok && i >= 0 {
			target, ok = c.x.hidden[i], true // a draft not served now: the warning below
		}
		if !ok {
			if c.failed[slug] {
				return // that lesson's own errors are reported
			}
			var slugs []string
			for _, l := range c.x.lessons {
				slugs = append(slugs, l.Slug)
			}
			if s := blocks.Suggest(slug, slugs); s != "" {
				c.report(k, SeverityError, "link %q: no lesson with slug %q (did you mean %q?)", k.Href, slug, "/lessons/"+s)
			} else {
				c.report(k, SeverityError, "link %q: no lesson with slug %q", k.Href, slug)
			}
			return
		}
		if target.Draft && !c.l.Draft {
			c.report(k, SeverityWarning, "link %q: %s is a draft, hidden unless served with -drafts", k.Href, target.File)
		}
		c.anchor(k, target, u.Fragment)
	case !strings.HasPrefix(u.Path, "/") && strings.HasSuffix(u.Path, ".md"):
		p := path.Join(path.Dir(c.l.File), u.Path)
		target := c.byFile[p]
		if target == nil {
			target = c.byFile[path.Join(strings.TrimSuffix(p, ".md"), "index.md")]
		}
		if target != nil {
			c.report(k, SeverityError, "link %q points at a lesson file: write /lessons/%s", k.Href, target.Slug)
			return
		}
		c.report(k, SeverityError, "link %q: no such lesson file", k.Href)
	}
}

func (c *checker) image(k Link) {
	u, err := url.Parse(k.Href)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Path == "" || strings.HasPrefix(u.Path, "/") {
		return
	}
	p := path.Join(path.Dir(c.l.File), u.Path)
	if !fs.ValidPath(p) {
		c.report(k, SeverityError, "image %q is outside the lessons folder", k.Href)
		return
	}
	if _, err := fs.Stat(c.fsys, p); err != nil {
		c.report(k, SeverityError, "image %q not found (looked for %s)", k.Href, p)
		return
	}
	if _, ok := ImageType(p); !ok {
		c.report(k, SeverityError, "image %q is not served: the lessons folder serves only %s files", k.Href, ImageExtensions)
		return
	}
	if !ServedFile(p) {
		c.report(k, SeverityError, "image %q is not served: no folder or file on its path may start with \".\" or \"_\"", k.Href)
	}
}

// Errors counts the diagnostics of severity error.
func Errors(ds []Diagnostic) int {
	n := 0
	for _, d := range ds {
		if d.Severity == SeverityError {
			n++
		}
	}
	return n
}
