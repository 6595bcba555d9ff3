package engineio

// Engine.IO cases of /work/shared/docs/reliability.md (T01–T04, T10–T14)
// and the package contract (slow consumers, panics, shutdown, caps).

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorilla/websocket"
)

func relTest(t *testing.T, tweak func(*Options), f func(t *testing.T, h *harness)) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		opts := suiteOptions(newRecorder(true))
		opts.UpgradeTimeout = time.Second
		opts.WriteTimeout = time.Second
		if tweak != nil {
			tweak(&opts)
		}
		f(t, newHarness(t, opts))
	})
}

func wantError(t *testing.T, st int, body string, wantStatus, wantCode int) {
	t.Helper()
	want := fmt.Sprintf(`{"code":%d,"message":%q}`, wantCode, errorMessages[wantCode])
	if st != wantStatus || body != want {
		t.Errorf("got %d %s, want %d %s", st, body, wantStatus, want)
	}
}

func TestT01VersionParameter(t *testing.T) {
	for _, q := range []string{"transport=polling", "EIO=abc&transport=polling", "EIO=3&transport=polling",
		"EIO=5&transport=polling", "EIO=4.0&transport=polling", "EIO=&transport=polling", "EIO=4&EIO=4&transport=polling"} {
		t.Run(q, func(t *testing.T) {
			relTest(t, nil, func(t *testing.T, h *harness) {
				st, body, hdr := h.do(http.MethodGet, q, "")
				wantError(t, st, body, 400, codeUnsupportedProto)
				if got := hdr.Get("Content-Type"); got != "application/json" {
					t.Errorf("got Content-Type %q, want application/json", got)
				}
				wsq := strings.Replace(q, "polling", "websocket", 1)
				if _, resp, err := h.dial(wsq); err == nil || resp == nil || resp.StatusCode != 400 {
					t.Errorf("websocket ?%s: got %v, want HTTP 400 and no 101", wsq, resp)
				}
				if n := h.srv.SessionCount(); n != 0 {
					t.Errorf("got %d sessions, want 0", n)
				}
			})
		})
	}
	t.Run("EIO=4 works", func(t *testing.T) {
		relTest(t, nil, func(t *testing.T, h *harness) { h.handshake() })
	})
}

func TestT02TransportParameter(t *testing.T) {
	long := strings.Repeat("x", 64<<10)
	for _, tr := range []string{"tobi", "__proto__", "constructor", "toString", "%00", long, "webtransport", "",
		"websocket&transport=polling", "POLLING"} {
		name := tr
		if len(name) > 20 {
			name = "long"
		}
		t.Run(name, func(t *testing.T) {
			relTest(t, nil, func(t *testing.T, h *harness) {
				q := "EIO=4&transport=" + tr
				st, body := h.get(q)
				wantError(t, st, body, 400, codeUnknownTransport)
				if _, resp, err := h.dial(q); err == nil || resp == nil || resp.StatusCode != 400 {
					t.Errorf("websocket: got %v, want HTTP 400 and no 101", resp)
				}
			})
		})
	}
	t.Run("missing", func(t *testing.T) {
		relTest(t, nil, func(t *testing.T, h *harness) {
			st, body := h.get("EIO=4")
			wantError(t, st, body, 400, codeUnknownTransport)
		})
	})
}

