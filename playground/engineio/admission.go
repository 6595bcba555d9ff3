package engineio

import (
	"errors"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Admission decides whether a new session may open, across every Server that shares it (one
// process serves many hub instances): at most Max sessions open at once and, with a Rate, new
// ones at Rate per second after a burst of Burst (a token bucket). There is no per-address limit:
// a class of students behind one NAT address joins within the burst. A refused handshake gets
// HTTP 503 before any upgrade, which socket.io-client retries with backoff; sessions already
// open are never affected. Admission is safe for concurrent use.
type Admission struct {
	max  int           // 0: no cap
	rate *rate.Limiter // new sessions; nil: no rate limit

	mu   sync.Mutex
	open int
}

// NewAdmission returns an Admission allowing maxOpen open sessions (0: any number) and new ones at
// r per second with the given burst (r 0: no rate limit; burst below 1 counts as 1).
func NewAdmission(maxOpen int, r float64, burst int) *Admission {
	a := &Admission{max: maxOpen}
	if r > 0 {
		a.rate = rate.NewLimiter(rate.Limit(r), max(burst, 1))
	}
	return a
}

var (
	errAtCapacity = errors.New("too many open sessions")
	errRateLimit  = errors.New("too many new sessions per second")
)

// acquire admits one session or says why not.
func (a *Admission) acquire() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.max > 0 && a.open >= a.max {
		return errAtCapacity
	}
	// A token bucket (golang.org/x/time/rate), at an explicit time so synctest's clock drives it.
	if a.rate != nil && !a.rate.AllowN(time.Now(), 1) {
		return errRateLimit
	}
	a.open++
	return nil
}

// release gives back the place of a session acquire admitted.
func (a *Admission) release() {
	a.mu.Lock()
	a.open--
	a.mu.Unlock()
}

// Open reports how many admitted sessions are open.
func (a *Admission) Open() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.open
}
