package playground

import (
	"errors"
	"time"

	"socketlab/playground/socketio"
)

// The queue demo: deliveries wait on the server until their client acknowledges them, and a
// client that lost its network comes back to the same session (connection state recovery).
var queueKind = &Kind{
	Name: "queue", Title: "A queue for offline clients", Setup: setupQueue, JS: queueJS, Show: []string{"queue", "common"},
	Recovery: &socketio.RecoveryOptions{MaxDisconnectionDuration: recoveryWindow, SkipMiddlewares: true},
	NewState: func() any { return &queueState{queues: map[string][]queued{}, flushing: map[string]bool{}} },
	StateLocked: func(st any, out map[string]any) {
		counts := map[string]int{}
		for name, q := range st.(*queueState).queues {
			counts[name] = len(q)
		}
		out["queues"] = counts
	},
}

const (
	deliveryTimeout = 2 * time.Second
	maxQueue        = 100
)

// queueState is the queue demo's state on an instance, guarded by the instance's mutex.
type queueState struct {
	queues   map[string][]queued // client name → waiting deliveries
	flushing map[string]bool     // a delivery loop runs for this name
	lastID   int
}

type queued struct {
	ID   int    `json:"id"`
	Text string `json:"text"`
}

// show:queue
func setupQueue(in *Instance) {
	st := in.kindState.(*queueState)
	in.onNamespaces(func(s *socketio.Socket) {
		s.On("deliver", func(e *socketio.Event) {
			var req struct {
				To   string `json:"to"`
				Text string `json:"text"`
			}
			if err := e.Decode(0, &req); err != nil || req.To == "" || len(req.Text) > maxChatLen {
				e.AckError(errors.New("deliver needs {to, text}"))
				return
			}
			in.mu.Lock()
			if len(st.queues[req.To]) >= maxQueue {
				in.mu.Unlock()
				e.AckError(errors.New("queue full"))
				return
			}
			st.lastID++
			item := queued{ID: st.lastID, Text: req.Text}
			st.queues[req.To] = append(st.queues[req.To], item)
			n := len(st.queues[req.To])
			in.publishStateLocked()
			in.mu.Unlock()
			e.Ack(map[string]any{"queued": n, "id": item.ID})
			in.log.Info("message queued", "to", req.To, "id", item.ID, "waiting", n)
			if target := in.socketByName(s.Namespace(), req.To); target != nil {
				flush(in, st, target, req.To)
			}
		})
		if s.Namespace().Name() != "/" {
			return
		}
		name := clientName(s)
		if s.Recovered() {
			// Connection state recovery: same id, same rooms, and the missed broadcasts replayed.
			in.log.Info("connection recovered", "client", name, "sid", s.ID())
		} else {
			// Recovery resumes from the last event the client got without an ack (its offset);
			// a fresh connection gets this one so that a later drop can be recovered.
			s.Emit("welcome", map[string]string{"id": s.ID()})
		}
		flush(in, st, s, name) // catch up on everything sent while offline
	})
}

// flush delivers a client's waiting messages in order, each removed only once acknowledged. It
// never blocks: the next delivery is sent when the previous one's ack arrives, so a handler calls
// it as the JavaScript does, and its first delivery goes out before anything the handler emits
// after it.
func flush(in *Instance, st *queueState, s *socketio.Socket, name string) {
	in.mu.Lock()
	if st.flushing[name] {
		in.mu.Unlock()
		return // the running flush picks up what was just queued
	}
	st.flushing[name] = true
	in.mu.Unlock()
	deliverNext(in, st, s, name)
}

// deliverNext sends name's first waiting message, or ends the flush when none is left.
func deliverNext(in *Instance, st *queueState, s *socketio.Socket, name string) {
	in.mu.Lock()
	q := st.queues[name]
	if len(q) == 0 {
		delete(st.flushing, name) // under the same lock as the check: deliver starts a new flush
		in.mu.Unlock()
		return
	}
	item := q[0]
	in.mu.Unlock()
	stop := func(err error) {
		in.mu.Lock()
		delete(st.flushing, name)
		in.mu.Unlock()
		in.log.Info("delivery not acknowledged; kept in the queue", "to", name, "id", item.ID, "err", err)
	}
	err := s.Timeout(deliveryTimeout).EmitWithAckFunc("delivery", func(_ socketio.Payload, err error) {
		if err != nil {
			stop(err)
			return
		}
		in.mu.Lock()
		q := st.queues[name]
		if len(q) > 0 && q[0].ID == item.ID {
			st.queues[name] = q[1:]
		}
		if len(st.queues[name]) == 0 {
			delete(st.queues, name)
		}
		in.publishStateLocked()
		in.mu.Unlock()
		in.log.Info("delivery acknowledged", "to", name, "id", item.ID)
		deliverNext(in, st, s, name)
	}, item)
	if err != nil {
		stop(err)
	}
}

// show:end

const queueJS = `// This server runs with connection state recovery:
// new Server(httpServer, { connectionStateRecovery: { maxDisconnectionDuration: 120000, skipMiddlewares: true } })
const queues = new Map(); // client name → deliveries waiting for an acknowledgement
const flushing = new Set(); // names whose delivery loop runs
let lastId = 0;
{{range .Namespaces}}
{{nsp .}}.use(allowEveryone);
{{nsp .}}.on("connection", (socket) => {
  common(socket);
  socket.on("deliver", (req, ack) => {
    const { to, text = "" } = req ?? {};
    if (typeof to !== "string" || to === "" || typeof text !== "string" || text.length > 2048) {
      return ack({ error: "deliver needs {to, text}" });
    }
    const queue = queues.get(to) ?? [];
    if (queue.length >= 100) return ack({ error: "queue full" });
    const item = { id: ++lastId, text };
    queue.push(item);
    queues.set(to, queue);
    ack({ queued: queue.length, id: item.id });
    console.log("message queued", to, item.id, queue.length);
    const target = socketByName(socket.nsp, to);
    if (target) flush(target, to);
  });{{if eq . "/"}}
  const name = clientName(socket);
  if (socket.recovered) {
    // Connection state recovery: same id, same rooms, and the missed broadcasts replayed.
    console.log("connection recovered", name, socket.id);
  } else {
    // Recovery resumes from the last event the client got without an ack (its offset);
    // a fresh connection gets this one so that a later drop can be recovered.
    socket.emit("welcome", { id: socket.id });
  }
  flush(socket, name); // catch up on everything sent while offline{{end}}
});
{{end}}
// Delivers a client's waiting messages in order, each removed only once acknowledged.
async function flush(socket, name) {
  if (flushing.has(name)) return; // the running flush picks up what was just queued
  flushing.add(name);
  try {
    while (queues.has(name)) {
      const item = queues.get(name)[0];
      try {
        await socket.timeout(2000).emitWithAck("delivery", item);
      } catch (err) {
        console.log("delivery not acknowledged; kept in the queue", name, item.id, err.message);
        return;
      }
      const queue = queues.get(name) ?? [];
      if (queue[0]?.id === item.id) queue.shift();
      if (queue.length === 0) queues.delete(name);
      console.log("delivery acknowledged", name, item.id);
    }
  } finally {
    flushing.delete(name);
  }
}
{{template "common"}}`
