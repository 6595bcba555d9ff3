package web

// Instructor authoring (issue 6): live reload of a lesson folder (serve -lessons DIR -watch), the
// lesson checker (socketlab check) and the lesson scaffold (socketlab new).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"socketlab/lessons"
	"socketlab/lessons/blocks"
	"socketlab/playground"
	"socketlab/playground/stream"
	"socketlab/templates"
)

// validateDemo is playground.ValidateDemo as the lesson loader needs it: every problem of the
// block (errors.Join), each naming its path ("script[2]: ...") so the loader reports it at its
// line and column, in YAML words, with the nearest name suggested for a misspelt demo, key,
// scope or client.
func validateDemo(name string, config json.RawMessage) error {
	if !slices.Contains(playground.DemoNames, name) {
		if s := blocks.Suggest(name, playground.DemoNames); s != "" {
			return fmt.Errorf("unknown demo %q (did you mean %q?)", name, s)
		}
		return playground.ValidateDemo(name, config)
	}
	var v any
	if err := json.Unmarshal(config, &v); err != nil {
		return fmt.Errorf("demo %s: %w", name, err)
	}
	// The shape first: every unknown key (dropped from v) and value of the wrong type.
	var errs []error
	walkConfig(v, reflect.TypeFor[playground.DemoConfig](), "", &errs)
	m, _ := v.(map[string]any)
	if m == nil { // not a mapping: the loader says so before it asks
		return playground.ValidateDemo(name, config)
	}
	if playground.ValidateDemo(name, mustJSON(m)) == nil {
		return joinDemoErrors(name, errs)
	}
	shapeAt := func(prefix string) bool {
		return slices.ContainsFunc(errs, func(e error) bool { return strings.HasPrefix(e.Error(), prefix) })
	}
	// Then the rules, which stop at the first problem: the config without its steps, then each
	// step on its own, so one run reports every step that is wrong (a step whose shape is wrong
	// is reported for that alone).
	steps, _ := m["script"].([]any)
	predict, hasPredict := m["predict"]
	outcome, hasOutcome := m["outcome"]
	base := maps.Clone(m)
	delete(base, "script")
	delete(base, "predict")
	delete(base, "outcome")
	try := func(extra map[string]any) error {
		c := maps.Clone(base)
		maps.Copy(c, extra)
		return playground.ValidateDemo(name, mustJSON(c))
	}
	if len(errs) > 0 && !shapeAt("script") && !shapeAt("predict") && !shapeAt("outcome") {
		return joinDemoErrors(name, errs) // the config itself: the steps cannot be checked without it
	}
	if err := try(nil); err != nil {
		return joinDemoErrors(name, append(errs, err))
	}
	for i, st := range steps {
		if shapeAt(fmt.Sprintf("script[%d]", i)) {
			continue
		}
		if err := try(map[string]any{"script": []any{st}}); err != nil {
			errs = append(errs, errors.New(strings.Replace(err.Error(), "script[0]", fmt.Sprintf("script[%d]", i), 1)))
		}
	}
	if hasPredict && !shapeAt("predict") {
		if err := try(map[string]any{"predict": predict}); err != nil {
			errs = append(errs, err)
		}
	}
	if hasOutcome && !shapeAt("outcome: want") && !shapeAt("outcome: question") {
		// Every problem of the scenario and of the choices (the rules join them), but for the
		// steps and choices whose shape is wrong: those are reported for that alone.
		if err := try(map[string]any{"outcome": outcome}); err != nil {
			for _, e := range splitJoined(err) {
				msg := strings.TrimPrefix(e.Error(), "demo "+name+": ")
				if seg := strings.SplitN(msg, ": ", 3); len(seg) < 3 || !shapeAt(seg[0]+": "+seg[1]+": ") {
					errs = append(errs, e)
				}
			}
		}
	}
	if len(errs) == 0 { // a rule about the steps together
		errs = append(errs, playground.ValidateDemo(name, mustJSON(m)))
	}
	return joinDemoErrors(name, errs)
}

// splitJoined is the errors err joins (errors.Join), or err alone.
func splitJoined(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v) // values decoded from JSON encode again
	return b
}

