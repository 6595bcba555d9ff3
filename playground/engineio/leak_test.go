package engineio

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"
)

// countingHandler echoes and reports every Closed on a channel.
type countingHandler struct{ closed chan string }

func (c countingHandler) Open(s *Session) SessionHandler { return &countingSession{c, s} }

type countingSession struct {
	c countingHandler
	s *Session
}

func (cs *countingSession) Message(m Message) {
	switch string(m.Data) {
	case "panic":
		panic("churn panic")
	case "flood": // more than MaxQueuePackets at once: closed as slow
		_ = cs.s.Send(make([]Message, 9)...)
		return
	}
	_ = cs.s.Send(Message{Binary: m.Binary, Data: append([]byte(nil), m.Data...)})
}
func (cs *countingSession) Closed(reason string) { cs.c.closed <- reason }

// TestChurnNoLeak opens and ends sessions in every way over real loopback
// sockets, then checks that sessions and goroutines are back to baseline.
func TestChurnNoLeak(t *testing.T) {
	defer goleak.VerifyNone(t)
	const cycles = 60
	ch := countingHandler{closed: make(chan string, cycles*8)}
	srv := NewServer(Options{
		PingInterval: 10 * time.Second, PingTimeout: 5 * time.Second,
		WriteTimeout: time.Second, MaxQueuePackets: 8,
		Handler: ch, Logger: slog.New(slog.DiscardHandler),
	})
	ts := httptest.NewServer(srv)
	tr := &http.Transport{}
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	defer func() {
		srv.Close()
		ts.Close()
		tr.CloseIdleConnections()
	}()
	wsURL := "ws" + strings.TrimPrefix(ts.URL, "http") + "/?EIO=4&transport=websocket"
	get := func(q string) string {
		resp, err := client.Get(ts.URL + "/?" + q)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	post := func(q, body string) {
		resp, err := client.Post(ts.URL+"/?"+q, "text/plain;charset=UTF-8", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	wsOpen := func() *websocket.Conn {
		c, _, err := websocket.DefaultDialer.Dial(wsURL, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.ReadMessage(); err != nil {
			t.Fatal(err)
		}
		return c
	}
	ends := []func(){
		func() { // clean Engine.IO close over WebSocket
			c := wsOpen()
			c.WriteMessage(websocket.TextMessage, []byte("4hi"))
			c.WriteMessage(websocket.TextMessage, []byte("1"))
			readUntilClose(c)
			c.Close()
		},
		func() { // TCP dropped without a close frame
			c := wsOpen()
			c.NetConn().(*net.TCPConn).SetLinger(0)
			c.Close()
		},
		func() { // parse error
			c := wsOpen()
			c.WriteMessage(websocket.TextMessage, []byte("9"))
			readUntilClose(c)
			c.Close()
		},
		func() { // handler panic
			c := wsOpen()
			c.WriteMessage(websocket.TextMessage, []byte("4panic"))
			readUntilClose(c)
			c.Close()
		},
		func() { // slow: more queued than the bound
			c := wsOpen()
			c.WriteMessage(websocket.TextMessage, []byte("4flood"))
			readUntilClose(c)
			c.Close()
		},
		func() { // polling, client close
			body := get("EIO=4&transport=polling")
			sid := body[9:29]
			post(sidQuery(sid), "4a\x1e1")
		},
		func() { // polling, upgrade then close
			body := get("EIO=4&transport=polling")
			sid := body[9:29]
			c, _, err := websocket.DefaultDialer.Dial(wsURL+"&sid="+sid, nil)
			if err != nil {
				t.Error(err)
				return
			}
			c.WriteMessage(websocket.TextMessage, []byte("2probe"))
			c.ReadMessage()
			get(sidQuery(sid)) // noop
			c.WriteMessage(websocket.TextMessage, []byte("5"))
			c.WriteMessage(websocket.TextMessage, []byte("1"))
			readUntilClose(c)
			c.Close()
		},
		func() { // polling, invalid body
			body := get("EIO=4&transport=polling")
			post(sidQuery(body[9:29]), "abc")
		},
	}
	var wg sync.WaitGroup
	for i := range cycles {
		wg.Go(ends[i%len(ends)])
		if i%10 == 9 {
			wg.Wait()
		}
	}
	wg.Wait()
	timeout := time.After(10 * time.Second)
	reasons := map[string]int{}
	for i := range cycles {
		select {
		case r := <-ch.closed:
			reasons[r]++
		case <-timeout:
			t.Fatalf("only %d of %d sessions closed; %d still open", i, cycles, srv.SessionCount())
		}
	}
	if n := srv.SessionCount(); n != 0 {
		t.Errorf("got %d sessions after churn, want 0", n)
	}
	for _, r := range []string{ReasonTransportClose, ReasonTransportError, ReasonParseError, ReasonSlow} {
		if reasons[r] == 0 {
			t.Errorf("no session ended with %q; got %v", r, reasons)
		}
	}
}
