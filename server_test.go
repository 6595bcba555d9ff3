package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
)

// newTestApp serves the real embedded course through the real handler chain.
func newTestApp(t *testing.T) (*app, *httptest.Server) {
	t.Helper()
	a, err := newApp(slog.New(slog.DiscardHandler), serveConfig{origins: []string{"http://127.0.0.1"}})
	if err != nil {
		t.Fatalf("newApp: %v", err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(func() { srv.Close(); a.Close() })
	return a, srv
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", url, err)
	}
	return resp, string(b)
}

func TestRoutes(t *testing.T) {
	a, srv := newTestApp(t)
	first := a.content.Load().idx.Lessons()[0]
	tests := []struct {
		name, path  string
		status      int
		contentType string
		contains    string
	}{
		{"home", "/", 200, "text/html; charset=utf-8", first.Title},
		{"lesson", "/lessons/" + first.Slug, 200, "text/html; charset=utf-8", first.Title},
		{"unknown lesson", "/lessons/no-such-lesson", 404, "text/html; charset=utf-8", "not found"},
		{"unknown path", "/nope", 404, "text/html; charset=utf-8", "not found"},
		{"path traversal", "/lessons/..%2f..%2fetc%2fpasswd", 404, "text/html; charset=utf-8", "not found"},
		{"healthz", "/healthz", 200, "text/plain; charset=utf-8", "ok"},
		{"playground", "/playground", 200, "text/html; charset=utf-8", "Playground"},
		{"css", a.assets.URL("css/site.css"), 200, "text/css; charset=utf-8", "{"},
		{"old asset hash", "/static/css/site.00000000.css", 404, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(t, srv.URL+tt.path)
			if resp.StatusCode != tt.status {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.status)
			}
			if tt.contentType != "" {
				if got := resp.Header.Get("Content-Type"); got != tt.contentType {
					t.Errorf("Content-Type = %q, want %q", got, tt.contentType)
				}
			}
			if !strings.Contains(strings.ToLower(body), strings.ToLower(tt.contains)) {
				t.Errorf("body does not contain %q", tt.contains)
			}
		})
	}
}

func TestSecurityHeaders(t *testing.T) {
	a, srv := newTestApp(t)
	paths := []string{"/", "/lessons/" + a.content.Load().idx.Lessons()[0].Slug, "/nope", "/playground"}
	nonceRe := regexp.MustCompile(`script-src 'nonce-([A-Za-z0-9_-]{22,})' 'strict-dynamic'`)
	for _, p := range paths {
		t.Run(p, func(t *testing.T) {
			var nonces []string
			for range 2 {
				resp, body := get(t, srv.URL+p)
				csp := resp.Header.Get("Content-Security-Policy")
				m := nonceRe.FindStringSubmatch(csp)
				if m == nil {
					t.Fatalf("CSP %q has no nonce script-src with strict-dynamic", csp)
				}
				for _, want := range []string{"object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "form-action 'self'", "connect-src 'self'"} {
					if !strings.Contains(csp, want) {
						t.Errorf("CSP %q lacks %q", csp, want)
					}
				}
				if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
					t.Errorf("CSP %q allows unsafe scripts", csp)
				}
				for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"} {
					if got := resp.Header.Get(h); got != want {
						t.Errorf("%s = %q, want %q", h, got, want)
					}
				}
				doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				doc.Find("script").Each(func(_ int, s *goquery.Selection) {
					if n, _ := s.Attr("nonce"); n != m[1] {
						t.Errorf("script %v has nonce %q, want the response's %q", s.AttrOr("src", "(inline)"), n, m[1])
					}
				})
				doc.Find("*").Each(func(_ int, s *goquery.Selection) {
					for _, at := range s.Nodes[0].Attr {
						if strings.HasPrefix(at.Key, "on") || at.Key == "style" {
							t.Errorf("<%s> has attribute %s: breaks the CSP", goquery.NodeName(s), at.Key)
						}
					}
				})
				nonces = append(nonces, m[1])
			}
			if nonces[0] == nonces[1] {
				t.Errorf("nonce %q repeated across responses", nonces[0])
			}
		})
	}
}

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
	resp, body := get(t, url+"/healthz")
	if resp.StatusCode != 200 || strings.TrimSpace(body) != "ok" {
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