// joinDemoErrors words each problem for the author, "demo NAME: path: message", with the nearest
// scope or client suggested; nil for none.
func joinDemoErrors(name string, errs []error) error {
	out := make([]error, len(errs))
	for i, err := range errs {
		msg := strings.TrimPrefix(err.Error(), "demo "+name+": ")
		msg = suggestKnown(msg, unknownScopeRE, slices.Sorted(maps.Keys(playground.Scopes)))
		msg = suggestKnown(msg, unknownControlRE, playground.DemoControls)
		msg = suggestKnown(msg, unknownAnswerModeRE, playground.AnswerModes)
		msg = suggestKnown(msg, unknownAckOutcomeRE, playground.AckOutcomes)
		if m := unknownClientRE.FindStringSubmatch(msg); m != nil {
			if s := blocks.Suggest(m[1], strings.Split(m[2], ", ")); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
		}
		out[i] = fmt.Errorf("demo %s: %s", name, msg)
	}
	return errors.Join(out...)
}

// suggestKnown puts the nearest of names into a message that re matches ("unknown scope "x"
// (known: …)"), before the list it already has: "(did you mean "y"? known: …)".
func suggestKnown(msg string, re *regexp.Regexp, names []string) string {
	m := re.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	if s := blocks.Suggest(m[1], names); s != "" {
		return strings.Replace(msg, m[2], fmt.Sprintf("(did you mean %q? known: %s)", s, m[2][len("(known: "):len(m[2])-1]), 1)
	}
	return msg
}

var (
	unknownScopeRE   = regexp.MustCompile(`unknown scope "([^"]*)" (\(known: [^)]*\))`)
	unknownControlRE = regexp.MustCompile(`unknown control "([^"]*)" (\(known: [^)]*\))`)
	// outcome: a step's answers: and a choice's ack: (playground/outcome.go)
	unknownAnswerModeRE = regexp.MustCompile(`unknown answer mode "([^"]*)" (\(known: [^)]*\))`)
	unknownAckOutcomeRE = regexp.MustCompile(`unknown ack outcome "([^"]*)" (\(known: [^)]*\))`)
	unknownClientRE     = regexp.MustCompile(`client "([^"]*)" is not one of the demo's clients \(([^)]*)\)`)
)

// Types a demo config accepts in more than one shape (their UnmarshalJSON).
var (
	rawType    = reflect.TypeFor[json.RawMessage]()
	clientType = reflect.TypeFor[playground.ClientConfig]()
	roomsType  = reflect.TypeFor[playground.Rooms]()
)

// walkConfig checks that the JSON value v (a demo config converted from YAML) has the shape of
// t: known keys only, values of the right kind. Problems are added to errs as
// "path: key: message", the path in the form the loader locates ("clients[0]: rooms: ...").
func walkConfig(v any, t reflect.Type, path string, errs *[]error) {
	at := func(format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		if path != "" {
			msg = path + ": " + msg
		}
		*errs = append(*errs, errors.New(msg))
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == rawType:
		return // any YAML value: payloads, args, auth
	case t == clientType:
		if _, ok := v.(string); ok {
			return // a client written as its name
		}
	case t == roomsType:
		if _, ok := v.(string); ok {
			return // to: one room
		}
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			at("want %s, got %s", yamlType(t), yamlKind(v))
			return
		}
		fields := configFields(t)
		for _, k := range slices.Sorted(maps.Keys(m)) {
			ft, ok := fields[k]
			if !ok {
				delete(m, k) // so the rules can still check the rest
				if s := blocks.Suggest(k, slices.Sorted(maps.Keys(fields))); s != "" {
					at("unknown key %q (did you mean %q?)", k, s)
				} else {
					at("unknown key %q (known: %s)", k, strings.Join(slices.Sorted(maps.Keys(fields)), ", "))
				}
				continue
			}
			walkConfig(m[k], ft, strings.TrimPrefix(path+": "+k, ": "), errs)
		}
	case reflect.Slice:
		list, ok := v.([]any)
		if !ok {
			at("want %s, got %s", yamlType(t), yamlKind(v))
			return
		}
		// The loader's paths name list items by index: "script[2]".
		for i, e := range list {
			walkConfig(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i), errs)
		}
	case reflect.String:
		if _, ok := v.(string); !ok {
			at("want %s, got %s", yamlType(t), yamlKind(v))
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			at("want %s, got %s", yamlType(t), yamlKind(v))
		}
	case reflect.Int, reflect.Int64, reflect.Float64:
		if _, ok := v.(float64); !ok {
			at("want %s, got %s", yamlType(t), yamlKind(v))
		}
	}
}

