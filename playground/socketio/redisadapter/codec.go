package redisadapter

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"

	"socketlab/playground/socketio"
)

// The wire format of @socket.io/redis-adapter 8.x (lib/index.ts), checked byte for byte against
// messages the npm adapter published (testdata/vectors.json, node/redis/capture.js):
//
//   - a broadcast is msgpack [uid, packet, opts] on `<key>#<nsp>#` (or `<key>#<nsp>#<room>#` when
//     it targets exactly one room); packet is {type: 2, data: [event, ...args], nsp}, binary
//     arguments as msgpack bin; opts is {rooms, except, flags}.
//   - requests go to `<key>-request#<nsp>#`, responses to `<key>-response#<nsp>#`: JSON objects,
//     except BROADCAST requests and BROADCAST_ACK responses, which are msgpack (they carry packets).
//
// msgpack is written as notepack.io writes it: the smallest integer format for integral numbers
// (JavaScript has no int/float distinction), float64 otherwise, object keys in order.

// Request types, numbered as the adapter's RequestType enum.
const (
	typeSockets              = 0
	typeAllRooms             = 1
	typeRemoteJoin           = 2
	typeRemoteLeave          = 3
	typeRemoteDisconnect     = 4
	typeRemoteFetch          = 5
	typeServerSideEmit       = 6
	typeBroadcast            = 7
	typeBroadcastClientCount = 8
	typeBroadcastAck         = 9
)

// packetTypeEvent is socket.io-parser's EVENT; binary arguments stay inside it (msgpack bin).
const packetTypeEvent = 2

// wireOpts is opts as the adapter publishes it.
type wireOpts struct {
	Rooms  []string `json:"rooms"`
	Except []string `json:"except"`
}

func toWireOpts(o socketio.BroadcastOptions) wireOpts {
	w := wireOpts{Rooms: o.Rooms, Except: dedupe(o.Except)}
	if w.Rooms == nil {
		w.Rooms = []string{}
	}
	return w
}

func (w wireOpts) options() socketio.BroadcastOptions {
	return socketio.BroadcastOptions{Rooms: w.Rooms, Except: w.Except}
}

// dedupe keeps the first of equal strings ([...new Set(except)]); never nil.
func dedupe(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		dup := false
		for _, o := range out {
			if o == s {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, s)
		}
	}
	return out
}

// encoder wraps a msgpack encoder writing into a buffer.
type encoder struct {
	buf bytes.Buffer
	enc *msgpack.Encoder
	err error
}

func newEncoder() *encoder {
	e := &encoder{}
	e.enc = msgpack.NewEncoder(&e.buf)
	return e
}

func (e *encoder) keep(err error) {
	if e.err == nil {
		e.err = err
	}
}

func (e *encoder) str(s string)   { e.keep(e.enc.EncodeString(s)) }
func (e *encoder) mapLen(n int)   { e.keep(e.enc.EncodeMapLen(n)) }
func (e *encoder) arrayLen(n int) { e.keep(e.enc.EncodeArrayLen(n)) }
func (e *encoder) int(n int64)    { e.keep(e.enc.EncodeInt(n)) }

func (e *encoder) bin(b []byte) {
	e.keep(e.enc.EncodeBytesLen(len(b)))
	e.buf.Write(b)
}

func (e *encoder) strings(list []string) {
	e.arrayLen(len(list))
	for _, s := range list {
		e.str(s)
	}
}

// number writes a JSON number as JavaScript's notepack would: integral values in the smallest
// integer format, the rest as float64.
func (e *encoder) number(text string) {
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		e.int(n)
		return
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		e.keep(fmt.Errorf("number %q: %w", text, err))
		return
	}
	if f == math.Trunc(f) && f >= -(1<<63) && f < 1<<63 {
		e.int(int64(f))
		return
	}
	e.keep(e.enc.EncodeFloat64(f))
}

