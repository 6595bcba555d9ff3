package classroom

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

	"socketlab/playground"
	"socketlab/playground/wsclient"
)

// server is one run of the server on a state file: a registry, its classroom, their HTTP side.
type server struct {
	t   *testing.T
	reg *playground.Registry
	cr  *Classroom
	url string
	off func()
}

func startServer(t *testing.T, path string) *server {
	t.Helper()
	st, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	reg := playground.NewRegistry(playground.Options{})
	cr := New(reg, Options{Store: st})
	srv := newClassServer(reg, cr)
	s := &server{t: t, reg: reg, cr: cr, url: srv.URL}
	s.off = func() { cr.Close(); reg.Close(); srv.Close() } // the order web.App.Close uses
	t.Cleanup(func() { s.stop() })
	return s
}

func (s *server) stop() {
	if s.off != nil {
		s.off()
		s.off = nil
	}
}

// fixture is a fixture on the class with code of this server, whose key is tok.
func (s *server) fixture(code, tok string) *classFixture {
	s.t.Helper()
	cl := s.cr.Lookup(code)
	if cl == nil {
		s.t.Fatalf("no class %s on this server", code)
	}
	return &classFixture{t: s.t, reg: s.reg, cr: s.cr, srv: s.url, cl: cl, tok: tok}
}

// savedCodes reads the state file (closed) and returns the codes it holds.
func savedCodes(t *testing.T, path string) []string {
	t.Helper()
	st, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	return savedCodes2(t, st)
}

// TestClassSurvivesRestart: a class with students in breakout rooms, a ban, a lock and a follow
// link; the server stops and a new one starts on the same state file. The code, the presenter
// key, the member cookie, the rooms and the roster are back; each student who reconnects under
// their name lands in their room and is told so; the banned name stays out; the file holds no
// presenter key; ending the class deletes it from the file.
func TestClassSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "classes.db")
	one := startServer(t, path)
	cl, tok, err := one.cr.Create("rooms")
	if err != nil {
		t.Fatal(err)
	}
	code, member := cl.Code(), cl.member
	f := one.fixture(code, tok)
	f.instructor()
	ids := map[string]string{}
	for _, n := range []string{"Ada", "Grace", "Linus", "Mallory"} {
		_, ids[n] = f.student(n)
	}
	f.ctl("openRooms", map[string]any{"rooms": 2})
	f.ctl("move", map[string]any{"student": ids["Ada"], "room": "room-1"})
	f.ctl("move", map[string]any{"student": ids["Grace"], "room": "room-2"})
	f.ctl("kick", map[string]any{"student": ids["Mallory"]})
	f.ctl("lock", map[string]any{"locked": true})
	f.ctl("follow", map[string]any{"url": "/lessons/rooms#breakout", "title": "Breakout"})
	wantRoster := map[string]string{"Ada": "room-1", "Grace": "room-2", "Linus": ""}
	if d := cmp.Diff(wantRoster, cl.Roster()); d != "" {
		t.Fatalf("roster before the restart (-want +got):\n%s", d)
	}
	one.stop()

	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), tok) {
		t.Error("the state file holds the presenter key")
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v, want 0600 (it holds the member tokens)", fi.Mode().Perm())
	}

	two := startServer(t, path)
	cl2 := two.cr.Lookup(code)
	if cl2 == nil {
		t.Fatalf("class %s is gone after the restart", code)
	}
	if !cl2.Authorized(tok) || cl2.Authorized(tok+"x") {
		t.Error("the presenter key is not the class's key after the restart")
	}
	if cl2.member != member {
		t.Error("the member cookie changed: admitted devices would be counted against the code budget")
	}
	if cl2.Lesson() != "rooms" || cl2.Rooms() != 2 {
		t.Errorf("after the restart: lesson %q, %d rooms; want rooms, 2", cl2.Lesson(), cl2.Rooms())
	}
	if d := cmp.Diff(wantRoster, cl2.Roster()); d != "" {
		t.Errorf("roster after the restart (-want +got):\n%s", d)
	}

	f2 := two.fixture(code, tok)
	f2.instructor() // the projector page reconnects with its key
	info := f2.ctl("info", nil)
	if info["locked"] != true || info["rooms"] != float64(2) || fmt.Sprint(info["banned"]) != "[mallory]" ||
		fmt.Sprint(info["follow"]) != "map[title:Breakout url:/lessons/rooms#breakout]" {
		t.Errorf("info after the restart: %v", info)
	}
	// Each device reconnects under its name: welcomed back, in its room.
	back := map[string]*wsclient.Client{}
	for _, n := range []string{"Ada", "Grace", "Linus"} {
		c := f2.dial()
		if got, err := c.ConnectNsp("/", fmt.Sprintf(`{"name":%q,"code":%q}`, n, code)); err != nil || !strings.HasPrefix(got, "0{") {
			t.Fatalf("%s reconnecting: %q, %v", n, got, err)
		}
		w, err := c.WaitFor(`2["welcome"`, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var welcome []struct {
			Back   bool     `json:"back"`
			Rooms  []string `json:"rooms"`
			Locked bool     `json:"locked"`
		}
		if err := json.Unmarshal([]byte("["+strings.TrimSuffix(strings.TrimPrefix(w, `2["welcome",`), "]")+"]"), &welcome); err != nil || len(welcome) != 1 {
			t.Fatalf("%s: welcome %q: %v", n, w, err)
		}
		var wantRooms []string
		if r := wantRoster[n]; r != "" {
			wantRooms = []string{r}
		}
		if !welcome[0].Back || !welcome[0].Locked || !slices.Equal(welcome[0].Rooms, wantRooms) {
			t.Errorf("%s's welcome after the restart = %s, want back, locked, rooms %v", n, w, wantRooms)
		}
		back[n] = c
	}
	if d := cmp.Diff(wantRoster, cl2.Roster()); d != "" {
		t.Errorf("roster once everyone is back (-want +got):\n%s", d)
	}
	// The rooms are real rooms of the new hub: a room-1 message reaches Ada only.
	f2.ctl("emit", map[string]any{"to": "room", "room": "room-1", "text": "room one"})
	f2.ctl("emit", map[string]any{"to": "all", "text": "barrier"})
	for n, c := range back {
		got := msgsUntil(t, c, "barrier")
		if want := n == "Ada"; slices.Contains(got, "room one") != want {
			t.Errorf("%s (in %q) got the room-1 message: %v, want %v", n, wantRoster[n], !want, want)
		}
	}
	// The ban survived.
	c := f2.dial()
	if got, _ := c.ConnectNsp("/", fmt.Sprintf(`{"name":"Mallory","code":%q}`, code)); !strings.Contains(got, "removed by the instructor") {
		t.Errorf("Mallory after the restart: %q, want refused", got)
	}

	// Ended: deleted from the file.
	cl2.End()
	two.stop()
	two.cr.Close() // a second Close does nothing
	if got := savedCodes(t, path); len(got) != 0 {
		t.Errorf("saved classes after the class ended: %v, want none", got)
	}
}

