package socketio

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"
)

// maxDepth is the deepest nesting of arrays and objects we accept in a payload
// (reliability.md §3). Deeper input is a shape violation, not a syntax error.
const maxDepth = 32

// span is a byte range [start, end) of the scanned input.
type span struct{ start, end int }

// placeholderRef is a binary placeholder {"_placeholder":true,"num":N} found
// by the scanner in a BINARY packet.
type placeholderRef struct {
	obj span // the whole placeholder object
	num int  // attachment index, range-checked
	arg int  // index of the root array element holding it, or -1
}

// scanResult describes a strictly validated JSON value.
type scanResult struct {
	top          byte   // first byte of the root value: '[', '{', '"', 't', 'f', 'n' or a number byte
	elems        []span // elements of a root array
	shape        string // first shape violation (too deep, duplicate key, number out of range)
	placeholders []placeholderRef
}

// syntaxError is a violation of the JSON grammar or of placeholder rules:
// the receiver closes the connection (protocol.md §2.4).
type syntaxError struct {
	off int
	msg string
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at offset %d: %s", e.off, e.msg)
}

type scanFrame struct {
	obj     bool
	start   int
	keyList []string            // keys seen so far (small objects)
	keys    map[string]struct{} // keys seen so far (large objects)
	key     string              // the key whose value is being scanned

	phTrue bool // "_placeholder": true seen
	hasNum bool // "num" seen
	num    int  // valid "num" value, or -1
}

type jscan struct {
	data        []byte
	i           int
	binary      bool // resolve placeholders (BINARY packets only)
	attachments int  // attachments announced in the packet header
	kinds       []bool
	frames      []scanFrame
	res         scanResult
}

// scanJSON validates data as exactly one JSON value (full input, strict
// grammar, valid UTF-8). Syntax errors are returned as *syntaxError. Depth
// over maxDepth, duplicate object keys and numbers outside float64 range are
// reported in the result's shape field. With binary set, placeholder objects
// are checked against the attachment count and collected. It runs in linear
// time without recursion.
func scanJSON(data []byte, binary bool, attachments int) (scanResult, error) {
	s := jscan{data: data, binary: binary, attachments: attachments}
	err := s.run()
	return s.res, err
}

func (s *jscan) errf(format string, args ...any) error {
	return &syntaxError{off: s.i, msg: fmt.Sprintf(format, args...)}
}

func (s *jscan) shape(msg string) {
	if s.res.shape == "" {
		s.res.shape = msg
	}
}

func (s *jscan) ws() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *jscan) run() error {
	s.ws()
	if s.i >= len(s.data) {
		return s.errf("empty input")
	}
	s.res.top = s.data[s.i]
	for {
		// Scan one value at s.i.
		s.ws()
		if s.i >= len(s.data) {
			return s.errf("unexpected end of input")
		}
		c := s.data[s.i]
		switch {
		case c == '{' || c == '[':
			obj := c == '{'
			s.push(obj)
			s.i++
			s.ws()
			if s.i < len(s.data) && ((obj && s.data[s.i] == '}') || (!obj && s.data[s.i] == ']')) {
				s.i++
				if err := s.pop(); err != nil {
					return err
				}
				break
			}
			if obj {
				if err := s.key(); err != nil {
					return err
				}
			}
			continue
		case c == '"':
			start := s.i
			if _, err := s.str(); err != nil {
				return err
			}
			s.valueDone('"', start, s.i)
		case c == '-' || (c >= '0' && c <= '9'):
			start := s.i
			if err := s.number(); err != nil {
				return err
			}
			s.valueDone('0', start, s.i)
		case c == 't' || c == 'f' || c == 'n':
			start := s.i
			lit := "null"
			switch c {
			case 't':
				lit = "true"
			case 'f':
				lit = "false"
			}
			if len(s.data)-s.i < len(lit) || string(s.data[s.i:s.i+len(lit)]) != lit {
				return s.errf("invalid literal")
			}
			s.i += len(lit)
			s.valueDone(c, start, s.i)
		default:
			return s.errf("unexpected byte %q", c)
		}
		done, err := s.afterValue()
		if err != nil || done {
			return err
		}
	}
}

// afterValue consumes separators and closing brackets after a value. It
// reports done when the root value is complete.
func (s *jscan) afterValue() (bool, error) {
	for {
		s.ws()
		if len(s.kinds) == 0 {
			if s.i != len(s.data) {
				return false, s.errf("trailing data")
			}
			return true, nil
		}
		if s.i >= len(s.data) {
			return false, s.errf("unexpected end of input")
		}
		obj := s.kinds[len(s.kinds)-1]
		switch c := s.data[s.i]; {
		case c == ',':
			s.i++
			if obj {
				s.ws()
				if err := s.key(); err != nil {
					return false, err
				}
			}
			return false, nil
		case (obj && c == '}') || (!obj && c == ']'):
			s.i++
			if err := s.pop(); err != nil {
				return false, err
			}
		default:
			return false, s.errf("expected ',' or closing bracket")
		}
	}
}

func (s *jscan) push(obj bool) {
	s.kinds = append(s.kinds, obj)
	if len(s.kinds) > maxDepth {
		s.shape("too deep")
		return
	}
	s.frames = append(s.frames, scanFrame{obj: obj, start: s.i, num: -1})
}

