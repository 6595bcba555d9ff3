package lessons

import (
	"strings"
	"testing"
)

// TestInlineHTML: a reading question's inline Markdown becomes safe inline HTML; block syntax,
// raw HTML and unsafe links stay harmless text.
func TestInlineHTML(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "What is a room?", "What is a room?"},
		{"code and emphasis",
			"`io.emit()` sends an event to everyone. What do you use to send to everyone *except* the emitting socket?",
			"<code>io.emit()</code> sends an event to everyone. What do you use to send to everyone <em>except</em> the emitting socket?"},
		{"strong and strike", "**Each** namespace has its own ~~two~~ three things", "<strong>Each</strong> namespace has its own <del>two</del> three things"},
		{"quotes escaped", `What "proof of life" do we get?`, "What &quot;proof of life&quot; do we get?"},
		{"raw HTML is text", "Is <script>alert(1)</script> <b>bold</b>?", "Is &lt;script&gt;alert(1)&lt;/script&gt; &lt;b&gt;bold&lt;/b&gt;?"},
		{"heading syntax is text", "# Rooms?", "# Rooms?"},
		{"list syntax is text", "- rooms", "- rooms"},
		{"quote syntax is text", "> rooms", "&gt; rooms"},
		{"indented code is text", "    code?", "code?"},
		{"safe link", "See [the docs](https://socket.io/docs/v4/rooms/).", `See <a href="https://socket.io/docs/v4/rooms/">the docs</a>.`},
		{"unsafe link emptied", "[click](javascript:alert(1))", `<a href="">click</a>`},
		{"no reference definitions", "[a]: /x", "[a]: /x"},
		{"two paragraphs joined", "One.\n\nTwo?", "One. Two?"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := InlineHTML(tt.in)
			if got != tt.want {
				t.Errorf("InlineHTML(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			for _, tag := range []string{"<p", "<h1", "<ul", "<li", "<blockquote", "<pre", "<script", "<!--"} {
				if strings.Contains(got, tag) {
					t.Errorf("InlineHTML(%q) = %q: contains %s", tt.in, got, tag)
				}
			}
		})
	}
}

// TestLoadQuestionsHTML: Load renders every reading question once, in order.
func TestLoadQuestionsHTML(t *testing.T) {
	idx, err := Load(Content, Options{Prefix: "lessons"})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	const want04 = "<code>io.emit()</code> sends an event to everyone. What do you use to send to everyone <em>except</em> the emitting socket?"
	seen04 := false
	for _, l := range idx.Lessons() {
		if l.Slug == "emit-and-broadcast" {
			seen04 = true
			if len(l.QuestionsHTML) == 0 || l.QuestionsHTML[0] != want04 {
				t.Errorf("lesson 4's question rendered %q, want %q", l.QuestionsHTML, want04)
			}
		}
		if len(l.QuestionsHTML) != len(l.Questions) {
			t.Fatalf("%s: %d questions, %d rendered", l.File, len(l.Questions), len(l.QuestionsHTML))
		}
		for i, q := range l.Questions {
			if want := InlineHTML(q); l.QuestionsHTML[i] != want {
				t.Errorf("%s: question %d rendered %q, want %q", l.File, i+1, l.QuestionsHTML[i], want)
			}
		}
	}
	if !seen04 {
		t.Error("no lesson emit-and-broadcast in the course")
	}
}
