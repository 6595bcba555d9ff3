package sandbox

import (
	"errors"
	"net"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/dop251/goja"

	"socketlab/playground/socketio"
)

// jsSocket is the program's socket object for one *socketio.Socket.
type jsSocket struct {
	s         *socketio.Socket
	ns        *jsNamespace
	obj       *goja.Object
	listeners []listener
	anys      []listener
	outs      []listener        // onAnyOutgoing
	order     []string          // rooms in the order the program joined them (Set order in Node)
	seq       uint64            // connection order
	joined    map[string]uint64 // room → join order, for fetchSockets
	connected bool
	closing   []string // rooms during "disconnecting"
	// wrote is the loop job (vm.job) that last emitted to this socket. In Node the transport
	// is not writable again until the event loop turns after a write, so socket.io drops a
	// volatile emit that follows another emit to the socket in the same job: the sandbox does
	// too (the hub drops the rest, when its connection cannot take a packet right now).
	wrote uint64
}

type listener struct {
	event string
	fn    goja.Callable
	val   goja.Value // the function as the program passed it (for off and listeners)
	once  bool
}

// admitted sockets passed the program's middleware and wait for their connection handler.
func (sb *Sandbox) admitted(s *socketio.Socket) bool {
	_, ok := sb.admit.Load(s)
	return ok
}

func (sb *Sandbox) forgetAdmitted(s *socketio.Socket) { sb.admit.Delete(s) }

// admit runs the program's middleware for s on the loop and answers next.
func (v *vm) admit(s *socketio.Socket, next func(error)) {
	goNs := s.Namespace()
	ns, parents := v.known(goNs)
	if ns != nil && ns.parent == nil {
		v.runMiddleware(s, ns, ns.mws, next)
		return
	}
	if ns != nil { // a known child: its parent's middleware
		v.runMiddleware(s, ns, append(slices.Clone(ns.parent.mws), ns.mws...), next)
		return
	}
	v.matchParent(s, parents, 0, func(p *jsNamespace) {
		if p == nil {
			next(&socketio.ConnectError{Message: "Invalid namespace"})
			return
		}
		child := v.childNamespace(goNs, p)
		v.runMiddleware(s, child, slices.Clone(p.mws), next)
	})
}

// known returns the program's namespace for goNs (static, or a dynamic child already made;
// nil if none) and the program's dynamic parents.
func (v *vm) known(goNs *socketio.Namespace) (*jsNamespace, []*jsNamespace) {
	v.sb.mu.Lock()
	ns := v.sb.nsps[goNs.Name()]
	parents := v.sb.parents
	v.sb.mu.Unlock()
	if ns != nil && ns.goNs != goNs {
		ns = nil
	}
	return ns, parents
}

// admitRecovered gives a socket restored by connection state recovery, which skipped the
// middleware, its object in the program: in its static namespace or a known dynamic child, or
// in a new child of the first RegExp parent that matches (a function parent cannot be asked
// without a middleware round; such a socket reaches no program).
func (v *vm) admitRecovered(s *socketio.Socket) bool {
	goNs := s.Namespace()
	ns, parents := v.known(goNs)
	for _, p := range parents {
		if ns != nil {
			break
		}
		if p.re != nil && p.re.MatchString(goNs.Name()) {
			ns = v.childNamespace(goNs, p)
		}
	}
	if ns == nil {
		return false
	}
	v.socketFor(s, ns)
	return true
}

// matchParent finds the first dynamic parent accepting the child's name: a RegExp tests it, a
// function decides through next(err, ok), possibly later.
func (v *vm) matchParent(s *socketio.Socket, parents []*jsNamespace, i int, found func(*jsNamespace)) {
	name := s.Namespace().Name()
	for ; i < len(parents); i++ {
		p := parents[i]
		if p.re != nil {
			if p.re.MatchString(name) {
				found(p)
				return
			}
			continue
		}
		var called atomic.Bool
		j := i
		next := v.rt.ToValue(func(c goja.FunctionCall) goja.Value {
			if !called.CompareAndSwap(false, true) {
				return goja.Undefined()
			}
			if goja.IsUndefined(c.Argument(0)) || goja.IsNull(c.Argument(0)) {
				if c.Argument(1).ToBoolean() {
					found(p)
					return goja.Undefined()
				}
			}
			v.matchParent(s, parents, j+1, found)
			return goja.Undefined()
		})
		auth := v.authValue(s)
		if _, ok := v.call(p.fn, goja.Undefined(), v.rt.ToValue(name), auth, next); !ok && called.CompareAndSwap(false, true) {
			found(nil)
		}
		return
	}
	found(nil)
}

