package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestRun drives the real program: flags, listener, serving, graceful shutdown on cancel.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	getenv := func(k string) string {
		if k == "SOCKETLAB_ADDR" {
			return "127.0.0.1:0"
		}
		return ""
	}
	go func() {
		done <- run(ctx, []string{"socketlab", "-log-level", "warn"}, getenv, outW, io.Discard)
		outW.Close()
	}()
	line, err := bufio.NewReader(outR).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the startup line: %v (run: %v)", err, <-done)
	}
	go io.Copy(io.Discard, outR)
	url := strings.TrimSpace(line[strings.Index(line, "http://"):])
	resp, err := http.Get(url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != "ok" {
		t.Fatalf("/healthz = %d %q", resp.StatusCode, body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run returned %v after shutdown", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("run did not return after its context was cancelled")
	}
}

func TestRunBadFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown command", []string{"socketlab", "frobnicate"}, `unknown command "frobnicate"`},
		{"bad log level", []string{"socketlab", "serve", "-log-level", "loud"}, "-log-level"},
		{"bad origin", []string{"socketlab", "-addr", "127.0.0.1:0", "-origins", "evil.example"}, `origin "evil.example"`},
		{"bad address", []string{"socketlab", "-addr", "256.0.0.1:80"}, "listen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(t.Context(), tt.args, func(string) string { return "" }, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("run(%q) = %v, want an error containing %q", tt.args, err, tt.want)
			}
		})
	}
}

func TestAllowedOrigins(t *testing.T) {
	got, err := allowedOrigins("0.0.0.0:8080", "[::]:8080", "http://192.168.1.20:8080/", "https://Class.Example:8443")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"http://localhost:8080", "http://127.0.0.1:8080", "http://[::1]:8080", "http://192.168.1.20:8080", "https://class.example:8443"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("allowedOrigins = %q, want %q", got, want)
	}
}
