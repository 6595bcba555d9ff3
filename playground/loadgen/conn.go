package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

const (
	handshakeTimeout = 10 * time.Second // WebSocket upgrade + Engine.IO open + Socket.IO CONNECT
	writeTimeout     = 10 * time.Second
	readBufferSize   = 1024
	writeBufferSize  = 1024
)

var errEngineClosed = errors.New("engine.io close packet")

// dialer opens WebSocket connections from a rotating set of loopback source addresses
// (127.0.0.1 … 127.0.0.N), so tens of thousands of connections don't exhaust one address's ports.
type dialer struct {
	ws      websocket.Dialer
	sources int
	next    atomic.Uint32
}

func newDialer(sources int) *dialer {
	d := &dialer{sources: max(sources, 1)}
	d.ws = websocket.Dialer{
		NetDialContext:   d.dialContext,
		HandshakeTimeout: handshakeTimeout,
		ReadBufferSize:   readBufferSize,
		WriteBufferSize:  writeBufferSize,
		WriteBufferPool:  &sync.Pool{}, // 10,000 idle connections share write buffers
	}
	return d
}

func (d *dialer) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	nd := net.Dialer{Timeout: handshakeTimeout}
	if d.sources > 1 {
		i := d.next.Add(1) % uint32(d.sources)
		nd.LocalAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(1+i))}
	}
	return nd.DialContext(ctx, network, addr)
}

// client is one Engine.IO v4 + Socket.IO v5 connection over WebSocket, connected to one namespace.
// One goroutine reads (next); writes are serialized by wmu because the reader answers pings.
type client struct {
	ws  *websocket.Conn
	nsp string // "" for "/", else "/ns," as it appears in packets
	wmu sync.Mutex
	buf []byte // read buffer, reused
	out []byte // write buffer for the helpers below, reused (guarded by wmu)
}

// wsURL adds the Engine.IO query to a target such as ws://127.0.0.1:3001/socket.io/.
func wsURL(target string) (string, error) {
	u, err := url.Parse(target)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("EIO", "4")
	q.Set("transport", "websocket")
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// connect dials u (already with the Engine.IO query), waits for the open packet, connects to
// namespace nsp and waits for the CONNECT reply.
func (d *dialer) connect(ctx context.Context, u, nsp string) (*client, error) {
	ctx, cancel := context.WithTimeout(ctx, handshakeTimeout)
	defer cancel()
	ws, resp, err := d.ws.DialContext(ctx, u, nil)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("dial: %w (HTTP %s)", err, resp.Status)
		}
		return nil, fmt.Errorf("dial: %w", err)
	}
	c := &client{ws: ws, buf: make([]byte, 0, 512)}
	if nsp != "" && nsp != "/" {
		c.nsp = nsp + ","
	}
	if err := c.handshake(ctx); err != nil {
		ws.Close()
		return nil, err
	}
	return c, nil
}

func (c *client) handshake(ctx context.Context) error {
	deadline, _ := ctx.Deadline()
	c.ws.SetReadDeadline(deadline)
	m, err := c.next()
	if err != nil {
		return fmt.Errorf("engine.io open: %w", err)
	}
	if len(m) == 0 || m[0] != '0' {
		return fmt.Errorf("engine.io open: got %q", trunc(m))
	}
	if err := c.writeString("40" + c.nsp); err != nil {
		return fmt.Errorf("socket.io connect: %w", err)
	}
	for {
		m, err := c.next()
		if err != nil {
			return fmt.Errorf("socket.io connect: %w", err)
		}
		switch {
		case hasPacketPrefix(m, '0', c.nsp):
			return c.ws.SetReadDeadline(time.Time{})
		case hasPacketPrefix(m, '4', c.nsp):
			return fmt.Errorf("socket.io connect refused: %s", trunc(m))
		}
	}
}

// next returns the next Engine.IO text packet, answering pings on the way. The slice is valid
// until the following call.
func (c *client) next() ([]byte, error) {
	for {
		mt, r, err := c.ws.NextReader()
		if err != nil {
			return nil, err
		}
		c.buf, err = readAll(r, c.buf[:0])
		if err != nil {
			return nil, err
		}
		if mt != websocket.TextMessage || len(c.buf) == 0 {
			continue // binary attachments are not part of the benchmark
		}
		switch c.buf[0] {
		case '2':
			if err := c.writeString("3"); err != nil {
				return nil, err
			}
			continue
		case '1':
			return nil, errEngineClosed
		case '6':
			continue
		}
		return c.buf, nil
	}
}

