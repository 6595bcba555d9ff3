package playground

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// eventsUntil reads c's packets until the event named last arrives and returns the names of the
// events it received on the way (last included); the test fails after 5 s without a packet.
func eventsUntil(c *scenarioConn, last string) []string {
	c.t.Helper()
	var got []string
	for {
		p := c.next()
		if _, ev, ok := parseEvent(strings.TrimPrefix(p, "2"+c.nsp)); ok && strings.HasPrefix(p, "2") {
			got = append(got, ev)
			if ev == last {
				return got
			}
		}
	}
}

// connected dials a client on server and waits for its CONNECT reply.
func connected(t *testing.T, base, path, name, server string) *scenarioConn {
	t.Helper()
	c := dialScenario(t, base, path, scenarioClient{name: name, server: server}, "")
	if p := c.next(); !strings.HasPrefix(p, "0{") {
		t.Fatalf("%s on %s: %q, want a CONNECT reply", name, server, p)
	}
	return c
}

func switchAdapter(t *testing.T, base, id string, on bool) {
	t.Helper()
	body := `{"on":false}`
	if on {
		body = `{"on":true}`
	}
	resp, err := http.Post(base+"/play/"+id+"/adapter", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("adapter %s: %d", body, resp.StatusCode)
	}
}

// The cluster demo: with the adapter off a broadcast stays on its server; on, it reaches every
// server through the broker (the built-in stand-in), on the channel the tap's monitor names;
// io.local stays on its server either way; fetchSockets ("who") sees every server only with it.
func TestClusterDemo(t *testing.T) {
	reg, srv := newTestRegistry(t, Options{})
	status, in := create(t, srv.URL, "cluster", `{}`)
	if status != 201 {
		t.Fatalf("create: %d %s", status, in.Error)
	}
	tapResp, err := http.Get(srv.URL + in.Tap)
	if err != nil {
		t.Fatal(err)
	}
	defer tapResp.Body.Close()
	tap := bufio.NewScanner(tapResp.Body)
	tap.Buffer(make([]byte, 1<<20), 1<<20)

	emit := func(c *scenarioConn, id int, event, arg string) {
		c.write("42" + itoa(id) + `["` + event + `",` + arg + `]`)
	}
	for _, on := range []bool{false, true} {
		if on {
			switchAdapter(t, srv.URL, in.ID, true)
		}
		ada := connected(t, srv.URL, in.Path, "Ada", "A")
		grace := connected(t, srv.URL, in.Path, "Grace", "B")
		linus := connected(t, srv.URL, in.Path, "Linus", "A")
		// io.local.emit, then a broadcast to everyone: pub/sub keeps one publisher's order, so
		// Grace (on B) has the local emit before "hello" if it ever travels.
		emit(ada, 1, "local", `{"event":"only-A","args":[]}`)
		emit(ada, 2, "send", `{"event":"hello","args":["hi"],"scope":"all"}`)
		if got := eventsUntil(linus, "hello"); strings.Join(got, ",") != "only-A,hello" {
			t.Errorf("on=%v: Linus (A) received %v, want only-A then hello", on, got)
		}
		emit(ada, 3, "who", `null`)
		var ack string
		for ack == "" {
			if p := ada.next(); strings.HasPrefix(p, "33[") {
				ack = p[2:]
			}
		}
		want := `[[{"name":"Ada","server":"A"},{"name":"Linus","server":"A"}]]`
		if on {
			want = `[[{"name":"Ada","server":"A"},{"name":"Linus","server":"A"},{"name":"Grace","server":"B"}]]`
		}
		if ack != want {
			t.Errorf("on=%v: who acked %s, want %s", on, ack, want)
		}
		// Grace's own emit to herself is the fence: with the adapter off nothing can come
		// before it; with it on, hello must.
		emit(grace, 4, "send", `{"event":"fence","args":[],"scope":"self"}`)
		got := strings.Join(eventsUntil(grace, "fence"), ",")
		if want := map[bool]string{false: "fence", true: "hello,fence"}[on]; got != want {
			t.Errorf("on=%v: Grace (B) received %s, want %s", on, got, want)
		}
		for _, c := range []*scenarioConn{ada, grace, linus} {
			c.ws.Close()
			<-c.done
		}
	}
	// The monitor saw the broadcast on the adapter's channel, named by the broker.
	key := "demo-" + in.ID[:8] + ":socket.io"
	seen := map[string]bool{}
	for tap.Scan() && !(seen["broadcast "+key+"#/#"] && seen["request "+key+"-request#/#"]) {
		line, ok := strings.CutPrefix(tap.Text(), "data: ")
		if !ok {
			continue
		}
		var m struct{ Type, Kind, Channel, Request, Event string }
		json.Unmarshal([]byte(line), &m)
		if m.Type == "broker" {
			seen[m.Kind+" "+m.Channel] = true
			if m.Kind == "broadcast" && m.Event == "only-A" {
				t.Errorf("io.local.emit reached the broker: %s", line)
			}
		}
	}
	if !seen["broadcast "+key+"#/#"] || !seen["request "+key+"-request#/#"] {
		t.Errorf("the broker monitor saw %v", seen)
	}
	if reg.lookup(in.ID).SetAdapter(false) != nil {
		t.Error("switching off failed")
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }
