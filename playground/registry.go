package playground

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	"golang.org/x/time/rate"

	"socketlab/playground/engineio"
	"socketlab/playground/socketio"
)

// Registry defaults (reliability.md §3: instances capped, reclaimed 5 min after the last client left).
const (
	DefaultMaxInstances = 1000
	// DefaultInstancesPerAddress is what one client address may hold of the demo instances: half,
	// so one client can never take them all, and still above what a class behind one NAT'd
	// address uses (60 students with a lesson page of up to 6 demos each is 360).
	DefaultInstancesPerAddress = 500
	// DefaultCreateRate and DefaultCreateBurst pace new instances per address (both pools).
	DefaultCreateRate  = 5
	DefaultCreateBurst = 400
	// DefaultMaxReserved caps the instances with sessions of their own (Spec.Reserve: classes),
	// which do not count against MaxInstances, so demos can never take a class's place.
	DefaultMaxReserved = 100
	// DefaultReservedPerAddress is how many of them one client address may hold.
	DefaultReservedPerAddress = 10
	// DefaultReservedSessions is the pool Spec.Reserve sessions are taken from, apart from the
	// demos' shared admission: 40 classes of 500 seats.
	DefaultReservedSessions = 20_000
	DefaultIdleTimeout      = 5 * time.Minute
	maxConfigBytes          = 16 << 10
	// SweepEvery is how often a registry closes its idle instances (Sweep).
	SweepEvery = 30 * time.Second
)

// Options configure a Registry.
type Options struct {
	Logger       *slog.Logger
	Origins      []string      // exact Origin allowlist for the instances' sockets
	MaxInstances int           // DefaultMaxInstances when 0
	IdleTimeout  time.Duration // DefaultIdleTimeout when 0
	// Engine is the template for each instance's Engine.IO options (timings, limits); its
	// CheckOrigin, Logger and Handler are set by the registry.
	Engine engineio.Options
	// InstancesPerAddress caps the demo instances one client address holds
	// (DefaultInstancesPerAddress when 0); ReservedPerAddress the reserved ones
	// (DefaultReservedPerAddress when 0); CreateRate and CreateBurst pace both per address
	// (DefaultCreateRate, DefaultCreateBurst when 0).
	InstancesPerAddress, ReservedPerAddress int
	CreateRate                              float64
	CreateBurst                             int
	// MaxReserved caps the instances opened with Spec.Reserve (DefaultMaxReserved when 0).
	MaxReserved int
	// Reserved is the pool Spec.Reserve sessions come from (when nil, one of
	// DefaultReservedSessions with no rate limit).
	Reserved *engineio.Admission
	// Socket is the template for each instance's Socket.IO options; Logger and Recovery are set
	// by the registry.
	Socket socketio.Options
	// Cluster, when set, shares the hubs of instances opened with Spec.Shared over Redis.
	Cluster *Cluster
	now     func() time.Time
	broker  func() (demoBroker, error) // Registry.demoBroker, for the instances
}

// ErrFull is returned when the instance cap is reached; ErrClientFull when the client's address
// holds its share; ErrTooFast when it opens instances faster than its rate.
var (
	ErrFull       = errors.New("too many live demos on this server right now; try again in a few minutes")
	ErrClientFull = errors.New("too many live demos from your network right now; close some tabs or try again in a few minutes")
	ErrTooFast    = errors.New("demos are being started too fast from your network; try again in a few seconds")
)

// Client is who asks for an instance: the remote address (ClientAddress) of the request.
// The zero Client (the server's own instances, tests) is not counted.
type Client struct {
	Addr string
}

// ClientOf is the client of a request.
func ClientOf(r *http.Request) Client { return Client{Addr: ClientAddress(r.RemoteAddr)} }

// ClientAddress is a request's remote IP without the port: the key of every per-client limit
// (engineio.ClientAddress, which the admission uses too).
func ClientAddress(remoteAddr string) string { return engineio.ClientAddress(remoteAddr) }

