package redisadapter

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// Describe reads the messages the npm adapter published (testdata/vectors.json) as a broker
// monitor shows them.
func TestDescribe(t *testing.T) {
	b, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vectors []struct{ Step, Channel, Hex string }
	if err := json.Unmarshal(b, &vectors); err != nil {
		t.Fatal(err)
	}
	want := map[string]Seen{
		"emit":                          {Channel: "broadcast", Nsp: "/", Event: "ev"},
		"emit-room":                     {Channel: "room", Nsp: "/", Room: "room1", Event: "ev", Rooms: []string{"room1"}},
		"emit-rooms-except":             {Channel: "broadcast", Nsp: "/", Event: "ev", Rooms: []string{"r1", "r2"}, Except: []string{"r3"}},
		"emit-nsp":                      {Channel: "broadcast", Nsp: "/chat", Event: "ev"},
		"fetch":                         {Channel: "request", Nsp: "/", Type: "REMOTE_FETCH"},
		"join":                          {Channel: "request", Nsp: "/", Type: "REMOTE_JOIN"},
		"server-side-emit":              {Channel: "request", Nsp: "/", Type: "SERVER_SIDE_EMIT"},
		"all-rooms":                     {Channel: "request", Nsp: "/", Type: "ALL_ROOMS"},
		"disconnect":                    {Channel: "request", Nsp: "/", Type: "REMOTE_DISCONNECT"},
		"server-side-emit-ack":          {Channel: "request", Nsp: "/", Type: "SERVER_SIDE_EMIT"},
		"response/fetch":                {Channel: "response", Nsp: "/"},
		"response/all-rooms":            {Channel: "response", Nsp: "/"},
		"response/server-side-emit-ack": {Channel: "response", Nsp: "/", Type: "SERVER_SIDE_EMIT"},
	}
	seen := 0
	for _, v := range vectors {
		key := v.Step
		if v.Channel == "socket.io-response#/#" {
			key = "response/" + v.Step
		}
		w, ok := want[key]
		if !ok {
			continue
		}
		payload, err := hex.DecodeString(v.Hex)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Describe("socket.io", v.Channel, payload)
		if err != nil {
			t.Errorf("%s: %v", key, err)
			continue
		}
		if d := cmp.Diff(w, got, cmpopts.EquateEmpty()); d != "" {
			t.Errorf("%s on %s (-want +got):\n%s", key, v.Channel, d)
		}
		seen++
	}
	if seen != len(want) {
		t.Errorf("checked %d vectors, want %d", seen, len(want))
	}
	for _, bad := range []struct{ key, channel, payload string }{
		{"socket.io", "other#/#", "x"},
		{"socket.io", "socket.io.x", "x"},
		{"socket.io", "socket.io#/#", "not msgpack"},
		{"socket.io", "socket.io-request#/#", "{not json"},
	} {
		if _, err := Describe(bad.key, bad.channel, []byte(bad.payload)); err == nil {
			t.Errorf("Describe(%q, %q) = nil error", bad.channel, bad.payload)
		}
	}
}
