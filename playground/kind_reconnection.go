package playground

import (
	"time"

	"socketlab/playground/socketio"
)

// The reconnection demo: the common handlers and a "kick" (the server ends the socket), on a hub
// with a short heartbeat, so that a silent link is noticed in seconds. The failures a client
// meets without the program's doing (the server down for a while, a heartbeat that stops) are
// the instance's faults (fault.go), not part of the program.
var reconnectionKind = &Kind{
	Name:  "reconnection",
	Title: "Reconnection and errors", Setup: setupReconnection, JS: reconnectionJS, Show: []string{"reconnection", "common"},
	PingInterval: 2 * time.Second, PingTimeout: 2 * time.Second, Faults: true,
}

// show:reconnection
func setupReconnection(in *Instance) {
	in.onNamespaces(func(s *socketio.Socket) {
		// The server ends this socket: the client's reason is "io server disconnect", and it does
		// not reconnect by itself (socket.active is false) until it calls socket.connect().
		s.On("kick", func(e *socketio.Event) { s.Disconnect(false) })
	})
}

// show:end

const reconnectionJS = `// This server runs with a short heartbeat, so that a silent link shows in seconds:
// new Server(httpServer, { pingInterval: 2000, pingTimeout: 2000 }) (the defaults: 25000 and 20000)
{{range .Namespaces}}
{{nsp .}}.use(allowEveryone);
{{nsp .}}.on("connection", (socket) => {
  common(socket);
  // The server ends this socket: the client's reason is "io server disconnect", and it does
  // not reconnect by itself (socket.active is false) until it calls socket.connect().
  socket.on("kick", () => socket.disconnect());
});
{{end}}{{template "common"}}`
