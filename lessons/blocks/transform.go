package blocks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"go.yaml.in/yaml/v3"
)

// KindDemo and KindQuiz are the node kinds that replace the fenced blocks.
var (
	KindDemo = ast.NewNodeKind("Demo")
	KindQuiz = ast.NewNodeKind("Quiz")
)

// DemoNode is the AST node of a ```demo block.
type DemoNode struct {
	ast.BaseBlock
	Demo Demo
}

// Kind implements ast.Node.
func (n *DemoNode) Kind() ast.NodeKind { return KindDemo }

// Dump implements ast.Node.
func (n *DemoNode) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, map[string]string{"ID": n.Demo.ID, "Name": n.Demo.Name}, nil)
}

// QuizNode is the AST node of a ```quiz block.
type QuizNode struct {
	ast.BaseBlock
	Quiz Quiz
}

// Kind implements ast.Node.
func (n *QuizNode) Kind() ast.NodeKind { return KindQuiz }

// Dump implements ast.Node.
func (n *QuizNode) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, map[string]string{"ID": n.Quiz.ID}, nil)
}

const maxConfigDepth = 32

var (
	langDemo = []byte("demo")
	langQuiz = []byte("quiz")

	demoNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)
	// yaml.v3 syntax errors read "yaml: line N: message".
	yamlLineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
)

type transformer struct {
	opts   Options
	inline goldmark.Markdown
}

// Transform implements parser.ASTTransformer: collect first, then replace.
func (t *transformer) Transform(doc *ast.Document, reader text.Reader, pc parser.Context) {
	source := reader.Source()
	var fences []*ast.FencedCodeBlock
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		cb, ok := n.(*ast.FencedCodeBlock)
		if !ok {
			return ast.WalkContinue, nil
		}
		lang := cb.Language(source)
		if bytes.Equal(lang, langDemo) || bytes.Equal(lang, langQuiz) || bytes.Equal(lang, langExercise) {
			fences = append(fences, cb)
		}
		return ast.WalkSkipChildren, nil
	})
	if len(fences) == 0 {
		return
	}
	lines := newLineIndex(source)
	var nDemo, nQuiz, nExercise int
	for _, cb := range fences {
		b := block{cb: cb, source: source, lines: lines, pc: pc}
		b.line = b.fenceLine()
		var repl ast.Node
		switch lang := cb.Language(source); {
		case bytes.Equal(lang, langDemo):
			nDemo++
			d, ok := t.demo(&b, fmt.Sprintf("demo-%d", nDemo))
			if ok {
				repl = &DemoNode{Demo: d}
			}
		case bytes.Equal(lang, langExercise):
			nExercise++
			x, ok := t.exercise(&b, fmt.Sprintf("exercise-%d", nExercise))
			if ok {
				repl = &ExerciseNode{Exercise: x}
			}
		default:
			nQuiz++
			q, ok := t.quiz(&b, fmt.Sprintf("quiz-%d", nQuiz))
			if ok {
				repl = &QuizNode{Quiz: q}
			}
		}
		if repl == nil { // keep the code block; the error is in pc
			continue
		}
		repl.SetPos(cb.Pos())
		cb.Parent().ReplaceChild(cb.Parent(), cb, repl)
	}
}

// block is one fenced block being converted.
type block struct {
	cb     *ast.FencedCodeBlock
	source []byte
	lines  *lineIndex
	pc     parser.Context
	line   int // fence line
	failed bool
	// suggested holds, per mapping node, the keys suggested for a misspelt key: a key misspelt
	// is reported once, as unknown with the suggestion, not also as missing.
	suggested map[*yaml.Node][]string
}

// requiredErrorf reports that key is missing from parent, unless a misspelling of it was
// reported already.
func (b *block) requiredErrorf(parent *yaml.Node, key, format string, args ...any) {
	if contains(b.suggested[parent], key) {
		b.failed = true
		return
	}
	b.nodeErrorf(parent, format, args...)
}

