package engineio

// The cases of the official Engine.IO v4 test suite
// (socketio/socket.io docs/engine.io-protocol/v4-test-suite/test-suite.js),
// written again in Go against our server. Each runs in a synctest bubble
// over net.Pipe, so the heartbeat cases take no real time.

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorilla/websocket"
)

func suiteTest(t *testing.T, f func(t *testing.T, h *harness)) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, suiteOptions(newRecorder(true)))
		f(t, h)
	})
}

func checkOpenPacket(t *testing.T, body string, upgrades []string) {
	t.Helper()
	if !strings.HasPrefix(body, "0") {
		t.Fatalf("got %q, want an open packet", body)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(body[1:]), &v); err != nil {
		t.Fatalf("open packet %q: %v", body, err)
	}
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"maxPayload", "pingInterval", "pingTimeout", "sid", "upgrades"}; !slices.Equal(keys, want) {
		t.Errorf("got keys %q, want %q", keys, want)
	}
	if sid, ok := v["sid"].(string); !ok || len(sid) != 20 {
		t.Errorf("got sid %v, want a 20-char string", v["sid"])
	}
	ups, _ := json.Marshal(v["upgrades"])
	if want, _ := json.Marshal(upgrades); string(ups) != string(want) {
		t.Errorf("got upgrades %s, want %s", ups, want)
	}
	if v["pingInterval"] != 300.0 || v["pingTimeout"] != 200.0 || v["maxPayload"] != 1e6 {
		t.Errorf("got pingInterval %v pingTimeout %v maxPayload %v, want 300 200 1000000",
			v["pingInterval"], v["pingTimeout"], v["maxPayload"])
	}
}

func TestSuiteHandshakePolling(t *testing.T) {
	t.Run("successfully opens a session", func(t *testing.T) {
		suiteTest(t, func(t *testing.T, h *harness) {
			st, body, hdr := h.do(http.MethodGet, "EIO=4&transport=polling", "")
			if st != 200 {
				t.Fatalf("got status %d, want 200", st)
			}
			if got, want := hdr.Get("Content-Type"), "text/plain; charset=UTF-8"; got != want {
				t.Errorf("got Content-Type %q, want %q", got, want)
			}
			checkOpenPacket(t, body, []string{"websocket"})
		})
	})
	t.Run("fails with an invalid EIO query parameter", func(t *testing.T) {
		suiteTest(t, func(t *testing.T, h *harness) {
			for _, q := range []string{"transport=polling", "EIO=abc&transport=polling"} {
				if st, _ := h.get(q); st != 400 {
					t.Errorf("?%s: got %d, want 400", q, st)
				}
			}
		})
	})
	t.Run("fails with an invalid transport query parameter", func(t *testing.T) {
		suiteTest(t, func(t *testing.T, h *harness) {
			for _, q := range []string{"EIO=4", "EIO=4&transport=abc"} {
				if st, _ := h.get(q); st != 400 {
					t.Errorf("?%s: got %d, want 400", q, st)
				}
			}
		})
	})
	t.Run("fails with an invalid request method", func(t *testing.T) {
		suiteTest(t, func(t *testing.T, h *harness) {
			for _, m := range []string{http.MethodPost, http.MethodPut} {
				if st, _, _ := h.do(m, "EIO=4&transport=polling", ""); st != 400 {
					t.Errorf("%s: got %d, want 400", m, st)
				}
			}
		})
	})
}

func TestSuiteHandshakeWebSocket(t *testing.T) {
	t.Run("successfully opens a session", func(t *testing.T) {
		suiteTest(t, func(t *testing.T, h *harness) {
			c := h.mustDial("EIO=4&transport=websocket")
			checkOpenPacket(t, readText(t, c), []string{})
		})
	})
	for _, tc := range []struct{ name, q1, q2 string }{
		{"fails with an invalid EIO query parameter", "transport=websocket", "EIO=abc&transport=websocket"},
		{"fails with an invalid transport query parameter", "EIO=4", "EIO=4&transport=abc"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			suiteTest(t, func(t *testing.T, h *harness) {
				for _, q := range []string{tc.q1, tc.q2} {
					c, resp, err := h.dial(q)
					if err == nil {
						// Accepted: it must then be closed.
						if code, _ := readUntilClose(c); code == 0 {
							t.Errorf("?%s: connection stayed open", q)
						}
						continue
					}
					if resp == nil || resp.StatusCode != 400 {
						t.Errorf("?%s: got %v, want HTTP 400", q, resp)
					}
				}
			})
		})
	}
}