// configFields are the keys of a config struct (embedded structs' included) and their types.
func configFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for f := range t.Fields() {
		if f.Anonymous {
			maps.Copy(out, configFields(f.Type))
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out[name] = f.Type
		}
	}
	return out
}

// yamlType names what a config value of type t is written as in YAML.
func yamlType(t reflect.Type) string {
	switch {
	case t == clientType:
		return "a client name or a mapping (name:, namespace:, rooms:, auth:)"
	case t == roomsType:
		return "a room name or a list of room names"
	}
	switch t.Kind() {
	case reflect.Struct:
		return "a mapping (key: value)"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.String {
			return "a list of names, e.g. [a, b]"
		}
		return "a list (- item)"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	default:
		return "a number"
	}
}

// yamlKind names the kind of YAML value v was.
func yamlKind(v any) string {
	switch v := v.(type) {
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	case string:
		return fmt.Sprintf("the string %q", v)
	case bool:
		return fmt.Sprintf("%v", v)
	case float64:
		return fmt.Sprintf("the number %v", v)
	default:
		return "nothing (null)"
	}
}

// ---- socketlab check ----

// ---- socketlab new ----

var (
	numberedRE = regexp.MustCompile(`^([0-9]+)-`)
	nonSlugRE  = regexp.MustCompile(`[^a-z0-9]+`)
)

// slugify turns a title into a slug: "Rooms & Namespaces!" → "rooms-namespaces".
func slugify(title string) string {
	s := strings.Trim(nonSlugRE.ReplaceAllString(strings.ToLower(title), "-"), "-")
	if len(s) > 48 {
		s = strings.TrimRight(s[:48], "-")
	}
	return s
}

// NewLessonOptions is what socketlab new writes.
type NewLessonOptions struct {
	Dir     string // the lessons folder or a chapter folder; created when missing
	Title   string
	Demo    string // a demo kind: the lesson starts from the course's example of it ("" for chat)
	Chapter string // a chapter title: the lesson goes in that chapter of Dir, created when missing
}

// NewLessonResult says what NewLesson wrote.
type NewLessonResult struct {
	Path    string // the new lesson file
	Chapter string // the chapter folder it is in ("" outside any), created when Created
	Created bool
	Root    string // the lessons folder to serve to preview it (the chapter's parent for a chapter)
}

// NewLesson writes the next numbered lesson of a lessons or chapter folder (a scaffold with
// front matter, a demo and a quiz that pass check, marked draft).
func NewLesson(o NewLessonOptions) (NewLessonResult, error) {
	var res NewLessonResult
	slug := slugify(o.Title)
	if slug == "" {
		return res, fmt.Errorf("title %q has no letters or digits to make a slug from", o.Title)
	}
	demo, err := demoExample(o.Demo)
	if err != nil {
		return res, err
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return res, err
	}
	dir, root := o.Dir, o.Dir
	if isChapter(dir) {
		root = filepath.Dir(filepath.Clean(dir))
	}
	if o.Chapter != "" {
		if isChapter(dir) {
			return res, fmt.Errorf("%s is a chapter folder already: -chapter adds a chapter to a lessons folder", dir)
		}
		if dir, res.Created, err = chapterFolder(dir, o.Chapter); err != nil {
			return res, err
		}
		res.Chapter = dir
	} else if isChapter(dir) {
		res.Chapter = dir
	}
	res.Root = root
	name, err := nextName(dir, slug, ".md")
	if err != nil {
		return res, err
	}
	res.Path = filepath.Join(dir, name)
	return res, writeNew(res.Path, scaffold(o.Title, demo))
}

// isChapter reports whether dir is a chapter folder (it has a chapter.yaml).
func isChapter(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, lessons.ChapterFile))
	return err == nil
}

// nextName is the next numbered name in dir for slug ("NN-slug" + ext), one more than the
// highest number of dir's files and folders; an entry with that slug already is an error.
func nextName(dir, slug, ext string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	next, width := 1, 2
	for _, e := range entries {
		m := numberedRE.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		var n int
		fmt.Sscan(strings.TrimLeft(m[1], "0"), &n)
		next = max(next, n+1)
		width = max(width, len(m[1]))
		if strings.TrimSuffix(strings.TrimPrefix(e.Name(), m[0]), ".md") == slug {
			return "", fmt.Errorf("%s already has a lesson named %s", dir, e.Name())
		}
	}
	return fmt.Sprintf("%0*d-%s%s", width, next, slug, ext), nil
}

