// Package engineio is an Engine.IO v4 server: HTTP long-polling, WebSocket
// and the upgrade between them, heartbeat, bounded per-session queues.
// See docs/architecture.md and /work/shared/docs/protocol.md §1.
package engineio

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Options configures a Server. Zero values take the documented defaults.
type Options struct {
	PingInterval   time.Duration // default 25s
	PingTimeout    time.Duration // default 20s
	UpgradeTimeout time.Duration // default 10s

	// MaxPayload bounds a polling POST body (413) and a WebSocket message
	// (close 1009); it is advertised in the open packet. Default 1e6.
	MaxPayload int64
	// WriteTimeout is the deadline of every write. Default 5s.
	WriteTimeout time.Duration
	// MaxQueuePackets and MaxQueueBytes bound a session's outbound queue;
	// exceeding either closes the session with reason "slow". Defaults 256, 1 MiB.
	MaxQueuePackets int
	MaxQueueBytes   int
	// MaxSessions caps concurrent sessions (0 = unlimited); handshakes over
	// the cap get HTTP 503 before any upgrade.
	MaxSessions int
	// Admission, when set, must also admit every new session: a cap and a
	// connection rate shared by the servers that share it, and each client
	// address's share of them (503 otherwise).
	Admission *Admission
	// CheckOrigin decides requests that carry an Origin header (browsers);
	// nil refuses every one of them, so a server is closed to other sites
	// until its caller names who may connect. Refused: 403
	// {"code":4,"message":"Forbidden"} on polling, 403 before a WebSocket
	// upgrade. Requests without Origin (Node, curl) are always allowed.
	CheckOrigin func(r *http.Request) bool
	Logger      *slog.Logger // nil: discard
	Handler     Handler      // nil: sessions whose messages are dropped
	// Cookie, when set, answers the handshake of a polling session with Set-Cookie NAME=SID, as
	// engine.io's `cookie` option does (SocketIOCookie is socket.io's `cookie: true`), so a
	// load balancer can keep a client's polling requests on this process (docs/deploy.md).
	// Name "" is "io", Path "" is "/"; Value is ignored. Later requests and WebSocket
	// handshakes get none, as in engine.io.
	Cookie *http.Cookie
}

// SocketIOCookie is engine.io's cookie when the option is `true`: io=SID; Path=/; HttpOnly;
// SameSite=Lax.
func SocketIOCookie() *http.Cookie {
	return &http.Cookie{Name: "io", Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode}
}

// Message is the payload of an Engine.IO "message" packet (type 4), without prefix.
type Message struct {
	Binary bool
	Data   []byte
}

// Handler is told about every new session.
type Handler interface {
	// Open is called once per session, before any message is delivered.
	Open(s *Session) SessionHandler
}

// SessionHandler receives one session's events.
type SessionHandler interface {
	// Message is called in order, never concurrently for one session.
	Message(m Message)
	// Closed is called exactly once, after the last Message call returned.
	Closed(reason string)
}

// Close reasons given to SessionHandler.Closed.
const (
	ReasonTransportClose = "transport close"
	ReasonTransportError = "transport error"
	ReasonPingTimeout    = "ping timeout"
	ReasonForcedClose    = "forced close"
	ReasonShuttingDown   = "server shutting down"
	ReasonParseError     = "parse error"
	ReasonSlow           = "slow"
	// ReasonTooBig is for a handler's Close over a size limit (WebSocket close 1009); like
	// ReasonParseError (1008) it may be followed by ": " and a precise detail.
	ReasonTooBig = "message too big"
)

var (
	// ErrClosed is returned by Send on a closed session (errors.Is; the error's Reason method
	// gives the session's close reason, before Closed has run).
	ErrClosed = errors.New("engineio: session closed")
	// ErrSlow is returned by Send when the queue bound was exceeded; the
	// session has been closed with reason "slow" (its Reason method says so, before
	// Closed has run).
	ErrSlow error = reasonError{"engineio: session queue full, closed as slow", ReasonSlow}
)

