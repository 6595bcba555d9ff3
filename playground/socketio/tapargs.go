package socketio

import (
	"encoding/json"
	"unicode/utf8"
)

// TapPreviewBytes is how much of an event's or ack's arguments a TapEvent carries: their JSON
// array up to this size is kept whole, a larger one only as a preview of this many bytes.
// Observers (a demo's tap, its history, the browsers watching it) thus hold a few KiB per event
// however large the payload: a megabyte payload costs the hub the packet itself, once.
const TapPreviewBytes = 2 << 10

// cutArgs returns what a TapEvent keeps of args: a copy when their JSON array (`["hi",1]`) is
// at most TapPreviewBytes long; else nil, the array's size, and its first TapPreviewBytes bytes
// or fewer, cut before a UTF-8 sequence (the arguments are valid UTF-8: the parser checked).
// Nothing returned shares memory with args, so the packet can be freed.
func cutArgs(args []json.RawMessage) (kept []json.RawMessage, size int, preview string) {
	if args == nil {
		return nil, 0, ""
	}
	size = 2 + max(len(args)-1, 0)
	for _, a := range args {
		size += len(a)
	}
	if size <= TapPreviewBytes {
		buf := make([]byte, 0, size) // one allocation; the copies are slices of it
		kept = make([]json.RawMessage, len(args))
		for i, a := range args {
			start := len(buf)
			buf = append(buf, a...)
			kept[i] = json.RawMessage(buf[start:len(buf):len(buf)])
		}
		return kept, 0, ""
	}
	buf := make([]byte, 0, TapPreviewBytes+utf8.UTFMax)
	buf = append(buf, '[')
	for i, a := range args {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, a[:min(len(a), TapPreviewBytes+utf8.UTFMax-len(buf))]...)
		if len(buf) >= TapPreviewBytes {
			break
		}
	}
	return nil, size, string(previewCut(buf, TapPreviewBytes))
}

// previewCut returns b's first n bytes or fewer, ending before a UTF-8 sequence.
func previewCut(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	for n > 0 && !utf8.RuneStart(b[n]) {
		n--
	}
	return b[:n]
}
