package classroom

import (
	"socketlab/playground"

	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"socketlab/playground/engineio/pipenet"
)

// classClient is a small Socket.IO v5 client over an Engine.IO v4 WebSocket, for the classroom
// tests and the benchmark. It answers pings itself; Socket.IO packets (without the Engine.IO "4")
// go to onPacket when set, else to the packets channel.
type classClient struct {
	ws       *websocket.Conn
	wmu      sync.Mutex
	packets  chan string
	onPacket func(pkt string)
	done     chan struct{}
	pending  []string // skipped by waitFor, returned first by next (test goroutine only)
}

var errClientClosed = errors.New("connection closed")

func dialClass(srvURL, path string, onPacket func(string)) (*classClient, error) {
	return dialClassWith(&websocket.Dialer{HandshakeTimeout: 10 * time.Second}, srvURL, path, onPacket)
}

// dialClassWith dials with d (a synctest test's in-memory dialer).
func dialClassWith(d *websocket.Dialer, srvURL, path string, onPacket func(string)) (*classClient, error) {
	u := "ws" + strings.TrimPrefix(srvURL, "http") + path + "?EIO=4&transport=websocket"
	ws, resp, err := d.Dial(u, nil)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("dial %s: HTTP %d: %w", u, resp.StatusCode, err)
		}
		return nil, fmt.Errorf("dial %s: %w", u, err)
	}
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, open, err := ws.ReadMessage()
	if err != nil || !strings.HasPrefix(string(open), "0{") {
		ws.Close()
		return nil, fmt.Errorf("open packet %q: %v", open, err)
	}
	ws.SetReadDeadline(time.Time{})
	c := &classClient{ws: ws, packets: make(chan string, 1024), onPacket: onPacket, done: make(chan struct{})}
	go c.readLoop()
	return c, nil
}

func (c *classClient) readLoop() {
	defer close(c.done)
	defer close(c.packets)
	for {
		_, b, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		switch {
		case string(b) == "2":
			c.write("3")
		case len(b) > 0 && b[0] == '4':
			if c.onPacket != nil {
				c.onPacket(string(b[1:]))
			} else {
				select {
				case c.packets <- string(b[1:]):
				default: // a test that stops reading loses packets rather than blocking the reader
				}
			}
		}
	}
}

func (c *classClient) write(s string) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.ws.WriteMessage(websocket.TextMessage, []byte(s))
}

// send writes one Socket.IO packet.
func (c *classClient) send(pkt string) error { return c.write("4" + pkt) }

func (c *classClient) Close() {
	c.ws.Close()
	<-c.done
}

// next returns the next packet, or an error after d.
func (c *classClient) next(d time.Duration) (string, error) {
	if len(c.pending) > 0 {
		p := c.pending[0]
		c.pending = c.pending[1:]
		return p, nil
	}
	select {
	case p, ok := <-c.packets:
		if !ok {
			return "", errClientClosed
		}
		return p, nil
	case <-time.After(d):
		return "", errors.New("timeout")
	}
}

// waitFor returns the first packet starting with prefix; the others stay queued for next.
func (c *classClient) waitFor(prefix string, d time.Duration) (string, error) {
	deadline := time.Now().Add(d)
	for i := 0; i < len(c.pending); i++ {
		if p := c.pending[i]; strings.HasPrefix(p, prefix) {
			c.pending = append(c.pending[:i], c.pending[i+1:]...)
			return p, nil
		}
	}
	var seen []string
	for {
		var p string
		var ok bool
		select {
		case p, ok = <-c.packets:
			if !ok {
				c.pending = append(c.pending, seen...)
				return "", fmt.Errorf("waiting for %q: %w", prefix, errClientClosed)
			}
		case <-time.After(time.Until(deadline)):
			c.pending = append(c.pending, seen...)
			return "", fmt.Errorf("waiting for %q (seen %q): timeout", prefix, seen)
		}
		if strings.HasPrefix(p, prefix) {
			c.pending = append(c.pending, seen...)
			return p, nil
		}
		seen = append(seen, p)
	}
}

// connectNsp sends CONNECT and returns the reply (0… on success, 4… on refusal).
func (c *classClient) connectNsp(nsp, auth string) (string, error) {
	prefix := "0"
	if nsp != "/" {
		prefix += nsp + ","
	}
	if err := c.send(prefix + auth); err != nil {
		return "", err
	}
	want0, want4 := "0", "4"
	if nsp != "/" {
		want0, want4 = "0"+nsp+",", "4"+nsp+","
	}
	for {
		p, err := c.next(5 * time.Second)
		if err != nil {
			return "", err
		}
		if strings.HasPrefix(p, want0+"{") || strings.HasPrefix(p, want4) {
			return p, nil
		}
	}
}

// newClassServer serves a registry's classes like web/routes.go does.
func newClassServer(reg *playground.Registry, cr *Classroom) *httptest.Server {
	mux := http.NewServeMux()
	mux.Handle("/class/{code}/socket.io/", cr.SocketHandler())
	mux.Handle("POST /play/{demo}", reg.HandleCreate())
	mux.Handle("GET /play/{id}/tap", reg.HandleTap())
	mux.Handle("/play/{id}/socket.io/", reg.HandleSocket())
	return httptest.NewServer(mux)
}

// newPipeListener serves a real http.Server inside a synctest bubble (pipenet).
func newPipeListener() *pipenet.Listener { return pipenet.Listen() }
