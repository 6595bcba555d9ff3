package sandbox

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dop251/goja"

	"socketlab/playground/socketio"
)

// vm is the runtime and the facade's shared state; only the loop goroutine touches it.
type vm struct {
	sb  *Sandbox
	rt  *goja.Runtime
	job uint64 // the loop job running now, counted by Sandbox.exec
	// wroteIDs are the sockets a socket.emit wrote to during job wroteJob (droppedVolatile).
	wroteJob uint64
	wroteIDs []string

	stringify, parse          goja.Callable
	errorCtor, u8Ctor, dvCtor *goja.Object
	objProto                  *goja.Object // Object.prototype: an object whose prototype it is is no DataView
	replacer, reviver         goja.Value
	atts                      [][]byte     // attachments collected by replacer / read by reviver
	swapHolder                *goja.Object // jsonEnc.delegate: the replacer answers swapValue for it
	swapValue                 goja.Value

	io         *goja.Object
	crypto     *goja.Object // require("node:crypto"), made on first use
	seq        uint64       // orders connections and joins
	sockets    map[*socketio.Socket]*jsSocket
	rejections map[*goja.Promise]goja.Value
}

func newVM(sb *Sandbox) *vm {
	rt := goja.New()
	rt.SetMaxCallStackSize(sb.opts.MaxCallStack)
	v := &vm{sb: sb, rt: rt, sockets: make(map[*socketio.Socket]*jsSocket), rejections: make(map[*goja.Promise]goja.Value)}
	sb.wd.setRuntime(rt)
	rt.SetPromiseRejectionTracker(func(p *goja.Promise, op goja.PromiseRejectionOperation) {
		if op == goja.PromiseRejectionReject {
			v.rejections[p] = p.Result()
		} else {
			delete(v.rejections, p)
		}
	})
	jsonObj := rt.Get("JSON").ToObject(rt)
	v.stringify, _ = goja.AssertFunction(jsonObj.Get("stringify"))
	v.parse, _ = goja.AssertFunction(jsonObj.Get("parse"))
	v.errorCtor = rt.Get("Error").ToObject(rt)
	v.u8Ctor = rt.Get("Uint8Array").ToObject(rt)
	v.dvCtor = rt.Get("DataView").ToObject(rt)
	v.objProto = rt.NewObject().Prototype()
	v.replacer = rt.ToValue(v.replace)
	v.reviver = rt.ToValue(v.revive)
	v.installGlobals()
	return v
}

// newError returns a JavaScript Error with msg.
func (v *vm) newError(msg string) *goja.Object {
	o, err := v.rt.New(v.errorCtor, v.rt.ToValue(msg))
	if err != nil {
		panic(err)
	}
	return o
}

// throw raises a JavaScript Error from a Go function called by the program.
func (v *vm) throw(format string, args ...any) {
	panic(v.newError(fmt.Sprintf(format, args...)))
}

// unavailable is the error for what Socket Lab does not provide.
func (v *vm) unavailable(name, why string) {
	v.throw("%s is not available in Socket Lab: %s", name, why)
}

// call runs a program function; an exception goes to the console (uncaught), an interrupt
// stops the program. It reports whether fn returned normally.
func (v *vm) call(fn goja.Callable, this goja.Value, args ...goja.Value) (goja.Value, bool) {
	res, err := fn(this, args...)
	if err != nil {
		v.uncaught(err)
		return nil, false
	}
	return res, true
}

func (v *vm) uncaught(err error) {
	re := v.sb.describe(err)
	var ie *goja.InterruptedError
	if errors.As(err, &ie) {
		v.sb.stop(re.Error())
		return
	}
	v.sb.console("error", "Uncaught "+re.Error())
}

// reportRejections prints promises rejected with no handler once the job's microtasks ran.
func (v *vm) reportRejections() {
	if v == nil || len(v.rejections) == 0 {
		return
	}
	for p, reason := range v.rejections {
		delete(v.rejections, p)
		msg := exceptionText(reason)
		if o, ok := reason.(*goja.Object); ok {
			if st := o.Get("stack"); st != nil && !goja.IsUndefined(st) {
				if pos := v.stackPosition(st.String()); pos != "" {
					msg = pos + ": " + msg
				}
			}
		}
		v.sb.console("error", "Unhandled promise rejection: "+msg)
	}
}

