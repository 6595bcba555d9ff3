package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Main parses the flags after "socketlab loadgen", runs, and prints the report to stdout.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := ParseFlags(args, stderr)
	if err != nil {
		return err
	}
	cfg.Progress = stderr
	_, err = Run(ctx, cfg, stdout)
	return err
}

// Run measures every scenario against every target, writes the table (or JSON) to stdout and
// returns the report. A failed scenario is a row with Error set; the returned error joins them.
func Run(ctx context.Context, cfg Config, stdout io.Writer) (Report, error) {
	if err := cfg.validate(); err != nil {
		return Report{}, err
	}
	if cfg.stall <= 0 {
		cfg.stall = DefaultConfig().stall
	}
	if cfg.CPU > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(cfg.CPU))
	}
	if err := raiseNoFile(uint64(cfg.maxConns()) + 256); err != nil {
		return Report{}, err
	}
	r := &runner{
		cfg:   cfg,
		dial:  newDialer(cfg.Sources),
		http:  newHTTPClient(),
		base:  time.Now(),
		progw: cfg.Progress,
	}
	defer r.http.CloseIdleConnections()
	rep := Report{GoMaxProcs: runtime.GOMAXPROCS(0)}
	var errs []error
	// Scenario by scenario, every target in turn: the targets of one scenario are measured
	// minutes apart at most, so a shared machine's drift weighs less on their ratio. Rounds
	// repeat the whole list.
	for round := 1; round <= max(cfg.Rounds, 1); round++ {
		for _, sc := range cfg.Scenarios {
			if sc == Idle && round > 1 {
				continue // RSS growth means something on a fresh server only
			}
			for _, t := range cfg.Targets {
				if ctx.Err() != nil {
					break
				}
				for _, res := range r.scenario(ctx, t, sc) {
					res.Round = round
					if res.Error != "" {
						errs = append(errs, fmt.Errorf("%s %s %s: %s", t.Name, res.Scenario, res.Mode, res.Error))
					}
					rep.Results = append(rep.Results, res)
				}
			}
		}
	}
	if err := rep.Write(stdout, cfg.JSON); err != nil {
		errs = append(errs, err)
	}
	if err := ctx.Err(); err != nil {
		errs = append(errs, err)
	}
	return rep, errors.Join(errs...)
}

func (cfg *Config) maxConns() int {
	n := 0
	for _, sc := range cfg.Scenarios {
		switch sc {
		case Fanout:
			for _, r := range cfg.Receivers {
				n = max(n, r+1)
			}
		case Echo:
			n = max(n, cfg.Clients)
		case Connect:
			n = max(n, cfg.Conns)
		case Idle:
			n = max(n, cfg.IdleConns)
		}
	}
	return n
}

type runner struct {
	cfg   Config
	dial  *dialer
	http  *http.Client
	base  time.Time // timestamps in payloads are nanoseconds since base (monotonic)
	progw io.Writer
}

func (r *runner) now() int64 { return int64(time.Since(r.base)) }

func (r *runner) progress(format string, args ...any) {
	if r.progw != nil {
		fmt.Fprintf(r.progw, "loadgen: "+format+"\n", args...)
	}
}

func (r *runner) scenario(ctx context.Context, t Target, sc string) []Result {
	var us, sus []string
	for _, raw := range t.urls() {
		u, err := wsURL(raw)
		if err != nil {
			return []Result{{Target: t.Name, Scenario: sc, Error: err.Error()}}
		}
		su, _ := statsURL(raw)
		us, sus = append(us, u), append(sus, su)
	}
	u, su := us[0], sus[0]
	var out []Result
	switch sc {
	case Fanout:
		for _, n := range r.cfg.Receivers {
			out = append(out, r.fanout(ctx, t, us, n)...)
			for _, su := range sus {
				r.settle(ctx, su)
			}
		}
	case Echo:
		out = append(out, r.echo(ctx, t, u))
		r.settle(ctx, su)
	case Connect:
		out = append(out, r.storm(ctx, t, u))
		r.settle(ctx, su)
	case Idle:
		out = append(out, r.idle(ctx, t, u, su))
		r.settle(ctx, su)
	}
	return out
}

// settle waits (at most 15 s) until the server reports no connections, so one scenario's
// teardown doesn't weigh on the next; without /stats it waits a second.
func (r *runner) settle(ctx context.Context, su string) {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		st, err := getStats(ctx, r.http, su, false)
		if err != nil || st.Connections == nil {
			sleepCtx(ctx, time.Second)
			return
		}
		if *st.Connections == 0 {
			return
		}
		sleepCtx(ctx, 50*time.Millisecond)
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// pool is a set of open clients and the goroutines reading them.
type pool struct {
	mu      sync.Mutex
	clients []*client
	wg      sync.WaitGroup
	closing atomic.Bool
	readErr atomic.Int64
	first   atomic.Pointer[error]
}

func (p *pool) fail(err error) {
	if p.closing.Load() {
		return
	}
	p.readErr.Add(1)
	p.first.CompareAndSwap(nil, &err)
}

// firstErr is the first reader error, or "".
func (p *pool) firstErr() string {
	if e := p.first.Load(); e != nil {
		return (*e).Error()
	}
	return ""
}

// closeConns closes every connection, which ends the readers.
func (p *pool) closeConns() {
	p.closing.Store(true)
	p.mu.Lock()
	for _, c := range p.clients {
		c.close()
	}
	p.mu.Unlock()
}

// closeAll closes every connection and waits for the readers.
func (p *pool) closeAll() {
	p.closeConns()
	p.wg.Wait()
}

// open connects n clients with bounded concurrency, to the servers us in turn, joining room (if
// join) before returning each one. Connections that fail are counted; it gives up after too
// many failures. It records each connection's latency in h if not nil.
func (r *runner) open(ctx context.Context, p *pool, us []string, n int, join bool, h *Histogram) (ok int, failed int64, firstErr error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var next, fails atomic.Int64
	var errOnce sync.Once
	limit := int64(max(10, n/100))
	var wg sync.WaitGroup
	for range min(r.cfg.Concurrency, n) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				t0 := time.Now()
				c, err := r.dial.connect(ctx, us[(i-1)%int64(len(us))], r.cfg.Namespace)
				if err == nil && join {
					if err = c.emitJoin(1, r.cfg.Room); err == nil {
						err = c.waitAckTimeout(1, handshakeTimeout)
					}
					if err != nil {
						c.close()
						err = fmt.Errorf("join: %w", err)
					}
				}
				if err != nil {
					errOnce.Do(func() { firstErr = err })
					if fails.Add(1) > limit {
						cancel()
					}
					continue
				}
				if h != nil {
					h.Record(time.Since(t0))
				}
				p.mu.Lock()
				p.clients = append(p.clients, c)
				p.mu.Unlock()
			}
		})
	}
	wg.Wait()
	p.mu.Lock()
	ok = len(p.clients)
	p.mu.Unlock()
	return ok, fails.Load(), firstErr
}

// waitAckTimeout is waitAck with a read deadline.
func (c *client) waitAckTimeout(id int64, d time.Duration) error {
	c.ws.SetReadDeadline(time.Now().Add(d))
	if err := c.waitAck(id); err != nil {
		return err
	}
	return c.ws.SetReadDeadline(time.Time{})
}

// discard starts a reader per client that only answers pings.
func (p *pool) discard() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.clients {
		p.wg.Go(func() {
			for {
				if _, err := c.next(); err != nil {
					p.fail(err)
					return
				}
			}
		})
	}
}