// chapterFolder finds the chapter of dir with that title (or its slug), or writes a new numbered
// one with a chapter.yaml.
func chapterFolder(dir, title string) (string, bool, error) {
	slug := slugify(title)
	if slug == "" {
		return "", false, fmt.Errorf("chapter title %q has no letters or digits to make a folder name from", title)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", false, err
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if e.IsDir() && isChapter(p) && strings.TrimPrefix(e.Name(), numberedRE.FindString(e.Name())) == slug {
			return p, false, nil
		}
	}
	name, err := nextName(dir, slug, "")
	if err != nil {
		return "", false, err
	}
	p := filepath.Join(dir, name)
	if err := os.Mkdir(p, 0o755); err != nil {
		return "", false, err
	}
	t, _ := json.Marshal(title)
	yaml := "title: " + string(t) + "\nsummary: One sentence on what this chapter's lessons teach together.\n"
	if err := writeNew(filepath.Join(p, lessons.ChapterFile), yaml); err != nil {
		return "", false, err
	}
	return p, true, nil
}

// writeNew writes a file that must not exist yet.
func writeNew(path, text string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// defaultDemo is the scaffold's demo when socketlab new is given no -demo.
const defaultDemo = "```demo chat" + `
title: Say hello
clients: [A, B, C]
script:
  - {client: A, emit: message, args: ["hello"], scope: all}
` + "```"

// demoExample is the fenced block a new lesson starts from: the first ```demo KIND block of the
// embedded course, as written there (it passes check), or the chat scaffold for "".
func demoExample(kind string) (string, error) {
	if kind == "" {
		return defaultDemo, nil
	}
	if !slices.Contains(playground.DemoNames, kind) {
		if s := blocks.Suggest(kind, playground.DemoNames); s != "" {
			return "", fmt.Errorf("-demo: unknown demo %q (did you mean %q?)", kind, s)
		}
		return "", fmt.Errorf("-demo: unknown demo %q (known: %s)", kind, strings.Join(playground.DemoNames, ", "))
	}
	idx, err := LoadLessons("", true)
	if err != nil {
		return "", err
	}
	for _, l := range idx.Lessons() {
		for _, d := range l.Demos {
			if d.Name != kind {
				continue
			}
			src, err := fs.ReadFile(lessons.Content, l.File)
			if err != nil {
				return "", fmt.Errorf("the course's example of %s: %w", kind, err)
			}
			lines := strings.Split(string(src), "\n")
			for end := d.Line; end < len(lines); end++ {
				if strings.TrimSpace(lines[end]) == "```" {
					return strings.Join(withoutControls(lines[d.Line-1:end+1]), "\n"), nil
				}
			}
		}
	}
	return "", fmt.Errorf("-demo: the course has no example of %q", kind)
}

// withoutControls drops a demo block's top-level controls key (and the items of a block list
// under it): the course's example declares what its own text uses, and a new lesson's text is
// not that text yet, so its demo starts with every control.
func withoutControls(block []string) []string {
	out := make([]string, 0, len(block))
	skipping := false
	for _, line := range block {
		if strings.HasPrefix(line, "controls:") {
			skipping = strings.TrimSpace(strings.TrimPrefix(line, "controls:")) == ""
			continue
		}
		if skipping && strings.HasPrefix(strings.TrimLeft(line, " "), "- ") && strings.HasPrefix(line, " ") {
			continue
		}
		skipping = false
		out = append(out, line)
	}
	return out
}

func scaffold(title, demo string) string {
	t, _ := json.Marshal(title) // a JSON string is a valid YAML scalar, whatever the title holds
	return `---
title: ` + string(t) + `
summary: One sentence on what the student can do after this lesson.
objectives:
  - Say what happens when a client emits an event
draft: true # remove when the lesson is ready; drafts show only under serve -drafts
---

Start with the question this lesson answers, in one or two sentences.

## Try it

Press **Play** and watch who receives what.

` + demo + `

## Check yourself

` + "```quiz" + `
- question: Who receives an event sent with ` + "`io.emit`" + `?
  choices:
    - text: Every connected client, the sender included
      correct: true
      explain: io.emit sends to every socket of the namespace.
    - text: Every client except the sender
      explain: That is socket.broadcast.emit.
` + "```" + `
`
}

// ---- serve -watch ----

// watchDebounce is how long the lesson folder must be quiet before a rebuild: editors write a
// file in bursts (truncate, write, rename, chmod) and a save of several files comes as one.
const watchDebounce = 40 * time.Millisecond

// reloadEvent tells the open tabs which pages changed.
type reloadEvent struct {
	Slugs []string `json:"slugs"` // lesson pages whose HTML changed (or appeared, or went away)
	Home  bool     `json:"home"`  // the home page changed
}

// reloadLessons reloads the lesson folder, swaps the whole site at once, reports the problems and
// tells the tabs showing a changed page to reload. It runs on the watcher's goroutine.
func (a *App) reloadLessons() {
	start := time.Now()
	idx, ds, err := loadWatched(a.cfg)
	if err != nil {
		a.log.Error("reloading lessons", "err", err)
		return
	}
	next := a.buildContent(idx, ds)
	prev := a.content.Swap(next)
	ev := diffContent(prev, next)
	var was []lessons.Diagnostic
	if prev != nil {
		was = prev.ds
	}
	a.reportLessons(was, ds)
	a.log.Info("lessons reloaded", "lessons", len(idx.Lessons()), "broken", len(idx.Failed()), "errors", lessons.Errors(ds),
		"changed", strings.Join(ev.Slugs, " "), "dur", time.Since(start).Round(time.Microsecond))
	if len(ev.Slugs) > 0 || ev.Home {
		a.reload.Publish(ev)
	}
}

// loadWatched loads the lesson folder of serve -watch as far as it loads, and checks it as
// socketlab check does; the error is for a folder that cannot be listed.
func loadWatched(cfg Config) (*lessons.Index, []lessons.Diagnostic, error) {
	fsys := os.DirFS(cfg.LessonDir)
	opts := LessonOptions(cfg.LessonDir, cfg.Drafts)
	idx, err := lessons.LoadPartial(fsys, opts)
	if idx == nil {
		return nil, nil, err
	}
	return idx, lessons.Diagnose(fsys, opts.Prefix, idx, err), nil
}

// reportLessons logs each problem found since the last build once, at ERROR when it stops a
// lesson and WARN for a link or an image, as "file:line:col"; and each one gone, at INFO.
func (a *App) reportLessons(was, now []lessons.Diagnostic) {
	key := func(d lessons.Diagnostic) string { return d.String() }
	before := map[string]bool{}
	for _, d := range was {
		before[key(d)] = true
	}
	after := map[string]bool{}
	for _, d := range now {
		k := key(d)
		after[k] = true
		if before[k] {
			continue
		}
		level := slog.LevelWarn
		if d.Stops {
			level = slog.LevelError
		}
		a.log.Log(context.Background(), level, "lesson "+problemSeverity(d), "at", fmt.Sprintf("%s:%d:%d", d.File, d.Line, d.Col), "problem", d.Message)
	}
	for _, d := range was {
		if !after[key(d)] {
			a.log.Info("lesson problem fixed", "at", fmt.Sprintf("%s:%d:%d", d.File, d.Line, d.Col), "problem", d.Message)
		}
	}
}

// problemSeverity is how serve -watch shows a diagnostic: an error when the lesson is not served
// because of it, else a warning (a broken link or image leaves the page up).
func problemSeverity(d lessons.Diagnostic) string {
	if d.Stops {
		return lessons.SeverityError
	}
	return lessons.SeverityWarning
}

// diffContent lists the pages whose bytes differ between two builds.
func diffContent(prev, next *content) reloadEvent {
	var ev reloadEvent
	if prev == nil {
		return ev
	}
	for slug, p := range next.pages {
		if q, ok := prev.pages[slug]; !ok || !q.equal(p) {
			ev.Slugs = append(ev.Slugs, slug)
		}
	}
	for slug := range prev.pages {
		if _, ok := next.pages[slug]; !ok {
			ev.Slugs = append(ev.Slugs, slug)
		}
	}
	slices.Sort(ev.Slugs)
	ev.Home = !prev.home.equal(next.home)
	return ev
}

func (p *prerendered) equal(q *prerendered) bool {
	if p.size != q.size || len(p.parts) != len(q.parts) || (p.err == nil) != (q.err == nil) {
		return false
	}
	for i := range p.parts {
		if !bytes.Equal(p.parts[i], q.parts[i]) {
			return false
		}
	}
	return true
}

// excerptLines is how many lines around a problem the pages show.
const excerptLines = 2

// problems turns the checker's findings into what the pages show: by lesson file (a path inside
// the lessons folder), and all of them for the home page, with the lines around each.
func (a *App) problems(idx *lessons.Index, ds []lessons.Diagnostic) (map[string][]templates.Problem, []templates.Problem) {
	if len(ds) == 0 {
		return nil, nil
	}
	slugs := map[string]string{} // file → slug
	for _, e := range idx.Course() {
		if e.Lesson != nil {
			slugs[e.Lesson.File] = e.Lesson.Slug
		} else {
			slugs[e.Failed.File] = e.Failed.Slug
		}
	}
	fsys := os.DirFS(a.cfg.LessonDir)
	sources := map[string][]string{}
	byFile := map[string][]templates.Problem{}
	var all []templates.Problem
	for _, d := range ds {
		file, ok := strings.CutPrefix(d.File, path.Clean(a.cfg.LessonDir)+"/")
		if !ok {
			file = d.File
		}
		p := templates.Problem{Severity: problemSeverity(d), Where: fmt.Sprintf("%s:%d:%d", d.File, d.Line, d.Col), Message: d.Message, Slug: slugs[file]}
		lines, read := sources[file]
		if !read && fs.ValidPath(file) {
			if src, err := fs.ReadFile(fsys, file); err == nil && len(src) <= lessons.MaxFileSize {
				lines = strings.Split(string(src), "\n")
			}
			sources[file] = lines
		}
		if d.Line >= 1 && d.Line <= len(lines) {
			for n := max(1, d.Line-excerptLines); n <= min(len(lines), d.Line+excerptLines); n++ {
				p.Lines = append(p.Lines, templates.ProblemLine{N: n, Text: strings.TrimRight(lines[n-1], "\r"), Mark: n == d.Line})
			}
		}
		byFile[file] = append(byFile[file], p)
		all = append(all, p)
	}
	// A lesson stopped by another file's problem (its chapter.yaml's order) shows that too.
	for _, f := range idx.Failed() {
		for _, e := range f.Errors {
			where := fmt.Sprintf("%s:%d:%d", e.File, e.Line, max(e.Col, 1))
			if i := slices.IndexFunc(all, func(p templates.Problem) bool { return p.Where == where }); i >= 0 &&
				!slices.ContainsFunc(byFile[f.File], func(p templates.Problem) bool { return p.Where == where }) {
				byFile[f.File] = append(byFile[f.File], all[i])
			}
		}
	}
	return byFile, all
}

// reloadSSE frames the reload events reload.js listens to; EventSource reconnects after a second.
var reloadSSE = stream.SSE[reloadEvent]{
	Event: "reload",
	Retry: time.Second,
	Data: func(ev reloadEvent) []byte {
		data, _ := json.Marshal(ev)
		return data
	},
}

// handleReload is the Server-Sent Events stream reload.js listens to (serve -watch only). A tab
// that is behind misses an event (its subscription is dropped and EventSource reconnects), and
// the next change reloads it.
func (a *App) handleReload() http.Handler {
	if a.reload == nil {
		return nil
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		events, cancel, err := a.reload.Subscribe(0)
		if err != nil {
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		}
		defer cancel()
		reloadSSE.Serve(w, r, events)
	})
}

