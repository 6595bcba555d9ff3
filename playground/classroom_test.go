package playground

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

type classFixture struct {
	t    *testing.T
	reg  *Registry
	cr   *Classroom
	srv  string
	cl   *Class
	tok  string
	inst *classClient
}

func newClassFixture(t *testing.T, opts ClassOptions) *classFixture {
	t.Helper()
	reg := NewRegistry(Options{})
	cr := NewClassroom(reg, opts)
	srv := newClassServer(reg, cr)
	t.Cleanup(func() { srv.Close(); reg.Close() })
	cl, tok, err := cr.Create("welcome")
	if err != nil {
		t.Fatal(err)
	}
	f := &classFixture{t: t, reg: reg, cr: cr, srv: srv.URL, cl: cl, tok: tok}
	return f
}

func (f *classFixture) dial() *classClient {
	f.t.Helper()
	c, err := dialClass(f.srv, f.cl.SocketPath(), nil)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(c.Close)
	return c
}

func (f *classFixture) instructor() *classClient {
	f.t.Helper()
	c := f.dial()
	if got, err := c.connectNsp("/instructor", `{"token":"`+f.tok+`"}`); err != nil || !strings.HasPrefix(got, "0/instructor,{") {
		f.t.Fatalf("instructor connect = %q, %v", got, err)
	}
	f.inst = c
	return c
}

// student joins with name and returns the client after its welcome and its socket id.
func (f *classFixture) student(name string) (*classClient, string) {
	f.t.Helper()
	c := f.dial()
	got, err := c.connectNsp("/", fmt.Sprintf(`{"name":%q,"code":%q}`, name, strings.ToLower(f.cl.Code())))
	if err != nil || !strings.HasPrefix(got, "0{") {
		f.t.Fatalf("student %s connect = %q, %v", name, got, err)
	}
	var sid struct{ Sid string }
	json.Unmarshal([]byte(got[1:]), &sid)
	if _, err := c.waitFor(`2["welcome"`, 5*time.Second); err != nil {
		f.t.Fatal(err)
	}
	return c, sid.Sid
}

var ackSeq = 100

// control sends one instructor control and returns its ack's JSON object.
func (f *classFixture) control(c *classClient, nsp, ev string, args map[string]any) map[string]any {
	f.t.Helper()
	ackSeq++
	b, _ := json.Marshal([]any{ev, args})
	prefix := ""
	if nsp != "/" {
		prefix = nsp + ","
	}
	c.send("2" + prefix + fmt.Sprint(ackSeq) + string(b))
	want := "3" + prefix + fmt.Sprint(ackSeq) + "["
	p, err := c.waitFor(want, 5*time.Second)
	if err != nil {
		f.t.Fatalf("%s: %v", ev, err)
	}
	var out []map[string]any
	if err := json.Unmarshal([]byte(p[len(want)-1:]), &out); err != nil || len(out) != 1 {
		f.t.Fatalf("%s ack %q: %v", ev, p, err)
	}
	return out[0]
}

func (f *classFixture) ctl(ev string, args map[string]any) map[string]any {
	f.t.Helper()
	if args == nil {
		args = map[string]any{}
	}
	args["token"] = f.tok
	res := f.control(f.inst, "/instructor", ev, args)
	if res["error"] != nil {
		f.t.Fatalf("%s: error ack %v", ev, res["error"])
	}
	return res
}

// msgs collects the "msg" texts a client receives within d.
func msgs(c *classClient, d time.Duration) []string {
	var out []string
	deadline := time.Now().Add(d)
	for {
		p, err := c.next(time.Until(deadline))
		if err != nil {
			return out
		}
		if rest, ok := strings.CutPrefix(p, `2["msg",`); ok {
			var m struct{ Text string }
			json.Unmarshal([]byte(strings.TrimSuffix(rest, "]")), &m)
			out = append(out, m.Text)
		}
	}
}

