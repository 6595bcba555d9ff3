// Package sandbox runs a student's JavaScript as a Socket.IO 4.x server on a *socketio.Server:
// the code sees a global `io` that mirrors the npm socket.io server API (io.on("connection"),
// io.use, io.of, socket.on/emit/join, acks, emitWithAck with Promises, timers, console),
// require("node:crypto") (crypto.go: hashes, HMACs, timingSafeEqual, randomUUID), and nothing
// else: no other module, no files, no network, no process.
//
// The interpreter is github.com/dop251/goja (pure Go, ES2020+, Runtime.Interrupt). Each Sandbox
// owns one goja.Runtime touched only by its own loop goroutine. Everything that comes from
// outside — a socket event arriving on a hub reader goroutine, a timer, an acknowledgement, an
// emitWithAck result — is posted as a job onto that loop: events through a bounded queue (a full
// queue refuses the event with a console message and never blocks the hub), internal
// completions through a list bounded by the timer and pending-ack caps. A socket's events are
// queued in arrival order, so they run in order. Promise jobs run when the outermost call returns.
//
// Replacing a running program: a Dispatcher is attached once to a *socketio.Server and
// registers, once per namespace, a middleware and a connection handler that forward to the
// current Sandbox. Each Sandbox records what its program registered (namespaces, middleware,
// listeners) in its own tables, never on the Server. Dispatcher.Replace(next) makes next current
// and closes the previous one: the previous sandbox's loop stops, its timers are stopped, and the
// Go handlers it put on sockets become no-ops. The caller then closes the clients' connections
// (a transport close, like a restart) so they reconnect to the new program; a socket connected
// under an old program never reaches the new one's listeners.
//
// Safety (all limits in Options): code size, a per-callback time limit enforced with
// Runtime.Interrupt, a call stack limit, a heap watchdog (see watchdog.go for what it can and
// cannot see), a cap on pending timers, an emit rate limit, a bounded event queue and a
// throttled console. A program stopped by a limit says why on the console and through
// Options.OnStop; its sockets stay connected but its handlers do nothing, and new connections
// are refused with "server program stopped".
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dop251/goja"
	"github.com/dop251/goja/parser"
	"golang.org/x/time/rate"

	"socketlab/playground/socketio"
)

// Options configures a Sandbox. Zero values take the defaults in brackets.
type Options struct {
	// Console receives console.log/info/warn/error/debug lines (level "log", "info", "warn",
	// "error", "debug") and the sandbox's own messages (uncaught exceptions, refusals, stops)
	// at level "error" or "warn". Nil sends them to Logger.
	Console func(level, text string)
	// OnStop is called once when a limit stops the program, after its loop has ended (so it
	// may call Close or Dispatcher.Replace). Console may be called from any goroutine (the
	// loop, and hub goroutines for refused events) and must not call Close.
	OnStop func(err error)

	MaxCodeSize     int           // bytes of source [64 KiB]
	CallbackTimeout time.Duration // longest a single callback may run [1s]
	MaxCallStack    int           // JavaScript call depth [2000]
	MemoryBudget    int64         // heap growth allowed to one program [64 MiB]
	MemorySample    time.Duration // heap sampling period while a callback runs [10ms]
	MaxTimers       int           // pending setTimeout/setInterval [1000]
	EmitsPerSecond  int           // emits (any scope) per second, burst the same [1000]
	QueueSize       int           // events waiting for the loop [1024]
	ConsoleLines    int           // console lines per second before dropping [200]
	Logger          *slog.Logger  // nil discards
}

