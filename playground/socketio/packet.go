package socketio

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// Packet is one encoded Socket.IO packet: Text without the Engine.IO "4"
// prefix (e.g. `2["chat","hi"]`) and its binary attachments. It is encoded
// once per emit and the same *Packet is handed to every recipient, so a
// transport may cache its framing with Prepared. Packets are read-only once
// handed to a Conn.
type Packet struct {
	Text        string
	Attachments [][]byte
	Volatile    bool // may be dropped if the connection is not ready to write
	// Direct: the packet goes to one connection only (an ack, a CONNECT reply), so a transport
	// need not frame it once for sharing (Prepared).
	Direct bool

	once     sync.Once
	prepared any
}

// Prepared returns build(p), calling build only once per packet; transports
// use it to frame a broadcast packet once for all recipients.
func (p *Packet) Prepared(build func(*Packet) any) any {
	p.once.Do(func() { p.prepared = build(p) })
	return p.prepared
}

// Socket.IO v5 packet types (protocol.md §2.1).
const (
	typeConnect      byte = 0
	typeDisconnect   byte = 1
	typeEvent        byte = 2
	typeAck          byte = 3
	typeConnectError byte = 4
	typeBinaryEvent  byte = 5
	typeBinaryAck    byte = 6
)

// Limits of the wire format (reliability.md §3).
const (
	maxNameLen    = 255 // namespace and room names, bytes
	maxEventLen   = 128 // event names, bytes
	maxArgs       = 16  // arguments after the event name
	maxAckID      = 1<<53 - 1
	shapeTooLarge = "too large"
)

// reserved event names may not be emitted by either side (protocol.md §2.4).
var reserved = map[string]bool{
	"connect": true, "connect_error": true, "disconnect": true,
	"disconnecting": true, "newListener": true, "removeListener": true,
}

var (
	errTooManyAttachments = errors.New("too many attachments")
	errIllegalAttachments = errors.New("illegal attachments")
)

// decoded is a parsed inbound packet.
type decoded struct {
	typ         byte
	nsp         string
	id          int64 // -1 when absent
	attachments int
	data        []byte // raw JSON payload, nil when absent
	scan        scanResult
	name        string // EVENT: the event name (unescaped), or the number's text
	numericName bool
	shape       string // shape violation: answered with an error ack or dropped
}

// decodePacket parses one Socket.IO packet strictly (protocol.md §2.2, §2.4,
// reliability.md R3). Any error means the connection must be closed.
func decodePacket(text []byte, maxAttachments int) (*decoded, error) {
	if len(text) == 0 {
		return nil, errors.New("empty packet")
	}
	d := &decoded{typ: text[0] - '0', nsp: "/", id: -1}
	if text[0] < '0' || d.typ > typeBinaryAck {
		return nil, fmt.Errorf("unknown packet type %q", text[0])
	}
	i := 1
	binary := d.typ == typeBinaryEvent || d.typ == typeBinaryAck
	if binary {
		start, n := i, 0
		for i < len(text) && text[i] >= '0' && text[i] <= '9' {
			n = n*10 + int(text[i]-'0')
			if n > maxAttachments {
				return nil, errTooManyAttachments
			}
			i++
		}
		if i == start || i >= len(text) || text[i] != '-' {
			return nil, errIllegalAttachments
		}
		i++
		d.attachments = n
	}
	if i < len(text) && text[i] == '/' {
		end := bytes.IndexByte(text[i:], ',')
		if end < 0 {
			d.nsp = string(text[i:])
			i = len(text)
		} else {
			d.nsp = string(text[i : i+end])
			i += end + 1
		}
		if len(d.nsp) > maxNameLen {
			return nil, errors.New("namespace name too long")
		}
	}
	if i < len(text) && text[i] >= '0' && text[i] <= '9' {
		var id int64
		for i < len(text) && text[i] >= '0' && text[i] <= '9' {
			id = id*10 + int64(text[i]-'0')
			if id > maxAckID {
				return nil, errors.New("ack id out of range")
			}
			i++
		}
		d.id = id
	}
	if i < len(text) {
		d.data = text[i:]
		sc, err := scanJSON(d.data, binary, d.attachments)
		if err != nil {
			return nil, err
		}
		d.scan = sc
		d.shape = sc.shape
	}
	return d, d.validate()
}

