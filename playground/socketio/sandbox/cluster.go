package sandbox

import (
	"context"
	"encoding/json"
	"time"

	"github.com/dop251/goja"

	"socketlab/playground/socketio"
)

// What a program can do with other servers when its hub shares namespaces through an adapter
// (socketlab run -redis URL): nsp.serverSideEmit / serverSideEmitWithAck and nsp.on(event) for
// theirs, fetchSockets that also returns the other servers' sockets (socket.io's RemoteSocket),
// and socket.data that those servers can read. Calls that wait for other servers run on a
// goroutine of the sandbox (Close waits for them) and settle on the loop.

// reservedServerSide are the names nsp.serverSideEmit refuses, as socket.io's RESERVED_EVENTS.
var reservedServerSide = map[string]bool{"connect": true, "connection": true, "new_namespace": true}

// clusterBound caps a wait for other servers beyond the adapter's own request timeout.
const clusterBound = 30 * time.Second

// dataWait bounds how long another server's fetchSockets waits for this program's loop to
// read a socket.data; a busy or stopped program reports {}.
const dataWait = 2 * time.Second

// clustered reports whether every Go namespace behind ns shares its operations with other
// servers (no namespaces: false).
func (v *vm) clustered(ns *jsNamespace) bool {
	targets := v.targets(ns)
	for _, g := range targets {
		if !g.Clustered() {
			return false
		}
	}
	return len(targets) > 0
}

// background runs f on a goroutine of the sandbox with a context that ends at Close; Close
// waits for it.
func (sb *Sandbox) background(f func(ctx context.Context)) {
	sb.bg.Add(1)
	go func() {
		defer sb.bg.Done()
		ctx, cancel := context.WithTimeout(sb.ctx, clusterBound)
		defer cancel()
		f(ctx)
	}()
}

// onLoop runs f on the loop and returns what it returned, or ok false when the program is
// stopped or busy for longer than dataWait. It must not be called from the loop.
func (sb *Sandbox) onLoop(f func() []byte) ([]byte, bool) {
	res := make(chan []byte, 1)
	sb.postInternal(func() { res <- f() })
	t := time.NewTimer(dataWait)
	defer t.Stop()
	select {
	case b := <-res:
		return b, true
	case <-sb.quit:
	case <-t.C:
	}
	return nil, false
}

// MarshalJSON is socket.data as JSON.stringify writes it, read on the program's loop: what
// another server's fetchSockets sees (socketio.DataKey).
func (d socketData) MarshalJSON() ([]byte, error) {
	if d.v == nil {
		return []byte("{}"), nil
	}
	b, ok := d.v.sb.onLoop(func() []byte {
		v := d.v
		if v.sb.vm != v { // released: the runtime is gone
			return nil
		}
		t, ok := v.encodeJSON(d.val)
		v.atts = nil
		if !ok {
			return nil
		}
		return []byte(t)
	})
	if !ok || b == nil {
		return []byte("{}"), nil
	}
	return b, nil
}

// serverSideOn implements nsp.on(event, fn) for events other servers send with serverSideEmit.
func (v *vm) serverSideOn(ns *jsNamespace, ev string, fn goja.Callable) {
	if ns.goNs == nil {
		v.throw("%s.on(%q): server-side events are not available on a dynamic namespace in Socket Lab", ns.name, ev)
	}
	if ns.serverSide == nil {
		ns.serverSide = map[string][]goja.Callable{}
	}
	ns.serverSide[ev] = append(ns.serverSide[ev], fn)
	v.sb.d.hookServerSide(ns.goNs, ev)
}

// hookServerSide forwards ev from other servers on ns to the current program, once per
// namespace and event (a namespace outlives the programs that run on it).
func (d *Dispatcher) hookServerSide(ns *socketio.Namespace, ev string) {
	d.mu.Lock()
	if d.serverSide[ns][ev] {
		d.mu.Unlock()
		return
	}
	if d.serverSide == nil {
		d.serverSide = map[*socketio.Namespace]map[string]bool{}
	}
	if d.serverSide[ns] == nil {
		d.serverSide[ns] = map[string]bool{}
	}
	d.serverSide[ns][ev] = true
	d.mu.Unlock()
	ns.OnServerSideEmit(ev, func(args socketio.Payload, ack func(any) error) {
		sb := d.cur.Load()
		if sb == nil {
			return
		}
		sb.post("a server-side event", ev, func() { sb.vm.onServerSide(ns, ev, args, ack) })
	})
}

// onServerSide calls the program's listeners for a server-side event, on the loop; with ack,
// the last argument is a callback whose first argument is this server's reply.
func (v *vm) onServerSide(goNs *socketio.Namespace, ev string, p socketio.Payload, ack func(any) error) {
	v.sb.mu.Lock()
	ns := v.sb.nsps[goNs.Name()]
	v.sb.mu.Unlock()
	if ns == nil || len(ns.serverSide[ev]) == 0 {
		return
	}
	args := v.toJS(p)
	if ack != nil {
		args = append(args, v.rt.ToValue(func(c goja.FunctionCall) goja.Value {
			vals := v.toGo(c.Arguments[:min(1, len(c.Arguments))])
			var reply any = json.RawMessage("null")
			if len(vals) > 0 {
				reply = vals[0]
			}
			if _, bin := reply.(socketio.RawBinary); bin {
				v.throw("serverSideEmit reply: binary cannot travel between servers in Socket Lab")
			}
			_ = ack(reply) // a second call is ignored, as in socket.io
			return goja.Undefined()
		}))
	}
	for _, fn := range append([]goja.Callable(nil), ns.serverSide[ev]...) {
		v.call(fn, ns.obj, args...)
	}
}

