package classroom

import (
	"socketlab/playground"
	"socketlab/playground/wsclient"

	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkClass drives a class of 300 real Socket.IO clients over loopback (issue 7 §5), all
// from 127.0.0.1 like a class behind one NAT: join, breakout into 10 rooms, 10 broadcasts/s to
// everyone, then per-room chatter (every student says something once a second to their room).
// It reports delivery latency p50/p99 (send → receipt, same clock) and lost messages.
//
//	go test -run=NONE -bench=Class -benchtime=1x ./playground/classroom
func BenchmarkClass(b *testing.B) {
	const (
		students   = 300
		rooms      = 10
		broadcasts = 30 // at 10/s
		chatSecs   = 3  // each student says one message per second to their room
	)
	for b.Loop() {
		r := runClassLoad(b, students, rooms, broadcasts, chatSecs)
		b.ReportMetric(r.p50.Seconds()*1000, "p50-ms")
		b.ReportMetric(r.p99.Seconds()*1000, "p99-ms")
		b.ReportMetric(float64(r.lost), "lost")
		b.ReportMetric(float64(r.delivered), "delivered")
		b.ReportMetric(r.join.Seconds()*1000, "join-all-ms")
		b.Logf("%d students joined in %v; breakout %v; %d deliveries, %d lost, %d refused; latency p50 %v p99 %v max %v",
			students, r.join, r.breakout, r.delivered, r.lost, r.refused, r.p50, r.p99, r.max)
	}
}

type loadResult struct {
	join, breakout  time.Duration
	p50, p99, max   time.Duration
	delivered, lost int64
	refused         int64
}

type loadStudent struct {
	c    *wsclient.Client
	name string
	room atomic.Value // string
	lat  []time.Duration
	got  atomic.Int64
	mu   sync.Mutex
}

func textOf(pkt string) string {
	i := strings.Index(pkt, `"text":"`)
	if i < 0 {
		return ""
	}
	rest := pkt[i+8:]
	if j := strings.IndexByte(rest, '"'); j >= 0 {
		return rest[:j]
	}
	return ""
}

func runClassLoad(b *testing.B, nStudents, nRooms, broadcasts, chatSecs int) loadResult {
	b.Helper()
	reg := playground.NewRegistry(playground.Options{})
	defer reg.Close()
	cr := New(reg, Options{})
	srv := newClassServer(reg, cr)
	defer srv.Close()
	cl, tok, err := cr.Create("")
	if err != nil {
		b.Fatal(err)
	}

	inst, err := wsclient.Dial(srv.URL, cl.SocketPath(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer inst.Close()
	if got, err := inst.ConnectNsp("/instructor", `{"token":"`+tok+`"}`); err != nil || !strings.HasPrefix(got, "0/instructor,") {
		b.Fatalf("instructor: %q %v", got, err)
	}
	var ackN atomic.Int64
	var ackMu sync.Mutex
	acks := map[int64]chan string{}
	inst.SetOnPacket(nil)
	control := func(ev string, args map[string]any) string {
		args["token"] = tok
		id := ackN.Add(1)
		ch := make(chan string, 1)
		ackMu.Lock()
		acks[id] = ch
		ackMu.Unlock()
		body, _ := json.Marshal([]any{ev, args})
		inst.Send("2/instructor," + strconv.FormatInt(id, 10) + string(body))
		select {
		case a := <-ch:
			return a
		case <-time.After(10 * time.Second):
			b.Fatalf("no ack for %s", ev)
			return ""
		}
	}
	go func() { // the instructor's acks
		for p := range inst.Packets() {
			if rest, ok := strings.CutPrefix(p, "3/instructor,"); ok {
				n := strings.IndexByte(rest, '[')
				id, _ := strconv.ParseInt(rest[:n], 10, 64)
				ackMu.Lock()
				if ch := acks[id]; ch != nil {
					ch <- rest[n:]
					delete(acks, id)
				}
				ackMu.Unlock()
			}
		}
	}()

	var res loadResult
	studs := make([]*loadStudent, nStudents)
	welcomed := make(chan struct{}, nStudents)
	roomsTold := make(chan struct{}, nStudents)
	start := time.Now()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 50) // dial 50 at a time, as a class's devices would arrive
	var dialErr atomic.Value
	var refused atomic.Int64
	for i := range studs {
		st := &loadStudent{name: fmt.Sprintf("student-%03d", i)}
		st.room.Store("")
		studs[i] = st
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := wsclient.Dial(srv.URL, cl.SocketPath(), func(p string) {
				switch {
				case strings.HasPrefix(p, `2["msg"`):
					t := textOf(p)
					f := strings.Fields(t)
					if len(f) < 2 {
						return
					}
					sent, _ := strconv.ParseInt(f[len(f)-1], 10, 64)
					d := time.Duration(time.Now().UnixNano() - sent)
					st.mu.Lock()
					st.lat = append(st.lat, d)
					st.mu.Unlock()
					st.got.Add(1)
				case strings.HasPrefix(p, `2["welcome"`):
					welcomed <- struct{}{}
				case strings.HasPrefix(p, `2["rooms"`):
					if i := strings.Index(p, `"rooms":["`); i >= 0 {
						r := p[i+10:]
						st.room.Store(r[:strings.IndexByte(r, '"')])
					}
					roomsTold <- struct{}{}
				case strings.HasPrefix(p, "4"):
					refused.Add(1)
				}
			})
			if err != nil {
				dialErr.Store(err)
				return
			}
			st.c = c
			c.Send(`0{"name":"` + st.name + `","code":"` + cl.Code() + `"}`)
		}()
	}
	wg.Wait()
	if err, _ := dialErr.Load().(error); err != nil {
		b.Fatal(err)
	}
	defer func() {
		for _, st := range studs {
			st.c.Close()
		}
	}()
	waitN := func(ch chan struct{}, n int, what string) {
		deadline := time.After(30 * time.Second)
		for range n {
			select {
			case <-ch:
			case <-deadline:
				b.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	waitN(welcomed, nStudents, "every student's welcome")
	res.join = time.Since(start)

	start = time.Now()
	if a := control("breakout", map[string]any{"rooms": nRooms}); strings.Contains(a, "error") {
		b.Fatalf("breakout: %s", a)
	}
	waitN(roomsTold, nStudents, "every student's rooms")
	res.breakout = time.Since(start)
	size := map[string]int{}
	for _, st := range studs {
		size[st.room.Load().(string)]++
	}

	var expected int64
	// Phase 1: 10 broadcasts per second to everyone.
	tick := time.NewTicker(100 * time.Millisecond)
	for i := range broadcasts {
		<-tick.C
		body, _ := json.Marshal([]any{"emit", map[string]any{"token": tok, "to": "all", "text": fmt.Sprintf("b %d %d", i, time.Now().UnixNano())}})
		inst.Send("2/instructor," + string(body)) // no ack id: fire and forget, like a live demo
		expected += int64(nStudents)
	}
	tick.Stop()
	// Phase 2: per-room chatter, each student once a second, spread over the second.
	for sec := range chatSecs {
		secStart := time.Now()
		for i, st := range studs {
			at := secStart.Add(time.Duration(i) * time.Second / time.Duration(nStudents))
			time.Sleep(time.Until(at))
			st.c.Send(fmt.Sprintf(`2["say",{"text":"c %d %d %d"}]`, i, sec, time.Now().UnixNano()))
			expected += int64(size[st.room.Load().(string)])
		}
	}
	// Drain: wait until everything arrived or 3 s passed.
	deadline := time.Now().Add(3 * time.Second)
	var got int64
	for time.Now().Before(deadline) {
		got = 0
		for _, st := range studs {
			got += st.got.Load()
		}
		if got >= expected {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	var all []time.Duration
	for _, st := range studs {
		st.mu.Lock()
		all = append(all, st.lat...)
		st.mu.Unlock()
	}
	slices.Sort(all)
	res.refused = refused.Load()
	res.delivered = int64(len(all))
	res.lost = expected - res.delivered
	if len(all) > 0 {
		res.p50 = all[len(all)/2]
		res.p99 = all[len(all)*99/100]
		res.max = all[len(all)-1]
	}
	return res
}
