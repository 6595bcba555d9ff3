package lessons

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"socketlab/lessons/blocks"
)

type frontMatter struct {
	Title      string   `yaml:"title"`
	Summary    string   `yaml:"summary"`
	Objectives []string `yaml:"objectives"`
	Questions  []string `yaml:"questions"`
	Order      *int     `yaml:"order"`
	Slug       string   `yaml:"slug"`
	Draft      bool     `yaml:"draft"`

	keyLines map[string]int `yaml:"-"` // file line of each known top-level key
	keyCols  map[string]int `yaml:"-"` // and its column
	broken   bool           `yaml:"-"` // the YAML could not be read as key: value lines
}

// frontMatterKeys are the keys a lesson's front matter may have, in the
// order the docs list them.
var frontMatterKeys = []string{"title", "summary", "objectives", "questions", "order", "slug", "draft"}

// defaults are the front-matter values a chapter gives its lessons.
type defaults struct {
	Objectives []string `yaml:"objectives"`
	Questions  []string `yaml:"questions"`
	Draft      *bool    `yaml:"draft"`
}

// defaultKeys are the lesson keys a chapter's defaults may set.
var defaultKeys = []string{"objectives", "questions", "draft"}

func (fm *frontMatter) inherit(d *defaults) {
	if d == nil {
		return
	}
	if _, set := fm.keyLines["objectives"]; !set {
		fm.Objectives = d.Objectives
	}
	if _, set := fm.keyLines["questions"]; !set {
		fm.Questions = d.Questions
	}
	if _, set := fm.keyLines["draft"]; !set && d.Draft != nil {
		fm.Draft = *d.Draft
	}
}

// line returns the file line of key, or 1 (the opening ---).
func (fm *frontMatter) line(key string) int {
	if l, ok := fm.keyLines[key]; ok {
		return l
	}
	return 1
}

var (
	bom = []byte("\xef\xbb\xbf")
	// "yaml: line 3: message" and the "line 3: message" entries of a TypeError.
	yamlErrLineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	unknownKeyRE  = regexp.MustCompile(`^field (.+) not found in type \S+$`)
)

// parseFrontMatter splits src into its front matter and body. The body
// keeps the file's line numbers: the front matter lines become blank lines.
// Every front-matter problem is returned (unknown keys, wrong types,
// missing title or summary, YAML syntax), not just the first. A nil body
// means the file has no front matter block and cannot be parsed further;
// otherwise the *frontMatter is non-nil, holding what could be read, and
// the body can be checked even when the front matter has errors.
func parseFrontMatter(src []byte, d *defaults) (*frontMatter, []byte, []*Error) {
	src = bytes.TrimPrefix(src, bom)
	first, rest, _ := bytes.Cut(src, []byte("\n"))
	if string(bytes.TrimRight(first, " \t\r")) != "---" {
		return nil, nil, []*Error{lineErr(1, "missing front matter: start the file with a --- line, then title: and summary:")}
	}
	var yamlText []byte
	end := -1 // line number of the closing ---
	for n, r := 2, rest; ; n++ {
		line, next, found := bytes.Cut(r, []byte("\n"))
		if string(bytes.TrimRight(line, " \t\r")) == "---" {
			end, rest = n, next
			break
		}
		yamlText = append(yamlText, line...)
		yamlText = append(yamlText, '\n')
		if !found {
			break
		}
		r = next
	}
	if end < 0 {
		return nil, nil, []*Error{lineErr(1, "front matter: no closing --- line")}
	}
	body := make([]byte, 0, end+len(rest))
	body = append(body, bytes.Repeat([]byte("\n"), end)...)
	body = append(body, rest...)

	fm := &frontMatter{keyLines: map[string]int{}, keyCols: map[string]int{}}
	// The YAML starts on file line 2.
	const offset = 1
	var node yaml.Node
	if err := yaml.Unmarshal(yamlText, &node); err != nil {
		fm.broken = true
		if n, col, msg, ok := blocks.SyntaxError(yamlText); ok {
			return fm, body, []*Error{{Line: n + offset, Col: col, Err: fmt.Errorf("front matter: %s", msg)}}
		}
		return fm, body, yamlErrors(err, offset)
	}
	if len(node.Content) == 0 {
		fm.broken = true
		return fm, body, []*Error{lineErr(1, "front matter: title and summary are required")}
	}
	root := node.Content[0]
	if root.Kind != yaml.MappingNode {
		fm.broken = true
		return fm, body, []*Error{lineErr(root.Line+offset, "front matter: want key: value lines (title:, summary:, ...)")}
	}
	var errs []*Error
	suggested := map[string]bool{} // known keys an unknown one was taken for
	for i := 0; i+1 < len(root.Content); i += 2 {
		k := root.Content[i]
		if !slices.Contains(frontMatterKeys, k.Value) {
			s, err := unknownKeySuggest("front matter", k.Value, frontMatterKeys)
			errs = append(errs, &Error{Line: k.Line + offset, Col: k.Column, Err: err})
			suggested[s] = true
			continue
		}
		fm.keyLines[k.Value] = k.Line + offset
		fm.keyCols[k.Value] = k.Column
	}
	// Decode the known keys; a value of the wrong type is reported and the
	// others are still decoded (yaml.v3 keeps going after a TypeError).
	badLines := map[int]bool{}
	if err := root.Decode(fm); err != nil && !errors.Is(err, io.EOF) {
		terrs := yamlErrors(err, offset)
		for _, e := range terrs {
			e.Col = valueCol(root, e.Line-offset)
			badLines[e.Line] = true
		}
		errs = append(errs, terrs...)
	}
	if line, set := fm.keyLines["order"]; set && badLines[line] {
		fm.Order = nil // yaml.v3 leaves a zero behind: not an order the author gave
	}
	fm.inherit(d)
	// A key that is there with a value of the wrong type, or whose
	// misspelling was already reported with it suggested, is not also missing.
	required := func(key, value string) {
		if line, set := fm.keyLines[key]; (set && badLines[line]) || suggested[key] {
			return
		}
		if strings.TrimSpace(value) == "" {
			errs = append(errs, &Error{Line: fm.line(key), Col: fm.keyCols[key], Err: fmt.Errorf("front matter: %q is required", key)})
		}
	}
	required("title", fm.Title)
	required("summary", fm.Summary)
	for _, key := range []string{"objectives", "questions"} {
		list := fm.Objectives
		if key == "questions" {
			list = fm.Questions
		}
		for i, s := range list {
			if strings.TrimSpace(s) == "" {
				errs = append(errs, lineErr(fm.line(key), "front matter: %s item %d is empty", key, i+1))
			}
		}
	}
	sortErrors(errs)
	return fm, body, errs
}

