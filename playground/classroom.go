package playground

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/big"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"socketlab/playground/socketio"
	"socketlab/playground/stream"
)

// Classroom mode (issue 7): a class is a demo instance of its own (its own hub, registered in the
// Registry, so it is capped, reclaimed when nobody has been connected for the idle timeout, and
// closed with the registry) joined by the students' devices.
//
//   - Students connect to "/" with auth {name, code} at /class/CODE/socket.io/.
//   - The instructor connects to "/instructor" with auth {token: SECRET}; every control event carries
//     the token again and is re-checked (constant time) before anything changes.
//   - Tenants are namespaces "/org-NAME" the instructor opens; a student enters one with a one-time
//     ticket the server hands to that student only.
//   - Kicks ban the display name (case-insensitive) for the class's lifetime until the instructor
//     allows it again. Students are anonymous, so a kicked student can come back under another
//     name: a kick is a classroom tool, not an access control.

// ClassCodeAlphabet has no 0/O, 1/I/L: 31 symbols, 31^6 ≈ 8.9·10^8 codes.
const ClassCodeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

const (
	ClassCodeLen       = 6
	DefaultMaxStudents = 500
	// DefaultFailBurst is the per-address budget of failed class codes (and, in a bucket of its
	// own, of wrong instructor keys). The code budget is raised to twice the largest live class
	// when that is bigger, so a whole class behind one NAT can mistype at once.
	DefaultFailBurst = 100
	// DefaultFailEvery refills one failed attempt per address: a guesser behind one address makes
	// ~86 400 guesses a day against 8.9·10^8 codes.
	DefaultFailEvery = time.Second
	classNameMax     = 24
	classTextMax     = 500
	maxBreakoutRooms = 50
	maxTenants       = 8
	classSecretBytes = 32
	// classMemberMaxAge is how long a device admitted to a class keeps its member cookie.
	classMemberMaxAge = 12 * time.Hour
)

// Errors a student or the HTTP layer can see.
var (
	ErrUnknownClass     = errors.New("no class with this code (it may have ended)")
	ErrTooManyAttempts  = errors.New("too many wrong class codes from this address; wait a minute")
	errTooManyKeys      = errors.New("too many wrong presenter keys from this address; wait a minute")
	ErrNotAuthorized    = errors.New("not authorized")
	ErrClassLocked      = errors.New("sending is locked by the instructor")
	errClassEnded       = errors.New("the class has ended")
	tenantNameRE        = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,15}$`)
	followURLRE         = regexp.MustCompile(`^/[A-Za-z0-9/_.-]*(#[A-Za-z0-9_.:-]*)?$`)
	reservedClassNames  = []string{"instructor", "teacher", "server", "everyone"}
	breakoutRoomPattern = regexp.MustCompile(`^room-([1-9][0-9]?)$`)
)

// ClassOptions configure a Classroom; zero values take the defaults.
type ClassOptions struct {
	MaxStudents int           // DefaultMaxStudents
	FailBurst   int           // DefaultFailBurst
	FailEvery   time.Duration // DefaultFailEvery
}

// Classroom finds classes by join code and rate-limits failed codes per client address.
//
// Only a new Engine.IO handshake (or a join page) for a code that is not live spends an address's
// code budget, and only those are refused once it is spent: requests of a session the class
// already has (a "sid" it issued) always pass, so the students behind one NAT'd address keep
// working while one of them mistypes. Wrong instructor keys spend a bucket of their own.
type Classroom struct {
	reg  *Registry
	opts ClassOptions
	log  *slog.Logger

	mu         sync.Mutex
	byCode     map[string]*Class
	fails      map[string]*failBucket // wrong or unknown class codes
	tokenFails map[string]*failBucket // wrong instructor keys
}

// failBucket counts an address's recent failures; they decay at one per FailEvery. The limit is
// read at check time, so a class growing to 300 raises it at once.
type failBucket struct {
	spent float64
	last  time.Time
}

// NewClassroom keeps its classes in reg (which owns their hubs).
func NewClassroom(reg *Registry, opts ClassOptions) *Classroom {
	if opts.MaxStudents <= 0 {
		opts.MaxStudents = DefaultMaxStudents
	}
	if opts.FailBurst <= 0 {
		opts.FailBurst = DefaultFailBurst
	}
	if opts.FailEvery <= 0 {
		opts.FailEvery = DefaultFailEvery
	}
	return &Classroom{reg: reg, opts: opts, log: reg.log, byCode: map[string]*Class{}, fails: map[string]*failBucket{}, tokenFails: map[string]*failBucket{}}
}

// Class is one live class session.
type Class struct {
	code   string
	secret string
	lesson string
	in     *Instance
	cr     *Classroom
	// member is the value of the cookie a device gets when it is admitted (see Admit): it lets that
	// device back in (a reload, a reconnection) while its address is over the code budget.
	member string

	mu       sync.Mutex
	students map[string]*classStudent // socket id (on "/") → student
	byName   map[string]string        // folded name → socket id
	banned   map[string]bool          // folded names
	locked   bool
	rooms    int      // breakout rooms room-1..room-N (0: none)
	tenants  []string // "/org-red", …
	follow   map[string]string
	ended    bool
}