func (o *Options) defaults() {
	if o.MaxCodeSize <= 0 {
		o.MaxCodeSize = 64 << 10
	}
	if o.CallbackTimeout <= 0 {
		o.CallbackTimeout = time.Second
	}
	if o.MaxCallStack <= 0 {
		o.MaxCallStack = 2000
	}
	if o.MemoryBudget <= 0 {
		o.MemoryBudget = 64 << 20
	}
	if o.MemorySample <= 0 {
		o.MemorySample = 10 * time.Millisecond
	}
	if o.MaxTimers <= 0 {
		o.MaxTimers = 1000
	}
	if o.EmitsPerSecond <= 0 {
		o.EmitsPerSecond = 1000
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 1024
	}
	if o.ConsoleLines <= 0 {
		o.ConsoleLines = 200
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// SyntaxError is a program that does not compile, at 1-based Line and Col of File.
type SyntaxError struct {
	File      string
	Line, Col int
	Msg       string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s:%d:%d: SyntaxError: %s", e.File, e.Line, e.Col, e.Msg)
}

// RuntimeError is an exception thrown by the program's top-level code (Run), or the reason a
// limit stopped it (OnStop).
type RuntimeError struct {
	File      string
	Line, Col int    // 0 when unknown
	Msg       string // "TypeError: x is not a function", "program stopped: ..."
}

func (e *RuntimeError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
	}
	return e.Msg
}

// Errors returned by Run.
var (
	ErrTooLarge   = errors.New("sandbox: program too large")
	ErrClosed     = errors.New("sandbox: closed")
	ErrAlreadyRan = errors.New("sandbox: a sandbox runs one program; create a new one")
)

// Sandbox runs one program. Create it with New, start it with Run, make it live with
// Dispatcher.Replace, and Close it (Replace closes the one it replaces).
type Sandbox struct {
	d    *Dispatcher
	opts Options
	log  *slog.Logger
	file string

	events chan func() // bounded: socket events from hub goroutines
	wake   chan struct{}
	imu    sync.Mutex
	intern []func() // timer firings, ack results: bounded by MaxTimers and pending acks
	quit   chan struct{}
	done   chan struct{}
	// ctx ends at Close; bg counts the goroutines waiting for other servers (background).
	ctx    context.Context
	cancel context.CancelFunc
	bg     sync.WaitGroup

	admit sync.Map // *socketio.Socket admitted by middleware, until its connection runs
	// nexting is the socket whose middleware next() the loop is calling: its connection handler
	// is then queued in ticks, run right after the current job (Node's process.nextTick).
	nexting atomic.Pointer[socketio.Socket]
	ticks   []tick // loop goroutine only
	// delayed holds the DelayConnect releases of connection jobs not run yet: a program that
	// stops first releases them (release), so no client waits for a CONNECT that never comes.
	delayed   sync.Map // *socketio.Socket → func()
	started   atomic.Bool
	closeOnce sync.Once
	stopped   atomic.Bool // a limit stopped the program (or Close)
	stopMsg   atomic.Value

	// Registrations, read by the Dispatcher from hub goroutines.
	mu      sync.Mutex
	nsps    map[string]*jsNamespace // static namespaces by name ("/" always)
	parents []*jsNamespace          // dynamic namespaces in registration order

	wd    watchdog
	emits *rate.Limiter // EmitsPerSecond, burst the same (the project's one token bucket)
	con   consoleThrottle

	// Loop-only state.
	vm      *vm
	timers  map[int64]*jsTimer
	timerID int64
}

// New returns a sandbox for one program on d's server. It starts no goroutine until Run.
func New(d *Dispatcher, opts Options) *Sandbox {
	opts.defaults()
	sb := &Sandbox{
		d:      d,
		opts:   opts,
		log:    opts.Logger,
		events: make(chan func(), opts.QueueSize),
		wake:   make(chan struct{}, 1),
		quit:   make(chan struct{}),
		done:   make(chan struct{}),
		nsps:   make(map[string]*jsNamespace),
		timers: make(map[int64]*jsTimer),
	}
	sb.ctx, sb.cancel = context.WithCancel(context.Background())
	sb.emits = rate.NewLimiter(rate.Limit(opts.EmitsPerSecond), opts.EmitsPerSecond)
	sb.con.limit = opts.ConsoleLines
	return sb
}

// Run compiles code and runs its top level on the sandbox's loop, then keeps the loop serving
// events and timers until Close. A compile error is a *SyntaxError; an exception thrown by the top
// level a *RuntimeError (the caller should not make such a sandbox current). Either way no
// Dispatcher state changes: the previous program keeps running.
func (sb *Sandbox) Run(code, filename string) error {
	if len(code) > sb.opts.MaxCodeSize {
		return fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(code), sb.opts.MaxCodeSize)
	}
	if filename == "" {
		filename = "server.js"
	}
	prg, err := compile(code, filename)
	if err != nil {
		return err
	}
	if !sb.started.CompareAndSwap(false, true) {
		return ErrAlreadyRan
	}
	if sb.stopped.Load() {
		return ErrClosed
	}
	sb.file = filename
	sb.wd.init(sb)
	result := make(chan error, 1)
	go sb.loop(prg, result)
	return <-result
}