func TestT03BadHandshake(t *testing.T) {
	t.Run("unknown sid", func(t *testing.T) {
		relTest(t, nil, func(t *testing.T, h *harness) {
			st, body := h.get(sidQuery("test"))
			wantError(t, st, body, 400, codeUnknownSID)
			st, body = h.post(sidQuery("test"), "4x")
			wantError(t, st, body, 400, codeUnknownSID)
		})
	})
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		t.Run("handshake method "+m, func(t *testing.T) {
			relTest(t, nil, func(t *testing.T, h *harness) {
				st, body, _ := h.do(m, "EIO=4&transport=polling", "")
				wantError(t, st, body, 400, codeBadHandshake)
			})
		})
	}
	t.Run("websocket GET without upgrade headers", func(t *testing.T) {
		relTest(t, nil, func(t *testing.T, h *harness) {
			st, body := h.get("EIO=4&transport=websocket")
			wantError(t, st, body, 400, codeBadRequest)
		})
	})
	t.Run("transport mismatch", func(t *testing.T) {
		relTest(t, nil, func(t *testing.T, h *harness) {
			_, sid := h.wsOpen()
			st, body := h.get(sidQuery(sid))
			wantError(t, st, body, 400, codeBadRequest)
			st, body = h.get(wsQuery(sid)) // websocket transport, but no upgrade headers
			wantError(t, st, body, 400, codeBadRequest)
		})
	})
	for _, tc := range []struct{ name, key, version, method string }{
		{"missing key", "", "13", "GET"},
		{"short key", "abc", "13", "GET"},
		{"version 8", "dGhlIHNhbXBsZSBub25jZQ==", "8", "GET"},
		{"method POST", "dGhlIHNhbXBsZSBub25jZQ==", "13", "POST"},
	} {
		t.Run("bad upgrade "+tc.name, func(t *testing.T) {
			relTest(t, nil, func(t *testing.T, h *harness) {
				hdr := []string{"Connection", "Upgrade", "Upgrade", "websocket", "Sec-WebSocket-Version", tc.version}
				if tc.key != "" {
					hdr = append(hdr, "Sec-WebSocket-Key", tc.key)
				}
				st, _, _ := h.do(tc.method, "EIO=4&transport=websocket", "", hdr...)
				if st == http.StatusSwitchingProtocols || st < 400 {
					t.Errorf("got %d, want 4xx", st)
				}
				if n := h.srv.SessionCount(); n != 0 {
					t.Errorf("got %d sessions, want 0", n)
				}
			})
		})
	}
}

