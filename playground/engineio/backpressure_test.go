package engineio

// Backpressure (reliability.md §3 "outbound queue"): a client whose own requests fill its
// outbound queue is read more slowly, never closed, as long as it reads; one that stops reading
// is closed as "slow" after the write deadline, and nobody else waits for it.

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorilla/websocket"
)

// burst is how many echo requests a test client sends without waiting: many times the queue
// bound, so a server without backpressure closes the client as slow.
const burst = 2000

func echoPayload(i int) string { return "4m" + strconv.Itoa(i) }

// burstPackets is a burst of echo requests.
func burstPackets() []string {
	pkts := make([]string, burst)
	for i := range pkts {
		pkts[i] = echoPayload(i)
	}
	return pkts
}

// checkEchoes checks that got are the echoes of want, in order, and that sid is open.
func checkEchoes(t *testing.T, h *harness, sid string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("echoes out of order or wrong (%d of %d)", len(got), len(want))
	}
	if r := h.rec.closedReasons(sid); len(r) != 0 {
		t.Errorf("closed: %q", r)
	}
}

// noPings: a client's pong waits behind its burst, like any packet it sent after it (on npm
// socket.io as here); these tests are about the burst.
func noPings(o *Options) { o.PingInterval, o.PingTimeout = time.Hour, time.Hour }

func TestBackpressureWebSocketBurst(t *testing.T) {
	relTest(t, noPings, func(t *testing.T, h *harness) {
		c, sid := h.wsOpen()
		var werr error
		var wg sync.WaitGroup
		wg.Go(func() { // the client writes everything at once and reads concurrently
			for i := range burst {
				if werr = c.WriteMessage(websocket.TextMessage, []byte(echoPayload(i))); werr != nil {
					return
				}
			}
		})
		// The client is busy for a moment before it reads (shorter than the write deadline): the
		// server's writer waits for it, its queue fills with echoes.
		time.Sleep(h.srv.opts.WriteTimeout / 2)
		for i := range burst {
			_, b, err := c.ReadMessage()
			if err != nil {
				t.Fatalf("echo %d: %v (closed: %q)", i, err, h.rec.closedReasons(sid))
			}
			if got, want := string(b), echoPayload(i); got != want {
				t.Fatalf("echo %d: got %q, want %q", i, got, want)
			}
		}
		wg.Wait()
		if werr != nil {
			t.Fatalf("write: %v", werr)
		}
		if r := h.rec.closedReasons(sid); len(r) != 0 {
			t.Errorf("closed: %q", r)
		}
	})
}

// pollBody joins packets as a polling payload.
func pollBody(pkts []string) string { return strings.Join(pkts, "\x1e") }

// postBurst opens a polling session and posts a burst of echo requests in one POST, on a
// goroutine of its own; posted waits for the POST's answer.
func postBurst(h *harness) (sid string, pkts []string, posted func() (int, string)) {
	sid = h.handshake()
	pkts = burstPackets()
	var st int
	var body string
	done := make(chan struct{})
	go func() {
		defer close(done)
		st, body = h.post(sidQuery(sid), pollBody(pkts))
	}()
	return sid, pkts, func() (int, string) {
		<-done
		return st, body
	}
}

func TestBackpressurePollingBurst(t *testing.T) {
	relTest(t, noPings, func(t *testing.T, h *harness) {
		sid, pkts, posted := postBurst(h)
		var got []string
		for len(got) < burst {
			gst, gb := h.get(sidQuery(sid))
			if gst != 200 {
				t.Fatalf("GET after %d echoes: %d %q (closed: %q)", len(got), gst, gb, h.rec.closedReasons(sid))
			}
			got = append(got, strings.Split(gb, "\x1e")...)
		}
		if st, body := posted(); st != 200 || body != "ok" {
			t.Errorf("POST: got %d %q, want 200 ok", st, body)
		}
		checkEchoes(t, h, sid, got, pkts)
	})
}