// compile parses and compiles; import statements get a message of their own.
func compile(code, filename string) (*goja.Program, error) {
	ast, err := parser.ParseFile(nil, filename, code, 0, parser.WithDisableSourceMaps)
	if err == nil {
		var prg *goja.Program
		prg, err = goja.CompileAST(ast, false)
		if err == nil {
			return prg, nil
		}
	}
	se := &SyntaxError{File: filename, Msg: err.Error()}
	var el parser.ErrorList
	var pe *parser.Error
	var ce *goja.CompilerSyntaxError
	switch {
	case errors.As(err, &el) && len(el) > 0:
		pe = el[0]
		fallthrough
	case pe != nil || errors.As(err, &pe):
		se.Line, se.Col, se.Msg = pe.Position.Line, pe.Position.Column, pe.Message
	case errors.As(err, &ce):
		se.Msg = ce.Message
		if ce.File != nil {
			p := ce.File.Position(ce.Offset)
			se.Line, se.Col = p.Line, p.Column
		}
	}
	if se.Msg == "Unexpected token ILLEGAL" {
		se.Msg = "Invalid or unexpected token" // Node's words
	}
	if se.Line > 0 {
		line := strings.Split(code, "\n")[se.Line-1]
		if t := strings.TrimSpace(line); strings.HasPrefix(t, "import ") || strings.HasPrefix(t, "import{") || strings.HasPrefix(t, "export ") {
			se.Msg = "import and export are not available in Socket Lab: the server is the global io, no module is needed (" + se.Msg + ")"
		}
	}
	return nil, se
}

// loop owns the runtime: it runs the top level, reports its result, then serves jobs.
func (sb *Sandbox) loop(prg *goja.Program, result chan<- error) {
	defer sb.notifyStop() // last: after done is closed
	defer close(sb.done)
	defer sb.release()
	sb.vm = newVM(sb)
	var runErr error
	sb.exec(func() {
		if _, err := sb.vm.rt.RunProgram(prg); err != nil {
			runErr = sb.describe(err)
		}
	})
	if runErr == nil && sb.stopped.Load() {
		runErr = &RuntimeError{File: sb.file, Msg: sb.stopReason()}
	}
	result <- runErr
	if runErr != nil {
		return
	}
	for !sb.stopped.Load() {
		select { // a job already waiting runs at once, with the heap as the last one left it
		case <-sb.quit:
			return
		case j := <-sb.events:
			sb.exec(j)
			continue
		case <-sb.wake:
			sb.runInternal()
			continue
		default:
		}
		sb.wd.idle()
		select {
		case <-sb.quit:
			return
		case j := <-sb.events:
			sb.exec(j)
		case <-sb.wake:
			sb.runInternal()
		}
	}
}

// runInternal runs the completions posted since the last wake.
func (sb *Sandbox) runInternal() {
	sb.imu.Lock()
	js := sb.intern
	sb.intern = nil
	sb.imu.Unlock()
	for _, j := range js {
		sb.exec(j)
	}
}

// exec runs one job under the watchdog; a panic is logged and stops the program.
func (sb *Sandbox) exec(j func()) {
	if sb.stopped.Load() {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			sb.log.Error("sandbox panic", "panic", r, "stack", string(debug.Stack()))
			sb.stop(fmt.Sprintf("internal error: %v", r))
		}
	}()
	sb.wd.begin()
	defer sb.wd.end()
	sb.vm.job++
	j()
	for len(sb.ticks) > 0 {
		t := sb.ticks[0]
		sb.ticks = sb.ticks[1:]
		if sb.stopped.Load() {
			t.drop()
		} else {
			t.run()
		}
	}
	sb.vm.reportRejections()
}

// tick is a job run right after the current one; drop is called instead when the program
// stopped meanwhile.
type tick struct{ run, drop func() }

// post queues an event job from a hub goroutine; a full queue refuses it. what names the job
// in the refusal message, with event (if any) quoted after it.
func (sb *Sandbox) post(what, event string, j func()) bool {
	if sb.stopped.Load() {
		return false
	}
	select {
	case sb.events <- j:
		return true
	default:
		if event != "" {
			what += " " + strconv.Quote(event)
		}
		sb.console("warn", fmt.Sprintf("%s dropped: the server's event queue is full (%d events waiting)", what, sb.opts.QueueSize))
		return false
	}
}

// postInternal queues a completion (timer, ack, promise settlement); it is bounded by the caps
// that created it and is never refused while the program runs.
func (sb *Sandbox) postInternal(j func()) {
	if sb.stopped.Load() {
		return
	}
	sb.imu.Lock()
	sb.intern = append(sb.intern, j)
	sb.imu.Unlock()
	select {
	case sb.wake <- struct{}{}:
	default:
	}
}

// stop ends the program after a limit or a fatal error: it says why, and the loop exits.
func (sb *Sandbox) stop(reason string) {
	if !sb.stopped.CompareAndSwap(false, true) {
		return
	}
	sb.stopMsg.Store(reason)
	sb.console("error", "program stopped: "+reason)
	sb.log.Warn("sandbox program stopped", "file", sb.file, "reason", reason)
}

// notifyStop calls OnStop once the loop has finished (so OnStop may Close or Replace).
func (sb *Sandbox) notifyStop() {
	if sb.opts.OnStop == nil {
		return
	}
	if msg, ok := sb.stopMsg.Load().(string); ok {
		sb.opts.OnStop(&RuntimeError{File: sb.file, Msg: "program stopped: " + msg})
	}
}