// poolKey is a client address in one of the two instance pools.
type poolKey struct {
	reserved bool
	addr     string
}

// OrDefault sets *v to def when it is not positive: how options take their defaults.
func OrDefault[T int | float64 | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// Registry owns every demo instance: each one a hub of its own, reachable under /play/ID/.
type Registry struct {
	opts      Options
	log       *slog.Logger
	mu        sync.Mutex
	instances map[string]*Instance
	originOK  func(*http.Request) bool // OriginAllowlist(opts.Origins)
	reserved  int                      // instances with Spec.Reserve
	held      map[poolKey]int          // instances per client address and pool
	creates   map[string]*rate.Limiter // new instances per client address
	closed    bool
	stop      chan struct{}
	done      chan struct{}

	brokerMu sync.Mutex
	builtin  *miniredis.Miniredis // the cluster demo's stand-in for Redis, once started
}

// NewRegistry starts a registry and its sweeper; Close stops both.
func NewRegistry(opts Options) *Registry {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	OrDefault(&opts.MaxInstances, DefaultMaxInstances)
	OrDefault(&opts.IdleTimeout, DefaultIdleTimeout)
	if opts.now == nil {
		opts.now = time.Now
	}
	OrDefault(&opts.InstancesPerAddress, DefaultInstancesPerAddress)
	OrDefault(&opts.ReservedPerAddress, DefaultReservedPerAddress)
	OrDefault(&opts.CreateRate, DefaultCreateRate)
	OrDefault(&opts.CreateBurst, DefaultCreateBurst)
	OrDefault(&opts.MaxReserved, DefaultMaxReserved)
	if opts.Reserved == nil {
		opts.Reserved = engineio.NewAdmission(DefaultReservedSessions, 0, 0)
	}
	r := &Registry{opts: opts, log: opts.Logger, instances: map[string]*Instance{}, held: map[poolKey]int{}, originOK: OriginAllowlist(opts.Origins),
		creates: map[string]*rate.Limiter{}, stop: make(chan struct{}), done: make(chan struct{})}
	r.opts.broker = r.demoBroker
	go r.sweeper()
	return r
}

// demoBroker is the Redis server the cluster demo's servers meet on.
type demoBroker struct {
	URL     string
	Builtin bool // the built-in stand-in (miniredis), not a real Redis
}

// demoBroker is the cluster demo's broker: the -redis server when the registry has a Cluster,
// else a Redis-protocol server inside this process (github.com/alicebob/miniredis), started on
// 127.0.0.1 the first time a demo turns its adapter on and closed with the registry. Either way
// each instance publishes under a key of its own, so instances never see each other's traffic.
func (r *Registry) demoBroker() (demoBroker, error) {
	if r.opts.Cluster != nil {
		return demoBroker{URL: r.opts.Cluster.url}, nil
	}
	r.brokerMu.Lock()
	defer r.brokerMu.Unlock()
	if r.builtin == nil {
		r.mu.Lock()
		closed := r.closed
		r.mu.Unlock()
		if closed {
			return demoBroker{}, errors.New("shutting down")
		}
		m := miniredis.NewMiniRedis()
		if err := m.StartAddr("127.0.0.1:0"); err != nil {
			return demoBroker{}, fmt.Errorf("built-in broker: %w", err)
		}
		r.log.Info("cluster demo: built-in stand-in for Redis started", "addr", m.Addr())
		r.builtin = m
	}
	return demoBroker{URL: "redis://" + r.builtin.Addr(), Builtin: true}, nil
}

func (r *Registry) sweeper() {
	defer close(r.done)
	t := time.NewTicker(SweepEvery)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
			r.Sweep()
		}
	}
}