// yamlErrors maps yaml.v3 errors to file lines.
func yamlErrors(err error, offset int) []*Error {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	var errs []*Error
	for _, m := range msgs {
		line := 1
		if sm := yamlErrLineRE.FindStringSubmatch(m); sm != nil {
			if n, err := strconv.Atoi(sm[1]); err == nil {
				line, m = n+offset, sm[2]
			}
		}
		m = strings.TrimPrefix(m, "yaml: ")
		if sm := unknownKeyRE.FindStringSubmatch(m); sm != nil {
			errs = append(errs, &Error{Line: line, Err: unknownKey("front matter", sm[1], frontMatterKeys)})
			continue
		}
		errs = append(errs, lineErr(line, "front matter: %s", m))
	}
	return errs
}

// unknownKey is the error for a key that is not in known, with the
// nearest known key suggested when one is close.
func unknownKey(what, key string, known []string) error {
	_, err := unknownKeySuggest(what, key, known)
	return err
}

// unknownKeySuggest is unknownKey that also returns the known key it suggests ("" if none).
func unknownKeySuggest(what, key string, known []string) (string, error) {
	if s := blocks.Suggest(key, known); s != "" {
		return s, fmt.Errorf("%s: unknown key %q (did you mean %q?)", what, key, s)
	}
	return "", fmt.Errorf("%s: unknown key %q (want %s)", what, key, strings.Join(known, ", "))
}

// sortErrors orders errs by line, then column (stable: same place, order of finding).
func sortErrors(errs []*Error) {
	slices.SortStableFunc(errs, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
}

// valueCol is the column of the value of the mapping entry on YAML line
// line (1-based within the YAML text), or 0.
func valueCol(root *yaml.Node, line int) int {
	var col int
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if col != 0 {
			return
		}
		for _, c := range n.Content {
			if c.Line == line && c.Kind == yaml.ScalarNode && (n.Kind != yaml.MappingNode || !isKey(n, c)) {
				col = c.Column
				return
			}
			walk(c)
		}
	}
	walk(root)
	return col
}

func isKey(m *yaml.Node, c *yaml.Node) bool {
	for i := 0; i < len(m.Content); i += 2 {
		if m.Content[i] == c {
			return true
		}
	}
	return false
}
