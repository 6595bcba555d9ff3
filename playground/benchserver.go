package playground

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"

	"socketlab/playground/engineio"
	"socketlab/playground/socketio"
)

// BenchServer is the hub with the benchmark handlers of loadgen's contract (playground/loadgen/doc.go) on
// namespaces / and /ns, plus GET /stats.
type BenchServer struct {
	mux *http.ServeMux
	hub *Hub
}

// NewBenchServer builds the bench server. Rate limits are off: the load generator is the only client.
// With a cluster its hub is shared under the Redis prefix itself.
func NewBenchServer(log *slog.Logger, cluster *Cluster) *BenchServer {
	b := &BenchServer{mux: http.NewServeMux()}
	sopts := socketio.Options{RateLimit: -1, MaxRoomsPerSocket: 1024, Logger: log}
	if cluster != nil {
		sopts.Adapter = cluster.Adapter("")
	}
	b.hub = NewHub(engineio.Options{Logger: log, MaxQueuePackets: 4096, MaxQueueBytes: 8 << 20}, sopts)
	for _, name := range []string{"/", "/ns"} {
		b.hub.IO.Of(name).OnConnection(benchHandlers)
	}
	b.mux.Handle("/socket.io/", b.hub)
	b.mux.HandleFunc("GET /stats", b.stats)
	return b
}

func benchHandlers(s *socketio.Socket) {
	room := func(e *socketio.Event) string {
		var r string
		e.Decode(0, &r)
		return r
	}
	s.On("join", func(e *socketio.Event) {
		if err := s.Join(room(e)); err != nil && e.HasAck() {
			e.AckError(err)
			return
		}
		if e.HasAck() {
			e.Ack()
		}
	})
	s.On("leave", func(e *socketio.Event) {
		s.Leave(room(e))
		if e.HasAck() {
			e.Ack()
		}
	})
	s.On("fanout", func(e *socketio.Event) {
		if len(e.Args) < 2 {
			return
		}
		if r := room(e); r == "" {
			s.Broadcast().Emit("msg", e.Values()[1])
		} else {
			s.To(r).Emit("msg", e.Values()[1])
		}
	})
	s.On("echo", func(e *socketio.Event) { e.Ack(e.Values()...) })
}

func (b *BenchServer) ServeHTTP(w http.ResponseWriter, r *http.Request) { b.mux.ServeHTTP(w, r) }

func (b *BenchServer) Close() { b.hub.Close() }

func (b *BenchServer) stats(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("gc") == "1" {
		runtime.GC()
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"rss":         residentBytes(),
		"heap_alloc":  ms.HeapAlloc,
		"heap_inuse":  ms.HeapInuse,
		"heap_idle":   ms.HeapIdle - ms.HeapReleased,
		"stack_inuse": ms.StackInuse,
		"sys":         ms.Sys - ms.HeapReleased,
		"connections": b.hub.Engine.SessionCount(),
		"goroutines":  runtime.NumGoroutine(),
		"runtime":     runtime.Version(),
	})
}

// residentBytes reads the process's resident set size from /proc (Linux); 0 elsewhere.
func residentBytes() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) >= 1 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}