// lessonWatcher watches a lesson folder and its subfolders (chapters, folder lessons) and calls
// onChange once the folder has been quiet for the debounce time after a change. Watching folders,
// not files, sees editors that save by writing a temporary file and renaming it over the lesson.
type lessonWatcher struct {
	fsw  *fsnotify.Watcher
	log  *slog.Logger
	done chan struct{}
	once sync.Once
}

func watchLessons(dir string, debounce time.Duration, log *slog.Logger, onChange func()) (*lessonWatcher, error) {
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("watching %s: %w", dir, err)
	}
	w := &lessonWatcher{fsw: fsw, log: log, done: make(chan struct{})}
	if err := w.addTree(dir); err != nil {
		fsw.Close()
		return nil, fmt.Errorf("watching %s: %w", dir, err)
	}
	changes := make(chan struct{}, 1)
	go w.events(changes)
	go func() {
		defer close(w.done)
		debounceLoop(changes, debounce, func() {
			defer func() {
				if v := recover(); v != nil {
					log.Error("panic reloading lessons", "panic", fmt.Sprint(v))
				}
			}()
			onChange()
		})
	}()
	return w, nil
}

// addTree watches dir and every folder below it that can hold lessons.
func (w *lessonWatcher) addTree(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if p != dir && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		return w.fsw.Add(p)
	})
}