func (b *block) fenceLine() int {
	if p := b.cb.Pos(); p >= 0 {
		return b.lines.line(p)
	}
	if b.cb.Info != nil {
		return b.lines.line(b.cb.Info.Segment.Start)
	}
	if b.cb.Lines().Len() > 0 {
		return b.lines.line(b.cb.Lines().At(0).Start) - 1
	}
	return 1
}

// body returns the block's content and the file line of each body line.
func (b *block) body() []byte {
	var buf bytes.Buffer
	ls := b.cb.Lines()
	for i := 0; i < ls.Len(); i++ {
		seg := ls.At(i)
		buf.Write(seg.Value(b.source))
	}
	return buf.Bytes()
}

// yamlLine maps a 1-based line of the block body to a source line.
func (b *block) yamlLine(l int) int {
	ls := b.cb.Lines()
	if l >= 1 && l <= ls.Len() {
		return b.lines.line(ls.At(l - 1).Start)
	}
	return b.line + max(l, 1)
}

func (b *block) errorf(line int, format string, args ...any) {
	b.failed = true
	addError(b.pc, line, 0, format, args...)
}

// fenceErrorf reports a problem at the opening fence.
func (b *block) fenceErrorf(format string, args ...any) {
	b.failed = true
	addError(b.pc, b.line, b.fenceCol(), format, args...)
}

// nodeErrorf reports a problem at a node of the block's YAML body.
func (b *block) nodeErrorf(n *yaml.Node, format string, args ...any) {
	b.failed = true
	line, col := b.nodePos(n)
	addError(b.pc, line, col, format, args...)
}

// nodePos is the file line and 1-based column of a node of the YAML body.
func (b *block) nodePos(n *yaml.Node) (line, col int) {
	ls := b.cb.Lines()
	if n.Line >= 1 && n.Line <= ls.Len() {
		start := ls.At(n.Line - 1).Start
		line = b.lines.line(start)
		return line, start - b.lines.starts[line-1] + n.Column
	}
	return b.yamlLine(n.Line), 0
}

// fenceCol is the column of the opening fence.
func (b *block) fenceCol() int {
	if p := b.cb.Pos(); p >= 0 && b.line >= 1 && b.line <= len(b.lines.starts) {
		// Pos may point at the fence or at its indentation: skip spaces.
		i := b.lines.starts[b.line-1]
		for i < len(b.source) && (b.source[i] == ' ' || b.source[i] == '\t' || b.source[i] == '>') {
			i++
		}
		return i - b.lines.starts[b.line-1] + 1
	}
	return 0
}

// infoCol is the column of word in the fence's info string, else of the fence.
func (b *block) infoCol(word string) int {
	if b.cb.Info != nil {
		seg := b.cb.Info.Segment
		if i := bytes.Index(seg.Value(b.source), []byte(word)); i >= 0 {
			off := seg.Start + i
			return off - b.lines.starts[b.lines.line(off)-1] + 1
		}
	}
	return b.fenceCol()
}

// parseYAML parses the body into a node tree; nil, true for an empty body.
func (b *block) parseYAML(what string) (*yaml.Node, bool) {
	body := b.body()
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, true
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(body, &doc); err != nil {
		if n, col, msg, ok := SyntaxError(body); ok {
			b.nodeErrorf(&yaml.Node{Line: n, Column: col}, "%s: invalid YAML: %s", what, msg)
			return nil, false
		}
		line, msg := b.line, strings.TrimPrefix(err.Error(), "yaml: ")
		if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
			if n, err := strconv.Atoi(m[1]); err == nil {
				line, msg = b.yamlLine(n), m[2]
			}
		}
		b.errorf(line, "%s: invalid YAML: %s", what, msg)
		return nil, false
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, true
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil, true
	}
	return root, true
}

