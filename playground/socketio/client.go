package socketio

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Client is one Engine.IO connection carrying sockets of several
// namespaces. The transport calls OnText and OnBinary serially and Closed
// once.
type Client struct {
	srv    *Server
	conn   Conn
	hs     Handshake
	inSend atomic.Int32 // >0 while inside conn.Send (see Closed)
	// sendReason is the reason the first failed Send gave (see Conn.Send), if any.
	sendReason atomic.Pointer[string]

	mu         sync.Mutex
	closed     bool
	sockets    []*Socket       // one per namespace joined (a slice: a client joins a few; a map cost ~200 bytes)
	connecting map[string]bool // CONNECT in progress (middleware running); nil when none
	timer      *time.Timer
	// A binary packet awaiting its attachments: at most Options.MaxPacketBytes (binBytes, its
	// text included), for at most Options.AttachmentTimeout (binTimer).
	bin      *decoded
	binAtts  [][]byte
	binBytes int
	binTimer *time.Timer
	// transportReason is the reason of a Closed call made from inside Send.
	transportReason string
	connBucket      bucket

	// While holds > 0 (connection handlers run, see hold), packets for the client wait in held,
	// in order, so it observes a connection only once its handlers ran. holdMu is a leaf lock.
	holds  atomic.Int32
	holdMu sync.Mutex
	held   []*Packet
}

// maxHeld bounds the packets held for a client while connection handlers run; beyond it a send
// fails like a full transport queue.
const maxHeld = 1024

var errHeldFull = errors.New("socketio: too many packets while connection handlers run")

// hold makes packets for the client wait until the returned release is called (once; later
// calls do nothing). Holds nest: the packets go out, in order, when the last one is released.
func (c *Client) hold() (release func()) {
	c.holdMu.Lock()
	c.holds.Add(1)
	c.holdMu.Unlock()
	var once sync.Once
	return func() { once.Do(func() { c.unhold(false) }) }
}

// unhold releases one hold (all with every) and, when none is left, sends what was held. A
// failed send tears the client down afterwards, as a failed broadcast would.
func (c *Client) unhold(every bool) {
	c.holdMu.Lock()
	if c.holds.Load() == 0 || (!every && c.holds.Load() > 1) {
		if c.holds.Load() > 0 {
			c.holds.Add(-1)
		}
		c.holdMu.Unlock()
		return
	}
	held := c.held
	c.held = nil
	failed := false
	c.inSend.Add(1)
	for _, p := range held {
		failed = failed || c.conn.Send(p) != nil
	}
	c.inSend.Add(-1)
	c.holds.Store(0)
	c.holdMu.Unlock()
	if failed {
		c.sendFailed()
	}
}

// OnText handles one inbound Engine.IO text message (without the "4").
func (c *Client) OnText(text []byte) {
	c.mu.Lock()
	closed, awaiting := c.closed, c.bin != nil
	c.mu.Unlock()
	if closed {
		return
	}
	if awaiting {
		c.violation("parse error", "text message while awaiting attachments")
		return
	}
	d, err := decodePacket(bytes.Clone(text), c.srv.opts.MaxAttachments)
	if err != nil {
		c.violation("parse error", err.Error())
		return
	}
	if c.srv.log.Enabled(context.Background(), slog.LevelDebug) {
		c.srv.log.Debug("packet in", "nsp", d.nsp, "type", int(d.typ), "packet", truncate(text))
	}
	if d.attachments > 0 {
		if len(text) > c.srv.opts.MaxPacketBytes {
			c.violation(ReasonPacketTooLarge, fmt.Sprintf("binary packet text of %d bytes, over %d", len(text), c.srv.opts.MaxPacketBytes))
			return
		}
		c.mu.Lock()
		if !c.closed {
			c.bin, c.binAtts, c.binBytes = d, make([][]byte, 0, d.attachments), len(text)
			c.binTimer = time.AfterFunc(c.srv.opts.AttachmentTimeout, func() { c.attachmentsLate(d) })
		}
		c.mu.Unlock()
		return
	}
	c.dispatch(d, nil)
}