// TestClassStoreExpiry: a restored class nobody comes back to is swept like any idle class, and
// deleted from the file; a saved class older than StaleAfter is not restored at all.
func TestClassStoreExpiry(t *testing.T) {
	t.Run("swept when idle", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "classes.db")
		synctest.Test(t, func(t *testing.T) {
			st, err := OpenStore(path)
			if err != nil {
				t.Fatal(err)
			}
			reg := playground.NewRegistry(playground.Options{IdleTimeout: time.Minute})
			cr := New(reg, Options{Store: st})
			defer func() { cr.Close(); reg.Close() }()
			cl, _, err := cr.Create("")
			if err != nil {
				t.Fatal(err)
			}
			synctest.Wait()
			if got := savedCodes2(t, st); !slices.Equal(got, []string{cl.Code()}) {
				t.Fatalf("saved %v, want [%s]", got, cl.Code())
			}
			time.Sleep(time.Minute + 2*playground.SweepEvery)
			synctest.Wait()
			if cr.Lookup(cl.Code()) != nil {
				t.Fatal("the idle class is still live")
			}
			if got := savedCodes2(t, st); len(got) != 0 {
				t.Errorf("saved %v after the class was swept, want none", got)
			}
		})
	})
	t.Run("stale at start", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "classes.db")
		one := startServer(t, path)
		cl, _, err := one.cr.Create("")
		if err != nil {
			t.Fatal(err)
		}
		one.stop()
		st, err := OpenStore(path)
		if err != nil {
			t.Fatal(err)
		}
		recs, _, _ := st.load()
		recs[0].Saved = time.Now().Add(-StaleAfter - time.Minute)
		if err := st.write(recs, nil); err != nil {
			t.Fatal(err)
		}
		st.Close()
		two := startServer(t, path)
		if two.cr.Lookup(cl.Code()) != nil {
			t.Error("a class saved longer ago than StaleAfter came back")
		}
		two.stop()
		if got := savedCodes(t, path); len(got) != 0 {
			t.Errorf("saved %v, want the stale class deleted", got)
		}
	})
}

