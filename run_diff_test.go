package main

// The differential test of `socketlab run` (issue 12, item 4): every server program in
// node/diff/programs runs on npm socket.io 4.8 in Node (node/diff/host.js) and on Socket Lab,
// the npm socket.io-client drives both through the program's scenario (node/diff/drive.js), and
// the observations (who received what, in what order, ack values, connect_error messages and
// data, disconnect reasons, the server's first console lines) must be the same.
//
// Ready-line contract, for both servers: stdout carries one line matching diffReady, e.g.
//
//	listening http://127.0.0.1:PORT                    (node/diff/host.js)
//	Socket Lab run listening on http://127.0.0.1:PORT  (serveHandler's format)
//
// printed once the server accepts connections; every other stdout line is the program's
// console.log output, in order (lines logged by the program's top level may come before it).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"socketlab/web/webtest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// diffReady is the ready line; its group is the base URL the driver connects to.
var diffReady = regexp.MustCompile(`listening (?:on )?(http://127\.0\.0\.1:[0-9]+)\s*$`)

// Bounds for one program: a server must be ready, a scenario must finish, the console lines
// a scenario names must arrive. They only turn a hang into a failure; nothing waits for them.
const (
	diffStartBound   = 20 * time.Second
	diffDriveBound   = 60 * time.Second // drive.js bounds itself at 30 s
	diffConsoleBound = 5 * time.Second
)

// socketlabRunBuilt turns on every test of `socketlab run`: the Socket Lab side of TestDiff and
// TestRunCommand.
const socketlabRunBuilt = true

func requireSocketLabRun(t *testing.T) {
	t.Helper()
	if !socketlabRunBuilt {
		t.Skip("socketlab run not built yet (socketlabRunBuilt in run_diff_test.go)")
	}
}

// startSocketLab runs `socketlab run -addr 127.0.0.1:0 [FLAGS] PROGRAM` in this process, so the
// race detector covers the sandbox and the hub.
func startSocketLab(t *testing.T, program string, flags ...string) *diffServer {
	t.Helper()
	requireSocketLabRun(t)
	ctx, cancel := context.WithCancel(context.Background())
	outR, outW := io.Pipe()
	errb := new(webtest.SyncBuffer)
	done := make(chan error, 1)
	go func() {
		args := append(append([]string{"socketlab", "run", "-addr", "127.0.0.1:0"}, flags...), program)
		done <- run(ctx, args, func(string) string { return "" }, outW, errb)
		outW.Close()
	}()
	return newDiffServer(t, "socketlab run", outR, errb, func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(diffStartBound):
			return errors.New("socketlab run did not return after its context was cancelled")
		}
	})
}

// startNodeHost runs node/diff/host.js on a free loopback port.
func startNodeHost(t *testing.T, node, program string) *diffServer {
	t.Helper()
	return startNodeScript(t, node, filepath.Join("diff", "host.js"), "0", program)
}

// startNodeScript runs node SCRIPT ARGS... in node/ (SCRIPT relative to it), a server that
// prints the ready line.
func startNodeScript(t *testing.T, node, script string, args ...string) *diffServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, node, append([]string{script}, args...)...)
	cmd.Dir = "node"
	errb := new(webtest.SyncBuffer)
	outR, outW := io.Pipe()
	cmd.Stdout, cmd.Stderr = outW, errb
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("starting node host: %v", err)
	}
	return newDiffServer(t, "node "+script, outR, errb, func() error {
		cancel()
		cmd.Wait() // killed on purpose: its exit status says nothing
		outW.Close()
		return nil
	})
}

// diffServer is a running server under test: its URL and the console lines it has printed.
type diffServer struct {
	name   string
	url    string
	stderr *webtest.SyncBuffer

	mu      sync.Mutex
	console []string
	changed chan struct{} // closed and replaced on every new line or at EOF
	eof     bool
}

