package main

import (
	"net/url"
	"path"
	"strings"
	"testing"

	"socketlab/lessons"
)

// TestContent checks the real embedded course: every lesson loads with its demos validated, has a
// live demo and a quiz, and every internal link and heading anchor resolves.
func TestContent(t *testing.T) {
	idx, err := loadLessons("", true)
	if err != nil {
		t.Fatalf("the embedded course does not load:\n%v", err)
	}
	all := idx.Lessons()
	if len(all) == 0 {
		t.Fatal("no lessons")
	}
	anchors := map[string]map[string]bool{}
	for _, l := range all {
		ids := map[string]bool{}
		for _, h := range l.TOC {
			ids[h.ID] = true
		}
		anchors[l.Slug] = ids
	}
	for _, l := range all {
		t.Run(l.Slug, func(t *testing.T) {
			if len(l.Objectives) == 0 {
				t.Errorf("%s: no objectives in the front matter", l.File)
			}
			if len(l.Demos) == 0 {
				t.Errorf("%s: no live demo", l.File)
			}
			if len(l.Quizzes) == 0 {
				t.Errorf("%s: no quiz", l.File)
			}
			for _, link := range append(append([]lessons.Link{}, l.Links...), l.Images...) {
				u, err := url.Parse(link.Href)
				if err != nil {
					t.Errorf("%s:%d: bad link %q: %v", l.File, link.Line, link.Href, err)
					continue
				}
				if u.Scheme != "" || u.Host != "" {
					continue // external: not checked offline
				}
				slug := l.Slug
				switch {
				case u.Path == "":
				case strings.HasPrefix(u.Path, "/lessons/"):
					slug = strings.TrimPrefix(u.Path, "/lessons/")
				case u.Path == "/" || u.Path == "/playground":
					continue
				default:
					t.Errorf("%s:%d: link %q points outside the lessons (use /lessons/SLUG)", l.File, link.Line, link.Href)
					continue
				}
				ids, ok := anchors[path.Clean(slug)]
				if !ok {
					t.Errorf("%s:%d: link %q: no lesson %q", l.File, link.Line, link.Href, slug)
					continue
				}
				if u.Fragment != "" && !ids[u.Fragment] && !strings.HasPrefix(u.Fragment, "demo-") && !strings.HasPrefix(u.Fragment, "quiz-") {
					t.Errorf("%s:%d: link %q: lesson %q has no heading #%s", l.File, link.Line, link.Href, slug, u.Fragment)
				}
			}
		})
	}
}