func (e *encoder) opts(o socketio.BroadcastOptions) {
	w := toWireOpts(o)
	e.mapLen(3)
	e.str("rooms")
	e.strings(w.Rooms)
	e.str("except")
	e.strings(w.Except)
	e.str("flags")
	n := 0
	if o.Flags.Volatile {
		n++
	}
	if o.Flags.Timeout > 0 {
		n++
	}
	e.mapLen(n)
	if o.Flags.Volatile {
		e.str("volatile")
		e.keep(e.enc.EncodeBool(true))
	}
	if o.Flags.Timeout > 0 {
		e.str("timeout")
		e.int(o.Flags.Timeout.Milliseconds())
	}
}

// packet writes {type: 2, data: [...], nsp}.
func (e *encoder) packet(nsp string, ev socketio.EventData) {
	e.mapLen(3)
	e.str("type")
	e.int(packetTypeEvent)
	e.str("data")
	e.keep(jsonToMsgpack(e, ev.JSON, ev.Attachments))
	e.str("nsp")
	e.str(nsp)
}

// encodeBroadcast is a broadcast message: [uid, packet, opts].
func encodeBroadcast(uid, nsp string, ev socketio.EventData, opts socketio.BroadcastOptions) ([]byte, error) {
	e := newEncoder()
	e.arrayLen(3)
	e.str(uid)
	e.packet(nsp, ev)
	e.opts(opts)
	return e.buf.Bytes(), e.err
}

// encodeBroadcastRequest is a BROADCAST request (a broadcast asking for acks).
func encodeBroadcastRequest(uid, requestID, nsp string, ev socketio.EventData, opts socketio.BroadcastOptions) ([]byte, error) {
	e := newEncoder()
	e.mapLen(5)
	e.str("uid")
	e.str(uid)
	e.str("requestId")
	e.str(requestID)
	e.str("type")
	e.int(typeBroadcast)
	e.str("packet")
	e.packet(nsp, ev)
	e.str("opts")
	e.opts(opts)
	return e.buf.Bytes(), e.err
}

// encodeBroadcastAck is a BROADCAST_ACK response carrying one client's reply.
func encodeBroadcastAck(requestID string, reply json.RawMessage) ([]byte, error) {
	e := newEncoder()
	e.mapLen(3)
	e.str("type")
	e.int(typeBroadcastAck)
	e.str("requestId")
	e.str(requestID)
	e.str("packet")
	e.keep(jsonToMsgpack(e, reply, nil))
	return e.buf.Bytes(), e.err
}

// jsonToMsgpack writes one JSON value in order; placeholders become the attachments' bytes.
func jsonToMsgpack(e *encoder, doc []byte, atts [][]byte) error {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	v, err := readValue(dec)
	if err != nil {
		return fmt.Errorf("event data: %w", err)
	}
	if dec.More() {
		return errors.New("event data: trailing data")
	}
	return writeValue(e, v, atts)
}

// jvalue is a JSON value with object keys in order.
type jvalue struct {
	tok  json.Token // scalar: string, json.Number, bool, nil
	arr  []jvalue
	keys []string
	vals []jvalue
	kind byte // 's' scalar, '[' array, '{' object
}

func readValue(dec *json.Decoder) (jvalue, error) {
	tok, err := dec.Token()
	if err != nil {
		return jvalue{}, err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return jvalue{kind: 's', tok: tok}, nil
	}
	switch d {
	case '[':
		v := jvalue{kind: '['}
		for dec.More() {
			el, err := readValue(dec)
			if err != nil {
				return v, err
			}
			v.arr = append(v.arr, el)
		}
		_, err = dec.Token()
		return v, err
	case '{':
		v := jvalue{kind: '{'}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return v, err
			}
			el, err := readValue(dec)
			if err != nil {
				return v, err
			}
			v.keys = append(v.keys, kt.(string))
			v.vals = append(v.vals, el)
		}
		_, err = dec.Token()
		return v, err
	}
	return jvalue{}, fmt.Errorf("unexpected %v", d)
}

// placeholder returns the attachment index of {"_placeholder":true,"num":N}.
func (v jvalue) placeholder() (int, bool) {
	if v.kind != '{' || len(v.keys) != 2 {
		return 0, false
	}
	isPh, num := false, -1
	for i, k := range v.keys {
		switch k {
		case "_placeholder":
			isPh = v.vals[i].kind == 's' && v.vals[i].tok == true
		case "num":
			if n, ok := v.vals[i].tok.(json.Number); ok {
				if x, err := n.Int64(); err == nil && x >= 0 {
					num = int(x)
				}
			}
		}
	}
	return num, isPh && num >= 0
}

