// Package socketio is a Socket.IO v5 server: packet codec, namespaces,
// middleware, rooms, broadcasting operators, acknowledgements and connection
// state recovery (protocol.md §2–§3, reliability.md). It is transport
// agnostic: an Engine.IO session is handed to Server.Accept as a Conn and
// feeds inbound messages to the returned Client.
//
// The API follows the JavaScript server so lessons can show both side by
// side:
//
//	io := socketio.NewServer(socketio.Options{Logger: log})
//	io.OnConnection(func(s *socketio.Socket) {      // io.on("connection", (socket) => {
//		s.On("chat", func(e *socketio.Event) {       //   socket.on("chat", (msg) => {
//			s.Broadcast().Emit("chat", e.Args[0])    //     socket.broadcast.emit("chat", msg)
//		})
//	})
//
// Wiring a transport: for each Engine.IO session call Accept with a Conn
// whose Send writes "4"+Packet.Text as a text message followed by each
// attachment as a binary message (all enqueued atomically, never blocking),
// then feed the session's text messages (without the "4") to OnText and
// binary messages to OnBinary, serially, and call Closed once with the
// session's close reason.
//
// Locking: a mutex per namespace (sockets, rooms), per client and per
// socket; under a lock only map updates and non-blocking Conn.Send calls
// happen. Handlers, middleware and the observer run without locks.
// Handlers run on the goroutine that delivered the packet (the transport's
// reader), so a socket's events are handled in order, one at a time; do not
// block there waiting for an acknowledgement from the same client.
package socketio

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Errors returned by the API.
var (
	ErrDisconnected       = errors.New("socketio: socket has been disconnected")
	ErrTimeout            = errors.New("operation has timed out")
	ErrTooManyPendingAcks = errors.New("socketio: too many pending acknowledgements")
	ErrLimitExceeded      = errors.New("limit exceeded")
	ErrInvalidName        = errors.New("socketio: invalid name")
	ErrNoAck              = errors.New("socketio: event has no acknowledgement")
	ErrAlreadyAcked       = errors.New("socketio: already acknowledged")
	ErrClosed             = errors.New("socketio: server closed")
)

// Conn is one Engine.IO connection, implemented by the transport adapter.
type Conn interface {
	// Send enqueues one packet (text and attachments) and never blocks.
	// An error means the connection is gone or too slow; an error with a
	// Reason() string method names the sockets' disconnect reason (the
	// transport's "slow"), else it is "transport error".
	Send(p *Packet) error
	// Close closes the whole Engine.IO connection.
	Close(reason string)
	// Transport is "polling" or "websocket".
	Transport() string
}

// Handshake describes the connection, like socket.handshake in JavaScript.
type Handshake struct {
	Headers http.Header
	Address string
	Time    time.Time
	URL     string // the request URI of the first request, query included
	Secure  bool
	Issued  int64           // Unix milliseconds
	Auth    json.RawMessage // the CONNECT payload of this namespace; nil when absent
}

// Query returns the query parameters of the first request (socket.handshake.query), parsed from
// URL on each call: a parsed copy kept per connection cost an idle one about 370 bytes.
func (h Handshake) Query() url.Values {
	_, q, _ := strings.Cut(h.URL, "?")
	v, _ := url.ParseQuery(q)
	return v
}

// RecoveryOptions enables connection state recovery (protocol.md §3.8).
type RecoveryOptions struct {
	MaxDisconnectionDuration time.Duration // default 2 minutes
	// SkipMiddlewares restores a session without running middleware again.
	// The zero value runs middleware on recovery (safe for protected
	// namespaces); JavaScript defaults to true.
	SkipMiddlewares bool
	MaxPackets      int // stored packets per namespace, default 10 000
	MaxBytes        int // stored bytes per namespace, default 8 MiB
}

// Options configures a Server. Zero values take the defaults in brackets.
type Options struct {
	ConnectTimeout time.Duration // time to join a namespace [15s]
	AckTimeout     time.Duration // server→client acks without Timeout [10s]
	MaxAttachments int           // per inbound packet [10]
	// MaxPacketBytes bounds one inbound binary packet: its text plus every attachment, held
	// until the last attachment arrives [1e6, Engine.IO's maxPayload]. Over it the connection is
	// closed (ReasonAttachmentsTooLarge).
	MaxPacketBytes int
	// AttachmentTimeout is how long a binary packet's attachments may take to arrive after its
	// text; then the connection is closed (ReasonAttachmentsTimeout) [10s].
	AttachmentTimeout time.Duration
	MaxPendingAcks    int           // server→client acks per socket [100]
	MaxRoomsPerSocket int           // besides the socket's own room [32]
	RateLimit         float64       // inbound packets per second per socket; negative disables [20]
	RateBurst         int           // [40]
	RateKickAfter     time.Duration // sustained excess before "too many requests" [5s]
	Recovery          *RecoveryOptions
	// MaxNamespaces caps the namespaces of the server, dynamic children included: a CONNECT
	// that would create one more gets connect_error "too many namespaces" [1000].
	MaxNamespaces int
	// CleanupEmptyChildNamespaces removes a dynamic namespace's child when
	// its last socket leaves.
	CleanupEmptyChildNamespaces bool
	// Adapter makes each namespace's adapter, which shares it with other servers (Redis); nil
	// keeps everything on this server, like socket.io's in-memory adapter.
	Adapter AdapterFactory
	Logger  *slog.Logger // nil discards
}

