package socketio

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

const (
	stateConnecting int32 = iota
	stateConnected
	stateClosing // disconnecting handlers run; rooms still populated
	stateDisconnected
)

// maxBacklog bounds events received while connection handlers still run
// (middleware that called next from another goroutine).
const maxBacklog = 64

// Socket is one client's connection to one namespace.
type Socket struct {
	id, pid   string
	ns        *Namespace
	client    *Client
	hs        Handshake
	recovered bool
	offset    uint64 // recovery: last offset the client saw
	// ranMiddleware is set when middleware decides this connection.
	ranMiddleware bool
	state         atomic.Int32
	rooms         map[string]struct{} // guarded by ns.mu
	roomOrder     []string            // the rooms in the order joined (socket.rooms is a Set); guarded by ns.mu

	mu              sync.Mutex
	ready           bool
	backlog         []func()
	handlers        []eventHandler // in registration order; a slice: a socket has a few, and a map cost an idle socket ~300 bytes
	anyHandlers     []func(*Event)
	onDisconnecting []func(reason string)
	onDisconnect    []func(reason string)
	data            map[string]any
	acks            map[int64]*pendingAck
	acksClosed      bool
	limiter         bucket
	delays          []func() // DelayConnect releases still pending
}

type eventHandler struct {
	event string
	fn    func(*Event)
}

type pendingAck struct {
	timer *time.Timer
	done  func(Payload, error)
}

// newID returns 128 random bits, URL-safe base64.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func newSocket(ns *Namespace, c *Client, auth json.RawMessage) *Socket {
	s := &Socket{
		id:      newID(),
		ns:      ns,
		client:  c,
		hs:      c.hs,
		rooms:   make(map[string]struct{}),
		limiter: newBucket(ns.srv.opts),
	}
	s.hs.Auth = auth
	if ns.rec != nil {
		s.pid = newID()
	}
	return s
}

func (s *Socket) restore(sess *session, offset uint64) {
	s.id, s.pid, s.recovered, s.offset = sess.sid, sess.pid, true, offset
	for _, r := range sess.rooms {
		s.addRoomLocked(r)
	}
	if len(sess.data) > 0 {
		s.data = maps.Clone(sess.data)
	}
}

// fresh gives up a recovery: new identity, no restored rooms or data.
func (s *Socket) fresh() {
	s.id, s.pid, s.recovered = newID(), newID(), false
	s.clearRoomsLocked()
	s.mu.Lock()
	clear(s.data)
	s.mu.Unlock()
}

// ID is the socket id, also the name of its own room.
func (s *Socket) ID() string { return s.id }

// Namespace is the socket's namespace.
func (s *Socket) Namespace() *Namespace { return s.ns }

// Handshake describes the connection; Auth is this namespace's CONNECT
// payload.
func (s *Socket) Handshake() Handshake { return s.hs }

// Transport is the connection's current transport.
func (s *Socket) Transport() string { return s.client.conn.Transport() }

// Connected reports whether the socket is connected; like JavaScript's
// socket.connected it is still true in disconnecting handlers.
func (s *Socket) Connected() bool {
	st := s.state.Load()
	return st == stateConnected || st == stateClosing
}

// Recovered reports whether the connection state was recovered.
func (s *Socket) Recovered() bool { return s.recovered }

// Set stores per-socket data (socket.data.key = value); it survives a
// recovered disconnection.
func (s *Socket) Set(key string, value any) {
	s.mu.Lock()
	if s.data == nil {
		s.data = make(map[string]any)
	}
	s.data[key] = value
	s.mu.Unlock()
}

// Get returns per-socket data.
func (s *Socket) Get(key string) (any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.data[key]
	return v, ok
}

// On registers a handler for an event sent by the client.
func (s *Socket) On(event string, fn func(*Event)) {
	s.mu.Lock()
	s.handlers = append(s.handlers, eventHandler{event, fn})
	s.mu.Unlock()
}

// OnAny registers a handler for every event, run before the event's own
// handlers.
func (s *Socket) OnAny(fn func(*Event)) {
	s.mu.Lock()
	s.anyHandlers = append(s.anyHandlers, fn)
	s.mu.Unlock()
}

