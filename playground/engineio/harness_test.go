package engineio

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"socketlab/playground/engineio/pipenet"
)

// Test timing of reliability.md §4 (and the official suite).
const (
	testPingInterval = 300 * time.Millisecond
	testPingTimeout  = 200 * time.Millisecond
)

// newPipeListener serves a real http.Server inside a synctest bubble (pipenet).
func newPipeListener() *pipenet.Listener { return pipenet.Listen() }

// recorder is a Handler that records what its sessions saw, and echoes
// every message back when echo is set (the official suite's server).
type recorder struct {
	echo    bool
	panicOn string // a text message that makes Message panic

	mu       sync.Mutex
	sessions []*Session
	requests []*http.Request // each session's Request, seen during Open
	msgs     map[string][]Message
	closed   map[string][]string
	late     int // messages after Closed
}

func newRecorder(echo bool) *recorder {
	return &recorder{echo: echo, msgs: map[string][]Message{}, closed: map[string][]string{}}
}

func (rc *recorder) Open(s *Session) SessionHandler {
	rc.mu.Lock()
	rc.sessions = append(rc.sessions, s)
	rc.requests = append(rc.requests, s.Request())
	rc.mu.Unlock()
	return &recSession{rc: rc, s: s}
}

type recSession struct {
	rc *recorder
	s  *Session
}

func (r *recSession) Message(m Message) {
	rc := r.rc
	if rc.panicOn != "" && !m.Binary && string(m.Data) == rc.panicOn {
		panic("test panic")
	}
	rc.mu.Lock()
	if len(rc.closed[r.s.id]) > 0 {
		rc.late++
	}
	rc.msgs[r.s.id] = append(rc.msgs[r.s.id], Message{Binary: m.Binary, Data: append([]byte(nil), m.Data...)})
	rc.mu.Unlock()
	if rc.echo {
		_ = r.s.Send(Message{Binary: m.Binary, Data: append([]byte(nil), m.Data...)})
	}
}

func (r *recSession) Closed(reason string) {
	r.rc.mu.Lock()
	r.rc.closed[r.s.id] = append(r.rc.closed[r.s.id], reason)
	r.rc.mu.Unlock()
}

func (rc *recorder) closedReasons(sid string) []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.closed[sid]...)
}

func (rc *recorder) messages(sid string) []Message {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]Message(nil), rc.msgs[sid]...)
}

// harness serves an engineio Server at /engine.io/ on a pipe listener.
// Create it inside a synctest bubble; it is torn down by t.Cleanup.
type harness struct {
	t      *testing.T
	srv    *Server
	rec    *recorder
	ln     *pipenet.Listener
	hs     *http.Server
	client *http.Client
	dialer *websocket.Dialer
}

func suiteOptions(rec *recorder) Options {
	return Options{
		PingInterval: testPingInterval,
		PingTimeout:  testPingTimeout,
		MaxPayload:   1000000,
		Handler:      rec,
		Logger:       slog.New(slog.DiscardHandler),
	}
}

func newHarness(t *testing.T, opts Options) *harness {
	t.Helper()
	rec, _ := opts.Handler.(*recorder)
	h := &harness{t: t, rec: rec, ln: newPipeListener(), srv: NewServer(opts)}
	mux := http.NewServeMux()
	mux.Handle("/engine.io/", h.srv)
	h.hs = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ErrorLog: nil}
	go func() { _ = h.hs.Serve(h.ln) }()
	tr := &http.Transport{DialContext: h.ln.DialContext}
	h.client = &http.Client{Transport: tr}
	h.dialer = &websocket.Dialer{NetDialContext: h.ln.DialContext, HandshakeTimeout: 5 * time.Second}
	t.Cleanup(func() {
		h.srv.Close()
		_ = h.hs.Close()
		tr.CloseIdleConnections()
		// net/http lingers 500 ms (fake time) before closing a connection it
		// answered with "Connection: close"; let the bubble's clock pass it.
		time.Sleep(time.Second)
	})
	return h
}

