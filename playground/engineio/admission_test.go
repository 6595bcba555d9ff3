package engineio

import (
	"net/http"
	"testing"
	"testing/synctest"
	"time"
)

// TestT09Admission is reliability.md T09 with its numbers (cap 1 000, 100/s) over two hub
// instances sharing one Admission: a class of 400 from one address joins at once; past the cap
// new sessions get 503 before any upgrade while open ones carry on; freed places admit again.
func TestT09Admission(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		adm := NewAdmission(1000, 100, 400)
		newHub := func() *harness {
			opts := suiteOptions(newRecorder(false))
			opts.PingInterval, opts.PingTimeout = time.Hour, time.Hour // sessions stay open while time passes
			opts.Admission = adm
			return newHarness(t, opts)
		}
		hubs := []*harness{newHub(), newHub()}
		type session struct {
			h   *harness
			sid string
		}
		var opened []session
		open := func(n int) (refused int) {
			t.Helper()
			for i := range n {
				h := hubs[i%2]
				st, body := h.get("EIO=4&transport=polling")
				switch st {
				case http.StatusOK:
					opened = append(opened, session{h, body[len(`0{"sid":"`):][:20]})
				case http.StatusServiceUnavailable:
					refused++
				default:
					t.Fatalf("handshake: got %d %q", st, body)
				}
			}
			return refused
		}

		// (a) 400 students behind one NAT address, all at once: the burst admits every one.
		if refused := open(400); refused != 0 {
			t.Fatalf("a class of 400 from one address: %d refused, want 0", refused)
		}
		// The rate: the next one in the same instant is refused; a second later 100 more fit.
		if refused := open(1); refused != 1 {
			t.Errorf("401st at once: got %d refused, want 1 (rate limit)", refused)
		}
		time.Sleep(time.Second)
		if refused := open(101); refused != 1 {
			t.Errorf("a second later: %d of 101 refused, want 1 (100/s)", refused)
		}
		// (b) up to the cap, then 503 on both transports while the open sessions carry on.
		time.Sleep(10 * time.Second)
		if refused := open(400); refused != 0 {
			t.Fatalf("after 10 s: %d refused", refused)
		}
		time.Sleep(10 * time.Second)
		if refused := open(300); refused != 200 {
			t.Errorf("past the cap: %d of 300 refused, want 200", refused)
		}
		if got := adm.Open(); got != 1000 {
			t.Errorf("open sessions: got %d, want 1000", got)
		}
		if _, resp, err := hubs[0].dial("EIO=4&transport=websocket"); err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("websocket past the cap: got %v, want 503 before the upgrade", err)
		}
		for _, i := range []int{0, 1, 999} {
			h, sid := opened[i].h, opened[i].sid
			if st, body := h.post("EIO=4&transport=polling&sid="+sid, "4still here"); st != 200 || body != "ok" {
				t.Errorf("session %d after the cap: got %d %q, want 200 ok", i, st, body)
			}
		}
		// (c) sessions that close give their places back.
		for _, i := range []int{0, 1, 2} {
			h, sid := opened[i].h, opened[i].sid
			if st, _ := h.post("EIO=4&transport=polling&sid="+sid, "1"); st != 200 {
				t.Fatalf("close: %d", st)
			}
		}
		synctest.Wait()
		if refused := open(4); refused != 1 {
			t.Errorf("after 3 closed: %d of 4 refused, want 1", refused)
		}
	})
}
