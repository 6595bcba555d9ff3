package web

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// TestRunMode is what `socketlab run` serves (Config.Run): the program's hub at /socket.io/ and
// nowhere else, the playground at / attached to that hub (data-instance with its path and tap),
// the program's console on the Console callback, and none of the course's routes.
func TestRunMode(t *testing.T) {
	var mu sync.Mutex
	var console []string
	a, err := New(slog.New(slog.DiscardHandler), Config{Origins: []string{"http://127.0.0.1"}, Run: &RunConfig{
		File: "demo.js",
		Code: "console.log(\"ready\", { n: 1 });\nio.on(\"connection\", (s) => s.emit(\"hi\"));\n",
		Console: func(level, text string) {
			mu.Lock()
			console = append(console, level+" "+text)
			mu.Unlock()
		},
	}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(func() { srv.Close(); a.Close() })

	mu.Lock()
	if got := strings.Join(console, "|"); got != "log ready { n: 1 }" {
		t.Errorf("console = %q, want the top level's line", got)
	}
	mu.Unlock()

	resp, body := get(t, srv.URL+"/")
	if resp.StatusCode != 200 {
		t.Fatalf("GET / = %d", resp.StatusCode)
	}
	m := regexp.MustCompile(`data-instance="([^"]*)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("the run page has no data-instance:\n%s", body)
	}
	var inst struct {
		ID, Path, Tap string
		Run           bool
		Server        struct{ JS, File string }
	}
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &inst); err != nil {
		t.Fatalf("data-instance %q: %v", m[1], err)
	}
	if inst.Path != "/socket.io/" || !inst.Run || inst.Server.File != "demo.js" || !strings.Contains(inst.Server.JS, `s.emit("hi")`) {
		t.Errorf("data-instance = %+v", inst)
	}
	if !strings.Contains(body, "demo.js") {
		t.Error("the run page does not name the file")
	}

	for _, tt := range []struct {
		method, path string
		status       int
		prefix       string
	}{
		{"GET", "/socket.io/?EIO=4&transport=polling", 200, `0{"sid":`},
		{"GET", "/play/" + inst.ID + "/socket.io/?EIO=4&transport=polling", 404, ""}, // one entrance
		{"GET", inst.Tap, 200, ""},
		{"GET", "/playground", 404, ""},
		{"GET", "/lessons/chat", 404, ""},
		{"POST", "/play/chat", 404, ""},
		{"POST", "/play/" + inst.ID + "/code", 404, ""}, // the file is the program
		{"GET", "/class", 404, ""},
		{"GET", "/healthz", 200, "ok"},
	} {
		req, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader("{}"))
		if tt.path == inst.Tap {
			req.Header.Set("Accept", "text/event-stream")
			ctx, cancel := context.WithCancel(t.Context())
			req = req.WithContext(ctx)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
				t.Errorf("%s %s = %d %s", tt.method, tt.path, resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			cancel()
			resp.Body.Close()
			continue
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		_, _ = io.Copy(&b, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || !strings.HasPrefix(b.String(), tt.prefix) {
			t.Errorf("%s %s = %d %.60q, want %d %q…", tt.method, tt.path, resp.StatusCode, b.String(), tt.status, tt.prefix)
		}
	}
}

// TestRunModeBadProgram: a program that throws at its top level is New's error, FILE:line:col.
func TestRunModeBadProgram(t *testing.T) {
	_, err := New(slog.New(slog.DiscardHandler), Config{Run: &RunConfig{File: "bad.js", Code: "\n  null.x;\n"}})
	if err == nil || !strings.HasPrefix(err.Error(), "bad.js:2:") || !strings.Contains(err.Error(), "TypeError") {
		t.Fatalf("New = %v, want bad.js:2:…TypeError", err)
	}
}
