package stream

import (
	"bytes"
	"cmp"
	"net/http"
	"strconv"
	"time"
)

// SSE defaults.
const (
	DefaultKeepAlive    = 20 * time.Second // a comment line on an idle stream, so proxies keep it open
	DefaultWriteTimeout = 10 * time.Second // a browser that takes longer to take one write is gone
)

// SSE says how ServeSSE frames a subscription.
type SSE[T any] struct {
	// Data is an event's "data:" field (several lines when it holds newlines).
	Data func(T) []byte
	// Event is the "event:" field of every event ("": the default, "message").
	Event string
	// Retry, when set, is sent first: how long EventSource waits before it reconnects.
	Retry time.Duration
	// KeepAlive and WriteTimeout: DefaultKeepAlive and DefaultWriteTimeout when 0.
	KeepAlive, WriteTimeout time.Duration
}

// Serve writes the events of a subscription to w as a Server-Sent Events stream: every write
// under a deadline, a keep-alive comment when idle. It returns when the client goes away, a
// write fails, or the subscription's channel closes (the subscriber was dropped, or the topic
// closed: EventSource then reconnects, with Last-Event-ID).
func (s SSE[T]) Serve(w http.ResponseWriter, r *http.Request, events <-chan Event[T]) {
	keepAlive := cmp.Or(s.KeepAlive, DefaultKeepAlive)
	timeout := cmp.Or(s.WriteTimeout, DefaultWriteTimeout)
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	write := func(b []byte) bool {
		rc.SetWriteDeadline(time.Now().Add(timeout))
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	var first []byte // the headers go out at once, with the retry time when there is one
	if s.Retry > 0 {
		first = []byte("retry: " + strconv.FormatInt(s.Retry.Milliseconds(), 10) + "\n\n")
	}
	if !write(first) {
		return
	}
	ping := time.NewTicker(keepAlive)
	defer ping.Stop()
	var buf []byte
	for {
		select {
		case <-r.Context().Done():
			return
		case ev, ok := <-events:
			if !ok {
				return
			}
			buf = s.frame(buf[:0], ev)
			if !write(buf) {
				return
			}
		case <-ping.C:
			if !write([]byte(": keep-alive\n\n")) {
				return
			}
		}
	}
}

// frame appends ev as one event: its id (unless 0), the event name, and its data lines.
func (s SSE[T]) frame(b []byte, ev Event[T]) []byte {
	if ev.ID > 0 {
		b = append(strconv.AppendUint(append(b, "id: "...), ev.ID, 10), '\n')
	}
	if s.Event != "" {
		b = append(append(append(b, "event: "...), s.Event...), '\n')
	}
	data := s.Data(ev.Value)
	for {
		line, rest, more := bytes.Cut(data, []byte("\n"))
		b = append(append(append(b, "data: "...), line...), '\n')
		if !more {
			break
		}
		data = rest
	}
	return append(b, '\n')
}