// msgsUntil returns the "msg" texts c receives up to and including until (per-connection order
// makes it a barrier).
func msgsUntil(t *testing.T, c *wsclient.Client, until string) []string {
	t.Helper()
	var got []string
	for !slices.Contains(got, until) {
		p, err := c.Next(5 * time.Second)
		if err != nil {
			t.Fatalf("waiting for %q: %v (got %v)", until, err, got)
		}
		if rest, ok := strings.CutPrefix(p, `2["msg",`); ok {
			var m struct{ Text string }
			json.Unmarshal([]byte(strings.TrimSuffix(rest, "]")), &m)
			got = append(got, m.Text)
		}
	}
	return got
}

// savedCodes2 reads the codes of an open store.
func savedCodes2(t *testing.T, st *Store) []string {
	t.Helper()
	recs, bad, err := st.load()
	if err != nil || len(bad) > 0 {
		t.Fatalf("load: %v %v", err, bad)
	}
	var codes []string
	for _, r := range recs {
		codes = append(codes, r.Code)
	}
	return codes
}

// TestClassStoreBadFile: a state file that is not a store, or one in use by another server, is a
// precise error naming the file (web then serves with classes in memory only); a record that does
// not validate is reported, skipped and left in the file, and the others are restored.
func TestClassStoreBadFile(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	os.WriteFile(garbage, []byte(strings.Repeat("not a bbolt file\n", 1000)), 0o600)
	if _, err := OpenStore(garbage); err == nil || !strings.Contains(err.Error(), garbage) || !strings.Contains(err.Error(), "move the file away") {
		t.Errorf("OpenStore(garbage) = %v, want an error naming the file", err)
	}
	busy := filepath.Join(dir, "busy.db")
	st, err := OpenStore(busy)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenStore(busy); err == nil || !strings.Contains(err.Error(), "in use by another socketlab server") {
		t.Errorf("OpenStore(busy) = %v, want in use", err)
	}
	st.Close()

	path := filepath.Join(dir, "mixed.db")
	one := startServer(t, path)
	good, _, _ := one.cr.Create("")
	one.stop()
	bad := map[string]string{
		"22222A": `{"v":1,"code":"22222A","keyHash":"AAAA","member":"xxxxxxxxxxxxxxxxxxxxxx","saved":"2099-01-01T00:00:00Z"}`,
		"22222B": `not json`,
		"22222C": `{"v":1,"code":"22222C","keyHash":"` + strings.Repeat("A", 43) + `=","member":"xxxxxxxxxxxxxxxxxxxxxx","saved":"2099-01-01T00:00:00Z","roster":[{"name":"<script>"}]}`,
	}
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error {
		for k, v := range bad {
			tx.Bucket([]byte(storeBucket)).Put([]byte(k), []byte(v))
		}
		return nil
	})
	db.Close()
	st, err = OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, errs, err := st.load()
	st.Close()
	if err != nil || len(recs) != 1 || recs[0].Code != good.Code() || len(errs) != len(bad) {
		t.Fatalf("load = %d records, %v, %v; want 1 and %d errors", len(recs), errs, err, len(bad))
	}
	two := startServer(t, path)
	if two.cr.Lookup(good.Code()) == nil || two.cr.Len() != 1 {
		t.Errorf("restored %d classes, want the good one", two.cr.Len())
	}
	two.stop()
	db, _ = bolt.Open(path, 0o600, nil)
	defer db.Close()
	left := map[string]bool{}
	db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(storeBucket)).ForEach(func(k, _ []byte) error { left[string(k)] = true; return nil })
	})
	if want := append(slices.Collect(maps.Keys(bad)), good.Code()); len(left) != len(want) {
		t.Errorf("left in the file: %v, want %v (nothing lost)", left, want)
	}
}

func TestStatePath(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"XDG_STATE_HOME": "/x/state", "HOME": "/home/ada"}, "/x/state/socketlab/classes.db"},
		{map[string]string{"XDG_STATE_HOME": "relative", "HOME": "/home/ada"}, "/home/ada/.local/state/socketlab/classes.db"},
		{map[string]string{"HOME": "/home/ada"}, "/home/ada/.local/state/socketlab/classes.db"},
		{map[string]string{}, ""},
	}
	for _, tt := range tests {
		if got := StatePath(func(k string) string { return tt.env[k] }); got != tt.want {
			t.Errorf("StatePath(%v) = %q, want %q", tt.env, got, tt.want)
		}
	}
}
