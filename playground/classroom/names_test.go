package classroom

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// Names are NFKC-normalised, written in one script, and compared by their lookalike key.
func TestValidateNameLookalikes(t *testing.T) {
	tests := []struct {
		name, in, clean string
		ok              bool
	}{
		{"full-width letters are NFKC-folded", "Ａｄａ", "Ada", true},
		{"full-width reserved name", "Ｉｎｓｔｒｕｃｔｏｒ", "", false},
		{"Cyrillic о inside a Latin name", "Instructоr", "", false},
		{"Cyrillic а inside Ada", "Аda", "", false},
		{"Greek ο inside a Latin name", "Grοce", "", false},
		{"all-Cyrillic name", "Мария", "Мария", true},
		{"Japanese mixes Han and kana", "山田はなこ", "山田はなこ", true},
		{"Korean", "김민준", "김민준", true},
		{"decomposed diaeresis composes", "Zoe\u0308", "Zoë", true},
		{"ligature", "ﬁona", "fiona", true},
		{"capital I for l in a reserved name", "lnstructor", "", false},
		{"zero for o in a reserved name", "Instruct0r", "", false},
		{"rn for m", "Teacher", "", false},
		{"invalid UTF-8", "Ada\xff", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clean, _, err := ValidateName(tt.in)
			if (err == nil) != tt.ok || clean != tt.clean {
				t.Errorf("ValidateName(%q) = %q, %v; want %q, ok=%v", tt.in, clean, err, tt.clean, tt.ok)
			}
		})
	}
}

// Two names a classmate cannot tell apart have one key: the second is "taken".
func TestLookalikeKey(t *testing.T) {
	same := [][2]string{
		{"Pepe", "Рере"}, // Latin and all-Cyrillic
		{"Iris", "lris"},
		{"Ada", "ADA"},
		{"Marn", "Mam"},
		{"Tom0", "Tomo"},
		{"Ａｌｅｘ", "Alex"},
	}
	for _, p := range same {
		_, a, errA := ValidateName(p[0])
		_, b, errB := ValidateName(p[1])
		if errA != nil || errB != nil || a != b {
			t.Errorf("%q → %q (%v), %q → %q (%v); want one key", p[0], a, errA, p[1], b, errB)
		}
	}
	_, a, _ := ValidateName("Ada")
	_, b, _ := ValidateName("Eve")
	if a == b {
		t.Errorf("Ada and Eve share the key %q", a)
	}
}

func TestNameHolds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var h nameHolds
		h.hold("ada", "claim-of-ada-123456", "", 10)
		h.hold("eve", "", "", 10) // no claim: nobody to hold it for
		tests := []struct {
			key, claim string
			taken      bool
		}{
			{"ada", "", true},
			{"ada", "someone-else-123456", true},
			{"ada", "claim-of-ada-123456", false},
			{"eve", "", false},
			{"eve", "claim-of-eve-123456", false},
			{"grace", "", false},
		}
		for _, tt := range tests {
			if got := h.takenFrom(tt.key, tt.claim); got != tt.taken {
				t.Errorf("at once: takenFrom(%q, %q) = %v, want %v", tt.key, tt.claim, got, tt.taken)
			}
		}
		time.Sleep(nameHold - time.Millisecond)
		if !h.takenFrom("ada", "") {
			t.Error("the hold ended before nameHold")
		}
		time.Sleep(time.Millisecond)
		if h.takenFrom("ada", "") {
			t.Error("a hold outlived nameHold")
		}
		if len(h.m) != 0 {
			t.Errorf("%d expired holds kept", len(h.m))
		}

		// Bounded: when full, only expired holds make room.
		h.hold("a", "claim-a-0123456789", "", 2)
		h.hold("b", "claim-b-0123456789", "", 2)
		h.hold("c", "claim-c-0123456789", "", 2)
		if h.takenFrom("c", "") || len(h.m) != 2 {
			t.Errorf("a third hold over the bound of 2 was kept (%d held)", len(h.m))
		}
		time.Sleep(nameHold)
		h.hold("c", "claim-c-0123456789", "", 2)
		if !h.takenFrom("c", "") {
			t.Error("no room made from expired holds")
		}
	})
}

