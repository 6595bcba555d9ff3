package playground

import (
	"fmt"
	"strings"
)

// serverCode is the demo's server side as a student would write it: JavaScript for socket.io 4.x
// and Go for this hub. It mirrors scenarios.go; TestServerCodeMatchesHandlers (registry_test.go)
// checks that every event shown is handled by the running demo.
func serverCode(demo string, cfg *DemoConfig) (js, goCode string) {
	var j, g strings.Builder
	nsps := cfg.namespacesOf()
	j.WriteString("import { Server } from \"socket.io\";\nconst io = new Server(httpServer);\n")
	g.WriteString("io := socketio.NewServer(socketio.Options{})\n")
	switch demo {
	case "chat":
		j.WriteString(`
io.on("connection", (socket) => {
  console.log("a user connected");
  const name = socket.handshake.auth.name;

  socket.on("chat message", (text) => {
    io.emit("chat message", { from: name, text }); // everyone, the sender too
  });

  socket.on("disconnect", (reason) => {
    console.log("user disconnected", reason);
  });
});
`)
		g.WriteString(`
io.OnConnection(func(s *socketio.Socket) {
	name := clientName(s) // s.Handshake().Auth.name
	s.On("chat message", func(e *socketio.Event) {
		var text string
		e.Decode(0, &text)
		io.Emit("chat message", map[string]string{"from": name, "text": text})
	})
})
// "a user connected" / "user disconnected" are logged by the hub itself.
`)
		return j.String(), g.String()
	case "acks":
		j.WriteString(`
io.on("connection", (socket) => {
  // A client asks the server to put a question to another client and wait for its answer.
  socket.on("ask", async ({ to, question, timeout }, ack) => {
    const target = [...(await io.fetchSockets())].find((s) => s.handshake.auth.name === to);
    try {
      const answers = await io.to(target.id).timeout(timeout).emitWithAck("question", question);
      ack({ answers });
    } catch (err) {
      ack({ error: err.message }); // "operation has timed out"
    }
  });
});
`)
		g.WriteString(`
io.OnConnection(func(s *socketio.Socket) {
	s.On("ask", func(e *socketio.Event) {
		var req struct{ To string; Question json.RawMessage; Timeout int }
		e.Decode(0, &req)
		target := socketByName(s.Namespace(), req.To)
		go func() { // never wait for a reply inside a handler
			replies, err := io.To(target.ID()).
				Timeout(time.Duration(req.Timeout)*time.Millisecond).
				EmitWithAck(ctx, "question", req.Question)
			if err != nil {
				e.Ack(map[string]any{"error": err.Error()}) // "operation has timed out"
				return
			}
			e.Ack(map[string]any{"answers": replies})
		}()
	})
})
`)
		return j.String(), g.String()
	case "queue":
		j.WriteString(`
const io = new Server(httpServer, { connectionStateRecovery: {} });
const queues = new Map(); // client name → messages waiting for an acknowledgement

async function flush(socket, name) {
  const queue = queues.get(name) ?? [];
  while (queue.length > 0) {
    try {
      await socket.timeout(2000).emitWithAck("delivery", queue[0]);
      queue.shift(); // removed only once the client acknowledged it
    } catch {
      return; // not acknowledged: it stays queued for the next connection
    }
  }
}

io.on("connection", (socket) => {
  const name = socket.handshake.auth.name;
  if (socket.recovered) {
    // A short drop (lost network, no DISCONNECT): same id, same rooms, missed emits replayed.
    console.log("connection recovered", name, socket.id);
  } else {
    // Recovery resumes after the last event received without an ack: give it one.
    socket.emit("welcome", { id: socket.id });
  }
  flush(socket, name); // catch up on everything sent while offline

  socket.on("deliver", ({ to, text }, ack) => {
    const queue = queues.get(to) ?? [];
    queue.push({ id: ++lastId, text });
    queues.set(to, queue);
    ack({ queued: queue.length });
    const target = findSocketByName(to);
    if (target) flush(target, to);
  });
});
`)
		g.WriteString(`
io := socketio.NewServer(socketio.Options{Recovery: &socketio.RecoveryOptions{}})
io.OnConnection(func(s *socketio.Socket) {
	name := clientName(s)
	if s.Recovered() {
		// A short drop (lost network, no DISCONNECT): same id, same rooms, missed emits replayed.
		log.Info("connection recovered", "client", name, "sid", s.ID())
	} else {
		// Recovery resumes after the last event received without an ack: give it one.
		s.Emit("welcome", map[string]string{"id": s.ID()})
	}
	go flush(s, name) // catch up on everything sent while offline
	s.On("deliver", func(e *socketio.Event) {
		var req struct{ To, Text string }
		e.Decode(0, &req)
		n := enqueue(req.To, req.Text)
		e.Ack(map[string]any{"queued": n})
		if target := socketByName(io.Of("/"), req.To); target != nil {
			go flush(target, req.To)
		}
	})
})

func flush(s *socketio.Socket, name string) {
	for item, ok := peek(name); ok; item, ok = peek(name) {
		if _, err := s.Timeout(2*time.Second).EmitWithAck(ctx, "delivery", item); err != nil {
			return // not acknowledged: it stays queued
		}
		pop(name, item.ID) // removed only once acknowledged
	}
}
`)
		return j.String(), g.String()
	}

	// The common handlers: rooms and the scoped emits, on every namespace of the demo. The
	// namespaces demo guards its other namespaces with a token and gives them their own events.
	for _, n := range nsps {
		jv, gv := "io", "io"
		if n != "/" {
			jv, gv = fmt.Sprintf("io.of(%q)", n), fmt.Sprintf("io.Of(%q)", n)
		}
		guarded := demo == "namespaces" && n != "/"
		if guarded {
			fmt.Fprintf(&j, `
// %[2]s has its own middleware: no token, no connection.
%[1]s.use((socket, next) => {
  if (!socket.handshake.auth.token) return next(new Error("token required")); // connect_error on the client
  next();
});
`, jv, n)
			fmt.Fprintf(&g, `
// %[2]s has its own middleware: no token, no connection.
%[1]s.Use(func(s *socketio.Socket, next func(error)) {
	if tokenOf(s.Handshake().Auth) == "" {
		next(&socketio.ConnectError{Message: "token required"}) // connect_error on the client
		return
	}
	next(nil)
})
`, gv, n)
		} else {
			fmt.Fprintf(&j, `
%[1]s.use((socket, next) => {
  console.log("middleware", socket.nsp.name, socket.handshake.auth.name, "allowed");
  next(); // next(new Error("not authorized")) would refuse: connect_error on the client
});
`, jv)
			fmt.Fprintf(&g, `
%[1]s.Use(func(s *socketio.Socket, next func(error)) {
	log.Info("middleware", "nsp", s.Namespace().Name(), "decision", "allowed")
	next(nil) // next(&socketio.ConnectError{Message: "not authorized"}) would refuse
})
`, gv)
		}
		fmt.Fprintf(&j, `
%[1]s.on("connection", (socket) => {
  socket.on("join", (room, ack) => { socket.join(room); ack({ rooms: [...socket.rooms] }); });
  socket.on("leave", (room, ack) => { socket.leave(room); ack({ rooms: [...socket.rooms] }); });

  socket.on("send", ({ event, args, scope, room, to = room, except }, ack) => {
    // to: one room ("room-1") or several (["room-1", "room-2"]): a socket in both gets it once
    switch (scope) {
      case "self":        socket.emit(event, ...args); break;             // only the sender
      case "all":         %[1]s.emit(event, ...args); break;                 // everyone in %[2]s
      case "broadcast":   socket.broadcast.emit(event, ...args); break;   // everyone but the sender
      case "room":        %[1]s.to(to).emit(event, ...args); break;          // the rooms, sender included
      case "socket-room": socket.to(to).emit(event, ...args); break;      // the rooms, sender excluded
      case "except":      %[1]s.except(except).emit(event, ...args); break;  // everyone not in the room
    }
    ack(); // the playground also acks {call, go, recipients}: the exact call and how many it reached
  });
`, jv, n)
		if guarded {
			fmt.Fprintf(&j, `
  // Only %[2]s has this event: on "/" no handler runs for "order", no ack is sent, and the
  // client's timeout fires.
  socket.on("order", (item, ack) => {
    %[1]s.emit("order:new", { from: socket.handshake.auth.name, item });
    ack({ ok: true });
  });
`, jv, n)
		}
		j.WriteString("});\n")
		fmt.Fprintf(&g, `%[1]s.OnConnection(func(s *socketio.Socket) {
	s.On("join", func(e *socketio.Event) { var room string; e.Decode(0, &room); s.Join(room); e.Ack(map[string]any{"rooms": s.Rooms()}) })
	s.On("leave", func(e *socketio.Event) { var room string; e.Decode(0, &room); s.Leave(room); e.Ack(map[string]any{"rooms": s.Rooms()}) })
	s.On("send", func(e *socketio.Event) {
		var req sendRequest // {event, args, scope, room, to, except}
		e.Decode(0, &req)
		args := make([]any, len(req.Args)) // json.RawMessage values are sent byte for byte
		for i, a := range req.Args {
			args[i] = a
		}
		to := req.rooms() // to: ["room-1", "room-2"] or room: "room-1"; a socket in both gets it once
		switch req.Scope {
		case "self":        s.Emit(req.Event, args...)
		case "all":         %[1]s.Emit(req.Event, args...)
		case "broadcast":   s.Broadcast().Emit(req.Event, args...)
		case "room":        %[1]s.To(to...).Emit(req.Event, args...)
		case "socket-room": s.To(to...).Emit(req.Event, args...)
		case "except":      %[1]s.Except(req.Except).Emit(req.Event, args...)
		}
		e.Ack() // the playground also acks {call, go, recipients}
	})
`, gv)
		if guarded {
			fmt.Fprintf(&g, `	// Only %[2]s has this event: on "/" no handler runs for "order", no ack is sent, and the
	// client's timeout fires.
	s.On("order", func(e *socketio.Event) {
		var item string
		e.Decode(0, &item)
		%[1]s.Emit("order:new", map[string]string{"from": clientName(s), "item": item})
		e.Ack(map[string]any{"ok": true})
	})
`, gv, n)
		}
		g.WriteString("})\n")
	}
	if demo == "tenants" || len(cfg.Tenants) > 0 {
		j.WriteString(`
// One namespace per organization, created on first use: /org-acme, /org-globex, …
const orgs = io.of(/^\/org-[a-z0-9-]+$/);
orgs.use((socket, next) => {
  const org = socket.nsp.name.slice("/org-".length);
  if (tokens[org] && socket.handshake.auth.token === tokens[org]) return next();
  const err = new Error("not authorized");
  err.data = { org };
  next(err); // the client gets connect_error and is never connected
});
orgs.on("connection", (socket) => {
  // same handlers as above; socket.nsp.emit(...) only ever reaches this organization
});
`)
		g.WriteString(`
orgs := io.OfRegexp(regexp.MustCompile(` + "`^/org-[a-z0-9-]+$`" + `))
orgs.Use(func(s *socketio.Socket, next func(error)) {
	org := strings.TrimPrefix(s.Namespace().Name(), "/org-")
	if tok := tokenOf(s.Handshake().Auth); tok != "" && tok == tokens[org] {
		next(nil)
		return
	}
	next(&socketio.ConnectError{Message: "not authorized", Data: map[string]string{"org": org}})
})
orgs.OnConnection(onConnection) // s.Namespace().Emit(...) only reaches this organization
`)
	}
	return j.String(), g.String()
}