func TestT04Origin(t *testing.T) {
	const allowed = "https://class.example:8443"
	allow := func(o *Options) {
		o.CheckOrigin = func(r *http.Request) bool { return r.Header.Get("Origin") == allowed }
	}
	t.Run("evil origin, polling", func(t *testing.T) {
		relTest(t, allow, func(t *testing.T, h *harness) {
			st, body, hdr := h.do(http.MethodGet, "EIO=4&transport=polling", "", "Origin", "https://evil.example")
			wantError(t, st, body, 403, codeForbidden)
			if got := hdr.Get("Access-Control-Allow-Origin"); got != "" {
				t.Errorf("got Access-Control-Allow-Origin %q, want none", got)
			}
			if n := h.srv.SessionCount(); n != 0 {
				t.Errorf("got %d sessions, want 0", n)
			}
		})
	})
	t.Run("evil origin, websocket", func(t *testing.T) {
		relTest(t, allow, func(t *testing.T, h *harness) {
			_, resp, err := h.dial("EIO=4&transport=websocket", "Origin", "https://evil.example")
			if err == nil || resp == nil || resp.StatusCode != 403 {
				t.Errorf("got %v, want 403 before the upgrade", resp)
			}
			sid := h.handshake()
			_, resp, err = h.dial(wsQuery(sid), "Origin", "https://class.example:8444")
			if err == nil || resp == nil || resp.StatusCode != 403 {
				t.Errorf("upgrade: got %v, want 403", resp)
			}
		})
	})
	t.Run("evil origin, preflight", func(t *testing.T) {
		relTest(t, allow, func(t *testing.T, h *harness) {
			st, _, hdr := h.do(http.MethodOptions, "EIO=4&transport=polling", "", "Origin", "https://evil.example",
				"Access-Control-Request-Method", "POST")
			if st != 403 || hdr.Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("got %d ACAO %q, want 403 and none", st, hdr.Get("Access-Control-Allow-Origin"))
			}
		})
	})
	t.Run("allowed origin", func(t *testing.T) {
		relTest(t, allow, func(t *testing.T, h *harness) {
			st, _, hdr := h.do(http.MethodOptions, "EIO=4&transport=polling", "", "Origin", allowed,
				"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type")
			if st != 204 {
				t.Errorf("preflight: got %d, want 204", st)
			}
			st, body, hdr2 := h.do(http.MethodGet, "EIO=4&transport=polling", "", "Origin", allowed)
			if st != 200 || !strings.HasPrefix(body, "0{") {
				t.Errorf("handshake: got %d %q", st, body)
			}
			for _, hd := range []http.Header{hdr, hdr2} {
				if got := hd.Get("Access-Control-Allow-Origin"); got != allowed {
					t.Errorf("got ACAO %q, want %q", got, allowed)
				}
				if got := hd.Get("Access-Control-Allow-Credentials"); got != "true" {
					t.Errorf("got ACAC %q, want true", got)
				}
				if !slices.Contains(hd.Values("Vary"), "Origin") {
					t.Errorf("got Vary %q, want Origin", hd.Values("Vary"))
				}
			}
			c, _, err := h.dial("EIO=4&transport=websocket", "Origin", allowed)
			if err != nil {
				t.Fatalf("websocket from allowed origin: %v", err)
			}
			readText(t, c)
		})
	})
	t.Run("no origin is allowed", func(t *testing.T) {
		relTest(t, allow, func(t *testing.T, h *harness) {
			st, _, hdr := h.do(http.MethodGet, "EIO=4&transport=polling", "")
			if st != 200 || hdr.Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("got %d ACAO %q, want 200 and no CORS headers", st, hdr.Get("Access-Control-Allow-Origin"))
			}
			h.wsOpen()
		})
	})
	t.Run("nil CheckOrigin refuses every browser origin", func(t *testing.T) {
		relTest(t, nil, func(t *testing.T, h *harness) {
			st, body, hdr := h.do(http.MethodGet, "EIO=4&transport=polling", "", "Origin", "https://a.example")
			if st != http.StatusForbidden || body != `{"code":4,"message":"Forbidden"}` || hdr.Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("polling: got %d %s ACAO %q, want 403 Forbidden and no CORS headers", st, body, hdr.Get("Access-Control-Allow-Origin"))
			}
			if _, resp, err := h.dial("EIO=4&transport=websocket", "Origin", "https://a.example"); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
				t.Errorf("websocket: got err %v, want a 403 before the upgrade", err)
			}
			if st, _, _ := h.do(http.MethodGet, "EIO=4&transport=polling", ""); st != http.StatusOK {
				t.Errorf("no Origin: got %d, want 200", st)
			}
		})
	})
}

func TestT10InvalidPacketsOverWebSocket(t *testing.T) {
	for _, tc := range []struct {
		name  string
		frame string
		code  int
	}{
		{"abc", "abc", websocket.ClosePolicyViolation},
		{"empty", "", websocket.ClosePolicyViolation},
		{"type 9", "9", websocket.ClosePolicyViolation},
		{"type 7", "7x", websocket.ClosePolicyViolation},
		{"client open", "0", websocket.ClosePolicyViolation},
		{"upgrade outside an upgrade", "5", websocket.ClosePolicyViolation},
		{"client ping", "2", websocket.ClosePolicyViolation},
		{"invalid UTF-8", "4\xff\xfe", websocket.CloseInvalidFramePayloadData},
	} {
		t.Run(tc.name, func(t *testing.T) {
			relTest(t, nil, func(t *testing.T, h *harness) {
				c, sid := h.wsOpen()
				writeText(t, c, tc.frame)
				if code, msgs := readUntilClose(c); code != tc.code {
					t.Errorf("got close %d after %q, want %d", code, msgs, tc.code)
				}
				synctest.Wait()
				if got, want := h.rec.closedReasons(sid), []string{ReasonParseError}; !slices.Equal(got, want) {
					t.Errorf("got reasons %q, want %q", got, want)
				}
				if n := len(h.rec.messages(sid)); n != 0 {
					t.Errorf("got %d messages dispatched, want 0", n)
				}
			})
		})
	}
	t.Run("noop ignored, binary dispatched, close is clean", func(t *testing.T) {
		relTest(t, nil, func(t *testing.T, h *harness) {
			c, sid := h.wsOpen()
			writeText(t, c, "6")
			if err := c.WriteMessage(websocket.BinaryMessage, []byte{0xff}); err != nil {
				t.Fatal(err)
			}
			if _, b, err := c.ReadMessage(); err != nil || !bytes.Equal(b, []byte{0xff}) {
				t.Fatalf("binary echo: got %v %v", b, err)
			}
			writeText(t, c, "1")
			if code, _ := readUntilClose(c); code != websocket.CloseNormalClosure {
				t.Errorf("got close %d, want 1000", code)
			}
			synctest.Wait()
			if got, want := h.rec.closedReasons(sid), []string{ReasonTransportClose}; !slices.Equal(got, want) {
				t.Errorf("got reasons %q, want %q", got, want)
			}
		})
	})
}

