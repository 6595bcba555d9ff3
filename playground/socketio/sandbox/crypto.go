package sandbox

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"

	"github.com/dop251/goja"
)

// require("node:crypto") is the one module a program may load: hashes, HMACs (a signed token's
// check, lesson 13), a constant-time comparison and random ids, from Go's standard library, with
// Node's names, encodings and errors. What differs from Node is in docs/socketio-differences.md:
// a digest without an encoding is a Uint8Array (there is no Buffer).

// maxHashInput bounds what one update() takes, so a program cannot hold the loop hashing
// gigabytes in one Go call the watchdog cannot interrupt.
const maxHashInput = 16 << 20

var hashes = map[string]func() hash.Hash{
	"md5":    md5.New,
	"sha1":   sha1.New,
	"sha224": sha256.New224,
	"sha256": sha256.New,
	"sha384": sha512.New384,
	"sha512": sha512.New,
}

// require returns node:crypto for "crypto" or "node:crypto", and explains for anything else.
func (v *vm) require(call goja.FunctionCall) goja.Value {
	name := call.Argument(0).String()
	switch name {
	case "crypto", "node:crypto":
		if v.crypto == nil {
			v.crypto = v.cryptoModule()
		}
		return v.crypto
	case "socket.io":
		v.throw(`require("socket.io"): the server is already running as the global io; use io.on("connection", …) directly`)
	}
	v.throw(`require(%q): only "node:crypto" can be loaded here; the server is the global io`, name)
	return nil
}

func (v *vm) cryptoModule() *goja.Object {
	m := v.rt.NewObject()
	_ = m.Set("createHash", func(call goja.FunctionCall) goja.Value {
		alg := strings.ToLower(call.Argument(0).String())
		h, ok := hashes[alg]
		if !ok {
			v.throw("Digest method not supported")
		}
		return v.hashObject(h(), false)
	})
	_ = m.Set("createHmac", func(call goja.FunctionCall) goja.Value {
		alg := strings.ToLower(call.Argument(0).String())
		h, ok := hashes[alg]
		if !ok {
			v.throwCode("TypeError", "ERR_CRYPTO_INVALID_DIGEST", "Invalid digest: "+call.Argument(0).String())
		}
		key, ok := v.input(call.Argument(1), goja.Undefined())
		if !ok {
			v.throwCode("TypeError", "ERR_INVALID_ARG_TYPE", `The "key" argument must be of type string or an instance of ArrayBuffer, Buffer, TypedArray, DataView, KeyObject, or CryptoKey. Received `+v.received(call.Argument(1)))
		}
		return v.hashObject(hmac.New(h, key), true)
	})
	_ = m.Set("timingSafeEqual", func(call goja.FunctionCall) goja.Value {
		a, okA := v.bytesOf(call.Argument(0))
		b, okB := v.bytesOf(call.Argument(1))
		if !okA || !okB {
			arg := "buf1"
			if okA {
				arg = "buf2"
			}
			v.throwCode("TypeError", "ERR_INVALID_ARG_TYPE", `The "`+arg+`" argument must be an instance of ArrayBuffer, Buffer, TypedArray, or DataView.`)
		}
		if len(a) != len(b) {
			v.throwCode("RangeError", "ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH", "Input buffers must have the same byte length")
		}
		return v.rt.ToValue(subtle.ConstantTimeCompare(a, b) == 1)
	})
	_ = m.Set("randomUUID", func(goja.FunctionCall) goja.Value { return v.rt.ToValue(uuid4()) })
	return m
}

// hashObject is a Hash or an Hmac: update(data, inputEncoding?) returns it, digest(encoding?)
// ends it. A Hash digested twice throws, an Hmac answers empty (as Node's do).
func (v *vm) hashObject(h hash.Hash, isHmac bool) *goja.Object {
	o := v.rt.NewObject()
	done := false
	_ = o.Set("update", func(call goja.FunctionCall) goja.Value {
		if done {
			v.throwCode("Error", "ERR_CRYPTO_HASH_FINALIZED", "Digest already called")
		}
		b, ok := v.input(call.Argument(0), call.Argument(1))
		if !ok {
			v.throwCode("TypeError", "ERR_INVALID_ARG_TYPE", `The "data" argument must be of type string or an instance of Buffer, TypedArray, or DataView. Received `+v.received(call.Argument(0)))
		}
		h.Write(b)
		return o
	})
	_ = o.Set("digest", func(call goja.FunctionCall) goja.Value {
		var sum []byte
		switch {
		case !done:
			sum = h.Sum(nil)
		case !isHmac:
			v.throwCode("Error", "ERR_CRYPTO_HASH_FINALIZED", "Digest already called")
		}
		done = true
		return v.encoded(sum, call.Argument(0))
	})
	return o
}