func (o *Options) defaults() {
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 15 * time.Second
	}
	if o.AckTimeout <= 0 {
		o.AckTimeout = 10 * time.Second
	}
	if o.MaxAttachments <= 0 {
		o.MaxAttachments = 10
	}
	if o.MaxPacketBytes <= 0 {
		o.MaxPacketBytes = 1e6
	}
	if o.AttachmentTimeout <= 0 {
		o.AttachmentTimeout = 10 * time.Second
	}
	if o.MaxNamespaces <= 0 {
		o.MaxNamespaces = 1000
	}
	if o.MaxPendingAcks <= 0 {
		o.MaxPendingAcks = 100
	}
	if o.MaxRoomsPerSocket <= 0 {
		o.MaxRoomsPerSocket = 32
	}
	if o.RateLimit == 0 {
		o.RateLimit = 20
	}
	if o.RateBurst <= 0 {
		o.RateBurst = 40
	}
	if o.RateKickAfter <= 0 {
		o.RateKickAfter = 5 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Recovery != nil {
		r := *o.Recovery
		if r.MaxDisconnectionDuration <= 0 {
			r.MaxDisconnectionDuration = 2 * time.Minute
		}
		if r.MaxPackets <= 0 {
			r.MaxPackets = 10000
		}
		if r.MaxBytes <= 0 {
			r.MaxBytes = 8 << 20
		}
		o.Recovery = &r
	}
}

// Server is a Socket.IO server ("io" in JavaScript).
type Server struct {
	opts Options
	log  *slog.Logger
	tap  tap

	isClosed atomic.Bool // mirrors closed for lock-free checks in emits

	mu      sync.Mutex
	closed  bool
	nsps    map[string]*Namespace // static namespaces and dynamic children
	parents []*Namespace          // dynamic namespaces, in registration order
	clients map[*Client]struct{}
}

// NewServer returns a server with the main namespace "/".
func NewServer(opts Options) *Server {
	opts.defaults()
	srv := &Server{
		opts:    opts,
		log:     opts.Logger,
		nsps:    make(map[string]*Namespace),
		clients: make(map[*Client]struct{}),
	}
	srv.nsps["/"] = newNamespace(srv, "/", nil)
	srv.nsps["/"].cluster()
	return srv
}

// Of returns the namespace name, creating it (io.of("/orders")). As in socket.io, a name that a
// dynamic namespace registered with OfRegexp matches is created as that namespace's child, so
// its middleware and connection handlers apply to the clients of the name (OfFunc parents are
// not asked: socket.io cannot call them without a client either).
func (srv *Server) Of(name string) *Namespace {
	srv.mu.Lock()
	ns, ok := srv.nsps[name]
	if !ok {
		var parent *Namespace
		for _, p := range srv.parents {
			if p.regexp && p.match(name, nil) {
				parent = p
				break
			}
		}
		ns = newNamespace(srv, name, parent)
		srv.nsps[name] = ns
		if parent != nil {
			parent.children[name] = ns
		}
	}
	srv.mu.Unlock()
	ns.cluster() // subscribes with an adapter: outside the lock
	return ns
}

// OfRegexp registers a dynamic namespace (io.of(/^\/dyn-\d+$/)): the first
// CONNECT to a matching name creates a child namespace with that name, which
// inherits this namespace's middleware and connection handlers.
func (srv *Server) OfRegexp(re *regexp.Regexp) *Namespace {
	return srv.addParent(re.String(), true, func(name string, _ json.RawMessage) bool { return re.MatchString(name) })
}

// OfFunc registers a dynamic namespace decided by allow, which gets the
// namespace name and the CONNECT payload
// (io.of((name, auth, next) => next(null, ok))).
func (srv *Server) OfFunc(allow func(name string, auth json.RawMessage) bool) *Namespace {
	return srv.addParent("func", false, allow)
}

