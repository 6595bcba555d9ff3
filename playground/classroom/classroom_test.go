package classroom

import (
	"bufio"
	"socketlab/playground"
	"socketlab/playground/wsclient"

	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorilla/websocket"
)

type classFixture struct {
	t    *testing.T
	reg  *playground.Registry
	cr   *Classroom
	srv  string
	cl   *Class
	tok  string
	inst *wsclient.Client
}

func newClassFixture(t *testing.T, opts Options) *classFixture {
	t.Helper()
	reg := playground.NewRegistry(playground.Options{})
	cr := New(reg, opts)
	srv := newClassServer(reg, cr)
	t.Cleanup(func() { srv.Close(); reg.Close() })
	cl, tok, err := cr.Create("welcome")
	if err != nil {
		t.Fatal(err)
	}
	f := &classFixture{t: t, reg: reg, cr: cr, srv: srv.URL, cl: cl, tok: tok}
	return f
}

func (f *classFixture) dial() *wsclient.Client {
	f.t.Helper()
	c, err := wsclient.Dial(f.srv, f.cl.SocketPath(), nil)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(c.Close)
	return c
}

func (f *classFixture) instructor() *wsclient.Client {
	f.t.Helper()
	c := f.dial()
	if got, err := c.ConnectNsp("/instructor", `{"token":"`+f.tok+`"}`); err != nil || !strings.HasPrefix(got, "0/instructor,{") {
		f.t.Fatalf("instructor connect = %q, %v", got, err)
	}
	f.inst = c
	return c
}

// student joins with name and returns the client after its welcome and its socket id.
func (f *classFixture) student(name string) (*wsclient.Client, string) {
	f.t.Helper()
	c := f.dial()
	got, err := c.ConnectNsp("/", fmt.Sprintf(`{"name":%q,"code":%q,"claim":%q}`, name, strings.ToLower(f.cl.Code()), testClaim(name)))
	if err != nil || !strings.HasPrefix(got, "0{") {
		f.t.Fatalf("student %s connect = %q, %v", name, got, err)
	}
	var sid struct{ Sid string }
	json.Unmarshal([]byte(got[1:]), &sid)
	if _, err := c.WaitFor(`2["welcome"`, 5*time.Second); err != nil {
		f.t.Fatal(err)
	}
	return c, sid.Sid
}

// testClaim is the claim a test student's page sends (names.go): one per name, as one device each.
func testClaim(name string) string {
	c := fmt.Sprintf("claim-%x-0000000000", name)
	return c[:min(len(c), maxNameClaim)]
}

// newClassWithTwo is a class with its instructor and two students, Ada and Grace.
func newClassWithTwo(t *testing.T) (f *classFixture, ada *wsclient.Client, adaID string, grace *wsclient.Client, graceID string) {
	t.Helper()
	f = newClassFixture(t, Options{})
	f.instructor()
	ada, adaID = f.student("Ada")
	grace, graceID = f.student("Grace")
	return f, ada, adaID, grace, graceID
}

var ackSeq = 100

