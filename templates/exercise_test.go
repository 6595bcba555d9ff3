package templates

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestExercise(t *testing.T) {
	v := ExerciseView{
		ID: "exercise-1", Title: "Everyone but " + xss, Demo: "chat", Clients: []string{"Ada", "Grace", "Linus"},
		GoalHTML:  "<p>Send to <strong>the others</strong>.</p>",
		HintsHTML: []string{"Use <code>socket.broadcast</code>.", "Second hint"},
		Solution:  `socket.broadcast.emit("chat", "</code>` + xss + `");`,
		// The config is text in an attribute: quotes and markup must stay inert.
		ConfigJSON: `{"id":"exercise-1","starter":"\"><script>x</script>","checks":[]}`,
	}
	doc, html := render(t, Exercise(v))
	sec := doc.Find("section.exercise[data-exercise]")
	if sec.Length() != 1 || sec.AttrOr("id", "") != "sl-exercise-1" || sec.AttrOr("data-exercise-id", "") != "exercise-1" {
		t.Fatalf("section: %s", html)
	}
	var cfg map[string]any
	if err := json.Unmarshal([]byte(sec.AttrOr("data-exercise", "")), &cfg); err != nil || cfg["starter"] != `"><script>x</script>` {
		t.Errorf("data-exercise = %q (%v)", sec.AttrOr("data-exercise", ""), err)
	}
	if strings.Contains(html, "<script") {
		t.Errorf("markup from the title, solution or config leaked into the HTML: %s", html)
	}
	if got := texts(doc.Find(".exercise-title")); !cmp.Equal(got, []string{"Exercise: Everyone but " + xss}) {
		t.Errorf("title = %q", got)
	}
	if got := doc.Find(`[data-testid="exercise-goal"] strong`).Text(); got != "the others" {
		t.Errorf("goal HTML not rendered: %q", got)
	}
	if got := texts(doc.Find(".exercise-demo")); !cmp.Equal(got, []string{"Checked with the clients Ada, Grace and Linus of a chat demo."}) {
		t.Errorf("demo line = %q", got)
	}
	hints := testid(doc, "exercise-hint")
	if hints.Length() != 2 || hints.Filter("[hidden]").Length() != 2 || hints.First().Find("code").Text() != "socket.broadcast" {
		t.Errorf("hints must be rendered hidden, as HTML: %s", html)
	}
	for _, id := range []string{"exercise-check", "exercise-next-hint", "exercise-show-solution", "exercise-status", "exercise-results"} {
		if testid(doc, id).Length() != 1 {
			t.Errorf("no [data-testid=%s]", id)
		}
	}
	if doc.Find("[data-exercise-actions]").AttrOr("hidden", "none") == "none" {
		t.Error("the buttons need JavaScript: hidden until exercise.js shows them")
	}
	sol := testid(doc, "exercise-solution")
	if sol.AttrOr("hidden", "none") == "none" || sol.Text() != v.Solution {
		t.Errorf("solution: hidden and as text, got %q", sol.Text())
	}
	// No hints: no hint button.
	v.HintsHTML = nil
	doc, _ = render(t, Exercise(v))
	if testid(doc, "exercise-next-hint").Length() != 0 || doc.Find("[data-exercise-hints]").Length() != 0 {
		t.Error("hint list or button without hints")
	}
	v.Title = ""
	doc, _ = render(t, Exercise(v))
	if got := texts(doc.Find(".exercise-title")); !cmp.Equal(got, []string{"Exercise: write the server"}) {
		t.Errorf("default title = %q", got)
	}
}