func (d *decoded) validate() error {
	hasID := d.id >= 0
	switch d.typ {
	case typeConnect:
		if hasID || (d.data != nil && d.scan.top != '{') {
			return errors.New("invalid CONNECT payload")
		}
	case typeDisconnect:
		if hasID || d.data != nil {
			return errors.New("invalid DISCONNECT payload")
		}
	case typeConnectError:
		if hasID || d.data == nil || d.scan.top != '{' {
			return errors.New("invalid CONNECT_ERROR payload")
		}
	case typeAck, typeBinaryAck:
		if !hasID || d.data == nil || d.scan.top != '[' {
			return errors.New("invalid ACK payload")
		}
	case typeEvent, typeBinaryEvent:
		if d.data == nil || d.scan.top != '[' || len(d.scan.elems) == 0 {
			return errors.New("invalid EVENT payload")
		}
		first := d.scan.elems[0]
		raw := d.data[first.start:first.end]
		switch c := raw[0]; {
		case c == '"':
			if err := json.Unmarshal(raw, &d.name); err != nil {
				return fmt.Errorf("invalid event name: %w", err)
			}
			if reserved[d.name] {
				return fmt.Errorf("reserved event name %q", d.name)
			}
		case c == '-' || (c >= '0' && c <= '9'):
			// socket.io hands the number to its EventEmitter, which keys listeners by the
			// number's JavaScript text: 42[1e3] reaches socket.on("1000") and onAny gets 1000.
			// A number outside float64 range is already a shape violation (jsonscan).
			d.numericName = true
			if f, err := strconv.ParseFloat(string(raw), 64); err == nil {
				d.name = jsNumber(f)
			} else {
				d.name = string(raw)
			}
		default:
			return errors.New("invalid event name")
		}
		if d.shape == "" && (len(d.name) > maxEventLen || len(d.scan.elems)-1 > maxArgs) {
			d.shape = shapeTooLarge
		}
	}
	return nil
}

