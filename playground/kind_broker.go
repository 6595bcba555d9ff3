package playground

import (
	"encoding/json"
	"errors"
	"slices"
	"time"

	"socketlab/playground/socketio"
)

// The broker demo: one publish goes out twice, by pub/sub (every worker connected right now gets
// a copy, and one that is offline misses it) and through a work queue (one worker gets it, must
// acknowledge it, and it is delivered again when it is not: a failure, a timeout or a worker
// that drops out; after maxAttempts deliveries it is a dead letter). Workers are the clients
// whose CONNECT payload says {worker: true}; they compete for the queue's messages.
var brokerKind = &Kind{
	Name:  "broker",
	Title: "Pub/sub and a work queue", Setup: setupBroker, JS: brokerJS, Show: []string{"broker", "common"},
	NewState: func() any { return &brokerState{inflight: map[int]inflight{}, workers: map[*socketio.Socket]bool{}} },
	StateLocked: func(st any, out map[string]any) {
		b := st.(*brokerState)
		flying := make([]inflight, 0, len(b.inflight))
		for _, f := range b.inflight {
			flying = append(flying, f)
		}
		slices.SortFunc(flying, func(x, y inflight) int { return x.Msg.ID - y.Msg.ID })
		out["broker"] = map[string]any{"ready": nonNil(b.ready), "inflight": flying, "dead": nonNil(b.dead), "done": b.done}
	},
}

const (
	jobTimeout  = 5 * time.Second // a worker that neither acks nor fails a job in time: a failed delivery
	maxAttempts = 3               // deliveries before a message becomes a dead letter
	maxReady    = 100
	maxDead     = 20
)

// brokerState is the work queue, guarded by the instance's mutex.
type brokerState struct {
	ready    []brokerMsg // waiting for a free worker, oldest first
	workers  map[*socketio.Socket]bool
	idle     []*socketio.Socket // workers with nothing in flight, longest idle first
	inflight map[int]inflight   // message id → the worker it was sent to, not yet acknowledged
	dead     []brokerMsg        // the dead-letter queue: the last maxDead given up on
	done     int
	lastID   int
}

type brokerMsg struct {
	ID      int    `json:"id"`
	Text    string `json:"text"`
	Attempt int    `json:"attempt"` // deliveries so far
	from    string // the publisher's socket id: it hears about a dead letter
}

type inflight struct {
	Msg    brokerMsg `json:"msg"`
	Worker string    `json:"worker"`
	sock   *socketio.Socket
}

func nonNil(m []brokerMsg) []brokerMsg {
	if m == nil {
		return []brokerMsg{}
	}
	return m
}

// show:broker
func setupBroker(in *Instance) {
	st := in.kindState.(*brokerState)
	in.onNamespaces(func(s *socketio.Socket) {
		if s.Namespace().Name() != "/" {
			return
		}
		s.On("publish", func(e *socketio.Event) {
			var req struct {
				Text string `json:"text"`
			}
			if err := e.Decode(0, &req); err != nil || len(req.Text) > maxChatLen {
				e.AckError(errors.New("publish needs {text}"))
				return
			}
			in.mu.Lock()
			if len(st.ready) >= maxReady {
				in.mu.Unlock()
				e.AckError(errors.New("queue full"))
				return
			}
			st.lastID++
			msg := brokerMsg{ID: st.lastID, Text: req.Text, from: s.ID()}
			in.mu.Unlock()
			// 1. Pub/sub: a copy for every worker connected now; nobody keeps it for the others.
			workers := s.Namespace().To("workers")
			subscribers := len(workers.FetchSockets())
			workers.Emit("news", map[string]any{"id": msg.ID, "text": msg.Text})
			// 2. The work queue: one worker gets it, and it stays until acknowledged.
			in.mu.Lock()
			st.ready = append(st.ready, msg)
			in.mu.Unlock()
			e.Ack(map[string]any{"id": msg.ID, "subscribers": subscribers}) // before any dead letter it may become
			dispatch(in, st)
		})
		var auth struct {
			Worker bool `json:"worker"`
		}
		json.Unmarshal(s.Handshake().Auth, &auth)
		if !auth.Worker {
			return
		}
		s.Join("workers")
		s.OnDisconnecting(func(string) { leave(in, st, s) }) // before it is gone: no publish picks it after this
		in.mu.Lock()
		st.workers[s] = true
		st.idle = append(st.idle, s)
		in.mu.Unlock()
		dispatch(in, st)
	})
}

