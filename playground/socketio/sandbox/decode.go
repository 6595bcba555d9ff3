package sandbox

import (
	"encoding/json"
	"strconv"

	"github.com/dop251/goja"
)

// decoder turns a received JSON argument into JavaScript values directly, as JSON.parse would
// (goja's JSON.parse reads through encoding/json's token stream, several times slower). Input
// has already been validated by socketio's strict parser (depth, UTF-8, full input); anything
// unexpected makes ok false and the caller falls back to JSON.parse. Placeholders
// ({"_placeholder":true,"num":N}) become Uint8Arrays when atts is set.
type decoder struct {
	v    *vm
	b    []byte
	i    int
	atts [][]byte
	bad  bool
}

func (v *vm) decodeJSON(raw []byte, atts [][]byte) (goja.Value, bool) {
	d := decoder{v: v, b: raw, atts: atts}
	val := d.value()
	d.space()
	if d.bad || d.i != len(d.b) {
		return nil, false
	}
	return val, true
}

func (d *decoder) space() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *decoder) fail() goja.Value {
	d.bad = true
	return goja.Undefined()
}

func (d *decoder) value() goja.Value {
	d.space()
	if d.bad || d.i >= len(d.b) {
		return d.fail()
	}
	rt := d.v.rt
	switch c := d.b[d.i]; {
	case c == '{':
		return d.object()
	case c == '[':
		d.i++
		var vals []any
		d.space()
		if d.i < len(d.b) && d.b[d.i] == ']' {
			d.i++
			return rt.NewArray()
		}
		for more := true; more && !d.bad; {
			vals = append(vals, d.value())
			more = d.more(']')
		}
		return rt.NewArray(vals...)
	case c == '"':
		s, ok := d.str()
		if !ok {
			return d.fail()
		}
		return rt.ToValue(s)
	case c == 't' || c == 'f' || c == 'n':
		for _, lit := range []struct {
			s string
			v goja.Value
		}{{"true", rt.ToValue(true)}, {"false", rt.ToValue(false)}, {"null", goja.Null()}} {
			if len(d.b)-d.i >= len(lit.s) && string(d.b[d.i:d.i+len(lit.s)]) == lit.s {
				d.i += len(lit.s)
				return lit.v
			}
		}
		return d.fail()
	default:
		return d.number()
	}
}

// more reads the separator after an element: true after a comma, false after the closing byte
// (a failure otherwise).
func (d *decoder) more(closing byte) bool {
	d.space()
	switch {
	case d.i < len(d.b) && d.b[d.i] == ',':
		d.i++
		return true
	case d.i < len(d.b) && d.b[d.i] == closing:
		d.i++
		return false
	}
	d.fail()
	return false
}

func (d *decoder) number() goja.Value {
	start := d.i
	for d.i < len(d.b) {
		c := d.b[d.i]
		if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			d.i++
			continue
		}
		break
	}
	tok := string(d.b[start:d.i])
	if tok == "" {
		return d.fail()
	}
	if n, err := strconv.ParseInt(tok, 10, 64); err == nil && n > -1<<53 && n < 1<<53 && (n != 0 || tok[0] != '-') {
		return d.v.rt.ToValue(n)
	}
	f, err := strconv.ParseFloat(tok, 64)
	if err != nil {
		return d.fail()
	}
	return d.v.rt.ToValue(f)
}

// str reads a string token; escapes are decoded by encoding/json (as goja's JSON.parse does).
func (d *decoder) str() (string, bool) {
	start := d.i
	d.i++
	escaped := false
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case '\\':
			escaped = true
			d.i += 2
			continue
		case '"':
			d.i++
			if !escaped {
				return string(d.b[start+1 : d.i-1]), true
			}
			var s string
			if err := json.Unmarshal(d.b[start:d.i], &s); err != nil {
				return "", false
			}
			return s, true
		}
		d.i++
	}
	return "", false
}

func (d *decoder) object() goja.Value {
	rt := d.v.rt
	d.i++
	o := rt.NewObject()
	var placeholder bool
	var num goja.Value
	d.space()
	if d.i < len(d.b) && d.b[d.i] == '}' {
		d.i++
		return o
	}
	for !d.bad {
		d.space()
		if d.i >= len(d.b) || d.b[d.i] != '"' {
			return d.fail()
		}
		key, ok := d.str()
		if !ok {
			return d.fail()
		}
		d.space()
		if d.i >= len(d.b) || d.b[d.i] != ':' {
			return d.fail()
		}
		d.i++
		val := d.value()
		if d.bad {
			return val
		}
		// a data property even for "__proto__", as JSON.parse defines it
		if err := o.DefineDataProperty(key, val, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_TRUE); err != nil {
			return d.fail()
		}
		switch key {
		case "_placeholder":
			placeholder = val.StrictEquals(rt.ToValue(true))
		case "num":
			num = val
		}
		if !d.more('}') {
			break
		}
	}
	if placeholder && d.atts != nil && num != nil {
		if n := num.ToInteger(); n >= 0 && n < int64(len(d.atts)) && num.ToFloat() == float64(n) {
			return d.v.bytesValue(d.atts[n])
		}
	}
	return o
}
