package engineio

// T15 / T19: raw WebSocket frames and dirty upgrades, written byte by byte.

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
)

// rawDial performs a WebSocket upgrade by hand and returns the conn, the
// buffered reader positioned after the 101 response, and the sid. extra is
// written in the same write as the request (CVE-2022-21676 shape).
func rawDial(t *testing.T, h *harness, query string, extra []byte) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, br, err := rawDialErr(t, h, query, extra)
	if err != nil {
		t.Fatal(err)
	}
	return c, br
}

func rawDialErr(t *testing.T, h *harness, query string, extra []byte) (net.Conn, *bufio.Reader, error) {
	t.Helper()
	c, err := h.ln.DialContext(context.Background(), "tcp", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	req := "GET /engine.io/?" + query + " HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
	go func() { c.Write(append([]byte(req), extra...)) }()
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return nil, nil, fmt.Errorf("got %d, want 101", resp.StatusCode)
	}
	return c, br, nil
}

// clientFrame builds a masked client frame (mask key zero keeps it readable).
func clientFrame(first byte, payload []byte, masked bool) []byte {
	b := []byte{first}
	mask := byte(0)
	if masked {
		mask = 0x80
	}
	switch n := len(payload); {
	case n <= 125:
		b = append(b, mask|byte(n))
	case n <= 0xffff:
		b = append(b, mask|126, byte(n>>8), byte(n))
	default:
		b = append(b, mask|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	if masked {
		b = append(b, 0, 0, 0, 0)
	}
	return append(b, payload...)
}

// readFrames reads server frames until a close frame or EOF; it returns
// the text payloads and the close code (-1: none).
func readFrames(br *bufio.Reader) ([]string, int) {
	var texts []string
	for {
		var hdr [2]byte
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return texts, -1
		}
		n := int(hdr[1] & 0x7f)
		switch n {
		case 126:
			var l [2]byte
			io.ReadFull(br, l[:])
			n = int(binary.BigEndian.Uint16(l[:]))
		case 127:
			var l [8]byte
			io.ReadFull(br, l[:])
			n = int(binary.BigEndian.Uint64(l[:]))
		}
		p := make([]byte, n)
		if _, err := io.ReadFull(br, p); err != nil {
			return texts, -1
		}
		switch hdr[0] & 0x0f {
		case opClose:
			if len(p) < 2 {
				return texts, 1005
			}
			return texts, int(binary.BigEndian.Uint16(p))
		case opText:
			texts = append(texts, string(p))
		case opPong:
			texts = append(texts, "pong:"+string(p))
		}
	}
}

func TestT15RawFrames(t *testing.T) {
	for _, tc := range []struct {
		name  string
		frame []byte
	}{
		{"RSV1 without extension", clientFrame(0x80|0x40|opText, []byte("4x"), true)},
		{"RSV3", clientFrame(0x80|0x10|opText, []byte("4x"), true)},
		{"reserved opcode 3", clientFrame(0x80|0x3, nil, true)},
		{"reserved opcode 0xB", clientFrame(0x80|0xB, nil, true)},
		{"ping with 126-byte payload", clientFrame(0x80|0x9, make([]byte, 126), true)},
		{"fragmented ping", clientFrame(0x9, nil, true)},
		{"continuation with nothing to continue", clientFrame(0x80|0x0, []byte("x"), true)},
		{"unmasked client frame", clientFrame(0x80|opText, []byte("4x"), false)},
		{"new text frame inside a fragmented message", append(clientFrame(opText, []byte("4a"), true), clientFrame(0x80|opText, []byte("4b"), true)...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rec := newRecorder(true)
				h := newHarness(t, suiteOptions(rec))
				c, br := rawDial(t, h, "EIO=4&transport=websocket", nil)
				go c.Write(tc.frame)
				texts, code := readFrames(br)
				if code != 1002 && code != -1 {
					t.Errorf("got close %d, want 1002 or a dropped connection", code)
				}
				// gorilla answers 1002 from the reader, possibly before our
				// writer sent the open packet.
				if len(texts) > 1 || len(texts) == 1 && !strings.HasPrefix(texts[0], "0{") {
					t.Errorf("got frames %q, want at most the open packet", texts)
				}
				synctest.Wait()
				sid := rec.sessions[0].ID()
				if got := rec.closedReasons(sid); len(got) != 1 {
					t.Errorf("got reasons %q, want exactly one", got)
				}
				if n := len(rec.messages(sid)); n != 0 {
					t.Errorf("got %d messages dispatched, want 0", n)
				}
			})
		})
	}
	t.Run("websocket ping answered with same payload", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := newHarness(t, suiteOptions(newRecorder(true)))
			c, br := rawDial(t, h, "EIO=4&transport=websocket", nil)
			go func() {
				c.Write(clientFrame(0x80|0x9, []byte("hey"), true))
				c.Write(clientFrame(0x80|opText, []byte("1"), true))
			}()
			texts, code := readFrames(br)
			if len(texts) != 2 || texts[1] != "pong:hey" || code != 1000 {
				t.Errorf("got %q close %d, want open, pong:hey, close 1000", texts, code)
			}
		})
	})
}