func (v *vm) authValue(s *socketio.Socket) goja.Value {
	if a := s.Handshake().Auth; len(a) > 0 {
		return v.parseJSON(a, nil)
	}
	return v.rt.NewObject()
}

// runMiddleware calls the program's middleware in order with next(err) callbacks.
func (v *vm) runMiddleware(s *socketio.Socket, ns *jsNamespace, mws []goja.Callable, next func(error)) {
	js := v.socketFor(s, ns)
	var step func(i int)
	step = func(i int) {
		if i == len(mws) {
			v.sb.admit.Store(s, struct{}{})
			next(nil)
			return
		}
		var called atomic.Bool
		nextFn := v.rt.ToValue(func(c goja.FunctionCall) goja.Value {
			if !called.CompareAndSwap(false, true) {
				return goja.Undefined()
			}
			if e := c.Argument(0); !goja.IsUndefined(e) && !goja.IsNull(e) {
				delete(v.sockets, s)
				next(v.connectError(e))
				return goja.Undefined()
			}
			step(i + 1)
			return goja.Undefined()
		})
		if _, ok := v.call(mws[i], goja.Undefined(), js.obj, nextFn); !ok && called.CompareAndSwap(false, true) {
			delete(v.sockets, s)
			next(&socketio.ConnectError{Message: "server error"})
		}
	}
	step(0)
}

// connectError turns next(err) into the client's connect_error: message and data.
func (v *vm) connectError(e goja.Value) *socketio.ConnectError {
	ce := &socketio.ConnectError{Message: e.String()}
	if o, ok := e.(*goja.Object); ok {
		if m := o.Get("message"); m != nil && !goja.IsUndefined(m) {
			ce.Message = m.String()
		}
		if d := o.Get("data"); d != nil && !goja.IsUndefined(d) {
			if vals := v.toGo([]goja.Value{d}); len(vals) == 1 {
				ce.Data = vals[0]
			}
		}
	}
	return ce
}

// socketFor returns (creating) the program's object for s.
func (v *vm) socketFor(s *socketio.Socket, ns *jsNamespace) *jsSocket {
	if js := v.sockets[s]; js != nil {
		return js
	}
	v.seq++
	js := &jsSocket{s: s, ns: ns, seq: v.seq}
	js.obj = v.socketObject(js)
	v.sockets[s] = js
	return js
}

// onConnection runs the namespace's (and a dynamic parent's) connection listeners.
func (v *vm) onConnection(s *socketio.Socket) {
	js := v.sockets[s]
	v.sb.admit.Delete(s)
	if js == nil {
		return
	}
	js.connected = s.Connected()
	if !js.connected {
		return
	}
	var fns []goja.Callable
	if js.ns.parent != nil {
		fns = append(fns, js.ns.parent.onConn...)
	}
	fns = append(fns, js.ns.onConn...)
	for _, fn := range fns {
		v.call(fn, goja.Undefined(), js.obj)
	}
}

// onEvent delivers a client event to onAny listeners, then to the event's listeners.
func (v *vm) onEvent(s *socketio.Socket, e *socketio.Event) {
	js := v.sockets[s]
	if js == nil || !js.connected {
		return
	}
	args := v.toJS(e.Payload)
	if e.HasAck() {
		var sent atomic.Bool
		args = append(args, v.rt.ToValue(func(c goja.FunctionCall) goja.Value {
			if !sent.CompareAndSwap(false, true) {
				return goja.Undefined()
			}
			_ = e.Ack(v.toGo(c.Arguments)...)
			return goja.Undefined()
		}))
	}
	name := v.rt.ToValue(e.Name)
	if e.Numeric { // 42[7] gives onAny the number 7, as in socket.io
		name = v.rt.ToValue(numberOf(e.Name))
	}
	for _, l := range slices.Clone(js.anys) {
		v.call(l.fn, js.obj, append([]goja.Value{name}, args...)...)
	}
	v.fireListeners(js, e.Name, args)
}

