package web

// socketlab export (issue 17): the course as a static site. Prose, code, quizzes and progress work
// from files or any static host; each demo and exercise shows what it would do and the one
// command that makes it live.

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/a-h/templ"

	"socketlab/lessons"
	"socketlab/lessons/blocks"
	"socketlab/playground"
	"socketlab/static"
	"socketlab/templates"
)

// ExportOptions is what socketlab export writes.
type ExportOptions struct {
	LessonDir string // "" for the embedded course
	Drafts    bool
	Out       string // the folder to write; created, and must be empty if it exists
}

// Export writes the course as static files: index.html, lessons/SLUG.html, the stylesheets,
// a classic-script site.js (file:// pages cannot load ES modules) and the lessons' images.
// It returns the number of lesson pages written.
func Export(o ExportOptions) (int, error) {
	var fsys fs.FS = lessons.Content
	prefix := "lessons"
	if o.LessonDir != "" {
		fsys, prefix = os.DirFS(o.LessonDir), o.LessonDir
	}
	opts := LessonOptions(prefix, o.Drafts)
	opts.Blocks.RenderDemo = func(ctx context.Context, w io.Writer, d blocks.Demo) error {
		return templates.StaticWidget(staticDemo(d)).Render(ctx, w)
	}
	opts.Blocks.RenderExercise = func(ctx context.Context, w io.Writer, x blocks.Exercise) error {
		return templates.StaticWidget(templates.StaticWidgetView{Label: "Exercise", Title: x.Title,
			Lines: []string{"You write the server; the checks run its clients against it."}}).Render(ctx, w)
	}
	idx, err := lessons.Load(fsys, opts)
	if err != nil {
		return 0, fmt.Errorf("loading lessons: %w", err)
	}
	if entries, err := os.ReadDir(o.Out); err == nil && len(entries) > 0 {
		return 0, fmt.Errorf("%s is not empty: export writes into a new or empty folder", o.Out)
	}
	assets, err := static.New()
	if err != nil {
		return 0, err
	}
	css := []string{"css/site.css", "css/highlight.css", "css/demos.css"} // the site's, without the editor's
	site := templates.Site{Name: "Socket Lab"}
	for _, name := range css {
		site.CSS = append(site.CSS, assets.URL(name))
	}
	w := &exporter{out: o.Out, lessonFiles: fsys}

	all := idx.Lessons()
	home := templates.HomeView{Site: site}
	for i, l := range all {
		home.Lessons = append(home.Lessons, lessonLink(l, i))
	}
	course := idx.Course()
	home.Groups = lessonGroups(home.Lessons, course)
	if err := w.page("index.html", templates.HomePage(home)); err != nil {
		return 0, err
	}
	for i, l := range all {
		v := templates.LessonView{Site: site, Slug: l.Slug, Title: l.Title, Summary: l.Summary, Objectives: l.Objectives,
			Questions: l.Questions, QuestionsHTML: l.QuestionsHTML, Number: i + 1, Total: len(all), Body: l.HTML, Static: true}
		for _, h := range l.TOC {
			v.TOC = append(v.TOC, templates.TOCItem{Level: h.Level, ID: h.ID, Text: h.Text})
		}
		if i > 0 {
			v.Prev = &home.Lessons[i-1]
		}
		if i+1 < len(all) {
			v.Next = &home.Lessons[i+1]
		}
		if err := w.page("lessons/"+l.Slug+".html", templates.LessonPage(v)); err != nil {
			return 0, err
		}
	}
	for _, name := range css {
		b, _ := assets.Bytes(name)
		if err := w.write(strings.TrimPrefix(assets.URL(name), "/"), b); err != nil {
			return 0, err
		}
	}
	js, _ := assets.Bytes("js/site.js")
	if err := w.write("static/js/site.js", classicScript(js)); err != nil {
		return 0, err
	}
	return len(all), nil
}

