package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"socketlab/lessons"
	"socketlab/playground"
	"socketlab/web"
)

// runCmd drives the binary's run like main does.
func runCmd(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	err = run(context.Background(), append([]string{"socketlab"}, args...), func(string) string { return "" }, &out, &errb)
	return out.String(), errb.String(), err
}

func TestCheckCommand(t *testing.T) {
	t.Run("embedded course passes", func(t *testing.T) {
		out, errOut, err := runCmd(t, "check")
		if err != nil {
			t.Fatalf("check: %v\n%s", err, out)
		}
		if !strings.Contains(errOut, "no errors") {
			t.Errorf("got stderr %q, want it to say no errors", errOut)
		}
	})
	t.Run("errors exit non-zero", func(t *testing.T) {
		out, _, err := runCmd(t, "check", "lessons/testdata/check/dups")
		if err == nil || err.Error() != "check: 2 error(s) in lessons/testdata/check/dups" {
			t.Errorf("got error %v, want 2 errors", err)
		}
		if want := "lessons/testdata/check/dups/02-b.md:4:1: duplicate order 1 (also 01-a.md)\n"; !strings.HasPrefix(out, want) {
			t.Errorf("got %q, want it to start with %q", out, want)
		}
	})
	t.Run("json", func(t *testing.T) {
		out, _, err := runCmd(t, "check", "-json", "lessons/testdata/check/links")
		if err == nil {
			t.Fatal("got no error for a course with errors")
		}
		var got []lessons.Diagnostic
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("output is not JSON: %v\n%s", err, out)
		}
		if len(got) != 6 {
			t.Fatalf("got %d diagnostics, want 6: %+v", len(got), got)
		}
		want := lessons.Diagnostic{File: "lessons/testdata/check/links/01-a.md", Line: 9, Col: 61, Severity: "warning",
			Message: `link "/lessons/c": 03-c.md is a draft, hidden unless served with -drafts`}
		if got[4] != want {
			t.Errorf("got %+v, want %+v", got[4], want)
		}
	})
	t.Run("json when clean is []", func(t *testing.T) {
		out, _, err := runCmd(t, "check", "-json", "lessons/testdata/check/good")
		if err != nil || strings.TrimSpace(out) != "[]" {
			t.Errorf("got %q, %v, want [] and no error", out, err)
		}
	})
	t.Run("not a folder", func(t *testing.T) {
		if _, _, err := runCmd(t, "check", "lessons/testdata/nope"); err == nil {
			t.Error("got no error for a missing folder")
		}
	})
}

// TestCheckDefaultFolder: a bare `socketlab check` in a course repository checks its ./lessons
// (where `socketlab new` writes), and says by name what it checked when there is none.
func TestCheckDefaultFolder(t *testing.T) {
	broken, err := os.ReadFile("lessons/testdata/check/dups/02-b.md")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		files   map[string]string // the course repository's files
		wantErr string
		wantOut string // the start of stdout
		wantLog string // in stderr
	}{
		{"./lessons with errors", map[string]string{
			"lessons/01-a.md": "---\ntitle: A\nsummary: S.\norder: 1\n---\nText.\n",
			"lessons/02-b.md": string(broken),
		}, "check: 1 error(s) in lessons", "lessons/02-b.md:4:1: duplicate order 1 (also 01-a.md)\n", ""},
		{"./lessons clean", map[string]string{
			"lessons/01-a.md": "---\ntitle: A\nsummary: S.\n---\nText.\n",
		}, "", "", "check: lessons: no errors"},
		{"no ./lessons", map[string]string{"README.md": "not a course"}, "", "",
			"no ./lessons folder here, so checking the embedded course"},
		{"./lessons is a file", map[string]string{"lessons": "not a folder"}, "", "",
			"check: the embedded course: no errors"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, text := range tt.files {
				p := filepath.Join(dir, filepath.FromSlash(name))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			t.Chdir(dir)
			out, errOut, err := runCmd(t, "check")
			if got := fmt.Sprint(err); tt.wantErr == "" && err != nil || tt.wantErr != "" && got != tt.wantErr {
				t.Errorf("got error %v, want %q", err, tt.wantErr)
			}
			if !strings.HasPrefix(out, tt.wantOut) {
				t.Errorf("got stdout %q, want it to start with %q", out, tt.wantOut)
			}
			if !strings.Contains(errOut, tt.wantLog) {
				t.Errorf("got stderr %q, want it to say %q", errOut, tt.wantLog)
			}
		})
	}
}