func (v *vm) fireListeners(js *jsSocket, event string, args []goja.Value) {
	var buf [4]goja.Callable
	fns, once := buf[:0], false
	for _, l := range js.listeners {
		if l.event == event {
			fns = append(fns, l.fn)
			once = once || l.once
		}
	}
	if once { // a fresh slice: a listener may call off() while the others run
		js.listeners = slices.DeleteFunc(slices.Clone(js.listeners), func(l listener) bool { return l.once && l.event == event })
	}
	for _, fn := range fns {
		v.call(fn, js.obj, args...)
	}
}

// onDisconnect runs "disconnecting" (rooms still visible) or "disconnect" listeners.
func (v *vm) onDisconnect(s *socketio.Socket, event, reason string, rooms []string) {
	js := v.sockets[s]
	if js == nil {
		return
	}
	if event == "disconnect" {
		js.connected = false
		js.closing = nil
		delete(v.sockets, s)
	} else {
		js.closing = rooms
	}
	v.fireListeners(js, event, []goja.Value{v.rt.ToValue(reason)})
	js.closing = nil
}

// join adds s to rooms, remembering the order for socket.rooms.
func (v *vm) join(s *socketio.Socket, rooms []string) {
	if err := s.Join(rooms...); err != nil {
		panic(v.jsError(err))
	}
	if js := v.sockets[s]; js != nil {
		for _, r := range rooms {
			if !slices.Contains(js.order, r) {
				js.order = append(js.order, r)
				v.seq++
				if js.joined == nil {
					js.joined = make(map[string]uint64)
				}
				js.joined[r] = v.seq
			}
		}
	}
}

