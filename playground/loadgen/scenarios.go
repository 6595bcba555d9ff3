package loadgen

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

const (
	ringSize = 1 << 16          // closed fan-out: outstanding-message slots (≫ InFlight)
	maxDrain = 30 * time.Second // fan-out: longest wait for deliveries after the last send
)

// recvStat is one receiver's counters for a phase, padded to its own cache line.
type recvStat struct {
	n    atomic.Int64 // deliveries of this phase's messages
	last atomic.Int64 // receive time of the latest, ns since base
	_    [48]byte
}

// fanPhase is one fan-out measurement; receivers find it through an atomic pointer.
type fanPhase struct {
	seqStart  int64
	hist      Histogram
	recv      []recvStat
	remaining []atomic.Int32 // closed mode: receivers still to get seq (indexed seq % ringSize)
	done      chan struct{}  // closed mode: one token per completed message
}

func (ph *fanPhase) delivered() int64 {
	var s int64
	for i := range ph.recv {
		s += ph.recv[i].n.Load()
	}
	return s
}

// lossCount is the number of deliveries missing: for each receiver, messages sent minus messages
// received (never negative; a duplicate does not make up for a loss elsewhere).
func lossCount(sent int64, received []int64) int64 {
	var lost int64
	for _, n := range received {
		if n < sent {
			lost += sent - n
		}
	}
	return lost
}

// fanout measures one receiver count: receivers spread over the target's servers us, the
// sender on the first.
func (r *runner) fanout(ctx context.Context, t Target, us []string, n int) []Result {
	fail := func(err error) []Result {
		var out []Result
		for _, m := range r.cfg.Modes {
			out = append(out, Result{Target: t.Name, Scenario: Fanout, Mode: m, Conns: n, Error: err.Error()})
		}
		return out
	}
	r.progress("%s: fan-out: connecting %d receivers", t.Name, n)
	p := &pool{}
	stop := context.AfterFunc(ctx, p.closeConns)
	defer func() {
		stop()
		p.closeAll()
	}()
	ok, failed, err := r.open(ctx, p, us, n, true, nil)
	if ok < n {
		return fail(fmt.Errorf("%d of %d receivers connected (%d failed): %v", ok, n, failed, err))
	}
	sender, err := r.dial.connect(ctx, us[0], r.cfg.Namespace)
	if err != nil {
		return fail(fmt.Errorf("sender: %w", err))
	}
	p.mu.Lock()
	receivers := p.clients[:n:n]
	p.clients = append(p.clients, sender)
	p.mu.Unlock()

	var cur atomic.Pointer[fanPhase]
	for i, c := range receivers {
		p.wg.Go(func() { r.receive(p, c, i, &cur) })
	}
	p.wg.Go(func() { // the sender only reads to answer pings
		for {
			if _, err := sender.next(); err != nil {
				p.fail(err)
				return
			}
		}
	})

	var out []Result
	var seq int64
	for _, mode := range r.cfg.Modes {
		if ctx.Err() != nil {
			break
		}
		r.progress("%s: fan-out: %d receivers, %s", t.Name, n, mode)
		res := r.fanPhase(ctx, sender, n, mode, &seq, &cur)
		res.Target = t.Name
		res.Errors += p.readErr.Load()
		if res.Error == "" && p.readErr.Load() > 0 {
			res.Error = "receiver: " + p.firstErr()
		}
		out = append(out, res)
	}
	return out
}

// receive is receiver i's reading goroutine.
func (r *runner) receive(p *pool, c *client, i int, cur *atomic.Pointer[fanPhase]) {
	for {
		m, err := c.next()
		if err != nil {
			p.fail(err)
			return
		}
		seq, sent, ok := parseMsg(m, c.nsp)
		if !ok {
			continue
		}
		now := r.now()
		ph := cur.Load()
		if ph == nil || seq < ph.seqStart {
			continue // late from an earlier phase
		}
		ph.hist.Record(time.Duration(now - sent))
		st := &ph.recv[i]
		st.n.Add(1)
		st.last.Store(now)
		if ph.remaining != nil && ph.remaining[seq%ringSize].Add(-1) == 0 {
			select {
			case ph.done <- struct{}{}:
			default:
			}
		}
	}
}

