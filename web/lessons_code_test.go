package web

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"

	"socketlab/lessons"
)

// goFragmentMarker, after the language of a fence (```go fragment), exempts that block from
// TestLessonGoCompiles: for the rare snippet that cannot stand alone (see docs/authoring.md).
const goFragmentMarker = "fragment"

// lessonGoBlock is one ```go fence of a lesson.
type lessonGoBlock struct {
	File string // as shown in messages: "lessons/02-chat.md"
	Line int    // file line of the block's first code line
	Code string
}

// fence is one fenced code block of a Markdown file.
type fence struct {
	Info []string // the info string's words: ["go", "fragment"]
	Line int      // file line of the block's first code line (of the fence when empty)
	Code string
}

// fences returns the fenced code blocks of a Markdown source, in order.
// fenceParser parses lessons for their fenced blocks; one parser serves every call.
var fenceParser = goldmark.New().Parser()

func fences(src []byte) []fence {
	var out []fence
	doc := fenceParser.Parse(text.NewReader(src))
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		cb, ok := n.(*ast.FencedCodeBlock)
		if !entering || !ok {
			return ast.WalkContinue, nil
		}
		f := fence{Line: bytes.Count(src[:max(cb.Pos(), 0)], []byte("\n")) + 1}
		if cb.Info != nil {
			f.Info = strings.Fields(string(cb.Info.Segment.Value(src)))
		}
		var code strings.Builder
		for i := 0; i < cb.Lines().Len(); i++ {
			seg := cb.Lines().At(i)
			if i == 0 {
				f.Line = bytes.Count(src[:seg.Start], []byte("\n")) + 1
			}
			code.Write(seg.Value(src))
		}
		f.Code = code.String()
		out = append(out, f)
		return ast.WalkSkipChildren, nil
	})
	return out
}

// lang is the language of a fence, lower-cased ("" when none).
func (f fence) lang() string {
	if len(f.Info) == 0 {
		return ""
	}
	return strings.ToLower(f.Info[0])
}

