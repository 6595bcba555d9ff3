package redisadapter

import (
	"encoding/json"
	"fmt"
	"strings"
)

// requestTypeNames are the adapter's RequestType enum names, by number.
var requestTypeNames = []string{
	typeSockets: "SOCKETS", typeAllRooms: "ALL_ROOMS", typeRemoteJoin: "REMOTE_JOIN",
	typeRemoteLeave: "REMOTE_LEAVE", typeRemoteDisconnect: "REMOTE_DISCONNECT",
	typeRemoteFetch: "REMOTE_FETCH", typeServerSideEmit: "SERVER_SIDE_EMIT",
	typeBroadcast: "BROADCAST", typeBroadcastClientCount: "BROADCAST_CLIENT_COUNT",
	typeBroadcastAck: "BROADCAST_ACK",
}

// Seen is what a broker monitor can tell of one message published under a key: which of the
// adapter's channels it went to and what it carries.
type Seen struct {
	// Channel is "broadcast" (<key>#<nsp>#), "room" (<key>#<nsp>#<room>#), "request"
	// (<key>-request#<nsp>#) or "response" (<key>-response#<nsp>#, with the asking server's uid
	// when it is for one server only).
	Channel string
	Nsp     string
	Room    string // the room of a "room" channel
	// Type is a request's or response's RequestType name (REMOTE_FETCH, SERVER_SIDE_EMIT...).
	Type string
	// Event is a broadcast's event name; Rooms and Except its targets.
	Event         string
	Rooms, Except []string
}

// Describe reads a message published on channel by an adapter using key: what a PSUBSCRIBE
// monitor on the broker shows. It returns an error for a channel outside key's or a payload
// that is not the adapter's.
func Describe(key, channel string, payload []byte) (Seen, error) {
	rest, ok := strings.CutPrefix(channel, key)
	if !ok {
		return Seen{}, fmt.Errorf("channel %q is not under key %q", channel, key)
	}
	var s Seen
	switch {
	case strings.HasPrefix(rest, "-request#"):
		s.Channel, rest = "request", strings.TrimPrefix(rest, "-request#")
	case strings.HasPrefix(rest, "-response#"):
		s.Channel, rest = "response", strings.TrimPrefix(rest, "-response#")
	case strings.HasPrefix(rest, "#"):
		s.Channel, rest = "broadcast", strings.TrimPrefix(rest, "#")
	default:
		return Seen{}, fmt.Errorf("channel %q is not an adapter channel", channel)
	}
	nsp, room, _ := strings.Cut(rest, "#")
	s.Nsp = nsp
	if s.Channel == "broadcast" {
		if room = strings.TrimSuffix(room, "#"); room != "" {
			s.Channel, s.Room = "room", room
		}
		in, err := decodeBroadcast(payload)
		if err != nil {
			return s, err
		}
		var data []json.RawMessage
		if json.Unmarshal(in.ev.JSON, &data) == nil && len(data) > 0 {
			json.Unmarshal(data[0], &s.Event)
		}
		s.Rooms, s.Except = in.opts.Rooms, in.opts.Except
		return s, nil
	}
	r, err := decodeMessage(payload)
	if err != nil {
		return s, err
	}
	if len(payload) > 0 && payload[0] == '{' {
		// A JSON response to SOCKETS, ALL_ROOMS or REMOTE_FETCH has no type, only the answer.
		var fields map[string]json.RawMessage
		json.Unmarshal(payload, &fields)
		if _, typed := fields["type"]; !typed {
			r.Type = -1
		}
	}
	if r.Type >= 0 && r.Type < len(requestTypeNames) {
		s.Type = requestTypeNames[r.Type]
	}
	return s, nil
}
