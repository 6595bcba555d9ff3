package engineio

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestDecodePayload(t *testing.T) {
	for _, tc := range []struct {
		name string
		body string
		want []packet
		err  error
	}{
		{"one text", "4hello", []packet{{typ: '4', data: []byte("hello")}}, nil},
		{"several", "4hello\x1e2\x1e4world", []packet{
			{typ: '4', data: []byte("hello")}, {typ: '2', data: []byte{}}, {typ: '4', data: []byte("world")}}, nil},
		{"binary", "4hello\x1ebAQIDBA==", []packet{
			{typ: '4', data: []byte("hello")}, {typ: '4', binary: true, data: []byte{1, 2, 3, 4}}}, nil},
		{"empty binary", "b", []packet{{typ: '4', binary: true, data: []byte{}}}, nil},
		{"utf-8 text", "4é€😀", []packet{{typ: '4', data: []byte("é€😀")}}, nil},
		{"empty body", "", nil, errEmptyPacket},
		{"empty item", "4a\x1e", nil, errEmptyPacket},
		{"unknown type", "abc", nil, errUnknownType},
		{"type 7", "7", nil, errUnknownType},
		{"bad base64", "bZZZ!!", nil, errInvalidBase64},
		{"unpadded base64", "bAQIDBA", nil, errInvalidBase64},
		{"base64 newline", "bAQID\r\nBA==", nil, errInvalidBase64},
		{"invalid UTF-8", "4\xc3\x28", nil, errInvalidUTF8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodePayload([]byte(tc.body))
			if !errors.Is(err, tc.err) {
				t.Fatalf("got error %v, want %v", err, tc.err)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(packet{})); tc.err == nil && diff != "" {
				t.Errorf("decodePayload(%q) mismatch (-want +got):\n%s", tc.body, diff)
			}
		})
	}
}

func TestAppendFrameHeader(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want []byte
	}{
		{0, []byte{0x81, 0}},
		{125, []byte{0x81, 125}},
		{126, []byte{0x81, 126, 0, 126}},
		{65535, []byte{0x81, 126, 0xff, 0xff}},
		{65536, []byte{0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0}},
	} {
		if got := appendFrameHeader(nil, opText, tc.n); !bytes.Equal(got, tc.want) {
			t.Errorf("n=%d: got %x, want %x", tc.n, got, tc.want)
		}
	}
}

func TestPreparedEncodings(t *testing.T) {
	p := Prepare(Message{Data: []byte("hi")}, Message{Binary: true, Data: []byte{1, 2, 3, 4}})
	if got, want := string(p.msgs[0].wsFrame()), "\x81\x034hi"; got != want {
		t.Errorf("text frame: got %q, want %q", got, want)
	}
	if got, want := p.msgs[1].wsFrame(), []byte{0x82, 4, 1, 2, 3, 4}; !bytes.Equal(got, want) {
		t.Errorf("binary frame: got %x, want %x", got, want)
	}
	if got, want := string(p.msgs[1].pollingBytes()), "bAQIDBA=="; got != want {
		t.Errorf("polling: got %q, want %q", got, want)
	}
}

// encodePayload is the client side of decodePayload, for the round trip.
func encodePayload(pkts []packet) []byte {
	var b []byte
	for i, p := range pkts {
		if i > 0 {
			b = append(b, recordSeparator)
		}
		b = appendPollingPacket(b, p.typ, p.binary, p.data)
	}
	return b
}

func FuzzDecodePayload(f *testing.F) {
	for _, s := range []string{"4hello", "4hello\x1e2\x1e4world", "4hello\x1ebAQIDBA==", "abc", "", "b", "bZZZ!!",
		"1", "3\x1e4x", "4test1\x1e4test2\x1e4test3", "4\xff", "2probe", "6", "\x1e\x1e"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		pkts, err := decodePayload(body)
		if err != nil {
			return
		}
		if !utf8.Valid(body) {
			t.Fatalf("accepted invalid UTF-8 %q", body)
		}
		for _, p := range pkts {
			if p.typ < '0' || p.typ > '6' {
				t.Fatalf("accepted type %q", p.typ)
			}
		}
		// Round trip: what we accept re-encodes to the same bytes.
		if got := encodePayload(pkts); !bytes.Equal(got, body) {
			t.Fatalf("round trip: got %q, want %q", got, body)
		}
	})
}

func FuzzParsePacket(f *testing.F) {
	for _, s := range []string{"4hello", "2probe", "3probe", "5", "6", "1", "0", "abc", "", "9", "4\xff\xfe",
		`40{"token":"abc"}`, `42["message",1,"2",{"3":[true]}]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parsePacket(b)
		if err != nil {
			return
		}
		if !utf8.Valid(b) || len(b) == 0 || p.typ != b[0] || !bytes.Equal(p.data, b[1:]) {
			t.Fatalf("parsePacket(%q) = %+v", b, p)
		}
		if strings.IndexByte("0123456", p.typ) < 0 {
			t.Fatalf("accepted type %q", p.typ)
		}
		// The polling encoding of a binary message never parses as text.
		enc := appendPollingPacket(nil, typeMessage, true, b)
		if _, err := parsePacket(enc); err == nil {
			t.Fatalf("binary encoding %q parsed as a text packet", enc)
		}
		if _, err := base64.StdEncoding.DecodeString(string(enc[1:])); err != nil {
			t.Fatal(err)
		}
	})
}