// copyCourse copies the embedded lessons into a new temp dir.
func copyCourse(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, lessons.Content); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestNewLesson(t *testing.T) {
	t.Run("empty folder", func(t *testing.T) {
		dir := t.TempDir()
		out, errOut, err := runCmd(t, "new", "Rooms & Namespaces!", "-dir", dir)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := strings.TrimSpace(out), filepath.Join(dir, "01-rooms-namespaces.md"); got != want {
			t.Errorf("got path %q, want %q", got, want)
		}
		if want := "socketlab serve -lessons " + dir + " -watch -drafts"; !strings.Contains(errOut, want) {
			t.Errorf("stderr %q does not say how to preview the draft (%q)", errOut, want)
		}
		if ds := lessons.Check(os.DirFS(dir), web.LessonOptions(dir, true)); len(ds) > 0 {
			t.Errorf("the scaffold does not pass check: %v", ds)
		}
	})
	t.Run("after the course", func(t *testing.T) {
		dir := copyCourse(t)
		entries, _ := os.ReadDir(dir)
		out, _, err := runCmd(t, "new", "-dir", dir, `A "quoted": title`)
		if err != nil {
			t.Fatal(err)
		}
		last := 0 // the highest NN- of the course's files: the new lesson comes after it
		for _, e := range entries {
			if n, err := strconv.Atoi(strings.SplitN(e.Name(), "-", 2)[0]); err == nil {
				last = max(last, n)
			}
		}
		want := filepath.Join(dir, fmt.Sprintf("%02d-a-quoted-title.md", last+1))
		if got := strings.TrimSpace(out); got != want {
			t.Errorf("got path %q, want %q", got, want)
		}
		ds := lessons.Check(os.DirFS(dir), web.LessonOptions(dir, true))
		if lessons.Errors(ds) > 0 {
			t.Errorf("the course with the new lesson does not pass check: %v", ds)
		}
		idx, err := lessons.Load(os.DirFS(dir), web.LessonOptions(dir, true))
		if err != nil {
			t.Fatal(err)
		}
		all := idx.Lessons()
		if last := all[len(all)-1]; last.Title != `A "quoted": title` || !last.Draft || len(last.Demos) != 1 || len(last.Quizzes) != 1 {
			t.Errorf("got last lesson %q draft %v with %d demos and %d quizzes, want the scaffold", last.Title, last.Draft, len(last.Demos), len(last.Quizzes))
		}
		if _, _, err := runCmd(t, "new", "-dir", dir, `A "quoted": title`); err == nil {
			t.Error("a second lesson with the same name was written")
		}
	})
	t.Run("missing folders are created", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "course", "lessons")
		out, _, err := runCmd(t, "new", "-dir", dir, "First")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := strings.TrimSpace(out), filepath.Join(dir, "01-first.md"); got != want {
			t.Errorf("got path %q, want %q", got, want)
		}
	})
	t.Run("unknown demo", func(t *testing.T) {
		dir := t.TempDir()
		_, _, err := runCmd(t, "new", "-dir", dir, "-demo", "room", "Title")
		if err == nil || err.Error() != `new: -demo: unknown demo "room" (did you mean "rooms"?)` {
			t.Errorf("got %v, want the unknown demo with a suggestion", err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) > 0 {
			t.Errorf("a failed new wrote %d files", len(entries))
		}
	})
	t.Run("no title", func(t *testing.T) {
		if _, _, err := runCmd(t, "new", "-dir", t.TempDir()); err == nil {
			t.Error("got no error without a title")
		}
	})
}

