package socketio

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDecodeValid(t *testing.T) {
	tests := []struct {
		in          string
		typ         byte
		nsp         string
		id          int64
		attachments int
		name        string
		args        []string
		shape       string
	}{
		{in: "0", typ: typeConnect, nsp: "/", id: -1},
		{in: `0{"token":"abc"}`, typ: typeConnect, nsp: "/", id: -1},
		{in: "0/custom", typ: typeConnect, nsp: "/custom", id: -1},
		{in: "0/custom,", typ: typeConnect, nsp: "/custom", id: -1},
		{in: `0/admin,{"token":"t"}`, typ: typeConnect, nsp: "/admin", id: -1},
		{in: "1", typ: typeDisconnect, nsp: "/", id: -1},
		{in: "1/admin,", typ: typeDisconnect, nsp: "/admin", id: -1},
		{in: "1/custom", typ: typeDisconnect, nsp: "/custom", id: -1},
		{in: `2["chat","hi"]`, typ: typeEvent, nsp: "/", id: -1, name: "chat", args: []string{`"hi"`}},
		{in: `2/admin,["chat","hi"]`, typ: typeEvent, nsp: "/admin", id: -1, name: "chat", args: []string{`"hi"`}},
		{in: `212["question"]`, typ: typeEvent, nsp: "/", id: 12, name: "question"},
		{in: `2["message",1,"2",{"3":[true]}]`, typ: typeEvent, nsp: "/", id: -1, name: "message", args: []string{`1`, `"2"`, `{"3":[true]}`}},
		{in: `2[ "sp" , { "b":1 ,"a" : [ ] } ]`, typ: typeEvent, nsp: "/", id: -1, name: "sp", args: []string{`{ "b":1 ,"a" : [ ] }`}},
		{in: `2["\u0063hat"]`, typ: typeEvent, nsp: "/", id: -1, name: "chat"},
		{in: `2[42,"x"]`, typ: typeEvent, nsp: "/", id: -1, name: "42", args: []string{`"x"`}},
		{in: `3456[1,"2",{"3":[false]}]`, typ: typeAck, nsp: "/", id: 456, args: []string{`1`, `"2"`, `{"3":[false]}`}},
		{in: `312[]`, typ: typeAck, nsp: "/", id: 12},
		{in: `4{"message":"x"}`, typ: typeConnectError, nsp: "/", id: -1},
		{in: `51-["up",{"_placeholder":true,"num":0}]`, typ: typeBinaryEvent, nsp: "/", id: -1, attachments: 1, name: "up", args: []string{`{"_placeholder":true,"num":0}`}},
		{in: `50-["x"]`, typ: typeBinaryEvent, nsp: "/", id: -1, name: "x"},
		{in: `61-15[{"_placeholder":true,"num":0}]`, typ: typeBinaryAck, nsp: "/", id: 15, attachments: 1, args: []string{`{"_placeholder":true,"num":0}`}},
		{in: `2["x",` + strings.Repeat("[", 31) + strings.Repeat("]", 31) + `]`, typ: typeEvent, nsp: "/", id: -1, name: "x", args: []string{strings.Repeat("[", 31) + strings.Repeat("]", 31)}},
		{in: `2["x",` + strings.Repeat("[", 32) + strings.Repeat("]", 32) + `]`, typ: typeEvent, nsp: "/", id: -1, name: "x", shape: "too deep"},
		{in: `2["x",{"a":1,"a":2}]`, typ: typeEvent, nsp: "/", id: -1, name: "x", shape: "duplicate key"},
		{in: `2["x",{"a":1,"\u0061":2}]`, typ: typeEvent, nsp: "/", id: -1, name: "x", shape: "duplicate key"},
		{in: `2["x",1e400]`, typ: typeEvent, nsp: "/", id: -1, name: "x", shape: "number out of range"},
		{in: `2["` + strings.Repeat("n", 129) + `"]`, typ: typeEvent, nsp: "/", id: -1, name: strings.Repeat("n", 129), shape: "too large"},
		{in: `2["x"` + strings.Repeat(",0", 17) + `]`, typ: typeEvent, nsp: "/", id: -1, name: "x", shape: "too large"},
		{in: `2["x"` + strings.Repeat(",0", 16) + `]`, typ: typeEvent, nsp: "/", id: -1, name: "x"},
	}
	for _, tt := range tests {
		t.Run(tt.in[:min(len(tt.in), 40)], func(t *testing.T) {
			d, err := decodePacket([]byte(tt.in), 10)
			if err != nil {
				t.Fatalf("decodePacket(%q): %v", tt.in, err)
			}
			if d.typ != tt.typ || d.nsp != tt.nsp || d.id != tt.id || d.attachments != tt.attachments {
				t.Errorf("got type %d nsp %q id %d att %d, want %d %q %d %d", d.typ, d.nsp, d.id, d.attachments, tt.typ, tt.nsp, tt.id, tt.attachments)
			}
			if d.name != tt.name {
				t.Errorf("got name %q, want %q", d.name, tt.name)
			}
			if d.shape != tt.shape {
				t.Errorf("got shape %q, want %q", d.shape, tt.shape)
			}
			if tt.shape != "" || tt.args == nil {
				return
			}
			skip := 1
			if d.typ == typeAck || d.typ == typeBinaryAck {
				skip = 0
			}
			var got []string
			for _, a := range d.args(skip).Args {
				got = append(got, string(a))
			}
			if diff := cmp.Diff(tt.args, got); diff != "" {
				t.Errorf("args (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDecodeInvalid covers protocol.md §2.4 and reliability.md T20/T22:
// every input must be refused (the connection is closed).
func TestDecodeInvalid(t *testing.T) {
	tests := []string{
		"", "abc", "9", "7x", "49", "abc",
		`4abc`, `4{"message":"x"`, `2{}`, `2abc["message-with-ack",1]`, `42["some","data"`,
		`0/admin,"invalid"`, `0[]`, `1/admin,{}`, `2/admin,"invalid`, `2/admin,{}`,
		`2[{"toString":"foo"}]`, `2[true,"foo"]`, `2[null,"bar"]`, `2[]`, `2`,
		`2["connect"]`, `2["disconnect","123"]`, `2["disconnecting"]`, `2["connect_error"]`,
		`2["newListener"]`, `2["removeListener"]`, `2["a"]xyz`, `2["a"] ["b"]`,
		`3[]`, `3`, `31{}`, `31"x"`, `01{}`, `11`, `1x`,
		`511-["x"]`, `5`, `51`, `5a-`, `51.23-`, `5-1-`, `599999999999999999999-`,
		`51-["x",{"_placeholder":true,"num":1}]`, `51-["x",{"_placeholder":true,"num":"splice"}]`,
		`51-["x",{"_placeholder":true}]`, `51-["x",{"_placeholder":true,"num":-1}]`,
		`51-["x",{"_placeholder":true,"num":0.0}]`, `50-["x",{"_placeholder":true,"num":0}]`,
		"2[\"x\",\"\xff\"]", "2[\"x\",\"a\x01\"]", `2["x",01]`, `2["x",1.]`, `2["x",-]`, `2["x",tru]`,
		`2["x",'a']`, `2["x",{"a" 1}]`, `2["x",{a:1}]`, `2["x",[1,]]`, `2["x","\q"]`, `2["x","\u12"]`,
		`299999999999999999["x"]`, `2/` + strings.Repeat("n", 300) + `,["x"]`,
	}
	for _, in := range tests {
		t.Run(in[:min(len(in), 40)], func(t *testing.T) {
			if d, err := decodePacket([]byte(in), 10); err == nil {
				t.Errorf("decodePacket(%q) = %+v, want an error", in, d)
			}
		})
	}
}

func TestDecodeAttachmentLimitBeforeBuffering(t *testing.T) {
	_, err := decodePacket([]byte(`511-["x"]`), 10)
	if err != errTooManyAttachments {
		t.Errorf("got %v, want %v", err, errTooManyAttachments)
	}
}

func TestDuplicateKeysLargeObjects(t *testing.T) {
	obj := func(n int, extra string) string {
		var b strings.Builder
		b.WriteString(`2["x",{`)
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `"k%d":%d`, i, i)
		}
		b.WriteString(extra + `}]`)
		return b.String()
	}
	tests := []struct {
		name, in, shape string
	}{
		{"20 keys", obj(20, ""), ""},
		{"20 keys and a duplicate", obj(20, `,"k3":1`), "duplicate key"},
		{"100000 keys", obj(100000, ""), ""},
		{"100000 keys and an escaped duplicate", obj(100000, `,"k\u0031":1`), "duplicate key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := decodePacket([]byte(tt.in), 10)
			if err != nil {
				t.Fatal(err)
			}
			if d.shape != tt.shape {
				t.Errorf("got shape %q, want %q", d.shape, tt.shape)
			}
		})
	}
}

func TestDeepNestingIsLinear(t *testing.T) {
	in := `2["msg",` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `]`
	d, err := decodePacket([]byte(in), 10)
	if err != nil {
		t.Fatalf("decodePacket: %v", err)
	}
	if d.shape != "too deep" {
		t.Errorf("got shape %q, want %q", d.shape, "too deep")
	}
	bad := `2["msg",` + strings.Repeat("[", 100000) + `]`
	if _, err := decodePacket([]byte(bad), 10); err == nil {
		t.Error("unbalanced deep input accepted")
	}
}

func TestEncodeArgs(t *testing.T) {
	tests := []struct {
		name     string
		event    string
		args     []any
		want     string
		wantAtts int
	}{
		{"string", "chat", []any{"hi"}, `["chat","hi"]`, 0},
		{"no html escaping", "chat", []any{"<b>&"}, `["chat","<b>&"]`, 0},
		{"raw byte exact", "m", []any{json.RawMessage(`{"b": 1, "a":[ true ]}`)}, `["m",{"b": 1, "a":[ true ]}]`, 0},
		{"nil", "m", []any{nil}, `["m",null]`, 0},
		{"struct", "m", []any{struct {
			A int `json:"a"`
		}{1}}, `["m",{"a":1}]`, 0},
		{"binary", "up", []any{[]byte{1, 2}, "x", []byte{3}}, `["up",{"_placeholder":true,"num":0},"x",{"_placeholder":true,"num":1}]`, 2},
		{"raw binary", "up", []any{[]byte{9}, RawBinary{JSON: json.RawMessage(`{"f":{"_placeholder":true,"num":1}}`), Attachments: [][]byte{{0}, {1}}}}, `["up",{"_placeholder":true,"num":0},{"f":{"_placeholder":true,"num":1}}]`, 2},
		{"empty name", "", []any{1}, `["",1]`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			open, atts, err := encodeArgs(tt.event, tt.args)
			if err != nil {
				t.Fatalf("encodeArgs: %v", err)
			}
			if got := string(closeArgs(open, "")); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if len(atts) != tt.wantAtts {
				t.Errorf("got %d attachments, want %d", len(atts), tt.wantAtts)
			}
		})
	}
}

func TestEncodeAckArgs(t *testing.T) {
	tests := []struct {
		name string
		args []any
		want string
	}{
		{"values", []any{1, "2"}, `[1,"2"]`},
		{"empty", nil, `[]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			open, _, err := encodeAckArgs(tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(closeArgs(open, "")); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEncodeArgsErrors(t *testing.T) {
	tests := []struct {
		name  string
		event string
		args  []any
	}{
		{"reserved", "disconnect", nil},
		{"long name", strings.Repeat("x", 129), nil},
		{"invalid raw", "m", []any{json.RawMessage(`{`)}},
		{"trailing raw", "m", []any{json.RawMessage(`1 2`)}},
		{"unmarshalable", "m", []any{make(chan int)}},
		{"too many attachments", "m", []any{[]byte{}, []byte{}, []byte{}, []byte{}, []byte{}, []byte{}, []byte{}, []byte{}, []byte{}, []byte{}, []byte{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := encodeArgs(tt.event, tt.args); err == nil {
				t.Error("got nil error, want one")
			}
		})
	}
}

func TestEncodePacket(t *testing.T) {
	tests := []struct {
		name string
		p    *Packet
		want string
	}{
		{"event", encodePacket(typeEvent, "/", -1, []byte(`["a"]`), nil), `2["a"]`},
		{"nsp event", encodePacket(typeEvent, "/x", -1, []byte(`["a"]`), nil), `2/x,["a"]`},
		{"ack", encodePacket(typeAck, "/", 12, []byte(`["ok"]`), nil), `312["ok"]`},
		{"binary event", encodePacket(typeEvent, "/", -1, []byte(`[{"_placeholder":true,"num":0}]`), [][]byte{{1}}), `51-[{"_placeholder":true,"num":0}]`},
		{"binary ack", encodePacket(typeAck, "/x", 15, []byte(`[]`), [][]byte{{1}, {2}}), `62-/x,15[]`},
		{"disconnect", encodePacket(typeDisconnect, "/admin", -1, nil, nil), `1/admin,`},
		{"connect error", encodePacket(typeConnectError, "/x", -1, []byte(`{"message":"Invalid namespace"}`), nil), `4/x,{"message":"Invalid namespace"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.p.Text != tt.want {
				t.Errorf("got %q, want %q", tt.p.Text, tt.want)
			}
		})
	}
}

func TestPacketPreparedOnce(t *testing.T) {
	p := &Packet{Text: "2[]"}
	calls := 0
	build := func(*Packet) any { calls++; return calls }
	for range 3 {
		if got := p.Prepared(build); got != 1 {
			t.Errorf("got %v, want 1", got)
		}
	}
}

func TestPayloadValues(t *testing.T) {
	d, err := decodePacket([]byte(`52-["m",{"_placeholder":true,"num":1},{"x":{"_placeholder":true,"num":0}},3]`), 10)
	if err != nil {
		t.Fatal(err)
	}
	p := d.args(1)
	p.Attachments = [][]byte{{'a'}, {'b'}}
	vals := p.Values()
	if b, ok := vals[0].([]byte); !ok || string(b) != "b" {
		t.Errorf("got %#v, want []byte(\"b\")", vals[0])
	}
	if _, ok := vals[1].(RawBinary); !ok {
		t.Errorf("got %T, want RawBinary", vals[1])
	}
	if r, ok := vals[2].(json.RawMessage); !ok || string(r) != "3" {
		t.Errorf("got %#v, want json.RawMessage(3)", vals[2])
	}
	var b []byte
	if err := p.Decode(0, &b); err != nil || string(b) != "b" {
		t.Errorf("Decode(0) = %q, %v", b, err)
	}
	open, atts, err := encodeArgs("back", vals)
	if err != nil {
		t.Fatal(err)
	}
	want := `["back",{"_placeholder":true,"num":0},{"x":{"_placeholder":true,"num":1}},3]`
	if got := string(closeArgs(open, "")); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if len(atts) != 2 || string(atts[0]) != "b" || string(atts[1]) != "a" {
		t.Errorf("got attachments %q, want [b a]", atts)
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		"0", `0{"token":"abc"}`, "0/custom", `2["chat","hi"]`, `212["q"]`, `3456[1,"2",{"3":[false]}]`,
		`51-["up",{"_placeholder":true,"num":0}]`, `62-/x,789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`,
		`4abc`, `2{}`, `2abc[]`, `2[{"toString":"foo"}]`, `2["a"]xyz`, `2["x",{"a":1,"a":2}]`, `2["x",1e400]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		d, err := decodePacket(in, 10)
		if err != nil {
			return
		}
		// A valid packet's JSON is valid for encoding/json too, and its
		// arguments survive a round trip byte-exactly.
		if d.data != nil && d.shape == "" && !json.Valid(d.data) {
			t.Fatalf("accepted invalid JSON %q", d.data)
		}
		if d.typ == typeEvent && d.shape == "" && !d.numericName {
			p := d.args(1)
			open, _, err := encodeArgs(d.name, p.Values())
			if err != nil {
				t.Fatalf("re-encode %q: %v", in, err)
			}
			d2, err := decodePacket(append([]byte("2"), closeArgs(open, "")...), 10)
			if err != nil {
				t.Fatalf("round trip of %q: %v", in, err)
			}
			if got, want := len(d2.scan.elems), len(d.scan.elems); got != want {
				t.Fatalf("round trip: got %d elements, want %d", got, want)
			}
		}
	})
}

// FuzzClient feeds message sequences (split at \x1e; a leading 'b' marks
// binary) to a client of a conformance server: no input may panic.
func FuzzClient(f *testing.F) {
	for _, s := range []string{
		"0\x1e2[\"message\",1]",
		"0/custom,{\"token\":\"abc\"}\x1e2/custom,[\"x\"]\x1e1/custom",
		"0\x1e52-[\"message\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]\x1eb\x01\x02\x1eb\x03",
		"0\x1e2456[\"message-with-ack\",1]\x1e30[]\x1e1\x1e0",
		"0/random\x1e0\x1e2abc",
		"b\x01",
	} {
		f.Add(s)
	}
	f.Add("0\x1e52-[\"message\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]\x1eb" + strings.Repeat("x", 200))
	f.Fuzz(func(t *testing.T, in string) {
		// A small packet cap, so that binary reassembly meets it.
		const maxPacket = 256
		srv := conformanceServer(t, Options{RateLimit: -1, MaxPacketBytes: maxPacket})
		p := dial(t, srv)
		for _, m := range strings.Split(in, "\x1e") {
			if rest, ok := strings.CutPrefix(m, "b"); ok {
				p.c.OnBinary([]byte(rest))
			} else {
				p.send(m)
			}
			if n, held := srv.PendingBinary(); n > 1 || held > maxPacket {
				t.Fatalf("after %q: %d pending binary packets holding %d bytes, over %d", m, n, held, maxPacket)
			}
		}
		p.Close("transport close")
		if n, held := srv.PendingBinary(); n != 0 || held != 0 {
			t.Fatalf("closed client still holds %d packets, %d bytes", n, held)
		}
	})
}