// Close reasons (Conn.Close) of a connection whose binary packet broke a limit; its sockets
// disconnect with "parse error". socket.io has neither limit: it holds a packet's attachments
// for as long as they take, each up to maxHttpBufferSize.
const (
	ReasonPacketTooLarge     = "message too big: binary packet over the size limit" // Options.MaxPacketBytes
	ReasonAttachmentsTimeout = "parse error: attachments did not arrive in time"    // Options.AttachmentTimeout
)

// attachmentsLate closes the connection if d still awaits attachments (AttachmentTimeout).
func (c *Client) attachmentsLate(d *decoded) {
	defer c.srv.recoverPanic("attachment timeout")
	c.mu.Lock()
	late, got := !c.closed && c.bin == d, len(c.binAtts)
	c.mu.Unlock()
	if late {
		c.violation(ReasonAttachmentsTimeout, fmt.Sprintf("%d of %d attachments after %v", got, d.attachments, c.srv.opts.AttachmentTimeout))
	}
}

// PendingBinary counts the binary packets the server's clients are receiving (text received,
// attachments still to come) and the bytes they hold: at most Options.MaxPacketBytes each, for
// at most Options.AttachmentTimeout.
func (srv *Server) PendingBinary() (packets, bytes int) {
	srv.mu.Lock()
	clients := make([]*Client, 0, len(srv.clients))
	for c := range srv.clients {
		clients = append(clients, c)
	}
	srv.mu.Unlock()
	for _, c := range clients {
		c.mu.Lock()
		if c.bin != nil {
			packets++
			bytes += c.binBytes
		}
		c.mu.Unlock()
	}
	return packets, bytes
}

// OnBinary handles one inbound binary attachment.
func (c *Client) OnBinary(data []byte) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	d := c.bin
	if d == nil {
		c.mu.Unlock()
		c.violation("parse error", "unexpected binary message")
		return
	}
	if total := c.binBytes + len(data); total > c.srv.opts.MaxPacketBytes {
		got := len(c.binAtts)
		c.mu.Unlock() // checked before keeping anything of data
		c.violation(ReasonPacketTooLarge, fmt.Sprintf("%d bytes with attachment %d of %d, over %d", total, got+1, d.attachments, c.srv.opts.MaxPacketBytes))
		return
	}
	c.binAtts = append(c.binAtts, bytes.Clone(data))
	c.binBytes += len(data)
	if len(c.binAtts) < d.attachments {
		c.mu.Unlock()
		return
	}
	atts := c.binAtts
	c.clearBinLocked()
	c.mu.Unlock()
	c.dispatch(d, atts)
}

// Closed tells the client its Engine.IO connection ended.
func (c *Client) Closed(reason string) {
	if c.inSend.Load() > 0 {
		// The transport closed the connection from inside our Send, while
		// a namespace may be locked: tear down on another goroutine (or in
		// sendFailed, whichever comes first), with the transport's reason.
		c.mu.Lock()
		if c.transportReason == "" {
			c.transportReason = reason
		}
		c.mu.Unlock()
		go func() {
			defer c.srv.recoverPanic("teardown")
			c.teardown(reason)
		}()
		return
	}
	c.teardown(reason)
}

func (c *Client) dispatch(d *decoded, atts [][]byte) {
	c.mu.Lock()
	s, pending := c.socketLocked(d.nsp), c.connecting[d.nsp]
	c.mu.Unlock()
	switch {
	case d.typ == typeConnect:
		if s != nil || pending {
			c.violation("invalid state", "duplicate CONNECT")
			return
		}
		c.connect(d)
	case d.typ == typeConnectError:
		c.violation("parse error", "CONNECT_ERROR from a client")
	case s == nil:
		c.violation("invalid state", "packet for a namespace not joined")
	default:
		s.onPacket(d, atts)
	}
}