type classStudent struct {
	id, name, folded string
	s                *socketio.Socket
	room             string // "room-N" or ""
	tenant           string // "/org-x" or ""
	ticket           string // one-time ticket for tenant
	tenantSock       *socketio.Socket
}

// Code is the class's join code.
func (cl *Class) Code() string { return cl.code }

// Lesson is the lesson slug the class was started from ("" for the playground).
func (cl *Class) Lesson() string { return cl.lesson }

// SocketPath is where students and the instructor connect (io({path})).
func (cl *Class) SocketPath() string { return "/class/" + cl.code + "/socket.io/" }

// TapPath is the instance's SSE tap (docs/play-api.md); given only to the instructor.
func (cl *Class) TapPath() string { return "/play/" + cl.in.id + "/tap" }

// Authorized reports, in constant time, whether token is the class's presenter capability.
func (cl *Class) Authorized(token string) bool {
	return subtle.ConstantTimeCompare([]byte(token), []byte(cl.secret)) == 1
}

// Students is the number of students connected on "/".
func (cl *Class) Students() int {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return len(cl.students)
}

func randomCode() string {
	b := make([]byte, ClassCodeLen)
	n := big.NewInt(int64(len(ClassCodeAlphabet)))
	for i := range b {
		v, _ := rand.Int(rand.Reader, n)
		b[i] = ClassCodeAlphabet[v.Int64()]
	}
	return string(b)
}

// NormalizeCode upper-cases and trims a typed code; ok is false when it cannot be a code.
func NormalizeCode(s string) (string, bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if len(s) != ClassCodeLen {
		return s, false
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(ClassCodeAlphabet, s[i]) < 0 {
			return s, false
		}
	}
	return s, true
}

// Create starts a class; the secret is returned once, to the instructor.
func (c *Classroom) Create(lesson string) (cl *Class, secret string, err error) {
	var sb [classSecretBytes]byte
	rand.Read(sb[:])
	secret = base64.RawURLEncoding.EncodeToString(sb[:])
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pruneLocked()
	code := randomCode()
	for c.byCode[code] != nil {
		code = randomCode()
	}
	cl = &Class{
		code: code, secret: secret, lesson: lesson, cr: c, member: newTicket(),
		students: map[string]*classStudent{}, byName: map[string]string{}, banned: map[string]bool{},
	}
	in, err := c.reg.add(func(id string) *Instance { return newClassInstance(id, c.reg.opts) })
	if err != nil {
		return nil, "", err
	}
	cl.in = in
	cl.setup()
	c.byCode[code] = cl
	c.log.Info("class started", "class", code, "instance", in.id)
	return cl, secret, nil
}

// add registers a new instance built by mk, under the registry's cap.
func (r *Registry) add(mk func(id string) *Instance) (*Instance, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, errors.New("shutting down")
	}
	if len(r.instances) >= r.opts.MaxInstances {
		return nil, ErrFull
	}
	in := mk(newInstanceID())
	r.instances[in.id] = in
	return in, nil
}

func (r *Registry) remove(in *Instance) {
	r.mu.Lock()
	if r.instances[in.id] == in {
		delete(r.instances, in.id)
	}
	r.mu.Unlock()
	in.close()
}

// newClassInstance is newInstance without a demo's handlers: the class sets up its own.
func newClassInstance(id string, opts Options) *Instance {
	in := &Instance{
		id: id, demo: "class", cfg: &DemoConfig{}, now: opts.now,
		tap: stream.New[[]byte](stream.Options{Buffer: subscriberQueue, History: historySize}), names: map[string]string{}, state: map[string]map[string][]string{},
		queues: map[string][]queued{}, flushing: map[string]bool{},
		lastSeen: opts.now(), tapDone: make(chan struct{}),
	}
	in.log = slog.New(&consoleHandler{next: opts.Logger.Handler().WithAttrs([]slog.Attr{slog.String("instance", id)}), in: in})
	eopts := opts.Engine
	eopts.Logger = in.log
	eopts.CheckOrigin = OriginAllowlist(opts.Origins)
	sopts := opts.Socket
	sopts.Logger = in.log
	// Dynamic tenant namespaces are closed by reset; empty ones go away.
	sopts.CleanupEmptyChildNamespaces = true
	in.hub = NewHub(eopts, sopts)
	taps, cancel := in.hub.IO.Observe(tapBuffer)
	in.cancelTap = cancel
	go in.watch(taps)
	return in
}

func (in *Instance) isClosed() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.closed
}

// pruneLocked forgets classes whose instance was reclaimed and address buckets that are full again.
func (c *Classroom) pruneLocked() {
	for code, cl := range c.byCode {
		if cl.in.isClosed() {
			delete(c.byCode, code)
		}
	}
	now := c.reg.opts.now()
	for _, m := range []map[string]*failBucket{c.fails, c.tokenFails} {
		for a, b := range m {
			if now.Sub(b.last) > time.Duration(b.spent+1)*c.opts.FailEvery {
				delete(m, a)
			}
		}
	}
}

// Lookup returns the live class with code, or nil. It does not count failures (see Join).
func (c *Classroom) Lookup(code string) *Class {
	code, ok := NormalizeCode(code)
	if !ok {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	cl := c.byCode[code]
	if cl == nil {
		return nil
	}
	if cl.in.isClosed() {
		delete(c.byCode, code)
		return nil
	}
	return cl
}

// Len is the number of live classes.
func (c *Classroom) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pruneLocked()
	return len(c.byCode)
}

