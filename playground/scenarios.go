package playground

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"socketlab/playground/socketio"
)

// The demos' server side. Every handler here is also shown to the student as code (serverCode),
// in JavaScript for socket.io 4.x and in Go for this hub; keep the two in step.

const (
	maxAskTimeout   = 10 * time.Second
	deliveryTimeout = 2 * time.Second
	maxQueue        = 100
	maxChatLen      = 2048
)

var tenantNamespace = regexp.MustCompile(`^/org-[a-z0-9-]+$`)

// namespacesOf lists the static namespaces a demo's clients may use.
func (c *DemoConfig) namespacesOf() []string {
	out := []string{"/"}
	add := func(n string) {
		if n != "" && !strings.HasPrefix(n, "/org-") {
			for _, x := range out {
				if x == n {
					return
				}
			}
			out = append(out, n)
		}
	}
	for _, n := range c.Namespaces {
		add(n)
	}
	for _, cl := range c.Clients {
		add(cl.Namespace)
	}
	return out
}

func clientName(s *socketio.Socket) string {
	var auth struct {
		Name string `json:"name"`
	}
	json.Unmarshal(s.Handshake().Auth, &auth)
	name := strings.TrimSpace(auth.Name)
	if len(name) > maxNameLen {
		name = name[:maxNameLen]
	}
	if name == "" {
		name = "guest-" + s.ID()[:4]
	}
	return name
}

func (in *Instance) setup() {
	io := in.hub.IO
	for _, name := range in.cfg.namespacesOf() {
		nsp := io.Of(name)
		if in.demo == "namespaces" && name != "/" {
			// The namespaces demo: every other namespace has its own middleware and handlers.
			in.tokenMiddleware(nsp)
			nsp.OnConnection(in.onOrdersConnection)
			continue
		}
		in.middleware(nsp)
		nsp.OnConnection(in.onConnection)
	}
	if in.demo == "tenants" || len(in.cfg.Tenants) > 0 {
		orgs := io.OfRegexp(tenantNamespace)
		orgs.Use(func(s *socketio.Socket, next func(error)) {
			org := strings.TrimPrefix(s.Namespace().Name(), "/org-")
			tok := tokenOf(s.Handshake().Auth)
			for _, t := range in.cfg.Tenants {
				if t.Name == org && tok != "" && tok == t.Token {
					in.admit(s)
					next(nil)
					return
				}
			}
			next(&socketio.ConnectError{Message: "not authorized", Data: map[string]string{"org": org}})
		})
		orgs.OnConnection(in.onConnection)
	}
}

// tokenOf returns the "token" of a CONNECT payload ({"token": "..."}), or "" (the Go code the
// demos show calls it too).
func tokenOf(auth json.RawMessage) string {
	var a struct {
		Token string `json:"token"`
	}
	json.Unmarshal(auth, &a)
	return a.Token
}

// admit records the name of a socket its middleware lets in. It runs in the middleware, before
// the hub announces the connect, so the tap's connect event and the membership state published
// with it already carry the name (watch forgets it after the disconnect).
func (in *Instance) admit(s *socketio.Socket) {
	in.mu.Lock()
	in.names[s.ID()] = clientName(s)
	in.mu.Unlock()
}

// middleware records who connects to each namespace: every namespace has its own.
func (in *Instance) middleware(nsp *socketio.Namespace) {
	nsp.Use(func(s *socketio.Socket, next func(error)) {
		in.log.Info("middleware", "nsp", s.Namespace().Name(), "client", clientName(s), "decision", "allowed")
		in.admit(s)
		next(nil)
	})
}