func TestT11PollingBodyAbuse(t *testing.T) {
	for _, tc := range []struct {
		name, body, ctype string
	}{
		{"abc", "abc", ""},
		{"octet-stream", "4hi", "application/octet-stream"},
		{"bad base64", "4hi\x1ebZZZ!!", ""},
		{"base64 with newline", "bAQID\nBA==", ""},
		{"empty packet", "4hi\x1e\x1e4x", ""},
		{"empty body", "", ""},
		{"invalid UTF-8", "4\xff", ""},
		{"client ping", "2", ""},
		{"client open", "0", ""},
		{"upgrade on polling", "5", ""},
		{"ping after message", "4a\x1e2", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			relTest(t, nil, func(t *testing.T, h *harness) {
				sid := h.handshake()
				var hdr []string
				if tc.ctype != "" {
					hdr = []string{"Content-Type", tc.ctype}
				}
				st, _, _ := h.do(http.MethodPost, sidQuery(sid), tc.body, hdr...)
				if st != 400 {
					t.Errorf("POST: got %d, want 400", st)
				}
				if st, _ := h.get(sidQuery(sid)); st != 400 {
					t.Errorf("next GET: got %d, want 400", st)
				}
				if n := len(h.rec.messages(sid)); n != 0 {
					t.Errorf("got %d messages dispatched, want 0", n)
				}
			})
		})
	}
	t.Run("chunked body growing past maxPayload", func(t *testing.T) {
		relTest(t, func(o *Options) { o.MaxPayload = 1000 }, func(t *testing.T, h *harness) {
			sid := h.handshake()
			pr, pw := ioPipe()
			go func() {
				for range 100 {
					if _, err := pw.Write([]byte(strings.Repeat("x", 100))); err != nil {
						return
					}
				}
				pw.Close()
			}()
			req, _ := http.NewRequest(http.MethodPost, base+"?"+sidQuery(sid), pr)
			resp, err := h.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			pr.Close()
			if resp.StatusCode != http.StatusRequestEntityTooLarge {
				t.Errorf("got %d, want 413", resp.StatusCode)
			}
		})
	})
}

