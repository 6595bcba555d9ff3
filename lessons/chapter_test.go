package lessons

import (
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// TestChapterDefaults: a chapter's lessons inherit draft, objectives and questions from its
// chapter.yaml unless they set the key themselves (even to false or an empty list); lessons
// outside the chapter inherit nothing; the chapter's title, summary and order reach its lessons.
func TestChapterDefaults(t *testing.T) {
	fsys := fstest.MapFS{
		"01-intro.md": md("title: Intro\nsummary: S\n", ""),
		"02-basics/chapter.yaml": {Data: []byte("title: The basics\nsummary: First steps.\n" +
			"defaults:\n  draft: true\n  objectives: [Chapter objective]\n  questions: [\"Chapter question?\"]\n")},
		"02-basics/01-inherits.md":  md("title: Inherits\nsummary: S\n", ""),
		"02-basics/02-published.md": md("title: Published\nsummary: S\ndraft: false\n", ""),
		"02-basics/03-own.md":       md("title: Own\nsummary: S\ndraft: false\nobjectives: [Own objective]\nquestions: []\n", ""),
		"03-cleared/chapter.yaml":   {Data: []byte("title: No defaults\n")},
		"03-cleared/01-plain.md":    md("title: Plain\nsummary: S\n", ""),
	}
	type lesson struct {
		Slug                  string
		Draft                 bool
		Objectives, Questions []string
		Chapter               string
		Top, Inner            int
	}
	tests := []struct {
		name   string
		drafts bool
		want   []lesson
	}{
		{"published", false, []lesson{
			{"intro", false, nil, nil, "", 1, 0},
			{"published", false, []string{"Chapter objective"}, []string{"Chapter question?"}, "The basics", 2, 2},
			{"own", false, []string{"Own objective"}, []string{}, "The basics", 2, 3},
			{"plain", false, nil, nil, "No defaults", 3, 1},
		}},
		{"with drafts", true, []lesson{
			{"intro", false, nil, nil, "", 1, 0},
			{"inherits", true, []string{"Chapter objective"}, []string{"Chapter question?"}, "The basics", 2, 1},
			{"published", false, []string{"Chapter objective"}, []string{"Chapter question?"}, "The basics", 2, 2},
			{"own", false, []string{"Own objective"}, []string{}, "The basics", 2, 3},
			{"plain", false, nil, nil, "No defaults", 3, 1},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idx, err := Load(fsys, Options{Prefix: "lessons", Drafts: tt.drafts})
			if err != nil {
				t.Fatal(err)
			}
			var got []lesson
			for _, l := range idx.Lessons() {
				g := lesson{Slug: l.Slug, Draft: l.Draft, Objectives: l.Objectives, Questions: l.Questions}
				if l.Chapter != nil {
					g.Chapter = l.Chapter.Title
					if l.Chapter.Title == "The basics" && l.Chapter.Summary != "First steps." {
						t.Errorf("%s: chapter summary %q, want %q", l.Slug, l.Chapter.Summary, "First steps.")
					}
				}
				g.Top, g.Inner = l.position()
				got = append(got, g)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("lessons (-want +got):\n%s", d)
			}
		})
	}
}
