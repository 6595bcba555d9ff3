package sandbox

import (
	"errors"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dop251/goja"

	"socketlab/playground/socketio"
)

// The facade: JavaScript objects for io, namespaces, broadcast operators and sockets. Each JS
// method is one Go method named like it, listed in a table; what socket.io has and Socket Lab
// does not is listed in a refusal table and throws an Error naming it.

type method struct {
	name string
	fn   func(goja.FunctionCall) goja.Value
}

type refusal struct{ name, why string }

// define puts methods, getters and refusals on o.
func (v *vm) define(o *goja.Object, methods []method, getters []method, refusals []refusal, prefix string) {
	for _, m := range methods {
		_ = o.Set(m.name, m.fn)
	}
	for _, g := range getters {
		if err := o.DefineAccessorProperty(g.name, v.rt.ToValue(g.fn), nil, goja.FLAG_TRUE, goja.FLAG_TRUE); err != nil {
			panic(err)
		}
	}
	for _, r := range refusals {
		r := r
		get := v.rt.ToValue(func(goja.FunctionCall) goja.Value {
			v.unavailable(prefix+r.name, r.why)
			return nil
		})
		if err := o.DefineAccessorProperty(r.name, get, nil, goja.FLAG_TRUE, goja.FLAG_FALSE); err != nil {
			panic(err)
		}
	}
}

