package playground

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorilla/websocket"

	"socketlab/playground/engineio"
	"socketlab/playground/engineio/pipenet"
	"socketlab/playground/socketio"
	"socketlab/playground/wsclient"
)

// TestHubNonReaderClosedAsSlow: a Socket.IO client that stops reading is disconnected with
// reason "slow", whether other clients' broadcasts or its own requests fill its queue, while an
// honest client in the same room keeps broadcasting and getting its answers without waiting.
func TestHubNonReaderClosedAsSlow(t *testing.T) {
	for _, tc := range []struct {
		name     string
		requests bool // the non-reading client keeps sending acked requests
	}{
		{"broadcasts fill its queue", false},
		{"its own requests, unread", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { testNonReader(t, tc.requests) })
		})
	}
}

func testNonReader(t *testing.T, requests bool) {
	const writeTimeout = time.Second
	hub := NewHub(engineio.Options{PingInterval: time.Hour, PingTimeout: time.Hour, WriteTimeout: writeTimeout},
		socketio.Options{RateLimit: -1})
	var mu sync.Mutex
	reasons := map[string]string{} // socket id → disconnect reason
	hub.IO.OnConnection(func(s *socketio.Socket) {
		s.Join("room")
		s.On("say", func(e *socketio.Event) { // to the room, then the ack
			hub.IO.To("room").Emit("said", e.Values()...)
			e.Ack("ok")
		})
		s.On("echo", func(e *socketio.Event) { e.Ack(e.Values()...) })
		s.OnDisconnect(func(reason string) {
			mu.Lock()
			reasons[s.ID()] = reason
			mu.Unlock()
		})
	})
	reasonOf := func(id string) string {
		mu.Lock()
		defer mu.Unlock()
		return reasons[id]
	}
	ln := pipenet.Listen()
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", hub)
	hs := &http.Server{Handler: mux}
	go hs.Serve(ln)
	defer func() {
		hub.Close()
		hs.Close()
	}()
	dialer := &websocket.Dialer{NetDialContext: ln.DialContext}

	good, err := wsclient.DialWith(dialer, "http://127.0.0.1:3000", "/socket.io/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer good.Close()
	reply, err := good.ConnectNsp("/", "")
	goodID := connectedID(t, reply, err)

	bad, _, err := dialer.Dial("ws://127.0.0.1:3000/socket.io/?EIO=4&transport=websocket", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	if _, open, err := bad.ReadMessage(); err != nil || !strings.HasPrefix(string(open), "0{") {
		t.Fatalf("open packet %q: %v", open, err)
	}
	if err := bad.WriteMessage(websocket.TextMessage, []byte("40")); err != nil {
		t.Fatal(err)
	}
	_, b, err := bad.ReadMessage()
	badID := connectedID(t, strings.TrimPrefix(string(b), "4"), err)
	// From here on the bad client reads nothing.
	var wg sync.WaitGroup
	defer wg.Wait()
	if requests {
		big := strings.Repeat("x", 8<<10)
		wg.Go(func() {
			for bad.WriteMessage(websocket.TextMessage, []byte(`420["echo","`+big+`"]`)) == nil {
			}
		})
		synctest.Wait() // the hub stopped reading it
		if r := reasonOf(badID); r != "" {
			t.Fatalf("the client sending requests was disconnected before the write deadline: %q", r)
		}
	}

	said := strings.Repeat("y", 1000)
	for i := 0; reasonOf(badID) == "" || i < 10; i++ {
		if i > 10_000 {
			t.Fatal("the non-reading client was never disconnected")
		}
		start := time.Now()
		if err := good.Send(`21["say","` + said + `"]`); err != nil {
			t.Fatal(err)
		}
		if _, err := good.WaitFor(`31["ok"]`, time.Second); err != nil {
			t.Fatalf("say %d: %v (disconnect reason %q)", i, err, reasonOf(goodID))
		}
		if d := time.Since(start); d != 0 {
			t.Fatalf("the honest client waited %v for its answer %d", d, i)
		}
		if requests && i == 10 {
			time.Sleep(writeTimeout) // the hub's write to the non-reading client times out
		}
	}
	synctest.Wait()
	if r := reasonOf(badID); r != "slow" {
		t.Errorf("non-reading client: got disconnect reason %q, want %q", r, "slow")
	}
	if r := reasonOf(goodID); r != "" {
		t.Errorf("honest client disconnected: %q", r)
	}
}

// connectedID returns the socket id of a CONNECT reply ("0{"sid":…}").
func connectedID(t *testing.T, reply string, err error) string {
	t.Helper()
	var v struct {
		Sid string `json:"sid"`
	}
	if err != nil || !strings.HasPrefix(reply, "0{") || json.Unmarshal([]byte(reply[1:]), &v) != nil || v.Sid == "" {
		t.Fatalf("CONNECT reply %q: %v", reply, err)
	}
	return v.Sid
}
