package socketio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"
)

// This file is the seam between a namespace and the other servers of a cluster, as socket.io's
// Adapter class is (socket.io-adapter): the namespace keeps its own sockets and rooms and delivers
// locally; an Adapter carries what the namespace does to the other servers and brings theirs back
// through LocalNamespace. Without one (Options.Adapter nil) the namespace is the in-memory adapter
// of socket.io: one server, nothing published.

// EventData is an event as it travels between servers: the JSON array ["event", args...], binary
// arguments replaced by {"_placeholder":true,"num":N} and carried in Attachments.
type EventData struct {
	JSON        json.RawMessage
	Attachments [][]byte
}

// BroadcastFlags are socket.io's BroadcastFlags that matter across servers.
type BroadcastFlags struct {
	Volatile bool
	// Local keeps the operation on this server (io.local); adapters never see it set.
	Local bool
	// Timeout is the acknowledgement timeout of a broadcast with acks; zero when not set.
	Timeout time.Duration
}

// BroadcastOptions selects recipients as socket.io's BroadcastOptions: sockets in any of Rooms
// (every socket when empty) and in none of Except.
type BroadcastOptions struct {
	Rooms  []string
	Except []string
	Flags  BroadcastFlags
}

// RemoteSocket is a socket as fetchSockets reports it across servers: the fields socket.io puts
// in a REMOTE_FETCH response.
type RemoteSocket struct {
	ID        string          `json:"id"`
	Handshake json.RawMessage `json:"handshake"`
	Rooms     []string        `json:"rooms"`
	Data      json.RawMessage `json:"data"`
}

// Adapter carries one namespace's cluster-wide operations to the other servers. The namespace has
// already applied each operation to its own sockets when it calls the adapter, never under a lock
// of this package, so an adapter may do network I/O; methods without a context must not wait for
// other servers. Every method may be called from several goroutines at once.
type Adapter interface {
	// Broadcast sends an event to the matching sockets of the other servers.
	Broadcast(ev EventData, opts BroadcastOptions)
	// BroadcastWithAck does the same, asking for acknowledgements: each other server reports how
	// many of its clients got the event (onCount, once per server) and each client's first reply
	// argument (onAck), until opts.Flags.Timeout has passed.
	BroadcastWithAck(ev EventData, opts BroadcastOptions, onCount func(clients int), onAck func(reply json.RawMessage))
	// AddSockets, DelSockets and DisconnectSockets act on the matching sockets of the other
	// servers (socketsJoin, socketsLeave, disconnectSockets).
	AddSockets(opts BroadcastOptions, rooms []string)
	DelSockets(opts BroadcastOptions, rooms []string)
	DisconnectSockets(opts BroadcastOptions, close bool)
	// FetchSockets returns the matching sockets of the other servers, or an error once ctx ends
	// or the adapter's request timeout passes without every server answering.
	FetchSockets(ctx context.Context, opts BroadcastOptions) ([]RemoteSocket, error)
	// ServerSideEmit sends ["event", args...] to the other servers' namespace handlers.
	ServerSideEmit(data json.RawMessage) error
	// ServerSideEmitWithAck does the same and returns each other server's reply.
	ServerSideEmitWithAck(ctx context.Context, data json.RawMessage) ([]json.RawMessage, error)
	// ServerCount is the number of servers of the cluster, this one included.
	ServerCount(ctx context.Context) (int, error)
	// AllRooms returns the rooms of the other servers.
	AllRooms(ctx context.Context) ([]string, error)
	// Close stops the adapter (unsubscribes); later calls do nothing.
	Close() error
}

// AdapterFactory makes the adapter of one namespace (socket.io's createAdapter(...)(nsp)). It is
// called once per namespace that can hold sockets, outside this package's locks.
type AdapterFactory func(LocalNamespace) Adapter

// ErrServerSideAck reports that some servers did not answer a ServerSideEmitWithAck in time.
var ErrServerSideAck = errors.New("socketio: not every server acknowledged")

// LocalNamespace is what an adapter may do to this server's part of a namespace: the operations
// another server asked for, applied to local sockets only.
type LocalNamespace struct{ ns *Namespace }

// Name is the namespace name.
func (l LocalNamespace) Name() string { return l.ns.name }

func (o BroadcastOptions) operator(ns *Namespace) *Operator {
	return &Operator{ns: ns, rooms: slices.Clone(o.Rooms), except: slices.Clone(o.Except),
		volatile: o.Flags.Volatile, timeout: o.Flags.Timeout, local: true}
}

