package blocks

import (
	"strings"
	"testing"
)

// fuzzBlock asserts that any body in a block fence converts without a
// panic or an error, and never lets markup through.
func fuzzBlock(t *testing.T, fence, body string) {
	html, _ := convert(t, Options{}, fence+"\n"+body+"\n```\n")
	if strings.Contains(strings.ToLower(html), "<script") {
		t.Errorf("markup escaped into the output: %q", html)
	}
}

func FuzzDemo(f *testing.F) {
	f.Add("chat", "clients: [Ada, Grace]")
	f.Add("rooms", "a: &x [1]\nb: *x")
	f.Add("x", "a: {b: {c: [1, 2.5, .nan, null, true, 2024-01-01]}}")
	f.Add("console", "nick: \"<script>alert(1)</script>\"")
	f.Fuzz(func(t *testing.T, name, body string) {
		if strings.ContainsAny(name, "\n`") {
			return
		}
		fuzzBlock(t, "```demo "+name, body)
	})
}

func FuzzQuiz(f *testing.F) {
	f.Add(quizSrc[strings.Index(quizSrc, "- question"):strings.LastIndex(quizSrc, "```")])
	f.Add("- question: q\n  choices: [{text: a, correct: true, explain: x}, {text: b, explain: '<script>'}]")
	f.Add("[]")
	f.Add("- {question: x, choices: &a [*a]}")
	f.Fuzz(func(t *testing.T, body string) {
		fuzzBlock(t, "```quiz", body)
	})
}

func FuzzExercise(f *testing.F) {
	body := validExercise[strings.Index(validExercise, "title:"):strings.LastIndex(validExercise, "```")]
	f.Add(body)
	f.Add(strings.Replace(body, "Use `socket.broadcast`.", "'<script>alert(1)</script>'", 1))
	f.Add("demo: {kind: chat, clients: &a [*a]}")
	f.Add("checks: [{name: x, steps: [{wait: 1}], expect: [{client: A, receives: nothing, args: [1]}]}]")
	f.Fuzz(func(t *testing.T, body string) {
		fuzzBlock(t, "```exercise", body)
	})
}