func (sb *Sandbox) stopReason() string {
	if s, ok := sb.stopMsg.Load().(string); ok {
		return "program stopped: " + s
	}
	return "program stopped"
}

// Stopped reports whether a limit (or Close) stopped the program, and why.
func (sb *Sandbox) Stopped() (bool, string) {
	if !sb.stopped.Load() {
		return false, ""
	}
	return true, sb.stopReason()
}

// release drops the runtime and everything reachable from it, on the loop goroutine.
func (sb *Sandbox) release() {
	sb.stopped.Store(true)
	for id, t := range sb.timers {
		t.t.Stop()
		delete(sb.timers, id)
	}
	sb.wd.close()
	sb.wd.setRuntime(nil)
	sb.mu.Lock()
	sb.nsps = map[string]*jsNamespace{}
	sb.parents = nil
	sb.mu.Unlock()
	if v := sb.vm; v != nil {
		for s := range v.sockets {
			s.Set(dataKey, nil) // the hub keeps socket.data (for recovery): let the runtime go
		}
	}
	sb.vm = nil
	sb.delayed.Range(func(s, release any) bool {
		sb.delayed.Delete(s)
		release.(func())()
		return true
	})
	sb.imu.Lock()
	sb.intern = nil
	sb.imu.Unlock()
	for {
		select {
		case <-sb.events:
		default:
			return
		}
	}
}

// Close stops the program: timers stop, its handlers become no-ops, pending acks are abandoned,
// and every goroutine it started has returned when Close returns. It does not disconnect
// clients (see Dispatcher.Replace).
func (sb *Sandbox) Close() {
	sb.closeOnce.Do(func() {
		sb.stopped.Store(true)
		close(sb.quit)
		if sb.started.Load() {
			<-sb.done
		}
		sb.cancel()
		sb.bg.Wait()
		if sb.d != nil {
			sb.d.forget(sb)
		}
	})
}

// console writes a line to Options.Console (or the logger), throttled per second.
func (sb *Sandbox) console(level, text string) {
	ok, dropped := sb.con.allow(time.Now())
	if dropped > 0 {
		sb.emitConsole("warn", fmt.Sprintf("… %d console lines dropped (more than %d per second)", dropped, sb.con.limit))
	}
	if !ok {
		return
	}
	sb.emitConsole(level, text)
}

func (sb *Sandbox) emitConsole(level, text string) {
	if len(text) > 8<<10 {
		text = text[:8<<10] + "…"
	}
	if sb.opts.Console != nil {
		sb.opts.Console(level, text)
		return
	}
	sb.log.Info("console", "level", level, "text", text)
}

// consoleThrottle allows limit lines per second and counts the rest.
type consoleThrottle struct {
	mu      sync.Mutex
	limit   int
	second  time.Time
	n       int
	dropped int
}

func (c *consoleThrottle) allow(now time.Time) (ok bool, reportDropped int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now.Sub(c.second) >= time.Second {
		reportDropped, c.dropped = c.dropped, 0
		c.second, c.n = now, 0
	}
	if c.n >= c.limit {
		c.dropped++
		return false, reportDropped
	}
	c.n++
	return true, reportDropped
}

// describe turns an error from goja into a *RuntimeError with the program's position.
func (sb *Sandbox) describe(err error) *RuntimeError {
	re := &RuntimeError{File: sb.file, Msg: err.Error()}
	var ie *goja.InterruptedError
	var so *goja.StackOverflowError
	var ex *goja.Exception
	var frames []goja.StackFrame
	switch {
	case errors.As(err, &ie):
		re.Msg = fmt.Sprint(ie.Value())
		frames = ie.Stack()
	case errors.As(err, &so):
		re.Msg = "RangeError: Maximum call stack size exceeded"
		frames = so.Stack()
	case errors.As(err, &ex):
		re.Msg = exceptionText(ex.Value())
		frames = ex.Stack()
	}
	for _, f := range frames {
		if p := f.Position(); p.Line > 0 && p.Filename == sb.file {
			re.Line, re.Col = p.Line, p.Column
			break
		}
	}
	return re
}

// exceptionText is "Name: message" for an Error object, else the value as a string.
func exceptionText(v goja.Value) string {
	if o, ok := v.(*goja.Object); ok {
		name, msg := o.Get("name"), o.Get("message")
		if name != nil && msg != nil && !goja.IsUndefined(name) {
			s := name.String()
			if m := msg.String(); m != "" {
				s += ": " + m
			}
			return s
		}
	}
	if v == nil {
		return "undefined"
	}
	return "Uncaught " + v.String()
}
