// Package web is Socket Lab's web app: every URL the server answers (routes.go, one table), the
// lesson pages (pre-rendered, swapped whole by live reload), the middleware (CSP with a nonce per
// response, cross-origin protection, panics, request log), the authoring tools (live reload of a
// lesson folder, the scaffold of a new lesson) and the classroom pages. It assembles lessons,
// playground, templates and static; the command (package main) parses flags, listens and shuts
// down.
package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"sync/atomic"

	"socketlab/lessons"
	"socketlab/lessons/blocks"
	"socketlab/playground"
	"socketlab/playground/engineio"
	"socketlab/playground/socketio"
	"socketlab/playground/stream"
	"socketlab/static"
	"socketlab/templates"
)

// Config is what the web app needs from the command line.
type Config struct {
	PublicURL string // the URL students use to reach this server ("" when not configured)
	// Without PublicURL: this machine's addresses students' devices can use (http://IP:port, best
	// first) for the class join address and QR, or why there is none (JoinProblem, shown on the
	// projector).
	JoinBases   []string
	JoinProblem string
	Origins     []string // exact Origin allowlist for pages' sockets (computed by the caller)
	LessonDir   string   // serve lessons from this folder instead of the embedded course
	Drafts      bool     // show draft lessons
	Watch       bool     // live reload of LessonDir
	// Verbose keeps the request log and the hubs' socket lines at INFO under Watch; without it
	// they are logged at DEBUG there, so the lesson problems (WARN, ERROR) stand out.
	Verbose bool
	// Admission, shared by every demo and class hub of the process, caps and paces new
	// Engine.IO sessions (nil: no cap).
	Admission *engineio.Admission
	// StatePath is the file the classes are kept in across restarts (classroom.OpenStore); ""
	// keeps them in memory only. A file that cannot be opened is logged, and the server serves
	// the course with classes in memory only.
	StatePath string

	// SeatsPerAddress is the most seats of one class the devices behind one client address may
	// take (DefaultSeatsPerAddress when 0).
	SeatsPerAddress int

	// Cookie names the cookie every hub's polling handshake sets to the Engine.IO session id
	// (engine.io's `cookie` option), for a load balancer's sticky routing ("": none;
	// docs/deploy.md).
	Cookie string

	// Run, when set, serves one program instead of the course (socketlab run): its hub at
	// /socket.io/ and the playground attached to it at / (routes.go).
	Run *RunConfig

	// Cluster, when set, shares class hubs and the run hub with other servers over Redis.
	Cluster *playground.Cluster

	socket  socketio.Options // tests: the hubs' Socket.IO options
	classes int              // tests: live classes in all and per address (0: the registry's defaults)
	seats   int              // tests: a class's seats (0: classroom.DefaultMaxStudents)
}

// RunConfig is the program `socketlab run` serves.
type RunConfig struct {
	File string // its name in errors and on the page ("FILE:3:7: ...")
	Code string // socket.io 4.x server JavaScript with a global io (playground.Instance.RunCode)
	// Console receives the program's console lines (level "log", "info", "debug", "warn",
	// "error"; the sandbox's own messages at "warn" or "error") from any goroutine.
	Console func(level, text string)
}

// App holds everything a running server shares: the lesson index, the assets and the hubs.
type App struct {
	log     *slog.Logger
	traffic *slog.Logger // the request log and the hubs' logs: log, or quieter under -watch
	cfg     Config
	assets  *static.Assets
	site    templates.Site
	play    *playground.Registry
	run     *playground.Instance // Config.Run's hub
	class   *classPages
	handler http.Handler
	close   sync.Once

	lessonFiles fs.FS    // images beside the lessons: the embedded course, or lessonRoot's
	lessonRoot  *os.Root // -lessons: the folder, opened once (nil for the embedded course)

	content atomic.Pointer[content]    // the pages served now; swapped whole by live reload
	reload  *stream.Topic[reloadEvent] // -watch only: tells open tabs which pages changed
	watcher *lessonWatcher             // -watch only
}