func (r *runner) fanPhase(ctx context.Context, sender *client, n int, mode string, seq *int64, cur *atomic.Pointer[fanPhase]) Result {
	res := Result{Scenario: Fanout, Mode: mode, Conns: n}
	ph := &fanPhase{seqStart: *seq, recv: make([]recvStat, n)}
	if mode == Closed {
		ph.remaining = make([]atomic.Int32, ringSize)
		ph.done = make(chan struct{}, r.cfg.InFlight)
	}
	cur.Store(ph)
	defer cur.Store(nil)

	msg := newFanMsg(sender.nsp, r.cfg.Room, r.cfg.Payload)
	send := func() error {
		s := *seq
		*seq++
		if ph.remaining != nil {
			ph.remaining[s%ringSize].Store(int32(n))
		}
		return sender.write(msg.encode(s, r.now()))
	}

	meter := startCPU()
	start := r.now()
	end := start + int64(r.cfg.Duration)
	var sent int64
	var err error
	switch mode {
	case Closed:
		tokens := r.cfg.InFlight
		stall := time.NewTimer(r.cfg.stall)
		defer stall.Stop()
	loop:
		for r.now() < end && ctx.Err() == nil {
			for tokens == 0 {
				stall.Reset(r.cfg.stall)
				select {
				case <-ph.done:
					tokens++
				case <-stall.C:
					err = fmt.Errorf("stalled: no message completed for %v", r.cfg.stall)
					break loop
				case <-ctx.Done():
					break loop
				}
			}
			if err = send(); err != nil {
				break
			}
			sent++
			tokens--
		}
	case Paced:
		interval := float64(time.Second) * float64(n) / r.cfg.Rate
		timer := time.NewTimer(0)
		defer timer.Stop()
		<-timer.C
		for i := int64(0); ctx.Err() == nil; i++ {
			at := start + int64(float64(i)*interval)
			if at >= end {
				break
			}
			if wait := at - r.now(); wait > 0 {
				timer.Reset(time.Duration(wait))
				select {
				case <-timer.C:
				case <-ctx.Done():
				}
			}
			if err = send(); err != nil {
				break
			}
			sent++
		}
	}
	sendEnd := r.now()

	// Grace: wait for the stragglers while they keep coming (at most maxDrain), then count
	// what did not come within Grace of the last progress.
	want := sent * int64(n)
	drainEnd := time.Now().Add(maxDrain)
	quietEnd := time.Now().Add(r.cfg.Grace)
	for got := ph.delivered(); got < want && ctx.Err() == nil; {
		now := time.Now()
		if now.After(quietEnd) || now.After(drainEnd) {
			break
		}
		sleepCtx(ctx, 5*time.Millisecond)
		if g := ph.delivered(); g > got {
			got, quietEnd = g, time.Now().Add(r.cfg.Grace)
		}
	}
	cur.Store(nil)
	res.GenCPU = meter.cores()

	received := make([]int64, n)
	var last int64
	for i := range ph.recv {
		received[i] = ph.recv[i].n.Load()
		last = max(last, ph.recv[i].last.Load())
	}
	res.Sent = sent
	res.Ops = ph.delivered()
	res.Lost = lossCount(sent, received)
	elapsed := max(last, sendEnd) - start
	res.Seconds = float64(elapsed) / 1e9
	if elapsed > 0 {
		res.PerSec = float64(res.Ops) / res.Seconds
	}
	res.setLatency(&ph.hist)
	if err != nil {
		res.Error = err.Error()
	}
	return res
}

// fanMsg encodes `42<nsp>["fanout","room",{"s":SEQ,"t":NANOS,"p":"xx…"}]` into a reused buffer.
type fanMsg struct {
	head, tail string
	buf        []byte
}

func newFanMsg(nsp, room string, pad int) *fanMsg {
	tail := "}]"
	if pad > 0 {
		tail = `,"p":"` + strings.Repeat("x", pad) + `"}]`
	}
	return &fanMsg{
		head: "42" + nsp + `["fanout",` + string(jsonString(room)) + `,{"s":`,
		tail: tail,
	}
}

func (m *fanMsg) encode(seq, nanos int64) []byte {
	b := append(m.buf[:0], m.head...)
	b = strconv.AppendInt(b, seq, 10)
	b = append(b, `,"t":`...)
	b = strconv.AppendInt(b, nanos, 10)
	b = append(b, m.tail...)
	m.buf = b
	return b
}

