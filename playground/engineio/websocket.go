package engineio

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"runtime"
	"runtime/debug"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
)

// Writes: gorilla's API writes one frame per syscall (NextWriter,
// WritePreparedMessage) and cannot put many frames in one write. So the
// writer goroutine frames packets itself (server frames are unmasked and
// uncompressed) and writes everything queued with one net.Buffers writev on
// the underlying conn. gorilla only reads; its ping and close handlers are
// replaced so that it never writes behind our back, except the close frame
// it sends when a read fails (one complete write, harmless at teardown).

// maxPendingControl bounds pongs waiting for the writer (a ping flood).
const maxPendingControl = 8

// closeGrace bounds how long the writer waits for the peer's close frame.
const closeGrace = time.Second

// wsConn is one WebSocket connection of a session. Its reader goroutine lives as long as the
// connection; its writer goroutine runs only while there is something to write (kickLocked starts
// it, it ends when the queue is empty), so an idle connection costs one goroutine, not two. There
// is never more than one writer at a time.
type wsConn struct {
	s     *Session
	c     *websocket.Conn
	nc    net.Conn
	br    *bufio.Reader // gorilla's read buffer (nil: unknown)
	reads int           // messages read (reader goroutine only)

	// guarded by the idle poller's mu
	idleKey   int32 // its key in the poller (0: none yet)
	idleAdded bool  // in the poller's epoll set
	forgotten bool  // the writer closed the connection: never park it again

	// guarded by s.mu
	direct    []outPacket // packets for this connection only (open, 3probe)
	ctrl      [][]byte    // complete control frames (pongs)
	started   bool        // run has started the reader: writers may start
	writing   bool        // a writer goroutine is running
	yield     bool        // a broadcast was queued: let the rest of the burst be queued first
	ended     bool        // the writer has closed the connection: no writer starts again
	closing   bool
	closeCode int // 0: no close frame
	closeText string
	readEnded bool          // the reader has ended for good
	readDone  chan struct{} // closed when it does; made only when someone waits (awaitPeerClose)
	closePkt  bool          // send the Engine.IO close packet before the close frame
}

func newWSConn(s *Session, c *websocket.Conn, h *hijacker) *wsConn {
	ws := &wsConn{
		s:  s,
		c:  c,
		nc: h.raw,
		br: h.br,
	}
	c.SetReadLimit(s.srv.opts.MaxPayload)
	c.SetPingHandler(ws.onPing)
	c.SetCloseHandler(func(int, string) error { return nil })
	return ws
}

func (ws *wsConn) onPing(data string) error {
	f := appendFrameHeader(make([]byte, 0, 2+len(data)), opPong, len(data))
	f = append(f, data...)
	s := ws.s
	s.mu.Lock()
	if len(ws.ctrl) < maxPendingControl {
		ws.ctrl = append(ws.ctrl, f)
	}
	ws.kickLocked()
	s.mu.Unlock()
	return nil
}

// kickLocked starts the writer unless one is running (it will see what was just queued).
// Called with s.mu held. The reader is running (counted in srv.wg) whenever a writer can start:
// it only ends after the connection is closing, and the closing writer is the last one.
func (ws *wsConn) kickLocked() {
	if !ws.started || ws.writing || ws.ended {
		return
	}
	ws.writing = true
	ws.s.srv.wg.Go(ws.writeLoop)
}

// closeLocked asks the writer to finish with a close frame. Called with s.mu held.
func (ws *wsConn) closeLocked(code int, text string, closePkt bool) {
	if ws.closing {
		return
	}
	ws.closing = true
	ws.closeCode = code
	if len(text) > 123 {
		text = text[:123]
	}
	ws.closeText = text
	ws.closePkt = closePkt
	ws.kickLocked()
}

// run starts the reader, and the writer for what is already queued (the open packet, a close),
// unless the server is closed.
func (ws *wsConn) run() bool {
	srv := ws.s.srv
	srv.mu.Lock()
	if srv.closed {
		srv.mu.Unlock()
		return false
	}
	srv.wg.Go(ws.readLoop)
	srv.mu.Unlock()
	ws.s.mu.Lock()
	ws.started = true
	ws.kickLocked()
	ws.s.mu.Unlock()
	return true
}

