package classroom

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"regexp"
	"time"

	"golang.org/x/time/rate"

	"socketlab/playground"
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

// joinsPruneAt is how many addresses a class's join budget holds before it forgets those that
// have worked off their joins (budgets.prune).
const joinsPruneAt = 64

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
func (c *Classroom) burstLocked() int { return max(c.opts.FailBurst, 2*c.largestLocked()) }

// largestLocked is the number of students of the largest live class.
func (c *Classroom) largestLocked() int {
	n := 0
	for _, cl := range c.byCode {
		n = max(n, cl.Students())
	}
	return n
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

// Admit is Join for a class page: pages also give a device without an identity a new one
// (Identify), so its code is checked against its own budget.
func (c *Classroom) Admit(w http.ResponseWriter, r *http.Request, code string) (*Class, error) {
	return c.admit(w, r, code, true)
}

// admit decides a request for class code (a page, when page, or a new Engine.IO handshake):
//
//   - a device admitted to this class before shows its member cookie and is let in, whatever any
//     budget says (the cookie is 128 random bits per class: no way to guess a code);
//   - another site's image tag or script (crossSiteSubresource) is refused, and counts nowhere;
//   - a device with an identity (identity.go) is checked against the live classes first: a
//     right code is never counted, and only its own wrong codes (GuessesPerDevice) ever refuse
//     it, so nobody else's wrong codes lock it out;
//   - a device without one spends its address's budget (Join), shared behind a NAT.
//
// An admitted request gets the member cookie, when w is not nil.
func (c *Classroom) admit(w http.ResponseWriter, r *http.Request, code string, page bool) (*Class, error) {
	var cl *Class
	norm, _ := NormalizeCode(code)
	if ck, err := r.Cookie(MemberCookie(norm)); err == nil {
		if found := c.Lookup(code); found != nil && subtle.ConstantTimeCompare([]byte(ck.Value), []byte(found.member)) == 1 {
			cl = found
		}
	}
	if cl == nil {
		if c.crossSiteSubresource(r) {
			return nil, ErrCrossSite
		}
		now := time.Now()
		id, expires := c.identityOf(r.Header, now)
		if id == "" && page && w != nil {
			id = c.mintFor(w, r, now)
			expires = now.Add(identityMaxAge)
		}
		var err error
		if id != "" {
			cl, err = c.joinAs(id, expires, code)
			if errors.Is(err, ErrTooManyGuesses) && w != nil {
				c.mintFor(w, r, now) // the next try is checked again, paid by the address's mint budget
			}
		} else {
			cl, err = c.Join(playground.ClientAddress(r.RemoteAddr), code)
		}
		if err != nil {
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

// joinAs looks code up for the device with identity id (valid until expires): the live classes
// first, so a right code is never counted; a wrong one spends one of the device's guesses, and a
// device that has spent them all is refused before any lookup.
func (c *Classroom) joinAs(id string, expires time.Time, code string) (*Class, error) {
	c.mu.Lock()
	spent := c.guesses[id].n >= c.opts.GuessesPerDevice
	c.mu.Unlock()
	if spent {
		return nil, ErrTooManyGuesses
	}
	if cl := c.Lookup(code); cl != nil {
		return cl, nil
	}
	c.mu.Lock()
	c.guesses[id] = deviceGuesses{n: c.guesses[id].n + 1, expires: expires}
	c.mu.Unlock()
	return nil, ErrUnknownClass
}

// SocketHandler serves /class/{code}/socket.io/, the class hub's only entrance (its instance is
// private: /play/{id}/socket.io/ does not serve it). A request of a session the class's hub has
// open (its "sid") always reaches the hub; anything else is a new handshake, decided like a page
// (admit) but minting no identity: an unknown code spends the device's guesses (or, without an
// identity, its address's failure budget) and gets the Engine.IO error shape; a device or address
// over its budget gets 429 for every code, unless the device shows the class's member cookie. A
// made-up sid is no way around the budget.
func (c *Classroom) SocketHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sid := r.URL.Query().Get("sid"); sid != "" {
			if cl := c.Lookup(r.PathValue("code")); cl != nil && cl.in.HasSession(sid) { // the session's own requests bypass the code budget
				cl.in.ServeHTTP(w, r)
				return
			}
		}
		cl, err := c.admit(w, r, r.PathValue("code"), false)
		if err != nil {
			status := AdmitStatus(err)
			// The Engine.IO error shape, so a client sees "Session ID unknown"-style JSON.
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(status)
			body := map[string]any{"code": 1, "message": err.Error()}
			if errors.Is(err, ErrCrossSite) { // what the hub answers an origin it does not allow
				body = map[string]any{"code": 4, "message": "Forbidden"}
			}
			json.NewEncoder(w).Encode(body)
			return
		}
		cl.in.ServeHTTP(w, r)
	})
}

// AdmitStatus is the HTTP status of an error of Admit.
func AdmitStatus(err error) int {
	switch {
	case errors.Is(err, ErrTooManyAttempts), errors.Is(err, ErrTooManyGuesses):
		return http.StatusTooManyRequests
	case errors.Is(err, ErrCrossSite):
		return http.StatusForbidden
	}
	return http.StatusNotFound
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
	now := time.Now()
	device, _ := cl.cr.identityOf(s.Handshake().Headers, now)
	addr := playground.ClientAddress(s.Handshake().Address)
	opts := cl.cr.opts
	cl.mu.Lock()
	// One seat per device: a device that has one takes it over (a reconnection, another tab), so
	// it never holds two, and its own old name is not "taken" from it.
	seat := cl.byDevice[device]
	if device == "" {
		seat = ""
	}
	switch {
	case cl.ended:
		err = errClassEnded
	case cl.banned[folded]:
		err = errors.New("removed by the instructor: ask them to let you back in")
	case cl.byName[folded] != "" && cl.byName[folded] != seat:
		err = errNameTaken
	case cl.holds.takenFrom(folded, validClaim(a.Claim)):
		err = errNameHeld
	case seat == "" && cl.seats[addr] >= opts.SeatsPerAddress:
		err = errSeatsPerAddress
	case seat == "" && len(cl.students) >= opts.MaxStudents:
		err = errClassFull
	case math.Ceil(cl.joins.spent(addr, now)) >= float64(opts.SeatsPerAddress):
		err = errJoinRate
	}
	if err == nil {
		cl.joins.spend(addr, now)
		if len(cl.joins.m) > joinsPruneAt { // forget addresses that joined long ago: the map stays small
			cl.joins.prune()
		}
	}
	cl.mu.Unlock()
	if err != nil {
		cl.in.Log().Info("student refused", "nsp", "/", "client", name, "reason", err.Error())
		next(connectErr(err.Error()))
		return
	}
	s.Set("name", name)
	s.Set("seat", seatOf{device: device, addr: addr})
	s.Set("claim", validClaim(a.Claim))
	cl.in.SetName(s.ID(), name)
	next(nil)
}

// seatOf is who a student's seat is counted for: their device's identity and client address.
type seatOf struct{ device, addr string }

var (
	errClassFull       = errors.New("the class is full")
	errSeatsPerAddress = errors.New("too many seats in this class are taken from your network; ask your instructor")
	errJoinRate        = errors.New("too many joins from your network just now; try again in a few seconds")
)

// instructorMiddleware admits the holder of the class's key. Wrong keys spend the address's key
// budget, never its code budget; once that is spent they are refused as too many attempts (and no
// longer logged one by one). The right key is always admitted: it is 256 random bits, so the
// limit is not what keeps it secret, and a student behind the instructor's own NAT'd address
// must not be able to lock the instructor out of their class.
func (cl *Class) instructorMiddleware(s *socketio.Socket, next func(error)) {
	if a, _ := decodeAuth(s); !cl.Authorized(a.Token) {
		if cl.cr.tokenFail(playground.ClientAddress(s.Handshake().Address)) {
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