// staticDemo is what a demo does, in words and calls: its clients, then each scripted step.
func staticDemo(d blocks.Demo) templates.StaticWidgetView {
	v := templates.StaticWidgetView{Label: "Live demo: " + playground.KindTitle(d.Name)}
	cfg, err := playground.ParseDemo(d.Name, d.Config)
	if err != nil {
		return v // the loader validated it; nothing more to say
	}
	v.Title = cfg.Title
	var names []string
	for _, c := range cfg.Clients {
		names = append(names, c.Name)
	}
	if len(names) == 0 {
		names = []string{"A", "B", "C"}
	}
	v.Lines = append(v.Lines, "clients: "+strings.Join(names, ", "))
	for _, s := range cfg.Script {
		switch {
		case s.Emit != "":
			v.Lines = append(v.Lines, s.Client+": "+playground.StepCall(cfg, s))
		case s.Join != "":
			v.Lines = append(v.Lines, fmt.Sprintf("%s: socket.join(%q)", s.Client, s.Join))
		case s.Leave != "":
			v.Lines = append(v.Lines, fmt.Sprintf("%s: socket.leave(%q)", s.Client, s.Leave))
		case s.Disconnect:
			v.Lines = append(v.Lines, s.Client+": socket.disconnect()")
		case s.Connect:
			v.Lines = append(v.Lines, s.Client+": socket.connect()")
		}
	}
	return v
}

// exportRE is an "export " in front of a top-level declaration of our own modules.
var exportRE = regexp.MustCompile(`(?m)^export (const|let|function|async function|class) `)

// classicScript turns site.js, a module without imports, into a classic script: a page opened
// from a file cannot load modules (Chromium refuses them for file:// origins).
func classicScript(js []byte) []byte {
	return exportRE.ReplaceAll(js, []byte("$1 "))
}

type exporter struct {
	out         string
	lessonFiles fs.FS
}

func (w *exporter) write(name string, b []byte) error {
	p := filepath.Join(w.out, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, b, 0o644)
}

// attrURLRE is an href or src attribute in our templ output (always double-quoted, escaped).
var attrURLRE = regexp.MustCompile(`\b(href|src)="([^"]*)"`)

// page renders c and makes it work from a file: links and assets relative (lessons are
// lessons/SLUG.html), site.js as a classic script, and the lessons' images copied beside it. The
// site has no module scripts and no import map, so the theme's inline script is the only other.
func (w *exporter) page(name string, c templ.Component) error {
	var buf bytes.Buffer
	if err := c.Render(templ.WithNonce(context.Background(), ""), &buf); err != nil {
		return fmt.Errorf("export %s: %w", name, err)
	}
	up := strings.Repeat("../", strings.Count(name, "/"))
	var errs []error
	rel := func(u string) string {
		switch {
		case u == "/":
			return up + "index.html"
		case strings.HasPrefix(u, "/lessons/"):
			slug, frag, _ := strings.Cut(strings.TrimPrefix(u, "/lessons/"), "#")
			if frag != "" {
				frag = "#" + frag
			}
			return up + "lessons/" + strings.TrimSuffix(slug, "/") + ".html" + frag
		case strings.HasPrefix(u, lessons.FilesURL):
			p, _, _ := strings.Cut(strings.TrimPrefix(u, lessons.FilesURL), "?")
			if b, err := fs.ReadFile(w.lessonFiles, p); err != nil {
				errs = append(errs, fmt.Errorf("export %s: image %s: %w", name, p, err))
			} else if err := w.write(path.Join("lesson-files", p), b); err != nil {
				errs = append(errs, err)
			}
			return up + "lesson-files/" + p
		case strings.HasPrefix(u, static.Prefix):
			return up + strings.TrimPrefix(u, "/")
		}
		return u
	}
	page := attrURLRE.ReplaceAllStringFunc(buf.String(), func(m string) string {
		sm := attrURLRE.FindStringSubmatch(m)
		u := html.UnescapeString(sm[2])
		return sm[1] + `="` + html.EscapeString(rel(u)) + `"`
	})
	page = strings.Replace(page, "</head>", `<script src="`+up+`static/js/site.js" defer></script></head>`, 1)
	if len(errs) > 0 {
		return errs[0]
	}
	return w.write(name, []byte(page))
}