func writeValue(e *encoder, v jvalue, atts [][]byte) error {
	switch v.kind {
	case '[':
		e.arrayLen(len(v.arr))
		for _, el := range v.arr {
			if err := writeValue(e, el, atts); err != nil {
				return err
			}
		}
	case '{':
		if n, ok := v.placeholder(); ok && atts != nil {
			if n >= len(atts) {
				return fmt.Errorf("placeholder %d for %d attachments", n, len(atts))
			}
			b := atts[n]
			if b == nil {
				b = []byte{}
			}
			e.bin(b)
			return nil
		}
		e.mapLen(len(v.keys))
		for i, k := range v.keys {
			e.str(k)
			if err := writeValue(e, v.vals[i], atts); err != nil {
				return err
			}
		}
	default:
		switch t := v.tok.(type) {
		case nil:
			e.keep(e.enc.EncodeNil())
		case bool:
			e.keep(e.enc.EncodeBool(t))
		case string:
			e.str(t)
		case json.Number:
			e.number(string(t))
		}
	}
	return e.err
}

// decoder reads msgpack written by notepack.io.
type decoder struct {
	dec  *msgpack.Decoder
	atts [][]byte
}

func newDecoder(msg []byte) *decoder {
	return &decoder{dec: msgpack.NewDecoder(bytes.NewReader(msg))}
}

// toJSON converts one msgpack value to JSON; bin values become placeholders and attachments.
func (d *decoder) toJSON(out *bytes.Buffer, depth int) error {
	if depth > 64 {
		return errors.New("nested too deeply")
	}
	c, err := d.dec.PeekCode()
	if err != nil {
		return err
	}
	switch {
	case msgpcode.IsFixedMap(c) || c == msgpcode.Map16 || c == msgpcode.Map32:
		n, err := d.dec.DecodeMapLen()
		if err != nil {
			return err
		}
		out.WriteByte('{')
		for i := 0; i < n; i++ {
			if i > 0 {
				out.WriteByte(',')
			}
			k, err := d.dec.DecodeInterfaceLoose()
			if err != nil {
				return err
			}
			writeJSONString(out, fmt.Sprint(k))
			out.WriteByte(':')
			if err := d.toJSON(out, depth+1); err != nil {
				return err
			}
		}
		out.WriteByte('}')
	case msgpcode.IsFixedArray(c) || c == msgpcode.Array16 || c == msgpcode.Array32:
		n, err := d.dec.DecodeArrayLen()
		if err != nil {
			return err
		}
		out.WriteByte('[')
		for i := 0; i < n; i++ {
			if i > 0 {
				out.WriteByte(',')
			}
			if err := d.toJSON(out, depth+1); err != nil {
				return err
			}
		}
		out.WriteByte(']')
	case c == msgpcode.Bin8 || c == msgpcode.Bin16 || c == msgpcode.Bin32:
		b, err := d.dec.DecodeBytes()
		if err != nil {
			return err
		}
		fmt.Fprintf(out, `{"_placeholder":true,"num":%d}`, len(d.atts))
		d.atts = append(d.atts, b)
	case msgpcode.IsString(c):
		s, err := d.dec.DecodeString()
		if err != nil {
			return err
		}
		writeJSONString(out, s)
	case c == msgpcode.Float || c == msgpcode.Double:
		f, err := d.dec.DecodeFloat64()
		if err != nil {
			return err
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			out.WriteString("null") // JSON.stringify
			return nil
		}
		b, _ := json.Marshal(f) // ES6 number formatting
		out.Write(b)
	default:
		v, err := d.dec.DecodeInterfaceLoose()
		if err != nil {
			return err
		}
		switch t := v.(type) {
		case time.Time:
			writeJSONString(out, t.UTC().Format("2006-01-02T15:04:05.000Z"))
		case nil, bool, int64, uint64:
			b, _ := json.Marshal(t)
			out.Write(b)
		default:
			out.WriteString("null") // extensions JSON cannot carry
		}
	}
	return nil
}