// TestNewDemo: socketlab new -demo KIND starts from the course's own example of every demo kind,
// and the lesson passes check with that demo in it.
func TestNewDemo(t *testing.T) {
	for _, kind := range playground.DemoNames {
		t.Run(kind, func(t *testing.T) {
			dir := t.TempDir()
			if _, _, err := runCmd(t, "new", "-dir", dir, "-demo", kind, "Try "+kind); err != nil {
				t.Fatal(err)
			}
			if ds := lessons.Check(os.DirFS(dir), web.LessonOptions(dir, true)); len(ds) > 0 {
				t.Errorf("the scaffold with a %s demo does not pass check: %v", kind, ds)
			}
			idx, err := lessons.Load(os.DirFS(dir), web.LessonOptions(dir, true))
			if err != nil {
				t.Fatal(err)
			}
			if d := idx.Lessons()[0].Demos; len(d) != 1 || d[0].Name != kind {
				t.Errorf("got demos %+v, want one %s demo", d, kind)
			} else if strings.Contains(string(d[0].Config), `"controls"`) {
				t.Errorf("the new lesson's demo keeps the example's controls (%s): its text does not use them yet", d[0].Config)
			}
		})
	}
}

// TestNewChapter: socketlab new writes into a chapter (-dir CHAPTER, or -chapter TITLE, which
// makes the chapter folder when there is none), numbers lessons within it, and tells the author
// to serve the course folder, where the chapter.yaml is read.
func TestNewChapter(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := runCmd(t, "new", "-dir", dir, "Intro"); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		args     []string
		wantPath string // under dir
		wantErr  string // in stderr
	}{
		{[]string{"-chapter", "Scaling out", "Many servers"}, "02-scaling-out/01-many-servers.md", "New chapter " + filepath.Join(dir, "02-scaling-out")},
		{[]string{"-chapter", "Scaling out", "The Redis adapter"}, "02-scaling-out/02-the-redis-adapter.md", "socketlab serve -lessons " + dir + " -watch -drafts"},
		{[]string{"-dir", filepath.Join(dir, "02-scaling-out"), "Sticky sessions"}, "02-scaling-out/03-sticky-sessions.md", "socketlab serve -lessons " + dir + " -watch -drafts"},
		{[]string{"Outro"}, "03-outro.md", ""},
	}
	for _, st := range steps {
		args := append([]string{"new"}, st.args...)
		if !slices.Contains(st.args, "-dir") {
			args = append(args, "-dir", dir)
		}
		out, errOut, err := runCmd(t, args...)
		if err != nil {
			t.Fatalf("%q: %v", st.args, err)
		}
		if got, want := strings.TrimSpace(out), filepath.Join(dir, filepath.FromSlash(st.wantPath)); got != want {
			t.Errorf("%q: got %q, want %q", st.args, got, want)
		}
		if !strings.Contains(errOut, st.wantErr) {
			t.Errorf("%q: stderr %q, want it to say %q", st.args, errOut, st.wantErr)
		}
	}
	idx, err := lessons.Load(os.DirFS(dir), web.LessonOptions(dir, true))
	if err != nil {
		t.Fatalf("the course does not load: %v", err)
	}
	var got []string
	for _, l := range idx.Lessons() {
		ch := ""
		if l.Chapter != nil {
			ch = l.Chapter.Title + ": "
		}
		got = append(got, ch+l.Title)
	}
	want := []string{"Intro", "Scaling out: Many servers", "Scaling out: The Redis adapter", "Scaling out: Sticky sessions", "Outro"}
	if !slices.Equal(got, want) {
		t.Errorf("course: got %q, want %q", got, want)
	}
	if _, _, err := runCmd(t, "new", "-dir", filepath.Join(dir, "02-scaling-out"), "-chapter", "Nested", "X"); err == nil {
		t.Error("-chapter inside a chapter folder: got no error")
	}
}

