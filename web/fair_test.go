package web

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"socketlab/playground/engineio"
	"socketlab/playground/wsclient"
)

// The attacker-versus-class test (issue 13, item 2). Everything runs on 127.0.0.1; a request that
// carries testClientHeader is served as if it came from that IP instead, which is how the test
// puts the attacker behind a network address of its own. The wrong-code flood does not use it: it
// comes from the students' own address, as a classmate's device or script would behind a NAT.
const testClientHeader = "X-Test-Client"

const (
	fairClass   = 30 // honest students
	fairSeats   = 80 // the class's seats: without a per-address cap the seat flood takes them all
	fairPerAddr = 40 // -seats-per-address
)

type fairServer struct {
	base string
	a    *App
	adm  *engineio.Admission
}

// newFairServer is the real app with the demos' admission scaled down (a share of 100 per
// address, 200 in all at once) so the floods stay small.
func newFairServer(t testing.TB) *fairServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	adm := engineio.NewAdmission(300, 100, 200).SetShare(engineio.Share{Open: 100, Rate: 20, Burst: 100})
	a, err := New(slog.New(slog.DiscardHandler), Config{Origins: []string{base}, Admission: adm, SeatsPerAddress: fairPerAddr, seats: fairSeats})
	if err != nil {
		t.Fatal(err)
	}
	h := a.Handler()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ip := r.Header.Get(testClientHeader); ip != "" {
			r.RemoteAddr = net.JoinHostPort(ip, "40000")
		}
		h.ServeHTTP(w, r)
	}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(func() { srv.Close(); a.Close() })
	return &fairServer{base: base, a: a, adm: adm}
}

