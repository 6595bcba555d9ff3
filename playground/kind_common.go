package playground

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"socketlab/playground/socketio"
)

// The handlers every demo kind has, on every namespace it serves: the middleware that lets
// everyone in, join, leave, and send (the six emit scopes). The JavaScript below is the same
// code for socket.io v4; the Go between the show markers is what the demos show.

const maxChatLen = 2048

// commonJS defines the shared JavaScript: {{template "common"}} prints it.
const commonJS = `{{define "common"}}
// The handlers every demo has: who is connecting, join, leave, and the six emit scopes.
function clientName(socket) {
  const name = String(socket.handshake.auth.name ?? "").trim().slice(0, 64);
  return name || "guest-" + socket.id.slice(0, 4);
}

function allowEveryone(socket, next) {
  console.log("middleware", socket.nsp.name, clientName(socket), "allowed");
  next(); // next(new Error("not authorized")) would refuse: connect_error on the client
}

function common(socket) {
  const nsp = socket.nsp;
  socket.on("join", (room, ack) => {
    if (typeof room !== "string" || room === "") return ack({ error: "join needs a room name" });
    socket.join(room);
    ack({ rooms: [...socket.rooms] });
  });
  socket.on("leave", (room, ack) => {
    socket.leave(room);
    ack({ rooms: [...socket.rooms] });
  });

  // send {event, args, scope, room | to, except}: to is one room or several (["room-1", "room-2"]);
  // a socket in several of them gets the message once. Acks how many sockets it reached.
  socket.on("send", async (req, ack) => {
    const { event, args = [] } = req ?? {};
    const scope = req?.scope || "self";
    if (typeof event !== "string" || event === "") return ack({ error: "send needs {event, args, scope}" });
    const rooms = [].concat(req.to?.length ? req.to : req.room || []);
    const except = req.except || (scope === "except" && rooms.length === 1 ? rooms[0] : "");
    if (rooms.length > 32) return ack({ error: "at most 32 rooms in one emit" });
    let target;
    switch (scope) {
      case "self":
        socket.emit(event, ...args); // only the sender
        return ack({ recipients: 1 });
      case "all":
        target = nsp; // everyone in the namespace
        break;
      case "broadcast":
        target = socket.broadcast; // everyone but the sender
        break;
      case "room": // the rooms, sender included
      case "socket-room": // the rooms, sender excluded
        if (rooms.length === 0) return ack({ error: ` + "`scope \"${scope}\" needs a room`" + ` });
        target = scope === "room" ? nsp.to(rooms) : socket.to(rooms);
        if (except) target = target.except(except);
        break;
      case "except":
        target = nsp.except(except); // everyone not in the room
        break;
      default:
        return ack({ error: ` + "`unknown scope \"${scope}\"`" + ` });
    }
    const recipients = (await target.fetchSockets()).length;
    target.emit(event, ...args);
    ack({ recipients });
  });
}

function socketByName(nsp, name) {
  return [...nsp.sockets.values()].find((s) => clientName(s) === name);
}
{{end}}`

// namespacesOf lists the static namespaces a demo's clients may use, "/" first.
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

// clientName is the name a client gave in its CONNECT payload ({"name": "Ada"}), trimmed, or
// "guest-" and the start of its id.
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

// tokenOf returns the "token" of a CONNECT payload ({"token": "..."}), or "".
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

// socketByName finds a connected client by name in a namespace.
func (in *Instance) socketByName(nsp *socketio.Namespace, name string) *socketio.Socket {
	socks := nsp.FetchSockets()
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, s := range socks {
		if in.names[s.ID()] == name {
			return s
		}
	}
	return nil
}

