package main

import (
	"runtime"
	"testing"
)

// TestReclaimer: after a burst leaves a heap of garbage and no GC has run since, a check gives
// it back to the OS; a check right after finds nothing to give.
func TestReclaimer(t *testing.T) {
	runtime.GC()
	var r reclaimer
	r.base, r.cycles = heapNow()
	if _, ok := r.check(); ok {
		t.Fatal("reclaimed with no burst")
	}
	burst := make([][]byte, 0, 256)
	for range 256 {
		burst = append(burst, make([]byte, 1<<20)) // 256 MiB, as an attack's payloads would be
	}
	runtime.KeepAlive(burst)
	burst = nil
	// The burst's own GCs make the first check after it skip; the next one (the server quiet)
	// reclaims.
	held, ok := r.check()
	if !ok {
		held, ok = r.check()
	}
	if !ok {
		t.Fatalf("not reclaimed: heap %d bytes", held)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if kept := after.HeapSys - after.HeapReleased; kept > reclaimSlack {
		t.Errorf("the runtime still holds %d bytes of heap after reclaiming %d", kept, held)
	}
	if held, ok := r.check(); ok {
		t.Errorf("reclaimed again right after, with %d bytes held", held)
	}
}

func TestServesClients(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want bool
	}{
		{[]string{"socketlab"}, true},
		{[]string{"socketlab", "-addr", ":1"}, true},
		{[]string{"socketlab", "serve"}, true},
		{[]string{"socketlab", "run", "server.js"}, true},
		{[]string{"socketlab", "bench-server"}, false},
		{[]string{"socketlab", "check", "lessons"}, false},
	} {
		if got := servesClients(tt.args); got != tt.want {
			t.Errorf("servesClients(%q) = %v, want %v", tt.args, got, tt.want)
		}
	}
}
