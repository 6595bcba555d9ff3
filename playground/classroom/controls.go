package classroom

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"socketlab/playground"
	"socketlab/playground/socketio"
)

// Controls: the instructor's actions. Each is an event on "/instructor" carrying {token, ...}; the
// token is checked again (constant time) before the action's handler runs, and the handler's
// answer (usually a callInfo: the equivalent Socket.IO server code and how many sockets it
// reached) is the event's ack. Students' sockets get an error ack for every one of these events.
//
// To add an action: one entry in controls plus its handler; its arguments are fields of
// controlArgs. A handler's error is acked as {error} (with line and col when it is a program's
// error: playground.CodeErrorJSON). An action on "/" remembers that "/" may be the instructor's
// program (program.go): emit there only what the student page shows either way, and let
// students' sockets be (reconnectStudents) when the server behind "/" changes.
var controls = []control{
	{event: "info", run: (*Class).info, readOnly: true},
	{event: "emit", run: (*Class).emit, readOnly: true},
	{event: "breakout", run: (*Class).breakout},
	{event: "openRooms", run: (*Class).openRooms},
	{event: "move", run: (*Class).move},
	{event: "tenants", run: (*Class).openTenants},
	{event: "moveTenant", run: (*Class).moveTenant},
	{event: "lock", run: (*Class).lock},
	{event: "kick", run: (*Class).kick},
	{event: "allow", run: (*Class).allow},
	{event: "reset", run: (*Class).reset},
	{event: "follow", run: (*Class).setFollow},
	{event: "run", run: (*Class).runCode},
	{event: "stop", run: (*Class).stopCode},
	// After the ack is queued (closing flushes it), and not on the instructor socket's own reader
	// goroutine: End closes it.
	{event: "end", run: (*Class).end, afterAck: func(cl *Class) { go cl.End() }},
}

// control is one instructor action.
type control struct {
	event    string
	run      func(cl *Class, a controlArgs) (any, error)
	afterAck func(cl *Class) // optional: runs once the ack is queued
	readOnly bool            // changes nothing the store keeps: no save after it
}

// controlArgs are every action's arguments (each action reads its own).
type controlArgs struct {
	Token   string   `json:"token"`
	To      string   `json:"to"`      // emit: all | room | except | tenant
	Room    string   `json:"room"`    // emit to room, move
	Student string   `json:"student"` // socket id on "/": emit except, move, kick, moveTenant
	Tenant  string   `json:"tenant"`  // "red" (namespace /org-red)
	Text    string   `json:"text"`
	Rooms   int      `json:"rooms"`  // breakout, openRooms
	Names   []string `json:"names"`  // tenants
	Locked  bool     `json:"locked"` // lock
	Name    string   `json:"name"`   // allow
	URL     string   `json:"url"`    // follow
	Title   string   `json:"title"`  // follow
	Code    string   `json:"code"`   // run: a socket.io 4 program in JavaScript
}

// callInfo is most controls' answer: the equivalent Socket.IO server code.
type callInfo struct {
	JS         string `json:"call"`
	Go         string `json:"go"`
	Recipients int    `json:"recipients"`
}

var (
	tenantNameRE        = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,15}$`)
	followURLRE         = regexp.MustCompile(`^/[A-Za-z0-9/_.-]*(#[A-Za-z0-9_.:-]*)?$`)
	breakoutRoomPattern = regexp.MustCompile(`^room-([1-9][0-9]?)$`)
	errNoStudent        = errors.New("no such student")
)

func (cl *Class) onInstructor(s *socketio.Socket) {
	cl.in.Log().Info("the instructor connected", "nsp", "/instructor")
	for _, c := range controls {
		s.On(c.event, func(e *socketio.Event) {
			var a controlArgs
			if e.Decode(0, &a) != nil || !cl.Authorized(a.Token) {
				cl.in.Log().Warn("control event refused", "nsp", "/instructor", "event", c.event)
				e.AckError(ErrNotAuthorized)
				return
			}
			res, err := cl.control(c.event, a)
			if err != nil {
				_, body := playground.CodeErrorJSON(err) // {error}, and line and col for code
				e.Ack(body)
				return
			}
			e.Ack(res)
			if c.afterAck != nil {
				c.afterAck(cl)
			}
		})
	}
}