// burstLocked is the failure budget: never below twice the largest live class.
func (c *Classroom) burstLocked() int {
	burst := c.opts.FailBurst
	for _, cl := range c.byCode {
		if n := 2 * cl.Students(); n > burst {
			burst = n
		}
	}
	return burst
}

// ClientAddress is the rate-limit key of a request: its remote IP without the port.
func ClientAddress(remoteAddr string) string {
	if h, _, err := net.SplitHostPort(remoteAddr); err == nil {
		return h
	}
	return remoteAddr
}

func (c *Classroom) bucketLocked(m map[string]*failBucket, addr string) *failBucket {
	now := c.reg.opts.now()
	b := m[addr]
	if b == nil {
		b = &failBucket{last: now}
		m[addr] = b
	}
	b.spent = max(0, b.spent-now.Sub(b.last).Seconds()/c.opts.FailEvery.Seconds())
	b.last = now
	return b
}

// Blocked reports whether addr has used up its failed-code budget.
func (c *Classroom) Blocked(addr string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return math.Ceil(c.bucketLocked(c.fails, addr).spent) >= float64(c.burstLocked())
}

// Fail spends one failed attempt of addr's code budget.
func (c *Classroom) Fail(addr string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.bucketLocked(c.fails, addr).spent++
}

// tokenFail spends one wrong instructor key of addr's key budget (not its code budget) and
// reports whether that budget is now spent.
func (c *Classroom) tokenFail(addr string) (blocked bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.bucketLocked(c.tokenFails, addr)
	b.spent++
	return math.Ceil(b.spent) > float64(c.opts.FailBurst)
}

// Join looks a typed code up for a client address: ErrTooManyAttempts when the address is over its
// budget, ErrUnknownClass (and one failure spent) when no live class has the code.
func (c *Classroom) Join(addr, code string) (*Class, error) {
	if c.Blocked(addr) {
		return nil, ErrTooManyAttempts
	}
	cl := c.Lookup(code)
	if cl == nil {
		c.Fail(addr)
		return nil, ErrUnknownClass
	}
	return cl, nil
}

// MemberCookie is the name of the cookie that marks a device admitted to the class with code.
func MemberCookie(code string) string { return "sl-class-" + code }

// Admit is Join for an HTTP request (a class page or a new Engine.IO handshake): a device that
// was admitted to this class before shows it with its member cookie, and is let in even when its
// address is over the code budget, so the students behind one NAT'd address can reload and
// reconnect while a classmate mistypes (the cookie is 128 random bits per class: no way to guess
// a code). An admitted request gets the cookie, when w is not nil.
func (c *Classroom) Admit(w http.ResponseWriter, r *http.Request, code string) (*Class, error) {
	var cl *Class
	norm, _ := NormalizeCode(code)
	if ck, err := r.Cookie(MemberCookie(norm)); err == nil {
		if found := c.Lookup(code); found != nil && subtle.ConstantTimeCompare([]byte(ck.Value), []byte(found.member)) == 1 {
			cl = found
		}
	}
	if cl == nil {
		var err error
		if cl, err = c.Join(ClientAddress(r.RemoteAddr), code); err != nil {
			return nil, err
		}
	}
	if w != nil {
		http.SetCookie(w, &http.Cookie{
			Name: MemberCookie(cl.code), Value: cl.member, Path: "/", MaxAge: int(classMemberMaxAge / time.Second),
			HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode,
		})
	}
	return cl, nil
}

// End closes a class: everyone is told, then disconnected; the code stops working.
func (cl *Class) End() {
	cl.mu.Lock()
	if cl.ended {
		cl.mu.Unlock()
		return
	}
	cl.ended = true
	cl.mu.Unlock()
	cl.in.hub.IO.Emit("ended")
	cl.cr.mu.Lock()
	if cl.cr.byCode[cl.code] == cl {
		delete(cl.cr.byCode, cl.code)
	}
	cl.cr.mu.Unlock()
	cl.cr.reg.remove(cl.in)
	cl.cr.log.Info("class ended", "class", cl.code)
}

// SocketHandler serves /class/{code}/socket.io/: a request of a session the class's hub has open
// (its "sid") always reaches the hub; anything else is a new handshake, looked up with Admit: an
// unknown code spends the address's failure budget and gets the Engine.IO error shape, and an
// address over its budget gets 429 for every code, unless the device shows the class's member
// cookie. A made-up sid is no way around the budget.
func (c *Classroom) SocketHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sid := r.URL.Query().Get("sid"); sid != "" {
			if cl := c.Lookup(r.PathValue("code")); cl != nil && cl.in.hub.Engine.HasSession(sid) { // the session's own requests bypass the code budget
				cl.in.touch()
				cl.in.hub.ServeHTTP(w, r)
				return
			}
		}
		cl, err := c.Admit(w, r, r.PathValue("code"))
		if err != nil {
			status := http.StatusNotFound
			if errors.Is(err, ErrTooManyAttempts) {
				status = http.StatusTooManyRequests
			}
			writeJSON(w, status, map[string]any{"code": 1, "message": err.Error()})
			return
		}
		cl.in.touch()
		cl.in.hub.ServeHTTP(w, r)
	})
}