func TestClassCode(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		c := randomCode()
		if n, ok := NormalizeCode(strings.ToLower(c)); !ok || n != c {
			t.Fatalf("NormalizeCode(%q) = %q, %v", c, n, ok)
		}
		if strings.ContainsAny(c, "0O1IL") {
			t.Fatalf("code %q has an ambiguous character", c)
		}
		seen[c] = true
	}
	if len(seen) < 199 {
		t.Errorf("got %d distinct codes of 200", len(seen))
	}
	for _, bad := range []string{"", "ABCDE", "ABCDEFG", "ABCDE0", "ABCDEI", "ABC DE"} {
		if _, ok := NormalizeCode(bad); ok {
			t.Errorf("NormalizeCode(%q) accepted", bad)
		}
	}
}

func TestValidateName(t *testing.T) {
	tests := []struct {
		in, clean, folded string
		ok                bool
	}{
		{"Ada", "Ada", "ada", true},
		{"  Ada   Lovelace ", "Ada Lovelace", "ada lovelace", true},
		{"Zoë O'Neil-2", "Zoë O'Neil-2", "zoë o'neil-2", true},
		{"", "", "", false},
		{"   ", "", "", false},
		{"<b>x</b>", "", "", false},
		{"a\u202eb", "", "", false},
		{strings.Repeat("a", 25), "", "", false},
		{"Instructor", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			clean, folded, err := ValidateName(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("ValidateName(%q) error = %v, want ok=%v", tt.in, err, tt.ok)
			}
			if clean != tt.clean || folded != tt.folded {
				t.Errorf("got %q %q, want %q %q", clean, folded, tt.clean, tt.folded)
			}
		})
	}
}