// stackPosition finds "file:line:col" of the program in an Error's stack text.
func (v *vm) stackPosition(stack string) string {
	i := strings.Index(stack, v.sb.file+":")
	if i < 0 {
		return ""
	}
	s := stack[i:]
	end := strings.IndexAny(s, "() \n")
	if end >= 0 {
		s = s[:end]
	}
	return s
}

// fn returns the function value, or nil when it is not callable.
func fnOf(val goja.Value) goja.Callable {
	if val == nil {
		return nil
	}
	f, _ := goja.AssertFunction(val)
	return f
}

// splitAck separates a trailing callback from emit arguments.
func splitAck(args []goja.Value) ([]goja.Value, goja.Callable) {
	if n := len(args); n > 0 {
		if f := fnOf(args[n-1]); f != nil {
			return args[:n-1], f
		}
	}
	return args, nil
}

// ---- values: JavaScript ↔ Socket.IO payloads, as JSON.stringify/JSON.parse would do in Node.

// toGo encodes emit arguments as JSON.stringify with v.replacer would (undefined, functions
// and symbols become null, Dates ISO strings, toJSON honoured; see encodeJSON), and
// ArrayBuffers and typed arrays anywhere in it become binary attachments.
func (v *vm) toGo(args []goja.Value) []any {
	v.atts = nil
	texts := make([]string, len(args))
	for i, a := range args {
		if t, ok := primitiveJSON(a); ok {
			texts[i] = t
			continue
		}
		if t, ok := v.encodeJSON(a); ok {
			texts[i] = t
		} else {
			texts[i] = "null"
		}
	}
	out := make([]any, len(args))
	for i, t := range texts {
		if len(v.atts) == 0 {
			out[i] = json.RawMessage(t)
		} else {
			out[i] = socketio.RawBinary{JSON: json.RawMessage(t), Attachments: v.atts}
		}
	}
	v.atts = nil
	return out
}

// replace is JSON.stringify's replacer: binary becomes a placeholder.
func (v *vm) replace(call goja.FunctionCall) goja.Value { return v.replaceValue(call.Argument(1)) }

// replaceValue is the replacer's answer for val.
func (v *vm) replaceValue(val goja.Value) goja.Value {
	if h := v.swapHolder; h != nil {
		if o, ok := val.(*goja.Object); ok && o.SameAs(h) {
			val = v.swapValue
			v.swapHolder, v.swapValue = nil, nil
			return val
		}
	}
	if b, ok := v.bytesOf(val); ok {
		if len(v.atts) >= 10 {
			v.throw("a packet carries at most 10 binary attachments")
		}
		o := v.rt.NewObject()
		_ = o.Set("_placeholder", true)
		_ = o.Set("num", len(v.atts))
		v.atts = append(v.atts, b)
		return o
	}
	return val
}

// bytesOf copies the bytes of an ArrayBuffer, a typed array or a DataView.
func (v *vm) bytesOf(val goja.Value) ([]byte, bool) {
	o, ok := val.(*goja.Object)
	if !ok {
		return nil, false
	}
	// ExportType is cheap (Export would convert a whole plain object): ArrayBuffer, a typed
	// array (a Go slice of numbers) or, among objects, a DataView.
	switch t := o.ExportType(); {
	case t == reflect.TypeOf(goja.ArrayBuffer{}):
		if ab, ok := o.Export().(goja.ArrayBuffer); ok {
			return append([]byte(nil), ab.Bytes()...), true
		}
		return nil, false
	case t != nil && t.Kind() == reflect.Slice && t.Elem().Kind() >= reflect.Int8 && t.Elem().Kind() <= reflect.Float64:
	case t != nil && t.Kind() == reflect.Map && o.Prototype() != v.objProto && v.rt.InstanceOf(o, v.dvCtor):
	default:
		return nil, false
	}
	ab, ok := o.Get("buffer").Export().(goja.ArrayBuffer)
	if !ok {
		return nil, false
	}
	off, n := o.Get("byteOffset").ToInteger(), o.Get("byteLength").ToInteger()
	all := ab.Bytes()
	if off < 0 || n < 0 || off+n > int64(len(all)) {
		return nil, false
	}
	return append([]byte(nil), all[off:off+n]...), true
}

