package lessons

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/PuerkitoBio/goquery"

	"socketlab/lessons/blocks"
)

// TestXSS is T45 (reliability.md §6 C) on a whole lesson: raw HTML is
// omitted, no executable URL survives in any href or src, no on* attribute.
func TestXSS(t *testing.T) {
	body := `
<script>alert(1)</script>

x <img src=x onerror=alert(1)>

<iframe src=//evil>

<a href="javascript:alert(1)">raw</a>

[a](javascript:alert(1)) [b](JaVaScRiPt:alert(1)) [c](&#106;avascript:alert(1))
[d](javascript&colon;alert(1)) [e](vbscript:msgbox(1)) [f](data:text/html;base64,PHNjcmlwdD4=)
![g](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+) [h](file:///etc/passwd)
<javascript:alert(1)> [i](java&#9;script:alert(1)) [j](<&#1;javascript:alert(1)>)
[k][ref] [l](/ok "a\" onmouseover=\"alert(1)")

[ref]: JAVASCRIPT:alert(1)

` + "```quiz\n" + `- question: "<img src=x onerror=alert(1)> [q](javascript:alert(1))"
  choices:
    - {text: "<script>alert(1)</script>", correct: true, explain: "[x](vbscript:x)"}
    - {text: "b", explain: "<svg onload=alert(1)>"}
` + "```\n" + "```demo chat\nnick: \"\\\"><script>alert(1)</script>\"\n```\n"
	idx, err := Load(fstest.MapFS{"01-x.md": md("title: T\nsummary: S\n", body)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	html := idx.Lessons()[0].HTML
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(html))
	if err != nil {
		t.Fatal(err)
	}
	if n := doc.Find("script, iframe, svg, object, embed").Length(); n > 0 {
		t.Errorf("got %d active elements, want none in %q", n, html)
	}
	doc.Find("*").Each(func(_ int, s *goquery.Selection) {
		for _, a := range s.Nodes[0].Attr {
			if strings.HasPrefix(strings.ToLower(a.Key), "on") {
				t.Errorf("event handler attribute %s=%q survived", a.Key, a.Val)
			}
			if a.Key == "href" || a.Key == "src" {
				if !blocks.AllowedURL([]byte(a.Val)) {
					t.Errorf("%s=%q survived", a.Key, a.Val)
				}
			}
		}
	})
	if got := doc.Find(`a[href=""]`).Length(); got != 12 {
		t.Errorf("got %d emptied links, want 12 in %q", got, html)
	}
	if got := doc.Find(`img[src=""]`).Length(); got != 1 {
		t.Errorf("got %d emptied images, want 1", got)
	}
	if !strings.Contains(html, "<!-- raw HTML omitted -->") {
		t.Errorf("raw HTML not reported as omitted: %q", html)
	}
}

// TestNoUnsafeRendering is the repo check of T45: goldmark is at least
// 1.7.17 (CVE-2026-5160) and nothing here turns unsafe HTML or attribute
// syntax on.
func TestNoUnsafeRendering(t *testing.T) {
	// Test binaries carry no dependency build info: read go.mod.
	gomod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*github\.com/yuin/goldmark v(\d+)\.(\d+)\.(\d+)`).FindSubmatch(gomod)
	if m == nil {
		t.Fatal("go.mod does not require github.com/yuin/goldmark")
	}
	var v [3]int
	for i := range v {
		v[i], _ = strconv.Atoi(string(m[i+1]))
	}
	if v[0] < 1 || v[0] == 1 && (v[1] < 7 || v[1] == 7 && v[2] < 17) {
		t.Errorf("go.mod has goldmark v%d.%d.%d, want at least v1.7.17", v[0], v[1], v[2])
	}
	for _, dir := range []string{".", "blocks"} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
				continue
			}
			src, err := os.ReadFile(dir + "/" + e.Name())
			if err != nil {
				t.Fatal(err)
			}
			for _, bad := range []string{"WithUnsafe", "WithAttribute()"} {
				if bytes.Contains(src, []byte(bad)) {
					t.Errorf("%s/%s uses %s", dir, e.Name(), bad)
				}
			}
		}
	}
}

// pathological are hostile lesson bodies (T47, reliability.md §6 C); refused is "" for one that
// must render.
func pathological() []struct{ name, src, refused string } {
	r := strings.Repeat
	return []struct{ name, src, refused string }{
		{"brackets", r("[", 50000) + r("]", 50000), "paragraph over"},
		{"processing instructions", "a " + r("<?", 50000), "paragraph over"},
		{"CDATA", "a " + r("<![CDATA[", 50000), "over the 262144-byte limit"},
		{"declarations", "a " + r("<!A ", 50000), "paragraph over"},
		{"comments", "a " + r("<!-- ", 50000), "paragraph over"},
		{"blockquotes", r("> ", 10000) + "x", "nested deeper"},
		{"lists", r("* ", 8000) + "a", "nested deeper"},
		{"emphasis", r("*_", 40000), "paragraph over"},
		{"tildes", r("~", 100000), ""}, // an empty fenced code block
		{"link destinations", r("[a](<b", 50000), "over the 262144-byte limit"},
		{"link openers", r("]([\n", 50000), "paragraph over"},
		{"10 MB lesson", r("Text with *emphasis* and `code`, [a link](/x).\n\n", 10<<20/49), "over the 262144-byte limit"},
		{"nested lists over lines", nestedList(40), "nested deeper"},
		{"deep indentation", nestedList(300), "line indented 82 columns, over 80"},
		{"fence hidden in an HTML comment", "<!--\n\n```\n-->\n\n" + r("[a](<b", 20000) + "\n\n```\n", "paragraph"},
		{"not a fence", "```a`\n" + r("[a](<b", 20000) + "\n```\n", "paragraph"},
		{"unknown-language fences", r("```x\ny\n```\n", 20000), ""},
		{"broken quiz fences", r("```quiz\n- question: q\n```\n", 8000), "quiz question 1"},
		// At the limits: paragraphs as dense as the guards allow, up to the file cap.
		{"dense [", dense("["), ""},
		{"dense [a](<b", dense("[a](<b"), ""},
		{"dense ]([", dense("]([\n"), ""},
		{"dense [a][", dense("[a]["), ""},
		{"dense ![a](", dense("![a]("), ""},
		{"dense *_", dense("*_"), ""},
		{"dense _a", dense("_a "), ""},
		{"dense mixed", dense("[*_<?`a"), ""},
		{"long <?", dense("<?"), ""},
		{"long a <b", dense("a <b "), ""},
		{"highlighted code", "```js\n" + r("/* a */ var x = [`${'\\'}`, /re/g, 1e9];\n", 5000) + "```\n", ""},
	}
}

// TestPathological is T47 (reliability.md §6 C): each input is either rendered with output at
// most 10× the input or refused with a file:line error. Inputs over the file cap are refused
// before parsing; their first MaxFileSize-1 KiB is loaded too. How long each takes is
// BenchmarkPathological's (docs/benchmarks.md), not a test's.
func TestPathological(t *testing.T) {
	for _, tt := range pathological() {
		t.Run(tt.name, func(t *testing.T) {
			srcs := []string{tt.src}
			if len(tt.src) > MaxFileSize-100 {
				srcs = append(srcs, tt.src[:MaxFileSize-1024])
			}
			for i, src := range srcs {
				file := md("title: T\nsummary: S\n", src)
				idx, err := Load(fstest.MapFS{"01-x.md": file}, Options{})
				switch {
				case err != nil && i == 0 && tt.refused != "" && strings.Contains(err.Error(), tt.refused):
				case err != nil && i > 0:
					t.Logf("%d bytes: refused: %.120s", len(src), err)
				case err != nil:
					t.Errorf("%d bytes: got error %.200q, want %q", len(src), err, tt.refused)
				case i == 0 && tt.refused != "":
					t.Errorf("%d bytes: rendered, want refused with %q", len(src), tt.refused)
				default:
					if out := len(idx.Lessons()[0].HTML); out > 10*len(file.Data) {
						t.Errorf("output %d bytes for %d of input, want at most 10×", out, len(file.Data))
					}
				}
			}
		})
	}
}

// BenchmarkPathological is how long each hostile input of TestPathological takes to load (the
// reliability target: under a second each).
func BenchmarkPathological(b *testing.B) {
	for _, tt := range pathological() {
		file := md("title: T\nsummary: S\n", tt.src)
		fsys := fstest.MapFS{"01-x.md": file}
		b.Run(tt.name, func(b *testing.B) {
			for b.Loop() {
				Load(fsys, Options{})
			}
		})
	}
}

func nestedList(depth int) string {
	var sb strings.Builder
	for i := range depth {
		sb.WriteString(strings.Repeat("  ", i) + "* item\n")
	}
	return sb.String()
}

// dense repeats p into paragraphs as large as the guards allow, up to the
// file cap.
func dense(p string) string {
	var chunk string
	for {
		c := chunk + p
		if strings.Count(c, "[") > MaxBrackets ||
			strings.Count(c, "*")+strings.Count(c, "_")+strings.Count(c, "~") > MaxDelimiters ||
			len(c) > MaxParagraph-10 {
			break
		}
		chunk = c
	}
	return strings.Repeat("x"+chunk+"\n\n", (MaxFileSize-2000)/(len(chunk)+3))
}

// TestEmbeddedLessons loads the real lessons with every known demo name.
func TestEmbeddedLessons(t *testing.T) {
	known := regexp.MustCompile(`^(chat|emit-scopes|rooms|namespaces|tenants|acks|queue|broker|cluster|reconnection|authentication|console)$`)
	opts := Options{Prefix: "lessons", Drafts: true, Blocks: blocks.Options{
		ValidateDemo: func(name string, _ json.RawMessage) error {
			if !known.MatchString(name) {
				return fmt.Errorf("unknown demo %q", name)
			}
			return nil
		},
	}}
	idx, err := Load(Content, opts)
	if err != nil {
		t.Fatal(err)
	}
	l, i, ok := idx.BySlug("welcome")
	if !ok || i != 0 {
		t.Fatalf("welcome: got position %d, %v; want the first lesson", i, ok)
	}
	checks := []struct {
		name string
		ok   bool
	}{
		{"has objectives", len(l.Objectives) > 0},
		{"has reading questions", len(l.Questions) > 0},
		{"a console demo for Ada and Grace (clients plus their Send and Disconnect), then a console demo to predict", len(l.Demos) == 2 &&
			l.Demos[0].Name == "console" && string(l.Demos[0].Config) == `{"controls":["say","disconnect","log"],"clients":["Ada","Grace"]}` &&
			l.Demos[1].Name == "console" && strings.Contains(string(l.Demos[1].Config), `"predict":`)},
		{"one quiz of 2–4 questions", len(l.Quizzes) == 1 && len(l.Quizzes[0].Questions) >= 2 && len(l.Quizzes[0].Questions) <= 4},
		{"highlighted JS", strings.Contains(l.HTML, `data-lang="js"><pre class="chroma">`)},
		{"no raw HTML in the source", !strings.Contains(l.HTML, "raw HTML omitted")},
		{"no inline styles", !strings.Contains(l.HTML, "style=")},
		{"a table of contents", len(l.TOC) >= 4},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if !c.ok {
				t.Errorf("%s: check failed", l.File)
			}
		})
	}
	for _, q := range l.Quizzes[0].Questions {
		for _, c := range q.Choices {
			if len(c.ExplanationHTML) < 30 {
				t.Errorf("%s %s: explanation %q is too short to teach", l.File, c.ID, c.ExplanationHTML)
			}
		}
	}
}
