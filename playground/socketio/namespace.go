package socketio

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Middleware runs before a socket joins a namespace (nsp.use). It must call
// next exactly once: next(nil) continues, next(err) refuses the connection
// (use *ConnectError to send data). Later calls are ignored. Never calling
// next leaves the client waiting (until ConnectTimeout if it joined nothing
// else).
type Middleware func(s *Socket, next func(err error))

// ConnectError refuses a connection from middleware; the client gets
// connect_error with Message and Data.
type ConnectError struct {
	Message string `json:"message"`
	Data    any    `json:"data,omitempty"`
}

func (e *ConnectError) Error() string { return e.Message }

// Namespace is a communication channel with its own sockets, rooms,
// middleware and handlers (io.of(name)). A dynamic namespace (OfRegexp,
// OfFunc) has no sockets itself: it creates children, and its operators
// reach all of them.
type Namespace struct {
	srv    *Server
	name   string
	parent *Namespace
	rec    *recoveryStore // nil without recovery
	ackSeq atomic.Int64

	// dynamic parents only
	match    func(name string, auth json.RawMessage) bool
	regexp   bool                  // registered with OfRegexp: Of makes matching names children
	children map[string]*Namespace // guarded by srv.mu

	pending int // connections in progress, guarded by srv.mu

	// emitMu orders emits (offsets, recovery buffer, per-recipient order);
	// it is taken before mu.
	emitMu sync.Mutex

	mu         sync.Mutex
	sockets    map[string]*Socket
	rooms      map[string]map[string]*Socket
	middleware []Middleware
	onConnect  []func(*Socket)
	skipMW     int8                           // recovery: 1 skip middleware, -1 run it, 0 inherit
	tapHide    []string                       // HideInTap keys
	serverSide map[string][]ServerSideHandler // OnServerSideEmit

	adapterOnce sync.Once
	adapter     Adapter // nil: in-memory (set once, by cluster)
}

func newNamespace(srv *Server, name string, parent *Namespace) *Namespace {
	ns := &Namespace{
		srv:     srv,
		name:    name,
		parent:  parent,
		sockets: make(map[string]*Socket),
		rooms:   make(map[string]map[string]*Socket),
	}
	if ro := srv.opts.Recovery; ro != nil {
		ns.rec = newRecoveryStore(*ro)
	}
	return ns
}

// Name is the namespace name ("/orders"); for a dynamic namespace, its
// pattern.
func (ns *Namespace) Name() string { return ns.name }

// Use adds middleware, run in order for each connection.
func (ns *Namespace) Use(fn Middleware) {
	ns.mu.Lock()
	ns.middleware = append(ns.middleware, fn)
	ns.mu.Unlock()
}

// OnConnection registers a handler run for each connected socket
// (nsp.on("connection", ...)).
func (ns *Namespace) OnConnection(fn func(*Socket)) {
	ns.mu.Lock()
	ns.onConnect = append(ns.onConnect, fn)
	ns.mu.Unlock()
}

// RecoverySkipMiddlewares overrides RecoveryOptions.SkipMiddlewares for
// this namespace (and a dynamic namespace's children): a protected
// namespace passes false so its middleware runs again on recovery
// (reliability.md decision 4).
func (ns *Namespace) RecoverySkipMiddlewares(skip bool) {
	ns.mu.Lock()
	ns.skipMW = -1
	if skip {
		ns.skipMW = 1
	}
	ns.mu.Unlock()
}

func (ns *Namespace) skipMiddlewares() bool {
	ns.mu.Lock()
	v := ns.skipMW
	ns.mu.Unlock()
	switch {
	case v != 0:
		return v > 0
	case ns.parent != nil:
		return ns.parent.skipMiddlewares()
	}
	return ns.srv.opts.Recovery != nil && ns.srv.opts.Recovery.SkipMiddlewares
}

// handlers returns middleware and connection handlers: a child's parent's
// first, then its own.
func (ns *Namespace) handlers() ([]Middleware, []func(*Socket)) {
	var mw []Middleware
	var oc []func(*Socket)
	if ns.parent != nil {
		mw, oc = ns.parent.handlers()
	}
	ns.mu.Lock()
	defer ns.mu.Unlock()
	return append(mw, ns.middleware...), append(oc, ns.onConnect...)
}