// TestBackpressureNotReading: a WebSocket client that sends requests and never reads is closed as
// "slow" once a write has waited for the write deadline; until then it is not closed, and an
// honest client on the same server keeps getting every echo at once.
func TestBackpressureNotReading(t *testing.T) {
	relTest(t, noPings, func(t *testing.T, h *harness) {
		bad, badSID := h.wsOpen()
		good, goodSID := h.wsOpen()
		big := strings.Repeat("x", 8<<10) // fills the pipe at once: the writer's write blocks
		var wg sync.WaitGroup
		wg.Go(func() {
			for {
				if err := bad.WriteMessage(websocket.TextMessage, []byte("4"+big)); err != nil {
					return // the server stopped reading, then closed the connection
				}
			}
		})
		start := time.Now()
		synctest.Wait()
		if r := h.rec.closedReasons(badSID); len(r) != 0 {
			t.Fatalf("closed before the write deadline: %q", r)
		}
		// The honest client is served at once while the other one is held.
		for i := range 10 {
			writeText(t, good, echoPayload(i))
			if got := readText(t, good); got != echoPayload(i) {
				t.Fatalf("got %q, want %q", got, echoPayload(i))
			}
		}
		if d := time.Since(start); d != 0 {
			t.Errorf("honest client waited %v", d)
		}
		time.Sleep(h.srv.opts.WriteTimeout)
		synctest.Wait()
		if got, want := h.rec.closedReasons(badSID), []string{ReasonSlow}; !slices.Equal(got, want) {
			t.Errorf("non-reading client: got reasons %q, want %q", got, want)
		}
		bad.Close()
		wg.Wait()
		if r := h.rec.closedReasons(goodSID); len(r) != 0 {
			t.Errorf("honest client closed: %q", r)
		}
		if n := len(h.rec.messages(badSID)); n > 2*h.srv.opts.MaxQueuePackets {
			t.Errorf("%d messages of the non-reading client were dispatched: reading did not stop", n)
		}
	})
}

// TestBackpressureBroadcastToNonReader: broadcasts never wait: a client that does not read is
// closed as slow when other clients' messages fill its queue, without delaying the sender.
func TestBackpressureBroadcastToNonReader(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		opts := suiteOptions(nil)
		opts.PingInterval, opts.PingTimeout, opts.WriteTimeout = time.Hour, time.Hour, time.Second
		fan := &fanout{}
		opts.Handler = fan
		h := newHarness(t, opts)
		bad, _ := h.wsOpen()
		_ = bad // never read
		good, _ := h.wsOpen()
		start := time.Now()
		n := 0
		for fan.slowCount() == 0 {
			msg := fmt.Sprintf("4b%d-%s", n, strings.Repeat("y", 1000))
			writeText(t, good, msg)
			if got := readText(t, good); got != msg {
				t.Fatalf("got %.20q, want %.20q", got, msg)
			}
			n++
			if n > 10*opts.MaxQueuePackets+1000 {
				t.Fatal("the non-reading client was never closed")
			}
		}
		if d := time.Since(start); d != 0 {
			t.Errorf("broadcasting client waited %v", d)
		}
		synctest.Wait()
		if got := fan.reasons(); !slices.Equal(got, []string{ReasonSlow}) {
			t.Errorf("got reasons %q, want one %q", got, ReasonSlow)
		}
	})
}

// fanout sends every message to every session (a broadcast); it records close reasons.
type fanout struct {
	mu       sync.Mutex
	sessions []*Session
	closed   []string
}

func (f *fanout) Open(s *Session) SessionHandler {
	f.mu.Lock()
	f.sessions = append(f.sessions, s)
	f.mu.Unlock()
	return fanoutSession{f}
}

type fanoutSession struct{ f *fanout }

func (fs fanoutSession) Message(m Message) {
	f := fs.f
	f.mu.Lock()
	ss := slices.Clone(f.sessions)
	f.mu.Unlock()
	p := Prepare(Message{Binary: m.Binary, Data: slices.Clone(m.Data)})
	for _, s := range ss {
		_ = s.SendPrepared(p)
	}
}

func (fs fanoutSession) Closed(reason string) {
	fs.f.mu.Lock()
	fs.f.closed = append(fs.f.closed, reason)
	fs.f.mu.Unlock()
}

func (f *fanout) slowCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.closed)
}

func (f *fanout) reasons() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.closed)
}

