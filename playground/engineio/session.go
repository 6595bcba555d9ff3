package engineio

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Session is one Engine.IO connection (one sid), on polling or WebSocket.
type Session struct {
	srv *Server
	id  string
	req *http.Request // until Open returns (guarded by mu)
	// admKey is the client address the server's Admission counted this session for.
	admKey string

	// dmu serializes handler calls (Open, Message, Closed) for this session.
	// It is never held for I/O; s.mu is never held while calling the handler.
	dmu sync.Mutex

	mu         sync.Mutex
	h          SessionHandler
	transport  string
	closed     bool
	reason     string
	queue      []outPacket
	queueBytes int

	// heartbeat
	pingTimer, pongTimer *time.Timer
	pingDue              time.Time // when the next ping is scheduled
	pingSent             time.Time // when the last ping left the queue (GET answered, frame written)
	pingInQueue          bool
	hbGen                uint64
	hbStopped            bool // StopHeartbeat: no more pings, no pong deadline

	// polling
	getActive  bool
	postActive bool
	pollWake   chan struct{} // nil for a WebSocket-only session (signal on nil does nothing)
	pollReply  byte          // '1' or '6': what a GET gets once the session is closed
	lingering  bool          // closed, but the next GET still gets the queue and pollReply

	// websocket / upgrade
	ws           *wsConn // the active WebSocket (after the handshake or the upgrade)
	probe        *wsConn // a WebSocket being upgraded to
	probed       bool    // 2probe answered, waiting for 5
	upgradeTimer *time.Timer
	upgradeGen   uint64

	// backpressure (see awaitRoom)
	drained   chan struct{} // closed when a dispatcher waiting for room may go on
	heldSince time.Time     // when the waiting dispatcher began to wait (zero: none waits)
	held      time.Duration // time dispatchers waited since the last ping was queued or sent

	// handler-call bookkeeping (see deliver)
	dispatching   bool
	closedPending bool
}

type closeKind int

const (
	// closeGraceful: server-initiated; flush the queue, then Engine.IO close
	// "1" (WebSocket: then a close frame).
	closeGraceful closeKind = iota
	// closeError: drop the queue; a pending GET gets "1"; the WebSocket gets
	// a close frame with the code.
	closeError
	// closeClient: the client sent "1"; a pending GET gets "6".
	closeClient
)

func newSession(srv *Server, id string, r *http.Request, transport string) *Session {
	s := &Session{
		srv:       srv,
		id:        id,
		req:       cloneRequest(r),
		transport: transport,
	}
	if transport == transportPolling { // a WebSocket-only session never waits for a poll
		s.pollWake = make(chan struct{}, 1)
	}
	return s
}

// logger returns the server's logger with this session's sid. It is built when something is
// logged rather than kept: a logger per session costs an idle connection about 300 bytes.
func (s *Session) logger() *slog.Logger { return s.srv.log.With("sid", s.id) }

// debug logs at Debug level with the sid, when that level is on.
func (s *Session) debug(msg string, args ...any) {
	if s.srv.log.Enabled(context.Background(), slog.LevelDebug) {
		s.logger().Debug(msg, args...)
	}
}

// ID returns the session id (20 characters of URL-safe base64).
func (s *Session) ID() string { return s.id }

// Request returns a copy of the handshake request (without body) while the handler's Open runs,
// nil afterwards: a handler copies what it keeps (the Socket.IO layer keeps its handshake), so
// an idle session does not hold a whole request.
func (s *Session) Request() *http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.req
}

// Transport returns "polling" or "websocket"; it changes after an upgrade.
func (s *Session) Transport() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.transport
}