func (srv *Server) addParent(label string, regexp bool, match func(string, json.RawMessage) bool) *Namespace {
	ns := newNamespace(srv, label, nil)
	ns.match, ns.regexp = match, regexp
	ns.children = make(map[string]*Namespace)
	srv.mu.Lock()
	srv.parents = append(srv.parents, ns)
	srv.mu.Unlock()
	return ns
}

// lookup finds or creates the namespace for a CONNECT and counts a pending
// connection on it (released by Namespace.connectDone). Static namespaces
// win over dynamic ones; allow functions run without locks.
func (srv *Server) lookup(name string, auth json.RawMessage) *Namespace {
	srv.mu.Lock()
	if ns, ok := srv.nsps[name]; ok {
		ns.pending++
		srv.mu.Unlock()
		return ns
	}
	parents := slices.Clone(srv.parents)
	srv.mu.Unlock()
	for _, p := range parents {
		if !p.match(name, auth) {
			continue
		}
		srv.mu.Lock()
		if srv.closed {
			srv.mu.Unlock()
			return nil
		}
		ns, ok := srv.nsps[name]
		if !ok && len(srv.nsps) >= srv.opts.MaxNamespaces {
			return nil // connect checked namespaceCapReached; another CONNECT came first
		}
		if !ok {
			ns = newNamespace(srv, name, p)
			srv.nsps[name] = ns
			p.children[name] = ns
		}
		ns.pending++
		srv.mu.Unlock()
		ns.cluster()
		return ns
	}
	return nil
}

// namespaceCapReached reports whether a CONNECT to name would need a namespace over
// Options.MaxNamespaces.
func (srv *Server) namespaceCapReached(name string) bool {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	_, ok := srv.nsps[name]
	return !ok && len(srv.nsps) >= srv.opts.MaxNamespaces
}

// Use adds middleware to the main namespace.
func (srv *Server) Use(fn Middleware) { srv.Of("/").Use(fn) }

// OnConnection registers a connection handler on the main namespace
// (io.on("connection", ...)).
func (srv *Server) OnConnection(fn func(*Socket)) { srv.Of("/").OnConnection(fn) }

// Emit sends an event to every socket of the main namespace.
func (srv *Server) Emit(event string, args ...any) error { return srv.Of("/").Emit(event, args...) }

// To targets rooms of the main namespace.
func (srv *Server) To(rooms ...string) *Operator { return srv.Of("/").To(rooms...) }

// In is an alias of To.
func (srv *Server) In(rooms ...string) *Operator { return srv.To(rooms...) }

// Except excludes rooms of the main namespace.
func (srv *Server) Except(rooms ...string) *Operator { return srv.Of("/").Except(rooms...) }

// Volatile marks the next emit as volatile.
func (srv *Server) Volatile() *Operator { return srv.Of("/").Volatile() }

// Timeout sets the acknowledgement timeout of the next EmitWithAck.
func (srv *Server) Timeout(d time.Duration) *Operator { return srv.Of("/").Timeout(d) }

// EmitWithAck emits to every socket of the main namespace and waits for one
// reply per socket.
func (srv *Server) EmitWithAck(ctx context.Context, event string, args ...any) ([]Reply, error) {
	return srv.Of("/").EmitWithAck(ctx, event, args...)
}

// FetchSockets returns the sockets of the main namespace.
func (srv *Server) FetchSockets() []*Socket { return srv.Of("/").FetchSockets() }

// SocketsJoin makes every socket of the main namespace join rooms.
func (srv *Server) SocketsJoin(rooms ...string) { srv.Of("/").SocketsJoin(rooms...) }

// SocketsLeave makes every socket of the main namespace leave rooms.
func (srv *Server) SocketsLeave(rooms ...string) { srv.Of("/").SocketsLeave(rooms...) }

// DisconnectSockets disconnects every socket of the main namespace.
func (srv *Server) DisconnectSockets(close bool) { srv.Of("/").DisconnectSockets(close) }

// Accept starts serving one Engine.IO connection. The client must join a
// namespace within ConnectTimeout, else the connection is closed.
func (srv *Server) Accept(c Conn, hs Handshake) *Client {
	hs.Auth = nil
	cl := &Client{
		srv:        srv,
		conn:       c,
		hs:         hs,
		connBucket: newBucket(srv.opts),
	}
	srv.mu.Lock()
	if srv.closed {
		srv.mu.Unlock()
		cl.closed = true
		c.Close("server shutting down")
		return cl
	}
	srv.clients[cl] = struct{}{}
	srv.mu.Unlock()
	cl.mu.Lock()
	cl.timer = time.AfterFunc(srv.opts.ConnectTimeout, cl.connectTimeout)
	cl.mu.Unlock()
	return cl
}

func (srv *Server) removeClient(c *Client) {
	srv.mu.Lock()
	delete(srv.clients, c)
	srv.mu.Unlock()
}