func TestServeWatchNeedsLessons(t *testing.T) {
	_, err := parseServeFlags([]string{"-watch"}, func(string) string { return "" }, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "-watch needs -lessons") {
		t.Errorf("got %v, want -watch to need -lessons", err)
	}
}

// TestServeStateFlag: where serve keeps its classes: -state, else SOCKETLAB_STATE, else the user's
// state directory; "-state=" keeps them in memory only.
func TestServeStateFlag(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"XDG state home", nil, map[string]string{"XDG_STATE_HOME": "/x", "HOME": "/home/ada"}, "/x/socketlab/classes.db"},
		{"home", nil, map[string]string{"HOME": "/home/ada"}, "/home/ada/.local/state/socketlab/classes.db"},
		{"env", nil, map[string]string{"SOCKETLAB_STATE": "/srv/class.db", "HOME": "/home/ada"}, "/srv/class.db"},
		{"flag", []string{"-state", "/tmp/c.db"}, map[string]string{"SOCKETLAB_STATE": "/srv/class.db"}, "/tmp/c.db"},
		{"memory only", []string{"-state="}, map[string]string{"HOME": "/home/ada"}, ""},
		{"no home", nil, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parseServeFlags(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if err != nil || cfg.StatePath != tt.want {
				t.Errorf("state = %q, %v; want %q", cfg.StatePath, err, tt.want)
			}
		})
	}
}

func TestExercisesCommand(t *testing.T) {
	out, _, err := runCmd(t, "exercises")
	if err != nil {
		t.Fatalf("exercises: %v", err)
	}
	var got []struct {
		File, Slug, Title string
		Line              int
		Config            struct {
			ID, Demo, Starter, Solution string
			Checks                      []json.RawMessage
		}
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	slugs := map[string]bool{}
	for _, x := range got {
		slugs[x.Slug] = true
		if !strings.HasPrefix(x.File, "lessons/") || x.Line < 1 || x.Config.Starter == "" || x.Config.Solution == "" || len(x.Config.Checks) == 0 {
			t.Errorf("incomplete exercise %+v", x)
		}
	}
	for _, slug := range []string{"chat", "emit-and-broadcast", "rooms", "namespaces", "tenants", "acks", "queues"} {
		if !slugs[slug] {
			t.Errorf("lesson %s has no exercise", slug)
		}
	}
	if _, _, err := runCmd(t, "exercises", "lessons/testdata/check/exercise"); err == nil || !strings.Contains(err.Error(), `"solution" is required`) {
		t.Errorf("a broken exercise: got %v, want the lesson error", err)
	}
}

// TestREADMEHasEveryFlag: every flag a command's -h lists is in the README.
func TestREADMEHasEveryFlag(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	flagRE := regexp.MustCompile(`(?m)^  (-[a-z][a-z-]*)`)
	for _, cmd := range []string{"serve", "check", "new", "export", "run", "exercises", "conformance", "bench-server"} {
		t.Run(cmd, func(t *testing.T) {
			_, help, err := runCmd(t, cmd, "-h")
			if err != nil {
				t.Fatalf("%s -h: %v", cmd, err)
			}
			flags := flagRE.FindAllStringSubmatch(help, -1)
			if len(flags) == 0 && cmd != "exercises" { // the only command without flags
				t.Fatalf("%s -h lists no flags:\n%s", cmd, help)
			}
			for _, f := range flags {
				if !regexp.MustCompile(regexp.QuoteMeta(f[1]) + `\b`).Match(readme) {
					t.Errorf("README does not mention %s %s", cmd, f[1])
				}
			}
		})
	}
}
