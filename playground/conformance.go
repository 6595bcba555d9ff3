package playground

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"socketlab/playground/engineio"
	"socketlab/playground/socketio"
)

// ConformanceEngineOptions are the timings the official Engine.IO v4 and Socket.IO v5 test
// suites expect (protocol.md §4).
func ConformanceEngineOptions(log *slog.Logger) engineio.Options {
	return engineio.Options{
		PingInterval: 300 * time.Millisecond,
		PingTimeout:  200 * time.Millisecond,
		MaxPayload:   1_000_000,
		Logger:       log,
	}
}

// Conformance is the server the official suites test: a bare Engine.IO endpoint at /engine.io/
// that echoes every message, and at /socket.io/ a hub with namespaces / and /custom.
type Conformance struct {
	mux    *http.ServeMux
	engine *engineio.Server
	hub    *Hub
}

// NewConformance builds the conformance server; serve it on :3000.
func NewConformance(log *slog.Logger) *Conformance {
	eopts := ConformanceEngineOptions(log)
	eopts.Handler = echoHandler{}
	c := &Conformance{mux: http.NewServeMux(), engine: engineio.NewServer(eopts)}
	c.hub = NewHub(ConformanceEngineOptions(log), socketio.Options{ConnectTimeout: time.Second, RateLimit: -1, Logger: log})
	for _, name := range []string{"/", "/custom"} {
		nsp := c.hub.IO.Of(name)
		nsp.OnConnection(func(s *socketio.Socket) {
			auth := s.Handshake().Auth
			if len(auth) == 0 {
				auth = json.RawMessage("{}")
			}
			s.Emit("auth", auth)
			if name != "/" {
				return
			}
			s.On("message", func(e *socketio.Event) { s.Emit("message-back", e.Values()...) })
			s.On("message-with-ack", func(e *socketio.Event) { e.Ack(e.Values()...) })
		})
	}
	c.mux.Handle("/engine.io/", c.engine)
	c.mux.Handle("/socket.io/", c.hub)
	return c
}

func (c *Conformance) ServeHTTP(w http.ResponseWriter, r *http.Request) { c.mux.ServeHTTP(w, r) }

// Close ends every session of both endpoints.
func (c *Conformance) Close() {
	c.engine.Close()
	c.hub.Close()
}

// echoHandler sends every Engine.IO message back on the session it came from.
type echoHandler struct{}

func (echoHandler) Open(s *engineio.Session) engineio.SessionHandler { return echoSession{s} }

type echoSession struct{ s *engineio.Session }

func (e echoSession) Message(m engineio.Message) { e.s.Send(m) }
func (echoSession) Closed(string)                {}
