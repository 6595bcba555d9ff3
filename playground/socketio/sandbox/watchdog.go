package sandbox

import (
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync"
	"time"
)

// watchdog stops runaway callbacks. While a callback runs, a timer fires every MemorySample (or
// sooner, at the CallbackTimeout) and:
//
//   - interrupts the runtime (Runtime.Interrupt) once the callback has run longer than
//     CallbackTimeout: an infinite loop ends within CallbackTimeout + one sample;
//   - reads the heap (runtime/metrics /memory/classes/heap/objects:bytes, cheap and current) and,
//     when it grew by more than MemoryBudget since the callback began, forces a GC and compares
//     the live heap with the live heap before the callback: only a confirmed growth interrupts
//     (a callback that merely made garbage is left alone).
//
// Growth spread over many callbacks (an interval pushing 1 MB per tick) is caught by the sum of
// per-callback growth: when that sum passes MemoryBudget the watchdog forces a GC and stops the
// program if the live heap is really MemoryBudget above what it was when the program started.
//
// Limits, stated plainly: goja has no allocation accounting, so the watchdog sees the whole
// process heap. A callback's growth is attributed to the sandbox running it, and the cumulative
// check needs both this sandbox's own sum and the process live heap to exceed the budget, so a
// quiet sandbox is not blamed for a hostile one, but two hostile sandboxes growing together can
// each stay under their sums. A single allocation larger than the remaining headroom (one huge
// string) is not stopped before it happens; between samples a bomb can allocate about
// (allocation rate × MemorySample) beyond the budget.
type watchdog struct {
	sb    *Sandbox
	timer *time.Timer
	rt    interrupter // set by the loop before the first callback

	mu       sync.Mutex
	busy     bool
	seq      uint64
	start    time.Time
	last     time.Time     // the previous check (or start)
	ran      time.Duration // how long the callback has run, as the checks saw it (check)
	heap0    uint64        // heap objects bytes when the callback began
	live0    uint64        // live heap (as of the last GC) when the callback began
	fired    bool
	liveBase uint64 // live heap when the program started
	grown    int64  // sum of per-callback heap growth, loop only

	// Loop only: the heap as the last callback ended, reused as the next one's start while the
	// loop runs queued jobs back to back (nothing but the loop's own bookkeeping in between);
	// idle drops it before the loop waits, so a callback after a pause reads the heap afresh.
	samples           []metrics.Sample
	lastObj, lastLive uint64
	lastOK            bool
}

var heapSamples = []metrics.Sample{
	{Name: "/memory/classes/heap/objects:bytes"},
	{Name: "/gc/heap/live:bytes"},
}

// readHeap returns the bytes in heap objects (live and not yet swept) and the live heap as
// marked by the last GC.
func readHeap() (objects, live uint64) {
	s := make([]metrics.Sample, len(heapSamples))
	copy(s, heapSamples)
	metrics.Read(s)
	return s[0].Value.Uint64(), s[1].Value.Uint64()
}

// read is readHeap into the loop's own samples (no allocation).
func (w *watchdog) read() (objects, live uint64) {
	if w.samples == nil {
		w.samples = append([]metrics.Sample(nil), heapSamples...)
	}
	metrics.Read(w.samples)
	return w.samples[0].Value.Uint64(), w.samples[1].Value.Uint64()
}

// idle is called by the loop before it waits for a job.
func (w *watchdog) idle() { w.lastOK = false }

func (w *watchdog) init(sb *Sandbox) {
	w.sb = sb
	_, w.liveBase = readHeap()
	w.timer = time.AfterFunc(time.Hour, w.check)
	w.timer.Stop()
}

// interrupter is the part of goja.Runtime the watchdog uses.
type interrupter interface {
	Interrupt(v any)
	ClearInterrupt()
}

func (w *watchdog) setRuntime(rt interrupter) {
	w.mu.Lock()
	w.rt = rt
	w.mu.Unlock()
}

func (w *watchdog) close() {
	if w.timer != nil {
		w.timer.Stop()
	}
}

func (w *watchdog) period() time.Duration {
	return min(w.sb.opts.MemorySample, w.sb.opts.CallbackTimeout)
}

// begin arms the watchdog for one callback (loop goroutine).
func (w *watchdog) begin() {
	objects, live := w.lastObj, w.lastLive
	if !w.lastOK {
		objects, live = w.read()
	}
	w.mu.Lock()
	w.busy, w.fired = true, false
	w.seq++
	w.start = time.Now()
	w.last, w.ran = w.start, 0
	w.heap0, w.live0 = objects, live
	w.mu.Unlock()
	w.timer.Reset(w.period())
}

// end disarms it, clears an interrupt that came too late to matter and runs the cumulative
// memory check (loop goroutine).
func (w *watchdog) end() {
	w.timer.Stop()
	objects, live := w.read()
	w.lastObj, w.lastLive, w.lastOK = objects, live, true
	w.mu.Lock()
	w.busy = false
	heap0 := w.heap0
	w.fired = false
	w.mu.Unlock()
	if w.rt != nil {
		w.rt.ClearInterrupt() // an interrupt that lands after the callback returned means nothing
	}
	w.grown = max(0, w.grown+int64(objects)-int64(heap0))
	if w.grown > w.sb.opts.MemoryBudget && !w.sb.stopped.Load() {
		runtime.GC()
		w.lastOK = false // the GC changed both figures
		_, live := w.read()
		if live > w.liveBase && int64(live-w.liveBase) > w.sb.opts.MemoryBudget {
			w.sb.stop(fmt.Sprintf("the program keeps more than %d MiB of memory (memory limit)", w.sb.opts.MemoryBudget>>20))
			return
		}
		w.grown = 0
	}
}

// check runs on the timer's goroutine while a callback may be running.
func (w *watchdog) check() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.busy || w.fired {
		return
	}
	sb := w.sb
	// The time between two checks counts at most twice the period: a longer gap means this whole
	// process got no CPU (a loaded machine), not that the callback ran that long. A callback that
	// really runs is seen by every check, and its time adds up as the wall clock's does.
	now := time.Now()
	w.ran += min(now.Sub(w.last), 2*w.period())
	w.last = now
	if w.ran >= sb.opts.CallbackTimeout {
		w.fired = true
		w.rt.Interrupt(fmt.Sprintf("a callback ran longer than %v (an infinite loop?)", sb.opts.CallbackTimeout))
		return
	}
	objects, _ := readHeap()
	if objects > w.heap0 && int64(objects-w.heap0) > sb.opts.MemoryBudget {
		runtime.GC()
		_, live := readHeap()
		if live > w.live0 && int64(live-w.live0) > sb.opts.MemoryBudget {
			w.fired = true
			w.rt.Interrupt(fmt.Sprintf("a callback allocated more than %d MiB (memory limit)", sb.opts.MemoryBudget>>20))
			return
		}
		w.heap0 = objects // garbage only: measure from here
	}
	w.timer.Reset(w.period())
}
