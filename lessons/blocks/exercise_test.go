package blocks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/yuin/goldmark"
)

// convertPos renders src and returns the HTML and the errors as "line:col: message".
func convertPos(t *testing.T, opts Options, src string) (string, []string) {
	t.Helper()
	return convertAs(t, opts, src, func(e *LineError) string { return fmt.Sprintf("%d:%d: %v", e.Line, e.Col, e.Err) })
}

// validExercise is a complete exercise block; tests replace parts of it.
const validExercise = "Intro\n\n" + // lines 1-2
	"```exercise\n" + // 3
	"title: Everyone but the sender\n" + // 4
	"demo: {kind: chat, clients: [Ada, {name: Eve, namespace: /admin, auth: {token: t}}]}\n" + // 5
	"goal: Send to **the others**, see [rooms](/lessons/rooms).\n" + // 6
	"starter: |\n" + // 7
	"  io.on(\"connection\", () => {});\n" + // 8
	"solution: |\n" + // 9
	"  io.on(\"connection\", (s) => s.on(\"chat\", (m) => s.broadcast.emit(\"chat\", m)));\n" + // 10
	"hints: [Use `socket.broadcast`.]\n" + // 11
	"checks:\n" + // 12
	"  - name: Ada's chat reaches Eve\n" + // 13
	"    steps:\n" + // 14
	"      - {client: Ada, emit: chat, args: [hi], ack: [{ok: true}]}\n" + // 15
	"      - {client: Eve, connect: true, auth: {}}\n" + // 16
	"      - {client: Eve, answers: q, with: [5]}\n" + // 17
	"      - {wait: 100}\n" + // 18
	"      - {client: Eve, disconnect: true}\n" + // 19
	"    expect:\n" + // 20
	"      - {client: Eve, receives: chat, args: [hi], times: 1}\n" + // 21
	"      - {client: Ada, receives: nothing}\n" + // 22
	"      - {client: Ada, misses: chat}\n" + // 23
	"      - {client: Eve, connect_error: bad token, data: {why: x}}\n" + // 24
	"      - {client: Ada, connected: true}\n" + // 25
	"```\n"

func TestExercise(t *testing.T) {
	var got []Exercise
	opts := Options{RenderExercise: func(_ context.Context, w io.Writer, x Exercise) error {
		got = append(got, x)
		_, err := io.WriteString(w, "<exercise>")
		return err
	}}
	html, errs := convertPos(t, opts, validExercise)
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	if !strings.Contains(html, "<exercise>") || len(got) != 1 {
		t.Fatalf("rendered %q, %d exercises", html, len(got))
	}
	x := got[0]
	if x.ID != "exercise-1" || x.Line != 3 || x.Title != "Everyone but the sender" || x.Demo != "chat" {
		t.Errorf("got ID %q line %d title %q demo %q", x.ID, x.Line, x.Title, x.Demo)
	}
	if want := `Send to <strong>the others</strong>, see <a href="/lessons/rooms">rooms</a>.`; x.GoalHTML != want {
		t.Errorf("GoalHTML = %q, want %q", x.GoalHTML, want)
	}
	if diff := cmp.Diff([]string{"Use <code>socket.broadcast</code>."}, x.HintsHTML); diff != "" {
		t.Errorf("hints (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]Link{{Href: "/lessons/rooms", Line: 6}}, x.Links); diff != "" {
		t.Errorf("links (-want +got):\n%s", diff)
	}
	wantClients := []ExerciseClient{{Name: "Ada", Namespace: "/"}, {Name: "Eve", Namespace: "/admin", Auth: json.RawMessage(`{"token":"t"}`)}}
	if diff := cmp.Diff(wantClients, x.Clients); diff != "" {
		t.Errorf("clients (-want +got):\n%s", diff)
	}
	if !strings.Contains(x.Starter, `io.on("connection", () => {});`) || !strings.Contains(x.Solution, "broadcast") {
		t.Errorf("starter %q solution %q", x.Starter, x.Solution)
	}
	var checks []map[string]any
	if err := json.Unmarshal(x.Checks, &checks); err != nil {
		t.Fatal(err)
	}
	if len(checks) != 1 || checks[0]["name"] != "Ada's chat reaches Eve" {
		t.Fatalf("checks = %s", x.Checks)
	}
	if !strings.Contains(string(x.Checks), `{"client":"Ada","emit":"chat","args":["hi"],"ack":[{"ok":true}]}`) {
		t.Errorf("checks keep the YAML order and values: %s", x.Checks)
	}
	cfg, err := x.Config()
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		ID, Demo, Starter, Solution string
		Clients                     []ExerciseClient
		Checks                      []json.RawMessage
	}
	if err := json.Unmarshal(cfg, &c); err != nil || c.ID != "exercise-1" || c.Demo != "chat" || len(c.Clients) != 2 || len(c.Checks) != 1 || c.Solution != x.Solution {
		t.Errorf("Config() = %s (%v)", cfg, err)
	}
}

