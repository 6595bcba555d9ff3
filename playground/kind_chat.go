package playground

import (
	"errors"

	"socketlab/playground/socketio"
)

// The chat demo: what a client sends as "chat message" goes to everyone, with its name.
var chatKind = &Kind{Name: "chat", Title: "A chat room", Setup: setupChat, JS: chatJS, Show: []string{"chat", "common"}}

// show:chat
func setupChat(in *Instance) {
	in.onNamespaces(func(s *socketio.Socket) {
		name := clientName(s)
		nsp := s.Namespace()
		s.On("chat message", func(e *socketio.Event) {
			var text string
			if e.Decode(0, &text) != nil || len(text) > maxChatLen {
				e.AckError(errors.New("a chat message is a string of at most 2048 bytes"))
				return
			}
			nsp.Emit("chat message", map[string]string{"from": name, "text": text}) // everyone, the sender too
		})
	})
}

// show:end

const chatJS = `{{range .Namespaces}}
{{nsp .}}.use(allowEveryone);
{{nsp .}}.on("connection", (socket) => {
  // "a user connected" and "user disconnected" are logged by the server itself.
  common(socket);
  const name = clientName(socket);
  socket.on("chat message", (text, ack) => {
    if (typeof text !== "string" || text.length > 2048) {
      return ack?.({ error: "a chat message is a string of at most 2048 bytes" });
    }
    {{nsp .}}.emit("chat message", { from: name, text }); // everyone, the sender too
  });
});
{{end}}{{template "common"}}`