// events turns fsnotify events into change signals (coalesced: the channel holds one) and closes
// changes when the watcher is closed.
func (w *lessonWatcher) events(changes chan<- struct{}) {
	defer close(changes)
	for {
		select {
		case ev, ok := <-w.fsw.Events:
			if !ok {
				return
			}
			if ev.Has(fsnotify.Create) {
				if st, err := os.Stat(ev.Name); err == nil && st.IsDir() {
					if err := w.addTree(ev.Name); err != nil {
						w.log.Warn("watching new folder", "dir", ev.Name, "err", err)
					}
				}
			}
			if ev.Op == fsnotify.Chmod {
				continue // touch, attributes: the content is unchanged
			}
			select {
			case changes <- struct{}{}:
			default:
			}
		case err, ok := <-w.fsw.Errors:
			if !ok {
				return
			}
			w.log.Warn("watching lessons", "err", err)
		}
	}
}

// debounceLoop calls fire once changes has been quiet for d after a signal; it returns when
// changes is closed (a pending fire is dropped).
func debounceLoop(changes <-chan struct{}, d time.Duration, fire func()) {
	var timer *time.Timer
	var timeout <-chan time.Time
	for {
		select {
		case _, ok := <-changes:
			if !ok {
				if timer != nil {
					timer.Stop()
				}
				return
			}
			if timer == nil {
				timer = time.NewTimer(d)
			} else {
				timer.Reset(d)
			}
			timeout = timer.C
		case <-timeout:
			timeout = nil
			fire()
		}
	}
}

