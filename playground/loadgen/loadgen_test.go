package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
)

func TestHistogramQuantile(t *testing.T) {
	tests := []struct {
		name    string
		samples func(h *Histogram)
		q       float64
		want    time.Duration
	}{
		{"empty", func(h *Histogram) {}, 0.5, 0},
		{"one", func(h *Histogram) { h.Record(3 * time.Millisecond) }, 0.99, 3 * time.Millisecond},
		{"small exact", func(h *Histogram) {
			for i := range 100 {
				h.Record(time.Duration(i + 1))
			}
		}, 0.5, 50},
		{"uniform p50", func(h *Histogram) {
			for i := range 1000 {
				h.Record(time.Duration(i+1) * time.Microsecond)
			}
		}, 0.5, 500 * time.Microsecond},
		{"uniform p99", func(h *Histogram) {
			for i := range 1000 {
				h.Record(time.Duration(i+1) * time.Microsecond)
			}
		}, 0.99, 990 * time.Microsecond},
		{"outliers above p99", func(h *Histogram) {
			for range 990 {
				h.Record(time.Millisecond)
			}
			for range 10 {
				h.Record(time.Second)
			}
		}, 0.99, time.Millisecond},
		{"negative is zero", func(h *Histogram) { h.Record(-5) }, 0.5, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h Histogram
			tt.samples(&h)
			got := h.Quantile(tt.q)
			if diff := math.Abs(float64(got - tt.want)); diff > 0.005*float64(tt.want) {
				t.Errorf("got %v, want %v (±0.5%%)", got, tt.want)
			}
		})
	}
}

func TestHistogramBuckets(t *testing.T) {
	for _, v := range []uint64{0, 1, 255, 256, 257, 511, 512, 1000, 123456789, 1 << 40, math.MaxInt64} {
		i := bucketOf(v)
		lo, w := bucketRange(i)
		if v < lo || v-lo >= w {
			t.Errorf("value %d: bucket %d = [%d, %d+%d)", v, i, lo, lo, w)
		}
		if i >= histBuckets {
			t.Errorf("value %d: bucket %d ≥ %d", v, i, histBuckets)
		}
		if v >= 256 && float64(w)/float64(lo) > 1.0/128 {
			t.Errorf("value %d: width %d too coarse for %d", v, w, lo)
		}
	}
}

func TestParseMsg(t *testing.T) {
	tests := []struct {
		in        string
		nsp       string
		seq, sent int64
		ok        bool
	}{
		{`42["msg",{"s":12,"t":345}]`, "", 12, 345, true},
		{`42["msg",{"s":0,"t":1,"p":"xxxx"}]`, "", 0, 1, true},
		{`42/ns,["msg",{"s":7,"t":99}]`, "/ns,", 7, 99, true},
		{`42/ns,["msg",{"s":7,"t":99}]`, "", 0, 0, false},
		{`42["msg",{"s":7,"t":99}]`, "/ns,", 0, 0, false},
		{`42["other",{"s":1,"t":2}]`, "", 0, 0, false},
		{`431[]`, "", 0, 0, false},
		{`42["msg",{"s":"a","t":2}]`, "", 0, 0, false},
		{`42["msg",{"s":1}]`, "", 0, 0, false},
		{`42["msg",{"s":1234567890123456789012,"t":2}]`, "", 0, 0, false},
		{`4`, "", 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			seq, sent, ok := parseMsg([]byte(tt.in), tt.nsp)
			if seq != tt.seq || sent != tt.sent || ok != tt.ok {
				t.Errorf("got %d, %d, %v, want %d, %d, %v", seq, sent, ok, tt.seq, tt.sent, tt.ok)
			}
		})
	}
}

func TestParseAck(t *testing.T) {
	tests := []struct {
		in  string
		nsp string
		id  int64
		ok  bool
	}{
		{`431[]`, "", 1, true},
		{`43123[1,"x"]`, "", 123, true},
		{`43/ns,5[]`, "/ns,", 5, true},
		{`43/ns,5[]`, "", 0, false},
		{`43[]`, "", 0, false},
		{`421["join"]`, "", 0, false},
		{`4312`, "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			id, ok := parseAck([]byte(tt.in), tt.nsp)
			if id != tt.id || ok != tt.ok {
				t.Errorf("got %d, %v, want %d, %v", id, ok, tt.id, tt.ok)
			}
		})
	}
}

