package classroom

import (
	"crypto/sha256"
	"maps"
	"slices"
	"time"

	"socketlab/playground"
	"socketlab/playground/socketio"
)

// Lifecycle: a class starts with Create (or comes back from the store after a restart: restore),
// ends with End (the instructor's "end") or when its registry sweeps its idle instance or closes;
// a class whose instance is closed is forgotten, and deleted from the store unless the classroom
// is closing (a shutdown keeps the classes for the next start).

// Create starts a class for no particular client (CreateFor).
func (c *Classroom) Create(lesson string) (cl *Class, secret string, err error) {
	return c.CreateFor(playground.Client{}, lesson)
}

// CreateFor starts a class for client, within its share of classes (playground.Options
// ReservedPerAddress); the secret is returned once, to the instructor. The class's hub admits
// its sessions from places reserved for it (its seats and sessionSlack more, sessionSlack
// beyond SeatsPerAddress from one address): other clients' connection floods cannot take them.
func (c *Classroom) CreateFor(client playground.Client, lesson string) (cl *Class, secret string, err error) {
	secret = randomToken(secretBytes)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pruneLocked()
	code := randomCode()
	for c.byCode[code] != nil {
		code = randomCode()
	}
	cl = c.newClass(code, sha256.Sum256([]byte(secret)), newTicket(), lesson)
	if err := c.openLocked(cl, client); err != nil {
		return nil, "", err
	}
	c.reg.Logger().Info("class started", "class", code, "instance", cl.in.ID())
	return cl, secret, nil
}

func (c *Classroom) newClass(code string, keyHash [sha256.Size]byte, member, lesson string) *Class {
	return &Class{
		code: code, keyHash: keyHash, lesson: lesson, cr: c, member: member,
		students: map[string]*student{}, byName: map[string]string{}, banned: map[string]bool{},
		byDevice: map[string]string{}, seats: map[string]int{}, joins: newBudgets(c.opts.JoinEvery),
		awaited: map[string]rosterEntry{},
	}
}

// openLocked gives cl its instance, on client's share, and registers it under its code; the
// caller holds c.mu.
func (c *Classroom) openLocked(cl *Class, client playground.Client) error {
	_, err := c.reg.Open(playground.Spec{
		Demo:  "class",
		Setup: cl.setup,
		// Dynamic tenant namespaces are closed by reset; empty ones go away.
		Socket:  func(o *socketio.Options) { o.CleanupEmptyChildNamespaces = true },
		Private: true, // reachable only through SocketHandler, behind the class's admission
		Client:  client, Reserve: c.opts.MaxStudents + sessionSlack, ReservePerAddress: c.opts.SeatsPerAddress + sessionSlack,
		OnClose: func() { c.closed(cl) },
		// With -redis the class's hub is shared under its own key: classes never mix.
		Shared: true, ClusterKey: "-class-" + cl.code,
	})
	if err != nil {
		return err
	}
	c.byCode[cl.code] = cl
	c.persist.save(cl)
	return nil
}

// closed forgets a class whose instance closed (ended or swept), in memory and in the store.
func (c *Classroom) closed(cl *Class) {
	c.mu.Lock()
	if c.byCode[cl.code] == cl {
		delete(c.byCode, cl.code)
	}
	c.mu.Unlock()
	c.persist.forget(cl.code)
}

// changed saves cl's state to the store (in the background; see persister).
func (cl *Class) changed() { cl.cr.persist.save(cl) }

// restore brings back the classes of the store: each under its code, key and member cookie,
// with its settings and its roster awaited. Stale or unreadable records are logged; a stale one
// is deleted, an unreadable one left as it is.
func (c *Classroom) restore() {
	log := c.reg.Logger().With("file", c.opts.Store.Path())
	recs, bad, err := c.opts.Store.load()
	if err != nil {
		log.Error("saved classes not restored", "err", err)
		return
	}
	for _, err := range bad {
		log.Error("a saved class is unreadable and was not restored", "err", err)
	}
	now := time.Now()
	type program struct {
		cl   *Class
		code string
	}
	var programs []program
	c.mu.Lock()
	for _, rec := range recs {
		if age := now.Sub(rec.Saved); age > StaleAfter {
			log.Info("saved class expired", "class", rec.Code, "saved", rec.Saved.Format(time.RFC3339))
			c.persist.forget(rec.Code)
			continue
		}
		cl, err := c.restoreLocked(rec)
		if err != nil {
			log.Error("saved class not restored", "class", rec.Code, "err", err)
			continue
		}
		log.Info("class restored", "class", rec.Code, "instance", cl.in.ID(), "students", len(rec.Roster), "rooms", rec.Rooms)
		if rec.Program != "" {
			programs = append(programs, program{cl, rec.Program})
		}
	}
	c.mu.Unlock()
	for _, p := range programs { // outside c.mu: a program starts a sandbox
		if err := p.cl.progs.Run(p.code); err != nil {
			log.Warn("the instructor's program did not start again: the class chat serves", "class", p.cl.code, "err", err)
		}
	}
}

func (c *Classroom) restoreLocked(rec classRecord) (*Class, error) {
	cl := c.newClass(rec.Code, [sha256.Size]byte(rec.KeyHash), rec.Member, rec.Lesson)
	cl.locked, cl.rooms, cl.tenants, cl.follow = rec.Locked, rec.Rooms, rec.Tenants, rec.Follow
	for _, b := range rec.Banned {
		cl.banned[b] = true
	}
	for _, e := range rec.Roster {
		_, folded, _ := ValidateName(e.Name)
		cl.awaited[folded] = e
	}
	if err := c.openLocked(cl, playground.Client{}); err != nil { // restored: no client's share
		return nil, err
	}
	return cl, nil
}

// Close saves every live class to the store one last time and closes it; the class hubs keep
// running (the registry's Close ends them). Call it before closing the registry, whose closing
// disconnects every student: what that changes is not saved.
func (c *Classroom) Close() {
	c.mu.Lock()
	live := slices.Collect(maps.Values(c.byCode))
	c.mu.Unlock()
	c.persist.close(live)
}

// Roster is the class's students by name with their breakout rooms ("" for the main room):
// those connected, and those of a restored class not back yet.
func (cl *Class) Roster() map[string]string {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	out := map[string]string{}
	for _, e := range cl.awaited {
		out[e.Name] = e.Room
	}
	for _, st := range cl.students {
		out[st.name] = st.room
	}
	return out
}

// Rooms is the number of breakout rooms (0: none).
func (cl *Class) Rooms() int {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.rooms
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
	inst.HideInTap("token") // every control carries the key: the class's tap never shows it
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
	c.mints.prune()
	now := time.Now()
	for id, g := range c.guesses {
		if !now.Before(g.expires) {
			delete(c.guesses, id)
		}
	}
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