func (ns *Namespace) connectDone() {
	ns.srv.mu.Lock()
	ns.pending--
	ns.srv.mu.Unlock()
}

// add runs the connection of client c to this namespace: recovery,
// middleware, then finishConnect.
func (ns *Namespace) add(c *Client, auth json.RawMessage) {
	s := newSocket(ns, c, auth)
	if ns.rec != nil && auth != nil {
		var ra struct {
			Pid    string `json:"pid"`
			Offset string `json:"offset"`
		}
		if json.Unmarshal(auth, &ra) == nil && ra.Pid != "" && ra.Offset != "" {
			if sess, seq, ok := ns.rec.take(ra.Pid, ra.Offset, time.Now()); ok {
				s.restore(sess, seq)
				if ns.skipMiddlewares() {
					ns.finishConnect(s, nil)
					return
				}
			}
		}
	}
	mw, _ := ns.handlers()
	s.ranMiddleware = len(mw) > 0
	var step func(i int)
	step = func(i int) {
		if i == len(mw) {
			ns.finishConnect(s, nil)
			return
		}
		var called atomic.Bool
		mw[i](s, func(err error) {
			if !called.CompareAndSwap(false, true) {
				return
			}
			if err != nil {
				ns.finishConnect(s, err)
				return
			}
			step(i + 1)
		})
	}
	step(0)
}

// finishConnect completes or refuses a connection after middleware.
func (ns *Namespace) finishConnect(s *Socket, mwErr error) {
	c := s.client
	// An empty dynamic child is collected (gc) only once this connection no longer counts as
	// pending: the deferred calls run in reverse order, connectDone first.
	collect := false
	defer func() {
		if collect {
			ns.gc()
		}
	}()
	defer ns.connectDone()
	// The decision is a Debug record (the tap carries it too): the app's middleware logs its own
	// refusals as it sees fit, and a client retrying a wrong token must not flood a console.
	if s.ranMiddleware && ns.srv.log.Enabled(context.Background(), slog.LevelDebug) {
		if mwErr != nil {
			ns.srv.log.Debug("middleware refused a connection", "nsp", ns.name, "err", truncate([]byte(mwErr.Error())))
		} else {
			ns.srv.log.Debug("middleware allowed a connection", "nsp", ns.name, "sid", s.id)
		}
	}
	if s.ranMiddleware && ns.srv.tap.active() {
		ev := TapEvent{Kind: TapMiddleware, Nsp: ns.name, Socket: s.id, AckID: -1}
		if mwErr != nil {
			ev.Err = mwErr.Error()
		}
		ns.srv.tap.publish(ev)
	}
	if mwErr != nil {
		c.mu.Lock()
		c.connectedLocked(ns.name, nil)
		closed := c.closed
		c.mu.Unlock()
		if !closed {
			ce, ok := mwErr.(*ConnectError)
			if !ok {
				ce = &ConnectError{Message: mwErr.Error()}
			}
			c.connectError(ns.name, ce)
		}
		collect = true
		return
	}

	ns.emitMu.Lock()
	ns.mu.Lock()
	var missed []*Packet
	if s.recovered {
		var ok bool
		missed, ok = ns.rec.since(s.offset, s.rooms, time.Now())
		if !ok { // packets were evicted meanwhile: start afresh
			s.fresh()
		}
	}
	c.mu.Lock()
	closed := c.closed
	if closed {
		c.connectedLocked(ns.name, nil)
	} else {
		c.connectedLocked(ns.name, s)
	}
	c.mu.Unlock()
	if closed {
		ns.mu.Unlock()
		ns.emitMu.Unlock()
		collect = true
		return
	}
	s.state.Store(stateConnected)
	s.addRoomLocked(s.id)
	ns.sockets[s.id] = s
	for r := range s.rooms {
		ns.addToRoomLocked(r, s)
	}
	rooms := s.roomsLocked()
	ns.mu.Unlock()
	// The client observes the connection (CONNECT reply, and anything sent to it after) only once
	// the connection handlers returned, as in socket.io where they run before the event loop
	// reads the client's next packet or writes: state a handler records is there for whatever
	// the client does next.
	release := c.hold()
	defer release()
	var failed bool
	for _, p := range missed {
		failed = failed || c.sendLocked(p) != nil
	}
	reply := map[string]string{"sid": s.id}
	if s.pid != "" {
		reply["pid"] = s.pid
	}
	data, _ := json.Marshal(reply)
	failed = failed || c.sendLocked(encodeDirect(typeConnect, ns.name, -1, data, nil)) != nil
	ns.emitMu.Unlock()
	if failed {
		c.sendFailed()
		return
	}

	ns.srv.log.Info("a user connected", "nsp", ns.name, "sid", s.id, "transport", c.conn.Transport(), "recovered", s.recovered)
	ns.srv.tap.publish(TapEvent{Kind: TapConnect, Nsp: ns.name, Socket: s.id, AckID: -1})
	for _, r := range rooms {
		if r != s.id {
			ns.srv.tap.publish(TapEvent{Kind: TapJoin, Nsp: ns.name, Socket: s.id, Room: r, AckID: -1})
		}
	}
	_, onConnect := ns.handlers()
	for _, fn := range onConnect {
		fn(s)
	}
	release()
	s.markReady()
}