// roomsArg flattens to(room | [rooms]) arguments into strings, as socket.io does.
func (v *vm) roomsArg(args []goja.Value) []string {
	var out []string
	for _, a := range args {
		if o, ok := a.(*goja.Object); ok && o.ClassName() == "Array" {
			n := o.Get("length").ToInteger()
			for i := int64(0); i < n; i++ {
				out = append(out, o.Get(itoa(i)).String())
			}
			continue
		}
		if goja.IsUndefined(a) || goja.IsNull(a) {
			continue
		}
		out = append(out, a.String())
	}
	return out
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

func msOf(val goja.Value) time.Duration {
	f := val.ToFloat()
	if math.IsNaN(f) || f < 0 {
		f = 0
	}
	return time.Duration(f * float64(time.Millisecond))
}

// jsError strips the Go package prefix of a socketio error.
func (v *vm) jsError(err error) *goja.Object {
	return v.newError(strings.TrimPrefix(err.Error(), "socketio: "))
}

// allowEmit charges one emit to the rate limit or throws.
func (v *vm) allowEmit() {
	if !v.sb.emits.AllowN(time.Now(), 1) {
		v.throw("emit refused: more than %d emits per second, the limit in Socket Lab", v.sb.opts.EmitsPerSecond)
	}
}

// ---- namespaces

type jsNamespace struct {
	name   string
	goNs   *socketio.Namespace // static namespace or dynamic child; nil for a dynamic parent
	re     *regexp.Regexp      // dynamic parent io.of(RegExp)
	fn     goja.Callable       // dynamic parent io.of(function)
	parent *jsNamespace        // a dynamic child's parent
	mws    []goja.Callable
	onConn []goja.Callable
	obj    *goja.Object
	// serverSide are the listeners of events other servers send (nsp.on(event) besides
	// "connection"), by event.
	serverSide map[string][]goja.Callable
}

// newServer builds the global io: an object of its own whose prototype is the main namespace
// (io.emit, io.to, io.on… are the main namespace's, as socket.io's Server forwards them), plus
// io.of, io.sockets (the main namespace, whose .sockets is the Map of sockets) and the server
// refusals. io is not io.of("/"), as in socket.io.
func (v *vm) newServer() *goja.Object {
	main := v.staticNamespace("/")
	o := v.rt.NewObject()
	if err := o.SetPrototype(main.obj); err != nil {
		panic(err)
	}
	v.define(o, []method{{"of", v.of}}, []method{{"sockets", func(goja.FunctionCall) goja.Value { return main.obj }}}, []refusal{
		{"engine", "the Engine.IO layer belongs to Socket Lab's hub"},
		{"httpServer", "Socket Lab serves HTTP itself"},
		{"listen", "the server is already listening (Run starts it)"},
		{"attach", "the server is already listening (Run starts it)"},
		{"close", "press Run to replace the server, or Reset"},
		{"path", "the path is /socket.io/"},
		{"serveClient", "Socket Lab serves its own client"},
		{"bind", "Socket Lab binds its own Engine.IO server"},
	}, "io.")
	return o
}

// of implements io.of(name | RegExp | function).
func (v *vm) of(call goja.FunctionCall) goja.Value {
	a := call.Argument(0)
	if f := fnOf(a); f != nil {
		return v.dynamicNamespace(&jsNamespace{name: "function", fn: f}).obj
	}
	if o, ok := a.(*goja.Object); ok && o.ClassName() == "RegExp" {
		// Go's RE2 engine: linear time, so matching on a hub goroutine cannot hang it. The
		// syntax namespace patterns use (anchors, classes, \d, \w, groups, alternation)
		// means the same in both; lookaround and backreferences are refused.
		flags := o.Get("flags").String()
		src := o.Get("source").String()
		if strings.Contains(flags, "i") {
			src = "(?i)" + src
		}
		if strings.Contains(flags, "m") {
			src = "(?m)" + src
		}
		re, err := regexp.Compile(src)
		if err != nil {
			v.throw("io.of: this regular expression is not available in Socket Lab (lookaround and backreferences are not supported): %v", err)
		}
		return v.dynamicNamespace(&jsNamespace{name: o.String(), re: re}).obj
	}
	name := a.String()
	if name == "" || name[0] != '/' {
		name = "/" + name
	}
	if v.sb.d.isReserved(name) {
		v.throw("io.of(%q): this namespace is reserved by the class and stays out of reach of the program", name)
	}
	ns := v.staticNamespace(name)
	if fn := fnOf(call.Argument(1)); fn != nil { // io.of(name, fn): fn is a connection listener
		ns.onConn = append(ns.onConn, fn)
	}
	return ns.obj
}

func (v *vm) staticNamespace(name string) *jsNamespace {
	sb := v.sb
	sb.mu.Lock()
	ns := sb.nsps[name]
	sb.mu.Unlock()
	if ns != nil {
		return ns
	}
	goNs := sb.d.io.Of(name)
	sb.d.hook(goNs)
	// As in socket.io, io.of(name) for a name a RegExp namespace matches makes that namespace's
	// child: its middleware and connection listeners apply (function parents are not asked).
	sb.mu.Lock()
	parents := sb.parents
	sb.mu.Unlock()
	for _, p := range parents {
		if p.re != nil && p.re.MatchString(name) {
			return v.childNamespace(goNs, p)
		}
	}
	ns = &jsNamespace{name: name, goNs: goNs}
	v.namespaceObject(ns)
	sb.mu.Lock()
	sb.nsps[name] = ns
	sb.mu.Unlock()
	return ns
}

func (v *vm) dynamicNamespace(ns *jsNamespace) *jsNamespace {
	v.sb.d.dynamic()
	v.namespaceObject(ns)
	v.sb.mu.Lock()
	v.sb.parents = append(v.sb.parents, ns)
	v.sb.mu.Unlock()
	return ns
}

// childNamespace is the JavaScript view of a dynamic child (socket.nsp).
func (v *vm) childNamespace(goNs *socketio.Namespace, parent *jsNamespace) *jsNamespace {
	name := goNs.Name()
	v.sb.mu.Lock()
	ns := v.sb.nsps[name]
	v.sb.mu.Unlock()
	if ns != nil {
		return ns
	}
	ns = &jsNamespace{name: name, goNs: goNs, parent: parent}
	v.namespaceObject(ns)
	v.sb.mu.Lock()
	v.sb.nsps[name] = ns
	v.sb.mu.Unlock()
	return ns
}

// targets are the Go namespaces an operator of ns reaches: itself, or a parent's children.
func (v *vm) targets(ns *jsNamespace) []*socketio.Namespace {
	if ns.goNs != nil {
		return []*socketio.Namespace{ns.goNs}
	}
	var out []*socketio.Namespace
	v.sb.mu.Lock()
	for _, c := range v.sb.nsps {
		if c.parent == ns {
			out = append(out, c.goNs)
		}
	}
	v.sb.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out
}

func (v *vm) namespaceObject(ns *jsNamespace) {
	st := &opState{v: v, ns: ns}
	o := v.operatorObject(st)
	v.define(o, []method{
		{"on", func(c goja.FunctionCall) goja.Value { return v.nspOn(ns, o, c) }},
		{"addListener", func(c goja.FunctionCall) goja.Value { return v.nspOn(ns, o, c) }},
		{"use", func(c goja.FunctionCall) goja.Value { return v.nspUse(ns, o, c) }},
		{"serverSideEmit", func(c goja.FunctionCall) goja.Value { return v.serverSideEmit(ns, c) }},
		{"serverSideEmitWithAck", func(c goja.FunctionCall) goja.Value { return v.serverSideEmitWithAck(ns, c) }},
	}, []method{
		{"name", func(goja.FunctionCall) goja.Value { return v.rt.ToValue(ns.name) }},
		{"sockets", func(goja.FunctionCall) goja.Value { return v.nspSockets(ns) }},
		{"adapter", func(goja.FunctionCall) goja.Value { return v.adapter(ns) }},
	}, []refusal{
		{"once", "use on(\"connection\", ...)"},
	}, "namespace.")
	ns.obj = o
}

// nspOn implements nsp.on("connection" | "connect", fn), and nsp.on(event, fn) for the events
// other servers send with serverSideEmit.
func (v *vm) nspOn(ns *jsNamespace, self *goja.Object, call goja.FunctionCall) goja.Value {
	ev := call.Argument(0).String()
	fn := fnOf(call.Argument(1))
	if fn == nil {
		panic(v.rt.NewTypeError(`The "listener" argument must be of type function`))
	}
	if ev != "connection" && ev != "connect" {
		v.serverSideOn(ns, ev, fn)
		return self
	}
	ns.onConn = append(ns.onConn, fn)
	return self
}

// nspUse implements nsp.use((socket, next) => ...).
func (v *vm) nspUse(ns *jsNamespace, self *goja.Object, call goja.FunctionCall) goja.Value {
	fn := fnOf(call.Argument(0))
	if fn == nil {
		panic(v.rt.NewTypeError(`The "fn" argument of use must be of type function`))
	}
	ns.mws = append(ns.mws, fn)
	return self
}

// nspSockets implements nsp.sockets: a Map of id → socket.
func (v *vm) nspSockets(ns *jsNamespace) goja.Value {
	m, err := v.rt.New(v.rt.Get("Map").ToObject(v.rt))
	if err != nil {
		panic(err)
	}
	set, _ := goja.AssertFunction(m.Get("set"))
	var socks []*jsSocket
	for _, g := range v.targets(ns) {
		for _, s := range g.FetchSockets() {
			if js := v.sockets[s]; js != nil {
				socks = append(socks, js)
			}
		}
	}
	for _, js := range v.inOrder(socks, nil) {
		_, _ = set(m, v.rt.ToValue(js.s.ID()), js.obj)
	}
	return m
}

// adapter is a read-only view of the in-memory adapter: rooms (room → Set of socket ids, own
// rooms included) and sids (socket id → Set of rooms), as Maps.
func (v *vm) adapter(ns *jsNamespace) goja.Value {
	newMap := func() (*goja.Object, goja.Callable) {
		m, err := v.rt.New(v.rt.Get("Map").ToObject(v.rt))
		if err != nil {
			panic(err)
		}
		set, _ := goja.AssertFunction(m.Get("set"))
		return m, set
	}
	setCtor := v.rt.Get("Set").ToObject(v.rt)
	rooms, setRoom := newMap()
	sids, setSid := newMap()
	members := map[string][]any{}
	var order []string
	for _, g := range v.targets(ns) {
		for _, s := range g.FetchSockets() {
			rs := s.Rooms()
			list := make([]any, len(rs))
			for i, r := range rs {
				list[i] = r
				if _, ok := members[r]; !ok {
					order = append(order, r)
				}
				members[r] = append(members[r], s.ID())
			}
			set, _ := v.rt.New(setCtor, v.rt.NewArray(list...))
			_, _ = setSid(sids, v.rt.ToValue(s.ID()), set)
		}
	}
	for _, r := range order {
		set, _ := v.rt.New(setCtor, v.rt.NewArray(members[r]...))
		_, _ = setRoom(rooms, v.rt.ToValue(r), set)
	}
	o := v.rt.NewObject()
	_ = o.Set("rooms", rooms)
	_ = o.Set("sids", sids)
	return o
}

// ---- broadcast operators

type opState struct {
	v        *vm
	ns       *jsNamespace
	from     *socketio.Socket // socket.broadcast / socket.to: the sender is excluded
	rooms    []string
	except   []string
	volatile bool
	local    bool // io.local: this server's sockets only
	timeout  time.Duration
	timed    bool
}

func (st *opState) with(f func(c *opState)) *goja.Object {
	c := *st
	c.rooms = append([]string(nil), st.rooms...)
	c.except = append([]string(nil), st.except...)
	f(&c)
	return st.v.operatorObject(&c)
}

// ops builds one socketio.Operator per target namespace.
func (st *opState) ops() []*socketio.Operator {
	var bases []*socketio.Operator
	if st.from != nil {
		bases = []*socketio.Operator{st.from.Broadcast()}
	} else {
		for _, ns := range st.v.targets(st.ns) {
			bases = append(bases, ns.Except())
		}
	}
	for i, op := range bases {
		if len(st.rooms) > 0 {
			op = op.To(st.rooms...)
		}
		if len(st.except) > 0 {
			op = op.Except(st.except...)
		}
		if st.local {
			op = op.Local()
		}
		if st.volatile {
			if busy := st.v.writtenThisJob(); len(busy) > 0 {
				op = op.Except(busy...) // each socket is in the room of its own id
			}
			op = op.Volatile()
		}
		if st.timed {
			op = op.Timeout(st.timeout) // 0 times out at once, as in socket.io
		}
		bases[i] = op
	}
	return bases
}

func (v *vm) operatorObject(st *opState) *goja.Object {
	o := v.rt.NewObject()
	v.define(o, []method{
		{"to", func(c goja.FunctionCall) goja.Value { return st.to(c) }},
		{"in", func(c goja.FunctionCall) goja.Value { return st.to(c) }},
		{"except", func(c goja.FunctionCall) goja.Value { return st.except_(c) }},
		{"timeout", func(c goja.FunctionCall) goja.Value { return st.timeout_(c) }},
		{"compress", func(goja.FunctionCall) goja.Value { return o }}, // compression is off in Socket Lab: no observable effect
		{"emit", st.emit},
		{"send", func(c goja.FunctionCall) goja.Value {
			c.Arguments = append([]goja.Value{v.rt.ToValue("message")}, c.Arguments...)
			return st.emit(c)
		}},
		{"emitWithAck", st.emitWithAck},
		{"fetchSockets", st.fetchSockets},
		{"socketsJoin", st.socketsJoin},
		{"socketsLeave", st.socketsLeave},
		{"disconnectSockets", st.disconnectSockets},
	}, []method{
		{"volatile", func(goja.FunctionCall) goja.Value { return st.with(func(c *opState) { c.volatile = true }) }},
		// io.local, a getter as in socket.io: this server's sockets only. One server alone
		// reaches the same sockets either way.
		{"local", func(goja.FunctionCall) goja.Value { return st.with(func(c *opState) { c.local = true }) }},
	}, nil, "")
	return o
}

func (st *opState) to(c goja.FunctionCall) goja.Value {
	rooms := st.v.roomsArg(c.Arguments)
	return st.with(func(n *opState) { n.rooms = append(n.rooms, rooms...) })
}

func (st *opState) except_(c goja.FunctionCall) goja.Value {
	rooms := st.v.roomsArg(c.Arguments)
	return st.with(func(n *opState) { n.except = append(n.except, rooms...) })
}

func (st *opState) timeout_(c goja.FunctionCall) goja.Value {
	d := msOf(c.Argument(0))
	return st.with(func(n *opState) { n.timeout, n.timed = d, true })
}

// emit implements operator.emit(ev, ...args[, cb(err, responses)]).
func (st *opState) emit(c goja.FunctionCall) goja.Value {
	v := st.v
	ev := c.Argument(0).String()
	args, cb := splitAck(c.Arguments[min(1, len(c.Arguments)):])
	v.allowEmit()
	vals := v.toGo(args)
	if cb == nil {
		for _, op := range st.ops() {
			if err := op.Emit(ev, vals...); err != nil {
				panic(v.jsError(err))
			}
		}
		return v.rt.ToValue(true)
	}
	if err := checkName(ev); err != nil {
		panic(v.jsError(err))
	}
	ack := *st
	if !ack.timed { // as in socket.io 4.8: a broadcast ack without timeout times out at once
		ack.timed, ack.timeout = true, 0
	}
	v.broadcastAck(ack.ops(), ev, vals, func(replies []goja.Value, err error) {
		errVal := goja.Null()
		if err != nil {
			errVal = v.jsError(err)
		}
		v.call(cb, goja.Undefined(), errVal, v.rt.NewArray(anySlice(replies)...))
	})
	return v.rt.ToValue(true)
}

func anySlice(vals []goja.Value) []any {
	out := make([]any, len(vals))
	for i, x := range vals {
		out[i] = x
	}
	return out
}

// checkName validates an event name the way emit would.
func checkName(ev string) error {
	switch ev {
	case "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener":
		return errors.New(`"` + ev + `" is a reserved event name`)
	}
	return nil
}

// broadcastAck emits now and delivers, on the loop, the first argument of each reply.
func (v *vm) broadcastAck(ops []*socketio.Operator, ev string, vals []any, done func([]goja.Value, error)) {
	sb := v.sb
	var (
		mu      sync.Mutex
		all     []socketio.Reply
		first   error
		pending = len(ops)
	)
	finish := func() {
		sb.postInternal(func() {
			out := make([]goja.Value, 0, len(all))
			for _, r := range all {
				if args := v.toJS(r.Payload); len(args) > 0 {
					out = append(out, args[0])
				} else {
					out = append(out, goja.Undefined())
				}
			}
			done(out, first)
		})
	}
	if pending == 0 {
		finish()
		return
	}
	for _, op := range ops {
		err := op.EmitWithAckFunc(ev, func(replies []socketio.Reply, err error) {
			mu.Lock()
			all = append(all, replies...)
			if err != nil && first == nil {
				first = err
			}
			pending--
			last := pending == 0
			mu.Unlock()
			if last {
				finish()
			}
		}, vals...)
		if err != nil {
			panic(v.jsError(err))
		}
	}
}

// emitWithAck implements operator.emitWithAck(ev, ...args) → Promise of responses.
func (st *opState) emitWithAck(c goja.FunctionCall) goja.Value {
	v := st.v
	ev := c.Argument(0).String()
	if err := checkName(ev); err != nil {
		panic(v.jsError(err))
	}
	v.allowEmit()
	vals := v.toGo(c.Arguments[min(1, len(c.Arguments)):])
	p, resolve, reject := v.rt.NewPromise()
	ack := *st
	if !ack.timed {
		ack.timed, ack.timeout = true, 0
	}
	v.broadcastAck(ack.ops(), ev, vals, func(replies []goja.Value, err error) {
		arr := v.rt.NewArray(anySlice(replies)...)
		if err != nil {
			e := v.jsError(err)
			_ = e.Set("responses", arr)
			_ = reject(e)
			return
		}
		_ = resolve(arr)
	})
	return v.rt.ToValue(p)
}

// fetchSockets implements operator.fetchSockets() → Promise of the program's socket objects, in
// socket.io's order: by room (each room's members in join order), else in connection order.
func (st *opState) fetchSockets(goja.FunctionCall) goja.Value {
	v := st.v
	ops := st.ops()
	if !st.local && v.clustered(st.ns) {
		return st.fetchClusterSockets(ops)
	}
	socks := st.localSockets(ops)
	objs := make([]any, 0, len(socks))
	for _, js := range socks {
		objs = append(objs, js.obj)
	}
	p, resolve, _ := v.rt.NewPromise()
	_ = resolve(v.rt.NewArray(objs...))
	return v.rt.ToValue(p)
}

// localSockets are this server's sockets that ops select, in socket.io's order.
func (st *opState) localSockets(ops []*socketio.Operator) []*jsSocket {
	var socks []*jsSocket
	for _, op := range ops {
		for _, s := range op.FetchSockets() {
			if js := st.v.sockets[s]; js != nil && js.connected {
				socks = append(socks, js)
			}
		}
	}
	return st.v.inOrder(socks, st.rooms)
}

// inOrder sorts sockets as socket.io's adapter iterates them.
func (v *vm) inOrder(socks []*jsSocket, rooms []string) []*jsSocket {
	if len(rooms) == 0 {
		sort.Slice(socks, func(i, j int) bool { return socks[i].seq < socks[j].seq })
		return socks
	}
	out := make([]*jsSocket, 0, len(socks))
	seen := make(map[*jsSocket]bool, len(socks))
	for _, r := range rooms {
		var members []*jsSocket
		for _, js := range socks {
			if !seen[js] && slices.Contains(js.s.Rooms(), r) {
				members = append(members, js)
			}
		}
		sort.Slice(members, func(i, j int) bool { return members[i].joinSeq(r) < members[j].joinSeq(r) })
		for _, js := range members {
			seen[js] = true
			out = append(out, js)
		}
	}
	return out
}

func (st *opState) socketsJoin(c goja.FunctionCall) goja.Value {
	rooms := st.v.roomsArg(c.Arguments)
	clustered := !st.local && st.v.clustered(st.ns)
	for _, op := range st.ops() {
		for _, s := range op.FetchSockets() {
			st.v.join(s, rooms) // in join order, for socket.rooms
		}
		if clustered {
			op.SocketsJoin(rooms...) // the other servers' sockets (these are members already)
		}
	}
	return goja.Undefined()
}

func (st *opState) socketsLeave(c goja.FunctionCall) goja.Value {
	rooms := st.v.roomsArg(c.Arguments)
	for _, op := range st.ops() {
		op.SocketsLeave(rooms...)
	}
	return goja.Undefined()
}

func (st *opState) disconnectSockets(c goja.FunctionCall) goja.Value {
	closeConn := c.Argument(0).ToBoolean()
	for _, op := range st.ops() {
		op.DisconnectSockets(closeConn)
	}
	return goja.Undefined()
}