// newDiffServer reads out until the ready line (failing the test if it does not come), keeps
// collecting console lines in the background, and registers stop for cleanup.
func newDiffServer(t *testing.T, name string, out io.Reader, stderr *webtest.SyncBuffer, stop func() error) *diffServer {
	t.Helper()
	s := &diffServer{name: name, stderr: stderr, changed: make(chan struct{})}
	ready := make(chan string, 1)
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		sc := bufio.NewScanner(out)
		isReady := false
		for sc.Scan() {
			line := sc.Text()
			if m := diffReady.FindStringSubmatch(line); m != nil && !isReady {
				isReady = true
				ready <- m[1]
				continue
			}
			s.mu.Lock()
			s.console = append(s.console, line)
			close(s.changed)
			s.changed = make(chan struct{})
			s.mu.Unlock()
		}
		io.Copy(io.Discard, out)
		s.mu.Lock()
		s.eof = true
		close(s.changed)
		s.mu.Unlock()
	}()
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		<-readDone
		if t.Failed() {
			t.Logf("%s console: %q\n%s stderr:\n%s", name, s.lines(), name, stderr.String())
		}
	})
	select {
	case s.url = <-ready:
	case <-readDone:
		t.Fatalf("%s exited before its ready line; stderr:\n%s", name, stderr.String())
	case <-time.After(diffStartBound):
		t.Fatalf("%s: no ready line after %v; stderr:\n%s", name, diffStartBound, stderr.String())
	}
	return s
}

func (s *diffServer) lines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.console...)
}

// firstLines returns the first n console lines, waiting (bounded) for them to be printed; fewer
// if the server ends or the bound passes first.
func (s *diffServer) firstLines(n int) []string {
	deadline := time.After(diffConsoleBound)
	for {
		s.mu.Lock()
		have, eof, changed := len(s.console), s.eof, s.changed
		s.mu.Unlock()
		if have >= n || eof {
			return s.lines()[:min(n, have)]
		}
		select {
		case <-changed:
		case <-deadline:
			return s.lines()
		}
	}
}

// observations is what drive.js printed, made comparable: each observation is one canonical
// JSON line (object keys sorted), per client label.
type observations struct {
	Clients map[string][]string
	Console []string
	Error   string
}

