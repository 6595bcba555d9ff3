//go:build !linux

package engineio

import "errors"

// idlePoller is Linux-only (epoll); elsewhere an idle connection keeps its reader goroutine.
type idlePoller struct{}

func startIdlePoller(*Server) (*idlePoller, error) {
	return nil, errors.New("idle poller: epoll is Linux-only")
}

func (*idlePoller) park(*wsConn) bool { return false }
func (*idlePoller) forget(*wsConn)    {}
func (*idlePoller) stop()             {}
