package sandbox

import (
	"encoding/json"
	"sync"
	"sync/atomic"

	"socketlab/playground/socketio"
)

// Dispatcher connects a *socketio.Server to whichever Sandbox is current. It is attached once per
// server: a socketio.Server cannot unregister handlers, so the Dispatcher registers on each
// namespace exactly one middleware and one connection handler (and, for io.of(RegExp|function),
// one dynamic namespace) that forward to the current sandbox. Programs come and go underneath.
type Dispatcher struct {
	io  *socketio.Server
	cur atomic.Pointer[Sandbox]

	onSocket atomic.Pointer[func(*socketio.Socket)] // OnSocket

	mu     sync.Mutex
	hooked map[*socketio.Namespace]bool
	dyn    *socketio.Namespace // the one dynamic namespace, created on first use
	// serverSide: the server-side events forwarded per namespace (hookServerSide)
	serverSide map[*socketio.Namespace]map[string]bool
	reserved   func(name string) bool
}

// NewDispatcher attaches to io; call it once per server.
func NewDispatcher(io *socketio.Server) *Dispatcher {
	d := &Dispatcher{io: io, hooked: make(map[*socketio.Namespace]bool)}
	d.hook(io.Of("/"))
	return d
}

// Reserve keeps namespaces out of the programs' reach: io.of(name) throws for a name reserved
// reports true (a class keeps its instructor and tenant namespaces in Go). Call it before the
// first program runs. Dynamic parents cannot take a reserved name either: the server tries static
// namespaces, then the parents registered before the Dispatcher's.
func (d *Dispatcher) Reserve(reserved func(name string) bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.reserved = reserved
}

func (d *Dispatcher) isReserved(name string) bool {
	d.mu.Lock()
	r := d.reserved
	d.mu.Unlock()
	return r != nil && r(name)
}

// Server is the Socket.IO server the programs run on.
func (d *Dispatcher) Server() *socketio.Server { return d.io }

// Current is the sandbox receiving connections, or nil.
func (d *Dispatcher) Current() *Sandbox { return d.cur.Load() }

// Replace makes next (a sandbox whose Run succeeded, or nil) current and closes the previous
// one, which it returns. Sockets connected under the previous program stay connected but reach
// no program: the caller closes their connections so that clients reconnect, as after a restart.
func (d *Dispatcher) Replace(next *Sandbox) (prev *Sandbox) {
	prev = d.cur.Swap(next)
	if prev != nil && prev != next {
		prev.Close()
	}
	return prev
}

func (d *Dispatcher) forget(sb *Sandbox) { d.cur.CompareAndSwap(sb, nil) }

// hook registers the forwarding handlers on ns once.
func (d *Dispatcher) hook(ns *socketio.Namespace) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.hooked[ns] {
		return
	}
	d.hooked[ns] = true
	ns.Use(d.middleware)
	ns.OnConnection(d.connection)
}

// dynamic returns the server's dynamic namespace, creating and hooking it on first use.
func (d *Dispatcher) dynamic() {
	d.mu.Lock()
	if d.dyn != nil {
		d.mu.Unlock()
		return
	}
	d.dyn = d.io.OfFunc(d.allow)
	ns := d.dyn
	d.mu.Unlock()
	d.hook(ns)
}

// allow decides, on a hub goroutine, whether a CONNECT to an unknown name may create a dynamic
// child: a RegExp parent of the current program must match (tested in Go with ECMAScript
// semantics); a function parent says yes here and decides in the middleware, on the loop.
func (d *Dispatcher) allow(name string, _ json.RawMessage) bool {
	sb := d.cur.Load()
	if sb == nil || sb.stopped.Load() {
		return false
	}
	sb.mu.Lock()
	parents := sb.parents
	sb.mu.Unlock()
	for _, p := range parents {
		if p.fn != nil {
			return true
		}
		if p.re.MatchString(name) {
			return true
		}
	}
	return false
}

// OnSocket sets fn to be called (on a hub goroutine, before any program's middleware) for every
// socket that connects to any namespace of the server, dynamic ones included: the playground
// names sockets for its tap with it.
func (d *Dispatcher) OnSocket(fn func(*socketio.Socket)) { d.onSocket.Store(&fn) }

// middleware runs on a hub goroutine: it hands the connection to the current program's loop.
func (d *Dispatcher) middleware(s *socketio.Socket, next func(error)) {
	if fn := d.onSocket.Load(); fn != nil && *fn != nil {
		(*fn)(s)
	}
	sb := d.cur.Load()
	name := s.Namespace().Name()
	switch {
	case sb == nil && name == "/":
		next(nil)
		return
	case sb == nil:
		next(&socketio.ConnectError{Message: "Invalid namespace"})
		return
	case sb.stopped.Load():
		next(&socketio.ConnectError{Message: "server program stopped"})
		return
	}
	// The program calls next on its loop; the hub then connects the socket at once, and the
	// connection handler (d.connection) sees nexting and runs right after the current job, as
	// socket.io runs it in a process.nextTick after the last middleware.
	onLoop := func(err error) {
		prev := sb.nexting.Swap(s)
		defer sb.nexting.Store(prev)
		next(err)
	}
	if !sb.post("a connection", "", func() { sb.vm.admit(s, onLoop) }) {
		next(&socketio.ConnectError{Message: "server busy"})
	}
}

// connection runs on a hub goroutine once middleware accepted s: it forwards the socket's events
// to the program that admitted it, in order, and never to another one.
func (d *Dispatcher) connection(s *socketio.Socket) {
	sb := d.cur.Load()
	if sb == nil {
		return
	}
	connect := func() { sb.vm.onConnection(s) }
	if !sb.admitted(s) {
		// Connection state recovery with skipMiddlewares restores a socket without running
		// the middleware: the program meets it in its connection handler, socket.recovered true.
		if !s.Recovered() {
			return
		}
		connect = func() {
			if sb.vm.admitRecovered(s) {
				sb.vm.onConnection(s)
			}
		}
	}
	// The client sees the connection once the program's connection handler ran on the loop, as
	// in socket.io where it runs before the client's next packet is read.
	release := s.DelayConnect()
	sb.delayed.Store(s, release) // released by the job, or by the program's stop if it never runs
	job := func() {
		defer func() {
			sb.delayed.Delete(s)
			release()
		}()
		connect()
	}
	if sb.nexting.Load() == s { // on the loop, inside the program's next(): right after this job
		sb.ticks = append(sb.ticks, tick{run: job, drop: release})
	} else if !sb.post("a connection", "", job) {
		release()
		return
	}
	s.OnAny(func(e *socketio.Event) {
		sb.post("event", e.Name, func() { sb.vm.onEvent(s, e) })
	})
	s.OnDisconnecting(func(reason string) {
		rooms := s.Rooms()
		sb.post("disconnecting", "", func() { sb.vm.onDisconnect(s, "disconnecting", reason, rooms) })
	})
	s.OnDisconnect(func(reason string) {
		sb.forgetAdmitted(s)
		sb.post("disconnect", "", func() { sb.vm.onDisconnect(s, "disconnect", reason, nil) })
	})
}