// control sends one instructor control and returns its ack's JSON object.
func (f *classFixture) control(c *wsclient.Client, nsp, ev string, args map[string]any) map[string]any {
	f.t.Helper()
	ackSeq++
	b, _ := json.Marshal([]any{ev, args})
	prefix := ""
	if nsp != "/" {
		prefix = nsp + ","
	}
	c.Send("2" + prefix + fmt.Sprint(ackSeq) + string(b))
	want := "3" + prefix + fmt.Sprint(ackSeq) + "["
	p, err := c.WaitFor(want, 5*time.Second)
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
func msgs(c *wsclient.Client, d time.Duration) []string {
	var out []string
	for _, p := range drain(c, d) {
		if rest, ok := strings.CutPrefix(p, `2["msg",`); ok {
			var m struct{ Text string }
			json.Unmarshal([]byte(strings.TrimSuffix(rest, "]")), &m)
			out = append(out, m.Text)
		}
	}
	return out
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
	// What people type from the projector: spaces, a dash, lower case.
	for _, typed := range []string{"abc234", " ABC 234 ", "abc-234", "A B C 2 3 4", "ABC\t234"} {
		if n, ok := NormalizeCode(typed); !ok || n != "ABC234" {
			t.Errorf("NormalizeCode(%q) = %q, %v, want ABC234", typed, n, ok)
		}
	}
	for _, bad := range []string{"", "ABCDE", "ABCDEFG", "ABCDE0", "ABCDEI", "ABC DE", "ABC+234"} {
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
		{"Zoë O'Neil-2", "Zoë O'Neil-2", "zoë o'nell-2", true}, // folded by lookalike key: i and l are one
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
	f := newClassFixture(t, Options{})
	f.instructor()
	names := []string{"Ada", "Grace", "Linus", "Barbara"}
	cs := map[string]*wsclient.Client{}
	ids := map[string]string{}
	for _, n := range names {
		cs[n], ids[n] = f.student(n)
	}

	// Same name, other case: refused while Ada is connected.
	dup := f.dial()
	if got, _ := dup.ConnectNsp("/", `{"name":"ADA","code":"`+f.cl.Code()+`"}`); !strings.Contains(got, "taken") {
		t.Errorf("duplicate name: got %q, want a connect error about the name being taken", got)
	}

	res := f.ctl("breakout", map[string]any{"rooms": 2})
	if res["recipients"] != float64(4) || !strings.Contains(res["call"].(string), "socket.join") {
		t.Errorf("breakout ack = %v", res)
	}
	room := map[string]string{}
	for _, n := range names {
		p, err := cs[n].WaitFor(`2["rooms"`, 5*time.Second)
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
	if _, err := cs["Linus"].WaitFor("no such packet", 3*time.Second); err == nil || !strings.Contains(err.Error(), wsclient.ErrClosed.Error()) {
		t.Errorf("kicked student's connection: %v, want closed", err)
	}
	again := f.dial()
	if got, _ := again.ConnectNsp("/", `{"name":"linus","code":"`+f.cl.Code()+`"}`); !strings.Contains(got, "removed by the instructor") {
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
	if _, err := cs["Ada"].WaitFor(`2["ended"]`, 5*time.Second); err != nil {
		t.Error(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for f.cr.Lookup(f.cl.Code()) != nil && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // End runs off the control's goroutine; poll, bounded
	}
	if f.cr.Lookup(f.cl.Code()) != nil {
		t.Fatal("class still found after end")
	}
	if _, err := wsclient.Dial(f.srv, f.cl.SocketPath(), nil); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("dial after end: %v, want HTTP 404", err)
	}
}

// classState is everything a control event could change, as one comparable string: the class's
// settings and each student's room, tenant, ticket and connections.
func (f *classFixture) classState() string {
	f.t.Helper()
	cl := f.cl
	info, err := cl.control("info", controlArgs{}) // not over a socket: the per-socket rate limit is not under test
	if err != nil {
		f.t.Fatal(err)
	}
	cl.mu.Lock()
	var studs []string
	for _, st := range cl.students {
		studs = append(studs, fmt.Sprintf("%s room=%q tenant=%q ticket=%v tenantSock=%v connected=%v",
			st.name, st.room, st.tenant, st.ticket != "", st.tenantSock != nil, st.s.Connected()))
	}
	ended := cl.ended
	cl.mu.Unlock()
	slices.Sort(studs)
	b, _ := json.Marshal(info)
	return fmt.Sprintf("%s\nended=%v live=%v\n%s", b, ended, f.cr.Lookup(cl.Code()) != nil, strings.Join(studs, "\n"))
}

// drain returns every packet c receives within d.
func drain(c *wsclient.Client, d time.Duration) []string {
	var out []string
	deadline := time.Now().Add(d)
	for {
		p, err := c.Next(time.Until(deadline))
		if err != nil {
			return out
		}
		out = append(out, p)
	}
}

// TestClassAuthorization: a forged control packet, for every control event, on every channel a
// non-instructor has (a student's "/" and tenant sockets with the right key in the packet, the
// instructor's own socket with a wrong key), gets an error ack and changes nothing.
func TestClassAuthorization(t *testing.T) {
	f := newClassFixture(t, Options{})
	f.instructor()
	ada, adaID := f.student("Ada")
	eve, eveID := f.student("Eve")
	_, malloryID := f.student("Mallory")

	t.Run("instructor namespace refuses wrong keys", func(t *testing.T) {
		for _, auth := range []string{`{"token":"wrong"}`, ``, `"` + f.tok + `"`, `{"token":"` + f.cl.Code() + `"}`} {
			c := f.dial()
			got, err := c.ConnectNsp("/instructor", auth)
			if err == nil && strings.HasPrefix(got, "0/instructor,{") {
				t.Errorf("auth %q: connected (%q)", auth, got)
			}
		}
	})

	// A state every control would visibly change: two breakout rooms, a tenant with Eve in it,
	// a banned name, a follow target, sending unlocked.
	f.ctl("breakout", map[string]any{"rooms": 2})
	f.ctl("move", map[string]any{"student": adaID, "room": "room-1"})
	f.ctl("tenants", map[string]any{"names": []string{"red"}})
	f.ctl("moveTenant", map[string]any{"student": eveID, "tenant": "red"})
	p, err := eve.WaitFor(`2["tenant"`, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var tn struct{ Ticket string }
	json.Unmarshal([]byte(strings.TrimSuffix(strings.TrimPrefix(p, `2["tenant",`), "]")), &tn)
	if got, _ := eve.ConnectNsp("/org-red", `{"name":"Eve","ticket":"`+tn.Ticket+`"}`); !strings.HasPrefix(got, "0/org-red,{") {
		t.Fatalf("Eve into /org-red: %q", got)
	}
	f.ctl("kick", map[string]any{"student": malloryID})
	f.ctl("follow", map[string]any{"url": "/lessons/rooms#join", "title": "Rooms"})
	drain(ada, 200*time.Millisecond)
	drain(eve, 0)
	before := f.classState()

	// Arguments that would make each event act, were it authorized.
	args := map[string]any{
		"rooms": 3, "locked": true, "to": "all", "text": "forged", "student": adaID, "room": "room-2",
		"tenant": "red", "names": []string{"blue"}, "name": "Mallory", "url": "/lessons/forged",
		"code": `io.on("connection", (s) => s.emit("forged"))`,
	}
	student := func() *wsclient.Client { return eve }
	// The instructor's connection is authorized, but every packet is checked again; one new
	// connection per channel keeps each under the per-socket rate limit (20/s, burst 40).
	instructor := func() *wsclient.Client { return f.instructor() }
	channels := []struct {
		name, nsp, token string
		c                func() *wsclient.Client
	}{
		{"student on /", "/", f.tok, student}, // even the right key does not make "/" a control channel
		{"student in a tenant", "/org-red", f.tok, student},
		{"instructor socket, wrong key", "/instructor", "guess", instructor},
		{"instructor socket, no key", "/instructor", "", instructor},
		{"instructor socket, the join code as key", "/instructor", f.cl.Code(), instructor},
	}
	if len(controls) != 15 {
		t.Errorf("%d control events; this test was written for 15: check the new ones' arguments", len(controls))
	}
	for _, ch := range channels {
		c := ch.c()
		for _, ctl := range controls {
			ev := ctl.event
			t.Run(ch.name+"/"+ev, func(t *testing.T) {
				a := maps.Clone(args)
				a["token"] = ch.token
				res := f.control(c, ch.nsp, ev, a)
				if res["error"] != ErrNotAuthorized.Error() || len(res) != 1 {
					t.Errorf("ack = %v, want only error %q", res, ErrNotAuthorized)
				}
				if after := f.classState(); after != before {
					t.Errorf("state changed:\n%s\nwant\n%s", after, before)
				}
			})
		}
	}
	if got := drain(ada, 300*time.Millisecond); len(got) != 0 {
		t.Errorf("Ada received %q from forged packets", got)
	}
}

// TestClassReset: reset puts everyone back in the main room: students are told rooms [] and no
// tenant, their tenant sockets are closed, and their old tickets no longer open the namespace.
func TestClassReset(t *testing.T) {
	f, ada, adaID, grace, graceID := newClassWithTwo(t)
	f.ctl("breakout", map[string]any{"rooms": 2})
	f.ctl("tenants", map[string]any{"names": []string{"red", "blue"}})
	f.ctl("lock", map[string]any{"locked": true})
	tickets := map[string]string{}
	for name, c := range map[string]*wsclient.Client{"Ada": ada, "Grace": grace} {
		id := map[string]string{"Ada": adaID, "Grace": graceID}[name]
		tenant := map[string]string{"Ada": "red", "Grace": "blue"}[name]
		f.ctl("moveTenant", map[string]any{"student": id, "tenant": tenant})
		p, err := c.WaitFor(`2["tenant",{"nsp":"/org-`+tenant, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var tn struct{ Ticket string }
		json.Unmarshal([]byte(strings.TrimSuffix(strings.TrimPrefix(p, `2["tenant",`), "]")), &tn)
		tickets[name] = tn.Ticket
		if got, _ := c.ConnectNsp("/org-"+tenant, `{"name":"`+name+`","ticket":"`+tn.Ticket+`"}`); !strings.HasPrefix(got, "0/org-"+tenant+",{") {
			t.Fatalf("%s into /org-%s: %q", name, tenant, got)
		}
	}
	drain(ada, 200*time.Millisecond)
	drain(grace, 0)

	res := f.ctl("reset", nil)
	if res["recipients"] != float64(2) {
		t.Errorf("reset ack = %v", res)
	}
	for name, c := range map[string]*wsclient.Client{"Ada": ada, "Grace": grace} {
		tenant := map[string]string{"Ada": "red", "Grace": "blue"}[name]
		want := []string{
			"1/org-" + tenant + ",", // the tenant socket is closed by the server
			`2["tenant",{"nsp":"","ticket":""}]`,
			`2["rooms",{"rooms":[],"tenant":""}]`,
			`2["locked",false]`,
			`2["reset"]`,
		}
		for _, w := range want {
			if _, err := c.WaitFor(w, 5*time.Second); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
		if got, _ := c.ConnectNsp("/org-"+tenant, `{"name":"`+name+`","ticket":"`+tickets[name]+`"}`); !strings.HasPrefix(got, "4/org-"+tenant+",") {
			t.Errorf("%s back into /org-%s with the old ticket: %q, want refused", name, tenant, got)
		}
	}
	if info := f.ctl("info", nil); info["rooms"] != float64(0) || info["locked"] != false || info["tenants"] != nil {
		t.Errorf("info after reset = %v", info)
	}
	f.cl.mu.Lock()
	for _, st := range f.cl.students {
		if st.room != "" || st.tenant != "" || st.tenantSock != nil {
			t.Errorf("%s after reset: room %q tenant %q tenant socket %v", st.name, st.room, st.tenant, st.tenantSock != nil)
		}
	}
	f.cl.mu.Unlock()
	// Back in the main room: a student's message reaches everyone again.
	if ack := f.control(ada, "/", "say", map[string]any{"text": "all together"}); ack["call"] != `io.emit("msg", …)` {
		t.Errorf("say after reset: %v", ack)
	}
	if _, err := grace.WaitFor(`2["msg",{"from":"Ada","text":"all together"`, 5*time.Second); err != nil {
		t.Error(err)
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
			if _, err := wsclient.Dial(f.srv, f.cl.SocketPath(), nil); err == nil || !strings.Contains(err.Error(), "429") {
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
		{"a device admitted before gets back in while the address is blocked", func(t *testing.T, f *classFixture) {
			hs := f.srv + f.cl.SocketPath() + "?EIO=4&transport=polling"
			resp, err := http.Get(hs) // admitted: the answer carries the class's member cookie
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			var member *http.Cookie
			for _, c := range resp.Cookies() {
				if c.Name == MemberCookie(f.cl.Code()) {
					member = c
				}
			}
			if member == nil || !member.HttpOnly || member.SameSite != http.SameSiteLaxMode || member.Path != "/" || len(member.Value) < 22 {
				t.Fatalf("member cookie = %+v, want HttpOnly, SameSite=Lax, Path=/, 128 bits", member)
			}
			f.spendCodes(burst)
			tests := []struct {
				name, url, cookie string
				status            int
			}{
				{"with the cookie", hs, MemberCookie(f.cl.Code()) + "=" + member.Value, 200},
				{"without it", hs, "", 429},
				{"with a made-up value", hs, MemberCookie(f.cl.Code()) + "=" + newTicket(), 429},
				{"with the cookie under another code", f.srv + "/class/ZZZZZZ/socket.io/?EIO=4&transport=polling", MemberCookie("ZZZZZZ") + "=" + member.Value, 429},
			}
			for _, tt := range tests {
				req, _ := http.NewRequest("GET", tt.url, nil)
				if tt.cookie != "" {
					req.Header.Set("Cookie", tt.cookie)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != tt.status {
					t.Errorf("new handshake %s while blocked: %d, want %d", tt.name, resp.StatusCode, tt.status)
				}
			}
			// A WebSocket-only client (no polling first) with the cookie gets in too.
			d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
			ws, _, err := d.Dial("ws"+strings.TrimPrefix(f.srv, "http")+f.cl.SocketPath()+"?EIO=4&transport=websocket",
				http.Header{"Cookie": {MemberCookie(f.cl.Code()) + "=" + member.Value}})
			if err != nil {
				t.Fatalf("WebSocket handshake with the cookie while blocked: %v", err)
			}
			ws.Close()
		}},
		{"a wrong code in the CONNECT auth spends nothing", func(t *testing.T, f *classFixture) {
			c := f.dial()
			for range 3 * burst {
				if got, _ := c.ConnectNsp("/", `{"name":"Mallory","code":"ZZZZZZ"}`); !strings.Contains(got, "wrong class code") {
					t.Fatalf("got %q", got)
				}
			}
			f.student("Ada") // a new handshake from the same address still gets in
		}},
		{"wrong instructor keys have their own budget", func(t *testing.T, f *classFixture) {
			c := f.dial()
			var last string
			for range burst + 2 {
				last, _ = c.ConnectNsp("/instructor", `{"token":"guess"}`)
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
			cs := make([]*wsclient.Client, n)
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
				if _, err := c.WaitFor(`2["msg",{"from":"Instructor","text":"still together"`, 5*time.Second); err != nil {
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
			tt.run(t, newClassFixture(t, Options{FailBurst: burst, FailEvery: time.Hour}))
		})
	}
}

// TestClassExpiry: a class ends after the idle timeout with nobody connected, and only then: a
// class whose students stay connected for longer than the timeout lives on, and once everyone
// has left it ends one idle timeout later. In a synctest bubble (fake time; the real sweeper and
// Engine.IO timers) with the server on in-memory pipes.
func TestClassExpiry(t *testing.T) {
	const idle = 10 * time.Minute
	tests := []struct {
		name     string
		students int
		stay     time.Duration // how long they stay connected
	}{
		{"nobody ever joined", 0, 0},
		{"everyone joined, everyone left, then idle", 3, 25 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				reg := playground.NewRegistry(playground.Options{IdleTimeout: idle})
				cr := New(reg, Options{})
				ln := newPipeListener()
				mux := http.NewServeMux()
				mux.Handle("/class/{code}/socket.io/", cr.SocketHandler())
				hs := &http.Server{Handler: mux}
				go hs.Serve(ln)
				defer func() {
					reg.Close()
					hs.Close()
					time.Sleep(time.Second) // let net/http's lingering close pass on the fake clock
				}()
				dialer := &websocket.Dialer{NetDialContext: ln.DialContext, HandshakeTimeout: 5 * time.Second}
				const srv = "http://127.0.0.1:3000"
				cl, _, err := cr.Create("")
				if err != nil {
					t.Fatal(err)
				}
				alive := func(when string, want bool) {
					t.Helper()
					synctest.Wait() // the sweeper has done what it had to do by now
					if got := cr.Lookup(cl.Code()) != nil; got != want {
						t.Fatalf("%s: class live = %v, want %v", when, got, want)
					}
				}

				var cs []*wsclient.Client
				for i := range tt.students {
					c, err := wsclient.DialWith(dialer, srv, cl.SocketPath(), nil)
					if err != nil {
						t.Fatal(err)
					}
					if got, _ := c.ConnectNsp("/", fmt.Sprintf(`{"name":"Student %d","code":%q}`, i, cl.Code())); !strings.HasPrefix(got, "0{") {
						t.Fatalf("student %d: %q", i, got)
					}
					cs = append(cs, c)
				}
				time.Sleep(tt.stay) // the clients answer every ping meanwhile
				if tt.students > 0 {
					alive(fmt.Sprintf("%v with %d students connected", tt.stay, tt.students), true)
					if got := cl.Students(); got != tt.students {
						t.Fatalf("%d students still connected, want %d", got, tt.students)
					}
				}
				for _, c := range cs {
					c.Close()
				}
				synctest.Wait()
				if got := cl.Students(); got != 0 {
					t.Fatalf("%d students after everyone left", got)
				}
				// Sweeps run every playground.SweepEvery, so the class goes between idle and idle+playground.SweepEvery
				// after the last one left.
				time.Sleep(idle - playground.SweepEvery)
				alive("idle for less than the timeout", true)
				time.Sleep(2 * playground.SweepEvery)
				alive("idle for longer than the timeout", false)
				if reg.Len() != 0 || cr.Len() != 0 {
					t.Errorf("after expiry: %d instances, %d classes; want 0", reg.Len(), cr.Len())
				}
				if _, err := wsclient.DialWith(dialer, srv, cl.SocketPath(), nil); err == nil || !strings.Contains(err.Error(), "404") {
					t.Errorf("joining the expired class: %v, want HTTP 404", err)
				}
			})
		})
	}
}

// TestClassTenants: a student moved into a tenant namespace enters it with the ticket only.
func TestClassTenants(t *testing.T) {
	f, ada, adaID, grace, _ := newClassWithTwo(t)
	f.ctl("tenants", map[string]any{"names": []string{"red", "blue"}})
	res := f.ctl("moveTenant", map[string]any{"student": adaID, "tenant": "red"})
	if !strings.Contains(res["call"].(string), `"/org-red"`) {
		t.Errorf("moveTenant call = %v", res["call"])
	}
	p, err := ada.WaitFor(`2["tenant"`, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var tn struct{ Nsp, Ticket string }
	json.Unmarshal([]byte(strings.TrimSuffix(strings.TrimPrefix(p, `2["tenant",`), "]")), &tn)
	// Grace tries Ada's namespace with a made-up ticket and with her own name.
	if got, _ := grace.ConnectNsp("/org-red", `{"name":"Grace","code":"`+f.cl.Code()+`","ticket":"x"}`); !strings.HasPrefix(got, "4/org-red,") {
		t.Errorf("Grace into /org-red: %q", got)
	}
	if got, _ := ada.ConnectNsp("/org-red", `{"name":"Ada","code":"`+f.cl.Code()+`","ticket":"`+tn.Ticket+`"}`); !strings.HasPrefix(got, "0/org-red,{") {
		t.Fatalf("Ada into /org-red: %q", got)
	}
	res = f.ctl("emit", map[string]any{"to": "tenant", "tenant": "red", "text": "red only"})
	if res["recipients"] != float64(1) {
		t.Errorf("emit to tenant: %v", res)
	}
	if _, err := ada.WaitFor(`2/org-red,["msg"`, 5*time.Second); err != nil {
		t.Error(err)
	}
	if got := msgs(grace, 200*time.Millisecond); len(got) != 0 {
		t.Errorf("Grace got %q", got)
	}
}

// TestClassOpenRooms: the instructor opens empty breakout rooms and moves students in one by one
// (what drag and drop does); shrinking the rooms sends the students of the closed ones back.
func TestClassOpenRooms(t *testing.T) {
	f, ada, adaID, grace, _ := newClassWithTwo(t)
	for _, n := range []int{0, maxBreakoutRooms + 1} {
		args := map[string]any{"token": f.tok, "rooms": n}
		if res := f.control(f.inst, "/instructor", "openRooms", args); res["error"] == nil {
			t.Errorf("openRooms %d: ack %v, want an error", n, res)
		}
	}
	res := f.ctl("openRooms", map[string]any{"rooms": 3})
	if res["recipients"] != float64(0) || !strings.Contains(res["call"].(string), "socketsJoin") {
		t.Errorf("openRooms ack = %v", res)
	}
	if info := f.ctl("info", nil); info["rooms"] != float64(3) {
		t.Errorf("rooms = %v, want 3", info["rooms"])
	}
	if got := drain(ada, 200*time.Millisecond); len(got) != 0 {
		t.Errorf("opening empty rooms moved Ada: %q", got)
	}
	f.ctl("move", map[string]any{"student": adaID, "room": "room-3"})
	if _, err := ada.WaitFor(`2["rooms",{"rooms":["room-3"]`, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if res := f.ctl("emit", map[string]any{"to": "room", "room": "room-3", "text": "three"}); res["recipients"] != float64(1) {
		t.Errorf("emit to room-3: %v", res)
	}
	if got := msgs(ada, 200*time.Millisecond); strings.Join(got, "|") != "three" {
		t.Errorf("Ada got %q, want [three]", got)
	}
	if got := msgs(grace, 100*time.Millisecond); len(got) != 0 {
		t.Errorf("Grace (main room) got %q", got)
	}
	res = f.ctl("openRooms", map[string]any{"rooms": 2})
	if res["recipients"] != float64(1) {
		t.Errorf("shrinking to 2 rooms: %v, want Ada sent back", res)
	}
	if _, err := ada.WaitFor(`2["rooms",{"rooms":[]`, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	args := map[string]any{"token": f.tok, "to": "room", "room": "room-3", "text": "x"}
	if res := f.control(f.inst, "/instructor", "emit", args); res["error"] == nil {
		t.Errorf("emit to a closed room: %v, want an error", res)
	}
}

// TestClassHubHasOneEntrance: a class's hub answers Engine.IO only at its class path, behind the
// class's admission (member cookie, wrong-code budget). Its instance id (in the instructor's tap
// URL) opens no way around that: /play/ID/socket.io/ answers like an unknown instance. The tap
// itself stays served (a capability URL given to the instructor only).
func TestClassHubHasOneEntrance(t *testing.T) {
	f := newClassFixture(t, Options{})
	get := func(t *testing.T, path string) (int, string) {
		t.Helper()
		resp, err := http.Get(f.srv + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	_, unknown := get(t, "/play/no-such-instance/socket.io/?EIO=4&transport=polling")
	id := f.cl.in.ID()
	tests := []struct {
		name, path string
		status     int
		body       string // prefix
	}{
		{"polling handshake at the class path", f.cl.SocketPath() + "?EIO=4&transport=polling", http.StatusOK, "0{"},
		{"polling handshake at the instance's /play/ path", "/play/" + id + "/socket.io/?EIO=4&transport=polling", http.StatusNotFound, unknown},
		{"websocket at the instance's /play/ path", "/play/" + id + "/socket.io/?EIO=4&transport=websocket", http.StatusNotFound, unknown},
		{"a class session's sid at the instance's /play/ path", "/play/" + id + "/socket.io/?EIO=4&transport=polling&sid=x", http.StatusNotFound, unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := get(t, tt.path)
			if status != tt.status || !strings.HasPrefix(body, tt.body) {
				t.Errorf("GET %s = %d %q, want %d %q…", tt.path, status, body, tt.status, tt.body)
			}
			var open struct{ Sid string }
			if json.Unmarshal([]byte(strings.TrimPrefix(body, "0")), &open) == nil && open.Sid != "" {
				// Close the session (an Engine.IO close packet), as a leaving client does, so closing the
				// registry need not wait for its last poll.
				resp, err := http.Post(f.srv+f.cl.SocketPath()+"?EIO=4&transport=polling&sid="+open.Sid, "text/plain;charset=UTF-8", strings.NewReader("1"))
				if err != nil || resp.StatusCode != http.StatusOK {
					t.Errorf("closing the polling session: %v %v", resp, err)
				}
				resp.Body.Close()
				get(t, f.cl.SocketPath()+"?EIO=4&transport=polling&sid="+open.Sid) // its last poll: the hub forgets it
			}
		})
	}
	if !strings.Contains(unknown, `"code":1`) {
		t.Errorf("unknown instance answered %q, want the Engine.IO error shape", unknown)
	}

	t.Run("the tap stays served", func(t *testing.T) {
		resp := f.openTap(t)
		line, err := bufio.NewReader(resp.Body).ReadString('\n')
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(line, `data: {"type":"state"`) {
			t.Errorf("GET %s = %d, first line %q (%v); want 200 and the state", f.cl.TapPath(), resp.StatusCode, line, err)
		}
	})
}
