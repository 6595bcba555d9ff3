package playground

import (
	"errors"

	"socketlab/playground/socketio"
)

// The namespaces demo: "/" lets everyone in; every other namespace has its own middleware (no
// token, no connection) and an "order" event that "/" does not have.
var namespacesKind = &Kind{Name: "namespaces", Title: "Namespaces and middleware", Setup: setupNamespaces, JS: namespacesJS, Show: []string{"namespaces", "common"}}

// show:namespaces
func setupNamespaces(in *Instance) {
	io := in.hub().IO
	io.Of("/").Use(in.allowEveryone)
	io.Of("/").OnConnection(in.common)
	for _, name := range in.cfg.namespacesOf()[1:] {
		nsp := io.Of(name)
		// Its own middleware: no token, no connection.
		nsp.Use(func(s *socketio.Socket, next func(error)) {
			if tokenOf(s.Handshake().Auth) == "" {
				in.log.Info("middleware", "nsp", s.Namespace().Name(), "client", clientName(s), "decision", "refused: no token")
				next(&socketio.ConnectError{Message: "token required"}) // connect_error on the client
				return
			}
			in.log.Info("middleware", "nsp", s.Namespace().Name(), "client", clientName(s), "decision", "allowed")
			in.admit(s)
			next(nil)
		})
		nsp.OnConnection(func(s *socketio.Socket) {
			in.common(s)
			name := clientName(s)
			// Only these namespaces have this event: on "/" no handler runs for "order", no ack is
			// sent, and the client's timeout fires.
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
		})
	}
}

// show:end

const namespacesJS = `io.use(allowEveryone);
io.on("connection", common);
{{range .Others}}
// {{.}} has its own middleware: no token, no connection.
{{nsp .}}.use((socket, next) => {
  if (!socket.handshake.auth.token) {
    console.log("middleware", socket.nsp.name, clientName(socket), "refused: no token");
    return next(new Error("token required")); // connect_error on the client
  }
  console.log("middleware", socket.nsp.name, clientName(socket), "allowed");
  next();
});
{{nsp .}}.on("connection", (socket) => {
  common(socket);
  const name = clientName(socket);
  // Only {{.}} has this event: on "/" no handler runs for "order", no ack is sent, and the
  // client's timeout fires.
  socket.on("order", (item, ack) => {
    if (typeof item !== "string" || item === "" || item.length > 2048) {
      return ack({ error: "an order is a non-empty string of at most 2048 bytes" });
    }
    {{nsp .}}.emit("order:new", { from: name, item });
    ack({ ok: true });
  });
});
{{end}}{{template "common"}}`
