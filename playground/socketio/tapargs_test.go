package socketio

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// arrayOf is the JSON array of args, as the client sent it.
func arrayOf(args []json.RawMessage) []byte {
	parts := make([][]byte, len(args))
	for i, a := range args {
		parts[i] = a
	}
	return append(append([]byte("["), bytes.Join(parts, []byte(","))...), ']')
}

func TestCutArgs(t *testing.T) {
	big := json.RawMessage(`"` + strings.Repeat("x", 1<<20) + `"`)
	euro := json.RawMessage(`"` + strings.Repeat("€", TapPreviewBytes) + `"`)   // 3-byte runes across the cut
	fits := json.RawMessage(`"` + strings.Repeat("y", TapPreviewBytes-4) + `"`) // ["…"] is exactly TapPreviewBytes
	tests := []struct {
		name        string
		args        []json.RawMessage
		wantKept    bool
		wantSize    int
		wantPreview string // its start
	}{
		{"none", nil, false, 0, ""},
		{"empty list", []json.RawMessage{}, true, 0, ""},
		{"small", []json.RawMessage{json.RawMessage(`"hi"`), json.RawMessage(`1`)}, true, 0, ""},
		{"exactly the preview size", []json.RawMessage{fits}, true, 0, ""},
		{"one byte over", []json.RawMessage{json.RawMessage(string(fits) + " ")}, false, TapPreviewBytes + 1, `["yyy`},
		{"a megabyte", []json.RawMessage{json.RawMessage(`1`), big}, false, len(big) + 4, `[1,"xxx`},
		{"runes across the cut", []json.RawMessage{euro}, false, len(euro) + 2, `["€€€`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kept, size, preview := cutArgs(tt.args)
			if (kept != nil) != tt.wantKept || size != tt.wantSize || !strings.HasPrefix(preview, tt.wantPreview) {
				t.Fatalf("got kept=%v size %d preview %.20q, want kept=%v size %d preview %.20q…", kept != nil, size, preview, tt.wantKept, tt.wantSize, tt.wantPreview)
			}
			if kept != nil && !bytes.Equal(arrayOf(kept), arrayOf(tt.args)) {
				t.Errorf("kept %s, want %s", arrayOf(kept), arrayOf(tt.args))
			}
			if size > 0 {
				whole := arrayOf(tt.args)
				if len(whole) != size || !bytes.HasPrefix(whole, []byte(preview)) || !utf8.ValidString(preview) ||
					len(preview) > TapPreviewBytes || len(preview) < TapPreviewBytes-utf8.UTFMax {
					t.Errorf("preview of %d bytes is not a whole-rune prefix of at most %d bytes", len(preview), TapPreviewBytes)
				}
			}
		})
	}
}

// TestTapKeepsNoPayload: an observer of a megabyte event holds a preview, not the packet.
func TestTapKeepsNoPayload(t *testing.T) {
	srv := newTestServer(t, Options{})
	events, cancel := srv.Observe(64)
	defer cancel()
	srv.OnConnection(func(s *Socket) {
		s.On("big", func(e *Event) { s.Emit("echo", e.Args[0]) })
	})
	p := dial(t, srv)
	p.connect("/")
	payload := `"` + strings.Repeat("z", 1<<20) + `"`
	p.send(`2["big",` + payload + `]`)
	seen := map[TapKind]bool{}
	for len(events) > 0 {
		ev := <-events
		if ev.Kind != TapEventIn && ev.Kind != TapEventOut {
			continue
		}
		seen[ev.Kind] = true
		if ev.Args != nil || ev.ArgsSize != len(payload)+2 || len(ev.ArgsPreview) != TapPreviewBytes {
			t.Errorf("%s: args %d, size %d, preview %d bytes; want none, %d, %d", ev.Kind, len(ev.Args), ev.ArgsSize, len(ev.ArgsPreview), len(payload)+2, TapPreviewBytes)
		}
	}
	if !seen[TapEventIn] || !seen[TapEventOut] {
		t.Errorf("saw %v, want event_in and event_out", seen)
	}
}

// FuzzCutArgs: whatever the arguments, the tap keeps them whole (byte-exact) or a valid UTF-8
// prefix of their JSON of at most TapPreviewBytes, with their exact size.
func FuzzCutArgs(f *testing.F) {
	f.Add([]byte(`["hi",1,{"a":[true]}]`), 0)
	f.Add([]byte(`["`+strings.Repeat("é", TapPreviewBytes)+`"]`), 1)
	f.Add([]byte(`[`+strings.Repeat(`"x",`, TapPreviewBytes)+`1]`), 3)
	f.Fuzz(func(t *testing.T, arr []byte, skip int) {
		sc, err := scanJSON(arr, false, 0)
		if err != nil || skip < 0 || skip > len(sc.elems) {
			return
		}
		args := argsOf(arr, skip)
		kept, size, preview := cutArgs(args)
		whole := arrayOf(args)
		switch {
		case kept != nil:
			if size != 0 || len(whole) > TapPreviewBytes || !bytes.Equal(arrayOf(kept), whole) {
				t.Fatalf("kept %q of %q", arrayOf(kept), whole)
			}
		case size != len(whole) || len(whole) <= TapPreviewBytes:
			t.Fatalf("size %d of %d bytes", size, len(whole))
		case !bytes.HasPrefix(whole, []byte(preview)) || !utf8.ValidString(preview) || len(preview) > TapPreviewBytes ||
			len(preview) < TapPreviewBytes-utf8.UTFMax:
			t.Fatalf("preview %q of %q", preview, whole)
		}
	})
}