// LessonOptions wires the lesson loader to our components and demo validation (socketlab check
// uses it too).
func LessonOptions(prefix string, drafts bool) lessons.Options {
	return lessons.Options{
		Prefix: prefix,
		Drafts: drafts,
		Blocks: blocks.Options{
			RenderDemo: func(ctx context.Context, w io.Writer, d blocks.Demo) error {
				return templates.DemoWidget(demoView(d)).Render(ctx, w)
			},
			RenderQuiz: func(ctx context.Context, w io.Writer, q blocks.Quiz) error {
				return templates.Quiz(quizView(q)).Render(ctx, w)
			},
			RenderExercise: func(ctx context.Context, w io.Writer, x blocks.Exercise) error {
				v, err := exerciseView(x)
				if err != nil {
					return err
				}
				return templates.Exercise(v).Render(ctx, w)
			},
			ValidateDemo: validateDemo,
		},
	}
}

func demoView(d blocks.Demo) templates.DemoView {
	cfg := d.Config
	if len(cfg) == 0 {
		cfg = json.RawMessage("{}")
	}
	return templates.DemoView{ID: d.ID, Name: d.Name, Title: playground.KindTitle(d.Name), ConfigJSON: string(cfg)}
}

func quizView(q blocks.Quiz) templates.QuizView {
	v := templates.QuizView{ID: q.ID}
	for _, qq := range q.Questions {
		qv := templates.QuestionView{ID: qq.ID, PromptHTML: qq.PromptHTML, Multiple: qq.Multiple}
		for _, c := range qq.Choices {
			qv.Choices = append(qv.Choices, templates.ChoiceView{ID: c.ID, TextHTML: c.TextHTML, ExplanationHTML: c.ExplanationHTML, Correct: c.Correct})
		}
		v.Questions = append(v.Questions, qv)
	}
	return v
}

func exerciseView(x blocks.Exercise) (templates.ExerciseView, error) {
	cfg, err := x.Config()
	if err != nil {
		return templates.ExerciseView{}, fmt.Errorf("exercise config: %w", err)
	}
	v := templates.ExerciseView{ID: x.ID, Title: x.Title, Demo: x.Demo, GoalHTML: x.GoalHTML,
		HintsHTML: x.HintsHTML, Solution: x.Solution, ConfigJSON: string(cfg)}
	for _, c := range x.Clients {
		v.Clients = append(v.Clients, c.Name)
	}
	return v, nil
}

// LoadLessons parses the embedded course, or the lessons in dir when one is given.
func LoadLessons(dir string, drafts bool) (*lessons.Index, error) {
	var fsys fs.FS = lessons.Content
	prefix := "lessons"
	if dir != "" {
		fsys, prefix = os.DirFS(dir), dir
	}
	idx, err := lessons.Load(fsys, LessonOptions(prefix, drafts))
	if err != nil {
		return nil, fmt.Errorf("loading lessons: %w", err)
	}
	return idx, nil
}