// joinAs connects a student with a claim and returns the CONNECT reply (0… or 4…).
func (f *classFixture) joinAs(name, claim string) string {
	f.t.Helper()
	c := f.dial()
	got, err := c.ConnectNsp("/", fmt.Sprintf(`{"name":%q,"code":%q,"claim":%q}`, name, f.cl.Code(), claim))
	if err != nil {
		f.t.Fatal(err)
	}
	return got
}

// A dropped student's name is kept for the device that had it; leaving on purpose frees it.
func TestNameHeldForDroppedStudent(t *testing.T) {
	f := newClassFixture(t, Options{})
	const adaClaim = "0123456789abcdef0123"
	ada := f.dial()
	if got, err := ada.ConnectNsp("/", `{"name":"Ada","code":"`+f.cl.Code()+`","claim":"`+adaClaim+`"}`); err != nil || !strings.HasPrefix(got, "0{") {
		t.Fatalf("Ada: %q %v", got, err)
	}
	dropped := make(chan string, 1)
	f.cl.mu.Lock()
	for _, st := range f.cl.students {
		st.s.OnDisconnect(func(r string) { dropped <- r }) // after the class's own handler
	}
	f.cl.mu.Unlock()
	ada.Close() // the connection drops: no DISCONNECT packet
	if r := <-dropped; r != "transport close" {
		t.Fatalf("Ada left with %q, want transport close", r)
	}
	for _, claim := range []string{"", "ffffffffffffffffffff", "short"} {
		if got := f.joinAs("ada", claim); !strings.Contains(got, errNameHeld.Error()) {
			t.Errorf("another device (claim %q) as ada: %q, want %q", claim, got, errNameHeld)
		}
	}
	if got := f.joinAs("Ada", adaClaim); !strings.HasPrefix(got, "0{") {
		t.Fatalf("Ada back with her claim: %q, want connected", got)
	}

	// Leaving on purpose frees the name at once.
	f.cl.mu.Lock()
	for _, st := range f.cl.students {
		st.s.OnDisconnect(func(r string) { dropped <- r })
	}
	f.cl.mu.Unlock()
	f.cl.mu.Lock()
	var s = f.cl.students[f.cl.byName["ada"]].s
	f.cl.mu.Unlock()
	s.Disconnect(false) // as "server namespace disconnect": a kick or refusal frees it too
	<-dropped
	if got := f.joinAs("Ada", "another-device-123456"); !strings.HasPrefix(got, "0{") {
		t.Errorf("after a deliberate leave: %q, want connected", got)
	}
}

func TestSitePath(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"/lessons/rooms", true},
		{"/lessons/rooms#join", true},
		{"/", true},
		{"/lessons/acks.v2#step-1", true},
		{"//evil.example/x", false},
		{"///evil.example", false},
		{"/\\evil.example", false},
		{"\\\\evil.example", false},
		{"https://evil.example/", false},
		{"https:evil.example", false},
		{"javascript:alert(1)", false},
		{"lessons/rooms", false},
		{"/lessons//evil", false},
		{"/..//evil.example", false},
		{"/lessons/../x", false},
		{"/./x", false},
		{"/%2F%2Fevil.example", false},
		{"/lessons?x=//evil", false},
		{"/lessons/rooms\n", false},
		{" /lessons", false},
		{"/" + strings.Repeat("a", 300), false},
		{"", false},
	}
	for _, tt := range tests {
		if got := sitePath(tt.url); got != tt.ok {
			t.Errorf("sitePath(%q) = %v, want %v", tt.url, got, tt.ok)
		}
	}
	// The control refuses them before any student sees them.
	f := newClassFixture(t, Options{})
	f.instructor()
	res := f.control(f.inst, "/instructor", "follow", map[string]any{"token": f.tok, "url": "//evil.example/x"})
	if res["error"] == nil {
		t.Errorf("follow //evil.example/x: ack %v, want an error", res)
	}
}

