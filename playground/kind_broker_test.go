package playground

import (
	"encoding/json"
	"strings"
	"testing"

	"socketlab/playground/socketio"
)

// brokerStateJSON is the broker demo's field of the state message (docs/play-api.md).
type brokerStateJSON struct {
	Ready    []brokerMsg `json:"ready"`
	Inflight []struct {
		Msg    brokerMsg `json:"msg"`
		Worker string    `json:"worker"`
	} `json:"inflight"`
	Dead []brokerMsg `json:"dead"`
	Done int         `json:"done"`
}

// TestBrokerJobTimesOut: a job its worker neither acks nor fails within jobTimeout is a failed
// delivery: it goes out again (attempt 2), and the state message shows it in flight. The timer
// is not waited for: the test resolves the pending ack the way the hub's timer does, with
// ErrTimeout, so the hub's own ack bookkeeping runs (a later answer to the first delivery is
// dropped by the hub, as socket.io drops an ack that arrives after its timeout).
func TestBrokerJobTimesOut(t *testing.T) {
	reg, srv := newTestRegistry(t, Options{})
	_, created := create(t, srv.URL, "broker", `{"clients":["P",{"name":"H","auth":{"worker":true}}]}`)
	in := reg.lookup(created.ID)
	h := dialRaw(t, srv.URL, created.Path, "/", `{"name":"H","worker":true}`)
	h.expect("40{")
	p := dialRaw(t, srv.URL, created.Path, "/", `{"name":"P"}`)
	p.expect("40{")
	p.write(`421["publish",{"text":"soup"}]`)
	p.expect(`431[{"id":1,"subscribers":1}]`)
	if got := h.expect(`42["news"`); got != `42["news",{"id":1,"text":"soup"}]` {
		t.Fatalf("news: %q", got)
	}
	first := h.expect(`42`)
	if !strings.HasSuffix(first, `["job",{"id":1,"text":"soup","attempt":1}]`) {
		t.Fatalf("first delivery: %q", first)
	}
	var worker *socketio.Socket
	for _, s := range in.hub().IO.Of("/").FetchSockets() {
		if clientName(s) == "H" {
			worker = s
		}
	}
	st := in.kindState.(*brokerState)
	in.mu.Lock()
	msg := st.inflight[1].Msg
	in.mu.Unlock()
	settle(in, st, worker, msg, "", socketio.ErrTimeout) // what the timer does after jobTimeout
	second := h.expect(`42`)
	if !strings.HasSuffix(second, `["job",{"id":1,"text":"soup","attempt":2}]`) {
		t.Fatalf("after the timeout: %q, want the job again, attempt 2", second)
	}
	in.mu.Lock()
	var state struct{ Broker brokerStateJSON }
	err := json.Unmarshal(in.stateLocked(), &state)
	in.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	b := state.Broker
	if len(b.Ready) != 0 || len(b.Dead) != 0 || b.Done != 0 || len(b.Inflight) != 1 ||
		b.Inflight[0].Worker != "H" || b.Inflight[0].Msg.Attempt != 2 || b.Inflight[0].Msg.Text != "soup" {
		t.Errorf("state after the timeout: %+v, want job 1 in flight at H, attempt 2", b)
	}
	// H answers the second delivery: done.
	id := strings.TrimPrefix(second[:strings.Index(second, "[")], "42")
	h.write("43" + id + `["done"]`)
	p.write(`422["send",{"event":"fence","args":[],"scope":"self"}]`) // a round trip after H's answer
	p.expect(`42["fence"]`)
	in.mu.Lock()
	done, flying := st.done, len(st.inflight)
	in.mu.Unlock()
	if done != 1 || flying != 0 {
		t.Errorf("after H's done: done %d, in flight %d; want 1 and 0", done, flying)
	}
}

// TestBrokerRefusesBadPublish: a publish that is not {text} gets a precise error and queues
// nothing; a full queue refuses more.
func TestBrokerRefusesBadPublish(t *testing.T) {
	reg, srv := newTestRegistry(t, Options{})
	_, created := create(t, srv.URL, "broker", `{}`)
	in := reg.lookup(created.ID)
	p := dialRaw(t, srv.URL, created.Path, "/", `{"name":"P"}`)
	p.expect("40{")
	for i, bad := range []string{`"soup"`, `{"text":42}`, `[1]`, `{"text":"` + strings.Repeat("x", maxChatLen+1) + `"}`} {
		p.write(`421["publish",` + bad + `]`)
		if got := p.expect(`431`); got != `431[{"error":"publish needs {text}"}]` {
			t.Errorf("case %d: %q", i, got)
		}
	}
	st := in.kindState.(*brokerState)
	in.mu.Lock()
	for range maxReady { // nobody works: the queue fills up (faster than publishing 100 times)
		st.ready = append(st.ready, brokerMsg{Text: "x"})
	}
	in.mu.Unlock()
	p.write(`423["publish",{"text":"one too many"}]`)
	if got := p.expect(`433`); got != `433[{"error":"queue full"}]` {
		t.Errorf("over maxReady: %q", got)
	}
	in.mu.Lock()
	n := len(st.ready)
	in.mu.Unlock()
	if n != maxReady {
		t.Errorf("%d waiting, want %d", n, maxReady)
	}
}
