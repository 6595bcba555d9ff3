package playground

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"socketlab/playground/engineio"
	"socketlab/playground/socketio"
)

// requireNode finds node and the installed npm packages; CI must have them, a developer without
// Node gets a skip.
func requireNode(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join("..", "node", "node_modules", "socket.io-client"))
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI needs node and `npm ci` in node/: %v", err)
		}
		t.Skipf("node tests need node and `cd node && npm ci`: %v", err)
	}
	return node
}

// testHandlers are the server side of node/client/hub.test.js.
func testHandlers(io *socketio.Server) {
	io.OnConnection(func(s *socketio.Socket) {
		str := func(e *socketio.Event, i int) string {
			var v string
			e.Decode(i, &v)
			return v
		}
		s.On("echo", func(e *socketio.Event) { e.Ack(e.Values()...) })
		s.On("join", func(e *socketio.Event) {
			if err := s.Join(str(e, 0)); err != nil {
				e.AckError(err)
				return
			}
			e.Ack(s.Rooms())
		})
		s.On("leave", func(e *socketio.Event) { s.Leave(str(e, 0)); e.Ack(s.Rooms()) })
		s.On("never-acks", func(*socketio.Event) {})
		s.On("kick", func(e *socketio.Event) { s.Disconnect(false) })
		// burst(room, count, ack): emits tick(0) … tick(count-1) to room, then acks count (T43).
		s.On("burst", func(e *socketio.Event) {
			var room string
			var count int
			if e.Decode(0, &room) != nil || e.Decode(1, &count) != nil || count < 0 || count > 1000 {
				e.AckError(errors.New("burst(room, count ≤ 1000)"))
				return
			}
			for i := range count {
				if err := io.To(room).Emit("tick", i); err != nil {
					e.AckError(err)
					return
				}
			}
			e.Ack(count)
		})
		s.On("scope", func(e *socketio.Event) {
			var op struct {
				Kind   string            `json:"kind"`
				Rooms  []string          `json:"rooms"`
				Except []string          `json:"except"`
				Event  string            `json:"event"`
				Args   []json.RawMessage `json:"args"`
			}
			if err := e.Decode(0, &op); err != nil {
				e.AckError(err)
				return
			}
			args := make([]any, len(op.Args))
			for i, a := range op.Args {
				args[i] = a
			}
			var err error
			switch op.Kind {
			case "io":
				err = io.Emit(op.Event, args...)
			case "self":
				err = s.Emit(op.Event, args...)
			case "broadcast":
				err = s.Broadcast().Emit(op.Event, args...)
			case "to":
				err = io.To(op.Rooms...).Except(op.Except...).Emit(op.Event, args...)
			case "socket-to":
				err = s.To(op.Rooms...).Except(op.Except...).Emit(op.Event, args...)
			case "except":
				err = io.Except(op.Except...).Emit(op.Event, args...)
			default:
				err = errors.New("unknown kind " + op.Kind)
			}
			if err != nil {
				e.AckError(err)
				return
			}
			e.Ack("done")
		})
		s.On("ask", func(e *socketio.Event) {
			var q struct {
				Event   string            `json:"event"`
				Args    []json.RawMessage `json:"args"`
				Timeout int               `json:"timeout"`
			}
			e.Decode(0, &q)
			args := make([]any, len(q.Args))
			for i, a := range q.Args {
				args[i] = a
			}
			go func() { // the reply arrives on this socket's reader: never wait on it inside a handler
				resp, err := s.Timeout(time.Duration(q.Timeout)*time.Millisecond).EmitWithAck(context.Background(), q.Event, args...)
				if err != nil {
					e.Ack(map[string]string{"err": err.Error()})
					return
				}
				e.Ack(map[string]any{"resp": resp.Values()})
			}()
		})
	})
	admin := io.Of("/admin")
	admin.Use(func(s *socketio.Socket, next func(error)) {
		var auth struct {
			Token string `json:"token"`
		}
		json.Unmarshal(s.Handshake().Auth, &auth)
		if auth.Token != "secret" {
			next(&socketio.ConnectError{Message: "not authorized", Data: map[string]string{"reason": "bad token"}})
			return
		}
		next(nil)
	})
	admin.OnConnection(func(s *socketio.Socket) {
		s.On("whoami", func(e *socketio.Event) {
			e.Ack(map[string]any{"nsp": s.Namespace().Name(), "auth": s.Handshake().Auth})
		})
	})
}

// restartable serves a hub on a fixed loopback port and can "restart the server": close every
// connection and the listener, then listen again on the same port with a fresh hub.
type restartable struct {
	t    *testing.T
	addr string
	mu   sync.Mutex
	hub  *Hub
	srv  *http.Server
}

func (r *restartable) start(ln net.Listener) {
	// PingTimeout also bounds how long a closing session waits for its last poll (T43), and the
	// Node process may be busy for a moment with 100 clients' ticks.
	hub := NewHub(engineio.Options{PingInterval: time.Second, PingTimeout: 5 * time.Second}, socketio.Options{})
	testHandlers(hub.IO)
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", hub)
	mux.HandleFunc("POST /__restart", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
		go r.restart()
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	r.mu.Lock()
	r.hub, r.srv = hub, srv
	r.mu.Unlock()
	go srv.Serve(ln)
}

func (r *restartable) stop() {
	r.mu.Lock()
	hub, srv := r.hub, r.srv
	r.mu.Unlock()
	hub.Close()
	// As the real server does (serveUntilDone): Shutdown lets the last polls be written.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		srv.Close()
	}
}

func (r *restartable) restart() {
	r.stop() // srv.Close closes the listener before it returns, so the port is free again
	ln, err := net.Listen("tcp", r.addr)
	if err != nil {
		r.t.Errorf("listening on %s again: %v", r.addr, err)
		return
	}
	r.start(ln)
}

// TestNodeClient runs the npm socket.io-client 4.x test file against the hub.
func TestNodeClient(t *testing.T) {
	node := requireNode(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &restartable{t: t, addr: ln.Addr().String()}
	r.start(ln)
	defer r.stop()

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", "client/hub.test.js")
	cmd.Dir = filepath.Join("..", "node")
	cmd.Env = append(os.Environ(), "HUB_URL=http://"+r.addr)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node socket.io-client tests failed: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