func (v *vm) socketObject(js *jsSocket) *goja.Object {
	o := v.rt.NewObject()
	s := js.s
	emitter := func(volatile bool, timeout time.Duration, timed bool) *goja.Object {
		e := v.rt.NewObject()
		v.define(e, []method{
			{"emit", func(c goja.FunctionCall) goja.Value { return v.socketEmit(js, volatile, timeout, timed, c) }},
			{"emitWithAck", func(c goja.FunctionCall) goja.Value { return v.socketEmitWithAck(js, volatile, timeout, timed, c) }},
			{"send", func(c goja.FunctionCall) goja.Value {
				c.Arguments = append([]goja.Value{v.rt.ToValue("message")}, c.Arguments...)
				return v.socketEmit(js, volatile, timeout, timed, c)
			}},
			{"compress", func(goja.FunctionCall) goja.Value { return e }},
		}, nil, nil, "")
		return e
	}
	broadcast := func() *opState { return &opState{v: v, ns: js.ns, from: s} }
	v.define(o, []method{
		{"on", func(c goja.FunctionCall) goja.Value { return v.socketOn(js, o, c, false) }},
		{"addListener", func(c goja.FunctionCall) goja.Value { return v.socketOn(js, o, c, false) }},
		{"once", func(c goja.FunctionCall) goja.Value { return v.socketOn(js, o, c, true) }},
		{"off", func(c goja.FunctionCall) goja.Value { return v.socketOff(js, o, c) }},
		{"removeListener", func(c goja.FunctionCall) goja.Value { return v.socketOff(js, o, c) }},
		{"removeAllListeners", func(c goja.FunctionCall) goja.Value { return v.removeAllListeners(js, o, c) }},
		{"listeners", func(c goja.FunctionCall) goja.Value { return v.socketListeners(js, c) }},
		{"onAny", func(c goja.FunctionCall) goja.Value { return v.onAnyList(&js.anys, o, c, false) }},
		{"prependAny", func(c goja.FunctionCall) goja.Value { return v.onAnyList(&js.anys, o, c, true) }},
		{"offAny", func(c goja.FunctionCall) goja.Value { return v.offAnyList(&js.anys, o, c) }},
		{"listenersAny", func(goja.FunctionCall) goja.Value {
			return v.rt.NewArray(anySlice(listenerValues(js.anys, ""))...)
		}},
		{"onAnyOutgoing", func(c goja.FunctionCall) goja.Value { return v.onAnyList(&js.outs, o, c, false) }},
		{"prependAnyOutgoing", func(c goja.FunctionCall) goja.Value { return v.onAnyList(&js.outs, o, c, true) }},
		{"offAnyOutgoing", func(c goja.FunctionCall) goja.Value { return v.offAnyList(&js.outs, o, c) }},
		{"listenersAnyOutgoing", func(goja.FunctionCall) goja.Value {
			return v.rt.NewArray(anySlice(listenerValues(js.outs, ""))...)
		}},
		{"emit", func(c goja.FunctionCall) goja.Value { return v.socketEmit(js, false, 0, false, c) }},
		{"send", func(c goja.FunctionCall) goja.Value {
			c.Arguments = append([]goja.Value{v.rt.ToValue("message")}, c.Arguments...)
			return v.socketEmit(js, false, 0, false, c)
		}},
		{"emitWithAck", func(c goja.FunctionCall) goja.Value { return v.socketEmitWithAck(js, false, 0, false, c) }},
		{"timeout", func(c goja.FunctionCall) goja.Value { return emitter(false, msOf(c.Argument(0)), true) }},
		{"compress", func(goja.FunctionCall) goja.Value { return o }},
		{"join", func(c goja.FunctionCall) goja.Value { v.join(s, v.roomsArg(c.Arguments)); return goja.Undefined() }},
		{"leave", func(c goja.FunctionCall) goja.Value { return v.leave(js, c) }},
		{"to", func(c goja.FunctionCall) goja.Value { return broadcast().to(c) }},
		{"in", func(c goja.FunctionCall) goja.Value { return broadcast().to(c) }},
		{"except", func(c goja.FunctionCall) goja.Value { return broadcast().except_(c) }},
		{"disconnect", func(c goja.FunctionCall) goja.Value { s.Disconnect(c.Argument(0).ToBoolean()); return o }},
	}, []method{
		{"id", func(goja.FunctionCall) goja.Value { return v.rt.ToValue(s.ID()) }},
		{"rooms", func(goja.FunctionCall) goja.Value { return v.roomsSet(js) }},
		{"handshake", func(goja.FunctionCall) goja.Value { return v.handshake(s) }},
		{"connected", func(goja.FunctionCall) goja.Value { return v.rt.ToValue(js.connected) }},
		{"disconnected", func(goja.FunctionCall) goja.Value { return v.rt.ToValue(!js.connected) }},
		{"recovered", func(goja.FunctionCall) goja.Value { return v.rt.ToValue(s.Recovered()) }},
		{"nsp", func(goja.FunctionCall) goja.Value { return js.ns.obj }},
		{"broadcast", func(goja.FunctionCall) goja.Value { return v.operatorObject(broadcast()) }},
		{"volatile", func(goja.FunctionCall) goja.Value { return emitter(true, 0, false) }},
	}, []refusal{
		{"request", "there is no HTTP request object; use socket.handshake"},
		{"conn", "the Engine.IO connection belongs to Socket Lab's hub"},
		{"client", "the Engine.IO connection belongs to Socket Lab's hub"},
		{"use", "use io.use or socket.onAny"},
	}, "socket.")
	// socket.data lives in the hub's per-socket data too, so that connection state recovery
	// restores it with the session, as socket.io does (admitRecovered reads it back).
	data := goja.Value(v.rt.NewObject())
	if kept, ok := js.s.Get(dataKey); ok {
		if d, ok := kept.(socketData); ok && d.v == v {
			data = d.val
		}
	}
	js.s.Set(dataKey, socketData{v, data})
	get := v.rt.ToValue(func(goja.FunctionCall) goja.Value { return data })
	set := v.rt.ToValue(func(c goja.FunctionCall) goja.Value {
		data = c.Argument(0)
		js.s.Set(dataKey, socketData{v, data})
		return goja.Undefined()
	})
	if err := o.DefineAccessorProperty("data", get, set, goja.FLAG_TRUE, goja.FLAG_TRUE); err != nil {
		panic(err)
	}
	return o
}