// start runs the handler's Open and starts the heartbeat (at the handshake).
func (s *Session) start() {
	s.dmu.Lock()
	defer s.dmu.Unlock()
	s.mu.Lock()
	s.dispatching = true
	if !s.closed {
		gen := s.hbGen
		s.pingDue = time.Now().Add(s.srv.opts.PingInterval)
		s.pingTimer = time.AfterFunc(s.srv.opts.PingInterval, func() { s.safely(func() { s.onPingTimer(gen) }) })
	}
	s.mu.Unlock()

	var sh SessionHandler
	panicked := s.call(func() {
		if s.srv.opts.Handler != nil {
			sh = s.srv.opts.Handler.Open(s)
		}
	})
	if sh == nil {
		sh = nopHandler{}
	}
	s.mu.Lock()
	s.h = sh
	s.req = nil
	s.finishCallLocked()
	pending, reason := s.takeClosedPendingLocked()
	s.mu.Unlock()
	if pending {
		s.notifyClosed(sh, reason)
	} else if panicked {
		s.closeWith(ReasonTransportError, closeError, websocket.CloseInternalServerErr)
	}
}

type nopHandler struct{}

func (nopHandler) Message(Message) {}
func (nopHandler) Closed(string)   {}

func (s *Session) finishCallLocked() { s.dispatching = false }

func (s *Session) takeClosedPendingLocked() (bool, string) {
	p := s.closedPending
	s.closedPending = false
	return p, s.reason
}

