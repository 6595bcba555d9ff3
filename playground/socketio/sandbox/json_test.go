package sandbox

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/dop251/goja"

	"socketlab/playground/socketio"
)

// The Go encoder writes what JSON.stringify(value, replacer) writes, with the same attachments,
// the same exceptions, and the program's code (getters, toJSON, proxy traps, valueOf) run the
// same number of times in the same order (recorded in log). Each case runs in a fresh runtime
// twice: once through JSON.stringify, once through the encoder.
func TestEncodeJSONLikeStringify(t *testing.T) {
	cases := []struct{ name, setup, value string }{
		{"plain", ``, `({a: 1, b: "x", c: [1, 2, {d: null}], e: true, f: false})`},
		{"numbers", ``, `[1.5, -0, NaN, Infinity, -Infinity, 1e21, 0.1 + 0.2, -1e-7, 2 ** 53, 2 ** 53 + 2, 123456789012345680000, 5e-324]`},
		{"strings", ``, `["é", "a\"b\\c", "\n\u0001\u007f", "\ud800", "😀", "</script>", ""]`},
		{"top-level string", ``, `"é\n"`},
		{"top-level number", ``, `3.25`},
		{"top-level function", ``, `(function () {})`},
		{"top-level symbol", ``, `Symbol("s")`},
		{"top-level undefined", ``, `undefined`},
		{"nothing values", ``, `({u: undefined, f() {}, s: Symbol("x"), a: [undefined, function () {}, Symbol()]})`},
		{"toJSON", ``, `({x: {toJSON(k) { log.push("toJSON " + k); return {y: k}; }}, d: new Date(0), l: [{toJSON(k) { log.push("el " + k); return undefined; }}]})`},
		{"toJSON returns a function", ``, `({x: {toJSON() { return () => 1; }}})`},
		{"getters in order", ``, `({get a() { log.push("a"); return 1; }, b: 2, get c() { log.push("c"); return {get d() { log.push("d"); return [1]; }}; }})`},
		{"getter deletes a later key", ``, `({get a() { delete this.b; log.push("a"); return 1; }, b: 2, c: 3})`},
		{"integer keys first", ``, `({b: 1, 2: 2, a: 3, 1: 4, "-1": 5})`},
		{"non-enumerable", ``, `Object.defineProperty({a: 1}, "h", {value: 2, enumerable: false})`},
		{"class instance", `class P { constructor() { this.x = 1; } get y() { log.push("y"); return 2; } }`, `[new P()]`},
		{"prototype toJSON", `class Q { constructor() { this.x = 1; } toJSON(k) { log.push("Q " + k); return "q"; } }`, `{a: new Q(), b: [new Q()]}`},
		{"wrappers", ``, `[new Number(3), new String("s"), new Boolean(false), Object(Symbol())]`},
		{"valueOf", ``, `(() => { const n = new Number(1); n.valueOf = () => { log.push("valueOf"); return 7; }; return {n}; })()`},
		{"proxy", ``, `({p: new Proxy({a: 1, b: {c: 2}}, {get(t, k) { log.push("get " + String(k)); return t[k]; }, ownKeys(t) { log.push("keys"); return Reflect.ownKeys(t); }})})`},
		{"array proxy", ``, `[new Proxy([1, 2], {get(t, k) { log.push("get " + String(k)); return t[k]; }})]`},
		{"collections", ``, `({m: new Map([[1, 2]]), s: new Set([1]), r: /x/g, e: new Error("boom"), args: (function () { return arguments; })(1, 2)})`},
		{"binary", ``, `({b: new Uint8Array([1, 2, 3]), ab: new Uint8Array([4]).buffer, dv: new DataView(new ArrayBuffer(2)), nested: [new Uint16Array([1]), {deep: new Int8Array([-1])}]})`},
		{"binary under toJSON", ``, `({x: {toJSON() { return new Uint8Array([9]); }}})`},
		{"too many attachments", ``, `Array.from({length: 11}, () => new Uint8Array(1))`},
		{"cycle", ``, `(() => { const a = {x: 1}; a.self = {up: a}; return a; })()`},
		{"cycle in array", ``, `(() => { const a = [1]; a.push([a]); return a; })()`},
		{"cycle through a proxy", ``, `(() => { const a = {}; a.p = new Proxy({a}, {}); return a; })()`},
		{"shared, not a cycle", ``, `(() => { const s = {v: 1}; return {a: s, b: [s, s]}; })()`},
		{"throwing getter", ``, `({ok: 1, get a() { throw new Error("nope"); }})`},
		{"throwing toJSON", ``, `[{toJSON() { throw new TypeError("bad toJSON"); }}]`},
		{"bigint", ``, `({n: 1n})`},
		{"bigint toJSON", `BigInt.prototype.toJSON = function (k) { log.push("big " + k); return this.toString(); };`, `({n: 2n, a: [3n]})`},
		{"odd keys", ``, `({"é": 1, "a\"b": 2, "\ud800": 3, "": 4, "\n": 5})`},
		{"holes and extra props", ``, `(() => { const a = [1, , 3]; a.x = 1; a[6] = 7; return a; })()`},
		{"null prototype", ``, `Object.assign(Object.create(null), {a: 1, b: [2]})`},
		{"date in array", ``, `[new Date(86400000)]`},
		{"toJSON getter on Object.prototype", `Object.defineProperty(Object.prototype, "toJSON", {get() { log.push("lookup"); return undefined; }, configurable: true});`, `({a: {b: 1}, c: [{}]})`},
		{"Array.prototype toJSON", `Array.prototype.toJSON = function (k) { log.push("arr " + k); return "A"; };`, `({a: [1], b: [[2]]})`},
		{"string wrapper props", ``, `(() => { const s = new String("ab"); s.x = 1; return [s]; })()`},
		{"placeholder look-alike", ``, `({_placeholder: true, num: 0})`},
		{"deep", ``, `(() => { let o = {v: 0}; for (let i = 0; i < 50; i++) o = {i, o, a: [o.v]}; return o; })()`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ref := runEncode(t, c.setup, c.value, false)
			got := runEncode(t, c.setup, c.value, true)
			if got != ref {
				t.Errorf("encoder:\n  %s\nJSON.stringify:\n  %s", got, ref)
			}
		})
	}
}