const base = "http://localhost:3000/engine.io/"

func (h *harness) do(method, query, body string, hdr ...string) (int, string, http.Header) {
	h.t.Helper()
	return h.doCtx(context.Background(), method, query, body, hdr...)
}

func (h *harness) doCtx(ctx context.Context, method, query, body string, hdr ...string) (int, string, http.Header) {
	h.t.Helper()
	var rd io.Reader
	if method == http.MethodPost || method == http.MethodPut {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+"?"+query, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := h.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, "", nil
		}
		h.t.Fatalf("%s ?%s: %v", method, query, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatalf("%s ?%s: reading body: %v", method, query, err)
	}
	return resp.StatusCode, string(b), resp.Header
}

func (h *harness) get(query string) (int, string) {
	h.t.Helper()
	st, b, _ := h.do(http.MethodGet, query, "")
	return st, b
}

func (h *harness) post(query, body string) (int, string) {
	h.t.Helper()
	st, b, _ := h.do(http.MethodPost, query, body)
	return st, b
}

// handshake opens a polling session and returns its sid.
func (h *harness) handshake() string {
	h.t.Helper()
	st, body := h.get("EIO=4&transport=polling")
	if st != 200 || !strings.HasPrefix(body, "0{") {
		h.t.Fatalf("handshake: got %d %q", st, body)
	}
	i := strings.Index(body, `"sid":"`)
	return body[i+7 : i+7+20]
}

func (h *harness) dial(query string, hdr ...string) (*websocket.Conn, *http.Response, error) {
	h.t.Helper()
	header := http.Header{}
	for i := 0; i+1 < len(hdr); i += 2 {
		header.Set(hdr[i], hdr[i+1])
	}
	c, resp, err := h.dialer.Dial("ws://localhost:3000/engine.io/?"+query, header)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if c != nil {
		h.t.Cleanup(func() { c.Close() })
	}
	return c, resp, err
}

// mustDial opens a WebSocket and fails the test if it cannot.
func (h *harness) mustDial(query string) *websocket.Conn {
	h.t.Helper()
	c, _, err := h.dial(query)
	if err != nil {
		h.t.Fatalf("dial ?%s: %v", query, err)
	}
	return c
}

// wsOpen opens a WebSocket session and returns the conn and its sid.
func (h *harness) wsOpen() (*websocket.Conn, string) {
	h.t.Helper()
	c := h.mustDial("EIO=4&transport=websocket")
	got := readText(h.t, c)
	if !strings.HasPrefix(got, "0{") {
		h.t.Fatalf("open packet: got %q", got)
	}
	i := strings.Index(got, `"sid":"`)
	return c, got[i+7 : i+7+20]
}

func readText(t *testing.T, c *websocket.Conn) string {
	t.Helper()
	mt, b, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if mt != websocket.TextMessage {
		t.Fatalf("got message type %d (%q), want text", mt, b)
	}
	return string(b)
}

func writeText(t *testing.T, c *websocket.Conn, s string) {
	t.Helper()
	if err := c.WriteMessage(websocket.TextMessage, []byte(s)); err != nil {
		t.Fatalf("write %q: %v", s, err)
	}
}

// readUntilClose reads until the connection fails and returns the close code
// (-1 if it ended without a close frame) and the text messages seen.
func readUntilClose(c *websocket.Conn) (int, []string) {
	var msgs []string
	for {
		_, b, err := c.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				return ce.Code, msgs
			}
			return -1, msgs
		}
		msgs = append(msgs, string(b))
	}
}

func sidQuery(sid string) string { return "EIO=4&transport=polling&sid=" + sid }
func wsQuery(sid string) string  { return "EIO=4&transport=websocket&sid=" + sid }

func ioPipe() (*io.PipeReader, *io.PipeWriter) { return io.Pipe() }