// call runs f (handler code), recovering and logging a panic.
func (s *Session) call(f func()) (panicked bool) {
	defer func() {
		if v := recover(); v != nil {
			panicked = true
			s.logger().Error("panic in session handler", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		}
	}()
	f()
	return false
}

// safely runs f on a goroutine we started (timer, pump): a panic closes
// only this session (1011) and is logged once.
func (s *Session) safely(f func()) {
	defer func() {
		if v := recover(); v != nil {
			s.logger().Error("panic in session goroutine", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			s.closeWith(ReasonTransportError, closeError, websocket.CloseInternalServerErr)
		}
	}()
	f()
}

// deliver hands m to the handler, unless the session is closed. Called with s.dmu held; false
// when the session is closed (then nothing more is delivered).
func (s *Session) deliver(m Message) bool {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return false
	}
	s.dispatching = true
	h := s.h
	s.mu.Unlock()

	panicked := s.call(func() { h.Message(m) })

	s.mu.Lock()
	s.finishCallLocked()
	pending, reason := s.takeClosedPendingLocked()
	s.mu.Unlock()
	if pending {
		s.notifyClosed(h, reason)
		return false
	}
	if panicked {
		s.closeWith(ReasonTransportError, closeError, websocket.CloseInternalServerErr)
		return false
	}
	return true
}

func (s *Session) notifyClosed(h SessionHandler, reason string) {
	s.debug("session closed", "reason", reason)
	if h == nil {
		return
	}
	s.call(func() { h.Closed(reason) })
}

// Send enqueues msgs atomically; it never blocks. On a closed session it
// returns ErrClosed; over the queue bound it closes the session ("slow") and
// returns ErrSlow (Closed follows on another goroutine, so Send may be
// called under a lock that Closed takes). The Data of msgs must not be
// modified afterwards.
func (s *Session) Send(msgs ...Message) error {
	s.mu.Lock()
	if s.closed {
		err := closedError{s.reason}
		s.mu.Unlock()
		return err
	}
	n := 0
	for _, m := range msgs {
		n += len(m.Data) + 1
	}
	if !s.fitsLocked(len(msgs), n) {
		s.mu.Unlock()
		s.shutdown(ReasonSlow, closeError, websocket.ClosePolicyViolation, true)
		return ErrSlow
	}
	for _, m := range msgs {
		s.queue = append(s.queue, outPacket{typ: typeMessage, bin: m.Binary, data: m.Data})
	}
	s.queueBytes += n
	s.wakeLocked()
	s.mu.Unlock()
	return nil
}

// SendPrepared enqueues the prepared messages atomically, sharing their
// encodings with every other recipient. Same contract as Send.
func (s *Session) SendPrepared(p *Prepared) error {
	s.mu.Lock()
	if s.closed {
		err := closedError{s.reason}
		s.mu.Unlock()
		return err
	}
	if !s.fitsLocked(len(p.msgs), p.bytes) {
		s.mu.Unlock()
		s.shutdown(ReasonSlow, closeError, websocket.ClosePolicyViolation, true)
		return ErrSlow
	}
	s.enqueuePreparedLocked(p)
	s.mu.Unlock()
	return nil
}

// enqueuePreparedLocked queues p's shared encodings and wakes the writer. Called with s.mu held,
// after fitsLocked.
func (s *Session) enqueuePreparedLocked(p *Prepared) {
	for i := range p.msgs {
		s.queue = append(s.queue, outPacket{typ: typeMessage, pm: &p.msgs[i]})
	}
	s.queueBytes += p.bytes
	if s.ws != nil {
		s.ws.yield = true
	}
	s.wakeLocked()
}

func (s *Session) fitsLocked(packets, bytes int) bool {
	return len(s.queue)+packets <= s.srv.opts.MaxQueuePackets && s.queueBytes+bytes <= s.srv.opts.MaxQueueBytes
}

// wakeLocked tells the current writer (WebSocket writer or pending GET).
func (s *Session) wakeLocked() {
	if s.ws != nil {
		s.ws.kickLocked()
		return
	}
	signal(s.pollWake)
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// Close closes the session: queued packets are flushed, then the Engine.IO
// close packet (WebSocket: then a close frame). Idempotent; never blocks.
// Closed(reason) follows on another goroutine.
func (s *Session) Close(reason string) {
	code := websocket.CloseNormalClosure
	switch {
	case reason == ReasonShuttingDown:
		code = websocket.CloseGoingAway
	case reason == ReasonSlow, isReason(reason, ReasonParseError):
		code = websocket.ClosePolicyViolation
	case isReason(reason, ReasonTooBig):
		code = websocket.CloseMessageTooBig
	}
	s.shutdown(reason, closeGraceful, code, true)
}

// isReason reports whether reason is base or base followed by ": detail" (the handler's precise
// reason, e.g. "parse error: attachments did not arrive in time").
func isReason(reason, base string) bool {
	rest, ok := strings.CutPrefix(reason, base)
	return ok && (rest == "" || strings.HasPrefix(rest, ": "))
}

// closeWith closes the session once; code is the WebSocket close code (0:
// none). Closed runs on this goroutine (one of ours, holding no user lock).
func (s *Session) closeWith(reason string, kind closeKind, code int) {
	s.shutdown(reason, kind, code, false)
}

// shutdown closes the session once. With async, Closed runs on a new
// goroutine: Send, SendPrepared and Close are called by user code that may
// hold the very locks its Closed takes (a broadcast over a room).
func (s *Session) shutdown(reason string, kind closeKind, code int, async bool) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.reason = reason
	s.hbGen++
	stopTimer(s.pingTimer)
	stopTimer(s.pongTimer)
	stopTimer(s.upgradeTimer)
	if kind != closeGraceful {
		clear(s.queue)
		s.queue = s.queue[:0]
		s.queueBytes = 0
	}
	s.signalDrainLocked()
	if ws := s.ws; ws != nil {
		ws.closeLocked(code, reason, kind == closeGraceful)
	}
	if p := s.probe; p != nil {
		p.closeLocked(websocket.CloseNormalClosure, reason, false)
		s.probe = nil
	}
	remove := true
	if s.transport == transportPolling {
		s.pollReply = typeClose
		if kind == closeClient {
			s.pollReply = typeNoop
		}
		if s.getActive {
			signal(s.pollWake)
		} else if kind != closeError {
			// Keep the sid for the next GET, so it still gets the queue and the close.
			s.lingering = true
			remove = false
			time.AfterFunc(s.srv.opts.PingTimeout, func() {
				s.safely(func() {
					s.mu.Lock()
					s.lingering = false
					clear(s.queue)
					s.queue = nil
					s.mu.Unlock()
					s.srv.remove(s)
				})
			})
		}
	}
	h := s.h
	// Closed is called after Open returned and after any running Message.
	notify := !s.dispatching && h != nil
	if !notify {
		s.closedPending = true
	}
	s.mu.Unlock()
	s.srv.released(s)
	if remove {
		s.srv.remove(s)
	}
	if notify {
		if async {
			go s.notifyClosed(h, reason)
		} else {
			s.notifyClosed(h, reason)
		}
	}
}

func stopTimer(t *time.Timer) {
	if t != nil {
		t.Stop()
	}
}

// StopHeartbeat stops pinging this session and forgets the pong it waits for, as if the
// server's side of the link had gone silent: the client, which hears no ping within
// pingInterval + pingTimeout, closes the connection itself with "ping timeout" (the server then
// sees "transport close"). It is the reconnection demo's frozen heartbeat.
func (s *Session) StopHeartbeat() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hbStopped = true
	s.hbGen++ // a timer already running finds itself stale
	stopTimer(s.pingTimer)
	stopTimer(s.pongTimer)
	s.pingTimer, s.pongTimer = nil, nil
	s.pingInQueue = false
	s.pingDue = time.Time{} // pongOverdueLocked: nothing is due
}