// dispatch gives waiting messages to idle workers, one each (the longest idle first), until
// either runs out.
func dispatch(in *Instance, st *brokerState) {
	for {
		in.mu.Lock()
		if len(st.ready) == 0 || len(st.idle) == 0 {
			in.publishStateLocked()
			in.mu.Unlock()
			return
		}
		msg, w := st.ready[0], st.idle[0]
		st.ready, st.idle = st.ready[1:], st.idle[1:]
		msg.Attempt++
		st.inflight[msg.ID] = inflight{Msg: msg, Worker: in.names[w.ID()], sock: w}
		in.mu.Unlock()
		err := w.Timeout(jobTimeout).EmitWithAckFunc("job", func(p socketio.Payload, err error) {
			var reply string
			p.Decode(0, &reply)
			settle(in, st, w, msg, reply, err)
		}, msg)
		if err != nil { // w is disconnecting
			leave(in, st, w)
		}
	}
}

// leave takes a worker that is disconnecting out of the queue and delivers again what it had not
// acknowledged.
func leave(in *Instance, st *brokerState, w *socketio.Socket) {
	in.mu.Lock()
	st.idle = slices.DeleteFunc(st.idle, func(x *socketio.Socket) bool { return x == w })
	delete(st.workers, w)
	var dead []brokerMsg
	for id, f := range st.inflight {
		if f.sock == w {
			delete(st.inflight, id)
			dead = append(dead, returnLocked(st, f.Msg)...)
		}
	}
	in.mu.Unlock()
	deadLetters(in, dead)
	dispatch(in, st)
}

// settle handles a worker's answer to a job: "done" acknowledges it; anything else, or no
// answer in time, is a failed delivery.
func settle(in *Instance, st *brokerState, w *socketio.Socket, msg brokerMsg, reply string, err error) {
	if errors.Is(err, socketio.ErrDisconnected) {
		leave(in, st, w) // the Go hub fails pending acks at a disconnect (socket.io lets them time out)
		return
	}
	in.mu.Lock()
	if f, ok := st.inflight[msg.ID]; !ok || f.sock != w {
		in.mu.Unlock()
		return // already returned to the queue when the worker left
	}
	delete(st.inflight, msg.ID)
	acked := err == nil && reply == "done"
	var dead []brokerMsg
	if acked {
		st.done++
	} else {
		dead = returnLocked(st, msg)
	}
	if st.workers[w] { // not if it left meanwhile (its job timed out as it disconnected)
		st.idle = append(st.idle, w)
	}
	in.mu.Unlock()
	if acked {
		in.log.Info("job acknowledged", "id", msg.ID, "worker", clientName(w), "attempt", msg.Attempt)
	} else {
		in.log.Info("job failed", "id", msg.ID, "worker", clientName(w), "attempt", msg.Attempt)
	}
	deadLetters(in, dead)
	dispatch(in, st)
}

// returnLocked puts a message that was not acknowledged back at the head of the queue, or in
// the dead-letter queue after maxAttempts deliveries: then it returns it, for deadLetters.
func returnLocked(st *brokerState, msg brokerMsg) []brokerMsg {
	if msg.Attempt < maxAttempts {
		st.ready = append([]brokerMsg{msg}, st.ready...)
		return nil
	}
	st.dead = append(st.dead, msg)
	if len(st.dead) > maxDead {
		st.dead = st.dead[1:]
	}
	return []brokerMsg{msg}
}