// echo runs Clients closed loops of `42<nsp>ID["echo",ID,"pad"]` → `43<nsp>ID[ID,"pad"]`.
func (r *runner) echo(ctx context.Context, t Target, u string) Result {
	res := Result{Target: t.Name, Scenario: Echo, Conns: r.cfg.Clients}
	r.progress("%s: echo: %d clients", t.Name, r.cfg.Clients)
	p := &pool{}
	stop := context.AfterFunc(ctx, p.closeConns)
	defer func() {
		stop()
		p.closeAll()
	}()
	ok, failed, err := r.open(ctx, p, []string{u}, r.cfg.Clients, false, nil)
	if ok < r.cfg.Clients {
		res.Error = fmt.Sprintf("%d of %d clients connected (%d failed): %v", ok, r.cfg.Clients, failed, err)
		return res
	}
	var hist Histogram
	var total atomic.Int64
	var stopping atomic.Bool
	pad := strings.Repeat("x", r.cfg.Payload)
	meter := startCPU()
	start := time.Now()
	for _, c := range p.clients {
		p.wg.Go(func() {
			var b []byte
			for id := int64(1); !stopping.Load(); id++ {
				b = append(b[:0], "42"...)
				b = append(b, c.nsp...)
				b = strconv.AppendInt(b, id, 10)
				b = append(b, `["echo",`...)
				b = strconv.AppendInt(b, id, 10)
				b = append(b, `,"`...)
				b = append(b, pad...)
				b = append(b, `"]`...)
				t0 := time.Now()
				if err := c.write(b); err != nil {
					p.fail(err)
					return
				}
				if err := c.waitAck(id); err != nil {
					p.fail(err)
					return
				}
				hist.Record(time.Since(t0))
				total.Add(1)
			}
		})
	}
	sleepCtx(ctx, r.cfg.Duration)
	stopping.Store(true)
	elapsed := time.Since(start)
	res.GenCPU = meter.cores()
	// Unblock clients still waiting for an ack, then wait for them.
	deadline := time.Now().Add(max(r.cfg.Grace, time.Second))
	for _, c := range p.clients {
		c.ws.SetReadDeadline(deadline)
	}
	p.closing.Store(true) // errors from here on are the deadline we just set
	p.wg.Wait()
	res.Ops = total.Load()
	res.Seconds = elapsed.Seconds()
	res.PerSec = float64(res.Ops) / res.Seconds
	res.setLatency(&hist)
	res.Errors = p.readErr.Load()
	if res.Errors > 0 {
		res.Error = p.firstErr()
	}
	return res
}

// storm opens Conns connections as fast as Concurrency allows and keeps them until all are open.
func (r *runner) storm(ctx context.Context, t Target, u string) Result {
	res := Result{Target: t.Name, Scenario: Connect, Conns: r.cfg.Conns}
	r.progress("%s: connect: %d connections, %d at once", t.Name, r.cfg.Conns, r.cfg.Concurrency)
	p := &pool{}
	stop := context.AfterFunc(ctx, p.closeConns)
	defer func() {
		stop()
		p.closeAll()
	}()
	var hist Histogram
	meter := startCPU()
	start := time.Now()
	ok, failed, err := r.open(ctx, p, []string{u}, r.cfg.Conns, false, &hist)
	elapsed := time.Since(start)
	res.GenCPU = meter.cores()
	res.Ops = int64(ok)
	res.Seconds = elapsed.Seconds()
	res.PerSec = float64(ok) / res.Seconds
	res.setLatency(&hist)
	res.Errors = failed
	if failed > 0 {
		res.Error = fmt.Sprintf("%d of %d connections failed: %v", failed, r.cfg.Conns, err)
	}
	return res
}

// idle opens IdleConns connections and reports the server's RSS growth per connection.
func (r *runner) idle(ctx context.Context, t Target, u, su string) Result {
	res := Result{Target: t.Name, Scenario: Idle, Conns: r.cfg.IdleConns}
	r.progress("%s: idle: %d connections", t.Name, r.cfg.IdleConns)
	before, err := getStats(ctx, r.http, su, true)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	p := &pool{}
	stop := context.AfterFunc(ctx, p.closeConns)
	defer func() {
		stop()
		p.closeAll()
	}()
	start := time.Now()
	ok, failed, err := r.open(ctx, p, []string{u}, r.cfg.IdleConns, false, nil)
	res.Seconds = time.Since(start).Seconds()
	if ok < r.cfg.IdleConns {
		res.Error = fmt.Sprintf("%d of %d connections opened (%d failed): %v", ok, r.cfg.IdleConns, failed, err)
		return res
	}
	p.discard()
	// Let the server finish its bookkeeping: until it counts them all (if it says), then a moment.
	want := int64(ok)
	if before.Connections != nil {
		want += *before.Connections
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		st, err := getStats(ctx, r.http, su, false)
		if err != nil || st.Connections == nil || *st.Connections >= want {
			break
		}
		sleepCtx(ctx, 50*time.Millisecond)
	}
	sleepCtx(ctx, 500*time.Millisecond)
	after, err := getStats(ctx, r.http, su, true)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	res.Ops = int64(ok)
	res.RSSBefore, res.RSSAfter = before.RSS, after.RSS
	res.KiBPerConn = float64(after.RSS-before.RSS) / float64(ok) / 1024
	res.Errors = p.readErr.Load()
	return res
}