// onPingTimer sends a ping and waits PingTimeout for the pong.
func (s *Session) onPingTimer(gen uint64) {
	s.mu.Lock()
	if s.closed || gen != s.hbGen {
		s.mu.Unlock()
		return
	}
	if !s.fitsLocked(1, 1) {
		s.mu.Unlock()
		s.closeWith(ReasonSlow, closeError, websocket.ClosePolicyViolation)
		return
	}
	s.queue = append(s.queue, outPacket{typ: typePing})
	s.queueBytes++
	s.pingInQueue = true
	s.resetHeldLocked()
	s.wakeLocked()
	s.pongTimer = time.AfterFunc(max(time.Until(s.pongDeadlineLocked()), 0), func() {
		s.safely(func() { s.onPongTimeout(gen) })
	})
	s.mu.Unlock()
}

// pongDeadlineLocked: the pong is due PingTimeout after the ping was due
// (not when a late timer goroutine got to run) or, if later, after the ping
// actually left the queue: a loaded machine must not shorten the client's time.
//
// Time during which a dispatcher waited for room (backpressure) does not count: the server was
// not reading from the client then, and its pong may be waiting behind its requests (a client
// that reads nothing is closed as slow instead, see awaitRoom).
func (s *Session) pongDeadlineLocked() time.Time {
	base := s.pingDue
	if s.pingSent.After(base) {
		base = s.pingSent
	}
	held := s.held
	if !s.heldSince.IsZero() {
		held += time.Since(s.heldSince)
	}
	return base.Add(s.srv.opts.PingTimeout + held)
}

// resetHeldLocked starts counting backpressure time afresh, for the ping just queued or sent.
func (s *Session) resetHeldLocked() {
	s.held = 0
	if !s.heldSince.IsZero() {
		s.heldSince = time.Now()
	}
}

// pingLeftQueueLocked is called when a writer takes the queue.
func (s *Session) pingLeftQueueLocked() {
	if s.pingInQueue {
		s.pingInQueue = false
		s.pingSent = time.Now()
		s.resetHeldLocked()
	}
}

// pongOverdueLocked reports whether the pong deadline has passed, even if
// the timer goroutines have not run yet: a request arriving after the
// deadline must not find the session alive.
func (s *Session) pongOverdueLocked() bool {
	return !s.pingDue.IsZero() && !time.Now().Before(s.pongDeadlineLocked())
}