// toJS decodes received arguments: JSON through JSON.parse, binary as Uint8Array.
func (v *vm) toJS(p socketio.Payload) []goja.Value {
	vals := p.Values()
	out := make([]goja.Value, len(vals), len(vals)+1) // room for an ack function
	for i, a := range vals {
		switch a := a.(type) {
		case []byte:
			out[i] = v.bytesValue(a)
		case socketio.RawBinary:
			if val, ok := v.decodeJSON(a.JSON, a.Attachments); ok {
				out[i] = val
				continue
			}
			v.atts = a.Attachments
			out[i] = v.parseJSON(a.JSON, v.reviver)
			v.atts = nil
		case json.RawMessage:
			if val, ok := v.decodeJSON(a, nil); ok {
				out[i] = val
			} else {
				out[i] = v.parseJSON(a, nil)
			}
		}
	}
	return out
}

// primitiveJSON encodes what JSON.stringify would make of a primitive, for the common values
// (numbers, booleans, null, undefined, plain ASCII strings); ok false sends the rest to
// JSON.stringify.
func primitiveJSON(a goja.Value) (string, bool) {
	switch a.(type) {
	case nil:
		return "null", true
	case *goja.Object: // Export would copy the whole object first: JSON.stringify decides
		return "", false
	case *goja.Symbol: // JSON.stringify gives undefined (Export would give the description)
		return "null", true
	}
	if goja.IsUndefined(a) || goja.IsNull(a) {
		return "null", true
	}
	switch x := a.Export().(type) {
	case bool:
		return strconv.FormatBool(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return "null", true
		}
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatInt(int64(x), 10), true
		}
		return "", false // JavaScript's shortest form: let JSON.stringify write it
	case string:
		if !plainASCII(x) {
			return "", false
		}
		return `"` + x + `"`, true
	}
	return "", false
}

func (v *vm) parseJSON(raw []byte, reviver goja.Value) goja.Value {
	args := []goja.Value{v.rt.ToValue(string(raw))}
	if reviver != nil {
		args = append(args, reviver)
	}
	res, err := v.parse(goja.Undefined(), args...)
	if err != nil {
		panic(err)
	}
	return res
}

// revive is JSON.parse's reviver: placeholders become Uint8Arrays.
func (v *vm) revive(call goja.FunctionCall) goja.Value {
	val := call.Argument(1)
	if o, ok := val.(*goja.Object); ok {
		if ph := o.Get("_placeholder"); ph != nil && ph.ToBoolean() {
			if n := o.Get("num"); n != nil {
				if i := n.ToInteger(); i >= 0 && i < int64(len(v.atts)) {
					return v.bytesValue(v.atts[i])
				}
			}
		}
	}
	return val
}

func (v *vm) bytesValue(b []byte) goja.Value {
	ab := v.rt.NewArrayBuffer(append([]byte(nil), b...))
	o, err := v.rt.New(v.u8Ctor, v.rt.ToValue(ab))
	if err != nil {
		panic(err)
	}
	return o
}

// jsonValue converts a Go value (from encoding/json) to JavaScript through JSON.parse.
func (v *vm) jsonValue(x any) goja.Value {
	raw, err := json.Marshal(x)
	if err != nil {
		return goja.Undefined()
	}
	return v.parseJSON(raw, nil)
}

// ---- globals

// refused names a global the program might reach for, with the reason it is not there.
var refused = []struct{ name, why string }{
	{"module", "the server is the global io, no module is needed"},
	{"exports", "the server is the global io, no module is needed"},
	{"process", "the server runs inside Socket Lab, not as a Node process"},
	{"Buffer", "received binary arrives as a Uint8Array; send an ArrayBuffer or a Uint8Array"},
	{"__dirname", "there is no file system"},
	{"__filename", "there is no file system"},
	{"fetch", "there is no network access"},
	{"XMLHttpRequest", "there is no network access"},
	{"WebSocket", "there is no network access"},
}

