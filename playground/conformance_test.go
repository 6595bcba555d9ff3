package playground

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestConformanceServer checks `socketlab conformance` as the official Engine.IO v4 and
// Socket.IO v5 suites see it (protocol.md §4): the handshake timings and limits they assume, the
// echoing /engine.io/ endpoint, and the / and /custom namespaces of /socket.io/. (The suites
// themselves passed against it, 25 and 32 tests; their cases are ported in engineio and socketio.)
func TestConformanceServer(t *testing.T) {
	c := NewConformance(slog.New(slog.DiscardHandler))
	srv := httptest.NewServer(c)
	t.Cleanup(func() { srv.Close(); c.Close() })

	for _, path := range []string{"/engine.io/", "/socket.io/"} {
		t.Run("handshake "+path, func(t *testing.T) {
			p := openPolling(t, srv.URL+path)
			if p.open.PingInterval != 300 || p.open.PingTimeout != 200 || p.open.MaxPayload != 1000000 {
				t.Errorf("open packet: got pingInterval %d, pingTimeout %d, maxPayload %d; want 300, 200, 1000000",
					p.open.PingInterval, p.open.PingTimeout, p.open.MaxPayload)
			}
			if strings.Join(p.open.Upgrades, ",") != "websocket" {
				t.Errorf("upgrades: got %v, want [websocket]", p.open.Upgrades)
			}
		})
	}

	t.Run("engine.io echoes text and binary", func(t *testing.T) {
		p := openPolling(t, srv.URL+"/engine.io/")
		p.post("4hello\x1ebAQID")
		p.want("4hello", "bAQID")
	})

	tests := []struct {
		name string
		send []string // Engine.IO message packets carrying Socket.IO packets ("40" is CONNECT to /)
		want []string // packets that must arrive, in order (an entry ending in ':' matches by prefix)
	}{
		{"main namespace, no auth", []string{"40"}, []string{`40{"sid":`, `42["auth",{}]`}},
		{"custom namespace with auth", []string{`40/custom,{"token":"123"}`}, []string{`40/custom,{"sid":`, `42/custom,["auth",{"token":"123"}]`}},
		{"unknown namespace", []string{"40/random,"}, []string{`44/random,{"message":"Invalid namespace"}`}},
		{"message-back with the same arguments", []string{"40", `42["message",1,"2",{"3":[true]}]`},
			[]string{`40{"sid":`, `42["auth",{}]`, `42["message-back",1,"2",{"3":[true]}]`}},
		{"message-with-ack acks its arguments", []string{"40", `42456["message-with-ack",1,"2",{"3":[true]}]`},
			[]string{`40{"sid":`, `42["auth",{}]`, `43456[1,"2",{"3":[true]}]`}},
	}
	for _, tt := range tests {
		t.Run("socket.io "+tt.name, func(t *testing.T) {
			p := openPolling(t, srv.URL+"/socket.io/")
			for _, pkt := range tt.send {
				p.post(pkt)
			}
			p.want(tt.want...)
		})
	}
}

type pollingClient struct {
	t    *testing.T
	url  string
	open struct {
		SID          string   `json:"sid"`
		Upgrades     []string `json:"upgrades"`
		PingInterval int      `json:"pingInterval"`
		PingTimeout  int      `json:"pingTimeout"`
		MaxPayload   int      `json:"maxPayload"`
	}
	got []string // packets received and not yet matched
}

func openPolling(t *testing.T, base string) *pollingClient {
	t.Helper()
	p := &pollingClient{t: t, url: base + "?EIO=4&transport=polling"}
	body := p.do(http.MethodGet, "")
	if !strings.HasPrefix(body, "0") || json.Unmarshal([]byte(body[1:]), &p.open) != nil || p.open.SID == "" {
		t.Fatalf("handshake: got %q, want an open packet", body)
	}
	p.url += "&sid=" + p.open.SID
	return p
}

func (p *pollingClient) do(method, body string) string {
	p.t.Helper()
	req, err := http.NewRequestWithContext(p.t.Context(), method, p.url, strings.NewReader(body))
	if err != nil {
		p.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatalf("%s: %v", method, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		p.t.Fatalf("%s %q: %d %q (%v)", method, body, resp.StatusCode, b, err)
	}
	return string(b)
}

func (p *pollingClient) post(payload string) {
	p.t.Helper()
	if got := p.do(http.MethodPost, payload); got != "ok" {
		p.t.Fatalf("POST %q: got %q, want ok", payload, got)
	}
}

// want polls until each wanted packet has arrived in order (an entry ending in `:` matches a
// packet by prefix); pings are answered and skipped.
func (p *pollingClient) want(packets ...string) {
	p.t.Helper()
	deadline := time.Now().Add(10 * time.Second) // only pings for that long: the packet is not coming
	for _, w := range packets {
		for {
			for len(p.got) == 0 {
				if time.Now().After(deadline) {
					p.t.Fatalf("no packet %q within 10 s (only pings)", w)
				}
				for pkt := range strings.SplitSeq(p.do(http.MethodGet, ""), "\x1e") {
					if pkt == "2" {
						p.post("3")
						continue
					}
					p.got = append(p.got, pkt)
				}
			}
			pkt := p.got[0]
			p.got = p.got[1:]
			if pkt == w || strings.HasSuffix(w, ":") && strings.HasPrefix(pkt, w) {
				break
			}
			p.t.Fatalf("got packet %q, want %q", pkt, w)
		}
	}
}