// control runs one authorized action by its event name.
func (cl *Class) control(event string, a controlArgs) (any, error) {
	for _, c := range controls {
		if c.event == event {
			res, err := c.run(cl, a)
			if err == nil && !c.readOnly {
				cl.changed() // saved in the background (store.go)
			}
			return res, err
		}
	}
	return nil, fmt.Errorf("unknown control %q", event)
}

func jsString(s string) string { b, _ := json.Marshal(s); return string(b) }

// everyone emits ev to every socket on "/" and returns how many there were.
func (cl *Class) everyone(ev string, arg any) int {
	io := cl.in.IO()
	n := len(io.FetchSockets())
	io.Emit(ev, arg)
	return n
}

func (cl *Class) validRoom(room string) bool {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return validRoomOf(room, cl.rooms)
}

// awaitedBeyondLocked sends the awaited students (a restored class's, not back yet) of rooms
// beyond room-n to the main room; the caller holds cl.mu.
func (cl *Class) awaitedBeyondLocked(n int) {
	for f, e := range cl.awaited {
		if e.Room != "" && !validRoomOf(e.Room, n) {
			e.Room = ""
			cl.awaited[f] = e
		}
	}
}

// validRoomOf reports whether room is one of the breakout rooms room-1..room-rooms.
func validRoomOf(room string, rooms int) bool {
	m := breakoutRoomPattern.FindStringSubmatch(room)
	if m == nil {
		return false
	}
	n, _ := strconv.Atoi(m[1])
	return n >= 1 && n <= rooms
}

// ---- the handlers, in the table's order

func (cl *Class) info(controlArgs) (any, error) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return map[string]any{"code": cl.code, "tap": cl.TapPath(), "path": cl.SocketPath(), "locked": cl.locked,
		"rooms": cl.rooms, "tenants": cl.tenants, "banned": slices.Sorted(maps.Keys(cl.banned)), "follow": cl.follow,
		"program": cl.progs.Code(), "starter": StarterProgram}, nil
}

func (cl *Class) emit(a controlArgs) (any, error) {
	text, err := checkText(a.Text)
	if err != nil {
		return nil, err
	}
	io := cl.in.IO()
	msg := map[string]any{"from": "Instructor", "text": text}
	var to interface {
		FetchSockets() []*socketio.Socket
		Emit(string, ...any) error
	}
	var res callInfo
	switch a.To {
	case "all", "":
		msg["to"] = "everyone"
		to = io.Of("/").To()
		res = emitCall("/", "all", nil, nil)
	case "room":
		if !cl.validRoom(a.Room) {
			return nil, fmt.Errorf("no breakout room %q", a.Room)
		}
		msg["to"] = a.Room
		to = io.To(a.Room)
		res = emitCall("/", "room", []string{a.Room}, nil)
	case "except":
		st := cl.lookupStudent(a.Student)
		if st == nil {
			return nil, errNoStudent
		}
		msg["to"] = "everyone except " + st.name
		to = io.Except(st.id)
		res = emitCall("/", "except", nil, []string{st.id})
		res.JS += " // " + st.name + "'s socket id"
	case "tenant":
		nsp := "/org-" + a.Tenant
		cl.mu.Lock()
		open := slices.Contains(cl.tenants, nsp)
		cl.mu.Unlock()
		if !open {
			return nil, fmt.Errorf("no tenant %q", a.Tenant)
		}
		msg["to"] = nsp
		to = io.Of(nsp)
		res = emitCall(nsp, "all", nil, nil)
	default:
		return nil, fmt.Errorf("emit to %q: use all, room, except or tenant", a.To)
	}
	res.Recipients = len(to.FetchSockets())
	to.Emit("msg", msg)
	return res, nil
}

// emitCall is the call text of the instructor's "msg" emit, from the one place call text is built.
func emitCall(nsp, scope string, rooms, except []string) callInfo {
	js, goCall := playground.CallText(nsp, scope, "msg", rooms, except)
	return callInfo{JS: js, Go: goCall}
}