// ---- names

// ValidateName checks a student's display name and returns it cleaned (spaces collapsed) and folded
// (the uniqueness key).
func ValidateName(name string) (clean, folded string, err error) {
	clean = strings.Join(strings.Fields(name), " ")
	n := utf8.RuneCountInString(clean)
	switch {
	case n == 0:
		return "", "", errors.New("pick a name")
	case n > classNameMax:
		return "", "", fmt.Errorf("names are at most %d characters", classNameMax)
	case !utf8.ValidString(clean):
		return "", "", errors.New("name is not valid text")
	}
	for _, r := range clean {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == ' ' || r == '-' || r == '_' || r == '.' || r == '\'') {
			return "", "", errors.New("names may use letters, digits, spaces and - _ . ' only")
		}
	}
	folded = strings.ToLower(clean)
	if slices.Contains(reservedClassNames, folded) {
		return "", "", errors.New("that name is reserved")
	}
	return clean, folded, nil
}

type studentAuth struct {
	Name   string `json:"name"`
	Code   string `json:"code"`
	Ticket string `json:"ticket"`
}

func decodeAuth(s *socketio.Socket) (studentAuth, bool) {
	var a studentAuth
	if json.Unmarshal(s.Handshake().Auth, &a) != nil {
		return a, false
	}
	return a, true
}

func connectErr(msg string) error { return &socketio.ConnectError{Message: msg} }

// ---- the hub's handlers

func (cl *Class) setup() {
	io := cl.in.hub.IO
	main := io.Of("/")
	main.Use(cl.studentMiddleware)
	main.OnConnection(cl.onStudent)
	inst := io.Of("/instructor")
	inst.Use(cl.instructorMiddleware)
	inst.OnConnection(cl.onInstructor)
	tenants := io.OfRegexp(tenantNamespace)
	tenants.Use(cl.tenantMiddleware)
	tenants.OnConnection(cl.onTenant)
}

func (cl *Class) studentMiddleware(s *socketio.Socket, next func(error)) {
	a, ok := decodeAuth(s)
	if !ok {
		next(connectErr("auth must be {name, code}"))
		return
	}
	// The Engine.IO path already carried the right code, so a wrong one here guesses nothing:
	// refused, but it spends no one's budget (a student's typo must not block their classmates).
	if code, _ := NormalizeCode(a.Code); code != cl.code {
		next(connectErr("wrong class code"))
		return
	}
	name, folded, err := ValidateName(a.Name)
	if err != nil {
		next(connectErr(err.Error()))
		return
	}
	cl.mu.Lock()
	switch {
	case cl.ended:
		err = errClassEnded
	case cl.banned[folded]:
		err = errors.New("removed by the instructor: ask them to let you back in")
	case cl.byName[folded] != "":
		err = errors.New("that name is taken in this class; pick another")
	case len(cl.students) >= cl.cr.opts.MaxStudents:
		err = errors.New("the class is full")
	}
	cl.mu.Unlock()
	if err != nil {
		cl.in.log.Info("student refused", "nsp", "/", "client", name, "reason", err.Error())
		next(connectErr(err.Error()))
		return
	}
	s.Set("name", name)
	cl.in.mu.Lock()
	cl.in.names[s.ID()] = name
	cl.in.mu.Unlock()
	next(nil)
}

func (cl *Class) onStudent(s *socketio.Socket) {
	v, _ := s.Get("name")
	name, _ := v.(string)
	_, folded, _ := ValidateName(name)
	cl.mu.Lock()
	if cl.byName[folded] != "" || cl.ended {
		cl.mu.Unlock() // lost a race for the name
		s.Emit("refused", map[string]string{"error": "that name is taken in this class; pick another"})
		s.Disconnect(false)
		return
	}
	st := &classStudent{id: s.ID(), name: name, folded: folded, s: s}
	cl.students[s.ID()] = st
	cl.byName[folded] = s.ID()
	welcome := map[string]any{"name": name, "code": cl.code, "locked": cl.locked, "follow": cl.follow, "rooms": []string{}}
	cl.mu.Unlock()
	cl.in.log.Info("a student joined", "nsp", "/", "client", name)

	s.OnDisconnect(func(reason string) {
		cl.mu.Lock()
		if cl.students[s.ID()] == st {
			delete(cl.students, s.ID())
		}
		if cl.byName[folded] == s.ID() {
			delete(cl.byName, folded)
		}
		ts := st.tenantSock
		cl.mu.Unlock()
		if ts != nil {
			ts.Disconnect(false)
		}
	})
	s.On("say", func(e *socketio.Event) { cl.say(e, st, nil) })
	cl.refuseControls(s, name)
	s.Emit("welcome", welcome)
}

// refuseControls answers every control event a student's socket sends with an error ack: a
// forged control packet gets an error, never silence and never an effect.
func (cl *Class) refuseControls(s *socketio.Socket, name string) {
	nsp := s.Namespace().Name()
	for _, ev := range controlEvents {
		s.On(ev, func(e *socketio.Event) {
			cl.in.log.Warn("control event from a student refused", "nsp", nsp, "client", name, "event", ev)
			e.AckError(ErrNotAuthorized)
		})
	}
}