func TestExerciseDefaults(t *testing.T) {
	src := "```exercise\ndemo: {kind: chat}\ngoal: g\nstarter: a\nsolution: b\nchecks:\n" +
		"  - {name: n, steps: [{client: A, emit: e}], expect: [{client: C, receives: e}]}\n```\n"
	html, errs := convertPos(t, Options{}, src)
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	// The fallback renderer: the config in data-exercise, escaped; A, B, C by default.
	if !strings.Contains(html, `data-exercise="{&#34;id&#34;:&#34;exercise-1&#34;,&#34;demo&#34;:&#34;chat&#34;,&#34;clients&#34;:[{&#34;name&#34;:&#34;A&#34;,&#34;namespace&#34;:&#34;/&#34;},{&#34;name&#34;:&#34;B&#34;`) {
		t.Errorf("html = %s", html)
	}
}

func TestExerciseErrors(t *testing.T) {
	validate := func(name string, _ json.RawMessage) error {
		if name != "chat" && name != "rooms" {
			if s := Suggest(name, []string{"chat", "rooms"}); s != "" {
				return fmt.Errorf("unknown demo %q (did you mean %q?)", name, s)
			}
			return fmt.Errorf("unknown demo %q", name)
		}
		return nil
	}
	tests := []struct {
		name     string
		old, new string // replaced in validExercise
		want     []string
	}{
		{"unknown top key", "title:", "titel:", []string{`4:1: exercise: unknown key "titel" (did you mean "title"?)`}},
		{"unknown demo", "kind: chat", "kind: chta", []string{`5:14: exercise demo: unknown demo "chta" (did you mean "chat"?)`}},
		{"solution missing", "solution: |\n  io.on(\"connection\", (s) => s.on(\"chat\", (m) => s.broadcast.emit(\"chat\", m)));\n", "",
			[]string{`4:1: exercise: "solution" is required`}},
		{"solution is the starter", "(s) => s.on(\"chat\", (m) => s.broadcast.emit(\"chat\", m))", "() => {}",
			[]string{`9:11: exercise: the solution is the starter code: the starter must fail a check`}},
		{"checks empty", "checks:\n  - name: Ada's chat reaches Eve\n", "checks: []\nold:\n  - name: x\n",
			[]string{`13:1: exercise: unknown key "old" (want title, demo, goal, starter, solution, hints, checks)`, `12:9: exercise: "checks" is empty: add at least one scenario`}},
		{"unknown client in a step", "{client: Ada, emit: chat", "{client: Adda, emit: chat",
			[]string{`15:18: exercise check 1 (Ada's chat reaches Eve) step 1: unknown client "Adda" (did you mean "Ada"?)`}},
		{"unknown client, no suggestion", "{client: Ada, receives: nothing}", "{client: Zed, receives: nothing}",
			[]string{`22:18: exercise check 1 (Ada's chat reaches Eve) expect 2: unknown client "Zed" (the exercise's clients: Ada, Eve)`}},
		{"misspelt step key", "{client: Ada, emit: chat, args: [hi]", "{client: Ada, emitt: chat, args: [hi]",
			[]string{`15:23: exercise check 1 (Ada's chat reaches Eve) step 1: unknown key "emitt" (did you mean "emit"?)`}},
		{"key of another step kind", "{client: Eve, disconnect: true}", "{client: Eve, disconnect: true, auth: {}}",
			[]string{`19:41: exercise check 1 (Ada's chat reaches Eve) step 5: unknown key "auth" (want client, disconnect)`}},
		{"two actions", "{client: Eve, answers: q, with: [5]}", "{client: Eve, answers: q, emit: x}",
			[]string{`17:9: exercise check 1 (Ada's chat reaches Eve) step 3: one of emit, connect, disconnect, answers, waits_for, wait per item, got answers and emit`}},
		{"waits_for args", "{wait: 100}", "{client: Eve, waits_for: q, args: 5}",
			[]string{`18:43: exercise check 1 (Ada's chat reaches Eve) step 4: "args" must be a list, e.g. ["hi"]`}},
		{"reserved event", "emit: chat, args: [hi]", "emit: disconnect, args: [hi]",
			[]string{`15:29: exercise check 1 (Ada's chat reaches Eve) step 1: "disconnect" is a reserved event name: a client cannot emit it`}},
		{"args not a list", "emit: chat, args: [hi]", "emit: chat, args: hi",
			[]string{`15:41: exercise check 1 (Ada's chat reaches Eve) step 1: "args" must be a list, e.g. ["hi"]`}},
		{"wait too long", "{wait: 100}", "{wait: 60000}",
			[]string{`18:16: exercise check 1 (Ada's chat reaches Eve) step 4: "wait" must be a number of milliseconds from 1 to 5000`}},
		{"nothing with args", "{client: Ada, receives: nothing}", "{client: Ada, receives: nothing, args: [x]}",
			[]string{`22:48: exercise check 1 (Ada's chat reaches Eve) expect 2: "receives: nothing" takes no "args"`}},
		{"misspelt expectation", "{client: Eve, receives: chat,", "{client: Eve, recieves: chat,",
			[]string{`21:23: exercise check 1 (Ada's chat reaches Eve) expect 1: unknown key "recieves" (did you mean "receives"?)`}},
		{"connected false", "connected: true}", "connected: false}",
			[]string{`25:34: exercise check 1 (Ada's chat reaches Eve) expect 5: write "connected: true" (to expect a refusal, use connect_error: MESSAGE)`}},
		{"steps missing", "    steps:\n", "    stepz:\n",
			[]string{`14:5: exercise check 1: unknown key "stepz" (did you mean "steps"?)`}}, // not also "steps" is required
		{"duplicate client", "[Ada, {name: Eve", "[Ada, Ada, {name: Eve", []string{
			`5:35: exercise demo client 2: duplicate client "Ada"`,
		}},
		{"namespace without slash", "namespace: /admin", "namespace: admin",
			[]string{`5:58: exercise demo client 2: namespace "admin" must start with /`}},
		{"unknown server", "namespace: /admin", "namespace: /admin, server: D",
			[]string{`5:74: exercise demo client 2: server "D" is not one of the cluster demo's A, B, C`}},
		{"goal missing", "goal: Send to **the others**, see [rooms](/lessons/rooms).\n", "",
			[]string{`4:1: exercise: "goal" is required`}},
		{"info after exercise", "```exercise\n", "```exercise extra\n", []string{`3:1: exercise: unexpected "extra" after "exercise"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := strings.Replace(validExercise, tt.old, tt.new, 1)
			if src == validExercise {
				t.Fatalf("%q not found", tt.old)
			}
			html, errs := convertPos(t, Options{ValidateDemo: validate}, src)
			if diff := cmp.Diff(tt.want, errs); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if !strings.Contains(html, "<pre><code") {
				t.Errorf("a broken exercise stays a code block: %s", html)
			}
		})
	}
}

func TestExerciseCodeTooLarge(t *testing.T) {
	big := "  // " + strings.Repeat("x", MaxExerciseCode) + "\n"
	src := strings.Replace(validExercise, "  io.on(\"connection\", () => {});\n", big, 1)
	_, errs := convertPos(t, Options{}, src)
	want := []string{fmt.Sprintf(`7:10: exercise: "starter" is %d bytes, over the limit of %d`, MaxExerciseCode+4, MaxExerciseCode)}
	if diff := cmp.Diff(want, errs); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

func TestExerciseRenderError(t *testing.T) {
	boom := errors.New("boom")
	md := goldmark.New(goldmark.WithExtensions(New(Options{RenderExercise: func(context.Context, io.Writer, Exercise) error { return boom }})))
	err := md.Convert([]byte(validExercise), io.Discard)
	var le *LineError
	if !errors.As(err, &le) || le.Line != 3 || !errors.Is(err, boom) {
		t.Fatalf("err = %v, want a LineError at line 3 wrapping boom", err)
	}
}