// breakout splits the students on "/" into n rooms at random.
func (cl *Class) breakout(a controlArgs) (any, error) {
	n := a.Rooms
	if n < 2 || n > maxBreakoutRooms {
		return nil, fmt.Errorf("breakout needs 2 to %d rooms", maxBreakoutRooms)
	}
	cl.mu.Lock()
	studs := slices.Collect(maps.Values(cl.students))
	oldRooms := cl.rooms
	cl.rooms = n
	// Fisher-Yates with crypto/rand: the order does not matter much, but no math/rand seed to manage.
	for i := len(studs) - 1; i > 0; i-- {
		j, _ := rand.Int(rand.Reader, big.NewInt(int64(i+1)))
		studs[i], studs[j.Int64()] = studs[j.Int64()], studs[i]
	}
	for i, st := range studs {
		st.room = "room-" + strconv.Itoa(i%n+1)
	}
	cl.awaitedBeyondLocked(0)
	cl.mu.Unlock()
	io := cl.in.IO()
	for i := 1; i <= oldRooms; i++ {
		io.SocketsLeave("room-" + strconv.Itoa(i))
	}
	for _, st := range studs {
		st.s.Join(st.room)
		cl.tellRooms(st)
	}
	cl.in.Log().Info("breakout", "rooms", n, "students", len(studs))
	return callInfo{
		JS:         "sockets.forEach((socket, i) => socket.join(`room-${i % " + strconv.Itoa(n) + " + 1}`))",
		Go:         "for i, s := range sockets { s.Join(fmt.Sprintf(\"room-%d\", i%" + strconv.Itoa(n) + "+1)) }",
		Recipients: len(studs),
	}, nil
}

// openRooms makes room-1..room-n the class's breakout rooms without moving anyone in: the
// instructor then moves students one by one (drag and drop). Students in a room beyond n go back
// to the main room.
func (cl *Class) openRooms(a controlArgs) (any, error) {
	n := a.Rooms
	if n < 1 || n > maxBreakoutRooms {
		return nil, fmt.Errorf("open 1 to %d rooms", maxBreakoutRooms)
	}
	type leave struct {
		st   *student
		room string
	}
	var out []leave
	cl.mu.Lock()
	cl.rooms = n
	for _, st := range cl.students {
		if st.room == "" {
			continue
		}
		if m := breakoutRoomPattern.FindStringSubmatch(st.room); m != nil {
			if k, _ := strconv.Atoi(m[1]); k <= n {
				continue
			}
		}
		out = append(out, leave{st, st.room})
		st.room = ""
	}
	cl.awaitedBeyondLocked(n)
	cl.mu.Unlock()
	for _, l := range out {
		cl.in.IO().In(l.st.id).SocketsLeave(l.room)
		cl.tellRooms(l.st)
	}
	cl.in.Log().Info("breakout rooms opened", "rooms", n, "back_to_main", len(out))
	return callInfo{
		JS:         `// nothing to create: a Socket.IO room exists while a socket is in it; "room-1"…"room-` + strconv.Itoa(n) + `" fill as you move students: io.in(socketId).socketsJoin("room-1")`,
		Go:         `// rooms need no creating: io.In(socketID).SocketsJoin("room-1")`,
		Recipients: len(out),
	}, nil
}

// move puts one student in a breakout room ("" for the main room).
func (cl *Class) move(a controlArgs) (any, error) {
	st := cl.lookupStudent(a.Student)
	if st == nil {
		return nil, errNoStudent
	}
	if a.Room != "" && !cl.validRoom(a.Room) {
		return nil, fmt.Errorf("no breakout room %q", a.Room)
	}
	cl.mu.Lock()
	old := st.room
	st.room = a.Room
	cl.mu.Unlock()
	io := cl.in.IO()
	var js, goc []string
	if old != "" {
		io.In(st.id).SocketsLeave(old)
		js = append(js, `io.in(socketId).socketsLeave(`+jsString(old)+`)`)
		goc = append(goc, `io.In(socketID).SocketsLeave(`+jsString(old)+`)`)
	}
	if a.Room != "" {
		io.In(st.id).SocketsJoin(a.Room)
		js = append(js, `io.in(socketId).socketsJoin(`+jsString(a.Room)+`)`)
		goc = append(goc, `io.In(socketID).SocketsJoin(`+jsString(a.Room)+`)`)
	}
	cl.tellRooms(st)
	return callInfo{JS: strings.Join(js, "; "), Go: strings.Join(goc, "; "), Recipients: 1}, nil
}