// do sends one request as the client at ip ("" for 127.0.0.1) and returns its status and body.
func (f *fairServer) do(t testing.TB, c *http.Client, method, path, ip, body string, hdr ...string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, f.base+path, strings.NewReader(body))
	if ip != "" {
		req.Header.Set(testClientHeader, ip)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	if c == nil {
		c = noRedirect
	}
	resp, err := c.Do(req)
	if err != nil { // Errorf: attacks run on goroutines of their own
		t.Errorf("%s %s: %v", method, path, err)
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// startClass starts a class as the instructor at ip and returns its code and socket path.
func (f *fairServer) startClass(t testing.TB, ip string) (code, path string, status int) {
	t.Helper()
	st, body := f.do(t, nil, "POST", "/class", ip, "lesson=", "Content-Type", "application/x-www-form-urlencoded",
		"Accept", "application/json", "Origin", f.base, "Sec-Fetch-Site", "same-origin")
	if st != http.StatusCreated {
		return "", "", st
	}
	var c struct{ Code, Path string }
	if err := json.Unmarshal([]byte(body), &c); err != nil {
		t.Errorf("POST /class: %v %q", err, body)
	}
	return c.Code, c.Path, st
}

// demo starts a demo instance as the client at ip: its socket path, or its status.
func (f *fairServer) demo(t testing.TB, ip string) (string, int) {
	t.Helper()
	st, body := f.do(t, nil, "POST", "/play/chat", ip, `{}`, "Content-Type", "application/json", "Origin", f.base, "Sec-Fetch-Site", "same-origin")
	var c struct{ Path string }
	json.Unmarshal([]byte(body), &c)
	return c.Path, st
}

// pollHandshake opens a polling session at path as ip: its sid, or "" with the status.
func (f *fairServer) pollHandshake(t testing.TB, path, ip string) (string, int) {
	t.Helper()
	st, body := f.do(t, nil, "GET", path+"?EIO=4&transport=polling", ip, "")
	if st != http.StatusOK {
		return "", st
	}
	var open struct{ Sid string }
	json.Unmarshal([]byte(strings.TrimPrefix(body, "0")), &open)
	return open.Sid, st
}

// student is an honest student's browser: a cookie jar, the join form, then the class's socket.
type student struct {
	name string
	c    *wsclient.Client
}

func (f *fairServer) join(t testing.TB, code, path, name string) (*student, error) {
	jar, _ := cookiejar.New(nil)
	resp, err := (&http.Client{Jar: jar}).Get(f.base + "/join") // the device gets its identity
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	c, err := wsclient.DialWith(&websocket.Dialer{Jar: jar, HandshakeTimeout: 10 * time.Second}, f.base, path, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	t.Cleanup(c.Close)
	got, err := c.ConnectNsp("/", fmt.Sprintf(`{"name":%q,"code":%q}`, name, code))
	if err != nil || !strings.HasPrefix(got, "0{") {
		return nil, fmt.Errorf("%s joining: %q %v", name, got, err)
	}
	if _, err := c.WaitFor(`2["welcome"`, 10*time.Second); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &student{name: name, c: c}, nil
}

// classSession: 30 students join class code concurrently (with whatever the attacker does
// meanwhile), each says one thing, and every one must receive every message, exactly once.
func (f *fairServer) classSession(t *testing.T, code, path string) {
	t.Helper()
	students := make([]*student, fairClass)
	errs := make([]error, fairClass)
	var wg sync.WaitGroup
	for i := range students {
		wg.Go(func() { students[i], errs[i] = f.join(t, code, path, fmt.Sprintf("Student %02d", i)) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("an honest student could not join: %v", err)
		}
	}
	for i, s := range students {
		if err := s.c.Send(fmt.Sprintf(`2%d["say",{"text":"hello from %d"}]`, i, i)); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range students {
		wg.Go(func() {
			got := map[string]int{}
			for len(got) < fairClass {
				p, err := s.c.WaitFor(`2["msg",`, 10*time.Second)
				if err != nil {
					t.Errorf("%s got %d of %d messages: %v", s.name, len(got), fairClass, err)
					return
				}
				var ev []struct{ Text string }
				json.Unmarshal([]byte(p[1:]), &ev)
				if got[ev[1].Text]++; got[ev[1].Text] > 1 {
					t.Errorf("%s got %q twice", s.name, ev[1].Text)
				}
			}
			for i := range fairClass {
				if got[fmt.Sprintf("hello from %d", i)] != 1 {
					t.Errorf("%s missed hello from %d", s.name, i)
				}
			}
		})
	}
	wg.Wait()
}

// seatsOf is how many seats of class code the devices at ip hold.
func (f *fairServer) seatsOf(t testing.TB, code, ip string) int {
	t.Helper()
	cl := f.a.class.cr.Lookup(code)
	if cl == nil {
		t.Errorf("class %s gone", code)
		return 0
	}
	return cl.SeatsFrom(ip)
}

// TestAttackerVersusClass: an attacker runs each attack of issue 13 in turn while 30 honest
// students join a class and exchange messages; every student joins and receives every message,
// and the attacker gets no more than its share.
func TestAttackerVersusClass(t *testing.T) {
	tests := []struct {
		name string
		// attack runs while the students join (concurrently); check runs after both.
		attack func(t *testing.T, f *fairServer, code, path, attackerIP string)
		check  func(t *testing.T, f *fairServer)
	}{
		{"connection flood", func(t *testing.T, f *fairServer, code, path, attackerIP string) {
			demo, _ := f.demo(t, attackerIP)
			held := 0
			for range 400 {
				if sid, _ := f.pollHandshake(t, demo, attackerIP); sid != "" {
					held++
				}
			}
			if held > 100 {
				t.Errorf("the attacker holds %d demo sockets, more than its share of 100", held)
			}
		}, func(t *testing.T, f *fairServer) {
			// Another user's lesson demo still gets its sockets.
			demo, st := f.demo(t, "")
			if st != http.StatusCreated {
				t.Fatalf("a student's demo: %d", st)
			}
			for i := range 12 {
				if sid, st := f.pollHandshake(t, demo, ""); sid == "" {
					t.Fatalf("a student's demo socket %d during the flood: %d", i, st)
				}
			}
		}},
		{"handshake hammering", func(t *testing.T, f *fairServer, code, path, attackerIP string) {
			demo, _ := f.demo(t, attackerIP)
			for i := range 400 { // open and drop at once, on the demo and on the class (its code is on the wall)
				p := demo
				if i%2 == 1 {
					p = path
				}
				if sid, _ := f.pollHandshake(t, p, attackerIP); sid != "" {
					f.do(t, nil, "POST", p+"?EIO=4&transport=polling&sid="+sid, attackerIP, "1", "Content-Type", "text/plain;charset=UTF-8")
				}
			}
		}, nil},
		{"demo-slot flood", func(t *testing.T, f *fairServer, code, path, attackerIP string) {
			got := 0
			for range 600 {
				if _, st := f.demo(t, attackerIP); st == http.StatusCreated {
					got++
				}
			}
			if got > 500 {
				t.Errorf("the attacker started %d demos, more than its share of 500", got)
			}
		}, func(t *testing.T, f *fairServer) {
			if _, st := f.demo(t, ""); st != http.StatusCreated {
				t.Errorf("a lesson demo after the flood: %d, want 201", st)
			}
			if _, _, st := f.startClass(t, ""); st != http.StatusCreated {
				t.Errorf("a new class after the flood: %d, want 201", st)
			}
		}},
		{"seat flood", func(t *testing.T, f *fairServer, code, path, attackerIP string) {
			var seated int
			for i := range 100 {
				c, err := wsclient.DialHeader(&websocket.Dialer{HandshakeTimeout: 10 * time.Second}, f.base, path,
					http.Header{testClientHeader: {attackerIP}}, nil)
				if err != nil {
					continue
				}
				t.Cleanup(c.Close)
				c.ConnectNsp("/", fmt.Sprintf(`{"name":"bot %d","code":%q}`, i, code))
			}
			// Seats are counted by the class: a CONNECT the middleware let through can still lose
			// the race for the last seat (a "refused" event, then a disconnect).
			if seated = f.seatsOf(t, code, attackerIP); seated != fairPerAddr {
				t.Errorf("the attacker took %d seats, want its address's %d", seated, fairPerAddr)
			}
		}, nil},
		{"wrong-code flood from the students' address", func(t *testing.T, f *fairServer, code, path, attackerIP string) {
			wrong := "ZZZZZZ"
			if code == wrong {
				wrong = "YYYYYY"
			}
			for range 300 { // a classmate's script: no cookies, the students' own address
				f.pollHandshake(t, "/class/"+wrong+"/socket.io/", "")
			}
			for range 240 { // a hostile page's image tags in the students' browsers
				if st, _ := f.do(t, nil, "GET", "/join/"+wrong, "", "", "Sec-Fetch-Site", "cross-site", "Sec-Fetch-Mode", "no-cors", "Sec-Fetch-Dest", "image"); st != http.StatusForbidden {
					t.Errorf("cross-site image: %d, want 403", st)
					return
				}
			}
			// The address is blocked for devices without an identity, the right code too.
			if _, st := f.pollHandshake(t, "/class/"+url.PathEscape(code)+"/socket.io/", ""); st != http.StatusTooManyRequests {
				t.Errorf("an anonymous right code during the flood: %d, want 429", st)
			}
		}, nil},
	}
	// One server for all: each attack comes from an address of its own (TEST-NET-2), against a
	// class of its own; the wrong-code flood, which blocks the students' address for devices
	// without an identity, comes last.
	f := newFairServer(t)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			attackerIP := fmt.Sprintf("198.51.100.%d", 10+i)
			code, path, st := f.startClass(t, "")
			if st != http.StatusCreated {
				t.Fatalf("POST /class: %d", st)
			}
			var attack sync.WaitGroup
			attack.Go(func() { tt.attack(t, f, code, path, attackerIP) })
			if tt.name == "wrong-code flood from the students' address" {
				attack.Wait() // its 429 check wants the flood done first; students join after it
			}
			f.classSession(t, code, path)
			attack.Wait()
			if tt.check != nil {
				tt.check(t, f)
			}
		})
	}
}
