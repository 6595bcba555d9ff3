// Package wsclient is test support: a small Socket.IO v5 client over an Engine.IO v4 WebSocket
// that speaks raw packets ("2[\"chat\",\"hi\"]"), for the playground's tests and benchmarks.
package wsclient

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// Client is a small Socket.IO v5 client over an Engine.IO v4 WebSocket, for tests and
// benchmarks. It answers pings itself; Socket.IO packets (without the Engine.IO "4")
// go to onPacket when set, else to the packets channel.
type Client struct {
	ws       *websocket.Conn
	wmu      sync.Mutex
	packets  chan string
	onPacket atomic.Pointer[func(pkt string)]
	done     chan struct{}
	pending  []string // skipped by waitFor, returned first by next (test goroutine only)
}

var ErrClosed = errors.New("connection closed")

func Dial(srvURL, path string, onPacket func(string)) (*Client, error) {
	return DialWith(&websocket.Dialer{HandshakeTimeout: 10 * time.Second}, srvURL, path, onPacket)
}

// DialWith dials with d (a synctest test's in-memory dialer).
func DialWith(d *websocket.Dialer, srvURL, path string, onPacket func(string)) (*Client, error) {
	return DialHeader(d, srvURL, path, nil, onPacket)
}

// DialHeader dials with d, sending header with the WebSocket handshake.
func DialHeader(d *websocket.Dialer, srvURL, path string, header http.Header, onPacket func(string)) (*Client, error) {
	u := "ws" + strings.TrimPrefix(srvURL, "http") + path + "?EIO=4&transport=websocket"
	ws, resp, err := d.Dial(u, header)
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
	c := &Client{ws: ws, packets: make(chan string, 1024), done: make(chan struct{})}
	c.SetOnPacket(onPacket)
	go c.readLoop()
	return c, nil
}

func (c *Client) readLoop() {
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
			if fn := c.onPacket.Load(); fn != nil && *fn != nil {
				(*fn)(string(b[1:]))
			} else {
				select {
				case c.packets <- string(b[1:]):
				default: // a test that stops reading loses packets rather than blocking the reader
				}
			}
		}
	}
}

func (c *Client) write(s string) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.ws.WriteMessage(websocket.TextMessage, []byte(s))
}

// Send writes one Socket.IO packet.
func (c *Client) Send(pkt string) error { return c.write("4" + pkt) }

func (c *Client) Close() {
	c.ws.Close()
	<-c.done
}

// Next returns the next packet, or an error after d.
func (c *Client) Next(d time.Duration) (string, error) {
	if len(c.pending) > 0 {
		p := c.pending[0]
		c.pending = c.pending[1:]
		return p, nil
	}
	select {
	case p, ok := <-c.packets:
		if !ok {
			return "", ErrClosed
		}
		return p, nil
	case <-time.After(d):
		return "", errors.New("timeout")
	}
}

// WaitFor returns the first packet starting with prefix; the others stay queued for next.
func (c *Client) WaitFor(prefix string, d time.Duration) (string, error) {
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
				return "", fmt.Errorf("waiting for %q: %w", prefix, ErrClosed)
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

// ConnectNsp sends CONNECT and returns the reply (0… on success, 4… on refusal).
func (c *Client) ConnectNsp(nsp, auth string) (string, error) {
	prefix := "0"
	if nsp != "/" {
		prefix += nsp + ","
	}
	if err := c.Send(prefix + auth); err != nil {
		return "", err
	}
	want0, want4 := "0", "4"
	if nsp != "/" {
		want0, want4 = "0"+nsp+",", "4"+nsp+","
	}
	for {
		p, err := c.Next(5 * time.Second)
		if err != nil {
			return "", err
		}
		if strings.HasPrefix(p, want0+"{") || strings.HasPrefix(p, want4) {
			return p, nil
		}
	}
}

// SetOnPacket sends the packets that arrive from now on to fn (nil: to the queue Next reads).
func (c *Client) SetOnPacket(fn func(pkt string)) { c.onPacket.Store(&fn) }

// Packets is the queue Next reads, closed when the connection ends: for a reader that wants every
// packet as it comes (do not mix with Next or WaitFor).
func (c *Client) Packets() <-chan string { return c.packets }