type sayArgs struct {
	Text string `json:"text"`
}

// say relays a student's message: to their breakout room if they are in one, else to everyone;
// in a tenant namespace, to that namespace.
func (cl *Class) say(e *socketio.Event, st *classStudent, tenant *socketio.Namespace) {
	var a sayArgs
	if e.Decode(0, &a) != nil {
		e.AckError(errors.New("say needs {text}"))
		return
	}
	text := strings.TrimSpace(a.Text)
	if text == "" || utf8.RuneCountInString(text) > classTextMax {
		e.AckError(fmt.Errorf("messages are 1 to %d characters", classTextMax))
		return
	}
	cl.mu.Lock()
	locked, room := cl.locked, st.room
	cl.mu.Unlock()
	if locked {
		e.AckError(ErrClassLocked)
		return
	}
	msg := map[string]any{"from": st.name, "text": text}
	var call string
	switch {
	case tenant != nil:
		msg["to"] = tenant.Name()
		tenant.Emit("msg", msg)
		call = `io.of("` + tenant.Name() + `").emit("msg", …)`
	case room != "":
		msg["to"] = room
		cl.in.hub.IO.To(room).Emit("msg", msg)
		call = `io.to("` + room + `").emit("msg", …)`
	default:
		msg["to"] = "everyone"
		cl.in.hub.IO.Emit("msg", msg)
		call = `io.emit("msg", …)`
	}
	e.Ack(map[string]string{"call": call})
}

// instructorMiddleware admits the holder of the class's key. Wrong keys spend the address's key
// budget, never its code budget; once that is spent they are refused as too many attempts (and no
// longer logged one by one). The right key is always admitted: it is 256 random bits, so the
// limit is not what keeps it secret, and a student behind the instructor's own NAT'd address
// must not be able to lock the instructor out of their class.
func (cl *Class) instructorMiddleware(s *socketio.Socket, next func(error)) {
	if !cl.Authorized(tokenOf(s.Handshake().Auth)) {
		if cl.cr.tokenFail(ClientAddress(s.Handshake().Address)) {
			next(connectErr(errTooManyKeys.Error()))
			return
		}
		cl.in.log.Warn("instructor refused", "nsp", "/instructor") // the token is never logged
		next(&socketio.ConnectError{Message: "not authorized", Data: map[string]string{"content": "only the instructor who started the class can connect here"}})
		return
	}
	cl.in.mu.Lock()
	cl.in.names[s.ID()] = "Instructor"
	cl.in.mu.Unlock()
	next(nil)
}

// controlEvents are the instructor's actions; each carries {token, ...} and is authorized again.
var controlEvents = []string{"info", "emit", "breakout", "openRooms", "move", "tenants", "moveTenant", "lock", "kick", "allow", "reset", "follow", "end"}

type controlArgs struct {
	Token   string   `json:"token"`
	To      string   `json:"to"`      // emit: all | room | except | tenant
	Room    string   `json:"room"`    // emit to room, move
	Student string   `json:"student"` // socket id on "/": emit except, move, kick, moveTenant
	Tenant  string   `json:"tenant"`  // "red" (namespace /org-red)
	Text    string   `json:"text"`
	Rooms   int      `json:"rooms"`  // breakout, openRooms
	Names   []string `json:"names"`  // tenants
	Locked  bool     `json:"locked"` // lock
	Name    string   `json:"name"`   // allow
	URL     string   `json:"url"`    // follow
	Title   string   `json:"title"`  // follow
}

// callInfo is every control's answer: the equivalent Socket.IO server code.
type callInfo struct {
	JS         string `json:"call"`
	Go         string `json:"go"`
	Recipients int    `json:"recipients"`
}

func (cl *Class) onInstructor(s *socketio.Socket) {
	cl.in.log.Info("the instructor connected", "nsp", "/instructor")
	for _, ev := range controlEvents {
		s.On(ev, func(e *socketio.Event) {
			var a controlArgs
			if e.Decode(0, &a) != nil || !cl.Authorized(a.Token) {
				cl.in.log.Warn("control event refused", "nsp", "/instructor", "event", ev)
				e.AckError(ErrNotAuthorized)
				return
			}
			res, err := cl.control(ev, a)
			if err != nil {
				e.AckError(err)
				return
			}
			e.Ack(res)
			if ev == "end" {
				// After the ack is queued (closing flushes it), and not on this socket's own
				// reader goroutine: End closes it.
				go cl.End()
			}
		})
	}
}

func jsString(s string) string { b, _ := json.Marshal(s); return string(b) }

func (cl *Class) lookupStudent(id string) *classStudent {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.students[id]
}