// lessonGoBlocks returns every ```go block of the .md files of fsys (subfolders too), in file
// order, skipping those marked ```go fragment. prefix is put before file names in messages.
func lessonGoBlocks(t *testing.T, fsys fs.FS, prefix string) []lessonGoBlock {
	t.Helper()
	var out []lessonGoBlock
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(name, ".md") {
			return err
		}
		src, err := fs.ReadFile(fsys, name)
		if err != nil {
			return fmt.Errorf("reading %s: %w", name, err)
		}
		file := name
		if prefix != "" {
			file = prefix + "/" + name
		}
		for _, f := range fences(src) {
			if f.lang() == "go" && f.Code != "" && !slices.Contains(f.Info[1:], goFragmentMarker) {
				out = append(out, lessonGoBlock{File: file, Line: f.Line, Code: f.Code})
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("reading the lessons: %v", err)
	}
	return out
}

// lessonCodeImports are the packages a lesson's Go may use without importing them, by the name
// the code calls them: a block gets the import when it mentions "name.".
var lessonCodeImports = map[string]string{
	"base64":   "encoding/base64",
	"context":  "context",
	"errors":   "errors",
	"fmt":      "fmt",
	"hmac":     "crypto/hmac",
	"json":     "encoding/json",
	"os":       "os",
	"regexp":   "regexp",
	"sha256":   "crypto/sha256",
	"slog":     "log/slog",
	"strings":  "strings",
	"sync":     "sync",
	"time":     "time",
	"socketio": "socketlab/playground/socketio",
}

// lessonCodePrelude opens the function every block becomes the body of: the names a lesson's Go
// uses without declaring them. A block may shadow them (io.OnConnection(func(s *socketio.Socket)…)).
const lessonCodePrelude = "func block%d(io *socketio.Server, s *socketio.Socket, socket *socketio.Socket, ctx context.Context) {\n"

// lessonCodeSrc stands for the lesson files in //line directives: absolute, since a relative
// name would be read from the package folder, and easy to find in the compiler's output.
const lessonCodeSrc = "/lessoncode-src/"

// lessonCodeFile is the Go file block i becomes: its imports, the prelude, and the code under a
// //line directive, so the compiler reports lesson files, lines and columns.
func lessonCodeFile(i int, b lessonGoBlock) string {
	var f strings.Builder
	f.WriteString("package lessoncode\n\nimport (\n")
	used := []string{"context", "socketio"} // the prelude's
	for name := range lessonCodeImports {
		if !slices.Contains(used, name) && regexp.MustCompile(`\b`+name+`\.`).MatchString(b.Code) {
			used = append(used, name)
		}
	}
	slices.Sort(used)
	for _, name := range used {
		fmt.Fprintf(&f, "\t%q\n", lessonCodeImports[name])
	}
	f.WriteString(")\n\n")
	fmt.Fprintf(&f, lessonCodePrelude, i)
	fmt.Fprintf(&f, "//line %s%s:%d:1\n", lessonCodeSrc, b.File, b.Line)
	f.WriteString(b.Code)
	f.WriteString("}\n")
	return f.String()
}

// vetLessonGo writes every block into a throwaway package inside the module (a "_" folder, which
// ./... ignores), compiles and vets it, and returns the complaints as "FILE:LINE:COL: message",
// or nil when everything compiles and vets clean.
func vetLessonGo(t *testing.T, blocks []lessonGoBlock) []string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to type-check the lessons' Go: %v", err)
	}
	dir, err := os.MkdirTemp(".", "_lessoncode")
	if err != nil {
		t.Fatalf("making the package folder: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	for i, b := range blocks {
		name := filepath.Join(dir, fmt.Sprintf("block%03d.go", i))
		if err := os.WriteFile(name, []byte(lessonCodeFile(i, b)), 0o644); err != nil {
			t.Fatalf("writing %s: %v", name, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	pkg := "./" + filepath.ToSlash(dir)
	// go build -gcflags=-e reports every compile error (go vet stops at the first type error);
	// then go vet's own checks (printf verbs, copied locks, ...).
	for _, args := range [][]string{
		{"build", "-gcflags=-e", "-o", os.DevNull, pkg},
		{"vet", pkg},
	} {
		out, err := exec.CommandContext(ctx, goBin, args...).CombinedOutput()
		if err == nil {
			continue
		}
		var msgs []string
		for _, line := range strings.Split(string(out), "\n") {
			if i := strings.Index(line, lessonCodeSrc); i >= 0 {
				msgs = append(msgs, line[i+len(lessonCodeSrc):])
			}
		}
		if len(msgs) == 0 { // not a complaint about a block: show what go said
			msgs = append(msgs, fmt.Sprintf("go %s: %v\n%s", args[0], err, out))
		}
		return msgs
	}
	return nil
}

// TestLessonGoCompiles compiles and vets every ```go block of every lesson of the embedded
// course against the real hub API, as the body of a function with io, s, socket and ctx in scope.
func TestLessonGoCompiles(t *testing.T) {
	blocks := lessonGoBlocks(t, lessons.Content, "lessons")
	// Every line opening a ```go fence (fragments aside) must have become a block.
	fenceRE := regexp.MustCompile("(?m)^\\s*```go[ \\t]*(.*)$")
	want := 0
	_ = fs.WalkDir(lessons.Content, ".", func(name string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(name, ".md") {
			src, _ := fs.ReadFile(lessons.Content, name)
			for _, m := range fenceRE.FindAllStringSubmatch(string(src), -1) {
				if !slices.Contains(strings.Fields(m[1]), goFragmentMarker) {
					want++
				}
			}
		}
		return nil
	})
	if len(blocks) != want || want < 10 {
		t.Fatalf("extracted %d ```go blocks, but the lessons open %d ```go fences: the extraction is broken", len(blocks), want)
	}
	t.Logf("%d ```go blocks compile and vet clean", len(blocks))
	for _, msg := range vetLessonGo(t, blocks) {
		t.Error(msg)
	}
}

// TestLessonGoCheckerCatches proves the checker can fail: Go that does not compile, misuses the
// hub API or fails vet is reported at its lesson line, and ```go fragment and other languages
// are skipped.
func TestLessonGoCheckerCatches(t *testing.T) {
	fsys := fstest.MapFS{
		"01-a.md": {Data: []byte("---\ntitle: A\n---\n\nText.\n\n```go\nio.OnConnection(func(s *socketio.Socket) {\n\ts.Emit(\"hi\")\n})\n```\n\n```go\nio.Broadcast().Emit(\"x\")\n```\n")},
		"02-b.md": {Data: []byte("```go fragment\nthis is not Go\n```\n\n```js\nnot go either\n```\n\n```go\nfmt.Println(\"x\")\ntime.Sleep(1)\nvar unused int\n```\n")},
	}
	blocks := lessonGoBlocks(t, fsys, "lessons")
	var where []string
	for _, b := range blocks {
		where = append(where, fmt.Sprintf("%s:%d", b.File, b.Line))
	}
	if want := []string{"lessons/01-a.md:8", "lessons/01-a.md:14", "lessons/02-b.md:10"}; !slices.Equal(where, want) {
		t.Fatalf("blocks found at %v, want %v (the fragment and the js block skipped)", where, want)
	}
	got := strings.Join(vetLessonGo(t, blocks), "\n")
	for _, want := range []string{
		"lessons/01-a.md:14:4: io.Broadcast undefined",        // no broadcast flag on the server
		"lessons/02-b.md:12:5: declared and not used: unused", // any compile error
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the checker's report lacks %q; it said:\n%s", want, got)
		}
	}
	if strings.Contains(got, "01-a.md:8") || strings.Contains(got, "01-a.md:9") {
		t.Errorf("a block that compiles was reported:\n%s", got)
	}

	vetOnly := []lessonGoBlock{{File: "lessons/03-c.md", Line: 20, Code: "fmt.Printf(\"%d\\n\", \"text\")\n"}}
	if got := strings.Join(vetLessonGo(t, vetOnly), "\n"); !strings.Contains(got, "lessons/03-c.md:20:13: fmt.Printf format %d has arg \"text\" of wrong type string") {
		t.Errorf("go vet's printf check did not reach the report; it said:\n%s", got)
	}
}

// TestLessonJSNamed: every ```js fence of the embedded course is named (```js sample=NAME, names
// unique), and node/truth/lesson-samples.test.js runs it by that name, or lists it in FRAGMENTS
// when it is marked ```js sample=NAME fragment (see docs/authoring.md). The Node test executes
// the samples; this one reports an unnamed or unchecked sample at its lesson line under go test.
func TestLessonJSNamed(t *testing.T) {
	runner, err := os.ReadFile("../node/truth/lesson-samples.test.js")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	err = fs.WalkDir(lessons.Content, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(name, ".md") {
			return err
		}
		src, err := fs.ReadFile(lessons.Content, name)
		if err != nil {
			return err
		}
		for _, f := range fences(src) {
			if f.lang() != "js" {
				continue
			}
			at := fmt.Sprintf("lessons/%s:%d", name, f.Line-1)
			var sample string
			for _, w := range f.Info[1:] {
				if v, ok := strings.CutPrefix(w, "sample="); ok {
					sample = v
				}
			}
			switch {
			case sample == "":
				t.Errorf("%s: a ```js fence without sample=NAME", at)
			case seen[sample] != "":
				t.Errorf("%s: sample name %s is also used at %s", at, sample, seen[sample])
			case slices.Contains(f.Info[1:], "fragment"):
				if !bytes.Contains(runner, []byte(`"`+sample+`":`)) {
					t.Errorf("%s: fragment %s has no reason in FRAGMENTS of node/truth/lesson-samples.test.js", at, sample)
				}
			case !bytes.Contains(runner, []byte(`"`+sample+`"]`)) && !bytes.Contains(runner, []byte(`"`+sample+`",`)):
				t.Errorf("%s: no check of node/truth/lesson-samples.test.js runs sample %s", at, sample)
			}
			if sample != "" && seen[sample] == "" {
				seen[sample] = at
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) < 10 {
		t.Fatalf("found %d named ```js samples: the extraction is broken", len(seen))
	}
}