// Close disconnects every client ("server shutting down"). Later Accept
// calls close their connection at once.
func (srv *Server) Close() {
	srv.mu.Lock()
	if srv.closed {
		srv.mu.Unlock()
		return
	}
	srv.closed = true
	srv.isClosed.Store(true)
	clients := make([]*Client, 0, len(srv.clients))
	for c := range srv.clients {
		clients = append(clients, c)
	}
	srv.mu.Unlock()
	for _, c := range clients {
		c.teardown("server shutting down")
		c.conn.Close("server shutting down")
	}
	srv.mu.Lock()
	var stores []*recoveryStore
	nsps := make([]*Namespace, 0, len(srv.nsps))
	for _, ns := range srv.nsps {
		if ns.rec != nil {
			stores = append(stores, ns.rec)
		}
		nsps = append(nsps, ns)
	}
	srv.mu.Unlock()
	for _, r := range stores {
		r.stop()
	}
	for _, ns := range nsps {
		ns.closeAdapter()
	}
}

// TapKind says what a TapEvent is about.
type TapKind string

// Kinds of TapEvent.
const (
	TapConnect      TapKind = "connect"       // a socket joined a namespace
	TapConnectError TapKind = "connect_error" // CONNECT refused (Err)
	TapMiddleware   TapKind = "middleware"    // middleware decision (Err empty = allowed)
	TapDisconnect   TapKind = "disconnect"    // a socket left (Reason)
	TapJoin         TapKind = "join"          // Socket joined Room
	TapLeave        TapKind = "leave"         // Socket left Room
	TapEventIn      TapKind = "event_in"      // event from Socket
	TapEventOut     TapKind = "event_out"     // event to Recipients
	TapAckIn        TapKind = "ack_in"        // a client answered a server ack
	TapAckOut       TapKind = "ack_out"       // the server answered a client ack
)

// TapEvent is one observation of the hub, for demo consoles. Engine.IO ids,
// private ids and tokens never appear in it.
type TapEvent struct {
	Kind   TapKind
	Time   time.Time
	Nsp    string
	Socket string // acting socket: sender, joiner, connecting socket
	Event  string // event name
	// Args are the event's or ack's arguments (binary as placeholders), copied, when their JSON
	// array is at most TapPreviewBytes long; otherwise Args is nil, ArgsSize is the array's size
	// in bytes and ArgsPreview its first TapPreviewBytes bytes (or a few fewer).
	Args        []json.RawMessage
	ArgsSize    int
	ArgsPreview string
	AckID       int64    // -1 when none
	Scope       string   // event_out: "socket", "namespace" or "rooms"
	Rooms       []string // event_out: target rooms
	Except      []string // event_out: excluded rooms (a sender's own id included)
	Recipients  []string // event_out: socket ids that were sent the packet, sorted
	Room        string   // join, leave
	Reason      string   // disconnect
	Err         string   // connect_error, middleware
	Unhandled   bool     // event_in: no handler (nor OnAny) on the socket listened for it, so it was dropped
	// Timeout is an event_out's ack timeout when the emit had one (Operator.Timeout); Timed says
	// it had (a Timeout of 0 times out at once).
	Timeout time.Duration
	Timed   bool
}

// tap hands the hub's observations to its one observer (Server.Observe). Fanning them out to
// the demo's many listeners is the observer's job (playground/stream).
type tap struct {
	on atomic.Bool // an observer is set: checked before building an event
	mu sync.Mutex
	ch chan *TapEvent // nil: nobody observes (pointers: a buffer of thousands costs 8 bytes each)
}

func (t *tap) active() bool { return t.on.Load() }

func (t *tap) publish(ev TapEvent) {
	if !t.active() {
		return
	}
	ev.Time = time.Now()
	ev.Args, ev.ArgsSize, ev.ArgsPreview = cutArgs(ev.Args)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ch == nil {
		return
	}
	select {
	case t.ch <- &ev:
	default: // a full observer is dropped, never waited for
		t.stopLocked()
	}
}

func (t *tap) stopLocked() {
	close(t.ch)
	t.ch = nil
	t.on.Store(false)
}

// Observe makes a channel with buffer buf the hub's one observer: it is sent every observation
// without waiting, and is dropped (closed) when its buffer is full. cancel closes it; it may be
// called more than once. A hub has one observer at a time: Observe panics while one is set.
func (srv *Server) Observe(buf int) (events <-chan *TapEvent, cancel func()) {
	t := &srv.tap
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ch != nil {
		panic("socketio: Observe: the hub already has an observer")
	}
	c := make(chan *TapEvent, max(buf, 1))
	t.ch = c
	t.on.Store(true)
	return c, func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.ch == c {
			t.stopLocked()
		}
	}
}
