package engineio

import (
	"errors"
	"sync"
	"time"
)

// Admission decides whether a new session may open, across every Server that shares it (one
// process serves many hub instances): at most Max sessions open at once and, with a Rate, new
// ones at Rate per second after a burst of Burst (a token bucket). There is no per-address limit:
// a class of students behind one NAT address joins within the burst. A refused handshake gets
// HTTP 503 before any upgrade, which socket.io-client retries with backoff; sessions already
// open are never affected. Admission is safe for concurrent use.
type Admission struct {
	max   int     // 0: no cap
	rate  float64 // new sessions per second; 0: no rate limit
	burst float64

	mu     sync.Mutex
	open   int
	tokens float64
	last   time.Time
}

// NewAdmission returns an Admission allowing maxOpen open sessions (0: any number) and new ones at
// rate per second with the given burst (rate 0: no rate limit; burst below 1 counts as 1).
func NewAdmission(maxOpen int, rate float64, burst int) *Admission {
	b := float64(max(burst, 1))
	return &Admission{max: maxOpen, rate: rate, burst: b, tokens: b, last: time.Now()}
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
	if a.rate > 0 {
		now := time.Now()
		a.tokens = min(a.burst, a.tokens+now.Sub(a.last).Seconds()*a.rate)
		a.last = now
		if a.tokens < 1 {
			return errRateLimit
		}
		a.tokens--
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
