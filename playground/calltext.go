package playground

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"socketlab/playground/socketio"
)

// The exact server call behind an emit, in JavaScript (socket.io v4) and in Go (this hub), built
// here only: the send handler's emits and every other event_out reach the clients with it on the
// tap, the demo's create response has the calls of its script, and the classroom uses CallText.

// Scopes are the emit scopes a step or the composer can use, each one a Socket.IO server call.
var Scopes = map[string]string{
	"self":        `socket.emit(event, ...args)`,
	"all":         `io.emit(event, ...args)`,
	"broadcast":   `socket.broadcast.emit(event, ...args)`,
	"room":        `io.to(room).emit(event, ...args)`,
	"socket-room": `socket.to(room).emit(event, ...args)`,
	"except":      `io.except(room).emit(event, ...args)`,
}

// scopesGo are the Scopes as calls on this hub.
var scopesGo = map[string]string{
	"self":        `s.Emit(event, args...)`,
	"all":         `io.Emit(event, args...)`,
	"broadcast":   `s.Broadcast().Emit(event, args...)`,
	"room":        `io.To(room).Emit(event, args...)`,
	"socket-room": `s.To(room).Emit(event, args...)`,
	"except":      `io.Except(room).Emit(event, args...)`,
}

// CallText is the server call that emits event with a scope (one of Scopes) on namespace nsp, in
// JavaScript and in Go; the arguments are shown as "…". rooms are the targets of the scopes room
// and socket-room (several print as an array in JavaScript, as arguments in Go); except are
// the excluded rooms.
func CallText(nsp, scope, event string, rooms, except []string) (js, goCall string) {
	return scopeCall(nsp, scope, event, "…", rooms, except).text()
}

// scopeCall is the emit a scope makes; rooms count for the scopes room and socket-room only.
func scopeCall(nsp, scope, event, args string, rooms, except []string) call {
	c := call{nsp: nsp, event: event, args: args, rooms: rooms, except: except}
	switch scope {
	case "self", "":
		c.self = true
	case "broadcast", "socket-room":
		c.socket = true
	}
	if scope != "room" && scope != "socket-room" {
		c.rooms = nil
	}
	return c
}

// call is one emit to print.
type call struct {
	nsp, event, args string
	self, socket     bool // socket.emit; socket.broadcast / socket.to
	rooms, except    []string
	ack              bool // emitWithAck
	timed            bool // with .timeout(timeout) first
	timeout          time.Duration
}

func (c call) text() (js, goCall string) {
	ev, _ := json.Marshal(c.event)
	a := string(ev)
	if c.args != "" {
		a += ", " + c.args
	}
	switch {
	case c.self || c.socket:
		js, goCall = "socket", "s"
	case c.nsp == "/" || c.nsp == "":
		js, goCall = "io", "io"
	default:
		js, goCall = fmt.Sprintf("io.of(%s)", quote(c.nsp)), fmt.Sprintf("io.Of(%s)", quote(c.nsp))
	}
	if c.socket && len(c.rooms) == 0 {
		js, goCall = js+".broadcast", goCall+".Broadcast()"
	}
	if len(c.rooms) > 0 {
		q := quoteAll(c.rooms)
		if len(q) == 1 {
			js += ".to(" + q[0] + ")"
		} else {
			js += ".to([" + strings.Join(q, ", ") + "])"
		}
		goCall += ".To(" + strings.Join(q, ", ") + ")"
	}
	if len(c.except) > 0 {
		q := strings.Join(quoteAll(c.except), ", ")
		js += ".except(" + q + ")"
		goCall += ".Except(" + q + ")"
	}
	if c.timed {
		js += fmt.Sprintf(".timeout(%d)", c.timeout.Milliseconds())
		goCall += ".Timeout(" + goDuration(c.timeout) + ")"
	}
	if c.ack {
		return js + ".emitWithAck(" + a + ")", goCall + ".EmitWithAck(ctx, " + a + ")"
	}
	return js + ".emit(" + a + ")", goCall + ".Emit(" + a + ")"
}

// tapCall is the call behind a tap event_out: socket.emit for one socket; socket.broadcast or
// socket.to when a socket emitted leaving itself out; io or io.of(nsp) otherwise.
func tapCall(ev socketio.TapEvent) (js, goCall string) {
	c := call{nsp: ev.Nsp, event: ev.Event, args: argsText(ev.Args), rooms: ev.Rooms, ack: ev.AckID >= 0, timed: ev.Timed, timeout: ev.Timeout}
	if ev.ArgsPreview != "" {
		c.args = "/* " + sizeText(ev.ArgsSize) + " of arguments */" // the tap kept a preview only
	}
	switch {
	case ev.Scope == "socket":
		c.self, c.rooms = true, nil
	case ev.Socket != "" && slices.Contains(ev.Except, ev.Socket):
		c.socket = true
	}
	for _, r := range ev.Except {
		if r != ev.Socket {
			c.except = append(c.except, r)
		}
	}
	return c.text()
}

// compactJSON is v as JSON with sorted keys and <, >, & as they are.
func compactJSON(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(v) // v came from json.Unmarshal, or is a string: it encodes
	return strings.TrimSuffix(b.String(), "\n")
}

// goDuration prints d as a Go expression: 5 * time.Second, 250 * time.Millisecond.
func goDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0"
	case d%time.Second == 0:
		return fmt.Sprintf("%d * time.Second", d/time.Second)
	default:
		return fmt.Sprintf("%d * time.Millisecond", d.Milliseconds())
	}
}

// maxArgText is how much of each argument a call shows.
const maxArgText = 40

// argsText prints the arguments of a call, each as compact JSON with sorted keys, cut at
// maxArgText characters.
func argsText(args []json.RawMessage) string {
	parts := make([]string, 0, len(args))
	for _, raw := range args {
		var v any
		s := string(raw)
		if json.Unmarshal(raw, &v) == nil {
			s = compactJSON(v)
		}
		if utf8.RuneCountInString(s) > maxArgText {
			if str, ok := v.(string); ok {
				// Cut inside the quotes: the string still reads as one ("Grace, in b…").
				s = compactJSON(string([]rune(str)[:maxArgText-3]) + "…")
			} else {
				s = string([]rune(s)[:maxArgText-1]) + "…"
			}
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }

func quoteAll(list []string) []string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = quote(s)
	}
	return q
}

// stepCall is the call a script or predict step makes on its client's namespace (the step list
// and the predict question show it).
func stepCall(cfg *DemoConfig, s Step) (js, goCall string) {
	nsp := "/"
	for _, c := range cfg.Clients {
		if c.Name == s.Client && c.Namespace != "" {
			nsp = c.Namespace
		}
	}
	except := roomsOf(nil, s.Except)
	if s.Scope == "except" && len(except) == 0 {
		except = roomsOf(nil, s.Room)
	}
	return scopeCall(nsp, s.Scope, s.Emit, argsText(s.Args), s.targets(), except).text()
}

// StepCall is the Socket.IO server call a script step makes, as JavaScript
// (`socket.to("lobby").emit("news", "hi")`): what an exported course shows in
// place of the live demo.
func StepCall(cfg *DemoConfig, s Step) string {
	js, _ := stepCall(cfg, s)
	return js
}
