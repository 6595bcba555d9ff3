// Package lessons holds the Markdown lessons (embedded in Content) and the
// loader that turns them into an immutable *Index: every file is parsed,
// validated and rendered once, at startup, and one bad file fails Load.
//
// A lesson is a top-level NN-name.md file, or a top-level NN-name/ folder
// with an index.md (room for images next to it). README.md and names
// starting with "_" or "." are not lessons. Each starts with YAML front
// matter between --- lines:
//
//	---
//	title: Rooms              # required
//	summary: One sentence.    # required
//	objectives: [...]         # optional list of strings
//	questions: [...]          # optional: the reading questions it answers
//	order: 3                  # optional, else the NN- prefix of the name
//	slug: rooms               # optional, else the name without NN- and .md
//	draft: true               # optional; drafts load only with Options.Drafts
//	---
//
// The body is GitHub-flavoured Markdown rendered in goldmark's safe mode,
// with ```demo NAME and ```quiz blocks (package blocks).
package lessons

import (
	"bytes"
	"cmp"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"

	"socketlab/lessons/blocks"
)

// Content holds the lessons shipped in the binary.
//
//go:embed *.md
var Content embed.FS

// MaxFileSize is the largest lesson file Load accepts (checked before parsing).
const MaxFileSize = 256 << 10

// Options configure Load.
type Options struct {
	Prefix string         // shown in errors: "lessons" → "lessons/01-welcome.md:12: ..."
	Drafts bool           // include lessons with draft: true
	Blocks blocks.Options // demo/quiz renderers and demo validation, from main; called concurrently
	// ReservedIDs are element ids the page itself uses ("main-content"):
	// a heading whose auto id would clash gets a "-1" suffix instead.
	// "demo-N" and "quiz-N" (N ≤ 64), the widgets' ids, are always reserved.
	ReservedIDs []string
}

// Heading is an h2 or h3 of a lesson body, for its table of contents.
type Heading struct {
	Level    int
	ID, Text string // anchor id (auto-generated) and plain text
}

// Link is a link or image destination as written in the lesson, with its line.
type Link struct {
	Href string
	Line int
}

// Lesson is one loaded lesson. Treat it as read-only.
type Lesson struct {
	File       string // path inside the fs.FS: "01-welcome.md"
	Slug       string
	Title      string
	Summary    string
	Objectives []string
	Questions  []string
	Order      int
	Draft      bool
	HTML       string    // rendered body: safe HTML (no raw HTML, refused URLs emptied)
	TOC        []Heading // h2 and h3 in order
	Demos      []blocks.Demo
	Quizzes    []blocks.Quiz
	Exercises  []blocks.Exercise
	Links      []Link   // every link and autolink, quizzes included, as written (before URL filtering)
	Images     []Link   // every image, quizzes included, as written
	Anchors    []string // the id of every heading, any level
	Chapter    *Chapter // nil for a lesson outside any chapter

	QuestionsHTML []string // Questions rendered from inline Markdown (InlineHTML): safe HTML

	keyLines map[string]int // front-matter key → file line
}

// Chapter is a folder of lessons with a chapter.yaml index file:
//
//	title: Scaling out        # required
//	summary: One sentence.    # optional
//	order: 3                  # optional, else the NN- prefix of the folder
//	defaults:                 # optional: values its lessons inherit
//	  draft: true             #   unless they set the key themselves
//	  objectives: [...]
//	  questions: [...]
//
// Its lessons are the NN-name.md files and NN-name/index.md folders inside
// it, ordered within the chapter; the chapter takes its place among the
// top-level lessons by its order.
type Chapter struct {
	Dir     string // folder in the fs.FS: "03-scaling"
	Title   string
	Summary string
	Order   int

	orderLine int // the line of order: in its chapter.yaml, 0 when the folder name gives it
}

// ChapterFile is the name of a chapter's index file.
const ChapterFile = "chapter.yaml"

// Failed is a lesson file that did not load (see LoadPartial).
type Failed struct {
	File    string   // path inside the fs.FS
	Slug    string   // its slug as far as it could be read (from the front matter or the file name)
	Title   string   // its title as far as it could be read, else ""
	Draft   bool     // draft: true could be read
	Chapter *Chapter // the chapter it is in, nil outside any
	Errors  []*Error // with File prefixed, as in Load's error

	partial    *Lesson // the lesson as far as it loaded (front matter, body when it rendered), else nil
	top, inner int     // its place in the course as far as it could be read (see Lesson.position)
}