func TestT12SessionStateAbuse(t *testing.T) {
	t.Run("two concurrent POSTs", func(t *testing.T) {
		relTest(t, nil, func(t *testing.T, h *harness) {
			sid := h.handshake()
			pr, pw := ioPipe()
			var st1 int
			var wg sync.WaitGroup
			wg.Go(func() {
				req, _ := http.NewRequest(http.MethodPost, base+"?"+sidQuery(sid), pr)
				if resp, err := h.client.Do(req); err == nil {
					st1 = resp.StatusCode
					resp.Body.Close()
				}
			})
			pw.Write([]byte("4a"))
			synctest.Wait() // the first POST is reading its body
			if st, _ := h.post(sidQuery(sid), "4b"); st != 400 {
				t.Errorf("second POST: got %d, want 400", st)
			}
			pw.Close()
			wg.Wait()
			_ = st1
			if st, _ := h.get(sidQuery(sid)); st != 400 {
				t.Errorf("GET after: got %d, want 400", st)
			}
		})
	})
	t.Run("polling after upgrade keeps the websocket", func(t *testing.T) {
		relTest(t, nil, func(t *testing.T, h *harness) {
			sid := h.handshake()
			c := h.upgrade(sid)
			st, body := h.get(sidQuery(sid))
			wantError(t, st, body, 400, codeBadRequest)
			st, body = h.post(sidQuery(sid), "4x")
			wantError(t, st, body, 400, codeBadRequest)
			writeText(t, c, "4hello")
			if got := readText(t, c); got != "4hello" {
				t.Errorf("got %q, want 4hello", got)
			}
		})
	})
	t.Run("second websocket during an upgrade", func(t *testing.T) {
		relTest(t, nil, func(t *testing.T, h *harness) {
			sid := h.handshake()
			c := h.mustDial(wsQuery(sid))
			synctest.Wait() // the server has made c the probe
			c2 := h.mustDial(wsQuery(sid))
			if code, _ := readUntilClose(c2); code != websocket.ClosePolicyViolation {
				t.Errorf("second: got close %d, want 1008", code)
			}
			writeText(t, c, "2probe")
			if got := readText(t, c); got != "3probe" {
				t.Errorf("got %q, want 3probe", got)
			}
		})
	})
	t.Run("upgrade without 5 is cancelled at upgradeTimeout", func(t *testing.T) {
		relTest(t, func(o *Options) { o.PingInterval = 10 * time.Second }, func(t *testing.T, h *harness) {
			sid := h.handshake()
			start := time.Now()
			c := h.mustDial(wsQuery(sid))
			writeText(t, c, "2probe")
			readText(t, c)
			code, _ := readUntilClose(c)
			if d := time.Since(start); d != time.Second || code != websocket.CloseNormalClosure {
				t.Errorf("probe closed %d after %v, want 1000 after 1s", code, d)
			}
			h.post(sidQuery(sid), "4still")
			if st, body := h.get(sidQuery(sid)); st != 200 || body != "4still" {
				t.Errorf("polling after cancel: got %d %q", st, body)
			}
		})
	})
	t.Run("anything but 2probe cancels the probe", func(t *testing.T) {
		relTest(t, nil, func(t *testing.T, h *harness) {
			sid := h.handshake()
			for _, frame := range []string{"4x", "5", "2probe"} {
				c := h.mustDial(wsQuery(sid))
				if frame == "2probe" { // twice
					writeText(t, c, "2probe")
					readText(t, c)
				}
				writeText(t, c, frame)
				if code, _ := readUntilClose(c); code == 0 {
					t.Errorf("%q: probe not closed", frame)
				}
			}
			if st, body := h.post(sidQuery(sid), "4ok"); st != 200 {
				t.Errorf("session should survive: got %d %q", st, body)
			}
			synctest.Wait()
			if msgs := h.rec.messages(sid); len(msgs) != 1 {
				t.Errorf("got %d messages, want only the polling one", len(msgs))
			}
		})
	})
	t.Run("pending GET gets noop at probe", func(t *testing.T) {
		relTest(t, nil, func(t *testing.T, h *harness) {
			sid := h.handshake()
			var st int
			var body string
			var wg sync.WaitGroup
			wg.Go(func() { st, body = h.get(sidQuery(sid)) })
			synctest.Wait()
			c := h.mustDial(wsQuery(sid))
			writeText(t, c, "2probe")
			readText(t, c)
			wg.Wait()
			if st != 200 || body != "6" {
				t.Errorf("pending GET: got %d %q, want 200 \"6\"", st, body)
			}
			// Queued while upgrading: delivered over the WebSocket after 5.
			h.rec.sessions[0].Send(Message{Data: []byte("queued")})
			writeText(t, c, "5")
			if got := readText(t, c); got != "4queued" {
				t.Errorf("got %q, want 4queued", got)
			}
		})
	})
}