func (t *transformer) demo(b *block, id string) (Demo, bool) {
	var info []byte
	if b.cb.Info != nil {
		info = b.cb.Info.Segment.Value(b.source)
	}
	fields := strings.Fields(string(info))
	if len(fields) < 2 {
		b.fenceErrorf("demo: missing name (write ```demo NAME)")
		return Demo{}, false
	}
	name := fields[1]
	if len(fields) > 2 {
		b.failed = true
		addError(b.pc, b.line, b.infoCol(fields[2]), "demo %q: want one name after \"demo\", got %q", name, strings.Join(fields[1:], " "))
		return Demo{}, false
	}
	if !demoNameRE.MatchString(name) {
		b.failed = true
		addError(b.pc, b.line, b.infoCol(name), "demo: invalid name %q (want lower-case letters, digits and dashes)", name)
		return Demo{}, false
	}
	what := fmt.Sprintf("demo %q", name)
	root, ok := b.parseYAML(what)
	if !ok {
		return Demo{}, false
	}
	config := json.RawMessage("{}")
	if root != nil {
		if root.Kind != yaml.MappingNode {
			b.nodeErrorf(root, "%s: config must be a YAML mapping (key: value)", what)
			return Demo{}, false
		}
		v, err := b.toJSONValue(root, 0)
		if err != nil {
			b.fenceErrorf("%s: %v", what, err)
			return Demo{}, false
		}
		if b.failed {
			return Demo{}, false
		}
		raw, err := json.Marshal(v)
		if err != nil {
			b.fenceErrorf("%s: config: %v", what, err)
			return Demo{}, false
		}
		config = raw
	}
	if t.opts.ValidateDemo != nil {
		if err := t.opts.ValidateDemo(name, config); err != nil {
			// Every problem of the block (errors.Join), each at the node its path names.
			errs := []error{err}
			if j, ok := err.(interface{ Unwrap() []error }); ok {
				errs = j.Unwrap()
			}
			for _, err := range errs {
				msg := err.Error()
				switch n := locateConfigError(root, msg); {
				case strings.Contains(msg, "unknown demo"):
					b.failed = true
					addError(b.pc, b.line, b.infoCol(name), "%s", msg)
				case n != nil:
					b.nodeErrorf(n, "%s", msg)
				default:
					b.failed = true
					addError(b.pc, b.line, b.infoCol(name), "%s", msg)
				}
			}
			return Demo{}, false
		}
	}
	return Demo{ID: id, Name: name, Config: config, Line: b.line}, true
}

// jsonObject keeps the YAML key order when marshalled.
type jsonObject struct {
	keys []string
	vals map[string]any
}

func (o *jsonObject) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		kb, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		buf.Write(kb)
		buf.WriteByte(':')
		vb, err := json.Marshal(o.vals[k])
		if err != nil {
			return nil, err
		}
		buf.Write(vb)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// toJSONValue converts a YAML node to a value encoding/json can write.
// Errors at a known line are reported directly (b.failed); the returned
// error is for problems without a better line.
func (b *block) toJSONValue(n *yaml.Node, depth int) (any, error) {
	if depth > maxConfigDepth {
		return nil, fmt.Errorf("config nested deeper than %d levels", maxConfigDepth)
	}
	switch n.Kind {
	case yaml.MappingNode:
		o := &jsonObject{vals: make(map[string]any, len(n.Content)/2)}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode || k.Tag == "!!merge" {
				b.nodeErrorf(k, "config: keys must be plain strings")
				return nil, nil
			}
			if _, dup := o.vals[k.Value]; dup {
				b.nodeErrorf(k, "config: duplicate key %q", k.Value)
				return nil, nil
			}
			val, err := b.toJSONValue(v, depth+1)
			if err != nil || b.failed {
				return nil, err
			}
			o.keys = append(o.keys, k.Value)
			o.vals[k.Value] = val
		}
		return o, nil
	case yaml.SequenceNode:
		arr := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			val, err := b.toJSONValue(c, depth+1)
			if err != nil || b.failed {
				return nil, err
			}
			arr = append(arr, val)
		}
		return arr, nil
	case yaml.AliasNode:
		b.nodeErrorf(n, "config: YAML aliases are not allowed")
		return nil, nil
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return nil, nil
		case "!!bool":
			var v bool
			if err := n.Decode(&v); err != nil {
				b.nodeErrorf(n, "config: %v", err)
			}
			return v, nil
		case "!!int":
			var v int64
			if err := n.Decode(&v); err != nil {
				b.nodeErrorf(n, "config: integer %q out of range", n.Value)
			}
			return v, nil
		case "!!float":
			var v float64
			if err := n.Decode(&v); err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
				b.nodeErrorf(n, "config: number %q is not finite", n.Value)
			}
			return v, nil
		case "!!str", "!!timestamp":
			return n.Value, nil
		default:
			b.nodeErrorf(n, "config: unsupported YAML tag %s", n.Tag)
			return nil, nil
		}
	}
	b.nodeErrorf(n, "config: unsupported YAML node")
	return nil, nil
}

