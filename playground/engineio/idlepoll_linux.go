package engineio

import (
	"errors"
	"os"
	"sync"
	"syscall"
)

// idlePoller holds idle WebSocket connections without a goroutine each. A connection's reader,
// going idle (after the Socket.IO connect, after a pong), registers the socket with this
// poller's own epoll set (one-shot) and ends; when the socket becomes readable (a message, a
// close, EOF), the poller starts a new reader. An idle connection then costs no stack at all.
// Go's own netpoller keeps its registration of the same socket; the two do not interact.
//
// Registration and removal run inside RawConn.Control, under p.mu: the descriptor is valid while
// epoll_ctl runs, and a connection whose writer has closed it (forget) is never registered again.
type idlePoller struct {
	srv   *Server
	epfd  int
	file  *os.File        // epfd, registered with Go's netpoller: the loop waits like a network read
	rc    syscall.RawConn // file's
	mu    sync.Mutex
	conns map[int32]*wsConn // parked, by key
	next  int32
	// stopping: the server is closing; the loop ends (file closed) once no connection is parked.
	stopping bool
	closed   bool
}

// startIdlePoller creates the poller and starts its loop (counted in srv.wg). Called with
// srv.mu held, from a goroutine counted in srv.wg.
func startIdlePoller(srv *Server) (*idlePoller, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	// Non-blocking, so that os.NewFile hands it to Go's netpoller (an epoll set is readable when
	// one of its sockets is ready): the loop then never blocks a thread in epoll_wait, which
	// would hold the server's only P until sysmon took it back.
	if err := syscall.SetNonblock(epfd, true); err != nil {
		syscall.Close(epfd)
		return nil, err
	}
	f := os.NewFile(uintptr(epfd), "idle-epoll")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	p := &idlePoller{srv: srv, epfd: epfd, file: f, rc: rc, conns: make(map[int32]*wsConn)}
	srv.wg.Go(p.loop)
	return p, nil
}

// park registers ws's socket; on true the caller (ws's reader) ends, and the poller starts the
// next reader when the socket is readable. False: not parked (keep reading on a goroutine).
func (p *idlePoller) park(ws *wsConn) bool {
	sc, ok := ws.nc.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopping || p.closed || ws.forgotten {
		return false
	}
	if ws.idleKey == 0 {
		p.next++
		if p.next <= 0 { // wrapped (2^31 connections)
			p.next = 1
		}
		ws.idleKey = p.next
	}
	var ctlErr error
	err = rc.Control(func(fd uintptr) {
		// Level-triggered and one-shot: a socket already readable is reported at once.
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT, Fd: ws.idleKey}
		op := syscall.EPOLL_CTL_MOD // re-arm
		if !ws.idleAdded {
			op = syscall.EPOLL_CTL_ADD
		}
		ctlErr = syscall.EpollCtl(p.epfd, op, int(fd), &ev)
		if ctlErr == nil {
			ws.idleAdded = true
		}
	})
	if err != nil || ctlErr != nil {
		return false
	}
	p.conns[ws.idleKey] = ws
	if p.srv.onIdlePark != nil {
		p.srv.onIdlePark()
	}
	return true
}

// forget removes ws for good; its writer calls it before closing the connection.
func (p *idlePoller) forget(ws *wsConn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ws.forgotten = true
	delete(p.conns, ws.idleKey)
	if ws.idleAdded && !p.closed { // a closed epoll set has no registrations (and its number may be reused)
		if sc, ok := ws.nc.(syscall.Conn); ok {
			if rc, err := sc.SyscallConn(); err == nil {
				_ = rc.Control(func(fd uintptr) { _ = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_DEL, int(fd), nil) })
			}
		}
		ws.idleAdded = false
	}
	if p.stopping && len(p.conns) == 0 {
		p.closeLocked()
	}
}

// stop makes the loop end once no connection is parked (their writers forget them as the
// server closes them).
func (p *idlePoller) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopping = true
	if len(p.conns) == 0 {
		p.closeLocked()
	}
}

// closeLocked closes the epoll set: the loop's wait fails and it ends.
func (p *idlePoller) closeLocked() {
	if !p.closed {
		p.closed = true
		_ = p.file.Close()
	}
}

func (p *idlePoller) loop() {
	events := make([]syscall.EpollEvent, 256)
	ready := make([]*wsConn, 0, len(events))
	for {
		var n int
		var werr error
		err := p.rc.Read(func(fd uintptr) bool {
			n, werr = syscall.EpollWait(int(fd), events, 0)
			return n > 0 || (werr != nil && !errors.Is(werr, syscall.EINTR))
		})
		if err != nil || werr != nil {
			p.mu.Lock()
			stopped := p.closed
			p.mu.Unlock()
			if !stopped {
				p.srv.log.Error("idle poller failed", "err", errors.Join(err, werr))
			}
			p.failAll()
			return
		}
		ready = ready[:0]
		p.mu.Lock()
		for _, ev := range events[:n] {
			if ws := p.conns[ev.Fd]; ws != nil {
				delete(p.conns, ev.Fd)
				ready = append(ready, ws)
			}
		}
		p.mu.Unlock()
		for _, ws := range ready {
			p.srv.wg.Go(ws.readLoop)
		}
		clear(ready)
	}
}

// failAll hands every parked connection back to a reader goroutine (the poller has ended).
func (p *idlePoller) failAll() {
	p.mu.Lock()
	p.stopping = true
	p.closeLocked()
	conns := p.conns
	p.conns = map[int32]*wsConn{}
	p.mu.Unlock()
	for _, ws := range conns {
		p.srv.wg.Go(ws.readLoop)
	}
}
