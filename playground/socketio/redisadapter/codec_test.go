package redisadapter

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"socketlab/playground/socketio"
)

// vector is one message the npm adapter published (node/redis/capture.js).
type vector struct {
	Step    string `json:"step"`
	Channel string `json:"channel"`
	Hex     string `json:"hex"`
}

func loadVectors(t *testing.T) map[string][]vector {
	t.Helper()
	b, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var list []vector
	if err := json.Unmarshal(b, &list); err != nil {
		t.Fatal(err)
	}
	out := map[string][]vector{}
	for _, v := range list {
		out[v.Step] = append(out[v.Step], v)
	}
	return out
}

func (v vector) bytes(t *testing.T) []byte {
	t.Helper()
	b, err := hex.DecodeString(v.Hex)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// adapterFor is an adapter's channel names without Redis.
func adapterFor(key, nsp, uid string) *nsAdapter {
	a := &nsAdapter{uid: uid}
	a.channel = key + "#" + nsp + "#"
	a.requestChannel = key + "-request#" + nsp + "#"
	a.responseChannel = key + "-response#" + nsp + "#"
	return a
}

// TestBroadcastVectors decodes each broadcast the npm adapter published, checks what it means,
// and encodes the same broadcast again: the bytes and the channel must be the npm adapter's.
func TestBroadcastVectors(t *testing.T) {
	vecs := loadVectors(t)
	tests := []struct {
		step, key, nsp string
		json           string
		atts           []string
		opts           socketio.BroadcastOptions
	}{
		{"emit", "socket.io", "/", `["ev","hi",1,-2,1.5,300,70000,-200,{"a":1,"b":[true,null,false]}]`, nil, socketio.BroadcastOptions{}},
		{"emit-room", "socket.io", "/", `["ev","x"]`, nil, socketio.BroadcastOptions{Rooms: []string{"room1"}}},
		{"emit-rooms-except", "socket.io", "/", `["ev"]`, nil, socketio.BroadcastOptions{Rooms: []string{"r1", "r2"}, Except: []string{"r3"}}},
		{"emit-volatile", "socket.io", "/", `["ev"]`, nil, socketio.BroadcastOptions{Flags: socketio.BroadcastFlags{Volatile: true}}},
		{"emit-nsp", "socket.io", "/chat", `["ev","y"]`, nil, socketio.BroadcastOptions{}},
		{"emit-binary", "socket.io", "/", `["bin",{"_placeholder":true,"num":0},{"f":{"_placeholder":true,"num":1}}]`, []string{"\x01\x02\x03", "\x04"}, socketio.BroadcastOptions{}},
		{"emit-long", "socket.io", "/", `["ev","` + repeat("é", 40) + `","` + repeat("x", 300) + `"]`, nil, socketio.BroadcastOptions{}},
		{"emit-prefix", "lab", "/", `["ev","p"]`, nil, socketio.BroadcastOptions{Rooms: []string{"room1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.step, func(t *testing.T) {
			vs := vecs[tt.step]
			if len(vs) != 1 {
				t.Fatalf("%d vectors for %s, want 1", len(vs), tt.step)
			}
			raw := vs[0].bytes(t)
			in, err := decodeBroadcast(raw)
			if err != nil {
				t.Fatal(err)
			}
			if in.nsp != tt.nsp || string(in.ev.JSON) != tt.json {
				t.Errorf("decoded nsp %q data %s, want %q %s", in.nsp, in.ev.JSON, tt.nsp, tt.json)
			}
			var atts []string
			for _, a := range in.ev.Attachments {
				atts = append(atts, string(a))
			}
			if diff := cmp.Diff(tt.atts, atts); diff != "" {
				t.Errorf("attachments (-want +got):\n%s", diff)
			}
			wantOpts := tt.opts
			if wantOpts.Rooms == nil {
				wantOpts.Rooms = []string{}
			}
			if wantOpts.Except == nil {
				wantOpts.Except = []string{}
			}
			if diff := cmp.Diff(wantOpts, in.opts); diff != "" {
				t.Errorf("opts (-want +got):\n%s", diff)
			}
			ev := socketio.EventData{JSON: json.RawMessage(tt.json)}
			for _, a := range tt.atts {
				ev.Attachments = append(ev.Attachments, []byte(a))
			}
			got, err := encodeBroadcast(in.uid, tt.nsp, ev, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, raw) {
				t.Errorf("encoded\n%x\nwant\n%x", got, raw)
			}
			if ch := adapterFor(tt.key, tt.nsp, in.uid).broadcastChannel(tt.opts); ch != vs[0].Channel {
				t.Errorf("channel %q, want %q", ch, vs[0].Channel)
			}
		})
	}
}

func repeat(s string, n int) string { return string(bytes.Repeat([]byte(s), n)) }

// TestRequestVectors re-encodes each request and response the npm adapter published.
func TestRequestVectors(t *testing.T) {
	vecs := loadVectors(t)
	get := func(t *testing.T, step string, i int) (request, vector) {
		t.Helper()
		vs := vecs[step]
		if len(vs) <= i {
			t.Fatalf("%d vectors for %s", len(vs), step)
		}
		r, err := decodeMessage(vs[i].bytes(t))
		if err != nil {
			t.Fatal(err)
		}
		return r, vs[i]
	}
	check := func(t *testing.T, v vector, channel string, got []byte, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		if v.Channel != channel {
			t.Errorf("channel %q, want %q", channel, v.Channel)
		}
		if want := v.bytes(t); !bytes.Equal(got, want) {
			t.Errorf("encoded\n%q\nwant\n%q", got, want)
		}
	}
	js := func(v any) ([]byte, error) { return marshal(v) }

	t.Run("emitWithAck", func(t *testing.T) {
		req, v := get(t, "emit-ack", 0)
		if req.Type != typeBroadcast || req.Broadcast == nil || string(req.Broadcast.ev.JSON) != `["q",1]` || req.Broadcast.opts.Flags.Timeout != time.Second {
			t.Fatalf("decoded %+v", req)
		}
		a := adapterFor("socket.io", "/", req.UID)
		got, err := encodeBroadcastRequest(req.UID, req.RequestID, "/", socketio.EventData{JSON: json.RawMessage(`["q",1]`)},
			socketio.BroadcastOptions{Flags: socketio.BroadcastFlags{Timeout: time.Second}})
		check(t, v, a.requestChannel, got, err)

		count, v := get(t, "emit-ack", 1)
		if count.Type != typeBroadcastClientCount || count.ClientCount != 1 || count.RequestID != req.RequestID {
			t.Errorf("client count %+v", count)
		}
		got, err = js(clientCountResponse{Type: typeBroadcastClientCount, RequestID: req.RequestID, ClientCount: 1})
		check(t, v, a.responseChannel, got, err)

		ack, v := get(t, "emit-ack", 2)
		if ack.Type != typeBroadcastAck || string(ack.Packet) != `"pong"` {
			t.Errorf("ack %+v", ack)
		}
		got, err = encodeBroadcastAck(req.RequestID, json.RawMessage(`"pong"`))
		check(t, v, a.responseChannel, got, err)
	})
	t.Run("fetchSockets", func(t *testing.T) {
		req, v := get(t, "fetch", 0)
		a := adapterFor("socket.io", "/", req.UID)
		got, err := js(fetchRequest{UID: req.UID, RequestID: req.RequestID, Type: typeRemoteFetch, Opts: wireOpts{Rooms: []string{"room1"}, Except: []string{}}})
		check(t, v, a.requestChannel, got, err)

		res, v := get(t, "fetch", 1)
		var socks []socketio.RemoteSocket
		for _, raw := range res.Sockets {
			var s socketio.RemoteSocket
			if err := json.Unmarshal(raw, &s); err != nil {
				t.Fatal(err)
			}
			socks = append(socks, s)
		}
		if len(socks) != 1 || string(socks[0].Data) != `{"name":"bob"}` || !cmp.Equal(socks[0].Rooms, []string{socks[0].ID, "room1"}) {
			t.Fatalf("sockets %+v", socks)
		}
		var hs struct {
			Auth  map[string]string `json:"auth"`
			Query map[string]string `json:"query"`
		}
		if err := json.Unmarshal(socks[0].Handshake, &hs); err != nil || hs.Auth["token"] != "t" || hs.Query["EIO"] != "4" {
			t.Errorf("handshake %s: %v", socks[0].Handshake, err)
		}
		got, err = js(fetchResponse{RequestID: req.RequestID, Sockets: socks})
		check(t, v, a.responseChannel, got, err)
	})
	simple := []struct {
		step  string
		build func(r request) any
	}{
		{"join", func(r request) any {
			return roomsRequest{UID: r.UID, Type: typeRemoteJoin, Opts: wireOpts{Rooms: []string{"room1"}, Except: []string{}}, Rooms: []string{"r9"}}
		}},
		{"leave", func(r request) any {
			return roomsRequest{UID: r.UID, Type: typeRemoteLeave, Opts: wireOpts{Rooms: []string{"room1"}, Except: []string{"r8"}}, Rooms: []string{"r9"}}
		}},
		{"disconnect", func(r request) any {
			return disconnectRequest{UID: r.UID, Type: typeRemoteDisconnect, Opts: wireOpts{Rooms: []string{"room1"}, Except: []string{}}, Close: true}
		}},
		{"server-side-emit", func(r request) any {
			return serverSideRequest{UID: r.UID, Type: typeServerSideEmit, Data: json.RawMessage(`["hello","world"]`)}
		}},
		{"server-side-emit-ack", func(r request) any {
			return serverSideRequest{UID: r.UID, RequestID: r.RequestID, Type: typeServerSideEmit, Data: json.RawMessage(`["ping",1]`)}
		}},
		{"all-rooms", func(r request) any { return allRoomsRequest{UID: r.UID, RequestID: r.RequestID, Type: typeAllRooms} }},
	}
	for _, tt := range simple {
		t.Run(tt.step, func(t *testing.T) {
			req, v := get(t, tt.step, 0)
			got, err := js(tt.build(req))
			check(t, v, adapterFor("socket.io", "/", req.UID).requestChannel, got, err)
		})
	}
	t.Run("server-side-emit-ack response", func(t *testing.T) {
		req, _ := get(t, "server-side-emit-ack", 0)
		res, v := get(t, "server-side-emit-ack", 1)
		if string(res.Data) != `"pong-1"` {
			t.Errorf("reply %s", res.Data)
		}
		got, err := js(serverSideResponse{Type: typeServerSideEmit, RequestID: req.RequestID, Data: res.Data})
		check(t, v, "socket.io-response#/#", got, err)
	})
	t.Run("all-rooms response", func(t *testing.T) {
		req, _ := get(t, "all-rooms", 0)
		res, v := get(t, "all-rooms", 1)
		if len(res.Rooms) != 2 || res.Rooms[1] != "room1" {
			t.Errorf("rooms %q", res.Rooms)
		}
		got, err := js(allRoomsResponse{RequestID: req.RequestID, Rooms: res.Rooms})
		check(t, v, "socket.io-response#/#", got, err)
	})
}

// TestCodecRejects: malformed messages are errors, never panics.
func TestCodecRejects(t *testing.T) {
	for _, tt := range []struct {
		name string
		msg  []byte
	}{
		{"empty", nil},
		{"not an array", []byte{0x81, 0xa1, 'a', 0x01}},
		{"two elements", []byte{0x92, 0xa1, 'u', 0x80}},
		{"truncated", []byte{0x93, 0xa6, 'Z'}},
		{"packet data not an array", []byte{0x93, 0xa1, 'u', 0x82, 0xa4, 't', 'y', 'p', 'e', 0x02, 0xa4, 'd', 'a', 't', 'a', 0x01, 0x80}},
		{"packet not an event", []byte{0x93, 0xa1, 'u', 0x82, 0xa4, 't', 'y', 'p', 'e', 0x03, 0xa4, 'd', 'a', 't', 'a', 0x90, 0x80}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := decodeBroadcast(tt.msg); err == nil {
				t.Error("accepted")
			}
		})
	}
	if _, err := decodeMessage([]byte(`{"type":`)); err == nil {
		t.Error("truncated JSON request accepted")
	}
	if _, err := encodeBroadcast("u", "/", socketio.EventData{JSON: json.RawMessage(`["a",{"_placeholder":true,"num":1}]`), Attachments: [][]byte{{1}}}, socketio.BroadcastOptions{}); err == nil {
		t.Error("placeholder out of range accepted")
	}
}

// FuzzDecodeBroadcast: whatever arrives on a channel, decoding returns, and what it accepts the
// namespace can take (an array whose placeholders match the attachments).
func FuzzDecodeBroadcast(f *testing.F) {
	b, _ := os.ReadFile("testdata/vectors.json")
	var list []vector
	_ = json.Unmarshal(b, &list)
	for _, v := range list {
		raw, _ := hex.DecodeString(v.Hex)
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		in, err := decodeBroadcast(msg)
		if err != nil {
			return
		}
		if !json.Valid(in.ev.JSON) {
			t.Fatalf("invalid JSON %q", in.ev.JSON)
		}
		_, _ = decodeMessage(msg)
	})
}