// Quiz YAML keys.
var (
	questionKeys = []string{"question", "choices", "multiple"}
	choiceKeys   = []string{"text", "correct", "explain"}
)

func (t *transformer) quiz(b *block, id string) (Quiz, bool) {
	if b.cb.Info != nil {
		if f := strings.Fields(string(b.cb.Info.Segment.Value(b.source))); len(f) > 1 {
			b.fenceErrorf("quiz: unexpected %q after \"quiz\"", strings.Join(f[1:], " "))
			return Quiz{}, false
		}
	}
	root, ok := b.parseYAML("quiz")
	if !ok {
		return Quiz{}, false
	}
	if root == nil || (root.Kind == yaml.SequenceNode && len(root.Content) == 0) {
		b.fenceErrorf("quiz: needs at least one question")
		return Quiz{}, false
	}
	if root.Kind != yaml.SequenceNode {
		b.nodeErrorf(root, "quiz: want a YAML list of questions (- question: ...)")
		return Quiz{}, false
	}
	q := Quiz{ID: id, Line: b.line}
	for i, qn := range root.Content {
		qid := fmt.Sprintf("%s-q%d", id, i+1)
		what := fmt.Sprintf("quiz question %d", i+1)
		fields := b.mapping(qn, what, questionKeys)
		if fields == nil {
			continue
		}
		question := Question{ID: qid}
		prompt, ok := b.stringField(fields, qn, what, "question", true)
		if ok {
			question.PromptHTML = t.inlineHTML(prompt, b.yamlLine(fields["question"].Line), &q.Links, &q.Images)
		}
		question.Multiple, _ = b.boolField(fields, what, "multiple")
		ch, has := fields["choices"]
		switch {
		case !has:
			b.requiredErrorf(qn, "choices", "%s: \"choices\" is required", what)
			continue
		case ch.Kind != yaml.SequenceNode:
			b.nodeErrorf(ch, "%s: \"choices\" must be a list", what)
			continue
		case len(ch.Content) < 2:
			b.nodeErrorf(ch, "%s: needs at least 2 choices, got %d", what, len(ch.Content))
			continue
		}
		correct, misspelt := 0, false
		for j, cn := range ch.Content {
			cwhat := fmt.Sprintf("%s choice %d", what, j+1)
			cf := b.mapping(cn, cwhat, choiceKeys)
			if cf == nil {
				continue
			}
			c := Choice{ID: fmt.Sprintf("%s-c%d", qid, j+1)}
			if s, ok := b.stringField(cf, cn, cwhat, "text", true); ok {
				c.TextHTML = t.inlineHTML(s, b.yamlLine(cf["text"].Line), &q.Links, &q.Images)
			}
			if s, ok := b.stringField(cf, cn, cwhat, "explain", true); ok {
				c.ExplanationHTML = t.inlineHTML(s, b.yamlLine(cf["explain"].Line), &q.Links, &q.Images)
			}
			c.Correct, _ = b.boolField(cf, cwhat, "correct")
			misspelt = misspelt || contains(b.suggested[cn], "correct")
			if c.Correct {
				correct++
			}
			question.Choices = append(question.Choices, c)
		}
		switch {
		case misspelt: // "corect: true" is reported, not also the count it leaves
			b.failed = true
		case question.Multiple && correct == 0:
			b.nodeErrorf(qn, "%s: at least one choice must be correct", what)
		case !question.Multiple && correct != 1:
			b.nodeErrorf(qn, "%s: exactly one choice must be correct, got %d (set multiple: true for several)", what, correct)
		}
		q.Questions = append(q.Questions, question)
	}
	if b.failed {
		return Quiz{}, false
	}
	return q, true
}