func (cl *Class) openTenants(a controlArgs) (any, error) {
	if len(a.Names) == 0 || len(a.Names) > maxTenants {
		return nil, fmt.Errorf("open 1 to %d tenants", maxTenants)
	}
	var nsps []string
	for _, n := range a.Names {
		if !tenantNameRE.MatchString(n) {
			return nil, fmt.Errorf("tenant %q: use a-z, 0-9 and -", n)
		}
		nsps = append(nsps, "/org-"+n)
	}
	cl.mu.Lock()
	for _, n := range nsps {
		if !slices.Contains(cl.tenants, n) {
			cl.tenants = append(cl.tenants, n)
		}
	}
	if len(cl.tenants) > maxTenants {
		cl.tenants = cl.tenants[:maxTenants]
	}
	cl.mu.Unlock()
	cl.in.Log().Info("tenants opened", "namespaces", strings.Join(nsps, " "))
	return callInfo{
		JS: `io.of(/^\/org-[a-z0-9-]+$/).use(ticketCheck) // ` + strings.Join(nsps, ", "),
		Go: `io.OfRegexp(regexp.MustCompile(` + "`^/org-[a-z0-9-]+$`" + `)).Use(ticketCheck)`,
	}, nil
}

func (cl *Class) moveTenant(a controlArgs) (any, error) {
	st := cl.lookupStudent(a.Student)
	if st == nil {
		return nil, errNoStudent
	}
	nsp := ""
	if a.Tenant != "" {
		nsp = "/org-" + a.Tenant
	}
	cl.mu.Lock()
	if nsp != "" && !slices.Contains(cl.tenants, nsp) {
		cl.mu.Unlock()
		return nil, fmt.Errorf("no tenant %q", a.Tenant)
	}
	old := st.tenantSock
	st.tenant, st.tenantSock, st.ticket = nsp, nil, ""
	if nsp != "" {
		st.ticket = newTicket()
	}
	ticket := st.ticket
	cl.mu.Unlock()
	if old != nil {
		old.Disconnect(false)
	}
	st.s.Emit("tenant", map[string]string{"nsp": nsp, "ticket": ticket})
	cl.tellRooms(st)
	if nsp == "" {
		return callInfo{JS: `tenantSocket.disconnect()`, Go: `tenantSocket.Disconnect(false)`, Recipients: 1}, nil
	}
	return callInfo{
		JS: `socket.emit("tenant", {nsp: ` + jsString(nsp) + `}) // the page then runs io(` + jsString(nsp) + `, {auth: {ticket}})`,
		Go: `s.Emit("tenant", map[string]string{"nsp": ` + jsString(nsp) + `, "ticket": ticket})`, Recipients: 1,
	}, nil
}

func (cl *Class) lock(a controlArgs) (any, error) {
	cl.mu.Lock()
	cl.locked = a.Locked
	cl.mu.Unlock()
	n := cl.everyone("locked", a.Locked)
	cl.in.Log().Info("sending locked", "locked", a.Locked)
	note := ` // and the "say" handler refuses while locked`
	if cl.codeRunning() {
		note = ` // the students' pages disable Send; what "say" does is up to your program`
	}
	return callInfo{JS: `io.emit("locked", ` + strconv.FormatBool(a.Locked) + `)` + note,
		Go: `io.Emit("locked", ` + strconv.FormatBool(a.Locked) + `)`, Recipients: n}, nil
}

func (cl *Class) kick(a controlArgs) (any, error) {
	st := cl.lookupStudent(a.Student)
	if st == nil {
		return nil, errNoStudent
	}
	cl.mu.Lock()
	cl.banned[st.folded] = true
	cl.mu.Unlock()
	st.s.Emit("kicked")
	cl.in.IO().In(st.id).DisconnectSockets(true)
	cl.in.Log().Info("student removed", "client", st.name)
	return callInfo{JS: `io.in(socketId).disconnectSockets(true)`, Go: `io.In(socketID).DisconnectSockets(true)`, Recipients: 1}, nil
}

