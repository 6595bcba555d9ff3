package playground

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"socketlab/playground/engineio"
	"socketlab/playground/socketio"
	"socketlab/playground/stream"
)

// Instance is one demo's own hub, with what the widget observes of it.
type Instance struct {
	id, demo string
	kind     *Kind
	cfg      *DemoConfig
	log      *slog.Logger
	now      func() time.Time
	// downUntil is the end of an outage (fault.go), in Unix nanoseconds of now: socket requests
	// get 503 until then. Atomic: every socket request reads it, without the instance's lock.
	downUntil atomic.Int64

	// tap is what the widget sees (GET /play/{id}/tap): the hub's observations and log records
	// as JSON messages, kept with ids, and state snapshots.
	tap *stream.Topic[[]byte]

	mu        sync.Mutex
	names     map[string]string              // socket id → client name; watch forgets one after its disconnect
	servers   map[string]string              // socket id → its server (Kind.Servers), while connected
	state     map[string]map[string][]string // nsp → socket id → rooms
	kindState any                            // the kind's own state (Kind.NewState)
	lastSeen  time.Time
	closed    bool
	private   bool // Spec.Private: not served under /play/{id}/socket.io/
	keep      bool // Spec.Keep: never swept
	file      string
	onConsole func(level, text string) // Spec.Console
	onClose   func()                   // Spec.OnClose
	code      string                   // the program RunCode runs now ("" for the kind's Go handlers)
	reg       *Registry

	// cur is the server running now: the kind's Go handlers, or a student's JavaScript after
	// RunCode. A run replaces it whole, like a restart (code.go).
	cur      atomic.Pointer[running]
	runMu    sync.Mutex     // one RunCode at a time
	runs     *rate.Limiter  // POST /play/{id}/code: each run starts a hub
	retiring sync.WaitGroup // replaced servers still closing
	progs    *Programs      // AttachPrograms; guarded by mu
	eopts    engineio.Options
	sopts    socketio.Options
	client   Client              // Spec.Client (set by Registry.Open)
	reserve  *engineio.Admission // Spec.Reserve's sessions; nil for a demo
	broker   func() (demoBroker, error)
}

const (
	tapBuffer       = 4096
	subscriberQueue = 1024
	// historySize is how many tap and log messages a new tap subscriber is sent after the state:
	// a widget opens its tap once its clients are connected (the connections start sooner), and
	// still shows their connects and the server's "a user connected".
	historySize = 256
)

// newInstance is the one instance constructor (Registry.Open calls it): a hub of its own with the
// registry's engine and socket templates, its tap watched, then spec.Setup's handlers installed.
func newInstance(id string, spec Spec, opts Options, reserve *engineio.Admission) *Instance {
	cfg := spec.Config
	if cfg == nil {
		cfg = &DemoConfig{}
	}
	in := &Instance{
		id: id, demo: spec.Demo, kind: KindOf(spec.Demo), cfg: cfg, now: opts.now, private: spec.Private,
		keep: spec.Keep, file: spec.File, onConsole: spec.Console, onClose: spec.OnClose,
		tap:      stream.New[[]byte](stream.Options{Buffer: subscriberQueue, History: historySize, HistoryBytes: historyBytes}),
		names:    map[string]string{},
		servers:  map[string]string{},
		state:    map[string]map[string][]string{},
		lastSeen: opts.now(),
		runs:     rate.NewLimiter(rate.Every(200*time.Millisecond), 10),
		reserve:  reserve,
		broker:   opts.broker,
	}
	// The hub's own log records go to the server log and, as they are, to the demo's console.
	in.log = slog.New(&consoleHandler{next: opts.Logger.Handler().WithAttrs([]slog.Attr{slog.String("instance", id)}), in: in})
	eopts := opts.Engine
	eopts.Logger = in.log
	eopts.CheckOrigin = OriginAllowlist(opts.Origins)
	if reserve != nil {
		eopts.Admission = reserve
	}
	sopts := opts.Socket
	sopts.Logger = in.log
	if in.kind != nil {
		if in.kind.PingInterval > 0 {
			eopts.PingInterval = in.kind.PingInterval
		}
		if in.kind.PingTimeout > 0 {
			eopts.PingTimeout = in.kind.PingTimeout
		}
		sopts.Recovery = in.kind.Recovery
		if in.kind.NewState != nil {
			in.kindState = in.kind.NewState()
		}
	}
	if spec.Socket != nil {
		spec.Socket(&sopts)
	}
	if spec.Shared && opts.Cluster != nil {
		sopts.Adapter = opts.Cluster.Adapter(spec.ClusterKey)
	}
	in.eopts, in.sopts = eopts, sopts
	if in.file == "" {
		in.file = CodeFile
	}
	first, err := in.newServers("", nil)
	if err != nil { // only a program can fail to start, and none runs yet
		panic(err)
	}
	in.cur.Store(first)
	if spec.Setup != nil {
		spec.Setup(in)
	}
	return in
}

