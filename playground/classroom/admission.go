package classroom

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"math"
	"net"
	"net/http"
	"regexp"
	"time"

	"golang.org/x/time/rate"

	"socketlab/playground/socketio"
)

// Admission: who gets into a class. The HTTP side (Admit, SocketHandler) checks codes against
// per-address budgets and the member cookie; the hub side (the namespaces' middlewares) checks
// names, the instructor's key and tenant tickets.

// failCap is the capacity of an address's failure bucket. Failures are the tokens taken from it
// (refilled at one per FailEvery), so the limit they are compared with is read at check time: a
// class growing to 300 raises its code budget at once.
const failCap = 1 << 20

// budgets are per-address failure buckets (golang.org/x/time/rate limiters, as every token bucket
// in the hub); the caller holds Classroom.mu.
type budgets struct {
	every time.Duration
	m     map[string]*rate.Limiter
}

func newBudgets(every time.Duration) budgets {
	return budgets{every: every, m: map[string]*rate.Limiter{}}
}

// spent is how many failures addr has not yet worked off at now.
func (b budgets) spent(addr string, now time.Time) float64 {
	if l := b.m[addr]; l != nil {
		return failCap - l.TokensAt(now)
	}
	return 0
}

// spend counts one failure of addr at now and returns its failures.
func (b budgets) spend(addr string, now time.Time) float64 {
	l := b.m[addr]
	if l == nil {
		l = rate.NewLimiter(rate.Every(b.every), failCap)
		b.m[addr] = l
	}
	l.ReserveN(now, 1)
	return failCap - l.TokensAt(now)
}

// prune forgets the addresses that have worked off every failure.
func (b budgets) prune() {
	now := time.Now()
	for a, l := range b.m {
		if l.TokensAt(now) >= failCap {
			delete(b.m, a)
		}
	}
}

// burstLocked is the code budget: never below twice the largest live class.
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

// Blocked reports whether addr has used up its failed-code budget.
func (c *Classroom) Blocked(addr string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return math.Ceil(c.fails.spent(addr, time.Now())) >= float64(c.burstLocked())
}

// Fail spends one failed attempt of addr's code budget.
func (c *Classroom) Fail(addr string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fails.spend(addr, time.Now())
}

// tokenFail spends one wrong instructor key of addr's key budget (not its code budget) and
// reports whether that budget is now spent.
func (c *Classroom) tokenFail(addr string) (blocked bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return math.Ceil(c.tokenFails.spend(addr, time.Now())) > float64(c.opts.FailBurst)
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
			Name: MemberCookie(cl.code), Value: cl.member, Path: "/", MaxAge: int(memberMaxAge / time.Second),
			HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode,
		})
	}
	return cl, nil
}

// SocketHandler serves /class/{code}/socket.io/, the class hub's only entrance (its instance is
// private: /play/{id}/socket.io/ does not serve it). A request of a session the class's hub has
// open (its "sid") always reaches the hub; anything else is a new handshake, looked up with Admit:
// an unknown code spends the address's failure budget and gets the Engine.IO error shape, and an
// address over its budget gets 429 for every code, unless the device shows the class's member
// cookie. A made-up sid is no way around the budget.
func (c *Classroom) SocketHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sid := r.URL.Query().Get("sid"); sid != "" {
			if cl := c.Lookup(r.PathValue("code")); cl != nil && cl.in.HasSession(sid) { // the session's own requests bypass the code budget
				cl.in.ServeHTTP(w, r)
				return
			}
		}
		cl, err := c.Admit(w, r, r.PathValue("code"))
		if err != nil {
			status := http.StatusNotFound
			if errors.Is(err, ErrTooManyAttempts) {
				status = http.StatusTooManyRequests
			}
			// The Engine.IO error shape, so a client sees "Session ID unknown"-style JSON.
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(status)
			json.NewEncoder(w).Encode(map[string]any{"code": 1, "message": err.Error()})
			return
		}
		cl.in.ServeHTTP(w, r)
	})
}

// ---- the hub's middlewares

// tenantNamespace matches the tenant namespaces "/org-NAME" the instructor can open.
var tenantNamespace = regexp.MustCompile(`^/org-[a-z0-9-]+$`)

// handshakeAuth is a CONNECT payload: a student's {name, code, claim}, a tenant's {name, ticket},
// the instructor's {token}. claim is a random string the student's page makes once and sends on
// every (re)connection: a dropped student's name is kept for that claim a while (names.go).
type handshakeAuth struct {
	Name   string `json:"name"`
	Code   string `json:"code"`
	Claim  string `json:"claim"`
	Ticket string `json:"ticket"`
	Token  string `json:"token"`
}

func decodeAuth(s *socketio.Socket) (handshakeAuth, bool) {
	var a handshakeAuth
	if json.Unmarshal(s.Handshake().Auth, &a) != nil {
		return a, false
	}
	return a, true
}

func connectErr(msg string) error { return &socketio.ConnectError{Message: msg} }

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
	case cl.holds.takenFrom(folded, validClaim(a.Claim)):
		err = errNameHeld
	case len(cl.students) >= cl.cr.opts.MaxStudents:
		err = errors.New("the class is full")
	}
	cl.mu.Unlock()
	if err != nil {
		cl.in.Log().Info("student refused", "nsp", "/", "client", name, "reason", err.Error())
		next(connectErr(err.Error()))
		return
	}
	s.Set("name", name)
	s.Set("claim", validClaim(a.Claim))
	cl.in.SetName(s.ID(), name)
	next(nil)
}

// instructorMiddleware admits the holder of the class's key. Wrong keys spend the address's key
// budget, never its code budget; once that is spent they are refused as too many attempts (and no
// longer logged one by one). The right key is always admitted: it is 256 random bits, so the
// limit is not what keeps it secret, and a student behind the instructor's own NAT'd address
// must not be able to lock the instructor out of their class.
func (cl *Class) instructorMiddleware(s *socketio.Socket, next func(error)) {
	if a, _ := decodeAuth(s); !cl.Authorized(a.Token) {
		if cl.cr.tokenFail(ClientAddress(s.Handshake().Address)) {
			next(connectErr(errTooManyKeys.Error()))
			return
		}
		cl.in.Log().Warn("instructor refused", "nsp", "/instructor") // the token is never logged
		next(&socketio.ConnectError{Message: "not authorized", Data: map[string]string{"content": "only the instructor who started the class can connect here"}})
		return
	}
	cl.in.SetName(s.ID(), "Instructor")
	next(nil)
}

// tenantMiddleware admits a student to the tenant namespace the instructor moved them to, once,
// with the ticket the server sent that student.
func (cl *Class) tenantMiddleware(s *socketio.Socket, next func(error)) {
	a, _ := decodeAuth(s)
	_, folded, err := ValidateName(a.Name)
	nsp := s.Namespace().Name()
	cl.mu.Lock()
	var st *student
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
	cl.in.SetName(s.ID(), st.name)
	next(nil)
}