// OnDisconnecting registers a handler run just before the socket leaves
// its rooms (socket.rooms still populated).
func (s *Socket) OnDisconnecting(fn func(reason string)) {
	s.mu.Lock()
	s.onDisconnecting = append(s.onDisconnecting, fn)
	s.mu.Unlock()
}

// OnDisconnect registers a handler run once the socket has disconnected,
// with a reason of protocol.md §3.5.
func (s *Socket) OnDisconnect(fn func(reason string)) {
	s.mu.Lock()
	s.onDisconnect = append(s.onDisconnect, fn)
	s.mu.Unlock()
}

// Rooms returns the socket's rooms in the order it joined them, as socket.io's socket.rooms (a
// Set) lists them: its own id first unless a middleware joined rooms before the connection.
func (s *Socket) Rooms() []string {
	s.ns.mu.Lock()
	defer s.ns.mu.Unlock()
	return s.roomsLocked()
}

func (s *Socket) roomsLocked() []string { return slices.Clone(s.roomOrder) }

func (s *Socket) addRoomLocked(r string) {
	if _, in := s.rooms[r]; !in {
		s.rooms[r] = struct{}{}
		s.roomOrder = append(s.roomOrder, r)
	}
}

func (s *Socket) removeRoomLocked(r string) {
	if _, in := s.rooms[r]; in {
		delete(s.rooms, r)
		s.roomOrder = slices.DeleteFunc(s.roomOrder, func(x string) bool { return x == r })
	}
}

func (s *Socket) clearRoomsLocked() {
	clear(s.rooms)
	s.roomOrder = nil
}

// Join adds the socket to rooms. It fails without joining any when a name
// is empty or longer than 255 bytes (ErrInvalidName), when the socket would
// be in more than MaxRoomsPerSocket rooms besides its own
// (ErrLimitExceeded), or after disconnection (ErrDisconnected). Joins made
// by middleware take effect when the connection is accepted.
func (s *Socket) Join(rooms ...string) error {
	for _, r := range rooms {
		if r == "" || len(r) > maxNameLen {
			return ErrInvalidName
		}
	}
	ns := s.ns
	ns.mu.Lock()
	st := s.state.Load()
	if st != stateConnecting && st != stateConnected {
		ns.mu.Unlock()
		return ErrDisconnected
	}
	var added []string
	for _, r := range rooms {
		if _, in := s.rooms[r]; !in && !containsStr(added, r) {
			added = append(added, r)
		}
	}
	n := len(s.rooms) + len(added)
	if _, own := s.rooms[s.id]; own {
		n--
	}
	if containsStr(added, s.id) {
		n--
	}
	if n > ns.srv.opts.MaxRoomsPerSocket {
		ns.mu.Unlock()
		return ErrLimitExceeded
	}
	for _, r := range added {
		s.addRoomLocked(r)
		if st == stateConnected {
			ns.addToRoomLocked(r, s)
		}
	}
	ns.mu.Unlock()
	if st == stateConnected {
		for _, r := range added {
			if ns.srv.log.Enabled(context.Background(), slog.LevelInfo) {
				ns.srv.log.Info("joined room", "nsp", ns.name, "sid", s.id, "room", truncate([]byte(r)))
			}
			ns.srv.tap.publish(TapEvent{Kind: TapJoin, Nsp: ns.name, Socket: s.id, Room: r, AckID: -1})
		}
	}
	return nil
}