// New loads the lessons and builds the app; Close releases it.
func New(log *slog.Logger, cfg Config) (*App, error) {
	if c := stickyCookie(cfg.Cookie); c != nil {
		c.Value = "sid"
		if err := c.Valid(); err != nil {
			return nil, fmt.Errorf("-cookie %q: %w", cfg.Cookie, err)
		}
	}
	var idx *lessons.Index
	var ds []lessons.Diagnostic
	if cfg.Watch {
		// A course being edited starts even with broken lessons: their pages show the errors.
		var err error
		if idx, ds, err = loadWatched(cfg); err != nil {
			return nil, fmt.Errorf("loading lessons: %w", err)
		}
	} else {
		var err error
		if idx, err = LoadLessons(cfg.LessonDir, cfg.Drafts); err != nil {
			return nil, err
		}
	}
	assets, err := static.New()
	if err != nil {
		return nil, fmt.Errorf("static assets: %w", err)
	}
	a := &App{log: log, cfg: cfg, assets: assets, lessonFiles: lessons.Content}
	if cfg.LessonDir != "" {
		if a.lessonRoot, err = os.OpenRoot(cfg.LessonDir); err != nil {
			return nil, fmt.Errorf("opening the lessons folder: %w", err)
		}
		a.lessonFiles = a.lessonRoot.FS()
	}
	a.traffic = log
	if cfg.Watch && !cfg.Verbose {
		a.traffic = slog.New(quietHandler{log.Handler()})
	}
	a.play = playground.NewRegistry(playground.Options{
		Logger: a.traffic, Origins: cfg.Origins,
		Engine: engineio.Options{Admission: cfg.Admission, Cookie: stickyCookie(cfg.Cookie)}, Socket: cfg.socket, Cluster: cfg.Cluster,
		MaxReserved: cfg.classes, ReservedPerAddress: cfg.classes,
	})
	a.site = templates.Site{
		Name: "Socket Lab",
		Icon: assets.URL("img/favicon.svg"),
		CSS:  []string{assets.URL("css/site.css"), assets.URL("css/highlight.css"), assets.URL("css/demos.css"), assets.URL("css/editor.css")},
		// kinds/index.js is imported by demos.js; listed here too, its panel modules load in parallel
		// with demos.js instead of after it.
		JS: []string{assets.URL("js/site.js"), assets.URL("js/demos.js"), assets.URL("js/kinds/index.js"), assets.URL("js/exercise.js")},
		// demos.js imports ./sio.js: the import map sends that to its hashed, cached URL too.
		ImportMap: assets.ImportMap(),
	}
	if cfg.Run == nil { // socketlab run serves neither
		a.site.Nav = []templates.Link{{Href: "/playground", Text: "Playground"}, {Href: "/join", Text: "Join a class"}}
	}
	if cfg.Watch {
		a.site.JS = append(a.site.JS, assets.URL("js/reload.js"))
		a.reload = stream.New[reloadEvent](stream.Options{Buffer: 4})
		a.content.Store(a.buildContent(idx, ds))
		a.reportLessons(nil, ds)
		if a.watcher, err = watchLessons(cfg.LessonDir, watchDebounce, log, a.reloadLessons); err != nil {
			a.Close()
			return nil, err
		}
	} else {
		a.content.Store(a.buildContent(idx, nil))
	}
	a.class = newClassPages(a)
	if cfg.Run != nil {
		if err := a.startRun(*cfg.Run); err != nil {
			a.Close()
			return nil, err
		}
	}
	a.handler = a.routes()
	return a, nil
}

// startRun opens the one hub of socketlab run and runs the program on it: a private instance
// (served only at /socket.io/) that is never swept. A program that does not compile or throws at
// its top level is the error, "FILE:line:col: ...".
func (a *App) startRun(rc RunConfig) error {
	// Shared under the Redis prefix itself: Node servers with the same key are its peers.
	in, err := a.play.Open(playground.Spec{Demo: "run", Private: true, Keep: true, File: rc.File, Console: rc.Console, Shared: true})
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	if err := in.RunCode(rc.Code); err != nil {
		in.Close()
		return err
	}
	a.run = in
	return nil
}

// runPage is the playground attached to the run hub: its widget gets the hub's description
// (data-instance, path /socket.io/) instead of starting a demo of its own.
func (a *App) runPage() http.Handler {
	if a.run == nil {
		return nil
	}
	d := a.run.Describe()
	d["path"] = runSocketPath
	d["run"] = true
	b, err := json.Marshal(d)
	if err != nil {
		a.log.Error("run page", "err", err)
	}
	return a.static(templates.PlaygroundPage(templates.PlaygroundView{Site: a.site, Origin: a.cfg.PublicURL,
		Run: &templates.PlaygroundRun{File: a.cfg.Run.File, Instance: string(b)}}), http.StatusOK)
}

// runSocketPath is the one entrance of socketlab run's hub, where socket.io-client looks by default.
const runSocketPath = "/socket.io/"

// Handler is the whole site, middleware included (routes.go).
func (a *App) Handler() http.Handler { return a.handler }

// Lessons is how many lessons are served now.
func (a *App) Lessons() int { return len(a.content.Load().idx.Lessons()) }

// Close releases the hubs; safe to call more than once.
func (a *App) Close() {
	a.close.Do(func() {
		if a.watcher != nil {
			a.watcher.Close()
		}
		if a.reload != nil {
			a.reload.Close()
		}
		if a.class != nil {
			a.class.cr.Close() // saves the classes before the hubs close and everyone disconnects
		}
		if a.play != nil {
			a.play.Close()
		}
		if a.lessonRoot != nil {
			a.lessonRoot.Close()
		}
	})
}

// stickyCookie is engine.io's `cookie: { name }`: NAME=SID; Path=/; HttpOnly; SameSite=Lax.
func stickyCookie(name string) *http.Cookie {
	if name == "" {
		return nil
	}
	c := engineio.SocketIOCookie()
	c.Name = name
	return c
}