// serverSideArgs checks a serverSideEmit call and encodes its arguments.
func (v *vm) serverSideArgs(ns *jsNamespace, name string, args []goja.Value) (string, []any) {
	ev := args[0].String()
	if reservedServerSide[ev] {
		panic(v.newError(`"` + ev + `" is a reserved event name`))
	}
	if ns.goNs == nil || !ns.goNs.Clustered() {
		v.unavailable("namespace."+name, "there is only one server (socketlab run -redis URL shares its namespaces with other servers)")
	}
	v.allowEmit()
	vals := v.toGo(args[1:])
	for _, x := range vals {
		if _, bin := x.(socketio.RawBinary); bin {
			v.throw("%s: binary cannot travel between servers in Socket Lab", name)
		}
	}
	return ev, vals
}

// serverSideEmit implements nsp.serverSideEmit(ev, ...args[, cb(err, responses)]).
func (v *vm) serverSideEmit(ns *jsNamespace, c goja.FunctionCall) goja.Value {
	args, cb := splitAck(c.Arguments)
	if len(args) == 0 {
		args = []goja.Value{goja.Undefined()}
	}
	ev, vals := v.serverSideArgs(ns, "serverSideEmit", args)
	if cb == nil {
		if err := ns.goNs.ServerSideEmit(ev, vals...); err != nil {
			panic(v.jsError(err))
		}
		return v.rt.ToValue(true)
	}
	v.serverSideAck(ns.goNs, ev, vals, func(replies goja.Value, err error) {
		errVal := goja.Null()
		if err != nil {
			errVal = v.jsError(err)
		}
		v.call(cb, goja.Undefined(), errVal, replies)
	})
	return v.rt.ToValue(true)
}

// serverSideEmitWithAck implements nsp.serverSideEmitWithAck(ev, ...args) → Promise of the
// other servers' replies.
func (v *vm) serverSideEmitWithAck(ns *jsNamespace, c goja.FunctionCall) goja.Value {
	args := c.Arguments
	if len(args) == 0 {
		args = []goja.Value{goja.Undefined()}
	}
	ev, vals := v.serverSideArgs(ns, "serverSideEmitWithAck", args)
	p, resolve, reject := v.rt.NewPromise()
	v.serverSideAck(ns.goNs, ev, vals, func(replies goja.Value, err error) {
		if err != nil {
			_ = reject(v.jsError(err))
			return
		}
		_ = resolve(replies)
	})
	return v.rt.ToValue(p)
}

func (v *vm) serverSideAck(goNs *socketio.Namespace, ev string, vals []any, done func(replies goja.Value, err error)) {
	sb := v.sb
	sb.background(func(ctx context.Context) {
		raw, err := goNs.ServerSideEmitWithAck(ctx, ev, vals...)
		sb.postInternal(func() {
			out := make([]any, len(raw))
			for i, r := range raw {
				out[i] = v.parseJSON(r, nil)
			}
			done(v.rt.NewArray(out...), err)
		})
	})
}

// fetchClusterSockets is fetchSockets on a clustered namespace: this server's sockets (the
// program's own socket objects, in socket.io's order), then the other servers' as RemoteSocket
// objects, once every server answered; rejected when one does not in time.
func (st *opState) fetchClusterSockets(ops []*socketio.Operator) goja.Value {
	v := st.v
	p, resolve, reject := v.rt.NewPromise()
	v.sb.background(func(ctx context.Context) {
		var all []socketio.RemoteSocket
		var firstErr error
		for _, op := range ops {
			rs, err := op.FetchClusterSockets(ctx)
			all = append(all, rs...)
			if err != nil && firstErr == nil {
				firstErr = err
			}
		}
		v.sb.postInternal(func() {
			if firstErr != nil {
				_ = reject(v.jsError(firstErr))
				return
			}
			local := st.localSockets(ops)
			objs := make([]any, 0, len(all))
			own := map[string]bool{}
			for _, js := range local {
				own[js.s.ID()] = true
				objs = append(objs, js.obj)
			}
			for _, rs := range all {
				if !own[rs.ID] {
					objs = append(objs, v.remoteSocket(st.ns, rs))
				}
			}
			_ = resolve(v.rt.NewArray(objs...))
		})
	})
	return v.rt.ToValue(p)
}

// remoteSocket is socket.io's RemoteSocket: id, handshake, rooms (a Set), data, and emit, join,
// leave, disconnect and timeout acting through the cluster on that one socket.
func (v *vm) remoteSocket(ns *jsNamespace, rs socketio.RemoteSocket) *goja.Object {
	o := v.rt.NewObject()
	_ = o.Set("id", rs.ID)
	_ = o.Set("handshake", v.parseJSON(orEmpty(rs.Handshake), nil))
	_ = o.Set("data", v.parseJSON(orEmpty(rs.Data), nil))
	rooms := make([]any, len(rs.Rooms))
	for i, r := range rs.Rooms {
		rooms[i] = r
	}
	set, err := v.rt.New(v.rt.Get("Set").ToObject(v.rt), v.rt.NewArray(rooms...))
	if err != nil {
		panic(err)
	}
	_ = o.Set("rooms", set)
	one := &opState{v: v, ns: ns, rooms: []string{rs.ID}}
	op := v.operatorObject(one)
	for _, name := range []string{"emit", "timeout"} {
		_ = o.Set(name, op.Get(name))
	}
	_ = o.Set("join", func(c goja.FunctionCall) goja.Value { return one.socketsJoin(c) })
	_ = o.Set("leave", func(c goja.FunctionCall) goja.Value { return one.socketsLeave(c) })
	_ = o.Set("disconnect", func(c goja.FunctionCall) goja.Value { one.disconnectSockets(c); return o })
	return o
}

func orEmpty(raw json.RawMessage) []byte {
	if len(raw) == 0 {
		return []byte("{}")
	}
	return raw
}