// mapping checks that n is a mapping with only the allowed keys and returns
// its values by key (nil if n is not a mapping). Unknown keys are reported
// and skipped, so the other problems of the block are reported too.
func (b *block) mapping(n *yaml.Node, what string, allowed []string) map[string]*yaml.Node {
	if n.Kind != yaml.MappingNode {
		b.nodeErrorf(n, "%s: want a mapping with keys %s", what, strings.Join(allowed, ", "))
		return nil
	}
	fields := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || !contains(allowed, k.Value) {
			if s := Suggest(k.Value, allowed); s != "" {
				b.nodeErrorf(k, "%s: unknown key %q (did you mean %q?)", what, k.Value, s)
				if b.suggested == nil {
					b.suggested = map[*yaml.Node][]string{}
				}
				b.suggested[n] = append(b.suggested[n], s)
			} else {
				b.nodeErrorf(k, "%s: unknown key %q (want %s)", what, k.Value, strings.Join(allowed, ", "))
			}
			continue
		}
		if _, dup := fields[k.Value]; dup {
			b.nodeErrorf(k, "%s: duplicate key %q", what, k.Value)
			continue
		}
		fields[k.Value] = v
	}
	return fields
}

func (b *block) stringField(fields map[string]*yaml.Node, parent *yaml.Node, what, key string, required bool) (string, bool) {
	v, ok := fields[key]
	if !ok || (v.Kind == yaml.ScalarNode && v.Tag == "!!null") {
		if required {
			b.requiredErrorf(parent, key, "%s: %q is required", what, key)
		}
		return "", false
	}
	if v.Kind != yaml.ScalarNode || v.Tag == "!!binary" {
		b.nodeErrorf(v, "%s: %q must be text", what, key)
		return "", false
	}
	if strings.TrimSpace(v.Value) == "" {
		if required {
			b.nodeErrorf(v, "%s: %q is empty", what, key)
		}
		return "", false
	}
	return v.Value, true
}

func (b *block) boolField(fields map[string]*yaml.Node, what, key string) (bool, bool) {
	v, ok := fields[key]
	if !ok {
		return false, false
	}
	if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" {
		b.nodeErrorf(v, "%s: %q must be true or false", what, key)
		return false, false
	}
	var x bool
	if err := v.Decode(&x); err != nil {
		b.nodeErrorf(v, "%s: %q must be true or false", what, key)
		return false, false
	}
	return x, true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var (
	pOpen  = []byte("<p>")
	pClose = []byte("</p>\n")
)

// inlineHTML renders s as Markdown in safe mode; a single paragraph is
// unwrapped so the result fits inside a <label> or <legend>. Its links and
// images, as written, are appended to links and images at the given source line.
func (t *transformer) inlineHTML(s string, line int, toLinks, toImages *[]Link) string {
	var buf bytes.Buffer
	pc := parser.NewContext()
	if err := t.inline.Convert([]byte(s), &buf, parser.WithContext(pc)); err != nil {
		return ""
	}
	if l, ok := pc.Get(linksKey).(*links); ok {
		for _, h := range l.links {
			*toLinks = append(*toLinks, Link{Href: h, Line: line})
		}
		for _, h := range l.images {
			*toImages = append(*toImages, Link{Href: h, Line: line})
		}
	}
	out := buf.Bytes()
	if bytes.HasPrefix(out, pOpen) && bytes.HasSuffix(out, pClose) &&
		bytes.Count(out, pOpen) == 1 {
		out = out[len(pOpen) : len(out)-len(pClose)]
	}
	return string(bytes.TrimSpace(out))
}

// lineIndex maps byte offsets to 1-based line numbers.
type lineIndex struct{ starts []int }

func newLineIndex(src []byte) *lineIndex {
	starts := []int{0}
	for i, c := range src {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	return &lineIndex{starts: starts}
}

func (l *lineIndex) line(off int) int {
	return sort.Search(len(l.starts), func(i int) bool { return l.starts[i] > off })
}