func TestSuiteMessagePolling(t *testing.T) {
	for _, tc := range []struct{ name, body string }{
		{"sends and receives a payload containing one plain text packet", "4hello"},
		{"sends and receives a payload containing several plain text packets", "4test1\x1e4test2\x1e4test3"},
		{"sends and receives a payload containing plain text and binary packets", "4hello\x1ebAQIDBA=="},
	} {
		t.Run(tc.name, func(t *testing.T) {
			suiteTest(t, func(t *testing.T, h *harness) {
				sid := h.handshake()
				if st, body := h.post(sidQuery(sid), tc.body); st != 200 || body != "ok" {
					t.Fatalf("POST: got %d %q, want 200 \"ok\"", st, body)
				}
				if st, body := h.get(sidQuery(sid)); st != 200 || body != tc.body {
					t.Fatalf("GET: got %d %q, want 200 %q", st, body, tc.body)
				}
			})
		})
	}
	t.Run("closes the session upon invalid packet format", func(t *testing.T) {
		suiteTest(t, func(t *testing.T, h *harness) {
			sid := h.handshake()
			if st, _ := h.post(sidQuery(sid), "abc"); st != 400 {
				t.Errorf("POST abc: got %d, want 400", st)
			}
			if st, _ := h.get(sidQuery(sid)); st != 400 {
				t.Errorf("GET after: got %d, want 400", st)
			}
		})
	})
	t.Run("closes the session upon duplicate poll requests", func(t *testing.T) {
		suiteTest(t, func(t *testing.T, h *harness) {
			sid := h.handshake()
			var st1 int
			var body1 string
			var wg sync.WaitGroup
			wg.Go(func() { st1, body1 = h.get(sidQuery(sid)) })
			synctest.Wait() // the first GET is now held
			st2, _ := h.get(sidQuery(sid) + "&t=burst")
			wg.Wait()
			if st1 != 200 || body1 != "1" {
				t.Errorf("first GET: got %d %q, want 200 \"1\"", st1, body1)
			}
			if st2 != 400 {
				t.Errorf("second GET: got %d, want 400", st2)
			}
			if st, _ := h.get(sidQuery(sid)); st != 400 {
				t.Errorf("GET after: got %d, want 400", st)
			}
		})
	})
	t.Run("closes the session upon cancelled polling request", func(t *testing.T) {
		suiteTest(t, func(t *testing.T, h *harness) {
			sid := h.handshake()
			ctx, cancel := context.WithCancel(t.Context())
			var wg sync.WaitGroup
			wg.Go(func() { h.doCtx(ctx, http.MethodGet, sidQuery(sid), "") })
			synctest.Wait()
			cancel()
			wg.Wait()
			synctest.Wait()
			if st, _ := h.get(sidQuery(sid)); st != 400 {
				t.Errorf("GET after abort: got %d, want 400", st)
			}
		})
	})
}

func TestSuiteMessageWebSocket(t *testing.T) {
	t.Run("sends and receives a plain text packet", func(t *testing.T) {
		suiteTest(t, func(t *testing.T, h *harness) {
			c, _ := h.wsOpen()
			writeText(t, c, "4hello")
			if got := readText(t, c); got != "4hello" {
				t.Errorf("got %q, want %q", got, "4hello")
			}
		})
	})
	t.Run("sends and receives a binary packet", func(t *testing.T) {
		suiteTest(t, func(t *testing.T, h *harness) {
			c, _ := h.wsOpen()
			if err := c.WriteMessage(websocket.BinaryMessage, []byte{1, 2, 3, 4}); err != nil {
				t.Fatal(err)
			}
			mt, b, err := c.ReadMessage()
			if err != nil || mt != websocket.BinaryMessage || !bytes.Equal(b, []byte{1, 2, 3, 4}) {
				t.Errorf("got %d %v %v, want binary [1 2 3 4]", mt, b, err)
			}
		})
	})
	t.Run("closes the session upon invalid packet format", func(t *testing.T) {
		suiteTest(t, func(t *testing.T, h *harness) {
			c, _ := h.wsOpen()
			writeText(t, c, "abc")
			if code, msgs := readUntilClose(c); code != websocket.ClosePolicyViolation {
				t.Errorf("got close %d after %q, want %d", code, msgs, websocket.ClosePolicyViolation)
			}
		})
	})
}