// dataKey holds a socket's socket.data in the hub's per-socket data (socketio.Socket.Set).
const dataKey = socketio.DataKey

// socketData is socket.data as kept by the hub: a value of program v's runtime only.
type socketData struct {
	v   *vm
	val goja.Value
}

// listenerValues are the functions of ls for event (all when event is "").
func listenerValues(ls []listener, event string) []goja.Value {
	var out []goja.Value
	for _, l := range ls {
		if event == "" || l.event == event {
			out = append(out, l.val)
		}
	}
	return out
}

func (v *vm) socketOn(js *jsSocket, self *goja.Object, c goja.FunctionCall, once bool) goja.Value {
	fn := fnOf(c.Argument(1))
	if fn == nil {
		panic(v.rt.NewTypeError(`The "listener" argument must be of type function`))
	}
	js.listeners = append(js.listeners, listener{event: c.Argument(0).String(), fn: fn, val: c.Argument(1), once: once})
	return self
}

// socketOff removes the listener registered with the same function value.
func (v *vm) socketOff(js *jsSocket, self *goja.Object, c goja.FunctionCall) goja.Value {
	ev := c.Argument(0).String()
	target := c.Argument(1)
	for i := len(js.listeners) - 1; i >= 0; i-- {
		l := js.listeners[i]
		if l.event == ev && l.val.SameAs(target) {
			js.listeners = slices.Delete(js.listeners, i, i+1)
			break
		}
	}
	return self
}

func (v *vm) removeAllListeners(js *jsSocket, self *goja.Object, c goja.FunctionCall) goja.Value {
	if goja.IsUndefined(c.Argument(0)) {
		js.listeners = nil
		return self
	}
	ev := c.Argument(0).String()
	js.listeners = slices.DeleteFunc(js.listeners, func(l listener) bool { return l.event == ev })
	return self
}

func (v *vm) socketListeners(js *jsSocket, c goja.FunctionCall) goja.Value {
	return v.rt.NewArray(anySlice(listenerValues(js.listeners, c.Argument(0).String()))...)
}

// onAnyList adds a catch-all listener (onAny, onAnyOutgoing and their prepend forms).
func (v *vm) onAnyList(list *[]listener, self *goja.Object, c goja.FunctionCall, prepend bool) goja.Value {
	fn := fnOf(c.Argument(0))
	if fn == nil {
		panic(v.rt.NewTypeError(`The "listener" argument must be of type function`))
	}
	l := listener{fn: fn, val: c.Argument(0)}
	if prepend {
		*list = append([]listener{l}, *list...)
	} else {
		*list = append(*list, l)
	}
	return self
}

// offAnyList removes one catch-all listener, or all without an argument.
func (v *vm) offAnyList(list *[]listener, self *goja.Object, c goja.FunctionCall) goja.Value {
	target := c.Argument(0)
	if goja.IsUndefined(target) {
		*list = nil
		return self
	}
	for i, l := range *list {
		if l.val.SameAs(target) {
			*list = slices.Delete(*list, i, i+1)
			break
		}
	}
	return self
}

func (v *vm) leave(js *jsSocket, c goja.FunctionCall) goja.Value {
	for _, r := range v.roomsArg(c.Arguments) {
		js.s.Leave(r)
		if i := slices.Index(js.order, r); i >= 0 {
			js.order = slices.Delete(js.order, i, i+1)
			delete(js.joined, r)
		}
	}
	return goja.Undefined()
}

// roomsSet is socket.rooms: a Set, own id first, then rooms in the order they were joined.
func (v *vm) roomsSet(js *jsSocket) goja.Value {
	current := js.closing
	if current == nil {
		current = js.s.Rooms()
	}
	var ordered []any
	if slices.Contains(current, js.s.ID()) {
		ordered = append(ordered, js.s.ID())
	}
	for _, r := range js.order {
		if r != js.s.ID() && slices.Contains(current, r) {
			ordered = append(ordered, r)
		}
	}
	for _, r := range current { // joined by another path (recovery): sorted
		if !slices.Contains(ordered, any(r)) {
			ordered = append(ordered, r)
		}
	}
	set, err := v.rt.New(v.rt.Get("Set").ToObject(v.rt), v.rt.NewArray(ordered...))
	if err != nil {
		panic(err)
	}
	return set
}

