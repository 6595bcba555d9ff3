package blocks

import (
	"net/url"
	"strings"
	"testing"
)

func TestAllowedURL(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"", true},
		{"/lessons/rooms#join", true},
		{"rooms", true},
		{"#top", true},
		{"?q=1", true},
		{"./a:b", true},
		{"https://socket.io/docs/v4/", true},
		{"HTTP://example.com", true},
		{"mailto:a@example.com", true},
		{"javascript:alert(1)", false},
		{"JaVaScRiPt:alert(1)", false},
		{" javascript:alert(1)", false},
		{"\x01javascript:alert(1)", false},
		{"java\tscript:alert(1)", false},
		{"java\nscript:alert(1)", false},
		{"vbscript:msgbox(1)", false},
		{"data:text/html;base64,PHNjcmlwdD4=", false},
		{"data:image/png;base64,AAAA", false},
		{"file:///etc/passwd", false},
		{"ftp://example.com", false},
		{"c:\\windows", false},
		{"a b:c", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := AllowedURL([]byte(tt.in)); got != tt.want {
				t.Errorf("AllowedURL(%q): got %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

// TestXSS is T45 (reliability.md §6 C) at the goldmark level; the loader
// test repeats it on a whole lesson.
func TestXSS(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"script", "<script>alert(1)</script>", "<!-- raw HTML omitted -->\n"},
		{"img onerror", "x <img src=x onerror=alert(1)>", "<p>x <!-- raw HTML omitted --></p>\n"},
		{"iframe", "<iframe src=//evil>", "<!-- raw HTML omitted -->\n"},
		{"raw a href", `<a href="javascript:alert(1)">x</a>`, "<p><!-- raw HTML omitted -->x<!-- raw HTML omitted --></p>\n"},
		{"javascript", "[x](javascript:alert(1))", "<p><a href=\"\">x</a></p>\n"},
		{"mixed case", "[x](JaVaScRiPt:alert(1))", "<p><a href=\"\">x</a></p>\n"},
		{"entity", "[x](&#106;avascript:alert(1))", "<p><a href=\"\">x</a></p>\n"},
		{"colon entity", "[x](javascript&colon;alert(1))", "<p><a href=\"\">x</a></p>\n"},
		{"tab entity", "[x](java&#9;script:alert(1))", "<p><a href=\"\">x</a></p>\n"},
		{"leading control", "[x](&#1;javascript:alert(1))", "<p><a href=\"\">x</a></p>\n"},
		{"autolink", "<javascript:alert(1)>", "<p>javascript:alert(1)</p>\n"},
		{"reference", "[x]\n\n[x]: javascript:alert(1)", "<p><a href=\"\">x</a></p>\n"},
		{"vbscript", "[x](vbscript:msgbox(1))", "<p><a href=\"\">x</a></p>\n"},
		{"data html", "[x](data:text/html;base64,PHNjcmlwdD4=)", "<p><a href=\"\">x</a></p>\n"},
		{"data svg image", "![i](data:image/svg+xml;base64,PHN2Zz4=)", "<p><img src=\"\" alt=\"i\"></p>\n"},
		{"file", "[x](file:///etc/passwd)", "<p><a href=\"\">x</a></p>\n"},
		{"title quotes", `[x](/a "t\" onmouseover=\"alert(1)")`, "<p><a href=\"/a\" title=\"t&quot; onmouseover=&quot;alert(1)\">x</a></p>\n"},
		{"https kept", "[x](https://socket.io)", "<p><a href=\"https://socket.io\">x</a></p>\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := convert(t, Options{}, tt.src)
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzAllowedURL(f *testing.F) {
	for _, s := range []string{"javascript:x", " JAVA\tSCRIPT:x", "/a", "https://a", "mailto:x", "\x00data:x", "a b:c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !AllowedURL([]byte(s)) {
			return
		}
		// What a browser would parse: trimmed, tabs and newlines removed.
		norm := strings.Map(func(r rune) rune {
			if r == '\t' || r == '\n' || r == '\r' {
				return -1
			}
			return r
		}, strings.TrimFunc(s, func(r rune) bool { return r <= 0x20 }))
		u, err := url.Parse(norm)
		if err != nil {
			return
		}
		switch strings.ToLower(u.Scheme) {
		case "", "http", "https", "mailto":
		default:
			t.Errorf("AllowedURL(%q) = true, but the scheme is %q", s, u.Scheme)
		}
	})
}
