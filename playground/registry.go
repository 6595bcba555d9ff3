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

	"socketlab/playground/engineio"
	"socketlab/playground/socketio"
)

// Registry defaults (reliability.md §3: instances capped, reclaimed 5 min after the last client left).
const (
	DefaultMaxInstances = 1000
	DefaultIdleTimeout  = 5 * time.Minute
	maxConfigBytes      = 16 << 10
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
	// Socket is the template for each instance's Socket.IO options; Logger and Recovery are set
	// by the registry.
	Socket socketio.Options
	// Cluster, when set, shares the hubs of instances opened with Spec.Shared over Redis.
	Cluster *Cluster
	now     func() time.Time
}

// ErrFull is returned when the instance cap is reached.
var ErrFull = errors.New("too many live demos on this server right now; try again in a few minutes")

// Registry owns every demo instance: each one a hub of its own, reachable under /play/ID/.
type Registry struct {
	opts      Options
	log       *slog.Logger
	mu        sync.Mutex
	instances map[string]*Instance
	closed    bool
	stop      chan struct{}
	done      chan struct{}
}

// NewRegistry starts a registry and its sweeper; Close stops both.
func NewRegistry(opts Options) *Registry {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxInstances <= 0 {
		opts.MaxInstances = DefaultMaxInstances
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	if opts.now == nil {
		opts.now = time.Now
	}
	r := &Registry{opts: opts, log: opts.Logger, instances: map[string]*Instance{}, stop: make(chan struct{}), done: make(chan struct{})}
	go r.sweeper()
	return r
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
			delete(r.instances, id)
		}
	}
	r.mu.Unlock()
	for _, in := range idle {
		in.close()
		r.log.Debug("demo instance reclaimed", "instance", in.id, "demo", in.demo)
	}
	return len(idle)
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
	r.instances = map[string]*Instance{}
	r.mu.Unlock()
}

func newInstanceID() string {
	var b [16]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Create starts a new instance running demo with cfg.
func (r *Registry) Create(demo string, cfg *DemoConfig) (*Instance, error) {
	k := KindOf(demo)
	if k == nil {
		return nil, fmt.Errorf("unknown demo %q (known: %s)", demo, strings.Join(DemoNames, ", "))
	}
	return r.Open(Spec{Demo: demo, Config: cfg, Setup: k.Setup})
}

// Open is the one way an instance is made: under the registry's cap, registered (so it is swept
// when idle and closed with the registry), built by newInstance from spec.
func (r *Registry) Open(spec Spec) (*Instance, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, errors.New("shutting down")
	}
	if len(r.instances) >= r.opts.MaxInstances {
		return nil, ErrFull
	}
	in := newInstance(newInstanceID(), spec, r.opts)
	in.reg = r
	r.instances[in.id] = in
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
	in, err := r.Create(demo, cfg)
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
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
	in.hub().ServeHTTP(w, req)
}
