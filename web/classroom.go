package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/a-h/templ"
	"rsc.io/qr"

	"socketlab/lessons"
	"socketlab/playground"
	"socketlab/playground/classroom"
	"socketlab/templates"
)

// classPages serve the classroom (issue 7); web/routes.go lists their URLs.
type classPages struct {
	a           *App
	cr          *classroom.Classroom
	cache       atomic.Pointer[classLessonSet]
	presentSite templates.Site
	studentSite templates.Site
	plainSite   templates.Site
}

// DefaultSeatsPerAddress is Config.SeatsPerAddress's default.
const DefaultSeatsPerAddress = classroom.DefaultSeatsPerAddress

// StatePath is where serve keeps its classes by default (classroom.StatePath): under
// $XDG_STATE_HOME, else ~/.local/state; "" when getenv knows neither.
func StatePath(getenv func(string) string) string { return classroom.StatePath(getenv) }

func newClassPages(a *App) *classPages {
	opts := classroom.Options{SeatsPerAddress: a.cfg.SeatsPerAddress, MaxStudents: a.cfg.seats}
	if a.cfg.StatePath != "" {
		st, err := classroom.OpenStore(a.cfg.StatePath)
		if err != nil {
			// The course is served all the same: classes work, but do not survive a restart.
			a.log.Error("classes will not survive a restart", "err", err)
		}
		opts.Store = st
	}
	cr := classroom.New(a.play, opts)
	if opts.Store != nil {
		a.log.Info("classes are kept across restarts", "file", opts.Store.Path(), "restored", cr.Len())
	}
	return &classPages{
		a:           a,
		cr:          cr,
		presentSite: a.classSite("js/class-present.js"),
		studentSite: a.classSite("js/class-student.js"),
		plainSite:   a.classSite(""),
	}
}

// current is the lesson list of the pages served now: under serve -watch it follows the lesson
// folder (rebuilt once per reload, on first use).
func (c *classPages) current() *classLessonSet {
	idx := c.a.content.Load().idx
	if set := c.cache.Load(); set != nil && set.idx == idx {
		return set
	}
	set := newClassLessonSet(idx)
	c.cache.Store(set)
	return set
}

// handleStart is the start page (?lesson=SLUG preselects).
func (c *classPages) handleStart() http.Handler {
	return c.a.page(func(r *http.Request) (templ.Component, int) {
		ls := c.current()
		sel := r.URL.Query().Get("lesson")
		if !ls.bySlug[sel] {
			sel = ""
		}
		return templates.ClassStartPage(templates.ClassStartView{Site: c.plainSite, Lessons: ls.list, Selected: sel}), http.StatusOK
	})
}

// handleCreate starts a class (same-origin form): 303 to the presenter view with the presenter
// key in the URL fragment, or JSON 201 with Accept: application/json.
func (c *classPages) handleCreate() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
		ls := c.current()
		lesson := r.PostFormValue("lesson")
		if !ls.bySlug[lesson] {
			lesson = ""
		}
		cl, secret, err := c.cr.CreateFor(playground.ClientOf(r), lesson)
		if err != nil {
			c.a.log.Warn("class not started", "err", err)
			status := http.StatusServiceUnavailable
			if errors.Is(err, playground.ErrClientFull) || errors.Is(err, playground.ErrTooFast) {
				status = http.StatusTooManyRequests
			}
			w.Header().Set("Retry-After", "60")
			c.a.page(func(*http.Request) (templ.Component, int) {
				return templates.ClassStartPage(templates.ClassStartView{Site: c.plainSite, Lessons: ls.list, Error: "Could not start a class: " + err.Error()}), status
			}).ServeHTTP(w, r)
			return
		}
		present := "/class/" + cl.Code() + "/present"
		w.Header().Set("Cache-Control", "no-store")
		if strings.Contains(r.Header.Get("Accept"), "application/json") {
			join, _, _ := c.a.joinAddresses(r, cl.Code())
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			json.NewEncoder(w).Encode(map[string]string{
				"code": cl.Code(), "key": secret, "present": present, "join": join, "path": cl.SocketPath(),
			})
			return
		}
		// The key travels in the fragment: never sent to a server, never in a Referer or access log.
		// The presenter page moves it to sessionStorage and removes it from the address bar.
		http.Redirect(w, r, present+"#key="+secret, http.StatusSeeOther)
	})
}

// admitted serves a class page {code} to a device cr.Admit lets in: it sets the class's member
// cookie, which lets the device reload and reconnect while its (shared) address is over the
// wrong-code budget.
func (c *classPages) admitted(pick func(r *http.Request, cl *classroom.Class) (templ.Component, int)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cl, err := c.cr.Admit(w, r, r.PathValue("code"))
		c.a.page(func(r *http.Request) (templ.Component, int) {
			if err != nil {
				return c.a.joinError(c.plainSite, r.PathValue("code"), err)
			}
			return pick(r, cl)
		}).ServeHTTP(w, r)
	})
}

// handlePresent is the projector view: join code, QR, roster, rooms, logs, controls.
func (c *classPages) handlePresent() http.Handler {
	return c.admitted(func(r *http.Request, cl *classroom.Class) (templ.Component, int) {
		join, others, problem := c.a.joinAddresses(r, cl.Code())
		q, err := classQR(join)
		if err != nil {
			c.a.log.Error("class QR", "err", err)
		}
		return templates.ClassPresentPage(templates.ClassPresentView{
			Site: c.presentSite, Code: cl.Code(), JoinURL: join, OtherJoinURLs: others, JoinProblem: problem, QR: q, SocketPath: cl.SocketPath(),
			Lesson: cl.Lesson(), Lessons: c.current().list,
		}), http.StatusOK
	})
}

