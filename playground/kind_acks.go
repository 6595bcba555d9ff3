package playground

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"socketlab/playground/socketio"
)

// The acks demo: a client asks the server to put a question to another client and to wait, at
// most a timeout, for its answer (an acknowledgement).
var acksKind = &Kind{Name: "acks", Title: "Acknowledgements", Setup: setupAcks, JS: acksJS, Show: []string{"acks", "common"}}

const maxAskTimeout = 10 * time.Second

// show:acks
func setupAcks(in *Instance) {
	in.onNamespaces(func(s *socketio.Socket) {
		s.On("ask", func(e *socketio.Event) {
			var req struct {
				To       string          `json:"to"`
				Question json.RawMessage `json:"question"`
				Timeout  int             `json:"timeout"` // ms
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
			go func() { // never wait for a reply inside a handler: replies arrive on the same reader
				replies, err := s.Namespace().To(target.ID()).Timeout(timeout).EmitWithAck(context.Background(), "question", req.Question)
				if err != nil {
					e.Ack(map[string]any{"error": err.Error()}) // "operation has timed out"
					return
				}
				answers := make([]json.RawMessage, 0, len(replies)) // each client's first ack argument
				for _, r := range replies {
					if len(r.Args) > 0 {
						answers = append(answers, r.Args[0])
					}
				}
				e.Ack(map[string]any{"answers": answers})
			}()
		})
	})
}

// show:end

const acksJS = `{{range .Namespaces}}
{{nsp .}}.use(allowEveryone);
{{nsp .}}.on("connection", (socket) => {
  common(socket);
  socket.on("ask", async (req, ack) => {
    if (typeof req !== "object" || req === null) return ack({ error: "ask needs {to, question, timeout}" });
    const { to, question = "", timeout } = req;
    const ms = timeout > 0 && timeout <= 10000 ? timeout : 2000;
    const target = socketByName(socket.nsp, to);
    if (!target) return ack({ error: ` + "`${to} is not connected`" + ` });
    try {
      const answers = await socket.nsp.to(target.id).timeout(ms).emitWithAck("question", question);
      ack({ answers }); // each client's first ack argument
    } catch (err) {
      ack({ error: err.message }); // "operation has timed out"
    }
  });
});
{{end}}{{template "common"}}`
