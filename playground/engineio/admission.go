package engineio

import (
	"errors"
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Admission decides whether a new session may open, across every Server that shares it (one
// process serves many hub instances): at most Max sessions open at once and, with a Rate, new
// ones at Rate per second after a burst of Burst (a token bucket). A Share (SetShare) bounds what
// one client address holds of it: open sessions and a token bucket of its own, so one address
// cannot take every place nor every new-session token; it is set above what a class behind one
// NAT'd address uses (reliability.md T09: no per-address cap below class size). Reserve carves
// out places a child Admission keeps for its own clients (a class's sockets), which nobody else
// can take. A refused handshake gets HTTP 503 before any upgrade, which socket.io-client retries
// with backoff; sessions already open are never affected. Admission is safe for concurrent use.
type Admission struct {
	max    int           // 0: no cap
	rate   *rate.Limiter // new sessions; nil: no rate limit
	parent *Admission    // the pool a Reserve child's places came from

	mu       sync.Mutex
	open     int
	reserved int // places held by Reserve children
	freed    bool
	share    Share
	clients  map[string]*clientUse // address → its use
	pruneAt  int                   // the table size at which pruneLocked next sweeps
}

// Share is what one client address may hold of an Admission; zero fields do not limit.
type Share struct {
	Open  int     // open sessions
	Rate  float64 // new sessions per second, after a burst of Burst
	Burst int
}

// clientUse is one address's open sessions and its new-session bucket.
type clientUse struct {
	open int
	lim  *rate.Limiter // nil without a Share rate
}

// NewAdmission returns an Admission allowing maxOpen open sessions (0: any number) and new ones at
// r per second with the given burst (r 0: no rate limit; burst below 1 counts as 1).
func NewAdmission(maxOpen int, r float64, burst int) *Admission {
	a := &Admission{max: maxOpen, clients: map[string]*clientUse{}}
	if r > 0 {
		a.rate = rate.NewLimiter(rate.Limit(r), max(burst, 1))
	}
	return a
}

// SetShare sets what one client address may hold; it returns a, and is meant to be called before
// the Admission is used.
func (a *Admission) SetShare(s Share) *Admission {
	a.mu.Lock()
	a.share = s
	a.mu.Unlock()
	return a
}

// ErrNoRoom is Reserve's answer when the pool cannot spare the places.
var ErrNoRoom = errors.New("no room left to reserve sessions")

// Reserve takes n of a's places for a new Admission of their own: it admits up to n open sessions
// (new ones at r per second after burst; r 0: no rate limit) with share per address, and nobody
// else can take them, however a's other clients behave. Free gives them back. ErrNoRoom when a
// has fewer than n places neither open nor reserved.
func (a *Admission) Reserve(n int, r float64, burst int, share Share) (*Admission, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.max > 0 && a.open+a.reserved+n > a.max {
		return nil, ErrNoRoom
	}
	a.reserved += n
	child := NewAdmission(n, r, burst)
	child.parent, child.share = a, share
	return child, nil
}

// Free gives a Reserve child's places back to its pool (once); its open sessions still close
// normally. Free does nothing on an Admission that NewAdmission made.
func (a *Admission) Free() {
	a.mu.Lock()
	if a.parent == nil || a.freed {
		a.mu.Unlock()
		return
	}
	a.freed = true
	a.mu.Unlock()
	a.parent.mu.Lock()
	a.parent.reserved -= a.max
	a.parent.mu.Unlock()
}

var (
	errAtCapacity   = errors.New("too many open sessions")
	errRateLimit    = errors.New("too many new sessions per second")
	errClientShare  = errors.New("too many open sessions from this address")
	errClientRate   = errors.New("too many new sessions per second from this address")
	errReserveFreed = errors.New("reserved sessions given back")
)

// AdmissionKey is the client a request is counted as in an Admission's share: its remote IP,
// without the port.
func AdmissionKey(r *http.Request) string { return ClientAddress(r.RemoteAddr) }

// ClientAddress is a remote address's IP without the port: the key of every per-client limit.
func ClientAddress(remoteAddr string) string {
	if h, _, err := net.SplitHostPort(remoteAddr); err == nil {
		return h
	}
	return remoteAddr
}

// acquire admits one session of client key or says why not. The client's own limits are checked
// before the shared bucket, so an address over its share spends no token other clients need.
func (a *Admission) acquire(key string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.freed {
		return errReserveFreed
	}
	if a.max > 0 && a.open+a.reserved >= a.max {
		return errAtCapacity
	}
	// Token buckets (golang.org/x/time/rate) at an explicit time, so synctest's clock drives them.
	now := time.Now()
	c := a.clients[key]
	if c != nil && a.share.Open > 0 && c.open >= a.share.Open {
		return errClientShare
	}
	if c != nil && c.lim != nil && c.lim.TokensAt(now) < 1 {
		return errClientRate
	}
	if a.rate != nil && !a.rate.AllowN(now, 1) {
		return errRateLimit
	}
	if c == nil {
		a.pruneLocked(now)
		c = &clientUse{}
		if a.share.Rate > 0 {
			c.lim = rate.NewLimiter(rate.Limit(a.share.Rate), max(a.share.Burst, 1))
		}
		a.clients[key] = c
	}
	if c.lim != nil {
		c.lim.AllowN(now, 1)
	}
	c.open++
	a.open++
	return nil
}

// pruneLocked forgets, once the table has grown, the addresses with nothing open whose bucket is
// full again: the table holds the addresses with an open session and those admitted within the
// last Burst/Rate seconds.
func (a *Admission) pruneLocked(now time.Time) {
	if len(a.clients) < max(a.pruneAt, 1024) {
		return
	}
	for k, c := range a.clients {
		if c.open == 0 && (c.lim == nil || c.lim.TokensAt(now) >= float64(c.lim.Burst())) {
			delete(a.clients, k)
		}
	}
	a.pruneAt = 2 * len(a.clients) // amortized: a sweep per doubling
}

// release gives back the place of a session acquire admitted for key.
func (a *Admission) release(key string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.open--
	if c := a.clients[key]; c != nil {
		c.open--
		if c.open == 0 && c.lim == nil {
			delete(a.clients, key)
		}
	}
}

// Open reports how many admitted sessions are open.
func (a *Admission) Open() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.open
}

// OpenFrom reports how many admitted sessions of client key (AdmissionKey) are open.
func (a *Admission) OpenFrom(key string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	if c := a.clients[key]; c != nil {
		return c.open
	}
	return 0
}