// Index is the immutable set of loaded lessons.
type Index struct {
	lessons []*Lesson
	bySlug  map[string]int
	failed  []*Failed
	hidden  []*Lesson // drafts that loaded but are not served (Options.Drafts false)
	drafts  bool      // Options.Drafts
}

// Entry is one place in a course being edited: a lesson that loaded, or a file that did not.
type Entry struct {
	Lesson *Lesson // nil when the file did not load
	Failed *Failed // nil when it did
}

// Course is every lesson of Lessons, in order, with the files that did not load in their places
// (by the order and chapter read from them, else from their names): what the site of a course
// being edited numbers and links. A file known to be a draft is left out unless drafts are
// served. For an index returned by Load it is Lessons.
func (x *Index) Course() []Entry {
	out := make([]Entry, 0, len(x.lessons)+len(x.failed))
	for _, l := range x.lessons {
		out = append(out, Entry{Lesson: l})
	}
	for _, f := range x.failed {
		if !f.Draft || x.drafts {
			out = append(out, Entry{Failed: f})
		}
	}
	slices.SortStableFunc(out, func(a, b Entry) int {
		at, ai := a.position()
		bt, bi := b.position()
		return cmp.Or(cmp.Compare(at, bt), cmp.Compare(ai, bi))
	})
	return out
}

func (e Entry) position() (top, inner int) {
	if e.Lesson != nil {
		return e.Lesson.position()
	}
	return e.Failed.top, e.Failed.inner
}

// Failed lists the files that did not load, in file order: always empty
// for an index returned by Load.
func (x *Index) Failed() []*Failed { return slices.Clone(x.failed) }

// Lessons returns the lessons sorted by order (a fresh slice).
func (x *Index) Lessons() []*Lesson { return slices.Clone(x.lessons) }

// BySlug returns the lesson with that slug and its position in Lessons().
func (x *Index) BySlug(slug string) (l *Lesson, i int, ok bool) {
	i, ok = x.bySlug[slug]
	if !ok {
		return nil, -1, false
	}
	return x.lessons[i], i, true
}

// Error is one problem in one lesson file.
type Error struct {
	File string // with Options.Prefix: "lessons/01-welcome.md"
	Line int
	Col  int // 1-based byte column when known, else 0
	Err  error
}

func (e *Error) Error() string { return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err) }
func (e *Error) Unwrap() error { return e.Err }

// maxWidgetIDs is how many "demo-N", "quiz-N" and "exercise-N" ids headings avoid.
const maxWidgetIDs = 64

var (
	orderPrefixRE = regexp.MustCompile(`^([0-9]+)-(.+)$`)
	slugRE        = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)
)

// Load reads every lesson of fsys, parses and renders it once (files in
// parallel; every goroutine has returned when Load does), and returns
// the index. All problems are returned together (errors.Join of *Error),
// each as "PREFIX/FILE:LINE: message".
func Load(fsys fs.FS, opts Options) (*Index, error) {
	x, errs := load(fsys, opts)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return x, nil
}

// LoadPartial is Load for a course being edited: the index holds every
// lesson that loaded, Failed lists the files that did not, and the error
// (nil when there are none) has every problem, as Load's. The index is nil
// only when fsys cannot be listed.
func LoadPartial(fsys fs.FS, opts Options) (*Index, error) {
	x, errs := load(fsys, opts)
	return x, errors.Join(errs...)
}