// describe is the create response (docs/play-api.md).
func (in *Instance) describe() map[string]any {
	server := map[string]any{}
	if in.kind != nil {
		js, err := in.kind.ServerJS(in.cfg)
		if err != nil {
			in.log.Error("demo server code", "err", err)
		}
		server = map[string]any{"js": js, "go": in.kind.ServerGo(), "options": in.kind.ServerOptions()}
	}
	in.mu.Lock()
	if in.code != "" {
		// A program serves the instance (RunCode): the page shows it; it has no Go equivalent.
		server = map[string]any{"js": in.code, "file": in.file}
	}
	in.mu.Unlock()
	type callJSON struct {
		JS string `json:"js"`
		Go string `json:"go"`
	}
	scopes := map[string]callJSON{}
	for s, c := range Scopes {
		scopes[s] = callJSON{c, scopesGo[s]}
	}
	steps := make([]callJSON, 0, len(in.cfg.Script))
	for _, s := range in.cfg.Script {
		c := callJSON{}
		if s.Emit != "" {
			c.JS, c.Go = stepCall(in.cfg, s)
		}
		steps = append(steps, c)
	}
	out := map[string]any{
		"id": in.id, "demo": in.demo, "config": in.cfg,
		"path":   "/play/" + in.id + "/socket.io/",
		"tap":    "/play/" + in.id + "/tap",
		"server": server,
		"scopes": scopes,
		"steps":  steps,
	}
	if p := in.cfg.Predict; p != nil {
		c := callJSON{}
		c.JS, c.Go = stepCall(in.cfg, p.Step)
		out["predict"] = c
	}
	return out
}

func (in *Instance) touch() {
	in.mu.Lock()
	in.lastSeen = in.now()
	in.mu.Unlock()
}

// idleSince is how long nobody has used the instance: zero while a socket or a tap is connected.
func (in *Instance) idleSince(now time.Time) time.Duration {
	if in.keep {
		return 0
	}
	for _, r := range in.cur.Load().all() {
		if r.hub.Engine.SessionCount() > 0 {
			in.touch()
			return 0
		}
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.tap.Len() > 0 {
		in.lastSeen = now
		return 0
	}
	return now.Sub(in.lastSeen)
}

func (in *Instance) close() {
	in.mu.Lock()
	if in.closed {
		in.mu.Unlock()
		return
	}
	in.closed = true
	in.mu.Unlock()
	in.runMu.Lock() // a RunCode in progress ends first; none starts after closed is set
	in.cur.Load().stop()
	if p := in.programs(); p != nil {
		p.disp.Replace(nil) // the program beside the Go handlers (AttachPrograms) stops too
	}
	in.runMu.Unlock()
	in.retiring.Wait()
	if in.kind != nil && in.kind.Close != nil {
		in.kind.Close(in)
	}
	in.tap.Close()
	if in.reserve != nil {
		in.reserve.Free()
	}
	if in.onClose != nil {
		in.onClose()
	}
}

// publish sends one tap or log message to the tap's subscribers, with an id (the SSE "id:" line,
// which EventSource sends back as Last-Event-ID when it reconnects), and keeps it in the history.
// A message over maxTapMessage is replaced by a notice.
func (in *Instance) publish(msg []byte) { in.tap.Publish(boundTapMessage(msg)) }

// publishStateLocked sends the current state to the subscribers. A state is a snapshot: it has no
// id, is not kept (a new subscriber gets one first), and is not even built when nobody listens.
func (in *Instance) publishStateLocked() {
	if in.tap.Len() > 0 {
		in.tap.Send(in.stateLocked())
	}
}

type socketState struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	Rooms  []string `json:"rooms"`
	Server string   `json:"server,omitempty"` // Kind.Servers: the server it is connected to
}

