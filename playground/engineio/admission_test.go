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

// TestAdmissionShare: one address cannot take every place nor every new-session token of a shared
// Admission; the others keep theirs, and an address over its share spends nothing they need.
func TestAdmissionShare(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		adm := NewAdmission(100, 10, 60).SetShare(Share{Open: 40, Rate: 5, Burst: 30})
		take := func(key string, n int) (admitted int, last error) {
			for range n {
				if last = adm.acquire(key); last == nil {
					admitted++
				}
			}
			return admitted, last
		}
		// The attacker's burst stops at its share of tokens; the shared bucket keeps the rest.
		if got, err := take("198.51.100.7", 1000); got != 30 || err != errClientRate {
			t.Fatalf("attacker burst: %d admitted (%v), want 30 then %v", got, err, errClientRate)
		}
		if got, _ := take("203.0.113.1", 30); got != 30 {
			t.Fatalf("a class behind another address during the flood: %d of 30 admitted", got)
		}
		// Over time the attacker reaches its open share, never the cap.
		for range 10 {
			time.Sleep(time.Second)
			take("198.51.100.7", 100)
		}
		if got := adm.OpenFrom("198.51.100.7"); got != 40 {
			t.Fatalf("attacker holds %d, want its share 40", got)
		}
		if got, err := take("198.51.100.7", 1); got != 0 || err != errClientShare {
			t.Fatalf("attacker past its share: %d admitted (%v), want %v", got, err, errClientShare)
		}
		if got, _ := take("192.0.2.9", 30); got != 30 {
			t.Fatalf("a third address: %d of 30 admitted, want 30 (the cap is 100, 70 open)", got)
		}
		// Releases give the share back.
		for range 40 {
			adm.release("198.51.100.7")
		}
		if got := adm.OpenFrom("198.51.100.7"); got != 0 {
			t.Fatalf("attacker after release: %d open", got)
		}
	})
}

// TestAdmissionReserve: a Reserve child keeps its places whatever the pool's other clients do, the
// pool refuses reservations it cannot honour, and Free gives them back once.
func TestAdmissionReserve(t *testing.T) {
	pool := NewAdmission(100, 0, 0)
	class, err := pool.Reserve(60, 0, 0, Share{Open: 50})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Reserve(41, 0, 0, Share{}); err != ErrNoRoom {
		t.Fatalf("reserving past the pool: %v, want ErrNoRoom", err)
	}
	for i := range 40 {
		if err := pool.acquire("198.51.100.7"); err != nil {
			t.Fatalf("pool session %d: %v", i, err)
		}
	}
	if err := pool.acquire("198.51.100.7"); err != errAtCapacity {
		t.Fatalf("pool past its unreserved places: %v, want %v", err, errAtCapacity)
	}
	for i := range 50 {
		if err := class.acquire("203.0.113.1"); err != nil {
			t.Fatalf("class session %d with the pool full: %v", i, err)
		}
	}
	if err := class.acquire("203.0.113.1"); err != errClientShare {
		t.Fatalf("class: one address past its share: %v", err)
	}
	for i := range 10 {
		if err := class.acquire("192.0.2.9"); err != nil {
			t.Fatalf("class session %d from a second address: %v", 50+i, err)
		}
	}
	if err := class.acquire("192.0.2.10"); err != errAtCapacity {
		t.Fatalf("class past its reserve: %v", err)
	}
	class.Free()
	class.Free()
	if err := class.acquire("192.0.2.11"); err != errReserveFreed {
		t.Fatalf("freed reserve: %v", err)
	}
	if _, err := pool.Reserve(60, 0, 0, Share{}); err != nil {
		t.Fatalf("reserving again after Free: %v", err)
	}
}