// tokenMiddleware is the namespaces demo's guard on its other namespaces: a connection whose
// CONNECT payload has no token is refused (the client gets connect_error "token required").
func (in *Instance) tokenMiddleware(nsp *socketio.Namespace) {
	nsp.Use(func(s *socketio.Socket, next func(error)) {
		if tokenOf(s.Handshake().Auth) == "" {
			in.log.Info("middleware", "nsp", s.Namespace().Name(), "client", clientName(s), "decision", "refused: no token")
			next(&socketio.ConnectError{Message: "token required"})
			return
		}
		in.log.Info("middleware", "nsp", s.Namespace().Name(), "client", clientName(s), "decision", "allowed")
		in.admit(s)
		next(nil)
	})
}

// onOrdersConnection is the namespaces demo's handler for its other namespaces (/orders): rooms and
// the scoped emits like "/", plus an "order" event that "/" does not have.
func (in *Instance) onOrdersConnection(s *socketio.Socket) {
	in.common(s)
	name := clientName(s)
	nsp := s.Namespace()
	s.On("order", func(e *socketio.Event) {
		var item string
		if e.Decode(0, &item) != nil || item == "" || len(item) > maxChatLen {
			e.AckError(errors.New("an order is a non-empty string of at most 2048 bytes"))
			return
		}
		if err := nsp.Emit("order:new", map[string]string{"from": name, "item": item}); err != nil {
			e.AckError(err)
			return
		}
		e.Ack(map[string]any{"ok": true})
	})
}

// common registers what every namespace of a demo handles: names, send, join and leave.
func (in *Instance) common(s *socketio.Socket) {
	in.admit(s)
	s.On("send", func(e *socketio.Event) { in.send(s, e) })
	s.On("join", func(e *socketio.Event) {
		var room string
		if e.Decode(0, &room) != nil || room == "" {
			e.AckError(errors.New("join needs a room name"))
			return
		}
		if err := s.Join(room); err != nil {
			e.AckError(err)
			return
		}
		e.Ack(map[string]any{"rooms": s.Rooms()})
	})
	s.On("leave", func(e *socketio.Event) {
		var room string
		e.Decode(0, &room)
		s.Leave(room)
		e.Ack(map[string]any{"rooms": s.Rooms()})
	})
}

func (in *Instance) onConnection(s *socketio.Socket) {
	in.common(s)
	name := clientName(s)
	nsp := s.Namespace()

	s.On("chat message", func(e *socketio.Event) {
		var text string
		if e.Decode(0, &text) != nil || len(text) > maxChatLen {
			e.AckError(errors.New("a chat message is a string of at most 2048 bytes"))
			return
		}
		nsp.Emit("chat message", map[string]string{"from": name, "text": text})
	})
	s.On("ask", func(e *socketio.Event) { in.ask(s, e) })
	s.On("deliver", func(e *socketio.Event) { in.deliver(s, e) })
	if in.demo == "queue" && nsp.Name() == "/" {
		if s.Recovered() {
			// Connection state recovery: same id, same rooms, and the missed broadcasts replayed.
			in.log.Info("connection recovered", "client", name, "sid", s.ID())
		} else {
			// Recovery resumes from the last event the client got without an ack (its offset);
			// a fresh connection gets this one so that a later drop can be recovered.
			s.Emit("welcome", map[string]string{"id": s.ID()})
		}
		go in.flush(s, name)
	}
}

type sendRequest struct {
	Event  string            `json:"event"`
	Args   []json.RawMessage `json:"args"`
	Scope  string            `json:"scope"`
	Room   string            `json:"room"`
	To     Rooms             `json:"to"` // several rooms at once (room is the one-room form)
	Except string            `json:"except"`
}

// rooms are the rooms the send targets: to, or room.
func (r *sendRequest) rooms() []string { return roomsOf(r.To, r.Room) }

// roomArg renders the rooms of a to() call: one room as a string, several as an array in
// JavaScript (io.to(["a", "b"])) and as arguments in Go (io.To("a", "b")).
func roomArg(rooms []string) (js, goArgs string) {
	q := make([]string, len(rooms))
	for i, r := range rooms {
		q[i] = fmt.Sprintf("%q", r)
	}
	if len(rooms) == 1 {
		return q[0], q[0]
	}
	return "[" + strings.Join(q, ", ") + "]", strings.Join(q, ", ")
}