func load(fsys fs.FS, opts Options) (*Index, []error) {
	files, cerrs := lessonFiles(fsys)
	if files == nil && len(cerrs) > 0 && cerrs[0].File == "" {
		return nil, []error{fmt.Errorf("listing lessons: %w", cerrs[0].Err)}
	}
	var errs []error
	for _, e := range cerrs {
		e.File = path.Join(opts.Prefix, e.File)
		errs = append(errs, e)
	}
	md := newMarkdown(opts.Blocks)
	// Files are independent: load them on every core (chroma's tokenizer
	// dominates start-up), then merge in file order.
	type result struct {
		l    *Lesson
		slug string
		errs []*Error
	}
	results := make([]result, len(files))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, f := range files {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			defer func() {
				if r := recover(); r != nil {
					results[i] = result{slug: nameSlug(f.name), errs: []*Error{lineErr(1, "internal error loading the lesson: %v", r)}}
				}
			}()
			l, slug, errs := loadFile(fsys, f, md, opts.ReservedIDs)
			results[i] = result{l, slug, errs}
		})
	}
	wg.Wait()
	x := &Index{drafts: opts.Drafts}
	var all []*Lesson
	for i, r := range results {
		for _, e := range r.errs {
			e.File = path.Join(opts.Prefix, files[i].file)
			errs = append(errs, e)
		}
		if len(r.errs) > 0 {
			x.failed = append(x.failed, failedFile(files[i], r.slug, r.l, r.errs))
			continue
		}
		switch {
		case r.l == nil:
		case !r.l.Draft || opts.Drafts:
			all = append(all, r.l)
		default:
			x.hidden = append(x.hidden, r.l)
		}
	}
	slices.SortStableFunc(all, func(a, b *Lesson) int {
		at, ai := a.position()
		bt, bi := b.position()
		return cmp.Or(cmp.Compare(at, bt), cmp.Compare(ai, bi))
	})
	x.bySlug = make(map[string]int, len(all))
	top := make(map[int]string, len(all)) // top-level order → lesson file or chapter folder
	inner := make(map[[2]int]*Lesson, len(all))
	chapterClash := map[*Chapter]*Error{}
	for _, l := range all {
		t, i := l.position()
		owner := l.File
		if l.Chapter != nil {
			owner = l.Chapter.Dir
		}
		// Every clash of the lesson in one run: its order and its slug.
		var les []*Error
		if o, dup := top[t]; dup && o != owner {
			if l.Chapter != nil {
				// The chapter's order clashes: its chapter.yaml (or folder name) says so, once.
				e := chapterClash[l.Chapter]
				if e == nil {
					line, col := max(l.Chapter.orderLine, 1), 1
					e = &Error{File: path.Join(opts.Prefix, l.Chapter.Dir, ChapterFile), Line: line, Col: col,
						Err: fmt.Errorf("chapter: duplicate order %d (also %s)", t, o)}
					if l.Chapter.orderLine == 0 {
						e.Err = fmt.Errorf("chapter: duplicate order %d from the folder name %s (also %s): rename it or set order:", t, l.Chapter.Dir, o)
					}
					chapterClash[l.Chapter] = e
					errs = append(errs, e)
				}
				les = append(les, e)
			} else {
				les = append(les, l.errAt("order", "duplicate order %d (also %s)", t, o))
			}
		} else if o, dup := inner[[2]int{t, i}]; dup {
			les = append(les, l.errAt("order", "duplicate order %d (also %s)", l.Order, o.File))
		}
		if j, dup := x.bySlug[l.Slug]; dup {
			les = append(les, l.errAt("slug", "duplicate slug %q (also %s)", l.Slug, x.lessons[j].File))
		}
		if len(les) > 0 {
			for _, e := range les {
				if e.File == "" {
					e.File = path.Join(opts.Prefix, l.File)
					errs = append(errs, e)
				}
			}
			x.failed = append(x.failed, &Failed{File: l.File, Slug: l.Slug, Title: l.Title, Draft: l.Draft, Chapter: l.Chapter,
				Errors: les, partial: l, top: t, inner: i})
			continue
		}
		top[t] = owner
		inner[[2]int{t, i}] = l
		x.bySlug[l.Slug] = len(x.lessons)
		x.lessons = append(x.lessons, l)
	}
	return x, errs
}

// failedFile describes a file that did not load: what could be read of it, and its place in the
// course from the lesson as far as it loaded, else from its name and chapter.
func failedFile(f lessonFile, slug string, l *Lesson, errs []*Error) *Failed {
	out := &Failed{File: f.file, Slug: slug, Errors: errs, partial: l}
	if f.chapter != nil {
		out.Chapter = &f.chapter.Chapter
	}
	if l != nil {
		out.Title, out.Draft = l.Title, l.Draft
		out.top, out.inner = l.position()
		return out
	}
	order := 0
	if m := orderPrefixRE.FindStringSubmatch(f.name); m != nil {
		order, _ = strconv.Atoi(m[1])
	}
	out.top = order
	if f.chapter != nil {
		out.top, out.inner = f.chapter.Order, order
	}
	return out
}

// position is the lesson's place in the course: its order among the
// top-level lessons and chapters, then within its chapter.
func (l *Lesson) position() (top, inner int) {
	if l.Chapter != nil {
		return l.Chapter.Order, l.Order
	}
	return l.Order, 0
}

// errAt is an error at the front-matter line of key (line 1 without it).
func (l *Lesson) errAt(key, format string, args ...any) *Error {
	line, col := 1, 1
	if n, ok := l.keyLines[key]; ok {
		line = n
	}
	return &Error{Line: line, Col: col, Err: fmt.Errorf(format, args...)}
}