func (s *Session) onPongTimeout(gen uint64) {
	s.mu.Lock()
	stale := s.closed || gen != s.hbGen
	if !stale {
		// The ping left the queue late, or the server stopped reading for a while (backpressure).
		if wait := time.Until(s.pongDeadlineLocked()); wait > 0 {
			s.pongTimer = time.AfterFunc(wait, func() { s.safely(func() { s.onPongTimeout(gen) }) })
			stale = true
		}
	}
	s.mu.Unlock()
	if !stale {
		s.closeWith(ReasonPingTimeout, closeError, websocket.CloseNormalClosure)
	}
}

// onPong clears the pong wait and schedules the next ping PingInterval later.
func (s *Session) onPong() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.hbStopped {
		return
	}
	s.hbGen++
	gen := s.hbGen
	stopTimer(s.pongTimer)
	s.pongTimer = nil
	stopTimer(s.pingTimer)
	s.pingInQueue = false
	s.resetHeldLocked()
	s.pingDue = time.Now().Add(s.srv.opts.PingInterval)
	s.pingTimer = time.AfterFunc(s.srv.opts.PingInterval, func() { s.safely(func() { s.onPingTimer(gen) }) })
}

// handlePackets applies inbound packets of the active transport, in order. post is set for a
// polling POST (see awaitRoom). It reports false when the session was closed.
func (s *Session) handlePackets(pkts []packet, post bool) bool {
	// Validate everything first: an invalid packet closes the session with
	// nothing dispatched.
	for _, p := range pkts {
		switch p.typ {
		case typeMessage, typePong, typeClose, typeNoop:
		case typePing:
			s.debug("invalid heartbeat direction")
			s.closeWith(ReasonParseError, closeError, websocket.ClosePolicyViolation)
			return false
		default:
			s.debug("unexpected packet type", "type", string(p.typ))
			s.closeWith(ReasonParseError, closeError, websocket.ClosePolicyViolation)
			return false
		}
	}
	// The heartbeat does not wait for the messages before it (a POST may wait for room).
	for _, p := range pkts {
		if p.typ == typePong {
			s.onPong()
		}
	}
	s.dmu.Lock()
	return s.dispatch(pkts, post)
}

// dispatch applies pkts in order (messages to the handler, after waiting for room: awaitRoom),
// with s.dmu held; it unlocks s.dmu, or hands it (and the rest of pkts) to a goroutine of its own
// when a polling POST must not wait for room, and reports true then. It reports false when the
// session was closed.
func (s *Session) dispatch(pkts []packet, post bool) bool {
	locked := true
	defer func() {
		if locked {
			s.dmu.Unlock()
		}
	}()
	for i, p := range pkts {
		switch p.typ {
		case typeMessage:
			switch s.awaitRoom(post) {
			case roomClosed:
				return false
			case roomDetach:
				rest := slices.Clone(pkts[i:]) // a copy: captured, pkts would escape on every message
				srv := s.srv
				srv.mu.Lock()
				if !srv.closed { // as in wsConn.run: no wg.Go once Close may be waiting
					locked = false
					srv.wg.Go(func() { s.safely(func() { s.dispatch(rest, false) }) })
				}
				srv.mu.Unlock()
				return true
			}
			if !s.deliver(Message{Binary: p.binary, Data: p.data}) {
				return false
			}
		case typeClose:
			locked = false
			s.dmu.Unlock()
			s.closeWith(ReasonTransportClose, closeClient, websocket.CloseNormalClosure)
			return false
		}
	}
	return true
}

// deliverBinary delivers one binary WebSocket message, after waiting for room (awaitRoom).
func (s *Session) deliverBinary(data []byte) bool {
	return s.handlePackets([]packet{{typ: typeMessage, binary: true, data: data}}, false)
}

