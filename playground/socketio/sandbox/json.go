package sandbox

import (
	"math"
	"math/big"
	"reflect"
	"strconv"

	"github.com/dop251/goja"
)

var (
	typeMap   = reflect.TypeOf(map[string]any{})
	typeSlice = reflect.TypeOf([]any{})
)

// jsonEnc writes what JSON.stringify(value, v.replacer) writes, in Go, for the data programs
// usually send: ordinary objects and arrays of strings, numbers, booleans, null and binary. It
// makes the same observable steps in the same order as goja's JSON.stringify (read a property,
// look up and call toJSON, the replacer's binary check, then serialise; a cycle throws the same
// TypeError), so getters and toJSON run exactly as often. A value it does not serialise itself (a
// Proxy, a wrapper object such as new Number(1), an Error, a Map, a BigInt, a string that is not
// plain ASCII) is handed to JSON.stringify at the point goja would serialise it: after its
// toJSON ran, so nothing runs twice. JSON.stringify costs a native call, a holder object and a
// replacer call per value; this path makes the common payloads cheaper.
type jsonEnc struct {
	v     *vm
	buf   []byte
	stack []*goja.Object
}

// encodeJSON is JSON.stringify(a, v.replacer) (binary collected in v.atts); ok is false where
// stringify returns undefined.
func (v *vm) encodeJSON(a goja.Value) (text string, ok bool) {
	e := jsonEnc{v: v}
	if !e.str("", a) {
		return "", false
	}
	return string(e.buf), true
}

// str serialises value, read from its holder under key (goja's SerializeJSONProperty).
func (e *jsonEnc) str(key string, value goja.Value) bool {
	v := e.v
	if o, ok := value.(*goja.Object); ok {
		if fn := fnOf(o.Get("toJSON")); fn != nil {
			res, err := fn(o, v.rt.ToValue(key))
			if err != nil {
				panic(err)
			}
			value = res
		}
	} else if _, ok := exportOf(value).(*big.Int); ok {
		// toJSON of a BigInt primitive is looked up with the primitive as receiver: let goja do it.
		return e.delegate(key, value, false)
	}
	value = v.replaceValue(value)
	return e.serialize(key, value)
}

// serialize writes a value after toJSON and the replacer.
func (e *jsonEnc) serialize(key string, value goja.Value) bool {
	v := e.v
	if _, ok := value.(*goja.Symbol); ok {
		return false // (Export would give its description)
	}
	o, isObj := value.(*goja.Object)
	if !isObj {
		switch x := exportOf(value).(type) {
		case nil:
			if value != nil && goja.IsNull(value) {
				e.buf = append(e.buf, "null"...)
				return true
			}
			return false // undefined
		case bool:
			e.buf = strconv.AppendBool(e.buf, x)
			return true
		case int64:
			e.buf = strconv.AppendInt(e.buf, x, 10)
			return true
		case float64:
			if math.IsNaN(x) || math.IsInf(x, 0) {
				e.buf = append(e.buf, "null"...)
			} else {
				e.buf = append(e.buf, value.String()...) // JavaScript's Number::toString
			}
			return true
		case string:
			if plainASCII(x) {
				e.buf = append(append(append(e.buf, '"'), x...), '"')
				return true
			}
			return e.delegate(key, value, true)
		case *big.Int:
			panic(v.rt.NewTypeError("Do not know how to serialize a BigInt"))
		}
		return false
	}
	if fnOf(o) != nil {
		return false
	}
	// ExportType first: it runs nothing, where ClassName would reach into a Proxy's target.
	t := o.ExportType()
	isArray := t == typeSlice && o.ClassName() == "Array"
	if !isArray && (t != typeMap || o.ClassName() != "Object") {
		return e.delegate(key, value, true) // a Proxy, a wrapper, an Error, a Map, a Go value…
	}
	for _, p := range e.stack {
		if p.SameAs(o) {
			panic(v.rt.NewTypeError("Converting circular structure to JSON"))
		}
	}
	if isArray {
		e.stack = append(e.stack, o)
		n := o.Get("length").ToInteger()
		e.buf = append(e.buf, '[')
		for i := int64(0); i < n; i++ {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			k := strconv.FormatInt(i, 10)
			if !e.str(k, o.Get(k)) {
				e.buf = append(e.buf, "null"...)
			}
		}
		e.buf = append(e.buf, ']')
		e.stack = e.stack[:len(e.stack)-1]
		return true
	}
	keys := o.Keys()
	for _, k := range keys {
		if !plainASCII(k) { // goja's own quoting (and names Keys cannot spell in Go)
			return e.delegate(key, value, true)
		}
	}
	e.stack = append(e.stack, o)
	e.buf = append(e.buf, '{')
	empty := true
	for _, k := range keys {
		mark := len(e.buf)
		if !empty {
			e.buf = append(e.buf, ',')
		}
		e.buf = append(append(append(e.buf, '"'), k...), `":`...)
		if e.str(k, o.Get(k)) {
			empty = false
		} else {
			e.buf = e.buf[:mark]
		}
	}
	e.buf = append(e.buf, '}')
	e.stack = e.stack[:len(e.stack)-1]
	return true
}

// delegate lets goja's JSON.stringify serialise value as the property key of a holder. With done
// (toJSON and the replacer already ran), the holder is a prototype-less object that the replacer
// swaps for value, so goja serialises value without looking toJSON up again; without done, value
// sits under key in a prototype-less holder and goja does every step. A cycle through an
// ancestor that this encoder serialised is still found, one level later, with the same TypeError.
func (e *jsonEnc) delegate(key string, value goja.Value, done bool) bool {
	v := e.v
	holder := v.rt.CreateObject(nil)
	if done {
		v.swapHolder, v.swapValue = holder, value // taken by the replacer's first call
		defer func() { v.swapHolder, v.swapValue = nil, nil }()
		res, err := v.stringify(goja.Undefined(), holder, v.replacer)
		if err != nil {
			panic(err)
		}
		if goja.IsUndefined(res) {
			return false
		}
		e.buf = append(e.buf, res.String()...)
		return true
	}
	if err := holder.DefineDataProperty(key, value, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_TRUE); err != nil {
		panic(err)
	}
	res, err := v.stringify(goja.Undefined(), holder, v.replacer)
	if err != nil {
		panic(err)
	}
	// {"key":…} or {} when the value serialises to nothing
	s := res.String()
	prefix, err := v.stringify(goja.Undefined(), v.rt.ToValue(key))
	if err != nil {
		panic(err)
	}
	head := "{" + prefix.String() + ":"
	if len(s) <= len(head) || s[:len(head)] != head {
		return false
	}
	e.buf = append(e.buf, s[len(head):len(s)-1]...)
	return true
}

// exportOf is Export for a primitive (nil for undefined and null).
func exportOf(val goja.Value) any {
	if val == nil {
		return nil
	}
	return val.Export()
}

// plainASCII reports whether JSON writes s as it is between quotes.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
