package playground

import (
	"errors"
	"fmt"
	"sync"

	"socketlab/playground/socketio/sandbox"
)

// Programs runs JavaScript programs on an instance's own hub, beside the Go handlers its Setup
// installed, instead of replacing the hub as RunCode does: a class keeps its admission, its roster
// and its instructor channel in Go while the instructor's program serves the students' "/".
//
// The hub's "/" runs the Go middleware and connection handlers registered before AttachPrograms
// first, then the current program's (none: the Go handlers alone). Switching programs does not
// touch connections: the caller closes the connections of the sockets that were connected under
// the previous program, so they reconnect to the new one, as after a restart.
type Programs struct {
	in   *Instance
	disp *sandbox.Dispatcher

	mu   sync.Mutex
	code string // the running program's source; "" for none
}

// ErrTooManyRuns is returned by Programs.Run when runs come faster than the instance's run budget.
var ErrTooManyRuns = errors.New("too many runs in a row; wait a second")

// AttachPrograms attaches the program slot to the instance's hub; call it once, from Spec.Setup,
// after the Go handlers that must run first. io.of(name) throws in a program for every name
// reserved reports true, so those namespaces stay the Go handlers' alone.
func (in *Instance) AttachPrograms(reserved func(name string) bool) *Programs {
	d := sandbox.NewDispatcher(in.IO())
	d.Reserve(reserved)
	p := &Programs{in: in, disp: d}
	in.mu.Lock()
	in.progs = p
	in.mu.Unlock()
	return p
}

func (in *Instance) programs() *Programs {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.progs
}

// Run compiles code and runs its top level; on success it becomes the program new connections
// reach, and the previous one stops. A program that does not compile (*sandbox.SyntaxError, with
// line and column) or throws at its top level (*sandbox.RuntimeError) changes nothing. Its
// console.log and errors go to the instance's console (the tap).
func (p *Programs) Run(code string) error {
	in := p.in
	in.runMu.Lock()
	defer in.runMu.Unlock()
	if in.Closed() {
		return ErrInstanceClosed
	}
	if !in.runs.Allow() {
		return ErrTooManyRuns
	}
	sb, err := in.compile(p.disp, code, "")
	if err != nil {
		return err
	}
	p.disp.Replace(sb)
	p.mu.Lock()
	p.code = code
	p.mu.Unlock()
	in.console("info", fmt.Sprintf("The server restarted with the instructor's code (%d lines); the clients reconnect.", lines(code)))
	return nil
}

// Stop stops the running program, if any, and reports whether there was one: "/" is the Go
// handlers' alone again.
func (p *Programs) Stop() bool {
	p.in.runMu.Lock()
	defer p.in.runMu.Unlock()
	prev := p.disp.Replace(nil)
	p.mu.Lock()
	p.code = ""
	p.mu.Unlock()
	if prev != nil {
		p.in.console("info", "The program stopped; the built-in server is back and the clients reconnect.")
	}
	return prev != nil
}

// Code is the running program's source, "" when none runs. A program stopped by a limit still
// counts as running (its sockets stay, its handlers do nothing) until Run or Stop.
func (p *Programs) Code() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.code
}
