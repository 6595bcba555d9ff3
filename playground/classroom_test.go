package playground

import (
	"encoding/json"
	"fmt"
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

// TestClassJoinRateLimit: wrong codes are limited per address, but never below the class size.
func TestClassJoinRateLimit(t *testing.T) {
	f := newClassFixture(t, ClassOptions{FailBurst: 5, FailEvery: time.Hour})
	t.Run("wrong code in auth", func(t *testing.T) {
		c := f.dial()
		if got, _ := c.connectNsp("/", `{"name":"Mallory","code":"ZZZZZZ"}`); !strings.Contains(got, "wrong class code") {
			t.Errorf("got %q", got)
		}
	})
	// 20 students behind one address (127.0.0.1) all get in: success costs nothing.
	for i := range 20 {
		f.student(fmt.Sprintf("s%d", i))
	}
	// The budget is now 2×20 = 40, not 5: one failure is spent above; 39 more are allowed.
	bad := "/class/ZZZZZZ/socket.io/?EIO=4&transport=polling"
	var codes []int
	for range 41 {
		resp, err := http.Get(f.srv + bad)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		codes = append(codes, resp.StatusCode)
	}
	if codes[0] != 404 || codes[38] != 404 || codes[39] != 429 || codes[40] != 429 {
		t.Errorf("statuses = %v, want 39×404 then 429", codes)
	}
	// The right code is refused too once blocked (no guessing by timing the difference).
	resp, err := http.Get(f.srv + f.cl.SocketPath() + "?EIO=4&transport=polling")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 {
		t.Errorf("right code while blocked: %d, want 429", resp.StatusCode)
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
