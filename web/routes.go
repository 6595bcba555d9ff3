package web

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/a-h/templ"

	"socketlab/lessons"
	"socketlab/templates"
)

// route is one URL pattern the server answers (net/http.ServeMux syntax) and its handler.
type route struct {
	pattern string
	handler http.Handler
	// socket marks an Engine.IO endpoint. Cross-origin protection lets its requests through:
	// the hub checks every request's Origin itself against the exact allowlist (both transports),
	// and a polling client from an allowed origin POSTs cross-origin by design.
	socket bool
}

const socket = true

// routeTable is every URL the server answers, in one place. A nil handler is a route this
// configuration does not serve (/__reload without -watch; under socketlab run, Config.Run, the
// course's routes, marked course(…), give way to the run hub's).
func (a *App) routeTable() []route {
	course := func(h http.Handler) http.Handler {
		if a.run != nil {
			return nil
		}
		return h
	}
	return []route{
		// Pages and files
		{"GET /{$}", a.handleHome(), false}, // under socketlab run: the playground on the run hub
		{"GET /lessons/{slug}", course(a.handleLesson()), false},
		{"GET " + lessons.FilesURL + "{path...}", course(a.handleLessonFile()), false},
		{"GET /static/", http.StripPrefix("/static/", a.assets.Handler()), false},
		{"GET /playground", course(a.static(templates.PlaygroundPage(templates.PlaygroundView{Site: a.site, Origin: a.cfg.PublicURL}), http.StatusOK)), false},
		{"GET /favicon.ico", http.RedirectHandler(a.site.Icon, http.StatusMovedPermanently), false}, // pages link the SVG; this is for whatever asks here
		{"GET /healthz", handleHealthz(), false},
		{"GET /__reload", a.handleReload(), false}, // serve -watch: live reload events (SSE)

		// Demo instances (docs/play-api.md)
		{"POST /play/{demo}", course(a.play.HandleCreate()), false},        // start one: JSON config in, JSON out
		{"GET /play/{id}/tap", a.play.HandleTap(), false},                  // what its hub sees (SSE)
		{"POST /play/{id}/code", course(a.play.HandleCode()), false},       // run a student's JavaScript on its hub
		{"POST /play/{id}/adapter", course(a.play.HandleAdapter()), false}, // the cluster demo's adapter switch
		{"POST /play/{id}/fault", course(a.play.HandleFault()), false},     // break it on purpose (reconnection demo)
		{"/play/{id}/socket.io/", course(a.play.HandleSocket()), socket},   // its hub

		// Classroom (issue 7)
		{"GET /class", course(a.class.handleStart()), false},                  // start page (?lesson=SLUG)
		{"POST /class", course(a.class.handleCreate()), false},                // start a class
		{"GET /class/{code}/present", course(a.class.handlePresent()), false}, // projector view
		{"/class/{code}/socket.io/", course(a.class.handleSocket()), socket},  // the class's hub
		{"GET /join", course(a.class.handleJoinForm()), false},                // type a code
		{"GET /join/{code}", course(a.class.handleJoin()), false},             // pick a name, then the student client

		// socketlab run (Config.Run): one program's hub, with the playground attached to it
		{runSocketPath, a.runSocket(), socket}, // the program's hub: its one entrance

		{"/", a.handleNotFound(), false},
	}
}

// runSocket serves the run hub (Config.Run); it checks the Origin itself, like every hub.
func (a *App) runSocket() http.Handler {
	if a.run == nil {
		return nil
	}
	return a.run
}

// routes mounts the route table on one mux and wraps it in the middleware.
func (a *App) routes() http.Handler {
	mux := http.NewServeMux()
	csrf := http.NewCrossOriginProtection()
	for _, rt := range a.routeTable() {
		if rt.handler == nil {
			continue
		}
		mux.Handle(rt.pattern, rt.handler)
		if rt.socket {
			csrf.AddInsecureBypassPattern(rt.pattern)
		}
	}
	var h http.Handler = mux
	h = csrf.Handler(h)
	h = securityHeaders(h)
	h = recoverPanics(a.log, h)
	h = logRequests(a.traffic, h)
	return h
}