// deadLetters tells each dead letter's publisher that its message was given up on.
func deadLetters(in *Instance, dead []brokerMsg) {
	for _, msg := range dead {
		in.log.Info("dead letter", "id", msg.ID, "attempts", msg.Attempt)
		in.hub().IO.To(msg.from).Emit("dead letter", msg)
	}
}

// show:end

const brokerJS = `// Workers are the clients that connect with auth { worker: true }.
const ready = []; // messages waiting for a free worker, oldest first
const idle = []; // workers with nothing in flight, longest idle first
const inflight = new Map(); // message id → { msg, worker }: sent, not yet acknowledged
const dead = []; // the dead-letter queue
let lastId = 0;
{{range .Namespaces}}
{{nsp .}}.use(allowEveryone);
{{nsp .}}.on("connection", (socket) => {
  common(socket);{{if eq . "/"}}
  socket.on("publish", (req, ack) => {
    const text = req?.text ?? "";
    if (typeof req !== "object" || Array.isArray(req) || typeof text !== "string" || text.length > 2048) {
      return ack({ error: "publish needs {text}" });
    }
    if (ready.length >= 100) return ack({ error: "queue full" });
    const msg = { id: ++lastId, text, attempt: 0 };
    // 1. Pub/sub: a copy for every worker connected now; nobody keeps it for the others.
    const subscribers = io.sockets.adapter.rooms.get("workers")?.size ?? 0;
    io.to("workers").emit("news", { id: msg.id, text });
    // 2. The work queue: one worker gets it, and it stays until acknowledged.
    ready.push({ msg, from: socket.id });
    ack({ id: msg.id, subscribers });
    dispatch();
  });
  if (socket.handshake.auth.worker !== true) return;
  socket.join("workers");
  socket.on("disconnecting", () => leave(socket)); // before it is gone: no publish picks it after this
  idle.push(socket);
  dispatch();{{end}}
});
{{end}}
// Gives waiting messages to idle workers, one each (the longest idle first).
function dispatch() {
  while (ready.length > 0 && idle.length > 0) {
    const entry = ready.shift();
    const worker = idle.shift();
    entry.msg.attempt++;
    const msg = { ...entry.msg };
    inflight.set(msg.id, { entry, worker });
    worker.timeout(5000).emitWithAck("job", msg).then(
      (reply) => settle(worker, entry, reply, null),
      (err) => settle(worker, entry, null, err),
    );
  }
}

// Takes a worker that is disconnecting out of the queue and delivers again what it had not acknowledged.
function leave(worker) {
  const i = idle.indexOf(worker);
  if (i >= 0) idle.splice(i, 1);
  for (const [id, f] of inflight) {
    if (f.worker === worker) {
      inflight.delete(id);
      giveBack(f.entry);
    }
  }
  dispatch();
}

// "done" acknowledges the job; anything else, or no answer in time, is a failed delivery.
function settle(worker, entry, reply, err) {
  // Not a timeout: the worker left (socket.io lets its pending acks time out; the Go hub fails them at once).
  if (err && err.message !== "operation has timed out") return leave(worker);
  const f = inflight.get(entry.msg.id);
  if (f?.worker !== worker) return; // already given back when the worker left
  inflight.delete(entry.msg.id);
  if (!err && reply === "done") {
    console.log("job acknowledged", entry.msg.id, clientName(worker), entry.msg.attempt);
  } else {
    console.log("job failed", entry.msg.id, clientName(worker), entry.msg.attempt);
    giveBack(entry);
  }
  if (worker.connected) idle.push(worker); // not if it left meanwhile
  dispatch();
}

// Back at the head of the queue, or a dead letter after 3 deliveries.
function giveBack(entry) {
  if (entry.msg.attempt < 3) return ready.unshift(entry);
  dead.push(entry.msg);
  if (dead.length > 20) dead.shift();
  console.log("dead letter", entry.msg.id, entry.msg.attempt);
  io.to(entry.from).emit("dead letter", entry.msg);
}
{{template "common"}}`
