package engineio_test

import (
	"log/slog"
	"net/http"
	"sync"
	"time"

	"socketlab/playground/engineio"
)

// hub keeps its sessions and broadcasts to them.
type hub struct {
	mu       sync.Mutex
	sessions map[*engineio.Session]bool
}

func (h *hub) Open(s *engineio.Session) engineio.SessionHandler {
	h.mu.Lock()
	h.sessions[s] = true
	h.mu.Unlock()
	return &member{h: h, s: s}
}

// broadcast encodes once; every session shares the same frame bytes.
func (h *hub) broadcast(text string) {
	p := engineio.Prepare(engineio.Message{Data: []byte(text)})
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.sessions {
		_ = s.SendPrepared(p) // never blocks; a full queue closes that session ("slow")
	}
}

type member struct {
	h *hub
	s *engineio.Session
}

func (m *member) Message(msg engineio.Message) {
	if !msg.Binary {
		m.h.broadcast(string(msg.Data))
	}
}

func (m *member) Closed(reason string) {
	m.h.mu.Lock()
	delete(m.h.sessions, m.s)
	m.h.mu.Unlock()
}

func Example() {
	h := &hub{sessions: map[*engineio.Session]bool{}}
	srv := engineio.NewServer(engineio.Options{
		PingInterval: 25 * time.Second,
		PingTimeout:  20 * time.Second,
		CheckOrigin: func(r *http.Request) bool {
			return r.Header.Get("Origin") == "https://lab.example"
		},
		Logger:  slog.New(slog.DiscardHandler),
		Handler: h,
	})
	mux := http.NewServeMux()
	mux.Handle("/engine.io/", srv)
	hs := &http.Server{Addr: "127.0.0.1:0", Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	hs.RegisterOnShutdown(srv.Close) // Shutdown does not close hijacked WebSockets
	_ = hs
}