type lessonFile struct {
	file    string // path in fsys
	name    string // file or folder name without .md
	chapter *chapterInfo
}

// lessonFiles lists the lessons of fsys: top-level files and folders, and
// those of chapter folders (chapter.yaml), whose index files it parses.
func lessonFiles(fsys fs.FS) ([]lessonFile, []*Error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, []*Error{{Err: err}}
	}
	var files []lessonFile
	var errs []*Error
	for _, e := range entries {
		n := e.Name()
		if skipName(n) {
			continue
		}
		if e.IsDir() {
			if _, err := fs.Stat(fsys, path.Join(n, ChapterFile)); err == nil {
				ch, cerrs := loadChapter(fsys, n)
				errs = append(errs, cerrs...)
				if ch == nil {
					continue
				}
				sub, err := fs.ReadDir(fsys, n)
				if err != nil {
					errs = append(errs, &Error{File: n, Line: 1, Err: err})
					continue
				}
				for _, se := range sub {
					if f, ok := lessonEntry(fsys, n, se); ok {
						f.chapter = ch
						files = append(files, f)
					}
				}
				continue
			}
		}
		if f, ok := lessonEntry(fsys, ".", e); ok {
			files = append(files, f)
		}
	}
	if files == nil {
		files = []lessonFile{}
	}
	return files, errs
}

func skipName(n string) bool {
	return strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_") || strings.EqualFold(n, "README.md") || n == "testdata"
}

// lessonEntry is the lesson an entry of dir is, if any: a NAME.md file or
// a folder with an index.md.
func lessonEntry(fsys fs.FS, dir string, e fs.DirEntry) (lessonFile, bool) {
	n := e.Name()
	if skipName(n) {
		return lessonFile{}, false
	}
	switch {
	case e.IsDir():
		f := path.Join(dir, n, "index.md")
		if _, err := fs.Stat(fsys, f); err == nil {
			return lessonFile{file: f, name: n}, true
		}
	case strings.HasSuffix(n, ".md"):
		return lessonFile{file: path.Join(dir, n), name: strings.TrimSuffix(n, ".md")}, true
	}
	return lessonFile{}, false
}

// nameSlug is the slug a file or folder name gives: without NN- and .md.
func nameSlug(name string) string {
	if m := orderPrefixRE.FindStringSubmatch(name); m != nil {
		return m[2]
	}
	return name
}

func lineErr(line int, format string, args ...any) *Error {
	return &Error{Line: line, Err: fmt.Errorf(format, args...)}
}

// loadFile returns the lesson and its slug, or its errors (File left empty)
// with the lesson as far as it loaded (nil when its front matter could not
// be found) and the slug as far as it could be read.
func loadFile(fsys fs.FS, f lessonFile, md goldmark.Markdown, reserved []string) (*Lesson, string, []*Error) {
	slug := nameSlug(f.name)
	src, err := readCapped(fsys, f.file)
	if err != nil {
		return nil, slug, []*Error{lineErr(1, "%w", err)}
	}
	var d *defaults
	if f.chapter != nil {
		d = f.chapter.defaults
	}
	fm, body, errs := parseFrontMatter(src, d)
	if body == nil {
		return nil, slug, errs
	}
	// With front-matter errors the body is still checked, so one run of
	// check reports every problem of the file.
	l := &Lesson{
		File: f.file, Title: fm.Title, Summary: fm.Summary,
		Objectives: fm.Objectives, Questions: fm.Questions, Draft: fm.Draft,
		keyLines: fm.keyLines,
	}
	for _, q := range l.Questions {
		l.QuestionsHTML = append(l.QuestionsHTML, InlineHTML(q))
	}
	if f.chapter != nil {
		l.Chapter = &f.chapter.Chapter
	}
	if m := orderPrefixRE.FindStringSubmatch(f.name); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil {
			l.Order = n
		}
	}
	if fm.Order != nil {
		l.Order = *fm.Order
		if l.Order < 1 {
			errs = append(errs, &Error{Line: fm.line("order"), Col: fm.keyCols["order"], Err: fmt.Errorf("order must be 1 or more, got %d", l.Order)})
		}
	} else if _, set := fm.keyLines["order"]; l.Order < 1 && !set && !fm.broken {
		errs = append(errs, lineErr(1, "no order: set \"order\" in the front matter or name the file NN-%s.md", f.name))
	}
	if fm.Slug != "" {
		slug = fm.Slug
	}
	if _, set := fm.keyLines["slug"]; !slugRE.MatchString(slug) && (fm.Slug != "" || !set) {
		errs = append(errs, &Error{Line: fm.line("slug"), Col: fm.keyCols["slug"], Err: fmt.Errorf("invalid slug %q (want lower-case letters, digits and single dashes)", slug)})
	}
	l.Slug = slug

	// A body that does not render still gives its front matter: the title and place in the
	// course of a broken lesson (serve -watch keeps it there, with its errors).
	if serrs := checkShape(body); len(serrs) > 0 {
		return l, slug, append(errs, serrs...)
	}
	if perr := render(fsys, md, body, l, reserved); len(perr) > 0 {
		return l, slug, append(errs, perr...)
	}
	// With only front-matter errors the body rendered: the lesson comes
	// back with its errors, for Check to check its links and images too.
	return l, slug, errs
}