// addToRoomLocked indexes s under room. A socket's own room (its id) is not indexed: ownLocked
// finds it through ns.sockets, so an idle socket costs no room map of its own in the namespace.
func (ns *Namespace) addToRoomLocked(room string, s *Socket) {
	if room == s.id {
		return
	}
	m := ns.rooms[room]
	if m == nil {
		m = make(map[string]*Socket)
		ns.rooms[room] = m
	}
	m[s.id] = s
}

func (ns *Namespace) removeFromRoomLocked(room string, s *Socket) {
	if room == s.id {
		return
	}
	if m := ns.rooms[room]; m != nil {
		delete(m, s.id)
		if len(m) == 0 {
			delete(ns.rooms, room) // an emptied room is deleted
		}
	}
}

// gc removes an empty dynamic child when configured.
func (ns *Namespace) gc() {
	if ns.parent == nil || !ns.srv.opts.CleanupEmptyChildNamespaces {
		return
	}
	srv := ns.srv
	srv.mu.Lock()
	ns.mu.Lock()
	empty := len(ns.sockets) == 0
	ns.mu.Unlock()
	removed := empty && ns.pending == 0 && srv.nsps[ns.name] == ns
	if removed {
		delete(srv.nsps, ns.name)
		delete(ns.parent.children, ns.name)
	}
	srv.mu.Unlock()
	if removed {
		ns.closeAdapter() // unsubscribes: outside the lock
	}
}

// ownLocked returns the socket whose own room is room, while it is in it (socket.leave(socket.id)
// takes it out, as in socket.io).
func (ns *Namespace) ownLocked(room string) *Socket {
	if s := ns.sockets[room]; s != nil {
		if _, in := s.rooms[room]; in {
			return s
		}
	}
	return nil
}

// selectLocked returns the sockets in any of rooms (all when none) and in
// none of except, each once.
func (ns *Namespace) selectLocked(rooms, except []string) []*Socket {
	var ex map[string]struct{}
	if len(except) > 0 {
		ex = make(map[string]struct{})
		for _, r := range except {
			for id := range ns.rooms[r] {
				ex[id] = struct{}{}
			}
			if s := ns.ownLocked(r); s != nil {
				ex[s.id] = struct{}{}
			}
		}
	}
	var out []*Socket
	if len(rooms) == 0 {
		out = make([]*Socket, 0, len(ns.sockets))
		for id, s := range ns.sockets {
			if _, skip := ex[id]; !skip {
				out = append(out, s)
			}
		}
		return out
	}
	if len(rooms) == 1 { // the common case: no duplicates possible
		m, own := ns.rooms[rooms[0]], ns.ownLocked(rooms[0])
		out = make([]*Socket, 0, len(m)+1)
		for id, s := range m {
			if _, skip := ex[id]; !skip {
				out = append(out, s)
			}
		}
		if own != nil {
			if _, skip := ex[own.id]; !skip {
				out = append(out, own)
			}
		}
		return out
	}
	seen := make(map[string]struct{})
	add := func(s *Socket) {
		if _, skip := ex[s.id]; skip {
			return
		}
		if _, dup := seen[s.id]; dup {
			return
		}
		seen[s.id] = struct{}{}
		out = append(out, s)
	}
	for _, r := range rooms {
		for _, s := range ns.rooms[r] {
			add(s)
		}
		if own := ns.ownLocked(r); own != nil {
			add(own)
		}
	}
	return out
}