// reasonError is an error that names the session's close reason.
type reasonError struct{ msg, reason string }

func (e reasonError) Error() string  { return e.msg }
func (e reasonError) Reason() string { return e.reason }

// closedError is ErrClosed with the reason the session was closed for.
type closedError struct{ reason string }

func (e closedError) Error() string        { return ErrClosed.Error() }
func (e closedError) Is(target error) bool { return target == ErrClosed }
func (e closedError) Reason() string       { return e.reason }

// Error codes of the JSON error bodies (protocol.md §1.1).
const (
	codeUnknownTransport = 0
	codeUnknownSID       = 1
	codeBadHandshake     = 2
	codeBadRequest       = 3
	codeForbidden        = 4
	codeUnsupportedProto = 5
)

var errorMessages = [...]string{
	codeUnknownTransport: "Transport unknown",
	codeUnknownSID:       "Session ID unknown",
	codeBadHandshake:     "Bad handshake method",
	codeBadRequest:       "Bad request",
	codeForbidden:        "Forbidden",
	codeUnsupportedProto: "Unsupported protocol version",
}

const (
	transportPolling   = "polling"
	transportWebSocket = "websocket"
)

// noopDelay is how long a GET arriving during an upgrade (after 3probe) is
// held before it gets a noop (engine.io checks every 100 ms).
const noopDelay = 50 * time.Millisecond

// Server is an Engine.IO server; it implements http.Handler.
type Server struct {
	opts     Options
	log      *slog.Logger
	upgrader websocket.Upgrader
	openJSON func(sid string, ws bool) []byte

	mu       sync.Mutex
	sessions map[string]*Session // open sessions, and closed ones lingering for a last GET
	open     int                 // open sessions
	closed   bool
	wg       goGroup // goroutines started by the server (pumps)

	drained    chan struct{} // Close: closed when the last lingering polling session is gone
	idle       *idlePoller   // idle WebSocket connections (started on first use)
	idleFailed bool          // could not start one: readers keep waiting on goroutines
	onIdlePark func()        // tests: called (under the poller's lock) after a connection is parked
}

// idlePoller returns the server's idle poller, starting it if start is set (from a goroutine
// counted in wg, while the server is open); nil if there is none.
func (srv *Server) idlePoller(start bool) *idlePoller {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.idle == nil && start && !srv.closed && !srv.idleFailed {
		p, err := startIdlePoller(srv)
		if err != nil {
			srv.idleFailed = true
			srv.log.Debug("no idle poller", "err", err)
			return nil
		}
		srv.idle = p
	}
	return srv.idle
}