// drive runs the program's scenario against srv and returns the observations.
func drive(t *testing.T, node string, srv *diffServer, program string) observations {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), diffDriveBound)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join("diff", "drive.js"), srv.url, program)
	cmd.Dir = "node"
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("drive.js against %s: %v\nstderr:\n%s", srv.name, err, stderr.String())
	}
	var doc struct {
		ConsoleLines int                          `json:"consoleLines"`
		Clients      map[string][]json.RawMessage `json:"clients"`
		Error        string                       `json:"error"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
		t.Fatalf("drive.js against %s printed %q: %v", srv.name, stdout.String(), err)
	}
	obs := observations{Clients: map[string][]string{}, Error: doc.Error}
	for label, entries := range doc.Clients {
		lines := make([]string, 0, len(entries))
		for _, raw := range entries {
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.UseNumber()
			var v any
			if err := dec.Decode(&v); err != nil {
				t.Fatalf("observation %s: %v", raw, err)
			}
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			lines = append(lines, string(b))
		}
		obs.Clients[label] = lines
	}
	obs.Console = srv.firstLines(doc.ConsoleLines)
	if len(obs.Console) < doc.ConsoleLines {
		obs.Error += fmt.Sprintf("; %s printed %d console lines, the scenario expects %d", srv.name, len(obs.Console), doc.ConsoleLines)
	}
	return obs
}

// requireNode finds node and the npm socket.io and socket.io-client in node/: CI must have them,
// a developer without Node gets a skip.
func requireNode(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join("node", "node_modules", "socket.io"))
	}
	if err == nil {
		_, err = os.Stat(filepath.Join("node", "node_modules", "socket.io-client"))
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI needs node and `npm ci` in node/: %v", err)
		}
		t.Skipf("needs node and `cd node && npm ci`: %v", err)
	}
	return node
}

// diffPrograms lists the server programs (absolute paths), each with its scenario file.
func diffPrograms(t *testing.T) []string {
	t.Helper()
	all, err := filepath.Glob(filepath.Join("node", "diff", "programs", "*.js"))
	if err != nil {
		t.Fatal(err)
	}
	var programs []string
	for _, p := range all {
		if strings.HasSuffix(p, ".scenario.js") {
			continue
		}
		if _, err := os.Stat(strings.TrimSuffix(p, ".js") + ".scenario.js"); err != nil {
			t.Errorf("%s has no scenario: %v", p, err)
			continue
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		programs = append(programs, abs)
	}
	if len(programs) < 15 {
		t.Fatalf("%d server programs in node/diff/programs, issue 12 asks for at least 15", len(programs))
	}
	return programs
}

// nodeOnly matches what a program may not use: the sandbox has no modules (but node:crypto),
// process or Buffer.
var nodeOnly = regexp.MustCompile(`\b(require|import|process|Buffer|module|exports|__dirname|globalThis)\b`)

// cryptoModule is the one require the sandbox answers.
var cryptoModule = regexp.MustCompile(`\brequire\("(node:)?crypto"\)`)

// TestDiffProgramsAreSandboxable keeps the programs to what `socketlab run` can offer a student.
func TestDiffProgramsAreSandboxable(t *testing.T) {
	for _, p := range diffPrograms(t) {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(src), "\n") {
			code, _, _ := strings.Cut(line, "//")
			if m := nodeOnly.FindString(cryptoModule.ReplaceAllString(code, "")); m != "" {
				t.Errorf("%s:%d: uses %s, which the sandbox does not have", filepath.Base(p), i+1, m)
			}
		}
	}
}

// TestDiff runs every program on Node and on Socket Lab, which must observe what Node observed.
// A second run on Node tells a scenario that is not deterministic from a difference of Socket
// Lab's: it runs while socketlab run is not built (then it is the whole test) and whenever the
// two servers differ.
func TestDiff(t *testing.T) {
	if testing.Short() {
		t.Skip("starts node servers")
	}
	node := requireNode(t)
	for _, program := range diffPrograms(t) {
		t.Run(strings.TrimSuffix(filepath.Base(program), ".js"), func(t *testing.T) {
			t.Parallel()
			want := drive(t, node, startNodeHost(t, node, program), program)
			if want.Error != "" {
				t.Fatalf("the scenario fails on Node, so it proves nothing: %s", want.Error)
			}
			nodeAgain := func() {
				got := drive(t, node, startNodeHost(t, node, program), program)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("two runs on Node differ, the scenario is not deterministic (-first +second):\n%s", diff)
				}
			}
			if !socketlabRunBuilt {
				nodeAgain()
				return
			}
			got := drive(t, node, startSocketLab(t, program), program)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("socketlab run differs from socket.io 4.8 (-node +socketlab):\n%s", diff)
				nodeAgain()
			}
		})
	}
}

// TestRunCommand is the command-line contract of `socketlab run` that TestDiff relies on and a
// teacher sees: the ready line, console.log on stdout, Socket.IO at /socket.io/, the playground
// at /, and a program that cannot start is an error naming the file (and line) instead of a
// server that runs something else.
func TestRunCommand(t *testing.T) {
	requireSocketLabRun(t)
	dir := t.TempDir()
	write := func(name, code string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(code), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}

	t.Run("serves", func(t *testing.T) {
		p := write("hello.js", "console.log(\"top level\", 1 + 1);\nio.on(\"connection\", (socket) => socket.emit(\"hi\"));\n")
		srv := startSocketLab(t, p)
		if got := srv.firstLines(1); !cmp.Equal(got, []string{"top level 2"}) {
			t.Errorf("console = %q, want [\"top level 2\"]", got)
		}
		resp, body := webtest.Get(t, srv.url+"/socket.io/?EIO=4&transport=polling")
		if resp.StatusCode != 200 || !strings.HasPrefix(body, `0{"sid":`) {
			t.Errorf("Engine.IO handshake at /socket.io/ = %d %q", resp.StatusCode, body)
		}
		resp, _ = webtest.Get(t, srv.url+"/")
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Errorf("the playground at / = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	})

	for _, tt := range []struct {
		name string
		args []string
		want []string // substrings of the error
	}{
		{"no file", []string{"run"}, []string{"FILE"}},
		{"two files", []string{"run", "a.js", "b.js"}, []string{"FILE"}},
		{"missing file", []string{"run", filepath.Join(dir, "nope.js")}, []string{"nope.js"}},
		{"syntax error", []string{"run", write("bad.js", "io.on(\"connection\", (socket) => {\n  socket.emit(\"x\";\n});\n")},
			[]string{"bad.js:2:", "SyntaxError"}},
		{"throws at the top level", []string{"run", write("boom.js", "// fine\nthrow new Error(\"boom\");\n")},
			[]string{"boom.js:2:", "boom"}},
		{"bad address", []string{"run", "-addr", "256.0.0.1:80", write("ok.js", "io.on(\"connection\", () => {});\n")},
			[]string{"listen"}},
		{"bad cookie name", []string{"run", "-cookie", "a b", write("ok.js", "io.on(\"connection\", () => {});\n")},
			[]string{`-cookie "a b"`, "invalid"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out webtest.SyncBuffer
			err := run(t.Context(), append([]string{"socketlab"}, tt.args...), func(string) string { return "" }, &out, io.Discard)
			if err == nil {
				t.Fatalf("socketlab %q: no error; stdout %q", tt.args, out.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("socketlab %q: error %q does not contain %q", tt.args, err, w)
				}
			}
			if diffReady.MatchString(out.String()) {
				t.Errorf("socketlab %q printed a ready line: %q", tt.args, out.String())
			}
		})
	}
}