// control runs one authorized action.
func (cl *Class) control(ev string, a controlArgs) (any, error) {
	io := cl.in.hub.IO
	switch ev {
	case "info":
		cl.mu.Lock()
		defer cl.mu.Unlock()
		return map[string]any{"code": cl.code, "tap": cl.TapPath(), "path": cl.SocketPath(), "locked": cl.locked,
			"rooms": cl.rooms, "tenants": cl.tenants, "banned": slices.Sorted(mapKeys(cl.banned)), "follow": cl.follow}, nil
	case "emit":
		return cl.emit(a)
	case "breakout":
		return cl.breakout(a.Rooms)
	case "openRooms":
		return cl.openRooms(a.Rooms)
	case "move":
		st := cl.lookupStudent(a.Student)
		if st == nil {
			return nil, errors.New("no such student")
		}
		if a.Room != "" && !cl.validRoom(a.Room) {
			return nil, fmt.Errorf("no breakout room %q", a.Room)
		}
		cl.mu.Lock()
		old := st.room
		st.room = a.Room
		cl.mu.Unlock()
		var js, goc []string
		if old != "" {
			io.In(st.id).SocketsLeave(old)
			js = append(js, `io.in(socketId).socketsLeave(`+jsString(old)+`)`)
			goc = append(goc, `io.In(socketID).SocketsLeave(`+jsString(old)+`)`)
		}
		if a.Room != "" {
			io.In(st.id).SocketsJoin(a.Room)
			js = append(js, `io.in(socketId).socketsJoin(`+jsString(a.Room)+`)`)
			goc = append(goc, `io.In(socketID).SocketsJoin(`+jsString(a.Room)+`)`)
		}
		cl.tellRooms(st)
		return callInfo{JS: strings.Join(js, "; "), Go: strings.Join(goc, "; "), Recipients: 1}, nil
	case "tenants":
		return cl.openTenants(a.Names)
	case "moveTenant":
		return cl.moveTenant(a)
	case "lock":
		cl.mu.Lock()
		cl.locked = a.Locked
		cl.mu.Unlock()
		n := len(io.FetchSockets())
		io.Emit("locked", a.Locked)
		cl.in.log.Info("sending locked", "locked", a.Locked)
		return callInfo{JS: `io.emit("locked", ` + strconv.FormatBool(a.Locked) + `) // and the "say" handler refuses while locked`,
			Go: `io.Emit("locked", ` + strconv.FormatBool(a.Locked) + `)`, Recipients: n}, nil
	case "kick":
		st := cl.lookupStudent(a.Student)
		if st == nil {
			return nil, errors.New("no such student")
		}
		cl.mu.Lock()
		cl.banned[st.folded] = true
		cl.mu.Unlock()
		st.s.Emit("kicked")
		io.In(st.id).DisconnectSockets(true)
		cl.in.log.Info("student removed", "client", st.name)
		return callInfo{JS: `io.in(socketId).disconnectSockets(true)`, Go: `io.In(socketID).DisconnectSockets(true)`, Recipients: 1}, nil
	case "allow":
		_, folded, err := ValidateName(a.Name)
		if err != nil {
			return nil, err
		}
		cl.mu.Lock()
		delete(cl.banned, folded)
		cl.mu.Unlock()
		return callInfo{JS: "// the middleware accepts this name again", Go: "// the middleware accepts this name again"}, nil
	case "reset":
		return cl.reset()
	case "follow":
		if !followURLRE.MatchString(a.URL) || len(a.URL) > 300 {
			return nil, errors.New("follow needs a site path like /lessons/rooms#section")
		}
		title := a.Title
		if utf8.RuneCountInString(title) > 200 || !utf8.ValidString(title) {
			title = ""
		}
		f := map[string]string{"url": a.URL, "title": title}
		cl.mu.Lock()
		cl.follow = f
		cl.mu.Unlock()
		n := len(io.FetchSockets())
		io.Emit("follow", f)
		return callInfo{JS: `io.emit("follow", {url: ` + jsString(a.URL) + `})`, Go: `io.Emit("follow", map[string]string{"url": ` + jsString(a.URL) + `})`, Recipients: n}, nil
	case "end": // the caller ends the class once the instructor has its answer
		return callInfo{JS: `io.emit("ended"); io.disconnectSockets(true)`, Go: `io.Emit("ended"); io.DisconnectSockets(true)`}, nil
	}
	return nil, fmt.Errorf("unknown control %q", ev)
}

func mapKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func (cl *Class) validRoom(room string) bool {
	m := breakoutRoomPattern.FindStringSubmatch(room)
	if m == nil {
		return false
	}
	n, _ := strconv.Atoi(m[1])
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return n >= 1 && n <= cl.rooms
}

