package engineio

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"unicode/utf8"
)

// Engine.IO v4 packet types (protocol.md §1.2).
const (
	typeOpen    = '0'
	typeClose   = '1'
	typePing    = '2'
	typePong    = '3'
	typeMessage = '4'
	typeUpgrade = '5'
	typeNoop    = '6'
)

// recordSeparator joins the packets of an HTTP long-polling payload.
const recordSeparator = 0x1e

var (
	errEmptyPacket   = errors.New("empty packet")
	errUnknownType   = errors.New("unknown packet type")
	errInvalidUTF8   = errors.New("invalid UTF-8")
	errInvalidBase64 = errors.New("invalid base64 binary packet")
)

// packet is one decoded inbound Engine.IO packet. For binary packets typ is
// typeMessage (the type is implied) and binary is true.
type packet struct {
	typ    byte
	binary bool
	data   []byte
}

// parsePacket parses one text packet (a WebSocket text frame or one item of
// a polling payload): a type digit '0'..'6' and an optional payload, valid UTF-8.
func parsePacket(b []byte) (packet, error) {
	if len(b) == 0 {
		return packet{}, errEmptyPacket
	}
	if b[0] < typeOpen || b[0] > typeNoop {
		return packet{}, fmt.Errorf("%w %q", errUnknownType, truncate(b[:1]))
	}
	if !utf8.Valid(b) {
		return packet{}, errInvalidUTF8
	}
	return packet{typ: b[0], data: b[1:]}, nil
}

// decodePayload strictly decodes an HTTP long-polling body: packets joined by
// 0x1e, binary ones as "b"+base64 (standard alphabet, padded). The returned
// data slices alias body except for binary packets.
func decodePayload(body []byte) ([]packet, error) {
	if len(body) == 0 {
		return nil, errEmptyPacket
	}
	if !utf8.Valid(body) {
		return nil, errInvalidUTF8
	}
	pkts := make([]packet, 0, bytes.Count(body, []byte{recordSeparator})+1)
	for item := range bytes.SplitSeq(body, []byte{recordSeparator}) {
		if len(item) > 0 && item[0] == 'b' {
			enc := item[1:]
			// The stdlib decoder skips '\r' and '\n'; a strict peer never sends them.
			if bytes.ContainsAny(enc, "\r\n") {
				return nil, errInvalidBase64
			}
			data := make([]byte, base64.StdEncoding.DecodedLen(len(enc)))
			n, err := base64.StdEncoding.Strict().Decode(data, enc)
			if err != nil {
				return nil, fmt.Errorf("%w: %w", errInvalidBase64, err)
			}
			pkts = append(pkts, packet{typ: typeMessage, binary: true, data: data[:n]})
			continue
		}
		p, err := parsePacket(item)
		if err != nil {
			return nil, err
		}
		pkts = append(pkts, p)
	}
	return pkts, nil
}

// outPacket is one queued outbound packet. Shared (prepared) messages point
// to a preparedMsg whose encodings are computed once for all recipients.
type outPacket struct {
	typ  byte
	bin  bool
	data []byte
	pm   *preparedMsg
}

// size is what the packet counts against MaxQueueBytes.
func (p *outPacket) size() int {
	if p.pm != nil {
		return len(p.pm.msg.Data) + 1
	}
	return len(p.data) + 1
}

// appendPolling appends the polling encoding of p to b.
func (p *outPacket) appendPolling(b []byte) []byte {
	if p.pm != nil {
		return append(b, p.pm.pollingBytes()...)
	}
	return appendPollingPacket(b, p.typ, p.bin, p.data)
}

func appendPollingPacket(b []byte, typ byte, bin bool, data []byte) []byte {
	if bin {
		b = append(b, 'b')
		return base64.StdEncoding.AppendEncode(b, data)
	}
	b = append(b, typ)
	return append(b, data...)
}

// WebSocket opcodes used by the writer.
const (
	opText   = 0x1
	opBinary = 0x2
	opClose  = 0x8
	opPong   = 0xA
)

// appendFrameHeader appends an unmasked, final server frame header for a
// payload of n bytes.
func appendFrameHeader(b []byte, opcode byte, n int) []byte {
	b = append(b, 0x80|opcode)
	switch {
	case n <= 125:
		return append(b, byte(n))
	case n <= 0xffff:
		return append(b, 126, byte(n>>8), byte(n))
	default:
		u := uint64(n)
		return append(b, 127, byte(u>>56), byte(u>>48), byte(u>>40), byte(u>>32),
			byte(u>>24), byte(u>>16), byte(u>>8), byte(u))
	}
}

// maxFrameHeader is the longest server frame header plus the Engine.IO type byte.
const maxFrameHeader = 10 + 1

// appendWSFrame appends one complete WebSocket frame carrying the packet.
func appendWSFrame(b []byte, typ byte, bin bool, data []byte) []byte {
	if bin {
		b = appendFrameHeader(b, opBinary, len(data))
	} else {
		b = appendFrameHeader(b, opText, len(data)+1)
		b = append(b, typ)
	}
	return append(b, data...)
}

// Prepared is a set of messages encoded once and sent to many sessions with
// SendPrepared. Its WebSocket frames and polling encodings are computed
// lazily, at most once each, and shared by every recipient. The Data of the
// messages must not be modified after Prepare.
type Prepared struct {
	msgs  []preparedMsg
	bytes int
}

type preparedMsg struct {
	msg      Message
	wsOnce   sync.Once
	ws       []byte
	pollOnce sync.Once
	poll     []byte
}

// Prepare makes a Prepared from msgs (in order).
func Prepare(msgs ...Message) *Prepared {
	p := &Prepared{msgs: make([]preparedMsg, len(msgs))}
	for i, m := range msgs {
		p.msgs[i].msg = m
		p.bytes += len(m.Data) + 1
	}
	return p
}

// Len reports the number of messages in p.
func (p *Prepared) Len() int { return len(p.msgs) }

func (pm *preparedMsg) wsFrame() []byte {
	pm.wsOnce.Do(func() {
		b := make([]byte, 0, maxFrameHeader+len(pm.msg.Data))
		pm.ws = appendWSFrame(b, typeMessage, pm.msg.Binary, pm.msg.Data)
	})
	return pm.ws
}

func (pm *preparedMsg) pollingBytes() []byte {
	pm.pollOnce.Do(func() {
		n := 1 + len(pm.msg.Data)
		if pm.msg.Binary {
			n = 1 + base64.StdEncoding.EncodedLen(len(pm.msg.Data))
		}
		pm.poll = appendPollingPacket(make([]byte, 0, n), typeMessage, pm.msg.Binary, pm.msg.Data)
	})
	return pm.poll
}

// truncate limits client input echoed into logs and errors.
func truncate(b []byte) string {
	const max = 64
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}