// Close stops watching and waits for a reload in progress to finish.
func (w *lessonWatcher) Close() {
	w.once.Do(func() {
		w.fsw.Close()
		<-w.done
	})
}

// quietHandler logs every record below WARN at DEBUG: under serve -watch (without -v) the
// request log and the demos' socket lines step aside for the lesson problems. The demos' own
// consoles still get their lines (playground's console handler copies INFO records itself).
type quietHandler struct{ next slog.Handler }

func quiet(l slog.Level) slog.Level {
	if l < slog.LevelWarn {
		return slog.LevelDebug
	}
	return l
}

func (h quietHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, quiet(l))
}

func (h quietHandler) Handle(ctx context.Context, r slog.Record) error {
	r.Level = quiet(r.Level)
	return h.next.Handle(ctx, r)
}

func (h quietHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return quietHandler{h.next.WithAttrs(attrs)}
}

func (h quietHandler) WithGroup(name string) slog.Handler {
	return quietHandler{h.next.WithGroup(name)}
}

// ---- chapters on the home page ----

// lessonGroups splits the home page's lessons (links, in course order, one per entry of course)
// into runs of lessons outside any chapter and chapters, with each chapter's title and summary.
func lessonGroups(links []templates.LessonLink, course []lessons.Entry) []templates.LessonGroup {
	var out []templates.LessonGroup
	var dir string // the chapter folder of the last group, "" outside chapters
	for i, e := range course {
		var ch *lessons.Chapter
		if e.Lesson != nil {
			ch = e.Lesson.Chapter
		} else {
			ch = e.Failed.Chapter
		}
		d := ""
		if ch != nil {
			d = ch.Dir
		}
		if len(out) == 0 || d != dir {
			g := templates.LessonGroup{}
			if ch != nil {
				g.Chapter = &templates.ChapterHeading{ID: "chapter-" + slugify(d), Title: ch.Title, Summary: ch.Summary}
			}
			out = append(out, g)
			dir = d
		}
		out[len(out)-1].Lessons = append(out[len(out)-1].Lessons, links[i])
	}
	return out
}