// readLoop is the connection's reader. It ends when the connection does, or when it parks the
// connection in the server's idle poller, which starts a new readLoop once the socket is readable.
func (ws *wsConn) readLoop() {
	s := ws.s
	parked := false
	defer func() {
		if v := recover(); v != nil {
			s.logger().Error("panic in websocket reader", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			s.closeWith(ReasonTransportError, closeError, websocket.CloseInternalServerErr)
		}
		if !parked {
			s.mu.Lock()
			ws.readEnded = true
			if ws.readDone != nil {
				close(ws.readDone)
			}
			s.mu.Unlock()
		}
	}()
	for {
		mt, data, err := ws.c.ReadMessage()
		if err != nil {
			ws.readFailed(err)
			return
		}
		ws.reads++
		// Going idle after the first message (it ran the Socket.IO connect) or after a pong (an
		// idle connection's only traffic): the socket waits in the idle poller (Linux) and this
		// goroutine ends, so an idle connection has no goroutine at all. A busy connection pays
		// nothing; where parking is not possible (a pipe in tests, another OS) reading goes on.
		idle := ws.reads == 1 || (mt == websocket.TextMessage && len(data) == 1 && data[0] == typePong)
		if !ws.handle(mt, data) {
			return
		}
		if idle && ws.br != nil && ws.br.Buffered() == 0 {
			if _, ok := ws.nc.(syscall.Conn); ok { // a socket
				if p := s.srv.idlePoller(true); p != nil && p.park(ws) {
					parked = true
					return
				}
			}
		}
	}
}

func (ws *wsConn) readFailed(err error) {
	s := ws.s
	s.mu.Lock()
	if s.probe == ws {
		s.cancelProbeLocked()
		s.mu.Unlock()
		return
	}
	active := s.ws == ws
	s.mu.Unlock()
	if !active {
		return
	}
	var ce *websocket.CloseError
	switch {
	case errors.As(err, &ce):
		s.closeWith(ReasonTransportClose, closeError, websocket.CloseNormalClosure)
	case errors.Is(err, websocket.ErrReadLimit):
		s.debug("websocket message too big")
		s.closeWith(ReasonTransportError, closeError, 0) // gorilla sent 1009
	default:
		// A protocol error was answered by gorilla (1002); a network error
		// leaves nothing to write to.
		s.debug("websocket read failed", "err", err)
		s.closeWith(ReasonTransportError, closeError, 0)
	}
}

// handle processes one inbound message; false stops the reader.
func (ws *wsConn) handle(mt int, data []byte) bool {
	s := ws.s
	s.mu.Lock()
	probe, active := s.probe == ws, s.ws == ws && !s.closed
	s.mu.Unlock()
	if probe {
		return ws.handleProbe(mt, data)
	}
	if !active {
		return false
	}
	if mt == websocket.BinaryMessage {
		return s.deliverBinary(data)
	}
	if !utf8.Valid(data) {
		s.debug("invalid UTF-8 in text frame")
		s.closeWith(ReasonParseError, closeError, websocket.CloseInvalidFramePayloadData)
		return false
	}
	p, err := parsePacket(data)
	if err != nil {
		s.debug("invalid packet", "err", err)
		s.closeWith(ReasonParseError, closeError, websocket.ClosePolicyViolation)
		return false
	}
	return s.handlePackets([]packet{p}, false)
}

// handleProbe runs the upgrade on a probing connection: 2probe → 3probe
// (and a noop for the pending poll), then 5 switches the session over.
// Anything else cancels the upgrade (polling continues).
func (ws *wsConn) handleProbe(mt int, data []byte) bool {
	s := ws.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.probe != ws || s.closed {
		return false
	}
	switch {
	case mt == websocket.TextMessage && string(data) == "2probe" && !s.probed:
		s.probed = true
		s.signalDrainLocked() // a POST waiting for room is answered now (awaitRoom)
		ws.direct = append(ws.direct, outPacket{typ: typePong, data: []byte("probe")})
		ws.kickLocked()
		signal(s.pollWake)
		return true
	case mt == websocket.TextMessage && string(data) == "5" && s.probed:
		stopTimer(s.upgradeTimer)
		s.upgradeTimer = nil
		s.probe = nil
		s.probed = false
		s.ws = ws
		s.transport = transportWebSocket
		s.debug("upgraded to websocket")
		ws.kickLocked()
		signal(s.pollWake)
		return true
	default:
		s.debug("unexpected packet during upgrade")
		s.cancelProbeLocked()
		return false
	}
}

// cancelProbeLocked abandons an upgrade; polling continues.
func (s *Session) cancelProbeLocked() {
	if s.probe == nil {
		return
	}
	s.probe.closeLocked(websocket.CloseNormalClosure, "upgrade cancelled", false)
	s.probe = nil
	s.probed = false
	stopTimer(s.upgradeTimer)
	s.upgradeTimer = nil
	signal(s.pollWake)
}

func (s *Session) cancelUpgrade(ws *wsConn, gen uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.probe == ws && s.upgradeGen == gen {
		s.debug("upgrade timed out")
		s.cancelProbeLocked()
	}
}

// wsWriter is a writer's scratch space, kept in a pool between bursts rather than per connection.
type wsWriter struct {
	q    []outPacket // queue taken from the session
	hdr  []byte      // frame headers, referenced by bufs
	bufs net.Buffers
	all  net.Buffers // consumed by WriteTo
	flat []byte      // one buffer for conns without writev

	closing bool // this batch ends with the close (then the writer closes the connection)
	code    int  // its close frame's code (0: none)
}

var wsWriters = sync.Pool{New: func() any { return new(wsWriter) }}

// release returns w to the pool, unless a burst grew it beyond what is worth keeping.
func (w *wsWriter) release() {
	if cap(w.q) > 1024 || cap(w.hdr) > 64<<10 || cap(w.flat) > 64<<10 {
		return
	}
	clear(w.q)
	w.q = w.q[:0]
	wsWriters.Put(w)
}

// writeLoop is the only writer of the connection while it runs: it writes everything queued as
// frames in one writev, with a write deadline, until nothing is left; then it ends (or, once the
// connection is closing, writes the close and closes the connection).
//
// A writer starts on the minimum stack for each burst, so the loop keeps its own frame small and
// frames the batch in take, which returns before the write: the write path then fits in that
// stack, where a stack copy on every burst cost about a tenth of the acked-echo CPU.
func (ws *wsConn) writeLoop() {
	w := wsWriters.Get().(*wsWriter)
	defer ws.recoverWriter()
	for ws.take(w) {
		if err := ws.write(w); err != nil {
			ws.s.debug("websocket write failed", "err", err)
			ws.s.closeWith(writeFailReason(err), closeError, 0)
			w.release()
			ws.end()
			return
		}
		if w.closing {
			if w.code != 0 {
				ws.awaitPeerClose()
			}
			w.release()
			ws.end()
			return
		}
	}
	w.release()
}

func (ws *wsConn) recoverWriter() {
	if v := recover(); v != nil {
		ws.s.logger().Error("panic in websocket writer", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		ws.s.closeWith(ReasonTransportError, closeError, 0)
		ws.end()
	}
}

// end marks the writer finished for good and closes the connection (the reader then stops).
func (ws *wsConn) end() {
	ws.s.mu.Lock()
	ws.writing, ws.ended = false, true
	ws.s.mu.Unlock()
	if p := ws.s.srv.idlePoller(false); p != nil {
		p.forget(ws) // while the descriptor is still open
	}
	_ = ws.c.Close()
}

// awaitPeerClose gives the peer a moment to answer the close frame.
func (ws *wsConn) awaitPeerClose() {
	ws.s.mu.Lock()
	if ws.readEnded {
		ws.s.mu.Unlock()
		return
	}
	if ws.readDone == nil {
		ws.readDone = make(chan struct{})
	}
	done := ws.readDone
	ws.s.mu.Unlock()
	t := time.NewTimer(min(ws.s.srv.opts.WriteTimeout, closeGrace))
	select {
	case <-done:
	case <-t.C:
	}
	t.Stop()
}

// take moves what is queued for the connection into w and frames it in w.bufs. It reports false
// when there is nothing left: the writer is then done (ws.writing is cleared under the same lock,
// so the next enqueue starts a new writer).
func (ws *wsConn) take(w *wsWriter) bool {
	s := ws.s
	s.mu.Lock()
	if ws.yield {
		// A broadcast was queued: whoever is sending it (and the next ones of a burst) runs
		// first, so one writev carries several messages; again while the queue still grows,
		// at most 4 times. On a 10,000-receiver fan-out with 16 messages in flight, one yield
		// doubled deliveries/s and the repeat added 30-130 % more (docs/benchmarks.md).
		// Direct sends (acks) are written at once.
		for range 4 {
			ws.yield = false
			n := len(s.queue)
			s.mu.Unlock()
			runtime.Gosched()
			s.mu.Lock()
			if len(s.queue) == n {
				break
			}
		}
		ws.yield = false
	}
	ctrl, direct := ws.ctrl, ws.direct
	ws.ctrl, ws.direct = nil, nil
	q := w.q[:0]
	if s.ws == ws && len(s.queue) > 0 {
		q, s.queue = s.queue, q
		s.queueBytes = 0
		s.pingLeftQueueLocked()
		s.signalDrainLocked()
	}
	closing, code, text, closePkt := ws.closing, ws.closeCode, ws.closeText, ws.closePkt
	if !closing && len(ctrl)+len(direct)+len(q) == 0 {
		// Idle: the session keeps no queue array; the next burst starts a new writer.
		if s.ws == ws && cap(s.queue) > 0 {
			q, s.queue = s.queue, nil
		}
		ws.writing = false
		s.mu.Unlock()
		w.q = q
		return false
	}
	s.mu.Unlock()
	w.q, w.closing, w.code = q, closing, code

	need := (len(ctrl)+len(direct)+len(q)+1)*maxFrameHeader + 4 + len(text)
	if cap(w.hdr) < need {
		w.hdr = make([]byte, 0, need)
	}
	hdr := w.hdr[:0]
	bufs := w.bufs[:0]
	add := func(typ byte, bin bool, data []byte) {
		start := len(hdr)
		if bin {
			hdr = appendFrameHeader(hdr, opBinary, len(data))
		} else {
			hdr = appendFrameHeader(hdr, opText, len(data)+1)
			hdr = append(hdr, typ)
		}
		bufs = append(bufs, hdr[start:len(hdr):len(hdr)])
		if len(data) > 0 {
			bufs = append(bufs, data)
		}
	}
	for i := range direct { // the open packet must be the first frame
		add(direct[i].typ, direct[i].bin, direct[i].data)
	}
	for _, f := range ctrl {
		bufs = append(bufs, f)
	}
	for i := range q {
		if pm := q[i].pm; pm != nil {
			bufs = append(bufs, pm.wsFrame())
		} else {
			add(q[i].typ, q[i].bin, q[i].data)
		}
	}
	if closing {
		if closePkt {
			add(typeClose, false, nil)
		}
		if code != 0 {
			start := len(hdr)
			hdr = appendFrameHeader(hdr, opClose, 2+len(text))
			hdr = append(hdr, byte(code>>8), byte(code))
			hdr = append(hdr, text...)
			bufs = append(bufs, hdr[start:])
		}
	}
	w.hdr, w.bufs = hdr, bufs
	return true
}

// write writes w.bufs in one write, with a deadline, and clears the batch.
//
// A single write must stay atomic: gorilla's reader may write a close frame (1002, 1009)
// concurrently. On a TCP conn, net.Buffers is one writev under the fd's write lock; other conns
// (TLS, net.Pipe) would get one Write per buffer, so they get one flattened buffer.
func (ws *wsConn) write(w *wsWriter) error {
	var err error
	if len(w.bufs) > 0 {
		_ = ws.nc.SetWriteDeadline(time.Now().Add(ws.s.srv.opts.WriteTimeout))
		if _, tcp := ws.nc.(*net.TCPConn); tcp {
			w.all = w.bufs
			_, err = w.all.WriteTo(ws.nc)
		} else {
			flat := w.flat[:0]
			for _, b := range w.bufs {
				flat = append(flat, b...)
			}
			_, err = ws.nc.Write(flat)
			w.flat = flat
		}
	}
	clear(w.q)
	clear(w.bufs)
	w.bufs = w.bufs[:0]
	return err
}