func containsStr(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Leave removes the socket from a room.
func (s *Socket) Leave(room string) {
	ns := s.ns
	ns.mu.Lock()
	_, in := s.rooms[room]
	s.removeRoomLocked(room)
	connected := s.state.Load() == stateConnected
	if connected {
		ns.removeFromRoomLocked(room, s)
	}
	ns.mu.Unlock()
	if in && connected {
		if ns.srv.log.Enabled(context.Background(), slog.LevelInfo) {
			ns.srv.log.Info("left room", "nsp", ns.name, "sid", s.id, "room", truncate([]byte(room)))
		}
		ns.srv.tap.publish(TapEvent{Kind: TapLeave, Nsp: ns.name, Socket: s.id, Room: room, AckID: -1})
	}
}

// Emit sends an event to this socket only.
func (s *Socket) Emit(event string, args ...any) error {
	return (&SocketEmitter{s: s}).Emit(event, args...)
}

// EmitWithAck sends an event and waits for the client's acknowledgement
// (Options.AckTimeout unless Timeout is used).
func (s *Socket) EmitWithAck(ctx context.Context, event string, args ...any) (Payload, error) {
	return (&SocketEmitter{s: s}).EmitWithAck(ctx, event, args...)
}

// Timeout sets the acknowledgement timeout (socket.timeout(ms)); d <= 0 times out at once.
func (s *Socket) Timeout(d time.Duration) *SocketEmitter { return (&SocketEmitter{s: s}).Timeout(d) }

// Volatile marks the emit as droppable (socket.volatile).
func (s *Socket) Volatile() *SocketEmitter { return &SocketEmitter{s: s, volatile: true} }

// Broadcast targets every other socket of the namespace
// (socket.broadcast).
func (s *Socket) Broadcast() *Operator { return (&SocketEmitter{s: s}).Broadcast() }

// To targets the members of rooms, this socket excluded (socket.to(room)).
func (s *Socket) To(rooms ...string) *Operator { return (&SocketEmitter{s: s}).To(rooms...) }

// In is an alias of To.
func (s *Socket) In(rooms ...string) *Operator { return s.To(rooms...) }

// Except targets every other socket not in rooms.
func (s *Socket) Except(rooms ...string) *Operator { return (&SocketEmitter{s: s}).Except(rooms...) }

// Disconnect disconnects the socket from its namespace ("server namespace
// disconnect"); with close, the whole connection is closed.
func (s *Socket) Disconnect(close bool) {
	if close {
		s.client.disconnectAll()
		return
	}
	s.disconnect("server namespace disconnect")
}

// CloseConnection closes the socket's whole connection like a restart of the server
// (socket.conn.close() in npm socket.io): every socket of that client is closed with
// "transport close", no DISCONNECT packet is sent, and the client reconnects by itself.
func (s *Socket) CloseConnection() {
	s.client.unhold(true)
	s.client.teardown("transport close")
	s.client.conn.Close("transport close")
}

func (s *Socket) disconnect(reason string) {
	s.onclose(reason, true)
}

// SocketEmitter emits to one socket with flags (socket.timeout(ms),
// socket.volatile).
type SocketEmitter struct {
	s        *Socket
	volatile bool
	timeout  time.Duration
	timed    bool // Timeout was called: 0 or less times out at once
}

// Timeout sets the acknowledgement timeout (socket.timeout(ms)). As in socket.io, d <= 0 times
// out at once (the client still gets the event); without Timeout, Options.AckTimeout applies.
func (e *SocketEmitter) Timeout(d time.Duration) *SocketEmitter {
	c := *e
	c.timeout, c.timed = d, true
	return &c
}

// Volatile marks the emit as droppable.
func (e *SocketEmitter) Volatile() *SocketEmitter {
	c := *e
	c.volatile = true
	return &c
}

func (e *SocketEmitter) broadcast() *Operator {
	return &Operator{ns: e.s.ns, except: []string{e.s.id}, volatile: e.volatile, timeout: e.timeout, timed: e.timed, sender: e.s.id}
}

// Broadcast targets every other socket of the namespace.
func (e *SocketEmitter) Broadcast() *Operator { return e.broadcast() }

// To targets the members of rooms, the socket excluded.
func (e *SocketEmitter) To(rooms ...string) *Operator { return e.broadcast().To(rooms...) }

// Except targets every other socket not in rooms.
func (e *SocketEmitter) Except(rooms ...string) *Operator { return e.broadcast().Except(rooms...) }

// Emit sends an event to the socket. With recovery on it is stored and
// replayed after an unexpected disconnection, like a broadcast to the
// socket's own room.
func (e *SocketEmitter) Emit(event string, args ...any) error {
	op := &Operator{ns: e.s.ns, rooms: []string{e.s.id}, volatile: e.volatile, single: true}
	return op.Emit(event, args...)
}

// EmitWithAck sends an event and waits for the acknowledgement, the
// timeout or ctx. Do not call it from a handler of this client's events:
// that goroutine delivers the reply.
func (e *SocketEmitter) EmitWithAck(ctx context.Context, event string, args ...any) (Payload, error) {
	type result struct {
		p   Payload
		err error
	}
	ch := make(chan result, 1)
	id, err := e.emitAck(event, args, func(p Payload, err error) { ch <- result{p, err} })
	if err != nil {
		return Payload{}, err
	}
	select {
	case r := <-ch:
		return r.p, r.err
	case <-ctx.Done():
		e.s.resolveAck(id, Payload{}, ctx.Err())
		r := <-ch
		return r.p, r.err
	}
}

// EmitWithAckFunc sends an event now, in order with other emits, and
// returns at once; done is called exactly once with the acknowledgement,
// ErrTimeout or ErrDisconnected, on the goroutine that resolves it (the
// client's reader, a timer, or this one). For callers that must not block,
// such as an event loop. An error means the event was not sent and done
// will not be called.
func (e *SocketEmitter) EmitWithAckFunc(event string, done func(Payload, error), args ...any) error {
	_, err := e.emitAck(event, args, done)
	return err
}

func (e *SocketEmitter) emitAck(event string, args []any, done func(Payload, error)) (int64, error) {
	s := e.s
	open, atts, err := encodeArgs(event, args)
	if err != nil {
		return 0, err
	}
	timeout, atOnce := ackTimeout(e.timed, e.timeout, s.ns.srv.opts.AckTimeout)
	id := s.ns.ackSeq.Add(1) - 1
	if err := s.registerAck(id, timeout, done); err != nil {
		return 0, err
	}
	pkt := encodeDirect(typeEvent, s.ns.name, id, closeArgs(open, ""), atts)
	pkt.Volatile = e.volatile
	if err := s.client.send(pkt); err != nil {
		s.resolveAck(id, Payload{}, ErrDisconnected)
	} else {
		s.ns.observeOut(&Operator{single: true}, event, open, id, []*Socket{s})
		if atOnce {
			s.resolveAck(id, Payload{}, ErrTimeout)
		}
	}
	return id, nil
}

// ackTimeout returns the timer for an acknowledgement and whether it times out at once: an
// explicit timeout of 0 or less does, as setTimeout(cb, 0) fires before any reply can arrive in
// socket.io (Node runs it 1 ms later, so a loopback reply can race it; the hub never waits);
// without one, the server's default applies.
func ackTimeout(timed bool, d, def time.Duration) (timer time.Duration, atOnce bool) {
	switch {
	case !timed:
		return def, false
	case d <= 0:
		return def, true // the timer only backs the immediate resolution up
	}
	return d, false
}

func (s *Socket) registerAck(id int64, timeout time.Duration, done func(Payload, error)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.acksClosed || s.state.Load() != stateConnected {
		return ErrDisconnected
	}
	if len(s.acks) >= s.ns.srv.opts.MaxPendingAcks {
		return ErrTooManyPendingAcks
	}
	pa := &pendingAck{done: done}
	pa.timer = time.AfterFunc(timeout, func() {
		defer s.ns.srv.recoverPanic("ack timeout")
		s.resolveAck(id, Payload{}, ErrTimeout)
	})
	if s.acks == nil {
		s.acks = make(map[int64]*pendingAck)
	}
	s.acks[id] = pa
	return nil
}

// resolveAck resolves a pending ack once; it reports whether id was
// pending.
func (s *Socket) resolveAck(id int64, p Payload, err error) bool {
	s.mu.Lock()
	pa, ok := s.acks[id]
	delete(s.acks, id)
	s.mu.Unlock()
	if !ok {
		return false
	}
	pa.timer.Stop()
	pa.done(p, err)
	return true
}

// Event is an event received from a client.
type Event struct {
	Name string
	// Numeric: the client sent a number as the event name (42[7,"x"]), which Name holds as
	// JavaScript writes it ("7"); socket.io's onAny gets the number, and socket.on("7") runs.
	Numeric bool
	Payload
	socket *Socket
	id     int64
	acked  atomic.Bool
}

// Socket is the socket that received the event.
func (e *Event) Socket() *Socket { return e.socket }

// HasAck reports whether the client waits for an acknowledgement.
func (e *Event) HasAck() bool { return e.id >= 0 }

// Ack answers the client's acknowledgement callback with args (encoded
// like Emit's); only the first call sends.
func (e *Event) Ack(args ...any) error {
	if e.id < 0 {
		return ErrNoAck
	}
	open, atts, err := encodeAckArgs(args)
	if err != nil {
		return err
	}
	if !e.acked.CompareAndSwap(false, true) {
		return ErrAlreadyAcked
	}
	return e.socket.sendAck(e.id, closeArgs(open, ""), atts)
}

// AckError answers the acknowledgement with {"error": err.Error()}, the
// convention for rejected requests (e.g. ErrLimitExceeded from Join).
func (e *Event) AckError(err error) error {
	return e.Ack(map[string]string{"error": err.Error()})
}

func (s *Socket) sendAck(id int64, data []byte, atts [][]byte) error {
	if s.state.Load() != stateConnected {
		return ErrDisconnected
	}
	if err := s.client.send(encodeDirect(typeAck, s.ns.name, id, data, atts)); err != nil {
		return ErrDisconnected
	}
	if s.ns.srv.tap.active() {
		s.ns.srv.tap.publish(TapEvent{Kind: TapAckOut, Nsp: s.ns.name, Socket: s.id, AckID: id, Args: argsOf(data, 0)})
	}
	return nil
}

// ackError answers a client ack id with {"error": msg}; no-op without id.
func (s *Socket) ackError(id int64, msg string) {
	if id < 0 {
		return
	}
	data, _ := marshalNoEscape([]map[string]string{{"error": msg}})
	_ = s.sendAck(id, data, nil)
}

func (s *Socket) onPacket(d *decoded, atts [][]byte) {
	if d.typ == typeDisconnect { // leaving is never rate limited
		s.onclose("client namespace disconnect", false)
		return
	}
	s.mu.Lock()
	ok, kick := s.limiter.allow(time.Now())
	s.mu.Unlock()
	if kick {
		s.ns.srv.log.Info("too many requests", "nsp", s.ns.name, "sid", s.id)
		s.onclose("too many requests", true)
		return
	}
	if !ok {
		if d.typ == typeEvent || d.typ == typeBinaryEvent {
			s.ackError(d.id, "too many requests")
		}
		return
	}
	switch d.typ {
	case typeEvent, typeBinaryEvent:
		s.onEvent(d, atts)
	case typeAck, typeBinaryAck:
		if d.shape != "" { // dropped: the pending ack times out
			return
		}
		p := d.args(0)
		p.Attachments = atts
		if s.resolveAck(d.id, p, nil) && s.ns.srv.tap.active() {
			s.ns.srv.tap.publish(TapEvent{Kind: TapAckIn, Nsp: s.ns.name, Socket: s.id, AckID: d.id, Args: p.Args})
		}
	}
}

func (s *Socket) onEvent(d *decoded, atts [][]byte) {
	if d.shape != "" {
		s.ns.srv.log.Debug("event rejected", "nsp", s.ns.name, "sid", s.id, "err", d.shape)
		s.ns.srv.tap.publish(TapEvent{Kind: TapEventIn, Nsp: s.ns.name, Socket: s.id, AckID: d.id, Err: d.shape})
		s.ackError(d.id, d.shape)
		return
	}
	p := d.args(1)
	p.Attachments = atts
	e := &Event{Name: d.name, Numeric: d.numericName, Payload: p, socket: s, id: d.id}
	s.mu.Lock()
	if !s.ready {
		if len(s.backlog) < maxBacklog {
			s.backlog = append(s.backlog, func() { s.deliver(e) })
		}
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	s.deliver(e)
}

func (s *Socket) deliver(e *Event) {
	if s.state.Load() != stateConnected {
		return
	}
	var buf [4]func(*Event)
	hs := buf[:0]
	s.mu.Lock()
	for _, h := range s.handlers {
		if h.event == e.Name {
			hs = append(hs, h.fn)
		}
	}
	any := s.anyHandlers
	s.mu.Unlock()
	unhandled := len(hs) == 0 && len(any) == 0
	if s.ns.srv.tap.active() {
		s.ns.srv.tap.publish(TapEvent{Kind: TapEventIn, Nsp: s.ns.name, Socket: s.id, Event: e.Name, Args: tapArgs(e.Args, s.ns.hiddenInTap()), AckID: e.id, Unhandled: unhandled})
	}
	if unhandled {
		// As in socket.io: an event nobody listens for is dropped, and an ack it asked for is
		// never sent (the client's timeout, if any, fires).
		if s.ns.srv.log.Enabled(context.Background(), slog.LevelDebug) {
			s.ns.srv.log.Debug("event without a handler", "nsp", s.ns.name, "sid", s.id, "event", truncate([]byte(e.Name)))
		}
		return
	}
	for _, fn := range any {
		fn(e)
	}
	for _, fn := range hs {
		fn(e)
	}
}

// markReady delivers events that arrived while connection handlers ran.
func (s *Socket) markReady() {
	for {
		s.mu.Lock()
		if len(s.backlog) == 0 {
			s.ready = true
			s.mu.Unlock()
			return
		}
		b := s.backlog
		s.backlog = nil
		s.mu.Unlock()
		for _, f := range b {
			f()
		}
	}
}

// recoverable reasons keep the session for connection state recovery
// (protocol.md §3.8); "slow" is our transport's slow-consumer close.
var recoverable = map[string]bool{
	"transport error": true, "transport close": true, "forced close": true,
	"ping timeout": true, "server shutting down": true, "forced server close": true,
	"slow": true,
}

// onclose disconnects the socket once: pending acks fail, disconnecting
// handlers run, the session is kept for recovery if the reason allows, rooms
// are left, then disconnect handlers run. notify sends a DISCONNECT packet
// first (a server-side disconnect).
func (s *Socket) onclose(reason string, notify bool) {
	if !s.state.CompareAndSwap(stateConnected, stateClosing) {
		return
	}
	ns, c := s.ns, s.client
	sendFailed := false
	if notify {
		sendFailed = c.sendLocked(encodeDirect(typeDisconnect, ns.name, -1, nil, nil)) != nil
	}
	c.mu.Lock()
	if i := slices.Index(c.sockets, s); i >= 0 {
		c.sockets = slices.Delete(c.sockets, i, i+1)
	}
	c.mu.Unlock()

	s.mu.Lock()
	acks := s.acks
	s.acks, s.acksClosed = nil, true
	onDisconnecting, onDisconnect := s.onDisconnecting, s.onDisconnect
	s.backlog = nil
	s.mu.Unlock()
	s.releaseDelays() // the client sees the held CONNECT, then the DISCONNECT (if any)
	for _, pa := range acks {
		pa.timer.Stop()
		pa.done(Payload{}, ErrDisconnected)
	}
	for _, fn := range onDisconnecting {
		fn(reason)
	}

	ns.mu.Lock()
	rooms := s.roomsLocked()
	if ns.rec != nil && recoverable[reason] {
		s.mu.Lock()
		data := maps.Clone(s.data)
		s.mu.Unlock()
		ns.rec.save(&session{sid: s.id, pid: s.pid, rooms: rooms, data: data}, time.Now())
	}
	for _, r := range rooms {
		ns.removeFromRoomLocked(r, s)
	}
	s.clearRoomsLocked()
	delete(ns.sockets, s.id)
	s.state.Store(stateDisconnected)
	ns.mu.Unlock()

	ns.srv.log.Info("user disconnected", "nsp", ns.name, "sid", s.id, "transport", c.conn.Transport(), "reason", reason)
	if ns.srv.tap.active() {
		for _, r := range rooms {
			if r != s.id {
				ns.srv.tap.publish(TapEvent{Kind: TapLeave, Nsp: ns.name, Socket: s.id, Room: r, AckID: -1})
			}
		}
		ns.srv.tap.publish(TapEvent{Kind: TapDisconnect, Nsp: ns.name, Socket: s.id, Reason: reason, AckID: -1})
	}
	for _, fn := range onDisconnect {
		fn(reason)
	}
	ns.gc()
	if sendFailed {
		c.sendFailed()
	}
}