func (c *Client) connect(d *decoded) {
	var auth json.RawMessage
	if d.data != nil {
		auth = json.RawMessage(d.data)
	}
	c.mu.Lock()
	ok, _ := c.connBucket.allow(time.Now())
	c.mu.Unlock()
	if !ok {
		c.connectError(d.nsp, &ConnectError{Message: "too many requests"})
		return
	}
	if d.shape != "" {
		c.connectError(d.nsp, &ConnectError{Message: "invalid payload"})
		return
	}
	if c.srv.namespaceCapReached(d.nsp) {
		c.connectError(d.nsp, &ConnectError{Message: "too many namespaces"})
		return
	}
	ns := c.srv.lookup(d.nsp, auth)
	if ns == nil {
		c.connectError(d.nsp, &ConnectError{Message: "Invalid namespace"})
		return
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		ns.connectDone()
		return
	}
	if c.connecting == nil {
		c.connecting = make(map[string]bool, 1)
	}
	c.connecting[d.nsp] = true
	c.mu.Unlock()
	ns.add(c, auth)
}

func (c *Client) connectError(nsp string, ce *ConnectError) {
	data, err := marshalNoEscape(ce)
	if err != nil {
		data, _ = marshalNoEscape(&ConnectError{Message: ce.Message})
	}
	c.send(encodeDirect(typeConnectError, nsp, -1, data, nil))
	c.srv.tap.publish(TapEvent{Kind: TapConnectError, Nsp: nsp, AckID: -1, Err: ce.Message})
	c.srv.log.Debug("connect error", "nsp", nsp, "err", ce.Message)
}

// send hands p to the transport; on failure the client is torn down.
func (c *Client) send(p *Packet) error {
	err := c.sendLocked(p)
	if err != nil {
		c.sendFailed()
	}
	return err
}

// sendLocked may be called with namespace locks held: it never tears down.
func (c *Client) sendLocked(p *Packet) error {
	if c.holds.Load() > 0 {
		c.holdMu.Lock()
		if c.holds.Load() > 0 {
			defer c.holdMu.Unlock()
			if len(c.held) >= maxHeld {
				return errHeldFull
			}
			c.held = append(c.held, p)
			return nil
		}
		c.holdMu.Unlock()
	}
	c.inSend.Add(1)
	err := c.conn.Send(p)
	c.inSend.Add(-1)
	if err != nil { // r is declared here: its address escapes, and a send that succeeds allocates nothing
		var r interface{ Reason() string }
		if errors.As(err, &r) {
			reason := r.Reason()
			c.sendReason.CompareAndSwap(nil, &reason)
		}
	}
	return err
}

// sendFailed treats a failed Send as a lost transport.
func (c *Client) sendFailed() {
	c.mu.Lock()
	reason := c.transportReason
	c.mu.Unlock()
	if r := c.sendReason.Load(); reason == "" && r != nil {
		reason = *r
	}
	if reason == "" {
		reason = "transport error"
	}
	c.teardown(reason)
	c.conn.Close(reason)
}

// clearBinLocked forgets the binary packet in progress. Called with c.mu held.
func (c *Client) clearBinLocked() {
	if c.binTimer != nil {
		c.binTimer.Stop()
	}
	c.bin, c.binAtts, c.binBytes, c.binTimer = nil, nil, 0, nil
}

// violation closes the connection (Conn.Close(reason)) after a protocol violation or a broken
// limit; nothing more is dispatched.
func (c *Client) violation(reason, detail string) {
	c.srv.log.Debug("protocol violation", "reason", reason, "err", truncate([]byte(detail)))
	sockReason := "parse error"
	if reason == "invalid state" {
		sockReason = "forced server close"
	}
	c.teardown(sockReason)
	c.conn.Close(reason)
}

