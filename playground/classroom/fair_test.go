package classroom

import (
	"fmt"
	"math"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorilla/websocket"

	"socketlab/playground"
	"socketlab/playground/wsclient"
)

// admitReq runs one class page request (Admit) for code with the given cookies and headers, as
// the client at addr, and returns its status and the identity cookie it was given ("" if none).
func admitReq(cr *Classroom, addr, code string, hdr ...string) (status int, identity string) {
	r := httptest.NewRequest("GET", "/join/"+code, nil)
	r.RemoteAddr = addr + ":40000"
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Add(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	status = http.StatusOK
	if _, err := cr.Admit(w, r, code); err != nil {
		status = AdmitStatus(err)
	}
	for _, c := range w.Result().Cookies() {
		if c.Name == IdentityCookie {
			identity = c.Value
		}
	}
	return status, identity
}

// handshakeReq is a new Engine.IO handshake's part of admission: it mints an identity only for a
// device that has spent its guesses (returned as identity).
func handshakeReq(cr *Classroom, addr, code string, hdr ...string) (status int, identity string) {
	r := httptest.NewRequest("GET", "/class/"+code+"/socket.io/?EIO=4&transport=polling", nil)
	r.RemoteAddr = addr + ":40001"
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Add(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	status = http.StatusOK
	if _, err := cr.admit(w, r, code, false); err != nil {
		status = AdmitStatus(err)
	}
	for _, c := range w.Result().Cookies() {
		if c.Name == IdentityCookie {
			identity = c.Value
		}
	}
	return status, identity
}

func cookie(v string) string { return IdentityCookie + "=" + v }

// TestDeviceBudgets: wrong codes lock out only the device (identity) that typed them; a device with
// an identity and the right code gets in while its address is blocked for anonymous clients;
// identities cannot be made up; another site's image tags count nowhere.
func TestDeviceBudgets(t *testing.T) {
	reg := playground.NewRegistry(playground.Options{Origins: []string{"http://allowed.example:8080"}})
	defer reg.Close()
	cr := New(reg, Options{FailBurst: 5, FailEvery: time.Hour, MintBurst: 4, MintEvery: time.Hour, GuessesPerDevice: 2})
	cl, _, err := cr.Create("")
	if err != nil {
		t.Fatal(err)
	}
	const nat = "203.0.113.1"
	right := cl.Code()
	wrong := "ZZZZZZ"
	if right == wrong {
		wrong = "YYYYYY"
	}

	// A hostile page's 240 image tags in a student's browser: refused, counted nowhere.
	for range 240 {
		if st, _ := admitReq(cr, nat, wrong, "Sec-Fetch-Site", "cross-site", "Sec-Fetch-Mode", "no-cors", "Sec-Fetch-Dest", "image"); st != http.StatusForbidden {
			t.Fatalf("cross-site image: %d, want 403", st)
		}
	}
	if cr.Blocked(nat) {
		t.Fatal("cross-site requests spent the address's budget")
	}
	// A page of an allowed origin (-origins) is no hostile page: its code is checked.
	if st, _ := handshakeReq(cr, "192.0.2.1", right, "Origin", "http://allowed.example:8080", "Sec-Fetch-Site", "cross-site", "Sec-Fetch-Mode", "cors"); st != http.StatusOK {
		t.Errorf("an allowed origin's handshake: %d, want 200", st)
	}
	if st, _ := handshakeReq(cr, "192.0.2.1", right, "Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site", "Sec-Fetch-Mode", "websocket"); st != http.StatusForbidden {
		t.Errorf("another site's WebSocket: %d, want 403", st)
	}

	// Ada opens the join form: her device gets an identity (no code tried yet).
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/join", nil)
	req.RemoteAddr = nat + ":1"
	cr.Identify(rec, req)
	var ada string
	for _, c := range rec.Result().Cookies() {
		if c.Name == IdentityCookie && c.HttpOnly && c.SameSite == http.SameSiteLaxMode {
			ada = c.Value
		}
	}
	if ada == "" {
		t.Fatal("the join form set no HttpOnly SameSite=Lax identity cookie")
	}

	// A classmate's script without cookies spends the NAT's anonymous budget.
	for i := range 5 {
		if st, _ := handshakeReq(cr, nat, wrong); st != http.StatusNotFound {
			t.Fatalf("anonymous wrong code %d: %d, want 404", i, st)
		}
	}
	tests := []struct {
		name   string
		code   string
		hdr    []string
		status int
	}{
		{"anonymous, right code, address blocked", right, nil, 429},
		{"Ada's device, right code", right, []string{"Cookie", cookie(ada)}, 200},
		{"a made-up identity", right, []string{"Cookie", cookie(strings.Repeat("A", len(ada)))}, 429},
		{"Ada's identity with its MAC altered", right, []string{"Cookie", cookie(alterChar(ada, len(ada)-3))}, 429},
		{"Ada mistypes", wrong, []string{"Cookie", cookie(ada)}, 404},
		{"Ada mistypes again", wrong, []string{"Cookie", cookie(ada)}, 404},
		{"Ada's device has spent its guesses", right, []string{"Cookie", cookie(ada)}, 429},
	}
	var fresh string
	for _, tt := range tests {
		st, id := handshakeReq(cr, nat, tt.code, tt.hdr...)
		if st != tt.status {
			t.Errorf("%s: %d, want %d", tt.name, st, tt.status)
		}
		fresh = id
	}
	// The answer to a spent device carries a new identity (from the mint budget), so its next try
	// is checked again.
	if fresh == "" || fresh == ada {
		t.Fatalf("spent device: identity %q; want a new one", fresh)
	}
	if st, _ := handshakeReq(cr, nat, right, "Cookie", cookie(fresh)); st != 200 {
		t.Errorf("the new identity with the right code: %d, want 200", st)
	}
	// A fresh device's first page (a QR scan) mints its identity and checks the code with it.
	if st, id := admitReq(cr, nat, right); st != 200 || id == "" {
		t.Errorf("a fresh device's join page: %d, identity %q; want 200 and an identity", st, id)
	}
	if _, id := admitReq(cr, nat, right); id == "" {
		t.Errorf("fourth identity not minted (spent %v)", cr.mints.spent(nat, time.Now()))
	}
	// The mint budget (4: Ada, fresh, the QR scan, one more) bounds identities per address.
	if st, id := admitReq(cr, nat, right); id != "" || st != 429 {
		t.Errorf("past the mint budget, anonymous and blocked: %d, identity %q; want 429 and none", st, id)
	}
	// Identities expire.
	if id, _ := cr.ids.check(ada, time.Now().Add(identityMaxAge+time.Second)); id != "" {
		t.Error("an identity older than identityMaxAge was accepted")
	}
}

// guessBound is the most wrong codes one address can have answered within d of a first request,
// with no live class (the budgets' bursts are not raised): its anonymous budget plus the
// identities it can get minted times their guesses (identity.go).
func guessBound(o Options, d time.Duration) int {
	anon := o.FailBurst + int(d/o.FailEvery)
	mints := o.MintBurst + int(d/o.MintEvery)
	return anon + mints*o.GuessesPerDevice
}

// TestCodeGuessBound plays a guesser behind one address for a simulated hour, greedily using
// every way to have a code checked (anonymous requests, and identities minted by class pages,
// each used until spent), and counts the wrong codes it had answered: never more than guessBound,
// and about that many (the bound is tight, so the day figure in identity.go is what a guesser
// gets). With the defaults that is 91 500 a day: against 31^6 codes, odds of about 1 in 9 700 a
// day per live class.
func TestCodeGuessBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg := playground.NewRegistry(playground.Options{})
		defer reg.Close()
		cr := New(reg, Options{})
		cl, _, err := cr.Create("")
		if err != nil {
			t.Fatal(err)
		}
		const addr = "198.51.100.7"
		n := 0
		guess := func() string { // codes in order, skipping the live one
			for {
				n++
				c := fmt.Sprintf("%06d", n)
				c = strings.NewReplacer("0", "2", "1", "3").Replace(c)
				if c != cl.Code() {
					return c
				}
			}
		}
		answered := 0
		const hour = time.Hour
		for elapsed := time.Duration(0); elapsed <= hour; elapsed += time.Second {
			for {
				if st, _ := handshakeReq(cr, addr, guess()); st != http.StatusNotFound {
					break
				}
				answered++
			}
			st, id := admitReq(cr, addr, guess()) // a page: a new identity if the mint budget allows
			if st == http.StatusNotFound && id != "" {
				answered++
			}
			for id != "" { // each identity until spent; a spent one's answer may carry the next
				st, next := handshakeReq(cr, addr, guess(), "Cookie", cookie(id))
				if st == http.StatusNotFound {
					answered++
				} else {
					id = next
				}
			}
			time.Sleep(time.Second)
		}
		bound := guessBound(cr.opts, hour)
		if answered > bound || answered < bound-cr.opts.GuessesPerDevice-2 {
			t.Errorf("a guesser had %d wrong codes answered in an hour; the bound is %d", answered, bound)
		}
		day := guessBound(cr.opts, 24*time.Hour)
		space := math.Pow(float64(len(CodeAlphabet)), CodeLen)
		if day != 91_500 || space/float64(day) < 9_000 {
			t.Errorf("a day: %d guesses, odds 1 in %.0f per live class; identity.go says 91 500, 1 in 9 700", day, space/float64(day))
		}
	})
}