func TestSuiteHeartbeatPolling(t *testing.T) {
	t.Run("sends ping/pong packets", func(t *testing.T) {
		suiteTest(t, func(t *testing.T, h *harness) {
			sid := h.handshake()
			start := time.Now()
			for i := range 3 {
				if st, body := h.get(sidQuery(sid)); st != 200 || body != "2" {
					t.Fatalf("ping %d: got %d %q, want 200 \"2\"", i, st, body)
				}
				if got, want := time.Since(start), time.Duration(i+1)*testPingInterval; got != want {
					t.Errorf("ping %d at %v, want %v", i, got, want)
				}
				if st, _ := h.post(sidQuery(sid), "3"); st != 200 {
					t.Fatalf("pong %d: got %d, want 200", i, st)
				}
			}
		})
	})
	t.Run("closes the session upon ping timeout", func(t *testing.T) {
		suiteTest(t, func(t *testing.T, h *harness) {
			sid := h.handshake()
			time.Sleep(testPingInterval + testPingTimeout)
			synctest.Wait()
			if st, _ := h.get(sidQuery(sid)); st != 400 {
				t.Errorf("got %d, want 400", st)
			}
			if got, want := h.rec.closedReasons(sid), []string{ReasonPingTimeout}; !slices.Equal(got, want) {
				t.Errorf("got reasons %q, want %q", got, want)
			}
		})
	})
}

func TestSuiteHeartbeatWebSocket(t *testing.T) {
	t.Run("sends ping/pong packets", func(t *testing.T) {
		suiteTest(t, func(t *testing.T, h *harness) {
			c, _ := h.wsOpen()
			for i := range 3 {
				if got := readText(t, c); got != "2" {
					t.Fatalf("ping %d: got %q, want \"2\"", i, got)
				}
				writeText(t, c, "3")
			}
		})
	})
	t.Run("closes the session upon ping timeout", func(t *testing.T) {
		suiteTest(t, func(t *testing.T, h *harness) {
			start := time.Now()
			c, sid := h.wsOpen()
			code, msgs := readUntilClose(c)
			if !slices.Equal(msgs, []string{"2"}) || code == 0 {
				t.Errorf("got %q then close %d, want [\"2\"] then a close", msgs, code)
			}
			if got, want := time.Since(start), testPingInterval+testPingTimeout; got != want {
				t.Errorf("closed after %v, want %v", got, want)
			}
			synctest.Wait() // Closed may run just after the close frame is written
			if got, want := h.rec.closedReasons(sid), []string{ReasonPingTimeout}; !slices.Equal(got, want) {
				t.Errorf("got reasons %q, want %q", got, want)
			}
		})
	})
}

// TestHeartbeatDefaults: without options the server pings every 25 s and waits 20 s for the
// pong, as socket.io does; it tells the client so in the open packet, and a client that never
// answers is closed with "ping timeout" 25 s + 20 s after it connected (lesson 12).
func TestHeartbeatDefaults(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Options{Handler: newRecorder(false), Logger: slog.New(slog.DiscardHandler)})
		start := time.Now()
		c := h.mustDial("EIO=4&transport=websocket")
		var open struct {
			SID          string
			PingInterval int
			PingTimeout  int
		}
		if got := readText(t, c); !strings.HasPrefix(got, "0{") || json.Unmarshal([]byte(got[1:]), &open) != nil {
			t.Fatalf("got %q, want an open packet", got)
		}
		if open.PingInterval != 25000 || open.PingTimeout != 20000 {
			t.Errorf("open packet: pingInterval %d pingTimeout %d, want 25000 20000", open.PingInterval, open.PingTimeout)
		}
		code, msgs := readUntilClose(c)
		if !slices.Equal(msgs, []string{"2"}) || code == 0 {
			t.Errorf("got %q then close %d, want [\"2\"] then a close", msgs, code)
		}
		if got, want := time.Since(start), 45*time.Second; got != want {
			t.Errorf("closed after %v, want %v", got, want)
		}
		synctest.Wait()
		if got, want := h.rec.closedReasons(open.SID), []string{ReasonPingTimeout}; !slices.Equal(got, want) {
			t.Errorf("got reasons %q, want %q", got, want)
		}
	})
}

