package engineio

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/websocket"
)

// servePoll answers a long-polling GET: held until something is queued, the
// session closes, or an upgrade needs the poll ended with a noop.
func (s *Session) servePoll(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.closed {
		if !s.lingering {
			s.mu.Unlock()
			writeError(w, http.StatusBadRequest, codeUnknownSID)
			return
		}
		s.lingering = false
		body := s.takePollingLocked(nil)
		body = appendSep(body, s.pollReply)
		s.mu.Unlock()
		s.writePoll(w, body)
		s.srv.remove(s) // after the write: a closing server waits for this last poll (Close)
		return
	}
	if s.transport != transportPolling {
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, codeBadRequest)
		return
	}
	if s.pongOverdueLocked() {
		s.mu.Unlock()
		s.closeWith(ReasonPingTimeout, closeError, 0)
		writeError(w, http.StatusBadRequest, codeUnknownSID)
		return
	}
	if s.getActive {
		s.mu.Unlock()
		s.debug("overlapping poll requests")
		s.closeWith(ReasonTransportError, closeError, 0)
		writeError(w, http.StatusBadRequest, codeBadRequest)
		return
	}
	s.getActive = true
	probedAtStart := s.probed
	select { // drop a stale wake-up
	case <-s.pollWake:
	default:
	}
	var noop <-chan time.Time
	if probedAtStart {
		t := time.NewTimer(noopDelay)
		defer t.Stop()
		noop = t.C
	}
	var body []byte
loop:
	for {
		if s.closed {
			body = s.takePollingLocked(nil)
			body = appendSep(body, s.pollReply)
			break
		}
		if s.transport != transportPolling {
			s.getActive = false
			s.mu.Unlock()
			writeError(w, http.StatusBadRequest, codeBadRequest)
			return
		}
		if s.probed && !probedAtStart {
			body = []byte{typeNoop}
			break
		}
		if !s.probed && len(s.queue) > 0 {
			body = s.takePollingLocked(nil)
			break
		}
		s.mu.Unlock()
		select {
		case <-s.pollWake:
			s.mu.Lock()
		case <-noop:
			s.mu.Lock()
			if s.probed && !s.closed {
				body = []byte{typeNoop}
				break loop
			}
		case <-r.Context().Done():
			s.mu.Lock()
			s.getActive = false
			closed := s.closed
			s.mu.Unlock()
			if !closed {
				s.debug("poll request aborted")
				s.closeWith(ReasonTransportError, closeError, 0)
			}
			return
		}
	}
	s.getActive = false
	s.mu.Unlock()
	s.writePoll(w, body)
}

func appendSep(body []byte, typ byte) []byte {
	if len(body) > 0 {
		body = append(body, recordSeparator)
	}
	return append(body, typ)
}

// takePollingLocked encodes and empties the queue.
func (s *Session) takePollingLocked(b []byte) []byte {
	if len(s.queue) == 0 {
		return b
	}
	s.pingLeftQueueLocked()
	if b == nil {
		b = make([]byte, 0, s.queueBytes+len(s.queue)*2)
	}
	for i := range s.queue {
		if i > 0 {
			b = append(b, recordSeparator)
		}
		b = s.queue[i].appendPolling(b)
	}
	clear(s.queue)
	s.queue = s.queue[:0]
	s.queueBytes = 0
	s.signalDrainLocked()
	return b
}

func (s *Session) writePoll(w http.ResponseWriter, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=UTF-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", "no-store")
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Now().Add(s.srv.opts.WriteTimeout))
	if _, err := w.Write(body); err != nil {
		s.debug("poll write failed", "err", err)
		s.closeWith(writeFailReason(err), closeError, 0)
	}
}

// serveData answers a long-polling POST carrying client packets.
func (s *Session) serveData(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, codeUnknownSID)
		return
	}
	if s.transport != transportPolling {
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, codeBadRequest)
		return
	}
	if s.postActive {
		s.mu.Unlock()
		s.debug("overlapping data requests")
		s.closeWith(ReasonTransportError, closeError, 0)
		writeError(w, http.StatusBadRequest, codeBadRequest)
		return
	}
	s.postActive = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.postActive = false
		s.mu.Unlock()
	}()

	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err == nil && mt == "application/octet-stream" {
			s.closeWith(ReasonParseError, closeError, 0)
			w.Header().Set("Connection", "close")
			writeError(w, http.StatusBadRequest, codeBadRequest)
			return
		}
	}
	limit := s.srv.opts.MaxPayload
	if r.ContentLength > limit {
		w.Header().Set("Connection", "close")
		http.Error(w, "Payload Too Large", http.StatusRequestEntityTooLarge)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			http.Error(w, "Payload Too Large", http.StatusRequestEntityTooLarge)
			return
		}
		s.debug("reading poll body", "err", err)
		s.closeWith(ReasonTransportError, closeError, 0)
		writeError(w, http.StatusBadRequest, codeBadRequest)
		return
	}
	pkts, err := decodePayload(body)
	if err != nil {
		s.debug("invalid payload", "err", err)
		s.closeWith(ReasonParseError, closeError, websocket.ClosePolicyViolation)
		writeError(w, http.StatusBadRequest, codeBadRequest)
		return
	}
	if !s.handlePackets(pkts, true) {
		s.mu.Lock()
		reason := s.reason
		s.mu.Unlock()
		if reason != ReasonTransportClose {
			writeError(w, http.StatusBadRequest, codeBadRequest)
			return
		}
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=UTF-8")
	h.Set("Content-Length", "2")
	_, _ = io.WriteString(w, "ok")
}