// TestBackpressurePollingUpgrade: a POST held by backpressure when the client upgrades is
// answered at once (the client sends "5" only after its POST returned); the rest of its requests
// are answered on the WebSocket, in order, none lost.
func TestBackpressurePollingUpgrade(t *testing.T) {
	relTest(t, noPings, func(t *testing.T, h *harness) {
		sid, pkts, posted := postBurst(h)
		synctest.Wait() // the POST waits for room
		_, first := h.get(sidQuery(sid))
		got := strings.Split(first, "\x1e")
		c := h.mustDial(wsQuery(sid))
		writeText(t, c, "2probe")
		if m := readText(t, c); m != "3probe" {
			t.Fatalf("got %q, want 3probe", m)
		}
		if st, body := posted(); st != 200 || body != "ok" { // answered without waiting for the rest
			t.Fatalf("POST during the upgrade: got %d %q, want 200 ok", st, body)
		}
		if gst, gb := h.get(sidQuery(sid)); gst != 200 || gb != "6" {
			t.Fatalf("GET during the upgrade: got %d %q, want 200 noop", gst, gb)
		}
		writeText(t, c, "5")
		for len(got) < burst {
			got = append(got, readText(t, c))
		}
		checkEchoes(t, h, sid, got, pkts)
	})
}

// TestBackpressurePollingNotReading: a polling client that posts requests and never asks for
// the replies (no GET) is closed as slow after the write deadline; its POST gets 400.
func TestBackpressurePollingNotReading(t *testing.T) {
	relTest(t, noPings, func(t *testing.T, h *harness) {
		sid := h.handshake()
		pkts := burstPackets()
		start := time.Now()
		st, _ := h.post(sidQuery(sid), pollBody(pkts))
		if st != 400 {
			t.Errorf("POST: got %d, want 400", st)
		}
		if d := time.Since(start); d != h.srv.opts.WriteTimeout {
			t.Errorf("closed after %v, want the write deadline %v", d, h.srv.opts.WriteTimeout)
		}
		if got, want := h.rec.closedReasons(sid), []string{ReasonSlow}; !slices.Equal(got, want) {
			t.Errorf("got reasons %q, want %q", got, want)
		}
		if n := len(h.rec.messages(sid)); n > h.srv.opts.MaxQueuePackets {
			t.Errorf("%d requests dispatched to a client that does not read", n)
		}
	})
}

// TestBackpressureSlowReaderKeepsHeartbeat: a client that reads its replies slowly (here 2 ms
// each: the burst takes many ping intervals, one batch of replies still reads within
// PingTimeout) is alive. Its pong waits behind its own requests, which the server is not
// reading, so that time does not count against the pong deadline: it gets every echo and is not
// closed.
func TestBackpressureSlowReaderKeepsHeartbeat(t *testing.T) {
	relTest(t, nil, func(t *testing.T, h *harness) {
		c, sid := h.wsOpen()
		pongs := make(chan struct{}, burst)
		var werr error
		var wg sync.WaitGroup
		wg.Go(func() { // the only writer: the burst, then a pong per ping seen
			for i := range burst {
				if werr = c.WriteMessage(websocket.TextMessage, []byte(echoPayload(i))); werr != nil {
					return
				}
			}
			for range pongs {
				if werr = c.WriteMessage(websocket.TextMessage, []byte("3")); werr != nil {
					return
				}
			}
		})
		start := time.Now()
		pings := 0
		for i := 0; i < burst; {
			m := readText(t, c)
			if m == "2" {
				pings++
				pongs <- struct{}{}
				continue
			}
			if want := echoPayload(i); m != want {
				t.Fatalf("echo %d: got %q, want %q (closed: %q)", i, m, want, h.rec.closedReasons(sid))
			}
			i++
			time.Sleep(2 * time.Millisecond)
		}
		close(pongs)
		wg.Wait()
		if werr != nil {
			t.Fatalf("write: %v", werr)
		}
		if d := time.Since(start); d < 2*(testPingInterval+testPingTimeout) {
			t.Fatalf("the burst took %v: too short to test the heartbeat", d)
		}
		if pings == 0 {
			t.Error("no ping during the burst")
		}
		if r := h.rec.closedReasons(sid); len(r) != 0 {
			t.Errorf("closed: %q", r)
		}
	})
}
