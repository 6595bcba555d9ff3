package playground

import (
	"bufio"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"socketlab/playground/socketio"
	"socketlab/playground/wsclient"
)

// tapReader reads a tap's SSE stream and counts the bytes it downloads, as a projector page would.
type tapReader struct {
	lines *bufio.Scanner
	bytes int
	max   int // the largest data line
}

func openTapReader(t *testing.T, url string) *tapReader {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute) // a bound against a hang, not a budget
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	lines := bufio.NewScanner(resp.Body)
	lines.Buffer(nil, 64<<20) // a whole payload, if one came, is read and measured, not refused
	return &tapReader{lines: lines}
}

func (r *tapReader) next(t *testing.T) map[string]any {
	t.Helper()
	for r.lines.Scan() {
		r.bytes += len(r.lines.Bytes()) + 1
		if data, ok := strings.CutPrefix(r.lines.Text(), "data: "); ok {
			r.max = max(r.max, len(data))
			var m map[string]any
			if err := json.Unmarshal([]byte(data), &m); err != nil {
				t.Fatalf("bad SSE data %.80q: %v", data, err)
			}
			return m
		}
	}
	t.Fatalf("tap stream ended: %v", r.lines.Err())
	return nil
}

// TestTapFloodKeepsPreviews: a client floods a demo hub that a tap (the page, the projector)
// watches with megabyte events nothing handles and with megabyte relays. The tap's history
// stays within its byte budget, every message to the watcher is a bounded preview that says
// the payload's real size, and what the watcher downloads is a few KiB per event, not the
// payloads (issue 13: 136 MB → 2.3 GB, and 270 MB downloaded by the projector).
func TestTapFloodKeepsPreviews(t *testing.T) {
	r, srv := newTestRegistry(t, Options{})
	_, c := create(t, srv.URL, "rooms", `{}`)
	in := r.lookup(c.ID)
	tap := openTapReader(t, srv.URL+c.Tap)
	ada := dialRaw(t, srv.URL, c.Path, "/", `{"name":"Ada"}`)
	ada.expect("40{")
	grace := dialRaw(t, srv.URL, c.Path, "/", `{"name":"Grace"}`)
	grace.expect("40{")

	const floods, relays = 20, 5
	payload := `"` + strings.Repeat("x", 900_000) + `"`
	relayed := `"` + strings.Repeat("x", 100_000) + `"` // smaller: Grace reads each one, under -race
	// The relays first: Grace's reads are bounded in time, and the floods queue up on Ada's reader.
	for i := range relays {
		ada.write(`42` + string(rune('1'+i)) + `["send",{"event":"big","args":[` + relayed + `],"scope":"all"}]`)
		grace.expect(`42["big"`)
	}
	for range floods {
		ada.write(`42["nobody-handles-this",` + payload + `]`)
	}
	ada.write(`42["done"]`)

	var inBig, outBig int
	for {
		m := tap.next(t)
		if m["type"] != "tap" {
			continue
		}
		if m["event"] == "done" {
			break
		}
		if m["event"] != "nobody-handles-this" && m["event"] != "big" {
			continue // the "send" requests that carry the relays, among others
		}
		preview, _ := m["argsPreview"].(string)
		size, _ := m["argsBytes"].(float64)
		if m["args"] != nil || len(preview) > socketio.TapPreviewBytes || !strings.HasPrefix(preview, `["xxx`) {
			t.Fatalf("%s %s: args %v, a preview of %d bytes; want no args, a preview of at most %d", m["kind"], m["event"], m["args"] != nil, len(preview), socketio.TapPreviewBytes)
		}
		switch {
		case m["kind"] == "event_in" && int(size) == len(payload)+2: // the arguments' array, [payload]
			inBig++
		case m["kind"] == "event_out" && int(size) == len(relayed)+2:
			outBig++
			if call, _ := m["call"].(string); !strings.Contains(call, "/* 97.7 KiB of arguments */") {
				t.Errorf("event_out call %q does not say the payload's size", call)
			}
		default:
			t.Fatalf("%s %s: argsBytes %v", m["kind"], m["event"], size)
		}
	}
	if inBig != floods || outBig != relays {
		t.Errorf("the tap reported %d floods and %d relays, want %d and %d", inBig, outBig, floods, relays)
	}
	if got := in.tap.HistoryBytes(); got > historyBytes {
		t.Errorf("tap history holds %d bytes, over its budget %d", got, historyBytes)
	}
	sent := floods*len(payload) + relays*len(relayed)
	if tap.max > maxTapMessage || tap.bytes > (floods+relays)*4<<10+64<<10 {
		t.Errorf("the watcher downloaded %d bytes (largest message %d) for %d bytes of payloads; want at most 4 KiB an event", tap.bytes, tap.max, sent)
	}
	// A page opened now (EventSource reconnecting from scratch) is sent the bounded history.
	late := openTapReader(t, srv.URL+c.Tap)
	for m := late.next(t); m["event"] != "done"; m = late.next(t) {
	}
	if late.bytes > historyBytes+64<<10 {
		t.Errorf("a late watcher downloaded %d bytes, over the history budget %d", late.bytes, historyBytes)
	}
}

