package loadgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gorilla/websocket"
)

// fakeServer is a tiny Socket.IO-over-WebSocket server with the bench handlers (namespace "/"
// only), just enough to drive the generator in tests. dropFor, if set, loses every fan-out
// delivery to the n-th connection (1-based). Servers in peers get every fan-out too, as servers
// sharing a broker do.
type fakeServer struct {
	t       testing.TB
	srv     *httptest.Server
	mu      sync.Mutex
	rooms   map[string]map[*fakeConn]bool
	conns   atomic.Int64
	seq     atomic.Int64
	dropFor int64
	peers   []*fakeServer
	wg      sync.WaitGroup
}

type fakeConn struct {
	ws  *websocket.Conn
	n   int64
	wmu sync.Mutex
}

func (c *fakeConn) send(s []byte) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.ws.WriteMessage(websocket.TextMessage, s)
}

func newFakeServer(t testing.TB) *fakeServer {
	f := &fakeServer{t: t, rooms: map[string]map[*fakeConn]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /socket.io/", f.serveWS)
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		n := f.conns.Load()
		fmt.Fprintf(w, `{"rss":%d,"connections":%d}`, 50<<20+n*16<<10, n)
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		f.srv.CloseClientConnections()
		f.srv.Close()
		f.wg.Wait()
	})
	return f
}

func (f *fakeServer) url() string { return "ws" + f.srv.URL[len("http"):] + "/socket.io/" }

func (f *fakeServer) serveWS(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("EIO") != "4" || r.URL.Query().Get("transport") != "websocket" {
		http.Error(w, "bad query", http.StatusBadRequest)
		return
	}
	ws, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &fakeConn{ws: ws, n: f.seq.Add(1)}
	f.conns.Add(1)
	f.wg.Add(1)
	defer func() {
		f.mu.Lock()
		for _, m := range f.rooms {
			delete(m, c)
		}
		f.mu.Unlock()
		f.conns.Add(-1)
		ws.Close()
		f.wg.Done()
	}()
	c.send([]byte(`0{"sid":"s","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`))
	for {
		_, m, err := ws.ReadMessage()
		if err != nil {
			return
		}
		if len(m) < 2 || m[0] != '4' {
			continue
		}
		switch m[1] {
		case '0':
			c.send([]byte(`40{"sid":"x"}`))
		case '2':
			f.event(c, m[2:])
		}
	}
}

func (f *fakeServer) event(c *fakeConn, m []byte) {
	id, rest, hasID := parseUint(m)
	if !hasID {
		rest = m
	}
	var args []json.RawMessage
	if err := json.Unmarshal(rest, &args); err != nil || len(args) == 0 {
		f.t.Errorf("fake server: bad event %q", m)
		return
	}
	var name, room string
	json.Unmarshal(args[0], &name)
	ack := func(args []json.RawMessage) {
		if hasID {
			c.send(append(strconv.AppendInt([]byte("43"), id, 10), "["+string(bytes.Join(rawBytes(args), []byte(",")))+"]"...))
		}
	}
	switch name {
	case "join":
		json.Unmarshal(args[1], &room)
		f.mu.Lock()
		if f.rooms[room] == nil {
			f.rooms[room] = map[*fakeConn]bool{}
		}
		f.rooms[room][c] = true
		f.mu.Unlock()
		ack(nil)
	case "fanout":
		json.Unmarshal(args[1], &room)
		out := []byte(`42["msg",` + string(args[2]) + `]`)
		var to []*fakeConn
		for _, s := range append([]*fakeServer{f}, f.peers...) {
			s.mu.Lock()
			for m := range s.rooms[room] {
				if m != c && m.n != s.dropFor {
					to = append(to, m)
				}
			}
			s.mu.Unlock()
		}
		for _, m := range to {
			m.send(out)
		}
	case "echo":
		ack(args[1:])
	}
}

func rawBytes(rs []json.RawMessage) [][]byte {
	out := make([][]byte, len(rs))
	for i, r := range rs {
		out[i] = r
	}
	return out
}