func TestT19DirtyUpgrades(t *testing.T) {
	t.Run("bytes in the same write as the upgrade request", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			rec := newRecorder(true)
			h := newHarness(t, suiteOptions(rec))
			// gorilla refuses data sent before the handshake completed: the
			// connection is dropped without 101 (or, were it accepted, 1002).
			if _, br, err := rawDialErr(t, h, "EIO=4&transport=websocket", []byte("test")); err == nil {
				texts, code := readFrames(br)
				if code != 1002 && code != -1 || len(texts) > 1 {
					t.Errorf("got %q close %d, want 1002", texts, code)
				}
			}
			synctest.Wait()
			if n := h.srv.SessionCount(); n != 0 {
				t.Errorf("got %d sessions, want 0", n)
			}
			for _, s := range rec.sessions {
				if got := rec.closedReasons(s.ID()); len(got) != 1 {
					t.Errorf("got reasons %q, want exactly one", got)
				}
			}
		})
	})
	t.Run("junk after a polling to websocket upgrade", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			rec := newRecorder(true)
			h := newHarness(t, suiteOptions(rec))
			sid := h.handshake()
			if _, br, err := rawDialErr(t, h, wsQuery(sid), []byte("test")); err == nil {
				readFrames(br)
			}
			// The probe failed; the polling session is unharmed.
			if st, _ := h.post(sidQuery(sid), "4still"); st != 200 {
				t.Errorf("POST after failed probe: got %d, want 200", st)
			}
		})
	})
	t.Run("connection dropped mid-frame", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			rec := newRecorder(true)
			h := newHarness(t, suiteOptions(rec))
			c, br := rawDial(t, h, "EIO=4&transport=websocket", nil)
			readOne := make(chan struct{})
			go func() {
				var b [256]byte
				br.Read(b[:])
				close(readOne)
			}()
			<-readOne
			f := clientFrame(0x80|opText, make([]byte, 1000), true)
			c.Write(f[:18])
			c.Close()
			synctest.Wait()
			sid := rec.sessions[0].ID()
			// protocol.md §3.5: a lost connection is "transport close" (EOF
			// inside a frame) or "transport error" (a failed read).
			if got := rec.closedReasons(sid); !slices.Equal(got, []string{ReasonTransportClose}) &&
				!slices.Equal(got, []string{ReasonTransportError}) {
				t.Errorf("got reasons %q, want transport close or error", got)
			}
		})
	})
	t.Run("h2c upgrade is not a websocket", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := newHarness(t, suiteOptions(newRecorder(true)))
			st, _, _ := h.do(http.MethodGet, "EIO=4&transport=websocket", "", "Connection", "Upgrade", "Upgrade", "h2c")
			if st != 400 {
				t.Errorf("got %d, want 400", st)
			}
			if n := h.srv.SessionCount(); n != 0 {
				t.Errorf("got %d sessions, want 0", n)
			}
		})
	})
}
