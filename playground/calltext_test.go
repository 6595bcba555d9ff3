package playground

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"socketlab/playground/socketio"
)

// openTap subscribes to an instance's tap; each call of the function it returns is the next
// message (the test fails when the stream ends, or after 10 s without one).
func openTap(t *testing.T, url string) func(*testing.T) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("tap Content-Type = %q", ct)
	}
	lines := bufio.NewScanner(resp.Body)
	return func(t *testing.T) map[string]any {
		t.Helper()
		for lines.Scan() {
			if data, ok := strings.CutPrefix(lines.Text(), "data: "); ok {
				var m map[string]any
				if err := json.Unmarshal([]byte(data), &m); err != nil {
					t.Fatalf("bad SSE data %q: %v", data, err)
				}
				return m
			}
		}
		t.Fatalf("tap stream ended: %v", lines.Err())
		return nil
	}
}

func TestCallText(t *testing.T) {
	tests := []struct {
		nsp, scope, event string
		rooms, except     []string
		js, goCall        string
	}{
		{"/", "self", "chat", nil, nil, `socket.emit("chat", …)`, `s.Emit("chat", …)`},
		{"/", "all", "chat", []string{"ignored"}, nil, `io.emit("chat", …)`, `io.Emit("chat", …)`},
		{"/orders", "all", "chat", nil, nil, `io.of("/orders").emit("chat", …)`, `io.Of("/orders").Emit("chat", …)`},
		{"/", "broadcast", "msg", nil, nil, `socket.broadcast.emit("msg", …)`, `s.Broadcast().Emit("msg", …)`},
		{"/", "room", "msg", []string{"r1"}, nil, `io.to("r1").emit("msg", …)`, `io.To("r1").Emit("msg", …)`},
		{"/", "room", "msg", []string{"r1", "r2"}, []string{"r3"}, `io.to(["r1", "r2"]).except("r3").emit("msg", …)`, `io.To("r1", "r2").Except("r3").Emit("msg", …)`},
		{"/", "socket-room", "msg", []string{"r1"}, nil, `socket.to("r1").emit("msg", …)`, `s.To("r1").Emit("msg", …)`},
		{"/x", "except", "msg", nil, []string{"r1"}, `io.of("/x").except("r1").emit("msg", …)`, `io.Of("/x").Except("r1").Emit("msg", …)`},
		{"/", "all", `say "hi"`, nil, nil, `io.emit("say \"hi\"", …)`, `io.Emit("say \"hi\"", …)`},
	}
	for _, tt := range tests {
		js, goCall := CallText(tt.nsp, tt.scope, tt.event, tt.rooms, tt.except)
		if js != tt.js || goCall != tt.goCall {
			t.Errorf("CallText(%q, %q, %q, %q, %q) = %s / %s, want %s / %s", tt.nsp, tt.scope, tt.event, tt.rooms, tt.except, js, goCall, tt.js, tt.goCall)
		}
	}
}

func TestArgsText(t *testing.T) {
	long := json.RawMessage(`"` + strings.Repeat("é", 50) + `"`)
	got := argsText([]json.RawMessage{json.RawMessage(`{"b": [1, 2], "a": "<x>"}`), long, json.RawMessage(`{"_placeholder":true,"num":0}`)})
	want := `{"a":"<x>","b":[1,2]}, "` + strings.Repeat("é", 37) + `…", {"_placeholder":true,"num":0}` // a cut string keeps its closing quote
	if got != want {
		t.Errorf("argsText = %s\nwant %s", got, want)
	}
}

// TestTapCallAck: an emit with an ack shows its timeout as the code wrote it, in both languages.
func TestTapCallAck(t *testing.T) {
	tests := []struct {
		name       string
		ev         socketio.TapEvent
		js, goCall string
	}{
		{"timeout in seconds", socketio.TapEvent{Nsp: "/", Event: "rate", AckID: 1, Timed: true, Timeout: 5 * time.Second},
			`io.timeout(5000).emitWithAck("rate")`, `io.Timeout(5 * time.Second).EmitWithAck(ctx, "rate")`},
		{"timeout in ms, to a socket", socketio.TapEvent{Nsp: "/", Socket: "s1", Scope: "socket", Event: "rate", AckID: 2, Timed: true, Timeout: 1500 * time.Millisecond},
			`socket.timeout(1500).emitWithAck("rate")`, `s.Timeout(1500 * time.Millisecond).EmitWithAck(ctx, "rate")`},
		{"no timeout", socketio.TapEvent{Nsp: "/", Event: "rate", AckID: 3},
			`io.emitWithAck("rate")`, `io.EmitWithAck(ctx, "rate")`},
		{"no ack", socketio.TapEvent{Nsp: "/", Event: "rate", AckID: -1, Args: []json.RawMessage{json.RawMessage(`"io.to([lobby, staff]): Grace, in both, gets it once"`)}},
			`io.emit("rate", "io.to([lobby, staff]): Grace, in both…")`, `io.Emit("rate", "io.to([lobby, staff]): Grace, in both…")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if js, goCall := tapCall(tt.ev); js != tt.js || goCall != tt.goCall {
				t.Errorf("tapCall = %s / %s\nwant %s / %s", js, goCall, tt.js, tt.goCall)
			}
		})
	}
}

// TestStepCalls: the create response has the call of every script step and of the predicted
// step, on the namespace of the step's client; steps that do not emit have none.
func TestStepCalls(t *testing.T) {
	_, srv := newTestRegistry(t, Options{})
	config := `{"rooms":["r1","r2"],"namespaces":["/orders"],"clients":["A",{"name":"B","namespace":"/orders"}],
		"script":[{"client":"A","join":"r1"},{"client":"A","emit":"news","args":["hi",{"n":1}],"scope":"room","to":["r1","r2"]},
			{"client":"B","emit":"x","scope":"all"},{"client":"A","emit":"y","scope":"except","room":"r1"}],
		"predict":{"client":"A","emit":"z","args":[1],"scope":"socket-room","room":"r2","question":"?"}}`
	resp, err := http.Post(srv.URL+"/play/rooms", "application/json", strings.NewReader(config))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	type call struct{ JS, Go string }
	var got struct {
		Steps   []call
		Predict call
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	want := []call{
		{},
		{`io.to(["r1", "r2"]).emit("news", "hi", {"n":1})`, `io.To("r1", "r2").Emit("news", "hi", {"n":1})`},
		{`io.of("/orders").emit("x")`, `io.Of("/orders").Emit("x")`},
		{`io.except("r1").emit("y")`, `io.Except("r1").Emit("y")`},
	}
	if !slices.Equal(got.Steps, want) {
		t.Errorf("steps = %q\nwant %q", got.Steps, want)
	}
	if w := (call{`socket.to("r2").emit("z", 1)`, `s.To("r2").Emit("z", 1)`}); got.Predict != w {
		t.Errorf("predict = %q, want %q", got.Predict, w)
	}
}