func (v *vm) installGlobals() {
	g := v.rt.GlobalObject()
	for _, r := range refused {
		r := r
		getter := v.rt.ToValue(func(goja.FunctionCall) goja.Value {
			v.unavailable(r.name, r.why)
			return nil
		})
		if err := g.DefineAccessorProperty(r.name, getter, nil, goja.FLAG_TRUE, goja.FLAG_FALSE); err != nil {
			panic(err)
		}
	}
	for _, f := range []struct {
		name string
		fn   func(goja.FunctionCall) goja.Value
	}{
		{"setTimeout", v.setTimeout},
		{"setInterval", v.setInterval},
		{"setImmediate", v.setImmediate},
		{"clearImmediate", v.clearTimeout},
		{"clearTimeout", v.clearTimeout},
		{"clearInterval", v.clearTimeout},
		{"queueMicrotask", v.queueMicrotask},
		{"require", v.require},
	} {
		_ = g.Set(f.name, f.fn)
	}
	con := v.rt.NewObject()
	for _, level := range []string{"log", "info", "warn", "error", "debug"} {
		level := level
		_ = con.Set(level, func(call goja.FunctionCall) goja.Value {
			v.sb.console(level, v.format(call.Arguments))
			return goja.Undefined()
		})
	}
	_ = g.Set("console", con)
	v.io = v.newServer()
	_ = g.Set("io", v.io)
}

// ---- timers

type jsTimer struct {
	t        *time.Timer
	fn       goja.Callable
	args     []goja.Value
	interval time.Duration // 0 for setTimeout
	due      time.Time     // when it is next due: timers run in (due, id) order, as in Node
}

func (v *vm) setTimeout(call goja.FunctionCall) goja.Value {
	return v.addTimer("setTimeout", call, false)
}
func (v *vm) setInterval(call goja.FunctionCall) goja.Value {
	return v.addTimer("setInterval", call, true)
}

// setImmediate(fn, ...args) runs fn after the current job, like setTimeout(fn, 0, ...args).
func (v *vm) setImmediate(call goja.FunctionCall) goja.Value {
	args := append([]goja.Value{call.Argument(0), v.rt.ToValue(0)}, call.Arguments[min(1, len(call.Arguments)):]...)
	return v.addTimer("setImmediate", goja.FunctionCall{This: call.This, Arguments: args}, false)
}

func (v *vm) addTimer(name string, call goja.FunctionCall, repeat bool) goja.Value {
	sb := v.sb
	fn := fnOf(call.Argument(0))
	if fn == nil {
		panic(v.rt.NewTypeError(`The "callback" argument of ` + name + ` must be of type function`))
	}
	if len(sb.timers) >= sb.opts.MaxTimers {
		v.throw("%s refused: this server already has %d pending timers, the limit in Socket Lab", name, sb.opts.MaxTimers)
	}
	ms := call.Argument(1).ToFloat()
	if math.IsNaN(ms) || ms < 1 || ms > math.MaxInt32 {
		ms = 1 // as Node does
	}
	d := time.Duration(ms * float64(time.Millisecond))
	if name == "setImmediate" {
		d = 0 // after the current job, with no delay
	}
	sb.timerID++
	id := sb.timerID
	var args []goja.Value
	if len(call.Arguments) > 2 {
		args = append(args, call.Arguments[2:]...)
	}
	tm := &jsTimer{fn: fn, args: args, due: time.Now().Add(d)}
	if repeat {
		tm.interval = d
	}
	tm.t = time.AfterFunc(d, func() { sb.postInternal(v.runDue) })
	sb.timers[id] = tm
	return v.timerObject(id)
}

// timerObject is Node's Timeout: it converts to its id, and ref/unref/hasRef/refresh work.
func (v *vm) timerObject(id int64) goja.Value {
	o := v.rt.NewObject()
	self := goja.Value(o)
	_ = o.SetSymbol(goja.SymToPrimitive, func(goja.FunctionCall) goja.Value { return v.rt.ToValue(id) })
	ret := func(goja.FunctionCall) goja.Value { return self }
	_ = o.Set("ref", ret)
	_ = o.Set("unref", ret)
	_ = o.Set("hasRef", func(goja.FunctionCall) goja.Value { return v.rt.ToValue(true) })
	_ = o.Set("refresh", func(goja.FunctionCall) goja.Value {
		if tm := v.sb.timers[id]; tm != nil {
			d := max(tm.interval, time.Millisecond)
			tm.due = time.Now().Add(d)
			tm.t.Reset(d)
		}
		return self
	})
	_ = o.Set("close", func(goja.FunctionCall) goja.Value { v.cancelTimer(id); return self })
	return o
}