func readCapped(fsys fs.FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > MaxFileSize {
		return nil, fmt.Errorf("file is %d bytes, over the %d-byte limit for a lesson", st.Size(), MaxFileSize)
	}
	src, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading: %w", err)
	}
	if len(src) > MaxFileSize {
		return nil, fmt.Errorf("file is over the %d-byte limit for a lesson", MaxFileSize)
	}
	return src, nil
}

// render parses body (file lines kept: the front matter is blanked), fills
// the rendered fields of l and returns the problems found, with file lines.
func render(fsys fs.FS, md goldmark.Markdown, body []byte, l *Lesson, reserved []string) []*Error {
	pc := parser.NewContext()
	ids := pc.IDs()
	for i := 1; i <= maxWidgetIDs; i++ {
		ids.Put([]byte("demo-" + strconv.Itoa(i)))
		ids.Put([]byte("quiz-" + strconv.Itoa(i)))
		ids.Put([]byte("exercise-" + strconv.Itoa(i)))
	}
	for _, id := range reserved {
		ids.Put([]byte(id))
	}
	doc := md.Parser().Parse(text.NewReader(body), parser.WithContext(pc))
	var errs []*Error
	for _, e := range blocks.Errors(pc) {
		errs = append(errs, &Error{Line: e.Line, Col: e.Col, Err: e.Err})
	}
	if len(errs) > 0 {
		return errs
	}
	c, _ := pc.Get(collectedKey).(*collected)
	if c != nil {
		l.Links, l.Images = c.links, c.images
	}
	rewriteImages(doc, fsys, l.File)
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			id, _ := n.AttributeString("id")
			idb, _ := id.([]byte)
			l.Anchors = append(l.Anchors, string(idb))
			if n.Level == 2 || n.Level == 3 {
				l.TOC = append(l.TOC, Heading{Level: n.Level, ID: string(idb), Text: plainText(n, body)})
			}
			return ast.WalkSkipChildren, nil
		case *blocks.DemoNode:
			l.Demos = append(l.Demos, n.Demo)
		case *blocks.QuizNode:
			l.Quizzes = append(l.Quizzes, n.Quiz)
			l.addLinks(n.Quiz.Links, n.Quiz.Images)
		case *blocks.ExerciseNode:
			l.Exercises = append(l.Exercises, n.Exercise)
			l.addLinks(n.Exercise.Links, n.Exercise.Images)
		}
		return ast.WalkContinue, nil
	})
	var buf bytes.Buffer
	if err := md.Renderer().Render(&buf, body, doc); err != nil {
		line := 1
		var le *blocks.LineError
		if errors.As(err, &le) {
			line, err = le.Line, le.Err
		}
		return []*Error{{Line: line, Err: err}}
	}
	l.HTML = buf.String()
	return nil
}

// addLinks adds the links and images of a quiz or an exercise to the lesson's.
func (l *Lesson) addLinks(links, images []blocks.Link) {
	for _, k := range links {
		l.Links = append(l.Links, Link(k))
	}
	for _, k := range images {
		l.Images = append(l.Images, Link(k))
	}
}

// plainText is the text of an inline tree: text, code spans, entities.
func plainText(n ast.Node, source []byte) string {
	var sb strings.Builder
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch c := c.(type) {
		case *ast.Text:
			v := c.Value(source)
			if !c.IsRaw() {
				v = util.ResolveEntityNames(util.ResolveNumericReferences(util.UnescapePunctuations(v)))
			}
			sb.Write(v)
			if c.SoftLineBreak() || c.HardLineBreak() {
				sb.WriteByte(' ')
			}
		case *ast.String:
			sb.Write(c.Value)
		case *ast.AutoLink:
			sb.Write(c.Label(source))
		}
		return ast.WalkContinue, nil
	})
	return strings.TrimSpace(sb.String())
}
