package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"socketlab/playground/engineio/pipenet"
	"socketlab/web"
)

// TestLongLivedRequestsOutliveReadTimeout: the real server's ReadTimeout bounds reading a request,
// not how long a healthy Engine.IO long-poll or an event stream stays open. A polling client idle
// for longer than readTimeout still gets its next packet (the server's ping), and its session lives.
func TestLongLivedRequestsOutliveReadTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		base, client, stop := serveInBubble(t)
		do := func(method, url, body string) (int, string) {
			t.Helper()
			req, err := http.NewRequest(method, base+url, strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatalf("%s %s: %v", method, url, err)
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatalf("%s %s: reading: %v", method, url, err)
			}
			return resp.StatusCode, string(b)
		}

		status, body := do("POST", "/play/console", `{"clients":["Ada"]}`)
		var inst struct{ Path, Tap string }
		if err := json.Unmarshal([]byte(body), &inst); status != http.StatusCreated || err != nil {
			t.Fatalf("create instance: %d %s (%v)", status, body, err)
		}
		status, body = do("GET", inst.Path+"?EIO=4&transport=polling", "")
		var open struct {
			SID          string `json:"sid"`
			PingInterval int    `json:"pingInterval"`
		}
		if err := json.Unmarshal([]byte(strings.TrimPrefix(body, "0")), &open); status != http.StatusOK || err != nil {
			t.Fatalf("handshake: %d %s (%v)", status, body, err)
		}
		if time.Duration(open.PingInterval)*time.Millisecond <= 2*readTimeout {
			t.Fatalf("pingInterval %d ms: this test needs a poll that outlasts readTimeout (%v)", open.PingInterval, readTimeout)
		}

		// Socket.IO CONNECT to "/", and its answer, so the hub's connect timeout is not what ends it.
		if status, body := do("POST", inst.Path+"?EIO=4&transport=polling&sid="+open.SID, "40"); status != http.StatusOK || body != "ok" {
			t.Fatalf("CONNECT: %d %q", status, body)
		}
		if status, body := do("GET", inst.Path+"?EIO=4&transport=polling&sid="+open.SID, ""); status != http.StatusOK || !strings.HasPrefix(body, "40{") {
			t.Fatalf("CONNECT answer: %d %q", status, body)
		}

		var wg sync.WaitGroup
		var pollStatus int
		var pollBody string
		start := time.Now()
		var took time.Duration
		wg.Go(func() {
			pollStatus, pollBody = do("GET", inst.Path+"?EIO=4&transport=polling&sid="+open.SID, "")
			took = time.Since(start)
		})
		wg.Wait()
		if pollStatus != http.StatusOK || pollBody != "2" {
			t.Errorf("a poll held %v (readTimeout %v): got %d %q, want 200 \"2\" (the ping)", took, readTimeout, pollStatus, pollBody)
		}
		if want := time.Duration(open.PingInterval) * time.Millisecond; took != want {
			t.Errorf("the poll returned after %v, want the ping interval %v", took, want)
		}
		// The session is alive: the pong is accepted.
		if status, body := do("POST", inst.Path+"?EIO=4&transport=polling&sid="+open.SID, "3"); status != http.StatusOK || body != "ok" {
			t.Errorf("pong after the long poll: %d %q, want 200 ok", status, body)
		}

		stop()
	})
}

// serveInBubble serves the real app (bubbleApp) with serveUntilDone on an in-memory listener, in
// the calling synctest bubble. stop shuts the server down gracefully and reports its error.
func serveInBubble(t *testing.T) (base string, client *http.Client, stop func()) {
	t.Helper()
	base, client, stop, _ = serveInBubbleLn(t)
	return base, client, stop
}

// serveInBubbleLn is serveInBubble that also returns the listener, to dial raw connections.
func serveInBubbleLn(t *testing.T) (base string, client *http.Client, stop func(), ln *pipenet.Listener) {
	t.Helper()
	a := bubbleApp(t)
	ln = newPipeListener()
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- serveUntilDone(ctx, slog.New(slog.DiscardHandler), ln, a.Handler(), a.Close) }()
	tr := &http.Transport{DialContext: ln.DialContext, MaxIdleConnsPerHost: 8}
	stop = func() {
		t.Helper()
		tr.CloseIdleConnections()
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	}
	return "http://" + ln.Addr().String(), &http.Client{Transport: tr}, stop, ln
}