func lessonLink(l *lessons.Lesson, i int) templates.LessonLink {
	return templates.LessonLink{Slug: l.Slug, Title: l.Title, Summary: l.Summary, Number: i + 1, Draft: l.Draft}
}

func (a *App) handleHome() http.Handler {
	if a.run != nil {
		return a.runPage()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.content.Load().home.serve(w, r, http.StatusOK)
	})
}

func (a *App) handleLesson() http.Handler {
	notFound := a.handleNotFound()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := a.content.Load().pages[r.PathValue("slug")]
		if !ok {
			notFound.ServeHTTP(w, r)
			return
		}
		p.serve(w, r, http.StatusOK)
	})
}

// content is one build of the lesson pages, pre-rendered and immutable: live reload (serve -watch)
// swaps the whole of it at once, so a request never sees half an update.
type content struct {
	idx   *lessons.Index
	ds    []lessons.Diagnostic // -watch: what the checker found in this build
	home  *prerendered
	pages map[string]*prerendered // by slug; under -watch, a broken lesson's slug shows its errors
}

// buildContent pre-renders the home page and every lesson page of idx. Under -watch, ds is what
// the checker found (lessons.Diagnose): the files that did not load keep their place in the course
// with a page that shows their errors, and every page shows the problems of its file.
func (a *App) buildContent(idx *lessons.Index, ds []lessons.Diagnostic) *content {
	course := idx.Course()
	links := make([]templates.LessonLink, len(course))
	for i, e := range course {
		if l := e.Lesson; l != nil {
			links[i] = lessonLink(l, i)
		} else {
			links[i] = templates.LessonLink{Slug: e.Failed.Slug, Title: cmp.Or(e.Failed.Title, e.Failed.File), Number: i + 1, Draft: e.Failed.Draft, Broken: true}
		}
	}
	probs, all := a.problems(idx, ds)
	home := templates.HomeView{Site: a.site, Lessons: links, Groups: lessonGroups(links, course), Problems: all}
	c := &content{idx: idx, ds: ds, home: a.prerender(templates.HomePage(home)), pages: make(map[string]*prerendered, len(course))}
	view := func(i int) templates.LessonView {
		v := templates.LessonView{Site: a.site, Number: i + 1, Total: len(course)}
		if i > 0 {
			v.Prev = &links[i-1]
		}
		if i+1 < len(course) {
			v.Next = &links[i+1]
		}
		return v
	}
	for i, e := range course {
		l := e.Lesson
		if l == nil {
			continue
		}
		v := view(i)
		v.Slug, v.Title, v.Summary, v.Body = l.Slug, l.Title, l.Summary, l.HTML
		v.Objectives, v.Questions, v.QuestionsHTML = l.Objectives, l.Questions, l.QuestionsHTML
		v.Problems = probs[l.File]
		for _, h := range l.TOC {
			v.TOC = append(v.TOC, templates.TOCItem{Level: h.Level, ID: h.ID, Text: h.Text})
		}
		c.pages[l.Slug] = a.prerender(templates.LessonPage(v))
	}
	// A file that did not load takes its slug's page unless a lesson that loaded has that slug
	// (a duplicate slug).
	for i, e := range course {
		f := e.Failed
		if f == nil {
			continue
		}
		if _, taken := c.pages[f.Slug]; taken {
			continue
		}
		v := view(i)
		v.Slug, v.Broken, v.Problems = f.Slug, true, probs[f.File]
		v.Title = "This lesson has errors"
		v.Summary = path.Join(a.cfg.LessonDir, f.File) + " did not load. Fix it and save: this page reloads by itself."
		c.pages[f.Slug] = a.prerender(templates.LessonPage(v))
	}
	return c
}

func (a *App) handleNotFound() http.Handler {
	return a.page(func(r *http.Request) (templ.Component, int) {
		return templates.NotFoundPage(templates.NotFoundView{Site: a.site, Path: r.URL.Path}), http.StatusNotFound
	})
}

func handleHealthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		fmt.Fprintln(w, "ok")
	})
}

// nonceLen is the length of every CSP nonce we issue (18 random bytes, base64).
const nonceLen = 24

// placeholderNonce stands in for the per-response nonce in pre-rendered pages.
var placeholderNonce = strings.Repeat("\x00", nonceLen)

// prerendered is a page rendered once at start-up with a placeholder nonce: serving it copies the
// bytes around the nonce, so the lesson pages cost no template work per request.
type prerendered struct {
	parts [][]byte // the page split at each nonce
	size  int
	err   error
}

func (a *App) prerender(c templ.Component) *prerendered {
	var buf bytes.Buffer
	ctx := templ.WithNonce(context.Background(), placeholderNonce)
	if err := c.Render(ctx, &buf); err != nil {
		a.log.Error("render page", "err", err)
		return &prerendered{err: err}
	}
	parts := bytes.Split(buf.Bytes(), []byte(placeholderNonce))
	return &prerendered{parts: parts, size: buf.Len()}
}

func (a *App) static(c templ.Component, status int) http.Handler {
	p := a.prerender(c)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { p.serve(w, r, status) })
}

func (p *prerendered) serve(w http.ResponseWriter, r *http.Request, status int) {
	if p.err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	nonce := []byte(templ.GetNonce(r.Context()))
	if len(nonce) != nonceLen {
		http.Error(w, "internal error: no CSP nonce", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Length", strconv.Itoa(p.size))
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	bp := pagePool.Get().(*[]byte)
	out := (*bp)[:0]
	for i, part := range p.parts {
		if i > 0 {
			out = append(out, nonce...)
		}
		out = append(out, part...)
	}
	w.Write(out)
	*bp = out
	pagePool.Put(bp)
}

var pagePool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

// page renders a component into a buffer first, so a failed render is a clean 500, not half a page.
func (a *App) page(pick func(*http.Request) (templ.Component, int)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, status := pick(r)
		var buf bytes.Buffer
		if err := c.Render(r.Context(), &buf); err != nil {
			a.log.Error("render page", "path", r.URL.Path, "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-cache")
		h.Set("Content-Length", strconv.Itoa(buf.Len()))
		w.WriteHeader(status)
		if r.Method != http.MethodHead {
			w.Write(buf.Bytes())
		}
	})
}

// securityHeaders sets a strict CSP with a fresh nonce per response (handed to templ through the
// context, so every <script> the components render carries it) and the other security headers.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b [18]byte
		rand.Read(b[:])
		nonce := base64.RawURLEncoding.EncodeToString(b[:])
		h := w.Header()
		h.Set("Content-Security-Policy", templates.CSP(nonce))
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		next.ServeHTTP(w, r.WithContext(templ.WithNonce(r.Context(), nonce)))
	})
}

// recoverPanics turns a handler panic into a 500 and one log record with the stack.
func recoverPanics(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.Error("panic serving request", "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the real writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Hijack lets gorilla/websocket, which asserts http.Hijacker on the writer it is given, upgrade
// through the request log. The status logged for an upgraded request is 101.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil && w.status == 0 {
		w.status = http.StatusSwitchingProtocols
	}
	return c, rw, err
}

// logRequests writes one record per request (at Debug for socket traffic, which has its own log).
func logRequests(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		level := slog.LevelInfo
		if isSocketPath(r.URL.Path) {
			level = slog.LevelDebug
		}
		log.Log(context.Background(), level, "request", "method", r.Method, "path", truncate(r.URL.Path, 256), "status", sw.status, "bytes", sw.bytes, "dur", time.Since(start).Round(time.Microsecond))
	})
}

func isSocketPath(p string) bool {
	return strings.HasPrefix(p, "/play/") || strings.HasPrefix(p, "/socket.io/") ||
		strings.HasPrefix(p, "/class/") && strings.Contains(p, "/socket.io/")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