func (c *Client) connectTimeout() {
	defer c.srv.recoverPanic("connect timeout")
	c.mu.Lock()
	idle := !c.closed && len(c.sockets) == 0
	c.mu.Unlock()
	if idle {
		c.srv.log.Debug("no namespace joined in time", "transport", c.conn.Transport())
		c.teardown("forced server close")
		c.conn.Close("forced server close")
	}
}

// connectedLocked forgets nsp's CONNECT in progress and, with s (the namespace joined), stops
// the connect timeout (socket.io clears it at the first namespace). Called with c.mu held.
func (c *Client) connectedLocked(nsp string, s *Socket) {
	delete(c.connecting, nsp)
	if len(c.connecting) == 0 {
		c.connecting = nil // an idle client keeps no map
	}
	if s == nil {
		return
	}
	c.sockets = append(c.sockets, s)
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
}

// socketLocked returns the client's socket on namespace nsp, or nil. Called with c.mu held.
func (c *Client) socketLocked(nsp string) *Socket {
	for _, s := range c.sockets {
		if s.ns.name == nsp {
			return s
		}
	}
	return nil
}

// teardown closes every socket of the client once.
func (c *Client) teardown(reason string) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	socks := make([]*Socket, 0, len(c.sockets))
	for _, s := range c.sockets {
		socks = append(socks, s)
	}
	c.clearBinLocked()
	if c.timer != nil {
		c.timer.Stop()
	}
	c.mu.Unlock()
	c.holdMu.Lock()
	c.held = nil // the connection is gone: nothing held is sent
	c.holdMu.Unlock()
	c.srv.removeClient(c)
	sort.Slice(socks, func(i, j int) bool { return socks[i].ns.name < socks[j].ns.name })
	for _, s := range socks {
		s.onclose(reason, false)
	}
}

// disconnectAll disconnects every socket with "server namespace disconnect"
// and closes the connection (socket.disconnect(true)).
func (c *Client) disconnectAll() {
	c.mu.Lock()
	socks := make([]*Socket, 0, len(c.sockets))
	for _, s := range c.sockets {
		socks = append(socks, s)
	}
	c.mu.Unlock()
	for _, s := range socks {
		s.disconnect("server namespace disconnect")
	}
	c.unhold(true) // a connection handler's disconnect(true): the client sees CONNECT, then DISCONNECT
	c.teardown("forced server close")
	c.conn.Close("forced close")
}

func (srv *Server) recoverPanic(where string) {
	if r := recover(); r != nil {
		srv.log.Error("panic recovered", "where", where, "err", r, "stack", string(debug.Stack()))
	}
}

// truncate shortens client input for logs (≤ 256 bytes).
func truncate(b []byte) string {
	if len(b) > 256 {
		return string(b[:256]) + "…"
	}
	return string(b)
}

// bucket is a socket's (or, for CONNECTs, a client's) inbound rate limit: a token bucket
// (golang.org/x/time/rate, read at explicit times so synctest's clock drives it). A breach lasting
// longer than kickAfter (excess packets at least once a second) asks for a disconnect.
type bucket struct {
	lim         *rate.Limiter // nil: no limit
	kickAfter   time.Duration
	breachStart time.Time
	lastReject  time.Time
}

func newBucket(o Options) bucket {
	if o.RateLimit < 0 {
		return bucket{}
	}
	return bucket{lim: rate.NewLimiter(rate.Limit(o.RateLimit), o.RateBurst), kickAfter: o.RateKickAfter}
}

func (b *bucket) allow(now time.Time) (ok, kick bool) {
	if b.lim == nil || b.lim.AllowN(now, 1) {
		return true, false
	}
	if b.breachStart.IsZero() || now.Sub(b.lastReject) > time.Second {
		b.breachStart = now
	}
	b.lastReject = now
	return false, now.Sub(b.breachStart) > b.kickAfter
}