// Sweep closes every instance idle for longer than the idle timeout; it returns how many.
func (r *Registry) Sweep() int {
	now := r.opts.now()
	var idle []*Instance
	r.mu.Lock()
	for id, in := range r.instances {
		if in.idleSince(now) > r.opts.IdleTimeout {
			idle = append(idle, in)
			r.forgetLocked(id, in)
		}
	}
	for addr, l := range r.creates { // the addresses whose bucket is full again
		if l.TokensAt(now) >= float64(l.Burst()) {
			delete(r.creates, addr)
		}
	}
	r.mu.Unlock()
	for _, in := range idle {
		in.close()
		r.log.Debug("demo instance reclaimed", "instance", in.id, "demo", in.demo)
	}
	return len(idle)
}

// forgetLocked takes instance in (registered as id) out of the registry and its client's count.
func (r *Registry) forgetLocked(id string, in *Instance) {
	delete(r.instances, id)
	if in.reserve != nil {
		r.reserved--
	}
	if in.client.Addr != "" {
		k := poolKey{in.reserve != nil, in.client.Addr}
		if r.held[k]--; r.held[k] <= 0 {
			delete(r.held, k)
		}
	}
}

// OriginAllowed reports whether r's Origin header names an origin the instances' sockets allow
// (Options.Origins, exactly); false without one.
func (r *Registry) OriginAllowed(req *http.Request) bool { return r.originOK(req) }

// Held is how many live instances client holds, demos (reserved false) or reserved ones.
func (r *Registry) Held(client Client, reserved bool) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.held[poolKey{reserved, client.Addr}]
}

// Len is the number of live instances.
func (r *Registry) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.instances)
}

// Close ends every instance and the sweeper; later creates fail.
func (r *Registry) Close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	all := make([]*Instance, 0, len(r.instances))
	for _, in := range r.instances {
		all = append(all, in)
	}
	r.mu.Unlock()
	close(r.stop)
	<-r.done
	// In parallel, and still routable meanwhile: each hub flushes its sessions and waits up to 3
	// seconds for its polling clients' last poll (reliability.md T43), which must reach it.
	var wg sync.WaitGroup
	for _, in := range all {
		wg.Go(in.close)
	}
	wg.Wait()
	r.mu.Lock()
	r.instances, r.held, r.reserved = map[string]*Instance{}, map[poolKey]int{}, 0
	r.mu.Unlock()
	r.brokerMu.Lock()
	if r.builtin != nil {
		r.builtin.Close()
		r.builtin = nil
	}
	r.brokerMu.Unlock()
}

func newInstanceID() string {
	var b [16]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Create starts a new instance running demo with cfg (for no client: CreateFor).
func (r *Registry) Create(demo string, cfg *DemoConfig) (*Instance, error) {
	return r.CreateFor(Client{}, demo, cfg)
}

// CreateFor starts a new instance running demo with cfg for client, within its share.
func (r *Registry) CreateFor(client Client, demo string, cfg *DemoConfig) (*Instance, error) {
	k := KindOf(demo)
	if k == nil {
		return nil, fmt.Errorf("unknown demo %q (known: %s)", demo, strings.Join(DemoNames, ", "))
	}
	in, err := r.Open(Spec{Demo: demo, Config: cfg, Setup: k.Setup, Client: client})
	if err == nil && cfg != nil && cfg.Adapter {
		// The cluster demo starting with its adapter on: the broker is reached here, outside the
		// registry's lock.
		if err = in.SetAdapter(true); err != nil {
			r.mu.Lock()
			r.forgetLocked(in.id, in)
			r.mu.Unlock()
			in.close()
			return nil, fmt.Errorf("demo %s: %w", demo, err)
		}
	}
	return in, err
}

// Open is the one way an instance is made: under the registry's caps (its pool's, and what
// spec.Client may hold and start), registered (so it is swept when idle and closed with the
// registry), built by newInstance from spec. With spec.Reserve its sessions are reserved first.
func (r *Registry) Open(spec Spec) (*Instance, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, errors.New("shutting down")
	}
	reserved := spec.Reserve > 0
	if reserved && r.reserved >= r.opts.MaxReserved || !reserved && len(r.instances)-r.reserved >= r.opts.MaxInstances {
		return nil, ErrFull
	}
	k := poolKey{reserved, spec.Client.Addr}
	if k.addr != "" {
		share := r.opts.InstancesPerAddress
		if reserved {
			share = r.opts.ReservedPerAddress
		}
		if r.held[k] >= share {
			return nil, ErrClientFull
		}
		// A token bucket at an explicit time (synctest's clock in tests).
		l := r.creates[k.addr]
		if l == nil {
			l = rate.NewLimiter(rate.Limit(r.opts.CreateRate), r.opts.CreateBurst)
			r.creates[k.addr] = l
		}
		if !l.AllowN(r.opts.now(), 1) {
			return nil, ErrTooFast
		}
	}
	var adm *engineio.Admission
	if reserved {
		var err error
		per := min(spec.Reserve, max(spec.ReservePerAddress, 1))
		// Per address: its share of the places, and a bucket that lets that many join at once.
		if adm, err = r.opts.Reserved.Reserve(spec.Reserve, 0, 0, engineio.Share{Open: per, Rate: float64(per) / 10, Burst: per}); err != nil {
			return nil, ErrFull
		}
	}
	in := newInstance(newInstanceID(), spec, r.opts, adm)
	in.reg, in.client = r, spec.Client
	r.instances[in.id] = in
	if reserved {
		r.reserved++
	}
	if k.addr != "" {
		r.held[k]++
	}
	return in, nil
}