// splitEvent checks ev strictly (JSON grammar, a root array whose first element is the event
// name, every placeholder within the attachments) and returns the event name and the array
// without its closing bracket.
func splitEvent(ev EventData) (string, []byte, scanResult, error) {
	sc, err := scanJSON(ev.JSON, true, len(ev.Attachments))
	if err != nil {
		return "", nil, sc, fmt.Errorf("event data: %w", err)
	}
	if sc.top != '[' || len(sc.elems) == 0 {
		return "", nil, sc, errors.New("event data: not an array [event, args...]")
	}
	var name string
	if err := json.Unmarshal(ev.JSON[sc.elems[0].start:sc.elems[0].end], &name); err != nil {
		return "", nil, sc, fmt.Errorf("event data: event name: %w", err)
	}
	end := len(ev.JSON) - 1
	for end > 0 && ev.JSON[end] != ']' {
		end--
	}
	return name, ev.JSON[:end], sc, nil
}

// Broadcast delivers an event from another server to the matching local sockets.
func (l LocalNamespace) Broadcast(ev EventData, opts BroadcastOptions) error {
	name, open, _, err := splitEvent(ev)
	if err != nil {
		return err
	}
	l.ns.broadcast(opts.operator(l.ns), name, open, ev.Attachments)
	return nil
}

// BroadcastWithAck delivers an event from another server asking the matching local sockets for
// an acknowledgement: it returns how many got it, and onAck gets each one's first reply argument
// (null without one) until opts.Flags.Timeout (Options.AckTimeout when zero) passes.
func (l LocalNamespace) BroadcastWithAck(ev EventData, opts BroadcastOptions, onAck func(json.RawMessage)) (int, error) {
	name, open, _, err := splitEvent(ev)
	if err != nil {
		return 0, err
	}
	o := opts.operator(l.ns)
	timeout, _ := ackTimeout(o.timeout > 0, o.timeout, l.ns.srv.opts.AckTimeout) // 0: the default, as before
	n, _ := l.ns.broadcastAck(o, name, open, ev.Attachments, timeout, nil, func(_ string, p Payload, err error) {
		if err != nil {
			return
		}
		arg := json.RawMessage("null")
		if len(p.Args) > 0 {
			arg = p.Args[0]
		}
		onAck(arg)
	})
	return n, nil
}

// FetchSockets describes the matching local sockets.
func (l LocalNamespace) FetchSockets(opts BroadcastOptions) []RemoteSocket {
	socks := opts.operator(l.ns).FetchSockets()
	out := make([]RemoteSocket, len(socks))
	for i, s := range socks {
		out[i] = s.describe()
	}
	return out
}

// AddSockets makes the matching local sockets join rooms.
func (l LocalNamespace) AddSockets(opts BroadcastOptions, rooms []string) {
	opts.operator(l.ns).SocketsJoin(rooms...)
}

// DelSockets makes the matching local sockets leave rooms.
func (l LocalNamespace) DelSockets(opts BroadcastOptions, rooms []string) {
	opts.operator(l.ns).SocketsLeave(rooms...)
}

// DisconnectSockets disconnects the matching local sockets.
func (l LocalNamespace) DisconnectSockets(opts BroadcastOptions, close bool) {
	opts.operator(l.ns).DisconnectSockets(close)
}

// Rooms lists the local rooms, sockets' own rooms included (adapter.rooms.keys()), sorted.
func (l LocalNamespace) Rooms() []string {
	l.ns.mu.Lock()
	out := make([]string, 0, len(l.ns.rooms)+len(l.ns.sockets))
	for r := range l.ns.rooms {
		out = append(out, r)
	}
	for id, s := range l.ns.sockets {
		if _, in := s.rooms[id]; in {
			out = append(out, id)
		}
	}
	l.ns.mu.Unlock()
	sort.Strings(out)
	return out
}

// HasRoom reports whether some local socket is in room.
func (l LocalNamespace) HasRoom(room string) bool {
	l.ns.mu.Lock()
	defer l.ns.mu.Unlock()
	return l.ns.rooms[room] != nil || l.ns.ownLocked(room) != nil
}

// ServerSideEmit runs the handlers registered with OnServerSideEmit for data (["event",
// args...]) from another server. With ack non-nil the handler may answer once through it.
func (l LocalNamespace) ServerSideEmit(data json.RawMessage, ack func(json.RawMessage)) error {
	return l.ns.onServerSideEmit(data, ack)
}

