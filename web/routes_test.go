package web

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"socketlab/templates"
	"socketlab/web/webtest"

	"github.com/PuerkitoBio/goquery"
)

// newTestApp serves the real embedded course through the real handler chain.
func newTestApp(t *testing.T) (*App, *httptest.Server) {
	t.Helper()
	a, err := New(slog.New(slog.DiscardHandler), Config{Origins: []string{"http://127.0.0.1"}})
	if err != nil {
		t.Fatalf("newApp: %v", err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(func() { srv.Close(); a.Close() })
	return a, srv
}

// get fetches url and returns the response with its whole body.
func get(t *testing.T, url string) (*http.Response, string) { return webtest.Get(t, url) }

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
		{"lessons link the icon", "/lessons/" + first.Slug, 200, "", `<link rel="icon" type="image/svg+xml" href="` + a.assets.URL("img/favicon.svg")},
		// A browser asks for /favicon.ico on its own (a 404 was a console error on every page):
		// the client follows the redirect to the SVG.
		{"favicon.ico", "/favicon.ico", 200, "image/svg+xml", "<svg"},
		{"the header links the playground", "/", 200, "", `<a href="/playground">Playground</a>`},
		{"the header links joining a class", "/lessons/" + first.Slug, 200, "", `<a href="/join">Join a class</a>`},
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
				if want := templates.CSP(m[1]); csp != want {
					t.Errorf("CSP %q, want templates.CSP: %q", csp, want)
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

// TestCrossOriginPolling: a polling client on a page of another allowed origin (serve -origins)
// POSTs its packets cross-origin. Every hub, a demo's or a class's, checks the Origin itself: an
// allowed one gets through exactly the same on both (issue 11: the class hub got 403 from the
// cross-origin protection), and a disallowed one is refused the same, by the hub (Engine.IO's
// 403 {"code":4}), on both.
func TestCrossOriginPolling(t *testing.T) {
	const allowed, evil = "http://allowed.example:8080", "http://evil.example"
	a, err := New(slog.New(slog.DiscardHandler), Config{Origins: []string{allowed}})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(func() { a.Close(); srv.Close() })
	do := func(t *testing.T, method, path, origin, body string, accept string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
			req.Header.Set("Sec-Fetch-Site", "cross-site")
		}
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	var demo, class struct{ Path string }
	if status, body := do(t, "POST", "/play/chat", "", `{"clients":["A"]}`, ""); status != http.StatusCreated || json.Unmarshal([]byte(body), &demo) != nil {
		t.Fatalf("create a demo: %d %s", status, body)
	}
	if status, body := do(t, "POST", "/class", "", "", "application/json"); status != http.StatusCreated || json.Unmarshal([]byte(body), &class) != nil {
		t.Fatalf("create a class: %d %s", status, body)
	}
	for _, hub := range []struct{ name, path string }{{"demo hub", demo.Path}, {"class hub", class.Path}} {
		t.Run(hub.name, func(t *testing.T) {
			status, body := do(t, "GET", hub.path+"?EIO=4&transport=polling", allowed, "", "")
			var open struct{ SID string }
			if status != http.StatusOK || json.Unmarshal([]byte(strings.TrimPrefix(body, "0")), &open) != nil || open.SID == "" {
				t.Fatalf("handshake from %s: %d %q, want 200 and an open packet", allowed, status, body)
			}
			if status, body := do(t, "POST", hub.path+"?EIO=4&transport=polling&sid="+open.SID, allowed, "40", ""); status != http.StatusOK || body != "ok" {
				t.Errorf("polling POST from %s: %d %q, want 200 ok", allowed, status, body)
			}
			if status, body := do(t, "POST", hub.path+"?EIO=4&transport=polling&sid="+open.SID, evil, "40", ""); status != http.StatusForbidden || !strings.Contains(body, `"code":4`) {
				t.Errorf("polling POST from %s: %d %q, want the hub's 403 {\"code\":4,...}", evil, status, body)
			}
			if status, body := do(t, "GET", hub.path+"?EIO=4&transport=polling", evil, "", ""); status != http.StatusForbidden || !strings.Contains(body, `"code":4`) {
				t.Errorf("handshake from %s: %d %q, want the hub's 403 {\"code\":4,...}", evil, status, body)
			}
		})
	}
}

// TestRouteTable: every route has a distinct pattern, and the cross-origin bypass is exactly
// the hubs' endpoints (each an Engine.IO path that checks the Origin itself).
func TestRouteTable(t *testing.T) {
	a, _ := newTestApp(t)
	seen := map[string]bool{}
	var sockets []string
	for _, rt := range a.routeTable() {
		if seen[rt.pattern] {
			t.Errorf("pattern %q is listed twice", rt.pattern)
		}
		seen[rt.pattern] = true
		if rt.socket {
			sockets = append(sockets, rt.pattern)
			if !strings.HasSuffix(rt.pattern, "/socket.io/") {
				t.Errorf("socket route %q is not an Engine.IO path", rt.pattern)
			}
		}
	}
	if want := []string{"/play/{id}/socket.io/", "/class/{code}/socket.io/", "/socket.io/"}; !slices.Equal(sockets, want) {
		t.Errorf("socket routes %q, want %q", sockets, want)
	}
}
