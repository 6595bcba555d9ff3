package playground

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestFault: POST /play/{id}/fault breaks a reconnection demo on purpose. An outage drops every
// connection and answers the socket path with 503 until it ends (the registry's clock decides);
// silence stops one Engine.IO session's heartbeat (its effect: engineio's TestStopHeartbeat).
// Other kinds, bad bodies and unknown sessions get precise errors.
func TestFault(t *testing.T) {
	var clock atomic.Int64 // Unix ms
	clock.Store(1_700_000_000_000)
	_, srv := newTestRegistry(t, Options{now: func() time.Time { return time.UnixMilli(clock.Load()) }})

	post := func(id, body string) (int, string) {
		t.Helper()
		resp, err := http.Post(srv.URL+"/play/"+id+"/fault", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// dial opens a WebSocket session and connects to "/", returning it and its Engine.IO sid.
	dial := func(path string) (*websocket.Conn, string, int) {
		t.Helper()
		ws, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+path+"?EIO=4&transport=websocket", nil)
		if err != nil {
			if resp == nil {
				t.Fatal(err)
			}
			return nil, "", resp.StatusCode
		}
		t.Cleanup(func() { ws.Close() })
		ws.SetReadDeadline(time.Now().Add(5 * time.Second)) // a failsafe, never reached when it works
		_, open, err := ws.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		var hs struct{ Sid string }
		json.Unmarshal(open[1:], &hs)
		ws.WriteMessage(websocket.TextMessage, []byte("40"))
		if _, b, err := ws.ReadMessage(); err != nil || !strings.HasPrefix(string(b), "40{") {
			t.Fatalf("CONNECT reply %q, %v", b, err)
		}
		return ws, hs.Sid, http.StatusSwitchingProtocols
	}

	_, chat := create(t, srv.URL, "chat", `{}`)
	if status, body := post(chat.ID, `{"outage":1000}`); status != 403 || !strings.Contains(body, "no faults") {
		t.Errorf("fault on a chat demo: %d %s, want 403", status, body)
	}
	if status, _ := post("nope", `{"outage":1000}`); status != 404 {
		t.Errorf("fault on an unknown instance: %d, want 404", status)
	}
	status, in := create(t, srv.URL, "reconnection", `{"clients":["A","B"]}`)
	if status != 201 {
		t.Fatalf("create: %d %s", status, in.Error)
	}
	for _, bad := range []struct{ body, want string }{
		{`{}`, "the body must be"},
		{`{"outage":1000,"silence":"x"}`, "the body must be"},
		{`{"crash":true}`, "the body must be"},
		{`{"outage":0}`, "1 to 30000 ms"},
		{`{"outage":30001}`, "1 to 30000 ms"},
		{`{"silence":"no-such-sid"}`, "no such connection"},
	} {
		if status, body := post(in.ID, bad.body); status/100 != 4 || !strings.Contains(body, bad.want) {
			t.Errorf("fault %s: %d %s, want a 4xx saying %q", bad.body, status, body, bad.want)
		}
	}

	a, sid, _ := dial(in.Path)
	if status, body := post(in.ID, `{"silence":"`+sid+`"}`); status != 200 {
		t.Errorf("silence an open session: %d %s", status, body)
	}
	if status, body := post(in.ID, `{"outage":8000}`); status != 200 || !strings.Contains(body, `"dropped":1`) {
		t.Errorf("outage: %d %s, want 200 with one socket dropped", status, body)
	}
	for { // the connection drops: what was queued, then the end (no Socket.IO DISCONNECT packet)
		_, b, err := a.ReadMessage()
		if err != nil {
			break
		}
		if strings.HasPrefix(string(b), "41") {
			t.Errorf("got a DISCONNECT packet %q; an outage drops the transport", b)
		}
	}
	if _, _, status := dial(in.Path); status != http.StatusServiceUnavailable {
		t.Errorf("a handshake during the outage: %d, want 503", status)
	}
	clock.Add(8000)
	if _, _, status := dial(in.Path); status != http.StatusSwitchingProtocols {
		t.Errorf("a handshake after the outage: %d, want a WebSocket", status)
	}
}