// describe is the socket as fetchSockets reports it to another server.
func (s *Socket) describe() RemoteSocket {
	s.ns.mu.Lock()
	rooms := s.roomsLocked()
	s.ns.mu.Unlock()
	var (
		data []byte
		err  error
	)
	if m, ok := s.programData(); ok {
		data, err = m.MarshalJSON() // outside the lock: it may wait for the program (DataKey)
	} else {
		s.mu.Lock()
		if s.data != nil {
			data, err = json.Marshal(s.data)
		}
		s.mu.Unlock()
	}
	if err != nil || data == nil {
		data = []byte("{}")
	}
	return RemoteSocket{ID: s.id, Handshake: s.hs.nodeJSON(), Rooms: rooms, Data: data}
}

// nodeJSON is the handshake in socket.io's shape (socket.handshake).
func (h Handshake) nodeJSON() json.RawMessage {
	headers := make(map[string]string, len(h.Headers))
	for k, v := range h.Headers {
		headers[toLowerASCII(k)] = joinHeader(v)
	}
	query := map[string]string{}
	for k, v := range h.Query() {
		if len(v) > 0 {
			query[k] = v[len(v)-1]
		}
	}
	auth := h.Auth
	if len(auth) == 0 {
		auth = json.RawMessage("{}")
	}
	b, _ := json.Marshal(struct {
		Headers map[string]string `json:"headers"`
		Time    string            `json:"time"`
		Address string            `json:"address"`
		XDomain bool              `json:"xdomain"`
		Secure  bool              `json:"secure"`
		Issued  int64             `json:"issued"`
		URL     string            `json:"url"`
		Query   map[string]string `json:"query"`
		Auth    json.RawMessage   `json:"auth"`
	}{headers, h.Time.UTC().Format("Mon Jan 02 2006 15:04:05 GMT+0000 (Coordinated Universal Time)"),
		h.Address, h.Headers.Get("Origin") != "", h.Secure, h.Issued, h.URL, query, auth})
	return b
}

func toLowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func joinHeader(v []string) string {
	out := ""
	for i, s := range v {
		if i > 0 {
			out += ", "
		}
		out += s
	}
	return out
}

// cluster returns the namespace's adapter (nil: in-memory), making it on first use.
func (ns *Namespace) cluster() Adapter {
	ns.adapterOnce.Do(func() {
		if f := ns.srv.opts.Adapter; f != nil && ns.match == nil && !ns.srv.isClosed.Load() {
			ns.adapter = f(LocalNamespace{ns})
		}
	})
	return ns.adapter
}

// closeAdapter closes the adapter, if any; a later cluster() makes none.
func (ns *Namespace) closeAdapter() {
	ns.adapterOnce.Do(func() {})
	if ns.adapter != nil {
		if err := ns.adapter.Close(); err != nil {
			ns.srv.log.Warn("closing the adapter", "nsp", ns.name, "err", err)
		}
	}
}

func (o *Operator) broadcastOptions() BroadcastOptions {
	return BroadcastOptions{Rooms: slices.Clone(o.rooms), Except: slices.Clone(o.except),
		Flags: BroadcastFlags{Volatile: o.volatile, Timeout: o.timeout}}
}

// remote returns the adapter to publish through, or nil when the operation stays here.
func (o *Operator) remote(ns *Namespace) Adapter {
	if o.local || o.single {
		return nil
	}
	return ns.cluster()
}

// Local keeps the operation on this server (io.local): no adapter is told.
func (o *Operator) Local() *Operator {
	c := o.clone()
	c.local = true
	return c
}

// Local targets this server's sockets only (nsp.local).
func (ns *Namespace) Local() *Operator { return ns.op().Local() }

// Local targets this server's sockets of the main namespace only (io.local).
func (srv *Server) Local() *Operator { return srv.Of("/").Local() }

// FetchClusterSockets returns the selected sockets of every server (io.fetchSockets() with an
// adapter): this server's first, then the others' as their adapter reports them. It fails when a
// server does not answer within the adapter's request timeout or ctx.
func (o *Operator) FetchClusterSockets(ctx context.Context) ([]RemoteSocket, error) {
	var out []RemoteSocket
	for _, s := range o.FetchSockets() {
		out = append(out, s.describe())
	}
	for _, ns := range o.ns.targets() {
		a := o.remote(ns)
		if a == nil {
			continue
		}
		rs, err := a.FetchSockets(ctx, o.broadcastOptions())
		if err != nil {
			return out, fmt.Errorf("fetchSockets %s: %w", ns.name, err)
		}
		out = append(out, rs...)
	}
	return out, nil
}