// calls renders the server call for a scope, in JavaScript and in Go.
func calls(nspName, scope, event string, rooms []string, except string) (js, goCall string) {
	io, goIO := "io", "io"
	if nspName != "/" {
		io, goIO = fmt.Sprintf("io.of(%q)", nspName), fmt.Sprintf("io.Of(%q)", nspName)
	}
	ev := fmt.Sprintf("%q, …", event)
	jsRooms, goRooms := roomArg(rooms)
	switch scope {
	case "self":
		return "socket.emit(" + ev + ")", "s.Emit(" + ev + ")"
	case "all":
		return io + ".emit(" + ev + ")", goIO + ".Emit(" + ev + ")"
	case "broadcast":
		return "socket.broadcast.emit(" + ev + ")", "s.Broadcast().Emit(" + ev + ")"
	case "room":
		js, goCall = fmt.Sprintf("%s.to(%s)", io, jsRooms), fmt.Sprintf("%s.To(%s)", goIO, goRooms)
	case "socket-room":
		js, goCall = fmt.Sprintf("socket.to(%s)", jsRooms), fmt.Sprintf("s.To(%s)", goRooms)
	case "except":
		return fmt.Sprintf("%s.except(%q).emit(%s)", io, except, ev), fmt.Sprintf("%s.Except(%q).Emit(%s)", goIO, except, ev)
	}
	if except != "" {
		js += fmt.Sprintf(".except(%q)", except)
		goCall += fmt.Sprintf(".Except(%q)", except)
	}
	return js + ".emit(" + ev + ")", goCall + ".Emit(" + ev + ")"
}

// send runs the scoped emit and acks the exact call, in JavaScript and Go, and how many sockets it
// was sent to (the target's sockets, fetched just before the emit).
func (in *Instance) send(s *socketio.Socket, e *socketio.Event) {
	var req sendRequest
	if err := e.Decode(0, &req); err != nil || req.Event == "" {
		e.AckError(errors.New(`send needs {event, args, scope}`))
		return
	}
	args := make([]any, len(req.Args))
	for i, a := range req.Args {
		args[i] = a
	}
	nsp := s.Namespace()
	rooms := req.rooms()
	if req.Scope == "except" && req.Except == "" && len(rooms) == 1 {
		req.Except = rooms[0]
	}
	if len(rooms) > maxListLen {
		e.AckError(fmt.Errorf("at most %d rooms in one emit", maxListLen))
		return
	}
	var op *socketio.Operator
	switch req.Scope {
	case "self", "":
		req.Scope = "self"
	case "all":
		op = nsp.To()
	case "broadcast":
		op = s.Broadcast()
	case "room", "socket-room":
		if len(rooms) == 0 {
			e.AckError(fmt.Errorf("scope %q needs a room", req.Scope))
			return
		}
		if req.Scope == "room" {
			op = nsp.To(rooms...)
		} else {
			op = s.To(rooms...)
		}
		if req.Except != "" {
			op = op.Except(req.Except)
		}
	case "except":
		op = nsp.Except(req.Except)
	default:
		e.AckError(fmt.Errorf("unknown scope %q", req.Scope))
		return
	}
	var err error
	recipients := 1
	if op == nil {
		err = s.Emit(req.Event, args...)
	} else {
		recipients = len(op.FetchSockets())
		err = op.Emit(req.Event, args...)
	}
	if err != nil {
		e.AckError(err)
		return
	}
	if req.Scope != "room" && req.Scope != "socket-room" {
		rooms = nil
	}
	js, goCall := calls(nsp.Name(), req.Scope, req.Event, rooms, req.Except)
	e.Ack(map[string]any{"call": js, "go": goCall, "recipients": recipients})
}