func TestSuiteClose(t *testing.T) {
	t.Run("polling forcefully closes the session", func(t *testing.T) {
		suiteTest(t, func(t *testing.T, h *harness) {
			sid := h.handshake()
			var st1 int
			var body1 string
			var wg sync.WaitGroup
			wg.Go(func() { st1, body1 = h.get(sidQuery(sid)) })
			synctest.Wait()
			if st, _ := h.post(sidQuery(sid), "1"); st != 200 {
				t.Errorf("POST 1: got %d, want 200", st)
			}
			wg.Wait()
			if st1 != 200 || body1 != "6" {
				t.Errorf("pending GET: got %d %q, want 200 \"6\"", st1, body1)
			}
			if st, _ := h.get(sidQuery(sid)); st != 400 {
				t.Errorf("GET after: got %d, want 400", st)
			}
			if got, want := h.rec.closedReasons(sid), []string{ReasonTransportClose}; !slices.Equal(got, want) {
				t.Errorf("got reasons %q, want %q", got, want)
			}
		})
	})
	t.Run("polling close packet wins the race with the GET", func(t *testing.T) {
		suiteTest(t, func(t *testing.T, h *harness) {
			sid := h.handshake()
			h.post(sidQuery(sid), "1")
			if st, body := h.get(sidQuery(sid)); st != 200 || body != "6" {
				t.Errorf("GET: got %d %q, want 200 \"6\"", st, body)
			}
			if st, _ := h.get(sidQuery(sid)); st != 400 {
				t.Errorf("GET after: got %d, want 400", st)
			}
		})
	})
	t.Run("websocket forcefully closes the session", func(t *testing.T) {
		suiteTest(t, func(t *testing.T, h *harness) {
			start := time.Now()
			c, sid := h.wsOpen()
			writeText(t, c, "1")
			if code, msgs := readUntilClose(c); code != websocket.CloseNormalClosure || len(msgs) != 0 {
				t.Errorf("got %q then close %d, want close 1000", msgs, code)
			}
			if d := time.Since(start); d >= testPingInterval {
				t.Errorf("closed after %v, want before the first ping", d)
			}
			synctest.Wait()
			if got, want := h.rec.closedReasons(sid), []string{ReasonTransportClose}; !slices.Equal(got, want) {
				t.Errorf("got reasons %q, want %q", got, want)
			}
		})
	})
}

// upgrade performs 2probe/3probe/5 on a polling session and returns the WebSocket.
func (h *harness) upgrade(sid string) *websocket.Conn {
	h.t.Helper()
	c := h.mustDial(wsQuery(sid))
	writeText(h.t, c, "2probe")
	if got := readText(h.t, c); got != "3probe" {
		h.t.Fatalf("got %q, want 3probe", got)
	}
	writeText(h.t, c, "5")
	return c
}

func TestSuiteUpgrade(t *testing.T) {
	t.Run("successfully upgrades from HTTP long-polling to WebSocket", func(t *testing.T) {
		suiteTest(t, func(t *testing.T, h *harness) {
			sid := h.handshake()
			c := h.mustDial(wsQuery(sid))
			writeText(t, c, "2probe")
			if got := readText(t, c); got != "3probe" {
				t.Fatalf("got %q, want 3probe", got)
			}
			if st, body := h.get(sidQuery(sid)); st != 200 || body != "6" {
				t.Fatalf("GET during upgrade: got %d %q, want 200 \"6\"", st, body)
			}
			writeText(t, c, "5")
			writeText(t, c, "4hello")
			if got := readText(t, c); got != "4hello" {
				t.Errorf("got %q, want 4hello", got)
			}
			synctest.Wait()
			if got := h.rec.sessions[0].Transport(); got != "websocket" {
				t.Errorf("got transport %q, want websocket", got)
			}
		})
	})
	t.Run("ignores HTTP requests with same sid after upgrade", func(t *testing.T) {
		suiteTest(t, func(t *testing.T, h *harness) {
			sid := h.handshake()
			c := h.upgrade(sid)
			if st, body := h.get(sidQuery(sid)); st != 400 {
				t.Errorf("GET after upgrade: got %d %q, want 400", st, body)
			}
			writeText(t, c, "4hello")
			if got := readText(t, c); got != "4hello" {
				t.Errorf("got %q, want 4hello", got)
			}
		})
	})
	t.Run("ignores WebSocket connection with same sid after upgrade", func(t *testing.T) {
		suiteTest(t, func(t *testing.T, h *harness) {
			sid := h.handshake()
			c := h.upgrade(sid)
			c2 := h.mustDial(wsQuery(sid))
			if code, msgs := readUntilClose(c2); code == 0 || len(msgs) != 0 {
				t.Errorf("second WebSocket: got %q, close %d; want closed with nothing", msgs, code)
			}
			writeText(t, c, "4hello")
			if got := readText(t, c); got != "4hello" {
				t.Errorf("got %q, want 4hello", got)
			}
		})
	})
}

