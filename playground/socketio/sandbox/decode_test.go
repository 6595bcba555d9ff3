package sandbox

import (
	"math"
	"testing"

	"github.com/dop251/goja"

	"socketlab/playground/socketio"
)

// The direct decoder gives what JSON.parse gives (compared through JSON.stringify and a few
// properties JSON.stringify does not show).
func TestDecodeLikeJSONParse(t *testing.T) {
	io := socketio.NewServer(socketio.Options{})
	defer io.Close()
	sb := New(NewDispatcher(io), Options{})
	v := newVM(sb)
	inputs := []string{
		`null`, `true`, `false`, `0`, `-0`, `42`, `-7`, `9007199254740993`, `1.5e3`, `-2.25`, `1e-7`,
		`""`, `"hi"`, `"é ☃ 𝄞"`, `"a\"b\\c\n\u0041\u00e9\ud83d\ude00"`, `"\ud800"`,
		`[]`, `{}`, `[1,[2,[3,{"a":[]}]]]`, ` { "b" : 1 , "a" : [ true , null ] } `,
		`{"__proto__":{"x":1},"constructor":2}`, `{"a":1,"a":2}`, `{"_placeholder":true,"num":0}`,
	}
	check, err := v.rt.RunString(`(a, b) => JSON.stringify(a) === JSON.stringify(b) &&
		(typeof a === "object" || Object.is(a, b)) &&
		(typeof a !== "object" || a === null || (Object.getPrototypeOf(a) === Object.getPrototypeOf(b) &&
		 Object.keys(a).join() === Object.keys(b).join()))`)
	if err != nil {
		t.Fatal(err)
	}
	same, _ := goja.AssertFunction(check)
	for _, in := range inputs {
		got, ok := v.decodeJSON([]byte(in), nil)
		if !ok {
			t.Errorf("%s: not decoded", in)
			continue
		}
		want := v.parseJSON([]byte(in), nil)
		res, err := same(goja.Undefined(), got, want)
		if err != nil || !res.ToBoolean() {
			t.Errorf("%s: decoded %v, JSON.parse %v", in, got, want)
		}
	}
	if got, _ := v.decodeJSON([]byte(`-0`), nil); !got.SameAs(v.rt.ToValue(math.Copysign(0, -1))) || got.SameAs(v.rt.ToValue(0)) {
		t.Errorf("-0 decoded as %v", got)
	}
	bin, ok := v.decodeJSON([]byte(`{"f":{"_placeholder":true,"num":1}}`), [][]byte{{1}, {2, 3}})
	if b, isBin := v.bytesOf(bin.ToObject(v.rt).Get("f")); !ok || !isBin || string(b) != "\x02\x03" {
		t.Errorf("placeholder decoded as %v", bin)
	}
	for src, want := range map[string]string{
		"new Uint8Array([1, 2, 3]).subarray(1)":             "\x02\x03",
		"new DataView(new Uint8Array([7, 8, 9]).buffer, 2)": "\x09",
		"new Uint16Array([0x0102])":                         "\x02\x01",
		"new Uint8Array([5]).buffer":                        "\x05",
	} {
		val, err := v.rt.RunString(src)
		if b, ok := v.bytesOf(val); err != nil || !ok || string(b) != want {
			t.Errorf("bytesOf(%s) = %q %v, want %q", src, b, ok, want)
		}
	}
	for _, src := range []string{`({ buffer: new ArrayBuffer(1), byteLength: 1 })`, `[1, 2]`, `new Date(0)`, `"s"`} {
		val, _ := v.rt.RunString(src)
		if _, ok := v.bytesOf(val); ok {
			t.Errorf("bytesOf(%s) is binary", src)
		}
	}
	for _, bad := range []string{`[1,]`, `{"a"}`, `tru`, `"open`, `[1] x`} {
		if _, ok := v.decodeJSON([]byte(bad), nil); ok {
			t.Errorf("%s decoded", bad)
		}
	}
}