// pop closes the innermost container; s.i is just past its closing bracket.
func (s *jscan) pop() error {
	d := len(s.kinds)
	obj := s.kinds[d-1]
	s.kinds = s.kinds[:d-1]
	if d > maxDepth {
		return nil // deep values are never elements or placeholders we track
	}
	f := s.frames[d-1]
	s.frames = s.frames[:d-1]
	if obj && s.binary && f.phTrue {
		if !f.hasNum || f.num < 0 || f.num >= s.attachments {
			return &syntaxError{off: f.start, msg: "illegal attachments"}
		}
		arg := -1
		if len(s.kinds) > 0 && !s.kinds[0] {
			arg = len(s.res.elems) // the root array element being scanned
		}
		s.res.placeholders = append(s.res.placeholders, placeholderRef{obj: span{f.start, s.i}, num: f.num, arg: arg})
	}
	kind := byte('[')
	if obj {
		kind = '{'
	}
	s.valueDone(kind, f.start, s.i)
	return nil
}

// valueDone records a completed value [start, end) in its parent.
func (s *jscan) valueDone(kind byte, start, end int) {
	d := len(s.kinds)
	if d == 0 {
		return
	}
	if d == 1 && !s.kinds[0] {
		s.res.elems = append(s.res.elems, span{start, end})
	}
	if d > maxDepth || !s.kinds[d-1] || !s.binary {
		return
	}
	f := &s.frames[d-1]
	switch f.key {
	case "_placeholder":
		f.phTrue = kind == 't'
	case "num":
		f.hasNum = true
		f.num = smallInt(s.data[start:end])
	}
}

// smallInt parses a canonical non-negative decimal integer of at most 4
// digits, or returns -1.
func smallInt(b []byte) int {
	if len(b) == 0 || len(b) > 4 || (len(b) > 1 && b[0] == '0') {
		return -1
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// key scans an object key and the colon after it.
func (s *jscan) key() error {
	if s.i >= len(s.data) || s.data[s.i] != '"' {
		return s.errf("expected object key")
	}
	start := s.i
	esc, err := s.str()
	if err != nil {
		return err
	}
	raw := s.data[start:s.i]
	s.ws()
	if s.i >= len(s.data) || s.data[s.i] != ':' {
		return s.errf("expected ':'")
	}
	s.i++
	d := len(s.kinds)
	if d > maxDepth {
		return nil
	}
	var k string
	if esc {
		if err := json.Unmarshal(raw, &k); err != nil {
			return s.errf("invalid key: %v", err)
		}
	} else {
		k = string(raw[1 : len(raw)-1])
	}
	f := &s.frames[d-1]
	f.key = k
	if f.keys != nil {
		if _, dup := f.keys[k]; dup {
			s.shape("duplicate key")
		}
		f.keys[k] = struct{}{}
		return nil
	}
	for _, seen := range f.keyList {
		if seen == k {
			s.shape("duplicate key")
		}
	}
	f.keyList = append(f.keyList, k)
	if len(f.keyList) > 8 {
		f.keys = make(map[string]struct{}, 16)
		for _, seen := range f.keyList {
			f.keys[seen] = struct{}{}
		}
		f.keyList = nil
	}
	return nil
}

// str scans a string starting at the opening quote.
func (s *jscan) str() (esc bool, err error) {
	s.i++
	for s.i < len(s.data) {
		c := s.data[s.i]
		switch {
		case c == '"':
			s.i++
			return esc, nil
		case c == '\\':
			esc = true
			s.i++
			if s.i >= len(s.data) {
				return esc, s.errf("unterminated escape")
			}
			switch s.data[s.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i++
			case 'u':
				if len(s.data)-s.i < 5 {
					return esc, s.errf("short unicode escape")
				}
				for _, h := range s.data[s.i+1 : s.i+5] {
					if !isHex(h) {
						return esc, s.errf("invalid unicode escape")
					}
				}
				s.i += 5
			default:
				return esc, s.errf("invalid escape")
			}
		case c < 0x20:
			return esc, s.errf("control character in string")
		case c < utf8.RuneSelf:
			s.i++
		default:
			r, size := utf8.DecodeRune(s.data[s.i:])
			if r == utf8.RuneError && size <= 1 {
				return esc, s.errf("invalid UTF-8")
			}
			s.i += size
		}
	}
	return esc, s.errf("unterminated string")
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func (s *jscan) digits() int {
	n := 0
	for s.i < len(s.data) && s.data[s.i] >= '0' && s.data[s.i] <= '9' {
		s.i++
		n++
	}
	return n
}

func (s *jscan) number() error {
	start := s.i
	if s.data[s.i] == '-' {
		s.i++
	}
	switch {
	case s.i < len(s.data) && s.data[s.i] == '0':
		s.i++
	case s.i < len(s.data) && s.data[s.i] >= '1' && s.data[s.i] <= '9':
		s.digits()
	default:
		return s.errf("invalid number")
	}
	simple := true
	if s.i < len(s.data) && s.data[s.i] == '.' {
		s.i++
		simple = false
		if s.digits() == 0 {
			return s.errf("invalid number")
		}
	}
	if s.i < len(s.data) && (s.data[s.i] == 'e' || s.data[s.i] == 'E') {
		s.i++
		simple = false
		if s.i < len(s.data) && (s.data[s.i] == '+' || s.data[s.i] == '-') {
			s.i++
		}
		if s.digits() == 0 {
			return s.errf("invalid number")
		}
	}
	if !simple || s.i-start > 300 {
		f, _ := strconv.ParseFloat(string(s.data[start:s.i]), 64)
		if math.IsInf(f, 0) {
			s.shape("number out of range")
		}
	}
	return nil
}