func (cl *Class) allow(a controlArgs) (any, error) {
	_, folded, err := ValidateName(a.Name)
	if err != nil {
		return nil, err
	}
	cl.mu.Lock()
	delete(cl.banned, folded)
	cl.mu.Unlock()
	return callInfo{JS: "// the middleware accepts this name again", Go: "// the middleware accepts this name again"}, nil
}

// reset: everyone back in the main room, tenants closed, sending unlocked. Bans stay.
func (cl *Class) reset(controlArgs) (any, error) {
	cl.mu.Lock()
	rooms := cl.rooms
	cl.rooms, cl.locked, cl.follow = 0, false, nil
	tenants := cl.tenants
	cl.tenants = nil
	var studs []*student
	var tsocks []*socketio.Socket
	for _, st := range cl.students {
		st.room, st.tenant, st.ticket = "", "", ""
		if st.tenantSock != nil {
			tsocks = append(tsocks, st.tenantSock)
			st.tenantSock = nil
		}
		studs = append(studs, st)
	}
	cl.awaitedBeyondLocked(0)
	cl.mu.Unlock()
	io := cl.in.IO()
	for i := 1; i <= rooms; i++ {
		io.SocketsLeave("room-" + strconv.Itoa(i))
	}
	for _, s := range tsocks {
		s.Disconnect(false)
	}
	for _, st := range studs {
		st.s.Emit("tenant", map[string]string{"nsp": "", "ticket": ""})
		cl.tellRooms(st)
	}
	io.Emit("locked", false)
	io.Emit("reset")
	cl.in.Log().Info("class reset", "rooms", rooms, "tenants", len(tenants))
	return callInfo{JS: `io.socketsLeave(["room-1", …]); io.of(/^\/org-/).disconnectSockets(); io.emit("reset")`,
		Go: `io.SocketsLeave("room-1", …); io.Emit("reset")`, Recipients: len(studs)}, nil
}

// sitePath reports whether u is a path on this site that a student's page may link to and load:
// "/lessons/rooms#join". Refused: anything a browser reads as another origin or scheme
// ("//evil.example/x", "https:…", "/\\evil" which browsers read as "//evil"), dot segments and
// doubled slashes (which resolve or re-serialise into "//host"), escapes, and over 300 bytes.
func sitePath(u string) bool {
	if len(u) > 300 || !followURLRE.MatchString(u) {
		return false
	}
	path, _, _ := strings.Cut(u, "#")
	if strings.Contains(path, "//") {
		return false
	}
	for _, seg := range strings.Split(path, "/") {
		if seg == "." || seg == ".." {
			return false
		}
	}
	p, err := url.Parse(u)
	return err == nil && p.Scheme == "" && p.Host == "" && p.User == nil && p.Path == path
}

// setFollow sends every student's device to a page of this site ("follow me").
func (cl *Class) setFollow(a controlArgs) (any, error) {
	if !sitePath(a.URL) {
		return nil, errors.New("follow needs a site path like /lessons/rooms#section")
	}
	title := a.Title
	if utf8.RuneCountInString(title) > 200 || !utf8.ValidString(title) {
		title = ""
	}
	f := map[string]string{"url": a.URL, "title": title}
	cl.mu.Lock()
	cl.follow = f
	cl.mu.Unlock()
	n := cl.everyone("follow", f)
	return callInfo{JS: `io.emit("follow", {url: ` + jsString(a.URL) + `})`, Go: `io.Emit("follow", map[string]string{"url": ` + jsString(a.URL) + `})`, Recipients: n}, nil
}

// end answers the instructor; its afterAck then ends the class.
func (cl *Class) end(controlArgs) (any, error) {
	return callInfo{JS: `io.emit("ended"); io.disconnectSockets(true)`, Go: `io.Emit("ended"); io.DisconnectSockets(true)`}, nil
}
