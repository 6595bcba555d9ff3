package classroom

import (
	"socketlab/playground"
	"socketlab/playground/socketio"
)

// Lifecycle: a class starts with Create, ends with End (the instructor's "end") or when its
// registry sweeps its idle instance or closes; a class whose instance is closed is forgotten.

// Create starts a class; the secret is returned once, to the instructor.
func (c *Classroom) Create(lesson string) (cl *Class, secret string, err error) {
	secret = randomToken(secretBytes)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pruneLocked()
	code := randomCode()
	for c.byCode[code] != nil {
		code = randomCode()
	}
	cl = &Class{
		code: code, secret: secret, lesson: lesson, cr: c, member: newTicket(),
		students: map[string]*student{}, byName: map[string]string{}, banned: map[string]bool{},
	}
	_, err = c.reg.Open(playground.Spec{
		Demo:  "class",
		Setup: cl.setup,
		// Dynamic tenant namespaces are closed by reset; empty ones go away.
		Socket:  func(o *socketio.Options) { o.CleanupEmptyChildNamespaces = true },
		Private: true, // reachable only through SocketHandler, behind the class's admission
		// With -redis the class's hub is shared under its own key: classes never mix.
		Shared: true, ClusterKey: "-class-" + code,
	})
	if err != nil {
		return nil, "", err
	}
	c.byCode[code] = cl
	c.reg.Logger().Info("class started", "class", code, "instance", cl.in.ID())
	return cl, secret, nil
}

// setup installs the class's handlers on its new instance's hub.
func (cl *Class) setup(in *playground.Instance) {
	cl.in = in
	io := in.IO()
	main := io.Of("/")
	main.Use(cl.studentMiddleware)
	main.OnConnection(cl.onStudent)
	// After the Go student handlers: admission runs before any program sees a socket.
	cl.progs = in.AttachPrograms(reservedNamespace)
	inst := io.Of("/instructor")
	inst.Use(cl.instructorMiddleware)
	inst.OnConnection(cl.onInstructor)
	tenants := io.OfRegexp(tenantNamespace)
	tenants.Use(cl.tenantMiddleware)
	tenants.OnConnection(cl.onTenant)
}

// pruneLocked forgets classes whose instance was reclaimed and address budgets that are full again.
func (c *Classroom) pruneLocked() {
	for code, cl := range c.byCode {
		if cl.in.Closed() {
			delete(c.byCode, code)
		}
	}
	c.fails.prune()
	c.tokenFails.prune()
}

// Lookup returns the live class with code, or nil. It does not count failures (see Join).
func (c *Classroom) Lookup(code string) *Class {
	code, ok := NormalizeCode(code)
	if !ok {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	cl := c.byCode[code]
	if cl == nil {
		return nil
	}
	if cl.in.Closed() {
		delete(c.byCode, code)
		return nil
	}
	return cl
}

// Len is the number of live classes.
func (c *Classroom) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pruneLocked()
	return len(c.byCode)
}

// End closes a class: everyone is told, then disconnected; the code stops working.
func (cl *Class) End() {
	cl.mu.Lock()
	if cl.ended {
		cl.mu.Unlock()
		return
	}
	cl.ended = true
	cl.mu.Unlock()
	cl.in.IO().Emit("ended")
	cl.cr.mu.Lock()
	if cl.cr.byCode[cl.code] == cl {
		delete(cl.cr.byCode, cl.code)
	}
	cl.cr.mu.Unlock()
	cl.in.Close()
	cl.cr.reg.Logger().Info("class ended", "class", cl.code)
}