// runDue runs every timer that is due, earliest first (ties in creation order), as Node's timer
// phase does: each Go timer only wakes the loop, so two timers due 10 ms apart run in order even
// when the loop was busy past both (their AfterFunc goroutines may post in either order). A
// wake-up that finds nothing due (its timer already ran, was cleared or rescheduled) does nothing.
func (v *vm) runDue() {
	now := time.Now()
	var due []int64
	for id, tm := range v.sb.timers {
		if !tm.due.After(now) {
			due = append(due, id)
		}
	}
	slices.SortFunc(due, func(a, b int64) int {
		if c := v.sb.timers[a].due.Compare(v.sb.timers[b].due); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	for _, id := range due {
		tm := v.sb.timers[id]
		if tm == nil || tm.due.After(now) { // cleared or refreshed by an earlier callback
			continue
		}
		if tm.interval > 0 {
			tm.due = now.Add(tm.interval)
			tm.t.Reset(tm.interval)
		} else {
			delete(v.sb.timers, id)
		}
		v.call(tm.fn, goja.Undefined(), tm.args...)
		if v.sb.stopped.Load() {
			return
		}
	}
}

func (v *vm) clearTimeout(call goja.FunctionCall) goja.Value {
	a := call.Argument(0)
	if goja.IsUndefined(a) || goja.IsNull(a) {
		return goja.Undefined()
	}
	v.cancelTimer(a.ToInteger())
	return goja.Undefined()
}

func (v *vm) cancelTimer(id int64) {
	if tm := v.sb.timers[id]; tm != nil {
		tm.t.Stop()
		delete(v.sb.timers, id)
	}
}

func (v *vm) queueMicrotask(call goja.FunctionCall) goja.Value {
	fn := fnOf(call.Argument(0))
	if fn == nil {
		panic(v.rt.NewTypeError(`The "callback" argument must be of type function`))
	}
	p, resolve, _ := v.rt.NewPromise()
	then, _ := goja.AssertFunction(v.rt.ToValue(p).ToObject(v.rt).Get("then"))
	cb := v.rt.ToValue(func(goja.FunctionCall) goja.Value {
		v.call(fn, goja.Undefined())
		return goja.Undefined()
	})
	if _, err := then(v.rt.ToValue(p), cb); err != nil {
		panic(err)
	}
	_ = resolve(nil)
	return goja.Undefined()
}

// ---- console formatting, close to Node's util.format

func (v *vm) format(args []goja.Value) string {
	var b strings.Builder
	rest := args
	if len(args) > 0 {
		if s, ok := args[0].Export().(string); ok && strings.Contains(s, "%") {
			rest = args[1:]
			for i := 0; i < len(s); i++ {
				c := s[i]
				if c != '%' || i+1 == len(s) {
					b.WriteByte(c)
					continue
				}
				verb := s[i+1]
				if verb == '%' {
					b.WriteByte('%')
					i++
					continue
				}
				if !strings.ContainsRune("sdifjoOc", rune(verb)) || len(rest) == 0 {
					b.WriteByte(c)
					continue
				}
				a := rest[0]
				rest = rest[1:]
				i++
				switch verb {
				case 's':
					if _, isStr := a.Export().(string); isStr {
						b.WriteString(a.String())
					} else {
						b.WriteString(v.inspect(a, 1, false))
					}
				case 'd', 'i':
					f := a.ToFloat()
					if verb == 'i' {
						f = math.Trunc(f)
					}
					b.WriteString(v.inspect(v.rt.ToValue(f), 0, false))
				case 'f':
					b.WriteString(v.inspect(v.rt.ToValue(a.ToFloat()), 0, false))
				case 'j':
					res, err := v.stringify(goja.Undefined(), a)
					if err != nil {
						b.WriteString("[Circular]")
					} else {
						b.WriteString(res.String())
					}
				case 'o', 'O':
					b.WriteString(v.inspect(a, 2, true))
				case 'c':
				}
			}
			for _, a := range rest {
				b.WriteByte(' ')
				b.WriteString(v.inspect(a, 2, false))
			}
			return b.String()
		}
	}
	for i, a := range rest {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(v.inspect(a, 2, false))
	}
	return b.String()
}

// inspect renders a value roughly as Node's util.inspect: strings bare at the top level and
// quoted inside objects, objects as { a: 1 }, arrays as [ 1, 2 ].
func (v *vm) inspect(val goja.Value, depth int, nested bool) string {
	switch {
	case val == nil || goja.IsUndefined(val):
		return "undefined"
	case goja.IsNull(val):
		return "null"
	}
	o, isObj := val.(*goja.Object)
	if !isObj {
		switch x := val.Export().(type) {
		case string:
			if nested {
				return "'" + strings.ReplaceAll(x, "'", `\'`) + "'"
			}
			return x
		case float64:
			if x == 0 && math.Signbit(x) {
				return "-0"
			}
		}
		return val.String()
	}
	if f := fnOf(o); f != nil {
		name := o.Get("name").String()
		if name == "" {
			return "[Function (anonymous)]"
		}
		return "[Function: " + name + "]"
	}
	if v.rt.InstanceOf(o, v.errorCtor) {
		if st := o.Get("stack"); st != nil && !goja.IsUndefined(st) && st.String() != "" {
			return st.String()
		}
		return exceptionText(o)
	}
	if b, ok := v.bytesOf(o); ok {
		return fmt.Sprintf("<Binary %d bytes>", len(b))
	}
	if depth < 0 {
		if o.ClassName() == "Array" {
			return "[Array]"
		}
		return "[Object]"
	}
	switch o.ClassName() {
	case "Array":
		n := o.Get("length").ToInteger()
		parts := make([]string, 0, min(n, 100))
		for i := int64(0); i < n && i < 100; i++ {
			parts = append(parts, v.inspect(o.Get(strconv.FormatInt(i, 10)), depth-1, true))
		}
		if n > 100 {
			parts = append(parts, fmt.Sprintf("... %d more items", n-100))
		}
		if len(parts) == 0 {
			return "[]"
		}
		return "[ " + strings.Join(parts, ", ") + " ]"
	case "Date":
		if s, err := v.stringify(goja.Undefined(), o); err == nil && !goja.IsUndefined(s) {
			return strings.Trim(s.String(), `"`)
		}
	}
	if tag := v.collectionTag(o); tag != "" {
		return tag
	}
	keys := o.Keys()
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		key := k
		if !isIdent(k) {
			key = "'" + k + "'"
		}
		parts = append(parts, key+": "+v.inspect(o.Get(k), depth-1, true))
	}
	if len(parts) == 0 {
		return "{}"
	}
	return "{ " + strings.Join(parts, ", ") + " }"
}

// collectionTag renders a Set or a Map.
func (v *vm) collectionTag(o *goja.Object) string {
	for _, kind := range []string{"Set", "Map"} {
		ctor := v.rt.Get(kind).ToObject(v.rt)
		if !v.rt.InstanceOf(o, ctor) {
			continue
		}
		arr, err := v.rt.RunString("(x) => Array.from(x)")
		if err != nil {
			return kind
		}
		from, _ := goja.AssertFunction(arr)
		items, err := from(goja.Undefined(), o)
		if err != nil {
			return kind
		}
		io := items.ToObject(v.rt)
		n := io.Get("length").ToInteger()
		parts := make([]string, 0, n)
		for i := int64(0); i < n && i < 100; i++ {
			it := io.Get(strconv.FormatInt(i, 10))
			if kind == "Map" {
				pair := it.ToObject(v.rt)
				parts = append(parts, v.inspect(pair.Get("0"), 0, true)+" => "+v.inspect(pair.Get("1"), 0, true))
			} else {
				parts = append(parts, v.inspect(it, 0, true))
			}
		}
		if len(parts) == 0 {
			return fmt.Sprintf("%s(0) {}", kind)
		}
		return fmt.Sprintf("%s(%d) { %s }", kind, n, strings.Join(parts, ", "))
	}
	return ""
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if r == '_' || r == '$' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (i > 0 && r >= '0' && r <= '9') {
			continue
		}
		return false
	}
	return true
}