// The class's tap (the instructor's event stream) shows control events without the key.
func TestTapNeverCarriesTheKey(t *testing.T) {
	f := newClassFixture(t, Options{})
	resp := f.openTap(t)
	ctx := resp.Request.Context()
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	f.instructor()
	f.ctl("lock", map[string]any{"locked": true})
	for line := range lines {
		if strings.Contains(line, f.tok) {
			t.Fatalf("the tap carries the key: %s", line)
		}
		if strings.Contains(line, `"kind":"event_in"`) && strings.Contains(line, `"event":"lock"`) {
			if !strings.Contains(line, `"token":"[hidden]"`) {
				t.Errorf("event_in for lock: %s, want the token shown as hidden", line)
			}
			return
		}
	}
	t.Fatal("the tap ended before it showed the lock control")
}

// openTap GETs the class's tap for at most 10 s; the test's cleanup closes it.
func (f *classFixture) openTap(t *testing.T) *http.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.srv+f.cl.TapPath(), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// A student who reloads (the connection drops, the same device is back within the hold) is put
// back into their breakout room, and the page is told where it is; another device is not.
func TestReloadKeepsRoom(t *testing.T) {
	f := newClassFixture(t, Options{})
	f.instructor()
	ada, adaID := f.student("Ada")
	f.ctl("breakout", map[string]any{"rooms": 2})
	f.ctl("move", map[string]any{"student": adaID, "room": "room-2"})
	if _, err := ada.WaitFor(`2["rooms",{"rooms":["room-2"]`, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	dropped := make(chan string, 1)
	f.cl.mu.Lock()
	f.cl.students[adaID].s.OnDisconnect(func(r string) { dropped <- r }) // after the class's own handler
	f.cl.mu.Unlock()
	ada.Close() // a reload: the connection drops, no DISCONNECT packet
	<-dropped

	back := f.dial() // the page again, from the same device (the same claim)
	got, err := back.ConnectNsp("/", fmt.Sprintf(`{"name":"Ada","code":%q,"claim":%q}`, f.cl.Code(), testClaim("Ada")))
	if err != nil || !strings.HasPrefix(got, "0{") {
		t.Fatalf("Ada back: %q %v", got, err)
	}
	var sid struct{ Sid string }
	json.Unmarshal([]byte(got[1:]), &sid)
	welcome, err := back.WaitFor(`2["welcome"`, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(welcome, `"rejoined":true`) || !strings.Contains(welcome, `"rooms":["room-2"]`) {
		t.Errorf("welcome after a reload: %s, want rejoined in room-2", welcome)
	}
	f.cl.mu.Lock()
	room := f.cl.students[sid.Sid].room
	f.cl.mu.Unlock()
	if room != "room-2" {
		t.Errorf("Ada back after a reload is in %q, want room-2", room)
	}
	// She gets what is said in room-2.
	f.ctl("emit", map[string]any{"to": "room", "room": "room-2", "text": "room two only"})
	if got := msgs(back, time.Second); !slices.Contains(got, "room two only") {
		t.Errorf("Ada back in room-2 got %q, want the room's message", got)
	}

	// Another device under her name, after she leaves again, does not get her room.
	f.cl.mu.Lock()
	f.cl.students[sid.Sid].s.OnDisconnect(func(r string) { dropped <- r })
	f.cl.mu.Unlock()
	back.Close()
	<-dropped
	if got := f.joinAs("Ada", "another-device-123456"); strings.HasPrefix(got, "0{") {
		t.Errorf("another device took Ada's held name: %q", got)
	}
}