// show:common
// onNamespaces serves every static namespace of the demo: the middleware that lets everyone in,
// the common handlers, then the kind's own.
func (in *Instance) onNamespaces(handlers func(s *socketio.Socket)) {
	for _, name := range in.cfg.namespacesOf() {
		nsp := in.hub().IO.Of(name)
		nsp.Use(in.allowEveryone)
		nsp.OnConnection(func(s *socketio.Socket) {
			in.common(s)
			if handlers != nil {
				handlers(s)
			}
		})
	}
}

// The handlers every demo has: who is connecting, join, leave, and the six emit scopes.
func (in *Instance) allowEveryone(s *socketio.Socket, next func(error)) {
	in.log.Info("middleware", "nsp", s.Namespace().Name(), "client", clientName(s), "decision", "allowed")
	in.admit(s)
	next(nil) // next(&socketio.ConnectError{Message: "not authorized"}) would refuse
}

func (in *Instance) common(s *socketio.Socket) {
	in.admit(s)
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
	s.On("send", func(e *socketio.Event) { send(s, e) })
}

// send {event, args, scope, room | to, except}: to is one room or several (["room-1", "room-2"]);
// a socket in several of them gets the message once. Acks how many sockets it reached.
func send(s *socketio.Socket, e *socketio.Event) {
	var req sendRequest
	if err := e.Decode(0, &req); err != nil || req.Event == "" {
		e.AckError(errors.New(`send needs {event, args, scope}`))
		return
	}
	args := make([]any, len(req.Args)) // json.RawMessage values are sent byte for byte
	for i, a := range req.Args {
		args[i] = a
	}
	nsp := s.Namespace()
	rooms := roomsOf(req.To, req.Room)
	if req.Except == "" && req.Scope == "except" && len(rooms) == 1 {
		req.Except = rooms[0]
	}
	if len(rooms) > maxListLen {
		e.AckError(fmt.Errorf("at most %d rooms in one emit", maxListLen))
		return
	}
	var target *socketio.Operator
	switch req.Scope {
	case "self", "":
		if err := s.Emit(req.Event, args...); err != nil { // only the sender
			e.AckError(err)
			return
		}
		e.Ack(map[string]any{"recipients": 1})
		return
	case "all":
		target = nsp.To() // everyone in the namespace
	case "broadcast":
		target = s.Broadcast() // everyone but the sender
	case "room", "socket-room": // the rooms, sender included / excluded
		if len(rooms) == 0 {
			e.AckError(fmt.Errorf("scope %q needs a room", req.Scope))
			return
		}
		if req.Scope == "room" {
			target = nsp.To(rooms...)
		} else {
			target = s.To(rooms...)
		}
		if req.Except != "" {
			target = target.Except(req.Except)
		}
	case "except":
		target = nsp.Except(req.Except) // everyone not in the room
	default:
		e.AckError(fmt.Errorf("unknown scope %q", req.Scope))
		return
	}
	// Counted on every server, as the JavaScript's fetchSockets does (one server without an
	// adapter).
	ctx, cancel := context.WithTimeout(context.Background(), fetchTimeout)
	socks, err := target.FetchClusterSockets(ctx)
	cancel()
	if err != nil {
		e.AckError(err)
		return
	}
	recipients := len(socks)
	if err := target.Emit(req.Event, args...); err != nil {
		e.AckError(err)
		return
	}
	e.Ack(map[string]any{"recipients": recipients})
}

// show:end

type sendRequest struct {
	Event  string            `json:"event"`
	Args   []json.RawMessage `json:"args"`
	Scope  string            `json:"scope"`
	Room   string            `json:"room"`
	To     Rooms             `json:"to"` // several rooms at once (room is the one-room form)
	Except string            `json:"except"`
}

// show:common-only
func setupCommonOnly(in *Instance) { in.onNamespaces(nil) }

// show:end

// commonOnlyJS is the JavaScript of a kind that has only the common handlers.
const commonOnlyJS = `{{range .Namespaces}}
{{nsp .}}.use(allowEveryone);
{{nsp .}}.on("connection", common);
{{end}}{{template "common"}}`