// The pong is due pingTimeout after the ping left the queue (a late GET
// gets the full pingTimeout), but never earlier than pingInterval +
// pingTimeout after the previous pong.
func TestHeartbeatDeadlineFromDelivery(t *testing.T) {
	for _, tc := range []struct {
		name     string
		getAt    time.Duration // when the client polls and gets the ping
		pongAt   time.Duration // when it answers
		wantOpen bool
	}{
		{"on time", 300 * time.Millisecond, 450 * time.Millisecond, true},
		{"late poll, full timeout from delivery", 450 * time.Millisecond, 600 * time.Millisecond, true},
		{"late poll, pong too late", 450 * time.Millisecond, 660 * time.Millisecond, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			suiteTest(t, func(t *testing.T, h *harness) {
				start := time.Now()
				sid := h.handshake()
				time.Sleep(tc.getAt - time.Since(start))
				if st, body := h.get(sidQuery(sid)); st != 200 || body != "2" {
					t.Fatalf("GET at %v: got %d %q, want the ping", tc.getAt, st, body)
				}
				time.Sleep(tc.pongAt - time.Since(start))
				st, _ := h.post(sidQuery(sid), "3")
				if got := st == 200; got != tc.wantOpen {
					t.Errorf("pong at %v: got status %d, want open=%v", tc.pongAt, st, tc.wantOpen)
				}
			})
		})
	}
}

func TestSendPreparedBothTransports(t *testing.T) {
	suiteTest(t, func(t *testing.T, h *harness) {
		c, _ := h.wsOpen()
		psid := h.handshake()
		p := Prepare(Message{Data: []byte("hi")}, Message{Binary: true, Data: []byte{1, 2, 3, 4}})
		for _, s := range h.rec.sessions {
			if err := s.SendPrepared(p); err != nil {
				t.Fatal(err)
			}
		}
		if got := readText(t, c); got != "4hi" {
			t.Errorf("websocket text: got %q, want 4hi", got)
		}
		if mt, b, err := c.ReadMessage(); err != nil || mt != websocket.BinaryMessage || !bytes.Equal(b, []byte{1, 2, 3, 4}) {
			t.Errorf("websocket binary: got %d %v %v", mt, b, err)
		}
		if st, body := h.get(sidQuery(psid)); st != 200 || body != "4hi\x1ebAQIDBA==" {
			t.Errorf("polling: got %d %q", st, body)
		}
		// Encoded once: the cached frame is the same slice for everyone.
		if f1, f2 := p.msgs[0].wsFrame(), p.msgs[0].wsFrame(); &f1[0] != &f2[0] {
			t.Error("websocket frame encoded twice")
		}
	})
}

// TestDropAll: every open session is closed with "transport close" and counted once; a second
// call finds none open.
func TestDropAll(t *testing.T) {
	suiteTest(t, func(t *testing.T, h *harness) {
		_, a := h.wsOpen()
		_, b := h.wsOpen()
		if n := h.srv.DropAll(); n != 2 {
			t.Errorf("DropAll() = %d, want 2", n)
		}
		synctest.Wait()
		for _, sid := range []string{a, b} {
			if got := h.rec.closedReasons(sid); len(got) != 1 || got[0] != "transport close" {
				t.Errorf("session %s closed with %q, want transport close", sid, got)
			}
		}
		if n := h.srv.DropAll(); n != 0 {
			t.Errorf("DropAll() again = %d, want 0", n)
		}
	})
}

// TestStopHeartbeat: a session whose heartbeat was stopped gets no more pings and is never closed
// for a missing pong (the client's own timer is what ends it), while its messages still flow;
// an unknown sid reports false. The ping already in flight when it stops may still be answered.
func TestStopHeartbeat(t *testing.T) {
	for _, when := range []string{"before the first ping", "while a pong is awaited"} {
		t.Run(when, func(t *testing.T) {
			suiteTest(t, func(t *testing.T, h *harness) {
				c, sid := h.wsOpen()
				if when == "while a pong is awaited" {
					if got := readText(t, c); got != "2" {
						t.Fatalf("got %q, want the first ping", got)
					}
				}
				if !h.srv.StopHeartbeat(sid) {
					t.Fatalf("StopHeartbeat(%q) = false for an open session", sid)
				}
				if h.srv.StopHeartbeat("no-such-session") {
					t.Error("StopHeartbeat of an unknown sid = true")
				}
				if when == "while a pong is awaited" {
					writeText(t, c, "3") // a late pong must not start the heartbeat again
				}
				time.Sleep(20 * (testPingInterval + testPingTimeout))
				writeText(t, c, "4still here")
				if got := readText(t, c); got != "4still here" {
					t.Errorf("got %q, want the echo and no ping", got)
				}
				synctest.Wait()
				if got := h.rec.closedReasons(sid); len(got) != 0 {
					t.Errorf("closed with %q; a stopped heartbeat never times out on the server", got)
				}
			})
		})
	}
}