func writeJSONString(out *bytes.Buffer, s string) {
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	out.Truncate(out.Len() - 1) // Encode's newline
}

// inbound is a decoded broadcast or BROADCAST request.
type inbound struct {
	uid       string
	requestID string
	nsp       string
	ev        socketio.EventData
	opts      socketio.BroadcastOptions
}

func (d *decoder) string() (string, error) { return d.dec.DecodeString() }

func (d *decoder) stringList() ([]string, error) {
	n, err := d.dec.DecodeArrayLen()
	if err != nil || n < 0 {
		return nil, err
	}
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		v, err := d.dec.DecodeInterfaceLoose()
		if err != nil {
			return nil, err
		}
		out = append(out, fmt.Sprint(v)) // a number room (JavaScript allows it) as its text
	}
	return out, nil
}

// mapEach calls fn for each key of a msgpack map; fn must consume the value.
func (d *decoder) mapEach(fn func(key string) error) error {
	n, err := d.dec.DecodeMapLen()
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		k, err := d.dec.DecodeString()
		if err != nil {
			return err
		}
		if err := fn(k); err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
	}
	return nil
}

func (d *decoder) packet(in *inbound) error {
	typ := int64(-1)
	in.nsp = "/" // a packet without nsp is for "/", as in the adapter
	err := d.mapEach(func(k string) error {
		switch k {
		case "type":
			t, err := d.dec.DecodeInt64()
			typ = t
			return err
		case "data":
			var buf bytes.Buffer
			if err := d.toJSON(&buf, 0); err != nil {
				return err
			}
			in.ev = socketio.EventData{JSON: buf.Bytes(), Attachments: d.atts}
			return nil
		case "nsp":
			s, err := d.dec.DecodeString()
			in.nsp = s
			return err
		}
		return d.dec.Skip()
	})
	if err != nil {
		return err
	}
	if typ != packetTypeEvent && typ != 5 { // 5: BINARY_EVENT, from a parser that already split binaries
		return fmt.Errorf("packet type %d is not an event", typ)
	}
	if len(in.ev.JSON) == 0 || in.ev.JSON[0] != '[' {
		return errors.New("packet data is not an array")
	}
	return nil
}

func (d *decoder) opts(in *inbound) error {
	return d.mapEach(func(k string) error {
		var err error
		switch k {
		case "rooms":
			in.opts.Rooms, err = d.stringList()
		case "except":
			in.opts.Except, err = d.stringList()
		case "flags":
			err = d.mapEach(func(f string) error {
				switch f {
				case "volatile":
					v, err := d.dec.DecodeInterfaceLoose()
					in.opts.Flags.Volatile = v == true
					return err
				case "timeout":
					v, err := d.dec.DecodeFloat64()
					in.opts.Flags.Timeout = time.Duration(v * float64(time.Millisecond))
					return err
				}
				return d.dec.Skip()
			})
		default:
			err = d.dec.Skip()
		}
		return err
	})
}

// decodeBroadcast reads [uid, packet, opts].
func decodeBroadcast(msg []byte) (inbound, error) {
	var in inbound
	d := newDecoder(msg)
	n, err := d.dec.DecodeArrayLen()
	if err != nil {
		return in, fmt.Errorf("broadcast: %w", err)
	}
	if n != 3 {
		return in, fmt.Errorf("broadcast: %d elements, want [uid, packet, opts]", n)
	}
	if in.uid, err = d.string(); err != nil {
		return in, fmt.Errorf("broadcast uid: %w", err)
	}
	if err := d.packet(&in); err != nil {
		return in, fmt.Errorf("broadcast packet: %w", err)
	}
	if err := d.opts(&in); err != nil {
		return in, fmt.Errorf("broadcast opts: %w", err)
	}
	return in, nil
}