func (cl *Class) emit(a controlArgs) (any, error) {
	text := strings.TrimSpace(a.Text)
	if text == "" || utf8.RuneCountInString(text) > classTextMax {
		return nil, fmt.Errorf("messages are 1 to %d characters", classTextMax)
	}
	io := cl.in.hub.IO
	msg := map[string]any{"from": "Instructor", "text": text}
	var op *socketio.Operator
	var ns *socketio.Namespace
	var res callInfo
	switch a.To {
	case "all", "":
		msg["to"] = "everyone"
		op = io.Of("/").To()
		res = callInfo{JS: `io.emit("msg", …)`, Go: `io.Emit("msg", …)`}
	case "room":
		if !cl.validRoom(a.Room) {
			return nil, fmt.Errorf("no breakout room %q", a.Room)
		}
		msg["to"] = a.Room
		op = io.To(a.Room)
		res = callInfo{JS: `io.to(` + jsString(a.Room) + `).emit("msg", …)`, Go: `io.To(` + jsString(a.Room) + `).Emit("msg", …)`}
	case "except":
		st := cl.lookupStudent(a.Student)
		if st == nil {
			return nil, errors.New("no such student")
		}
		msg["to"] = "everyone except " + st.name
		op = io.Except(st.id)
		res = callInfo{JS: `io.except(socketId).emit("msg", …) // socketId: ` + jsString(st.name), Go: `io.Except(socketID).Emit("msg", …)`}
	case "tenant":
		nsp := "/org-" + a.Tenant
		cl.mu.Lock()
		open := slices.Contains(cl.tenants, nsp)
		cl.mu.Unlock()
		if !open {
			return nil, fmt.Errorf("no tenant %q", a.Tenant)
		}
		msg["to"] = nsp
		ns = io.Of(nsp)
		res = callInfo{JS: `io.of(` + jsString(nsp) + `).emit("msg", …)`, Go: `io.Of(` + jsString(nsp) + `).Emit("msg", …)`}
	default:
		return nil, fmt.Errorf("emit to %q: use all, room, except or tenant", a.To)
	}
	if ns != nil {
		res.Recipients = len(ns.FetchSockets())
		ns.Emit("msg", msg)
	} else {
		res.Recipients = len(op.FetchSockets())
		op.Emit("msg", msg)
	}
	return res, nil
}

// breakout splits the students on "/" into n rooms at random.
func (cl *Class) breakout(n int) (any, error) {
	if n < 2 || n > maxBreakoutRooms {
		return nil, fmt.Errorf("breakout needs 2 to %d rooms", maxBreakoutRooms)
	}
	cl.mu.Lock()
	studs := make([]*classStudent, 0, len(cl.students))
	for _, st := range cl.students {
		studs = append(studs, st)
	}
	oldRooms := cl.rooms
	cl.rooms = n
	// Fisher-Yates with crypto/rand: the order does not matter much, but no math/rand seed to manage.
	for i := len(studs) - 1; i > 0; i-- {
		j, _ := rand.Int(rand.Reader, big.NewInt(int64(i+1)))
		studs[i], studs[j.Int64()] = studs[j.Int64()], studs[i]
	}
	for i, st := range studs {
		st.room = "room-" + strconv.Itoa(i%n+1)
	}
	cl.mu.Unlock()
	io := cl.in.hub.IO
	for i := 1; i <= oldRooms; i++ {
		io.SocketsLeave("room-" + strconv.Itoa(i))
	}
	for _, st := range studs {
		st.s.Join(st.room)
		cl.tellRooms(st)
	}
	cl.in.log.Info("breakout", "rooms", n, "students", len(studs))
	return callInfo{
		JS:         "sockets.forEach((socket, i) => socket.join(`room-${i % " + strconv.Itoa(n) + " + 1}`))",
		Go:         "for i, s := range sockets { s.Join(fmt.Sprintf(\"room-%d\", i%" + strconv.Itoa(n) + "+1)) }",
		Recipients: len(studs),
	}, nil
}

// openRooms makes room-1..room-n the class's breakout rooms without moving anyone in: the
// instructor then moves students one by one (drag and drop). Students in a room beyond n go back
// to the main room.
func (cl *Class) openRooms(n int) (any, error) {
	if n < 1 || n > maxBreakoutRooms {
		return nil, fmt.Errorf("open 1 to %d rooms", maxBreakoutRooms)
	}
	type leave struct {
		st   *classStudent
		room string
	}
	var out []leave
	cl.mu.Lock()
	cl.rooms = n
	for _, st := range cl.students {
		if st.room == "" {
			continue
		}
		if m := breakoutRoomPattern.FindStringSubmatch(st.room); m != nil {
			if k, _ := strconv.Atoi(m[1]); k <= n {
				continue
			}
		}
		out = append(out, leave{st, st.room})
		st.room = ""
	}
	cl.mu.Unlock()
	for _, l := range out {
		cl.in.hub.IO.In(l.st.id).SocketsLeave(l.room)
		cl.tellRooms(l.st)
	}
	cl.in.log.Info("breakout rooms opened", "rooms", n, "back_to_main", len(out))
	return callInfo{
		JS:         `// nothing to create: a Socket.IO room exists while a socket is in it; "room-1"…"room-` + strconv.Itoa(n) + `" fill as you move students: io.in(socketId).socketsJoin("room-1")`,
		Go:         `// rooms need no creating: io.In(socketID).SocketsJoin("room-1")`,
		Recipients: len(out),
	}, nil
}

// tellRooms sends a student the rooms and tenant they are in.
func (cl *Class) tellRooms(st *classStudent) {
	cl.mu.Lock()
	rooms := []string{}
	if st.room != "" {
		rooms = append(rooms, st.room)
	}
	tenant := st.tenant
	cl.mu.Unlock()
	st.s.Emit("rooms", map[string]any{"rooms": rooms, "tenant": tenant})
}