// handshake is socket.handshake.
func (v *vm) handshake(s *socketio.Socket) goja.Value {
	hs := s.Handshake()
	o := v.rt.NewObject()
	headers := v.rt.NewObject()
	for k, vals := range hs.Headers {
		if len(vals) > 0 {
			_ = headers.Set(lower(k), vals[0])
		}
	}
	query := v.rt.NewObject()
	for k, vals := range hs.Query() {
		if len(vals) > 0 {
			_ = query.Set(k, vals[len(vals)-1])
		}
	}
	_ = o.Set("headers", headers)
	_ = o.Set("time", hs.Time.Format("Mon Jan 02 2006 15:04:05 GMT-0700 (MST)"))
	addr := hs.Address
	if host, _, err := net.SplitHostPort(addr); err == nil {
		addr = host // socket.io gives the remote IP without the port
	}
	_ = o.Set("address", addr)
	_ = o.Set("xdomain", hs.Headers.Get("Origin") != "")
	_ = o.Set("secure", hs.Secure)
	_ = o.Set("issued", hs.Issued)
	_ = o.Set("url", hs.URL)
	_ = o.Set("query", query)
	_ = o.Set("auth", v.authValue(s))
	return o
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

// droppedVolatile reports whether a volatile emit to js is dropped because this job already
// wrote to it (jsSocket.wrote), and records a write otherwise.
func (v *vm) droppedVolatile(js *jsSocket, volatile bool) bool {
	if volatile && js.wrote == v.job {
		return true
	}
	js.wrote = v.job
	if v.wroteJob != v.job {
		v.wroteJob, v.wroteIDs = v.job, v.wroteIDs[:0]
	}
	v.wroteIDs = append(v.wroteIDs, js.s.ID())
	return false
}

// writtenThisJob is the ids of the sockets emitted to in the running job: a volatile broadcast
// skips them, as socket.io in Node does (their transport is not writable until the loop turns).
func (v *vm) writtenThisJob() []string {
	if v.wroteJob != v.job {
		return nil
	}
	return v.wroteIDs
}

// socketEmit implements socket.emit(ev, ...args[, ack]) and its volatile/timeout forms.
func (v *vm) socketEmit(js *jsSocket, volatile bool, timeout time.Duration, timed bool, c goja.FunctionCall) goja.Value {
	ev := c.Argument(0).String()
	if err := checkName(ev); err != nil {
		panic(v.jsError(err))
	}
	args, cb := splitAck(c.Arguments[min(1, len(c.Arguments)):])
	v.allowEmit()
	vals := v.toGo(args)
	v.notifyOutgoing(js, c.Argument(0), args)
	if v.droppedVolatile(js, volatile && !timed) { // a timed one is left to the hub
		return v.rt.ToValue(true)
	}
	em := socketEmitter(js.s, volatile, timeout, timed)
	start := time.Now()
	if cb == nil {
		if err := em.Emit(ev, vals...); err != nil {
			panic(v.jsError(err))
		}
		return v.rt.ToValue(true)
	}
	v.socketAck(em, ev, vals, v.timedOut(timed, timeout, start, func(p socketio.Payload, err error) {
		switch {
		case err != nil && timed:
			v.call(cb, js.obj, v.jsError(err))
		case err != nil: // without a timeout socket.io waits forever: the callback never runs
		case timed:
			v.call(cb, js.obj, append([]goja.Value{goja.Null()}, v.toJS(p)...)...)
		default:
			v.call(cb, js.obj, v.toJS(p)...)
		}
	}))
	return v.rt.ToValue(true)
}

// socketEmitWithAck implements socket.emitWithAck(ev, ...args) → Promise of the first ack arg.
func (v *vm) socketEmitWithAck(js *jsSocket, volatile bool, timeout time.Duration, timed bool, c goja.FunctionCall) goja.Value {
	ev := c.Argument(0).String()
	if err := checkName(ev); err != nil {
		panic(v.jsError(err))
	}
	v.allowEmit()
	args := c.Arguments[min(1, len(c.Arguments)):]
	vals := v.toGo(args)
	v.notifyOutgoing(js, c.Argument(0), args)
	p, resolve, reject := v.rt.NewPromise()
	if v.droppedVolatile(js, volatile && !timed) { // a timed one is left to the hub
		return v.rt.ToValue(p) // never settles without a timeout, as in socket.io
	}
	em := socketEmitter(js.s, volatile, timeout, timed)
	v.socketAck(em, ev, vals, v.timedOut(timed, timeout, time.Now(), func(pl socketio.Payload, err error) {
		switch {
		case err != nil && timed:
			_ = reject(v.jsError(err))
		case err != nil:
		default:
			args := v.toJS(pl)
			if len(args) == 0 {
				_ = resolve(goja.Undefined())
			} else {
				_ = resolve(args[0])
			}
		}
	}))
	return v.rt.ToValue(p)
}

// timedOut makes a timed emit's answer socket.io's when its client leaves first: the hub fails
// the ack at once (ErrDisconnected), socket.io waits for the timeout all the same and then fails
// with "operation has timed out". The wait is one of the program's timers (Options.MaxTimers of
// them at most; past that the ack fails at once, as on the hub), due when the emit's own timer
// would be and ordered by the emit, so that two of them fail in the order socket.io's would.
func (v *vm) timedOut(timed bool, timeout time.Duration, start time.Time, done func(socketio.Payload, error)) func(socketio.Payload, error) {
	if !timed {
		return done
	}
	sb := v.sb
	sb.timerID++
	id := sb.timerID // the emit's place among the timers, as its setTimeout has in Node
	return func(p socketio.Payload, err error) {
		if !errors.Is(err, socketio.ErrDisconnected) {
			done(p, err)
			return
		}
		rest := timeout - time.Since(start)
		if rest <= 0 || len(sb.timers) >= sb.opts.MaxTimers {
			done(socketio.Payload{}, socketio.ErrTimeout)
			return
		}
		fn, _ := goja.AssertFunction(v.rt.ToValue(func(goja.FunctionCall) goja.Value {
			done(socketio.Payload{}, socketio.ErrTimeout)
			return goja.Undefined()
		}))
		sb.timers[id] = &jsTimer{fn: fn, due: start.Add(timeout), t: time.AfterFunc(rest, func() { sb.postInternal(v.runDue) })}
	}
}

// socketEmitter is socket, socket.volatile or socket.timeout(ms) (0 times out at once, as in
// socket.io; without timeout the hub's default bounds the wait).
func socketEmitter(s *socketio.Socket, volatile bool, timeout time.Duration, timed bool) *socketio.SocketEmitter {
	em := s.Emitter()
	if timed {
		em = em.Timeout(timeout)
	}
	if volatile {
		em = em.Volatile()
	}
	return em
}

// socketAck emits now and delivers the acknowledgement on the loop.
func (v *vm) socketAck(em *socketio.SocketEmitter, ev string, vals []any, done func(socketio.Payload, error)) {
	sb := v.sb
	err := em.EmitWithAckFunc(ev, func(p socketio.Payload, err error) {
		sb.postInternal(func() { done(p, err) })
	}, vals...)
	if err != nil {
		panic(v.jsError(err))
	}
}

// notifyOutgoing runs onAnyOutgoing listeners for an emit to this socket, as socket.io does.
func (v *vm) notifyOutgoing(js *jsSocket, ev goja.Value, args []goja.Value) {
	for _, l := range slices.Clone(js.outs) {
		v.call(l.fn, js.obj, append([]goja.Value{ev}, args...)...)
	}
}

// joinSeq orders members of room: own room by connection, others by join.
func (js *jsSocket) joinSeq(room string) uint64 {
	if n, ok := js.joined[room]; ok {
		return n
	}
	return js.seq
}

// numberOf is the number whose JavaScript text is name (an Event.Numeric name).
func numberOf(name string) float64 {
	f, _ := strconv.ParseFloat(name, 64)
	return f
}