func TestT13SizeLimits(t *testing.T) {
	const limit = 1000
	small := func(o *Options) { o.MaxPayload = limit }
	t.Run("websocket", func(t *testing.T) {
		relTest(t, small, func(t *testing.T, h *harness) {
			c, _ := h.wsOpen()
			exact := "4" + strings.Repeat("x", limit-1)
			writeText(t, c, exact)
			if got := readText(t, c); got != exact {
				t.Errorf("echo of exactly L: got %d bytes", len(got))
			}
			// Written from another goroutine: the server refuses the frame after its header
			// while the rest is still being written, which a socket buffers and a pipe does not.
			go c.WriteMessage(websocket.TextMessage, []byte(exact+"y"))
			if code, _ := readUntilClose(c); code != websocket.CloseMessageTooBig {
				t.Errorf("L+1: got close %d, want 1009", code)
			}
		})
	})
	t.Run("websocket binary", func(t *testing.T) {
		relTest(t, small, func(t *testing.T, h *harness) {
			c, _ := h.wsOpen()
			go c.WriteMessage(websocket.BinaryMessage, make([]byte, limit+1)) // as above
			if code, _ := readUntilClose(c); code != websocket.CloseMessageTooBig {
				t.Errorf("got close %d, want 1009", code)
			}
		})
	})
	t.Run("polling", func(t *testing.T) {
		relTest(t, small, func(t *testing.T, h *harness) {
			sid := h.handshake()
			exact := "4" + strings.Repeat("x", limit-1)
			if st, _ := h.post(sidQuery(sid), exact); st != 200 {
				t.Errorf("POST of L: got %d, want 200", st)
			}
			if st, _ := h.post(sidQuery(sid), exact+"y"); st != 413 {
				t.Errorf("POST of L+1: got %d, want 413", st)
			}
		})
	})
	t.Run("advertised maxPayload", func(t *testing.T) {
		relTest(t, small, func(t *testing.T, h *harness) {
			_, body := h.get("EIO=4&transport=polling")
			if !strings.Contains(body, `"maxPayload":1000}`) {
				t.Errorf("got %q, want maxPayload 1000", body)
			}
		})
	})
}

func TestT14HeartbeatAbuse(t *testing.T) {
	t.Run("pong flood", func(t *testing.T) {
		relTest(t, nil, func(t *testing.T, h *harness) {
			c, sid := h.wsOpen()
			for range 1000 {
				writeText(t, c, "3")
			}
			writeText(t, c, "4alive")
			if got := readText(t, c); got != "4alive" {
				t.Errorf("got %q, want 4alive", got)
			}
			if r := h.rec.closedReasons(sid); len(r) != 0 {
				t.Errorf("closed: %q", r)
			}
		})
	})
	t.Run("pongs do not keep a non-reading client alive", func(t *testing.T) {
		relTest(t, nil, func(t *testing.T, h *harness) {
			c, sid := h.wsOpen()
			s := h.rec.sessions[0]
			big := Message{Data: bytes.Repeat([]byte("x"), 4096)}
			for i := 0; ; i++ {
				// Keeps the heartbeat happy but never reads.
				if err := c.WriteMessage(websocket.TextMessage, []byte("3")); err != nil {
					break
				}
				if err := s.Send(big); err != nil {
					break
				}
				time.Sleep(10 * time.Millisecond)
				if i > 1000 {
					t.Fatal("never disconnected")
				}
			}
			synctest.Wait()
			got := h.rec.closedReasons(sid)
			if len(got) != 1 || (got[0] != ReasonSlow && got[0] != ReasonTransportError) {
				t.Errorf("got reasons %q, want slow or transport error", got)
			}
		})
	})
}

