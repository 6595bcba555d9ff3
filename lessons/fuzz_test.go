package lessons

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"socketlab/lessons/blocks"
)

// FuzzLoad feeds any bytes as a lesson file: Load must not panic, and
// either return *Error values or one lesson whose HTML has no raw markup.
func FuzzLoad(f *testing.F) {
	welcome, err := Content.ReadFile("01-welcome.md")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(welcome)
	f.Add([]byte("---\ntitle: T\nsummary: S\n---\n<script>alert(1)</script> [x](javascript:alert(1))\n"))
	f.Add([]byte("---\ntitle: [\n---\n"))
	f.Add([]byte("---\ntitle: T\nsummary: S\nslug: a\norder: 2\ndraft: true\n---\n```demo chat\nclients: [A]\n```\n"))
	f.Add([]byte("---\n---\n"))
	f.Add([]byte("\xef\xbb\xbf---\r\ntitle: T\r\nsummary: S\r\n---\r\n# x\r\n"))
	opts := Options{Drafts: true, Blocks: blocks.Options{
		ValidateDemo: func(string, json.RawMessage) error { return nil },
	}}
	f.Fuzz(func(t *testing.T, data []byte) {
		idx, err := Load(fstest.MapFS{"01-x.md": {Data: data}}, opts)
		if err != nil {
			var le *Error
			if !errors.As(err, &le) || le.Line < 1 {
				t.Fatalf("got %v, want *Error with a line", err)
			}
			return
		}
		ls := idx.Lessons()
		if len(ls) != 1 {
			t.Fatalf("got %d lessons, want 1", len(ls))
		}
		if h := strings.ToLower(ls[0].HTML); strings.Contains(h, "<script") || strings.Contains(h, "javascript:") && strings.Contains(h, "href=\"javascript:") {
			t.Errorf("unsafe output: %q", ls[0].HTML)
		}
	})
}
