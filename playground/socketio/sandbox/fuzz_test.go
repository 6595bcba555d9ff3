package sandbox

import (
	"encoding/json"
	"testing"

	"github.com/dop251/goja"

	"socketlab/playground/socketio"
)

// FuzzDecodeJSON: a client's argument, once socketio's strict parser accepted it (valid JSON),
// becomes in the program exactly what JSON.parse makes of it; the direct decoder may decline
// (ok false: the caller uses JSON.parse) but never panics or differs.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`null`, `-0`, `9007199254740993`, `1e-7`, `"a\"b\\c\n\u0041\ud83d\ude00"`, `"\ud800"`,
		`[1,[2,[3,{"a":[]}]]]`, ` { "b" : 1 , "a" : [ true , null ] } `, `{"__proto__":{"x":1},"constructor":2}`,
		`{"a":1,"a":2}`, `{"_placeholder":true,"num":0}`, `[{"_placeholder":true,"num":1}]`, `1e400`,
	} {
		f.Add([]byte(s))
	}
	io := socketio.NewServer(socketio.Options{})
	defer io.Close()
	v := newVM(New(NewDispatcher(io), Options{}))
	check, err := v.rt.RunString(`(a, b) => JSON.stringify(a) === JSON.stringify(b) &&
		(typeof a === "object" || Object.is(a, b)) &&
		(typeof a !== "object" || a === null || (Object.getPrototypeOf(a) === Object.getPrototypeOf(b) &&
		 Object.keys(a).join() === Object.keys(b).join()))`)
	if err != nil {
		f.Fatal(err)
	}
	same, _ := goja.AssertFunction(check)
	f.Fuzz(func(t *testing.T, in []byte) {
		if !json.Valid(in) {
			return
		}
		got, ok := v.decodeJSON(in, nil) // placeholders stay objects, as for JSON.parse
		if !ok {
			return
		}
		want := v.parseJSON(in, nil)
		if res, err := same(goja.Undefined(), got, want); err != nil || !res.ToBoolean() {
			t.Fatalf("%q: decoded %v, JSON.parse %v", in, got, want)
		}
	})
}
