package socketio

import (
	"bytes"
	"encoding/json"
	"slices"
	"sort"
)

// This file holds the read-only lookups and small handles a faithful port of a socket.io
// program needs (issue 13, item 5), kept apart from the broadcasting code.

// Emitter is what a namespace, the server, an operator chain and a socket (or its flagged
// emitter) share: emit an event, or narrow the recipients to rooms. A helper that only emits
// takes an Emitter and works with io, io.of("/x"), io.to("r"), socket and socket.timeout(ms).
type Emitter interface {
	Emit(event string, args ...any) error
	To(rooms ...string) *Operator
	In(rooms ...string) *Operator
	Except(rooms ...string) *Operator
}

var (
	_ Emitter = (*Server)(nil)
	_ Emitter = (*Namespace)(nil)
	_ Emitter = (*Operator)(nil)
	_ Emitter = (*Socket)(nil)
	_ Emitter = (*SocketEmitter)(nil)
)

// In is an alias of To (socket.timeout(ms).in(room)).
func (e *SocketEmitter) In(rooms ...string) *Operator { return e.To(rooms...) }

// LookupNamespace returns the namespace name if it exists, a dynamic namespace's child included,
// without creating it (io._nsps.get(name) in socket.io; Of creates).
func (srv *Server) LookupNamespace(name string) (*Namespace, bool) {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	ns, ok := srv.nsps[name]
	return ns, ok
}

// Socket returns the connected socket with this id (nsp.sockets.get(id)).
func (ns *Namespace) Socket(id string) (*Socket, bool) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	s, ok := ns.sockets[id]
	return s, ok
}

// Rooms returns a snapshot of the namespace's rooms, as nsp.adapter.rooms lists them: every room
// with at least one member, each socket's own room (its id) included while it is in it, mapped
// to the members' ids, sorted. Changing the result changes nothing in the hub.
func (ns *Namespace) Rooms() map[string][]string {
	ns.mu.Lock()
	out := make(map[string][]string, len(ns.rooms)+len(ns.sockets))
	for room, members := range ns.rooms {
		ids := make([]string, 0, len(members))
		for id := range members {
			ids = append(ids, id)
		}
		out[room] = ids
	}
	for id, s := range ns.sockets {
		if ns.ownLocked(id) == s {
			out[id] = append(out[id], id)
		}
	}
	ns.mu.Unlock()
	for _, ids := range out {
		sort.Strings(ids)
	}
	return out
}

// EngineConn is a socket's Engine.IO connection (socket.conn), shared by the client's sockets
// of every namespace. Its id is private to the hub and is not exposed.
type EngineConn struct{ c *Client }

// Conn returns the socket's Engine.IO connection (socket.conn).
func (s *Socket) Conn() *EngineConn { return &EngineConn{c: s.client} }

// Transport is "polling" or "websocket" (socket.conn.transport.name).
func (ec *EngineConn) Transport() string { return ec.c.conn.Transport() }

// RemoteAddress is the client's address (socket.conn.remoteAddress).
func (ec *EngineConn) RemoteAddress() string { return ec.c.hs.Address }

// Close closes the connection like socket.conn.close() in socket.io: what was already sent
// still goes out, every socket of the client disconnects with "forced close" (recoverable, no
// DISCONNECT packet), and the client sees "transport close" and reconnects by itself.
func (ec *EngineConn) Close() {
	ec.c.unhold(true)
	ec.c.teardown("forced close")
	ec.c.conn.Close("forced close")
}

// DelayConnect is for a connection handler that finishes on another goroutine (an event loop
// running the program's own handler): the client observes the connection, its CONNECT reply and
// whatever is sent to it afterwards, only once release has been called, as when the handler had
// run inline. release may be called more than once, from any goroutine; if the socket
// disconnects first, it is released then. While held, at most 1024 packets wait; more fail the
// connection like a full transport queue.
func (s *Socket) DelayConnect() (release func()) {
	r := s.client.hold()
	s.mu.Lock()
	closed := s.acksClosed
	if !closed {
		s.delays = append(s.delays, r)
	}
	s.mu.Unlock()
	if closed {
		r()
	}
	return r
}

// releaseDelays ends the DelayConnect holds of a socket that is disconnecting.
func (s *Socket) releaseDelays() {
	s.mu.Lock()
	d := s.delays
	s.delays = nil
	s.mu.Unlock()
	for _, r := range d {
		r()
	}
}

// Emitter returns the socket's emitter without flags, for code that picks Timeout or Volatile
// at run time.
func (s *Socket) Emitter() *SocketEmitter { return &SocketEmitter{s: s} }

// HideInTap keeps the values of these top-level object keys of inbound event arguments out of
// the observer (Server.Observe): the tap shows "[hidden]" instead. For a namespace whose events
// carry a credential, such as a class's instructor key, so a console or projector that shows the
// tap never shows it. A dynamic namespace's children use their parent's keys too.
func (ns *Namespace) HideInTap(keys ...string) {
	ns.mu.Lock()
	ns.tapHide = append(ns.tapHide, keys...)
	ns.mu.Unlock()
}

func (ns *Namespace) hiddenInTap() []string {
	var out []string
	if ns.parent != nil {
		out = ns.parent.hiddenInTap()
	}
	ns.mu.Lock()
	defer ns.mu.Unlock()
	return append(out, ns.tapHide...)
}

// tapArgs returns args for the observer, with the values of hide replaced in top-level objects.
func tapArgs(args []json.RawMessage, hide []string) []json.RawMessage {
	if len(hide) == 0 {
		return args
	}
	out := make([]json.RawMessage, len(args))
	for i, a := range args {
		out[i] = hideKeys(a, hide)
	}
	return out
}

var hiddenValue = json.RawMessage(`"[hidden]"`)

// hideKeys rewrites one JSON object, keeping its keys in order; anything else is returned as is.
func hideKeys(a json.RawMessage, hide []string) json.RawMessage {
	if len(a) == 0 || a[0] != '{' {
		return a
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(a, &obj) != nil {
		return a
	}
	found := false
	for _, k := range hide {
		if _, ok := obj[k]; ok {
			found = true
		}
	}
	if !found {
		return a
	}
	dec := json.NewDecoder(bytes.NewReader(a))
	_, _ = dec.Token() // {
	var b bytes.Buffer
	b.WriteByte('{')
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return hiddenValue // cannot happen: a parsed above
		}
		key, _ := t.(string)
		var v json.RawMessage
		if dec.Decode(&v) != nil {
			return hiddenValue
		}
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		kb, _ := marshalNoEscape(key)
		b.Write(kb)
		b.WriteByte(':')
		if slices.Contains(hide, key) {
			v = hiddenValue
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes()
}