// TestHalfSentBinaryPackets: binary packets that announce more attachments than they send are
// held at most MaxPacketBytes each and closed after AttachmentTimeout, with the precise reason
// in the close frame; one whose attachments overflow the size cap is closed at once (1009). The
// hub holds nothing afterwards (issue 13: 100 sessions held 857 MB, forever).
func TestHalfSentBinaryPackets(t *testing.T) {
	const maxPayload = 100_000
	opts := Options{}
	opts.Engine.MaxPayload = maxPayload
	opts.Socket.AttachmentTimeout = 200 * time.Millisecond
	r, srv := newTestRegistry(t, opts)
	_, c := create(t, srv.URL, "rooms", `{"rooms":["room-1"]}`)
	in := r.lookup(c.ID)

	dialWS := func(t *testing.T) *websocket.Conn {
		t.Helper()
		ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+c.Path+"?EIO=4&transport=websocket", nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ws.Close() })
		ws.SetReadDeadline(time.Now().Add(30 * time.Second)) // a bound against a hang, not a budget
		for _, f := range []string{"", `40{"name":"Eve"}`} {
			if f != "" {
				ws.WriteMessage(websocket.TextMessage, []byte(f))
			}
			if _, _, err := ws.ReadMessage(); err != nil { // the open packet, the CONNECT reply
				t.Fatal(err)
			}
		}
		return ws
	}
	closeOf := func(t *testing.T, ws *websocket.Conn) *websocket.CloseError {
		t.Helper()
		for {
			_, _, err := ws.ReadMessage()
			if ce, ok := err.(*websocket.CloseError); ok {
				return ce
			}
			if err != nil {
				t.Fatalf("read: %v, want a close frame", err)
			}
		}
	}
	header := `455-["upload",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1},{"_placeholder":true,"num":2},` +
		`{"_placeholder":true,"num":3},{"_placeholder":true,"num":4}]`
	chunk := make([]byte, 30_000)

	t.Run("attachments that never come", func(t *testing.T) {
		const sessions = 20
		conns := make([]*websocket.Conn, sessions)
		for i := range conns {
			conns[i] = dialWS(t)
			conns[i].WriteMessage(websocket.TextMessage, []byte(header))
			for range 3 { // 3 of 5, 90 kB of the 100 kB a packet may hold
				conns[i].WriteMessage(websocket.BinaryMessage, chunk)
			}
		}
		if _, held := in.hub().IO.PendingBinary(); held > sessions*maxPayload {
			t.Errorf("%d bytes held for %d half-sent packets, over %d each", held, sessions, maxPayload)
		}
		for _, ws := range conns {
			ce := closeOf(t, ws)
			if ce.Code != websocket.ClosePolicyViolation || ce.Text != socketio.ReasonAttachmentsTimeout {
				t.Fatalf("closed with %d %q, want %d %q", ce.Code, ce.Text, websocket.ClosePolicyViolation, socketio.ReasonAttachmentsTimeout)
			}
		}
	})
	t.Run("attachments over the size cap", func(t *testing.T) {
		ws := dialWS(t)
		ws.WriteMessage(websocket.TextMessage, []byte(header))
		for range 4 { // the fourth makes 120 kB
			ws.WriteMessage(websocket.BinaryMessage, chunk)
		}
		if ce := closeOf(t, ws); ce.Code != websocket.CloseMessageTooBig || ce.Text != socketio.ReasonPacketTooLarge {
			t.Fatalf("closed with %d %q, want %d %q", ce.Code, ce.Text, websocket.CloseMessageTooBig, socketio.ReasonPacketTooLarge)
		}
	})
	if n, held := in.hub().IO.PendingBinary(); n != 0 || held != 0 {
		t.Errorf("after the closes the hub still holds %d packets, %d bytes", n, held)
	}
	// An honest binary upload within the limits still works.
	ws := dialWS(t)
	ws.WriteMessage(websocket.TextMessage, []byte(`451-["upload",{"_placeholder":true,"num":0}]`))
	ws.WriteMessage(websocket.BinaryMessage, chunk)
	ws.WriteMessage(websocket.TextMessage, []byte(`4210["join","room-1"]`))
	for {
		_, b, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("after an honest upload: %v", err)
		}
		if strings.HasPrefix(string(b), `4310`) {
			break
		}
	}
}