// bubbleApp is the real app inside a synctest bubble, serving one plain lesson from disk: the
// embedded course's code blocks would start the highlighter's regexp clock (regexp2) in the
// bubble, and that clock, measured against a start time taken outside, never ends there.
func bubbleApp(t *testing.T) *web.App {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "01-one.md"), []byte("---\ntitle: One\nsummary: One lesson.\n---\n\nPlain text.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := web.New(slog.New(slog.DiscardHandler), web.Config{LessonDir: dir, Admission: newAdmission()})
	if err != nil {
		t.Fatalf("newApp: %v", err)
	}
	return a
}

// TestSessionAdmission: the real server's demo hubs share one admission: a burst of
// sessionAddressBurst handshakes from one address in the same instant is admitted (a class's
// lesson pages opening behind one NAT), the next is refused with 503 before any session exists
// (that address's share of the rate: engineio's TestAdmissionShare shows other addresses keep
// theirs), and a moment later handshakes succeed again.
func TestSessionAdmission(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		base, client, stop := serveInBubble(t)
		status := func(method, url, body string) int {
			t.Helper()
			req, _ := http.NewRequest(method, base+url, strings.NewReader(body))
			resp, err := client.Do(req)
			if err != nil {
				t.Fatalf("%s %s: %v", method, url, err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return resp.StatusCode
		}
		var paths []string
		for range 2 { // two demos on a page: two hubs, one admission
			req, _ := http.NewRequest("POST", base+"/play/console", strings.NewReader(`{"clients":["Ada"]}`))
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var inst struct{ Path string }
			json.NewDecoder(resp.Body).Decode(&inst)
			resp.Body.Close()
			paths = append(paths, inst.Path+"?EIO=4&transport=polling")
		}
		counts := map[int]int{}
		for i := range sessionAddressBurst {
			counts[status("GET", paths[i%2], "")]++
		}
		if counts[http.StatusOK] != sessionAddressBurst {
			t.Fatalf("a burst of %d handshakes: got %v, want all 200", sessionAddressBurst, counts)
		}
		if got := status("GET", paths[0], ""); got != http.StatusServiceUnavailable {
			t.Errorf("handshake past the burst: got %d, want 503", got)
		}
		time.Sleep(time.Second / sessionAddressRate)
		if got := status("GET", paths[1], ""); got != http.StatusOK {
			t.Errorf("handshake a moment later: got %d, want 200", got)
		}
		stop()
	})
}

// newPipeListener serves the real server inside a synctest bubble (pipenet).
func newPipeListener() *pipenet.Listener { return pipenet.Listen() }

// TestSlowloris is reliability.md T06 on the real server: a WebSocket handshake whose headers
// trickle in is closed by ReadHeaderTimeout, a polling POST whose body trickles in is cut at
// readTimeout, and meanwhile a fresh client is served at once.
func TestSlowloris(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		base, client, stop, dial := serveInBubbleRaw(t)
		defer stop()
		inst := createInstance(t, client, base)
		var writers sync.WaitGroup // the tricklers, ended by closing their connections
		defer writers.Wait()

		// A handshake that sends one header byte every second.
		slowHeaders := dial()
		defer slowHeaders.Close() // runs before writers.Wait
		fmt.Fprintf(slowHeaders, "GET %s?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n", inst)
		start := time.Now()
		headerClosed := make(chan time.Duration, 1)
		writers.Go(func() {
			for _, b := range []byte("X-Slow: aaaaaaaaaaaaaaaaaaaa") {
				if _, err := slowHeaders.Write([]byte{b}); err != nil {
					break
				}
				time.Sleep(time.Second)
			}
		})
		go func() {
			io.Copy(io.Discard, slowHeaders) // returns when the server closes the connection
			headerClosed <- time.Since(start)
		}()

		// A polling session whose POST body trickles in at 1 byte a second.
		resp, err := client.Get(base + inst + "?EIO=4&transport=polling")
		if err != nil {
			t.Fatal(err)
		}
		open, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		sid := string(open[len(`0{"sid":"`):][:20])
		slowBody := dial()
		defer slowBody.Close()
		fmt.Fprintf(slowBody, "POST %s?EIO=4&transport=polling&sid=%s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain;charset=UTF-8\r\nContent-Length: 100\r\n\r\n", inst, sid)
		bodyStart := time.Now()
		bodyCut := make(chan time.Duration, 1)
		writers.Go(func() {
			for range 100 {
				if _, err := slowBody.Write([]byte("4")); err != nil {
					break
				}
				time.Sleep(time.Second)
			}
		})
		go func() {
			io.Copy(io.Discard, slowBody)
			bodyCut <- time.Since(bodyStart)
		}()

		// Meanwhile a fresh client is served at once.
		time.Sleep(3 * time.Second)
		fresh := time.Now()
		if resp, err := client.Get(base + "/healthz"); err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("a fresh request during the attack: %v %v", resp, err)
		} else {
			resp.Body.Close()
		}
		if d := time.Since(fresh); d > 0 {
			t.Errorf("a fresh request took %v of (fake) time, want none", d)
		}

		dh, db := <-headerClosed, <-bodyCut
		t.Logf("trickling headers closed after %v, trickling body cut after %v", dh, db)
		if dh > readHeaderTimeout+time.Second {
			t.Errorf("trickling headers: closed after %v, want by ReadHeaderTimeout (%v)", dh, readHeaderTimeout)
		}
		if db > readTimeout+time.Second {
			t.Errorf("trickling body: cut after %v, want by readTimeout (%v)", db, readTimeout)
		}
	})
}

