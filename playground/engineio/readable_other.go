//go:build !linux

package engineio

// waitReadable is a no-op here: the reader parks inside gorilla's read instead.
func (ws *wsConn) waitReadable() {}