// targets returns the namespaces an operator acts on: the namespace
// itself, or a dynamic namespace's children.
func (ns *Namespace) targets() []*Namespace {
	if ns.match == nil {
		return []*Namespace{ns}
	}
	ns.srv.mu.Lock()
	defer ns.srv.mu.Unlock()
	out := make([]*Namespace, 0, len(ns.children))
	for _, c := range ns.children {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func (ns *Namespace) op() *Operator { return &Operator{ns: ns} }

// Emit sends an event to every socket of the namespace.
func (ns *Namespace) Emit(event string, args ...any) error { return ns.op().Emit(event, args...) }

// EmitWithAck emits to every socket and waits for one reply each.
func (ns *Namespace) EmitWithAck(ctx context.Context, event string, args ...any) ([]Reply, error) {
	return ns.op().EmitWithAck(ctx, event, args...)
}

// To targets the members of rooms (nsp.to(room)).
func (ns *Namespace) To(rooms ...string) *Operator { return ns.op().To(rooms...) }

// In is an alias of To.
func (ns *Namespace) In(rooms ...string) *Operator { return ns.op().To(rooms...) }

// Except excludes the members of rooms.
func (ns *Namespace) Except(rooms ...string) *Operator { return ns.op().Except(rooms...) }

// Volatile marks the emit as droppable.
func (ns *Namespace) Volatile() *Operator { return ns.op().Volatile() }

// Timeout sets the acknowledgement timeout.
func (ns *Namespace) Timeout(d time.Duration) *Operator { return ns.op().Timeout(d) }

// FetchSockets returns the namespace's sockets.
func (ns *Namespace) FetchSockets() []*Socket { return ns.op().FetchSockets() }

// SocketsJoin makes every socket join rooms.
func (ns *Namespace) SocketsJoin(rooms ...string) { ns.op().SocketsJoin(rooms...) }

// SocketsLeave makes every socket leave rooms.
func (ns *Namespace) SocketsLeave(rooms ...string) { ns.op().SocketsLeave(rooms...) }

// DisconnectSockets disconnects every socket.
func (ns *Namespace) DisconnectSockets(close bool) { ns.op().DisconnectSockets(close) }

// Operator selects recipients and flags for one emit; its methods return
// modified copies, so chains can be kept and reused.
type Operator struct {
	ns       *Namespace
	rooms    []string
	except   []string
	volatile bool
	timeout  time.Duration
	timed    bool   // Timeout was called: its duration holds, 0 or less times out at once
	sender   string // acting socket, for the observer
	single   bool   // the socket's own room only (socket.emit)
	local    bool   // this server only (io.local): the adapter is not told
}

func (o *Operator) clone() *Operator {
	c := *o
	c.rooms = slices.Clone(o.rooms)
	c.except = slices.Clone(o.except)
	return &c
}

// To adds target rooms: a socket in any of them receives the event once.
func (o *Operator) To(rooms ...string) *Operator {
	c := o.clone()
	c.rooms = append(c.rooms, rooms...)
	return c
}

// In is an alias of To.
func (o *Operator) In(rooms ...string) *Operator { return o.To(rooms...) }

// Except excludes rooms; exclusion wins over To.
func (o *Operator) Except(rooms ...string) *Operator {
	c := o.clone()
	c.except = append(c.except, rooms...)
	return c
}

// Volatile lets the transport drop the packet if it cannot write it now.
func (o *Operator) Volatile() *Operator {
	c := o.clone()
	c.volatile = true
	return c
}

// Timeout sets the acknowledgement timeout of EmitWithAck (io.timeout(ms)). As in socket.io,
// d <= 0 times out at once (each recipient still gets the event); without Timeout,
// Options.AckTimeout applies.
func (o *Operator) Timeout(d time.Duration) *Operator {
	c := o.clone()
	c.timeout, c.timed = d, true
	return c
}

// Emit sends an event to the selected sockets. Arguments: json.RawMessage
// is sent byte-exact, []byte as a binary attachment, RawBinary with its
// placeholders renumbered, anything else through encoding/json.
func (o *Operator) Emit(event string, args ...any) error {
	if o.ns.srv.isClosed.Load() {
		return ErrClosed
	}
	open, atts, err := encodeArgs(event, args)
	if err != nil {
		return err
	}
	for _, ns := range o.ns.targets() {
		ns.broadcast(o, event, open, atts)
		if a := o.remote(ns); a != nil {
			a.Broadcast(EventData{JSON: closeArgs(open, ""), Attachments: atts}, o.broadcastOptions())
		}
	}
	return nil
}

func (o *Operator) scope() string {
	switch {
	case o.single:
		return "socket"
	case len(o.rooms) > 0:
		return "rooms"
	}
	return "namespace"
}

// broadcast encodes once and enqueues to every recipient, storing the
// packet for recovery.
func (ns *Namespace) broadcast(o *Operator, event string, open []byte, atts [][]byte) {
	ns.emitMu.Lock()
	var seq uint64
	offset := ""
	store := ns.rec != nil && !o.volatile
	if store {
		seq = ns.rec.nextSeq()
		offset = formatOffset(seq)
	}
	pkt := encodePacket(typeEvent, ns.name, -1, closeArgs(open, offset), atts)
	pkt.Volatile = o.volatile
	ns.mu.Lock()
	recips := ns.selectLocked(o.rooms, o.except)
	ns.mu.Unlock()
	if store {
		ns.rec.push(seq, pkt, o.rooms, o.except, time.Now())
	}
	var failed []*Client
	for _, s := range recips {
		if s.client.sendLocked(pkt) != nil {
			failed = append(failed, s.client)
		}
	}
	ns.emitMu.Unlock()
	for _, c := range failed {
		c.sendFailed()
	}
	ns.observeOut(o, event, open, -1, recips)
}

func (ns *Namespace) observeOut(o *Operator, event string, open []byte, id int64, recips []*Socket) {
	if ns.srv.log.Enabled(context.Background(), slog.LevelDebug) {
		ns.srv.log.Debug("packet out", "nsp", ns.name, "event", event, "recipients", len(recips))
	}
	if !ns.srv.tap.active() {
		return
	}
	ids := make([]string, len(recips))
	for i, s := range recips {
		ids[i] = s.id
	}
	sort.Strings(ids)
	ns.srv.tap.publish(TapEvent{
		Kind: TapEventOut, Nsp: ns.name, Socket: o.sender, Event: event,
		Args: argsOf(closeArgs(open, ""), 1), AckID: id, Scope: o.scope(),
		Rooms: slices.Clone(o.rooms), Except: slices.Clone(o.except), Recipients: ids,
		Timeout: o.timeout, Timed: o.timed,
	})
}

// argsOf splits an encoded array, skipping skip elements.
func argsOf(arr []byte, skip int) []json.RawMessage {
	sc, err := scanJSON(arr, false, 0)
	if err != nil || len(sc.elems) < skip {
		return nil
	}
	out := make([]json.RawMessage, 0, len(sc.elems)-skip)
	for _, e := range sc.elems[skip:] {
		out = append(out, json.RawMessage(arr[e.start:e.end]))
	}
	return out
}

// Reply is one socket's answer to a broadcast EmitWithAck.
type Reply struct {
	Socket string
	Payload
}

// EmitWithAck emits to the selected sockets and waits until each replied,
// the timeout (Options.AckTimeout unless Timeout was set) passed, or ctx
// ended. It returns the replies received, in arrival order, and ErrTimeout
// if some socket did not answer. Do not call it from a handler of one of
// the recipients' own events: that goroutine delivers their replies.
func (o *Operator) EmitWithAck(ctx context.Context, event string, args ...any) ([]Reply, error) {
	done := make(chan struct{})
	var (
		replies []Reply
		rerr    error
	)
	col, regs, err := o.emitAck(event, args, func(r []Reply, err error) {
		replies, rerr = r, err
		close(done)
	})
	if err != nil {
		return nil, err
	}
	select {
	case <-done:
	case <-ctx.Done():
		for _, r := range regs {
			r.s.resolveAck(r.id, Payload{}, ctx.Err())
		}
		col.fail(ctx.Err())
		<-done
	}
	return replies, rerr
}

// EmitWithAckFunc emits to the selected sockets now and returns at once;
// done is called exactly once, when every socket replied or the timeout
// passed, with the replies in arrival order and ErrTimeout if some socket
// did not answer. It runs on the goroutine that completes the set (a
// reader, a timer, or this one). An error means nothing was sent and done
// will not be called.
func (o *Operator) EmitWithAckFunc(event string, done func([]Reply, error), args ...any) error {
	_, _, err := o.emitAck(event, args, done)
	return err
}

type ackReg struct {
	s  *Socket
	id int64
}

func (o *Operator) emitAck(event string, args []any, done func([]Reply, error)) (*collector, []ackReg, error) {
	if o.ns.srv.isClosed.Load() {
		return nil, nil, ErrClosed
	}
	open, atts, err := encodeArgs(event, args)
	if err != nil {
		return nil, nil, err
	}
	timeout, atOnce := ackTimeout(o.timed, o.timeout, o.ns.srv.opts.AckTimeout)
	col := &collector{done: done}
	var regs []ackReg
	var remotes []Adapter
	for _, ns := range o.ns.targets() {
		_, r := ns.broadcastAck(o, event, open, atts, timeout, col.add, col.resolve)
		regs = append(regs, r...)
		if a := o.remote(ns); a != nil {
			remotes = append(remotes, a)
		}
	}
	if len(remotes) > 0 {
		remoteTimeout := timeout
		if atOnce { // Timeout(0): the other servers' clients get the event, nobody's answer is awaited
			remoteTimeout = time.Nanosecond
		}
		col.cluster(remotes, EventData{JSON: closeArgs(open, ""), Attachments: atts}, o.broadcastOptions(), remoteTimeout)
	}
	if atOnce {
		for _, r := range regs {
			r.s.resolveAck(r.id, Payload{}, ErrTimeout)
		}
	}
	col.start()
	return col, regs, nil
}

// broadcastAck sends an event with an ack id to the selected local sockets; onReply gets each
// one's answer or error (expect first learns how many there are). It returns how many can answer:
// those refused (too many pending acks, disconnecting) are not counted.
func (ns *Namespace) broadcastAck(o *Operator, event string, open []byte, atts [][]byte, timeout time.Duration,
	expect func(n int), onReply func(sid string, p Payload, err error)) (int, []ackReg) {
	id := ns.ackSeq.Add(1) - 1
	pkt := encodePacket(typeEvent, ns.name, id, closeArgs(open, ""), atts)
	pkt.Volatile = o.volatile
	var regs []ackReg
	ns.emitMu.Lock()
	ns.mu.Lock()
	recips := ns.selectLocked(o.rooms, o.except)
	ns.mu.Unlock()
	if expect != nil {
		expect(len(recips))
	}
	var sent []*Socket
	var failed []*Client
	type refusal struct {
		sid string
		err error
	}
	var refused []refusal
	for _, s := range recips {
		s := s
		if err := s.registerAck(id, timeout, func(p Payload, err error) { onReply(s.id, p, err) }); err != nil {
			refused = append(refused, refusal{s.id, err})
			continue
		}
		regs = append(regs, ackReg{s, id})
		if s.client.sendLocked(pkt) != nil {
			failed = append(failed, s.client)
			continue
		}
		sent = append(sent, s)
	}
	ns.emitMu.Unlock()
	for _, r := range refused {
		onReply(r.sid, Payload{}, r.err)
	}
	for _, c := range failed {
		c.sendFailed()
	}
	ns.observeOut(o, event, open, id, sent)
	return len(regs), regs
}

// collector gathers broadcast ack replies and calls done once. With an adapter it also waits
// for every other server's client count and its clients' replies, as socket.io's
// BroadcastOperator does: until then, or until the timeout.
type collector struct {
	mu        sync.Mutex
	remaining int // local sockets yet to answer
	started   bool
	finished  bool
	replies   []Reply
	err       error
	done      func([]Reply, error)

	clustered     bool
	serversWanted int // other servers to report a count; -1 until ServerCount answered
	serversSeen   int
	remoteClients int // clients the other servers reported
	remoteReplies int
	timer         *time.Timer
}

func (c *collector) add(n int) {
	c.mu.Lock()
	c.remaining += n
	c.mu.Unlock()
}

func (c *collector) resolve(id string, p Payload, err error) {
	c.mu.Lock()
	if err != nil {
		if c.err == nil || err != ErrTimeout {
			c.err = err
		}
	} else if !c.finished {
		c.replies = append(c.replies, Reply{Socket: id, Payload: p})
	}
	c.remaining--
	c.finishLocked()
}

// cluster asks the other servers through remotes; it runs before start.
func (c *collector) cluster(remotes []Adapter, ev EventData, opts BroadcastOptions, timeout time.Duration) {
	c.mu.Lock()
	c.clustered = true
	c.serversWanted = -1
	c.timer = time.AfterFunc(timeout, func() { c.fail(ErrTimeout) })
	c.mu.Unlock()
	opts.Flags.Timeout = timeout
	for _, a := range remotes {
		a.BroadcastWithAck(ev, opts, func(n int) {
			c.mu.Lock()
			c.serversSeen++
			c.remoteClients += n
			c.finishLocked()
		}, func(reply json.RawMessage) {
			c.mu.Lock()
			if !c.finished {
				c.remoteReplies++
				c.replies = append(c.replies, Reply{Payload: Payload{Args: []json.RawMessage{reply}}})
			}
			c.finishLocked()
		})
	}
	// ServerCount asks the broker: never on the emitting goroutine, which may hold no lock but
	// must not wait either.
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		total := 0
		for _, a := range remotes {
			n, err := a.ServerCount(ctx)
			if err != nil {
				c.fail(fmt.Errorf("socketio: counting servers: %w", err))
				return
			}
			total += n - 1
		}
		c.mu.Lock()
		c.serversWanted = total
		c.finishLocked()
	}()
}

// fail ends the collection now with err and the replies so far.
func (c *collector) fail(err error) {
	c.mu.Lock()
	if !c.finished {
		c.err = err
		c.started, c.remaining = true, 0
		c.clustered = false
	}
	c.finishLocked()
}

func (c *collector) start() {
	c.mu.Lock()
	c.started = true
	c.finishLocked()
}

// finishLocked unlocks c.mu and calls done once everything resolved.
func (c *collector) finishLocked() {
	fire := c.started && c.remaining <= 0 && !c.finished
	if fire && c.clustered {
		fire = c.serversWanted >= 0 && c.serversSeen >= c.serversWanted && c.remoteReplies >= c.remoteClients
	}
	if fire {
		c.finished = true
		if c.timer != nil {
			c.timer.Stop()
		}
	}
	replies, err := c.replies, c.err
	c.mu.Unlock()
	if fire {
		c.done(replies, err)
	}
}

// FetchSockets returns the selected sockets (io.in(room).fetchSockets()).
func (o *Operator) FetchSockets() []*Socket {
	var out []*Socket
	for _, ns := range o.ns.targets() {
		ns.mu.Lock()
		for _, s := range ns.selectLocked(o.rooms, o.except) {
			// A socket whose DISCONNECT is already sent is gone for everyone else: in socket.io
			// its removal follows the packet with nothing in between (one thread), here another
			// goroutine could see it in between. (Its own disconnecting handlers then no longer
			// find it either: docs/socketio-differences.md.)
			if s.state.Load() < stateClosing {
				out = append(out, s)
			}
		}
		ns.mu.Unlock()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// SocketsJoin makes the selected sockets join rooms (skipping sockets at
// their room limit).
func (o *Operator) SocketsJoin(rooms ...string) {
	for _, s := range o.FetchSockets() {
		_ = s.Join(rooms...)
	}
	for _, ns := range o.ns.targets() {
		if a := o.remote(ns); a != nil {
			a.AddSockets(o.broadcastOptions(), rooms)
		}
	}
}

// SocketsLeave makes the selected sockets leave rooms.
func (o *Operator) SocketsLeave(rooms ...string) {
	for _, s := range o.FetchSockets() {
		for _, r := range rooms {
			s.Leave(r)
		}
	}
	for _, ns := range o.ns.targets() {
		if a := o.remote(ns); a != nil {
			a.DelSockets(o.broadcastOptions(), rooms)
		}
	}
}

// DisconnectSockets disconnects the selected sockets; with close, their
// whole connections are closed.
func (o *Operator) DisconnectSockets(close bool) {
	for _, s := range o.FetchSockets() {
		s.Disconnect(close)
	}
	for _, ns := range o.ns.targets() {
		if a := o.remote(ns); a != nil {
			a.DisconnectSockets(o.broadcastOptions(), close)
		}
	}
}