// request is any request or response, JSON or msgpack, with the fields this adapter reads.
type request struct {
	UID         string            `json:"uid"`
	RequestID   string            `json:"requestId"`
	Type        int               `json:"type"`
	Opts        *wireOpts         `json:"opts"`
	Rooms       []string          `json:"rooms"`
	Room        string            `json:"room"` // REMOTE_JOIN/LEAVE by socket id (older adapters)
	Sid         string            `json:"sid"`
	Close       bool              `json:"close"`
	Data        json.RawMessage   `json:"data"`
	Sockets     []json.RawMessage `json:"sockets"`
	ClientCount int               `json:"clientCount"`
	Packet      json.RawMessage   `json:"-"` // BROADCAST_ACK reply, as JSON
	Broadcast   *inbound          `json:"-"` // BROADCAST request
}

// decodeMessage reads a request or response: JSON when it starts with "{", msgpack otherwise.
func decodeMessage(msg []byte) (request, error) {
	var r request
	if len(msg) > 0 && msg[0] == '{' {
		if err := json.Unmarshal(msg, &r); err != nil {
			return r, fmt.Errorf("malformed request: %w", err)
		}
		return r, nil
	}
	d := newDecoder(msg)
	r.Type = -1
	var in inbound
	err := d.mapEach(func(k string) error {
		var err error
		switch k {
		case "uid":
			r.UID, err = d.string()
		case "requestId":
			r.RequestID, err = d.string()
		case "type":
			var t int64
			t, err = d.dec.DecodeInt64()
			r.Type = int(t)
		case "packet":
			c, perr := d.dec.PeekCode()
			if perr != nil {
				return perr
			}
			if msgpcode.IsFixedMap(c) || c == msgpcode.Map16 || c == msgpcode.Map32 {
				if r.Type == typeBroadcastAck {
					var buf bytes.Buffer
					err = d.toJSON(&buf, 0)
					r.Packet = buf.Bytes()
				} else {
					err = d.packet(&in)
					r.Broadcast = &in
				}
			} else {
				var buf bytes.Buffer
				err = d.toJSON(&buf, 0)
				r.Packet = buf.Bytes()
			}
		case "opts":
			err = d.opts(&in)
		default:
			err = d.dec.Skip()
		}
		return err
	})
	if err != nil {
		return r, fmt.Errorf("malformed request: %w", err)
	}
	if r.Broadcast != nil {
		in.uid, in.requestID = r.UID, r.RequestID
		r.Broadcast = &in
	}
	return r, nil
}

// marshal is JSON.stringify for our messages: no HTML escaping.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Outbound JSON requests and responses, fields in the adapter's order.
type (
	fetchRequest struct {
		UID       string   `json:"uid"`
		RequestID string   `json:"requestId"`
		Type      int      `json:"type"`
		Opts      wireOpts `json:"opts"`
	}
	roomsRequest struct { // REMOTE_JOIN, REMOTE_LEAVE
		UID   string   `json:"uid"`
		Type  int      `json:"type"`
		Opts  wireOpts `json:"opts"`
		Rooms []string `json:"rooms"`
	}
	disconnectRequest struct {
		UID   string   `json:"uid"`
		Type  int      `json:"type"`
		Opts  wireOpts `json:"opts"`
		Close bool     `json:"close"`
	}
	serverSideRequest struct {
		UID       string          `json:"uid"`
		RequestID string          `json:"requestId,omitempty"`
		Type      int             `json:"type"`
		Data      json.RawMessage `json:"data"`
	}
	allRoomsRequest struct {
		UID       string `json:"uid"`
		RequestID string `json:"requestId"`
		Type      int    `json:"type"`
	}
	clientCountResponse struct {
		Type        int    `json:"type"`
		RequestID   string `json:"requestId"`
		ClientCount int    `json:"clientCount"`
	}
	fetchResponse struct {
		RequestID string                  `json:"requestId"`
		Sockets   []socketio.RemoteSocket `json:"sockets"`
	}
	socketsResponse struct {
		RequestID string   `json:"requestId"`
		Sockets   []string `json:"sockets"`
	}
	serverSideResponse struct {
		Type      int             `json:"type"`
		RequestID string          `json:"requestId"`
		Data      json.RawMessage `json:"data"`
	}
	allRoomsResponse struct {
		RequestID string   `json:"requestId"`
		Rooms     []string `json:"rooms"`
	}
	doneResponse struct {
		RequestID string `json:"requestId"`
	}
)