func (r *Registry) lookup(id string) *Instance {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.instances[id]
}

// The handlers of the /play/ API (docs/play-api.md); web/routes.go mounts them. Each reads its
// path values by name: {demo} for HandleCreate, {id} for HandleTap and HandleSocket.

// HandleCreate starts an instance of the demo {demo} with the JSON config in the body.
func (r *Registry) HandleCreate() http.Handler { return http.HandlerFunc(r.handleCreate) }

// HandleTap is the Server-Sent Events stream of what instance {id}'s hub sees.
func (r *Registry) HandleTap() http.Handler { return http.HandlerFunc(r.handleTap) }

// HandleSocket is instance {id}'s Engine.IO endpoint (both transports); it checks the Origin
// against the registry's allowlist itself.
func (r *Registry) HandleSocket() http.Handler { return http.HandlerFunc(r.handleSocket) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (r *Registry) handleCreate(w http.ResponseWriter, req *http.Request) {
	demo := req.PathValue("demo")
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, maxConfigBytes))
	if err != nil {
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": fmt.Sprintf("config larger than %d bytes", maxConfigBytes)})
		return
	}
	cfg, err := ParseDemo(demo, body)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	in, err := r.CreateFor(ClientOf(req), demo, cfg)
	if err != nil {
		status := http.StatusServiceUnavailable
		if errors.Is(err, ErrClientFull) || errors.Is(err, ErrTooFast) {
			status = http.StatusTooManyRequests
		}
		w.Header().Set("Retry-After", "10")
		writeJSON(w, status, map[string]string{"error": err.Error()})
		return
	}
	r.log.Debug("demo instance created", "instance", in.id, "demo", demo)
	writeJSON(w, http.StatusCreated, in.describe())
}

func (r *Registry) handleSocket(w http.ResponseWriter, req *http.Request) {
	in := r.lookup(req.PathValue("id"))
	if in == nil || in.private { // a private hub has one entrance, its owner's (Spec.Private)
		// The Engine.IO error shape, so a client sees "Session ID unknown"-style JSON.
		writeJSON(w, http.StatusNotFound, map[string]any{"code": 1, "message": "Demo instance unknown or expired"})
		return
	}
	in.touch()
	if in.down() {
		writeJSON(w, http.StatusServiceUnavailable, outageBody)
		return
	}
	// ?server=B picks a server of a kind with several (the cluster demo), as a load balancer's
	// sticky routing would: every request of a session names the same one.
	in.hubFor(req.URL.Query().Get("server")).ServeHTTP(w, req)
}
