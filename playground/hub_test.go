package playground

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorilla/websocket"

	"socketlab/playground/engineio"
	"socketlab/playground/engineio/pipenet"
	"socketlab/playground/socketio"
	"socketlab/web/webtest"
)

// TestHubHandshakeAndTransport: through the whole hub, s.Handshake() holds the client's address,
// the time it connected, its first request's URL and its request headers, and s.Transport() says
// "polling" for a connection that starts with long-polling and "websocket" once it upgraded
// (lesson 3: socket.handshake and socket.conn.transport.name); the hub's own log says so in its
// "a user connected" and "user disconnected" lines.
func TestHubHandshakeAndTransport(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs webtest.SyncBuffer // the hub's own log: lesson 3's "a user connected" and "user disconnected" lines
		hub := NewHub(engineio.Options{}, socketio.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		var hs socketio.Handshake
		var atConnection string
		hub.IO.OnConnection(func(s *socketio.Socket) {
			hs, atConnection = s.Handshake(), s.Transport()
			s.On("where", func(e *socketio.Event) { e.Ack(s.Transport()) })
		})
		ln := pipenet.Listen()
		var remote string // what the HTTP server saw as the client's address
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if remote == "" {
				remote = r.RemoteAddr
			}
			hub.ServeHTTP(w, r)
		})}
		go srv.Serve(ln)
		tr := &http.Transport{DialContext: ln.DialContext}
		defer func() {
			tr.CloseIdleConnections()
			hub.Close()
			srv.Close()
		}()
		const base = "http://127.0.0.1:3000/socket.io/?EIO=4&transport=polling"
		do := func(method, url, body string) string {
			t.Helper()
			req, err := http.NewRequest(method, url, strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-Lesson", "proof-of-life")
			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatalf("%s %s: %v", method, url, err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s %s: %d %s", method, url, resp.StatusCode, b)
			}
			return string(b)
		}

		start := time.Now()
		open := do(http.MethodGet, base, "")
		i := strings.Index(open, `"sid":"`)
		if !strings.HasPrefix(open, "0{") || i < 0 {
			t.Fatalf("handshake: got %q, want an open packet", open)
		}
		sid := open[i+7 : i+7+20]
		poll := base + "&sid=" + sid
		do(http.MethodPost, poll, "40")
		if got := do(http.MethodGet, poll, ""); !strings.HasPrefix(got, "40{") {
			t.Fatalf("got %q, want the CONNECT reply", got)
		}
		if hs.Address == "" || hs.Address != remote {
			t.Errorf("Handshake().Address = %q, want the client's address %q", hs.Address, remote)
		}
		if !hs.Time.Equal(start) {
			t.Errorf("Handshake().Time = %v, want the time it connected, %v", hs.Time, start)
		}
		if got := hs.Headers.Get("X-Lesson"); got != "proof-of-life" {
			t.Errorf("Handshake().Headers X-Lesson = %q, want the request's header", got)
		}
		if q := hs.Query(); q.Get("EIO") != "4" || q.Get("transport") != "polling" {
			t.Errorf("Handshake().URL = %q, want the first request's", hs.URL)
		}
		if atConnection != "polling" {
			t.Errorf("Transport() at connection = %q, want polling", atConnection)
		}
		do(http.MethodPost, poll, `420["where"]`)
		if got, want := do(http.MethodGet, poll, ""), `430["polling"]`; got != want {
			t.Errorf("before the upgrade: got %q, want %q", got, want)
		}

		d := &websocket.Dialer{NetDialContext: ln.DialContext}
		c, _, err := d.Dial("ws://127.0.0.1:3000/socket.io/?EIO=4&transport=websocket&sid="+sid, nil)
		if err != nil {
			t.Fatal(err)
		}
		exchange := func(send string) string {
			t.Helper()
			if err := c.WriteMessage(websocket.TextMessage, []byte(send)); err != nil {
				t.Fatal(err)
			}
			_, b, err := c.ReadMessage()
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
		if got := exchange("2probe"); got != "3probe" {
			t.Fatalf("probe: got %q, want 3probe", got)
		}
		if err := c.WriteMessage(websocket.TextMessage, []byte("5")); err != nil {
			t.Fatal(err)
		}
		if got, want := exchange(`421["where"]`), `431["websocket"]`; got != want {
			t.Errorf("after the upgrade: got %q, want %q", got, want)
		}
		c.Close()
		synctest.Wait()
		for _, want := range []struct{ msg, transport string }{
			{`msg="a user connected"`, "transport=polling"},
			{`msg="user disconnected"`, "transport=websocket"},
		} {
			var line string
			for l := range strings.Lines(logs.String()) {
				if strings.Contains(l, want.msg) {
					line = l
				}
			}
			if !strings.Contains(line, want.transport) {
				t.Errorf("the hub's %s line %q: want %s in it", want.msg, line, want.transport)
			}
		}
	})
}