func TestSlowConsumer(t *testing.T) {
	relTest(t, func(o *Options) { o.MaxQueuePackets = 4 }, func(t *testing.T, h *harness) {
		sid := h.handshake()
		s := h.rec.sessions[0]
		for i := range 4 {
			if err := s.Send(Message{Data: []byte{'a' + byte(i)}}); err != nil {
				t.Fatalf("send %d: %v", i, err)
			}
		}
		if err := s.Send(Message{Data: []byte("e")}); !errors.Is(err, ErrSlow) {
			t.Errorf("got %v, want ErrSlow", err)
		}
		if err := s.Send(Message{Data: []byte("f")}); !errors.Is(err, ErrClosed) {
			t.Errorf("after close: got %v, want ErrClosed", err)
		}
		synctest.Wait() // Closed runs on its own goroutine after Send
		if got, want := h.rec.closedReasons(sid), []string{ReasonSlow}; !slices.Equal(got, want) {
			t.Errorf("got reasons %q, want %q", got, want)
		}
		if st, _ := h.get(sidQuery(sid)); st != 400 {
			t.Errorf("GET after slow: got %d, want 400", st)
		}
	})
	t.Run("bytes bound, atomic", func(t *testing.T) {
		relTest(t, func(o *Options) { o.MaxQueueBytes = 100 }, func(t *testing.T, h *harness) {
			h.handshake()
			s := h.rec.sessions[0]
			err := s.Send(Message{Data: make([]byte, 60)}, Message{Data: make([]byte, 60)})
			if !errors.Is(err, ErrSlow) {
				t.Errorf("got %v, want ErrSlow", err)
			}
		})
	})
}

func TestServerCloseAndCaps(t *testing.T) {
	t.Run("shutdown", func(t *testing.T) {
		relTest(t, nil, func(t *testing.T, h *harness) {
			c, wsid := h.wsOpen()
			psid := h.handshake()
			var st int
			var body string
			var wg sync.WaitGroup
			wg.Go(func() { st, body = h.get(sidQuery(psid)) })
			synctest.Wait()
			h.rec.sessions[0].Send(Message{Data: []byte("last")})
			var code int
			var msgs []string
			wg.Go(func() { code, msgs = readUntilClose(c) }) // net.Pipe has no buffer
			h.srv.Close()
			wg.Wait()
			if code != websocket.CloseGoingAway || !slices.Equal(msgs, []string{"4last", "1"}) {
				t.Errorf("websocket: got %q then %d, want [4last 1] then 1001", msgs, code)
			}
			if st != 200 || body != "1" {
				t.Errorf("pending GET: got %d %q, want 200 \"1\"", st, body)
			}
			for _, sid := range []string{wsid, psid} {
				if got, want := h.rec.closedReasons(sid), []string{ReasonShuttingDown}; !slices.Equal(got, want) {
					t.Errorf("%s: got reasons %q, want %q", sid, got, want)
				}
			}
			if st, _ := h.get("EIO=4&transport=polling"); st != 503 {
				t.Errorf("handshake after Close: got %d, want 503", st)
			}
			if _, resp, err := h.dial("EIO=4&transport=websocket"); err == nil || resp.StatusCode != 503 {
				t.Errorf("websocket after Close: got %v, want 503", resp)
			}
		})
	})
	t.Run("max sessions", func(t *testing.T) {
		relTest(t, func(o *Options) { o.MaxSessions = 2 }, func(t *testing.T, h *harness) {
			h.handshake()
			h.wsOpen()
			if st, _ := h.get("EIO=4&transport=polling"); st != 503 {
				t.Errorf("polling over cap: got %d, want 503", st)
			}
			if _, resp, err := h.dial("EIO=4&transport=websocket"); err == nil || resp.StatusCode != 503 {
				t.Errorf("websocket over cap: got %v, want 503", resp)
			}
		})
	})
	t.Run("server Close of one session flushes then closes", func(t *testing.T) {
		relTest(t, nil, func(t *testing.T, h *harness) {
			sid := h.handshake()
			s := h.rec.sessions[0]
			s.Send(Message{Data: []byte("bye")})
			s.Close(ReasonForcedClose)
			s.Close(ReasonForcedClose)
			synctest.Wait()
			if st, body := h.get(sidQuery(sid)); st != 200 || body != "4bye\x1e1" {
				t.Errorf("GET: got %d %q, want 200 \"4bye\\x1e1\"", st, body)
			}
			if st, _ := h.get(sidQuery(sid)); st != 400 {
				t.Errorf("GET after: got %d, want 400", st)
			}
			if got, want := h.rec.closedReasons(sid), []string{ReasonForcedClose}; !slices.Equal(got, want) {
				t.Errorf("got reasons %q, want %q", got, want)
			}
		})
	})
}