// NewServer returns a Server with opts (defaults filled in).
func NewServer(opts Options) *Server {
	if opts.PingInterval <= 0 {
		opts.PingInterval = 25 * time.Second
	}
	if opts.PingTimeout <= 0 {
		opts.PingTimeout = 20 * time.Second
	}
	if opts.UpgradeTimeout <= 0 {
		opts.UpgradeTimeout = 10 * time.Second
	}
	if opts.MaxPayload <= 0 {
		opts.MaxPayload = 1e6
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = 5 * time.Second
	}
	if opts.MaxQueuePackets <= 0 {
		opts.MaxQueuePackets = 256
	}
	if opts.MaxQueueBytes <= 0 {
		opts.MaxQueueBytes = 1 << 20
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	srv := &Server{
		opts:     opts,
		log:      opts.Logger,
		sessions: make(map[string]*Session),
	}
	srv.upgrader = websocket.Upgrader{
		HandshakeTimeout: opts.WriteTimeout,
		// ReadBufferSize 0: gorilla reads through the bufio.Reader our hijack returns (upgrade).
		WriteBufferPool:   &sync.Pool{},                             // we frame writes ourselves; gorilla never needs a write buffer
		CheckOrigin:       func(*http.Request) bool { return true }, // checked before, against the allowlist
		EnableCompression: false,
	}
	pi, pt, mp := opts.PingInterval.Milliseconds(), opts.PingTimeout.Milliseconds(), opts.MaxPayload
	srv.openJSON = func(sid string, ws bool) []byte {
		upgrades := `["websocket"]`
		if ws {
			upgrades = `[]`
		}
		// sid is URL-safe base64: no JSON escaping needed.
		return fmt.Appendf(nil, `{"sid":"%s","upgrades":%s,"pingInterval":%d,"pingTimeout":%d,"maxPayload":%d}`,
			sid, upgrades, pi, pt, mp)
	}
	return srv
}

// SessionCount reports the number of open sessions.
func (srv *Server) SessionCount() int {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	return srv.open
}

// Close closes every session with reason "server shutting down" (queued
// packets flushed, then the Engine.IO close) and waits for the connection
// goroutines to end (each bounded by WriteTimeout) and, for up to 3 seconds (at most
// PingTimeout), for polling sessions to fetch their last poll; later handshakes get 503. Call it
// before the HTTP server stops serving.
func (srv *Server) Close() {
	srv.mu.Lock()
	srv.closed = true
	ss := make([]*Session, 0, len(srv.sessions))
	for _, s := range srv.sessions {
		ss = append(ss, s)
	}
	srv.mu.Unlock()
	for _, s := range ss {
		// Synchronous: when Close returns, every Closed has run (or runs
		// as soon as a Message in progress returns, before the pumps end).
		s.shutdown(ReasonShuttingDown, closeGraceful, websocket.CloseGoingAway, false)
	}
	if p := srv.idlePoller(false); p != nil {
		p.stop() // it ends once the closing connections are gone
	}
	srv.wg.Wait()
	// A polling session closed between two polls keeps its queue and the close packet for its
	// next GET (reliability.md T43: queued packets are flushed); a well-behaved client asks
	// again at once, so wait a little for those last polls (the HTTP server must still be
	// serving).
	srv.mu.Lock()
	var drained chan struct{}
	if len(srv.sessions) > 0 {
		drained = make(chan struct{})
		srv.drained = drained
	}
	srv.mu.Unlock()
	if drained != nil {
		t := time.NewTimer(min(srv.opts.PingTimeout, lastPollGrace))
		select {
		case <-drained:
		case <-t.C:
		}
		t.Stop()
	}
}

// lastPollGrace bounds how long Close waits for the last poll of polling sessions (a busy client,
// a phone, may take a moment to ask again; serveUntilDone allows 10 s for all of shutdown).
const lastPollGrace = 3 * time.Second

// HasSession reports whether sid names a session of this server (open, or closed and waiting for
// its last poll): a request carrying it is that session's own.
func (srv *Server) HasSession(sid string) bool { return srv.lookup(sid) != nil }

// StopHeartbeat stops the heartbeat of session sid (Session.StopHeartbeat) and reports whether
// there was such a session.
func (srv *Server) StopHeartbeat(sid string) bool {
	s := srv.lookup(sid)
	if s == nil {
		return false
	}
	s.StopHeartbeat()
	return true
}

// DropAll closes every open session with reason "transport close", as a server that went away
// would (the reconnection demo's outage), and reports how many it closed.
func (srv *Server) DropAll() int {
	srv.mu.Lock()
	all := make([]*Session, 0, len(srv.sessions))
	for _, s := range srv.sessions {
		all = append(all, s)
	}
	srv.mu.Unlock()
	n := 0
	for _, s := range all {
		s.mu.Lock()
		open := !s.closed
		s.mu.Unlock()
		if open {
			s.Close("transport close")
			n++
		}
	}
	return n
}

func (srv *Server) lookup(sid string) *Session {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	return srv.sessions[sid]
}

func (srv *Server) remove(s *Session) {
	srv.mu.Lock()
	if srv.sessions[s.id] == s {
		delete(srv.sessions, s.id)
	}
	if srv.drained != nil && len(srv.sessions) == 0 {
		close(srv.drained)
		srv.drained = nil
	}
	srv.mu.Unlock()
}

// released is called once per registered session, when it closes or its
// WebSocket handshake fails.
func (srv *Server) released(s *Session) {
	srv.mu.Lock()
	srv.open--
	srv.mu.Unlock()
	if a := srv.opts.Admission; a != nil {
		a.release(s.admKey)
	}
}

// register creates a session for a handshake, or reports why not (503).
func (srv *Server) register(r *http.Request, transport string) (*Session, error) {
	id, err := newID()
	if err != nil {
		return nil, err
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.closed {
		return nil, errors.New("server closed")
	}
	if srv.opts.MaxSessions > 0 && srv.open >= srv.opts.MaxSessions {
		return nil, errors.New("session cap reached")
	}
	if _, dup := srv.sessions[id]; dup {
		return nil, errors.New("duplicate session id")
	}
	key := AdmissionKey(r)
	if a := srv.opts.Admission; a != nil {
		if err := a.acquire(key); err != nil {
			return nil, err
		}
	}
	s := newSession(srv, id, r, transport)
	s.admKey = key
	srv.sessions[id] = s
	srv.open++
	return s, nil
}

// newID returns 20 characters of URL-safe base64 (120 bits from crypto/rand).
func newID() (string, error) {
	var b [15]byte
	if _, err := io.ReadFull(rand.Reader, b[:]); err != nil {
		return "", fmt.Errorf("engineio: session id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

func writeError(w http.ResponseWriter, status, code int) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"code":%d,"message":%q}`, code, errorMessages[code])
}

// ServeHTTP serves one Engine.IO request.
func (srv *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if origin := r.Header.Get("Origin"); origin != "" {
		h := w.Header()
		h.Add("Vary", "Origin")
		if srv.opts.CheckOrigin == nil || !srv.opts.CheckOrigin(r) {
			srv.log.Debug("origin refused", "origin", truncate([]byte(origin)), "remote", r.RemoteAddr)
			if websocket.IsWebSocketUpgrade(r) {
				http.Error(w, "Forbidden", http.StatusForbidden)
				return
			}
			writeError(w, http.StatusForbidden, codeForbidden)
			return
		}
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	if r.Method == http.MethodOptions {
		h := w.Header()
		h.Set("Access-Control-Allow-Methods", "GET, POST")
		if rh := r.Header.Get("Access-Control-Request-Headers"); rh != "" && len(rh) <= 1024 && validHeaderList(rh) {
			h.Set("Access-Control-Allow-Headers", rh)
			h.Add("Vary", "Access-Control-Request-Headers")
		}
		h.Set("Access-Control-Max-Age", "86400")
		w.WriteHeader(http.StatusNoContent)
		return
	}

	q := r.URL.Query()
	if v := q["EIO"]; len(v) != 1 || v[0] != "4" {
		writeError(w, http.StatusBadRequest, codeUnsupportedProto)
		return
	}
	var transport string
	switch v := q["transport"]; {
	case len(v) == 1 && v[0] == transportPolling:
		transport = transportPolling
	case len(v) == 1 && v[0] == transportWebSocket:
		transport = transportWebSocket
	default:
		writeError(w, http.StatusBadRequest, codeUnknownTransport)
		return
	}
	sids := q["sid"]
	if len(sids) > 1 {
		writeError(w, http.StatusBadRequest, codeBadRequest)
		return
	}
	if len(sids) == 0 {
		srv.handshake(w, r, transport)
		return
	}
	s := srv.lookup(sids[0])
	if s == nil {
		writeError(w, http.StatusBadRequest, codeUnknownSID)
		return
	}
	switch {
	case transport == transportWebSocket:
		srv.serveUpgrade(w, r, s)
	case r.Method == http.MethodGet:
		s.servePoll(w, r)
	case r.Method == http.MethodPost:
		s.serveData(w, r)
	default:
		writeError(w, http.StatusBadRequest, codeBadRequest)
	}
}

// handshake opens a new session (a GET without sid).
func (srv *Server) handshake(w http.ResponseWriter, r *http.Request, transport string) {
	if r.Method != http.MethodGet {
		writeError(w, http.StatusBadRequest, codeBadHandshake)
		return
	}
	if transport == transportWebSocket && !websocket.IsWebSocketUpgrade(r) {
		writeError(w, http.StatusBadRequest, codeBadRequest)
		return
	}
	s, err := srv.register(r, transport)
	if err != nil {
		srv.log.Debug("handshake refused", "err", err, "remote", r.RemoteAddr)
		http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
		return
	}
	if transport == transportPolling {
		open := append([]byte{typeOpen}, srv.openJSON(s.id, false)...)
		s.start()
		h := w.Header()
		h.Set("Content-Type", "text/plain; charset=UTF-8")
		h.Set("Content-Length", strconv.Itoa(len(open)))
		h.Set("Cache-Control", "no-store")
		if c := srv.opts.Cookie; c != nil {
			ck := *c
			ck.Value = s.id
			if ck.Name == "" {
				ck.Name = "io"
			}
			if ck.Path == "" {
				ck.Path = "/"
			}
			h.Add("Set-Cookie", ck.String())
		}
		rc := http.NewResponseController(w)
		_ = rc.SetWriteDeadline(time.Now().Add(srv.opts.WriteTimeout))
		if _, err := w.Write(open); err != nil {
			s.closeWith(ReasonTransportError, closeError, 0)
		}
		return
	}
	// The open packet goes out in the same write as the 101 response, after Open ran (as on
	// polling).
	open := srv.openJSON(s.id, true)
	frame := appendFrameHeader(make([]byte, 0, maxFrameHeader+1+len(open)), opText, 1+len(open))
	frame = append(append(frame, typeOpen), open...)
	s.start()
	conn, u, err := srv.upgrade(w, r, frame)
	if err != nil {
		// gorilla has answered (400/403/405/426/500).
		srv.log.Debug("websocket upgrade failed", "err", err, "remote", r.RemoteAddr)
		s.closeWith(ReasonTransportError, closeError, 0)
		return
	}
	ws := newWSConn(s, conn, u)
	s.mu.Lock()
	closed := s.closed // by the handler's Open, or a heartbeat already
	if !closed {
		s.ws = ws
	}
	s.mu.Unlock()
	if closed || !ws.run() {
		s.closeWith(ReasonShuttingDown, closeError, 0)
		_ = conn.Close()
	}
}

// serveUpgrade handles a WebSocket request for an existing session: the
// polling → WebSocket upgrade, or a duplicate that is accepted then closed.
func (srv *Server) serveUpgrade(w http.ResponseWriter, r *http.Request, s *Session) {
	if r.Method != http.MethodGet || !websocket.IsWebSocketUpgrade(r) {
		writeError(w, http.StatusBadRequest, codeBadRequest)
		return
	}
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		writeError(w, http.StatusBadRequest, codeUnknownSID)
		return
	}
	conn, u, err := srv.upgrade(w, r, nil)
	if err != nil {
		s.debug("websocket upgrade failed", "err", err)
		return
	}
	ws := newWSConn(s, conn, u)
	s.mu.Lock()
	ok := !s.closed && s.transport == transportPolling && s.probe == nil
	if ok {
		s.probe = ws
		gen := s.upgradeGen + 1
		s.upgradeGen = gen
		s.upgradeTimer = time.AfterFunc(srv.opts.UpgradeTimeout, func() {
			s.safely(func() { s.cancelUpgrade(ws, gen) })
		})
	} else {
		ws.closeLocked(websocket.ClosePolicyViolation, "duplicate transport", false)
	}
	s.mu.Unlock()
	if !ws.run() {
		_ = conn.Close()
	}
}

// readBufferSize is the size of a WebSocket connection's read buffer: frames are read through
// 260 bytes (not the hijacked 4 KiB), so a connection costs less; a larger message just
// takes more reads (gorilla reads a payload longer than the buffer straight into the message).
const readBufferSize = 260

// upgrade answers the WebSocket handshake, with first (a complete frame, or nil) written in the
// same write as the 101 response. gorilla reads the connection through a reader of our own, so
// the connection's reader can see whether a frame is already buffered before it parks the socket
// in the idle poller.
func (srv *Server) upgrade(w http.ResponseWriter, r *http.Request, first []byte) (*websocket.Conn, *hijacker, error) {
	h := &hijacker{ResponseWriter: w, first: first}
	c, err := srv.upgrader.Upgrade(h, r, nil)
	if err != nil {
		return nil, nil, err
	}
	return c, h, nil
}

// hijacker hands gorilla the hijacked connection with a read buffer of readBufferSize (gorilla
// uses the hijacked reader when its own ReadBufferSize is 0 and the reader is over 256 bytes),
// and a net.Conn whose first write (gorilla's 101 response) carries the first frame too.
type hijacker struct {
	http.ResponseWriter
	first []byte
	raw   net.Conn      // the hijacked connection
	br    *bufio.Reader // gorilla's read buffer
}

func (h *hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil || brw.Reader.Buffered() > 0 {
		return c, brw, err // gorilla refuses data sent before the handshake completed
	}
	h.raw = c
	h.br = bufio.NewReaderSize(c, readBufferSize)
	var nc net.Conn = c
	if h.first != nil {
		nc = &firstWriteConn{Conn: c, first: h.first}
	}
	return nc, bufio.NewReadWriter(h.br, brw.Writer), nil
}

func (h *hijacker) Unwrap() http.ResponseWriter { return h.ResponseWriter }

// firstWriteConn appends first to its first write (one writev on TCP). That write is gorilla's
// 101 response, made by the handler before any other goroutine has the connection.
type firstWriteConn struct {
	net.Conn
	first []byte
}

func (c *firstWriteConn) Write(p []byte) (int, error) {
	first := c.first
	if first == nil {
		return c.Conn.Write(p)
	}
	c.first = nil
	bufs := net.Buffers{p, first}
	n, err := bufs.WriteTo(c.Conn)
	return int(min(n, int64(len(p)))), err
}

func validHeaderList(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-' || c == '_' || c == ',' || c == ' ':
		default:
			return false
		}
	}
	return true
}

// cloneRequest keeps what a handler may need of the handshake request.
func cloneRequest(r *http.Request) *http.Request {
	c := r.Clone(context.Background())
	c.Body = http.NoBody
	c.GetBody = nil
	c.ContentLength = 0
	return c
}

// goGroup counts the server's goroutines like sync.WaitGroup, except that one may start while
// Wait is already waiting: Wait then waits for it too. A parked WebSocket has no goroutine, so a
// heartbeat timer can start its writer from zero at the moment Close begins to wait, which a
// WaitGroup forbids (the race detector reports it).
type goGroup struct {
	mu   sync.Mutex
	n    int
	zero chan struct{} // made by a waiting Wait, closed when n drops to 0
}

// Go runs f in a new goroutine counted until it returns.
func (g *goGroup) Go(f func()) {
	g.mu.Lock()
	g.n++
	g.mu.Unlock()
	go func() {
		defer g.done()
		f()
	}()
}

func (g *goGroup) done() {
	g.mu.Lock()
	g.n--
	if g.n == 0 && g.zero != nil {
		close(g.zero)
		g.zero = nil
	}
	g.mu.Unlock()
}

// Wait returns once no counted goroutine is running.
func (g *goGroup) Wait() {
	for {
		g.mu.Lock()
		if g.n == 0 {
			g.mu.Unlock()
			return
		}
		if g.zero == nil {
			g.zero = make(chan struct{})
		}
		z := g.zero
		g.mu.Unlock()
		<-z
	}
}