// TestClassLifecycle: join, breakout, room-only and except emits, lock, kick and allow, end.
func TestClassLifecycle(t *testing.T) {
	f := newClassFixture(t, ClassOptions{})
	f.instructor()
	names := []string{"Ada", "Grace", "Linus", "Barbara"}
	cs := map[string]*classClient{}
	ids := map[string]string{}
	for _, n := range names {
		cs[n], ids[n] = f.student(n)
	}

	// Same name, other case: refused while Ada is connected.
	dup := f.dial()
	if got, _ := dup.connectNsp("/", `{"name":"ADA","code":"`+f.cl.Code()+`"}`); !strings.Contains(got, "taken") {
		t.Errorf("duplicate name: got %q, want a connect error about the name being taken", got)
	}

	res := f.ctl("breakout", map[string]any{"rooms": 2})
	if res["recipients"] != float64(4) || !strings.Contains(res["call"].(string), "socket.join") {
		t.Errorf("breakout ack = %v", res)
	}
	room := map[string]string{}
	for _, n := range names {
		p, err := cs[n].waitFor(`2["rooms"`, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var r []struct{ Rooms []string }
		json.Unmarshal([]byte(p[1:]), &[]any{nil, &r})
		var m struct{ Rooms []string }
		json.Unmarshal([]byte(strings.TrimSuffix(strings.TrimPrefix(p, `2["rooms",`), "]")), &m)
		if len(m.Rooms) != 1 {
			t.Fatalf("%s rooms = %q", n, p)
		}
		room[n] = m.Rooms[0]
	}
	// Move Linus into Ada's room and Grace into the other, so we know the split.
	other := map[string]string{"room-1": "room-2", "room-2": "room-1"}
	f.ctl("move", map[string]any{"student": ids["Linus"], "room": room["Ada"]})
	f.ctl("move", map[string]any{"student": ids["Grace"], "room": other[room["Ada"]]})
	f.ctl("move", map[string]any{"student": ids["Barbara"], "room": other[room["Ada"]]})
	res = f.ctl("emit", map[string]any{"to": "room", "room": room["Ada"], "text": "room only"})
	if res["call"] != `io.to("`+room["Ada"]+`").emit("msg", …)` || res["recipients"] != float64(2) {
		t.Errorf("emit to room ack = %v", res)
	}
	res = f.ctl("emit", map[string]any{"to": "except", "student": ids["Grace"], "text": "not Grace"})
	if res["recipients"] != float64(3) {
		t.Errorf("emit except ack = %v", res)
	}
	// A student's message goes to their breakout room.
	f.control(cs["Barbara"], "/", "say", map[string]any{"text": "hi room"})
	want := map[string][]string{
		"Ada":     {"room only", "not Grace"},
		"Linus":   {"room only", "not Grace"},
		"Grace":   {"hi room"},
		"Barbara": {"not Grace", "hi room"},
	}
	for _, n := range names {
		if got := msgs(cs[n], 300*time.Millisecond); strings.Join(got, "|") != strings.Join(want[n], "|") {
			t.Errorf("%s got %q, want %q", n, got, want[n])
		}
	}

	// Lock: a student's say is refused.
	f.ctl("lock", map[string]any{"locked": true})
	if res := f.control(cs["Ada"], "/", "say", map[string]any{"text": "x"}); res["error"] != ErrClassLocked.Error() {
		t.Errorf("say while locked: ack %v", res)
	}
	f.ctl("lock", map[string]any{"locked": false})
	if res := f.control(cs["Ada"], "/", "say", map[string]any{"text": "x"}); res["error"] != nil {
		t.Errorf("say after unlock: ack %v", res)
	}

	// Kick Linus: disconnected, and the same name cannot rejoin until allowed.
	f.ctl("kick", map[string]any{"student": ids["Linus"]})
	if _, err := cs["Linus"].waitFor("no such packet", 3*time.Second); err == nil || !strings.Contains(err.Error(), errClientClosed.Error()) {
		t.Errorf("kicked student's connection: %v, want closed", err)
	}
	again := f.dial()
	if got, _ := again.connectNsp("/", `{"name":"linus","code":"`+f.cl.Code()+`"}`); !strings.Contains(got, "removed by the instructor") {
		t.Errorf("kicked name rejoining: got %q", got)
	}
	f.ctl("allow", map[string]any{"name": "Linus"})
	f.student("Linus")

	// Reset: everyone back in the main room.
	f.ctl("reset", nil)
	if got := f.ctl("info", nil); got["rooms"] != float64(0) || got["locked"] != false {
		t.Errorf("after reset info = %v", got)
	}

	// End: students are told, the code stops working.
	f.ctl("end", nil)
	if _, err := cs["Ada"].waitFor(`2["ended"]`, 5*time.Second); err != nil {
		t.Error(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for f.cr.Lookup(f.cl.Code()) != nil && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // End runs off the control's goroutine; poll, bounded
	}
	if f.cr.Lookup(f.cl.Code()) != nil {
		t.Fatal("class still found after end")
	}
	if _, err := dialClass(f.srv, f.cl.SocketPath(), nil); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("dial after end: %v, want HTTP 404", err)
	}
}

// TestClassAuthorization: forged control packets change nothing.
func TestClassAuthorization(t *testing.T) {
	f := newClassFixture(t, ClassOptions{})
	f.instructor()
	ada, _ := f.student("Ada")
	eve, _ := f.student("Eve")

	t.Run("instructor namespace refuses wrong tokens", func(t *testing.T) {
		for _, auth := range []string{`{"token":"wrong"}`, ``, `"` + f.tok + `"`, `{"token":"` + f.cl.Code() + `"}`} {
			c := f.dial()
			got, err := c.connectNsp("/instructor", auth)
			if err == nil && strings.HasPrefix(got, "0/instructor,{") {
				t.Errorf("auth %q: connected (%q)", auth, got)
			}
		}
	})
	forged := []struct{ ev, nsp string }{{"breakout", "/"}, {"lock", "/"}, {"kick", "/"}, {"end", "/"}, {"emit", "/"}, {"breakout", "/instructor"}, {"end", "/instructor"}}
	for _, fc := range forged {
		t.Run(fc.ev+" on "+fc.nsp, func(t *testing.T) {
			args := map[string]any{"token": "guess", "rooms": 2, "locked": true, "to": "all", "text": "forged"}
			sender := eve
			if fc.nsp == "/" {
				args["token"] = f.tok // even the right token does not make "/" a control channel
			} else {
				sender = f.inst // an authorized socket with a wrong per-message token
			}
			res := f.control(sender, fc.nsp, fc.ev, args)
			if res["error"] != ErrNotAuthorized.Error() {
				t.Errorf("ack = %v, want error %q", res, ErrNotAuthorized)
			}
		})
	}
	info := f.ctl("info", nil)
	if info["rooms"] != float64(0) || info["locked"] != false {
		t.Errorf("state changed by forged packets: %v", info)
	}
	if got := msgs(ada, 200*time.Millisecond); len(got) != 0 {
		t.Errorf("Ada received %q from forged packets", got)
	}
	if f.cr.Lookup(f.cl.Code()) == nil {
		t.Error("class ended by a forged packet")
	}
}

// httpStatus GETs (or POSTs body to) srv+path from 127.0.0.1 and returns the status and body.
func httpStatus(t *testing.T, method, u, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// pollingStudent is a student on the HTTP long-polling transport (every request a new one, like
// a phone whose WebSocket is blocked): it returns the Engine.IO sid after the student's CONNECT.
func (f *classFixture) pollingStudent(name string) string {
	f.t.Helper()
	base := f.srv + f.cl.SocketPath() + "?EIO=4&transport=polling"
	st, body := httpStatus(f.t, "GET", base, "")
	var open struct{ Sid string }
	if st != 200 || json.Unmarshal([]byte(strings.TrimPrefix(body, "0")), &open) != nil || open.Sid == "" {
		f.t.Fatalf("polling handshake: %d %q", st, body)
	}
	if st, body := httpStatus(f.t, "POST", base+"&sid="+open.Sid, fmt.Sprintf(`40{"name":%q,"code":%q}`, name, f.cl.Code())); st != 200 {
		f.t.Fatalf("polling CONNECT: %d %q", st, body)
	}
	if st, body := httpStatus(f.t, "GET", base+"&sid="+open.Sid, ""); st != 200 || !strings.HasPrefix(body, `40{"sid"`) {
		f.t.Fatalf("polling CONNECT answer: %d %q", st, body)
	}
	return open.Sid
}

// pollUntil long-polls an existing session until what it received contains want (at most 10 s).
func pollUntil(t *testing.T, pollURL, want string) string {
	t.Helper()
	var got string
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(got, want); {
		if time.Now().After(deadline) {
			t.Fatalf("polling: no %q in %q", want, got)
		}
		st, body := httpStatus(t, "GET", pollURL, "")
		if st != 200 {
			t.Fatalf("poll of an existing session: %d %q", st, body)
		}
		got += body
	}
	return got
}

// spendCodes makes n new handshakes for a code no class has and returns their statuses.
func (f *classFixture) spendCodes(n int) []int {
	f.t.Helper()
	var codes []int
	for range n {
		st, _ := httpStatus(f.t, "GET", f.srv+"/class/ZZZZZZ/socket.io/?EIO=4&transport=polling", "")
		codes = append(codes, st)
	}
	return codes
}

func countStatus(codes []int, status int) int {
	n := 0
	for _, c := range codes {
		if c == status {
			n++
		}
	}
	return n
}

// TestClassRateLimit: only new handshakes with an unknown code spend an address's budget, and
// only new handshakes are refused once it is spent; sessions the class already has keep working,
// so one student mistyping cannot lock out the classmates behind the same NAT'd address (every
// client here is 127.0.0.1). Wrong instructor keys spend a budget of their own.
func TestClassRateLimit(t *testing.T) {
	const burst = 5
	tests := []struct {
		name string
		run  func(t *testing.T, f *classFixture)
	}{
		{"unknown codes are limited per address, never below twice the class", func(t *testing.T, f *classFixture) {
			for i := range 20 {
				f.student(fmt.Sprintf("s%d", i)) // success costs nothing
			}
			codes := f.spendCodes(41) // the budget is 2×20 = 40, not 5
			if countStatus(codes[:40], 404) != 40 || codes[40] != 429 {
				t.Errorf("statuses = %v, want 40×404 then 429", codes)
			}
		}},
		{"a blocked address's new handshakes are refused, the right code too", func(t *testing.T, f *classFixture) {
			f.spendCodes(burst)
			// No guessing by telling the right code's answer from a wrong one's.
			if st, _ := httpStatus(t, "GET", f.srv+f.cl.SocketPath()+"?EIO=4&transport=polling", ""); st != 429 {
				t.Errorf("right code while blocked: %d, want 429", st)
			}
			if _, err := dialClass(f.srv, f.cl.SocketPath(), nil); err == nil || !strings.Contains(err.Error(), "429") {
				t.Errorf("WebSocket handshake while blocked: %v, want HTTP 429", err)
			}
		}},
		{"a made-up sid is no way around the budget", func(t *testing.T, f *classFixture) {
			for i := range burst {
				st, _ := httpStatus(t, "GET", f.srv+"/class/ZZZZZZ/socket.io/?EIO=4&transport=polling&sid=guess"+fmt.Sprint(i), "")
				if st != 404 {
					t.Errorf("unknown code with a sid: %d, want 404", st)
				}
			}
			for _, path := range []string{"/class/ZZZZZZ/socket.io/", f.cl.SocketPath()} {
				if st, _ := httpStatus(t, "GET", f.srv+path+"?EIO=4&transport=polling&sid=guess", ""); st != 429 {
					t.Errorf("%s with a made-up sid once blocked: %d, want 429", path, st)
				}
			}
		}},
		{"existing sessions keep polling and sending while the address is blocked", func(t *testing.T, f *classFixture) {
			f.instructor()
			sid := f.pollingStudent("Ada")
			if codes := f.spendCodes(burst + 3); codes[burst] != 429 {
				t.Fatalf("statuses = %v, want 429 once the budget is spent", codes)
			}
			base := f.srv + f.cl.SocketPath() + "?EIO=4&transport=polling&sid=" + sid
			if st, body := httpStatus(t, "POST", base, `42["say",{"text":"still here"}]`); st != 200 {
				t.Fatalf("POST of an existing session while blocked: %d %q", st, body)
			}
			f.ctl("emit", map[string]any{"to": "all", "text": "hello Ada"})
			got := pollUntil(t, base, "hello Ada")
			if !strings.Contains(got, "still here") {
				t.Errorf("the polling student's own message did not come back: %q", got)
			}
		}},
		{"a wrong code in the CONNECT auth spends nothing", func(t *testing.T, f *classFixture) {
			c := f.dial()
			for range 3 * burst {
				if got, _ := c.connectNsp("/", `{"name":"Mallory","code":"ZZZZZZ"}`); !strings.Contains(got, "wrong class code") {
					t.Fatalf("got %q", got)
				}
			}
			f.student("Ada") // a new handshake from the same address still gets in
		}},
		{"wrong instructor keys have their own budget", func(t *testing.T, f *classFixture) {
			c := f.dial()
			var last string
			for range burst + 2 {
				last, _ = c.connectNsp("/instructor", `{"token":"guess"}`)
			}
			if !strings.Contains(last, errTooManyKeys.Error()) {
				t.Errorf("wrong key over budget: %q, want %q", last, errTooManyKeys)
			}
			f.instructor() // the right key still works: a classmate's script cannot lock the instructor out
			f.student("Ada")
			if codes := f.spendCodes(burst + 1); countStatus(codes, 404) != burst || codes[burst] != 429 {
				t.Errorf("code budget after wrong keys: %v, want all %d (untouched) then 429", codes, burst)
			}
		}},
		{"a class behind one address keeps working after a student makes many wrong-code attempts", func(t *testing.T, f *classFixture) {
			f.instructor()
			const n = 12
			cs := make([]*classClient, n)
			for i := range cs {
				cs[i], _ = f.student(fmt.Sprintf("Student %d", i))
			}
			poller := f.pollingStudent("Poller")
			codes := f.spendCodes(2*(n+1) + 20) // the budget is twice the class: 2(n+1)
			if countStatus(codes[:2*(n+1)], 404) != 2*(n+1) || countStatus(codes, 429) != 20 {
				t.Fatalf("statuses = %v, want %d×404 then 429s", codes, 2*(n+1))
			}
			res := f.ctl("emit", map[string]any{"to": "all", "text": "still together"})
			if res["recipients"] != float64(n+1) {
				t.Errorf("emit to all reached %v, want %d", res["recipients"], n+1)
			}
			for i, c := range cs {
				if _, err := c.waitFor(`2["msg",{"from":"Instructor","text":"still together"`, 5*time.Second); err != nil {
					t.Errorf("student %d: %v", i, err)
				}
				if ack := f.control(c, "/", "say", map[string]any{"text": fmt.Sprint("from ", i)}); ack["error"] != nil {
					t.Errorf("student %d say: %v", i, ack)
				}
			}
			base := f.srv + f.cl.SocketPath() + "?EIO=4&transport=polling&sid=" + poller
			pollUntil(t, base, "from "+fmt.Sprint(n-1))
			f.ctl("info", nil) // the instructor's session is unaffected too
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.run(t, newClassFixture(t, ClassOptions{FailBurst: burst, FailEvery: time.Hour}))
		})
	}
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestClassExpiry: a class nobody is connected to ends after the idle timeout; one in use does not.
func TestClassExpiry(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)}
	reg := NewRegistry(Options{now: clock.Now, IdleTimeout: 10 * time.Minute})
	defer reg.Close()
	cr := NewClassroom(reg, ClassOptions{})
	srv := newClassServer(reg, cr)
	defer srv.Close()
	idle, _, _ := cr.Create("")
	busy, _, _ := cr.Create("")
	c, err := dialClass(srv.URL, busy.SocketPath(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got, _ := c.connectNsp("/", `{"name":"Ada","code":"`+busy.Code()+`"}`); !strings.HasPrefix(got, "0{") {
		t.Fatalf("connect %q", got)
	}
	clock.Add(9 * time.Minute)
	if n := reg.Sweep(); n != 0 {
		t.Fatalf("swept %d classes before the timeout", n)
	}
	clock.Add(2 * time.Minute)
	if n := reg.Sweep(); n != 1 {
		t.Fatalf("swept %d, want the idle class only", n)
	}
	if cr.Lookup(idle.Code()) != nil {
		t.Error("idle class still found")
	}
	if cr.Lookup(busy.Code()) == nil {
		t.Error("class with a student connected was reclaimed")
	}
	if got := cr.Len(); got != 1 {
		t.Errorf("Len = %d, want 1", got)
	}
}

// TestClassTenants: a student moved into a tenant namespace enters it with the ticket only.
func TestClassTenants(t *testing.T) {
	f := newClassFixture(t, ClassOptions{})
	f.instructor()
	ada, adaID := f.student("Ada")
	grace, _ := f.student("Grace")
	f.ctl("tenants", map[string]any{"names": []string{"red", "blue"}})
	res := f.ctl("moveTenant", map[string]any{"student": adaID, "tenant": "red"})
	if !strings.Contains(res["call"].(string), `"/org-red"`) {
		t.Errorf("moveTenant call = %v", res["call"])
	}
	p, err := ada.waitFor(`2["tenant"`, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var tn struct{ Nsp, Ticket string }
	json.Unmarshal([]byte(strings.TrimSuffix(strings.TrimPrefix(p, `2["tenant",`), "]")), &tn)
	// Grace tries Ada's namespace with a made-up ticket and with her own name.
	if got, _ := grace.connectNsp("/org-red", `{"name":"Grace","code":"`+f.cl.Code()+`","ticket":"x"}`); !strings.HasPrefix(got, "4/org-red,") {
		t.Errorf("Grace into /org-red: %q", got)
	}
	if got, _ := ada.connectNsp("/org-red", `{"name":"Ada","code":"`+f.cl.Code()+`","ticket":"`+tn.Ticket+`"}`); !strings.HasPrefix(got, "0/org-red,{") {
		t.Fatalf("Ada into /org-red: %q", got)
	}
	res = f.ctl("emit", map[string]any{"to": "tenant", "tenant": "red", "text": "red only"})
	if res["recipients"] != float64(1) {
		t.Errorf("emit to tenant: %v", res)
	}
	if _, err := ada.waitFor(`2/org-red,["msg"`, 5*time.Second); err != nil {
		t.Error(err)
	}
	if got := msgs(grace, 200*time.Millisecond); len(got) != 0 {
		t.Errorf("Grace got %q", got)
	}
}