// serveInBubbleRaw is serveInBubble plus raw connections to the server.
func serveInBubbleRaw(t *testing.T) (base string, client *http.Client, stop func(), dial func() net.Conn) {
	t.Helper()
	base, client, stop, ln := serveInBubbleLn(t)
	dial = func() net.Conn {
		c, err := ln.DialContext(t.Context(), "tcp", "")
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	return base, client, stop, dial
}

// createInstance creates a console demo instance and returns its Engine.IO path.
func createInstance(t *testing.T, client *http.Client, base string) string {
	t.Helper()
	resp, err := client.Post(base+"/play/console", "application/json", strings.NewReader(`{"clients":["Ada"]}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var inst struct{ Path string }
	if err := json.NewDecoder(resp.Body).Decode(&inst); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create instance: %d %v", resp.StatusCode, err)
	}
	return inst.Path
}

// TestShutdownFlushesPolling (reliability.md T43, on the real server): a polling client with
// packets queued between two polls still gets them, and the Engine.IO close, when the server
// shuts down: the hubs close while the HTTP server still serves the last poll (serveUntilDone).
func TestShutdownFlushesPolling(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := bubbleApp(t)
		ln := newPipeListener()
		ctx, cancel := context.WithCancel(t.Context())
		served := make(chan error, 1)
		go func() { served <- serveUntilDone(ctx, slog.New(slog.DiscardHandler), ln, a.Handler(), a.Close) }()
		tr := &http.Transport{DialContext: ln.DialContext}
		defer tr.CloseIdleConnections()
		client := &http.Client{Transport: tr}
		base := "http://" + ln.Addr().String()
		do := func(method, url, body string) (int, string) {
			t.Helper()
			req, _ := http.NewRequest(method, base+url, strings.NewReader(body))
			resp, err := client.Do(req)
			if err != nil {
				t.Fatalf("%s %s: %v", method, url, err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}

		status, body := do("POST", "/play/console", `{"clients":["Ada"]}`)
		var inst struct{ Path string }
		if err := json.Unmarshal([]byte(body), &inst); status != http.StatusCreated || err != nil {
			t.Fatalf("create instance: %d %s (%v)", status, body, err)
		}
		_, body = do("GET", inst.Path+"?EIO=4&transport=polling", "")
		var open struct{ SID string }
		if err := json.Unmarshal([]byte(strings.TrimPrefix(body, "0")), &open); err != nil {
			t.Fatalf("handshake: %q (%v)", body, err)
		}
		q := inst.Path + "?EIO=4&transport=polling&sid=" + open.SID
		do("POST", q, "40")
		if _, body := do("GET", q, ""); !strings.HasPrefix(body, "40{") {
			t.Fatalf("CONNECT answer: %q", body)
		}
		// Three events queued for the client while no poll is waiting.
		for i := range 3 {
			do("POST", q, fmt.Sprintf(`42["send",{"event":"tick","args":[%d],"scope":"self"}]`, i))
		}

		cancel() // SIGTERM
		synctest.Wait()
		status, body = do("GET", q, "")
		want := "42[\"tick\",0]\x1e42[\"tick\",1]\x1e42[\"tick\",2]\x1e1"
		if status != http.StatusOK || body != want {
			t.Errorf("the last poll during shutdown: %d %q, want 200 %q", status, body, want)
		}
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
		// And the server is gone.
		if _, err := client.Get(base + "/healthz"); err == nil {
			t.Error("the server still answers after shutdown")
		}
	})
}
