package socketio

import (
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var errFakeClosed = errors.New("fake conn closed")

// fakeConn records what the server sends; Close calls Client.Closed like a
// transport would.
type fakeConn struct {
	mu        sync.Mutex
	packets   []*Packet
	closed    bool
	reason    string
	transport string
	failSend  bool
	sendErr   error // what a failing Send returns (nil: errFakeClosed)
	client    *Client
}

func (f *fakeConn) Send(p *Packet) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed || f.failSend {
		if f.sendErr != nil {
			return f.sendErr
		}
		return errFakeClosed
	}
	f.packets = append(f.packets, p)
	return nil
}

func (f *fakeConn) Close(reason string) {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return
	}
	f.closed, f.reason = true, reason
	c := f.client
	f.mu.Unlock()
	if c != nil {
		c.Closed(reason)
	}
}

func (f *fakeConn) Transport() string {
	if f.transport == "" {
		return "websocket"
	}
	return f.transport
}

// take returns the texts sent since the last take.
func (f *fakeConn) take() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, len(f.packets))
	for i, p := range f.packets {
		out[i] = p.Text
	}
	f.packets = nil
	return out
}

func (f *fakeConn) takePackets() []*Packet {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.packets
	f.packets = nil
	return out
}

func (f *fakeConn) isClosed() (bool, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.closed, f.reason
}

// reasonError is a transport's Send error that names the disconnect reason (Conn.Send).
type reasonError string

func (e reasonError) Error() string  { return "send failed: " + string(e) }
func (e reasonError) Reason() string { return string(e) }

// peer is a fake client connection.
type peer struct {
	t *testing.T
	*fakeConn
	c *Client
}

func newTestServer(t *testing.T, opts Options) *Server {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	srv := NewServer(opts)
	t.Cleanup(srv.Close)
	return srv
}

func dial(t *testing.T, srv *Server) *peer {
	t.Helper()
	f := &fakeConn{}
	c := srv.Accept(f, Handshake{Address: "127.0.0.1"}) // may call f.Close at once
	f.mu.Lock()
	f.client = c
	f.mu.Unlock()
	return &peer{t: t, fakeConn: f, c: c}
}

func (p *peer) send(text string) { p.c.OnText([]byte(text)) }

// connect joins nsp and returns the socket id from the CONNECT reply.
func (p *peer) connect(nsp string) string {
	p.t.Helper()
	pkt := "0"
	if nsp != "/" {
		pkt += nsp + ","
	}
	p.send(pkt)
	got := p.take()
	prefix := pkt
	for _, g := range got {
		if strings.HasPrefix(g, prefix+"{") {
			var v struct {
				Sid string `json:"sid"`
			}
			if err := json.Unmarshal([]byte(g[len(prefix):]), &v); err != nil {
				p.t.Fatalf("CONNECT reply %q: %v", g, err)
			}
			return v.Sid
		}
	}
	p.t.Fatalf("no CONNECT reply for %q, got %q", nsp, got)
	return ""
}