func TestPanicRecovery(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := newRecorder(true)
		rec.panicOn = "4boom"[1:]
		h := newHarness(t, suiteOptions(rec))
		c, sid := h.wsOpen()
		other, _ := h.wsOpen()
		writeText(t, c, "4boom")
		if code, _ := readUntilClose(c); code != websocket.CloseInternalServerErr {
			t.Errorf("got close %d, want 1011", code)
		}
		synctest.Wait()
		if got := h.rec.closedReasons(sid); len(got) != 1 {
			t.Errorf("got reasons %q, want exactly one", got)
		}
		writeText(t, other, "4fine")
		if got := readText(t, other); got != "4fine" {
			t.Errorf("other session: got %q", got)
		}
		// Polling: the POST's dispatch panics, only that session closes.
		psid := h.handshake()
		h.post(sidQuery(psid), "4boom")
		if st, _ := h.get(sidQuery(psid)); st != 400 {
			t.Errorf("GET after panic: got %d, want 400", st)
		}
	})
}

func TestClosedExactlyOnceNoMessageAfter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := newRecorder(false)
		h := newHarness(t, suiteOptions(rec))
		for range 20 {
			c, _ := h.wsOpen()
			s := rec.sessions[len(rec.sessions)-1]
			var wg sync.WaitGroup
			wg.Go(func() {
				for range 10 {
					if c.WriteMessage(websocket.TextMessage, []byte("4x")) != nil {
						break
					}
				}
				c.Close()
			})
			wg.Go(func() { s.Close(ReasonForcedClose) })
			wg.Go(func() { s.Close(ReasonSlow) })
			wg.Wait()
		}
		synctest.Wait()
		for _, s := range rec.sessions {
			if got := rec.closedReasons(s.ID()); len(got) != 1 {
				t.Errorf("%s: got reasons %q, want exactly one", s.ID(), got)
			}
		}
		if rec.late != 0 {
			t.Errorf("got %d messages after Closed, want 0", rec.late)
		}
	})
}

func TestSessionRequestAndIDs(t *testing.T) {
	relTest(t, nil, func(t *testing.T, h *harness) {
		seen := map[string]bool{}
		for range 50 {
			sid := h.handshake()
			if seen[sid] {
				t.Fatalf("duplicate sid %q", sid)
			}
			seen[sid] = true
		}
		r := h.rec.requests[0]
		if got := r.URL.Query().Get("transport"); got != "polling" {
			t.Errorf("got transport query %q", got)
		}
		if r.Context() == nil || r.Context().Err() != nil {
			t.Error("request context should stay usable")
		}
		if h.rec.sessions[0].Request() != nil {
			t.Error("Request after Open: want nil (the session no longer keeps it)")
		}
	})
}

// lockingHandler's Closed takes the lock its broadcaster holds while sending.
type lockingHandler struct {
	mu     sync.Mutex
	s      *Session
	reason string
}

func (l *lockingHandler) Open(s *Session) SessionHandler { l.s = s; return l }
func (l *lockingHandler) Message(Message)                {}
func (l *lockingHandler) Closed(reason string) {
	l.mu.Lock()
	l.reason = reason
	l.mu.Unlock()
}

func TestSendUnderLockDoesNotDeadlock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lh := &lockingHandler{}
		opts := suiteOptions(nil)
		opts.Handler = lh
		opts.MaxQueuePackets = 1
		h := newHarness(t, opts)
		h.handshake()
		lh.mu.Lock() // a broadcast holding its room lock
		lh.s.Send(Message{Data: []byte("a")})
		if err := lh.s.Send(Message{Data: []byte("b")}); !errors.Is(err, ErrSlow) {
			t.Errorf("got %v, want ErrSlow", err)
		}
		lh.s.Close(ReasonForcedClose)
		lh.mu.Unlock()
		synctest.Wait()
		lh.mu.Lock()
		defer lh.mu.Unlock()
		if lh.reason != ReasonSlow {
			t.Errorf("got reason %q, want %q", lh.reason, ReasonSlow)
		}
	})
}
