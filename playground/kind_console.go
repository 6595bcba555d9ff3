package playground

import (
	"encoding/json"
	"strings"

	"socketlab/playground/socketio"
)

// The console demo: the server's own log (connects, every event a client sends, disconnects),
// live. Besides the handlers every demo has (kind_common.go), it logs each event it gets, as
// lesson 3's server does with socket.onAny.
var consoleKind = &Kind{Name: "console", Title: "The server console", Setup: setupConsole, JS: consoleJS, Show: []string{"console", "common"}}

// show:console
func setupConsole(in *Instance) {
	in.onNamespaces(func(s *socketio.Socket) {
		s.OnAny(func(e *socketio.Event) { // every event this client sends
			in.log.Info("got", "event", e.Name, "args", argsPreview(e.Args), "from", s.ID())
		})
	})
}

// show:end

// argsPreview is an event's arguments as JSON for one log line, cut at maxPreview bytes.
func argsPreview(args []json.RawMessage) string {
	const maxPreview = 200
	var b strings.Builder
	b.WriteByte('[')
	for i, a := range args {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(a)
		if b.Len() > maxPreview {
			break
		}
	}
	s := b.String()
	if len(s) > maxPreview {
		return strings.ToValidUTF8(s[:maxPreview], "") + "…"
	}
	return s + "]"
}

const consoleJS = `{{range .Namespaces}}
{{nsp .}}.use(allowEveryone);
{{nsp .}}.on("connection", (socket) => {
  common(socket);
  socket.onAny((event, ...args) => { // every event this client sends
    console.log("got", event, JSON.stringify(args.filter((a) => typeof a !== "function")), "from", socket.id);
  });
});
{{end}}{{template "common"}}`