// socketByName finds a connected client by name in a namespace.
func (in *Instance) socketByName(nsp *socketio.Namespace, name string) *socketio.Socket {
	for _, s := range nsp.FetchSockets() {
		in.mu.Lock()
		n := in.names[s.ID()]
		in.mu.Unlock()
		if n == name {
			return s
		}
	}
	return nil
}

func (in *Instance) ask(s *socketio.Socket, e *socketio.Event) {
	var req struct {
		To       string          `json:"to"`
		Question json.RawMessage `json:"question"`
		Timeout  int             `json:"timeout"`
	}
	if err := e.Decode(0, &req); err != nil {
		e.AckError(errors.New("ask needs {to, question, timeout}"))
		return
	}
	timeout := time.Duration(req.Timeout) * time.Millisecond
	if timeout <= 0 || timeout > maxAskTimeout {
		timeout = 2 * time.Second
	}
	target := in.socketByName(s.Namespace(), req.To)
	if target == nil {
		e.AckError(fmt.Errorf("%s is not connected", req.To))
		return
	}
	if len(req.Question) == 0 {
		req.Question = json.RawMessage(`""`)
	}
	// Never wait for a reply inside a handler: replies arrive on the same reader.
	go func() {
		replies, err := s.Namespace().To(target.ID()).Timeout(timeout).EmitWithAck(context.Background(), "question", req.Question)
		answers := make([]any, 0, len(replies))
		for _, r := range replies {
			answers = append(answers, r.Values())
		}
		if err != nil {
			e.Ack(map[string]any{"error": err.Error(), "answers": answers})
			return
		}
		e.Ack(map[string]any{"answers": answers})
	}()
}

func (in *Instance) deliver(s *socketio.Socket, e *socketio.Event) {
	var req struct {
		To   string `json:"to"`
		Text string `json:"text"`
	}
	if err := e.Decode(0, &req); err != nil || req.To == "" || len(req.Text) > maxChatLen {
		e.AckError(errors.New("deliver needs {to, text}"))
		return
	}
	in.mu.Lock()
	if len(in.queues[req.To]) >= maxQueue {
		in.mu.Unlock()
		e.AckError(errors.New("queue full"))
		return
	}
	in.nextID++
	item := queued{ID: in.nextID, Text: req.Text}
	in.queues[req.To] = append(in.queues[req.To], item)
	n := len(in.queues[req.To])
	in.publishStateLocked()
	in.mu.Unlock()
	e.Ack(map[string]any{"queued": n, "id": item.ID})
	in.log.Info("message queued", "to", req.To, "id", item.ID, "waiting", n)
	if target := in.socketByName(s.Namespace(), req.To); target != nil {
		go in.flush(target, req.To)
	}
}

// flush delivers a client's waiting messages in order, each removed only once acknowledged.
func (in *Instance) flush(s *socketio.Socket, name string) {
	in.mu.Lock()
	if in.flushing[name] {
		in.mu.Unlock()
		return // the running flush picks up what was just queued
	}
	in.flushing[name] = true
	in.mu.Unlock()
	for {
		in.mu.Lock()
		q := in.queues[name]
		if len(q) == 0 {
			delete(in.flushing, name) // under the same lock as the check: deliver starts a new flush
			in.mu.Unlock()
			return
		}
		item := q[0]
		in.mu.Unlock()
		if _, err := s.Timeout(deliveryTimeout).EmitWithAck(context.Background(), "delivery", item); err != nil {
			in.mu.Lock()
			delete(in.flushing, name)
			in.mu.Unlock()
			in.log.Info("delivery not acknowledged; kept in the queue", "to", name, "id", item.ID, "err", err)
			return
		}
		in.mu.Lock()
		q = in.queues[name]
		if len(q) > 0 && q[0].ID == item.ID {
			in.queues[name] = q[1:]
		}
		if len(in.queues[name]) == 0 {
			delete(in.queues, name)
		}
		in.publishStateLocked()
		in.mu.Unlock()
		in.log.Info("delivery acknowledged", "to", name, "id", item.ID)
	}
}
