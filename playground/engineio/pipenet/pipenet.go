// Package pipenet is an in-memory network for tests: a net.Listener whose connections are
// net.Pipe ends, so a real http.Server (and gorilla/websocket over it) can run inside a
// testing/synctest bubble, where loopback sockets would keep the bubble from going idle.
// Tests of engineio, playground and main share it; nothing else imports it.
package pipenet

import (
	"context"
	"net"
	"sync"
)

// Listener hands out the server ends of the pipes its DialContext makes.
type Listener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

// Listen returns a Listener; Close it to stop Accept and further dials.
func Listen() *Listener {
	return &Listener{conns: make(chan net.Conn), done: make(chan struct{})}
}

// Accept waits for the next dial.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops the listener; safe to call more than once.
func (l *Listener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

// Addr is 127.0.0.1:3000 on the "pipe" network: URLs built from it look like loopback ones.
func (l *Listener) Addr() net.Addr { return addr{} }

// DialContext connects to the listener, whatever network and address are asked for: use it as
// http.Transport.DialContext or websocket.Dialer.NetDialContext.
func (l *Listener) DialContext(ctx context.Context, _, _ string) (net.Conn, error) {
	srv, cli := net.Pipe()
	select {
	case l.conns <- srv:
		return cli, nil
	case <-l.done:
		return nil, net.ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

type addr struct{}

func (addr) Network() string { return "pipe" }
func (addr) String() string  { return "127.0.0.1:3000" }
