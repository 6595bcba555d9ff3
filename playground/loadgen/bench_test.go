package loadgen

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func BenchmarkParseMsg(b *testing.B) {
	m := []byte(`42["msg",{"s":123456,"t":987654321012}]`)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, ok := parseMsg(m, ""); !ok {
			b.Fatal("not parsed")
		}
	}
}

// BenchmarkReceive is one receiver's cost per delivery: a WebSocket frame read over loopback,
// Engine.IO/Socket.IO framing, parse, histogram.
func BenchmarkReceive(b *testing.B) {
	frame := []byte(`42["msg",{"s":123456,"t":987654321012}]`)
	n := b.N
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		ws.WriteMessage(websocket.TextMessage, []byte(`0{"sid":"s"}`))
		ws.ReadMessage()
		ws.WriteMessage(websocket.TextMessage, []byte(`40{"sid":"x"}`))
		pm, _ := websocket.NewPreparedMessage(websocket.TextMessage, frame)
		for range n {
			if ws.WritePreparedMessage(pm) != nil {
				return
			}
		}
		ws.ReadMessage()
	}))
	defer srv.Close()
	d := newDialer(1)
	c, err := d.connect(b.Context(), "ws"+strings.TrimPrefix(srv.URL, "http")+"/?EIO=4&transport=websocket", "/")
	if err != nil {
		b.Fatal(err)
	}
	defer c.close()
	var h Histogram
	b.ReportAllocs()
	b.ResetTimer()
	for range n {
		m, err := c.next()
		if err != nil {
			b.Fatal(err)
		}
		_, sent, ok := parseMsg(m, "")
		if !ok {
			b.Fatalf("got %q", m)
		}
		h.Record(time.Duration(sent % 1000))
	}
}