// handleSocket is class {code}'s hub: students on "/", the instructor on "/instructor".
func (c *classPages) handleSocket() http.Handler { return c.cr.SocketHandler() }

// handleJoinForm asks for a code; /join?code=X goes on to /join/X.
func (c *classPages) handleJoinForm() http.Handler {
	form := c.a.page(func(r *http.Request) (templ.Component, int) {
		return templates.ClassJoinPage(templates.ClassJoinView{Site: c.plainSite}), http.StatusOK
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.cr.Identify(w, r) // the device's identity: its own wrong-code budget and seat
		if code := r.URL.Query().Get("code"); code != "" {
			norm, _ := classroom.NormalizeCode(code)
			http.Redirect(w, r, "/join/"+url.PathEscape(norm), http.StatusSeeOther)
			return
		}
		form.ServeHTTP(w, r)
	})
}

// handleJoin is class {code}'s name picker, then the phone-sized client.
func (c *classPages) handleJoin() http.Handler {
	return c.admitted(func(r *http.Request, cl *classroom.Class) (templ.Component, int) {
		return templates.ClassStudentPage(templates.ClassStudentView{Site: c.studentSite, Code: cl.Code(), SocketPath: cl.SocketPath()}), http.StatusOK
	})
}

func (a *App) joinError(site templates.Site, code string, err error) (templ.Component, int) {
	status := classroom.AdmitStatus(err)
	norm, _ := classroom.NormalizeCode(code)
	if len(norm) > classroom.CodeLen {
		norm = norm[:classroom.CodeLen]
	}
	msg := err.Error()
	if errors.Is(err, classroom.ErrUnknownClass) {
		msg = fmt.Sprintf("No class has the code %q right now. Check it with your instructor (codes never use 0, O, 1, I or L).", norm)
	}
	return templates.ClassJoinPage(templates.ClassJoinView{Site: site, Code: norm, Error: msg, Status: status}), status
}

// classSite is the site with the classroom stylesheet and one page script.
func (a *App) classSite(js string) templates.Site {
	s := a.site
	s.CSS = append(append([]string{}, a.site.CSS...), a.assets.URL("css/class.css")) // the site's CSS has editor.css
	s.JS = append([]string{}, a.site.JS...)
	if js != "" {
		s.JS = append(s.JS, a.assets.URL(js))
	}
	return s
}

// classLessonSet is the lessons a class can start from or follow, built from one lesson index.
type classLessonSet struct {
	idx    *lessons.Index
	list   []templates.ClassLesson
	bySlug map[string]bool
}

func newClassLessonSet(idx *lessons.Index) *classLessonSet {
	set := &classLessonSet{idx: idx, list: classLessons(idx), bySlug: map[string]bool{}}
	for _, l := range set.list {
		set.bySlug[l.Slug] = true
	}
	return set
}

func classLessons(idx *lessons.Index) []templates.ClassLesson {
	var out []templates.ClassLesson
	for _, l := range idx.Lessons() {
		cl := templates.ClassLesson{Slug: l.Slug, Title: l.Title}
		for _, h := range l.TOC {
			if h.Level == 2 {
				cl.Sections = append(cl.Sections, templates.TOCItem{Level: h.Level, ID: h.ID, Text: h.Text})
			}
		}
		out = append(out, cl)
	}
	return out
}

// joinAddresses is the class's join address for the projector and its QR: the public URL when
// configured; else the address the instructor's browser used, unless that is this computer only
// (localhost), in which case the machine's own network address (Config.JoinBases). others are
// the machine's other addresses, for a network the first does not reach. problem says why no
// other device can reach the address shown ("" when one can).
func (a *App) joinAddresses(r *http.Request, code string) (join string, others []string, problem string) {
	path := "/join/" + code
	if base := strings.TrimRight(a.cfg.PublicURL, "/"); base != "" {
		return base + path, nil, ""
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	own := scheme + "://" + r.Host
	bases := a.cfg.JoinBases
	if !isLoopbackHost(r.Host) {
		bases = append([]string{own}, slices.DeleteFunc(slices.Clone(bases), func(b string) bool { return b == own })...)
	}
	if len(bases) == 0 {
		problem = a.cfg.JoinProblem
		if problem == "" {
			problem = "This address works on this computer only: students' devices need this computer's network address (give -public-url)."
		}
		return own + path, nil, problem
	}
	for _, b := range bases[1:] {
		others = append(others, b+path)
	}
	return bases[0] + path, others, ""
}

// isLoopbackHost reports whether host (host[:port] from a request) names this computer only.
func isLoopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// classQR encodes text (medium error correction) as one SVG path, one unit per module.
func classQR(text string) (templates.ClassQR, error) {
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		return templates.ClassQR{}, fmt.Errorf("encoding %q as QR: %w", text, err)
	}
	var b strings.Builder
	for y := range code.Size {
		for x := 0; x < code.Size; x++ {
			if !code.Black(x, y) {
				continue
			}
			run := 1 // one rectangle per horizontal run of dark modules
			for x+run < code.Size && code.Black(x+run, y) {
				run++
			}
			b.WriteString("M" + strconv.Itoa(x) + " " + strconv.Itoa(y) + "h" + strconv.Itoa(run) + "v1h-" + strconv.Itoa(run) + "z")
			x += run - 1
		}
	}
	return templates.ClassQR{Size: code.Size, Path: b.String()}, nil
}