type nspState struct {
	Name    string        `json:"name"`
	Sockets []socketState `json:"sockets"`
}

func (in *Instance) stateLocked() []byte {
	namespaces := []nspState{}
	for name, socks := range in.state {
		ns := nspState{Name: name, Sockets: []socketState{}}
		for id, rooms := range socks {
			ns.Sockets = append(ns.Sockets, socketState{ID: id, Name: in.names[id], Rooms: rooms, Server: in.servers[id]})
		}
		sort.Slice(ns.Sockets, func(i, j int) bool { return ns.Sockets[i].Name+ns.Sockets[i].ID < ns.Sockets[j].Name+ns.Sockets[j].ID })
		namespaces = append(namespaces, ns)
	}
	sort.Slice(namespaces, func(i, j int) bool { return namespaces[i].Name < namespaces[j].Name })
	b, _ := json.Marshal(struct {
		Type       string     `json:"type"`
		Namespaces []nspState `json:"namespaces"`
	}{"state", namespaces})
	if in.kind != nil && in.kind.StateLocked != nil {
		// The kind's own fields (the queue's "queues") follow, in the same object.
		extra := map[string]any{}
		in.kind.StateLocked(in.kindState, extra)
		if e, err := json.Marshal(extra); err == nil && len(extra) > 0 {
			b = append(append(b[:len(b)-1], ','), e[1:]...)
		}
	}
	return b
}

type tapJSON struct {
	Type   string            `json:"type"`
	Kind   string            `json:"kind"`
	Time   string            `json:"time"`
	Server string            `json:"server,omitempty"` // Kind.Servers: which server saw it
	Nsp    string            `json:"nsp"`
	Socket string            `json:"socket,omitempty"`
	Name   string            `json:"name,omitempty"`
	Event  string            `json:"event,omitempty"`
	Args   []json.RawMessage `json:"args,omitempty"`
	// ArgsBytes and ArgsPreview replace Args when the arguments were over
	// socketio.TapPreviewBytes: their size, and the first bytes of their JSON array.
	ArgsBytes      int      `json:"argsBytes,omitempty"`
	ArgsPreview    string   `json:"argsPreview,omitempty"`
	AckID          int64    `json:"ackId"`
	Scope          string   `json:"scope,omitempty"`
	Rooms          []string `json:"rooms,omitempty"`
	Except         []string `json:"except,omitempty"`
	Recipients     []string `json:"recipients,omitempty"` // the first maxTapList
	RecipientCount int      `json:"recipientCount,omitempty"`
	Room           string   `json:"room,omitempty"`
	Reason         string   `json:"reason,omitempty"`
	Err            string   `json:"err,omitempty"`
	Unhandled      bool     `json:"unhandled,omitempty"` // event_in: nobody listened for it
	Call           string   `json:"call,omitempty"`      // event_out: the server call, in JavaScript
	Go             string   `json:"go,omitempty"`        // and in Go (calltext.go)
}