// jsNumber formats f as JavaScript's Number::toString does (ECMA-262 6.1.6.1.20): the shortest
// digits that round-trip, in fixed notation for 1e-7 <= |f| < 1e21, else as d.ddde±x; -0 is "0".
func jsNumber(f float64) string {
	if f == 0 {
		return "0"
	}
	sign := ""
	if f < 0 {
		sign, f = "-", -f
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±xx
	mant, exp, _ := strings.Cut(e, "e")
	digits := strings.Replace(mant, ".", "", 1)
	x, _ := strconv.Atoi(exp)
	k, n := len(digits), x+1 // f = 0.digits × 10^n
	switch {
	case k <= n && n <= 21:
		return sign + digits + strings.Repeat("0", n-k)
	case 0 < n && n <= 21:
		return sign + digits[:n] + "." + digits[n:]
	case -6 < n && n <= 0:
		return sign + "0." + strings.Repeat("0", -n) + digits
	}
	es := "+"
	if n-1 < 0 {
		es = "-"
	}
	m := digits[:1]
	if k > 1 {
		m += "." + digits[1:]
	}
	return sign + m + "e" + es + strconv.Itoa(abs(n-1))
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

// args returns the payload's array elements, skipping the first skip ones.
func (d *decoded) args(skip int) Payload {
	var p Payload
	if len(d.scan.elems) <= skip {
		return p
	}
	p.Args = make([]json.RawMessage, 0, len(d.scan.elems)-skip)
	for _, e := range d.scan.elems[skip:] {
		p.Args = append(p.Args, json.RawMessage(d.data[e.start:e.end]))
	}
	for _, ph := range d.scan.placeholders {
		if ph.arg < skip {
			continue
		}
		if p.bin == nil {
			p.bin = make([]int, len(p.Args))
		}
		a := ph.arg - skip
		el := d.scan.elems[ph.arg]
		switch {
		case p.bin[a] != 0:
			p.bin[a] = -1 // several placeholders
		case ph.obj == el:
			p.bin[a] = ph.num + 1 // the argument is exactly one placeholder
		default:
			p.bin[a] = -1
		}
	}
	return p
}

// appendHeader writes `<type>[<n>-][<nsp>,][<id>]`.
func appendHeader(b []byte, typ byte, attachments int, nsp string, id int64) []byte {
	b = append(b, '0'+typ)
	if typ == typeBinaryEvent || typ == typeBinaryAck {
		b = strconv.AppendInt(b, int64(attachments), 10)
		b = append(b, '-')
	}
	if nsp != "/" {
		b = append(b, nsp...)
		b = append(b, ',')
	}
	if id >= 0 {
		b = strconv.AppendInt(b, id, 10)
	}
	return b
}

// encodeDirect builds a packet for one connection (Packet.Direct).
func encodeDirect(typ byte, nsp string, id int64, data []byte, atts [][]byte) *Packet {
	p := encodePacket(typ, nsp, id, data, atts)
	p.Direct = true
	return p
}

// encodePacket builds one packet; typ EVENT/ACK become BINARY_* when there
// are attachments.
func encodePacket(typ byte, nsp string, id int64, data []byte, atts [][]byte) *Packet {
	if len(atts) > 0 {
		switch typ {
		case typeEvent:
			typ = typeBinaryEvent
		case typeAck:
			typ = typeBinaryAck
		}
	}
	b := make([]byte, 0, 8+len(nsp)+len(data))
	b = appendHeader(b, typ, len(atts), nsp, id)
	b = append(b, data...)
	return &Packet{Text: string(b), Attachments: atts}
}

// Payload is a list of arguments received from a client: an event's
// arguments or an acknowledgement's reply. Args are the raw JSON values,
// byte-exact as sent; binary values appear as placeholder objects
// ({"_placeholder":true,"num":N}) indexing Attachments.
type Payload struct {
	Args        []json.RawMessage
	Attachments [][]byte
	bin         []int // per arg: 0 plain, n+1 exactly attachment n, -1 contains placeholders
}

// Decode unmarshals argument i into v. A binary argument decodes into a
// *[]byte.
func (p Payload) Decode(i int, v any) error {
	if i < 0 || i >= len(p.Args) {
		return fmt.Errorf("socketio: argument %d of %d", i, len(p.Args))
	}
	if i < len(p.bin) && p.bin[i] > 0 {
		if b, ok := v.(*[]byte); ok {
			*b = p.Attachments[p.bin[i]-1]
			return nil
		}
	}
	if err := json.Unmarshal(p.Args[i], v); err != nil {
		return fmt.Errorf("socketio: argument %d: %w", i, err)
	}
	return nil
}

// Values returns the arguments ready to be emitted again unchanged: plain
// JSON as json.RawMessage, a binary argument as []byte, and an argument
// with nested binary as RawBinary.
func (p Payload) Values() []any {
	out := make([]any, len(p.Args))
	for i, a := range p.Args {
		switch {
		case i < len(p.bin) && p.bin[i] > 0:
			out[i] = p.Attachments[p.bin[i]-1]
		case i < len(p.bin) && p.bin[i] < 0:
			out[i] = RawBinary{JSON: a, Attachments: p.Attachments}
		default:
			out[i] = a
		}
	}
	return out
}

// RawBinary is a JSON value containing binary placeholders
// ({"_placeholder":true,"num":N}) that index Attachments. When emitted, the
// placeholders are renumbered and the referenced attachments sent along.
type RawBinary struct {
	JSON        json.RawMessage
	Attachments [][]byte
}

// maxOutAttachments bounds attachments per outbound packet: the client's
// parser refuses more (protocol.md §1.7).
const maxOutAttachments = 10

// argEncoder builds a JSON array of arguments and collects attachments.
type argEncoder struct {
	buf  []byte
	atts [][]byte
}

func (e *argEncoder) sep() {
	if len(e.buf) > 1 {
		e.buf = append(e.buf, ',')
	}
}

func (e *argEncoder) placeholder(b []byte) {
	e.buf = append(e.buf, `{"_placeholder":true,"num":`...)
	e.buf = strconv.AppendInt(e.buf, int64(len(e.atts)), 10)
	e.buf = append(e.buf, '}')
	e.atts = append(e.atts, b)
}

// add appends one argument: json.RawMessage byte-exact (validated), []byte
// as a binary attachment, RawBinary with renumbered placeholders, anything
// else through encoding/json without HTML escaping.
func (e *argEncoder) add(v any) error {
	e.sep()
	switch v := v.(type) {
	case nil:
		e.buf = append(e.buf, "null"...)
	case json.RawMessage:
		if _, err := scanJSON(v, false, 0); err != nil {
			return fmt.Errorf("socketio: json.RawMessage argument: %w", err)
		}
		e.buf = append(e.buf, v...)
	case []byte:
		e.placeholder(v)
	case RawBinary:
		sc, err := scanJSON(v.JSON, true, len(v.Attachments))
		if err != nil {
			return fmt.Errorf("socketio: RawBinary argument: %w", err)
		}
		prev := 0
		for _, ph := range sc.placeholders { // in closing order: inner before outer
			if ph.obj.start < prev {
				continue
			}
			e.buf = append(e.buf, v.JSON[prev:ph.obj.start]...)
			e.placeholder(v.Attachments[ph.num])
			prev = ph.obj.end
		}
		e.buf = append(e.buf, v.JSON[prev:]...)
	default:
		var w bytes.Buffer
		enc := json.NewEncoder(&w)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return fmt.Errorf("socketio: encoding argument: %w", err)
		}
		e.buf = append(e.buf, bytes.TrimSuffix(w.Bytes(), []byte("\n"))...)
	}
	if len(e.atts) > maxOutAttachments {
		return fmt.Errorf("socketio: more than %d binary attachments", maxOutAttachments)
	}
	return nil
}

// encodeArgs encodes an event's [name, args...]. The closing bracket is
// left off so an offset can be appended (closeArgs).
func encodeArgs(name string, args []any) (open []byte, atts [][]byte, err error) {
	return encodeArray(&name, args)
}

// encodeAckArgs encodes an acknowledgement's [args...], open like encodeArgs.
func encodeAckArgs(args []any) (open []byte, atts [][]byte, err error) {
	return encodeArray(nil, args)
}

func encodeArray(event *string, args []any) (open []byte, atts [][]byte, err error) {
	e := argEncoder{buf: make([]byte, 0, 64)}
	e.buf = append(e.buf, '[')
	if event != nil {
		name := *event
		if err := checkEventName(name); err != nil {
			return nil, nil, err
		}
		nb, err := marshalNoEscape(name)
		if err != nil {
			return nil, nil, fmt.Errorf("socketio: event name: %w", err)
		}
		e.buf = append(e.buf, nb...)
	}
	for _, a := range args {
		if err := e.add(a); err != nil {
			return nil, nil, err
		}
	}
	return e.buf, e.atts, nil
}

func checkEventName(name string) error {
	switch {
	case reserved[name]:
		return fmt.Errorf("socketio: %q is a reserved event name", name)
	case len(name) > maxEventLen:
		return fmt.Errorf("socketio: event name longer than %d bytes", maxEventLen)
	}
	return nil
}

func marshalNoEscape(v any) ([]byte, error) {
	var w bytes.Buffer
	enc := json.NewEncoder(&w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(w.Bytes(), []byte("\n")), nil
}

// closeArgs finishes an array from encodeArgs, appending offset (a string
// element) when non-empty.
func closeArgs(open []byte, offset string) []byte {
	b := make([]byte, 0, len(open)+len(offset)+4)
	b = append(b, open...)
	if offset != "" {
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, offset)
	}
	return append(b, ']')
}