// input is update()'s data or a key: a string in its encoding (utf8 by default), or bytes.
func (v *vm) input(val, enc goja.Value) ([]byte, bool) {
	var b []byte
	if s, ok := val.Export().(string); ok {
		switch e := strings.ToLower(enc.String()); e {
		case "hex":
			if len(s)%2 != 0 {
				v.throwCode("TypeError", "ERR_INVALID_ARG_VALUE", fmt.Sprintf("The argument 'encoding' is invalid for data of length %d. Received '%s'", len(s), enc.String()))
			}
			b = hexPrefix(s)
		case "base64", "base64url":
			b = base64Loose(s)
		case "latin1", "binary":
			b = make([]byte, 0, len(s))
			for _, r := range s {
				b = append(b, byte(r))
			}
		default:
			b = []byte(s)
		}
	} else if bytes, ok := v.bytesOf(val); ok {
		b = bytes
	} else {
		return nil, false
	}
	if len(b) > maxHashInput {
		v.throwCode("RangeError", "ERR_OUT_OF_RANGE", "Socket Lab hashes at most 16 MiB per update() call")
	}
	return b, true
}

// hexPrefix decodes hex digit pairs up to the first pair that is not one, as Node's
// Buffer.from(s, "hex") does ("abzz" is one byte).
func hexPrefix(s string) []byte {
	out := make([]byte, 0, len(s)/2)
	for i := 0; i+1 < len(s); i += 2 {
		var pair [1]byte
		if _, err := hex.Decode(pair[:], []byte(s[i:i+2])); err != nil {
			break
		}
		out = append(out, pair[0])
	}
	return out
}

// base64Loose decodes base64 or base64url (either alphabet) as Node does: characters outside
// the alphabets are skipped, the first "=" ends the data, and leftover bits are dropped.
func base64Loose(s string) []byte {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	out := make([]byte, 0, len(s)*3/4)
	var acc, bits uint
	for _, c := range []byte(s) {
		if c == '=' {
			break
		}
		switch c {
		case '-':
			c = '+'
		case '_':
			c = '/'
		}
		v := strings.IndexByte(alphabet, c)
		if v < 0 {
			continue
		}
		acc, bits = acc<<6|uint(v), bits+6
		if bits >= 8 {
			bits -= 8
			out = append(out, byte(acc>>bits))
		}
	}
	return out
}

// encoded is digest()'s answer: a string in the encoding asked for, else the bytes.
func (v *vm) encoded(sum []byte, enc goja.Value) goja.Value {
	switch strings.ToLower(enc.String()) {
	case "hex":
		return v.rt.ToValue(hex.EncodeToString(sum))
	case "base64":
		return v.rt.ToValue(base64.StdEncoding.EncodeToString(sum))
	case "base64url":
		return v.rt.ToValue(base64.RawURLEncoding.EncodeToString(sum))
	case "latin1", "binary":
		r := make([]rune, len(sum))
		for i, c := range sum {
			r[i] = rune(c)
		}
		return v.rt.ToValue(string(r))
	}
	return v.bytesValue(sum)
}

// throwCode raises a JavaScript error of the given constructor with Node's err.code.
func (v *vm) throwCode(ctor, code, msg string) {
	c, _ := goja.AssertConstructor(v.rt.Get(ctor))
	e, err := c(nil, v.rt.ToValue(msg))
	if err != nil {
		panic(err)
	}
	_ = e.Set("code", code)
	panic(e)
}

// received describes a wrong argument as Node's ERR_INVALID_ARG_TYPE messages end.
func (v *vm) received(val goja.Value) string {
	switch {
	case goja.IsUndefined(val):
		return "undefined"
	case goja.IsNull(val):
		return "null"
	}
	if o, ok := val.(*goja.Object); ok {
		if _, fn := goja.AssertFunction(o); fn {
			return "function " + o.Get("name").String()
		}
		if c, ok := o.Get("constructor").(*goja.Object); ok {
			return "an instance of " + c.Get("name").String()
		}
		return "[Object: null prototype]"
	}
	kind := val.ExportType().Kind().String()
	switch kind {
	case "int64", "float64":
		kind = "number"
	case "bool":
		kind = "boolean"
	}
	shown := val.String()
	if kind == "string" {
		if len(shown) > 25 {
			shown = shown[:25] + "..."
		}
		shown = "'" + shown + "'"
	}
	return "type " + kind + " (" + shown + ")"
}

// uuid4 is a random RFC 4122 version 4 UUID, as crypto.randomUUID returns.
func uuid4() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