// TestSeats: one seat per device (joining again takes it over: the old socket is told and
// disconnected), a cap on the seats one address holds, and a join rate per address.
func TestSeats(t *testing.T) {
	f := newClassFixture(t, Options{SeatsPerAddress: 3, JoinEvery: time.Millisecond})
	jar, _ := cookiejar.New(nil)
	if resp, err := (&http.Client{Jar: jar}).Get(f.srv + "/join"); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	device := &websocket.Dialer{Jar: jar, HandshakeTimeout: 5 * time.Second}
	join := func(d *websocket.Dialer, name string) (*wsclient.Client, string) {
		t.Helper()
		if d == nil {
			d = &websocket.Dialer{HandshakeTimeout: 5 * time.Second}
		}
		c, err := wsclient.DialWith(d, f.srv, f.cl.SocketPath(), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		got, err := c.ConnectNsp("/", fmt.Sprintf(`{"name":%q,"code":%q}`, name, f.cl.Code()))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(got, "0{") {
			return c, got
		}
		// Admitted by the middleware: the connection handler seats the student (welcome) or, when
		// a concurrent join took the last place first, refuses them (refused, then a disconnect).
		for {
			p, err := c.Next(5 * time.Second)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if strings.HasPrefix(p, `2["welcome"`) {
				return c, got
			}
			if strings.HasPrefix(p, `2["refused"`) {
				return c, p
			}
		}
	}
	first, got := join(device, "Ada")
	if !strings.HasPrefix(got, "0{") {
		t.Fatalf("Ada: %q", got)
	}
	second, got := join(device, "Ada") // a reconnection before the old session timed out
	if !strings.HasPrefix(got, "0{") {
		t.Fatalf("Ada again from her device: %q, want her seat back", got)
	}
	if _, err := first.WaitFor(`2["refused"`, 5*time.Second); err != nil {
		t.Errorf("the seat's old socket was not told: %v", err)
	}
	if _, err := first.WaitFor("1", 5*time.Second); err != nil {
		t.Errorf("the seat's old socket was not disconnected: %v", err)
	}
	if _, got := join(device, "Ada's tab"); !strings.HasPrefix(got, "0{") {
		t.Fatalf("another name from the same device: %q", got)
	}
	second.WaitFor("1", 5*time.Second)
	if n := f.cl.Students(); n != 1 {
		t.Fatalf("one device holds %d seats, want 1", n)
	}
	for _, name := range []string{"Bob", "Cy"} {
		if _, got := join(nil, name); !strings.HasPrefix(got, "0{") {
			t.Fatalf("%s: %q", name, got)
		}
	}
	if _, got := join(nil, "Dee"); !strings.Contains(got, errSeatsPerAddress.Error()) {
		t.Errorf("a fourth seat from one address: %q, want %q", got, errSeatsPerAddress)
	}
	if n := f.cl.Students(); n != 3 {
		t.Errorf("%d seats, want 3", n)
	}
}

// TestJoinRate: joins from one address beyond its bucket are refused with a message to retry.
func TestJoinRate(t *testing.T) {
	f := newClassFixture(t, Options{SeatsPerAddress: 4, JoinEvery: time.Hour})
	for i := range 4 {
		c, _ := f.student(fmt.Sprintf("s%d", i))
		c.Close()
	}
	c := f.dial()
	if got, _ := c.ConnectNsp("/", fmt.Sprintf(`{"name":"late","code":%q}`, f.cl.Code())); !strings.Contains(got, errJoinRate.Error()) {
		t.Errorf("a fifth join at once: %q, want %q", got, errJoinRate)
	}
}

// alterChar changes s's character at i (one whose 6 bits all count: not the last of a raw
// base64 string, whose spare bits a decoder ignores) to another base64url character. Replacing
// the last two with "AA" left the value unchanged 1 time in 4,096.
func alterChar(s string, i int) string {
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}
