package engineio

import "syscall"

// waitReadable returns when the connection's socket has data (or EOF, or an error) for the next
// read, without reading it. Errors are left for the read that follows.
func (ws *wsConn) waitReadable() {
	sc, ok := ws.nc.(syscall.Conn)
	if !ok {
		return
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Read(func(fd uintptr) bool {
		_, _, err := syscall.Recvfrom(int(fd), ws.peek[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return err != syscall.EAGAIN
	})
}