// watch turns the hub's observations into the tap stream and keeps the membership state; server
// names the hub among the kind's Servers ("" for a one-server kind).
func (in *Instance) watch(taps <-chan *socketio.TapEvent, done chan<- struct{}, server string) {
	defer close(done)
	for ev := range taps {
		in.mu.Lock()
		changed := true
		switch ev.Kind {
		case socketio.TapConnect:
			if in.state[ev.Nsp] == nil {
				in.state[ev.Nsp] = map[string][]string{}
			}
			in.state[ev.Nsp][ev.Socket] = []string{ev.Socket}
			if server != "" {
				in.servers[ev.Socket] = server
			}
		case socketio.TapDisconnect:
			delete(in.state[ev.Nsp], ev.Socket)
			if len(in.state[ev.Nsp]) == 0 {
				delete(in.state, ev.Nsp)
			}
		case socketio.TapJoin:
			if socks := in.state[ev.Nsp]; socks != nil && !slices.Contains(socks[ev.Socket], ev.Room) {
				socks[ev.Socket] = append(socks[ev.Socket], ev.Room)
			}
		case socketio.TapLeave:
			if socks := in.state[ev.Nsp]; socks != nil {
				socks[ev.Socket] = slices.DeleteFunc(socks[ev.Socket], func(r string) bool { return r == ev.Room })
			}
		default:
			changed = false
		}
		var call, goCall string
		if ev.Kind == socketio.TapEventOut {
			call, goCall = tapCall(*ev)
		}
		msg, _ := json.Marshal(tapJSON{
			Type: "tap", Kind: string(ev.Kind), Time: ev.Time.UTC().Format(time.RFC3339Nano), Nsp: ev.Nsp, Server: server,
			Socket: ev.Socket, Name: in.names[ev.Socket], Event: ev.Event, Args: ev.Args, AckID: ev.AckID,
			ArgsBytes: ev.ArgsSize, ArgsPreview: ev.ArgsPreview,
			Scope: ev.Scope, Rooms: clipList(ev.Rooms), Except: clipList(ev.Except),
			Recipients: clipList(ev.Recipients), RecipientCount: len(ev.Recipients),
			Room: ev.Room, Reason: ev.Reason, Err: ev.Err, Unhandled: ev.Unhandled, Call: call, Go: goCall,
		})
		in.publish(msg)
		if ev.Kind == socketio.TapDisconnect {
			delete(in.names, ev.Socket) // after its last tap event, which still carries the name
			delete(in.servers, ev.Socket)
		}
		if changed {
			in.publishStateLocked()
		}
		in.mu.Unlock()
	}
}

// tapSSE frames the tap's messages: each is one JSON object.
var tapSSE = stream.SSE[[]byte]{Data: func(msg []byte) []byte { return msg }}

func (r *Registry) handleTap(w http.ResponseWriter, req *http.Request) {
	in := r.lookup(req.PathValue("id"))
	if in == nil {
		http.Error(w, "demo instance unknown or expired", http.StatusNotFound)
		return
	}
	// The state first, then what happened before this subscriber came (or since the event it
	// saw last, when EventSource reconnects with Last-Event-ID). Under in.mu, so that no
	// observation falls between the state and the subscription.
	after, _ := strconv.ParseUint(req.Header.Get("Last-Event-ID"), 10, 64)
	in.mu.Lock()
	var events <-chan stream.Event[[]byte]
	var cancel func()
	err := errors.New("demo instance closed")
	full := !in.closed && in.tap.Len() >= maxTapWatchers
	if !in.closed && !full {
		events, cancel, err = in.tap.Subscribe(after, in.stateLocked())
	}
	in.mu.Unlock()
	if full {
		http.Error(w, fmt.Sprintf("this demo already has %d open consoles; close one", maxTapWatchers), http.StatusServiceUnavailable)
		return
	}
	if err != nil {
		http.Error(w, "demo instance closed", http.StatusGone)
		return
	}
	defer func() {
		cancel()
		in.touch()
	}()
	tapSSE.Serve(w, req, events)
}

// consoleHandler passes the hub's log records on and copies them to the demo's console.
type consoleHandler struct {
	next  slog.Handler
	in    *Instance
	attrs []slog.Attr
}

func (h *consoleHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelInfo || h.next.Enabled(ctx, l)
}

func (h *consoleHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelInfo { // the console's copy; Debug records only pass on
		attrs := map[string]any{}
		for _, a := range h.attrs {
			attrs[a.Key] = a.Value.Resolve().Any()
		}
		r.Attrs(func(a slog.Attr) bool {
			v := a.Value.Resolve().Any()
			if e, ok := v.(error); ok {
				v = e.Error()
			}
			if s, ok := v.(string); ok {
				v = clipText(s, maxLogText)
			}
			attrs[a.Key] = v
			return true
		})
		msg, err := json.Marshal(map[string]any{"type": "log", "time": r.Time.UTC().Format(time.RFC3339Nano), "level": r.Level.String(), "msg": clipText(r.Message, maxLogText), "attrs": attrs})
		if err == nil {
			h.in.publish(msg)
		}
	}
	if h.next.Enabled(ctx, r.Level) {
		return h.next.Handle(ctx, r)
	}
	return nil
}

func (h *consoleHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &consoleHandler{next: h.next.WithAttrs(attrs), in: h.in, attrs: append(slices.Clip(h.attrs), attrs...)}
}

func (h *consoleHandler) WithGroup(name string) slog.Handler {
	return &consoleHandler{next: h.next.WithGroup(name), in: h.in, attrs: h.attrs}
}
