package engineio

import (
	"errors"
	"fmt"
	"net"
	"runtime"
	"runtime/debug"
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

// wsConn is one WebSocket connection of a session, with its two pumps.
type wsConn struct {
	s        *Session
	c        *websocket.Conn
	nc       net.Conn
	wake     chan struct{}
	readDone chan struct{}

	// guarded by s.mu
	direct    []outPacket // packets for this connection only (open, 3probe)
	ctrl      [][]byte    // complete control frames (pongs)
	closing   bool
	closeCode int // 0: no close frame
	closeText string
	closePkt  bool // send the Engine.IO close packet before the close frame
}

func newWSConn(s *Session, c *websocket.Conn) *wsConn {
	ws := &wsConn{
		s:        s,
		c:        c,
		nc:       c.NetConn(),
		wake:     make(chan struct{}, 1),
		readDone: make(chan struct{}),
	}
	c.SetReadLimit(s.srv.opts.MaxPayload)
	c.SetPingHandler(func(data string) error {
		f := appendFrameHeader(make([]byte, 0, 2+len(data)), opPong, len(data))
		f = append(f, data...)
		s.mu.Lock()
		if len(ws.ctrl) < maxPendingControl {
			ws.ctrl = append(ws.ctrl, f)
		}
		s.mu.Unlock()
		ws.signal()
		return nil
	})
	c.SetCloseHandler(func(int, string) error { return nil })
	return ws
}

func (ws *wsConn) signal() { signal(ws.wake) }

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
	ws.signal()
}

// run starts the reader and writer, unless the server is closed.
func (ws *wsConn) run() bool {
	srv := ws.s.srv
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.closed {
		return false
	}
	srv.wg.Go(ws.writeLoop)
	srv.wg.Go(ws.readLoop)
	return true
}

func (ws *wsConn) readLoop() {
	s := ws.s
	defer close(ws.readDone)
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("panic in websocket reader", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			s.closeWith(ReasonTransportError, closeError, websocket.CloseInternalServerErr)
		}
	}()
	for {
		mt, data, err := ws.c.ReadMessage()
		if err != nil {
			ws.readFailed(err)
			return
		}
		if !ws.handle(mt, data) {
			return
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
		s.log.Debug("websocket message too big")
		s.closeWith(ReasonTransportError, closeError, 0) // gorilla sent 1009
	default:
		// A protocol error was answered by gorilla (1002); a network error
		// leaves nothing to write to.
		s.log.Debug("websocket read failed", "err", err)
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
		s.dispatch(Message{Binary: true, Data: data})
		return true
	}
	if !utf8.Valid(data) {
		s.log.Debug("invalid UTF-8 in text frame")
		s.closeWith(ReasonParseError, closeError, websocket.CloseInvalidFramePayloadData)
		return false
	}
	p, err := parsePacket(data)
	if err != nil {
		s.log.Debug("invalid packet", "err", err)
		s.closeWith(ReasonParseError, closeError, websocket.ClosePolicyViolation)
		return false
	}
	return s.handlePackets([]packet{p})
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
		ws.direct = append(ws.direct, outPacket{typ: typePong, data: []byte("probe")})
		ws.signal()
		signal(s.pollWake)
		return true
	case mt == websocket.TextMessage && string(data) == "5" && s.probed:
		stopTimer(s.upgradeTimer)
		s.upgradeTimer = nil
		s.probe = nil
		s.probed = false
		s.ws = ws
		s.transport = transportWebSocket
		s.log.Debug("upgraded to websocket")
		ws.signal()
		signal(s.pollWake)
		return true
	default:
		s.log.Debug("unexpected packet during upgrade")
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
		s.log.Debug("upgrade timed out")
		s.cancelProbeLocked()
	}
}

// writeLoop is the only writer of the connection: it writes everything
// queued as frames in one writev, with a write deadline.
func (ws *wsConn) writeLoop() {
	s := ws.s
	defer ws.c.Close()
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("panic in websocket writer", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			s.closeWith(ReasonTransportError, closeError, 0)
		}
	}()
	var (
		q    []outPacket // queue taken from the session (recycled)
		hdr  []byte      // frame headers, referenced by bufs
		bufs net.Buffers
		all  net.Buffers // consumed by WriteTo; outside the loop so it is allocated once
		flat []byte      // one buffer for conns without writev
	)
	// A single write must stay atomic: gorilla's reader may write a close
	// frame (1002, 1009) concurrently. On a TCP conn, net.Buffers is one
	// writev under the fd's write lock; other conns (TLS, net.Pipe) would
	// get one Write per buffer, so flatten first.
	_, tcp := ws.nc.(*net.TCPConn)
	timeout := s.srv.opts.WriteTimeout
	for range ws.wake {
		// Let whatever else is ready run first (the reader still enqueueing the next broadcasts
		// of a burst): one writev then carries several messages. On a 10,000-receiver fan-out
		// with 16 messages in flight this doubled deliveries/s (docs/benchmarks.md).
		runtime.Gosched()
		s.mu.Lock()
		ctrl, direct := ws.ctrl, ws.direct
		ws.ctrl, ws.direct = nil, nil
		if s.ws == ws {
			q, s.queue = s.queue, q[:0]
			s.queueBytes = 0
			s.pingLeftQueueLocked()
		}
		closing, code, text, closePkt := ws.closing, ws.closeCode, ws.closeText, ws.closePkt
		s.mu.Unlock()

		need := (len(ctrl)+len(direct)+len(q)+1)*maxFrameHeader + 4 + len(text)
		if cap(hdr) < need {
			hdr = make([]byte, 0, need)
		}
		hdr = hdr[:0]
		bufs = bufs[:0]
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
		if len(bufs) > 0 {
			_ = ws.nc.SetWriteDeadline(time.Now().Add(timeout))
			var err error
			if tcp {
				all = bufs
				_, err = all.WriteTo(ws.nc)
			} else {
				flat = flat[:0]
				for _, b := range bufs {
					flat = append(flat, b...)
				}
				_, err = ws.nc.Write(flat)
				if cap(flat) > 64<<10 {
					flat = nil // don't pin a burst's worth of memory per idle conn
				}
			}
			clear(q)
			clear(bufs)
			if err != nil {
				s.log.Debug("websocket write failed", "err", err)
				s.closeWith(ReasonTransportError, closeError, 0)
				return
			}
		}
		if closing {
			if code != 0 {
				t := time.NewTimer(min(timeout, closeGrace))
				select {
				case <-ws.readDone:
				case <-t.C:
				}
				t.Stop()
			}
			return
		}
	}
}