// FetchClusterSockets returns the sockets of the namespace on every server.
func (ns *Namespace) FetchClusterSockets(ctx context.Context) ([]RemoteSocket, error) {
	return ns.op().FetchClusterSockets(ctx)
}

// FetchClusterSockets returns the sockets of the main namespace on every server.
func (srv *Server) FetchClusterSockets(ctx context.Context) ([]RemoteSocket, error) {
	return srv.Of("/").FetchClusterSockets(ctx)
}

// ServerCount is the number of servers sharing the namespace (1 without an adapter).
func (ns *Namespace) ServerCount(ctx context.Context) (int, error) {
	if a := ns.cluster(); a != nil {
		return a.ServerCount(ctx)
	}
	return 1, nil
}

// AllRooms returns the rooms of the namespace on every server, sockets' own rooms included
// (adapter.allRooms()), sorted.
func (ns *Namespace) AllRooms(ctx context.Context) ([]string, error) {
	rooms := LocalNamespace{ns}.Rooms()
	if a := ns.cluster(); a != nil {
		more, err := a.AllRooms(ctx)
		if err != nil {
			return rooms, fmt.Errorf("allRooms %s: %w", ns.name, err)
		}
		rooms = append(rooms, more...)
		sort.Strings(rooms)
		rooms = slices.Compact(rooms)
	}
	return rooms, nil
}

// ServerSideEmit sends an event to the namespace's handlers on the other servers
// (nsp.serverSideEmit); it does nothing without an adapter. Arguments are JSON values.
func (ns *Namespace) ServerSideEmit(event string, args ...any) error {
	data, err := serverSideData(event, args)
	if err != nil {
		return err
	}
	if a := ns.cluster(); a != nil {
		return a.ServerSideEmit(data)
	}
	return nil
}

// ServerSideEmitWithAck sends an event to the other servers and returns one reply each
// (nsp.serverSideEmitWithAck); ErrServerSideAck (wrapped) with the replies received when some
// did not answer within the adapter's request timeout.
func (ns *Namespace) ServerSideEmitWithAck(ctx context.Context, event string, args ...any) ([]json.RawMessage, error) {
	data, err := serverSideData(event, args)
	if err != nil {
		return nil, err
	}
	if a := ns.cluster(); a != nil {
		return a.ServerSideEmitWithAck(ctx, data)
	}
	return nil, nil
}

func serverSideData(event string, args []any) (json.RawMessage, error) {
	open, atts, err := encodeArgs(event, args)
	if err != nil {
		return nil, err
	}
	if len(atts) > 0 {
		return nil, errors.New("socketio: serverSideEmit carries JSON only, not binary")
	}
	return closeArgs(open, ""), nil
}

// ServerSideHandler handles an event another server sent with ServerSideEmit. ack is nil when
// the sender did not ask for a reply; otherwise calling it (once) answers with one value.
type ServerSideHandler func(args Payload, ack func(reply any) error)

// OnServerSideEmit registers a handler for event sent by other servers (nsp.on(event) for
// server-side emits).
func (ns *Namespace) OnServerSideEmit(event string, fn ServerSideHandler) {
	ns.mu.Lock()
	if ns.serverSide == nil {
		ns.serverSide = make(map[string][]ServerSideHandler)
	}
	ns.serverSide[event] = append(ns.serverSide[event], fn)
	ns.mu.Unlock()
}

func (ns *Namespace) onServerSideEmit(data json.RawMessage, ack func(json.RawMessage)) error {
	name, _, sc, err := splitEvent(EventData{JSON: data})
	if err != nil {
		return err
	}
	d := decoded{data: data, scan: sc}
	p := d.args(1)
	ns.mu.Lock()
	fns := slices.Clone(ns.serverSide[name])
	ns.mu.Unlock()
	var reply func(any) error
	if ack != nil {
		var once sync.Once
		reply = func(v any) error {
			b, err := marshalNoEscape(v)
			if err != nil {
				return fmt.Errorf("serverSideEmit reply: %w", err)
			}
			done := false
			once.Do(func() { done = true; ack(b) })
			if !done {
				return ErrAlreadyAcked
			}
			return nil
		}
	}
	for _, fn := range fns {
		fn(p, reply)
	}
	return nil
}
