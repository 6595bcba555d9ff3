package engineio

import (
	"net/http"
	"strings"
	"testing"
)

// TestCookie: the `cookie` option as engine.io 6 has it (checked against socket.io 4.8.4: the
// polling handshake gets Set-Cookie NAME=SID with the option's attributes; later polling
// requests and WebSocket handshakes get none; without the option, nothing).
func TestCookie(t *testing.T) {
	tests := []struct {
		name   string
		cookie *http.Cookie
		want   string // the Set-Cookie with SID for the session id; "" none
	}{
		{"off", nil, ""},
		{"cookie: true", SocketIOCookie(), "io=SID; Path=/; HttpOnly; SameSite=Lax"},
		{"a name, a path, max-age, strict", &http.Cookie{Name: "route", Path: "/x", MaxAge: 60, SameSite: http.SameSiteStrictMode},
			"route=SID; Path=/x; Max-Age=60; SameSite=Strict"},
		{"defaults for an empty name and path", &http.Cookie{HttpOnly: true}, "io=SID; Path=/; HttpOnly"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			relTest(t, func(o *Options) { o.Cookie = tt.cookie }, func(t *testing.T, h *harness) {
				st, body, hdr := h.do(http.MethodGet, "EIO=4&transport=polling", "")
				if st != http.StatusOK {
					t.Fatalf("handshake: %d %q", st, body)
				}
				i := strings.Index(body, `"sid":"`)
				sid := body[i+7 : i+7+20]
				want := []string(nil)
				if tt.want != "" {
					want = []string{strings.Replace(tt.want, "SID", sid, 1)}
				}
				if got := hdr.Values("Set-Cookie"); strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Errorf("handshake Set-Cookie = %q, want %q", got, want)
				}
				if st, body := h.post(sidQuery(sid), "4hi"); st != http.StatusOK || body != "ok" {
					t.Fatalf("POST: %d %q", st, body)
				}
				if _, _, hdr := h.do(http.MethodGet, sidQuery(sid), ""); len(hdr.Values("Set-Cookie")) != 0 {
					t.Errorf("a later GET got Set-Cookie %q", hdr.Values("Set-Cookie"))
				}
				c, resp, err := h.dial("EIO=4&transport=websocket")
				if err != nil {
					t.Fatalf("WebSocket handshake: %v", err)
				}
				defer c.Close()
				if got := resp.Header.Values("Set-Cookie"); len(got) != 0 {
					t.Errorf("WebSocket handshake got Set-Cookie %q", got)
				}
			})
		})
	}
}