func readAll(r io.Reader, b []byte) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

func (c *client) write(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.writeLocked(b)
}

func (c *client) writeLocked(b []byte) error {
	if err := c.ws.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil {
		return err
	}
	return c.ws.WriteMessage(websocket.TextMessage, b)
}

func (c *client) writeString(s string) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.out = append(c.out[:0], s...)
	return c.writeLocked(c.out)
}

// emitJoin sends `42<nsp><id>["join","room"]`.
func (c *client) emitJoin(id int64, room string) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.out = appendJoin(c.out[:0], c.nsp, id, room)
	return c.writeLocked(c.out)
}

// appendJoin appends `42<nsp><id>["join",<room as JSON>]` to b.
func appendJoin(b []byte, nsp string, id int64, room string) []byte {
	b = append(b, "42"...)
	b = append(b, nsp...)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, `["join",`...)
	b = append(b, jsonString(room)...)
	return append(b, ']')
}

// jsonString is s as a JSON string literal. strconv.Quote is Go syntax, not JSON: it writes
// \x7f or \U0001f600 escapes for some runes, which a server's JSON parser refuses.
func jsonString(s string) []byte {
	b, err := json.Marshal(s)
	if err != nil { // a string always marshals; invalid UTF-8 becomes U+FFFD
		panic(fmt.Sprintf("loadgen: marshal %q: %v", s, err))
	}
	return b
}

// waitAck reads until the ACK with id arrives, discarding other packets.
func (c *client) waitAck(id int64) error {
	for {
		m, err := c.next()
		if err != nil {
			return err
		}
		if got, ok := parseAck(m, c.nsp); ok && got == id {
			return nil
		}
	}
}

func (c *client) close() { c.ws.Close() }

// hasPacketPrefix reports whether m is Engine.IO message `4` carrying Socket.IO packet type typ
// in namespace nsp ("" for "/", else "/x,").
func hasPacketPrefix(m []byte, typ byte, nsp string) bool {
	if len(m) < 2+len(nsp) || m[0] != '4' || m[1] != typ {
		return false
	}
	return string(m[2:2+len(nsp)]) == nsp
}

// parseAck parses `43<nsp><id>[...]` and returns the ack id.
func parseAck(m []byte, nsp string) (int64, bool) {
	if !hasPacketPrefix(m, '3', nsp) {
		return 0, false
	}
	id, rest, ok := parseUint(m[2+len(nsp):])
	if !ok || len(rest) == 0 || rest[0] != '[' {
		return 0, false
	}
	return id, true
}

var msgPrefix = []byte(`["msg",`)

// parseMsg parses a fan-out delivery `42<nsp>["msg",{"s":SEQ,"t":NANOS,...}]` and returns the
// sequence number and the send timestamp. Only these two fields are looked at.
func parseMsg(m []byte, nsp string) (seq, sent int64, ok bool) {
	if !hasPacketPrefix(m, '2', nsp) {
		return 0, 0, false
	}
	m = m[2+len(nsp):]
	if !bytes.HasPrefix(m, msgPrefix) {
		return 0, 0, false
	}
	m = m[len(msgPrefix):]
	seq, m, ok = field(m, `"s":`)
	if !ok {
		return 0, 0, false
	}
	sent, _, ok = field(m, `"t":`)
	if !ok {
		return 0, 0, false
	}
	return seq, sent, true
}

func field(m []byte, key string) (int64, []byte, bool) {
	i := bytes.Index(m, []byte(key))
	if i < 0 {
		return 0, nil, false
	}
	return parseUint(m[i+len(key):])
}

// parseUint parses leading decimal digits (at most 18) and returns the rest.
func parseUint(b []byte) (int64, []byte, bool) {
	var n int64
	i := 0
	for i < len(b) && i < 18 && b[i] >= '0' && b[i] <= '9' {
		n = n*10 + int64(b[i]-'0')
		i++
	}
	if i == 0 || (i < len(b) && b[i] >= '0' && b[i] <= '9') {
		return 0, nil, false
	}
	return n, b[i:], true
}

func trunc(b []byte) string {
	const n = 120
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
