package sandbox

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"go.uber.org/goleak"

	"socketlab/playground/socketio"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// peer is a fake Engine.IO connection: it records what the server sends.
type peer struct {
	name string
	mu   sync.Mutex
	got  []string
	bins [][]byte
	c    *socketio.Client
	gone bool
}

var idRE = regexp.MustCompile(`"(sid|pid)":"[^"]+"`)

func (p *peer) Send(pk *socketio.Packet) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.gone {
		return fmt.Errorf("closed")
	}
	p.got = append(p.got, "4"+idRE.ReplaceAllString(pk.Text, `"$1":"…"`))
	p.bins = append(p.bins, pk.Attachments...)
	return nil
}

func (p *peer) Close(reason string) {
	p.mu.Lock()
	if p.gone {
		p.mu.Unlock()
		return
	}
	p.gone = true
	p.mu.Unlock()
	p.c.Closed(reason)
}

func (p *peer) Transport() string { return "websocket" }

// send takes an Engine.IO message ("42[...]"): the hub strips the "4" before Socket.IO sees it.
func (p *peer) send(text string) { p.c.OnText([]byte(strings.TrimPrefix(text, "4"))) }

// take returns what was sent since the last take.
func (p *peer) take() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.got
	p.got = nil
	return out
}

// harness is one server with a dispatcher, a console and peers, inside a synctest bubble.
type harness struct {
	t       *testing.T
	io      *socketio.Server
	d       *Dispatcher
	sb      *Sandbox
	mu      sync.Mutex
	console []string
}

func newHarness(t *testing.T, opts Options) *harness {
	h := &harness{t: t, io: socketio.NewServer(socketio.Options{RateLimit: -1})}
	h.d = NewDispatcher(h.io)
	t.Cleanup(func() {
		h.d.Replace(nil)
		h.io.Close()
	})
	return h
}

func (h *harness) options(opts Options) Options {
	opts.Console = func(level, text string) {
		h.mu.Lock()
		h.console = append(h.console, level+": "+text)
		h.mu.Unlock()
	}
	return opts
}

// run starts code as the current program and fails the test on an error.
func (h *harness) run(code string, opts Options) {
	h.t.Helper()
	sb := New(h.d, h.options(opts))
	if err := sb.Run(code, "server.js"); err != nil {
		sb.Close()
		h.t.Fatalf("Run: %v", err)
	}
	h.d.Replace(sb)
	h.sb = sb
}

func (h *harness) dial(name string) *peer {
	p := &peer{name: name}
	p.c = h.io.Accept(p, socketio.Handshake{Address: "127.0.0.1", URL: "/socket.io/?EIO=4&transport=websocket&room=r1"})
	return p
}

// takeConsole returns the console lines since the last call.
func (h *harness) takeConsole() []string {
	synctest.Wait()
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.console
	h.console = nil
	return out
}

// connect joins nsp ("/" or "/x") and returns the CONNECT answer.
func (p *peer) connect(nsp, auth string) []string {
	pkt := "40"
	if nsp != "/" {
		pkt += nsp + ","
	}
	p.send(pkt + auth)
	synctest.Wait()
	return p.take()
}

func joinLines(lines []string) string { return strings.Join(lines, "\n") }

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