// runEncode evaluates value in a fresh runtime (after setup) and serialises it from inside a
// JavaScript call, as emits do; it reports the text (or the exception), the attachments and log.
func runEncode(t *testing.T, setup, value string, enc bool) string {
	t.Helper()
	io := socketio.NewServer(socketio.Options{})
	defer io.Close()
	v := newVM(New(NewDispatcher(io), Options{}))
	_ = v.rt.Set("encode", func(c goja.FunctionCall) goja.Value {
		v.atts = nil
		var text string
		ok := true
		if enc {
			text, ok = v.encodeJSON(c.Argument(0))
		} else {
			res, err := v.stringify(goja.Undefined(), c.Argument(0), v.replacer)
			if err != nil {
				panic(err)
			}
			if goja.IsUndefined(res) {
				ok = false
			} else {
				text = res.String()
			}
		}
		atts := v.atts
		v.atts = nil
		if !ok {
			return v.rt.ToValue(fmt.Sprintf("undefined %x", atts))
		}
		return v.rt.ToValue(fmt.Sprintf("%s %x", text, atts))
	})
	res, err := v.rt.RunString(`var log = [];` + setup + `;
		let out;
		try { out = encode(` + value + `); } catch (e) { out = "throws " + String(e); }
		out + " log: " + log.join(", ");`)
	if err != nil {
		t.Fatal(err)
	}
	return res.String()
}

// A symbol argument is sent as null, as JSON.stringify makes it undefined (not its description).
func TestToGoSymbolIsNull(t *testing.T) {
	io := socketio.NewServer(socketio.Options{})
	defer io.Close()
	v := newVM(New(NewDispatcher(io), Options{}))
	sym, err := v.rt.RunString(`Symbol("s")`)
	if err != nil {
		t.Fatal(err)
	}
	got := v.toGo([]goja.Value{sym, v.rt.ToValue("s")})
	if fmt.Sprint(got) != fmt.Sprint([]any{json.RawMessage("null"), json.RawMessage(`"s"`)}) {
		t.Errorf("toGo(Symbol(\"s\"), \"s\") = %s", got)
	}
}