func (cl *Class) openTenants(names []string) (any, error) {
	if len(names) == 0 || len(names) > maxTenants {
		return nil, fmt.Errorf("open 1 to %d tenants", maxTenants)
	}
	var nsps []string
	for _, n := range names {
		if !tenantNameRE.MatchString(n) {
			return nil, fmt.Errorf("tenant %q: use a-z, 0-9 and -", n)
		}
		nsps = append(nsps, "/org-"+n)
	}
	cl.mu.Lock()
	for _, n := range nsps {
		if !slices.Contains(cl.tenants, n) {
			cl.tenants = append(cl.tenants, n)
		}
	}
	if len(cl.tenants) > maxTenants {
		cl.tenants = cl.tenants[:maxTenants]
	}
	cl.mu.Unlock()
	cl.in.log.Info("tenants opened", "namespaces", strings.Join(nsps, " "))
	return callInfo{
		JS: `io.of(/^\/org-[a-z0-9-]+$/).use(ticketCheck) // ` + strings.Join(nsps, ", "),
		Go: `io.OfRegexp(regexp.MustCompile(` + "`^/org-[a-z0-9-]+$`" + `)).Use(ticketCheck)`,
	}, nil
}

func newTicket() string {
	var b [16]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func (cl *Class) moveTenant(a controlArgs) (any, error) {
	st := cl.lookupStudent(a.Student)
	if st == nil {
		return nil, errors.New("no such student")
	}
	nsp := ""
	if a.Tenant != "" {
		nsp = "/org-" + a.Tenant
	}
	cl.mu.Lock()
	if nsp != "" && !slices.Contains(cl.tenants, nsp) {
		cl.mu.Unlock()
		return nil, fmt.Errorf("no tenant %q", a.Tenant)
	}
	old := st.tenantSock
	st.tenant, st.tenantSock, st.ticket = nsp, nil, ""
	if nsp != "" {
		st.ticket = newTicket()
	}
	ticket := st.ticket
	cl.mu.Unlock()
	if old != nil {
		old.Disconnect(false)
	}
	st.s.Emit("tenant", map[string]string{"nsp": nsp, "ticket": ticket})
	cl.tellRooms(st)
	if nsp == "" {
		return callInfo{JS: `tenantSocket.disconnect()`, Go: `tenantSocket.Disconnect(false)`, Recipients: 1}, nil
	}
	return callInfo{
		JS: `socket.emit("tenant", {nsp: ` + jsString(nsp) + `}) // the page then runs io(` + jsString(nsp) + `, {auth: {ticket}})`,
		Go: `s.Emit("tenant", map[string]string{"nsp": ` + jsString(nsp) + `, "ticket": ticket})`, Recipients: 1,
	}, nil
}

func (cl *Class) tenantMiddleware(s *socketio.Socket, next func(error)) {
	a, _ := decodeAuth(s)
	_, folded, err := ValidateName(a.Name)
	nsp := s.Namespace().Name()
	cl.mu.Lock()
	var st *classStudent
	if err == nil {
		st = cl.students[cl.byName[folded]]
	}
	ok := st != nil && st.tenant == nsp && st.ticket != "" &&
		subtle.ConstantTimeCompare([]byte(a.Ticket), []byte(st.ticket)) == 1 && st.tenantSock == nil
	if ok {
		st.ticket = "" // one use
	}
	cl.mu.Unlock()
	if !ok {
		next(connectErr("not authorized"))
		return
	}
	s.Set("student", st)
	cl.in.mu.Lock()
	cl.in.names[s.ID()] = st.name
	cl.in.mu.Unlock()
	next(nil)
}

func (cl *Class) onTenant(s *socketio.Socket) {
	v, _ := s.Get("student")
	st := v.(*classStudent)
	cl.mu.Lock()
	st.tenantSock = s
	cl.mu.Unlock()
	s.OnDisconnect(func(string) {
		cl.mu.Lock()
		if st.tenantSock == s {
			st.tenantSock = nil
		}
		cl.mu.Unlock()
	})
	nsp := s.Namespace()
	s.On("say", func(e *socketio.Event) { cl.say(e, st, nsp) })
	cl.refuseControls(s, st.name)
	s.Emit("welcome", map[string]any{"name": st.name, "nsp": nsp.Name()})
}

// reset: everyone back in the main room, tenants closed, sending unlocked. Bans stay.
func (cl *Class) reset() (any, error) {
	cl.mu.Lock()
	rooms := cl.rooms
	cl.rooms, cl.locked, cl.follow = 0, false, nil
	tenants := cl.tenants
	cl.tenants = nil
	var studs []*classStudent
	var tsocks []*socketio.Socket
	for _, st := range cl.students {
		st.room, st.tenant, st.ticket = "", "", ""
		if st.tenantSock != nil {
			tsocks = append(tsocks, st.tenantSock)
			st.tenantSock = nil
		}
		studs = append(studs, st)
	}
	cl.mu.Unlock()
	io := cl.in.hub.IO
	for i := 1; i <= rooms; i++ {
		io.SocketsLeave("room-" + strconv.Itoa(i))
	}
	for _, s := range tsocks {
		s.Disconnect(false)
	}
	for _, st := range studs {
		st.s.Emit("tenant", map[string]string{"nsp": "", "ticket": ""})
		cl.tellRooms(st)
	}
	io.Emit("locked", false)
	io.Emit("reset")
	cl.in.log.Info("class reset", "rooms", rooms, "tenants", len(tenants))
	return callInfo{JS: `io.socketsLeave(["room-1", …]); io.of(/^\/org-/).disconnectSockets(); io.emit("reset")`,
		Go: `io.SocketsLeave("room-1", …); io.Emit("reset")`, Recipients: len(studs)}, nil
}
