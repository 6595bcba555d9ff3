package playground

import (
	"net/http"
	"strings"
	"time"

	"socketlab/playground/engineio"
	"socketlab/playground/socketio"
)

// Hub is a Socket.IO server reachable over Engine.IO: what every demo instance, the conformance
// server and the bench server run. It is an http.Handler to mount at the Engine.IO path.
type Hub struct {
	Engine *engineio.Server
	IO     *socketio.Server
}

// NewHub joins an Engine.IO server and a Socket.IO server: every Engine.IO session becomes one
// Socket.IO client. The engine options' Handler is set here.
func NewHub(eopts engineio.Options, sopts socketio.Options) *Hub {
	if sopts.MaxPacketBytes <= 0 && eopts.MaxPayload > 0 {
		sopts.MaxPacketBytes = int(eopts.MaxPayload) // a binary packet is held to one message's size
	}
	h := &Hub{IO: socketio.NewServer(sopts)}
	eopts.Handler = adapter{io: h.IO}
	h.Engine = engineio.NewServer(eopts)
	return h
}

func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.Engine.ServeHTTP(w, r) }

// Close disconnects every client ("server shutting down") and refuses new ones.
func (h *Hub) Close() {
	h.IO.Close()
	h.Engine.Close()
}

// adapter turns Engine.IO sessions into Socket.IO clients.
type adapter struct{ io *socketio.Server }

func (a adapter) Open(s *engineio.Session) engineio.SessionHandler {
	r := s.Request()
	hs := socketio.Handshake{
		Headers: r.Header,
		Address: r.RemoteAddr,
		Time:    time.Now(),
		URL:     r.URL.RequestURI(),
		Secure:  r.TLS != nil,
	}
	hs.Issued = hs.Time.UnixMilli()
	return session{c: a.io.Accept(conn{s: s}, hs)}
}

type session struct{ c *socketio.Client }

func (s session) Message(m engineio.Message) {
	if m.Binary {
		s.c.OnBinary(m.Data)
		return
	}
	s.c.OnText(m.Data)
}

func (s session) Closed(reason string) { s.c.Closed(reason) }

// conn is a Socket.IO client's view of its Engine.IO session.
type conn struct{ s *engineio.Session }

// prepare frames a packet once for every recipient: the first Send builds the Engine.IO framing
// and the others reuse the same bytes.
func prepare(p *socketio.Packet) any { return engineio.Prepare(messages(p)...) }

func messages(p *socketio.Packet) []engineio.Message {
	msgs := make([]engineio.Message, 0, 1+len(p.Attachments))
	msgs = append(msgs, engineio.Message{Data: []byte(p.Text)})
	for _, a := range p.Attachments {
		msgs = append(msgs, engineio.Message{Binary: true, Data: a})
	}
	return msgs
}

func (c conn) Send(p *socketio.Packet) error {
	if p.Direct && !p.Volatile {
		return c.s.Send(messages(p)...) // one recipient: framed by its writer, nothing to share
	}
	prepared := p.Prepared(prepare).(*engineio.Prepared)
	if p.Volatile {
		_, err := c.s.SendVolatile(prepared) // dropped, not queued, when the transport is busy
		return err
	}
	return c.s.SendPrepared(prepared)
}

func (c conn) Close(reason string) { c.s.Close(reason) }

func (c conn) Transport() string { return c.s.Transport() }

// OriginAllowlist returns an Engine.IO CheckOrigin that accepts exactly the given origins
// (scheme://host:port, host compared case-insensitively); requests without Origin never reach it.
func OriginAllowlist(origins []string) func(*http.Request) bool {
	allowed := make(map[string]bool, len(origins))
	for _, o := range origins {
		allowed[strings.ToLower(strings.TrimRight(o, "/"))] = true
	}
	return func(r *http.Request) bool {
		return allowed[strings.ToLower(r.Header.Get("Origin"))]
	}
}
