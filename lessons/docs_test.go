package lessons

import (
	"cmp"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestDocsNameEveryKey: docs/authoring.md names every front-matter and chapter.yaml key the
// loader accepts, so a key added without its documentation fails.
func TestDocsNameEveryKey(t *testing.T) {
	docs, err := os.ReadFile("../docs/authoring.md")
	if err != nil {
		t.Fatal(err)
	}
	for what, keys := range map[string][]string{"front matter": frontMatterKeys, "chapter": chapterKeys, "chapter defaults": defaultKeys} {
		for _, key := range keys {
			q := regexp.QuoteMeta(key)
			if !regexp.MustCompile("`" + q + "\\b|(^|[\\s{,])" + q + ":").Match(docs) {
				t.Errorf("docs/authoring.md does not name the %s key %q", what, key)
			}
		}
	}
}

// claimsRow is one row of a table in docs/claims.md: | lesson | question or claim | tests | file |.
type claimsRow struct {
	line               int
	section            string // the ## heading above the table
	lesson, text, file string
	tests              []string
}

var backticked = regexp.MustCompile("`([^`]+)`")

// claimsRows parses the tables of docs/claims.md (header and separator rows skipped).
func claimsRows(t *testing.T, md string) []claimsRow {
	t.Helper()
	var rows []claimsRow
	section := ""
	for i, line := range strings.Split(md, "\n") {
		if h, ok := strings.CutPrefix(line, "## "); ok {
			section = h
			continue
		}
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "|---") || strings.HasPrefix(line, "| lesson |") {
			continue
		}
		cells := strings.Split(strings.TrimSuffix(strings.TrimPrefix(line, "| "), " |"), " | ")
		if len(cells) != 4 {
			t.Errorf("docs/claims.md:%d: %d cells, want 4 (lesson, question or claim, tests, file)", i+1, len(cells))
			continue
		}
		r := claimsRow{line: i + 1, section: section, lesson: cells[0], text: cells[1], file: cells[3]}
		for _, m := range backticked.FindAllStringSubmatch(cells[2], -1) {
			r.tests = append(r.tests, m[1])
		}
		if len(r.tests) == 0 {
			t.Errorf("docs/claims.md:%d: no test named (write it in backticks)", r.line)
		}
		rows = append(rows, r)
	}
	return rows
}

// missingTests returns a problem for each test a row names that its file does not have: a Go
// test as `func Name(`, a Node test by its quoted name.
func missingTests(rows []claimsRow, read func(file string) ([]byte, error)) []string {
	var problems []string
	sources := map[string]string{}
	for _, r := range rows {
		src, ok := sources[r.file]
		if !ok {
			b, err := read(r.file)
			if err != nil {
				problems = append(problems, fmt.Sprintf("docs/claims.md:%d: %v", r.line, err))
			}
			src = string(b)
			sources[r.file] = src
		}
		for _, name := range r.tests {
			var found bool
			if strings.HasSuffix(r.file, ".go") {
				found = strings.Contains(src, "func "+name+"(")
			} else {
				found = strings.Contains(src, `"`+name+`"`) || strings.Contains(src, "`"+name+"`") || strings.Contains(src, "'"+name+"'")
			}
			if !found {
				problems = append(problems, fmt.Sprintf("docs/claims.md:%d: %s has no test named %q", r.line, r.file, name))
			}
		}
	}
	return problems
}

// TestMissingTests: the claims table's check finds a misspelt or missing test in every section,
// the Go hub's included, and only those.
func TestMissingTests(t *testing.T) {
	files := map[string]string{
		"playground/socketio/acks_test.go": "func TestAckWaitEnds(t *testing.T) {}\nfunc TestClientAckTwice(t *testing.T) {}\n",
		"node/truth/08-acks.test.js":       `test("server timeout: same message", async () => {});`,
	}
	read := func(file string) ([]byte, error) {
		src, ok := files[file]
		if !ok {
			return nil, fmt.Errorf("open %s: no such file", file)
		}
		return []byte(src), nil
	}
	tests := []struct {
		name, md string
		want     []string
	}{
		{"go hub, all present", "## The Go hub's claims\n\n| lesson | claim | test | file |\n|---|---|---|---|\n" +
			"| 08 | c | `TestAckWaitEnds`<br>`TestClientAckTwice` | playground/socketio/acks_test.go |\n", nil},
		{"go hub, misspelt", "## The Go hub's claims\n\n| 08 | c | `TestAckWaitEnd` | playground/socketio/acks_test.go |\n",
			[]string{`docs/claims.md:3: playground/socketio/acks_test.go has no test named "TestAckWaitEnd"`}},
		{"go hub, a prefix of a test is not the test", "## The Go hub's claims\n| 08 | c | `TestClientAck` | playground/socketio/acks_test.go |\n",
			[]string{`docs/claims.md:2: playground/socketio/acks_test.go has no test named "TestClientAck"`}},
		{"node, misspelt", "## Claims, lesson by lesson\n| 08 | c | `server timeout: same messages` | node/truth/08-acks.test.js |\n",
			[]string{`docs/claims.md:2: node/truth/08-acks.test.js has no test named "server timeout: same messages"`}},
		{"no such file", "## The Go hub's claims\n| 08 | c | `TestAckWaitEnds` | playground/socketio/ack_test.go |\n",
			[]string{"docs/claims.md:2: open playground/socketio/ack_test.go: no such file",
				`docs/claims.md:2: playground/socketio/ack_test.go has no test named "TestAckWaitEnds"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := claimsRows(t, tt.md)
			if len(rows) == 0 || rows[0].section != strings.TrimPrefix(strings.SplitN(tt.md, "\n", 2)[0], "## ") {
				t.Fatalf("rows %+v: want the table's rows under their section", rows)
			}
			if got := missingTests(rows, read); !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestClaimsTable: docs/claims.md maps every lesson question and claim to tests that exist, and
// every question of every lesson has a row (under "Reading questions", with its lesson's number).
func TestClaimsTable(t *testing.T) {
	md, err := os.ReadFile("../docs/claims.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := claimsRows(t, string(md))
	for _, problem := range missingTests(rows, func(file string) ([]byte, error) {
		return os.ReadFile(filepath.Join("..", filepath.FromSlash(file)))
	}) {
		t.Error(problem)
	}

	// The questions straight from each lesson's front matter: Load would render the lessons, and
	// chroma's regexp2 clock goroutine would outlive this test into the next one's goleak check.
	questions := 0
	err = fs.WalkDir(os.DirFS("."), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() && name == "testdata" {
			return cmp.Or(err, fs.SkipDir)
		}
		if d.IsDir() || !strings.HasSuffix(name, ".md") {
			return nil
		}
		src, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		fm, _, errs := parseFrontMatter(src, nil)
		if len(errs) > 0 {
			return fmt.Errorf("%s: %v", name, errs[0])
		}
		num, _, _ := strings.Cut(path.Base(name), "-")
		for _, q := range fm.Questions {
			questions++
			if !slices.ContainsFunc(rows, func(r claimsRow) bool {
				return r.section == "Reading questions" && r.lesson == num && r.text == q
			}) {
				t.Errorf("docs/claims.md has no row | %s | %s | under Reading questions (%s)", num, q, name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if questions == 0 {
		t.Error("no lesson questions were loaded")
	}
}