// BenchmarkTapFlood floods a watched demo hub with events of 900 kB nothing handles (none: the
// baseline) and reports what the process holds afterwards for each hub, which stays alive
// (HeapAlloc after a GC, against before the hubs were created): the tap's bounded history, not
// the payloads.
func BenchmarkTapFlood(b *testing.B) {
	for _, floods := range []int{0, 20} {
		b.Run(strconv.Itoa(floods)+"x900kB", func(b *testing.B) { benchTapFlood(b, floods) })
	}
}

func benchTapFlood(b *testing.B, floods int) {
	r := NewRegistry(Options{Logger: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(playRoutes(http.NewServeMux(), r))
	defer func() { srv.Close(); r.Close() }()
	payload := `42["nobody-handles-this","` + strings.Repeat("x", 900_000) + `"]`
	var before, after runtime.MemStats
	runtime.GC()
	runtime.GC() // twice: sync.Pool's victim cache survives one
	runtime.ReadMemStats(&before)
	for b.Loop() {
		resp, err := http.Post(srv.URL+"/play/rooms", "application/json", strings.NewReader(`{}`))
		if err != nil {
			b.Fatal(err)
		}
		var c created
		json.NewDecoder(resp.Body).Decode(&c)
		resp.Body.Close()
		tapResp, err := http.Get(srv.URL + c.Tap)
		if err != nil {
			b.Fatal(err)
		}
		ws, err := wsclient.Dial(srv.URL, c.Path, nil)
		if err != nil {
			b.Fatal(err)
		}
		ws.Send(`0{"name":"Eve"}`)
		for range floods {
			ws.Send(payload[1:])
		}
		ws.Send(`2["done"]`)
		lines := bufio.NewScanner(tapResp.Body)
		for lines.Scan() && !strings.Contains(lines.Text(), `"event":"done"`) {
		}
		ws.Close()
		tapResp.Body.Close()
	}
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(payload) // allocated before the baseline
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/float64(b.N)/1e3, "kB-retained/hub")
}

// TestTapWatcherCap: an instance serves maxTapWatchers taps at once; one more is refused with
// 503 and a reason.
func TestTapWatcherCap(t *testing.T) {
	_, srv := newTestRegistry(t, Options{})
	_, c := create(t, srv.URL, "rooms", `{}`)
	var open []*http.Response
	get := func() *http.Response {
		t.Helper()
		resp, err := http.Get(srv.URL + c.Tap)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	for range maxTapWatchers {
		resp := get()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("tap %d: %s", len(open)+1, resp.Status)
		}
		bufio.NewReader(resp.Body).ReadString('\n') // subscribed: the state has come
		open = append(open, resp)
	}
	resp := get()
	body, _ := bufio.NewReader(resp.Body).ReadString('\n')
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "open consoles") {
		t.Fatalf("tap %d: %s %q, want 503 saying why", maxTapWatchers+1, resp.Status, body)
	}
}