func TestLossCount(t *testing.T) {
	tests := []struct {
		name     string
		sent     int64
		received []int64
		want     int64
	}{
		{"none lost", 10, []int64{10, 10, 10}, 0},
		{"some lost", 10, []int64{10, 7, 0}, 13},
		{"duplicates don't offset losses", 10, []int64{12, 8}, 2},
		{"nothing sent", 0, []int64{0, 0}, 0},
		{"no receivers", 5, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := lossCount(tt.sent, tt.received); got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}

func TestFanMsgRoundTrip(t *testing.T) {
	for _, nsp := range []string{"", "/ns,"} {
		t.Run(nsp, func(t *testing.T) {
			m := newFanMsg(nsp, "r\"1", 3)
			got := string(m.encode(42, 1234567))
			want := `42` + nsp + `["fanout","r\"1",{"s":42,"t":1234567,"p":"xxx"}]`
			if got != want {
				t.Fatalf("got %q, want %q", got, want)
			}
			// What a server relays: the payload as the msg argument.
			payload := got[strings.Index(got, "{") : len(got)-1]
			seq, sent, ok := parseMsg([]byte(`42`+nsp+`["msg",`+payload+`]`), nsp)
			if !ok || seq != 42 || sent != 1234567 {
				t.Errorf("got %d, %d, %v, want 42, 1234567, true", seq, sent, ok)
			}
		})
	}
}

// The room names reach the server inside JSON: every name must come out as valid JSON that
// decodes to the same name (strconv.Quote wrote \x7f and \U0001f600, which JSON refuses).
func TestPacketsQuoteRoomsAsJSON(t *testing.T) {
	for _, room := range []string{"r1", `r"1`, "a\x7fb", "caf\u00e9", "smile \U0001f600", "line\u2028sep", "tab\tnul\x00"} {
		t.Run(room, func(t *testing.T) {
			join := string(appendJoin(nil, "/ns,", 7, room))
			fan := string(newFanMsg("/ns,", room, 0).encode(1, 2))
			for _, pkt := range []string{join, fan} {
				body := strings.TrimPrefix(pkt, "42/ns,")
				body = strings.TrimLeft(body, "0123456789")
				var args []any
				if err := json.Unmarshal([]byte(body), &args); err != nil {
					t.Fatalf("%q is not JSON: %v", pkt, err)
				}
				if len(args) < 2 || args[1] != room {
					t.Errorf("%q carries room %v, want %q", pkt, args, room)
				}
			}
		})
	}
}

func TestCheckTarget(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"ws://127.0.0.1:3001/socket.io/", true},
		{"ws://127.0.0.5:80/x/", true},
		{"ws://localhost:3001/socket.io/", false},
		{"ws://10.0.0.1:3001/socket.io/", false},
		{"ws://[::1]:3001/socket.io/", false},
		{"wss://127.0.0.1:3001/socket.io/", false},
		{"http://127.0.0.1:3001/socket.io/", false},
		{"ws://127.0.0.1/socket.io/", false},
		{"ws://example.com:3001/", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			err := checkTarget(tt.in)
			if (err == nil) != tt.ok {
				t.Errorf("got %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		check   func(Config) any
		want    any
		wantErr string
	}{
		{"named targets, repeatable", []string{"-target", "node=ws://127.0.0.1:3001/socket.io/,go=ws://127.0.0.1:3002/socket.io/", "-target", "ws://127.0.0.1:3003/socket.io/"},
			func(c Config) any { return c.Targets },
			[]Target{{"node", "ws://127.0.0.1:3001/socket.io/"}, {"go", "ws://127.0.0.1:3002/socket.io/"}, {"127.0.0.1:3003", "ws://127.0.0.1:3003/socket.io/"}}, ""},
		{"scenario list and receivers", []string{"-target", "ws://127.0.0.1:1/", "-scenario", "fanout,echo", "-receivers", "1k,10_000,5"},
			func(c Config) any { return []any{c.Scenarios, c.Receivers} },
			[]any{[]string{"fanout", "echo"}, []int{1000, 10000, 5}}, ""},
		{"all", []string{"-target", "ws://127.0.0.1:1/", "-scenario", "all"},
			func(c Config) any { return c.Scenarios }, []string{"idle", "fanout", "echo", "connect"}, ""},
		{"defaults", []string{"-target", "ws://127.0.0.1:1/"},
			func(c Config) any { return []any{c.InFlight, c.Rate, c.Clients, c.Conns, c.Modes} },
			[]any{16, 50000.0, 100, 10000, []string{"closed", "paced"}}, ""},
		{"servers sharing a broker", []string{"-target", "go=ws://127.0.0.1:3001/socket.io/+ws://127.0.0.1:3002/socket.io/", "-target", "ws://127.0.0.1:3003/socket.io/+ws://127.0.0.1:3004/socket.io/"},
			func(c Config) any { return c.Targets },
			[]Target{{"go", "ws://127.0.0.1:3001/socket.io/+ws://127.0.0.1:3002/socket.io/"}, {"127.0.0.1:3003", "ws://127.0.0.1:3003/socket.io/+ws://127.0.0.1:3004/socket.io/"}}, ""},
		{"a second server not on loopback", []string{"-target", "ws://127.0.0.1:1/+ws://10.0.0.1:2/"}, nil, nil, "only 127.x.x.x"},
		{"no target", nil, nil, nil, "no -target"},
		{"not loopback", []string{"-target", "ws://192.168.1.1:80/"}, nil, nil, "only 127.x.x.x"},
		{"too many", []string{"-target", "ws://127.0.0.1:1/", "-conns", "50000"}, nil, nil, "conns 50000 not in"},
		{"bad scenario", []string{"-target", "ws://127.0.0.1:1/", "-scenario", "soak"}, nil, nil, `unknown scenario "soak"`},
		{"bad mode", []string{"-target", "ws://127.0.0.1:1/", "-mode", "open"}, nil, nil, `unknown fan-out mode "open"`},
		{"stray args", []string{"-target", "ws://127.0.0.1:1/", "extra"}, nil, nil, "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseFlags(tt.args, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, tt.check(cfg)); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}

func TestThousands(t *testing.T) {
	for in, want := range map[float64]string{0: "0", 999.6: "1,000", 118234.4: "118,234", 1234567: "1,234,567"} {
		if got := thousands(in); got != want {
			t.Errorf("thousands(%v): got %q, want %q", in, got, want)
		}
	}
}

func smallConfig(url string) Config {
	cfg := DefaultConfig()
	cfg.Targets = []Target{{Name: "fake", URL: url}}
	cfg.Receivers = []int{20}
	cfg.Clients = 4
	cfg.Conns = 50
	cfg.IdleConns = 40
	cfg.Concurrency = 8
	cfg.Duration = 200 * time.Millisecond
	cfg.Grace = 500 * time.Millisecond
	cfg.Rate = 2000
	cfg.Sources = 4
	return cfg
}

func TestRunFake(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, so it runs after the fake server is closed
	f := newFakeServer(t)
	cfg := smallConfig(f.url())
	cfg.JSON = true
	var out bytes.Buffer
	rep, err := Run(t.Context(), cfg, &out)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	var decoded Report
	if err := json.Unmarshal(out.Bytes(), &decoded); err != nil {
		t.Fatalf("JSON output: %v\n%s", err, out.Bytes())
	}
	if diff := cmp.Diff(rep, decoded); diff != "" {
		t.Errorf("JSON output differs from the report (-want +got):\n%s", diff)
	}
	var names []string
	for _, r := range rep.Results {
		names = append(names, r.Scenario+" "+r.Mode)
		t.Run(r.Scenario+" "+r.Mode, func(t *testing.T) {
			if r.Error != "" || r.Errors != 0 {
				t.Errorf("got error %q (%d), want none", r.Error, r.Errors)
			}
			switch r.Scenario {
			case Fanout:
				if r.Sent == 0 || r.Ops != r.Sent*20 || r.Lost != 0 {
					t.Errorf("got sent %d, delivered %d, lost %d, want delivered = 20×sent, lost 0", r.Sent, r.Ops, r.Lost)
				}
				if r.P50Ms <= 0 || r.P99Ms < r.P50Ms {
					t.Errorf("got p50 %v, p99 %v", r.P50Ms, r.P99Ms)
				}
			case Echo:
				if r.Ops == 0 || r.PerSec <= 0 {
					t.Errorf("got %d round trips, %v/s", r.Ops, r.PerSec)
				}
			case Connect:
				if r.Ops != 50 {
					t.Errorf("got %d connections, want 50", r.Ops)
				}
			case Idle:
				if r.KiBPerConn != 16 {
					t.Errorf("got %v KiB/conn, want 16", r.KiBPerConn)
				}
			}
		})
	}
	want := []string{"idle ", "fanout closed", "fanout paced", "echo ", "connect "}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

// TestRunFakeCluster: a target of two servers (url+url) spreads the fan-out receivers over both
// and sends from the first; with the servers sharing fan-outs every delivery arrives, without,
// the second server's receivers lose everything.
func TestRunFakeCluster(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	for _, linked := range []bool{true, false} {
		t.Run(fmt.Sprintf("linked=%v", linked), func(t *testing.T) {
			a, b := newFakeServer(t), newFakeServer(t)
			if linked {
				a.peers, b.peers = []*fakeServer{b}, []*fakeServer{a}
			}
			cfg := smallConfig(a.url() + "+" + b.url())
			cfg.Scenarios = []string{Fanout}
			cfg.Modes = []string{Paced}
			cfg.Grace = 100 * time.Millisecond
			rep, err := Run(t.Context(), cfg, io.Discard)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if got := []int64{a.seq.Load(), b.seq.Load()}; !cmp.Equal(got, []int64{11, 10}) {
				t.Errorf("connections per server = %v, want [11 10] (10 receivers each, the sender on the first)", got)
			}
			r := rep.Results[0]
			wantOps, wantLost := r.Sent*20, int64(0)
			if !linked {
				wantOps, wantLost = r.Sent*10, r.Sent*10
			}
			if r.Sent == 0 || r.Ops != wantOps || r.Lost != wantLost {
				t.Errorf("got sent %d, delivered %d, lost %d, want delivered %d, lost %d", r.Sent, r.Ops, r.Lost, wantOps, wantLost)
			}
		})
	}
}

func TestRunFakeLoss(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, so it runs after the fake server is closed
	f := newFakeServer(t)
	f.dropFor = 3 // the third connection (a receiver) gets nothing
	cfg := smallConfig(f.url())
	cfg.Scenarios = []string{Fanout}
	cfg.Modes = []string{Paced}
	cfg.Grace = 100 * time.Millisecond
	var out bytes.Buffer
	rep, err := Run(t.Context(), cfg, &out)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	r := rep.Results[0]
	if r.Sent == 0 || r.Lost != r.Sent || r.Ops != r.Sent*19 {
		t.Errorf("got sent %d, delivered %d, lost %d, want lost = sent, delivered = 19×sent", r.Sent, r.Ops, r.Lost)
	}
	if !strings.Contains(out.String(), "fanout paced") {
		t.Errorf("table lacks the row:\n%s", out.String())
	}
}

func TestRunFakeClosedStall(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, so it runs after the fake server is closed
	f := newFakeServer(t)
	f.dropFor = 3
	cfg := smallConfig(f.url())
	cfg.Scenarios = []string{Fanout}
	cfg.Modes = []string{Closed}
	cfg.Grace = 100 * time.Millisecond
	cfg.stall = 300 * time.Millisecond
	rep, err := Run(t.Context(), cfg, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "stalled") {
		t.Fatalf("got error %v, want stalled", err)
	}
	if r := rep.Results[0]; r.Sent != int64(cfg.InFlight) || r.Lost != r.Sent {
		t.Errorf("got sent %d, lost %d, want %d, %d", r.Sent, r.Lost, cfg.InFlight, cfg.InFlight)
	}
}

func TestRunCancel(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, so it runs after the fake server is closed
	f := newFakeServer(t)
	cfg := smallConfig(f.url())
	cfg.Scenarios = []string{Echo}
	cfg.Duration = 2 * time.Minute
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	rep, err := Run(ctx, cfg, io.Discard)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want the context's error", err)
	}
	// The run stopped at the cancel, not at the end of its duration.
	for _, r := range rep.Results {
		if r.Seconds >= cfg.Duration.Seconds() {
			t.Errorf("%s measured %.1f s, want it cut short by the cancel (duration %v)", r.Scenario, r.Seconds, cfg.Duration)
		}
	}
}

func TestRatios(t *testing.T) {
	res := func(round int, target, sc string, conns int, perSec, kib float64) Result {
		return Result{Round: round, Target: target, Scenario: sc, Conns: conns, PerSec: perSec, KiBPerConn: kib}
	}
	tests := []struct {
		name string
		rep  Report
		want string
	}{
		{"one target: no ratios", Report{Results: []Result{res(1, "go", Echo, 100, 80, 0)}}, ""},
		{"two targets, three rounds", Report{Results: []Result{
			res(1, "node", Idle, 10, 0, 16), res(1, "go", Idle, 10, 0, 8),
			res(1, "node", Echo, 100, 40, 0), res(1, "go", Echo, 100, 80, 0),
			res(2, "node", Echo, 100, 50, 0), res(2, "go", Echo, 100, 75, 0),
			res(3, "node", Echo, 100, 20, 0), res(3, "go", Echo, 100, 90, 0),
		}}, "go / node, by round, then the median:\n" +
			"  idle  10: 0.50  median 0.50\n" +
			"  echo  100: 2.00 1.50 4.50  median 2.00\n"},
		{"an errored row is left out", Report{Results: []Result{
			res(1, "node", Echo, 100, 40, 0), {Round: 1, Target: "go", Scenario: Echo, Conns: 100, Error: "stalled"},
		}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			tt.rep.writeRatios(&b)
			if b.String() != tt.want {
				t.Errorf("got\n%s\nwant\n%s", b.String(), tt.want)
			}
		})
	}
}
