package main

import (
	"context"
	"log/slog"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"time"
)

// After a burst (an attack, a class leaving) the heap is mostly garbage. Go keeps it until the
// next GC, which a quiet server runs only every two minutes (its heap goal was set by the
// burst), and then hands the pages back to the OS slowly. The reclaimer gives them back within
// two memoryReclaimInterval.
const (
	memoryReclaimInterval = 20 * time.Second
	// reclaimSlack is how much the heap may grow past what it held after the last reclaim
	// before a quiet server gives it back.
	reclaimSlack = 64 << 20
)

// reclaimer decides, once an interval, whether to run debug.FreeOSMemory (a GC, then every free
// page back to the OS): when no GC has run since the last check (the server is quiet, or a GC
// would have freed the garbage already) and the heap (objects, garbage included, and free
// spans not yet released) holds reclaimSlack more than after the last reclaim.
type reclaimer struct {
	cycles uint64 // GC cycles at the last check
	base   uint64 // heap held after the last reclaim
}

func heapNow() (held, cycles uint64) {
	s := []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
		{Name: "/gc/cycles/total:gc-cycles"},
	}
	metrics.Read(s)
	return s[0].Value.Uint64() + s[1].Value.Uint64(), s[2].Value.Uint64()
}

// check runs one decision and returns the heap held before it, and whether it reclaimed.
func (r *reclaimer) check() (held uint64, reclaimed bool) {
	held, cycles := heapNow()
	quiet := cycles == r.cycles
	r.cycles = cycles
	if !quiet || held <= r.base+reclaimSlack {
		return held, false
	}
	debug.FreeOSMemory()
	r.base, r.cycles = heapNow()
	return held, true
}

// reclaimMemory checks every interval until ctx ends.
func reclaimMemory(ctx context.Context, log *slog.Logger, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	var r reclaimer
	r.base, r.cycles = heapNow()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if held, ok := r.check(); ok {
				log.Debug("memory given back to the OS", "heap", held, "after", r.base)
			}
		}
	}
}

// defaultMemoryLimit is the Go runtime's soft memory limit of a `socketlab serve` or `run`
// process (main) unless GOMEMLIMIT says otherwise: near it the GC runs sooner (using at most half the CPU), so
// a burst of large messages from many sockets leaves the process around this size instead of
// twice its live heap. It is a target for the GC, not a cap: nothing fails above it.
const defaultMemoryLimit = 256 << 20

// servesClients reports whether the command line runs `socketlab serve` (the default) or `run`.
func servesClients(args []string) bool {
	return len(args) < 2 || args[1] == "serve" || args[1] == "run" || strings.HasPrefix(args[1], "-")
}

// softMemoryLimit sets defaultMemoryLimit unless the environment sets GOMEMLIMIT (which the
// runtime has read already); it returns the limit in force.
func softMemoryLimit(getenv func(string) string) int64 {
	if getenv("GOMEMLIMIT") != "" {
		return debug.SetMemoryLimit(-1)
	}
	debug.SetMemoryLimit(defaultMemoryLimit)
	return defaultMemoryLimit
}