// Backpressure. A dispatcher (a WebSocket reader, a polling POST) waits, before it hands the
// handler the next message, while the outbound queue is above this fraction of its bound: what
// the client's own requests produce (acks, replies) then never fills the queue, however fast it
// sends, and the client is read only as fast as it reads. The rest of the bound is room for what
// one message produces and for broadcasts from others, which never wait: a full queue closes the
// session as slow. Other senders are not held back by a recipient's queue, so a storm of
// broadcasts from many fast senders can still fill the queue of a client that reads, only more
// slowly than they send (12 clients each sending 400 events to the other 11 at once did).
const highWaterDivisor = 4

// aboveHighWaterLocked reports whether a dispatcher must wait for the writer.
func (s *Session) aboveHighWaterLocked() bool {
	o := &s.srv.opts
	return len(s.queue) > o.MaxQueuePackets/highWaterDivisor || s.queueBytes > o.MaxQueueBytes/highWaterDivisor
}

// signalDrainLocked wakes a dispatcher waiting in awaitRoom: a writer took the queue, the session
// closed, or an upgrade paused polling.
func (s *Session) signalDrainLocked() {
	if s.drained != nil {
		close(s.drained)
		s.drained = nil
	}
}

// writeFailReason is the close reason for a failed write: a write that waited for the write
// deadline is a client that does not read ("slow"); anything else is the transport's failure.
func writeFailReason(err error) string {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return ReasonSlow
	}
	return ReasonTransportError
}

type roomResult int

const (
	roomOK     roomResult = iota // deliver the next message
	roomClosed                   // the session is closed
	roomDetach                   // a polling POST during an upgrade: go on without the request
)

// awaitRoom waits, before the next inbound message is delivered, while the outbound queue is above
// the high-water mark. A client that does not read, so that no writer takes its queue for
// WriteTimeout, is closed as slow (a WebSocket writer stuck that long fails on its write deadline
// first). Called with s.dmu held; nothing else is held, so nobody else waits.
//
// A polling POST (post) during an upgrade is answered without waiting (roomDetach): the client
// sends "5" only once its POST and GET have returned, and GETs stop getting the queue until then.
func (s *Session) awaitRoom(post bool) roomResult {
	var t *time.Timer
	defer func() {
		if t != nil {
			t.Stop()
			s.mu.Lock()
			s.held += time.Since(s.heldSince)
			s.heldSince = time.Time{}
			s.mu.Unlock()
		}
	}()
	for {
		s.mu.Lock()
		switch {
		case s.closed:
			s.mu.Unlock()
			return roomClosed
		case !s.aboveHighWaterLocked():
			s.mu.Unlock()
			return roomOK
		case post && s.probed:
			s.mu.Unlock()
			return roomDetach
		}
		if s.drained == nil {
			s.drained = make(chan struct{})
		}
		drained := s.drained
		if t == nil {
			s.heldSince = time.Now()
		}
		s.mu.Unlock()
		if t == nil {
			t = time.NewTimer(s.srv.opts.WriteTimeout)
		} else {
			t.Reset(s.srv.opts.WriteTimeout) // the writer took the queue: it reads
		}
		select {
		case <-drained:
		case <-t.C:
			s.debug("client does not read its replies")
			s.closeWith(ReasonSlow, closeError, websocket.ClosePolicyViolation)
			return roomClosed
		}
	}
}

// SendVolatile enqueues p only if the session can write it right away: nothing else is waiting
// to be written, no upgrade is in progress and, on polling, a GET is waiting. Otherwise p is
// dropped (sent false), like socket.io's volatile emits. It never closes the session as slow.
func (s *Session) SendVolatile(p *Prepared) (sent bool, err error) {
	s.mu.Lock()
	if s.closed {
		err := closedError{s.reason}
		s.mu.Unlock()
		return false, err
	}
	writable := len(s.queue) == 0 && s.probe == nil && (s.transport != transportPolling || s.getActive)
	if !writable || !s.fitsLocked(len(p.msgs), p.bytes) {
		s.mu.Unlock()
		return false, nil
	}
	s.enqueuePreparedLocked(p)
	s.mu.Unlock()
	return true, nil
}
